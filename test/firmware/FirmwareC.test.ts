/**
 * The C reference firmware (firmware/c) end to end: builds it with CMake, runs its ctest suite
 * (test vectors, journal with power cuts, device state machine, libFuzzer on the answer parser
 * under ASan/UBSan), then runs the host device binary against the real bridge:
 *  - streams signed readings on the embedded broker (connect token auth) with both key types;
 *  - behind a private Mosquitto that is killed and restarted mid-stream: nothing lost;
 *  - against a bridge process SIGKILLed mid-stream and restarted: every reading the device holds
 *    a receipt for is in the store at the moment of the kill, and in the end the store holds
 *    exactly the device's journal (0..n-1, once each);
 *  - each rejection the bridge gives: final codes drop the reading, KEY_NOT_YET_VALID backs off.
 */
import { expect } from "chai";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { saveKey } from "../../firmware/keystore.js";
import { freePort, portOpen, rpcEndpoint } from "../../keepers/common/net.js";
import { SqliteStore } from "../../keepers/common/store/index.js";
import {
  isFinalRejection,
  keyPairFromPrivate,
  networkTopicRoot,
  type DeviceKeyPair,
  type RejectCode,
} from "../../sdk/src/index.js";
import { buildHost, DEVICE_BIN, HOST_DIR } from "../../tools/firmware-c.js";
import { Mosquitto } from "../reliability/env.js";
import { NETWORK_ID, chain, registerDevice, spawnKeeper, startBridge, tempDir, waitFor } from "../datapath/fixtures.js";

interface DeviceEvent {
  ev: string;
  seq?: string;
  code?: string;
  delayMs?: number;
  [k: string]: unknown;
}

/** The C device as a child process; its JSON event lines are collected as they come. */
function runDevice(args: Record<string, string | number | boolean>): {
  child: ChildProcess;
  events: DeviceEvent[];
  exited: Promise<number | null>;
  output: () => string;
} {
  const argv = Object.entries(args).flatMap(([k, v]) => (v === true ? [`--${k}`] : v === false ? [] : [`--${k}`, String(v)]));
  const child = spawn(DEVICE_BIN, argv, { stdio: ["ignore", "pipe", "pipe"] });
  const events: DeviceEvent[] = [];
  let buf = "";
  let all = "";
  child.stdout!.on("data", (c: Buffer) => {
    buf += c.toString();
    all += c.toString();
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.startsWith("{")) events.push(JSON.parse(line) as DeviceEvent);
    }
  });
  child.stderr!.on("data", (c: Buffer) => (all += c.toString()));
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  return { child, events, exited, output: () => all };
}

const key = (n: number, type: "secp256k1" | "p256" = "secp256k1"): DeviceKeyPair =>
  keyPairFromPrivate(type, `0x${n.toString(16).padStart(2, "0").repeat(32)}`);

const seqsOf = (events: DeviceEvent[], ev: string): string[] => events.filter((e) => e.ev === ev).map((e) => e.seq!);

describe("C firmware (firmware/c)", function () {
  this.timeout(240_000);

  before(function () {
    buildHost();
  });

  it("ctest: test vectors, journal power cuts, device state machine, fuzzed parser (ASan/UBSan)", function () {
    const r = spawnSync("ctest", ["--output-on-failure"], { cwd: HOST_DIR, encoding: "utf8" });
    expect(r.status, `${r.stdout}\n${r.stderr}`).to.equal(0);
    expect(r.stdout).to.match(/100% tests passed, 0 tests failed out of 4/);
  });

  it("knows every rejection code of the sdk, with the sdk's finality", function () {
    const r = spawnSync(DEVICE_BIN, ["--codes"], { encoding: "utf8" });
    const codes = JSON.parse(r.stdout) as Record<string, boolean>;
    // The codes the sdk declares (errors.ts and receipts.ts), read from the type unions.
    const src = ["sdk/src/errors.ts", "sdk/src/receipts.ts"].map((f) => readFileSync(f, "utf8")).join("\n");
    const union = (name: string): string[] => {
      const m = new RegExp(`export type ${name} =([^;]+);`).exec(src);
      return [...(m?.[1] ?? "").matchAll(/"([A-Z_]+)"/g)].map((x) => x[1]);
    };
    const sdk = [...union("EncodingErrorCode"), ...union("BridgeRejectCode")];
    expect(sdk.length).to.be.greaterThan(20);
    expect(Object.keys(codes).sort()).to.deep.equal([...sdk].sort());
    for (const c of sdk) expect(codes[c], c).to.equal(isFinalRejection(c as RejectCode));
  });

  it("streams signed readings (secp256k1 and P-256) to the bridge on the embedded broker", async function () {
    const { ethers, directory, directoryAddress } = await chain();
    const tmp = tempDir("fwc-embedded");
    const devices = [
      { id: 501n, key: key(0x51), type: "secp256k1" },
      { id: 502n, key: key(0x52, "p256"), type: "p256" },
    ];
    for (const d of devices) await registerDevice(directory, d.id, d.key);
    const bridge = await startBridge(ethers.provider, directoryAddress, {
      store: path.join(tmp.dir, "s.sqlite"),
      mqttPort: 0,
    });
    try {
      const status = bridge.status() as { topicRoot: string; answerAddress: string };
      expect(status.topicRoot).to.equal(networkTopicRoot(NETWORK_ID, directoryAddress));
      const runs = devices.map((d) => {
        saveKey(path.join(tmp.dir, `${d.id}.key`), d.id, d.key);
        return runDevice({
          key: path.join(tmp.dir, `${d.id}.key`),
          journal: path.join(tmp.dir, `${d.id}.flash`),
          broker: `mqtt://127.0.0.1:${bridge.mqttPort}`,
          "network-id": NETWORK_ID.toString(),
          "topic-root": status.topicRoot,
          "bridge-address": status.answerAddress,
          count: 25,
          "interval-ms": 20,
          value: 1000,
          "no-fsync": true,
          "exit-when-idle": true,
          "max-seconds": 60,
        });
      });
      for (const r of runs) expect(await r.exited, r.output()).to.equal(0);
      const rows = await bridge.store.allReadings();
      for (const [i, d] of devices.entries()) {
        const mine = rows.filter((r) => r.deviceId === d.id);
        expect(mine.map((r) => r.seq)).to.deep.equal(Array.from({ length: 25 }, (_, k) => BigInt(k)));
        expect(mine.map((r) => r.value)).to.deep.equal(Array.from({ length: 25 }, (_, k) => BigInt(1000 + k)));
        expect(mine[0].signature.length).to.equal(d.type === "p256" ? 130 : 132);
        expect(seqsOf(runs[i].events, "receipt")).to.have.length(25);
        expect(runs[i].events.filter((e) => e.ev === "forged" || e.ev === "dropped")).to.deep.equal([]);
      }
    } finally {
      await bridge.close();
      tmp.cleanup();
    }
  });

  it("survives a Mosquitto restart mid-stream with nothing lost", async function () {
    const { ethers, directory, directoryAddress } = await chain();
    const tmp = tempDir("fwc-mosquitto");
    const broker = new Mosquitto(await freePort(), path.join(tmp.dir, "mosquitto"));
    await broker.start();
    const id = 511n;
    await registerDevice(directory, id, key(0x61));
    saveKey(path.join(tmp.dir, "d.key"), id, key(0x61));
    const bridge = await startBridge(ethers.provider, directoryAddress, {
      store: path.join(tmp.dir, "s.sqlite"),
      brokerUrl: broker.url,
      connections: 2,
    });
    const status = bridge.status() as { topicRoot: string; answerAddress: string };
    const dev = runDevice({
      key: path.join(tmp.dir, "d.key"),
      journal: path.join(tmp.dir, "d.flash"),
      broker: broker.url,
      "network-id": NETWORK_ID.toString(),
      "topic-root": status.topicRoot,
      "bridge-address": status.answerAddress,
      count: 60,
      "interval-ms": 25,
      "receipt-timeout-ms": 1500,
      "exit-when-idle": true,
      "max-seconds": 120,
    });
    try {
      await waitFor(() => seqsOf(dev.events, "receipt").length >= 15, 30_000, "first receipts");
      await broker.kill();
      await new Promise((r) => setTimeout(r, 1_000)); // the device keeps recording into its journal
      await broker.start();
      expect(await dev.exited, dev.output()).to.equal(0);
      const rows = (await bridge.store.allReadings()).filter((r) => r.deviceId === id);
      expect(rows.map((r) => r.seq)).to.deep.equal(Array.from({ length: 60 }, (_, k) => BigInt(k)));
      const exit = dev.events.find((e) => e.ev === "exit")!;
      expect(exit).to.include({ pending: 0, recorded: 60, dropped: 0, forged: 0 });
    } finally {
      if (dev.child.exitCode === null) dev.child.kill("SIGKILL");
      await bridge.close();
      await broker.kill();
      tmp.cleanup();
    }
  });

  it("survives a bridge SIGKILL: receipted readings are stored at the kill; the store ends equal to the journal", async function () {
    const { conn, directory, directoryAddress } = await chain();
    const rpc = await rpcEndpoint(conn.provider);
    const tmp = tempDir("fwc-kill");
    const storeFile = path.join(tmp.dir, "bridge.sqlite");
    const port = await freePort();
    const id = 521n;
    await registerDevice(directory, id, key(0x71, "p256"));
    saveKey(path.join(tmp.dir, "d.key"), id, key(0x71, "p256"));
    const flags = {
      store: `sqlite:${storeFile}`,
      directory: directoryAddress,
      "rpc-url": rpc.url,
      "network-id": NETWORK_ID.toString(),
      "genesis-time": "0",
      "epoch-length": "86400",
      "metrics-port": -1,
      "log-level": "info",
      "mqtt-port": port,
    };
    const start = async () => {
      const k = await spawnKeeper("bridge", flags);
      await waitFor(() => portOpen(port), 30_000, "bridge port");
      return k;
    };
    const answerAddress = (o: string): string | undefined => /"answerAddress":"(0x[0-9a-fA-F]{40})"/.exec(o)?.[1];
    let bridge = await start();
    await waitFor(() => answerAddress(bridge.output()) !== undefined, 30_000, "the bridge's answer address");
    const dev = runDevice({
      key: path.join(tmp.dir, "d.key"),
      journal: path.join(tmp.dir, "d.flash"),
      broker: `mqtt://127.0.0.1:${port}`,
      "network-id": NETWORK_ID.toString(),
      "topic-root": networkTopicRoot(NETWORK_ID, directoryAddress),
      "bridge-address": answerAddress(bridge.output())!,
      count: 80,
      "interval-ms": 25,
      "receipt-timeout-ms": 1500,
      "exit-when-idle": true,
      "max-seconds": 120,
    });
    try {
      await waitFor(() => seqsOf(dev.events, "receipt").length >= 20, 30_000, "first receipts");
      bridge.child.kill("SIGKILL");
      await bridge.exited;
      const receipted = new Set(seqsOf(dev.events, "receipt"));
      const check = new SqliteStore(storeFile);
      await check.init();
      const atKill = (await check.allReadings()).map((r) => r.seq.toString());
      await check.close();
      for (const s of receipted) expect(atKill, `receipted ${s} missing after SIGKILL`).to.include(s);
      await new Promise((r) => setTimeout(r, 1_000));
      bridge = await start();
      expect(await dev.exited, dev.output()).to.equal(0);
      const after = new SqliteStore(storeFile);
      await after.init();
      const rows = await after.allReadings();
      await after.close();
      expect(rows.map((r) => r.seq)).to.deep.equal(Array.from({ length: 80 }, (_, k) => BigInt(k)));
      expect(dev.events.find((e) => e.ev === "exit")).to.include({ pending: 0, recorded: 80, dropped: 0, forged: 0 });
    } finally {
      if (dev.child.exitCode === null) dev.child.kill("SIGKILL");
      if (bridge.child.exitCode === null) bridge.child.kill("SIGKILL");
      await rpc.close();
      tmp.cleanup();
    }
  });

  it("handles the bridge's rejections: final codes drop the reading, KEY_NOT_YET_VALID backs off", async function () {
    const { ethers, directory, directoryAddress } = await chain();
    const tmp = tempDir("fwc-reject");
    const broker = new Mosquitto(await freePort(), path.join(tmp.dir, "mosquitto"));
    await broker.start();
    const now = BigInt(Math.floor(Date.now() / 1000));
    // deviceId → how the chain or the device is set up to provoke the code.
    await registerDevice(directory, 532n, key(0x82), 4); // Suspended
    await registerDevice(directory, 533n, key(0x99)); // registered with another key
    await registerDevice(directory, 534n, key(0x84));
    await registerDevice(directory, 535n, key(0x85));
    await registerDevice(directory, 536n, key(0x86));
    await (await directory.setStatus(537n, 3)).wait();
    await (await directory.addKey(537n, 0, key(0x87).publicId, now + 3_600n)).wait(); // valid only in an hour
    const bridge = await startBridge(ethers.provider, directoryAddress, {
      store: path.join(tmp.dir, "s.sqlite"),
      brokerUrl: broker.url,
      connections: 2,
    });
    const status = bridge.status() as { topicRoot: string; answerAddress: string };
    const cases: { id: bigint; k: number; code: string; extra?: Record<string, string | number | boolean> }[] = [
      { id: 531n, k: 0x81, code: "UNKNOWN_DEVICE" },
      { id: 532n, k: 0x82, code: "DEVICE_NOT_ACTIVE" },
      { id: 533n, k: 0x83, code: "BAD_SIGNATURE" },
      { id: 534n, k: 0x84, code: "TIMESTAMP_IN_FUTURE", extra: { "clock-skew": 3_600 } },
      { id: 535n, k: 0x85, code: "TIMESTAMP_STALE", extra: { "clock-skew": -30 * 86_400 } },
      { id: 537n, k: 0x87, code: "KEY_NOT_YET_VALID", extra: { "retry-base-ms": 200, "max-seconds": 4 } },
    ];
    const common = (id: bigint, k: number) => {
      saveKey(path.join(tmp.dir, `${id}.key`), id, key(k));
      return {
        key: path.join(tmp.dir, `${id}.key`),
        journal: path.join(tmp.dir, `${id}.flash`),
        broker: broker.url,
        "network-id": NETWORK_ID.toString(),
        "topic-root": status.topicRoot,
        "bridge-address": status.answerAddress,
        "no-fsync": true,
        "exit-when-idle": true,
        "max-seconds": 60,
      };
    };
    try {
      const runs = cases.map((c) => runDevice({ ...common(c.id, c.k), count: 2, "interval-ms": 10, ...c.extra }));
      // EQUIVOCATION: two readings stored, then the journal is lost and seq 0 comes back with another value.
      const first = runDevice({ ...common(536n, 0x86), count: 2, "interval-ms": 10 });
      expect(await first.exited, first.output()).to.equal(0);
      rmSync(path.join(tmp.dir, "536.flash"));
      const again = runDevice({ ...common(536n, 0x86), count: 1, value: 777 });
      expect(await again.exited, again.output()).to.equal(0);
      expect(again.events.filter((e) => e.ev === "dropped").map((e) => e.code)).to.deep.equal(["EQUIVOCATION"]);

      for (const [i, c] of cases.entries()) {
        const code = await runs[i].exited;
        const ev = runs[i].events;
        if (isFinalRejection(c.code as RejectCode)) {
          expect(code, runs[i].output()).to.equal(0);
          expect(
            ev.filter((e) => e.ev === "dropped").map((e) => e.code),
            c.code,
          ).to.deep.equal([c.code, c.code]);
          expect(seqsOf(ev, "republished"), c.code).to.deep.equal([]); // never re-sent
        } else {
          // Kept and re-sent only after growing delays: never a tight loop, never dropped.
          const backoffs = ev.filter((e) => e.ev === "backoff" && e.seq === "0");
          expect(backoffs.length, runs[i].output()).to.be.within(2, 6);
          expect(backoffs.every((e) => e.code === "KEY_NOT_YET_VALID")).to.equal(true);
          expect(backoffs[backoffs.length - 1].delayMs!).to.be.greaterThan(backoffs[0].delayMs! / 2);
          expect(ev.filter((e) => e.ev === "dropped")).to.deep.equal([]);
          expect(ev.find((e) => e.ev === "exit")).to.include({ pending: 2, dropped: 0 });
        }
      }
      const stored = await bridge.store.allReadings();
      expect(stored.filter((r) => r.deviceId !== 536n)).to.deep.equal([]);
    } finally {
      await bridge.close();
      await broker.kill();
      tmp.cleanup();
    }
  });
});
