/**
 * Signature checks on the bridge's hot path. The digest is the shared module's reading encoding
 * hashed with the native keccak (keccak.ts; same bytes as sdk readingDigest); secp256k1 recovery
 * uses the native `secp256k1` package (~58 µs here, vs ~1 ms for pure JS), and the address of a
 * recovered public key is memoised (a device signs with one key for a long time, so the second
 * keccak per reading is saved). P-256 uses the shared module's verifier. Which key is in force is
 * decided from the directory's key history: a key signs readings stamped in [validFrom, revokedAt)
 * (sdk keyWindowAt). Revocations are scheduled KEY_REVOCATION_DELAY ahead, so a pending one already
 * refuses readings stamped at or after it (KEY_REVOKED, final), and a rotated-in key refuses
 * readings stamped before its hand-over (KEY_NOT_YET_VALID, not final: the device re-signs the
 * reading with the key in force at its timestamp).
 *
 * A secp256k1 signature is recovered, not just verified against the known key: `v` must be right
 * too, because the DA challenge checks the committed signature with `ecrecover` — an (r, s) pair
 * with a flipped `v` verifies against the key yet recovers another address on-chain.
 */
import { createRequire } from "node:module";
// Only the sdk modules needed here: this file also runs on the signature threads, where the sdk
// index would pull in snarkjs (whose web-worker shim misbehaves in any worker thread).
import { bytesToHex } from "../../sdk/src/hex.js";
import { keyWindowAt } from "../../sdk/src/identity.js";
import { encodeReading, type SignedReading } from "../../sdk/src/reading.js";
import { verifyDigest } from "../../sdk/src/signing.js";
import type { DeviceKeyInfo } from "./directory.js";
import { keccak256 } from "./keccak.js";

const require = createRequire(import.meta.url);
const native = require("secp256k1") as {
  ecdsaRecover(sig: Uint8Array, recid: number, msg32: Uint8Array, compressed?: boolean): Uint8Array;
  ecdsaSign(msg32: Uint8Array, privateKey: Uint8Array): { signature: Uint8Array; recid: number };
};

/** r‖s‖v (v = 27/28, low s) signature of `digest`: sdk signDigest's format, on the native library. */
export function signDigestFast(privateKey: Uint8Array, digest: Uint8Array): `0x${string}` {
  const { signature, recid } = native.ecdsaSign(digest, privateKey);
  const out = new Uint8Array(65);
  out.set(signature, 0);
  out[64] = 27 + recid;
  return bytesToHex(out);
}

/** secp256k1 group order / 2: signatures with a larger s are refused (malleability). */
const HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;

/** Shape checks of a 65-byte secp256k1 signature before recovery: v is 27/28 and s is low. */
export function secpSignatureWellFormed(sig: Uint8Array): boolean {
  if (sig.length !== 65) return false;
  const v = sig[64];
  if (v !== 27 && v !== 28) return false;
  const s = BigInt(bytesToHex(sig.subarray(32, 64)));
  return s !== 0n && s <= HALF_N;
}

/** Addresses of recently recovered public keys (bounded: cleared when it reaches the cap). */
const addressOf = new Map<string, string>();
const ADDRESS_CACHE_MAX = 1 << 16;

function addressOfPublicKey(pub: Uint8Array): string {
  const k = Buffer.from(pub.buffer, pub.byteOffset, pub.byteLength).toString("latin1");
  let a = addressOf.get(k);
  if (a === undefined) {
    a = bytesToHex(keccak256(pub.subarray(1)).subarray(12));
    if (addressOf.size >= ADDRESS_CACHE_MAX) addressOf.clear();
    addressOf.set(k, a);
  }
  return a;
}

/** keccak256 of the canonical reading encoding: sdk readingDigest on the native hash. */
export function fastReadingDigest(networkId: bigint, r: SignedReading): Uint8Array {
  return keccak256(encodeReading(networkId, r));
}

/** Signer address of a 65-byte r‖s‖v signature over `digest`, or null. */
export function recoverAddress(digest: Uint8Array, sig: Uint8Array): string | null {
  if (!secpSignatureWellFormed(sig)) return null;
  const v = sig[64];
  try {
    return addressOfPublicKey(native.ecdsaRecover(sig.subarray(0, 64), v - 27, digest, false));
  } catch {
    return null;
  }
}

export type SignatureCheck =
  { ok: true; keyIndex: number } | { ok: false; code: "BAD_SIGNATURE" | "KEY_REVOKED" | "KEY_NOT_YET_VALID"; message: string };

/** Which of the device's keys signed `r`, and whether that key was in force at the reading's timestamp. */
export function checkReadingSignature(networkId: bigint, r: SignedReading, keys: readonly DeviceKeyInfo[]): SignatureCheck {
  const sig = Buffer.from(r.signature.slice(2), "hex");
  const digest = fastReadingDigest(networkId, r);
  let signer = -1;
  if (sig.length === 65) {
    const who = recoverAddress(digest, sig);
    if (who !== null) signer = keys.findIndex((k) => k.type === "secp256k1" && k.publicId === who);
  } else {
    signer = keys.findIndex((k) => k.type === "p256" && verifyDigest("p256", k.publicId, digest, r.signature));
  }
  if (signer < 0) return { ok: false, code: "BAD_SIGNATURE", message: "signature does not verify against any key of the device" };
  const k = keys[signer];
  switch (keyWindowAt(k, r.timestamp)) {
    case "revoked":
      return {
        ok: false,
        code: "KEY_REVOKED",
        message: `key ${signer} is revoked from ${k.revokedAt}; reading is stamped ${r.timestamp}`,
      };
    case "notYetValid":
      return {
        ok: false,
        code: "KEY_NOT_YET_VALID",
        message: `key ${signer} is valid from ${k.validFrom}; reading is stamped ${r.timestamp}: sign it with the key in force then`,
      };
    default:
      return { ok: true, keyIndex: signer };
  }
}
