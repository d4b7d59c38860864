import { expect } from "chai";
import { network } from "hardhat";
import { layoutCheck } from "./layout.js";
import { bind, deployIdentity, type IdentityFixture } from "./fixture.js";

const conn = await network.create();
const { networkHelpers, ethers } = conn;
const fixture = async (): Promise<IdentityFixture & { id: bigint }> => {
  const f = await deployIdentity(conn);
  const id = await bind(f, f.keys[0], f.owner);
  return { ...f, id };
};

/** ERC-1967 implementation slot. */
const IMPL_SLOT = "0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc";

async function implementationOf(address: string): Promise<string> {
  const raw = await ethers.provider.getStorage(address, IMPL_SLOT);
  return ethers.getAddress("0x" + raw.slice(26));
}

async function libraryAddress(f: IdentityFixture): Promise<string> {
  // The implementation is linked against the P256Verifier deployed by the Ignition module.
  return f.p256Verifier;
}

describe("DeviceRegistry — upgrades (UUPS, ERC-7201)", () => {
  it("the implementation cannot be initialised (initializers disabled)", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    const impl = await ethers.getContractAt("DeviceRegistry", await implementationOf(await f.registry.getAddress()));
    await expect(impl.initialize(f.other.address)).to.be.revertedWithCustomError(impl, "InvalidInitialization");
    expect(await impl.hasRole(await impl.DEFAULT_ADMIN_ROLE(), f.other.address)).to.equal(false);
  });

  it("the proxy cannot be re-initialised", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    await expect(f.registry.connect(f.other).initialize(f.other.address)).to.be.revertedWithCustomError(
      f.registry,
      "InvalidInitialization",
    );
    expect(await f.registry.hasRole(await f.registry.DEFAULT_ADMIN_ROLE(), f.other.address)).to.equal(false);
  });

  it("rejects an unauthorised upgrade and leaves the implementation in place", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    const lib = await libraryAddress(f);
    const v2 = await ethers.deployContract("DeviceRegistryV2Mock", [], { libraries: { P256Verifier: lib } });
    const before = await implementationOf(await f.registry.getAddress());
    await expect(f.registry.connect(f.other).upgradeToAndCall(await v2.getAddress(), "0x"))
      .to.be.revertedWithCustomError(f.registry, "AccessControlUnauthorizedAccount")
      .withArgs(f.other.address, await f.registry.UPGRADER_ROLE());
    expect(await implementationOf(await f.registry.getAddress())).to.equal(before);
  });

  it("the upgrader role upgrades; devices, keys and NFTs survive", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    const lib = await libraryAddress(f);
    const v2 = await ethers.deployContract("DeviceRegistryV2Mock", [], { libraries: { P256Verifier: lib } });
    await expect(f.registry.connect(f.admin).upgradeToAndCall(await v2.getAddress(), "0x"))
      .to.emit(f.registry, "Upgraded")
      .withArgs(await v2.getAddress());
    const upgraded = await ethers.getContractAt("DeviceRegistryV2Mock", await f.registry.getAddress());
    expect(await upgraded.version()).to.equal(2n);
    expect(await upgraded.ownerOf(f.id)).to.equal(f.owner.address);
    expect((await upgraded.keyAt(f.id, 0n)).publicKey).to.equal(f.keys[0].publicId.toLowerCase());
    expect(await upgraded.totalDevices()).to.equal(1n);
    expect((await upgraded.makerInfo(f.maker.address)).name).to.equal("Acme Sensors");
  });

  it("storage layout validates (hardhat-upgrades engine: upgrade-safe implementation, compatible ERC-7201 layout)", async () => {
    const check = await layoutCheck("project/contracts/identity/mocks/DeviceRegistryV2Mock.sol", {
      kind: "uups",
      unsafeAllowLinkedLibraries: true,
    });
    const V1 = "project/contracts/identity/DeviceRegistry.sol:DeviceRegistry";
    const V2 = "project/contracts/identity/mocks/DeviceRegistryV2Mock.sol:DeviceRegistryV2Mock";
    check.assertUpgradeSafe(V1);
    expect(check.upgradeErrors(V1, V2)).to.deep.equal([]);
    // The registry's namespace is part of the validated layout, member by member.
    const layout = check.layout(V1);
    const ns = layout.namespaces?.["erc7201:depin.storage.DeviceRegistry"] ?? [];
    expect(ns.map((m) => m.label)).to.include.members(["devices", "keys", "deviceOfKey", "counters", "accountFactory"]);
  });
});
