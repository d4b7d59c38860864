/**
 * Capacity and cost model (`npm run bench -- --only capacity`; docs/capacity.md explains it).
 *
 * Measures, in this run, on this machine:
 *   - bridge ingest through a private Mosquitto into PostgreSQL (store-before-ack): readings/s
 *     and bridge CPU per reading, with one bridge and with two bridges of one shared-subscription
 *     group on the same broker and store (`scaleOutIngestRatio`: two / one; on a 2-core host both
 *     bridges share the cores, so this shows the overhead of splitting, not the speed-up);
 *   - PostgreSQL reading writes/s (insertReadings, 512 per transaction);
 *   - prover CPU per batch (witness + Groth16, process CPU time) of the largest reward instance
 *     built here, and the gas of settle (real proof), commitBatch, claim and onboarding;
 * and computes for 10k, 100k and 1M devices at one reading per minute and per hour: bridges,
 * prover cores, PostgreSQL write rate, gas per day and cost per device-month.
 *
 * Prices are parameters, not claims about a market (environment, with example defaults):
 *   CAPACITY_GAS_PRICE_GWEI   0.01   (an L2's order of magnitude)
 *   CAPACITY_TOKEN_USD        3000   (price of the gas token)
 *   CAPACITY_DEVICE_MONTHS    36     (onboarding gas is spread over the device's life)
 *   CAPACITY_CLAIMS_PER_MONTH 30     (device-epochs claimed per device-month: one-day epochs)
 * The table is also written to build/capacity.md.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { network } from "hardhat";
import * as snarkjs from "snarkjs";
import { Bridge, bridgeOptions } from "../keepers/bridge/bridge.js";
import { DeviceStatus, type DeviceInfo } from "../keepers/bridge/directory.js";
import { parseOptions } from "../keepers/common/options.js";
import { PostgresStore, type NewReading } from "../keepers/common/store/index.js";
import { bytesToHex, fromWire, keyPairFromPrivate, merkleCapacity, readingTopic } from "../sdk/src/index.js";
import { artifactsOf, ROOT as REPO } from "../tools/circuits/manifest.js";
import { deployDa } from "../test/da/fixture.js";
import { measureIdentityGas } from "../test/identity/gas.js";
import { INSTANCES } from "../test/rewards/prove.js";
import { MemoryDirectory, measure as measureIngest, NETWORK_ID, ROOT, sign, startMosquitto } from "./ingest.bench.js";
import { claimFigures, measure as measureRewards } from "./rewards.bench.js";
import type { BenchSuite, Figure } from "./types.js";

const POSTGRES = process.env.CAPACITY_POSTGRES ?? "postgres://postgres@127.0.0.1:5432/test";
const num = (name: string, def: number): number => {
  const v = process.env[name];
  if (v === undefined || v === "") return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got ${JSON.stringify(v)}`);
  return n;
};

/** Readings through `bridges` bridges of one share group (in this process) into a fresh PostgreSQL schema. */
async function ingestRun(
  url: string,
  brokerPid: number | undefined,
  groups: { topic: string; payload: string }[][],
  total: number,
  devices: Map<bigint, DeviceInfo>,
  bridges: number,
): Promise<{ perSec: number; cpuMicrosPerReading: number }> {
  const schema = `capacity_${process.pid}_${bridges}_${Math.floor(Math.random() * 1e6)}`;
  const stores = Array.from({ length: bridges }, () => new PostgresStore(POSTGRES, schema));
  await stores[0].init();
  const list = stores.map(
    (store, i) =>
      new Bridge(
        parseOptions(bridgeOptions, {
          directory: "0x0000000000000000000000000000000000000001",
          brokerUrl: url,
          connections: 4,
          // A group per run: the previous run's sessions (kept by the broker) stay in theirs.
          shareGroup: `capacity${bridges}`,
          clientId: `capacity-${process.pid}-${bridges}-${i}`,
          metricsPort: -1,
          networkId: NETWORK_ID,
          genesisTime: 0n,
          epochLength: 86_400n,
        }),
        { store, directory: new MemoryDirectory(devices) },
      ),
  );
  for (const b of list) await b.init();
  const done = (): boolean => list.reduce((s, b) => s + b.ingestor.counts.stored + b.ingestor.counts.rejected, 0) >= total;
  const run = await measureIngest(url, groups, done, `${bridges} bridge(s)`, { brokerPid });
  const stored = await stores[0].countReadings();
  for (const b of list) await b.close();
  const admin = new PostgresStore(POSTGRES, schema);
  await admin.dropSchema();
  await admin.close();
  if (stored !== total) throw new Error(`capacity: ${bridges} bridge(s) stored ${stored} of ${total} readings`);
  return { perSec: total / run.sec, cpuMicrosPerReading: run.sideCpu / total };
}

async function storeWritesPerSecond(readings: NewReading[]): Promise<number> {
  const schema = `capacity_w_${process.pid}_${Math.floor(Math.random() * 1e6)}`;
  const store = new PostgresStore(POSTGRES, schema);
  await store.init();
  const t0 = performance.now();
  for (let i = 0; i < readings.length; i += 512) await store.insertReadings(readings.slice(i, i + 512));
  const sec = (performance.now() - t0) / 1000;
  await store.dropSchema();
  await store.close();
  return readings.length / sec;
}

const suite: BenchSuite = {
  name: "capacity",
  async run(ctx): Promise<Figure[]> {
    const gasPriceGwei = num("CAPACITY_GAS_PRICE_GWEI", 0.01);
    const tokenUsd = num("CAPACITY_TOKEN_USD", 3000);
    const deviceMonths = num("CAPACITY_DEVICE_MONTHS", 36);
    const claimsPerMonth = num("CAPACITY_CLAIMS_PER_MONTH", 30);

    // ---- 1. ingest: one bridge, then two of one share group, same broker, same store server
    const deviceCount = 64;
    const per = ctx.quick ? 32 : 128;
    const total = deviceCount * per;
    const base = 7_000_000_000n + BigInt(Math.floor(Math.random() * 1e6)) * 1024n;
    const now = BigInt(Math.floor(Date.now() / 1000));
    const keys = Array.from({ length: deviceCount }, (_, i) =>
      keyPairFromPrivate("secp256k1", bytesToHex(new Uint8Array(32).fill(i + 7))),
    );
    const devices = new Map<bigint, DeviceInfo>(
      keys.map((k, i) => [
        base + BigInt(i),
        { status: DeviceStatus.Active, keys: [{ type: "secp256k1", publicId: k.publicId, validFrom: 0n, revokedAt: 0n }] },
      ]),
    );
    const groups: { topic: string; payload: string }[][] = Array.from({ length: 8 }, () => []);
    for (let s = 0; s < per; s++)
      for (let d = 0; d < deviceCount; d++) {
        const id = base + BigInt(d);
        groups[d % 8].push({ topic: readingTopic(id, ROOT), payload: sign(keys[d], id, BigInt(s), now) });
      }
    const brokerDir = mkdtempSync(path.join(os.tmpdir(), "depin-capacity-broker-"));
    const broker = await startMosquitto(brokerDir);
    if (!broker) throw new Error("capacity: needs the mosquitto binary (tools/system-deps.sh installs it)");
    let one: { perSec: number; cpuMicrosPerReading: number };
    let two: { perSec: number; cpuMicrosPerReading: number };
    try {
      ctx.log(`capacity: ${total} signed readings through 1 bridge (Mosquitto → PostgreSQL)`);
      one = await ingestRun(broker.url, broker.proc.pid, groups, total, devices, 1);
      // Fresh readings for the second run (same devices, new sequence numbers would need new
      // signatures: a fresh schema makes the same ones new again).
      ctx.log(`capacity: the same through 2 bridges of one shared-subscription group`);
      two = await ingestRun(broker.url, broker.proc.pid, groups, total, devices, 2);
    } finally {
      broker.proc.kill("SIGTERM");
      rmSync(brokerDir, { recursive: true, force: true });
    }

    // ---- 2. PostgreSQL write rate
    const rows: NewReading[] = groups.flat().map((m) => ({ ...fromWire(Buffer.from(m.payload)), epoch: 1n }));
    ctx.log(`capacity: PostgreSQL insertReadings, ${rows.length} rows in transactions of 512`);
    const writes = await storeWritesPerSecond(rows);

    // ---- 3. prover CPU and settlement gas at the largest reward instance built here
    const name = ["reward_rule_1024", "reward_rule_256", "reward_rule_16"].find(
      (n) => INSTANCES[n] && existsSync(artifactsOf(n).zkey),
    );
    if (!name) throw new Error("capacity: no reward instance is built (npm run build:circuits)");
    const B = merkleCapacity(INSTANCES[name].depth);
    ctx.log(`capacity: ${name} (B = ${B}): prover CPU, then settle gas with real proofs`);
    const cpu0 = process.cpuUsage();
    const rewards = await measureRewards(name, ctx); // witness + 5 proofs (1 timed alone, 4 for gas)
    const proofs = 5;
    const cpu = process.cpuUsage(cpu0);
    const proveSec = rewards.find((f) => f.key === `proveSecondsPerBatch_${B}`)!.value;
    const witnessSec = rewards.find((f) => f.key === `witnessSecondsPerBatch_${B}`)!.value;
    // Process CPU over the whole step (snarkjs's worker threads included), per proof: an upper
    // bound, as it also holds the chain's execution of the settlements.
    const proverCpuSecPerBatch = (cpu.user + cpu.system) / 1e6 / proofs;
    const settleGas = rewards.find((f) => f.key === `settlementGasPerBatch_${B}`)!.value;
    const claims = await claimFigures();
    const claimGas = claims.find((f) => f.key === "claimGasPerDeviceEpoch")!.value;
    const curve = (await snarkjs.curves.getCurveFromName("bn128")) as { terminate(): Promise<void> };
    await curve.terminate();

    // ---- 4. commit and onboarding gas
    ctx.log("capacity: commitBatch and onboarding gas");
    const conn = await network.create();
    const da = await deployDa(conn);
    await da.da.connect(da.sequencer).depositBond({ value: 10n * 10n ** 18n });
    let commitGas = 0;
    for (let i = 1; i <= 3; i++) {
      const r = await (
        await da.da.connect(da.sequencer).commitBatch(i, 1_000n + BigInt(i), B, INSTANCES[name].depth, 1n, `da://batch/${i}`)
      ).wait();
      if (i > 1) commitGas += Number(r!.gasUsed) / 2; // steady state: not the first commitment
    }
    const identity = await measureIdentityGas(await network.create(), ctx.quick ? 20 : 50, 128);
    const onboardGas = identity.onboardGasPerDevice;

    // ---- 5. the model
    const gasUsdPer = (gas: number): number => gas * gasPriceGwei * 1e-9 * tokenUsd;
    const fleets = [10_000, 100_000, 1_000_000];
    const rates = [
      { label: "1/min", perHour: 60 },
      { label: "1/h", perHour: 1 },
    ];
    const bridgeCpuSec = one.cpuMicrosPerReading / 1e6;
    const figures: Figure[] = [
      {
        key: "capacityBridgeReadingsPerSecond",
        label: "one bridge → PostgreSQL via Mosquitto (store-before-ack)",
        value: Math.round(one.perSec),
        unit: "readings/s",
        note: `${total} readings, ${os.availableParallelism()} shared cores`,
      },
      {
        key: "capacityBridgeCpuMicrosPerReading",
        label: "bridge CPU per reading (PostgreSQL store)",
        value: Math.round(one.cpuMicrosPerReading),
        unit: "µs",
        note: "main thread + signature threads",
      },
      {
        key: "scaleOutIngestRatio",
        label: "two bridges ($share group) / one, same broker and store",
        value: Number((two.perSec / one.perSec).toFixed(3)),
        unit: "ratio",
        note: `${Math.round(two.perSec)} vs ${Math.round(one.perSec)} readings/s; both on this host's cores: the split's overhead, not its speed-up`,
      },
      {
        key: "capacityStoreWritesPerSecond",
        label: "PostgreSQL reading writes (insertReadings, 512 per transaction)",
        value: Math.round(writes),
        unit: "rows/s",
      },
      {
        key: "capacityProverCpuSecondsPerBatch",
        label: `prover CPU per batch, ${name} (process CPU incl. worker threads)`,
        value: Number(proverCpuSecPerBatch.toFixed(2)),
        unit: "core-s",
        note: `wall: witness ${witnessSec.toFixed(2)} s + prove ${proveSec.toFixed(2)} s`,
      },
      {
        key: "capacityProveMsPerReading",
        label: `prover CPU per reading (B = ${B})`,
        value: Math.round((proverCpuSecPerBatch * 1000) / B),
        unit: "core-ms",
      },
      {
        key: "capacityGasPerBatch",
        label: `gas per batch: settle ${settleGas} + commitBatch ${Math.round(commitGas)} (B = ${B})`,
        value: Math.round(settleGas + commitGas),
        unit: "gas",
      },
      { key: "capacityClaimGasPerDeviceEpoch", label: "claim gas per device-epoch", value: claimGas, unit: "gas" },
      { key: "capacityOnboardGasPerDevice", label: "onboarding gas per device (batch bind)", value: onboardGas, unit: "gas" },
    ];
    const md: string[] = [
      `Measured here: one bridge ${Math.round(one.perSec)} readings/s at ${Math.round(one.cpuMicrosPerReading)} µs CPU per reading; ` +
        `PostgreSQL ${Math.round(writes)} rows/s; ${name} (B = ${B}) ${proverCpuSecPerBatch.toFixed(2)} core-s per batch; ` +
        `${Math.round(settleGas + commitGas)} gas per batch (settle + commit); claim ${claimGas} gas per device-epoch; onboarding ${onboardGas} gas per device. ` +
        `Prices: ${gasPriceGwei} gwei, ${tokenUsd} USD per gas token; onboarding over ${deviceMonths} months; ${claimsPerMonth} device-epochs claimed per month.`,
      "",
      "| devices | readings | readings/s | bridges (70 % of a core and of the measured rate) | prover cores | PostgreSQL writes/s (% of measured) | gas per day | gas per device-month | USD per device-month |",
      "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ];
    for (const n of fleets)
      for (const r of rates) {
        const perSec = (n * r.perHour) / 3600;
        // The larger of: CPU (one core per bridge at 70 %) and the measured one-bridge rate at 70 %.
        const bridges = Math.max(1, Math.ceil((perSec * bridgeCpuSec) / 0.7), Math.ceil(perSec / (0.7 * one.perSec)));
        const batchesPerDay = (perSec * 86_400) / B;
        const proverCores = (batchesPerDay / 86_400) * proverCpuSecPerBatch;
        const gasDay =
          batchesPerDay * (settleGas + commitGas) + (n * claimGas * claimsPerMonth) / 30 + (n * onboardGas) / (deviceMonths * 30);
        const perDeviceMonth = (gasDay * 30) / n;
        const tag = `${n >= 1e6 ? `${n / 1e6}M` : `${n / 1e3}k`}_${r.perHour === 60 ? "perMinute" : "perHour"}`;
        figures.push(
          { key: `capacityBridges_${tag}`, label: `bridges, ${n} devices at ${r.label}`, value: bridges, unit: "processes" },
          {
            key: `capacityProverCores_${tag}`,
            label: `prover cores, ${n} devices at ${r.label}`,
            value: Number(proverCores.toFixed(1)),
            unit: "cores",
          },
          {
            key: `capacityGasPerDay_${tag}`,
            label: `gas per day, ${n} devices at ${r.label}`,
            value: Math.round(gasDay),
            unit: "gas",
          },
          {
            key: `capacityGasPerDeviceMonth_${tag}`,
            label: `gas per device-month, ${n} devices at ${r.label}`,
            value: Math.round(perDeviceMonth),
            unit: "gas",
          },
        );
        if (n === 100_000 && r.perHour === 1) {
          figures.push(
            {
              key: "costPerDeviceMonthGas",
              label: "gas per device-month at one reading per hour (settle + commit + claims + onboarding)",
              value: Math.round(perDeviceMonth),
              unit: "gas",
              note: `B = ${B}`,
            },
            {
              key: "costPerDeviceMonthUsd",
              label: `USD per device-month at one reading per hour (${gasPriceGwei} gwei, ${tokenUsd} USD)`,
              value: Number(gasUsdPer(perDeviceMonth).toFixed(5)),
              unit: "USD",
              note: "example prices (CAPACITY_GAS_PRICE_GWEI, CAPACITY_TOKEN_USD)",
            },
          );
        }
        md.push(
          `| ${n.toLocaleString("en-US")} | ${r.label} | ${perSec.toFixed(1)} | ${bridges} | ${proverCores.toFixed(1)} | ${Math.round(perSec)} (${((100 * perSec) / writes).toFixed(1)} %) | ${(gasDay / 1e9).toFixed(2)} G | ${Math.round(perDeviceMonth).toLocaleString("en-US")} | ${gasUsdPer(perDeviceMonth).toFixed(5)} |`,
        );
      }
    mkdirSync(path.join(REPO, "build"), { recursive: true });
    writeFileSync(path.join(REPO, "build", "capacity.md"), md.join("\n") + "\n");
    ctx.log(`capacity table (also build/capacity.md):\n${md.join("\n")}`);
    return figures;
  },
};

export default suite;
