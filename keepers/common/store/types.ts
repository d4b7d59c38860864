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

/**
 * A batch's reward proof as the prover keeper stored it (one row per batch id):
 * - "proven": proof made and checked locally, waiting for the submitter;
 * - "settled": settle() mined (or the chain already had the batch settled);
 * - "error": a transient failure (RPC, worker crash), retried until `attempts` reaches the limit;
 * - "failed": final, not retried (root mismatch, rule cannot be proven, proof does not verify).
 */
export type ProofStatus = "proven" | "settled" | "error" | "failed";

export interface ProofRecord {
  batchId: bigint;
  status: ProofStatus;
  /** RewardDistributor rule version the proof was built for. */
  ruleVersion: bigint;
  /** settle() device words (packed ids and points). */
  deviceWords: bigint[];
  /** Groth16 proof in the verifier's encoding (a, b, c), JSON with decimal strings. */
  proof: { a: [bigint, bigint]; b: [[bigint, bigint], [bigint, bigint]]; c: [bigint, bigint] } | null;
  /** Sum of the batch's points. */
  points: bigint;
  error: string | null;
  attempts: number;
  updatedAt: number;
  settleTx: string | null;
}

export type NewProof = Pick<ProofRecord, "batchId" | "ruleVersion" | "deviceWords" | "proof" | "points">;

/**
 * The transaction manager's journal: one row per idempotency key (e.g. "settle:7"), written
 * before each broadcast, so a restarted keeper knows the nonce and every hash it may have sent.
 */
export type TxStatus = "pending" | "mined" | "reverted";

export interface TxRecord {
  key: string;
  from: string;
  nonce: bigint;
  /** Every hash broadcast for this key (fee bumps replace the same nonce), oldest first. */
  hashes: string[];
  /** Signed raw transaction last broadcast (re-broadcast after a restart). */
  raw: string;
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
  status: TxStatus;
  /** Hash of the mined transaction once known. */
  minedHash: string | null;
  updatedAt: number;
}

export interface SealPolicy {
  depth: number;
  /**
   * Distinct devices per batch at most: the reward circuit's device slots. A batch with more
   * devices could not be proven; readings of further devices wait for a later batch.
   */
  maxDevices: number;
  /** A partial batch is sealed once its oldest reading has waited this long (ms). */
  windowMs: number;
  now: number;
  /** Computes each reading's leaf and the root; must be deterministic. */
  commit(readings: StoredReading[]): { leaves: bigint[]; root: bigint };
}

/** Kinds of per-batch work several keeper instances share (see Store.claimWork). */
export type WorkKind = "prove" | "settle";

/**
 * Batches one instance holds for one kind of work. On PostgreSQL the hold is a row lock
 * (`SELECT … FOR UPDATE SKIP LOCKED`) in a transaction of the instance's own connection: it ends
 * with release(), when the process dies (the connection closes), or when the holder stops
 * renewing it for `holdMs` (the server ends the idle transaction). `lost` turns true once the
 * hold ended without release() (the work may then be taken by another instance; every step of
 * the work stays idempotent, so finishing it anyway is harmless).
 */
export interface WorkClaim {
  readonly ids: bigint[];
  readonly lost: boolean;
  release(): Promise<void>;
}

export interface Store {
  readonly kind: "sqlite" | "postgres";
  /** Creates tables if missing. */
  init(): Promise<void>;
  /**
   * Records `value` under `key` unless the key already holds a value, and returns the value the
   * store holds (atomic across processes). Used to tie a store to one chain and deployment.
   */
  bindMeta(key: string, value: string): Promise<string>;
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
   * fills a batch (4^depth readings, sdk merkleCapacity) or whose oldest reading waited windowMs. Batch ids are
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
  /**
   * Stores a batch's proof as "proven". Idempotent per batch id: an existing "proven", "settled"
   * or "failed" row is kept (returns false); an "error" row is replaced.
   */
  putProof(p: NewProof): Promise<boolean>;
  /**
   * Records a proving failure: attempts + 1; status "failed" when `final` or when attempts reach
   * `maxAttempts`, else "error". Never overwrites "proven" or "settled".
   */
  recordProofFailure(batchId: bigint, error: string, final: boolean, maxAttempts: number): Promise<ProofRecord | null>;
  /** Marks a "proven" proof "failed" (the chain refused it for good, e.g. its epoch closed). */
  rejectProof(batchId: bigint, error: string): Promise<void>;
  getProof(batchId: bigint): Promise<ProofRecord | null>;
  /** Proofs with `status`, ascending batch id. */
  listProofs(status: ProofStatus, limit: number): Promise<ProofRecord[]>;
  markSettled(batchId: bigint, tx: string): Promise<void>;
  getTx(key: string): Promise<TxRecord | null>;
  /** Inserts or replaces the journal row of `rec.key`. */
  saveTx(rec: TxRecord): Promise<void>;
  /** Journal rows of `from` still "pending", ascending nonce. */
  pendingTxs(from: string): Promise<TxRecord[]>;
  /**
   * Takes up to `limit` of `candidates` (in the given order) that no other instance holds for
   * `kind`, and holds them until release() (see WorkClaim). SQLite (one machine, one instance of
   * each keeper): every candidate up to `limit`, no hold.
   */
  claimWork(kind: WorkKind, candidates: bigint[], limit: number, holdMs: number): Promise<WorkClaim>;
  /**
   * True while this process leads `role` (e.g. "da", "epoch") among the instances sharing the
   * store: a session-level advisory lock on a connection of its own, renewed by each call. The
   * lock ends when the process dies or its connection drops, or after `leaseMs` without a call
   * (the server's idle_session_timeout); another instance's next call then takes it. SQLite:
   * always true.
   */
  lead(role: string, leaseMs: number): Promise<boolean>;
  close(): Promise<void>;
}

/** JSON of a proof row's proof / device words (bigints as decimal strings). */
export function proofToJson(p: ProofRecord["proof"]): string | null {
  return p === null ? null : JSON.stringify(p, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

export function proofFromJson(s: string | null): ProofRecord["proof"] {
  if (s === null) return null;
  const o = JSON.parse(s) as { a: string[]; b: string[][]; c: string[] };
  return {
    a: [BigInt(o.a[0]), BigInt(o.a[1])],
    b: [
      [BigInt(o.b[0][0]), BigInt(o.b[0][1])],
      [BigInt(o.b[1][0]), BigInt(o.b[1][1])],
    ],
    c: [BigInt(o.c[0]), BigInt(o.c[1])],
  };
}

export const wordsToJson = (w: bigint[]): string => JSON.stringify(w.map(String));
export const wordsFromJson = (s: string): bigint[] => (JSON.parse(s) as string[]).map((x) => BigInt(x));

/** u64 values are stored as signed 64-bit `v - 2^63`, which keeps their order. */
export const U64_OFFSET = 1n << 63n;
export const toDb = (v: bigint): bigint => v - U64_OFFSET;
export const fromDb = (v: bigint | number | string): bigint => BigInt(v) + U64_OFFSET;

/**
 * The devices of the next batch of one epoch when more than `max` devices have pending readings:
 * the device of the oldest pending reading (so no reading waits forever) and its neighbours in
 * device-id order, `max` in all. Consecutive ids let settlement pack their points into shared
 * storage words (RewardDistributor). `pending` is sorted ascending and contains `oldest`.
 */
export function pickDevices<T>(pending: readonly T[], oldest: T, max: number): T[] {
  if (pending.length <= max) return [...pending];
  const at = pending.indexOf(oldest);
  if (at < 0) throw new Error("pickDevices: the oldest reading's device is not pending");
  const start = Math.min(at, pending.length - max);
  return pending.slice(start, start + max);
}
