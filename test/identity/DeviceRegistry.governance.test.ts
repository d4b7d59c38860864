import { expect } from "chai";
import { ZeroAddress, ZeroHash } from "ethers";
import { network } from "hardhat";
import { MakerStatus, deployIdentity, type IdentityFixture } from "./fixture.js";

const conn = await network.create();
const { networkHelpers, ethers } = conn;
const fixture = (): Promise<IdentityFixture> => deployIdentity(conn);

describe("DeviceRegistry — governance hand-off to a timelock", () => {
  it("every admin role moves to the timelock; the deployer keeps none; the timelock governs makers and upgrades", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    const r = f.registry;
    const delay = 3600n;
    const timelock = await ethers.deployContract("TestTimelock", [delay, [f.admin.address], [f.admin.address], ZeroAddress]);
    const tl = await timelock.getAddress();
    const roles = [
      await r.DEFAULT_ADMIN_ROLE(),
      await r.MAKER_GOVERNOR_ROLE(),
      await r.DEVICE_GUARDIAN_ROLE(),
      await r.UPGRADER_ROLE(),
    ];
    for (const role of roles) await r.connect(f.admin).grantRole(role, tl);
    for (const role of roles) await r.connect(f.admin).renounceRole(role, f.admin.address);
    for (const role of roles) {
      expect(await r.hasRole(role, tl)).to.equal(true);
      expect(await r.hasRole(role, f.admin.address)).to.equal(false);
    }
    const newMaker = f.signers[6].address;
    await expect(r.connect(f.admin).approveMaker(newMaker, "Gamma"))
      .to.be.revertedWithCustomError(r, "AccessControlUnauthorizedAccount")
      .withArgs(f.admin.address, roles[1]);

    // Proposal → delay → execution, as the Governor will do.
    const call = r.interface.encodeFunctionData("approveMaker", [newMaker, "Gamma"]);
    await timelock.connect(f.admin).schedule(await r.getAddress(), 0n, call, ZeroHash, ZeroHash, delay);
    await expect(
      timelock.connect(f.admin).execute(await r.getAddress(), 0n, call, ZeroHash, ZeroHash),
    ).to.be.revertedWithCustomError(timelock, "TimelockUnexpectedOperationState");
    await networkHelpers.time.increase(delay);
    await timelock.connect(f.admin).execute(await r.getAddress(), 0n, call, ZeroHash, ZeroHash);
    expect((await r.makerInfo(newMaker)).status).to.equal(MakerStatus.Approved);

    const lib = await ethers.deployContract("P256Verifier");
    const v2 = await ethers.deployContract("DeviceRegistryV2Mock", [], { libraries: { P256Verifier: await lib.getAddress() } });
    const upgrade = r.interface.encodeFunctionData("upgradeToAndCall", [await v2.getAddress(), "0x"]);
    const salt = ethers.id("upgrade-v2");
    await timelock.connect(f.admin).schedule(await r.getAddress(), 0n, upgrade, ZeroHash, salt, delay);
    await networkHelpers.time.increase(delay);
    await timelock.connect(f.admin).execute(await r.getAddress(), 0n, upgrade, ZeroHash, salt);
    expect(await (await ethers.getContractAt("DeviceRegistryV2Mock", await r.getAddress())).version()).to.equal(2n);
  });
});
