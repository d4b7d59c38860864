/**
 * Every class of bad input gets its reason code on the device's error topic, is counted, and
 * changes nothing already stored — on the embedded broker and on the real Mosquitto.
 */
import { expect } from "chai";
import mqtt, { type MqttClient } from "mqtt";
import { readFileSync } from "node:fs";
import path from "node:path";
import {
  SNARK_SCALAR_FIELD,
  generateKeyPair,
  isFinalRejection,
  parseReceipts,
  parseRejection,
  connectPassword,
  errorTopic,
  openAnswer,
  readingTopic,
  signReading,
  toWire,
  verifyReading,
  type DeviceKeyPair,
  type Receipt,
  type Rejection,
} from "../../../sdk/src/index.js";
import type { Bridge } from "../../../keepers/bridge/bridge.js";
import {
  NETWORK_ID,
  mosquitto,
  chain,
  registerDevice,
  startBridge,
  tempDir,
  waitFor,
  wipeSessions,
} from "../../datapath/fixtures.js";

const now = (): bigint => BigInt(Math.floor(Date.now() / 1000));

for (const transport of ["embedded", "mosquitto"] as const) {
  describe(`Bridge validation (${transport})`, function () {
    const base = transport === "embedded" ? 5_000n : 6_000n + BigInt(Math.floor(Math.random() * 1e6)) * 10n;
    const A = base + 1n;
    const B = base + 2n;
    const UNKNOWN = base + 3n;
    const DECOM = base + 4n;
    const ROTATED = base + 5n;
    /** A device whose rotation is pending: the hand-over is `pendingAt`, inside the skew window. */
    const PENDING = base + 6n;
    let bridge: Bridge;
    let root: string;
    let client: MqttClient;
    let tmp: ReturnType<typeof tempDir>;
    const clientId = `val-${process.pid}-${Date.now()}`;
    let keyA: DeviceKeyPair;
    let keyOld: DeviceKeyPair;
    let keyNew: DeviceKeyPair;
    let keyPendOld: DeviceKeyPair;
    let keyPendNew: DeviceKeyPair;
    let directory: Awaited<ReturnType<typeof chain>>["directory"];
    const rejections: { device: bigint; r: Rejection }[] = [];
    const receipts: { device: bigint; r: Receipt }[] = [];
    const revokedAt = now() - 100n;
    // The registry schedules revocations KEY_REVOCATION_DELAY ahead; the test directory lets the
    // test sit 100 s before the hand-over, so readings stamped past it pass the skew check.
    const pendingAt = now() + 100n;

    before(async function () {
      const c = await chain();
      directory = c.directory;
      keyA = generateKeyPair("secp256k1");
      keyOld = generateKeyPair("p256");
      keyNew = generateKeyPair("p256");
      await registerDevice(directory, A, keyA);
      await registerDevice(directory, B, generateKeyPair("secp256k1"));
      await registerDevice(directory, DECOM, generateKeyPair("secp256k1"));
      await registerDevice(directory, ROTATED, keyOld);
      await (await directory.revokeKey(ROTATED, 0, revokedAt)).wait();
      await (await directory.addKey(ROTATED, 1, keyNew.publicId, revokedAt)).wait();
      keyPendOld = generateKeyPair("secp256k1");
      keyPendNew = generateKeyPair("p256");
      await registerDevice(directory, PENDING, keyPendOld);
      await (await directory.revokeKey(PENDING, 0, pendingAt)).wait();
      await (await directory.addKey(PENDING, 1, keyPendNew.publicId, pendingAt)).wait();
      tmp = tempDir(`val-${transport}`);
      bridge = await startBridge(c.ethers.provider, c.directoryAddress, {
        store: path.join(tmp.dir, "s.sqlite"),
        operatorPassword: "op-secret",
        ...(transport === "mosquitto" ? { brokerUrl: await mosquitto(), connections: 2, clientId } : {}),
      });
      root = bridge.topicRoot;
      const url = transport === "embedded" ? `mqtt://127.0.0.1:${bridge.mqttPort}` : await mosquitto();
      client = await mqtt.connectAsync(url, { username: "operator", password: "op-secret", clean: true });
      client.on("message", (topic, payload) => {
        if (!topic.startsWith(`${root}/d/`)) return;
        const m = /^d\/(\d+)\/(receipt|error)$/.exec(topic.slice(root.length + 1));
        if (!m || BigInt(m[1]) < base || BigInt(m[1]) > base + 9n) return;
        if (m[2] === "error") rejections.push({ device: BigInt(m[1]), r: parseRejection(signed(topic, payload))! });
        else for (const r of parseReceipts(signed(topic, payload))!) receipts.push({ device: BigInt(m[1]), r });
      });
      await client.subscribeAsync([`${root}/d/+/receipt`, `${root}/d/+/error`], { qos: 1 });
      // Good readings 0..4 and 10 of device A: the state nothing below may change.
      for (const seq of [0n, 1n, 2n, 3n, 4n, 10n]) {
        await client.publishAsync(
          readingTopic(A, root),
          toWire(signReading(NETWORK_ID, keyA, { deviceId: A, seq, timestamp: now(), value: 100n + seq })),
          { qos: 1 },
        );
      }
      await waitFor(() => receipts.length === 6, 10_000, "six receipts");
      // The decommissioned device is decommissioned after registration.
      await (await directory.setStatus(DECOM, 5)).wait();
    });

    after(async function () {
      await client?.endAsync();
      await bridge?.close();
      if (transport === "mosquitto") await wipeSessions(clientId, 2);
      tmp?.cleanup();
    });

    /** The JSON of an answer, which must carry the bridge's signature (signed answers are the default). */
    const signed = (topic: string, payload: Buffer): string => {
      const body = openAnswer(payload, NETWORK_ID, topic, bridge.answerAddress!);
      if (body === null) throw new Error(`answer on ${topic} without the bridge's signature`);
      return body;
    };

    const good = (over: Record<string, unknown> = {}): string =>
      JSON.stringify({
        ...JSON.parse(toWire(signReading(NETWORK_ID, keyA, { deviceId: A, seq: 20n, timestamp: now(), value: 1n }))),
        ...over,
      });

    const cases: {
      name: string;
      code: string;
      topic?: () => string;
      payload: () => string;
      to?: () => bigint;
      seq?: string;
    }[] = [
      { name: "malformed JSON", code: "MALFORMED_JSON", payload: () => '{"v":1,"deviceId":' },
      { name: "not an object", code: "NOT_AN_OBJECT", payload: () => "[1,2,3]" },
      { name: "wrong type (value is a word)", code: "WRONG_TYPE", payload: () => good({ value: "lots" }) },
      { name: "wrong type (seq is a float)", code: "WRONG_TYPE", payload: () => good({ seq: 1.5 }) },
      {
        name: "field overflow (seq ≥ BN254 modulus)",
        code: "FIELD_OVERFLOW",
        payload: () => good({ seq: SNARK_SCALAR_FIELD.toString() }),
      },
      { name: "out of range (value ≥ 2^32)", code: "OUT_OF_RANGE", payload: () => good({ value: 2 ** 32 }) },
      {
        name: "missing field",
        code: "MISSING_FIELD",
        payload: () => JSON.stringify((({ sig: _s, ...rest }) => rest)(JSON.parse(good()) as Record<string, unknown>)),
      },
      { name: "unknown field", code: "UNKNOWN_FIELD", payload: () => good({ extra: 1 }) },
      {
        name: "duplicate key (value twice; JSON.parse would keep the last)",
        code: "DUPLICATE_FIELD",
        payload: () => good().replace(/}$/, ',"value":2}'),
      },
      {
        name: "odd-length signature hex (a nibble that decoding would drop)",
        code: "BAD_SIGNATURE_FORMAT",
        payload: () => good({ sig: (JSON.parse(good()) as { sig: string }).sig + "f" }),
      },
      { name: "unsupported version", code: "UNSUPPORTED_VERSION", payload: () => good({ v: 2 }) },
      { name: "oversize", code: "OVERSIZE", payload: () => good({ pad: "x".repeat(600) }) },
      { name: "bad signature format", code: "BAD_SIGNATURE_FORMAT", payload: () => good({ sig: "0x1234" }) },
      {
        name: "bad signature (signed by another key)",
        code: "BAD_SIGNATURE",
        payload: () =>
          toWire(signReading(NETWORK_ID, generateKeyPair("secp256k1"), { deviceId: A, seq: 20n, timestamp: now(), value: 1n })),
      },
      {
        name: "bad signature (value changed after signing)",
        code: "BAD_SIGNATURE",
        payload: () => good({ value: 2 }),
      },
      {
        name: "future timestamp",
        code: "TIMESTAMP_IN_FUTURE",
        payload: () => toWire(signReading(NETWORK_ID, keyA, { deviceId: A, seq: 20n, timestamp: now() + 3600n, value: 1n })),
      },
      {
        name: "stale timestamp",
        code: "TIMESTAMP_STALE",
        payload: () =>
          toWire(signReading(NETWORK_ID, keyA, { deviceId: A, seq: 20n, timestamp: now() - 30n * 86_400n, value: 1n })),
      },
      {
        name: "equivocation (same seq, other value)",
        code: "EQUIVOCATION",
        payload: () => toWire(signReading(NETWORK_ID, keyA, { deviceId: A, seq: 3n, timestamp: now(), value: 999n })),
      },
      // A reading off its canonical topic is answered on its device's error topic, with its seq
      // (so the device drops it instead of re-sending it forever): the sender here is not a
      // device, so the reading's own signature identifies the device to answer.
      {
        name: "wrong topic (reading of A on B's topic)",
        code: "WRONG_TOPIC",
        topic: () => readingTopic(B, root),
        to: () => A,
        seq: "20",
        payload: () => good(),
      },
      {
        name: "wrong shard for the device id",
        code: "WRONG_TOPIC",
        topic: () => `${root}/r/${(Number(A % 16n) + 1) % 16}/${A}`,
        seq: "20",
        payload: () => good(),
      },
      {
        name: "leading zero in the device id",
        code: "WRONG_TOPIC",
        topic: () => `${root}/r/${A % 16n}/0${A}`,
        seq: "20",
        payload: () => good(),
      },
      {
        name: "trailing slash",
        code: "WRONG_TOPIC",
        topic: () => `${readingTopic(A, root)}/`,
        seq: "20",
        payload: () => good(),
      },
      {
        name: "unknown device",
        code: "UNKNOWN_DEVICE",
        topic: () => readingTopic(UNKNOWN, root),
        to: () => UNKNOWN,
        payload: () => toWire(signReading(NETWORK_ID, keyA, { deviceId: UNKNOWN, seq: 0n, timestamp: now(), value: 1n })),
      },
      {
        name: "decommissioned device",
        code: "DEVICE_NOT_ACTIVE",
        topic: () => readingTopic(DECOM, root),
        to: () => DECOM,
        payload: () => toWire(signReading(NETWORK_ID, keyA, { deviceId: DECOM, seq: 0n, timestamp: now(), value: 1n })),
      },
      {
        name: "revoked key (old key after rotation)",
        code: "KEY_REVOKED",
        topic: () => readingTopic(ROTATED, root),
        to: () => ROTATED,
        payload: () => toWire(signReading(NETWORK_ID, keyOld, { deviceId: ROTATED, seq: 0n, timestamp: now(), value: 1n })),
      },
      {
        name: "pending revocation (old key, reading stamped at the scheduled hand-over)",
        code: "KEY_REVOKED",
        topic: () => readingTopic(PENDING, root),
        to: () => PENDING,
        payload: () =>
          toWire(signReading(NETWORK_ID, keyPendOld, { deviceId: PENDING, seq: 0n, timestamp: pendingAt, value: 1n })),
      },
      {
        name: "rotated-in key before its hand-over",
        code: "KEY_NOT_YET_VALID",
        topic: () => readingTopic(PENDING, root),
        to: () => PENDING,
        payload: () =>
          toWire(signReading(NETWORK_ID, keyPendNew, { deviceId: PENDING, seq: 0n, timestamp: pendingAt - 1n, value: 1n })),
      },
    ];

    for (const c of cases) {
      it(`${c.name} → ${c.code}, nothing stored changes`, async function () {
        const before = await bridge.store.allReadings();
        const eqBefore = (await bridge.store.equivocations()).length;
        const n = rejections.length;
        const counted = bridge.ingestor.counts.rejected;
        await client.publishAsync(c.topic?.() ?? readingTopic(A, root), c.payload(), { qos: 1 });
        await waitFor(() => rejections.length > n, 10_000, `rejection ${c.code}`);
        const got = rejections[n];
        expect(got.r.code, got.r.message).to.equal(c.code);
        expect(got.device).to.equal(c.to?.() ?? A);
        if (c.seq !== undefined) expect(got.r.seq).to.equal(c.seq);
        expect(got.r.message).to.be.a("string");
        expect(got.r.message.length).to.be.greaterThan(0);
        expect(bridge.ingestor.counts.rejected).to.equal(counted + 1);
        expect(await bridge.store.allReadings()).to.deep.equal(before);
        expect((await bridge.store.equivocations()).length).to.equal(eqBefore + (c.code === "EQUIVOCATION" ? 1 : 0));
      });
    }

    it("a valid reading signed with the rotated-in key is accepted", async function () {
      const n = receipts.length;
      await client.publishAsync(
        readingTopic(ROTATED, root),
        toWire(signReading(NETWORK_ID, keyNew, { deviceId: ROTATED, seq: 0n, timestamp: now(), value: 5n })),
        { qos: 1 },
      );
      await waitFor(() => receipts.length > n, 10_000, "receipt");
      expect(receipts[n]).to.deep.equal({ device: ROTATED, r: { seq: "0", status: "stored" } });
    });

    it("during a pending rotation each key is accepted on its side of the hand-over", async function () {
      const n = receipts.length;
      await client.publishAsync(
        readingTopic(PENDING, root),
        toWire(signReading(NETWORK_ID, keyPendOld, { deviceId: PENDING, seq: 1n, timestamp: pendingAt - 1n, value: 5n })),
        { qos: 1 },
      );
      await client.publishAsync(
        readingTopic(PENDING, root),
        toWire(signReading(NETWORK_ID, keyPendNew, { deviceId: PENDING, seq: 2n, timestamp: pendingAt, value: 6n })),
        { qos: 1 },
      );
      await waitFor(() => receipts.length >= n + 2, 10_000, "two receipts");
      expect(receipts.slice(n).map((x) => [x.device, x.r.seq, x.r.status])).to.deep.equal([
        [PENDING, "1", "stored"],
        [PENDING, "2", "stored"],
      ]);
    });

    it("a claim nobody signed on a non-canonical topic is refused but answered to no device", async function () {
      const before = await bridge.store.allReadings();
      const n = rejections.length;
      const counted = bridge.ingestor.counts.rejected;
      const forged = toWire(
        signReading(NETWORK_ID, generateKeyPair("secp256k1"), { deviceId: A, seq: 21n, timestamp: now(), value: 1n }),
      );
      await client.publishAsync(`${root}/r/${A % 16n}/0${A}`, forged, { qos: 1 });
      await waitFor(() => bridge.ingestor.counts.rejected > counted, 10_000, "the refusal");
      // A later answer on the same path: had the refusal been published, it would have come first.
      const m = receipts.length;
      const dup = (await bridge.store.allReadings()).find((r) => r.deviceId === A && r.seq === 2n)!;
      await client.publishAsync(readingTopic(A, root), toWire(dup), { qos: 1 });
      await waitFor(() => receipts.length > m, 10_000, "the duplicate's receipt");
      expect(rejections.length).to.equal(n);
      expect(await bridge.store.allReadings()).to.deep.equal(before);
    });

    it("an exact duplicate is absorbed: receipt 'duplicate', store unchanged", async function () {
      const before = await bridge.store.allReadings();
      const stored = before.find((r) => r.deviceId === A && r.seq === 2n)!;
      const n = receipts.length;
      await client.publishAsync(readingTopic(A, root), toWire(stored), { qos: 1 });
      await waitFor(() => receipts.length > n, 10_000, "duplicate receipt");
      expect(receipts[n].r).to.deep.equal({ seq: "2", status: "duplicate" });
      expect(await bridge.store.allReadings()).to.deep.equal(before);
    });

    if (transport === "embedded") {
      it("ACL: a device publishing on another device's topic gets WRONG_TOPIC on its own error topic", async function () {
        const { Device } = await import("../../../firmware/device.js");
        const d = new Device({
          deviceId: A,
          key: keyA,
          networkId: NETWORK_ID,
          brokerUrl: `mqtt://127.0.0.1:${bridge.mqttPort}`,
          topicRoot: bridge.topicRoot,
          bridgeAddress: bridge.answerAddress!,
          journalFile: path.join(tmp.dir, "a.journal"),
          fsync: false,
        });
        await d.start();
        const got: Rejection[] = [];
        d.on("rejected", (r) => got.push(r));
        const before = await bridge.store.allReadings();
        d.publishRaw(
          readingTopic(B, root),
          toWire(signReading(NETWORK_ID, keyA, { deviceId: B, seq: 50n, timestamp: now(), value: 1n })),
        );
        await waitFor(() => got.length > 0, 10_000, "ACL rejection");
        expect(got[0].code).to.equal("WRONG_TOPIC");
        expect(await bridge.store.allReadings()).to.deep.equal(before);
        await d.stop();
      });

      it("an authenticated device's own reading on a non-canonical topic: WRONG_TOPIC with its seq on its own error topic", async function () {
        const raw = await mqtt.connectAsync(`mqtt://127.0.0.1:${bridge.mqttPort}`, {
          username: A.toString(),
          password: connectPassword(NETWORK_ID, keyA, A, now()),
          clean: true,
        });
        try {
          const heard: Rejection[] = [];
          raw.on("message", (topic, payload) => heard.push(parseRejection(signed(topic, payload))!));
          await raw.subscribeAsync(errorTopic(A, root), { qos: 1 });
          const before = await bridge.store.allReadings();
          const r = toWire(signReading(NETWORK_ID, keyA, { deviceId: A, seq: 30n, timestamp: now(), value: 1n }));
          for (const topic of [`${root}/r/${A % 16n}/0${A}`, `${readingTopic(A, root)}/`, `${root}/r/${A}`]) {
            const n = heard.length;
            await raw.publishAsync(topic, r, { qos: 1 });
            await waitFor(() => heard.length > n, 10_000, `WRONG_TOPIC for ${topic}`);
            expect(heard[n]).to.include({ code: "WRONG_TOPIC", seq: "30" });
            expect(heard[n].message).to.include(readingTopic(A, root)); // says where to publish
          }
          expect(await bridge.store.allReadings()).to.deep.equal(before);
        } finally {
          await raw.endAsync();
        }
      });

      it("device: a reading refused KEY_NOT_YET_VALID is kept (not final) and re-signed with the key in force at its timestamp", async function () {
        const { Device } = await import("../../../firmware/device.js");
        const journalFile = path.join(tmp.dir, "pending.journal");
        // The device was told a hand-over 50 s too early, so it signs with the new key too soon.
        const d = new Device({
          deviceId: PENDING,
          key: keyPendOld,
          nextKey: { key: keyPendNew, validFrom: pendingAt - 50n },
          networkId: NETWORK_ID,
          brokerUrl: `mqtt://127.0.0.1:${bridge.mqttPort}`,
          topicRoot: bridge.topicRoot,
          bridgeAddress: bridge.answerAddress!,
          journalFile,
          fsync: false,
        });
        await d.start();
        const refused: Rejection[] = [];
        const delivered: Receipt[] = [];
        d.on("rejected", (r) => refused.push(r));
        d.on("receipt", (r) => delivered.push(r));
        const r = d.record(7, pendingAt - 10n);
        expect(verifyReading(NETWORK_ID, keyPendNew.type, keyPendNew.publicId, r)).to.equal(true);
        await waitFor(() => refused.length > 0, 10_000, "KEY_NOT_YET_VALID");
        expect(refused[0]).to.include({ code: "KEY_NOT_YET_VALID", seq: r.seq.toString() });
        // Not forgotten: still pending, held (no key to fix it yet), nothing marked refused.
        expect(d.pendingCount).to.equal(1);
        expect(d.stats.held).to.equal(1);
        expect(readFileSync(journalFile, "utf8")).to.not.match(/^X /m);
        expect(isFinalRejection("KEY_NOT_YET_VALID")).to.equal(false);
        expect(isFinalRejection("KEY_REVOKED")).to.equal(true);

        // The right hand-over is installed: the reading is re-signed with the old key and stored.
        d.installKey(keyPendNew, pendingAt);
        await waitFor(() => delivered.length > 0, 10_000, "receipt after re-signing");
        expect(delivered[0]).to.deep.equal({ seq: r.seq.toString(), status: "stored" });
        expect(d.stats.resigned).to.equal(1);
        expect(d.pendingCount).to.equal(0);
        const stored = (await bridge.store.allReadings()).find((x) => x.deviceId === PENDING && x.seq === r.seq)!;
        expect([stored.timestamp, stored.value]).to.deep.equal([r.timestamp, r.value]);
        expect(verifyReading(NETWORK_ID, keyPendOld.type, keyPendOld.publicId, stored)).to.equal(true);
        await d.stop();
      });
    }
  });
}
