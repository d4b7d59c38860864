/**
 * Gas of the data-availability hot paths, measured on the in-process Hardhat network with the
 * real Ignition module and sdk-built batches:
 *   commitGasPerBatch   commitBatch transaction (steady state: not the first commitment)
 *   challengeGas        successful challengeSignature (forged secp256k1 leaf) at depth 8 of the
 *                       4-ary batch tree (65,536 slots; depth 2 = 16 slots with --quick)
 *                       (challengeGasDepth2 / challengeGasDepth5 for 16 / 1,024 slots)
 *   challengeP256Gas    successful challenge of a forged leaf of a P-256 device at depth 8
 *   challengeDuplicateGasDepth2 / Depth4  successful challengeDuplicate (a reading of batch n
 *                       repeated in batch n+1) at depth 2 / 4 (16 / 256 slots): two leaves and
 *                       two inclusion proofs
 *   poseidon5LeafGas, inclusionDepth8Gas  the two hashing parts of a challenge, as calls
 */
import { network } from "hardhat";
import { generateKeyPair } from "../sdk/src/index.js";
import { asChallenge, committedLeaf, deployDa, type DaFixture } from "../test/da/fixture.js";
import type { BenchSuite, Figure } from "./types.js";

async function commitGas(f: DaFixture, depth: number, leafCount: number): Promise<bigint> {
  const id = await f.da.nextBatchId();
  // A root is accepted once: a distinct one per batch.
  const tx = await f.da.connect(f.sequencer).commitBatch(id, 1_000n + id, leafCount, depth, 1n, `da://batch/${id}`);
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
    // Each open batch locks slashAmount (1 ETH) of the bond for its challenge window.
    await f.da.connect(f.sequencer).depositBond({ value: 40n * 10n ** 18n });

    await commitGas(f, 5, 1000); // first commitment pays cold storage of the counter's slot
    const commits: bigint[] = [];
    for (let i = 0; i < (ctx.quick ? 2 : 5); i++) commits.push(await commitGas(f, 7, 10_000));
    const commitAvg = commits.reduce((a, b) => a + b, 0n) / BigInt(commits.length);
    figures.push({
      key: "commitGasPerBatch",
      label: "DA commitBatch",
      value: Number(commitAvg),
      unit: "gas",
      note: "steady state (back-to-back: every earlier lock still held), 22-byte uri; independent of batch size",
    });

    // 4-ary depths 2 / 5 / 8 hold 16 / 1,024 / 65,536 readings (binary depths 4 / 10 / 16).
    const depths = ctx.quick ? [2] : [2, 5, 8];
    for (const depth of depths) {
      ctx.log(`challenge at depth ${depth}`);
      const forged = f.sign(f.devices.stranger, { deviceId: f.devices.secp.id, seq: 1n, timestamp: 1_700_000_000n, value: 1n });
      const batch = f.makeBatch([forged], depth);
      const id = await f.commit(batch);
      const tx = await f.da.connect(f.challenger).challengeSignature(id, asChallenge(forged), 0, batch.proof(0).siblings);
      const receipt = await tx.wait();
      if (!receipt) throw new Error("challenge was not mined");
      const key = depth === 8 || ctx.quick ? "challengeGas" : `challengeGasDepth${depth}`;
      figures.push({
        key,
        label: `DA challenge (forged secp256k1 leaf, depth ${depth} = ${4 ** depth} slots)`,
        value: Number(receipt.gasUsed),
        unit: "gas",
        note: "inclusion proof + ecrecover + slash",
      });
      await f.da.connect(f.sequencer).depositBond({ value: 10n ** 18n });
    }

    ctx.log("challenge of a forged P-256 leaf");
    // Signed by a P-256 key that is not the device's: well-formed, low-s, so the contract runs the
    // full P-256 verification before finding it invalid.
    const p256Forgery = f.sign(generateKeyPair("p256"), {
      deviceId: f.devices.p256.id,
      seq: 2n,
      timestamp: 1_700_000_000n,
      value: 1n,
    });
    const pb = f.makeBatch([p256Forgery], 8);
    const pid = await f.commit(pb);
    const ptx = await f.da.connect(f.challenger).challengeSignature(pid, asChallenge(p256Forgery), 0, pb.proof(0).siblings);
    const preceipt = await ptx.wait();
    if (!preceipt) throw new Error("P-256 challenge was not mined");
    figures.push({
      key: "challengeP256Gas",
      label: "DA challenge (forged P-256 leaf, depth 8 = 65,536 slots)",
      value: Number(preceipt.gasUsed),
      unit: "gas",
      note: "P256VERIFY precompile (0x100) present on this network",
    });
    // Without the precompile (e.g. chains before EIP-7951/RIP-7212) OpenZeppelin falls back to
    // Solidity: measure that difference on a valid signature, where the full check runs.
    const harness = await connection.ethers.deployContract("P256Harness");
    const honestP256 = f.sign(f.devices.p256.key, { deviceId: f.devices.p256.id, seq: 3n, timestamp: 1_700_000_000n, value: 1n });
    const digest = await f.da.readingDigest(honestP256.deviceId, honestP256.seq, honestP256.timestamp, honestP256.value);
    const sig = honestP256.signature.slice(2);
    const pub = f.devices.p256.key.publicId.slice(2);
    const args = [
      digest,
      `0x${sig.slice(0, 64)}`,
      `0x${sig.slice(64, 128)}`,
      `0x${pub.slice(0, 64)}`,
      `0x${pub.slice(64, 128)}`,
    ] as const;
    if (!(await harness.getFunction("verifySolidity")(...args))) throw new Error("P-256 harness rejected an sdk signature");
    const solidityGas = await harness.getFunction("verifySolidity").estimateGas(...args);
    const nativeGas = await harness.getFunction("verify").estimateGas(...args);
    figures.push({
      key: "p256SolidityExtraGas",
      label: "P-256 check without precompile (extra)",
      value: Number(solidityGas - nativeGas),
      unit: "gas",
      note: "add to challengeP256Gas on chains without 0x100",
    });
    await f.da.connect(f.sequencer).depositBond({ value: 10n ** 18n });

    for (const depth of [2, 4]) {
      ctx.log(`duplicate challenge at depth ${depth}`);
      const base = BigInt(100 * depth);
      const reading = (seq: bigint) =>
        f.sign(f.devices.secp.key, { deviceId: f.devices.secp.id, seq, timestamp: 1_700_000_000n + seq, value: 1n });
      const first = f.makeBatch([reading(base + 1n), reading(base + 2n)], depth);
      const later = f.makeBatch([reading(base + 3n), first.readings[1]], depth);
      const id1 = await f.commit(first);
      const id2 = await f.commit(later);
      const tx = await f.da.connect(f.challenger).challengeDuplicate(committedLeaf(first, id1, 1), committedLeaf(later, id2, 1));
      const receipt = await tx.wait();
      if (!receipt) throw new Error("duplicate challenge was not mined");
      figures.push({
        key: `challengeDuplicateGasDepth${depth}`,
        label: `DA duplicate challenge (a reading repeated in a later batch, depth ${depth} = ${4 ** depth} slots)`,
        value: Number(receipt.gasUsed),
        unit: "gas",
        note: "two leaves + two inclusion proofs + slash",
      });
    }

    const honest = f.sign(f.devices.p256.key, { deviceId: f.devices.p256.id, seq: 1n, timestamp: 1_700_000_000n, value: 1n });
    const hb = f.makeBatch([honest], 8);
    const hid = await f.commit(hb);
    const leafGas = await f.da.leafOf.estimateGas(asChallenge(honest));
    const inclGas = await f.da.verifyInclusion.estimateGas(hid, hb.leaves[0], 0, hb.proof(0).siblings);
    figures.push({
      key: "poseidon5LeafGas",
      label: "DA leaf recomputation (Poseidon5) call",
      value: Number(leafGas),
      unit: "gas",
      note: "eth_estimateGas incl. 21k base",
    });
    figures.push({
      key: "inclusionDepth8Gas",
      label: "DA verifyInclusion depth 8 (65,536 slots) call",
      value: Number(inclGas),
      unit: "gas",
      note: "8 Poseidon(4) calls, incl. 21k base",
    });
    return figures;
  },
};

export default suite;
