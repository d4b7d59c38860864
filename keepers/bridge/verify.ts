/**
 * Signature checks on the bridge's hot path. The digest is the shared module's readingDigest;
 * secp256k1 recovery uses the native `secp256k1` package (~10k/s/core, vs ~1-2k/s for pure JS),
 * P-256 uses the shared module's verifier. Which key is in force is decided from the directory's
 * key history: a key signs readings stamped in [validFrom, revokedAt).
 */
import { createRequire } from "node:module";
import { keccak_256 } from "@noble/hashes/sha3";
import { bytesToHex, readingDigest, verifyDigest, type SignedReading } from "../../sdk/src/index.js";
import type { DeviceKeyInfo } from "./directory.js";

const require = createRequire(import.meta.url);
const native = require("secp256k1") as {
  ecdsaRecover(sig: Uint8Array, recid: number, msg32: Uint8Array, compressed?: boolean): Uint8Array;
};

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

/** Signer address of a 65-byte r‖s‖v signature over `digest`, or null. */
export function recoverAddress(digest: Uint8Array, sig: Uint8Array): string | null {
  if (!secpSignatureWellFormed(sig)) return null;
  const v = sig[64];
  try {
    const pub = native.ecdsaRecover(sig.subarray(0, 64), v - 27, digest, false);
    return bytesToHex(keccak_256(pub.subarray(1)).subarray(12));
  } catch {
    return null;
  }
}

export type SignatureCheck =
  { ok: true; keyIndex: number } | { ok: false; code: "BAD_SIGNATURE" | "KEY_REVOKED"; message: string };

/** Which of the device's keys signed `r`, and whether that key was in force at the reading's timestamp. */
export function checkReadingSignature(networkId: bigint, r: SignedReading, keys: readonly DeviceKeyInfo[]): SignatureCheck {
  const sig = Buffer.from(r.signature.slice(2), "hex");
  let signer = -1;
  if (sig.length === 65) {
    const who = recoverAddress(readingDigest(networkId, r), sig);
    if (who !== null) signer = keys.findIndex((k) => k.type === "secp256k1" && k.publicId === who);
  } else {
    const digest = readingDigest(networkId, r);
    signer = keys.findIndex((k) => k.type === "p256" && verifyDigest("p256", k.publicId, digest, r.signature));
  }
  if (signer < 0) return { ok: false, code: "BAD_SIGNATURE", message: "signature does not verify against any key of the device" };
  const k = keys[signer];
  if (k.revokedAt !== 0n && r.timestamp >= k.revokedAt) {
    return {
      ok: false,
      code: "KEY_REVOKED",
      message: `key ${signer} was revoked at ${k.revokedAt}; reading is stamped ${r.timestamp}`,
    };
  }
  if (r.timestamp < k.validFrom) {
    return {
      ok: false,
      code: "KEY_REVOKED",
      message: `key ${signer} is valid from ${k.validFrom}; reading is stamped ${r.timestamp}`,
    };
  }
  return { ok: true, keyIndex: signer };
}
