import { expect } from "chai";
import { network } from "hardhat";
import { DAY, deployDa, honestReadings, ONE_ETHER, PARAMS, type DaFixture } from "./fixture.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const b32 = (s: string): string => ethers.encodeBytes32String(s);

describe("DataAvailability — governance", function () {
  const deployment = (): Promise<DaFixture> => deployDa(connection);
  const load = (): Promise<DaFixture> => networkHelpers.loadFixture(deployment);

  it("starts with the module's parameters", async function () {
    const f = await load();
    expect(await f.da.challengeWindow()).to.equal(PARAMS.challengeWindow);
    expect(await f.da.retentionWindow()).to.equal(PARAMS.retentionWindow);
    expect(await f.da.unbondingDelay()).to.equal(PARAMS.unbondingDelay);
    expect(await f.da.minBond()).to.equal(PARAMS.minBond);
    expect(await f.da.slashAmount()).to.equal(PARAMS.slashAmount);
    expect(await f.da.challengerRewardBps()).to.equal(PARAMS.challengerRewardBps);
    expect(await f.da.deviceDirectory()).to.equal(await f.directory.getAddress());
  });

  it("rejects every admin call from a non-admin with the missing role", async function () {
    const f = await load();
    const da = f.da.connect(f.other);
    const admin = await f.da.DEFAULT_ADMIN_ROLE();
    const seqAdmin = await f.da.SEQUENCER_ADMIN_ROLE();
    const calls: [Promise<unknown>, string][] = [
      [da.addSequencer(f.other.address), seqAdmin],
      [da.removeSequencer(f.sequencer.address), seqAdmin],
      [da.setChallengeWindow(1), admin],
      [da.setRetentionWindow(1), admin],
      [da.setUnbondingDelay(1), admin],
      [da.setMinBond(1), admin],
      [da.setSlashAmount(1), admin],
      [da.setChallengerRewardBps(1), admin],
      [da.withdrawSlashedFunds(f.other.address, 0), admin],
    ];
    for (const [call, role] of calls) {
      await expect(call).to.be.revertedWithCustomError(f.da, "AccessControlUnauthorizedAccount").withArgs(f.other.address, role);
    }
  });

  it("keeps the windows consistent: challenge <= retention and <= unbonding delay", async function () {
    const f = await load();
    const da = f.da.connect(f.admin);
    await expect(da.setChallengeWindow(31n * DAY))
      .to.be.revertedWithCustomError(f.da, "DataAvailabilityBadParameter")
      .withArgs(b32("challengeWindow"), 31n * DAY);
    await expect(da.setChallengeWindow(0))
      .to.be.revertedWithCustomError(f.da, "DataAvailabilityBadParameter")
      .withArgs(b32("challengeWindow"), 0n);
    await expect(da.setRetentionWindow(DAY - 1n))
      .to.be.revertedWithCustomError(f.da, "DataAvailabilityBadParameter")
      .withArgs(b32("retentionWindow"), DAY - 1n);
    await expect(da.setUnbondingDelay(DAY - 1n))
      .to.be.revertedWithCustomError(f.da, "DataAvailabilityBadParameter")
      .withArgs(b32("unbondingDelay"), DAY - 1n);
    await expect(da.setChallengerRewardBps(10_001))
      .to.be.revertedWithCustomError(f.da, "DataAvailabilityBadParameter")
      .withArgs(b32("challengerRewardBps"), 10_001n);
    await expect(da.setMinBond(0))
      .to.be.revertedWithCustomError(f.da, "DataAvailabilityBadParameter")
      .withArgs(b32("minBond"), 0n);
    await expect(da.setChallengeWindow(2n * DAY))
      .to.emit(f.da, "ParameterUpdated")
      .withArgs(b32("challengeWindow"), 2n * DAY);
    await expect(da.setRetentionWindow(2n * DAY))
      .to.emit(f.da, "ParameterUpdated")
      .withArgs(b32("retentionWindow"), 2n * DAY);
    await expect(da.addSequencer(f.sequencer.address))
      .to.be.revertedWithCustomError(f.da, "DataAvailabilitySequencerExists")
      .withArgs(f.sequencer.address);
    await expect(da.removeSequencer(f.other.address))
      .to.be.revertedWithCustomError(f.da, "DataAvailabilityNotSequencer")
      .withArgs(f.other.address);
  });

  it("hands every admin role to a timelock, which then governs alone", async function () {
    const f = await load();
    const delay = 3600n;
    const timelock = await ethers.deployContract("TestTimelock", [
      delay,
      [f.admin.address],
      [f.admin.address],
      ethers.ZeroAddress,
    ]);
    const tl = await timelock.getAddress();
    for (const role of [await f.da.DEFAULT_ADMIN_ROLE(), await f.da.SEQUENCER_ADMIN_ROLE()]) {
      await f.da.connect(f.admin).grantRole(role, tl);
    }
    await f.da.connect(f.admin).renounceRole(await f.da.SEQUENCER_ADMIN_ROLE(), f.admin.address);
    await f.da.connect(f.admin).renounceRole(await f.da.DEFAULT_ADMIN_ROLE(), f.admin.address);
    await expect(f.da.connect(f.admin).addSequencer(f.other.address)).to.be.revertedWithCustomError(
      f.da,
      "AccessControlUnauthorizedAccount",
    );

    const data = f.da.interface.encodeFunctionData("addSequencer", [f.other.address]);
    const salt = ethers.ZeroHash;
    await timelock.getFunction("schedule")(await f.da.getAddress(), 0, data, ethers.ZeroHash, salt, delay);
    await networkHelpers.time.increase(delay);
    await expect(timelock.getFunction("execute")(await f.da.getAddress(), 0, data, ethers.ZeroHash, salt))
      .to.emit(f.da, "SequencerAdded")
      .withArgs(f.other.address);
  });
});

describe("DataAvailability — UUPS upgrades", function () {
  const deployment = (): Promise<DaFixture> => deployDa(connection);
  const load = (): Promise<DaFixture> => networkHelpers.loadFixture(deployment);
  const IMPLEMENTATION_SLOT = "0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc";

  it("cannot be initialised twice, and the implementation cannot be initialised at all", async function () {
    const f = await load();
    const params = { ...PARAMS };
    await expect(
      f.da.initialize(f.admin.address, ethers.ZeroAddress, ethers.ZeroAddress, ethers.ZeroAddress, params),
    ).to.be.revertedWithCustomError(f.da, "InvalidInitialization");
    const implAddress = ethers.getAddress(
      "0x" + (await ethers.provider.getStorage(await f.da.getAddress(), IMPLEMENTATION_SLOT)).slice(26),
    );
    const impl = await ethers.getContractAt("DataAvailability", implAddress);
    await expect(
      impl.initialize(f.admin.address, ethers.ZeroAddress, ethers.ZeroAddress, ethers.ZeroAddress, params),
    ).to.be.revertedWithCustomError(f.da, "InvalidInitialization");
  });

  it("only the admin upgrades; batches, bonds and parameters survive the upgrade", async function () {
    const f = await load();
    const batch = f.makeBatch(honestReadings(f), 2);
    const id = await f.commit(batch);
    const next = await ethers.deployContract("DataAvailability");
    await expect(f.da.connect(f.other).upgradeToAndCall(await next.getAddress(), "0x"))
      .to.be.revertedWithCustomError(f.da, "AccessControlUnauthorizedAccount")
      .withArgs(f.other.address, await f.da.DEFAULT_ADMIN_ROLE());
    await expect(f.da.connect(f.admin).upgradeToAndCall(await next.getAddress(), "0x"))
      .to.emit(f.da, "Upgraded")
      .withArgs(await next.getAddress());
    expect((await f.da.getBatch(id)).root).to.equal(batch.root);
    expect(await f.da.nextBatchId()).to.equal(id + 1n);
    expect((await f.da.sequencer(f.sequencer.address)).bond).to.equal(2n * ONE_ETHER);
    expect(await f.da.challengeWindow()).to.equal(PARAMS.challengeWindow);
    const p = batch.proof(1);
    expect(await f.da.verifyInclusion(id, p.leaf, 1, p.siblings)).to.equal(true);
  });
});
