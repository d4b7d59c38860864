/**
 * A frozen subscriber (stops reading its socket) must not stall the embedded broker: Aedes'
 * drainTimeout drops it and devices keep being served.
 */
import { expect } from "chai";
import mqtt from "mqtt";
import path from "node:path";
import { Device } from "../../../firmware/device.js";
import { fleetKey } from "../../../firmware/simulator.js";
import { NETWORK_ID, chain, registerDevice, startBridge, tempDir, waitFor } from "../../datapath/fixtures.js";

describe("Bridge (embedded) with a frozen client", function () {
  it("drops the frozen client after drainTimeout and keeps storing devices' readings", async function () {
    const { ethers, directory, directoryAddress } = await chain();
    const tmp = tempDir("frozen");
    const bridge = await startBridge(ethers.provider, directoryAddress, {
      store: path.join(tmp.dir, "s.sqlite"),
      operatorPassword: "op",
      drainTimeoutMs: 500,
    });
    const url = `mqtt://127.0.0.1:${bridge.mqttPort}`;
    const key = fleetKey("frozen", 0, "secp256k1");
    await registerDevice(directory, 4_242n, key);
    const frozen = await mqtt.connectAsync(url, { username: "operator", password: "op", reconnectPeriod: 0 });
    const feeder = await mqtt.connectAsync(url, { username: "operator", password: "op" });
    const device = new Device({
      deviceId: 4_242n,
      key,
      networkId: NETWORK_ID,
      brokerUrl: url,
      topicRoot: bridge.topicRoot,
      bridgeAddress: bridge.answerAddress!,
      journalFile: path.join(tmp.dir, "d.journal"),
      fsync: false,
    });
    try {
      await frozen.subscribeAsync("bulk/#", { qos: 0 });
      let frozenClosed = false;
      frozen.on("close", () => (frozenClosed = true));
      frozen.stream.pause(); // stops reading: the broker's writes to it back up
      const big = Buffer.alloc(1 << 20, 1);
      for (let i = 0; i < 32; i++) feeder.publish("bulk/x", big, { qos: 0 });
      await device.start();
      for (let i = 0; i < 50; i++) device.record(i);
      await device.waitIdle(20_000);
      expect(await bridge.store.countReadings()).to.equal(50);
      await waitFor(() => frozenClosed || bridge.broker!.connectedClients <= 2, 20_000, "frozen client dropped");
    } finally {
      await device.stop();
      frozen.end(true);
      await feeder.endAsync();
      await bridge.close();
      tmp.cleanup();
    }
  });
});
