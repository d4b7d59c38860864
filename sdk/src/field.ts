import { EncodingError } from "./errors.js";

/** Order of the BN254 scalar field: every circuit signal and Poseidon input lives below it. */
export const SNARK_SCALAR_FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

/** Largest value of an unsigned integer of `bits` bits. */
export function maxUint(bits: number): bigint {
  return (1n << BigInt(bits)) - 1n;
}

/**
 * Returns `value` if it is an integer in [0, 2^bits) and below the field modulus; throws an
 * EncodingError naming the field otherwise. `bits` defaults to 254 (any field element).
 */
export function checkUint(field: string, value: bigint, bits = 254): bigint {
  if (value < 0n) throw new EncodingError("OUT_OF_RANGE", `must not be negative (got ${value})`, field);
  if (value >= SNARK_SCALAR_FIELD) {
    throw new EncodingError("FIELD_OVERFLOW", `must be below the BN254 field modulus (got ${value})`, field);
  }
  if (value > maxUint(bits)) {
    throw new EncodingError("OUT_OF_RANGE", `must fit in ${bits} bits (got ${value})`, field);
  }
  return value;
}

/** Parses a JSON number or decimal/0x string into a bigint, rejecting anything else. */
export function toBigInt(field: string, raw: unknown): bigint {
  if (typeof raw === "bigint") return raw;
  if (typeof raw === "number") {
    if (!Number.isSafeInteger(raw)) {
      throw new EncodingError("WRONG_TYPE", `must be a safe integer or an integer string (got ${raw})`, field);
    }
    return BigInt(raw);
  }
  if (typeof raw === "string") {
    if (!/^(0|[1-9][0-9]{0,77}|0x[0-9a-fA-F]{1,64})$/.test(raw)) {
      throw new EncodingError(
        "WRONG_TYPE",
        `must be a decimal or 0x-hex integer string (got ${JSON.stringify(raw).slice(0, 40)})`,
        field,
      );
    }
    return BigInt(raw);
  }
  throw new EncodingError("WRONG_TYPE", `must be an integer (got ${raw === null ? "null" : typeof raw})`, field);
}
