import { keccak_256 } from "@noble/hashes/sha3";
import { EncodingError } from "./errors.js";
import { checkUint, toBigInt } from "./field.js";
import { bytesToHex, hexToBytes } from "./hex.js";

/**
 * A device reading: the unit of work a DePIN device proves.
 *
 * Bit widths are part of the protocol (the circuits range-check exactly these):
 *   deviceId u64 · seq u64 · timestamp u40 (unix seconds) · value u32.
 * `value` is unsigned fixed-point in the network's unit; sensors with signed quantities apply
 * a network-wide offset. `networkId` (the settlement chain id) is signed but not transmitted.
 */
export interface Reading {
  deviceId: bigint;
  seq: bigint;
  timestamp: bigint;
  value: bigint;
}

/** A reading with the device's signature over its signing digest. */
export interface SignedReading extends Reading {
  /** 65 bytes r‖s‖v (secp256k1) or 64 bytes r‖s (P-256), 0x-hex. */
  signature: `0x${string}`;
}

export const READING_BITS = { networkId: 64, deviceId: 64, seq: 64, timestamp: 40, value: 32 } as const;

/** Domain tag opening every signed reading: ASCII "DEPIN1" (protocol version 1). */
export const READING_TAG = "0x444550494e31";

/** Length of the canonical encoding: tag 6 + 8 + 8 + 8 + 5 + 4 bytes. */
export const CANONICAL_LENGTH = 39;

/** Largest wire message (JSON) the network accepts. */
export const MAX_WIRE_BYTES = 512;

export const WIRE_VERSION = 1;

const WIRE_FIELDS = ["v", "deviceId", "seq", "timestamp", "value", "sig"] as const;

/** Range-checks every field of a reading against its protocol bit width. */
export function checkReading<T extends Reading>(r: T): T {
  checkUint("deviceId", r.deviceId, READING_BITS.deviceId);
  checkUint("seq", r.seq, READING_BITS.seq);
  checkUint("timestamp", r.timestamp, READING_BITS.timestamp);
  checkUint("value", r.value, READING_BITS.value);
  return r;
}

function putUint(out: Uint8Array, offset: number, value: bigint, bytes: number): void {
  for (let i = bytes - 1; i >= 0; i--) {
    out[offset + i] = Number(value & 0xffn);
    value >>= 8n;
  }
}

/**
 * Canonical bytes a device signs: tag ‖ networkId u64 ‖ deviceId u64 ‖ seq u64 ‖ timestamp u40
 * ‖ value u32, big-endian. Equal to Solidity's
 * `abi.encodePacked(bytes6("DEPIN1"), uint64, uint64, uint64, uint40, uint32)`.
 */
export function encodeReading(networkId: bigint, r: Reading): Uint8Array {
  checkUint("networkId", networkId, READING_BITS.networkId);
  checkReading(r);
  const out = new Uint8Array(CANONICAL_LENGTH);
  out.set(hexToBytes(READING_TAG), 0);
  putUint(out, 6, networkId, 8);
  putUint(out, 14, r.deviceId, 8);
  putUint(out, 22, r.seq, 8);
  putUint(out, 30, r.timestamp, 5);
  putUint(out, 35, r.value, 4);
  return out;
}

/** keccak256 of the canonical encoding: what both key types sign. */
export function readingDigest(networkId: bigint, r: Reading): Uint8Array {
  return keccak_256(encodeReading(networkId, r));
}

/** Checks a signature's shape (not its validity) and returns its bytes. */
export function signatureBytes(signature: string): Uint8Array {
  if (typeof signature !== "string" || !/^0x[0-9a-fA-F]*$/.test(signature)) {
    throw new EncodingError("BAD_SIGNATURE_FORMAT", "must be a 0x-prefixed hex string", "sig");
  }
  if (signature.length % 2 !== 0) {
    // An odd digit count has no byte reading; decoding would silently drop the last nibble.
    throw new EncodingError("BAD_SIGNATURE_FORMAT", "has an odd number of hex digits", "sig");
  }
  const bytes = hexToBytes(signature);
  if (bytes.length !== 64 && bytes.length !== 65) {
    throw new EncodingError("BAD_SIGNATURE_FORMAT", `must be 64 (P-256) or 65 (secp256k1) bytes, got ${bytes.length}`, "sig");
  }
  return bytes;
}

/**
 * The signature's commitment inside a leaf: keccak256(signature) >> 8, a 248-bit value that is
 * always a valid field element. Solidity: `uint256(keccak256(signature)) >> 8`.
 */
export function signatureHash(signature: string): bigint {
  const digest = keccak_256(signatureBytes(signature));
  return BigInt(bytesToHex(digest)) >> 8n;
}

/** Serialises a signed reading for the wire (MQTT payload). */
export function toWire(r: SignedReading): string {
  checkReading(r);
  signatureBytes(r.signature);
  return JSON.stringify({
    v: WIRE_VERSION,
    deviceId: r.deviceId.toString(),
    seq: r.seq.toString(),
    timestamp: Number(r.timestamp),
    value: Number(r.value),
    sig: r.signature.toLowerCase(),
  });
}

/**
 * Parses and validates a wire message. Throws EncodingError with a code for every malformed
 * input: oversize, bad JSON, not an object, unknown/missing fields, wrong types, out-of-range
 * or field-overflowing integers, bad signature shape.
 */
export function fromWire(payload: string | Uint8Array): SignedReading {
  const size = typeof payload === "string" ? Buffer.byteLength(payload) : payload.length;
  if (size > MAX_WIRE_BYTES) {
    throw new EncodingError("OVERSIZE", `message is ${size} bytes; the limit is ${MAX_WIRE_BYTES}`);
  }
  const text = typeof payload === "string" ? payload : Buffer.from(payload).toString("utf8");
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw new EncodingError("MALFORMED_JSON", `not valid JSON (${(e as Error).message})`);
  }
  if (typeof obj !== "object" || obj === null || Array.isArray(obj)) {
    throw new EncodingError("NOT_AN_OBJECT", "a reading must be a JSON object");
  }
  const rec = obj as Record<string, unknown>;
  // JSON.parse keeps the last of repeated keys: a message whose fields can be read two ways is refused.
  const repeated = repeatedTopLevelKey(text);
  if (repeated !== undefined) throw new EncodingError("DUPLICATE_FIELD", "appears more than once", repeated);
  for (const key of Object.keys(rec)) {
    if (!(WIRE_FIELDS as readonly string[]).includes(key)) {
      throw new EncodingError("UNKNOWN_FIELD", `unknown field (allowed: ${WIRE_FIELDS.join(", ")})`, key);
    }
  }
  for (const key of WIRE_FIELDS) {
    if (!(key in rec)) throw new EncodingError("MISSING_FIELD", "is required", key);
  }
  if (rec.v !== WIRE_VERSION) {
    throw new EncodingError("UNSUPPORTED_VERSION", `unsupported version ${JSON.stringify(rec.v)}; expected ${WIRE_VERSION}`, "v");
  }
  if (typeof rec.sig !== "string") throw new EncodingError("WRONG_TYPE", "must be a hex string", "sig");
  signatureBytes(rec.sig);
  return checkReading({
    deviceId: toBigInt("deviceId", rec.deviceId),
    seq: toBigInt("seq", rec.seq),
    timestamp: toBigInt("timestamp", rec.timestamp),
    value: toBigInt("value", rec.value),
    signature: rec.sig.toLowerCase() as `0x${string}`,
  });
}

/** The first key that occurs twice at the top level of a JSON object text, if any (the text parsed already). */
function repeatedTopLevelKey(text: string): string | undefined {
  const seen = new Set<string>();
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") depth--;
    else if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      if (depth === 1) {
        let k = j + 1;
        while (/\s/.test(text[k] ?? "")) k++;
        if (text[k] === ":") {
          const key = JSON.parse(text.slice(i, j + 1)) as string;
          if (seen.has(key)) return key;
          seen.add(key);
        }
      }
      i = j;
    }
  }
  return undefined;
}
