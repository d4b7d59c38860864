import { EncodingError } from "./errors.js";
import { checkUint } from "./field.js";
import type { PoseidonHasher } from "./poseidon.js";

/**
 * Fixed-depth binary Poseidon Merkle tree. A batch of capacity 2^depth holds `count` leaves in
 * slots 0..count-1; empty slots hold the zero leaf (0), so the root depends only on the leaves
 * and the depth. Internal node = Poseidon(left, right).
 */
export const MAX_DEPTH = 32;

export interface MerkleProof {
  leaf: bigint;
  index: number;
  /** Sibling hashes from the leaf level up to just below the root. */
  siblings: bigint[];
  root: bigint;
}

function checkDepth(depth: number): void {
  if (!Number.isInteger(depth) || depth < 0 || depth > MAX_DEPTH) {
    throw new EncodingError("BAD_MERKLE_INPUT", `depth must be an integer in [0, ${MAX_DEPTH}], got ${depth}`);
  }
}

/** Roots of empty subtrees of height 0..depth, so padding costs O(depth), not O(capacity). */
export function zeroHashes(h: PoseidonHasher, depth: number): bigint[] {
  const zeros: bigint[] = [0n];
  for (let d = 1; d <= depth; d++) zeros.push(h.hash([zeros[d - 1], zeros[d - 1]]));
  return zeros;
}

/** Every level of the tree, leaves first, root last (a single-element array). */
export function merkleLevels(h: PoseidonHasher, leaves: bigint[], depth: number): bigint[][] {
  checkDepth(depth);
  const capacity = 2 ** depth;
  if (leaves.length > capacity) {
    throw new EncodingError(
      "BAD_MERKLE_INPUT",
      `${leaves.length} leaves do not fit a tree of depth ${depth} (capacity ${capacity})`,
    );
  }
  leaves.forEach((l, i) => checkUint(`leaf ${i}`, l));
  const zeros = zeroHashes(h, depth);
  const levels: bigint[][] = [leaves.slice()];
  for (let d = 0; d < depth; d++) {
    const cur = levels[d];
    const next: bigint[] = [];
    for (let i = 0; i < cur.length; i += 2) {
      next.push(h.hash([cur[i], i + 1 < cur.length ? cur[i + 1] : zeros[d]]));
    }
    levels.push(next.length > 0 ? next : [zeros[d + 1]]);
  }
  if (levels[depth].length === 0) levels[depth] = [zeros[depth]];
  return levels;
}

export function merkleRoot(h: PoseidonHasher, leaves: bigint[], depth: number): bigint {
  const levels = merkleLevels(h, leaves, depth);
  return levels[depth][0] ?? 0n;
}

/** Smallest depth whose capacity holds `count` leaves. */
export function depthFor(count: number): number {
  let d = 0;
  while (2 ** d < count) d++;
  return d;
}

export function merkleProof(h: PoseidonHasher, leaves: bigint[], depth: number, index: number): MerkleProof {
  if (!Number.isInteger(index) || index < 0 || index >= leaves.length) {
    throw new EncodingError("BAD_MERKLE_INPUT", `leaf index ${index} is outside 0..${leaves.length - 1}`);
  }
  const levels = merkleLevels(h, leaves, depth);
  const zeros = zeroHashes(h, depth);
  const siblings: bigint[] = [];
  let idx = index;
  for (let d = 0; d < depth; d++) {
    const sib = idx ^ 1;
    siblings.push(sib < levels[d].length ? levels[d][sib] : zeros[d]);
    idx >>= 1;
  }
  return { leaf: leaves[index], index, siblings, root: levels[depth][0] };
}

/** Recomputes the root from a proof; true when it matches `root`. */
export function verifyMerkleProof(h: PoseidonHasher, proof: Omit<MerkleProof, "root">, root: bigint): boolean {
  let node = proof.leaf;
  let idx = proof.index;
  for (const sib of proof.siblings) {
    node = idx & 1 ? h.hash([sib, node]) : h.hash([node, sib]);
    idx >>= 1;
  }
  return idx === 0 && node === root;
}
