/**
 * Issue 12, finding 1: the same readings paid many times. A sequencer re-commits a root it already
 * committed (one proof settles every copy: the proof's public signals hold the root, not the batch
 * id), or repeats a reading (deviceId, seq) inside one batch or across batches (every signature is
 * valid, so a signature challenge cannot catch it). Commits of a known root are refused; a
 * duplicate challenge invalidates the later batch and slashes its sequencer.
 */
import { expect } from "chai";
import { network } from "hardhat";
import type { SignedReading } from "../../sdk/src/index.js";
import { proveBatch, settleArgs, type ProvenBatch } from "../rewards/prove.js";
import { batchOf, EPOCH_LENGTH, GENESIS, type ReadingSpec } from "../rewards/readings.js";
import { FIRST_EPOCH, RULE, SLOTS, DEPTH } from "../rewards/distributor.fixture.js";
import { asChallenge, committedLeaf, deployDa, honestReadings, ONE_ETHER, PARAMS, type DaFixture } from "./fixture.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const STATUS = { None: 0n, Committed: 1n, Invalidated: 2n };
const REWARD = (PARAMS.slashAmount * PARAMS.challengerRewardBps) / 10_000n;

describe("DataAvailability — the same readings paid twice (duplicates)", function () {
  const deployment = (): Promise<DaFixture> => deployDa(connection);
  const load = (): Promise<DaFixture> => networkHelpers.loadFixture(deployment);

  /** An honest reading of device 1 that no fixture batch holds. */
  function reading(f: DaFixture, seq: bigint, value = 10n): SignedReading {
    return f.sign(f.devices.secp.key, { deviceId: f.devices.secp.id, seq, timestamp: 1_700_000_100n + seq, value });
  }

  /** Every observable of the DA a refused call must leave unchanged. */
  async function state(f: DaFixture, ids: bigint[]) {
    const s = await f.da.sequencer(f.sequencer.address);
    return {
      batches: await Promise.all(ids.map(async (id) => (await f.da.getBatch(id)).status)),
      bond: s.bond,
      locked: s.lockedBatches,
      slashed: await f.da.slashedFunds(),
      next: await f.da.nextBatchId(),
    };
  }

  describe("a root committed twice", function () {
    it("is refused with the first batch's id, and nothing stored changes", async function () {
      const f = await load();
      const batch = f.makeBatch(honestReadings(f), 1);
      const id = await f.commit(batch);
      expect(await f.da.batchOfRoot(batch.root)).to.equal(id);
      const before = await state(f, [id]);
      // Same root under the next id, with any shape, epoch or uri.
      await expect(f.da.connect(f.sequencer).commitBatch(id + 1n, batch.root, 4, 1, 1, "da://copy"))
        .to.be.revertedWithCustomError(f.da, "DataAvailabilityRootAlreadyCommitted")
        .withArgs(batch.root, id);
      await expect(f.da.connect(f.sequencer).commitBatch(id + 1n, batch.root, 16, 2, 2, ""))
        .to.be.revertedWithCustomError(f.da, "DataAvailabilityRootAlreadyCommitted")
        .withArgs(batch.root, id);
      expect(await state(f, [id])).to.deep.equal(before);
      expect((await f.da.getBatch(id + 1n)).status).to.equal(STATUS.None);
    });

    it("stays refused after the first batch was invalidated, and from another sequencer", async function () {
      const f = await load();
      const forged = f.sign(f.devices.stranger, { deviceId: f.devices.secp.id, seq: 9n, timestamp: 1_700_000_000n, value: 1n });
      const batch = f.makeBatch([forged], 0);
      const id = await f.commit(batch);
      await f.da.connect(f.challenger).challengeSignature(id, asChallenge(forged), 0, []);
      await f.da.connect(f.admin).addSequencer(f.other.address);
      await f.da.connect(f.other).depositBond({ value: ONE_ETHER });
      await expect(f.da.connect(f.other).commitBatch(id + 1n, batch.root, 1, 0, 1, ""))
        .to.be.revertedWithCustomError(f.da, "DataAvailabilityRootAlreadyCommitted")
        .withArgs(batch.root, id);
    });
  });

  describe("a reading repeated in a later batch", function () {
    it("is challenged: the later batch is invalidated, its sequencer slashed, the challenger paid", async function () {
      const f = await load();
      const b1 = f.makeBatch([reading(f, 1n), reading(f, 2n), reading(f, 3n)], 1);
      // Batch 2 repeats reading seq 2 (same signature) among new ones: a different root.
      const b2 = f.makeBatch([reading(f, 4n), reading(f, 5n), b1.readings[1], reading(f, 6n), reading(f, 7n)], 2);
      const id1 = await f.commit(b1);
      const id2 = await f.commit(b2);
      const tx = f.da.connect(f.challenger).challengeDuplicate(committedLeaf(b1, id1, 1), committedLeaf(b2, id2, 2));
      await expect(tx).to.emit(f.da, "BatchInvalidated").withArgs(id2, f.challenger.address, 2n, b2.leaves[2]);
      await expect(tx).to.emit(f.da, "DuplicateReadingProven").withArgs(id2, 2n, id1, 1n, f.devices.secp.id, 2n);
      await expect(tx)
        .to.emit(f.da, "SequencerSlashed")
        .withArgs(f.sequencer.address, id2, f.challenger.address, PARAMS.slashAmount, REWARD);
      await expect(tx).to.changeEtherBalances(ethers, [f.challenger, f.da], [REWARD, -REWARD]);
      expect((await f.da.getBatch(id2)).status).to.equal(STATUS.Invalidated);
      expect((await f.da.getBatch(id1)).status).to.equal(STATUS.Committed);
      expect((await f.da.sequencer(f.sequencer.address)).bond).to.equal(2n * ONE_ETHER - PARAMS.slashAmount);
      expect(await f.da.slashedFunds()).to.equal(PARAMS.slashAmount - REWARD);
      // The earlier batch, holding the first copy, is untouched and becomes final.
      await networkHelpers.time.increase(PARAMS.challengeWindow);
      expect(await f.da.isFinal(id1)).to.equal(true);
      expect(await f.da.isFinal(id2)).to.equal(false);
    });

    it("takes the two leaves in either order and catches a copy whose value or signature differs", async function () {
      const f = await load();
      const b1 = f.makeBatch([reading(f, 1n, 150n)], 0);
      // Same (deviceId, seq), another value (signed again by the device key): a second credit.
      const b2 = f.makeBatch([reading(f, 8n), reading(f, 1n, 160n)], 1);
      const id1 = await f.commit(b1);
      const id2 = await f.commit(b2);
      await expect(f.da.connect(f.challenger).challengeDuplicate(committedLeaf(b2, id2, 1), committedLeaf(b1, id1, 0)))
        .to.emit(f.da, "DuplicateReadingProven")
        .withArgs(id2, 1n, id1, 0n, f.devices.secp.id, 1n);
      expect((await f.da.getBatch(id2)).status).to.equal(STATUS.Invalidated);
    });

    it("may cite an earlier batch that is already final", async function () {
      const f = await load();
      const b1 = f.makeBatch([reading(f, 1n)], 0);
      const id1 = await f.commit(b1);
      await networkHelpers.time.increase(PARAMS.challengeWindow);
      expect(await f.da.isFinal(id1)).to.equal(true);
      const b2 = f.makeBatch([reading(f, 2n), reading(f, 1n)], 1);
      const id2 = await f.commit(b2);
      await expect(f.da.connect(f.challenger).challengeDuplicate(committedLeaf(b1, id1, 0), committedLeaf(b2, id2, 1))).to.emit(
        f.da,
        "BatchInvalidated",
      );
    });
  });

  describe("a reading repeated inside one batch", function () {
    it("is challenged: the batch is invalidated and its sequencer slashed", async function () {
      const f = await load();
      const r = reading(f, 1n);
      const batch = f.makeBatch([r, reading(f, 2n), r, reading(f, 3n)], 1);
      const id = await f.commit(batch);
      const tx = f.da.connect(f.challenger).challengeDuplicate(committedLeaf(batch, id, 2), committedLeaf(batch, id, 0));
      await expect(tx).to.emit(f.da, "BatchInvalidated").withArgs(id, f.challenger.address, 2n, batch.leaves[2]);
      await expect(tx).to.emit(f.da, "DuplicateReadingProven").withArgs(id, 2n, id, 0n, f.devices.secp.id, 1n);
      await expect(tx)
        .to.emit(f.da, "SequencerSlashed")
        .withArgs(f.sequencer.address, id, f.challenger.address, PARAMS.slashAmount, REWARD);
      expect((await f.da.getBatch(id)).status).to.equal(STATUS.Invalidated);
    });
  });

  describe("challenges that must fail (honest batches are never invalidated)", function () {
    async function twoBatches(f: DaFixture) {
      const b1 = f.makeBatch([reading(f, 1n), reading(f, 2n)], 1);
      const b2 = f.makeBatch([reading(f, 3n), reading(f, 1n), reading(f, 4n)], 1);
      const id1 = await f.commit(b1);
      const id2 = await f.commit(b2);
      return { b1, b2, id1, id2 };
    }

    it("readings that differ in seq or in device", async function () {
      const f = await load();
      await f.da.connect(f.sequencer).depositBond({ value: 2n * ONE_ETHER }); // four open batches below
      const { b1, b2, id1, id2 } = await twoBatches(f);
      const before = await state(f, [id1, id2]);
      await expect(f.da.connect(f.challenger).challengeDuplicate(committedLeaf(b1, id1, 1), committedLeaf(b2, id2, 2)))
        .to.be.revertedWithCustomError(f.da, "DataAvailabilityNotDuplicate")
        .withArgs(f.devices.secp.id, 2n, f.devices.secp.id, 4n);
      // Same seq, another device (honest readings of two devices).
      const other = f.makeBatch(
        [f.sign(f.devices.p256.key, { deviceId: f.devices.p256.id, seq: 3n, timestamp: 1_700_000_000n, value: 1n })],
        0,
      );
      const id3 = await f.commit(other);
      await expect(f.da.connect(f.challenger).challengeDuplicate(committedLeaf(b2, id2, 0), committedLeaf(other, id3, 0)))
        .to.be.revertedWithCustomError(f.da, "DataAvailabilityNotDuplicate")
        .withArgs(f.devices.secp.id, 3n, f.devices.p256.id, 3n);
      // Every pair of distinct leaves of an honest batch.
      const honest = f.makeBatch(honestReadings(f), 1);
      const id4 = await f.commit(honest);
      for (let i = 0; i < 4; i++) {
        for (let j = i + 1; j < 4; j++) {
          await expect(
            f.da.connect(f.challenger).challengeDuplicate(committedLeaf(honest, id4, i), committedLeaf(honest, id4, j)),
          ).to.be.revertedWithCustomError(f.da, "DataAvailabilityNotDuplicate");
        }
      }
      expect(await state(f, [id1, id2])).to.deep.equal({ ...before, next: id4 + 1n, locked: 4n });
      expect((await f.da.getBatch(id4)).status).to.equal(STATUS.Committed);
    });

    it("the same leaf named twice", async function () {
      const f = await load();
      const { b2, id1, id2 } = await twoBatches(f);
      const before = await state(f, [id1, id2]);
      await expect(f.da.connect(f.challenger).challengeDuplicate(committedLeaf(b2, id2, 1), committedLeaf(b2, id2, 1)))
        .to.be.revertedWithCustomError(f.da, "DataAvailabilitySameLeaf")
        .withArgs(id2, 1n);
      expect(await state(f, [id1, id2])).to.deep.equal(before);
    });

    it("an earlier copy in a batch that was already invalidated (its readings credit nothing)", async function () {
      const f = await load();
      const forged = f.sign(f.devices.stranger, { deviceId: f.devices.p256.id, seq: 1n, timestamp: 1_700_000_000n, value: 1n });
      const b1 = f.makeBatch([reading(f, 1n), forged], 1);
      const id1 = await f.commit(b1);
      await f.da.connect(f.challenger).challengeSignature(id1, asChallenge(forged), 1, b1.proof(1).siblings);
      // The sequencer re-batches the honest reading of the invalidated batch: honest.
      const b2 = f.makeBatch([reading(f, 1n)], 0);
      const id2 = await f.commit(b2);
      const before = await state(f, [id1, id2]);
      await expect(f.da.connect(f.challenger).challengeDuplicate(committedLeaf(b1, id1, 0), committedLeaf(b2, id2, 0)))
        .to.be.revertedWithCustomError(f.da, "DataAvailabilityBatchInvalidated")
        .withArgs(id1);
      expect(await state(f, [id1, id2])).to.deep.equal(before);
      await networkHelpers.time.increase(PARAMS.challengeWindow);
      expect(await f.da.isFinal(id2)).to.equal(true);
    });

    it("a later batch whose challenge window is over, or that is already invalidated", async function () {
      const f = await load();
      const { b1, b2, id1, id2 } = await twoBatches(f);
      const deadline = await f.da.challengeDeadline(id2);
      await networkHelpers.time.increaseTo(deadline);
      const before = await state(f, [id1, id2]);
      await expect(f.da.connect(f.challenger).challengeDuplicate(committedLeaf(b1, id1, 0), committedLeaf(b2, id2, 1)))
        .to.be.revertedWithCustomError(f.da, "DataAvailabilityChallengeWindowClosed")
        .withArgs(id2, deadline);
      expect(await state(f, [id1, id2])).to.deep.equal(before);

      const g = await load();
      const t = await twoBatches(g);
      await g.da.connect(g.challenger).challengeDuplicate(committedLeaf(t.b1, t.id1, 0), committedLeaf(t.b2, t.id2, 1));
      await expect(g.da.connect(g.other).challengeDuplicate(committedLeaf(t.b1, t.id1, 0), committedLeaf(t.b2, t.id2, 1)))
        .to.be.revertedWithCustomError(g.da, "DataAvailabilityBatchInvalidated")
        .withArgs(t.id2);
    });

    it("a bad inclusion proof of either leaf, a wrong index, a padding slot or an unknown batch", async function () {
      const f = await load();
      const { b1, b2, id1, id2 } = await twoBatches(f);
      const before = await state(f, [id1, id2]);
      const good1 = committedLeaf(b1, id1, 0);
      const good2 = committedLeaf(b2, id2, 1);
      const da = f.da.connect(f.challenger);
      // A leaf that is not in its batch: the copy claimed in batch 1 is not there.
      const fake = { ...good1, reading: { ...good1.reading, value: good1.reading.value + 1n } };
      const fakeLeaf = await f.da.leafOf(fake.reading);
      await expect(da.challengeDuplicate(fake, good2))
        .to.be.revertedWithCustomError(f.da, "DataAvailabilityInvalidInclusionProof")
        .withArgs(id1, 0n, fakeLeaf);
      // A sibling changed in the later leaf's proof.
      const badSibs = good2.siblings.map((t) => [...t] as [bigint, bigint, bigint]);
      badSibs[0][0] += 1n;
      await expect(da.challengeDuplicate(good1, { ...good2, siblings: badSibs }))
        .to.be.revertedWithCustomError(f.da, "DataAvailabilityInvalidInclusionProof")
        .withArgs(id2, 1n, b2.leaves[1]);
      // The right leaf at another slot.
      await expect(da.challengeDuplicate({ ...good1, index: 1n }, good2))
        .to.be.revertedWithCustomError(f.da, "DataAvailabilityInvalidInclusionProof")
        .withArgs(id1, 1n, b1.leaves[0]);
      // A padding slot (index >= leafCount) and a proof of the wrong depth.
      await expect(da.challengeDuplicate({ ...good1, index: 2n }, good2))
        .to.be.revertedWithCustomError(f.da, "DataAvailabilityBadProofShape")
        .withArgs(id1, 2n, 1n);
      await expect(da.challengeDuplicate({ ...good1, siblings: [] }, good2))
        .to.be.revertedWithCustomError(f.da, "DataAvailabilityBadProofShape")
        .withArgs(id1, 0n, 0n);
      // A batch that was never committed, on either side.
      await expect(da.challengeDuplicate({ ...good1, batchId: 0n }, good2))
        .to.be.revertedWithCustomError(f.da, "DataAvailabilityUnknownBatch")
        .withArgs(0n);
      await expect(da.challengeDuplicate(good1, { ...good2, batchId: 9n }))
        .to.be.revertedWithCustomError(f.da, "DataAvailabilityUnknownBatch")
        .withArgs(9n);
      expect(await state(f, [id1, id2])).to.deep.equal(before);
    });
  });
});

describe("DataAvailability + RewardDistributor — a duplicated batch cannot be settled (real proofs)", function () {
  const E = FIRST_EPOCH;
  const SETTLEMENT_DELAY = 2n * 86_400n; // > the DA challenge window (1 day)
  // Batch A: devices 11 and 22; batch B repeats A's first reading (device 11, seq 0) among new ones.
  const SPECS_A: ReadingSpec[] = [
    { deviceId: 11n, value: 150n, offset: 1n },
    { deviceId: 11n, value: 160n, offset: 2n },
    { deviceId: 22n, value: 170n, offset: 3n },
  ];
  let A: ProvenBatch;
  let B: ProvenBatch;

  before(async function () {
    const a = batchOf(E, SPECS_A);
    const fresh = batchOf(E, [
      { deviceId: 33n, value: 150n, offset: 4n },
      { deviceId: 33n, value: 150n, offset: 5n },
    ]);
    A = await proveBatch(a, E, RULE);
    B = await proveBatch([a[0], ...fresh], E, RULE);
  });

  const deployment = async () => {
    await networkHelpers.time.increaseTo(GENESIS + E * EPOCH_LENGTH + 60n);
    const f = await deployDa(connection);
    const emission = await ethers.deployContract("RewardEmissionMock", [GENESIS, EPOCH_LENGTH, 10n ** 24n]);
    const distributor = await ethers.deployContract("RewardDistributor", [
      await f.da.getAddress(),
      await emission.getAddress(),
      await f.directory.getAddress(),
      f.admin.address,
      SETTLEMENT_DELAY,
      E,
      { minValue: RULE.minValue, maxValue: RULE.maxValue, capPerBatch: RULE.capPerBatch },
    ]);
    const verifier = await ethers.deployContract("RewardRule16Verifier");
    await distributor.setVerifier(DEPTH, await verifier.getAddress(), SLOTS);
    await f.da.connect(f.admin).setBatchConsumer(await distributor.getAddress());
    return { ...f, distributor };
  };
  const load = () => networkHelpers.loadFixture(deployment);
  /** A proven batch as the DA fixture's Batch (sdk leaves and proofs of the same readings). */
  const asBatch = (f: DaFixture, p: ProvenBatch) => f.makeBatch(p.readings, DEPTH);
  const commit = async (f: DaFixture, p: ProvenBatch) => {
    const id = await f.da.nextBatchId();
    await f.da.connect(f.sequencer).commitBatch(id, p.job.root, p.readings.length, DEPTH, E, `da://batch/${id}`);
    return id;
  };

  it("the same root is refused, so one proof settles once", async function () {
    const f = await load();
    const id = await commit(f, A);
    await expect(f.da.connect(f.sequencer).commitBatch(id + 1n, A.job.root, A.readings.length, DEPTH, E, ""))
      .to.be.revertedWithCustomError(f.da, "DataAvailabilityRootAlreadyCommitted")
      .withArgs(A.job.root, id);
    await networkHelpers.time.increase(PARAMS.challengeWindow);
    const s = settleArgs(A);
    await expect(f.distributor.settle(id, 0n, s.deviceWords, s.proof))
      .to.emit(f.distributor, "BatchSettled")
      .withArgs(id, E, 0n, 3n);
    await expect(f.distributor.settle(id + 1n, 0n, s.deviceWords, s.proof))
      .to.be.revertedWithCustomError(f.distributor, "RewardDistributorBatchNotCommitted")
      .withArgs(id + 1n, STATUS.None);
  });

  it("a batch repeating a reading of an earlier batch is invalidated; its valid proof is refused, the earlier batch settles", async function () {
    const f = await load();
    const id1 = await commit(f, A);
    const id2 = await commit(f, B);
    expect(B.job.root).to.not.equal(A.job.root);
    await expect(
      f.da.connect(f.challenger).challengeDuplicate(committedLeaf(asBatch(f, A), id1, 0), committedLeaf(asBatch(f, B), id2, 0)),
    )
      .to.emit(f.da, "SequencerSlashed")
      .withArgs(f.sequencer.address, id2, f.challenger.address, PARAMS.slashAmount, REWARD);
    await networkHelpers.time.increase(PARAMS.challengeWindow);
    const sb = settleArgs(B);
    // The proof is valid for B's root, yet B never settles: device 11 is not paid twice for seq 0.
    await expect(f.distributor.settle(id2, 0n, sb.deviceWords, sb.proof))
      .to.be.revertedWithCustomError(f.distributor, "RewardDistributorBatchNotCommitted")
      .withArgs(id2, STATUS.Invalidated);
    const sa = settleArgs(A);
    await expect(f.distributor.settle(id1, 0n, sa.deviceWords, sa.proof))
      .to.emit(f.distributor, "BatchSettled")
      .withArgs(id1, E, 0n, 3n);
    expect((await f.distributor.pointsOf(11n, E))[0]).to.equal(2n);
    expect((await f.distributor.pointsOf(33n, E))[0]).to.equal(0n);
  });
});
