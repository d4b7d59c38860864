import { expect } from "chai";
import path from "node:path";
import { Device } from "../../../firmware/device.js";
import { fleetKey } from "../../../firmware/simulator.js";
import { NETWORK_ID, chain, registerDevice, startBridge, tempDir } from "../../datapath/fixtures.js";

describe("Bridge (embedded broker, SQLite): store-before-ack ingest", function () {
  it("stores every reading of secp256k1 and P-256 devices once and answers with receipts", async function () {
    const { ethers, directory, directoryAddress } = await chain();
    const tmp = tempDir("ingest");
    const bridge = await startBridge(ethers.provider, directoryAddress, { store: path.join(tmp.dir, "s.sqlite") });
    const devices: Device[] = [];
    try {
      for (let i = 0; i < 4; i++) {
        const type = i % 2 === 0 ? "secp256k1" : "p256";
        const key = fleetKey("ingest", i, type);
        await registerDevice(directory, 100n + BigInt(i), key);
        const d = new Device({
          deviceId: 100n + BigInt(i),
          key,
          networkId: NETWORK_ID,
          brokerUrl: `mqtt://127.0.0.1:${bridge.mqttPort}`,
          topicRoot: bridge.topicRoot,
          bridgeAddress: bridge.answerAddress!,
          journalFile: path.join(tmp.dir, `d${i}.journal`),
          fsync: false,
        });
        await d.start();
        devices.push(d);
      }
      for (let k = 0; k < 25; k++) for (const d of devices) d.record(k * 10);
      await Promise.all(devices.map((d) => d.waitIdle(20_000)));
      const rows = await bridge.store.allReadings();
      expect(rows).to.have.length(100);
      for (const d of devices) {
        const mine = rows.filter((r) => r.deviceId === d.deviceId).map((r) => r.seq);
        expect(mine).to.deep.equal(Array.from({ length: 25 }, (_, k) => BigInt(k)));
        expect(d.stats.receipts).to.equal(25);
      }
      expect(bridge.ingestor.counts).to.deep.equal({ stored: 100, duplicate: 0, rejected: 0 });
    } finally {
      await Promise.all(devices.map((d) => d.stop()));
      await bridge.close();
      tmp.cleanup();
    }
  });

  it("refuses a device whose connect token is not signed by its registered key", async function () {
    const { ethers, directory, directoryAddress } = await chain();
    const tmp = tempDir("auth");
    const bridge = await startBridge(ethers.provider, directoryAddress, { store: path.join(tmp.dir, "s.sqlite") });
    const d = new Device({
      deviceId: 7n,
      key: fleetKey("auth", 1, "secp256k1"), // not the registered key
      networkId: NETWORK_ID,
      brokerUrl: `mqtt://127.0.0.1:${bridge.mqttPort}`,
      topicRoot: bridge.topicRoot,
      bridgeAddress: bridge.answerAddress!,
      journalFile: path.join(tmp.dir, "d.journal"),
      fsync: false,
      reconnectPeriodMs: 100_000,
    });
    try {
      await registerDevice(directory, 7n, fleetKey("auth", 0, "secp256k1"));
      await d.start(1500);
      expect(d.client!.connected).to.equal(false);
      d.record(1);
      expect(await bridge.store.countReadings()).to.equal(0);
      expect(d.pendingCount).to.equal(1); // kept on disk for later, not lost
    } finally {
      await d.stop();
      await bridge.close();
      tmp.cleanup();
    }
  });
});
