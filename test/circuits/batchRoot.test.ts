import { expect } from "chai";
import { network } from "hardhat";
import { readFileSync } from "node:fs";
import * as snarkjs from "snarkjs";
import {
  batchRootInput,
  getPoseidon,
  hashReading,
  merkleRoot,
  SNARK_SCALAR_FIELD,
  toSolidityProof,
  type SignedReading,
} from "../../sdk/src/index.js";
import { artifactsOf } from "../../tools/circuits/manifest.js";
import { VECTORS_JSON, type VectorFile } from "../../tools/vectors.js";

// The first vertical slice: readings → Poseidon batch root in TypeScript → the same root proven
// in circom → the proof verified by the generated Solidity verifier on the in-process chain.
const DEPTH = 1; // batch_root_4: one 4-ary level, 4 slots
const art = artifactsOf("batch_root_4");
const vectors = JSON.parse(readFileSync(VECTORS_JSON, "utf8")) as VectorFile;
const readings: SignedReading[] = vectors.readings.map((v) => ({
  deviceId: BigInt(v.deviceId),
  seq: BigInt(v.seq),
  timestamp: BigInt(v.timestamp),
  value: BigInt(v.value),
  signature: v.signature as `0x${string}`,
}));

async function witnessOutputs(input: Record<string, unknown>): Promise<bigint[]> {
  // snarkjs wtns.calculate into memory, then read signals 1..nPublic (outputs first).
  const wtns = { type: "mem" } as { type: string; data?: Uint8Array };
  await snarkjs.wtns.calculate(input, art.wasm, wtns);
  const { proof, publicSignals } = await snarkjs.groth16.prove(art.zkey, wtns as unknown as Uint8Array);
  void proof;
  return publicSignals.map(BigInt);
}

describe("BatchRoot circuit (batch_root_4) and its Solidity verifier", function () {
  it("the circuit's root equals the sdk root and the vector root", async () => {
    const h = await getPoseidon();
    const root = merkleRoot(
      h,
      readings.map((r) => hashReading(h, r)),
      DEPTH,
    );
    expect(root.toString()).to.equal(vectors.merkle.root);
    const [outRoot, count] = await witnessOutputs(batchRootInput(readings, DEPTH));
    expect(outRoot).to.equal(root);
    expect(count).to.equal(3n);
  });

  it("a real Groth16 proof verifies on-chain; tampered public signals or proof are rejected", async () => {
    const { ethers } = await network.create();
    const verifier = await ethers.deployContract("BatchRoot4Verifier");
    const { proof, publicSignals } = await snarkjs.groth16.fullProve(batchRootInput(readings, DEPTH), art.wasm, art.zkey);
    const vkey = JSON.parse(readFileSync(art.vkey, "utf8")) as unknown;
    expect(await snarkjs.groth16.verify(vkey, publicSignals, proof)).to.equal(true);

    const p = toSolidityProof(proof);
    const pub = publicSignals.map(BigInt) as [bigint, bigint];
    expect(pub[0].toString()).to.equal(vectors.merkle.root);
    expect(await verifier.verifyProof(p.a, p.b, p.c, pub)).to.equal(true);

    // Another root, another count, a signal pushed past the field, a swapped proof point.
    expect(await verifier.verifyProof(p.a, p.b, p.c, [pub[0] + 1n, pub[1]])).to.equal(false);
    expect(await verifier.verifyProof(p.a, p.b, p.c, [pub[0], 2n])).to.equal(false);
    expect(await verifier.verifyProof(p.a, p.b, p.c, [pub[0] + SNARK_SCALAR_FIELD, pub[1]])).to.equal(false);
    expect(await verifier.verifyProof(p.c, p.b, p.a, pub)).to.equal(false);
  });

  it("cannot prove a count above the capacity or a non-empty slot beyond count", async () => {
    const input = batchRootInput(readings, DEPTH);
    // count = 5 > 4 slots: the range constraint fails, no witness exists.
    const failure = await witnessOutputs({ ...input, count: "5" }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(failure?.message).to.match(/Assert Failed|Error in template/);
    // A reading hidden beyond `count` does not change the root: the slot is forced to the zero leaf.
    const hidden = batchRootInput([...readings, readings[0]], DEPTH);
    const [rootWithHidden] = await witnessOutputs({ ...hidden, count: "3" });
    const [root] = await witnessOutputs(input);
    expect(rootWithHidden).to.equal(root);
  });
});
