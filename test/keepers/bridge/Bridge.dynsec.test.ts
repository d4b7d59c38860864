/**
 * A secured external broker: a real Mosquitto started by the test on a free port, with the
 * dynamic-security file `broker-setup` writes, managed by the bridge (`--broker-acl dynsec`).
 * Devices enrol their signed connect token with the public enrol account and connect with it.
 * The attacks: no account, the enrol account reading, a device reading or writing another
 * device's topics or forging answers, stale/forged/foreign tokens, a decommissioned device.
 */
import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import { appendFileSync, chmodSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { Device } from "../../../firmware/device.js";
import { fleetKey } from "../../../firmware/simulator.js";
import {
  connectPassword,
  enrolTopic,
  errorTopic,
  generateKeyPair,
  readingTopic,
  receiptTopic,
  type DeviceKeyPair,
} from "../../../sdk/src/index.js";
import { Bridge } from "../../../keepers/bridge/bridge.js";
import { brokerSetup, brokerSetupOptions } from "../../../keepers/bridge/broker-setup.js";
import { freePort, portOpen } from "../../../keepers/common/net.js";
import { parseOptions } from "../../../keepers/common/options.js";
import { NETWORK_ID, bridgeOpts, chain, registerDevice, startBridge, tempDir, waitFor } from "../../datapath/fixtures.js";

const BRIDGE_PASSWORD = "bridge-secret-for-tests";
const ENROL = { username: "depin-enrol", password: "depin-enrol" };

/** Connects; resolves with the client, or rejects with the broker's refusal. */
async function connect(url: string, o: { username?: string; password?: string }): Promise<MqttClient> {
  return mqtt.connectAsync(url, { ...o, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5_000, clean: true });
}

async function refused(url: string, o: { username?: string; password?: string }): Promise<boolean> {
  try {
    const c = await connect(url, o);
    await c.endAsync(true);
    return false;
  } catch (e) {
    return /not authori[sz]ed|bad user ?name or password|Connection refused/i.test((e as Error).message);
  }
}

/** QoS granted per filter, one SUBSCRIBE each (128 = refused; mqtt.js rejects on it). */
async function granted(c: MqttClient, filters: string[]): Promise<number[]> {
  const out: number[] = [];
  for (const f of filters) {
    try {
      const [g] = await c.subscribeAsync(f, { qos: 1 });
      out.push(g.qos);
    } catch (e) {
      if (!/Subscribe error/.test((e as Error).message)) throw e;
      out.push(128);
    }
  }
  return out;
}

describe("Bridge: Mosquitto secured by dynamic security (enrolment with the signed connect token)", function () {
  this.timeout(120_000);
  const root = `dynsec-${process.pid}`;
  const A = 101n; // secp256k1, streams readings
  const B = 102n; // p256, the attacker
  const C = 103n; // refused tokens, then decommissioned
  const keys: Record<string, DeviceKeyPair> = {
    [A.toString()]: fleetKey("dynsec", 1, "secp256k1"),
    [B.toString()]: fleetKey("dynsec", 2, "p256"),
    [C.toString()]: fleetKey("dynsec", 3, "secp256k1"),
  };
  let url: string;
  let mosquitto: ChildProcess;
  let log = "";
  let tmp: ReturnType<typeof tempDir>;
  let bridge: Bridge;
  let directory: Awaited<ReturnType<typeof chain>>["directory"];
  const devices: Device[] = [];
  const clients: MqttClient[] = [];

  const token = (id: bigint, ts = Math.floor(Date.now() / 1000), key = keys[id.toString()]): string =>
    connectPassword(NETWORK_ID, key, id, BigInt(ts));

  async function enrolRaw(id: bigint, payload: string): Promise<void> {
    const c = await connect(url, ENROL);
    await c.publishAsync(enrolTopic(id, root), payload, { qos: 1 });
    await c.endAsync();
  }

  const results = (): Record<string, number> => bridge.brokerAuth.dynsec!.counts as Record<string, number>;

  function device(id: bigint): Device {
    const d = new Device({
      deviceId: id,
      key: keys[id.toString()],
      networkId: NETWORK_ID,
      brokerUrl: url,
      topicRoot: root,
      brokerAuth: "enrol",
      journalFile: path.join(tmp.dir, `d${id}.journal`),
      fsync: false,
      receiptTimeoutMs: 2_000,
    });
    devices.push(d);
    return d;
  }

  before(async function () {
    const c = await chain();
    directory = c.directory;
    for (const [id, key] of Object.entries(keys)) await registerDevice(directory, BigInt(id), key);
    tmp = tempDir("dynsec");
    chmodSync(tmp.dir, 0o755); // Mosquitto reads the dynsec file after dropping root
    const port = await freePort();
    url = `mqtt://127.0.0.1:${port}`;
    const conf = path.join(tmp.dir, "broker", "mosquitto.conf");
    brokerSetup(
      parseOptions(brokerSetupOptions, {
        dynsecFile: path.join(tmp.dir, "broker", "dynamic-security.json"),
        conf,
        envOut: path.join(tmp.dir, "broker", "bridge.env"),
        port,
        topicRoot: root,
        brokerPassword: BRIDGE_PASSWORD,
      }),
    );
    appendFileSync(conf, "log_dest stderr\nlog_type all\n");
    mosquitto = spawn("mosquitto", ["-c", conf], { stdio: ["ignore", "pipe", "pipe"] });
    mosquitto.stderr!.on("data", (b: Buffer) => (log += b.toString()));
    await waitFor(async () => mosquitto.exitCode === null && (await portOpen(port)), 20_000, `mosquitto (${log})`);
    bridge = await startBridge(c.ethers.provider, c.directoryAddress, {
      brokerUrl: url,
      brokerAcl: "dynsec",
      brokerUsername: "depin-bridge",
      brokerPassword: BRIDGE_PASSWORD,
      connections: 2,
      clientId: `dynsec-test-${process.pid}`,
      topicRoot: root,
      store: `sqlite:${path.join(tmp.dir, "bridge.sqlite")}`,
    });
  });

  after(async function () {
    await Promise.all(devices.map((d) => d.stop()));
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await bridge?.close();
    if (mosquitto && mosquitto.exitCode === null) {
      const exited = new Promise((r) => mosquitto.once("exit", r));
      mosquitto.kill("SIGTERM");
      await exited;
    }
    tmp?.cleanup();
  });

  it("refuses --broker-acl dynsec without an external broker or the bridge's account, naming the option", function () {
    expect(() => new Bridge(bridgeOpts({ brokerAcl: "dynsec" }))).to.throw("--broker-acl");
    expect(() => new Bridge(bridgeOpts({ brokerAcl: "dynsec", brokerUrl: "mqtt://127.0.0.1:1" }))).to.throw("--broker-username");
  });

  it("refuses a client with no account, a wrong password or a device id without an enrolled token", async function () {
    expect(await refused(url, {})).to.equal(true);
    expect(await refused(url, { username: "depin-bridge", password: "guess" })).to.equal(true);
    expect(await refused(url, { username: A.toString(), password: token(A) })).to.equal(true); // not enrolled
  });

  it("the enrol account can read nothing: every subscription is refused", async function () {
    const c = await connect(url, ENROL);
    clients.push(c);
    const filters = ["#", `${root}/r/#`, `${root}/enrol/+`, receiptTopic(A, root), "$CONTROL/dynamic-security/v1/response"];
    expect(await granted(c, filters)).to.deep.equal(filters.map(() => 128));
  });

  it("an honest device enrols, streams readings and gets a receipt for each", async function () {
    const d = device(A);
    await d.start();
    expect(d.client!.connected, "device A connected after enrolment").to.equal(true);
    for (let i = 0; i < 5; i++) d.record(150 + i);
    await d.waitIdle(30_000);
    expect(d.stats.receipts).to.equal(5);
    expect(d.stats.enrolments).to.be.at.least(1);
    expect(results().enrolled).to.be.at.least(1);
    // The enrolled token is the password of the device's account, for its own id only.
    expect(await refused(url, { username: B.toString(), password: token(A) })).to.equal(true);
  });

  it("an enrolled device can neither read nor write another device's topics, nor forge an answer", async function () {
    const victim = devices.find((d) => d.deviceId === A) ?? device(A);
    if (!victim.client?.connected) await victim.start();
    const heard: string[] = [];
    victim.client!.on("message", (topic, payload) => heard.push(`${topic} ${payload.toString()}`));
    const t = token(B);
    await enrolRaw(B, t);
    await waitFor(() => bridge.brokerAuth.dynsec!.enrolled.has(B), 20_000, "B enrolled");
    const b = await connect(url, { username: B.toString(), password: t });
    clients.push(b);
    const filters = ["#", `${root}/#`, `${root}/r/#`, receiptTopic(A, root), errorTopic(A, root), readingTopic(A, root)];
    expect(await granted(b, filters), "foreign subscriptions").to.deep.equal(filters.map(() => 128));
    expect(await granted(b, [receiptTopic(B, root), errorTopic(B, root)]), "its own answers").to.deep.equal([1, 1]);
    const forged = JSON.stringify([{ seq: "0", status: "stored", forged: true }]);
    const targets = [receiptTopic(A, root), errorTopic(A, root), receiptTopic(B, root), readingTopic(A, root)];
    for (const topic of targets) await b.publishAsync(topic, forged, { qos: 1 });
    // Mosquitto says so itself, for every one of them...
    for (const topic of targets)
      await waitFor(
        () => log.includes(`'${topic}'`) && new RegExp(`Denied PUBLISH[^\\n]*'${topic}'`).test(log),
        10_000,
        `denied ${topic}`,
      );
    // ...and the victim, still streaming, gets its real receipts and never the forged one.
    const before = victim.stats.receipts;
    victim.record(160);
    await victim.waitIdle(30_000);
    expect(victim.stats.receipts).to.equal(before + 1);
    expect(heard.filter((h) => h.includes("forged"))).to.deep.equal([]);
  });

  it("a replayed older token of an enrolled device neither takes its account back nor disconnects it", async function () {
    const victim = devices.find((d) => d.deviceId === A)!;
    expect(victim.client!.connected).to.equal(true);
    const replayed = results().replayed ?? 0;
    await enrolRaw(A, token(A, Math.floor(Date.now() / 1000) - 120)); // fresh enough, but older than the enrolled one
    await waitFor(() => (results().replayed ?? 0) > replayed, 20_000, "replay counted");
    expect(victim.client!.connected).to.equal(true);
    expect(victim.stats.refused).to.equal(0);
  });

  it("stale, forged, foreign and malformed tokens are not enrolled, and open nothing", async function () {
    const before = { ...results() };
    const stale = token(C, Math.floor(Date.now() / 1000) - 3_600);
    const forged = token(C, undefined, generateKeyPair("secp256k1"));
    const foreign = token(A); // device A's good token, offered for C
    const malformed = "not-a-token";
    for (const p of [stale, forged, foreign, malformed]) await enrolRaw(C, p);
    await waitFor(
      () =>
        (results().stale ?? 0) >= (before.stale ?? 0) + 1 &&
        (results()["bad-signature"] ?? 0) >= (before["bad-signature"] ?? 0) + 2 &&
        (results().malformed ?? 0) >= (before.malformed ?? 0) + 1,
      20_000,
      `refusals counted (${JSON.stringify(results())})`,
    );
    expect(bridge.brokerAuth.dynsec!.enrolled.has(C)).to.equal(false);
    for (const p of [stale, forged, foreign, malformed])
      expect(await refused(url, { username: C.toString(), password: p }), p).to.equal(true);
    expect(readFileSync(path.join(tmp.dir, "broker", "dynamic-security.json"), "utf8")).to.not.include(`"username": "${C}"`);
  });

  it("a decommissioned device loses its account on the next directory refresh and cannot enrol again", async function () {
    const d = device(C);
    await d.start();
    expect(d.client!.connected, "device C connected").to.equal(true);
    const t = token(C);
    await (await directory.setStatus(C, 5)).wait();
    await bridge.tick();
    expect(bridge.brokerAuth.dynsec!.enrolled.has(C)).to.equal(false);
    await waitFor(() => !d.client!.connected, 10_000, "device C disconnected by the broker");
    expect(await refused(url, { username: C.toString(), password: t })).to.equal(true);
    // It keeps trying, with back-off, and the bridge keeps refusing.
    const notActive = results()["not-active"] ?? 0;
    await waitFor(() => (results()["not-active"] ?? 0) > notActive, 20_000, "C's re-enrolment refused");
    expect(d.client!.connected).to.equal(false);
    expect(d.stats.enrolments).to.be.lessThan(10);
  });

  it("writes nothing over an existing file, and keeps the dynsec file out of reach of other users", function () {
    const file = path.join(tmp.dir, "broker", "dynamic-security.json");
    expect(() =>
      brokerSetup(parseOptions(brokerSetupOptions, { dynsecFile: file, brokerPassword: "x", brokerAdminPassword: "y" })),
    ).to.throw("--dynsec-file");
    const other = path.join(tmp.dir, "other.json");
    writeFileSync(other, "keep");
    expect(() => brokerSetup(parseOptions(brokerSetupOptions, { dynsecFile: path.join(tmp.dir, "x.json") }))).to.throw(
      "--env-out",
    );
    expect(readFileSync(other, "utf8")).to.equal("keep");
  });
});
