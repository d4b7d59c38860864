/**
 * Sequencer on SQLite and on the real PostgreSQL: batches by size and time window, never across
 * epochs, consecutive ids, every reading in exactly one batch, roots equal to the shared module's
 * merkleRoot; a crash inside sealing leaves nothing half-done and a restart recomputes the same
 * roots; several sequencers on one PostgreSQL never produce conflicting batches.
 */
import { expect } from "chai";
import path from "node:path";
import { generateKeyPair, getPoseidon, hashReading, merkleRoot, signReading } from "../../../sdk/src/index.js";
import { PostgresStore, SqliteStore, type NewReading, type Store } from "../../../keepers/common/store/index.js";
import { Sequencer, sequencerOptions } from "../../../keepers/sequencer/sequencer.js";
import { rewardInstanceShapes } from "../../../keepers/common/circuits.js";
import { ConfigError, parseOptions } from "../../../keepers/common/options.js";
import { NETWORK_ID, POSTGRES, tempDir } from "../../datapath/fixtures.js";

const key = generateKeyPair("secp256k1");

/** n signed readings over `devices` devices, epoch = seq-independent pattern (several epochs interleaved). */
function readings(n: number, devices = 3, epochs = 2): NewReading[] {
  const out: NewReading[] = [];
  for (let i = 0; i < n; i++) {
    const deviceId = BigInt(1 + (i % devices));
    const seq = BigInt(Math.floor(i / devices));
    const epoch = BigInt(Math.floor(i / 7) % epochs);
    out.push({ ...signReading(NETWORK_ID, key, { deviceId, seq, timestamp: 1_000n + epoch * 100n, value: BigInt(i) }), epoch });
  }
  return out;
}

function seq(store: Store, depth: number, windowMs: number, now = () => Date.now(), maxDevices = 0): Sequencer {
  return new Sequencer(parseOptions(sequencerOptions, { depth, windowMs, maxDevices, metricsPort: -1 }), { store, now });
}

describe("Sequencer --max-devices", function () {
  it("defaults to the device slots of the reward circuit instance of the batch depth; no limit without one", function () {
    const store = new SqliteStore(":memory:");
    const shapes = rewardInstanceShapes();
    expect(shapes.length).to.be.greaterThan(1);
    for (const { shape } of shapes) expect(seq(store, shape.depth, 0).maxDevices).to.equal(shape.slots);
    expect(seq(store, shapes[0].shape.depth, 0, undefined, 3).maxDevices).to.equal(3);
    const free = seq(store, 9, 0);
    expect(free.maxDevices).to.equal(Number.MAX_SAFE_INTEGER);
    expect(free.status()).to.include({ maxDevices: null });
  });

  it("refuses a bad value by name", function () {
    for (const bad of [-1, 1.5, "many", (1 << 16) + 1]) {
      expect(() => parseOptions(sequencerOptions, { maxDevices: bad }), String(bad)).to.throw(ConfigError, "--max-devices");
    }
  });
});

for (const kind of ["sqlite", "postgres"] as const) {
  describe(`Sequencer (${kind})`, function () {
    let tmp: ReturnType<typeof tempDir>;
    let schema: string;
    const open = (): Store =>
      kind === "sqlite" ? new SqliteStore(path.join(tmp.dir, "s.sqlite")) : new PostgresStore(POSTGRES, schema);

    beforeEach(async function () {
      tmp = tempDir(`seq-${kind}`);
      schema = `t_seq_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
    });
    afterEach(async function () {
      if (kind === "postgres") {
        const s = new PostgresStore(POSTGRES, schema);
        await s.dropSchema();
        await s.close();
      }
      tmp.cleanup();
    });

    it("seals full batches by size, then partial ones after the window; never across epochs", async function () {
      const h = await getPoseidon();
      const store = open();
      const s = seq(store, 1, 60_000);
      await s.init();
      const rs = readings(30);
      await store.insertReadings(rs);
      await s.tick(); // only full batches (capacity 4^1 = 4) are due
      let batches = await store.listBatches(1n, 100);
      expect(batches.every((b) => b.leafCount === 4)).to.equal(true);
      expect(batches.length).to.be.greaterThan(0);
      // After the window every remaining reading is sealed.
      const late = seq(store, 1, 0);
      await late.init();
      await late.tick();
      batches = await store.listBatches(1n, 100);
      expect(batches.map((b) => b.batchId)).to.deep.equal(batches.map((_, i) => BigInt(i + 1)));
      const all = await store.allReadings();
      expect(all.every((r) => r.batchId !== null)).to.equal(true);
      let total = 0;
      for (const b of batches) {
        const members = await store.batchReadings(b.batchId);
        total += members.length;
        expect(members.length).to.equal(b.leafCount);
        expect(new Set(members.map((m) => m.epoch))).to.deep.equal(new Set([b.epoch]));
        // Arrival order inside a batch, recorded indexes, root from the shared module.
        expect(members.map((m) => m.batchIndex)).to.deep.equal(members.map((_, i) => i));
        expect(members.map((m) => m.id)).to.deep.equal([...members.map((m) => m.id)].sort((a, b) => (a < b ? -1 : 1)));
        expect(b.root).to.equal(
          merkleRoot(
            h,
            members.map((m) => hashReading(h, m)),
            1,
          ),
        );
      }
      expect(total).to.equal(30);
      await store.close();
    });

    it("a crash inside sealing leaves no trace; the restart seals the same roots as an uninterrupted run", async function () {
      const rs = readings(20);
      // Reference run.
      const refStore =
        kind === "sqlite" ? new SqliteStore(path.join(tmp.dir, "ref.sqlite")) : new PostgresStore(POSTGRES, `${schema}_ref`);
      const ref = seq(refStore, 1, 0);
      await ref.init();
      await refStore.insertReadings(rs);
      await ref.tick();
      const refRoots = (await refStore.listBatches(1n, 100)).map((b) => [b.batchId, b.epoch, b.root]);
      if (refStore instanceof PostgresStore) await refStore.dropSchema();
      await refStore.close();

      const store = open();
      await store.init();
      await store.insertReadings(rs);
      let calls = 0;
      const h = await getPoseidon();
      // Crash on the third batch, after leaves were computed, before commit.
      await store.sealBatch({
        depth: 1,
        maxDevices: 16,
        windowMs: 0,
        now: Date.now(),
        commit: (r) => ({
          leaves: r.map((x) => hashReading(h, x)),
          root: merkleRoot(
            h,
            r.map((x) => hashReading(h, x)),
            1,
          ),
        }),
      });
      await store.sealBatch({
        depth: 1,
        maxDevices: 16,
        windowMs: 0,
        now: Date.now(),
        commit: (r) => ({
          leaves: r.map((x) => hashReading(h, x)),
          root: merkleRoot(
            h,
            r.map((x) => hashReading(h, x)),
            1,
          ),
        }),
      });
      let crashed: unknown;
      await store
        .sealBatch({
          depth: 1,
          maxDevices: 16,
          windowMs: 0,
          now: Date.now(),
          commit: () => {
            calls++;
            throw new Error("killed mid-batch");
          },
        })
        .catch((e: unknown) => (crashed = e));
      expect((crashed as Error).message).to.equal("killed mid-batch");
      expect(calls).to.equal(1);
      expect(await store.lastBatchId()).to.equal(2n);
      expect((await store.allReadings()).filter((r) => r.batchId !== null)).to.have.length(8);
      await store.close();

      // Restart on the same store.
      const again = open();
      const s = seq(again, 1, 0);
      await s.init();
      expect(await s.verifyBatch(1n)).to.equal(true);
      expect(await s.verifyBatch(2n)).to.equal(true);
      await s.tick();
      const roots = (await again.listBatches(1n, 100)).map((b) => [b.batchId, b.epoch, b.root]);
      expect(roots).to.deep.equal(refRoots);
      await again.close();
    });

    it("never seals more distinct devices than --max-devices: the oldest reading's device and its id neighbours go first, nothing is left behind", async function () {
      const store = open();
      // Capacity 16, at most 3 devices per batch; six devices arrive in the order 5, 1, 9, 2, 7, 3.
      const s = seq(store, 2, 60_000, undefined, 3);
      await s.init();
      const order = [5n, 1n, 9n, 2n, 7n, 3n];
      const rs: NewReading[] = [];
      for (let round = 0n; round < 6n; round++) {
        for (const deviceId of order) {
          rs.push({ ...signReading(NETWORK_ID, key, { deviceId, seq: round, timestamp: 1_000n, value: round }), epoch: 0n });
        }
      }
      await store.insertReadings(rs);
      // Only full batches are due. First the oldest reading's device (5) and its id neighbours
      // among pending devices (7, 9); then, oldest first again, 1, 2, 3. Two readings of each
      // group are left over.
      await s.tick();
      let batches = await store.listBatches(1n, 100);
      expect(batches.map((b) => b.leafCount)).to.deep.equal([16, 16]);
      let members = await store.batchReadings(1n);
      expect(members[0].deviceId).to.equal(5n);
      const devicesOf = async (id: bigint) =>
        [...new Set((await store.batchReadings(id)).map((m) => m.deviceId))].sort((a, b) => (a < b ? -1 : 1));
      expect(await devicesOf(1n)).to.deep.equal([5n, 7n, 9n]);
      expect(await devicesOf(2n)).to.deep.equal([1n, 2n, 3n]);

      const late = seq(store, 2, 0, undefined, 3);
      await late.init();
      await late.tick(); // after the window, everything is sealed
      batches = await store.listBatches(1n, 100);
      // Left over, in arrival order: 9, 2, 7, 3. The oldest (9) goes with its neighbours 3 and 7.
      expect(batches.map((b) => b.leafCount)).to.deep.equal([16, 16, 3, 1]);
      expect(await devicesOf(3n)).to.deep.equal([3n, 7n, 9n]);
      expect(await devicesOf(4n)).to.deep.equal([2n]);
      const seen = new Set<bigint>();
      for (const b of batches) {
        members = await store.batchReadings(b.batchId);
        expect(new Set(members.map((m) => m.deviceId)).size).to.be.at.most(3);
        for (const m of members) {
          expect(seen.has(m.id)).to.equal(false);
          seen.add(m.id);
        }
        expect(await s.verifyBatch(b.batchId)).to.equal(true);
      }
      expect(seen.size).to.equal(rs.length);
      expect((await store.allReadings()).every((r) => r.batchId !== null)).to.equal(true);
      await store.close();
    });

    it("a tick with nothing due seals nothing (idempotent)", async function () {
      const store = open();
      const s = seq(store, 3, 60_000);
      await s.init();
      await store.insertReadings(readings(5));
      await s.tick();
      await s.tick();
      expect(await store.lastBatchId()).to.equal(0n);
      await store.close();
    });

    if (kind === "postgres") {
      it("several sequencers on one database produce consecutive, non-overlapping batches", async function () {
        const writer = open();
        await writer.init();
        const rs = readings(120, 5, 3);
        const seqs = [0, 1, 2].map(() => seq(new PostgresStore(POSTGRES, schema), 1, 0));
        await Promise.all(seqs.map((s) => s.init()));
        // Readings keep arriving while three sequencers tick concurrently.
        for (let i = 0; i < rs.length; i += 20) {
          await writer.insertReadings(rs.slice(i, i + 20));
          await Promise.all(seqs.map((s) => s.tick()));
        }
        await Promise.all(seqs.map((s) => s.tick()));
        const batches = await writer.listBatches(1n, 1000);
        expect(batches.map((b) => b.batchId)).to.deep.equal(batches.map((_, i) => BigInt(i + 1)));
        const all = await writer.allReadings();
        expect(all.every((r) => r.batchId !== null)).to.equal(true);
        const seen = new Set<string>();
        for (const b of batches) {
          const members = await writer.batchReadings(b.batchId);
          for (const m of members) {
            expect(seen.has(m.id.toString())).to.equal(false);
            seen.add(m.id.toString());
          }
          expect(await seqs[0].verifyBatch(b.batchId)).to.equal(true);
        }
        expect(seen.size).to.equal(120);
        await Promise.all(seqs.map((s) => s.close()));
        await writer.close();
      });
    }
  });
}
