import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as snarkjs from "snarkjs";
import { DEV_PTAU_CONTRIBUTION_NAME, writeDevPtau } from "../../tools/circuits/dev-ptau.js";

// The INSECURE development Powers of Tau must be a file snarkjs cannot tell from one made by
// `powersoftau new` + one contribution + `prepare phase2`: same bytes as snarkjs's own Lagrange
// sections, accepted by `powersoftau verify`, and good for real Groth16 keys and proofs.

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const FIXTURE = "test/tools/fixtures/devPtauChain.circom";
const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

// snarkjs 0.7.6 has these, the shared typings do not (yet).
const ptauApi = snarkjs.powersOfTau as unknown as {
  preparePhase2(oldPtau: string, newPtau: string, logger?: unknown): Promise<unknown>;
  verify(ptau: string, logger?: unknown): Promise<boolean>;
};

/** Section id → [offset of its data, size] in a snarkjs binary file ("ptau", "zkey", ...). */
function sectionsOf(file: Uint8Array): Map<number, [number, number]> {
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const out = new Map<number, [number, number]>();
  let pos = 12;
  for (let i = 0; i < v.getUint32(8, true); i++) {
    const id = v.getUint32(pos, true);
    const size = Number(v.getBigUint64(pos + 4, true));
    out.set(id, [pos + 12, size]);
    pos += 12 + size;
  }
  return out;
}

/** What the fixture circuit computes: t0 = x·k, t(i+1) = t(i)² + x, y = t(200). */
function chainOutput(x: bigint, k: bigint): bigint {
  let t = (x * k) % R;
  for (let i = 0; i < 200; i++) t = (t * t + x) % R;
  return t;
}

describe("dev-ptau: INSECURE development Powers of Tau", function () {
  this.timeout(300_000);
  let dir: string;
  let ptau8: string;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "dev-ptau-test-"));
    ptau8 = path.join(dir, "dev8.ptau");
    await writeDevPtau(8, ptau8);
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
    // snarkjs keeps its bn128 worker threads alive; release them so a run of this file alone exits.
    const curve = (globalThis as { curve_bn128?: { terminate(): Promise<void> } | null }).curve_bn128;
    if (curve) await curve.terminate();
  });

  it("equals, byte for byte, what snarkjs preparePhase2 makes of its own sections 1-7", async () => {
    const prepared = path.join(dir, "snarkjs-prepared.ptau");
    await ptauApi.preparePhase2(ptau8, prepared);
    const [ours, theirs] = [await readFile(ptau8), await readFile(prepared)];
    expect([...sectionsOf(ours).keys()]).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15]);
    expect(ours.byteLength).to.equal(theirs.byteLength);
    expect(Buffer.compare(ours, theirs)).to.equal(0);
  });

  it("passes snarkjs powersoftau verify, names itself INSECURE, and fails verify with another seed's Lagrange points", async () => {
    expect(await ptauApi.verify(ptau8)).to.equal(true);
    const bytes = await readFile(ptau8);
    const [c7, c7size] = sectionsOf(bytes).get(7)!;
    expect(bytes.subarray(c7, c7 + c7size).includes(Buffer.from(DEV_PTAU_CONTRIBUTION_NAME))).to.equal(true);
    expect(DEV_PTAU_CONTRIBUTION_NAME).to.match(/^INSECURE/);

    // Same layout, different tau: splice the other file's Lagrange tauG1 section into ours.
    const other = path.join(dir, "other8.ptau");
    await writeDevPtau(8, other, { seed: "another seed" });
    const otherBytes = await readFile(other);
    const [o12, size12] = sectionsOf(otherBytes).get(12)!;
    const [p12] = sectionsOf(bytes).get(12)!;
    const spliced = Buffer.from(bytes);
    otherBytes.copy(spliced, p12, o12, o12 + size12);
    const splicedFile = path.join(dir, "spliced.ptau");
    await writeFile(splicedFile, spliced);
    expect(Buffer.compare(spliced, bytes)).to.not.equal(0);
    expect(await ptauApi.verify(splicedFile)).to.equal(false);
  });

  it("is deterministic: same power and seed give the same bytes with any workers or window width; another seed differs", async () => {
    const a = path.join(dir, "a5.ptau");
    const b = path.join(dir, "b5.ptau");
    const c = path.join(dir, "c5.ptau");
    await writeDevPtau(5, a, { seed: "s" });
    await writeDevPtau(5, b, { seed: "s", workers: 1, windowBits: 3 });
    await writeDevPtau(5, c, { seed: "t" });
    const [ab, bb, cb] = [await readFile(a), await readFile(b), await readFile(c)];
    expect(Buffer.compare(ab, bb)).to.equal(0);
    expect(cb.byteLength).to.equal(ab.byteLength);
    expect(Buffer.compare(ab, cb)).to.not.equal(0);
  });

  it("makes Groth16 keys whose proofs verify, for a circuit that fills its whole 2^8 domain", async () => {
    const out = path.join("build", `dev-ptau-test-${process.pid}`);
    try {
      await mkdir(path.join(ROOT, out), { recursive: true });
      const res = spawnSync(
        path.join(ROOT, "node_modules", ".bin", "circom2"),
        [FIXTURE, "--r1cs", "--wasm", "--O2", "-l", "node_modules", "-o", out],
        { cwd: ROOT, encoding: "utf8" },
      );
      expect(res.status, `${res.stdout}\n${res.stderr}`).to.equal(0);
      const r1cs = path.join(ROOT, out, "devPtauChain.r1cs");
      const wasm = path.join(ROOT, out, "devPtauChain_js", "devPtauChain.wasm");

      // snarkjs's domain: floor(log2(constraints + public signals)) + 1 — exactly the ptau's power.
      const info = await snarkjs.r1cs.info(r1cs);
      expect(Math.floor(Math.log2(info.nConstraints + info.nPubInputs + info.nOutputs)) + 1).to.equal(8);

      const z0 = path.join(dir, "chain_0.zkey");
      const z1 = path.join(dir, "chain_1.zkey");
      await snarkjs.zKey.newZKey(r1cs, ptau8, z0);
      await snarkjs.zKey.beacon(
        z0,
        z1,
        "dev-ptau test beacon",
        "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
        10,
      );
      expect(await snarkjs.zKey.verifyFromR1cs(r1cs, ptau8, z1)).to.equal(true);
      const vkey = await snarkjs.zKey.exportVerificationKey(z1);

      const { proof, publicSignals } = await snarkjs.groth16.fullProve({ x: 3, k: 5 }, wasm, z1);
      expect(publicSignals).to.deep.equal([chainOutput(3n, 5n).toString(), "3"]);
      expect(await snarkjs.groth16.verify(vkey, publicSignals, proof)).to.equal(true);

      const tampered = [publicSignals[0], "4"];
      expect(await snarkjs.groth16.verify(vkey, tampered, proof)).to.equal(false);
    } finally {
      await rm(path.join(ROOT, out), { recursive: true, force: true });
    }
  });

  it("CLI: --help explains and warns, a run prints INSECURE progress, a missing --out is an error", () => {
    const tsx = path.join(ROOT, "node_modules", ".bin", "tsx");
    const cli = path.join(ROOT, "tools", "circuits", "dev-ptau.ts");
    const help = spawnSync(tsx, [cli, "--help"], { cwd: ROOT, encoding: "utf8" });
    expect(help.status).to.equal(0);
    expect(help.stdout)
      .to.match(/--power <n> --out <file\.ptau>/)
      .and.match(/INSECURE/);

    const out = path.join(dir, "cli3.ptau");
    const run = spawnSync(tsx, [cli, "--power", "3", "--out", out, "--seed", "cli"], { cwd: ROOT, encoding: "utf8" });
    expect(run.status, run.stderr).to.equal(0);
    expect(run.stderr)
      .to.match(/^WARNING: INSECURE development Powers of Tau/)
      .and.match(/wrote .*cli3\.ptau \(INSECURE, 2\^3\)/);
    expect(existsSync(out)).to.equal(true);

    const missing = spawnSync(tsx, [cli, "--power", "3"], { cwd: ROOT, encoding: "utf8" });
    expect(missing.status).to.equal(2);
    expect(missing.stderr).to.match(/--power and --out are required/);
    const unknown = spawnSync(tsx, [cli, "--power", "3", "--out", out, "--frobnicate", "1"], { cwd: ROOT, encoding: "utf8" });
    expect(unknown.status).to.equal(2);
    expect(unknown.stderr).to.match(/unknown or incomplete argument "--frobnicate"/);
  });

  it("rejects bad arguments without leaving a file behind", async () => {
    const f = path.join(dir, "bad.ptau");
    for (const power of [0, 28, 2.5, Number.NaN]) {
      await expectRejection(() => writeDevPtau(power, f), RangeError, /power must be an integer in 1\.\.27/);
    }
    await expectRejection(() => writeDevPtau(4, f, { workers: 0 }), RangeError, /workers must be a positive integer, got 0/);
    await expectRejection(
      () => writeDevPtau(4, f, { windowBits: 17 }),
      RangeError,
      /windowBits must be an integer in 1\.\.16, got 17/,
    );
    await expectRejection(() => writeDevPtau(4, path.join(dir, "no-such-dir", "x.ptau")), Error, /ENOENT/);
    expect(existsSync(f)).to.equal(false);
  });
});

async function expectRejection(
  fn: () => Promise<unknown>,
  type: new (...args: never[]) => Error,
  message: RegExp,
): Promise<void> {
  let caught: unknown;
  try {
    await fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).to.be.instanceOf(type);
  expect((caught as Error).message).to.match(message);
}
