import { expect } from "chai";
import { ZeroAddress } from "ethers";
import { network } from "hardhat";
import { deployIdentity, type IdentityFixture } from "./fixture.js";

const conn = await network.create();
const { networkHelpers, ethers } = conn;
const fixture = (): Promise<IdentityFixture> => deployIdentity(conn);

describe("DeviceRegistry — deployment wiring", () => {
  it("a proxy cannot be initialised with a zero admin", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    const impl = await ethers.deployContract("DeviceRegistry", [], { libraries: { P256Verifier: f.p256Verifier } });
    const init = impl.interface.encodeFunctionData("initialize", [ZeroAddress]);
    await expect(ethers.deployContract("ERC1967Proxy", [await impl.getAddress(), init])).to.be.revertedWithCustomError(
      impl,
      "DeviceRegistryZeroAddress",
    );
  });

  it("the account factory is set once, by the admin, to a factory serving this registry", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    const impl = await ethers.deployContract("DeviceRegistry", [], { libraries: { P256Verifier: f.p256Verifier } });
    const proxy = await ethers.deployContract("ERC1967Proxy", [
      await impl.getAddress(),
      impl.interface.encodeFunctionData("initialize", [f.admin.address]),
    ]);
    const fresh = await ethers.getContractAt("DeviceRegistry", await proxy.getAddress());
    expect(await fresh.rewardRecipient(1n)).to.equal(ZeroAddress);
    await expect(fresh.connect(f.admin).setAccountFactory(ZeroAddress)).to.be.revertedWithCustomError(
      fresh,
      "DeviceRegistryZeroAddress",
    );
    // The fixture's factory serves the fixture's registry, not this one.
    await expect(fresh.connect(f.admin).setAccountFactory(await f.factory.getAddress()))
      .to.be.revertedWithCustomError(fresh, "DeviceRegistryFactoryMismatch")
      .withArgs(await f.factory.getAddress(), await f.registry.getAddress());
    const own = await ethers.deployContract("DeviceAccountFactory", [await f.entryPoint.getAddress(), await fresh.getAddress()]);
    await expect(fresh.connect(f.other).setAccountFactory(await own.getAddress()))
      .to.be.revertedWithCustomError(fresh, "AccessControlUnauthorizedAccount")
      .withArgs(f.other.address, await fresh.DEFAULT_ADMIN_ROLE());
    await expect(fresh.connect(f.admin).setAccountFactory(await own.getAddress()))
      .to.emit(fresh, "AccountFactorySet")
      .withArgs(await own.getAddress());
    await expect(fresh.connect(f.admin).setAccountFactory(await own.getAddress()))
      .to.be.revertedWithCustomError(fresh, "DeviceRegistryAccountFactoryAlreadySet")
      .withArgs(await own.getAddress());
    expect(await fresh.accountFactory()).to.equal(await own.getAddress());
  });

  it("the Ignition module wires registry, factory and EntryPoint together", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    expect(await f.registry.accountFactory()).to.equal(await f.factory.getAddress());
    expect(await f.factory.registry()).to.equal(await f.registry.getAddress());
    const impl = await ethers.getContractAt("DeviceAccount", await f.factory.accountImplementation());
    expect(await impl.entryPoint()).to.equal(await f.entryPoint.getAddress());
    expect(await f.registry.hasRole(await f.registry.UPGRADER_ROLE(), f.admin.address)).to.equal(true);
    const domain = await f.registry.eip712Domain();
    expect([domain.name, domain.version, domain.chainId, domain.verifyingContract]).to.deep.equal([
      "DePIN Device Registry",
      "1",
      f.chainId,
      await f.registry.getAddress(),
    ]);
  });
});
