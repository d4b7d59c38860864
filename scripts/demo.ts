/**
 * `npm run demo` — the whole protocol on embedded defaults, end to end, in a few minutes:
 * deploy (Ignition, roles handed to the timelock) → governance bootstrap proposal → maker and
 * owners onboard a simulated fleet → devices stream signed readings over MQTT → bridge stores
 * before it acknowledges → sequencer batches → DA keeper commits → prover makes Groth16 proofs →
 * submitter settles them (verified on-chain) → epoch keeper closes the epoch → owners claim (one
 * through a sponsored UserOperation) → a second proposal changes a future epoch's reward range →
 * summary. See docs/demo.md. The phases live in scripts/demo/run.ts.
 */
import path from "node:path";
import { parseArgs } from "node:util";
import type { DemoSummary } from "./demo/run.js";
import { buildFirst } from "./lib/build.js";
import { FlagError, intFlag, urlFlag } from "./lib/flags.js";
import { quietSkippedTicks } from "./lib/quiet.js";
import { fmt } from "./demo/format.js";

/** Devices per batch the circuit credits (reward_rule_16); equal to run.ts SLOTS, which needs the build. */
const SLOTS = 4;

const HELP = `Usage: npm run demo -- [options]

Deploys the protocol to an in-process Hardhat chain, onboards a simulated fleet, runs the
embedded MQTT broker and every keeper, streams readings, proves and settles batches, closes
the epoch, lets owners claim (one through a sponsored ERC-4337 UserOperation), passes
governance proposals and prints a summary. Ends by itself and cleans up.

Options:
  --devices N        simulated devices (1..64, default 8)
  --readings N       readings per device (1..200, default 8)
  --duration S       instead of --readings: stream for about S seconds (1..600); devices
                     report in groups of 4 (the circuit's device slots), one group after another
  --owners N         device owners (1..devices, default 3, at most the device count)
  --interval MS      milliseconds between two readings of a device (10..10000, default 250)
  --broker URL       external MQTT broker (mqtt://host:port) instead of the embedded one
  --db URL           PostgreSQL (postgres://user@host:port/db) instead of embedded SQLite;
                     the demo works in a fresh schema and drops it at the end
  --processes        run each keeper as its own process (keepers/cli.ts) instead of in this one
  --explorer-port N  serve the explorer while the demo runs (default 8088; 0 = a free port);
                     it starts the network API (indexer) too
  --no-explorer      no explorer
  --receipt-dir DIR  where one device's reward receipt is written (default data/demo)
  --json             also print the summary as one JSON line (prefix "DEMO_SUMMARY ")
  --verbose          keepers' structured JSON logs on stderr
  --help             this text`;

function printSummary(s: DemoSummary): void {
  const line = (k: string, v: string | number) => console.log(`${k.padEnd(28)} ${v}`);
  console.log("\n=================== DePIN demo summary ===================");
  line("chain", `in-process Hardhat, chain id ${s.chainId}`);
  line("broker", s.broker);
  line("store", s.store);
  line("devices / owners", `${s.devices} / ${s.owners}`);
  line("readings sent", s.readings.sent);
  line("readings acknowledged", s.readings.acknowledged);
  line("readings stored", `${s.readings.stored} (rejected: ${s.readings.rejected})`);
  line(
    "batches sealed / committed",
    `${s.batches.sealed} / ${s.batches.committed} (4-ary tree depth ${s.batches.depth}, ${4 ** s.batches.depth} slots)`,
  );
  line("proofs generated", s.proofs.generated);
  line("proofs verified on-chain", `${s.proofs.verifiedOnChain} (Groth16, RewardRule16Verifier via settle())`);
  line("points = sdk reference rule", s.proofs.referenceMatches ? "yes (recomputed from the stored batches)" : "NO");
  line(
    `epoch ${s.epoch.id}`,
    `closed=${s.epoch.closed}, ${s.epoch.totalPoints} points, emission ${fmt(BigInt(s.epoch.emission))} DPR`,
  );
  line(
    "points per device",
    Object.entries(s.points)
      .map(([d, p]) => `#${d}:${p}`)
      .join(" "),
  );
  for (const [i, o] of s.claims.perOwner.entries()) {
    line(`owner ${i + 1} ${o.address.slice(0, 10)}…`, `devices ${o.devices.join(",")}: ${fmt(BigInt(o.claimed))} DPR — ${o.via}`);
  }
  line("sum of claims", `${fmt(BigInt(s.claims.sum))} DPR (${s.claims.sum} wei)`);
  line("emission", `${fmt(BigInt(s.claims.emission))} DPR (${s.claims.emission} wei)`);
  line(
    "rounding remainder",
    `${s.claims.remainder} wei (each device's share is rounded down: < 1 wei per claiming device, ${s.claims.claimingDevices} here; stays in the distributor)`,
  );
  line("sponsored UserOperations", s.claims.sponsoredUserOps);
  line(
    "governance",
    `${s.governance.executed}/${s.governance.proposals} proposals executed; rule from epoch ${s.governance.scheduledRule.fromEpoch}: ${s.governance.scheduledRule.minValue}..${s.governance.scheduledRule.maxValue}, cap ${s.governance.scheduledRule.capPerBatch}`,
  );
  console.log("keepers:");
  for (const [k, v] of Object.entries(s.keepers)) console.log(`  ${k.padEnd(10)} ${v}`);
  console.log("gas by category:");
  for (const [k, v] of Object.entries(s.gas)) console.log(`  ${k.padEnd(50)} ${BigInt(v).toLocaleString("en-US").padStart(14)}`);
  line(`receipt (device ${s.receipt.device}, epoch ${s.receipt.epoch})`, s.receipt.file);
  line(
    "  path",
    `batches ${s.receipt.batches.join(",")} → ${s.receipt.readings} readings (${s.receipt.earned} earned) → ${s.receipt.points} points → ${fmt(BigInt(s.receipt.amount))} DPR (${s.receipt.amount} wei)`,
  );
  line("  npm run receipt --verify", s.receipt.verified);
  line(
    "time travel",
    `${s.timeTravelSeconds} s of chain time skipped (DA challenge window, epoch end + settlement delay, voting/timelock)`,
  );
  line("wall time", `${s.wallSeconds} s`);
  console.log("===========================================================");
}

/** The invariants the demo promises; a violation fails the run (exit code 1). */
export function checkSummary(s: DemoSummary): string[] {
  const bad: string[] = [];
  if (s.readings.stored !== s.readings.sent) bad.push(`stored ${s.readings.stored} ≠ sent ${s.readings.sent}`);
  if (s.proofs.verifiedOnChain === 0) bad.push("no proof verified on-chain");
  if (s.proofs.verifiedOnChain !== s.batches.committed)
    bad.push(`${s.proofs.verifiedOnChain} settled of ${s.batches.committed} committed batches`);
  if (!s.proofs.referenceMatches) bad.push("on-chain points differ from the sdk reference rule");
  if (!s.epoch.closed) bad.push("epoch not closed");
  const rem = BigInt(s.claims.remainder);
  if (rem < 0n || rem >= BigInt(Math.max(1, s.claims.claimingDevices)))
    bad.push(`claims remainder ${rem} outside 0..${s.claims.claimingDevices - 1}`);
  if (BigInt(s.claims.sum) + rem !== BigInt(s.claims.emission)) bad.push("claims + remainder ≠ emission");
  if (s.claims.sponsoredUserOps < 1) bad.push("no sponsored claim");
  if (s.governance.executed !== s.governance.proposals) bad.push("a proposal was not executed");
  if (!s.receipt.verified.startsWith("verified")) bad.push(`device ${s.receipt.device}'s receipt did not verify`);
  return bad;
}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        devices: { type: "string" },
        readings: { type: "string" },
        duration: { type: "string" },
        owners: { type: "string" },
        interval: { type: "string" },
        broker: { type: "string" },
        db: { type: "string" },
        json: { type: "boolean", default: false },
        verbose: { type: "boolean", default: false },
        processes: { type: "boolean", default: false },
        "explorer-port": { type: "string" },
        "no-explorer": { type: "boolean", default: false },
        "receipt-dir": { type: "string" },
        help: { type: "boolean", default: false },
      },
      strict: true,
    }));
  } catch (e) {
    throw new FlagError((e as Error).message);
  }
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const devices = intFlag("devices", values.devices, 8, 1, 64);
  const owners = intFlag("owners", values.owners, Math.min(3, devices), 1, devices);
  if (values.readings !== undefined && values.duration !== undefined)
    throw new FlagError("--readings and --duration exclude each other: give one");
  const intervalMs = intFlag("interval", values.interval, 250, 10, 10_000);
  let readings = intFlag("readings", values.readings, 8, 1, 200);
  if (values.duration !== undefined) {
    const seconds = intFlag("duration", values.duration, 0, 1, 600);
    readings = Math.max(1, Math.min(200, Math.round((seconds * 1000) / (intervalMs * Math.ceil(devices / SLOTS)))));
  }
  const opts = {
    devices,
    owners,
    readings,
    intervalMs,
    broker: urlFlag("broker", values.broker, ["mqtt:", "mqtts:", "tcp:", "ws:", "wss:"]),
    db: urlFlag("db", values.db, ["postgres:", "postgresql:"]),
    verbose: values.verbose,
    processes: values.processes,
    explorer: values["no-explorer"] ? undefined : { port: intFlag("explorer-port", values["explorer-port"], 8088, 0, 65535) },
    receiptDir: path.resolve(values["receipt-dir"] ?? path.join(import.meta.dirname, "..", "data", "demo")),
    say: (l: string) => console.log(l),
  };
  if (!values.verbose) quietSkippedTicks();
  // Built and loaded after the flags are checked: --help and a bad flag answer at once.
  buildFirst("demo");
  const { runDemo, SLOTS: circuitSlots } = await import("./demo/run.js");
  if (circuitSlots !== SLOTS) throw new Error(`demo: circuit slots ${circuitSlots} ≠ ${SLOTS}`);
  const summary = await runDemo(opts);
  printSummary(summary);
  if (values.json) console.log(`DEMO_SUMMARY ${JSON.stringify(summary)}`);
  const bad = checkSummary(summary);
  if (bad.length > 0) {
    console.error(`[demo] FAILED checks: ${bad.join("; ")}`);
    return 1;
  }
  console.log(
    "[demo] all checks passed: proofs verified on-chain, points match the reference rule, claims + remainder = emission",
  );
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof FlagError) {
      console.error(`demo: ${e.message}\nRun with --help for the options.`);
      process.exit(2);
    }
    console.error(`[demo] failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exit(1);
  },
);
