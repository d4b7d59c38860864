/**
 * SQLite store (WAL). `synchronous = FULL` by default so a committed reading survives power loss,
 * not only a process crash; NORMAL is an option when only process crashes matter. All writes are
 * batched in one transaction per call.
 *
 * Driver: Node 22's built-in `node:sqlite` (synchronous, like better-sqlite3). The project runs on
 * Node 22 (Hardhat 3 needs it) and the shared better-sqlite3 build targets Node 20's ABI, so it
 * cannot load there; node:sqlite needs no native build at all.
 */
import { createRequire } from "node:module";
import type { DatabaseSync as DatabaseSyncT, StatementSync } from "node:sqlite";
import { mkdirSync } from "node:fs";
import path from "node:path";
import type {
  BatchRecord,
  Equivocation,
  InsertOutcome,
  NewProof,
  NewReading,
  ProofRecord,
  ProofStatus,
  SealPolicy,
  Store,
  StoredReading,
  TxRecord,
  TxStatus,
  WorkClaim,
  WorkKind,
} from "./types.js";
import { merkleCapacity } from "../../../sdk/src/index.js";
import { fromDb, pickDevices, proofFromJson, proofToJson, toDb, wordsFromJson, wordsToJson } from "./types.js";

type Row = Record<string, bigint | string | null>;

/** Loads node:sqlite without its one-time ExperimentalWarning (the API is stable on Node 22.13+). */
function loadDriver(): typeof DatabaseSyncT {
  const emit = process.emitWarning;
  process.emitWarning = ((w: string | Error, ...rest: unknown[]) => {
    if (String(w).includes("SQLite is an experimental feature")) return;
    (emit as (...a: unknown[]) => void).call(process, w, ...rest);
  }) as typeof process.emitWarning;
  try {
    return (createRequire(import.meta.url)("node:sqlite") as { DatabaseSync: typeof DatabaseSyncT }).DatabaseSync;
  } finally {
    process.emitWarning = emit;
  }
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS readings (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  device_id INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  timestamp INTEGER NOT NULL,
  value INTEGER NOT NULL,
  sig TEXT NOT NULL,
  epoch INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  batch_id INTEGER,
  batch_index INTEGER,
  leaf TEXT,
  UNIQUE (device_id, seq)
);
CREATE INDEX IF NOT EXISTS readings_unbatched ON readings (epoch, id) WHERE batch_id IS NULL;
CREATE INDEX IF NOT EXISTS readings_by_batch ON readings (batch_id, batch_index) WHERE batch_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS equivocations (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  device_id INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  timestamp INTEGER NOT NULL,
  value INTEGER NOT NULL,
  sig TEXT NOT NULL,
  seen_at INTEGER NOT NULL,
  UNIQUE (device_id, seq, timestamp, value)
);
CREATE TABLE IF NOT EXISTS batches (
  batch_id INTEGER PRIMARY KEY,
  epoch INTEGER NOT NULL,
  depth INTEGER NOT NULL,
  leaf_count INTEGER NOT NULL,
  root TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  commit_tx TEXT,
  export_cid TEXT
);
CREATE TABLE IF NOT EXISTS pruned_seq (
  device_id INTEGER PRIMARY KEY,
  last_seq INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS proofs (
  batch_id INTEGER PRIMARY KEY,
  status TEXT NOT NULL,
  rule_version TEXT NOT NULL,
  device_words TEXT NOT NULL,
  proof TEXT,
  points TEXT NOT NULL,
  error TEXT,
  attempts INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  settle_tx TEXT
);
CREATE INDEX IF NOT EXISTS proofs_by_status ON proofs (status, batch_id);
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS txs (
  key TEXT PRIMARY KEY,
  from_addr TEXT NOT NULL,
  nonce INTEGER NOT NULL,
  hashes TEXT NOT NULL,
  raw TEXT NOT NULL,
  max_fee TEXT NOT NULL,
  priority_fee TEXT NOT NULL,
  status TEXT NOT NULL,
  mined_hash TEXT,
  updated_at INTEGER NOT NULL
);`;

function reading(r: Row): StoredReading {
  return {
    id: BigInt(r.id!),
    deviceId: fromDb(r.device_id as bigint),
    seq: fromDb(r.seq as bigint),
    timestamp: BigInt(r.timestamp!),
    value: BigInt(r.value!),
    signature: r.sig as `0x${string}`,
    epoch: BigInt(r.epoch!),
    receivedAt: Number(r.received_at),
    batchId: r.batch_id === null ? null : BigInt(r.batch_id),
    batchIndex: r.batch_index === null ? null : Number(r.batch_index),
    leaf: r.leaf === null ? null : BigInt(r.leaf as string),
  };
}

function batch(r: Row): BatchRecord {
  return {
    batchId: BigInt(r.batch_id!),
    epoch: BigInt(r.epoch!),
    depth: Number(r.depth),
    leafCount: Number(r.leaf_count),
    root: BigInt(r.root as string),
    createdAt: Number(r.created_at),
    commitTx: (r.commit_tx as string | null) ?? null,
    exportCid: (r.export_cid as string | null) ?? null,
  };
}

function proofRow(r: Row): ProofRecord {
  return {
    batchId: BigInt(r.batch_id!),
    status: r.status as ProofStatus,
    ruleVersion: BigInt(r.rule_version as string),
    deviceWords: wordsFromJson(r.device_words as string),
    proof: proofFromJson(r.proof as string | null),
    points: BigInt(r.points as string),
    error: (r.error as string | null) ?? null,
    attempts: Number(r.attempts),
    updatedAt: Number(r.updated_at),
    settleTx: (r.settle_tx as string | null) ?? null,
  };
}

function txRow(r: Row): TxRecord {
  return {
    key: r.key as string,
    from: r.from_addr as string,
    nonce: BigInt(r.nonce!),
    hashes: JSON.parse(r.hashes as string) as string[],
    raw: r.raw as string,
    maxFeePerGas: BigInt(r.max_fee as string),
    maxPriorityFeePerGas: BigInt(r.priority_fee as string),
    status: r.status as TxStatus,
    minedHash: (r.mined_hash as string | null) ?? null,
    updatedAt: Number(r.updated_at),
  };
}

export class SqliteStore implements Store {
  readonly kind = "sqlite" as const;
  private readonly db: DatabaseSyncT;
  private stmts!: ReturnType<SqliteStore["prepare"]>;
  private open = true;

  constructor(file: string, opts: { synchronous?: "FULL" | "NORMAL" } = {}) {
    if (file !== ":memory:") mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const DatabaseSync = loadDriver();
    this.db = new DatabaseSync(file);
    // The busy timeout first: several keeper processes open one file at the same moment, and
    // switching a new file to WAL takes a lock the others must wait for, not fail on
    // ("database is locked" stopped an epoch keeper that started beside the others).
    this.db.exec("PRAGMA busy_timeout = 10000");
    this.db.exec("PRAGMA journal_mode = WAL");
    this.db.exec(`PRAGMA synchronous = ${opts.synchronous ?? "FULL"}`);
  }

  /** Runs `fn` in one BEGIN IMMEDIATE … COMMIT transaction (rolled back if it throws). */
  private transaction<T>(fn: () => T): T {
    this.db.exec("BEGIN IMMEDIATE");
    try {
      const out = fn();
      this.db.exec("COMMIT");
      return out;
    } catch (e) {
      this.db.exec("ROLLBACK");
      throw e;
    }
  }

  /** Prepared statement returning 64-bit integers as bigint. */
  private st(sql: string): StatementSync {
    const s = this.db.prepare(sql);
    s.setReadBigInts(true);
    return s;
  }

  async init(): Promise<void> {
    this.db.exec(SCHEMA);
    this.stmts = this.prepare();
  }

  private prepare() {
    const db = { prepare: (sql: string) => this.st(sql) };
    return {
      insert: db.prepare(
        "INSERT OR IGNORE INTO readings (device_id, seq, timestamp, value, sig, epoch, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      ),
      get: db.prepare("SELECT * FROM readings WHERE device_id = ? AND seq = ?"),
      lastSeq: db.prepare("SELECT MAX(seq) AS s FROM readings WHERE device_id = ?"),
      prunedSeq: db.prepare("SELECT last_seq AS s FROM pruned_seq WHERE device_id = ?"),
      keepHighWater: db.prepare(
        "INSERT INTO pruned_seq (device_id, last_seq) SELECT device_id, MAX(seq) FROM readings WHERE batch_id = ? GROUP BY device_id " +
          "ON CONFLICT (device_id) DO UPDATE SET last_seq = MAX(last_seq, excluded.last_seq)",
      ),
      equivocate: db.prepare(
        "INSERT OR IGNORE INTO equivocations (device_id, seq, timestamp, value, sig, seen_at) VALUES (?, ?, ?, ?, ?, ?)",
      ),
      dueEpochs: db.prepare(
        "SELECT epoch, COUNT(*) AS n, MIN(received_at) AS oldest, MIN(id) AS first FROM readings WHERE batch_id IS NULL GROUP BY epoch ORDER BY first",
      ),
      candidates: db.prepare("SELECT * FROM readings WHERE batch_id IS NULL AND epoch = ? ORDER BY id LIMIT ?"),
      pendingDevices: db.prepare(
        "SELECT DISTINCT device_id AS d FROM readings WHERE batch_id IS NULL AND epoch = ? ORDER BY device_id",
      ),
      oldestDevice: db.prepare("SELECT device_id AS d FROM readings WHERE batch_id IS NULL AND epoch = ? ORDER BY id LIMIT 1"),
      candidatesOf: db.prepare(
        "SELECT * FROM readings WHERE batch_id IS NULL AND epoch = ? AND device_id IN (SELECT value FROM json_each(?)) ORDER BY id LIMIT ?",
      ),
      lastBatch: db.prepare("SELECT COALESCE(MAX(batch_id), 0) AS b FROM batches"),
      insertBatch: db.prepare(
        "INSERT INTO batches (batch_id, epoch, depth, leaf_count, root, created_at) VALUES (?, ?, ?, ?, ?, ?)",
      ),
      assign: db.prepare("UPDATE readings SET batch_id = ?, batch_index = ?, leaf = ? WHERE id = ? AND batch_id IS NULL"),
      batch: db.prepare("SELECT * FROM batches WHERE batch_id = ?"),
      batchReadings: db.prepare("SELECT * FROM readings WHERE batch_id = ? ORDER BY batch_index"),
      listBatches: db.prepare("SELECT * FROM batches WHERE batch_id >= ? ORDER BY batch_id LIMIT ?"),
      committed: db.prepare("UPDATE batches SET commit_tx = ? WHERE batch_id = ?"),
      exported: db.prepare("UPDATE batches SET export_cid = ? WHERE batch_id = ?"),
      prune: db.prepare("DELETE FROM readings WHERE batch_id = ?"),
      putProof: db.prepare(
        "INSERT INTO proofs (batch_id, status, rule_version, device_words, proof, points, error, attempts, updated_at) VALUES (?, 'proven', ?, ?, ?, ?, NULL, 0, ?) " +
          "ON CONFLICT (batch_id) DO UPDATE SET status = 'proven', rule_version = excluded.rule_version, device_words = excluded.device_words, " +
          "proof = excluded.proof, points = excluded.points, error = NULL, updated_at = excluded.updated_at WHERE proofs.status = 'error'",
      ),
      proofFailure: db.prepare(
        "INSERT INTO proofs (batch_id, status, rule_version, device_words, proof, points, error, attempts, updated_at) VALUES (?, ?, '0', '[]', NULL, '0', ?, 1, ?) " +
          "ON CONFLICT (batch_id) DO UPDATE SET attempts = proofs.attempts + 1, error = excluded.error, updated_at = excluded.updated_at, " +
          "status = CASE WHEN ? OR proofs.attempts + 1 >= ? THEN 'failed' ELSE 'error' END WHERE proofs.status IN ('error', 'failed')",
      ),
      getProof: db.prepare("SELECT * FROM proofs WHERE batch_id = ?"),
      rejectProof: db.prepare(
        "UPDATE proofs SET status = 'failed', error = ?, updated_at = ? WHERE batch_id = ? AND status = 'proven'",
      ),
      listProofs: db.prepare("SELECT * FROM proofs WHERE status = ? ORDER BY batch_id LIMIT ?"),
      settled: db.prepare("UPDATE proofs SET status = 'settled', settle_tx = ?, updated_at = ? WHERE batch_id = ?"),
      getTx: db.prepare("SELECT * FROM txs WHERE key = ?"),
      saveTx: db.prepare(
        "INSERT OR REPLACE INTO txs (key, from_addr, nonce, hashes, raw, max_fee, priority_fee, status, mined_hash, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      ),
      pendingTxs: db.prepare("SELECT * FROM txs WHERE from_addr = ? AND status = 'pending' ORDER BY nonce"),
    };
  }

  async insertReadings(readings: NewReading[]): Promise<InsertOutcome[]> {
    const now = Date.now();
    return this.transaction((): InsertOutcome[] =>
      readings.map((r) => {
        const d = toDb(r.deviceId);
        const s = toDb(r.seq);
        const info = this.stmts.insert.run(d, s, r.timestamp, r.value, r.signature, r.epoch, now);
        if (Number(info.changes) === 1) return { status: "stored", id: BigInt(info.lastInsertRowid) };
        const prev = this.stmts.get.get(d, s) as Row;
        if (BigInt(prev.timestamp!) === r.timestamp && BigInt(prev.value!) === r.value) return { status: "duplicate" };
        this.stmts.equivocate.run(d, s, r.timestamp, r.value, r.signature, now);
        return {
          status: "equivocation",
          stored: { timestamp: BigInt(prev.timestamp!), value: BigInt(prev.value!), signature: prev.sig as string },
        };
      }),
    );
  }

  async getReading(deviceId: bigint, seq: bigint): Promise<StoredReading | null> {
    const r = this.stmts.get.get(toDb(deviceId), toDb(seq)) as Row | undefined;
    return r ? reading(r) : null;
  }

  async lastSeq(deviceId: bigint): Promise<bigint | null> {
    // Pruned readings leave a per-device high-water mark so sequence numbers stay monotonic.
    const live = (this.stmts.lastSeq.get(toDb(deviceId)) as { s: bigint | null }).s;
    const pruned = (this.stmts.prunedSeq.get(toDb(deviceId)) as { s: bigint } | undefined)?.s ?? null;
    const s = live === null ? pruned : pruned === null || live > pruned ? live : pruned;
    return s === null ? null : fromDb(s);
  }

  async prunedSeq(deviceId: bigint): Promise<bigint | null> {
    const s = (this.stmts.prunedSeq.get(toDb(deviceId)) as { s: bigint } | undefined)?.s;
    return s === undefined ? null : fromDb(s);
  }

  async countReadings(): Promise<number> {
    return Number((this.st("SELECT COUNT(*) AS n FROM readings").get() as { n: bigint }).n);
  }

  async allReadings(): Promise<StoredReading[]> {
    return (this.st("SELECT * FROM readings ORDER BY id").all() as Row[]).map(reading);
  }

  async equivocations(): Promise<Equivocation[]> {
    return (this.st("SELECT * FROM equivocations ORDER BY id").all() as Row[]).map((r) => ({
      deviceId: fromDb(r.device_id as bigint),
      seq: fromDb(r.seq as bigint),
      timestamp: BigInt(r.timestamp!),
      value: BigInt(r.value!),
      signature: r.sig as string,
      seenAt: Number(r.seen_at),
    }));
  }

  async sealBatch(policy: SealPolicy): Promise<BatchRecord | null> {
    const capacity = merkleCapacity(policy.depth);
    const row = this.transaction((): Row | null => {
      const epochs = this.stmts.dueEpochs.all() as { epoch: bigint; n: bigint; oldest: bigint }[];
      for (const e of epochs) {
        const waited = policy.now - Number(e.oldest) >= policy.windowMs;
        if (!waited && Number(e.n) < capacity) continue;
        const rows = this.candidates(e.epoch, capacity, policy.maxDevices);
        // Full, or the oldest reading has waited long enough: seal what there is.
        if (waited || rows.length === capacity) return this.seal(e.epoch, rows, policy);
      }
      return null;
    });
    return row ? batch(row) : null;
  }

  /** The next batch's readings of `epoch`, in arrival order, from at most `maxDevices` devices. */
  private candidates(epoch: bigint, capacity: number, maxDevices: number): StoredReading[] {
    const pending = (this.stmts.pendingDevices.all(epoch) as { d: bigint }[]).map((r) => r.d);
    if (pending.length <= maxDevices) return (this.stmts.candidates.all(epoch, capacity) as Row[]).map(reading);
    const oldest = (this.stmts.oldestDevice.get(epoch) as { d: bigint }).d;
    const chosen = `[${pickDevices(pending, oldest, maxDevices).join(",")}]`;
    return (this.stmts.candidatesOf.all(epoch, chosen, capacity) as Row[]).map(reading);
  }

  private seal(epoch: bigint, rows: StoredReading[], policy: SealPolicy): Row {
    const { leaves, root } = policy.commit(rows);
    const batchId = BigInt((this.stmts.lastBatch.get() as { b: bigint }).b) + 1n;
    this.stmts.insertBatch.run(batchId, epoch, policy.depth, rows.length, root.toString(), policy.now);
    rows.forEach((r, i) => {
      const info = this.stmts.assign.run(batchId, i, leaves[i].toString(), r.id);
      if (Number(info.changes) !== 1) throw new Error(`reading ${r.id} was sealed concurrently`);
    });
    return this.stmts.batch.get(batchId) as Row;
  }

  async getBatch(batchId: bigint): Promise<BatchRecord | null> {
    const r = this.stmts.batch.get(batchId) as Row | undefined;
    return r ? batch(r) : null;
  }

  async lastBatchId(): Promise<bigint> {
    return BigInt((this.stmts.lastBatch.get() as { b: bigint }).b);
  }

  async batchReadings(batchId: bigint): Promise<StoredReading[]> {
    return (this.stmts.batchReadings.all(batchId) as Row[]).map(reading);
  }

  async listBatches(fromId: bigint, limit: number): Promise<BatchRecord[]> {
    return (this.stmts.listBatches.all(fromId, limit) as Row[]).map(batch);
  }

  async markCommitted(batchId: bigint, tx: string): Promise<void> {
    this.stmts.committed.run(tx, batchId);
  }

  async markExported(batchId: bigint, cid: string, prune: boolean): Promise<void> {
    this.transaction(() => {
      this.stmts.exported.run(cid, batchId);
      if (prune) {
        this.stmts.keepHighWater.run(batchId);
        this.stmts.prune.run(batchId);
      }
    });
  }

  async putProof(p: NewProof): Promise<boolean> {
    const info = this.stmts.putProof.run(
      p.batchId,
      p.ruleVersion.toString(),
      wordsToJson(p.deviceWords),
      proofToJson(p.proof),
      p.points.toString(),
      Date.now(),
    );
    return Number(info.changes) === 1;
  }

  async recordProofFailure(batchId: bigint, error: string, final: boolean, maxAttempts: number): Promise<ProofRecord | null> {
    const first = final || maxAttempts <= 1 ? "failed" : "error";
    this.stmts.proofFailure.run(batchId, first, error, Date.now(), final ? 1 : 0, maxAttempts);
    return this.getProof(batchId);
  }

  async rejectProof(batchId: bigint, error: string): Promise<void> {
    this.stmts.rejectProof.run(error, Date.now(), batchId);
  }

  async getProof(batchId: bigint): Promise<ProofRecord | null> {
    const r = this.stmts.getProof.get(batchId) as Row | undefined;
    return r ? proofRow(r) : null;
  }

  async listProofs(status: ProofStatus, limit: number): Promise<ProofRecord[]> {
    return (this.stmts.listProofs.all(status, limit) as Row[]).map(proofRow);
  }

  async markSettled(batchId: bigint, tx: string): Promise<void> {
    this.stmts.settled.run(tx, Date.now(), batchId);
  }

  async getTx(key: string): Promise<TxRecord | null> {
    const r = this.stmts.getTx.get(key) as Row | undefined;
    return r ? txRow(r) : null;
  }

  async saveTx(t: TxRecord): Promise<void> {
    this.stmts.saveTx.run(
      t.key,
      t.from.toLowerCase(),
      t.nonce,
      JSON.stringify(t.hashes),
      t.raw,
      t.maxFeePerGas.toString(),
      t.maxPriorityFeePerGas.toString(),
      t.status,
      t.minedHash,
      Date.now(),
    );
  }

  async pendingTxs(from: string): Promise<TxRecord[]> {
    return (this.stmts.pendingTxs.all(from.toLowerCase()) as Row[]).map(txRow);
  }

  async bindMeta(key: string, value: string): Promise<string> {
    this.db.prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING").run(key, value);
    return String((this.db.prepare("SELECT value FROM meta WHERE key = ?").get(key) as Row).value);
  }

  /** One machine, one instance of each keeper: every candidate, no hold (several instances need PostgreSQL). */
  async claimWork(_kind: WorkKind, candidates: bigint[], limit: number): Promise<WorkClaim> {
    return { ids: candidates.slice(0, limit), lost: false, release: async () => undefined };
  }

  async lead(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    if (this.open) this.db.close();
    this.open = false;
  }
}
