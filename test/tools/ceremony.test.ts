/**
 * The phase-2 ceremony (`npm run ceremony`, tools/circuits/ceremony.ts) end to end on the small
 * circuit batch_root_4, through its CLI: init from a prepared ptau, two contributions (one with
 * the contributor's own entropy), a beacon, verify, export. Then the attack the ceremony exists
 * for: a proof forged from the development key's public delta (A = alpha, B = beta,
 * C = -(1/delta)·vk_x) verifies on-chain against the development verifier, and not against the
 * ceremony's verifier; an honest proof made with the ceremony zkey verifies there.
 *
 * Phase 1 here is the development ptau (a public ceremony's file is hundreds of MB and not
 * reachable from CI), so the export must say so: devKeys() = true, "DEVELOPMENT Powers of Tau".
 */
import { expect } from "chai";
import { network } from "hardhat";
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import * as snarkjs from "snarkjs";
import { batchRootInput, toSolidityProof, type SignedReading, type SolidityProof } from "../../sdk/src/index.js";
import { DEV_ZKEY_BEACON } from "../../tools/circuits/build.js";
import { contribute, exportCeremony, init, ptauInfo, type Transcript } from "../../tools/circuits/ceremony.js";
import { assertDeployableKeys, keysRefusal, readVerifierKeys } from "../../scripts/lib/provenance.js";
import { artifactsOf } from "../../tools/circuits/manifest.js";
import { provenanceOfSource } from "../../tools/circuits/provenance.js";
import { ensureDevPtau, stderrLogger } from "../../tools/circuits/ptau.js";
import { compileVerifier } from "../../tools/circuits/solc.js";
import { checkDeployedVerifier, type VerificationKeyJson } from "../../tools/circuits/verifier-check.js";
import { VECTORS_JSON, type VectorFile } from "../../tools/vectors.js";
import { beaconSecret, forgeProof, isDeltaOf, type VerificationKey } from "./forge.js";

const BIN = path.resolve("node_modules/.bin");
const ENV = { ...process.env, PATH: `${BIN}:${process.env.PATH ?? ""}`, FORCE_COLOR: "0", NO_COLOR: "1" };
const dev = artifactsOf("batch_root_4");

interface Run {
  code: number | null;
  out: string;
  err: string;
}
const ceremony = (...args: string[]): Run => {
  const r = spawnSync(path.join(BIN, "tsx"), ["tools/circuits/ceremony.ts", ...args], {
    env: ENV,
    encoding: "utf8",
    timeout: 560_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const ok = (r: Run): Run => {
  expect(r.code, `${r.out}\n${r.err}`).to.equal(0);
  return r;
};

const vectors = JSON.parse(readFileSync(VECTORS_JSON, "utf8")) as VectorFile;
const readings: SignedReading[] = vectors.readings.map((v) => ({
  deviceId: BigInt(v.deviceId),
  seq: BigInt(v.seq),
  timestamp: BigInt(v.timestamp),
  value: BigInt(v.value),
  signature: v.signature as `0x${string}`,
}));

type Pub = [bigint, bigint];
type Verifier = { verifyProof(a: Pub, b: [Pub, Pub], c: Pub, pub: Pub): Promise<boolean> };
const call = (v: Verifier, p: SolidityProof, pub: bigint[]): Promise<boolean> =>
  v.verifyProof(p.a as Pub, p.b as [Pub, Pub], p.c as Pub, pub as Pub);

describe("Phase-2 ceremony (npm run ceremony) on batch_root_4", function () {
  let tmp = "";
  let dir = "";
  let out = "";
  let ptau = "";
  let steps: Run[] = [];

  before(async function () {
    ptau = await ensureDevPtau(11, stderrLogger("test"));
    tmp = mkdtempSync(path.join(os.tmpdir(), "depin-ceremony-"));
    dir = path.join(tmp, "ceremony");
    out = path.join(tmp, "export");
    steps = [
      ok(ceremony("init", "batch_root_4", "--ptau", ptau, "--dir", dir)),
      ok(ceremony("contribute", "--dir", dir, "--name", "alice", "--entropy", "alice mashes the keyboard: qpwoeiruty")),
      ok(ceremony("contribute", "--dir", dir, "--name", "bob")),
      ok(ceremony("beacon", "00000000000000000003a1b2c3d4e5f60718293a4b5c6d7e8f9000112233445566", "10", "--dir", dir)),
      ok(ceremony("verify", "--dir", dir)),
      ok(ceremony("export", "--dir", dir, "--out", out)),
    ];
  });

  after(function () {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it("--help explains every command; bad arguments are refused by name with exit code 2", function () {
    const help = ok(ceremony("--help"));
    for (const w of [
      "init <circuit> --ptau <file>",
      "contribute",
      "beacon <hex> <iterations>",
      "verify",
      "export",
      "--entropy",
    ]) {
      expect(help.out).to.contain(w);
    }
    const cases: [string[], RegExp][] = [
      [["init", "no_such_circuit", "--ptau", ptau, "--dir", path.join(tmp, "x")], /<circuit>: unknown instance no_such_circuit/],
      [["init", "batch_root_4", "--dir", path.join(tmp, "x")], /--ptau <prepared Powers of Tau file> is required/],
      [["beacon", "xyz", "10", "--dir", dir], /<hex>: beacon value must be 1-255 bytes of hex/],
      [["beacon", "abcd", "9", "--dir", dir], /<iterations>: must be an integer from 10 to 63/],
      [["contribute", "--dir", dir, "--ptau", ptau], /contribute: --ptau does not apply/],
      [["contribute", "--bogus"], /bogus/],
      [["frobnicate"], /unknown command "frobnicate"/],
    ];
    for (const [args, re] of cases) {
      const r = ceremony(...args);
      expect(r.code, args.join(" ")).to.equal(2);
      expect(r.err, args.join(" ")).to.match(re);
    }
    // Not usage errors (exit 1), still naming what is wrong.
    const missing = ceremony("init", "batch_root_4", "--ptau", path.join(tmp, "nope.ptau"), "--dir", path.join(tmp, "x"));
    expect([missing.code, missing.err]).to.deep.equal([1, `ceremony: --ptau: file not found: ${path.join(tmp, "nope.ptau")}\n`]);
    const noCeremony = ceremony("contribute", "--dir", path.join(tmp, "empty"));
    expect(noCeremony.code).to.equal(1);
    expect(noCeremony.err).to.match(/--dir .*empty: no ceremony here/);
  });

  it("records every contribution hash in the transcript; verify re-derives them from the zkey; progress is printed", function () {
    const t = JSON.parse(readFileSync(path.join(out, "transcript.json"), "utf8")) as Transcript;
    expect(t.circuit.name).to.equal("batch_root_4");
    expect(t.phase1).to.include({
      development: true,
      power: 11,
      blake2b: createHash("blake2b512").update(readFileSync(ptau)).digest("hex"),
    });
    expect(t.contributions.map((c) => [c.index, c.type, c.name])).to.deep.equal([
      [1, "contribution", "alice"],
      [2, "contribution", "bob"],
      [3, "beacon", "final beacon"],
    ]);
    expect(t.contributions[0].userEntropy).to.equal(true);
    expect(t.contributions[1].userEntropy).to.equal(false);
    for (const c of t.contributions) expect(c.hash).to.match(/^[0-9a-f]{128}$/);
    // Each step printed its hash; verify printed them all, read back from the zkey.
    expect(steps[1].err).to.contain(`contribution hash ${t.contributions[0].hash}`);
    for (const c of t.contributions) expect(steps[4].err).to.contain(`#${c.index} ${c.type} "${c.name}": ${c.hash}`);
    expect(steps[4].err).to.contain("ceremony verifies (3 contribution(s))");
    expect(steps[0].err).to.match(/WARNING: --ptau is a DEVELOPMENT Powers of Tau/);
    expect(steps[0].err).to.match(/hashing .*ptau: 100%/);
    // Honest provenance: phase 1 is the development ptau, so the keys are still development keys.
    expect(t.final).to.deep.include({ devKeys: true, reasons: ["phase 1 is a development Powers of Tau (public toxic waste)"] });
    expect(t.final!.vkeySha256).to.equal(
      createHash("sha256")
        .update(readFileSync(path.join(out, "batch_root_4.vkey.json")))
        .digest("hex"),
    );
    const keyId = `0x${createHash("sha256")
      .update(readFileSync(path.join(out, "transcript.json")))
      .digest("hex")}`;
    const source = readFileSync(path.join(out, "BatchRoot4Verifier.sol"), "utf8");
    const p = provenanceOfSource(source)!;
    expect(p).to.include({ devKeys: true, keyId });
    expect(p.text).to.match(
      /^development \(insecure\) phase-2 ceremony: 2 contribution\(s\) and a public beacon over a DEVELOPMENT Powers of Tau/,
    );
    expect(source).to.match(/^\/\/ GENERATED by tools\/circuits\/ceremony\.ts/m);
    expect(source).to.contain(`// Key provenance: DEVELOPMENT KEYS (INSECURE)`);
    expect(ptauInfo(ptau)).to.deep.equal({ power: 11, contributions: 1, prepared: true, development: true });
  });

  it("attack: a proof forged from the development key's public delta passes the development verifier, not the ceremony's", async function () {
    const { ethers } = await network.create();
    const devVerifier = (await ethers.deployContract("BatchRoot4Verifier")) as unknown as Verifier;
    const compiled = compileVerifier(readFileSync(path.join(out, "BatchRoot4Verifier.sol"), "utf8"), "BatchRoot4Verifier");
    const factory = new ethers.ContractFactory(compiled.abi as never, compiled.bytecode, (await ethers.getSigners())[0]);
    const deployed = await factory.deploy();
    const ceremonyVerifier = deployed as unknown as Verifier & { keyId(): Promise<string>; devKeys(): Promise<boolean> };
    const t = readFileSync(path.join(out, "transcript.json"));
    expect(await ceremonyVerifier.keyId()).to.equal(`0x${createHash("sha256").update(t).digest("hex")}`);
    expect(await ceremonyVerifier.devKeys()).to.equal(true);

    const devVkey = JSON.parse(readFileSync(dev.vkey, "utf8")) as VerificationKey;
    const cerVkey = JSON.parse(readFileSync(path.join(out, "batch_root_4.vkey.json"), "utf8")) as VerificationKey;
    // The attacker recomputes delta from the public development beacon.
    const d = await beaconSecret(DEV_ZKEY_BEACON, 10);
    expect(await isDeltaOf(devVkey, d)).to.equal(true);
    expect(await isDeltaOf(cerVkey, d)).to.equal(false);
    // A root no batch has and a count of 4: a statement no witness supports.
    const forgedSignals = [123456789n, 4n];
    const forged = await forgeProof(devVkey, forgedSignals, d);
    expect(await snarkjs.groth16.verify(devVkey, forgedSignals.map(String), forged)).to.equal(true);
    expect(await call(devVerifier, toSolidityProof(forged), forgedSignals)).to.equal(true); // the attack on dev keys
    expect(await call(ceremonyVerifier, toSolidityProof(forged), forgedSignals)).to.equal(false);
    // The same trick with the ceremony key's own IC points and the development delta fails too.
    const retargeted = await forgeProof(cerVkey, forgedSignals, d);
    expect(await snarkjs.groth16.verify(cerVkey, forgedSignals.map(String), retargeted)).to.equal(false);
    expect(await call(ceremonyVerifier, toSolidityProof(retargeted), forgedSignals)).to.equal(false);

    // An honest proof made with the ceremony zkey verifies with the exported key and verifier only.
    const { proof, publicSignals } = await snarkjs.groth16.fullProve(
      batchRootInput(readings, 1),
      dev.wasm,
      path.join(out, "batch_root_4.zkey"),
    );
    expect(await snarkjs.groth16.verify(cerVkey, publicSignals, proof)).to.equal(true);
    const honest = toSolidityProof(proof);
    const pub = publicSignals.map(BigInt);
    expect(await call(ceremonyVerifier, honest, pub)).to.equal(true);
    expect(await call(ceremonyVerifier, honest, [pub[0], pub[1] + 1n])).to.equal(false);
    expect(await call(devVerifier, honest, pub)).to.equal(false);
  });

  it("check:verifiers ceremony mode: a deployed verifier or a source is checked against the ceremony key and transcript", async function () {
    const { ethers } = await network.create();
    const source = readFileSync(path.join(out, "BatchRoot4Verifier.sol"), "utf8");
    const compiled = compileVerifier(source, "BatchRoot4Verifier", "export/BatchRoot4Verifier.sol");
    const factory = new ethers.ContractFactory(compiled.abi as never, compiled.bytecode, (await ethers.getSigners())[0]);
    const ceremonyAddr = await (await factory.deploy()).getAddress();
    const devAddr = await (await ethers.deployContract("BatchRoot4Verifier")).getAddress();
    const vkey = JSON.parse(readFileSync(path.join(out, "batch_root_4.vkey.json"), "utf8")) as VerificationKeyJson;
    const transcriptSha256 = createHash("sha256")
      .update(readFileSync(path.join(out, "transcript.json")))
      .digest("hex");
    const sol = { source, contract: "BatchRoot4Verifier" };

    const good = await checkDeployedVerifier(ethers.provider, ceremonyAddr, { vkey, transcriptSha256, allowDevKeys: true }, sol);
    expect(good.problems).to.deep.equal([]);
    expect(good.notes).to.include("the deployed code is exactly BatchRoot4Verifier's source compiled (metadata aside)");
    // Without --allow-dev-keys the honest "phase 1 is a development ptau" marking fails it.
    const strict = await checkDeployedVerifier(ethers.provider, ceremonyAddr, { vkey, transcriptSha256 });
    expect(strict.problems).to.have.length(1);
    expect(strict.problems[0]).to.match(
      /^declares development keys \(devKeys\(\) = true\): development \(insecure\) phase-2 ceremony/,
    );
    // The development verifier does not hold the ceremony's delta, nor name its transcript.
    const devCheck = await checkDeployedVerifier(ethers.provider, devAddr, { vkey, transcriptSha256, allowDevKeys: true }, sol);
    expect(devCheck.problems).to.deep.equal([
      "the deployed code does not hold the key's deltax1, deltax2, deltay1, deltay2: it verifies with another key",
      `keyId 0x${"00".repeat(32)} is not the transcript's sha256 0x${transcriptSha256}`,
      "the deployed code is not what BatchRoot4Verifier's source compiles to (solc, optimizer 200 runs, prague)",
    ]);

    // The CLI on sources (no RPC needed).
    const check = (...args: string[]): Run => {
      const r = spawnSync(path.join(BIN, "tsx"), ["tools/circuits/check-verifiers.ts", ...args], { env: ENV, encoding: "utf8" });
      return { code: r.status, out: r.stdout, err: r.stderr };
    };
    const vk = path.join(out, "batch_root_4.vkey.json");
    const tr = path.join(out, "transcript.json");
    const pass = check("--sol", path.join(out, "BatchRoot4Verifier.sol"), "--vkey", vk, "--transcript", tr, "--allow-dev-keys");
    expect(pass.code, pass.err).to.equal(0);
    expect(pass.err).to.contain("holds the ceremony's key");
    const fail = check("--sol", "contracts/verifiers/BatchRoot4Verifier.sol", "--vkey", vk, "--transcript", tr);
    expect(fail.code).to.equal(1);
    expect(fail.err).to.contain("FAIL constants differ from the key: deltax1, deltax2, deltay1, deltay2");
    expect(fail.err).to.contain("FAIL declares development keys");
    const usage = check("--vkey", vk, "--address", "0x12", "--rpc-url", "http://127.0.0.1:1");
    expect([usage.code, usage.err.trim()]).to.deep.equal([2, "check:verifiers: --address: not an address: 0x12"]);
  });

  it("over a non-development phase 1 the export declares ceremony keys, which the deploy check and check:verifiers accept", async function () {
    // A small phase 1 made here by snarkjs itself (new accumulator, one contribution with random
    // entropy, prepare phase 2): not a public ceremony, but not the development ptau either.
    const quiet = { info: () => undefined, progress: () => undefined };
    const p0 = path.join(tmp, "p1_0.ptau");
    const p1 = path.join(tmp, "p1_1.ptau");
    const prepared = path.join(tmp, "p1_final.ptau");
    const bn128 = await snarkjs.curves.getCurveFromName("bn128");
    await snarkjs.powersOfTau.newAccumulator(bn128, 11, p0);
    await snarkjs.powersOfTau.contribute(p0, p1, "test phase-1 contributor", randomBytes(32).toString("hex"));
    await snarkjs.powersOfTau.preparePhase2(p1, prepared);
    expect(ptauInfo(prepared)).to.deep.equal({ power: 11, contributions: 1, prepared: true, development: false });
    const d2 = path.join(tmp, "ceremony2");
    const o2 = path.join(tmp, "export2");
    await init("batch_root_4", { ptau: prepared, dir: d2, label: "test phase 1 (one local contributor)" }, quiet);
    await contribute({ dir: d2, name: "carol" }, quiet);
    // No beacon: allowed (noted), the secret contribution suffices.
    const r = await exportCeremony({ dir: d2, out: o2 }, quiet);
    expect(r.devKeys).to.equal(false);
    const source = readFileSync(r.verifier, "utf8");
    const p = provenanceOfSource(source)!;
    expect(p.devKeys).to.equal(false);
    expect(p.keyId).to.equal(r.keyId);
    expect(p.text).to.match(
      /^phase-2 ceremony: 1 contribution\(s\) over Powers of Tau blake2b [0-9a-f]{16} \(test phase 1 \(one local contributor\)\); transcript sha256 [0-9a-f]{64}$/,
    );
    expect(source).to.contain("// Key provenance: ceremony keys.");

    // On a chain with a public chain id: the deploy check and the audit's check accept it.
    const remote = await network.create({ override: { chainId: 11155111 } });
    const compiled = compileVerifier(source, "BatchRoot4Verifier");
    const factory = new remote.ethers.ContractFactory(
      compiled.abi as never,
      compiled.bytecode,
      (await remote.ethers.getSigners())[0],
    );
    const address = await (await factory.deploy()).getAddress();
    const keys = await readVerifierKeys(remote.ethers.provider, "BatchRoot4Verifier", address);
    expect(keys).to.include({ devKeys: false, keyId: r.keyId });
    expect(keysRefusal(keys, 11155111n)).to.equal(undefined);
    expect(() => assertDeployableKeys(11155111n, [keys])).not.to.throw();
    const vkey = JSON.parse(readFileSync(r.vkey, "utf8")) as VerificationKeyJson;
    const transcriptSha256 = r.keyId.slice(2);
    const strict = await checkDeployedVerifier(
      remote.ethers.provider,
      address,
      { vkey, transcriptSha256 },
      { source, contract: "BatchRoot4Verifier" },
    );
    expect(strict.problems).to.deep.equal([]);
    // An honest proof with the new zkey verifies there.
    const { proof, publicSignals } = await snarkjs.groth16.fullProve(batchRootInput(readings, 1), dev.wasm, r.zkey);
    expect(
      await call(factory.attach(address) as unknown as Verifier, toSolidityProof(proof), publicSignals.map(BigInt)),
    ).to.equal(true);
  });

  it("refuses a swapped zkey, a different Powers of Tau, and contributions after the beacon", function () {
    const copy = path.join(tmp, "tampered");
    cpSync(dir, copy, { recursive: true });
    const after = ceremony("contribute", "--dir", copy);
    expect(after.code).to.equal(1);
    expect(after.err).to.contain("the beacon already closed this ceremony");
    // Replace the latest zkey with an earlier one: the transcript's sha256 no longer matches.
    copyFileSync(path.join(copy, "batch_root_4_0001.zkey"), path.join(copy, "batch_root_4_0003.zkey"));
    const swapped = ceremony("verify", "--dir", copy);
    expect(swapped.code).to.equal(1);
    expect(swapped.err).to.match(/batch_root_4_0003\.zkey: sha256 [0-9a-f]{64} differs from the transcript's/);
    // Verify against another phase-1 file (one bit flipped) is refused by its hash.
    cpSync(path.join(dir, "batch_root_4_0003.zkey"), path.join(copy, "batch_root_4_0003.zkey"));
    const otherPtau = path.join(tmp, "other.ptau");
    copyFileSync(ptau, otherPtau);
    const buf = readFileSync(otherPtau);
    buf[buf.length - 1] ^= 1;
    writeFileSync(otherPtau, buf);
    const wrong = ceremony("verify", "--dir", copy, "--ptau", otherPtau);
    expect(wrong.code).to.equal(1);
    expect(wrong.err).to.match(/FAIL: --ptau .*other\.ptau: blake2b [0-9a-f]{16}… is not the ceremony's/);
  });
});
