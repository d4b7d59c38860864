import { expect } from "chai";
import { readFileSync } from "node:fs";
import {
  depthFor,
  EncodingError,
  getPoseidon,
  MAX_DEPTH,
  merkleCapacity,
  merkleChildren,
  merkleProof,
  merkleRoot,
  SNARK_SCALAR_FIELD,
  verifyMerkleProof,
  zeroHashes,
  type MerkleSiblings,
  type PoseidonHasher,
} from "../../sdk/src/index.js";
import { VECTORS_JSON, type VectorFile } from "../../tools/vectors.js";

const vectors = JSON.parse(readFileSync(VECTORS_JSON, "utf8")) as VectorFile;

describe("sdk Poseidon Merkle tree (4-ary)", () => {
  let h: PoseidonHasher;
  before(async () => {
    h = await getPoseidon();
  });

  it("reproduces the vector Poseidon hashes, root and proofs", () => {
    for (const p of vectors.poseidon) expect(h.hash(p.inputs.map(BigInt)).toString()).to.equal(p.hash);
    const leaves = vectors.merkle.leaves.map(BigInt);
    expect(merkleRoot(h, leaves, vectors.merkle.depth).toString()).to.equal(vectors.merkle.root);
    for (const p of vectors.merkle.proofs) {
      expect(merkleProof(h, leaves, vectors.merkle.depth, p.index).siblings.map((l) => l.map(String))).to.deep.equal(p.siblings);
    }
  });

  it("node = Poseidon(c0, c1, c2, c3): a depth-2 root written out by hand", () => {
    const leaves = [3n, 1n, 4n, 1n, 5n, 9n];
    const n0 = h.hash([3n, 1n, 4n, 1n]);
    const n1 = h.hash([5n, 9n, 0n, 0n]);
    const z1 = h.hash([0n, 0n, 0n, 0n]);
    expect(merkleRoot(h, leaves, 2)).to.equal(h.hash([n0, n1, z1, z1]));
    expect(zeroHashes(h, 2)).to.deep.equal([0n, z1, h.hash([z1, z1, z1, z1])]);
    // Slot 5: level 0 digit 1 (siblings 5, 0, 0), level 1 digit 1 (siblings n0, z1, z1).
    expect(merkleProof(h, leaves, 2, 5).siblings).to.deep.equal([
      [5n, 0n, 0n],
      [n0, z1, z1],
    ]);
  });

  it("every inclusion proof verifies, and fails for another leaf, slot, sibling, sibling order or root", () => {
    const leaves = Array.from({ length: 23 }, (_, i) => BigInt(i * 7 + 1));
    const depth = 3; // 64 slots: some leaves have digit 1 at level 1, all have digit 0 at level 2
    const root = merkleRoot(h, leaves, depth);
    for (let i = 0; i < leaves.length; i++) {
      const p = merkleProof(h, leaves, depth, i);
      expect(p.root).to.equal(root);
      expect(p.siblings).to.have.length(depth);
      expect(verifyMerkleProof(h, p, root)).to.equal(true);
      expect(verifyMerkleProof(h, { ...p, leaf: p.leaf + 1n }, root)).to.equal(false);
      expect(verifyMerkleProof(h, p, root + 1n)).to.equal(false);
      // Another base-4 digit at any one level (the same leaf claimed at another slot).
      for (let level = 0; level < depth; level++) {
        const digit = Math.floor(i / 4 ** level) % 4;
        for (let other = 0; other < 4; other++) {
          if (other === digit) continue;
          const moved = i + (other - digit) * 4 ** level;
          expect(verifyMerkleProof(h, { ...p, index: moved }, root)).to.equal(false);
        }
      }
      // Any one sibling changed.
      for (let level = 0; level < depth; level++) {
        for (let k = 0; k < 3; k++) {
          const siblings = p.siblings.map((l) => [...l] as MerkleSiblings);
          siblings[level][k] += 1n;
          expect(verifyMerkleProof(h, { ...p, siblings }, root)).to.equal(false);
        }
      }
      // An index beyond the tree, a missing level, an extra level, a level with 2 or 4 siblings.
      expect(verifyMerkleProof(h, { ...p, index: i + 4 ** depth }, root)).to.equal(false);
      expect(verifyMerkleProof(h, { ...p, siblings: p.siblings.slice(1) }, root)).to.equal(false);
      expect(verifyMerkleProof(h, { ...p, siblings: [...p.siblings, [0n, 0n, 0n]] }, root)).to.equal(false);
      const short = p.siblings.map((l) => [...l]) as bigint[][];
      short[0] = short[0].slice(0, 2);
      expect(verifyMerkleProof(h, { ...p, siblings: short as MerkleSiblings[] }, root)).to.equal(false);
      const long = p.siblings.map((l) => [...l, 0n]) as unknown as MerkleSiblings[];
      expect(verifyMerkleProof(h, { ...p, siblings: long }, root)).to.equal(false);
    }
    // Siblings of one level swapped (leaf 9: level 0 siblings are leaves 8, 10, 11, all distinct).
    const p = merkleProof(h, leaves, depth, 9);
    const [a, b, c] = p.siblings[0];
    expect(verifyMerkleProof(h, { ...p, siblings: [[b, a, c], ...p.siblings.slice(1)] }, root)).to.equal(false);
  });

  it("a sibling at or above the field modulus is refused, not reduced", () => {
    const leaves = [1n, 2n, 3n, 4n, 5n];
    const p = merkleProof(h, leaves, 2, 4);
    const aliased = p.siblings.map((l) => [...l] as MerkleSiblings);
    aliased[1][0] += SNARK_SCALAR_FIELD;
    expect(() => verifyMerkleProof(h, { ...p, siblings: aliased }, p.root)).to.throw(EncodingError, /field modulus/);
  });

  it("empty slots are zero leaves: padding explicitly with zeros gives the same root", () => {
    const leaves = [5n, 6n, 7n];
    expect(merkleRoot(h, leaves, 2)).to.equal(merkleRoot(h, [...leaves, ...Array<bigint>(13).fill(0n)], 2));
    expect(merkleRoot(h, [], 3)).to.equal(zeroHashes(h, 3)[3]);
    expect(merkleRoot(h, [42n], 0)).to.equal(42n);
  });

  it("capacity is 4^depth; depthFor picks the smallest depth that holds a count", () => {
    expect([0, 1, 2, 4, 16].map(merkleCapacity)).to.deep.equal([1, 4, 16, 256, 2 ** 32]);
    expect([0, 1, 2, 4, 5, 16, 17, 256, 257].map(depthFor)).to.deep.equal([0, 0, 1, 1, 2, 2, 3, 4, 5]);
    expect(depthFor(2 ** 32)).to.equal(MAX_DEPTH);
    expect(() => depthFor(2 ** 32 + 1)).to.throw(EncodingError, /leaf count/);
    expect(merkleChildren(9n, 2, [1n, 2n, 3n])).to.deep.equal([1n, 2n, 9n, 3n]);
  });

  it("proofs work at slots beyond 32-bit integers' reach of bit operators", () => {
    // A depth-16 tree (4^16 = 2^32 slots) with one leaf at a slot above 2^31: only the
    // populated path is hashed, so this stays cheap.
    const index = 2 ** 31 + 5;
    const p = {
      leaf: 77n,
      index,
      siblings: zeroHashes(h, 16)
        .slice(0, 16)
        .map((z) => [z, z, z] as MerkleSiblings),
    };
    let node = 77n;
    let idx = index;
    for (const s of p.siblings) {
      node = h.hash(merkleChildren(node, idx % 4, s));
      idx = Math.floor(idx / 4);
    }
    expect(verifyMerkleProof(h, p, node)).to.equal(true);
    expect(verifyMerkleProof(h, { ...p, index: index - 2 ** 30 }, node)).to.equal(false);
  });

  it("rejects bad input with clear errors", () => {
    expect(() => merkleRoot(h, [1n, 2n, 3n, 4n, 5n], 1)).to.throw(EncodingError, /do not fit a tree of depth 1 \(capacity 4\)/);
    expect(() => merkleRoot(h, [SNARK_SCALAR_FIELD], 1)).to.throw(EncodingError, /field modulus/);
    expect(() => merkleRoot(h, [1n], MAX_DEPTH + 1)).to.throw(EncodingError, /depth must be an integer in \[0, 16\]/);
    expect(() => merkleProof(h, [1n, 2n], 1, 2)).to.throw(EncodingError, /outside 0..1/);
    expect(() => merkleChildren(1n, 4, [1n, 2n, 3n])).to.throw(EncodingError, /position in 0..3/);
    expect(() => merkleChildren(1n, 0, [1n, 2n])).to.throw(EncodingError, /3 siblings/);
    expect(() => h.hash([])).to.throw(EncodingError, /1..16 inputs/);
  });
});
