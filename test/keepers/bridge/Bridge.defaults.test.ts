/**
 * Safe defaults on a shared broker: without --answer-key the bridge signs every answer with a key
 * it creates once and keeps in its store (a restart keeps the address devices were given); it
 * shows the address in /status; `--unsigned-answers` is an explicit, logged opt-out. On an external
 * broker its client ids carry the topic root and an instance id kept in the store: stable across a
 * restart (the persistent session keeps what arrived meanwhile), distinct between two bridges.
 */
import { expect } from "chai";
import mqtt from "mqtt";
import path from "node:path";
import { Device } from "../../../firmware/device.js";
import { fleetKey } from "../../../firmware/simulator.js";
import type { Logger } from "../../../keepers/common/log.js";
import { ConfigError } from "../../../keepers/common/options.js";
import { readingTopic, receiptTopic, signReading, splitAnswer, toWire } from "../../../sdk/src/index.js";
import {
  NETWORK_ID,
  bridgeOpts,
  chain,
  mosquitto,
  registerDevice,
  startBridge,
  tempDir,
  waitFor,
} from "../../datapath/fixtures.js";
import { Bridge } from "../../../keepers/bridge/bridge.js";

/** A logger that keeps every line (level, at, fields). */
function recordingLog(): { log: Logger; lines: { level: string; at: string; fields: Record<string, unknown> }[] } {
  const lines: { level: string; at: string; fields: Record<string, unknown> }[] = [];
  const put =
    (level: string) =>
    (at: string, fields: Record<string, unknown> = {}) =>
      void lines.push({ level, at, fields });
  return { log: { debug: put("debug"), info: put("info"), warn: put("warn"), error: put("error") } as Logger, lines };
}

describe("Bridge: safe defaults on a shared broker", function () {
  it("signs answers by default with a key kept in its store: same address after a restart, in /status and the log", async function () {
    const { ethers, directory, directoryAddress } = await chain();
    const tmp = tempDir("defaults-key");
    const store = path.join(tmp.dir, "s.sqlite");
    const key = fleetKey("defaults", 0, "secp256k1");
    await registerDevice(directory, 301n, key);
    try {
      const rec = recordingLog();
      const first = await startBridge(ethers.provider, directoryAddress, { store }, { log: rec.log });
      const address = first.answerAddress;
      expect(address).to.match(/^0x[0-9a-fA-F]{40}$/);
      expect(first.status()).to.include({ answerAddress: address, topicRoot: first.topicRoot });
      expect(rec.lines.find((l) => l.at === "Bridge#answers")?.fields).to.include({ answerAddress: address, source: "store" });
      // A device given that address gets every answer, signed.
      const device = new Device({
        deviceId: 301n,
        key,
        networkId: NETWORK_ID,
        brokerUrl: `mqtt://127.0.0.1:${first.mqttPort}`,
        topicRoot: first.topicRoot,
        bridgeAddress: address!,
        journalFile: path.join(tmp.dir, "d.journal"),
        fsync: false,
      });
      await device.start();
      device.record(1);
      await device.waitIdle(10_000);
      expect(device.stats).to.include({ receipts: 1, forged: 0 });
      await device.stop();
      await first.close();

      const again = await startBridge(ethers.provider, directoryAddress, { store });
      expect(again.answerAddress).to.equal(address);
      await again.close();
      // Another store, another key.
      const other = await startBridge(ethers.provider, directoryAddress, { store: path.join(tmp.dir, "t.sqlite") });
      expect(other.answerAddress)
        .to.match(/^0x[0-9a-fA-F]{40}$/)
        .and.not.equal(address);
      await other.close();
    } finally {
      tmp.cleanup();
    }
  });

  it("--unsigned-answers is an explicit opt-out with a warning; it cannot be combined with --answer-key", async function () {
    expect(() => new Bridge(bridgeOpts({ unsignedAnswers: true, answerKey: `0x${"5a".repeat(32)}` }))).to.throw(
      ConfigError,
      "--unsigned-answers",
    );
    const { ethers, directory, directoryAddress } = await chain();
    const tmp = tempDir("defaults-unsigned");
    const key = fleetKey("defaults", 1, "secp256k1");
    await registerDevice(directory, 302n, key);
    const rec = recordingLog();
    const bridge = await startBridge(
      ethers.provider,
      directoryAddress,
      { store: path.join(tmp.dir, "s.sqlite"), unsignedAnswers: true, operatorPassword: "op" },
      { log: rec.log },
    );
    const op = await mqtt.connectAsync(`mqtt://127.0.0.1:${bridge.mqttPort}`, { username: "operator", password: "op" });
    try {
      expect(bridge.answerAddress).to.equal(null);
      expect(bridge.status()).to.include({ answerAddress: null });
      expect(rec.lines.some((l) => l.level === "warn" && l.at === "Bridge#unsignedAnswers")).to.equal(true);
      const heard: string[] = [];
      op.on("message", (_t, p) => heard.push(p.toString()));
      await op.subscribeAsync(receiptTopic(302n, bridge.topicRoot), { qos: 1 });
      const r = signReading(NETWORK_ID, key, {
        deviceId: 302n,
        seq: 0n,
        timestamp: BigInt(Math.floor(Date.now() / 1000)),
        value: 1n,
      });
      await op.publishAsync(readingTopic(302n, bridge.topicRoot), toWire(r), { qos: 1 });
      await waitFor(() => heard.length > 0, 10_000, "the receipt");
      expect(splitAnswer(heard[0]).signature).to.equal(null);
    } finally {
      await op.endAsync();
      await bridge.close();
      tmp.cleanup();
    }
  });

  it("Mosquitto: client ids from the topic root and a stored instance id — distinct for two bridges, stable across a restart", async function () {
    const { ethers, directory, directoryAddress } = await chain();
    const url = await mosquitto();
    const tmp = tempDir("defaults-clientid");
    const key = fleetKey("defaults", 2, "secp256k1");
    await registerDevice(directory, 303n, key);
    const stores = [path.join(tmp.dir, "a.sqlite"), path.join(tmp.dir, "b.sqlite")];
    // Two bridges of one network (same root) on one broker, e.g. staging copies: before, both were
    // `depin-bridge-<k>` and took each other's sessions over.
    const [a, b] = [
      await startBridge(ethers.provider, directoryAddress, { store: stores[0], brokerUrl: url, connections: 2 }),
      await startBridge(ethers.provider, directoryAddress, { store: stores[1], brokerUrl: url, connections: 2 }),
    ];
    const clientA = a.clientId!;
    expect(a.topicRoot).to.equal(b.topicRoot);
    expect(clientA.startsWith(`${a.topicRoot.replace(/\//g, "_")}-`)).to.equal(true);
    expect(b.clientId).to.not.equal(clientA);
    expect(a.status()).to.include({ clientId: clientA });
    const publisher = await mqtt.connectAsync(url, { clean: true });
    try {
      await b.close();
      // Bridge A is down; its persistent session queues what arrives meanwhile.
      await a.close();
      const r = signReading(NETWORK_ID, key, {
        deviceId: 303n,
        seq: 0n,
        timestamp: BigInt(Math.floor(Date.now() / 1000)),
        value: 5n,
      });
      await publisher.publishAsync(readingTopic(303n, a.topicRoot), toWire(r), { qos: 1 });
      const again = await startBridge(ethers.provider, directoryAddress, { store: stores[0], brokerUrl: url, connections: 2 });
      try {
        expect(again.clientId).to.equal(clientA);
        await waitFor(async () => (await again.store.countReadings()) === 1, 10_000, "the queued reading");
      } finally {
        await again.close();
      }
    } finally {
      await publisher.endAsync();
      tmp.cleanup();
    }
  });
});
