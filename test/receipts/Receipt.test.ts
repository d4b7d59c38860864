/**
 * Per-device reward receipts on a real settled epoch (real stack: store, sequencer, DA keeper,
 * Groth16 proofs with reward_rule_16, settle(), epoch close, a claim): the receipt's arithmetic,
 * its verification trusting only the RPC endpoint, every single field altered (the error names
 * it), an RPC endpoint that lies about a root, and the inputs that cannot give a receipt
 * (unknown device or epoch, epoch not closed, a device that earned nothing), through the CLI too:
 * a clear error and nothing written.
 */
import { expect } from "chai";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { AbiCoder, Interface, JsonRpcProvider } from "ethers";
import {
  KEY_TYPE_CODE,
  getPoseidon,
  hashReading,
  payoutOf,
  rewardPublicSignals,
  verifyMerkleProof,
  type MerkleSiblings,
  type SignedReading,
} from "../../sdk/src/index.js";
import {
  buildReceipt,
  localVerificationKeys,
  ReceiptError,
  ReceiptVerifyError,
  verifyReceipt,
  type Receipt,
} from "../../indexer/receipt.js";
import { storeReadings } from "../../indexer/store-source.js";
import { DAY, EMISSION, keyOf, setup, type Fixture } from "../keepers/prover/fixture.js";

const DEVICES = [11n, 22n, 33n, 44n];
const VKEYS = localVerificationKeys(path.resolve("build", "circuits"));
const VECTOR = path.resolve("test", "vectors", "receipt.json");

describe("Reward receipt test vector (test/vectors/receipt.json, offline)", () => {
  it("leaves, inclusion proofs, public signals and payout recompute from the vector alone", async () => {
    const r = JSON.parse(readFileSync(VECTOR, "utf8")) as Receipt;
    const h = await getPoseidon();
    const rule = {
      minValue: BigInt(r.epoch.rule.minValue),
      maxValue: BigInt(r.epoch.rule.maxValue),
      capPerBatch: BigInt(r.epoch.rule.capPerBatch),
    };
    for (const b of r.batches) {
      for (const x of b.readings) {
        const leaf = hashReading(h, {
          deviceId: BigInt(r.device.id),
          seq: BigInt(x.seq),
          timestamp: BigInt(x.timestamp),
          value: BigInt(x.value),
          signature: x.signature as `0x${string}`,
        });
        expect(leaf.toString()).to.equal(x.leaf);
        expect(
          verifyMerkleProof(
            h,
            { leaf, index: x.index, siblings: x.siblings.map((l) => l.map(BigInt) as MerkleSiblings) },
            BigInt(b.root),
          ),
        ).to.equal(true);
      }
      const signals = rewardPublicSignals(
        BigInt(b.root),
        BigInt(r.epoch.id),
        BigInt(b.leafCount),
        rule,
        { start: BigInt(r.epoch.start), end: BigInt(r.epoch.end) },
        b.deviceWords.map(BigInt),
      );
      expect(signals.map(String)).to.deep.equal(b.publicSignals);
    }
    expect(payoutOf(BigInt(r.payout.points), BigInt(r.payout.emission), BigInt(r.payout.totalPoints)).toString()).to.equal(
      r.payout.amount,
    );
  });
});

/** Every leaf of a JSON value as [path, value]. */
function leaves(v: unknown, p = ""): [string, unknown][] {
  if (Array.isArray(v)) return v.flatMap((x, i) => leaves(x, `${p}[${i}]`));
  if (v !== null && typeof v === "object") return Object.entries(v).flatMap(([k, x]) => leaves(x, p ? `${p}.${k}` : k));
  return [[p, v]];
}

function setAt(o: unknown, p: string, value: unknown): void {
  const parts = p.match(/[^.[\]]+/g)!;
  let cur = o as Record<string, unknown>;
  for (const k of parts.slice(0, -1)) cur = cur[k] as Record<string, unknown>;
  cur[parts[parts.length - 1]] = value;
}

/** A plausible wrong value of the same type. */
function alter(v: unknown): unknown {
  if (typeof v === "boolean") return !v;
  if (typeof v === "number") return v + 1;
  if (v === null) return "0x" + "ab".repeat(32);
  const s = String(v);
  if (/^\d+$/.test(s)) return (BigInt(s) + 1n).toString();
  if (/^0x[0-9a-fA-F]+$/.test(s)) return s.slice(0, -1) + (s.endsWith("0") ? "1" : "0");
  if (s === "earned") return "capped";
  return s + "x";
}

/** An RPC proxy that adds 1 to the root in every DataAvailability.getBatch answer. */
async function lyingRpc(upstream: string): Promise<{ url: string; close: () => Promise<void> }> {
  const selector = new Interface(["function getBatch(uint256)"]).getFunction("getBatch")!.selector;
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      void (async () => {
        const msg = JSON.parse(body) as
          { method: string; params: { data?: string }[] } | { method: string; params: { data?: string }[] }[];
        const answer = (await (
          await fetch(upstream, { method: "POST", headers: { "content-type": "application/json" }, body })
        ).json()) as { result?: string } | { result?: string }[];
        const fix = (m: { method: string; params: { data?: string }[] }, a: { result?: string }) => {
          if (m.method === "eth_call" && m.params[0]?.data?.startsWith(selector) && a.result) {
            const root = BigInt(a.result.slice(0, 66)) + 1n;
            a.result = AbiCoder.defaultAbiCoder().encode(["uint256"], [root]) + a.result.slice(66);
          }
        };
        if (Array.isArray(msg)) msg.forEach((m, i) => fix(m, (answer as { result?: string }[])[i]));
        else fix(msg, answer as { result?: string });
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify(answer));
      })();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}

describe("Reward receipts (real proofs, settled and closed epoch)", function () {
  this.timeout(240_000);
  let f: Fixture;
  let b1: SignedReading[];
  let b2: SignedReading[];
  let receipt11: Receipt;
  const build = (deviceId: bigint, epoch: bigint, provider = f.provider) =>
    buildReceipt({
      provider,
      distributor: f.distributorAddress,
      fromBlock: 0,
      readings: storeReadings(f.store),
      verificationKeys: VKEYS,
      deviceId,
      epoch,
    });

  before(async () => {
    f = await setup("sqlite");
    await f.activate(DEVICES);
    for (const d of DEVICES) await (await f.da.directory.addKey(d, KEY_TYPE_CODE.secp256k1, keyOf(d).publicId, 0n)).wait();
    b1 = f.readings([
      ...Array.from({ length: 5 }, (_, i) => ({ deviceId: 33n, value: 150n, offset: BigInt(i) })),
      { deviceId: 11n, value: 100n, offset: 10n },
      { deviceId: 11n, value: 99n, offset: 11n },
      { deviceId: 11n, value: 201n, offset: 12n },
      { deviceId: 22n, value: 120n, offset: 20n },
      { deviceId: 44n, value: 5n, offset: 21n },
    ]);
    b2 = f.readings([
      { deviceId: 11n, value: 140n, offset: 100n },
      { deviceId: 11n, value: 140n, offset: 3600n + 5n },
      { deviceId: 22n, value: 130n, offset: 101n },
    ]);
    expect(await f.ingestAndCommit([b1, b2])).to.deep.equal([1n, 2n]);
    const prover = await f.makeProver();
    const submitter = await f.makeSubmitter();
    const keeper = await f.makeEpochKeeper();
    try {
      await f.networkHelpers.time.increase(DAY + 1n);
      expect((await prover.proveDue()).sort()).to.deep.equal([1n, 2n]);
      expect(await submitter.submitPending()).to.deep.equal([1n, 2n]);
      await f.networkHelpers.time.increaseTo(await f.distributor.closableAt(f.epoch));
      expect(await keeper.closeDue()).to.deep.equal([f.epoch]);
    } finally {
      await prover.close();
      await submitter.close();
      await keeper.close();
    }
    await (await f.distributor.connect(f.owner).claim([11n], [f.epoch])).wait();
    receipt11 = await build(11n, f.epoch);
    if (process.env.DEPIN_WRITE_VECTORS === "1") writeFileSync(VECTOR, JSON.stringify(receipt11, null, 2) + "\n");
  });
  after(async () => f?.cleanup());

  it("lists the device's batches and readings, why each earned, and the payout to the wei", async () => {
    const r = receipt11;
    expect(r.batches.map((b) => b.batchId)).to.deep.equal(["1", "2"]);
    expect(r.batches[0].readings.map((x) => [x.value, x.earned, x.reason])).to.deep.equal([
      ["100", true, "earned"],
      ["99", false, "value-below-min"],
      ["201", false, "value-above-max"],
    ]);
    expect(r.batches[1].readings.map((x) => x.reason)).to.deep.equal(["earned", "after-epoch"]);
    expect(r.batches.map((b) => b.points)).to.deep.equal(["1", "1"]);
    // Points: 33 → 3 (capped), 11 → 2, 22 → 2; device 44 earned nothing.
    expect(r.payout.points).to.equal("2");
    expect(r.payout.totalPoints).to.equal("7");
    expect(r.payout.emission).to.equal(EMISSION.toString());
    expect(r.payout.amount).to.equal(((2n * EMISSION) / 7n).toString());
    expect(r.payout.amount).to.equal(payoutOf(2n, EMISSION, 7n).toString());
    expect(r.payout.claimed).to.equal(true);
    expect(BigInt(r.payout.amount)).to.equal(await f.token.balanceOf(f.recipients.get(11n)!));
    expect(r.payout.recipient).to.equal(f.recipients.get(11n));
    expect(r.batches[0].publicSignals).to.have.length(5);
    const v = await verifyReceipt(r, { provider: f.provider, distributor: f.distributorAddress });
    expect(v).to.deep.include({ device: "11", batches: 2, readings: 5, amount: r.payout.amount });
  });

  it("an unclaimed device's receipt verifies too (claimed false, no claim transaction)", async () => {
    const r = await build(22n, f.epoch);
    expect(r.payout).to.deep.include({ points: "2", claimed: false, claimTx: null, recipient: null });
    await verifyReceipt(r, { provider: f.provider });
  });

  it("any single field altered: verification fails naming that field (or the reading it belongs to)", async () => {
    // Every field of the first batch and its first reading, and the fields of the others that
    // differ in kind (the second batch's key is a copy of the first's, its readings alike).
    const all = leaves(receipt11).filter(
      ([p]) =>
        !p.startsWith("batches[1].verificationKey") && (!/readings\[[1-9]\]/.test(p) || /\.(value|reason|keyIndex)$/.test(p)),
    );
    expect(all.length).to.be.greaterThan(90);
    const misses: string[] = [];
    const t0 = Date.now();
    for (const [p, v] of all) {
      const bad = structuredClone(receipt11);
      setAt(bad, p, alter(v));
      try {
        await verifyReceipt(bad, { provider: f.provider, distributor: f.distributorAddress });
        misses.push(`${p}: accepted`);
      } catch (e) {
        if (!(e instanceof ReceiptVerifyError)) {
          misses.push(`${p}: ${(e as Error).message}`);
          continue;
        }
        // Fields hashed together into a leaf (seq, timestamp, value, signature, leaf, index,
        // siblings) cannot be told apart: the error then names their reading.
        if (!(p === e.field || p.startsWith(`${e.field}.`) || p.startsWith(`${e.field}[`))) misses.push(`${p}: named ${e.field}`);
      }
    }
    if (process.env.DEPIN_TEST_LOGS) console.error(`${all.length} fields altered in ${Date.now() - t0} ms`);
    expect(misses, misses.join("\n")).to.deep.equal([]);
  });

  it("an RPC endpoint that serves a wrong root: building refuses, verifying names the root", async () => {
    const liar = await lyingRpc(f.rpc.url);
    const provider = new JsonRpcProvider(liar.url, undefined, { staticNetwork: true });
    try {
      const err = await build(11n, f.epoch, provider).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(ReceiptError);
      expect((err as ReceiptError).code).to.equal("CHAIN_DISAGREES");
      const verr = await verifyReceipt(receipt11, { provider }).catch((e: unknown) => e);
      expect(verr).to.be.instanceOf(ReceiptVerifyError);
      expect((verr as ReceiptVerifyError).field).to.equal("batches[0].root");
    } finally {
      provider.destroy();
      await liar.close();
    }
  });

  it("unknown device, unknown epoch, epoch not closed, nothing earned: clear errors", async () => {
    const code = async (d: bigint, e: bigint) => ((await build(d, e).catch((x: unknown) => x)) as ReceiptError).code;
    expect(await code(999n, f.epoch)).to.equal("UNKNOWN_DEVICE");
    expect(await code(11n, f.epoch + 100_000n)).to.equal("UNKNOWN_EPOCH");
    expect(await code(11n, f.epoch + 1n)).to.equal("EPOCH_NOT_CLOSED");
    expect(await code(44n, f.epoch)).to.equal("NOTHING_EARNED");
  });

  it("CLI: --help exits 0; a receipt is built, verified and written; a bad request writes nothing (exit 1)", async () => {
    const tsx = path.resolve("node_modules", ".bin", "tsx");
    // Asynchronous: the chain's RPC endpoint is served by this process.
    const run = (args: string[]) =>
      new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
        const c = spawn(tsx, ["indexer/receipt-cli.ts", ...args], { stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        c.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        c.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        c.on("close", (status) => resolve({ status, stdout, stderr }));
      });
    const help = await run(["--help"]);
    expect(help.status).to.equal(0);
    expect(help.stdout).to.include("--device N");
    const dir = mkdtempSync(path.join(os.tmpdir(), "receipt-"));
    try {
      const common = ["--rpc-url", f.rpc.url, "--distributor", f.distributorAddress, "--store", `sqlite:${f.sqliteFile}`];
      const out = path.join(dir, "r.json");
      const ok = await run(["--device", "11", "--epoch", f.epoch.toString(), "--out", out, "--verify", ...common]);
      expect(ok.status, ok.stderr).to.equal(0);
      expect(ok.stderr).to.include("verified: device 11");
      expect((JSON.parse(readFileSync(out, "utf8")) as Receipt).payout).to.deep.equal(receipt11.payout);
      const verified = await run(["--in", out, ...common]);
      expect(verified.status, verified.stderr).to.equal(0);
      const none = path.join(dir, "none.json");
      const bad = await run(["--device", "44", "--epoch", f.epoch.toString(), "--out", none, ...common]);
      expect(bad.status).to.equal(1);
      expect(bad.stderr).to.include("NOTHING_EARNED");
      expect(existsSync(none)).to.equal(false);
      const usage = await run(["--device", "x", "--epoch", "1"]);
      expect(usage.status).to.equal(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
