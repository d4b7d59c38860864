/**
 * The simulator's injected faults reach the bridge and come back as the right reason codes, while
 * every honest reading is still stored exactly once — through disconnect storms.
 */
import { expect } from "chai";
import path from "node:path";
import { Fleet, fleetKey, fleetKeyType } from "../../firmware/simulator.js";
import { NETWORK_ID, chain, registerDevice, startBridge, tempDir } from "../datapath/fixtures.js";

describe("Fleet simulator with faults (embedded bridge)", function () {
  it("injects every fault class; every honest reading is stored exactly once", async function () {
    const { ethers, directory, directoryAddress } = await chain();
    const tmp = tempDir("fleet");
    const bridge = await startBridge(ethers.provider, directoryAddress, { store: path.join(tmp.dir, "s.sqlite") });
    const opts = {
      networkId: NETWORK_ID,
      devices: 4,
      rate: 20,
      firstDeviceId: 3_000n,
      keyType: "mixed" as const,
      seed: "faults",
      dataDir: path.join(tmp.dir, "fleet"),
      faults: { "bad-signature": 0.2, replay: 0.2, oversize: 0.2, "foreign-topic": 0.2, skew: 0.2, storm: 0.03 },
      skewSec: 3_600,
      receiptTimeoutMs: 1_000,
    };
    for (let i = 0; i < opts.devices; i++)
      await registerDevice(directory, opts.firstDeviceId + BigInt(i), fleetKey(opts.seed, i, fleetKeyType(opts, i)));
    const fleet = new Fleet({
      ...opts,
      brokerUrl: `mqtt://127.0.0.1:${bridge.mqttPort}`,
      topicRoot: bridge.topicRoot,
      bridgeAddress: bridge.answerAddress!,
    });
    try {
      await fleet.start();
      fleet.run();
      // Run until every fault class was injected at least once (condition-based: a loaded
      // machine makes fewer readings per second, never fewer classes).
      // Stop once every expected rejection code came back and a storm was injected (a replay
      // can land on a reading that is an exact duplicate, so count answers, not injections).
      const codes = ["BAD_SIGNATURE", "EQUIVOCATION", "OVERSIZE", "WRONG_TOPIC", "TIMESTAMP_IN_FUTURE"];
      const deadline = Date.now() + 120_000;
      for (;;) {
        const sum = fleet.summary();
        const rejected = sum.rejected as Record<string, number>;
        const injected = sum.injected as Record<string, number>;
        if (codes.every((c) => (rejected[c] ?? 0) > 0) && (injected.storm ?? 0) > 0) break;
        if (Date.now() > deadline) throw new Error(`not every fault answered: ${JSON.stringify(sum)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      fleet.stopRecording();
      await fleet.waitIdle(60_000);
      const s = fleet.summary();
      const rejected = s.rejected as Record<string, number>;
      for (const code of ["BAD_SIGNATURE", "EQUIVOCATION", "OVERSIZE", "WRONG_TOPIC", "TIMESTAMP_IN_FUTURE"]) {
        expect(rejected[code] ?? 0, `${code} in ${JSON.stringify(s)}`).to.be.greaterThan(0);
      }
      expect((s.injected as Record<string, number>).storm ?? 0).to.be.greaterThan(0);
      const rows = await bridge.store.allReadings();
      expect(rows).to.have.length(s.recorded as number);
      for (const d of fleet.devices) {
        // Exactly once each; arrival order may differ from seq order after a storm's reconnects.
        const seqs = rows
          .filter((r) => r.deviceId === d.deviceId)
          .map((r) => r.seq)
          .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        expect(seqs).to.deep.equal(Array.from({ length: d.stats.recorded }, (_, i) => BigInt(i)));
      }
      // Every injected equivocation was recorded, none stored.
      expect((await bridge.store.equivocations()).length).to.be.greaterThan(0);
    } finally {
      await fleet.stop();
      await bridge.close();
      tmp.cleanup();
    }
  });
});
