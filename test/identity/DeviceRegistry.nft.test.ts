import { expect } from "chai";
import { ZeroAddress, keccak256, toUtf8Bytes } from "ethers";
import { network } from "hardhat";
import { Status, bind, deployIdentity, type IdentityFixture } from "./fixture.js";

const conn = await network.create();
const { networkHelpers } = conn;
const fixture = async (): Promise<IdentityFixture & { id: bigint }> => {
  const f = await deployIdentity(conn);
  const id = await bind(f, f.keys[0], f.owner);
  return { ...f, id };
};

describe("DeviceRegistry — device NFT (ERC-721)", () => {
  it("metadata and interfaces", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    expect(await f.registry.name()).to.equal("DePIN Device");
    expect(await f.registry.symbol()).to.equal("DEVICE");
    expect(await f.registry.supportsInterface("0x80ac58cd")).to.equal(true); // ERC-721
    expect(await f.registry.supportsInterface("0x5b5e139f")).to.equal(true); // metadata
    expect(await f.registry.supportsInterface("0x7965db0b")).to.equal(true); // AccessControl
    expect(await f.registry.supportsInterface("0xffffffff")).to.equal(false);
    expect(await f.registry.tokenURI(f.id)).to.equal("");
    await expect(f.registry.tokenURI(42n)).to.be.revertedWithCustomError(f.registry, "ERC721NonexistentToken").withArgs(42n);
    await expect(f.registry.balanceOf(ZeroAddress))
      .to.be.revertedWithCustomError(f.registry, "ERC721InvalidOwner")
      .withArgs(ZeroAddress);
  });

  it("transferring the token transfers the device", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    await expect(f.registry.connect(f.owner).transferFrom(f.owner.address, f.other.address, f.id))
      .to.emit(f.registry, "Transfer")
      .withArgs(f.owner.address, f.other.address, f.id);
    expect(await f.registry.ownerOfDevice(f.id)).to.equal(f.other.address);
    expect(await f.registry.balanceOf(f.owner.address)).to.equal(0n);
    expect(await f.registry.balanceOf(f.other.address)).to.equal(1n);
    // The new holder controls the lifecycle, the old one no longer does.
    await expect(f.registry.connect(f.owner).activate(f.id))
      .to.be.revertedWithCustomError(f.registry, "DeviceRegistryNotDeviceOwner")
      .withArgs(f.id, f.owner.address);
    await expect(f.registry.connect(f.other).activate(f.id))
      .to.emit(f.registry, "DeviceStatusChanged")
      .withArgs(f.id, Status.Bound, Status.Active, f.other.address);
  });

  it("approvals: single token and operator; approval cleared on transfer", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    const [, , , , spender, operator] = f.signers;
    await expect(f.registry.connect(f.other).approve(spender.address, f.id))
      .to.be.revertedWithCustomError(f.registry, "ERC721InvalidApprover")
      .withArgs(f.other.address);
    await expect(f.registry.connect(f.owner).approve(spender.address, f.id))
      .to.emit(f.registry, "Approval")
      .withArgs(f.owner.address, spender.address, f.id);
    expect(await f.registry.getApproved(f.id)).to.equal(spender.address);
    await f.registry.connect(spender).transferFrom(f.owner.address, f.other.address, f.id);
    expect(await f.registry.getApproved(f.id)).to.equal(ZeroAddress);
    await expect(f.registry.connect(spender).transferFrom(f.other.address, spender.address, f.id))
      .to.be.revertedWithCustomError(f.registry, "ERC721InsufficientApproval")
      .withArgs(spender.address, f.id);

    await expect(f.registry.connect(f.other).setApprovalForAll(operator.address, true))
      .to.emit(f.registry, "ApprovalForAll")
      .withArgs(f.other.address, operator.address, true);
    expect(await f.registry.isApprovedForAll(f.other.address, operator.address)).to.equal(true);
    await f.registry.connect(operator).approve(spender.address, f.id);
    await f.registry.connect(operator).transferFrom(f.other.address, f.owner.address, f.id);
    expect(await f.registry.ownerOf(f.id)).to.equal(f.owner.address);
    await expect(f.registry.connect(f.owner).setApprovalForAll(ZeroAddress, true))
      .to.be.revertedWithCustomError(f.registry, "ERC721InvalidOperator")
      .withArgs(ZeroAddress);
  });

  it("rejects transfers to zero, to the device's own account, from a non-owner, of unknown tokens", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    const own = await f.factory.accountAddress(f.id);
    await expect(f.registry.connect(f.owner).transferFrom(f.owner.address, own, f.id))
      .to.be.revertedWithCustomError(f.registry, "DeviceRegistrySelfOwnedAccount")
      .withArgs(f.id);
    await expect(f.registry.connect(f.owner).transferFrom(f.owner.address, ZeroAddress, f.id))
      .to.be.revertedWithCustomError(f.registry, "ERC721InvalidReceiver")
      .withArgs(ZeroAddress);
    await expect(f.registry.connect(f.owner).transferFrom(f.other.address, f.owner.address, f.id))
      .to.be.revertedWithCustomError(f.registry, "ERC721IncorrectOwner")
      .withArgs(f.other.address, f.id, f.owner.address);
    await expect(f.registry.connect(f.owner).transferFrom(f.owner.address, f.other.address, 77n))
      .to.be.revertedWithCustomError(f.registry, "ERC721NonexistentToken")
      .withArgs(77n);
    expect(await f.registry.ownerOf(f.id)).to.equal(f.owner.address);
    expect(await f.registry.balanceOf(f.owner.address)).to.equal(1n);
  });

  it("safeTransferFrom checks receivers: accepts a device account, rejects a non-receiver contract", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    const account = await f.factory.accountAddress(f.id);
    await f.factory.createAccount(f.id);
    // A device account accepts NFTs (e.g. a device owning a sub-device).
    const second = await bind(f, f.keys[1], f.owner, 1n);
    await f.registry.connect(f.owner)["safeTransferFrom(address,address,uint256)"](f.owner.address, account, second);
    expect(await f.registry.ownerOf(second)).to.equal(account);
    // The EntryPoint implements no receiver hook.
    const ep = await f.entryPoint.getAddress();
    await expect(f.registry.connect(f.owner)["safeTransferFrom(address,address,uint256)"](f.owner.address, ep, f.id))
      .to.be.revertedWithCustomError(f.registry, "ERC721InvalidReceiver")
      .withArgs(ep);
    expect(await f.registry.ownerOf(f.id)).to.equal(f.owner.address);
  });

  it("DID document anchors: holder sets the device document; anyone sets their owner document", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    const hash = keccak256(toUtf8Bytes("{}"));
    await expect(f.registry.connect(f.other).setDeviceDocument(f.id, hash, "ipfs://doc"))
      .to.be.revertedWithCustomError(f.registry, "DeviceRegistryNotDeviceOwner")
      .withArgs(f.id, f.other.address);
    await expect(f.registry.connect(f.owner).setDeviceDocument(f.id, hash, "ipfs://doc"))
      .to.emit(f.registry, "DeviceDocumentSet")
      .withArgs(f.id, hash, "ipfs://doc");
    const doc = await f.registry.deviceDocument(f.id);
    expect([doc.hash, doc.uri]).to.deep.equal([hash, "ipfs://doc"]);
    expect(await f.registry.tokenURI(f.id)).to.equal("ipfs://doc");
    await expect(f.registry.connect(f.other).setOwnerDocument(hash, "https://example.org/owner.json"))
      .to.emit(f.registry, "OwnerDocumentSet")
      .withArgs(f.other.address, hash, "https://example.org/owner.json");
    expect((await f.registry.ownerDocument(f.other.address)).uri).to.equal("https://example.org/owner.json");
  });
});
