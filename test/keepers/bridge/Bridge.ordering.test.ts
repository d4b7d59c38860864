/**
 * Sequence numbers and delivery order. A device's QoS 1 readings can reach the bridge out of
 * order behind an external broker (a broker restart or queue limit drops messages the broker had
 * already acknowledged to the device; the device re-sends them after later ones arrived). Such a
 * late reading is the device's own signed, never-stored reading: it is stored, not refused
 * (refusing it made the device forget it — found by the reliability suite). Only at or below the
 * device's pruned (exported) range, where the hot store can no longer tell a new reading from a
 * replay of an exported one, is it refused with SEQ_REPLAYED, and nothing stored changes.
 */
import { expect } from "chai";
import mqtt, { type MqttClient } from "mqtt";
import path from "node:path";
import {
  generateKeyPair,
  parseReceipts,
  parseRejection,
  readingTopic,
  receiptTopic,
  errorTopic,
  openAnswer,
  signReading,
  toWire,
  type Receipt,
  type Rejection,
} from "../../../sdk/src/index.js";
import type { Bridge } from "../../../keepers/bridge/bridge.js";
import { NETWORK_ID, chain, registerDevice, startBridge, tempDir, waitFor } from "../../datapath/fixtures.js";

const now = (): bigint => BigInt(Math.floor(Date.now() / 1000));

describe("Bridge sequence ordering", function () {
  const A = 7_001n;
  const keyA = generateKeyPair("p256");
  let bridge: Bridge;
  let client: MqttClient;
  let tmp: ReturnType<typeof tempDir>;
  const receipts: Receipt[] = [];
  const rejections: Rejection[] = [];
  const send = async (seq: bigint, value = 100n + seq) =>
    client.publishAsync(
      readingTopic(A, bridge.topicRoot),
      toWire(signReading(NETWORK_ID, keyA, { deviceId: A, seq, timestamp: now(), value })),
      {
        qos: 1,
      },
    );

  before(async function () {
    const c = await chain();
    await registerDevice(c.directory, A, keyA);
    tmp = tempDir("order");
    bridge = await startBridge(c.ethers.provider, c.directoryAddress, {
      store: path.join(tmp.dir, "s.sqlite"),
      operatorPassword: "op-secret",
    });
    client = await mqtt.connectAsync(`mqtt://127.0.0.1:${bridge.mqttPort}`, {
      username: "operator",
      password: "op-secret",
      clean: true,
    });
    client.on("message", (topic, payload) => {
      if (topic.endsWith("/receipt"))
        receipts.push(...parseReceipts(openAnswer(payload, NETWORK_ID, topic, bridge.answerAddress!)!)!);
      else rejections.push(parseRejection(openAnswer(payload, NETWORK_ID, topic, bridge.answerAddress!)!)!);
    });
    await client.subscribeAsync([receiptTopic(A, bridge.topicRoot), errorTopic(A, bridge.topicRoot)], { qos: 1 });
    for (const seq of [0n, 1n, 2n, 3n, 4n, 10n]) await send(seq);
    await waitFor(() => receipts.length === 6, 10_000, "six receipts");
  });

  after(async function () {
    await client?.endAsync();
    await bridge?.close();
    tmp?.cleanup();
  });

  it("a late reading below the high-water mark that was never stored is stored (receipt 'stored')", async function () {
    const n = receipts.length;
    await send(7n);
    await waitFor(() => receipts.length > n, 10_000, "receipt");
    expect(receipts[n]).to.deep.equal({ seq: "7", status: "stored" });
    expect((await bridge.store.getReading(A, 7n))?.value).to.equal(107n);
    expect(rejections).to.deep.equal([]);
  });

  it("at or below the pruned range → SEQ_REPLAYED, nothing stored changes", async function () {
    // Seal everything into batch 1 and export + prune it, as the storage keeper does.
    const sealed = await bridge.store.sealBatch({
      depth: 3,
      maxDevices: 16,
      windowMs: 0,
      now: Date.now() + 1_000,
      commit: (rs) => ({ leaves: rs.map((_, i) => BigInt(i + 1)), root: 1n }),
    });
    expect(sealed?.leafCount).to.equal(7);
    await bridge.store.markExported(1n, "sha256-test", true);
    expect(await bridge.store.prunedSeq(A)).to.equal(10n);
    const before = await bridge.store.allReadings();
    expect(before).to.deep.equal([]);
    const n = rejections.length;
    await send(8n);
    await waitFor(() => rejections.length > n, 10_000, "rejection");
    expect(rejections[n].code).to.equal("SEQ_REPLAYED");
    expect(rejections[n].seq).to.equal("8");
    expect(rejections[n].message).to.match(/at or below the device's exported readings \(10\)/);
    expect(await bridge.store.allReadings()).to.deep.equal(before);
  });

  it("above the high-water mark after pruning is stored", async function () {
    const n = receipts.length;
    await send(11n);
    await waitFor(() => receipts.length > n, 10_000, "receipt");
    expect(receipts[n]).to.deep.equal({ seq: "11", status: "stored" });
  });
});
