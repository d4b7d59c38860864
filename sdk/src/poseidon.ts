import { buildPoseidon, type Poseidon } from "circomlibjs";
import { EncodingError } from "./errors.js";
import { checkUint } from "./field.js";
import { checkReading, signatureHash, type SignedReading } from "./reading.js";

/**
 * Poseidon over BN254 (circomlib parameters), the hash shared by TypeScript, circom circuits
 * and the on-chain Poseidon contracts. Built once (wasm) and cached.
 */
let instance: Promise<Poseidon> | undefined;

function poseidonInstance(): Promise<Poseidon> {
  instance ??= buildPoseidon();
  return instance;
}

export interface PoseidonHasher {
  /** Hashes 1..16 field elements; each input is range-checked against the field modulus. */
  hash(inputs: bigint[]): bigint;
}

/** Returns a synchronous hasher once the wasm Poseidon is ready. */
export async function getPoseidon(): Promise<PoseidonHasher> {
  const p = await poseidonInstance();
  return {
    hash(inputs: bigint[]): bigint {
      if (inputs.length < 1 || inputs.length > 16) {
        throw new EncodingError("BAD_MERKLE_INPUT", `Poseidon takes 1..16 inputs, got ${inputs.length}`);
      }
      inputs.forEach((v, i) => checkUint(`poseidon input ${i}`, v));
      return p.F.toObject(p(inputs));
    },
  };
}

/** Field elements of a reading's leaf, in the order the circuits hash them. */
export function leafInputs(r: SignedReading): [bigint, bigint, bigint, bigint, bigint] {
  checkReading(r);
  return [r.deviceId, r.seq, r.timestamp, r.value, signatureHash(r.signature)];
}

/** leaf = Poseidon(deviceId, seq, timestamp, value, keccak256(signature) >> 8). */
export function hashReading(h: PoseidonHasher, r: SignedReading): bigint {
  return h.hash(leafInputs(r));
}
