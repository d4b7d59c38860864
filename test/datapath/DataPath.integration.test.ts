/**
 * End to end, twice: on the embedded defaults (in-process broker, SQLite) and on the real
 * Mosquitto + PostgreSQL. Simulated devices → bridge → sequencer → roots committed on the
 * in-process chain → an inclusion proof, served over HTTP for a random reading, verified on-chain
 * against the committed root (generated Poseidon contract). Then export to content-addressed
 * storage, prune, and the proof is still served and still verifies.
 */
import { expect } from "chai";
import path from "node:path";
import { parseOptions } from "../../keepers/common/options.js";
import { PostgresStore, SqliteStore, type Store } from "../../keepers/common/store/index.js";
import { DaKeeper, daOptions } from "../../keepers/da/da.js";
import { Sequencer, sequencerOptions } from "../../keepers/sequencer/sequencer.js";
import { StorageKeeper, storageOptions } from "../../keepers/storage/storage.js";
import { Fleet, fleetKey, fleetKeyType } from "../../firmware/simulator.js";
import { NETWORK_ID, POSTGRES, chain, deployDa, registerDevice, startBridge, tempDir, waitFor, mosquitto } from "./fixtures.js";

interface ProofBody {
  batchId: string;
  index: number;
  leaf: string;
  /** Per level of the 4-ary tree, leaf level first: the 3 siblings in slot order. */
  siblings: [string, string, string][];
  depth: number;
  root: string;
  reading: { deviceId: string; seq: string };
}

for (const setup of ["embedded + SQLite", "Mosquitto + PostgreSQL"] as const) {
  describe(`Data path end to end (${setup})`, function () {
    it("devices → bridge → sequencer → committed roots → on-chain inclusion proof → archive", async function () {
      const real = setup.startsWith("Mosquitto");
      const { ethers, directory, directoryAddress } = await chain();
      const { da, helper, signer, daAddress } = await deployDa(ethers);
      const tmp = tempDir("e2e");
      const schema = `t_e2e_${process.pid}_${Date.now()}`;
      const mkStore = (): Store => (real ? new PostgresStore(POSTGRES, schema) : new SqliteStore(path.join(tmp.dir, "s.sqlite")));
      const MOSQUITTO = real ? await mosquitto() : "";
      const firstDeviceId = real ? 700_000n + BigInt(Math.floor(Math.random() * 1e6)) * 16n : 1_000n;
      const fleetOpts = {
        networkId: NETWORK_ID,
        devices: 6,
        rate: 50,
        firstDeviceId,
        keyType: "mixed" as const,
        seed: `e2e-${setup}`,
        dataDir: path.join(tmp.dir, "fleet"),
        faults: {},
      };
      for (let i = 0; i < fleetOpts.devices; i++) {
        await registerDevice(directory, firstDeviceId + BigInt(i), fleetKey(fleetOpts.seed, i, fleetKeyType(fleetOpts, i)));
      }
      const bridge = await startBridge(ethers.provider, directoryAddress, real ? { brokerUrl: MOSQUITTO, connections: 4 } : {}, {
        store: mkStore(),
      });
      const fleet = new Fleet({
        ...fleetOpts,
        brokerUrl: real ? MOSQUITTO : `mqtt://127.0.0.1:${bridge.mqttPort}`,
        topicRoot: bridge.topicRoot,
        bridgeAddress: bridge.answerAddress!,
      });
      const sequencer = new Sequencer(parseOptions(sequencerOptions, { depth: 2, windowMs: 0, metricsPort: -1 }), {
        store: mkStore(),
      });
      const daKeeper = new DaKeeper(
        parseOptions(daOptions, { da: daAddress, metricsPort: 0, archiveDir: path.join(tmp.dir, "archive") }),
        { store: mkStore(), signer },
      );
      const storage = new StorageKeeper(
        parseOptions(storageOptions, {
          da: daAddress,
          retentionSec: 0,
          archiveDir: path.join(tmp.dir, "archive"),
          metricsPort: -1,
        }),
        { store: mkStore(), runner: ethers.provider },
      );
      try {
        await fleet.start();
        fleet.run();
        // Condition-based: a loaded machine records more slowly, never fewer than asked.
        await waitFor(() => (fleet.summary().recorded as number) > 100, 120_000, "100+ readings recorded");
        fleet.stopRecording();
        await fleet.waitIdle(30_000);
        const recorded = fleet.summary().recorded as number;
        expect(recorded).to.be.greaterThan(100);
        expect(await bridge.store.countReadings()).to.equal(recorded);

        await sequencer.init();
        await sequencer.tick();
        await daKeeper.init();
        const port = await daKeeper.ops.listen(0);
        const committed = await daKeeper.commitPending();
        const lastId = await sequencer.store.lastBatchId();
        const sealed = await sequencer.store.listBatches(1n, 10_000);
        expect(sealed.reduce((n, b) => n + b.leafCount, 0)).to.equal(recorded);
        expect(lastId >= BigInt(Math.ceil(recorded / 16))).to.equal(true);
        expect(committed).to.deep.equal(
          Array.from({ length: Number(lastId) }, (_, i) => BigInt(i + 1)).slice(0, daKeeper.opts.maxCommitsPerTick),
        );
        while ((await da.nextBatchId()) <= lastId) await daKeeper.commitPending();
        expect(await da.nextBatchId()).to.equal(lastId + 1n);
        for (let id = 1n; id <= lastId; id++) {
          const onChain = await da.getBatch(id);
          const local = (await sequencer.store.getBatch(id))!;
          expect(onChain.root).to.equal(local.root);
          expect(onChain.leafCount).to.equal(BigInt(local.leafCount));
        }
        // Idempotent: nothing more to commit, nothing committed twice.
        expect(await daKeeper.commitPending()).to.deep.equal([]);

        // A random reading's inclusion proof, served over HTTP, verified on-chain.
        const all = await sequencer.store.allReadings();
        const pick = all[Math.floor(Math.random() * all.length)];
        const res = await fetch(`http://127.0.0.1:${port}/proofs?deviceId=${pick.deviceId}&seq=${pick.seq}`);
        expect(res.status).to.equal(200);
        const proof = (await res.json()) as ProofBody;
        expect(proof.reading).to.include({ deviceId: pick.deviceId.toString(), seq: pick.seq.toString() });
        expect(await helper.verifyInclusion(daAddress, proof.batchId, proof.leaf, proof.index, proof.siblings)).to.equal(true);
        // 16 readings per batch: two 4-ary levels of 3 siblings each.
        expect(proof.depth).to.equal(2);
        expect(proof.siblings.map((l) => l.length)).to.deep.equal([3, 3]);
        for (const [level, k] of [
          [0, 2],
          [1, 0],
        ] as const) {
          const tampered = proof.siblings.map((l) => [...l] as [string, string, string]);
          tampered[level][k] = (BigInt(tampered[level][k]) + 1n).toString();
          expect(await helper.verifyInclusion(daAddress, proof.batchId, proof.leaf, proof.index, tampered)).to.equal(false);
        }
        const otherSlot = proof.index % 4 === 0 ? proof.index + 1 : proof.index - 1;
        expect(await helper.verifyInclusion(daAddress, proof.batchId, proof.leaf, otherSlot, proof.siblings)).to.equal(false);

        // Long-term storage: export (verified against the chain), prune, still provable.
        await storage.init();
        const exported = await storage.exportDue();
        expect(exported).to.have.length(Number(lastId));
        expect(await sequencer.store.countReadings()).to.equal(0);
        const again = (await (
          await fetch(`http://127.0.0.1:${port}/proofs/${proof.batchId}/${proof.index}`)
        ).json()) as ProofBody;
        expect(again.root).to.equal(proof.root);
        expect(await helper.verifyInclusion(daAddress, again.batchId, again.leaf, again.index, again.siblings)).to.equal(true);
        expect(await storage.exportDue()).to.deep.equal([]);
      } finally {
        await fleet.stop();
        await bridge.close();
        await sequencer.close();
        await daKeeper.ops.close();
        await daKeeper.close();
        await storage.close();
        if (real) {
          const s = new PostgresStore(POSTGRES, schema);
          await s.dropSchema();
          await s.close();
        }
        tmp.cleanup();
      }
    });
  });
}
