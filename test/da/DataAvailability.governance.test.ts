import { expect } from "chai";
import { network } from "hardhat";
import { DAY, deployDa, PARAMS, type DaFixture } from "./fixture.js";

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
    await expect(da.setChallengeWindow(0)).to.be.revertedWithCustomError(f.da, "DataAvailabilityBadParameter").withArgs(b32("challengeWindow"), 0n);
    await expect(da.setRetentionWindow(DAY - 1n))
      .to.be.revertedWithCustomError(f.da, "DataAvailabilityBadParameter")
      .withArgs(b32("retentionWindow"), DAY - 1n);
    await expect(da.setUnbondingDelay(DAY - 1n))
      .to.be.revertedWithCustomError(f.da, "DataAvailabilityBadParameter")
      .withArgs(b32("unbondingDelay"), DAY - 1n);
    await expect(da.setChallengerRewardBps(10_001))
      .to.be.revertedWithCustomError(f.da, "DataAvailabilityBadParameter")
      .withArgs(b32("challengerRewardBps"), 10_001n);
    await expect(da.setMinBond(0)).to.be.revertedWithCustomError(f.da, "DataAvailabilityBadParameter").withArgs(b32("minBond"), 0n);
    await expect(da.setChallengeWindow(2n * DAY)).to.emit(f.da, "ParameterUpdated").withArgs(b32("challengeWindow"), 2n * DAY);
    await expect(da.setRetentionWindow(2n * DAY)).to.emit(f.da, "ParameterUpdated").withArgs(b32("retentionWindow"), 2n * DAY);
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
    const timelock = await ethers.deployContract("TestTimelock", [delay, [f.admin.address], [f.admin.address], ethers.ZeroAddress]);
    const tl = await timelock.getAddress();
    for (const role of [await f.da.DEFAULT_ADMIN_ROLE(), await f.da.SEQUENCER_ADMIN_ROLE()]) {
      await f.da.connect(f.admin).grantRole(role, tl);
    }
    await f.da.connect(f.admin).renounceRole(await f.da.SEQUENCER_ADMIN_ROLE(), f.admin.address);
    await f.da.connect(f.admin).renounceRole(await f.da.DEFAULT_ADMIN_ROLE(), f.admin.address);
    await expect(f.da.connect(f.admin).addSequencer(f.other.address)).to.be.revertedWithCustomError(f.da, "AccessControlUnauthorizedAccount");

    const data = f.da.interface.encodeFunctionData("addSequencer", [f.other.address]);
    const salt = ethers.ZeroHash;
    await timelock.getFunction("schedule")(await f.da.getAddress(), 0, data, ethers.ZeroHash, salt, delay);
    await networkHelpers.time.increase(delay);
    await expect(timelock.getFunction("execute")(await f.da.getAddress(), 0, data, ethers.ZeroHash, salt))
      .to.emit(f.da, "SequencerAdded")
      .withArgs(f.other.address);
  });
});
