/**
 * PostgreSQL store (pg). Same behaviour as SqliteStore; several instances of every keeper can
 * share one database:
 *  - sealing takes a transaction-scoped advisory lock, so batch ids stay consecutive and no
 *    reading lands in two batches;
 *  - provers and submitters split batches with row locks (`work_claims`, `FOR UPDATE SKIP
 *    LOCKED`), held in a transaction of a connection of their own (claimWork);
 *  - the DA committer and the epoch closer hold leadership through a session-level advisory
 *    lock on a connection of their own (lead).
 * Both kinds of hold end when the holder's connection closes (a killed process) or when it stops
 * renewing them (idle_in_transaction_session_timeout / idle_session_timeout).
 */
import pg from "pg";
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

/** Advisory lock key that serialises batch sealing ("DEPINSEQ"). */
const SEAL_LOCK = 0x4445_5049_4e53_4551n;

type Row = Record<string, string | null>;

function reading(r: Row): StoredReading {
  return {
    id: BigInt(r.id!),
    deviceId: fromDb(r.device_id!),
    seq: fromDb(r.seq!),
    timestamp: BigInt(r.timestamp!),
    value: BigInt(r.value!),
    signature: r.sig as `0x${string}`,
    epoch: BigInt(r.epoch!),
    receivedAt: Number(r.received_at),
    batchId: r.batch_id === null ? null : BigInt(r.batch_id),
    batchIndex: r.batch_index === null ? null : Number(r.batch_index),
    leaf: r.leaf === null ? null : BigInt(r.leaf),
  };
}

function batch(r: Row): BatchRecord {
  return {
    batchId: BigInt(r.batch_id!),
    epoch: BigInt(r.epoch!),
    depth: Number(r.depth),
    leafCount: Number(r.leaf_count),
    root: BigInt(r.root!),
    createdAt: Number(r.created_at),
    commitTx: r.commit_tx ?? null,
    exportCid: r.export_cid ?? null,
  };
}

function proofRow(r: Row): ProofRecord {
  return {
    batchId: BigInt(r.batch_id!),
    status: r.status as ProofStatus,
    ruleVersion: BigInt(r.rule_version!),
    deviceWords: wordsFromJson(r.device_words!),
    proof: proofFromJson(r.proof),
    points: BigInt(r.points!),
    error: r.error ?? null,
    attempts: Number(r.attempts),
    updatedAt: Number(r.updated_at),
    settleTx: r.settle_tx ?? null,
  };
}

function txRow(r: Row): TxRecord {
  return {
    key: r.key!,
    from: r.from_addr!,
    nonce: BigInt(r.nonce!),
    hashes: JSON.parse(r.hashes!) as string[],
    raw: r.raw!,
    maxFeePerGas: BigInt(r.max_fee!),
    maxPriorityFeePerGas: BigInt(r.priority_fee!),
    status: r.status as TxStatus,
    minedHash: r.mined_hash ?? null,
    updatedAt: Number(r.updated_at),
  };
}

export class PostgresStore implements Store {
  readonly kind = "postgres" as const;
  private readonly pool: pg.Pool;

  /** `schema` isolates a deployment (and each test) inside one database. */
  /** Connections holding leadership (or trying to), by role. */
  private readonly leaders = new Map<string, { client: pg.Client; held: boolean; broken: boolean }>();
  private readonly claims = new Set<pg.Client>();

  constructor(
    private readonly url: string,
    private readonly schema = "depin",
  ) {
    if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`bad schema name ${schema}`);
    this.pool = new pg.Pool({ connectionString: url, max: 4, options: `-c search_path=${schema}` });
    // An idle pooled connection that the server drops (database restart, failover, idle kill)
    // emits 'error' on the pool; unhandled, that would crash the keeper. The pool discards that
    // client on its own and the next query opens a fresh connection; a query in flight fails
    // with its own error, which the caller's tick reports and retries.
    this.pool.on("error", (e: Error) => {
      this.lastIdleError = e.message;
    });
  }

  /** The last error of an idle pooled connection (e.g. the server restarted), for diagnostics. */
  lastIdleError: string | null = null;

  async init(): Promise<void> {
    const c = await this.pool.connect();
    try {
      // Serialise concurrent first-time schema creation by several processes.
      await c.query("BEGIN");
      await c.query("SELECT pg_advisory_xact_lock(4242)");
      await c.query(`CREATE SCHEMA IF NOT EXISTS ${this.schema}`);
      await c.query(`
        CREATE TABLE IF NOT EXISTS readings (
          id BIGSERIAL PRIMARY KEY,
          device_id BIGINT NOT NULL,
          seq BIGINT NOT NULL,
          timestamp BIGINT NOT NULL,
          value BIGINT NOT NULL,
          sig TEXT NOT NULL,
          epoch BIGINT NOT NULL,
          received_at BIGINT NOT NULL,
          batch_id BIGINT,
          batch_index INTEGER,
          leaf TEXT,
          UNIQUE (device_id, seq)
        );
        CREATE INDEX IF NOT EXISTS readings_unbatched ON readings (epoch, id) WHERE batch_id IS NULL;
        CREATE INDEX IF NOT EXISTS readings_by_batch ON readings (batch_id, batch_index) WHERE batch_id IS NOT NULL;
        CREATE TABLE IF NOT EXISTS equivocations (
          id BIGSERIAL PRIMARY KEY,
          device_id BIGINT NOT NULL,
          seq BIGINT NOT NULL,
          timestamp BIGINT NOT NULL,
          value BIGINT NOT NULL,
          sig TEXT NOT NULL,
          seen_at BIGINT NOT NULL,
          UNIQUE (device_id, seq, timestamp, value)
        );
        CREATE TABLE IF NOT EXISTS batches (
          batch_id BIGINT PRIMARY KEY,
          epoch BIGINT NOT NULL,
          depth INTEGER NOT NULL,
          leaf_count INTEGER NOT NULL,
          root TEXT NOT NULL,
          created_at BIGINT NOT NULL,
          commit_tx TEXT,
          export_cid TEXT
        );
        CREATE TABLE IF NOT EXISTS pruned_seq (
          device_id BIGINT PRIMARY KEY,
          last_seq BIGINT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS proofs (
          batch_id BIGINT PRIMARY KEY,
          status TEXT NOT NULL,
          rule_version TEXT NOT NULL,
          device_words TEXT NOT NULL,
          proof TEXT,
          points TEXT NOT NULL,
          error TEXT,
          attempts INTEGER NOT NULL,
          updated_at BIGINT NOT NULL,
          settle_tx TEXT
        );
        CREATE INDEX IF NOT EXISTS proofs_by_status ON proofs (status, batch_id);
        CREATE TABLE IF NOT EXISTS work_claims (
          kind TEXT NOT NULL,
          batch_id BIGINT NOT NULL,
          PRIMARY KEY (kind, batch_id)
        );
        CREATE TABLE IF NOT EXISTS meta (
          key TEXT PRIMARY KEY,
          value TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS txs (
          key TEXT PRIMARY KEY,
          from_addr TEXT NOT NULL,
          nonce BIGINT NOT NULL,
          hashes TEXT NOT NULL,
          raw TEXT NOT NULL,
          max_fee TEXT NOT NULL,
          priority_fee TEXT NOT NULL,
          status TEXT NOT NULL,
          mined_hash TEXT,
          updated_at BIGINT NOT NULL
        );`);
      await c.query("COMMIT");
    } catch (e) {
      await c.query("ROLLBACK");
      throw e;
    } finally {
      c.release();
    }
  }

  private async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    try {
      await c.query("BEGIN");
      const out = await fn(c);
      await c.query("COMMIT");
      return out;
    } catch (e) {
      await c.query("ROLLBACK").catch(() => undefined);
      throw e;
    } finally {
      c.release();
    }
  }

  async insertReadings(readings: NewReading[]): Promise<InsertOutcome[]> {
    if (readings.length === 0) return [];
    const now = Date.now();
    return this.tx(async (c) => {
      const params: unknown[] = [];
      const values = readings.map((r, i) => {
        params.push(
          toDb(r.deviceId).toString(),
          toDb(r.seq).toString(),
          r.timestamp.toString(),
          r.value.toString(),
          r.signature,
          r.epoch.toString(),
          now,
        );
        const b = i * 7;
        return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}, $${b + 6}, $${b + 7})`;
      });
      const ins = await c.query<{ id: string; device_id: string; seq: string }>(
        `INSERT INTO readings (device_id, seq, timestamp, value, sig, epoch, received_at) VALUES ${values.join(", ")}
         ON CONFLICT (device_id, seq) DO NOTHING RETURNING id, device_id, seq`,
        params,
      );
      const key = (d: string, s: string): string => `${d}:${s}`;
      const inserted = new Map(ins.rows.map((r) => [key(r.device_id, r.seq), BigInt(r.id)]));
      const out: InsertOutcome[] = [];
      const claimed = new Set<string>();
      for (const r of readings) {
        const k = key(toDb(r.deviceId).toString(), toDb(r.seq).toString());
        const id = inserted.get(k);
        if (id !== undefined && !claimed.has(k)) {
          claimed.add(k);
          out.push({ status: "stored", id });
          continue;
        }
        const prev = (
          await c.query<Row>("SELECT timestamp, value, sig FROM readings WHERE device_id = $1 AND seq = $2", [
            toDb(r.deviceId).toString(),
            toDb(r.seq).toString(),
          ])
        ).rows[0];
        if (BigInt(prev.timestamp!) === r.timestamp && BigInt(prev.value!) === r.value) {
          out.push({ status: "duplicate" });
          continue;
        }
        await c.query(
          `INSERT INTO equivocations (device_id, seq, timestamp, value, sig, seen_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
          [toDb(r.deviceId).toString(), toDb(r.seq).toString(), r.timestamp.toString(), r.value.toString(), r.signature, now],
        );
        out.push({
          status: "equivocation",
          stored: { timestamp: BigInt(prev.timestamp!), value: BigInt(prev.value!), signature: prev.sig! },
        });
      }
      return out;
    });
  }

  async getReading(deviceId: bigint, seq: bigint): Promise<StoredReading | null> {
    const r = await this.pool.query<Row>("SELECT * FROM readings WHERE device_id = $1 AND seq = $2", [
      toDb(deviceId).toString(),
      toDb(seq).toString(),
    ]);
    return r.rows[0] ? reading(r.rows[0]) : null;
  }

  async lastSeq(deviceId: bigint): Promise<bigint | null> {
    const r = await this.pool.query<{ s: string | null }>(
      `SELECT GREATEST((SELECT MAX(seq) FROM readings WHERE device_id = $1), (SELECT last_seq FROM pruned_seq WHERE device_id = $1)) AS s`,
      [toDb(deviceId).toString()],
    );
    const s = r.rows[0].s;
    return s === null ? null : fromDb(s);
  }

  async prunedSeq(deviceId: bigint): Promise<bigint | null> {
    const r = await this.pool.query<{ s: string }>("SELECT last_seq AS s FROM pruned_seq WHERE device_id = $1", [
      toDb(deviceId).toString(),
    ]);
    return r.rows[0] ? fromDb(r.rows[0].s) : null;
  }

  async bindMeta(key: string, value: string): Promise<string> {
    await this.pool.query("INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING", [key, value]);
    return (await this.pool.query<{ value: string }>("SELECT value FROM meta WHERE key = $1", [key])).rows[0].value;
  }

  async countReadings(): Promise<number> {
    return Number((await this.pool.query<{ n: string }>("SELECT COUNT(*) AS n FROM readings")).rows[0].n);
  }

  async allReadings(): Promise<StoredReading[]> {
    return (await this.pool.query<Row>("SELECT * FROM readings ORDER BY id")).rows.map(reading);
  }

  async equivocations(): Promise<Equivocation[]> {
    return (await this.pool.query<Row>("SELECT * FROM equivocations ORDER BY id")).rows.map((r) => ({
      deviceId: fromDb(r.device_id!),
      seq: fromDb(r.seq!),
      timestamp: BigInt(r.timestamp!),
      value: BigInt(r.value!),
      signature: r.sig!,
      seenAt: Number(r.seen_at),
    }));
  }

  async sealBatch(policy: SealPolicy): Promise<BatchRecord | null> {
    const capacity = merkleCapacity(policy.depth);
    return this.tx(async (c) => {
      await c.query("SELECT pg_advisory_xact_lock($1)", [SEAL_LOCK.toString()]);
      const epochs = (
        await c.query<{ epoch: string; n: string; oldest: string }>(
          "SELECT epoch, COUNT(*) AS n, MIN(received_at) AS oldest, MIN(id) AS first FROM readings WHERE batch_id IS NULL GROUP BY epoch ORDER BY first",
        )
      ).rows;
      for (const e of epochs) {
        const waited = policy.now - Number(e.oldest) >= policy.windowMs;
        if (!waited && Number(e.n) < capacity) continue;
        const rows = await this.candidates(c, e.epoch, capacity, policy.maxDevices);
        // Full, or the oldest reading has waited long enough: seal what there is.
        if (waited || rows.length === capacity) return this.seal(c, e.epoch, rows, policy);
      }
      return null;
    });
  }

  /** The next batch's readings of `epoch`, in arrival order, from at most `maxDevices` devices. */
  private async candidates(c: pg.PoolClient, epoch: string, capacity: number, maxDevices: number): Promise<StoredReading[]> {
    const pending = (
      await c.query<{ d: string }>(
        "SELECT DISTINCT device_id AS d FROM readings WHERE batch_id IS NULL AND epoch = $1 ORDER BY device_id",
        [epoch],
      )
    ).rows.map((r) => BigInt(r.d));
    if (pending.length <= maxDevices) {
      const all = await c.query<Row>("SELECT * FROM readings WHERE batch_id IS NULL AND epoch = $1 ORDER BY id LIMIT $2", [
        epoch,
        capacity,
      ]);
      return all.rows.map(reading);
    }
    const oldest = (
      await c.query<{ d: string }>(
        "SELECT device_id AS d FROM readings WHERE batch_id IS NULL AND epoch = $1 ORDER BY id LIMIT 1",
        [epoch],
      )
    ).rows[0].d;
    const chosen = pickDevices(pending, BigInt(oldest), maxDevices).map(String);
    const some = await c.query<Row>(
      "SELECT * FROM readings WHERE batch_id IS NULL AND epoch = $1 AND device_id = ANY($2::bigint[]) ORDER BY id LIMIT $3",
      [epoch, chosen, capacity],
    );
    return some.rows.map(reading);
  }

  private async seal(c: pg.PoolClient, epoch: string, rows: StoredReading[], policy: SealPolicy): Promise<BatchRecord> {
    const { leaves, root } = policy.commit(rows);
    const last = (await c.query<{ b: string }>("SELECT COALESCE(MAX(batch_id), 0) AS b FROM batches")).rows[0].b;
    const batchId = BigInt(last) + 1n;
    await c.query("INSERT INTO batches (batch_id, epoch, depth, leaf_count, root, created_at) VALUES ($1, $2, $3, $4, $5, $6)", [
      batchId.toString(),
      epoch,
      policy.depth,
      rows.length,
      root.toString(),
      policy.now,
    ]);
    const upd = await c.query(
      `UPDATE readings AS r SET batch_id = $1, batch_index = v.idx, leaf = v.leaf
       FROM (SELECT UNNEST($2::bigint[]) AS id, UNNEST($3::int[]) AS idx, UNNEST($4::text[]) AS leaf) AS v
       WHERE r.id = v.id AND r.batch_id IS NULL`,
      [batchId.toString(), rows.map((r) => r.id.toString()), rows.map((_, i) => i), leaves.map((l) => l.toString())],
    );
    if (upd.rowCount !== rows.length)
      throw new Error(`batch ${batchId}: ${rows.length - (upd.rowCount ?? 0)} readings were sealed concurrently`);
    return (await this.getBatchWith(c, batchId))!;
  }

  private async getBatchWith(c: pg.Pool | pg.PoolClient, batchId: bigint): Promise<BatchRecord | null> {
    const r = await c.query<Row>("SELECT * FROM batches WHERE batch_id = $1", [batchId.toString()]);
    return r.rows[0] ? batch(r.rows[0]) : null;
  }

  getBatch(batchId: bigint): Promise<BatchRecord | null> {
    return this.getBatchWith(this.pool, batchId);
  }

  async lastBatchId(): Promise<bigint> {
    return BigInt((await this.pool.query<{ b: string }>("SELECT COALESCE(MAX(batch_id), 0) AS b FROM batches")).rows[0].b);
  }

  async batchReadings(batchId: bigint): Promise<StoredReading[]> {
    return (
      await this.pool.query<Row>("SELECT * FROM readings WHERE batch_id = $1 ORDER BY batch_index", [batchId.toString()])
    ).rows.map(reading);
  }

  async listBatches(fromId: bigint, limit: number): Promise<BatchRecord[]> {
    return (
      await this.pool.query<Row>("SELECT * FROM batches WHERE batch_id >= $1 ORDER BY batch_id LIMIT $2", [
        fromId.toString(),
        limit,
      ])
    ).rows.map(batch);
  }

  async markCommitted(batchId: bigint, tx: string): Promise<void> {
    await this.pool.query("UPDATE batches SET commit_tx = $1 WHERE batch_id = $2", [tx, batchId.toString()]);
  }

  async markExported(batchId: bigint, cid: string, prune: boolean): Promise<void> {
    await this.tx(async (c) => {
      await c.query("UPDATE batches SET export_cid = $1 WHERE batch_id = $2", [cid, batchId.toString()]);
      if (prune) {
        await c.query(
          `INSERT INTO pruned_seq (device_id, last_seq) SELECT device_id, MAX(seq) FROM readings WHERE batch_id = $1 GROUP BY device_id
           ON CONFLICT (device_id) DO UPDATE SET last_seq = GREATEST(pruned_seq.last_seq, excluded.last_seq)`,
          [batchId.toString()],
        );
        await c.query("DELETE FROM readings WHERE batch_id = $1", [batchId.toString()]);
      }
    });
  }

  async putProof(p: NewProof): Promise<boolean> {
    const r = await this.pool.query(
      `INSERT INTO proofs (batch_id, status, rule_version, device_words, proof, points, error, attempts, updated_at) VALUES ($1, 'proven', $2, $3, $4, $5, NULL, 0, $6)
       ON CONFLICT (batch_id) DO UPDATE SET status = 'proven', rule_version = excluded.rule_version, device_words = excluded.device_words,
         proof = excluded.proof, points = excluded.points, error = NULL, updated_at = excluded.updated_at WHERE proofs.status = 'error'`,
      [
        p.batchId.toString(),
        p.ruleVersion.toString(),
        wordsToJson(p.deviceWords),
        proofToJson(p.proof),
        p.points.toString(),
        Date.now(),
      ],
    );
    return r.rowCount === 1;
  }

  async recordProofFailure(batchId: bigint, error: string, final: boolean, maxAttempts: number): Promise<ProofRecord | null> {
    const first = final || maxAttempts <= 1 ? "failed" : "error";
    await this.pool.query(
      `INSERT INTO proofs (batch_id, status, rule_version, device_words, proof, points, error, attempts, updated_at) VALUES ($1, $2, '0', '[]', NULL, '0', $3, 1, $4)
       ON CONFLICT (batch_id) DO UPDATE SET attempts = proofs.attempts + 1, error = excluded.error, updated_at = excluded.updated_at,
         status = CASE WHEN $5::boolean OR proofs.attempts + 1 >= $6 THEN 'failed' ELSE 'error' END WHERE proofs.status IN ('error', 'failed')`,
      [batchId.toString(), first, error, Date.now(), final, maxAttempts],
    );
    return this.getProof(batchId);
  }

  async rejectProof(batchId: bigint, error: string): Promise<void> {
    await this.pool.query(
      "UPDATE proofs SET status = 'failed', error = $1, updated_at = $2 WHERE batch_id = $3 AND status = 'proven'",
      [error, Date.now(), batchId.toString()],
    );
  }

  async getProof(batchId: bigint): Promise<ProofRecord | null> {
    const r = await this.pool.query<Row>("SELECT * FROM proofs WHERE batch_id = $1", [batchId.toString()]);
    return r.rows[0] ? proofRow(r.rows[0]) : null;
  }

  async listProofs(status: ProofStatus, limit: number): Promise<ProofRecord[]> {
    return (
      await this.pool.query<Row>("SELECT * FROM proofs WHERE status = $1 ORDER BY batch_id LIMIT $2", [status, limit])
    ).rows.map(proofRow);
  }

  async markSettled(batchId: bigint, tx: string): Promise<void> {
    await this.pool.query("UPDATE proofs SET status = 'settled', settle_tx = $1, updated_at = $2 WHERE batch_id = $3", [
      tx,
      Date.now(),
      batchId.toString(),
    ]);
  }

  async getTx(key: string): Promise<TxRecord | null> {
    const r = await this.pool.query<Row>("SELECT * FROM txs WHERE key = $1", [key]);
    return r.rows[0] ? txRow(r.rows[0]) : null;
  }

  async saveTx(t: TxRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO txs (key, from_addr, nonce, hashes, raw, max_fee, priority_fee, status, mined_hash, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (key) DO UPDATE SET from_addr = excluded.from_addr, nonce = excluded.nonce, hashes = excluded.hashes, raw = excluded.raw,
         max_fee = excluded.max_fee, priority_fee = excluded.priority_fee, status = excluded.status, mined_hash = excluded.mined_hash, updated_at = excluded.updated_at`,
      [
        t.key,
        t.from.toLowerCase(),
        t.nonce.toString(),
        JSON.stringify(t.hashes),
        t.raw,
        t.maxFeePerGas.toString(),
        t.maxPriorityFeePerGas.toString(),
        t.status,
        t.minedHash,
        Date.now(),
      ],
    );
  }

  async pendingTxs(from: string): Promise<TxRecord[]> {
    return (
      await this.pool.query<Row>("SELECT * FROM txs WHERE from_addr = $1 AND status = 'pending' ORDER BY nonce", [
        from.toLowerCase(),
      ])
    ).rows.map(txRow);
  }

  /** A connection outside the pool (holds that must end with it); `error` on it never crashes the process. */
  private async ownConnection(onError: (e: Error) => void): Promise<pg.Client> {
    const c = new pg.Client({ connectionString: this.url, options: `-c search_path=${this.schema}`, keepAlive: true });
    c.on("error", onError);
    await c.connect();
    return c;
  }

  async claimWork(kind: WorkKind, candidates: bigint[], limit: number, holdMs: number): Promise<WorkClaim> {
    if (candidates.length === 0 || limit <= 0) return { ids: [], lost: false, release: async () => undefined };
    const ids = candidates.map(String);
    // The rows exist before anyone locks them (an INSERT inside the locking transaction would make
    // a second instance's INSERT wait for it instead of skipping).
    await this.pool.query("INSERT INTO work_claims (kind, batch_id) SELECT $1, UNNEST($2::bigint[]) ON CONFLICT DO NOTHING", [
      kind,
      ids,
    ]);
    const state = { lost: false, released: false };
    const c = await this.ownConnection(() => {
      state.lost = !state.released;
    });
    this.claims.add(c);
    let renew: NodeJS.Timeout | undefined;
    const end = async (): Promise<void> => {
      clearInterval(renew);
      state.released = true;
      this.claims.delete(c);
      await c.query("ROLLBACK").catch(() => undefined);
      await c.end().catch(() => undefined);
    };
    try {
      await c.query("BEGIN");
      // A holder that stops renewing (frozen, partitioned) loses the hold after holdMs.
      await c.query(`SET LOCAL idle_in_transaction_session_timeout = ${Math.max(1000, Math.floor(holdMs))}`);
      const got = await c.query<{ batch_id: string }>(
        `SELECT batch_id FROM work_claims WHERE kind = $1 AND batch_id = ANY($2::bigint[])
         ORDER BY array_position($2::bigint[], batch_id) LIMIT $3 FOR UPDATE SKIP LOCKED`,
        [kind, ids, limit],
      );
      if (got.rows.length === 0) {
        await end();
        return { ids: [], lost: false, release: async () => undefined };
      }
      renew = setInterval(
        () => {
          c.query("SELECT 1").catch(() => {
            state.lost = !state.released;
          });
        },
        Math.max(300, Math.floor(holdMs / 3)),
      );
      renew.unref();
      return {
        ids: got.rows.map((r) => BigInt(r.batch_id)),
        get lost() {
          return state.lost;
        },
        release: end,
      };
    } catch (e) {
      await end();
      throw e;
    }
  }

  async lead(role: string, leaseMs: number): Promise<boolean> {
    let l = this.leaders.get(role);
    if (l && !l.broken) {
      try {
        if (l.held) {
          // Renewing: a leader whose connection died (or idled past the lease) has lost the lock.
          await l.client.query("SELECT 1");
          return true;
        }
      } catch {
        l.broken = true;
      }
    }
    if (l?.broken) {
      this.leaders.delete(role);
      await l.client.end().catch(() => undefined);
      l = undefined;
    }
    if (!l) {
      const entry = { client: undefined as unknown as pg.Client, held: false, broken: false };
      entry.client = await this.ownConnection(() => {
        entry.broken = true;
      });
      // The session ends (and the lock with it) once the leader has not renewed it for leaseMs.
      await entry.client.query(`SET idle_session_timeout = ${Math.max(1000, Math.floor(leaseMs))}`);
      this.leaders.set(role, entry);
      l = entry;
    }
    try {
      const r = await l.client.query<{ ok: boolean }>("SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok", [
        `depin:${this.schema}:${role}`,
      ]);
      l.held = r.rows[0].ok;
      return l.held;
    } catch (e) {
      l.broken = true;
      throw e;
    }
  }

  /** Drops the whole schema (tests). */
  async dropSchema(): Promise<void> {
    await this.pool.query(`DROP SCHEMA IF EXISTS ${this.schema} CASCADE`);
  }

  async close(): Promise<void> {
    for (const l of this.leaders.values()) await l.client.end().catch(() => undefined);
    this.leaders.clear();
    for (const c of this.claims) await c.end().catch(() => undefined);
    this.claims.clear();
    await this.pool.end();
  }
}
