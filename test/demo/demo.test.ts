/**
 * `npm run demo` as a user runs it (a child process: its own in-process chain, embedded broker,
 * store, keepers and proving workers), with a tiny fleet: the summary's numbers must hold together
 * — every reading stored, every committed batch proven and verified on-chain, points equal to the
 * sdk reference rule, the claims summing to the closed epoch's emission minus a rounding remainder
 * below one wei per claiming device, one sponsored UserOperation, both proposals executed. Once on
 * the embedded defaults, once on the real Mosquitto and PostgreSQL; and the flag errors a user sees.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runDemo(args: string[], timeoutMs = 150_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "scripts/demo.ts", ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const t = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`demo did not finish within ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on("close", (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}

interface Summary {
  devices: number;
  owners: number;
  readings: { sent: number; acknowledged: number; stored: number; rejected: number };
  batches: { sealed: number; committed: number; depth: number };
  proofs: { generated: number; verifiedOnChain: number; referenceMatches: boolean };
  epoch: { totalPoints: string; emission: string; closed: boolean };
  points: Record<string, string>;
  claims: {
    perOwner: { devices: string[]; claimed: string; via: string }[];
    sum: string;
    emission: string;
    remainder: string;
    claimingDevices: number;
    sponsoredUserOps: number;
  };
  governance: { proposals: number; executed: number; scheduledRule: { minValue: string; maxValue: string } };
  gas: Record<string, string>;
  receipt: {
    device: string;
    epoch: string;
    file: string;
    batches: string[];
    readings: number;
    earned: number;
    points: string;
    amount: string;
    verified: string;
  };
  keepers: Record<string, string>;
}

function summaryOf(run: Run): Summary {
  const line = run.stdout.split("\n").find((l) => l.startsWith("DEMO_SUMMARY "));
  if (!line) throw new Error(`no summary line (exit ${run.code})\n${run.stdout}\n${run.stderr}`);
  return JSON.parse(line.slice("DEMO_SUMMARY ".length)) as Summary;
}

function checkConsistent(s: Summary, devices: number, readings: number): void {
  expect(s.devices).to.equal(devices);
  expect(s.readings).to.include({
    sent: devices * readings,
    acknowledged: devices * readings,
    stored: devices * readings,
    rejected: 0,
  });
  // 16 readings per batch, devices report in groups of 4 (the circuit's device slots).
  let expectedBatches = 0;
  for (let g = 0; g < devices; g += 4) expectedBatches += Math.ceil((Math.min(4, devices - g) * readings) / 16);
  expect(s.batches).to.deep.equal({ sealed: expectedBatches, committed: expectedBatches, depth: 2 });
  expect(s.proofs.generated).to.equal(expectedBatches);
  expect(s.proofs.verifiedOnChain).to.equal(expectedBatches);
  expect(s.proofs.referenceMatches).to.equal(true);

  expect(s.epoch.closed).to.equal(true);
  const points = Object.values(s.points).map(BigInt);
  expect(points).to.have.length(devices);
  expect(points.reduce((a, b) => a + b, 0n).toString()).to.equal(s.epoch.totalPoints);
  expect(BigInt(s.epoch.totalPoints) > 0n).to.equal(true);

  const emission = BigInt(s.epoch.emission);
  expect(emission > 0n).to.equal(true);
  expect(s.claims.emission).to.equal(s.epoch.emission);
  const perOwner = s.claims.perOwner.map((o) => BigInt(o.claimed));
  const sum = perOwner.reduce((a, b) => a + b, 0n);
  expect(sum.toString()).to.equal(s.claims.sum);
  expect(s.claims.claimingDevices).to.equal(points.filter((p) => p > 0n).length);
  // Each device's share is rounded down: the remainder is below one wei per claiming device.
  const remainder = BigInt(s.claims.remainder);
  expect(sum + remainder).to.equal(emission);
  expect(remainder >= 0n && remainder < BigInt(s.claims.claimingDevices)).to.equal(true);
  // Each owner's claim is its devices' pro-rata share of the emission, rounded down per device.
  const byDevice = new Map(Object.entries(s.points).map(([d, p]) => [d, BigInt(p)]));
  const total = BigInt(s.epoch.totalPoints);
  s.claims.perOwner.forEach((o, i) => {
    const expected = o.devices.reduce((a, d) => a + (byDevice.get(d)! * emission) / total, 0n);
    expect(perOwner[i]).to.equal(expected);
  });
  expect(s.claims.sponsoredUserOps).to.equal(1);
  expect(s.claims.perOwner.at(-1)!.via).to.match(/^UserOperation from device \d+'s account/);

  expect(s.governance).to.deep.include({ proposals: 2, executed: 2 });
  expect(s.governance.scheduledRule).to.include({ minValue: "300", maxValue: "700" });
  for (const cat of [
    "settlement (Groth16 verify + credit)",
    "epoch close (mint emission)",
    "sponsored claim (handleOps)",
    "total",
  ]) {
    expect(BigInt(s.gas[cat] ?? "0") > 0n, cat).to.equal(true);
  }

  // One device's receipt: built and verified by `npm run receipt -- … --verify`, its payout the
  // device's share of the emission, and every reading that earned counted once.
  const r = s.receipt;
  expect(r.verified).to.match(/^verified in /);
  expect(r.points).to.equal(s.points[r.device]);
  expect(BigInt(r.amount)).to.equal((BigInt(r.points) * emission) / total);
  expect(r.earned).to.equal(Number(r.points));
  // The readings of the batches that credited it (a batch where it earned nothing is not listed).
  expect(r.readings).to.be.within(r.earned, readings);
  const file = JSON.parse(readFileSync(r.file, "utf8")) as { format: string; payout: { amount: string; claimed: boolean } };
  expect(file.format).to.equal("depin-reward-receipt-1");
  expect(file.payout).to.include({ amount: r.amount, claimed: true });
}

describe("npm run demo", function () {
  this.timeout(200_000);

  it("embedded defaults: a tiny fleet goes from readings to verified proofs to claims that add up to the emission", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "demo-receipt-"));
    try {
      const run = await runDemo([
        ...["--devices", "5", "--readings", "4", "--owners", "2", "--interval", "100", "--json"],
        ...["--receipt-dir", dir, "--explorer-port", "0"],
      ]);
      expect(run.code, run.stderr).to.equal(0);
      expect(run.stdout).to.include("all checks passed");
      // The explorer is served while the demo runs, its URL printed.
      expect(run.stdout).to.match(/EXPLORER http:\/\/127\.0\.0\.1:\d+\//);
      expect(run.stdout).to.include("embedded aedes");
      expect(run.stdout).to.include("embedded SQLite");
      const s = summaryOf(run);
      checkConsistent(s, 5, 4);
      // The summary prints the receipt's path, the reading → wei path and the --verify result.
      expect(s.receipt.file.startsWith(dir)).to.equal(true);
      expect(existsSync(s.receipt.file)).to.equal(true);
      expect(run.stdout).to.include(`receipt (device ${s.receipt.device}, epoch ${s.receipt.epoch})  ${s.receipt.file}`);
      expect(run.stdout).to.match(/npm run receipt --verify\s+verified in [\d.]+ s/);
      expect(run.stdout).to.match(/ {2}path\s+batches [\d,]+ → \d+ readings \(\d+ earned\) → \d+ points → /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("real services, one process per keeper: the same on Mosquitto (127.0.0.1:1883) and PostgreSQL (a fresh schema, dropped afterwards)", async () => {
    const run = await runDemo([
      "--no-explorer",
      "--devices",
      "3",
      "--readings",
      "6",
      "--owners",
      "2",
      "--interval",
      "100",
      "--broker",
      "mqtt://127.0.0.1:1883",
      "--db",
      "postgres://postgres@127.0.0.1:5432/test",
      "--processes",
      "--json",
    ]);
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.match(/store\s+PostgreSQL 127\.0\.0\.1:5432\/test schema demo_/);
    const summary = summaryOf(run);
    checkConsistent(summary, 3, 6);
    // Six keeper processes, none of them the demo's own.
    const pids = Object.values(summary.keepers).map((v) => Number(/^pid (\d+),/.exec(v)![1]));
    expect(Object.keys(summary.keepers)).to.deep.equal(["bridge", "sequencer", "da", "prover", "submitter", "epoch"]);
    expect(new Set(pids).size).to.equal(6);
    for (const pid of pids) {
      expect(() => process.kill(pid, 0), `keeper pid ${pid} is gone after the demo`).to.throw();
    }
    const schema = /schema (demo_\d+_\d+)/.exec(run.stdout)![1];
    const pg = (await import("pg")).default;
    const c = new pg.Client({ connectionString: "postgres://postgres@127.0.0.1:5432/test" });
    await c.connect();
    try {
      const r = await c.query("SELECT 1 FROM information_schema.schemata WHERE schema_name = $1", [schema]);
      expect(r.rowCount, "the demo's schema is dropped at the end").to.equal(0);
    } finally {
      await c.end();
    }
  });

  it("bad flags: a clear error naming the flag, exit code 2, nothing deployed", async () => {
    const cases: [string[], RegExp][] = [
      [["--devices", "0"], /--devices must be an integer in 1\.\.64 \(got "0"\)/],
      [["--readings", "2x"], /--readings must be an integer in 1\.\.200 \(got "2x"\)/],
      [["--devices", "2", "--owners", "3"], /--owners must be an integer in 1\.\.2 \(got "3"\)/],
      [["--broker", "http://127.0.0.1:1883"], /--broker must use mqtt:/],
      [["--db", "not a url"], /--db must be a URL/],
      [["--fleet", "3"], /Unknown option '--fleet'/],
      [["--readings", "4", "--duration", "10"], /--readings and --duration exclude each other/],
      [["--duration", "0"], /--duration must be an integer in 1\.\.600 \(got "0"\)/],
    ];
    for (const [args, message] of cases) {
      const run = await runDemo(args, 60_000);
      expect(run.code, args.join(" ")).to.equal(2);
      expect(run.stderr).to.match(message);
      expect(run.stdout).to.not.include("deploying");
    }
  });

  it("--help lists every flag", async () => {
    const run = await runDemo(["--help"], 60_000);
    expect(run.code).to.equal(0);
    for (const flag of ["--devices", "--readings", "--duration", "--owners", "--interval", "--broker", "--db", "--json"])
      expect(run.stdout).to.include(flag);
  });
});
