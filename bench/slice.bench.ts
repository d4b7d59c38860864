import { readFileSync } from "node:fs";
import { network } from "hardhat";
import * as snarkjs from "snarkjs";
import { batchRootInput, generateKeyPair, signReading, toSolidityProof, type SignedReading } from "../sdk/src/index.js";
import { artifactsOf } from "../tools/circuits/manifest.js";
import type { BenchSuite } from "./types.js";

/** The foundation slice: BatchRoot(depth 1: one 4-ary level, 4 readings) proof time and on-chain verification gas. */
const suite: BenchSuite = {
  name: "slice",
  async run(ctx) {
    const art = artifactsOf("batch_root_4");
    const info = JSON.parse(readFileSync(art.info, "utf8")) as { constraints: number };
    const key = generateKeyPair("secp256k1");
    const readings: SignedReading[] = Array.from({ length: 4 }, (_, i) =>
      signReading(31337n, key, { deviceId: 1n, seq: BigInt(i), timestamp: 1_800_000_000n + BigInt(i), value: 100n + BigInt(i) }),
    );
    const input = batchRootInput(readings, 1); // batch_root_4: one 4-ary level
    // Warm-up (curve and wasm load), then timed runs.
    await snarkjs.groth16.fullProve(input, art.wasm, art.zkey);
    const runs = ctx.quick ? 2 : 5;
    let proof: Awaited<ReturnType<typeof snarkjs.groth16.fullProve>> | undefined;
    const t0 = performance.now();
    for (let i = 0; i < runs; i++) proof = await snarkjs.groth16.fullProve(input, art.wasm, art.zkey);
    const proveSeconds = (performance.now() - t0) / 1000 / runs;
    ctx.log(`slice: ${runs} proofs, ${proveSeconds.toFixed(3)} s each`);

    const { ethers } = await network.create();
    const verifier = await ethers.deployContract("BatchRoot4Verifier");
    const p = toSolidityProof(proof!.proof);
    const pub = proof!.publicSignals.map(BigInt) as [bigint, bigint];
    const gas = Number(await verifier.verifyProof.estimateGas(p.a, p.b, p.c, pub));
    const floor = 181_000 + 6_150 * pub.length + 21_000;
    return [
      {
        key: "sliceConstraints",
        label: "slice BatchRoot(4 readings) constraints",
        value: info.constraints,
        unit: "constraints",
        note: `${(info.constraints / 4).toFixed(0)} per reading`,
      },
      {
        key: "sliceProveSeconds",
        label: "slice proof generation (witness + Groth16)",
        value: proveSeconds,
        unit: "s/proof",
        note: `mean of ${runs}, snarkjs in-process`,
      },
      {
        key: "sliceVerifyGas",
        label: "slice verifyProof transaction gas",
        value: gas,
        unit: "gas",
        note: `floor ${floor} (181k + 6.15k·${pub.length} + 21k base)`,
      },
    ];
  },
};
export default suite;
