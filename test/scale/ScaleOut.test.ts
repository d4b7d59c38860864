/**
 * Past one machine: two of every keeper at once on one PostgreSQL store and one Mosquitto, each
 * doing part of the work, any of them killable (`npm run test:scale`, also part of `npm test`).
 *
 *  - bridges share the device topics through an MQTT shared subscription ($share/<group>/…);
 *  - sequencers seal under the store's advisory lock;
 *  - provers and submitters take batches with row locks (FOR UPDATE SKIP LOCKED);
 *  - the DA committers and the epoch closers hold leadership through an advisory lock; the
 *    leader is SIGKILLed and the other takes over.
 *
 * A fleet streams signed readings while random keepers are SIGKILLed and restarted (seeded:
 * SCALE_SEED=<n> replays a schedule). Real proofs (reward_rule_16), the real RewardDistributor.
 * Then the books (test/reliability/check.ts and settlement.ts): 0 readings lost or duplicated, 0
 * batches double-committed or double-settled, no batch proven or settled twice by the keepers,
 * every epoch closed, claims pay the emission; and every instance did some of the work.
 */
import { expect } from "chai";
import { Wallet } from "ethers";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { network } from "hardhat";
import type { Device } from "../../firmware/device.js";
import { Fleet, fleetKey, fleetKeyType } from "../../firmware/simulator.js";
import { freePort, rpcEndpoint } from "../../keepers/common/net.js";
import { openStore, PostgresStore, parseStoreUrl } from "../../keepers/common/store/index.js";
import { networkTopicRoot } from "../../sdk/src/index.js";
import { deployDa } from "../da/fixture.js";
import { audit, printReport, type Faults } from "../reliability/check.js";
import { Keeper, Mosquitto, prng, sleep, waitFor } from "../reliability/env.js";
import * as settlement from "../reliability/settlement.js";

const POSTGRES = "postgres://postgres@127.0.0.1:5432/test";
/** Hardhat's dev account #1, the bonded sequencer of the DA fixture (both DA keepers send from it). */
const SEQUENCER_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const DEVICES = 8;
const RATE = 2; // readings per second per device
const READINGS = 28; // per device at least
const KILLS = 8; // random SIGKILLs besides the two leader kills

/** What each keeper's log says it did (tallied over every incarnation). */
const WORK: Record<string, { at: string; amount: (o: Record<string, unknown>) => number }> = {
  bridge: { at: "Ingestor#stored", amount: (o) => Number(o.inserted ?? 0) },
  sequencer: { at: "Sequencer#seal", amount: () => 1 },
  da: { at: "DaKeeper#commit", amount: () => 1 },
  prover: { at: "Prover#proven", amount: (o) => (o.stored === true ? 1 : 0) },
  submitter: { at: "Submitter#settled", amount: () => 1 },
  epoch: { at: "EpochKeeper#closed", amount: (o) => (o.by === "us" ? 1 : 0) },
};

class SettlementFleet extends Fleet {
  step(d: Device, index: number): void {
    d.record(index < settlement.SLOTS ? 80 + Math.floor(Math.random() * 141) : 1_000 + Math.floor(Math.random() * 1_000));
  }
}

describe("Scale-out: two of every keeper on one PostgreSQL and one Mosquitto, with random SIGKILLs", function () {
  this.timeout(420_000);

  it("loses, duplicates, double-commits and double-settles nothing, and every instance does some of the work", async function () {
    const unavailable = settlement.settlementUnavailable();
    if (unavailable) throw new Error(unavailable);
    if (!Mosquitto.binary()) throw new Error("mosquitto not installed (tools/system-deps.sh installs it)");
    const seed = Number(process.env.SCALE_SEED ?? Date.now() % 1_000_000);
    const rnd = prng(seed);
    const T0 = Date.now();
    const say = (m: string) => console.log(`      [scale +${((Date.now() - T0) / 1000).toFixed(1)}s] ${m}`);
    say(`seed ${seed} (SCALE_SEED=${seed} replays the kill schedule)`);
    const tmp = mkdtempSync(path.join(os.tmpdir(), "depin-scale-"));
    const schema = `scale_${process.pid}_${Math.floor(Math.random() * 1e6)}`;
    const storeUrl = `${POSTGRES}?schema=${schema}`;
    const keepers: Keeper[] = [];
    const cleanups: (() => Promise<unknown> | unknown)[] = [];
    let fleet: Fleet | undefined;
    try {
      // ---- chain, broker, store
      const conn = await network.create();
      const da = await deployDa(conn, { bond: 5_000n * 10n ** 18n });
      const chainId = da.chainId;
      const rpc = await rpcEndpoint(conn.provider);
      cleanups.push(() => rpc.close());
      const broker = new Mosquitto(await freePort(), path.join(tmp, "mosquitto"));
      await broker.start();
      cleanups.push(() => broker.kill());
      const at = parseStoreUrl(storeUrl);
      const admin = new PostgresStore(at.kind === "postgres" ? at.url : "", schema);
      await admin.init();
      cleanups.push(async () => {
        await admin.dropSchema();
        await admin.close();
      });

      const fleetOpts = {
        networkId: chainId,
        devices: DEVICES,
        rate: RATE,
        firstDeviceId: 1_000n,
        keyType: "mixed" as const,
        seed: `scale-${seed}`,
        dataDir: path.join(tmp, "fleet"),
        faults: {},
        brokerUrl: broker.url,
        receiptTimeoutMs: 3_000,
      };
      const ids: bigint[] = [];
      for (let i = 0; i < DEVICES; i++) {
        const id = fleetOpts.firstDeviceId + BigInt(i);
        ids.push(id);
        const key = fleetKey(fleetOpts.seed, i, fleetKeyType(fleetOpts, i));
        await (await da.directory.setStatus(id, 3)).wait();
        await (await da.directory.addKey(id, key.type === "secp256k1" ? 0 : 1, key.publicId, 0)).wait();
      }
      const s = await settlement.deploySettlement(conn, da, ids);
      // A second submitter and a second epoch closer send from accounts of their own.
      const submitterB = Wallet.createRandom().privateKey;
      const epochB = Wallet.createRandom().privateKey;
      for (const k of [submitterB, epochB])
        await conn.provider.request({ method: "hardhat_setBalance", params: [new Wallet(k).address, "0x56bc75e2d63100000"] });

      // ---- keepers: two of each
      const work = new Map<Keeper, number>();
      const leader = new Map<Keeper, boolean>();
      const faults: Faults = { brokerRestarts: 0, dbRestarts: 0, rpcOutages: 0, rpcOutageMs: 0, crashes: [], stalls: [] };
      const proven = new Map<string, number>();
      const settledBy = new Map<string, number>();
      const make = (name: string, command: string, flags: Record<string, string | number>): Keeper => {
        const k = new Keeper(
          name,
          command,
          { store: storeUrl, "metrics-port": -1, "log-level": "info", ...flags },
          (kk, code, signal) => {
            faults.crashes.push({ keeper: kk.name, code, signal, tail: kk.output().slice(-1500) });
            say(`${kk.name} exited on its own (code ${code}, signal ${signal}); restarting`);
          },
        );
        const w = WORK[command];
        work.set(k, 0);
        k.onLine = (line) => {
          if (!line.startsWith("{")) return;
          let o: Record<string, unknown>;
          try {
            o = JSON.parse(line) as Record<string, unknown>;
          } catch {
            return;
          }
          if (o.at === w.at) work.set(k, work.get(k)! + w.amount(o));
          if (typeof o.at === "string" && o.at.endsWith("#leader")) leader.set(k, o.leader === true);
          if (o.at === "Prover#proven" && o.stored === true)
            proven.set(String(o.batchId), (proven.get(String(o.batchId)) ?? 0) + 1);
          if (o.at === "Submitter#settled") settledBy.set(String(o.batchId), (settledBy.get(String(o.batchId)) ?? 0) + 1);
        };
        keepers.push(k);
        return k;
      };
      const chain = { "rpc-url": rpc.url };
      const directoryAddress = await da.directory.getAddress();
      const daAddress = await da.da.getAddress();
      const bridges = ["a", "b"].map((x) =>
        make(`bridge-${x}`, "bridge", {
          ...chain,
          "broker-url": broker.url,
          "share-group": "bridges",
          "client-id": `scale-${process.pid}-${x}`,
          connections: 2,
          "verify-threads": 0,
          directory: directoryAddress,
          "network-id": chainId.toString(),
          "directory-ttl-ms": 5_000,
          "genesis-time": settlement.GENESIS.toString(),
          "epoch-length": settlement.EPOCH_LENGTH.toString(),
          schedule: "*/2 * * * * *",
          "log-level": "debug",
        }),
      );
      const sequencers = ["a", "b"].map((x) =>
        make(`sequencer-${x}`, "sequencer", {
          depth: settlement.DEPTH,
          "window-ms": 3_000,
          "max-batches-per-tick": 1,
        }),
      );
      const daKeepers = ["a", "b"].map((x) =>
        make(`da-${x}`, "da", {
          ...chain,
          da: daAddress,
          "private-key": SEQUENCER_KEY,
          "max-commits-per-tick": 4,
          "lease-ms": 10_000,
          schedule: "* * * * * *",
          "archive-dir": path.join(tmp, "archive"),
        }),
      );
      const onDistributor = { ...chain, distributor: s.distributorAddress };
      const provers = ["a", "b"].map((x) =>
        make(`prover-${x}`, "prover", {
          ...onDistributor,
          workers: 1,
          progress: "off",
          "max-batches-per-tick": 1,
          "build-dir": path.resolve(import.meta.dirname, "../../build/circuits"),
          schedule: "* * * * * *",
        }),
      );
      const submitters = [settlement.SUBMITTER_KEY, submitterB].map((key, i) =>
        make(`submitter-${"ab"[i]}`, "submitter", {
          ...onDistributor,
          "private-key": key,
          "poll-ms": 100,
          "max-settles-per-tick": 1,
          schedule: "* * * * * *",
        }),
      );
      const epochKeepers = [settlement.EPOCH_KEY, epochB].map((key, i) =>
        make(`epoch-${"ab"[i]}`, "epoch", {
          ...onDistributor,
          "private-key": key,
          "poll-ms": 100,
          "lease-ms": 10_000,
          schedule: "* * * * * *",
        }),
      );
      // The epoch closers start once the batches are settled (see below): closing an epoch
      // earlier would strand its unsettled batches, which the test's clock jumps would allow.
      const running = keepers.filter((k) => !epochKeepers.includes(k));
      for (const k of running) k.start();
      cleanups.push(async () => {
        for (const k of keepers) await k.stop();
      });
      await Promise.all(running.map((k) => k.waitReady(150_000)));
      say(`${running.length} keepers up`);

      // ---- fleet
      const answer = /"answerAddress":"(0x[0-9a-fA-F]{40})"/.exec(bridges[0].output())?.[1];
      expect(answer, "the bridge logged its answer address").to.be.a("string");
      expect(bridges[1].output()).to.include(answer!); // both bridges sign with the store's one key
      fleet = new SettlementFleet({
        ...fleetOpts,
        topicRoot: networkTopicRoot(chainId, await da.directory.getAddress()),
        bridgeAddress: answer!,
      });
      const acked = new Map<string, number>();
      const receipts = { stored: 0, duplicate: 0 };
      for (const d of fleet.devices)
        d.on("receipt", (r) => {
          const k = `${d.deviceId}:${r.seq}`;
          acked.set(k, (acked.get(k) ?? 0) + 1);
          if (r.status === "stored") receipts.stored++;
          else receipts.duplicate++;
        });
      await fleet.start();
      fleet.run();
      await waitFor(() => acked.size >= DEVICES * 2, 60_000, "first receipts");
      say("streaming");

      // ---- chaos while streaming: random SIGKILLs, the DA leader killed once, the clock moved
      // past the DA challenge window so batches become final and provers and submitters work.
      const victims = [...bridges, ...sequencers, ...provers, ...submitters];
      const pick = () => victims[Math.floor(rnd() * victims.length)];
      const killLeader = async (pair: Keeper[], role: string) => {
        await waitFor(() => pair.some((k) => leader.get(k) === true), 60_000, `a ${role} leader`);
        const l = pair.find((k) => leader.get(k) === true)!;
        say(`SIGKILL the ${role} leader ${l.name}`);
        leader.set(l, false);
        await l.killAndRestart();
        return l;
      };
      for (let i = 0; i < KILLS; i++) {
        await sleep(1_200 + Math.floor(rnd() * 1_800));
        if (i === 2) await killLeader(daKeepers, "da");
        // Batches committed so far become final, so provers and submitters work while the
        // kills go on (the epoch stays open: its closers start once everything is settled).
        if (i % 3 === 2) await settlement.advance(conn, settlement.DAY + 1n);
        const k = pick();
        say(`#${i + 1} SIGKILL ${k.name}`);
        await k.killAndRestart();
      }
      await waitFor(() => fleet!.devices.every((d) => d.stats.recorded >= READINGS), 120_000, `${READINGS} readings per device`);
      fleet.stopRecording();
      await fleet.waitIdle(120_000);
      say(`fleet idle: ${JSON.stringify(fleet.summary())}`);

      // ---- drain: everything sealed, committed, final, proven, settled
      const reader = openStore(storeUrl);
      await reader.init();
      cleanups.push(() => reader.close());
      await waitFor(async () => (await reader.allReadings()).every((r) => r.batchId !== null), 60_000, "every reading sealed");
      const lastBatch = await reader.lastBatchId();
      await waitFor(async () => BigInt(await da.da.nextBatchId()) === lastBatch + 1n, 60_000, `batch ${lastBatch} committed`);
      await settlement.advance(conn, settlement.DAY + 1n);
      await waitFor(
        async () => (await s.distributor.queryFilter(s.distributor.filters.BatchSettled())).length >= Number(lastBatch),
        120_000,
        `all ${lastBatch} batches settled`,
      );
      say(`${lastBatch} batches settled`);

      // ---- epochs: the leader closes the first; killed, the other closes the next
      for (const k of epochKeepers) k.start();
      await Promise.all(epochKeepers.map((k) => k.waitReady()));
      await settlement.advance(conn, settlement.SETTLEMENT_DELAY + settlement.EPOCH_LENGTH + 1n);
      await waitFor(async () => (await s.distributor.epochInfo(s.firstEpoch))[1], 60_000, `epoch ${s.firstEpoch} closed`);
      // The leader has logged its close (the chain can say "closed" a moment before the log does).
      await waitFor(() => epochKeepers.some((k) => work.get(k)! > 0), 30_000, "the epoch leader's close logged");
      const firstCloser = await killLeader(epochKeepers, "epoch");
      const next = BigInt(await s.distributor.nextEpochToClose());
      await settlement.advance(conn, settlement.EPOCH_LENGTH);
      await waitFor(async () => (await s.distributor.epochInfo(next))[1], 60_000, `epoch ${next} closed after fail-over`);
      say(`epoch ${next} closed by the other instance (${firstCloser.name} was killed)`);

      // Every owner claims every (device, epoch) with points.
      const epochs = new Set<bigint>();
      for (const b of await reader.listBatches(1n, 1_000_000)) epochs.add(b.epoch);
      const cIds: bigint[] = [];
      const cEpochs: bigint[] = [];
      for (const e of epochs)
        for (const d of fleet.devices)
          if ((await s.distributor.pointsOf(d.deviceId, e))[0] > 0n) {
            cIds.push(d.deviceId);
            cEpochs.push(e);
          }
      if (cIds.length > 0) await (await s.distributor.connect(s.owner).claim(cIds, cEpochs)).wait();
      const books = await settlement.auditSettlement(s, reader, lastBatch);

      // ---- clean stop of every instance, then the books
      await Promise.all(keepers.map((k) => k.waitReady()));
      const exitCodes: Record<string, number | null> = {};
      for (const k of keepers) exitCodes[k.name] = await k.stop();
      await fleet.stop();
      const report = await audit({
        fleet,
        acked,
        receipts,
        store: reader,
        da: da.da,
        keepers,
        exitCodes,
        faults,
        rpc: rpc.stats(),
        seed,
        durationSec: (Date.now() - T0) / 1000,
        db: "postgres (shared server, own schema)",
      });
      report.rows.push(...books.rows);
      report.violations.push(...books.violations);
      for (const k of keepers) report.rows.push([`work ${k.name}`, work.get(k)!]);
      const twiceProven = [...proven.values()].filter((n) => n > 1).length;
      const twiceSent = [...settledBy.values()].filter((n) => n > 1).length;
      report.rows.push(["batches proven twice / settled twice by keepers", `${twiceProven} / ${twiceSent}`]);
      printReport(report);
      expect(report.violations, report.violations.slice(0, 20).join("\n")).to.deep.equal([]);
      expect(faults.crashes.map((c) => `${c.keeper}: ${c.tail.slice(-300)}`)).to.deep.equal([]);
      expect(twiceProven, "a batch proven and stored by two provers").to.equal(0);
      expect(twiceSent, "a batch settled by two submitters").to.equal(0);
      const idle = keepers.filter((k) => work.get(k)! === 0).map((k) => k.name);
      expect(idle, "instances that did none of the work").to.deep.equal([]);
    } catch (e) {
      const dir = mkdtempSync(path.join(os.tmpdir(), "depin-scale-logs-"));
      for (const k of keepers) writeFileSync(path.join(dir, `${k.name}.log`), k.output());
      for (const k of keepers) console.error(`--- ${k.name} (last output)\n${k.output().slice(-1500)}`);
      console.error(`every keeper's last 64 KB of output: ${dir}`);
      throw e;
    } finally {
      await fleet?.stop().catch(() => undefined);
      for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
