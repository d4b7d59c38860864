/**
 * The network API, served by the indexer: GraphQL (/graphql, schema by introspection) and SQL
 * over HTTP (/sql) over every indexed table, and REST views documented in /openapi.json
 * (indexer/openapi.ts): network, devices, batch pipeline times, epochs, proposals, receipts.
 * Off-chain stages (first reading, sealed, proven) and reading rates come from the keepers'
 * store (--store); keepers' health from their /status URLs (--keeper-status).
 */
import { db } from "ponder:api";
import schema from "ponder:schema";
import { Hono, type Context } from "hono";
import { and, client, count, desc, eq, graphql, ilike, lt, or, sql, sum } from "ponder";
import { Contract, JsonRpcProvider } from "ethers";
import { deviceDid, earnReasons, payoutOf, type SignedReading } from "../../../sdk/src/index.js";
import type { Store } from "../../../keepers/common/store/index.js";
import { OPENAPI } from "../../openapi.js";
import { buildReceipt, localVerificationKeys, ReceiptError } from "../../receipt.js";
import { openKeeperStore, storeReadings } from "../../store-source.js";
import { indexerSettings, REPO_ROOT } from "../../settings.js";

const settings = indexerSettings();
const app = new Hono();
app.use("/graphql", graphql({ db, schema }));
app.use("/sql/*", client({ db, schema }));

const json = (c: Context, body: unknown, status = 200) =>
  c.body(
    JSON.stringify(body, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)),
    status as 200,
    {
      "content-type": "application/json",
    },
  );
const bad = (c: Context, status: number, code: string, message: string) => json(c, { error: { code, message } }, status);

let storePromise: Promise<Store> | null = null;
const keeperStore = (): Promise<Store> | null => {
  if (!settings.storeUrl) return null;
  storePromise ??= openKeeperStore(settings.storeUrl).catch((e: unknown) => {
    storePromise = null;
    throw e;
  });
  return storePromise;
};
const provider = new JsonRpcProvider(settings.rpcUrl, settings.deployment.chainId, { staticNetwork: true });

/** Readings per second between two calls of /v1/network (the store's count, sampled). */
let lastSample: { at: number; readings: number } | null = null;

const uintParam = (v: string): bigint | null => (/^\d{1,20}$/.test(v) ? BigInt(v) : null);

app.get("/openapi.json", (c) => c.json(OPENAPI));

/**
 * `fn`'s answer, kept for `ms`: what /v1/network asks the chain and the keepers is asked at most
 * once per interval however often the API is called (no RPC amplification by API callers).
 */
function memo<K, V>(ms: number, fn: (k: K) => Promise<V>): (k: K) => Promise<V> {
  const cache = new Map<K, { at: number; value: Promise<V> }>();
  return (k: K) => {
    const hit = cache.get(k);
    if (hit && Date.now() - hit.at < ms) return hit.value;
    const value = fn(k);
    cache.set(k, { at: Date.now(), value });
    value.catch(() => cache.delete(k));
    if (cache.size > 10_000) cache.delete(cache.keys().next().value as K);
    return value;
  };
}

/** The chain's latest block time (s): stages measured in chain time (final, closable) compare to it. */
const chainNow = memo(1000, async (_: null): Promise<bigint> => BigInt((await provider.getBlock("latest"))?.timestamp ?? 0));
/** A committed batch's challenge deadline is fixed at its commitment. */
const challengeDeadline = memo(Number.MAX_SAFE_INTEGER, async (id: bigint): Promise<bigint | null> => {
  const da = daContract();
  return da ? BigInt((await da.challengeDeadline(id)) as bigint) : null;
});
/** Governance can change the settlement delay: asked again after 10 s. */
const closableAt = memo(10_000, async (epoch: bigint): Promise<bigint | null> => {
  const dist = distributorContract();
  return dist ? BigInt((await dist.closableAt(epoch)) as bigint) : null;
});
const daContract = () => {
  const a = settings.deployment.contracts.dataAvailability?.address;
  return a ? new Contract(a, ["function challengeDeadline(uint256) view returns (uint64)"], provider) : null;
};
const distributorContract = () => {
  const a = settings.deployment.contracts.rewardDistributor?.address;
  return a ? new Contract(a, ["function closableAt(uint64) view returns (uint64)"], provider) : null;
};

interface KeeperHealth {
  url: string;
  name: string | null;
  /** Reachable and its last tick succeeded. */
  ok: boolean;
  /** The keeper's own health state (starting | ok | rpc-down | error), or "unreachable". */
  state: string;
  lastTickAt: number | null;
  lastError: string | null;
  status?: unknown;
}

async function keeperHealth(url: string): Promise<KeeperHealth> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    const status = (await res.json()) as {
      keeper?: string;
      health?: { state?: string; lastError?: string };
      lastTickAt?: number | null;
    };
    const state = res.ok ? (status.health?.state ?? "unknown") : `http-${res.status}`;
    return {
      url,
      name: status.keeper ?? null,
      ok: state === "ok",
      state,
      lastTickAt: status.lastTickAt ?? null,
      lastError: status.health?.lastError ?? null,
      status,
    };
  } catch (e) {
    return { url, name: null, ok: false, state: "unreachable", lastTickAt: null, lastError: (e as Error).message };
  }
}

const keeperHealthNow = memo(1000, keeperHealth);

/**
 * A stage of the pipeline that waits longer than --stall-seconds: a sealed batch not committed
 * (DA keeper), a final batch not settled (prover, submitter), a closable epoch not closed (epoch
 * keeper), a keeper that is down or failing.
 */
interface Stall {
  stage: "commit" | "settle" | "close" | "keeper";
  /** Seconds waited: wall clock for store stages, chain time for on-chain ones. */
  waitingSeconds: number | null;
  batchId?: bigint;
  epoch?: bigint;
  keeper?: string;
  message: string;
}

app.get("/v1/network", async (c) => {
  const devices = await db.select({ status: schema.device.status, n: count() }).from(schema.device).groupBy(schema.device.status);
  const batches = await db
    .select({
      id: schema.batch.id,
      settledAt: schema.batch.settledAt,
      invalidatedAt: schema.batch.invalidatedAt,
    })
    .from(schema.batch);
  const epochs = await db.select().from(schema.epoch).orderBy(desc(schema.epoch.id)).limit(50);
  const [burns] = await db.select({ n: count(), amount: sum(schema.creditBurn.amount) }).from(schema.creditBurn);
  const stages = { committed: 0, invalidated: 0, settled: 0, sealedNotCommitted: null as number | null };
  let lastCommitted = 0n;
  const waiting: bigint[] = [];
  for (const b of batches) {
    if (b.id > lastCommitted) lastCommitted = b.id;
    if (b.invalidatedAt !== null) stages.invalidated++;
    else if (b.settledAt !== null) stages.settled++;
    else {
      stages.committed++;
      waiting.push(b.id);
    }
  }
  const stalls: Stall[] = [];
  const stallMs = settings.stallSeconds * 1000;
  let readings: { total: number; perSecond: number | null } | null = null;
  let proofs: Record<string, number> | null = null;
  const sp = keeperStore();
  if (sp) {
    const store = await sp;
    const total = await store.countReadings();
    const now = Date.now();
    readings = {
      total,
      perSecond: lastSample && now > lastSample.at ? ((total - lastSample.readings) * 1000) / (now - lastSample.at) : null,
    };
    lastSample = { at: now, readings: total };
    const sealed = Number(await store.lastBatchId());
    stages.sealedNotCommitted = Math.max(0, sealed - batches.length);
    for (const b of await store.listBatches(lastCommitted + 1n, 100)) {
      if (now - b.createdAt > stallMs)
        stalls.push({
          stage: "commit",
          batchId: b.batchId,
          waitingSeconds: Math.floor((now - b.createdAt) / 1000),
          message: `batch ${b.batchId} sealed ${Math.floor((now - b.createdAt) / 1000)} s ago, not committed on-chain (DA keeper)`,
        });
    }
    proofs = {};
    for (const s of ["proven", "settled", "error", "failed"] as const) proofs[s] = (await store.listProofs(s, 100_000)).length;
  }
  // On-chain stages, judged in chain time (only for what is still waiting: a few calls).
  const open = epochs.filter((e) => !e.closed && e.settledPoints > 0n);
  if (waiting.length > 0 || open.length > 0) {
    const t = await chainNow(null);
    for (const id of waiting.slice(0, 100)) {
      const deadline = await challengeDeadline(id);
      if (deadline !== null && t - deadline > BigInt(settings.stallSeconds))
        stalls.push({
          stage: "settle",
          batchId: id,
          waitingSeconds: Number(t - deadline),
          message: `batch ${id} final for ${t - deadline} s (chain time), not settled (prover, submitter)`,
        });
    }
    for (const e of open) {
      const closable = await closableAt(e.id);
      if (closable !== null && t - closable > BigInt(settings.stallSeconds))
        stalls.push({
          stage: "close",
          epoch: e.id,
          waitingSeconds: Number(t - closable),
          message: `epoch ${e.id} closable for ${t - closable} s (chain time), not closed (epoch keeper)`,
        });
    }
  }
  const keepers = await Promise.all(settings.keeperStatusUrls.map(keeperHealthNow));
  for (const k of keepers.filter((x) => !x.ok)) {
    stalls.push({
      stage: "keeper",
      keeper: k.name ?? k.url,
      waitingSeconds: k.lastTickAt ? Math.floor((Date.now() - k.lastTickAt) / 1000) : null,
      message: `keeper ${k.name ?? k.url} is ${k.state}${k.lastError ? `: ${k.lastError}` : ""}`,
    });
  }
  return json(c, {
    chainId: settings.deployment.chainId,
    devices: Object.fromEntries(devices.map((d) => [d.status, d.n])),
    readings,
    batches: stages,
    proofs: proofs ?? { settled: stages.settled },
    epochs: epochs.map((e) => ({
      epoch: e.id,
      points: e.totalPoints ?? e.settledPoints,
      emission: e.emission,
      closed: e.closed,
    })),
    dataCredits: { burns: burns?.n ?? 0, burned: burns?.amount ?? "0" },
    keepers,
    stallSeconds: settings.stallSeconds,
    stalls,
  });
});

const DEVICE_STATUSES = ["provisioned", "bound", "active", "suspended", "decommissioned"];

/** Devices, searchable (id, owner, account or maker prefix) and filterable by status; paged. */
app.get("/v1/devices", async (c) => {
  const q = (c.req.query("q") ?? "").trim().toLowerCase();
  const status = c.req.query("status") ?? "";
  const limit = Number(c.req.query("limit") ?? "100");
  const offset = Number(c.req.query("offset") ?? "0");
  if (!/^[0-9a-fx]{0,66}$/.test(q)) return bad(c, 400, "BAD_QUERY", "q must be a device id or a 0x address prefix");
  if (status !== "" && !DEVICE_STATUSES.includes(status))
    return bad(c, 400, "BAD_STATUS", `status must be one of ${DEVICE_STATUSES.join(", ")}`);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return bad(c, 400, "BAD_LIMIT", "limit must be 1..1000");
  if (!Number.isInteger(offset) || offset < 0) return bad(c, 400, "BAD_OFFSET", "offset must be a non-negative integer");
  const d = schema.device;
  const conds = [];
  if (status) conds.push(eq(d.status, status));
  if (/^\d+$/.test(q)) conds.push(eq(d.id, BigInt(q)));
  else if (q) conds.push(or(ilike(d.owner, `${q}%`), ilike(d.account, `${q}%`), ilike(d.maker, `${q}%`)));
  const where = conds.length ? and(...conds) : undefined;
  const [total] = await db.select({ n: count() }).from(d).where(where);
  const rows = await db.select().from(d).where(where).orderBy(d.id).limit(limit).offset(offset);
  const points = new Map<bigint, { points: bigint; epochs: number }>();
  if (rows.length > 0) {
    const agg = await db
      .select({ id: schema.deviceEpoch.deviceId, points: sum(schema.deviceEpoch.points), epochs: count() })
      .from(schema.deviceEpoch)
      .where(
        sql`${schema.deviceEpoch.deviceId} in (${sql.join(
          rows.map((r) => sql`${r.id}`),
          sql`, `,
        )})`,
      )
      .groupBy(schema.deviceEpoch.deviceId);
    for (const a of agg) points.set(BigInt(a.id), { points: BigInt(a.points ?? 0), epochs: a.epochs });
  }
  return json(c, {
    total: total?.n ?? 0,
    devices: rows.map((r) => ({ ...r, points: points.get(r.id)?.points ?? 0n, epochs: points.get(r.id)?.epochs ?? 0 })),
  });
});

/** Batches, newest first, with their stage and chain times (unix s). */
app.get("/v1/batches", async (c) => {
  const limit = Number(c.req.query("limit") ?? "100");
  const before = c.req.query("before");
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return bad(c, 400, "BAD_LIMIT", "limit must be 1..1000");
  const b = before === undefined ? null : uintParam(before);
  if (before !== undefined && b === null) return bad(c, 400, "BAD_BATCH_ID", "before must be a non-negative integer");
  const rows = await db
    .select()
    .from(schema.batch)
    .where(b === null ? undefined : lt(schema.batch.id, b))
    .orderBy(desc(schema.batch.id))
    .limit(limit);
  return json(c, {
    batches: rows.map((r) => ({
      ...r,
      stage: r.invalidatedAt !== null ? "invalidated" : r.settledAt !== null ? "settled" : "committed",
    })),
  });
});

const windowCache = new Map<bigint, { start: bigint; end: bigint }>();
const distributorViews = () =>
  new Contract(
    settings.deployment.contracts.rewardDistributor!.address,
    ["function epochWindow(uint64 epoch) view returns (uint256 start, uint256 end)"],
    provider,
  );

/**
 * A device's recent readings (store) with their fate: stored (waiting for a batch), batched
 * (sealed, not committed), committed (awaiting proof and settlement), invalidated, or settled:
 * earned, or why not (sdk earnReasons under the rule version the batch was settled with).
 */
app.get("/v1/devices/:id/readings", async (c) => {
  const id = uintParam(c.req.param("id"));
  if (id === null) return bad(c, 400, "BAD_DEVICE_ID", "device id must be a non-negative integer");
  const limit = Number(c.req.query("limit") ?? "20");
  if (!Number.isInteger(limit) || limit < 1 || limit > 200) return bad(c, 400, "BAD_LIMIT", "limit must be 1..200");
  const sp = keeperStore();
  if (!sp) return bad(c, 503, "NO_STORE", "the indexer was started without --store: readings live in the keepers' store");
  const store = await sp;
  const last = await store.lastSeq(id);
  const out = [];
  const batchCache = new Map<bigint, Map<bigint, string>>();
  for (let seq = last; seq !== null && seq >= 0n && out.length < limit && (last ?? 0n) - seq < BigInt(limit) * 4n; seq--) {
    const r = await store.getReading(id, seq);
    if (!r) continue;
    let fate = "stored";
    let reason: string | null = null;
    if (r.batchId !== null) {
      const [b] = await db.select().from(schema.batch).where(eq(schema.batch.id, r.batchId));
      if (!b) fate = "batched";
      else if (b.invalidatedAt !== null) fate = "invalidated";
      else if (b.settledAt === null) fate = "committed";
      else {
        let reasons = batchCache.get(b.id);
        if (!reasons) {
          const [rv] = await db
            .select()
            .from(schema.ruleVersion)
            .where(eq(schema.ruleVersion.id, b.ruleVersion ?? 0n));
          let w = windowCache.get(b.epoch);
          if (!w) {
            const [start, end] = (await distributorViews().epochWindow(b.epoch)) as [bigint, bigint];
            w = { start, end };
            windowCache.set(b.epoch, w);
          }
          const mine = (await store.batchReadings(b.id)).filter((x) => x.deviceId === id);
          const signed: SignedReading[] = mine.map((x) => ({
            deviceId: x.deviceId,
            seq: x.seq,
            timestamp: x.timestamp,
            value: x.value,
            signature: x.signature as `0x${string}`,
          }));
          const rs = rv ? earnReasons(signed, rv, w) : signed.map(() => "unknown-rule");
          reasons = new Map(mine.map((x, i) => [x.seq, rs[i]]));
          batchCache.set(b.id, reasons);
        }
        reason = reasons.get(r.seq) ?? null;
        fate = reason === "earned" ? "earned" : "not-earned";
      }
    }
    out.push({
      seq: r.seq,
      timestamp: r.timestamp,
      value: r.value,
      receivedAt: r.receivedAt,
      batchId: r.batchId,
      fate,
      reason,
    });
  }
  return json(c, { deviceId: id, readings: out });
});

app.get("/v1/devices/:id", async (c) => {
  const id = uintParam(c.req.param("id"));
  if (id === null) return bad(c, 400, "BAD_DEVICE_ID", "device id must be a non-negative integer");
  const [d] = await db.select().from(schema.device).where(eq(schema.device.id, id));
  if (!d) return bad(c, 404, "UNKNOWN_DEVICE", `device ${id} is not registered`);
  const rows = await db
    .select()
    .from(schema.deviceEpoch)
    .where(eq(schema.deviceEpoch.deviceId, id))
    .orderBy(schema.deviceEpoch.epoch);
  const epochs = new Map((await db.select().from(schema.epoch)).map((e) => [e.id, e]));
  let lastReading = null;
  const sp = keeperStore();
  if (sp) {
    const store = await sp;
    const seq = await store.lastSeq(id);
    const r = seq === null ? null : await store.getReading(id, seq);
    if (r) lastReading = { seq: r.seq, timestamp: r.timestamp, value: r.value, receivedAt: r.receivedAt, batchId: r.batchId };
  }
  return json(c, {
    ...d,
    did: deviceDid(BigInt(settings.deployment.chainId), id),
    lastReading,
    epochs: rows.map((r) => {
      const e = epochs.get(r.epoch);
      const payout = e?.closed ? payoutOf(r.points, e.emission ?? 0n, e.totalPoints ?? 0n) : null;
      return {
        epoch: r.epoch,
        points: r.points,
        payout,
        claimable: e?.closed && !r.claimed ? payout : 0n,
        claimed: r.claimed,
        claimedAmount: r.amount,
        claimTx: r.claimTx,
      };
    }),
  });
});

app.get("/v1/batches/:id", async (c) => {
  const id = uintParam(c.req.param("id"));
  if (id === null) return bad(c, 400, "BAD_BATCH_ID", "batch id must be a non-negative integer");
  const [b] = await db.select().from(schema.batch).where(eq(schema.batch.id, id));
  const sp = keeperStore();
  const store = sp ? await sp : null;
  const sealed = store ? await store.getBatch(id) : null;
  if (!b && !sealed) return bad(c, 404, "UNKNOWN_BATCH", `batch ${id} is neither committed nor sealed`);
  let firstReading: number | null = null;
  if (store && sealed) {
    const rs = await store.batchReadings(id);
    firstReading = rs.length ? Math.min(...rs.map((r) => r.receivedAt)) : null;
  }
  const proof = store ? await store.getProof(id) : null;
  let finalAt: bigint | null = null;
  if (b) {
    try {
      finalAt = await challengeDeadline(id);
    } catch {
      finalAt = null;
    }
  }
  // Times in unix seconds (chain) or milliseconds (store), as labelled.
  return json(c, {
    batchId: id,
    epoch: b?.epoch ?? sealed?.epoch,
    root: b?.root ?? sealed?.root,
    leafCount: b?.leafCount ?? sealed?.leafCount,
    stage: b?.invalidatedAt
      ? "invalidated"
      : b?.settledAt
        ? "settled"
        : proof?.status === "proven"
          ? "proven"
          : b
            ? "committed"
            : "sealed",
    times: {
      firstReadingMs: firstReading,
      sealedMs: sealed?.createdAt ?? null,
      committed: b?.committedAt ?? null,
      final: finalAt,
      provenMs: proof && (proof.status === "proven" || proof.status === "settled") ? proof.updatedAt : null,
      settled: b?.settledAt ?? null,
    },
    commitTx: b?.commitTx ?? sealed?.commitTx ?? null,
    settleTx: b?.settleTx ?? null,
    proofStatus: proof?.status ?? null,
    proofError: proof?.error ?? null,
    points: b?.points ?? null,
  });
});

app.get("/v1/epochs", async (c) => json(c, await db.select().from(schema.epoch).orderBy(desc(schema.epoch.id)).limit(500)));

app.get("/v1/epochs/:id", async (c) => {
  const id = uintParam(c.req.param("id"));
  if (id === null) return bad(c, 400, "BAD_EPOCH", "epoch must be a non-negative integer");
  const [e] = await db.select().from(schema.epoch).where(eq(schema.epoch.id, id));
  if (!e) return bad(c, 404, "UNKNOWN_EPOCH", `nothing happened in epoch ${id}`);
  const devices = await db.select().from(schema.deviceEpoch).where(eq(schema.deviceEpoch.epoch, id));
  const batches = await db.select().from(schema.batch).where(eq(schema.batch.epoch, id));
  return json(c, {
    ...e,
    batches: batches.map((b) => b.id),
    devices: devices.map((d) => ({ deviceId: d.deviceId, points: d.points, claimed: d.claimed })),
  });
});

app.get("/v1/proposals", async (c) => {
  const proposals = await db.select().from(schema.proposal).orderBy(desc(schema.proposal.voteStart)).limit(200);
  const ops = await db.select().from(schema.timelockOperation);
  const t = ops.some((o) => o.stage === "scheduled") ? await chainNow(null) : 0n;
  // A scheduled operation is "waiting" until its ready time (chain time), then "ready".
  const timelock = ops.map((o) => ({ ...o, state: o.stage === "scheduled" ? (t >= o.readyAt ? "ready" : "waiting") : o.stage }));
  const byTx = new Map(timelock.map((o) => [o.scheduledTx.toLowerCase(), o]));
  const out = [];
  for (const p of proposals) {
    const votes = await db.select().from(schema.vote).where(eq(schema.vote.proposalId, p.id));
    // The Governor queues through the timelock in the same transaction (ProposalQueued + CallScheduled).
    const op = p.queuedTx ? (byTx.get(p.queuedTx.toLowerCase()) ?? null) : null;
    out.push({ ...p, votes, timelockOperation: op });
  }
  return json(c, { proposals: out, timelock });
});

app.get("/v1/receipts/:device/:epoch", async (c) => {
  const deviceId = uintParam(c.req.param("device"));
  const epoch = uintParam(c.req.param("epoch"));
  if (deviceId === null || epoch === null) return bad(c, 400, "BAD_REQUEST", "device and epoch must be non-negative integers");
  const sp = keeperStore();
  if (!sp) return bad(c, 503, "NO_STORE", "the indexer was started without --store: receipts need the batches' readings");
  const d = settings.deployment.contracts;
  try {
    const receipt = await buildReceipt({
      provider,
      distributor: d.rewardDistributor.address,
      fromBlock: Math.min(d.rewardDistributor.startBlock, d.dataAvailability?.startBlock ?? 0),
      readings: storeReadings(await sp),
      verificationKeys: localVerificationKeys(`${REPO_ROOT}/build/circuits`),
      deviceId,
      epoch,
    });
    return json(c, receipt);
  } catch (e) {
    if (e instanceof ReceiptError) {
      const status =
        e.code === "UNKNOWN_DEVICE" || e.code === "UNKNOWN_EPOCH" || e.code === "NOTHING_EARNED"
          ? 404
          : e.code === "EPOCH_NOT_CLOSED"
            ? 409
            : 502;
      return bad(c, status, e.code, e.message);
    }
    throw e;
  }
});

// Any other /v1 path: a JSON error, like every other answer of the REST views.
app.all("/v1/*", (c) => bad(c, 404, "NOT_FOUND", `no such endpoint: ${c.req.method} ${c.req.path} (see /openapi.json)`));

export default app;
