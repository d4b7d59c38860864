import { expect } from "chai";
import { network } from "hardhat";
import hre from "hardhat";
import { upgrades } from "@openzeppelin/hardhat-upgrades";
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

  it("hardhat-upgrades: the implementation is upgrade-safe and the upgrade's storage layout validates", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    const api = await upgrades(hre, conn);
    const libraries = { P256Verifier: f.p256Verifier };
    const V1 = await ethers.getContractFactory("DeviceRegistry", { libraries });
    const V2 = await ethers.getContractFactory("DeviceRegistryV2Mock", { libraries });
    const opts = { kind: "uups" as const, unsafeAllowLinkedLibraries: true };
    await api.validateImplementation(V1, opts);
    await api.validateUpgrade(V1, V2, opts);
    // Against the deployed proxy (registered with the plugin through forceImport).
    await api.forceImport(await f.registry.getAddress(), V1, opts);
    await api.validateUpgrade(await f.registry.getAddress(), V2, opts);
  });

  it("hardhat-upgrades rejects an implementation whose ERC-7201 namespace changed incompatibly", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    const api = await upgrades(hre, conn);
    const libraries = { P256Verifier: f.p256Verifier };
    const V1 = await ethers.getContractFactory("DeviceRegistry", { libraries });
    const Broken = await ethers.getContractFactory("DeviceRegistryBrokenLayoutMock");
    let err: unknown;
    try {
      await api.validateUpgrade(V1, Broken, { kind: "uups", unsafeAllowLinkedLibraries: true });
    } catch (e) {
      err = e;
    }
    expect(err, "validateUpgrade should reject").to.be.instanceOf(Error);
    expect((err as Error).message).to.match(/New storage layout is incompatible/);
    // The namespace is compared member by member: reordered members show up as deletions/replacements.
    expect((err as Error).message).to.include("DeviceRegistry: Deleted `keys`");
    expect((err as Error).message).to.match(/Replaced `\w+` with `devices` of incompatible type/);
  });
});
