/**
 * The indexer and the network API (docs/indexer.md), on the in-process chain:
 *   indexerEventsPerSecond   `npm run indexer` (Ponder, embedded PGlite) catching up on a local history:
 *                            10,000 devices bound through the real DeviceRegistry (Identity Ignition
 *                            module) in batches of 50 (`bindDevices`, one block each), every log of
 *                            the registry indexed (event rows + device rows); timed from the API
 *                            answering /health to /ready (backfill done)
 *   indexerCatchupRatio      that rate ÷ a bare `eth_getLogs` scan of the same range and addresses
 *                            over the same JSON-RPC endpoint, in the same run
 *   apiP99Ms                 p99 latency of GET /v1/devices/{id} (random ids) and GET /v1/network on
 *                            that index of 10,000 devices (sequential requests after a warm-up)
 *   receiptVerifySeconds     verifying one device-epoch receipt (verifyReceipt: leaves, inclusion
 *                            proofs, signatures, Groth16 proofs, payout) of a B = 16 network with a
 *                            real settled, closed epoch (the receipts test's network)
 * `--quick`: 1,000 devices, fewer requests.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { network } from "hardhat";
import { KEY_TYPE_CODE, KeyTree, makeBindRequest, publicKeyOf } from "../sdk/src/index.js";
import { freePort, rpcEndpoint } from "../keepers/common/net.js";
import { deployIdentity, deviceKeys } from "../test/identity/fixture.js";
import { buildReceipt, localVerificationKeys, verifyReceipt } from "../indexer/receipt.js";
import { storeReadings } from "../indexer/store-source.js";
import { DAY, keyOf, setup } from "../test/keepers/prover/fixture.js";
import type { BenchContext, BenchSuite, Figure } from "./types.js";

const BATCH = 50;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function waitHttp(url: string, ms: number, child: ChildProcess, log: () => string): Promise<number> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (child.exitCode !== null) throw new Error(`the indexer exited (${child.exitCode}):\n${log().slice(-3000)}`);
    try {
      const res = await fetch(url);
      if (res.ok) return performance.now();
    } catch {
      /* not up yet */
    }
    await sleep(20);
  }
  throw new Error(`timed out waiting for ${url}\n${log().slice(-3000)}`);
}

async function indexerAndApi(ctx: BenchContext): Promise<Figure[]> {
  const devices = ctx.quick ? 1_000 : 10_000;
  const conn = await network.create();
  const f = await deployIdentity(conn);
  const { ethers } = conn;
  const owners = f.signers.slice(4, 8);

  // ------------------------------------------------------------ the history: devices bound in batches
  ctx.log(`indexer: ${devices} device keys, maker root, ${devices / BATCH} bindDevices transactions…`);
  const keys = deviceKeys("secp256k1", devices, "indexer-bench");
  const tree = new KeyTree(keys.map(publicKeyOf));
  await (await f.registry.connect(f.maker).publishMakerRoot(tree.root, BigInt(tree.size), "ipfs://bench")).wait();
  const deadline = (await f.now()) + 30n * 86_400n;
  for (let b = 0; b < devices / BATCH; b++) {
    const owner = owners[b % owners.length];
    const nonce0 = BigInt(Math.floor(b / owners.length) * BATCH);
    const reqs = keys
      .slice(b * BATCH, (b + 1) * BATCH)
      .map((k, i) =>
        makeBindRequest(k, tree, f.domain, { owner: owner.address as `0x${string}`, nonce: nonce0 + BigInt(i), deadline }),
      );
    await (await f.registry.connect(owner).bindDevices(reqs)).wait();
  }
  const last = keys[devices - 1];
  const lastId = await f.registry.deviceOfKey(KEY_TYPE_CODE[last.type], last.publicId);
  if (lastId !== BigInt(devices)) throw new Error(`expected device ids 1..${devices}, the last is ${lastId}`);
  // Blocks past the indexer's finality depth (30 on a development chain): the whole history is backfill.
  for (let i = 0; i < 40; i++) await conn.provider.request({ method: "evm_mine", params: [] });
  const head = await ethers.provider.getBlockNumber();
  const addresses = [await f.registry.getAddress(), await f.factory.getAddress()];
  const rpc = await rpcEndpoint(conn.provider);
  const getLogs = async (): Promise<number> => {
    const res = await fetch(rpc.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "eth_getLogs",
        params: [{ address: addresses, fromBlock: "0x0", toBlock: `0x${head.toString(16)}` }],
      }),
    });
    return ((await res.json()) as { result: unknown[] }).result.length;
  };
  const events = await getLogs();
  ctx.log(`indexer: ${events} logs in ${head} blocks`);
  if (process.env.DEPIN_BENCH_LOGS) {
    // What an indexer also needs: each block with logs, with its transactions (sequential).
    const t0 = performance.now();
    for (let b = 0; b <= head; b++)
      await fetch(rpc.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_getBlockByNumber", params: [`0x${b.toString(16)}`, true] }),
      }).then((r) => r.arrayBuffer());
    ctx.log(`eth_getBlockByNumber(full) of ${head + 1} blocks: ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  }

  const dir = mkdtempSync(path.join(os.tmpdir(), "indexer-bench-"));
  const deployment = path.join(dir, "31337.json");
  writeFileSync(
    deployment,
    JSON.stringify({
      version: 1,
      chainId: 31337,
      network: "bench",
      module: "Identity",
      contracts: {
        deviceRegistry: { address: addresses[0], startBlock: 0 },
        deviceAccountFactory: { address: addresses[1], startBlock: 0 },
      },
    }),
  );
  /** Starts `npm run indexer` on a fresh PGlite and times its catch-up (/health → /ready). */
  const catchUp = async (label: string, extra: string[]) => {
    const port = await freePort();
    const requestsBefore = rpc.stats().requests;
    const child = spawn(
      path.resolve("node_modules", ".bin", "tsx"),
      [
        "indexer/cli.ts",
        ...["--deployment", deployment, "--rpc-url", rpc.url, "--port", String(port)],
        ...["--data", path.join(dir, `pglite-${label}`), "--schema", "bench", "--poll-ms", "100", ...extra],
      ],
      { detached: true, stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    const kill = async () => {
      try {
        process.kill(-child.pid!, "SIGKILL"); // the CLI, Ponder and its esbuild service
      } catch {
        /* gone */
      }
      await exited;
    };
    const base = `http://127.0.0.1:${port}`;
    try {
      const up = await waitHttp(`${base}/health`, 180_000, child, () => out);
      const ready = await waitHttp(`${base}/ready`, 600_000, child, () => out);
      const net = (await (await fetch(`${base}/v1/network`)).json()) as { devices: Record<string, number> };
      if (net.devices.bound !== devices) throw new Error(`indexed ${JSON.stringify(net.devices)}, expected ${devices} bound`);
      const seconds = (ready - up) / 1000;
      ctx.log(
        `indexer (${label}): ${events} events indexed in ${seconds.toFixed(1)} s (${(events / seconds).toFixed(0)}/s), ${rpc.stats().requests - requestsBefore} JSON-RPC requests`,
      );
      // DEPIN_BENCH_LOGS=1: Ponder's own log (fetch and indexing times per block range) on stderr.
      if (process.env.DEPIN_BENCH_LOGS) process.stderr.write(out);
      return { base, seconds, kill };
    } catch (e) {
      await kill();
      throw e;
    }
  };
  let current: Awaited<ReturnType<typeof catchUp>> | undefined;
  try {
    // Ponder's own default (one rate bucket of 20 requests/s at start), then the indexer's default
    // for a node on this machine (8 lanes), which the API latency is measured on.
    const oneLane = await catchUp("1 lane", ["--rpc-lanes", "1"]);
    await oneLane.kill();
    current = await catchUp("default, 8 lanes", []);
    const { base } = current;
    const indexSeconds = current.seconds;
    const eventsPerSecond = events / indexSeconds;
    // The bare scan: the same logs over the same endpoint, no decoding, no storage (best of 3).
    let scanSeconds = Infinity;
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      if ((await getLogs()) !== events) throw new Error("eth_getLogs returned a different number of logs");
      scanSeconds = Math.min(scanSeconds, (performance.now() - t0) / 1000);
    }
    const scanPerSecond = events / scanSeconds;
    ctx.log(`eth_getLogs: ${events} logs in ${scanSeconds.toFixed(3)} s`);

    // ---------------------------------------------------------- API latency at `devices` devices
    const requests = ctx.quick ? 300 : 2_000;
    const time = async (u: string): Promise<number> => {
      const t0 = performance.now();
      const res = await fetch(`${base}${u}`);
      if (res.status !== 200) throw new Error(`${u}: HTTP ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
      return performance.now() - t0;
    };
    let seed = 12345;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 100; i++) await time(`/v1/devices/${1 + Math.floor(rand() * devices)}`);
    for (let i = 0; i < 10; i++) await time("/v1/network");
    const deviceMs: number[] = [];
    const networkMs: number[] = [];
    for (let i = 0; i < requests; i++) {
      deviceMs.push(await time(`/v1/devices/${1 + Math.floor(rand() * devices)}`));
      if (i % 10 === 0) networkMs.push(await time("/v1/network"));
    }
    deviceMs.sort((a, b) => a - b);
    networkMs.sort((a, b) => a - b);
    const all = [...deviceMs, ...networkMs].sort((a, b) => a - b);
    const p99 = percentile(all, 99);
    ctx.log(
      `api: /v1/devices p50 ${percentile(deviceMs, 50).toFixed(1)} p99 ${percentile(deviceMs, 99).toFixed(1)} ms; /v1/network p50 ${percentile(networkMs, 50).toFixed(1)} p99 ${percentile(networkMs, 99).toFixed(1)} ms`,
    );
    const scale = `${devices.toLocaleString("en-US")} devices`;
    return [
      {
        key: "indexerEventsPerSecond",
        label: `indexer catch-up, ${events.toLocaleString("en-US")} events in ${head} blocks (PGlite)`,
        value: Math.round(eventsPerSecond),
        unit: "events/s",
        note: `${indexSeconds.toFixed(1)} s from /health to /ready; default --rpc-lanes (8 on a local node)`,
      },
      {
        key: "indexerEventsPerSecondOneLane",
        label: "indexer catch-up, same history, --rpc-lanes 1",
        value: Math.round(events / oneLane.seconds),
        unit: "events/s",
        note: `${oneLane.seconds.toFixed(1)} s: Ponder's 20 requests/s start on one RPC URL`,
      },
      {
        key: "indexerCatchupRatio",
        label: "indexer catch-up ÷ bare eth_getLogs scan, same range",
        value: Number((eventsPerSecond / scanPerSecond).toFixed(4)),
        unit: "ratio",
        note: `eth_getLogs ${Math.round(scanPerSecond).toLocaleString("en-US")} logs/s; goal ≥ 0.5`,
      },
      {
        key: "apiP99Ms",
        label: `API p99, /v1/devices/{id} + /v1/network at ${scale}`,
        value: Number(p99.toFixed(1)),
        unit: "ms",
        note: `goal ≤ 50; ${deviceMs.length} device + ${networkMs.length} network requests, sequential`,
      },
      {
        key: "apiDeviceP99Ms",
        label: `API p99, /v1/devices/{id} at ${scale}`,
        value: Number(percentile(deviceMs, 99).toFixed(1)),
        unit: "ms",
        note: `p50 ${percentile(deviceMs, 50).toFixed(1)} ms`,
      },
      {
        key: "apiNetworkP99Ms",
        label: `API p99, /v1/network at ${scale}`,
        value: Number(percentile(networkMs, 99).toFixed(1)),
        unit: "ms",
        note: `p50 ${percentile(networkMs, 50).toFixed(1)} ms`,
      },
    ];
  } finally {
    await current?.kill();
    await rpc.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The receipts test's network: 4 devices, 2 batches (B = 16), real proofs, closed epoch, a claim. */
async function receiptVerify(ctx: BenchContext): Promise<Figure[]> {
  const f = await setup("sqlite");
  try {
    const devices = [11n, 22n, 33n, 44n];
    await f.activate(devices);
    for (const d of devices) await (await f.da.directory.addKey(d, KEY_TYPE_CODE.secp256k1, keyOf(d).publicId, 0n)).wait();
    const b1 = f.readings([
      ...Array.from({ length: 5 }, (_, i) => ({ deviceId: 33n, value: 150n, offset: BigInt(i) })),
      { deviceId: 11n, value: 100n, offset: 10n },
      { deviceId: 11n, value: 99n, offset: 11n },
      { deviceId: 11n, value: 201n, offset: 12n },
      { deviceId: 22n, value: 120n, offset: 20n },
      { deviceId: 44n, value: 5n, offset: 21n },
    ]);
    const b2 = f.readings([
      { deviceId: 11n, value: 140n, offset: 100n },
      { deviceId: 11n, value: 140n, offset: 3600n + 5n },
      { deviceId: 22n, value: 130n, offset: 101n },
    ]);
    await f.ingestAndCommit([b1, b2]);
    const prover = await f.makeProver();
    const submitter = await f.makeSubmitter();
    const keeper = await f.makeEpochKeeper();
    try {
      await f.networkHelpers.time.increase(DAY + 1n);
      ctx.log("receipts: proving 2 batches (B = 16)…");
      await prover.proveDue();
      await submitter.submitPending();
      await f.networkHelpers.time.increaseTo(await f.distributor.closableAt(f.epoch));
      await keeper.closeDue();
    } finally {
      await prover.close();
      await submitter.close();
      await keeper.close();
    }
    await (await f.distributor.connect(f.owner).claim([11n], [f.epoch])).wait();
    const receipt = await buildReceipt({
      provider: f.provider,
      distributor: f.distributorAddress,
      fromBlock: 0,
      readings: storeReadings(f.store),
      verificationKeys: localVerificationKeys(path.resolve("build", "circuits")),
      deviceId: 11n,
      epoch: f.epoch,
    });
    const runs: number[] = [];
    for (let i = 0; i < (ctx.quick ? 2 : 5); i++) {
      const t0 = performance.now();
      await verifyReceipt(receipt, { provider: f.provider, distributor: f.distributorAddress });
      runs.push((performance.now() - t0) / 1000);
    }
    runs.sort((a, b) => a - b);
    const readings = receipt.batches.reduce((n, b) => n + b.readings.length, 0);
    return [
      {
        key: "receiptVerifySeconds",
        label: "receipt verification, one device-epoch (B = 16)",
        value: Number(runs[Math.floor(runs.length / 2)].toFixed(3)),
        unit: "s",
        note: `median of ${runs.length}; ${receipt.batches.length} batches (2 Groth16 proofs), ${readings} readings, RPC checks included`,
      },
    ];
  } finally {
    await f.cleanup();
  }
}

const suite: BenchSuite = {
  name: "indexer",
  async run(ctx): Promise<Figure[]> {
    return [...(await receiptVerify(ctx)), ...(await indexerAndApi(ctx))];
  },
};

export default suite;
