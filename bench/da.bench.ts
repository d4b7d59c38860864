/**
 * Gas of the data-availability hot paths, measured on the in-process Hardhat network with the
 * real Ignition module and sdk-built batches:
 *   commitGasPerBatch   commitBatch transaction (steady state: not the first commitment)
 *   challengeGas        successful challengeSignature (forged secp256k1 leaf) at depth 16
 *                       (challengeGasDepth4 / challengeGasDepth10 for smaller trees)
 *   poseidon5LeafGas, inclusionDepth16Gas  the two hashing parts of a challenge, as calls
 */
import { network } from "hardhat";
import { asChallenge, deployDa, type DaFixture } from "../test/da/fixture.js";
import type { BenchSuite, Figure } from "./types.js";

async function commitGas(f: DaFixture, depth: number, leafCount: number): Promise<bigint> {
  const id = await f.da.nextBatchId();
  const tx = await f.da.connect(f.sequencer).commitBatch(id, 123n, leafCount, depth, 1n, `da://batch/${id}`);
  const receipt = await tx.wait();
  if (!receipt) throw new Error("commitBatch was not mined");
  return receipt.gasUsed;
}

const suite: BenchSuite = {
  name: "da",
  async run(ctx): Promise<Figure[]> {
    const connection = await network.create();
    const f = await deployDa(connection);
    const figures: Figure[] = [];

    await commitGas(f, 10, 1000); // first commitment pays cold storage of the counter's slot
    const commits: bigint[] = [];
    for (let i = 0; i < (ctx.quick ? 2 : 5); i++) commits.push(await commitGas(f, 14, 10_000));
    const commitAvg = commits.reduce((a, b) => a + b, 0n) / BigInt(commits.length);
    figures.push({ key: "commitGasPerBatch", label: "DA commitBatch", value: Number(commitAvg), unit: "gas", note: "steady state, 22-byte uri; independent of batch size" });

    const depths = ctx.quick ? [4] : [4, 10, 16];
    for (const depth of depths) {
      ctx.log(`challenge at depth ${depth}`);
      const forged = f.sign(f.devices.stranger, { deviceId: f.devices.secp.id, seq: 1n, timestamp: 1_700_000_000n, value: 1n });
      const batch = f.makeBatch([forged], depth);
      const id = await f.commit(batch);
      const tx = await f.da.connect(f.challenger).challengeSignature(id, asChallenge(forged), 0, batch.proof(0).siblings);
      const receipt = await tx.wait();
      if (!receipt) throw new Error("challenge was not mined");
      const key = depth === 16 || ctx.quick ? "challengeGas" : `challengeGasDepth${depth}`;
      figures.push({ key, label: `DA challenge (forged secp256k1 leaf, depth ${depth})`, value: Number(receipt.gasUsed), unit: "gas", note: "inclusion proof + ecrecover + slash" });
      await f.da.connect(f.sequencer).depositBond({ value: 10n ** 18n });
    }

    const honest = f.sign(f.devices.p256.key, { deviceId: f.devices.p256.id, seq: 1n, timestamp: 1_700_000_000n, value: 1n });
    const hb = f.makeBatch([honest], 16);
    const hid = await f.commit(hb);
    const leafGas = await f.da.leafOf.estimateGas(asChallenge(honest));
    const inclGas = await f.da.verifyInclusion.estimateGas(hid, hb.leaves[0], 0, hb.proof(0).siblings);
    figures.push({ key: "poseidon5LeafGas", label: "DA leaf recomputation (Poseidon5) call", value: Number(leafGas), unit: "gas", note: "eth_estimateGas incl. 21k base" });
    figures.push({ key: "inclusionDepth16Gas", label: "DA verifyInclusion depth 16 call", value: Number(inclGas), unit: "gas", note: "16 Poseidon2 calls, incl. 21k base" });
    return figures;
  },
};

export default suite;
