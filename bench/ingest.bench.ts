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
import { createRequire } from "node:module";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { Aedes } from "aedes";
import {
  TOPIC_SHARDS,
  bytesToHex,
  keyPairFromPrivate,
  readingDigest,
  readingTopic,
  shardFilter,
  toWire,
  type DeviceKeyPair,
} from "../sdk/src/index.js";
import { Bridge, bridgeOptions } from "../keepers/bridge/bridge.js";
import { DeviceStatus, type DeviceDirectory, type DeviceInfo } from "../keepers/bridge/directory.js";
import { freePort, portOpen } from "../keepers/common/net.js";
import { parseOptions } from "../keepers/common/options.js";
import { SqliteStore } from "../keepers/common/store/index.js";
import type { BenchSuite, Figure } from "./types.js";

const require = createRequire(import.meta.url);
const native = require("secp256k1") as { ecdsaSign(msg: Uint8Array, priv: Uint8Array): { signature: Uint8Array; recid: number } };

const NETWORK_ID = 31337n;
const CONNECTIONS = 8; // the bridge's default --connections

class MemoryDirectory implements DeviceDirectory {
  constructor(private readonly devices: Map<bigint, DeviceInfo>) {}
  async get(id: bigint): Promise<DeviceInfo> {
    return this.devices.get(id) ?? { status: DeviceStatus.None, keys: [] };
  }
  invalidate(): void {}
}

function sign(key: DeviceKeyPair, deviceId: bigint, seq: bigint, timestamp: bigint): string {
  const r = { deviceId, seq, timestamp, value: seq % 1000n };
  const { signature, recid } = native.ecdsaSign(readingDigest(NETWORK_ID, r), Buffer.from(key.privateKey.slice(2), "hex"));
  const sig = new Uint8Array(65);
  sig.set(signature, 0);
  sig[64] = 27 + recid;
  return toWire({ ...r, signature: bytesToHex(sig) });
}

/** Publishes every message at QoS 1 from one connection per device group; resolves when all are PUBACKed. */
async function publishAll(
  url: string,
  batches: { topic: string; payload: string }[][],
  auth?: (i: number) => { username: string; password: string },
): Promise<MqttClient[]> {
  const clients = await Promise.all(
    batches.map((_, i) => mqtt.connectAsync(url, { clean: true, protocolVersion: 4, ...(auth ? auth(i) : {}) })),
  );
  await Promise.all(
    batches.map(async (msgs, i) => {
      const c = clients[i];
      const window = 256;
      let next = 0;
      await Promise.all(
        Array.from({ length: window }, async () => {
          while (next < msgs.length) {
            const m = msgs[next++];
            await c.publishAsync(m.topic, m.payload, { qos: 1 });
          }
        }),
      );
    }),
  );
  return clients;
}

const MOSQUITTO_BIN = "/usr/sbin/mosquitto";

/** Starts a private Mosquitto tuned for a store-before-ack subscriber; null if there is no binary. */
async function startMosquitto(dir: string): Promise<{ url: string; proc: ChildProcess } | null> {
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
        groups[d % publishers].push({ topic: readingTopic(id), payload: sign(keys[d], id, BigInt(s), now) });
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
          Array.from({ length: shards }, (_, i) => shardFilter(k * shards + i)),
          { qos: 1 },
        );
        return c;
      }),
    );
    let t0 = performance.now();
    let pubs = await publishAll(url, groups);
    await waitUntil(() => received >= total, 120_000, "raw delivery");
    const rawSec = (performance.now() - t0) / 1000;
    await Promise.all([...subs, ...pubs].map((c) => c.endAsync()));

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
      }),
      { store, directory: new MemoryDirectory(devices) },
    );
    await bridge.init();
    ctx.log(`bridge ingest through ${brokerName}: ${total} signed readings`);
    t0 = performance.now();
    pubs = await publishAll(url, groups);
    await waitUntil(() => bridge.ingestor.counts.stored + bridge.ingestor.counts.rejected >= total, 300_000, "ingest");
    const ingestSec = (performance.now() - t0) / 1000;
    // Count only this run's devices: other clients of a shared broker may publish too.
    const stored = (await store.allReadings()).filter((r) => devices.has(r.deviceId)).length;
    await Promise.all(pubs.map((c) => c.endAsync()));
    await bridge.close();
    for (let k = 0; k < CONNECTIONS; k++) (await mqtt.connectAsync(url, { clientId: `${clientId}-${k}`, clean: true })).end();
    rmSync(dir, { recursive: true, force: true });
    if (aedes) await new Promise<void>((r) => aedes!.close(() => r()));
    server?.close();
    own?.proc.kill("SIGTERM");
    rmSync(brokerDir, { recursive: true, force: true });
    if (stored !== total)
      throw new Error(`bench: ${stored} of ${total} readings stored (rejected ${bridge.ingestor.counts.rejected})`);

    const ingest = total / ingestSec;
    const raw = total / rawSec;

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
          Array.from({ length: shards }, (_, i) => shardFilter(k * shards + i)),
          { qos: 1 },
        );
        return c;
      }),
    );
    t0 = performance.now();
    pubs = await publishAll(plainUrl, groups);
    await waitUntil(() => got >= total, 120_000, "raw Aedes delivery");
    const eRawSec = (performance.now() - t0) / 1000;
    await Promise.all([...esubs, ...pubs].map((c) => c.endAsync()));
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
      }),
      { store: estore, directory: new MemoryDirectory(devices) },
    );
    await ebridge.init();
    t0 = performance.now();
    pubs = await publishAll(`mqtt://127.0.0.1:${ebridge.mqttPort}`, groups, () => ({ username: "operator", password: "bench" }));
    await waitUntil(() => ebridge.ingestor.counts.stored + ebridge.ingestor.counts.rejected >= total, 300_000, "embedded ingest");
    const eIngestSec = (performance.now() - t0) / 1000;
    const estored = await estore.countReadings();
    await Promise.all(pubs.map((c) => c.endAsync()));
    await ebridge.close();
    rmSync(edir, { recursive: true, force: true });
    if (estored !== total) throw new Error(`bench: embedded bridge stored ${estored} of ${total} readings`);
    const eIngest = total / eIngestSec;
    const eRaw = total / eRawSec;

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
    ];
  },
};

export default suite;
