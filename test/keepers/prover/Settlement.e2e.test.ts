/**
 * End to end on the real stack: readings stored → sealed (Sequencer) → committed on-chain (DA
 * keeper, real DataAvailability) → final after the challenge window → real Groth16 proofs
 * (Prover, worker threads, reward_rule_16) → settle() (Submitter, durable tx manager) → epoch
 * closed (EpochKeeper, checkUpkeep semantics) → the owner claims and each device account is
 * paid its pro-rata share. Embedded SQLite and the real PostgreSQL.
 */
import { expect } from "chai";
import { rewardPoints, type SignedReading } from "../../../sdk/src/index.js";
import { createLogger } from "../../../keepers/common/log.js";
import { DAY, EMISSION, EPOCH_LENGTH, GENESIS, RULE, setup, type Fixture, type StoreKind } from "./fixture.js";

const DEVICES = [11n, 22n, 33n];

for (const kind of ["sqlite", "postgres"] as StoreKind[]) {
  describe(`Settlement keepers end to end (${kind})`, function () {
    this.timeout(180_000);
    let f: Fixture;

    beforeEach(async () => {
      f = await setup(kind);
      await f.activate(DEVICES);
    });
    afterEach(async () => f.cleanup());

    it("readings → batches → commitments → proofs → settle → epoch close → claims pay the emission pro rata", async () => {
      // Batch 1: a full batch of 16 (device 33 earns 6, capped to 3; misses at both value edges).
      const b1 = f.readings([
        ...Array.from({ length: 6 }, (_, i) => ({ deviceId: 33n, value: 150n, offset: BigInt(i) })),
        { deviceId: 11n, value: 100n, offset: 10n },
        { deviceId: 11n, value: 200n, offset: 11n },
        { deviceId: 11n, value: 99n, offset: 12n },
        { deviceId: 11n, value: 201n, offset: 13n },
        ...Array.from({ length: 6 }, (_, i) => ({ deviceId: 22n, value: i % 2 === 0 ? 120n : 5n, offset: 20n + BigInt(i) })),
      ]);
      // Batch 2: partial (sealed by the window), one reading stamped after the epoch's end.
      const b2 = f.readings([
        { deviceId: 22n, value: 130n, offset: 100n },
        { deviceId: 11n, value: 140n, offset: 101n },
        { deviceId: 11n, value: 140n, offset: EPOCH_LENGTH + 5n },
      ]);
      expect(await f.ingestAndCommit([b1, b2])).to.deep.equal([1n, 2n]);

      const prover = await f.makeProver({ workers: 2 });
      const submitter = await f.makeSubmitter();
      const keeper = await f.makeEpochKeeper();
      try {
        // Not final yet (inside the DA challenge window): nothing is proven, nothing settles.
        expect(await prover.proveDue()).to.deep.equal([]);
        expect(await f.store.getProof(1n)).to.equal(null);

        await f.networkHelpers.time.increase(DAY + 1n);
        expect((await prover.proveDue()).sort()).to.deep.equal([1n, 2n]);
        for (const id of [1n, 2n]) expect((await f.store.getProof(id))!.status).to.equal("proven");
        // A second pass is a no-op (one proof per batch id).
        expect(await prover.proveDue()).to.deep.equal([]);

        expect(await submitter.submitPending()).to.deep.equal([1n, 2n]);
        const expected = new Map<bigint, bigint>();
        for (const b of [b1, b2] as SignedReading[][]) {
          const window = { start: GENESIS + f.epoch * EPOCH_LENGTH, end: GENESIS + (f.epoch + 1n) * EPOCH_LENGTH };
          for (const p of rewardPoints(b, RULE, window)) expected.set(p.deviceId, (expected.get(p.deviceId) ?? 0n) + p.points);
        }
        // The reference rule's result, also written out: 33 → 3 (capped), 11 → 2 + 1, 22 → 3 + 1.
        expect(Object.fromEntries([...expected].map(([d, p]) => [d.toString(), p]))).to.deep.equal({
          "11": 3n,
          "22": 4n,
          "33": 3n,
        });
        expect(await f.settlements()).to.deep.equal([
          [1n, 8n],
          [2n, 2n],
        ]);
        for (const [d, pts] of expected) expect((await f.distributor.pointsOf(d, f.epoch))[0]).to.equal(pts);
        for (const id of [1n, 2n]) {
          const p = (await f.store.getProof(id))!;
          expect(p.status).to.equal("settled");
          expect(p.settleTx).to.match(/^0x[0-9a-f]{64}$/);
        }
        // Submitter again: nothing left, nothing sent.
        expect(await submitter.submitPending()).to.deep.equal([]);
        expect(await f.settlements()).to.have.length(2);

        // The epoch closes only after its settlement deadline.
        expect(await keeper.closeDue()).to.deep.equal([]);
        await f.networkHelpers.time.increaseTo(await f.distributor.closableAt(f.epoch));
        expect(await keeper.closeDue()).to.deep.equal([f.epoch]);
        expect(await keeper.closeDue()).to.deep.equal([]);
        const info = await f.distributor.epochInfo(f.epoch);
        expect(info.closed).to.equal(true);
        expect(info.totals.totalPoints).to.equal(10n);
        expect(info.totals.emission).to.equal(EMISSION);

        await f.distributor.connect(f.owner).claim(
          DEVICES,
          DEVICES.map(() => f.epoch),
        );
        let paid = 0n;
        for (const [d, pts] of expected) {
          const share = (pts * EMISSION) / 10n;
          expect(await f.token.balanceOf(f.recipients.get(d)!)).to.equal(share);
          paid += share;
        }
        expect(EMISSION - paid < BigInt(DEVICES.length)).to.equal(true);
      } finally {
        await prover.close();
        await submitter.close();
        await keeper.close();
      }
    });

    it("a batch in which nothing earns is proven and settled with a warning that says why, and a metric", async () => {
      // Values outside the rule (100..200): the network is misconfigured, not broken.
      const b = f.readings([
        { deviceId: 11n, value: 5n, offset: 1n },
        { deviceId: 22n, value: 999n, offset: 2n },
      ]);
      expect(await f.ingestAndCommit([b])).to.deep.equal([1n]);
      const lines: string[] = [];
      const prover = await f.makeProver({}, createLogger({ level: "info", write: (l) => lines.push(l) }));
      try {
        await f.networkHelpers.time.increase(DAY + 1n);
        expect(await prover.proveDue()).to.deep.equal([1n]);
        const warn = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.at === "Prover#zeroPoints");
        expect(warn, lines.join("\n")).to.not.equal(undefined);
        expect(warn).to.include({ level: "warn", batchId: "1", valuesOutsideRule: 2, timestampsOutsideEpoch: 0 });
        expect(String(warn!.hint)).to.include("outside the governed rule");
        expect(await prover.registry.getSingleMetricAsString("depin_prover_zero_point_batches_total")).to.match(/ 1$/m);
      } finally {
        await prover.close();
      }
    });
  });
}
