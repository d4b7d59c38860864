import { expect } from "chai";
import { network } from "hardhat";
import { batchOf, EPOCH_LENGTH, GENESIS, type ReadingSpec } from "./readings.js";
import { proveBatch, settleArgs, type ProvenBatch } from "./prove.js";
import { deployRewards, DEPTH, EMISSION, FIRST_EPOCH, RULE, SETTLEMENT_DELAY, Status } from "./distributor.fixture.js";

const E = FIRST_EPOCH;
// Epoch E: 11 → 1 point, 22 → 2, 33 → 3. Epoch E+1: 11 → 3, 22 → 1.
const SPECS_E: ReadingSpec[] = [
  { deviceId: 11n, value: 150n, offset: 1n },
  { deviceId: 22n, value: 150n, offset: 2n },
  { deviceId: 22n, value: 150n, offset: 3n },
  { deviceId: 33n, value: 150n, offset: 4n },
  { deviceId: 33n, value: 150n, offset: 5n },
  { deviceId: 33n, value: 150n, offset: 6n },
];
const SPECS_E1: ReadingSpec[] = [
  { deviceId: 11n, value: 150n, offset: 1n },
  { deviceId: 11n, value: 150n, offset: 2n },
  { deviceId: 11n, value: 150n, offset: 3n },
  { deviceId: 22n, value: 150n, offset: 4n },
];

describe("RewardDistributor claims", function () {
  let pe: ProvenBatch;
  let pe1: ProvenBatch;

  before(async function () {
    pe = await proveBatch(batchOf(E, SPECS_E), E, RULE);
    pe1 = await proveBatch(batchOf(E + 1n, SPECS_E1), E + 1n, RULE);
  });

  /** Both epochs settled and closed; devices 11, 22, 33, 55 Active (55 earned nothing). */
  async function closedEpochs() {
    const { ethers, networkHelpers } = await network.create();
    const f = await deployRewards(ethers, networkHelpers, [11n, 22n, 33n, 55n]);
    for (const [id, p] of [
      [1, pe],
      [2, pe1],
    ] as const) {
      await f.da.commit(id, p.job.root, p.readings.length, DEPTH, p.epoch);
      await f.da.setFinal(id, true);
      const s = settleArgs(p);
      await f.distributor.settle(id, 0, s.deviceWords, s.proof);
    }
    await networkHelpers.time.increaseTo(GENESIS + (E + 2n) * EPOCH_LENGTH + SETTLEMENT_DELAY);
    await f.distributor.closeEpoch(E);
    await f.distributor.closeEpoch(E + 1n);
    return { ...f, ethers, networkHelpers };
  }

  it("pays many devices and epochs in one call, one transfer per recipient run", async () => {
    const { distributor, token, owner, recipients } = await closedEpochs();
    const share = (pts: bigint, total: bigint) => (pts * EMISSION) / total;
    expect(await distributor.claimable(11n, E + 1n)).to.equal(share(3n, 4n));
    const ids = [11n, 11n, 22n, 22n, 33n];
    const epochs = [E, E + 1n, E, E + 1n, E];
    const tx = await distributor.connect(owner).claim(ids, epochs);
    const receipt = await tx.wait();
    const transfers = receipt!.logs.filter((l) => l.topics[0] === token.interface.getEvent("Transfer").topicHash);
    expect(transfers.length).to.equal(3);
    expect(await token.balanceOf(recipients.get(11n)!)).to.equal(share(1n, 6n) + share(3n, 4n));
    expect(await token.balanceOf(recipients.get(22n)!)).to.equal(share(2n, 6n) + share(1n, 4n));
    expect(await token.balanceOf(recipients.get(33n)!)).to.equal(share(3n, 6n));
    // Each epoch pays at most its emission, short by less than one unit per device-epoch.
    const paidE = share(1n, 6n) + share(2n, 6n) + share(3n, 6n);
    const paidE1 = share(3n, 4n) + share(1n, 4n);
    expect(EMISSION - paidE).to.be.lessThan(3n);
    expect(EMISSION - paidE1).to.be.lessThan(2n);
    expect(await token.balanceOf(await distributor.getAddress())).to.equal(2n * EMISSION - paidE - paidE1);
    expect(await distributor.claimable(11n, E)).to.equal(0n);
    expect(await distributor.pointsOf(11n, E)).to.deep.equal([1n, true]);
  });

  it("the device's own account may claim; a stranger may not", async () => {
    const { distributor, token, stranger, recipients, ethers } = await closedEpochs();
    await expect(distributor.connect(stranger).claim([11n], [E]))
      .to.be.revertedWithCustomError(distributor, "RewardDistributorNotDeviceController")
      .withArgs(0, 11n, stranger.address);
    const account = await ethers.getImpersonatedSigner(recipients.get(11n)!);
    await stranger.sendTransaction({ to: account.address, value: 10n ** 18n });
    await expect(distributor.connect(account).claim([11n], [E]))
      .to.emit(distributor, "RewardClaimed")
      .withArgs(11n, E, account.address, 1n, EMISSION / 6n);
    expect(await token.balanceOf(account.address)).to.equal(EMISSION / 6n);
  });

  it("refuses a second claim, naming the failing index, and pays nothing of that call", async () => {
    const { distributor, token, owner, recipients } = await closedEpochs();
    await distributor.connect(owner).claim([22n], [E]);
    const before = await token.balanceOf(recipients.get(11n)!);
    await expect(distributor.connect(owner).claim([11n, 33n, 22n], [E, E, E]))
      .to.be.revertedWithCustomError(distributor, "RewardDistributorAlreadyClaimed")
      .withArgs(2, 22n, E);
    expect(await token.balanceOf(recipients.get(11n)!)).to.equal(before);
    expect(await distributor.pointsOf(11n, E)).to.deep.equal([1n, false]);
    await expect(distributor.connect(owner).claim([22n], [E]))
      .to.be.revertedWithCustomError(distributor, "RewardDistributorAlreadyClaimed")
      .withArgs(0, 22n, E);
  });

  it("refuses an open epoch, a device without points, mismatched lengths", async () => {
    const { distributor, owner } = await closedEpochs();
    await expect(distributor.connect(owner).claim([11n], [E + 2n]))
      .to.be.revertedWithCustomError(distributor, "RewardDistributorEpochNotClosed")
      .withArgs(0, E + 2n);
    await expect(distributor.connect(owner).claim([11n, 55n], [E, E]))
      .to.be.revertedWithCustomError(distributor, "RewardDistributorNothingToClaim")
      .withArgs(1, 55n, E);
    await expect(distributor.connect(owner).claim([11n], []))
      .to.be.revertedWithCustomError(distributor, "RewardDistributorLengthMismatch")
      .withArgs(1, 0);
  });

  it("only Active devices are paid: a suspended device waits, a decommissioned one forfeits", async () => {
    const { distributor, directory, owner, token, recipients } = await closedEpochs();
    await directory.setStatus(22n, Status.Suspended);
    await expect(distributor.connect(owner).claim([22n], [E]))
      .to.be.revertedWithCustomError(distributor, "RewardDistributorDeviceNotActive")
      .withArgs(0, 22n, Status.Suspended);
    await directory.setStatus(22n, Status.Active);
    await distributor.connect(owner).claim([22n], [E]);
    expect(await token.balanceOf(recipients.get(22n)!)).to.equal((2n * EMISSION) / 6n);

    await directory.setStatus(33n, Status.Decommissioned);
    await expect(distributor.connect(owner).claim([33n], [E]))
      .to.be.revertedWithCustomError(distributor, "RewardDistributorDeviceNotActive")
      .withArgs(0, 33n, Status.Decommissioned);
    await directory.setRewardRecipient(11n, "0x0000000000000000000000000000000000000000");
    await expect(distributor.connect(owner).claim([11n], [E]))
      .to.be.revertedWithCustomError(distributor, "RewardDistributorNoRecipient")
      .withArgs(0, 11n);
  });
});
