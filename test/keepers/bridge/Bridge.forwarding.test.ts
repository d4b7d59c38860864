/**
 * Issue 12, finding 3: the embedded broker must never forward what a client published onto
 * another device's answer topics. Device A, connected with a valid token, publishes a forged
 * receipt and a forged BAD_SIGNATURE error on device B's receipt/error topics (QoS 0, QoS 1,
 * retained), a Will on B's error topic, a reading that the bridge rejects, and a `$SYS` message
 * naming B's client id. An unguarded device believing the forgeries would forget or drop
 * readings. Real MQTT clients on the real embedded broker; B's real receipts must still arrive.
 */
import { expect } from "chai";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import path from "node:path";
import { Device } from "../../../firmware/device.js";
import { fleetKey } from "../../../firmware/simulator.js";
import { DROPPED_TOPIC, type Bridge } from "../../../keepers/bridge/bridge.js";
import {
  connectPassword,
  encodeReceipts,
  encodeRejection,
  errorTopic,
  generateKeyPair,
  parseReceipts,
  parseRejection,
  readingTopic,
  splitAnswer,
  receiptTopic,
  signReading,
  toWire,
  type DeviceKeyPair,
} from "../../../sdk/src/index.js";
import { NETWORK_ID, chain, registerDevice, startBridge, tempDir, waitFor } from "../../datapath/fixtures.js";

const A = 91n;
const B = 92n;
const FORGED_RECEIPT = encodeReceipts([
  { seq: "5", status: "stored" },
  { seq: "6", status: "stored" },
]);
const FORGED_ERROR = encodeRejection({ code: "BAD_SIGNATURE", message: "forged by device 91", seq: "5" });

interface Heard {
  topic: string;
  body: string;
}

describe("Bridge (embedded): receipts and errors come only from the bridge", function () {
  let bridge: Bridge;
  let tmp: ReturnType<typeof tempDir>;
  let url = "";
  let keyA: DeviceKeyPair;
  let keyB: DeviceKeyPair;
  const clients: MqttClient[] = [];
  const devices: Device[] = [];

  const nowSec = (): bigint => BigInt(Math.floor(Date.now() / 1000));
  const connectAs = async (id: bigint, key: DeviceKeyPair, extra: IClientOptions = {}): Promise<MqttClient> => {
    const c = await mqtt.connectAsync(url, {
      username: id.toString(),
      password: connectPassword(NETWORK_ID, key, id, nowSec()),
      clean: true,
      protocolVersion: 4,
      reconnectPeriod: 0,
      ...extra,
    });
    clients.push(c);
    return c;
  };
  const listen = (c: MqttClient): Heard[] => {
    const heard: Heard[] = [];
    // The JSON of each answer (the bridge signs its own; a forged one has no signature line).
    c.on("message", (topic, payload) => heard.push({ topic, body: splitAnswer(payload).body }));
    return heard;
  };
  const startDevice = async (id: bigint, key: DeviceKeyPair, name: string): Promise<Device> => {
    const d = new Device({
      deviceId: id,
      key,
      networkId: NETWORK_ID,
      brokerUrl: url,
      topicRoot: bridge.topicRoot,
      journalFile: path.join(tmp.dir, `${name}.journal`),
      fsync: false,
      receiptTimeoutMs: 400,
    });
    devices.push(d);
    await d.start();
    return d;
  };
  const storedSeqs = async (id: bigint): Promise<bigint[]> =>
    (await bridge.store.allReadings()).filter((r) => r.deviceId === id).map((r) => r.seq);

  beforeEach(async function () {
    const { ethers, directory, directoryAddress } = await chain();
    keyA = fleetKey("forwarding", 1, "secp256k1");
    keyB = fleetKey("forwarding", 2, "secp256k1");
    await registerDevice(directory, A, keyA);
    await registerDevice(directory, B, keyB);
    tmp = tempDir("forwarding");
    bridge = await startBridge(ethers.provider, directoryAddress, {
      store: path.join(tmp.dir, "s.sqlite"),
      operatorPassword: "op-secret",
    });
    url = `mqtt://127.0.0.1:${bridge.mqttPort}`;
  });

  afterEach(async function () {
    for (const d of devices.splice(0)) await d.stop();
    for (const c of clients.splice(0)) await c.endAsync(true);
    await bridge.close();
    tmp.cleanup();
  });

  it("attack: A's forged receipt and forged error never reach B; B's real receipts still arrive; nothing stored changes", async function () {
    // Device B (firmware, not checking answer signatures) with three readings stored.
    const deviceB = await startDevice(B, keyB, "b");
    for (let k = 0; k < 3; k++) deviceB.record(100 + k);
    await deviceB.waitIdle(10_000);
    expect(deviceB.stats).to.include({ receipts: 3, rejected: 0 });
    // A second connection authenticated as B hears everything that reaches B's answer topics.
    const listenerB = await connectAs(B, keyB);
    const heardB = listen(listenerB);
    await listenerB.subscribeAsync([receiptTopic(B, bridge.topicRoot), errorTopic(B, bridge.topicRoot)], { qos: 1 });
    // The operator hears every topic it may.
    const operator = await mqtt.connectAsync(url, { username: "operator", password: "op-secret", reconnectPeriod: 0 });
    clients.push(operator);
    const heardOp = listen(operator);
    await operator.subscribeAsync("#", { qos: 1 });
    // The attacker: device A with a valid connect token, hearing its own answers.
    const attacker = await connectAs(A, keyA);
    const heardA = listen(attacker);
    await attacker.subscribeAsync([receiptTopic(A, bridge.topicRoot), errorTopic(A, bridge.topicRoot)], { qos: 1 });
    const storedBefore = await bridge.store.allReadings();

    const rejectedReading = toWire(
      signReading(NETWORK_ID, generateKeyPair("secp256k1"), { deviceId: A, seq: 0n, timestamp: nowSec(), value: 7n }),
    );
    await attacker.publishAsync(receiptTopic(B, bridge.topicRoot), FORGED_RECEIPT, { qos: 1 });
    await attacker.publishAsync(errorTopic(B, bridge.topicRoot), FORGED_ERROR, { qos: 1 });
    await attacker.publishAsync(receiptTopic(B, bridge.topicRoot), FORGED_RECEIPT, { qos: 0 });
    await attacker.publishAsync(receiptTopic(B, bridge.topicRoot), FORGED_RECEIPT, { qos: 1, retain: true });
    await attacker.publishAsync(errorTopic(B, bridge.topicRoot), FORGED_ERROR, { qos: 1, retain: true });
    await attacker.publishAsync(readingTopic(A, bridge.topicRoot), rejectedReading, { qos: 1 }); // signed by another key
    // Aedes closes a client named in another broker's "$SYS/<id>/new/clients" message.
    await attacker.publishAsync("$SYS/another-broker/new/clients", `depin-dev-${B}`, { qos: 1 });

    // Every one of A's seven publishes was answered on A's own error topic, and A is still connected.
    const rejections = (): ReturnType<typeof parseRejection>[] =>
      heardA.filter((h) => h.topic === errorTopic(A, bridge.topicRoot)).map((h) => parseRejection(h.body));
    await waitFor(() => rejections().length === 7, 10_000, "A's seven rejections");
    expect(rejections().map((r) => r!.code)).to.deep.equal([
      "WRONG_TOPIC",
      "WRONG_TOPIC",
      "WRONG_TOPIC",
      "WRONG_TOPIC",
      "WRONG_TOPIC",
      "BAD_SIGNATURE",
      "WRONG_TOPIC",
    ]);
    expect(attacker.connected).to.equal(true);

    // B records one more reading: its real receipt arrives, after anything forwarded before it.
    deviceB.record(103);
    await deviceB.waitIdle(10_000);
    await waitFor(() => heardB.length >= 1, 5_000, "B's real receipt on the listener");
    expect(heardB).to.deep.equal([
      { topic: receiptTopic(B, bridge.topicRoot), body: encodeReceipts([{ seq: "3", status: "stored" }]) },
    ]);
    expect(deviceB.stats).to.include({ receipts: 4, rejected: 0, forged: 0 });
    expect(deviceB.pendingCount).to.equal(0);

    // Nothing retained: a new subscriber as B gets only its next real receipt.
    const lateB = await connectAs(B, keyB);
    const heardLate = listen(lateB);
    await lateB.subscribeAsync([receiptTopic(B, bridge.topicRoot), errorTopic(B, bridge.topicRoot)], { qos: 1 });
    deviceB.record(104);
    await deviceB.waitIdle(10_000);
    await waitFor(() => heardLate.length >= 1, 5_000, "B's receipt on the late subscriber");
    expect(heardLate).to.deep.equal([
      { topic: receiptTopic(B, bridge.topicRoot), body: encodeReceipts([{ seq: "4", status: "stored" }]) },
    ]);

    // A stays a working device: its next good reading is stored and receipted.
    const good = toWire(signReading(NETWORK_ID, keyA, { deviceId: A, seq: 0n, timestamp: nowSec(), value: 8n }));
    await attacker.publishAsync(readingTopic(A, bridge.topicRoot), good, { qos: 1 });
    await waitFor(() => heardA.some((h) => h.topic === receiptTopic(A, bridge.topicRoot)), 5_000, "A's receipt");
    expect(parseReceipts(heardA.find((h) => h.topic === receiptTopic(A, bridge.topicRoot))!.body)).to.deep.equal([
      { seq: "0", status: "stored" },
    ]);

    // The store changed only by the new good readings.
    expect((await bridge.store.allReadings()).slice(0, storedBefore.length)).to.deep.equal(storedBefore);
    expect(await storedSeqs(B)).to.deep.equal([0n, 1n, 2n, 3n, 4n]);
    expect(await storedSeqs(A)).to.deep.equal([0n]);
    // The operator heard B's readings and the bridge's answers, but none of A's forgeries, not
    // its rejected reading, and nothing dropped.
    expect(heardOp.some((h) => h.topic === readingTopic(B, bridge.topicRoot))).to.equal(true);
    expect(heardOp.filter((h) => h.body === FORGED_RECEIPT || h.body === FORGED_ERROR)).to.deep.equal([]);
    expect(heardOp.filter((h) => h.body === rejectedReading || h.topic === DROPPED_TOPIC)).to.deep.equal([]);
    expect(heardOp.filter((h) => h.topic.startsWith("$"))).to.deep.equal([]);
  });

  it("a Will on B's error topic is dropped when A vanishes; an operator cannot publish into the answer namespace either", async function () {
    const deviceB = await startDevice(B, keyB, "b");
    const listenerB = await connectAs(B, keyB);
    const heardB = listen(listenerB);
    await listenerB.subscribeAsync([receiptTopic(B, bridge.topicRoot), errorTopic(B, bridge.topicRoot)], { qos: 1 });
    const before = bridge.broker!.connectedClients;
    const willer = await connectAs(A, keyA, {
      will: { topic: errorTopic(B, bridge.topicRoot), payload: Buffer.from(FORGED_ERROR), qos: 1, retain: true },
    });
    await waitFor(() => bridge.broker!.connectedClients === before + 1, 5_000, "A connected");
    willer.stream.destroy(); // no DISCONNECT: the broker publishes the Will
    await waitFor(() => bridge.broker!.connectedClients === before, 5_000, "A gone");
    const operator = await mqtt.connectAsync(url, { username: "operator", password: "op-secret", reconnectPeriod: 0 });
    clients.push(operator);
    await operator.publishAsync(receiptTopic(B, bridge.topicRoot), FORGED_RECEIPT, { qos: 1 });
    await operator.publishAsync(errorTopic(B, bridge.topicRoot), FORGED_ERROR, { qos: 1 });

    deviceB.record(1);
    await deviceB.waitIdle(10_000);
    await waitFor(() => heardB.length >= 1, 5_000, "B's real receipt");
    expect(heardB).to.deep.equal([
      { topic: receiptTopic(B, bridge.topicRoot), body: encodeReceipts([{ seq: "0", status: "stored" }]) },
    ]);
    expect(deviceB.stats).to.include({ receipts: 1, rejected: 0 });
    expect(operator.connected).to.equal(true);
  });

  it("nobody, not even the operator, may subscribe to the dropped-message topic", async function () {
    const operator = await mqtt.connectAsync(url, { username: "operator", password: "op-secret", reconnectPeriod: 0 });
    clients.push(operator);
    const heard = listen(operator);
    // Refused like any subscription outside a principal's ACL: Aedes closes the connection.
    let refused = false;
    await operator.subscribeAsync(DROPPED_TOPIC, { qos: 1 }).catch(() => (refused = true));
    expect(refused).to.equal(true);
    expect(heard).to.deep.equal([]);
  });

  it("an MQTT 5 CONNECT is refused: Aedes speaks 3.1/3.1.1 only, where a refused PUBLISH is acknowledged or the connection closed (MQTT-3.3.5-2)", async function () {
    let error: unknown;
    try {
      clients.push(
        await mqtt.connectAsync(url, {
          username: B.toString(),
          password: connectPassword(NETWORK_ID, keyB, B, nowSec()),
          protocolVersion: 5,
          reconnectPeriod: 0,
          connectTimeout: 5_000,
        }),
      );
    } catch (e) {
      error = e;
    }
    expect(error, "the v5 connection was accepted").to.be.instanceOf(Error);
  });
});
