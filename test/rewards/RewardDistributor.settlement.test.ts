import { expect } from "chai";
import { network } from "hardhat";
import { packDeviceWords, SNARK_SCALAR_FIELD } from "../../sdk/src/index.js";
import { batchOf, EPOCH_LENGTH, GENESIS, type ReadingSpec } from "./readings.js";
import { proveBatch, settleArgs, type ProvenBatch } from "./prove.js";
import { deployRewards, DEPTH, EMISSION, FIRST_EPOCH, RULE, SETTLEMENT_DELAY, SLOTS } from "./distributor.fixture.js";

const E = FIRST_EPOCH;

// Batch A: devices 11 (2 points), 22 (1), 33 (5 earning, capped to 3); misses at every edge.
const SPECS_A: ReadingSpec[] = [
  { deviceId: 11n, value: 100n, offset: 0n },
  { deviceId: 11n, value: 200n, offset: EPOCH_LENGTH - 1n },
  { deviceId: 11n, value: 99n, offset: 5n },
  { deviceId: 11n, value: 201n, offset: 6n },
  { deviceId: 22n, value: 150n, offset: EPOCH_LENGTH },
  { deviceId: 22n, value: 150n, offset: 10n },
  ...[11n, 12n, 13n, 14n, 15n].map((o) => ({ deviceId: 33n, value: 150n, offset: o })),
];
// Batch B: devices 22 (2) and 44 (3).
const SPECS_B: ReadingSpec[] = [
  { deviceId: 22n, value: 120n, offset: 100n },
  { deviceId: 22n, value: 130n, offset: 101n },
  { deviceId: 44n, value: 140n, offset: 102n },
  { deviceId: 44n, value: 140n, offset: 103n },
  { deviceId: 44n, value: 140n, offset: 104n },
];
const DEVICES = [11n, 22n, 33n, 44n];

describe("RewardDistributor: readings → committed batch → real proof → points → close → claims", function () {
  let A: ProvenBatch;
  let B: ProvenBatch;
  let next: ProvenBatch; // epoch E+1, proven under a new rule version
  const NEW_RULE = { ...RULE, capPerBatch: 2n };

  before(async function () {
    A = await proveBatch(batchOf(E, SPECS_A), E, RULE);
    B = await proveBatch(batchOf(E, SPECS_B), E, RULE);
    next = await proveBatch(batchOf(E + 1n, SPECS_A), E + 1n, NEW_RULE);
  });

  async function setup() {
    const { ethers, networkHelpers } = await network.create();
    const f = await deployRewards(ethers, networkHelpers, DEVICES);
    const commit = async (id: number, p: ProvenBatch, epoch = p.epoch, final = true) => {
      await f.da.commit(id, p.job.root, p.readings.length, DEPTH, epoch);
      if (final) await f.da.setFinal(id, true);
    };
    const settle = (id: number, p: ProvenBatch, version = 0n) => {
      const s = settleArgs(p);
      return f.distributor.settle(id, version, s.deviceWords, s.proof);
    };
    return { ...f, ethers, networkHelpers, commit, settle };
  }

  it("end to end: settled points, epoch closed by Automation, claims sum to the emission within 1 unit per device-epoch", async () => {
    const { distributor, token, owner, commit, settle, networkHelpers, recipients, emission } = await setup();
    await commit(1, A);
    await commit(2, B);
    await expect(settle(1, A)).to.emit(distributor, "BatchSettled").withArgs(1, E, 0, 6);
    await expect(settle(2, B)).to.emit(distributor, "BatchSettled").withArgs(2, E, 0, 5);
    const expected = new Map([
      [11n, 2n],
      [22n, 3n],
      [33n, 3n],
      [44n, 3n],
    ]);
    for (const [d, pts] of expected) expect((await distributor.pointsOf(d, E))[0]).to.equal(pts);
    expect((await distributor.epochInfo(E)).totals.totalPoints).to.equal(11n);

    const [needed0] = await distributor.checkUpkeep("0x");
    expect(needed0).to.equal(false);
    await networkHelpers.time.increaseTo(GENESIS + (E + 1n) * EPOCH_LENGTH + SETTLEMENT_DELAY);
    const [needed, data] = await distributor.checkUpkeep("0x");
    expect(needed).to.equal(true);
    await expect(distributor.performUpkeep(data)).to.emit(distributor, "EpochClosed").withArgs(E, 11n, EMISSION);
    expect(await token.balanceOf(await distributor.getAddress())).to.equal(EMISSION);
    expect(await emission.emissionFor(E)).to.equal(EMISSION);

    // The owner claims all four devices in one call; each device's account receives its share.
    const tx = distributor.connect(owner).claim(
      DEVICES,
      DEVICES.map(() => E),
    );
    const share = (pts: bigint) => (pts * EMISSION) / 11n;
    await expect(tx).to.emit(distributor, "RewardClaimed").withArgs(33n, E, recipients.get(33n), 3n, share(3n));
    let paid = 0n;
    for (const [d, pts] of expected) {
      expect(await token.balanceOf(recipients.get(d)!)).to.equal(share(pts));
      paid += share(pts);
    }
    const dust = EMISSION - paid;
    expect(dust >= 0n && dust < BigInt(DEVICES.length)).to.equal(true);
    expect(await token.balanceOf(await distributor.getAddress())).to.equal(dust);
  });

  it("rejects a proof for an uncommitted, an invalidated (challenged) or a not yet final batch", async () => {
    const { distributor, da, commit, settle } = await setup();
    await expect(settle(7, A)).to.be.revertedWithCustomError(distributor, "RewardDistributorBatchNotCommitted").withArgs(7, 0);
    await commit(1, A);
    await da.invalidate(1);
    await expect(settle(1, A)).to.be.revertedWithCustomError(distributor, "RewardDistributorBatchNotCommitted").withArgs(1, 2);
    await commit(2, A, E, false);
    await expect(settle(2, A)).to.be.revertedWithCustomError(distributor, "RewardDistributorBatchNotFinal").withArgs(2);
    expect((await distributor.epochInfo(E)).totals.totalPoints).to.equal(0n);
  });

  it("rejects a replayed proof: the same batch twice, or the proof on another batch", async () => {
    const { distributor, commit, settle } = await setup();
    await commit(1, A);
    await settle(1, A);
    await expect(settle(1, A)).to.be.revertedWithCustomError(distributor, "RewardDistributorBatchAlreadySettled").withArgs(1);
    await commit(2, B);
    await expect(settle(2, A)).to.be.revertedWithCustomError(distributor, "RewardDistributorInvalidProof").withArgs(2);
    expect((await distributor.epochInfo(E)).totals.totalPoints).to.equal(6n);
    expect((await distributor.pointsOf(11n, E))[0]).to.equal(2n);
  });

  it("rejects forged points and a proof against another epoch's batch", async () => {
    const { distributor, commit, settle } = await setup();
    await commit(1, A);
    const s = settleArgs(A);
    const [p11, p22, p33] = A.job.points;
    for (const forged of [
      [{ ...p11, points: 3n }, p22, p33],
      [p11, p22, { ...p33, deviceId: 34n }],
      [p11, p22],
    ]) {
      await expect(distributor.settle(1, 0, packDeviceWords(forged, SLOTS), s.proof))
        .to.be.revertedWithCustomError(distributor, "RewardDistributorInvalidProof")
        .withArgs(1);
    }
    // The DA says the same root belongs to epoch E+1: the proof (for E's window) does not verify.
    await commit(2, A, E + 1n);
    await expect(settle(2, A)).to.be.revertedWithCustomError(distributor, "RewardDistributorInvalidProof").withArgs(2);
    await expect(distributor.settle(1, 0, [...s.deviceWords, 0n], s.proof))
      .to.be.revertedWithCustomError(distributor, "RewardDistributorBadDeviceWords")
      .withArgs(3, 2);
    // Words past their 192-bit layout, or past the field, never verify.
    await expect(distributor.settle(1, 0, [s.deviceWords[0] + (1n << 192n), s.deviceWords[1]], s.proof))
      .to.be.revertedWithCustomError(distributor, "RewardDistributorInvalidProof")
      .withArgs(1);
    await expect(distributor.settle(1, 0, [s.deviceWords[0] + SNARK_SCALAR_FIELD, s.deviceWords[1]], s.proof))
      .to.be.revertedWithCustomError(distributor, "RewardDistributorInvalidProof")
      .withArgs(1);
  });

  it("rejects a batch of a closed epoch and a depth without verifier", async () => {
    const { distributor, da, commit, settle, networkHelpers } = await setup();
    await da.commit(5, A.job.root, A.readings.length, 5, E);
    await da.setFinal(5, true);
    await expect(settle(5, A)).to.be.revertedWithCustomError(distributor, "RewardDistributorNoVerifier").withArgs(5);
    await commit(1, A, E - 1n); // before the first epoch: never payable
    await expect(settle(1, A))
      .to.be.revertedWithCustomError(distributor, "RewardDistributorEpochClosed")
      .withArgs(1, E - 1n);
    await networkHelpers.time.increaseTo(await distributor.closableAt(E));
    await distributor.closeEpoch(E);
    await commit(2, A);
    await expect(settle(2, A)).to.be.revertedWithCustomError(distributor, "RewardDistributorEpochClosed").withArgs(2, E);
  });

  it("applies a rule change only from a future epoch and rejects proofs for the stale rule", async () => {
    const { distributor, admin, commit, settle, networkHelpers } = await setup();
    await expect(distributor.connect(admin).scheduleRule(E, NEW_RULE))
      .to.be.revertedWithCustomError(distributor, "RewardDistributorRuleNotFuture")
      .withArgs(E, E + 1n);
    await expect(distributor.scheduleRule(E + 1n, NEW_RULE))
      .to.emit(distributor, "RuleScheduled")
      .withArgs(1, E + 1n, 100, 200, 2);
    expect(await distributor.ruleVersionFor(E)).to.equal(0n);
    expect(await distributor.ruleVersionFor(E + 1n)).to.equal(1n);

    // Epoch E still settles under version 0.
    await commit(1, A);
    await expect(settle(1, A, 1n))
      .to.be.revertedWithCustomError(distributor, "RewardDistributorStaleRule")
      .withArgs(1, 1, 0);
    await settle(1, A, 0n);

    // Epoch E+1: a proof built for the old parameters is refused, by version or by the verifier.
    await networkHelpers.time.increaseTo(GENESIS + (E + 1n) * EPOCH_LENGTH + 10n);
    const old = await proveBatch(batchOf(E + 1n, SPECS_A), E + 1n, RULE);
    await commit(2, old);
    await expect(settle(2, old, 0n))
      .to.be.revertedWithCustomError(distributor, "RewardDistributorStaleRule")
      .withArgs(2, 0, 1);
    await expect(settle(2, old, 1n))
      .to.be.revertedWithCustomError(distributor, "RewardDistributorInvalidProof")
      .withArgs(2);
    await settle(2, next, 1n);
    expect((await distributor.pointsOf(33n, E + 1n))[0]).to.equal(2n); // the new cap
    expect((await distributor.pointsOf(33n, E))[0]).to.equal(3n); // E unchanged
  });

  it("closes epochs in order, only after the settlement deadline", async () => {
    const { distributor, networkHelpers, ethers } = await setup();
    const at = await distributor.closableAt(E);
    expect(at).to.equal(GENESIS + (E + 1n) * EPOCH_LENGTH + SETTLEMENT_DELAY);
    await expect(distributor.closeEpoch(E))
      .to.be.revertedWithCustomError(distributor, "RewardDistributorEpochNotClosable")
      .withArgs(E, at);
    // Automation re-validates: performData from an early or forged check closes nothing.
    const [needed, data] = await distributor.checkUpkeep("0x");
    expect(needed).to.equal(false);
    await expect(distributor.performUpkeep(data))
      .to.be.revertedWithCustomError(distributor, "RewardDistributorEpochNotClosable")
      .withArgs(E, at);
    await networkHelpers.time.increaseTo(at);
    const forged = ethers.AbiCoder.defaultAbiCoder().encode(["uint64"], [E + 3n]);
    await expect(distributor.performUpkeep(forged))
      .to.be.revertedWithCustomError(distributor, "RewardDistributorEpochNotNext")
      .withArgs(E + 3n, E);
    await expect(distributor.closeEpoch(E + 1n))
      .to.be.revertedWithCustomError(distributor, "RewardDistributorEpochNotNext")
      .withArgs(E + 1n, E);
    // No points: closes without minting.
    await expect(distributor.closeEpoch(E)).to.emit(distributor, "EpochClosed").withArgs(E, 0, 0);
    await expect(distributor.closeEpoch(E))
      .to.be.revertedWithCustomError(distributor, "RewardDistributorEpochNotNext")
      .withArgs(E, E + 1n);
    expect(await distributor.nextEpochToClose()).to.equal(E + 1n);
  });

  it("governance: only admins schedule rules and set verifiers; bad verifiers are refused", async () => {
    const { distributor, stranger, verifier } = await setup();
    const role = await distributor.RULE_ADMIN_ROLE();
    await expect(distributor.connect(stranger).scheduleRule(E + 5n, RULE))
      .to.be.revertedWithCustomError(distributor, "AccessControlUnauthorizedAccount")
      .withArgs(stranger.address, role);
    await expect(distributor.connect(stranger).setVerifier(DEPTH, await verifier.getAddress(), 4))
      .to.be.revertedWithCustomError(distributor, "AccessControlUnauthorizedAccount")
      .withArgs(stranger.address, await distributor.VERIFIER_ADMIN_ROLE());
    await expect(distributor.setVerifier(DEPTH, stranger.address, 4))
      .to.be.revertedWithCustomError(distributor, "RewardDistributorBadVerifier")
      .withArgs(DEPTH, stranger.address, 4);
    await expect(distributor.setVerifier(DEPTH, await verifier.getAddress(), 3))
      .to.be.revertedWithCustomError(distributor, "RewardDistributorBadVerifier")
      .withArgs(DEPTH, await verifier.getAddress(), 3);
    await expect(distributor.scheduleRule(E + 5n, { minValue: 9, maxValue: 8, capPerBatch: 1 }))
      .to.be.revertedWithCustomError(distributor, "RewardDistributorBadRule")
      .withArgs(9, 8);
    // A pending change can be replaced; an earlier one cannot be slipped in before it.
    await distributor.scheduleRule(E + 5n, RULE);
    await expect(distributor.scheduleRule(E + 5n, { ...RULE, capPerBatch: 9n }))
      .to.emit(distributor, "RuleScheduled")
      .withArgs(1, E + 5n, 100, 200, 9);
    await expect(distributor.scheduleRule(E + 4n, RULE))
      .to.be.revertedWithCustomError(distributor, "RewardDistributorRuleNotFuture")
      .withArgs(E + 4n, E + 5n);
    expect(await distributor.ruleVersionCount()).to.equal(2n);
  });
});
