/**
 * Crash faults with real processes:
 *  - the bridge is SIGKILLed mid-stream and restarted (embedded broker, and behind the real
 *    Mosquitto): every reading a device holds a receipt for is stored exactly once at the moment
 *    of the kill, devices offline during the outage replay from their journals, nothing is lost;
 *    SIGTERM then stops the bridge cleanly (exit code 0);
 *  - a device process "loses power": its journal keeps the counter and the unsent readings;
 *  - the sequencer is SIGKILLed mid-batch and restarted: the same roots as an uninterrupted run,
 *    and the DA keeper commits each exactly once even after a crash between send and bookkeeping.
 */
import { expect } from "chai";
import path from "node:path";
import { generateKeyPair, networkTopicRoot, signReading } from "../../sdk/src/index.js";
import { Device } from "../../firmware/device.js";
import { Fleet, fleetKey, fleetKeyType } from "../../firmware/simulator.js";
import { parseOptions } from "../../keepers/common/options.js";
import { SqliteStore, type NewReading } from "../../keepers/common/store/index.js";
import { DaKeeper, daOptions } from "../../keepers/da/da.js";
import { Sequencer, sequencerOptions } from "../../keepers/sequencer/sequencer.js";
import { NETWORK_ID, chain, deployDa, registerDevice, spawnKeeper, tempDir, waitFor, mosquitto } from "./fixtures.js";
import { freePort, portOpen, rpcEndpoint } from "../../keepers/common/net.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const transport of ["embedded", "mosquitto"] as const) {
  describe(`Bridge SIGKILL mid-stream (${transport})`, function () {
    it("acknowledged readings are stored exactly once; offline readings replay; nothing is lost", async function () {
      const { conn, directory, directoryAddress } = await chain();
      const rpc = await rpcEndpoint(conn.provider);
      const tmp = tempDir(`kill-${transport}`);
      const storeFile = path.join(tmp.dir, "bridge.sqlite");
      const port = await freePort();
      const MOSQUITTO = transport === "embedded" ? "" : await mosquitto();
      const firstDeviceId = transport === "embedded" ? 9_000n : 900_000n + BigInt(Math.floor(Math.random() * 1e6)) * 16n;
      const fleetOpts = {
        networkId: NETWORK_ID,
        devices: 5,
        rate: 20,
        firstDeviceId,
        keyType: "mixed" as const,
        seed: `kill-${transport}`,
        dataDir: path.join(tmp.dir, "fleet"),
        faults: {},
      };
      for (let i = 0; i < fleetOpts.devices; i++) {
        await registerDevice(directory, firstDeviceId + BigInt(i), fleetKey(fleetOpts.seed, i, fleetKeyType(fleetOpts, i)));
      }
      const flags = {
        store: `sqlite:${storeFile}`,
        directory: directoryAddress,
        "rpc-url": rpc.url,
        "network-id": NETWORK_ID.toString(),
        "genesis-time": "0",
        "epoch-length": "86400",
        "metrics-port": -1,
        "log-level": "warn",
        ...(transport === "embedded" ? { "mqtt-port": port } : { "broker-url": MOSQUITTO, connections: 4 }),
      };
      const start = async () => {
        const k = await spawnKeeper("bridge", flags);
        if (transport === "embedded") await waitFor(() => portOpen(port), 30_000, "bridge port");
        else await waitFor(() => k.output().includes("Bridge#external") || k.child.exitCode !== null, 30_000, "bridge connected");
        return k;
      };
      // Ask the bridge child to log its start at info level so readiness is visible.
      flags["log-level"] = "info";
      let bridge = await start();
      // The bridge's answer key, created on its first start and kept in its store.
      const answerAddress = (o: string): string | undefined => /"answerAddress":"(0x[0-9a-fA-F]{40})"/.exec(o)?.[1];
      await waitFor(() => answerAddress(bridge.output()) !== undefined, 30_000, "the bridge's answer address");
      const bridgeAddress = answerAddress(bridge.output())!;
      const fleet = new Fleet({
        ...fleetOpts,
        brokerUrl: transport === "embedded" ? `mqtt://127.0.0.1:${port}` : MOSQUITTO,
        topicRoot: networkTopicRoot(NETWORK_ID, directoryAddress),
        bridgeAddress,
        receiptTimeoutMs: 1_500,
      });
      const acked = new Set<string>();
      fleet.devices.forEach((d) => d.on("receipt", (r) => acked.add(`${d.deviceId}:${r.seq}`)));
      try {
        await fleet.start();
        fleet.run();
        await waitFor(() => acked.size >= 60, 60_000, "first receipts");
        bridge.child.kill("SIGKILL");
        await bridge.exited;
        // At the moment of the kill: every acknowledged reading is stored, exactly once.
        const ackedAtKill = new Set(acked);
        const check = new SqliteStore(storeFile);
        await check.init();
        const rows = await check.allReadings();
        await check.close();
        const keys = rows.map((r) => `${r.deviceId}:${r.seq}`);
        expect(new Set(keys).size).to.equal(keys.length);
        for (const k of ackedAtKill) expect(keys, `acknowledged ${k} missing after SIGKILL`).to.include(k);

        await sleep(1_000); // devices keep recording into their journals while the bridge is down
        bridge = await start();
        // The restarted bridge signs with the same key (kept in its store), so devices still accept its answers.
        await waitFor(() => answerAddress(bridge.output()) !== undefined, 30_000, "the answer address after restart");
        expect(answerAddress(bridge.output())).to.equal(bridgeAddress);
        await sleep(800);
        fleet.stopRecording();
        await fleet.waitIdle(120_000);

        const after = new SqliteStore(storeFile);
        await after.init();
        const final = await after.allReadings();
        await after.close();
        const summary = fleet.summary();
        expect(final).to.have.length(summary.recorded as number);
        for (const d of fleet.devices) {
          const seqs = final.filter((r) => r.deviceId === d.deviceId).map((r) => r.seq);
          expect(seqs).to.deep.equal(Array.from({ length: d.stats.recorded }, (_, i) => BigInt(i)));
        }
        expect(summary.rejected).to.deep.equal({});
        expect(fleet.devices.reduce((n, d) => n + d.stats.forged, 0)).to.equal(0);

        bridge.child.kill("SIGTERM");
        expect(await bridge.exited).to.equal(0);
      } finally {
        await fleet.stop();
        if (bridge.child.exitCode === null) bridge.child.kill("SIGKILL");
        await rpc.close();
        tmp.cleanup();
      }
    });
  });
}

describe("Device power loss", function () {
  it("the journal keeps the sequence counter and every unsent reading", async function () {
    const tmp = tempDir("power");
    const key = generateKeyPair("p256");
    const journalFile = path.join(tmp.dir, "d.journal");
    const port = await freePort(); // nothing listens: the device is offline
    const mk = () =>
      new Device({
        deviceId: 77n,
        key,
        networkId: NETWORK_ID,
        brokerUrl: `mqtt://127.0.0.1:${port}`,
        topicRoot: "depin",
        journalFile,
        reconnectPeriodMs: 60_000,
      });
    try {
      const d1 = mk();
      await d1.start(200);
      for (let i = 0; i < 5; i++) d1.record(i);
      await d1.stop();
      const d2 = mk();
      expect(d2.journal.lastSeq).to.equal(4n);
      expect([...d2.journal.pending.keys()]).to.deep.equal([0n, 1n, 2n, 3n, 4n]);
      await d2.start(200);
      expect(d2.record(9).seq).to.equal(5n);
      d2.journal.compact();
      await d2.stop();
      const d3 = mk();
      expect(d3.journal.lastSeq).to.equal(5n);
      expect(d3.pendingCount).to.equal(6);
      d3.journal.close();
    } finally {
      tmp.cleanup();
    }
  });
});

describe("Sequencer SIGKILL mid-batch", function () {
  it("restart yields the roots of an uninterrupted run; the DA keeper commits each exactly once", async function () {
    const tmp = tempDir("seqkill");
    const key = generateKeyPair("secp256k1");
    const rs: NewReading[] = [];
    for (let i = 0; i < 1_600; i++) {
      const r = signReading(NETWORK_ID, key, {
        deviceId: BigInt(1 + (i % 8)),
        seq: BigInt(Math.floor(i / 8)),
        timestamp: 10_000n + BigInt(i),
        value: BigInt(i),
      });
      rs.push({ ...r, epoch: BigInt(Math.floor(i / 500)) });
    }
    const storeFile = path.join(tmp.dir, "s.sqlite");
    const victim = new SqliteStore(storeFile);
    await victim.init();
    for (let i = 0; i < rs.length; i += 200) await victim.insertReadings(rs.slice(i, i + 200));
    await victim.close();
    // Reference: an uninterrupted run on an identical store.
    const refStore = new SqliteStore(path.join(tmp.dir, "ref.sqlite"));
    const ref = new Sequencer(
      parseOptions(sequencerOptions, { depth: 2, windowMs: 0, metricsPort: -1, maxBatchesPerTick: 1000 }),
      { store: refStore },
    );
    await ref.init();
    for (let i = 0; i < rs.length; i += 200) await refStore.insertReadings(rs.slice(i, i + 200));
    await ref.tick();
    const refBatches = (await refStore.listBatches(1n, 10_000)).map((b) => [b.batchId, b.epoch, b.leafCount, b.root]);
    await ref.close();

    const flags = {
      store: `sqlite:${storeFile}`,
      depth: 2,
      "window-ms": 0,
      "metrics-port": -1,
      "max-batches-per-tick": 1000,
      schedule: "* * * * * *",
      "log-level": "warn",
    };
    const reader = new SqliteStore(storeFile);
    await reader.init();
    let k = await spawnKeeper("sequencer", flags);
    try {
      await waitFor(async () => (await reader.lastBatchId()) >= 5n, 60_000, "first batches");
      k.child.kill("SIGKILL");
      await k.exited;
      const atKill = await reader.lastBatchId();
      expect(atKill < BigInt(refBatches.length), "killed before the end").to.equal(true);
      k = await spawnKeeper("sequencer", flags);
      await waitFor(async () => (await reader.lastBatchId()) === BigInt(refBatches.length), 120_000, "all batches");
      k.child.kill("SIGTERM");
      expect(await k.exited).to.equal(0);
      const got = (await reader.listBatches(1n, 10_000)).map((b) => [b.batchId, b.epoch, b.leafCount, b.root]);
      expect(got).to.deep.equal(refBatches);
      expect((await reader.allReadings()).every((r) => r.batchId !== null)).to.equal(true);

      // DA: a keeper "crashes" after its commit transaction but before recording it; the next
      // keeper reconciles instead of committing twice, and skips nothing.
      const { ethers } = await chain();
      const { da, signer, daAddress } = await deployDa(ethers);
      const first = (await reader.getBatch(1n))!;
      await (await da.commitBatch(1n, first.root, first.leafCount, first.depth, first.epoch, "crashed-keeper")).wait();
      const keeper = new DaKeeper(parseOptions(daOptions, { da: daAddress, metricsPort: -1, maxCommitsPerTick: 1000 }), {
        store: reader,
        signer,
      });
      await keeper.init();
      const committed = await keeper.commitPending();
      expect(committed).to.deep.equal(got.slice(1).map((b) => b[0]));
      expect(await da.nextBatchId()).to.equal(BigInt(got.length) + 1n);
      for (const [id, , , root] of got) expect((await da.getBatch(id as bigint)).root).to.equal(root);
      expect((await reader.getBatch(1n))!.commitTx).to.equal("reconciled");
      expect(await keeper.commitPending()).to.deep.equal([]);
    } finally {
      if (k.child.exitCode === null) k.child.kill("SIGKILL");
      await reader.close();
      tmp.cleanup();
    }
  });
});
