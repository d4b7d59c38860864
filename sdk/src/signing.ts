import { p256 } from "@noble/curves/p256";
import { secp256k1 } from "@noble/curves/secp256k1";
import { keccak_256 } from "@noble/hashes/sha3";
import { EncodingError } from "./errors.js";
import { bytesToHex, hexToBytes } from "./hex.js";
import { readingDigest, signatureBytes, type Reading, type SignedReading } from "./reading.js";

/**
 * Device keys (DESIGN decision 1): secp256k1 (identity = Ethereum address) and P-256 (secure
 * elements, passkeys; identity = uncompressed public key x‖y). Both sign the keccak256 reading
 * digest directly (no extra prehash), low-s normalised, so Solidity can check them with
 * ecrecover and OpenZeppelin's P256.verify.
 */
export type KeyType = "secp256k1" | "p256";

export interface DeviceKeyPair {
  type: KeyType;
  privateKey: `0x${string}`;
  /** secp256k1: 20-byte address; p256: 64-byte x‖y. */
  publicId: `0x${string}`;
}

export function secp256k1Address(publicKeyUncompressed: Uint8Array): `0x${string}` {
  return bytesToHex(keccak_256(publicKeyUncompressed.subarray(1)).subarray(12));
}

export function keyPairFromPrivate(type: KeyType, privateKey: string): DeviceKeyPair {
  const priv = hexToBytes(privateKey);
  if (priv.length !== 32) throw new EncodingError("BAD_SIGNATURE_FORMAT", "private key must be 32 bytes", "privateKey");
  const curve = type === "secp256k1" ? secp256k1 : p256;
  const pub = curve.getPublicKey(priv, false);
  const publicId = type === "secp256k1" ? secp256k1Address(pub) : bytesToHex(pub.subarray(1));
  return { type, privateKey: bytesToHex(priv), publicId };
}

export function generateKeyPair(type: KeyType): DeviceKeyPair {
  const curve = type === "secp256k1" ? secp256k1 : p256;
  return keyPairFromPrivate(type, bytesToHex(curve.utils.randomPrivateKey()));
}

/** Signs a 32-byte digest: secp256k1 → r‖s‖v (v = 27/28), p256 → r‖s. */
export function signDigest(key: DeviceKeyPair, digest: Uint8Array): `0x${string}` {
  const priv = hexToBytes(key.privateKey);
  if (key.type === "secp256k1") {
    const sig = secp256k1.sign(digest, priv, { lowS: true, prehash: false });
    const out = new Uint8Array(65);
    out.set(sig.toCompactRawBytes(), 0);
    out[64] = 27 + sig.recovery;
    return bytesToHex(out);
  }
  const sig = p256.sign(digest, priv, { lowS: true, prehash: false });
  return bytesToHex(sig.toCompactRawBytes());
}

export function signReading(networkId: bigint, key: DeviceKeyPair, r: Reading): SignedReading {
  const signature = signDigest(key, readingDigest(networkId, r));
  return { deviceId: r.deviceId, seq: r.seq, timestamp: r.timestamp, value: r.value, signature };
}

/** Recovers the secp256k1 signer address of a digest, or null if the signature is invalid. */
export function recoverSecp256k1(digest: Uint8Array, signature: string): `0x${string}` | null {
  const bytes = signatureBytes(signature);
  if (bytes.length !== 65) return null;
  const v = bytes[64];
  if (v !== 27 && v !== 28) return null;
  try {
    const sig = secp256k1.Signature.fromCompact(bytes.subarray(0, 64)).addRecoveryBit(v - 27);
    if (sig.hasHighS()) return null;
    return secp256k1Address(sig.recoverPublicKey(digest).toRawBytes(false));
  } catch {
    return null;
  }
}

/** True when `signature` is a valid low-s signature of `digest` by `publicId` (key of `type`). */
export function verifyDigest(type: KeyType, publicId: string, digest: Uint8Array, signature: string): boolean {
  if (type === "secp256k1") {
    const who = recoverSecp256k1(digest, signature);
    return who !== null && who.toLowerCase() === publicId.toLowerCase();
  }
  const bytes = signatureBytes(signature);
  const pub = hexToBytes(publicId);
  if (bytes.length !== 64 || pub.length !== 64) return false;
  const sec1 = new Uint8Array(65);
  sec1[0] = 4;
  sec1.set(pub, 1);
  try {
    return p256.verify(bytes, digest, sec1, { lowS: true, prehash: false });
  } catch {
    return false;
  }
}

export function verifyReading(networkId: bigint, type: KeyType, publicId: string, r: SignedReading): boolean {
  return verifyDigest(type, publicId, readingDigest(networkId, r), r.signature);
}
