import { expect } from "chai";
import path from "node:path";
import { Device } from "../../../firmware/device.js";
import { fleetKey } from "../../../firmware/simulator.js";
import { ConfigError } from "../../../keepers/common/options.js";
import {
  MOSQUITTO,
  NETWORK_ID,
  bridgeOpts,
  chain,
  registerDevice,
  startBridge,
  tempDir,
  uniqueRoot,
  waitFor,
  wipeSessions,
} from "../../datapath/fixtures.js";

describe("Bridge: topic root", function () {
  it("rejects a malformed --topic-root by name", function () {
    expect(() => bridgeOpts({ topicRoot: "depin/+/x" })).to.throw(ConfigError, "--topic-root");
    expect(() => bridgeOpts({ topicRoot: "" })).to.throw(ConfigError, "--topic-root");
    expect(bridgeOpts({}).topicRoot).to.equal("depin");
  });

  it("embedded broker: serves devices of its root and stores nothing published under another", async function () {
    const { ethers, directory, directoryAddress } = await chain();
    const tmp = tempDir("root-embedded");
    const root = "acme/prod";
    const bridge = await startBridge(ethers.provider, directoryAddress, {
      store: path.join(tmp.dir, "s.sqlite"),
      topicRoot: root,
    });
    const make = (id: bigint, i: number, topicRoot?: string): Device =>
      new Device({
        deviceId: id,
        key: fleetKey("root", i, "secp256k1"),
        networkId: NETWORK_ID,
        brokerUrl: `mqtt://127.0.0.1:${bridge.mqttPort}`,
        journalFile: path.join(tmp.dir, `d${i}.journal`),
        fsync: false,
        topicRoot,
      });
    const ours = make(41n, 0, root);
    const stray = make(42n, 1); // default root "depin": not this network's layout
    try {
      await registerDevice(directory, 41n, fleetKey("root", 0, "secp256k1"));
      await registerDevice(directory, 42n, fleetKey("root", 1, "secp256k1"));
      await ours.start();
      await stray.start();
      for (let k = 0; k < 5; k++) ours.record(k);
      stray.record(7);
      await ours.waitIdle(10_000);
      await waitFor(() => bridge.ingestor.counts.rejected >= 1, 10_000, "the stray reading's rejection");
      expect(ours.stats.receipts).to.equal(5);
      const rows = await bridge.store.allReadings();
      expect(rows.map((r) => r.deviceId)).to.deep.equal([41n, 41n, 41n, 41n, 41n]);
      expect((await bridge.ingestor.rejected.get()).values.find((v) => v.labels.code === "WRONG_TOPIC")?.value).to.equal(1);
      // The stray device never got a receipt, so it keeps its reading on disk for later.
      expect(stray.pendingCount).to.equal(1);
    } finally {
      await Promise.all([ours.stop(), stray.stop()]);
      await bridge.close();
      tmp.cleanup();
    }
  });

  it("Mosquitto: two networks share one broker, each bridge stores and answers only its own devices", async function () {
    const { ethers, directory, directoryAddress } = await chain();
    const tmp = tempDir("root-shared");
    const roots = [uniqueRoot("a"), uniqueRoot("b")];
    const clientIds = roots.map((_, i) => `root-test-${process.pid}-${Date.now()}-${i}`);
    const bridges = await Promise.all(
      roots.map((topicRoot, i) =>
        startBridge(ethers.provider, directoryAddress, {
          store: path.join(tmp.dir, `s${i}.sqlite`),
          brokerUrl: MOSQUITTO,
          connections: 2,
          clientId: clientIds[i],
          topicRoot,
        }),
      ),
    );
    // Both bridges read the same directory: each would accept the other's devices if it saw them.
    const devices = roots.map(
      (topicRoot, i) =>
        new Device({
          deviceId: 60n + BigInt(i),
          key: fleetKey("shared-root", i, "secp256k1"),
          networkId: NETWORK_ID,
          brokerUrl: MOSQUITTO,
          journalFile: path.join(tmp.dir, `d${i}.journal`),
          fsync: false,
          topicRoot,
        }),
    );
    try {
      for (let i = 0; i < 2; i++) await registerDevice(directory, 60n + BigInt(i), fleetKey("shared-root", i, "secp256k1"));
      for (const d of devices) await d.start();
      for (let k = 0; k < 10; k++) for (const d of devices) d.record(k);
      await Promise.all(devices.map((d) => d.waitIdle(15_000)));
      for (let i = 0; i < 2; i++) {
        const rows = await bridges[i].store.allReadings();
        expect(rows.map((r) => r.deviceId)).to.deep.equal(Array(10).fill(60n + BigInt(i)));
        expect(bridges[i].ingestor.counts).to.deep.equal({ stored: 10, duplicate: 0, rejected: 0 });
        expect(devices[i].stats.receipts).to.equal(10);
        expect(devices[i].stats.rejected).to.equal(0);
      }
    } finally {
      await Promise.all(devices.map((d) => d.stop()));
      await Promise.all(bridges.map((b) => b.close()));
      for (const id of clientIds) await wipeSessions(id, 2);
      tmp.cleanup();
    }
  });
});
