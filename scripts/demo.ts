/**
 * `npm run demo` — the project's main job on embedded defaults (in-process chain, no services).
 *
 * Current scope (foundation slice): a small simulated fleet signs readings, the sequencer logic
 * of the shared module batches them under a Poseidon Merkle root, the BatchRoot circuit proves
 * each root with Groth16, and the generated Solidity verifier checks every proof on the
 * in-process Hardhat chain. Prints progress and a summary.
 */
import { network } from "hardhat";
import { parseArgs } from "node:util";
import * as snarkjs from "snarkjs";
import {
  batchRootInput,
  generateKeyPair,
  getPoseidon,
  hashReading,
  merkleRoot,
  signReading,
  toSolidityProof,
  verifyReading,
  type DeviceKeyPair,
  type SignedReading,
} from "../sdk/src/index.js";
import { artifactsOf } from "../tools/circuits/manifest.js";

const HELP = `Usage: npm run demo -- [--devices N] [--readings N]

Runs the DePIN pipeline on embedded defaults and prints a summary.
  --devices N    simulated devices (default 3)
  --readings N   readings per device (default 4)
  --help         this text`;

const DEPTH = 2; // batch_root_4: 4 readings per batch

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new Error(`--${name} must be an integer in 1..1000 (got ${raw})`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { devices: { type: "string" }, readings: { type: "string" }, help: { type: "boolean", default: false } },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const nDevices = positiveInt("devices", values.devices, 3);
  const perDevice = positiveInt("readings", values.readings, 4);
  const say = (m: string): void => console.log(`[demo] ${m}`);

  const { ethers } = await network.create();
  const networkId = (await ethers.provider.getNetwork()).chainId;
  say(`in-process chain up (chain id ${networkId})`);
  const verifier = await ethers.deployContract("BatchRoot4Verifier");
  say(`deployed BatchRoot4Verifier at ${await verifier.getAddress()}`);

  const keys: DeviceKeyPair[] = Array.from({ length: nDevices }, (_, i) => generateKeyPair(i % 2 === 0 ? "secp256k1" : "p256"));
  const t0 = BigInt(Math.floor(Date.now() / 1000));
  const readings: SignedReading[] = [];
  for (let s = 0; s < perDevice; s++) {
    keys.forEach((k, d) => {
      readings.push(
        signReading(networkId, k, {
          deviceId: BigInt(d + 1),
          seq: BigInt(s),
          timestamp: t0 + BigInt(s * 60),
          value: BigInt(1000 + d * 10 + s),
        }),
      );
    });
  }
  const verified = readings.filter((r) =>
    verifyReading(networkId, keys[Number(r.deviceId) - 1].type, keys[Number(r.deviceId) - 1].publicId, r),
  ).length;
  say(`${nDevices} devices signed ${readings.length} readings (${verified} signatures verify; secp256k1 and P-256 keys)`);

  const h = await getPoseidon();
  const art = artifactsOf("batch_root_4");
  let proofs = 0;
  let gas = 0n;
  const started = performance.now();
  for (let b = 0; b * 4 < readings.length; b++) {
    const batch = readings.slice(b * 4, b * 4 + 4);
    const root = merkleRoot(
      h,
      batch.map((r) => hashReading(h, r)),
      DEPTH,
    );
    const { proof, publicSignals } = await snarkjs.groth16.fullProve(batchRootInput(batch, DEPTH), art.wasm, art.zkey);
    const p = toSolidityProof(proof);
    const pub = publicSignals.map(BigInt) as [bigint, bigint];
    if (pub[0] !== root) throw new Error(`batch ${b + 1}: circuit root differs from the sequencer root`);
    const ok = await verifier.verifyProof(p.a, p.b, p.c, pub);
    if (!ok) throw new Error(`batch ${b + 1}: proof rejected on-chain`);
    gas += await verifier.verifyProof.estimateGas(p.a, p.b, p.c, pub);
    proofs++;
    say(`batch ${b + 1}: ${batch.length} readings, root ${root.toString(16).slice(0, 16)}…, proof verified on-chain`);
  }
  const secs = (performance.now() - started) / 1000;
  console.log("\n=== summary ===");
  console.log(`devices              ${nDevices}`);
  console.log(`readings             ${readings.length}`);
  console.log(`batches (4 slots)    ${proofs}`);
  console.log(`proofs verified      ${proofs} (on-chain, Groth16)`);
  console.log(`prove+verify time    ${secs.toFixed(1)} s (${(secs / proofs).toFixed(2)} s per batch)`);
  console.log(`verify gas           ${(gas / BigInt(proofs)).toString()} per batch`);
}

main().then(
  async () => {
    const curve = (globalThis as { curve_bn128?: { terminate(): Promise<void> } | null }).curve_bn128;
    if (curve) await curve.terminate();
    process.exit(0);
  },
  (e: unknown) => {
    console.error(`[demo] failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
