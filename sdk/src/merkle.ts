import { EncodingError } from "./errors.js";
import { checkUint } from "./field.js";
import type { PoseidonHasher } from "./poseidon.js";

/**
 * Fixed-depth 4-ary Poseidon Merkle tree: the DA layer's batch tree. A batch of capacity
 * 4^depth holds `count` leaves in slots 0..count-1; empty slots hold the zero leaf (0), so the
 * root depends only on the leaves and the depth. Internal node = Poseidon(c0, c1, c2, c3) over
 * its four children in slot order. `depth` counts 4-ary levels (depth 2 = 16 leaves, depth 4 =
 * 256). The circuits (circuits/src/merkle.circom) and DataAvailability's inclusion check compute
 * the same tree.
 *
 * Why 4-ary: circomlib Poseidon(4) costs ~1.25x a Poseidon(2) in constraints but a 4-ary tree
 * has a third of the internal nodes of a binary one, so a batch root costs ~100 constraints per
 * leaf instead of ~240 in the reward circuit.
 */
export const MERKLE_ARITY = 4;

/**
 * Largest depth: 4^16 = 2^32 leaves, the most a batch can count (DataAvailability's leafCount is
 * a uint32 and its MAX_DEPTH is the same 16).
 */
export const MAX_DEPTH = 16;

/** The three other children of a node's parent, in slot order (the node's own slot left out). */
export type MerkleSiblings = [bigint, bigint, bigint];

export interface MerkleProof {
  leaf: bigint;
  /** Leaf slot; its base-4 digits, least significant first, are the node's position at each level. */
  index: number;
  /**
   * One entry per level from the leaves up to just below the root: the 3 siblings of the node at
   * that level in slot order. With digit k = (index / 4^level) mod 4, the parent is Poseidon over
   * the siblings with the node inserted at position k.
   */
  siblings: MerkleSiblings[];
  root: bigint;
}

function checkDepth(depth: number): void {
  if (!Number.isInteger(depth) || depth < 0 || depth > MAX_DEPTH) {
    throw new EncodingError("BAD_MERKLE_INPUT", `depth must be an integer in [0, ${MAX_DEPTH}], got ${depth}`);
  }
}

/** Number of leaf slots of a tree of `depth` 4-ary levels: 4^depth. */
export function merkleCapacity(depth: number): number {
  checkDepth(depth);
  return MERKLE_ARITY ** depth;
}

/** The four children of a parent: `siblings` (slot order) with `node` inserted at `position`. */
export function merkleChildren(node: bigint, position: number, siblings: readonly bigint[]): bigint[] {
  if (!Number.isInteger(position) || position < 0 || position >= MERKLE_ARITY || siblings.length !== MERKLE_ARITY - 1) {
    throw new EncodingError(
      "BAD_MERKLE_INPUT",
      `a level takes a position in 0..${MERKLE_ARITY - 1} and ${MERKLE_ARITY - 1} siblings, got position ${position} and ${siblings.length} siblings`,
    );
  }
  return [...siblings.slice(0, position), node, ...siblings.slice(position)];
}

/** Roots of empty subtrees of height 0..depth, so padding costs O(depth), not O(capacity). */
export function zeroHashes(h: PoseidonHasher, depth: number): bigint[] {
  const zeros: bigint[] = [0n];
  for (let d = 1; d <= depth; d++) {
    const z = zeros[d - 1];
    zeros.push(h.hash([z, z, z, z]));
  }
  return zeros;
}

/** Every level of the tree, leaves first, root last (a single-element array). */
export function merkleLevels(h: PoseidonHasher, leaves: bigint[], depth: number): bigint[][] {
  const capacity = merkleCapacity(depth);
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
    for (let i = 0; i < cur.length; i += MERKLE_ARITY) {
      const children: bigint[] = [];
      for (let k = 0; k < MERKLE_ARITY; k++) children.push(i + k < cur.length ? cur[i + k] : zeros[d]);
      next.push(h.hash(children));
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

/** Smallest depth whose capacity (4^depth) holds `count` leaves. */
export function depthFor(count: number): number {
  if (!Number.isInteger(count) || count < 0 || count > MERKLE_ARITY ** MAX_DEPTH) {
    throw new EncodingError("BAD_MERKLE_INPUT", `leaf count must be an integer in [0, 4^${MAX_DEPTH}], got ${count}`);
  }
  let d = 0;
  while (MERKLE_ARITY ** d < count) d++;
  return d;
}

export function merkleProof(h: PoseidonHasher, leaves: bigint[], depth: number, index: number): MerkleProof {
  if (!Number.isInteger(index) || index < 0 || index >= leaves.length) {
    throw new EncodingError("BAD_MERKLE_INPUT", `leaf index ${index} is outside 0..${leaves.length - 1}`);
  }
  const levels = merkleLevels(h, leaves, depth);
  const zeros = zeroHashes(h, depth);
  const siblings: MerkleSiblings[] = [];
  // Arithmetic, not bit operators: indexes reach 4^16 - 1, beyond 32-bit integers.
  let idx = index;
  for (let d = 0; d < depth; d++) {
    const first = idx - (idx % MERKLE_ARITY);
    const level: bigint[] = [];
    for (let k = first; k < first + MERKLE_ARITY; k++) {
      if (k !== idx) level.push(k < levels[d].length ? levels[d][k] : zeros[d]);
    }
    siblings.push(level as MerkleSiblings);
    idx = Math.floor(idx / MERKLE_ARITY);
  }
  return { leaf: leaves[index], index, siblings, root: levels[depth][0] };
}

/**
 * Recomputes the root from a proof; true when it matches `root`. False for a malformed proof
 * (a level without exactly 3 siblings, or an index beyond 4^levels); a sibling at or above the
 * field modulus throws an EncodingError, as the on-chain check reverts on it.
 */
export function verifyMerkleProof(h: PoseidonHasher, proof: Omit<MerkleProof, "root">, root: bigint): boolean {
  if (!Number.isInteger(proof.index) || proof.index < 0) return false;
  let node = proof.leaf;
  let idx = proof.index;
  for (const level of proof.siblings) {
    if (level.length !== MERKLE_ARITY - 1) return false;
    node = h.hash(merkleChildren(node, idx % MERKLE_ARITY, level));
    idx = Math.floor(idx / MERKLE_ARITY);
  }
  return idx === 0 && node === root;
}
