/**
 * Ingest throughput: signed readings per second the bridge validates, stores durably and only
 * then acknowledges (store-before-ack), next to the raw QoS 1 throughput of the same broker
 * measured in the same run with the same publishers, payloads and subscriber connections — so the
 * ratio isolates the bridge's cost (parse, signature recovery, store transaction).
 *
 * Broker: a private Mosquitto started from the machine's binary on a free port, configured as
 * docs/datapath.md tells operators to (no per-session queue limit, 100 in flight: with the
 * default 1000-message queue Mosquitto silently drops what a subscriber has not yet taken, and
 * the publishers here outrun any subscriber); else the shared Mosquitto on 127.0.0.1:1883 with
 * its own configuration; else an Aedes broker.
 * Store: SQLite (WAL, synchronous=FULL, i.e. fsync per transaction). Directory: an in-memory
 * DeviceDirectory (the on-chain one is a cache hit on this path anyway).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import mqtt from "mqtt";
import { Aedes } from "aedes";
import {
  TOPIC_SHARDS,
  bytesToHex,
  fromWire,
  hexToBytes,
  keyPairFromPrivate,
  readingDigest,
  readingTopic,
  networkTopicRoot,
  shardFilter,
  toWire,
  type DeviceKeyPair,
} from "../sdk/src/index.js";
import { Bridge, bridgeOptions } from "../keepers/bridge/bridge.js";
import { keccakImplementation } from "../keepers/bridge/keccak.js";
import { checkReadingSignature, signDigestFast } from "../keepers/bridge/verify.js";
import { DeviceStatus, type DeviceDirectory, type DeviceInfo } from "../keepers/bridge/directory.js";
import { freePort, portOpen } from "../keepers/common/net.js";
import { parseOptions } from "../keepers/common/options.js";
import { SqliteStore } from "../keepers/common/store/index.js";
import type { PublishJob } from "./publisher.worker.js";
import type { BenchSuite, Figure } from "./types.js";

export const NETWORK_ID = 31337n;
const CONNECTIONS = 8; // the bridge's default --connections

export class MemoryDirectory implements DeviceDirectory {
  constructor(private readonly devices: Map<bigint, DeviceInfo>) {}
  async get(id: bigint): Promise<DeviceInfo> {
    return this.devices.get(id) ?? { status: DeviceStatus.None, keys: [] };
  }
  invalidate(): void {}
}

export function sign(key: DeviceKeyPair, deviceId: bigint, seq: bigint, timestamp: bigint): string {
  const r = { deviceId, seq, timestamp, value: seq % 1000n };
  return toWire({ ...r, signature: signDigestFast(hexToBytes(key.privateKey), readingDigest(NETWORK_ID, r)) });
}

const PUBLISHER_URL = new URL(`./publisher.worker${path.extname(fileURLToPath(import.meta.url))}`, import.meta.url);

/**
 * Devices on a thread of their own, connected: `run()` publishes everything and resolves on the
 * last PUBACK with the CPU time (µs) the devices' thread spent.
 */
async function startDevices(
  url: string,
  groups: { topic: string; payload: string }[][],
  auth: PublishJob["auth"] = null,
): Promise<{ run(): Promise<number>; close(): Promise<void> }> {
  const w = new Worker(PUBLISHER_URL, PUBLISHER_URL.pathname.endsWith(".ts") ? { execArgv: ["--import", "tsx"] } : {});
  const next = (): Promise<string> =>
    new Promise((resolve, reject) => {
      w.once("message", (m: string) => (m.startsWith("error") ? reject(new Error(`bench publisher: ${m}`)) : resolve(m)));
      w.once("error", reject);
    });
  const step = async (msg: unknown): Promise<string> => {
    const reply = next();
    w.postMessage(msg);
    return reply;
  };
  await step({ url, groups, auth } satisfies PublishJob);
  return {
    run: async () => Number((await step("go")).split(" ")[1]),
    async close() {
      await step("close");
      await w.terminate();
    },
  };
}

/** The topic root the bench's bridges derive from their network id and directory address. */
export const ROOT = networkTopicRoot(NETWORK_ID, "0x0000000000000000000000000000000000000001");

const MOSQUITTO_BIN = "/usr/sbin/mosquitto";

/** Starts a private Mosquitto tuned for a store-before-ack subscriber; null if there is no binary. */
export async function startMosquitto(dir: string): Promise<{ url: string; proc: ChildProcess } | null> {
  if (!existsSync(MOSQUITTO_BIN)) return null;
  const port = await freePort();
  const conf = path.join(dir, "mosquitto.conf");
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      "allow_anonymous true",
      "max_queued_messages 0",
      "max_inflight_messages 100",
      "persistence false",
      "log_dest none",
      "",
    ].join("\n"),
  );
  const proc = spawn(MOSQUITTO_BIN, ["-c", conf], { stdio: "ignore" });
  let opened = false;
  for (let i = 0; i < 250 && proc.exitCode === null && !opened; i++) {
    opened = await portOpen(port);
    if (!opened) await new Promise((r) => setTimeout(r, 20));
  }
  if (!opened) {
    proc.kill("SIGKILL");
    return null;
  }
  return { url: `mqtt://127.0.0.1:${port}`, proc };
}

/** CPU time (µs) a process has used so far, from /proc; 0 where that is not readable. */
function processCpuMicros(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) * (1e6 / 100); // utime + stime, in clock ticks of 10 ms
  } catch {
    return 0;
  }
}

/** One measured run: wall time and where the CPU went (µs). */
interface Run {
  sec: number;
  /** This process minus the devices' thread: the subscribers (raw) or the bridge with its threads. */
  sideCpu: number;
  devicesCpu: number;
  brokerCpu: number;
}

export async function measure(
  url: string,
  groups: { topic: string; payload: string }[][],
  finished: () => boolean,
  what: string,
  opts: { auth?: PublishJob["auth"]; brokerPid?: number } = {},
): Promise<Run> {
  const devices = await startDevices(url, groups, opts.auth ?? null);
  const cpu0 = process.cpuUsage();
  const broker0 = processCpuMicros(opts.brokerPid);
  const t0 = performance.now();
  const devicesCpu = await devices.run();
  await waitUntil(finished, 300_000, what);
  const sec = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const brokerCpu = processCpuMicros(opts.brokerPid) - broker0;
  await devices.close();
  return { sec, sideCpu: cpu.user + cpu.system - devicesCpu, devicesCpu, brokerCpu };
}

async function waitUntil(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

const suite: BenchSuite = {
  name: "ingest",
  async run(ctx): Promise<Figure[]> {
    const deviceCount = 64;
    const per = ctx.quick ? 64 : 320; // readings per device
    const total = per * deviceCount;
    const publishers = 8;
    const base = 5_000_000_000n + BigInt(Math.floor(Math.random() * 1e6)) * 1024n;
    const now = BigInt(Math.floor(Date.now() / 1000));
    const keys = Array.from({ length: deviceCount }, (_, i) =>
      keyPairFromPrivate("secp256k1", bytesToHex(new Uint8Array(32).fill(i + 1))),
    );
    const devices = new Map<bigint, DeviceInfo>(
      keys.map((k, i) => [
        base + BigInt(i),
        { status: DeviceStatus.Active, keys: [{ type: "secp256k1", publicId: k.publicId, validFrom: 0n, revokedAt: 0n }] },
      ]),
    );
    ctx.log(`signing ${total} readings`);
    const groups: { topic: string; payload: string }[][] = Array.from({ length: publishers }, () => []);
    for (let s = 0; s < per; s++) {
      for (let d = 0; d < deviceCount; d++) {
        const id = base + BigInt(d);
        groups[d % publishers].push({ topic: readingTopic(id, ROOT), payload: sign(keys[d], id, BigInt(s), now) });
      }
    }

    const brokerDir = mkdtempSync(path.join(os.tmpdir(), "depin-bench-broker-"));
    const own = await startMosquitto(brokerDir);
    const shared = !own && (await portOpen(1883));
    let url = own?.url ?? "mqtt://127.0.0.1:1883";
    let aedes: Aedes | undefined;
    let server: net.Server | undefined;
    if (!own && !shared) {
      aedes = await Aedes.createBroker({ drainTimeout: 5_000 });
      server = net.createServer(aedes.handle);
      await new Promise<void>((r) => server!.listen(0, "127.0.0.1", () => r()));
      url = `mqtt://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    }
    const brokerName = own ? "Mosquitto, private, tuned" : shared ? "Mosquitto, shared :1883" : "Aedes";

    // 1. Raw broker: same publishers, same sharded subscriber connections, ack on receipt.
    ctx.log(`raw ${brokerName} QoS 1: ${total} messages`);
    let received = 0;
    const subs = await Promise.all(
      Array.from({ length: CONNECTIONS }, async (_, k) => {
        const c = await mqtt.connectAsync(url, { clean: true, protocolVersion: 4 });
        c.on("message", () => received++);
        const shards = TOPIC_SHARDS / CONNECTIONS;
        await c.subscribeAsync(
          Array.from({ length: shards }, (_, i) => shardFilter(k * shards + i, ROOT)),
          { qos: 1 },
        );
        return c;
      }),
    );
    const rawRun = await measure(url, groups, () => received >= total, "raw delivery", { brokerPid: own?.proc.pid });
    await Promise.all(subs.map((c) => c.endAsync()));

    // 2. Bridge: validate + store (one durable transaction per micro-batch) before ack.
    const dir = mkdtempSync(path.join(os.tmpdir(), "depin-bench-"));
    const store = new SqliteStore(path.join(dir, "bench.sqlite"), { synchronous: "FULL" });
    const clientId = `bench-${process.pid}-${Date.now()}`;
    const bridge = new Bridge(
      parseOptions(bridgeOptions, {
        directory: "0x0000000000000000000000000000000000000001",
        brokerUrl: url,
        connections: CONNECTIONS,
        clientId,
        metricsPort: -1,
        networkId: NETWORK_ID,
        genesisTime: 0n,
        epochLength: 86_400n,
      }),
      { store, directory: new MemoryDirectory(devices) },
    );
    await bridge.init();
    ctx.log(`bridge ingest through ${brokerName}: ${total} signed readings`);
    const ingestRun = await measure(
      url,
      groups,
      () => bridge.ingestor.counts.stored + bridge.ingestor.counts.rejected >= total,
      "ingest",
      { brokerPid: own?.proc.pid },
    );
    // Count only this run's devices: other clients of a shared broker may publish too.
    const stored = (await store.allReadings()).filter((r) => devices.has(r.deviceId)).length;
    await bridge.close();
    for (let k = 0; k < CONNECTIONS; k++) (await mqtt.connectAsync(url, { clientId: `${clientId}-${k}`, clean: true })).end();
    rmSync(dir, { recursive: true, force: true });
    if (aedes) await new Promise<void>((r) => aedes!.close(() => r()));
    server?.close();
    own?.proc.kill("SIGTERM");
    rmSync(brokerDir, { recursive: true, force: true });
    if (stored !== total)
      throw new Error(`bench: ${stored} of ${total} readings stored (rejected ${bridge.ingestor.counts.rejected})`);

    const ingest = total / ingestRun.sec;
    const raw = total / rawRun.sec;

    // 3. Embedded defaults: a plain Aedes broker vs the bridge's own Aedes with ingest in
    //    authorizePublish (before its PUBACK). Publishers log in as the operator (one connection
    //    carries many devices' readings, which a device login's ACL would refuse).
    ctx.log(`raw Aedes QoS 1: ${total} messages`);
    const plain = await Aedes.createBroker({ drainTimeout: 5_000 });
    const plainServer = net.createServer(plain.handle);
    await new Promise<void>((r) => plainServer.listen(0, "127.0.0.1", () => r()));
    const plainUrl = `mqtt://127.0.0.1:${(plainServer.address() as net.AddressInfo).port}`;
    let got = 0;
    const esubs = await Promise.all(
      Array.from({ length: CONNECTIONS }, async (_, k) => {
        const c = await mqtt.connectAsync(plainUrl, { clean: true, protocolVersion: 4 });
        c.on("message", () => got++);
        const shards = TOPIC_SHARDS / CONNECTIONS;
        await c.subscribeAsync(
          Array.from({ length: shards }, (_, i) => shardFilter(k * shards + i, ROOT)),
          { qos: 1 },
        );
        return c;
      }),
    );
    const eRawRun = await measure(plainUrl, groups, () => got >= total, "raw Aedes delivery");
    await Promise.all(esubs.map((c) => c.endAsync()));
    await new Promise<void>((r) => plain.close(() => r()));
    plainServer.close();

    ctx.log(`embedded bridge ingest: ${total} signed readings`);
    const edir = mkdtempSync(path.join(os.tmpdir(), "depin-bench-"));
    const estore = new SqliteStore(path.join(edir, "bench.sqlite"), { synchronous: "FULL" });
    const ebridge = new Bridge(
      parseOptions(bridgeOptions, {
        directory: "0x0000000000000000000000000000000000000001",
        mqttPort: 0,
        operatorPassword: "bench",
        metricsPort: -1,
        networkId: NETWORK_ID,
        genesisTime: 0n,
        epochLength: 86_400n,
      }),
      { store: estore, directory: new MemoryDirectory(devices) },
    );
    await ebridge.init();
    const eIngestRun = await measure(
      `mqtt://127.0.0.1:${ebridge.mqttPort}`,
      groups,
      () => ebridge.ingestor.counts.stored + ebridge.ingestor.counts.rejected >= total,
      "embedded ingest",
      { auth: { username: "operator", password: "bench" } },
    );
    const estored = await estore.countReadings();
    await ebridge.close();
    rmSync(edir, { recursive: true, force: true });
    if (estored !== total) throw new Error(`bench: embedded bridge stored ${estored} of ${total} readings`);
    const eIngest = total / eIngestRun.sec;
    const eRaw = total / eRawRun.sec;

    // 4. The signature check alone, inline on this thread (after a warm-up pass): the part no
    //    broker pays, and so the floor of the bridge's extra CPU per reading.
    const sample = groups
      .flat()
      .slice(0, 2_000)
      .map((m) => fromWire(Buffer.from(m.payload)));
    const checkAll = (): void => {
      for (const r of sample) checkReadingSignature(NETWORK_ID, r, devices.get(r.deviceId)!.keys);
    };
    checkAll();
    const t = performance.now();
    checkAll();
    checkAll();
    const sigMicros = ((performance.now() - t) * 1000) / (2 * sample.length);

    const perMsg = (us: number): number => Math.round((us / total) * 10) / 10;
    const rawCpu = rawRun.sideCpu + rawRun.devicesCpu + rawRun.brokerCpu;
    const ingestCpu = ingestRun.sideCpu + ingestRun.devicesCpu + ingestRun.brokerCpu;

    return [
      {
        key: "embeddedIngestReadingsPerSecond",
        label: "embedded bridge ingest (Aedes + SQLite, store-before-ack)",
        value: Math.round(eIngest),
        unit: "readings/s",
        note: `${total} readings`,
      },
      {
        key: "embeddedBrokerMessagesPerSecond",
        label: "raw Aedes QoS 1 end to end",
        value: Math.round(eRaw),
        unit: "msg/s",
        note: "same publishers and payloads",
      },
      {
        key: "embeddedIngestRatio",
        label: "embedded ingest / raw Aedes",
        value: Number((eIngest / eRaw).toFixed(3)),
        unit: "ratio",
      },
      {
        key: "ingestReadingsPerSecond",
        label: `bridge ingest, signed readings (store-before-ack, ${brokerName})`,
        value: Math.round(ingest),
        unit: "readings/s",
        note: `${total} readings, SQLite WAL fsync, ${CONNECTIONS} subscriber connections`,
      },
      {
        key: "brokerMessagesPerSecond",
        label: `raw ${brokerName} QoS 1 end to end`,
        value: Math.round(raw),
        unit: "msg/s",
        note: "same publishers, payloads and subscriber connections",
      },
      {
        key: "ingestRatio",
        label: "ingest / raw broker",
        value: Number((ingest / raw).toFixed(3)),
        unit: "ratio",
        note: "goal ≥ 0.8",
      },
      {
        key: "signatureCheckMicros",
        label: "signature check per reading (digest + secp256k1 recovery, one thread)",
        value: Math.round(sigMicros * 10) / 10,
        unit: "µs",
        note: `native libsecp256k1, ${keccakImplementation} keccak`,
      },
      {
        key: "ingestCpuMicrosPerReading",
        label: `CPU per reading, bridge side (main + ${bridge.opts.verifyThreads} signature threads)`,
        value: perMsg(ingestRun.sideCpu),
        unit: "µs",
        note: `raw subscribers: ${perMsg(rawRun.sideCpu)} µs/msg`,
      },
      {
        key: "brokerCpuMicrosPerMessage",
        label: `CPU per message in ${brokerName}`,
        value: perMsg(rawRun.brokerCpu),
        unit: "µs",
        note: `with the bridge (receipts too): ${perMsg(ingestRun.brokerCpu)} µs`,
      },
      {
        key: "devicesCpuMicrosPerMessage",
        label: "CPU per message, publishing devices (own thread)",
        value: perMsg(rawRun.devicesCpu),
        unit: "µs",
      },
      {
        key: "ingestRatioCpuBound",
        label: "CPU per raw message / CPU per ingested reading (devices + broker + subscriber side)",
        value: Number((rawCpu / ingestCpu).toFixed(3)),
        unit: "ratio",
        note: `the ratio a CPU-saturated host allows; ${os.availableParallelism()} cores here`,
      },
      {
        key: "ingestRatioCeiling",
        label: "raw CPU / (raw CPU + one signature check) per message",
        value: Number((rawCpu / (rawCpu + sigMicros * total)).toFixed(3)),
        unit: "ratio",
        note: "best possible on a saturated host if the bridge cost only its signature check",
      },
    ];
  },
};

export default suite;
