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
import { client, count, desc, eq, graphql, sum } from "ponder";
import { Contract, JsonRpcProvider } from "ethers";
import { deviceDid, payoutOf } from "../../../sdk/src/index.js";
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

app.get("/v1/network", async (c) => {
  const devices = await db.select({ status: schema.device.status, n: count() }).from(schema.device).groupBy(schema.device.status);
  const batches = await db.select().from(schema.batch);
  const epochs = await db.select().from(schema.epoch).orderBy(desc(schema.epoch.id)).limit(50);
  const [burns] = await db.select({ n: count(), amount: sum(schema.creditBurn.amount) }).from(schema.creditBurn);
  const stages = { committed: 0, invalidated: 0, settled: 0, sealedNotCommitted: null as number | null };
  for (const b of batches) {
    if (b.invalidatedAt !== null) stages.invalidated++;
    else if (b.settledAt !== null) stages.settled++;
    else stages.committed++;
  }
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
    proofs = {};
    for (const s of ["proven", "settled", "error", "failed"] as const) proofs[s] = (await store.listProofs(s, 100_000)).length;
  }
  const keepers = await Promise.all(
    settings.keeperStatusUrls.map(async (url) => {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
        return { url, ok: res.ok, status: (await res.json()) as unknown };
      } catch (e) {
        return { url, ok: false, error: (e as Error).message };
      }
    }),
  );
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
  });
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
      const da = settings.deployment.contracts.dataAvailability?.address;
      if (da) {
        finalAt = BigInt(
          (await new Contract(da, ["function challengeDeadline(uint256) view returns (uint64)"], provider).challengeDeadline(
            id,
          )) as bigint,
        );
      }
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
  const out = [];
  for (const p of proposals) {
    const votes = await db.select().from(schema.vote).where(eq(schema.vote.proposalId, p.id));
    out.push({ ...p, votes });
  }
  return json(c, { proposals: out, timelock: ops });
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

export default app;
