/**
 * The batch payload: what the DA layer serves and long-term storage keeps for every committed
 * batch — each reading with its signature, in leaf order. Anyone holding a payload can recompute
 * the batch root and check it against the on-chain commitment (verifyBatchPayload), and build an
 * inclusion proof for any reading (a challenger needs exactly this).
 */
import { EncodingError } from "./errors.js";
import { merkleProof, merkleRoot, type MerkleProof } from "./merkle.js";
import { hashReading, type PoseidonHasher } from "./poseidon.js";
import type { SignedReading } from "./reading.js";

export interface BatchPayload {
  batchId: bigint;
  epoch: bigint;
  depth: number;
  root: bigint;
  readings: SignedReading[];
}

/** Canonical JSON (fixed key order, integers as decimal strings): the bytes that get hashed. */
export function encodeBatchPayload(p: BatchPayload): string {
  return JSON.stringify({
    format: "depin-batch-1",
    batchId: p.batchId.toString(),
    epoch: p.epoch.toString(),
    depth: p.depth,
    root: p.root.toString(),
    readings: p.readings.map((r) => [
      r.deviceId.toString(),
      r.seq.toString(),
      r.timestamp.toString(),
      r.value.toString(),
      r.signature,
    ]),
  });
}

export function parseBatchPayload(text: string): BatchPayload {
  let o: {
    format?: unknown;
    batchId?: unknown;
    epoch?: unknown;
    depth?: unknown;
    root?: unknown;
    readings?: unknown;
  };
  try {
    o = JSON.parse(text) as typeof o;
  } catch (e) {
    throw new EncodingError("MALFORMED_JSON", `batch payload is not JSON (${(e as Error).message})`);
  }
  if (
    o.format !== "depin-batch-1" ||
    typeof o.batchId !== "string" ||
    typeof o.epoch !== "string" ||
    typeof o.depth !== "number" ||
    typeof o.root !== "string" ||
    !Array.isArray(o.readings)
  ) {
    throw new EncodingError("WRONG_TYPE", "not a depin-batch-1 payload");
  }
  return {
    batchId: BigInt(o.batchId),
    epoch: BigInt(o.epoch),
    depth: o.depth,
    root: BigInt(o.root),
    readings: (o.readings as string[][]).map((r) => ({
      deviceId: BigInt(r[0]),
      seq: BigInt(r[1]),
      timestamp: BigInt(r[2]),
      value: BigInt(r[3]),
      signature: r[4] as `0x${string}`,
    })),
  };
}

export function batchLeaves(h: PoseidonHasher, p: BatchPayload): bigint[] {
  return p.readings.map((r) => hashReading(h, r));
}

/** True when the payload's readings hash to `expectedRoot` (take it from the chain, not the payload). */
export function verifyBatchPayload(h: PoseidonHasher, p: BatchPayload, expectedRoot: bigint): boolean {
  return p.root === expectedRoot && merkleRoot(h, batchLeaves(h, p), p.depth) === expectedRoot;
}

export function batchInclusionProof(h: PoseidonHasher, p: BatchPayload, index: number): MerkleProof {
  return merkleProof(h, batchLeaves(h, p), p.depth, index);
}
