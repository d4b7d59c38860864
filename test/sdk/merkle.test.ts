import { expect } from "chai";
import { readFileSync } from "node:fs";
import {
  EncodingError,
  getPoseidon,
  merkleProof,
  merkleRoot,
  SNARK_SCALAR_FIELD,
  verifyMerkleProof,
  zeroHashes,
  type PoseidonHasher,
} from "../../sdk/src/index.js";
import { VECTORS_JSON, type VectorFile } from "../../tools/vectors.js";

const vectors = JSON.parse(readFileSync(VECTORS_JSON, "utf8")) as VectorFile;

describe("sdk Poseidon Merkle tree", () => {
  let h: PoseidonHasher;
  before(async () => {
    h = await getPoseidon();
  });

  it("reproduces the vector Poseidon hashes and root", () => {
    for (const p of vectors.poseidon) expect(h.hash(p.inputs.map(BigInt)).toString()).to.equal(p.hash);
    const leaves = vectors.merkle.leaves.map(BigInt);
    expect(merkleRoot(h, leaves, vectors.merkle.depth).toString()).to.equal(vectors.merkle.root);
  });

  it("every inclusion proof verifies, and fails for another leaf, index or root", () => {
    const leaves = Array.from({ length: 11 }, (_, i) => BigInt(i * 7 + 1));
    const depth = 4;
    const root = merkleRoot(h, leaves, depth);
    for (let i = 0; i < leaves.length; i++) {
      const p = merkleProof(h, leaves, depth, i);
      expect(p.root).to.equal(root);
      expect(verifyMerkleProof(h, p, root)).to.equal(true);
      expect(verifyMerkleProof(h, { ...p, leaf: p.leaf + 1n }, root)).to.equal(false);
      expect(verifyMerkleProof(h, { ...p, index: (i + 1) % 16 }, root)).to.equal(false);
      expect(verifyMerkleProof(h, p, root + 1n)).to.equal(false);
    }
  });

  it("empty slots are zero leaves: padding explicitly with zeros gives the same root", () => {
    const leaves = [5n, 6n, 7n];
    expect(merkleRoot(h, leaves, 3)).to.equal(merkleRoot(h, [...leaves, 0n, 0n, 0n, 0n, 0n], 3));
    expect(merkleRoot(h, [], 3)).to.equal(zeroHashes(h, 3)[3]);
  });

  it("rejects bad input with clear errors", () => {
    expect(() => merkleRoot(h, [1n, 2n, 3n], 1)).to.throw(EncodingError, /do not fit a tree of depth 1/);
    expect(() => merkleRoot(h, [SNARK_SCALAR_FIELD], 1)).to.throw(EncodingError, /field modulus/);
    expect(() => merkleRoot(h, [1n], 33)).to.throw(EncodingError, /depth must be/);
    expect(() => merkleProof(h, [1n, 2n], 1, 2)).to.throw(EncodingError, /outside 0..1/);
    expect(() => h.hash([])).to.throw(EncodingError, /1..16 inputs/);
  });
});
