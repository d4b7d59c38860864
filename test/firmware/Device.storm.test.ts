/**
 * A device whose journal was reset signs new readings under sequence numbers the network already
 * holds: each is refused EQUIVOCATION. That code is final, so each reading is dropped after one
 * answer — before, the device re-sent it at once, in a hot loop (16 readings produced 11,511
 * rejections in 5 s). Non-final rejections are re-sent only after a capped exponential back-off.
 */
import { expect } from "chai";
import { rmSync } from "node:fs";
import path from "node:path";
import { Device, retryDelayMs } from "../../firmware/device.js";
import { fleetKey } from "../../firmware/simulator.js";
import { NETWORK_ID, chain, registerDevice, startBridge, tempDir } from "../datapath/fixtures.js";

describe("Device: no rejection storm", function () {
  it("journal reset + 16 readings: one EQUIVOCATION each, every one dropped, nothing stored changes", async function () {
    const { ethers, directory, directoryAddress } = await chain();
    const tmp = tempDir("storm");
    const key = fleetKey("storm", 0, "secp256k1");
    const id = 4_400n;
    await registerDevice(directory, id, key);
    const bridge = await startBridge(ethers.provider, directoryAddress, { store: path.join(tmp.dir, "s.sqlite") });
    const journalFile = path.join(tmp.dir, "d.journal");
    const make = (): Device =>
      new Device({
        deviceId: id,
        key,
        networkId: NETWORK_ID,
        brokerUrl: `mqtt://127.0.0.1:${bridge.mqttPort}`,
        topicRoot: bridge.topicRoot,
        bridgeAddress: bridge.answerAddress!,
        journalFile,
        fsync: false,
        receiptTimeoutMs: 1_000,
      });
    try {
      const first = make();
      await first.start();
      for (let k = 0; k < 16; k++) first.record(100 + k);
      await first.waitIdle(10_000);
      await first.stop();
      const stored = await bridge.store.allReadings();
      expect(stored).to.have.length(16);

      rmSync(journalFile); // the reset: the counter starts again at 0
      const device = make();
      const codes: string[] = [];
      device.on("rejected", (r) => codes.push(r.code));
      await device.start();
      for (let k = 0; k < 16; k++) device.record(500 + k);
      await device.waitIdle(20_000); // every reading answered and dropped (final)
      // A reading above the network's mark still gets through; its receipt comes after every
      // answer to what was sent before it on this connection.
      const fresh = device.record(999);
      expect(fresh.seq).to.equal(16n);
      await device.waitIdle(10_000);
      const rejectedAtBridge = bridge.ingestor.counts.rejected;
      await device.stop();

      expect(codes.every((c) => c === "EQUIVOCATION")).to.equal(true);
      expect(codes.length, `device heard ${codes.length} rejections`).to.be.at.most(2 * 16);
      expect(rejectedAtBridge, `bridge refused ${rejectedAtBridge}`).to.be.at.most(2 * 16);
      expect(device.stats.published).to.be.at.most(2 * 16 + 1);
      expect(device.stats).to.include({ dropped: 16, receipts: 1 });
      expect(device.journal.pending.size).to.equal(0);
      // Stored readings are untouched; the conflicts are on record.
      const after = await bridge.store.allReadings();
      expect(after.slice(0, 16)).to.deep.equal(stored);
      expect(after.map((r) => r.seq)).to.deep.equal([...stored.map((r) => r.seq), 16n]);
      expect((await bridge.store.equivocations()).length).to.be.within(16, 32);
    } finally {
      await bridge.close();
      tmp.cleanup();
    }
  });

  it("back-off after a non-final rejection: exponential, jittered into the upper half, capped", function () {
    const lo = () => 0;
    const hi = () => 1;
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, hi))).to.deep.equal([500, 1000, 2000, 4000]);
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, lo))).to.deep.equal([250, 500, 1000, 2000]);
    for (const n of [20, 50, 1_000]) {
      expect(retryDelayMs(n, hi)).to.equal(300_000);
      expect(retryDelayMs(n, lo)).to.equal(150_000);
    }
    const draws = Array.from({ length: 100 }, () => retryDelayMs(3));
    expect(Math.min(...draws)).to.be.at.least(1000);
    expect(Math.max(...draws)).to.be.at.most(2000);
    expect(new Set(draws).size).to.be.greaterThan(1); // jitter
  });
});
