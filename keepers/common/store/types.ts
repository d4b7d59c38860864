/**
 * The keepers' shared store: the bridge writes readings, the sequencer seals them into batches,
 * the DA keeper commits and serves batches, the storage keeper exports and prunes them. Keepers
 * communicate only through this store and the chain. Two implementations with identical
 * behaviour: SQLite (embedded default) and PostgreSQL (by URL; several keepers at once).
 */
import type { SignedReading } from "../../../sdk/src/index.js";

export interface NewReading extends SignedReading {
  epoch: bigint;
}

export interface StoredReading extends NewReading {
  /** Arrival order in the store (strictly increasing). */
  id: bigint;
  receivedAt: number;
  batchId: bigint | null;
  batchIndex: number | null;
  /** Poseidon leaf, set when sealed into a batch. */
  leaf: bigint | null;
}

export type InsertOutcome =
  | { status: "stored"; id: bigint }
  | { status: "duplicate" }
  | { status: "equivocation"; stored: { timestamp: bigint; value: bigint; signature: string } };

export interface Equivocation {
  deviceId: bigint;
  seq: bigint;
  timestamp: bigint;
  value: bigint;
  signature: string;
  seenAt: number;
}

export interface BatchRecord {
  batchId: bigint;
  epoch: bigint;
  depth: number;
  leafCount: number;
  root: bigint;
  createdAt: number;
  commitTx: string | null;
  exportCid: string | null;
}

export interface SealPolicy {
  depth: number;
  /** A partial batch is sealed once its oldest reading has waited this long (ms). */
  windowMs: number;
  now: number;
  /** Computes each reading's leaf and the root; must be deterministic. */
  commit(readings: StoredReading[]): { leaves: bigint[]; root: bigint };
}

export interface Store {
  readonly kind: "sqlite" | "postgres";
  /** Creates tables if missing. */
  init(): Promise<void>;
  /**
   * Inserts readings in one durable transaction, in order. A reading whose (deviceId, seq) is
   * already stored is a duplicate when timestamp and value match, an equivocation (recorded, not
   * stored) otherwise. Resolves only after commit.
   */
  insertReadings(readings: NewReading[]): Promise<InsertOutcome[]>;
  getReading(deviceId: bigint, seq: bigint): Promise<StoredReading | null>;
  lastSeq(deviceId: bigint): Promise<bigint | null>;
  /**
   * The device's highest sequence number among pruned (exported) readings, or null. At or below
   * it the hot store can no longer tell a duplicate from a new reading.
   */
  prunedSeq(deviceId: bigint): Promise<bigint | null>;
  countReadings(): Promise<number>;
  /** Every stored reading in arrival order (tests, small stores). */
  allReadings(): Promise<StoredReading[]>;
  equivocations(): Promise<Equivocation[]>;
  /**
   * Seals at most one batch atomically: the oldest epoch with unbatched readings that either
   * fills a batch (2^depth readings) or whose oldest reading waited windowMs. Batch ids are
   * consecutive from 1. Safe with several sequencers on one database. Returns null if nothing
   * is due.
   */
  sealBatch(policy: SealPolicy): Promise<BatchRecord | null>;
  getBatch(batchId: bigint): Promise<BatchRecord | null>;
  lastBatchId(): Promise<bigint>;
  batchReadings(batchId: bigint): Promise<StoredReading[]>;
  listBatches(fromId: bigint, limit: number): Promise<BatchRecord[]>;
  markCommitted(batchId: bigint, tx: string): Promise<void>;
  /** Records the export and deletes the batch's hot reading rows, in one transaction. */
  markExported(batchId: bigint, cid: string, prune: boolean): Promise<void>;
  close(): Promise<void>;
}

/** u64 values are stored as signed 64-bit `v - 2^63`, which keeps their order. */
export const U64_OFFSET = 1n << 63n;
export const toDb = (v: bigint): bigint => v - U64_OFFSET;
export const fromDb = (v: bigint | number | string): bigint => BigInt(v) + U64_OFFSET;
