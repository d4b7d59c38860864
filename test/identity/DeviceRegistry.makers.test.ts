import { expect } from "chai";
import { ZeroAddress } from "ethers";
import { network } from "hardhat";
import { KeyTree, publicKeyOf } from "../../sdk/src/index.js";
import { MakerStatus, deployIdentity, deviceKeys, type IdentityFixture } from "./fixture.js";

const conn = await network.create();
const { networkHelpers } = conn;
const fixture = (): Promise<IdentityFixture> => deployIdentity(conn);

describe("DeviceRegistry — makers", () => {
  it("governance approves a maker; the maker publishes roots", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    const maker2 = f.signers[5];
    await expect(f.registry.connect(f.admin).approveMaker(maker2.address, "Beta Devices"))
      .to.emit(f.registry, "MakerApproved")
      .withArgs(maker2.address, "Beta Devices");
    const info = await f.registry.makerInfo(maker2.address);
    expect(info.status).to.equal(MakerStatus.Approved);
    expect(info.name).to.equal("Beta Devices");
    expect(info.since).to.equal(await f.now());
    const tree = new KeyTree(deviceKeys("secp256k1", 3, "beta").map(publicKeyOf));
    await expect(f.registry.connect(maker2).publishMakerRoot(tree.root, 3n, "ipfs://beta"))
      .to.emit(f.registry, "MakerRootPublished")
      .withArgs(maker2.address, tree.root, 3n, "ipfs://beta");
    const root = await f.registry.rootInfo(tree.root);
    expect(root.maker).to.equal(maker2.address);
    expect(root.revoked).to.equal(false);
    expect(root.keyCount).to.equal(3n);
    expect((await f.registry.makerInfo(maker2.address)).rootCount).to.equal(1n);
  });

  it("rejects approval by a non-governor, of the zero address, and twice", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    const role = await f.registry.MAKER_GOVERNOR_ROLE();
    await expect(f.registry.connect(f.other).approveMaker(f.other.address, "x"))
      .to.be.revertedWithCustomError(f.registry, "AccessControlUnauthorizedAccount")
      .withArgs(f.other.address, role);
    await expect(f.registry.connect(f.admin).approveMaker(ZeroAddress, "x")).to.be.revertedWithCustomError(
      f.registry,
      "DeviceRegistryZeroAddress",
    );
    await expect(f.registry.connect(f.admin).approveMaker(f.maker.address, "again"))
      .to.be.revertedWithCustomError(f.registry, "DeviceRegistryMakerAlreadyApproved")
      .withArgs(f.maker.address);
    expect((await f.registry.makerInfo(f.other.address)).status).to.equal(MakerStatus.None);
    expect((await f.registry.makerInfo(f.maker.address)).name).to.equal("Acme Sensors");
  });

  it("rejects roots from non-makers, zero roots and duplicates", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    const root = `0x${"ab".repeat(32)}`;
    await expect(f.registry.connect(f.other).publishMakerRoot(root, 1n, ""))
      .to.be.revertedWithCustomError(f.registry, "DeviceRegistryMakerNotApproved")
      .withArgs(f.other.address);
    await expect(f.registry.connect(f.maker).publishMakerRoot(`0x${"00".repeat(32)}`, 1n, "")).to.be.revertedWithCustomError(
      f.registry,
      "DeviceRegistryZeroRoot",
    );
    await expect(f.registry.connect(f.maker).publishMakerRoot(f.tree.root, 1n, ""))
      .to.be.revertedWithCustomError(f.registry, "DeviceRegistryRootAlreadyPublished")
      .withArgs(f.tree.root, f.maker.address);
    expect((await f.registry.makerInfo(f.maker.address)).rootCount).to.equal(1n);
    expect((await f.registry.rootInfo(root)).maker).to.equal(ZeroAddress);
  });

  it("revocation: by governance, by the maker itself; revoked makers publish nothing; re-approval", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    await expect(f.registry.connect(f.other).revokeMaker(f.maker.address))
      .to.be.revertedWithCustomError(f.registry, "AccessControlUnauthorizedAccount")
      .withArgs(f.other.address, await f.registry.MAKER_GOVERNOR_ROLE());
    await expect(f.registry.connect(f.admin).revokeMaker(f.maker.address))
      .to.emit(f.registry, "MakerRevoked")
      .withArgs(f.maker.address, f.admin.address);
    expect((await f.registry.makerInfo(f.maker.address)).status).to.equal(MakerStatus.Revoked);
    await expect(f.registry.connect(f.admin).revokeMaker(f.maker.address))
      .to.be.revertedWithCustomError(f.registry, "DeviceRegistryMakerNotApproved")
      .withArgs(f.maker.address);
    await expect(f.registry.connect(f.maker).publishMakerRoot(`0x${"cd".repeat(32)}`, 1n, ""))
      .to.be.revertedWithCustomError(f.registry, "DeviceRegistryMakerNotApproved")
      .withArgs(f.maker.address);
    await expect(f.registry.connect(f.admin).approveMaker(f.maker.address, "Acme (re-approved)")).to.emit(
      f.registry,
      "MakerApproved",
    );
    await expect(f.registry.connect(f.maker).renounceMaker())
      .to.emit(f.registry, "MakerRevoked")
      .withArgs(f.maker.address, f.maker.address);
    await expect(f.registry.connect(f.other).renounceMaker())
      .to.be.revertedWithCustomError(f.registry, "DeviceRegistryMakerNotApproved")
      .withArgs(f.other.address);
  });

  it("root revocation: by its maker or governance only, once", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    const unknown = `0x${"ef".repeat(32)}`;
    await expect(f.registry.connect(f.maker).revokeMakerRoot(unknown))
      .to.be.revertedWithCustomError(f.registry, "DeviceRegistryUnknownRoot")
      .withArgs(unknown);
    await expect(f.registry.connect(f.other).revokeMakerRoot(f.tree.root))
      .to.be.revertedWithCustomError(f.registry, "DeviceRegistryNotRootMaker")
      .withArgs(f.tree.root, f.other.address);
    await expect(f.registry.connect(f.admin).revokeMakerRoot(f.tree.root))
      .to.emit(f.registry, "MakerRootRevoked")
      .withArgs(f.maker.address, f.tree.root, f.admin.address);
    expect((await f.registry.rootInfo(f.tree.root)).revoked).to.equal(true);
    await expect(f.registry.connect(f.maker).revokeMakerRoot(f.tree.root))
      .to.be.revertedWithCustomError(f.registry, "DeviceRegistryRootAlreadyRevoked")
      .withArgs(f.tree.root);
  });
});
