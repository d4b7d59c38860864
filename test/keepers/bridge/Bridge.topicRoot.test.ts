/**
 * Topic roots: by default each network has its own (`depin/<network id>/<registry>`), so two
 * networks on one broker neither hear nor answer each other; an explicit --topic-root wins.
 */
import { expect } from "chai";
import path from "node:path";
import { Device } from "../../../firmware/device.js";
import { fleetKey } from "../../../firmware/simulator.js";
import { ConfigError } from "../../../keepers/common/options.js";
import { Bridge } from "../../../keepers/bridge/bridge.js";
import { networkTopicRoot } from "../../../sdk/src/index.js";
import {
  NETWORK_ID,
  mosquitto,
  bridgeOpts,
  chain,
  registerDevice,
  startBridge,
  tempDir,
  waitFor,
} from "../../datapath/fixtures.js";

describe("Bridge: topic root", function () {
  it("rejects a malformed --topic-root by name", function () {
    expect(() => bridgeOpts({ topicRoot: "depin/+/x" })).to.throw(ConfigError, "--topic-root");
    expect(() => bridgeOpts({ topicRoot: "a//b" })).to.throw(ConfigError, "--topic-root");
    expect(bridgeOpts({}).topicRoot).to.equal(""); // empty = the network's own
  });

  it("defaults to the network's own root: depin/<network id>/<first 4 bytes of the registry>; --topic-root wins", function () {
    const directory = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
    expect(new Bridge(bridgeOpts({ directory })).topicRoot).to.equal("depin/31337/5fbdb231");
    expect(new Bridge(bridgeOpts({ directory, networkId: 11155111n })).topicRoot).to.equal("depin/11155111/5fbdb231");
    expect(new Bridge(bridgeOpts({ directory, topicRoot: "acme/prod" })).topicRoot).to.equal("acme/prod");
    expect(networkTopicRoot(1n)).to.equal("depin/1");
    expect(() => networkTopicRoot(1n, "0x12")).to.throw(/not an address/);
  });

  it("embedded broker: serves devices of its root and stores nothing published under another", async function () {
    const { ethers, directory, directoryAddress } = await chain();
    const tmp = tempDir("root-embedded");
    const root = "acme/prod";
    const bridge = await startBridge(ethers.provider, directoryAddress, {
      store: path.join(tmp.dir, "s.sqlite"),
      topicRoot: root,
    });
    const make = (id: bigint, i: number, topicRoot: string): Device =>
      new Device({
        deviceId: id,
        key: fleetKey("root", i, "secp256k1"),
        networkId: NETWORK_ID,
        brokerUrl: `mqtt://127.0.0.1:${bridge.mqttPort}`,
        journalFile: path.join(tmp.dir, `d${i}.journal`),
        fsync: false,
        topicRoot,
        bridgeAddress: bridge.answerAddress!,
      });
    const ours = make(41n, 0, root);
    const stray = make(42n, 1, "depin"); // another network's root (the old shared default)
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

  it("Mosquitto, all defaults: two networks share one broker, each bridge stores and answers only its own devices", async function () {
    // Two deployments on one chain: two registries, hence two default roots and client ids.
    const { ethers, directory, directoryAddress } = await chain();
    const other = await ethers.deployContract("DeviceDirectoryMock");
    const directories = [directory, other];
    const addresses = [directoryAddress, await other.getAddress()];
    const url = await mosquitto();
    const tmp = tempDir("root-shared");
    const bridges = await Promise.all(
      addresses.map((address, i) =>
        startBridge(ethers.provider, address, {
          store: path.join(tmp.dir, `s${i}.sqlite`),
          brokerUrl: url,
          connections: 2,
        }),
      ),
    );
    expect(bridges[0].topicRoot).to.equal(networkTopicRoot(NETWORK_ID, addresses[0]));
    expect(bridges[1].topicRoot).to.equal(networkTopicRoot(NETWORK_ID, addresses[1]));
    expect(bridges[0].topicRoot).to.not.equal(bridges[1].topicRoot);
    expect(bridges[0].clientId).to.not.equal(bridges[1].clientId);
    // The same device id and key in both networks: each network must answer only its own.
    const devices = bridges.map(
      (bridge, i) =>
        new Device({
          deviceId: 60n,
          key: fleetKey("shared-root", 0, "secp256k1"),
          networkId: NETWORK_ID,
          brokerUrl: url,
          journalFile: path.join(tmp.dir, `d${i}.journal`),
          fsync: false,
          topicRoot: bridge.topicRoot,
          bridgeAddress: bridge.answerAddress!,
        }),
    );
    try {
      for (const d of directories) await registerDevice(d, 60n, fleetKey("shared-root", 0, "secp256k1"));
      for (const d of devices) await d.start();
      for (let k = 0; k < 10; k++) for (const d of devices) d.record(k);
      await Promise.all(devices.map((d) => d.waitIdle(15_000)));
      for (let i = 0; i < 2; i++) {
        const rows = await bridges[i].store.allReadings();
        expect(rows.map((r) => r.deviceId)).to.deep.equal(Array(10).fill(60n));
        expect(bridges[i].ingestor.counts).to.deep.equal({ stored: 10, duplicate: 0, rejected: 0 });
        expect(devices[i].stats.receipts).to.equal(10);
        expect(devices[i].stats.rejected).to.equal(0);
        expect(devices[i].stats.forged).to.equal(0); // never even heard the other network's answers
      }
    } finally {
      await Promise.all(devices.map((d) => d.stop()));
      await Promise.all(bridges.map((b) => b.close()));
      tmp.cleanup();
    }
  });
});
