/**
 * Reliability suite: the data path (and, where present, settlement) under repeated crashes.
 *
 *   npx tsx test/reliability/run.ts [--kills 20] [--seed 1] [--devices 8] [--rate 2]
 *                                   [--readings 60] [--db sqlite|postgres] [--outage-ms 8000]
 *
 * A simulated fleet streams signed readings through a private Mosquitto into the keepers (each a
 * child process: bridge, sequencer, DA keeper) that share one store and talk to an in-process
 * chain through a switchable JSON-RPC endpoint. A chaos loop SIGKILLs a random keeper and
 * restarts it, again and again, and once each restarts the broker, crash-restarts the database
 * and takes the RPC endpoint away for a while. Then the fleet stops, everything drains, and the
 * books are checked against what the devices hold (see ./check.ts). Prints the counts; exits 1
 * on any violation.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { network } from "hardhat";
import type { Device } from "../../firmware/device.js";
import { Fleet, fleetKey, fleetKeyType } from "../../firmware/simulator.js";
import { openStore, type Store } from "../../keepers/common/store/index.js";
import { deployDa } from "../da/fixture.js";
import { audit, printReport, type Faults } from "./check.js";
import * as settlement from "./settlement.js";
import { Keeper, Mosquitto, PrivatePostgres, prng, sleep, waitFor } from "./env.js";
import { freePort, rpcEndpoint } from "../../keepers/common/net.js";
import { networkTopicRoot } from "../../sdk/src/index.js";

/** Hardhat's well-known dev account #1 (the bonded sequencer of the DA fixture). */
const SEQUENCER_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

interface Options {
  kills: number;
  seed: number;
  devices: number;
  rate: number;
  readings: number;
  db: "sqlite" | "postgres";
  outageMs: number;
  keep: boolean;
  settlement: "auto" | "on" | "off";
}

/**
 * In settlement runs the first SLOTS devices record values around the reward rule's range (some
 * earn, some do not) and the others never earn, so no batch has more earning devices than the
 * circuit's device slots.
 */
class SettlementFleet extends Fleet {
  step(d: Device, index: number): void {
    d.record(index < settlement.SLOTS ? 80 + Math.floor(Math.random() * 141) : 1_000 + Math.floor(Math.random() * 1_000));
  }
}

const HELP = `Usage: npx tsx test/reliability/run.ts [options]

  --kills N        random SIGKILLs of keeper processes (default 20; CI uses the default)
  --seed N         seed of the chaos schedule (default: time-based, printed)
  --devices N      simulated devices (default 8)
  --rate R         readings per second per device (default 2; 0.5 with settlement)
  --readings N     each device records at least N readings (default 60)
  --db KIND        sqlite (default; the database crash is a simultaneous SIGKILL of every
                   process holding the file) or postgres (a private cluster, crash-stopped
                   with pg_ctl -m immediate and restarted)
  --outage-ms MS   how long the chain RPC is unreachable (default 8000)
  --settlement M   auto (default: when the prover, submitter and epoch keepers and the reward
                   circuit are present), on, off
  --keep           keep the temp dir (logs, store, journals)
  --help           this text
`;

function parseArgs(argv: string[]): Options {
  const o: Options = {
    kills: 20,
    seed: Date.now() % 1_000_000,
    devices: 8,
    rate: 0,
    readings: 60,
    db: "sqlite",
    outageMs: 8_000,
    keep: false,
    settlement: "auto",
  };
  const int = (name: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n) || n < min)
      throw new Error(`invalid option --${name}: expected an integer >= ${min}, got ${JSON.stringify(v)}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    switch (a) {
      case "--help":
      case "-h":
        console.log(HELP);
        process.exit(0);
        break;
      case "--kills":
        o.kills = int("kills", v, 0);
        i++;
        break;
      case "--seed":
        o.seed = int("seed", v, 0);
        i++;
        break;
      case "--devices":
        o.devices = int("devices", v, 1);
        i++;
        break;
      case "--rate": {
        const r = Number(v);
        if (!(r > 0 && r <= 50)) throw new Error(`invalid option --rate: expected 0 < R <= 50, got ${JSON.stringify(v)}`);
        o.rate = r;
        i++;
        break;
      }
      case "--readings":
        o.readings = int("readings", v, 1);
        i++;
        break;
      case "--db":
        if (v !== "sqlite" && v !== "postgres")
          throw new Error(`invalid option --db: expected sqlite or postgres, got ${JSON.stringify(v)}`);
        o.db = v;
        i++;
        break;
      case "--outage-ms":
        o.outageMs = int("outage-ms", v, 0);
        i++;
        break;
      case "--settlement":
        if (v !== "auto" && v !== "on" && v !== "off")
          throw new Error(`invalid option --settlement: expected auto, on or off, got ${JSON.stringify(v)}`);
        o.settlement = v;
        i++;
        break;
      case "--keep":
        o.keep = true;
        break;
      default:
        throw new Error(`unknown option ${JSON.stringify(a)}\n\n${HELP}`);
    }
  }
  return o;
}

function say(msg: string): void {
  console.log(`[reliability +${((Date.now() - T0) / 1000).toFixed(1)}s] ${msg}`);
}
const T0 = Date.now();

async function main(): Promise<number> {
  let opts: Options;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  const rnd = prng(opts.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const unavailable = settlement.settlementUnavailable();
  if (opts.settlement === "on" && unavailable) {
    console.error(`--settlement on: ${unavailable}`);
    return 2;
  }
  const settle = opts.settlement !== "off" && unavailable === null;
  // Proving one batch takes seconds on a small host: with settlement the fleet streams slower so
  // the prover keeps up while the chaos runs (about one full batch per proof).
  if (opts.rate === 0) opts.rate = settle ? 0.5 : 2;
  say(
    `seed ${opts.seed}, ${opts.kills} kills, ${opts.devices} devices × ${opts.rate}/s, store ${opts.db}, settlement ${settle ? "on" : `off (${unavailable ?? "--settlement off"})`}`,
  );
  const tmp = mkdtempSync(path.join(os.tmpdir(), "depin-reliability-"));
  const cleanups: (() => Promise<void> | void)[] = [];
  // Interrupted (Ctrl-C, a CI timeout): take every child process down with us.
  const onSignal = (sig: NodeJS.Signals) => {
    say(`${sig}: stopping`);
    for (const k of keepers) k.child?.kill("SIGKILL");
    void Promise.all(cleanups.map((c) => Promise.resolve(c()).catch(() => undefined))).finally(() => {
      rmSync(tmp, { recursive: true, force: true });
      process.exit(130);
    });
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const keepers: Keeper[] = [];
  const faults: Faults = { brokerRestarts: 0, dbRestarts: 0, rpcOutages: 0, rpcOutageMs: 0, crashes: [], stalls: [] };
  let fleet: Fleet | undefined;
  try {
    // ---- chain: the real DataAvailability (bonded sequencer #1) and the directory test double
    const conn = await network.create();
    // Every batch committed in a challenge window locks slashAmount (1 ETH) of the bond: enough
    // for every batch a run commits.
    const da = await deployDa(conn, { bond: 5_000n * 10n ** 18n });
    const chainId = da.chainId;
    const rpc = await rpcEndpoint(conn.provider);
    cleanups.push(() => rpc.close());

    // ---- broker
    const broker = new Mosquitto(await freePort(), path.join(tmp, "mosquitto"));
    await broker.start();
    cleanups.push(() => broker.kill());

    // ---- store
    let storeUrl: string;
    let pgServer: PrivatePostgres | undefined;
    const sqliteFile = path.join(tmp, "depin.sqlite");
    if (opts.db === "postgres") {
      pgServer = new PrivatePostgres(await freePort());
      await pgServer.init();
      cleanups.push(() => pgServer!.destroy());
      storeUrl = `${pgServer.url}?schema=reliability`;
    } else {
      storeUrl = `sqlite:${sqliteFile}`;
    }
    const prepare = openStore(storeUrl);
    await prepare.init();
    await prepare.close();

    // ---- fleet registered on-chain
    const fleetOpts = {
      networkId: chainId,
      devices: opts.devices,
      rate: opts.rate,
      firstDeviceId: 1_000n,
      keyType: "mixed" as const,
      seed: `reliability-${opts.seed}`,
      dataDir: path.join(tmp, "fleet"),
      faults: {},
      brokerUrl: broker.url,
      receiptTimeoutMs: 3_000,
    };
    for (let i = 0; i < opts.devices; i++) {
      const id = fleetOpts.firstDeviceId + BigInt(i);
      const key = fleetKey(fleetOpts.seed, i, fleetKeyType(fleetOpts, i));
      await (await da.directory.setStatus(id, 3)).wait();
      await (await da.directory.addKey(id, key.type === "secp256k1" ? 0 : 1, key.publicId, 0)).wait();
    }

    const s = settle ? await settlement.deploySettlement(conn, da, fleet0Ids(opts.devices)) : undefined;

    // ---- keepers
    const common = { store: storeUrl, "metrics-port": -1, "log-level": "info" };
    const onCrash = (k: Keeper, code: number | null, signal: NodeJS.Signals | null) => {
      faults.crashes.push({ keeper: k.name, code, signal, tail: k.output().slice(-1500) });
      const last = k.output().trim().split("\n").slice(-3).join(" | ").slice(0, 600);
      say(`${k.name} exited on its own (code ${code}, signal ${signal}); restarting. Last output: ${last}`);
    };
    const bridge = new Keeper(
      "bridge",
      "bridge",
      {
        ...common,
        "rpc-url": rpc.url,
        "broker-url": broker.url,
        connections: 4,
        "client-id": `reliability-${process.pid}`,
        directory: await da.directory.getAddress(),
        "network-id": chainId.toString(),
        "directory-ttl-ms": 5_000,
        "genesis-time": settlement.GENESIS.toString(),
        "epoch-length": settlement.EPOCH_LENGTH.toString(),
        schedule: "*/2 * * * * *",
      },
      onCrash,
    );
    const sequencer = new Keeper(
      "sequencer",
      "sequencer",
      { ...common, depth: settlement.DEPTH, "window-ms": 4_000, "max-batches-per-tick": 64 },
      onCrash,
    );
    const daKeeper = new Keeper(
      "da",
      "da",
      {
        ...common,
        "rpc-url": rpc.url,
        da: await da.da.getAddress(),
        "private-key": SEQUENCER_KEY,
        "max-commits-per-tick": 64,
        schedule: "* * * * * *",
        "archive-dir": path.join(tmp, "archive"),
      },
      onCrash,
    );
    keepers.push(bridge, sequencer, daKeeper);
    const settlementKeeper = (command: string, extra: Record<string, string | number>) =>
      new Keeper(command, command, { ...common, "rpc-url": rpc.url, distributor: s!.distributorAddress, ...extra }, onCrash);
    if (s) {
      keepers.push(
        settlementKeeper("prover", {
          workers: 1,
          progress: "off",
          "build-dir": path.resolve(import.meta.dirname, "../../build/circuits"),
          schedule: "*/2 * * * * *",
        }),
        settlementKeeper("submitter", { "private-key": settlement.SUBMITTER_KEY, "poll-ms": 100, schedule: "*/2 * * * * *" }),
      );
    }
    for (const k of keepers) k.start();
    cleanups.push(async () => {
      for (const k of keepers) await k.stop();
    });
    await Promise.all(keepers.map((k) => k.waitReady()));
    say("keepers up");

    // ---- fleet
    // Devices use the bridge's topic root (the network's own) and its answer key (kept in the store).
    const bridgeAddress = /"answerAddress":"(0x[0-9a-fA-F]{40})"/.exec(bridge.output())?.[1];
    if (!bridgeAddress) throw new Error("the bridge logged no answer address");
    const deviceOpts = {
      ...fleetOpts,
      topicRoot: networkTopicRoot(chainId, await da.directory.getAddress()),
      bridgeAddress,
    };
    fleet = s ? new SettlementFleet(deviceOpts) : new Fleet(deviceOpts);
    const acked = new Map<string, number>();
    const receipts = { stored: 0, duplicate: 0 };
    fleet.devices.forEach((d) =>
      d.on("receipt", (r) => {
        const k = `${d.deviceId}:${r.seq}`;
        acked.set(k, (acked.get(k) ?? 0) + 1);
        if (r.status === "stored") receipts.stored++;
        else receipts.duplicate++;
      }),
    );
    await fleet.start();
    fleet.run();
    await waitFor(() => acked.size >= opts.devices * 2, 120_000, "first receipts");
    say(`streaming (${acked.size} receipts)`);

    // ---- chaos
    const events: string[] = Array.from({ length: opts.kills }, () => "kill");
    const at = (f: number) => Math.min(events.length, Math.floor(opts.kills * f));
    events.splice(at(0.75), 0, "rpc-outage");
    events.splice(at(0.5), 0, "db-restart");
    events.splice(at(0.25), 0, "broker-restart");
    const allReady = () =>
      waitFor(
        () => keepers.every((k) => k.ready),
        180_000,
        `keepers ready (${keepers
          .filter((k) => !k.ready)
          .map((k) => k.name)
          .join(", ")})`,
      );
    for (const [i, ev] of events.entries()) {
      // Damage only while readings flow: wait for new receipts since the previous fault.
      const before = acked.size;
      try {
        await waitFor(() => acked.size > before, 90_000, "new receipts");
      } catch {
        faults.stalls.push(`no new receipt within 90 s before event ${i + 1} (${ev})`);
      }
      await sleep(300 + Math.floor(rnd() * 2_200));
      if (s && i % 4 === 1) {
        // Past the DA challenge window: the batches committed so far become final and the
        // prover and submitter get work while the kills go on.
        await settlement.advance(conn, settlement.DAY + 1n);
      }
      if (ev === "kill") {
        const k = pick(keepers);
        say(`#${i + 1} SIGKILL ${k.name}`);
        await k.killAndRestart();
      } else if (ev === "broker-restart") {
        say(`#${i + 1} broker SIGKILL + restart`);
        await broker.restart();
        faults.brokerRestarts++;
      } else if (ev === "db-restart") {
        if (pgServer) {
          say(`#${i + 1} PostgreSQL crash-stop (-m immediate) + restart`);
          await pgServer.restart();
        } else {
          // SQLite has no server: its "restart" is every process holding the file dying at once
          // in the middle of its transactions, then an integrity check and a fresh start.
          say(`#${i + 1} SQLite: SIGKILL every store holder at once, integrity check, restart`);
          await Promise.all(keepers.map((k) => k.kill()));
          const { DatabaseSync } = await import("node:sqlite");
          const db = new DatabaseSync(sqliteFile);
          const ok = db.prepare("PRAGMA integrity_check").get() as { integrity_check: string };
          db.close();
          if (ok.integrity_check !== "ok") faults.stalls.push(`SQLite integrity check after the crash: ${ok.integrity_check}`);
          for (const k of keepers) k.start();
        }
        faults.dbRestarts++;
      } else if (ev === "rpc-outage") {
        say(`#${i + 1} chain RPC unreachable for ${opts.outageMs} ms`);
        // Keep killing during the outage: a keeper restarted while the chain is away must cope.
        const outage = rpc.outage(opts.outageMs);
        await sleep(Math.floor(opts.outageMs / 3));
        const k = pick(keepers);
        say(`#${i + 1} … and SIGKILL ${k.name} during the outage`);
        await k.killAndRestart();
        await outage;
        faults.rpcOutages++;
        faults.rpcOutageMs += opts.outageMs;
      }
      await allReady();
    }
    say("chaos done; draining");

    // ---- drain
    const minReadings = opts.readings;
    await waitFor(
      () => fleet!.devices.every((d) => d.stats.recorded >= minReadings),
      600_000,
      `${minReadings} readings per device`,
    );
    fleet.stopRecording();
    await fleet.waitIdle(240_000);
    say(`fleet idle: ${JSON.stringify(fleet.summary())}`);
    const reader: Store = openStore(storeUrl);
    await reader.init();
    cleanups.push(() => reader.close());
    await waitFor(
      async () => (await reader.allReadings()).every((r) => r.batchId !== null),
      180_000,
      "every reading sealed into a batch",
    );
    const lastBatch = await reader.lastBatchId();
    await waitFor(
      async () => BigInt(await da.da.nextBatchId()) === lastBatch + 1n,
      300_000,
      `batch ${lastBatch} committed on-chain`,
    );
    await waitFor(
      async () => (await reader.listBatches(1n, 1_000_000)).every((b) => b.commitTx !== null),
      120_000,
      "every commitment recorded in the store",
    );
    say("drained");

    let settledBooks: Awaited<ReturnType<typeof settlement.auditSettlement>> | undefined;
    if (s) {
      await settlement.advance(conn, settlement.DAY + 1n);
      await waitFor(
        async () => (await s.distributor.queryFilter(s.distributor.filters.BatchSettled())).length >= Number(lastBatch),
        120_000 + Number(lastBatch) * 15_000,
        `all ${lastBatch} batches settled`,
      );
      say("settled; closing epochs");
      const epochKeeper = settlementKeeper("epoch", {
        "private-key": settlement.EPOCH_KEY,
        "poll-ms": 100,
        schedule: "* * * * * *",
      });
      keepers.push(epochKeeper);
      epochKeeper.start();
      await epochKeeper.waitReady();
      await settlement.advance(conn, settlement.SETTLEMENT_DELAY + settlement.EPOCH_LENGTH + 1n);
      await sleep(300 + Math.floor(rnd() * 700));
      await epochKeeper.killAndRestart();
      const epochs = new Set<bigint>();
      for (const b of await reader.listBatches(1n, 1_000_000)) epochs.add(b.epoch);
      await waitFor(
        async () => {
          for (const e of epochs) if (!(await s.distributor.epochInfo(e))[1]) return false;
          return true;
        },
        120_000,
        `epochs ${[...epochs].join(",")} closed`,
      );
      // Every owner claims every (device, epoch) with points; a second claim must pay nothing.
      const ids: bigint[] = [];
      const eps: bigint[] = [];
      for (const e of epochs)
        for (const d of fleet.devices) {
          if ((await s.distributor.pointsOf(d.deviceId, e))[0] > 0n) {
            ids.push(d.deviceId);
            eps.push(e);
          }
        }
      if (ids.length > 0) {
        await (await s.distributor.connect(s.owner).claim(ids, eps)).wait();
        let again = 0n;
        try {
          again = await s.distributor.connect(s.owner).claim.staticCall(ids, eps);
        } catch {
          again = 0n; // refusing a second claim is as good as paying 0
        }
        if (again !== 0n) faults.stalls.push(`a second claim would pay ${again}`);
      }
      settledBooks = await settlement.auditSettlement(s, reader, lastBatch);
    }

    // Clean shutdown of everything (exit code 0 from each keeper), once each has started (a
    // SIGTERM during start-up, before the daemon installs its handler, is Node's default exit).
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
      seed: opts.seed,
      durationSec: (Date.now() - T0) / 1000,
      db: opts.db,
    });
    if (settledBooks) {
      report.rows.push(...settledBooks.rows);
      report.violations.push(...settledBooks.violations);
    } else report.notes.push(`settlement not exercised: ${unavailable ?? "--settlement off"}`);
    printReport(report);
    return report.violations.length === 0 ? 0 : 1;
  } catch (e) {
    console.error(`reliability run failed: ${(e as Error).stack ?? String(e)}`);
    for (const k of keepers) console.error(`--- ${k.name} (last output)\n${k.output().slice(-3000)}`);
    return 1;
  } finally {
    await fleet?.stop().catch(() => undefined);
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
    if (opts.keep) console.log(`kept ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  }
}

// Only when run as a script (`npm run test:reliability`): `hardhat test` loads every file under
// test/, and this one must not start a chaos run there.
if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}

function fleet0Ids(n: number): bigint[] {
  return Array.from({ length: n }, (_, i) => 1_000n + BigInt(i));
}
