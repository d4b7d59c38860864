/**
 * The sequencer keeper: seals stored readings into batches. A batch holds readings of one reward
 * epoch only, in store arrival order (reading id), at most 4^depth of them (the batch tree is
 * 4-ary); empty slots are zero leaves. Each leaf is the shared module's hashReading (which commits
 * to the signature), the root the shared module's merkleRoot. Sealing is one store transaction (leaves, indexes and the batch
 * row together), so a crash leaves either the whole batch or nothing, and a restart re-forms the
 * same batch from the same readings. Several sequencers may share one PostgreSQL store.
 */
import { Counter, Gauge } from "prom-client";
import { getPoseidon, hashReading, merkleRoot, type PoseidonHasher } from "../../sdk/src/index.js";
import { silentLogger, type Logger } from "../common/log.js";
import { rewardSlotsForDepth } from "../common/circuits.js";
import { daemonOptions, opt, type OptionValues, storeOption } from "../common/options.js";
import { Service } from "../common/service.js";
import { openStore, type BatchRecord, type Store, type StoredReading } from "../common/store/index.js";

export const sequencerOptions = {
  store: storeOption(),
  depth: opt.int("batch tree depth in 4-ary levels (capacity 4^depth; must match the reward circuit)", {
    default: 4,
    min: 1,
    max: 10,
  }),
  maxDevices: opt.int(
    "distinct devices per batch at most, the reward circuit's device slots (0 = the slots of the circuits/circuits.json reward instance of this depth; no limit if there is none)",
    { default: 0, min: 0, max: 1 << 16 },
  ),
  windowMs: opt.int("seal a partial batch once its oldest reading waited this long (ms)", { default: 10_000, min: 0 }),
  maxBatchesPerTick: opt.int("batches sealed per tick at most", { default: 64, min: 1 }),
  ...daemonOptions({ schedule: "* * * * * *", metricsPort: 9102 }),
};
export type SequencerOptions = OptionValues<typeof sequencerOptions>;

/** Leaves and root of a batch's readings, in batch order (shared by sequencer, DA API, storage). */
export function commitReadings(
  h: PoseidonHasher,
  readings: readonly StoredReading[],
  depth: number,
): { leaves: bigint[]; root: bigint } {
  const leaves = readings.map((r) => hashReading(h, r));
  return { leaves, root: merkleRoot(h, leaves, depth) };
}

export class Sequencer extends Service {
  store!: Store;
  /** Distinct devices per batch at most (resolved from the circuit manifest when 0). */
  readonly maxDevices: number;
  private hasher!: PoseidonHasher;
  private readonly sealed: Counter;
  private readonly lastBatch: Gauge;
  last?: BatchRecord;

  constructor(
    readonly opts: SequencerOptions,
    private readonly deps: { store?: Store; log?: Logger; now?: () => number } = {},
  ) {
    super("sequencer", deps.log ?? silentLogger);
    this.maxDevices = opts.maxDevices || (rewardSlotsForDepth(opts.depth) ?? Number.MAX_SAFE_INTEGER);
    if (this.maxDevices === Number.MAX_SAFE_INTEGER) {
      // A DA-only network needs no reward circuit; a rewarded one must prove these batches.
      this.log.warn("Sequencer#maxDevices", {
        msg: `no reward circuit instance has depth ${opts.depth}: batches are not limited in devices and may be unprovable`,
      });
    }
    this.sealed = new Counter({
      name: "depin_sequencer_batches_sealed_total",
      help: "batches sealed",
      registers: [this.registry],
    });
    this.lastBatch = new Gauge({
      name: "depin_sequencer_last_batch_id",
      help: "id of the last sealed batch",
      registers: [this.registry],
    });
  }

  async init(): Promise<void> {
    this.hasher = await getPoseidon();
    this.store = this.deps.store ?? openStore(this.opts.store);
    await this.store.init();
    // Self-check: the last sealed batch must still hash to its recorded root.
    const lastId = await this.store.lastBatchId();
    if (lastId > 0n) {
      const ok = await this.verifyBatch(lastId);
      if (!ok) throw new Error(`batch ${lastId} no longer matches its recorded root; refusing to continue`);
      this.lastBatch.set(Number(lastId));
    }
  }

  /** Recomputes a sealed batch's root from its stored readings. */
  async verifyBatch(batchId: bigint): Promise<boolean> {
    const b = await this.store.getBatch(batchId);
    if (!b) return false;
    const rs = await this.store.batchReadings(batchId);
    if (rs.length === 0 && b.exportCid) return true; // pruned to long-term storage, checked there
    return rs.length === b.leafCount && commitReadings(this.hasher, rs, b.depth).root === b.root;
  }

  /** Seals every batch that is due (up to maxBatchesPerTick). */
  async tick(): Promise<void> {
    for (let i = 0; i < this.opts.maxBatchesPerTick; i++) {
      const b = await this.store.sealBatch({
        depth: this.opts.depth,
        maxDevices: this.maxDevices,
        windowMs: this.opts.windowMs,
        now: this.deps.now?.() ?? Date.now(),
        commit: (rs) => commitReadings(this.hasher, rs, this.opts.depth),
      });
      if (!b) return;
      this.last = b;
      this.sealed.inc();
      this.lastBatch.set(Number(b.batchId));
      this.log.info("Sequencer#seal", { batchId: b.batchId, epoch: b.epoch, leaves: b.leafCount, root: b.root });
    }
  }

  status(): Record<string, unknown> {
    return {
      service: "sequencer",
      store: this.store?.kind,
      depth: this.opts.depth,
      maxDevices: this.maxDevices === Number.MAX_SAFE_INTEGER ? null : this.maxDevices,
      lastBatch: this.last?.batchId?.toString() ?? null,
    };
  }

  async close(): Promise<void> {
    await this.store?.close();
  }
}
