import { keccak_256 } from "@noble/hashes/sha3";
import { bytesToHex, hexToBytes } from "./hex.js";
import { signDigest, type DeviceKeyPair, type KeyType } from "./signing.js";

/**
 * Identity layer encodings shared by contracts/identity, scripts, keepers and tests:
 * key ids, maker key trees (OpenZeppelin MerkleProof-compatible), EIP-712 messages for
 * provisioning, binding and key rotation, key validity windows, and the device account's ERC-1271
 * message digest. The Solidity side is contracts/identity/DeviceRegistry.sol and DeviceAccount.sol;
 * the tests in test/identity check both sides produce the same values.
 */

/**
 * Seconds between a key revocation (rotation, decommission) and the instant it takes effect: the
 * registry's KEY_REVOCATION_DELAY (checked equal in test/identity). A bridge must see a revocation
 * before any reading stamped at or after it can arrive, so its largest future skew plus its
 * directory cache TTL plus CLOCK_DRIFT_ALLOWANCE_SEC must stay below this (the bridge checks its
 * options against it at start-up).
 */
export const KEY_REVOCATION_DELAY_SEC = 600n;

/** Allowance for the bridge's clock running ahead of block time, inside KEY_REVOCATION_DELAY_SEC. */
export const CLOCK_DRIFT_ALLOWANCE_SEC = 60n;

/** Where a reading's timestamp falls in a key's validity window `[validFrom, revokedAt)`. */
export type KeyWindow = "valid" | "notYetValid" | "revoked";

/**
 * The state of a key (revokedAt 0 = no revocation scheduled) for a reading stamped `timestamp`:
 * `revoked` at or after a (possibly still pending) revocation, `notYetValid` before validFrom (a
 * rotated-in key whose hand-over has not come yet), else `valid`.
 */
export function keyWindowAt(key: { validFrom: bigint; revokedAt: bigint }, timestamp: bigint): KeyWindow {
  if (key.revokedAt !== 0n && timestamp >= key.revokedAt) return "revoked";
  if (timestamp < key.validFrom) return "notYetValid";
  return "valid";
}

/** Thrown for malformed identity inputs (key, DID, tree). `code` is stable for callers. */
export class IdentityError extends Error {
  readonly code: "BAD_KEY" | "BAD_DID" | "NOT_IN_TREE" | "EMPTY_TREE" | "BAD_INPUT";
  constructor(code: IdentityError["code"], message: string) {
    super(message);
    this.name = "IdentityError";
    this.code = code;
  }
}

/** On-chain enum value of a key type (IDeviceDirectory.KeyType). */
export const KEY_TYPE_CODE: Record<KeyType, number> = { secp256k1: 0, p256: 1 };

export function keyTypeFromCode(code: number | bigint): KeyType {
  const n = Number(code);
  if (n === 0) return "secp256k1";
  if (n === 1) return "p256";
  throw new IdentityError("BAD_KEY", `unknown key type code ${code}`);
}

/** A device public key as the registry sees it. */
export interface DevicePublicKey {
  type: KeyType;
  /** secp256k1: 20-byte address; p256: 64-byte x‖y (hex). */
  publicKey: `0x${string}`;
}

function keccak(...parts: Uint8Array[]): Uint8Array {
  const len = parts.reduce((a, p) => a + p.length, 0);
  const buf = new Uint8Array(len);
  let o = 0;
  for (const p of parts) {
    buf.set(p, o);
    o += p.length;
  }
  return keccak_256(buf);
}

/** Checks the key length for its type and returns its bytes. */
export function publicKeyBytes(key: DevicePublicKey): Uint8Array {
  if (!/^0x[0-9a-fA-F]*$/.test(key.publicKey)) throw new IdentityError("BAD_KEY", `public key is not hex: ${key.publicKey}`);
  const bytes = hexToBytes(key.publicKey);
  const want = key.type === "secp256k1" ? 20 : 64;
  if (bytes.length !== want) {
    throw new IdentityError("BAD_KEY", `${key.type} public key must be ${want} bytes, got ${bytes.length}`);
  }
  return bytes;
}

/** keyId = keccak256(uint8 keyType ‖ publicKey): the registry's key identity and tree leaf. */
export function keyId(key: DevicePublicKey): `0x${string}` {
  return bytesToHex(keccak(Uint8Array.of(KEY_TYPE_CODE[key.type]), publicKeyBytes(key)));
}

/** The public part of a device key pair. */
export function publicKeyOf(pair: DeviceKeyPair): DevicePublicKey {
  return { type: pair.type, publicKey: pair.publicId };
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < 32; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

/** OpenZeppelin's commutative node hash: keccak256 of the two children in ascending order. */
function hashPair(a: Uint8Array, b: Uint8Array): Uint8Array {
  return compareBytes(a, b) <= 0 ? keccak(a, b) : keccak(b, a);
}

/**
 * A maker's key tree: leaves are key ids, sorted and de-duplicated, paired level by level with
 * the sorted-pair keccak256 hash; an odd node at the end of a level moves up unchanged. Proofs
 * verify with OpenZeppelin `MerkleProof.verify(proof, root, keyId)`.
 */
export class KeyTree {
  readonly levels: Uint8Array[][];
  private readonly index = new Map<string, number>();

  constructor(keys: DevicePublicKey[]) {
    if (keys.length === 0) throw new IdentityError("EMPTY_TREE", "a key tree needs at least one key");
    const unique = new Map<string, Uint8Array>();
    for (const k of keys) {
      const id = keyId(k);
      unique.set(id, hexToBytes(id));
    }
    const leaves = [...unique.values()].sort(compareBytes);
    leaves.forEach((l, i) => this.index.set(bytesToHex(l), i));
    const levels: Uint8Array[][] = [leaves];
    while (levels[levels.length - 1].length > 1) {
      const prev = levels[levels.length - 1];
      const next: Uint8Array[] = [];
      for (let i = 0; i < prev.length; i += 2) next.push(i + 1 < prev.length ? hashPair(prev[i], prev[i + 1]) : prev[i]);
      levels.push(next);
    }
    this.levels = levels;
  }

  get root(): `0x${string}` {
    return bytesToHex(this.levels[this.levels.length - 1][0]);
  }

  get size(): number {
    return this.levels[0].length;
  }

  has(key: DevicePublicKey): boolean {
    return this.index.has(keyId(key));
  }

  /** Sibling path of `key` from leaf to root. */
  proof(key: DevicePublicKey): `0x${string}`[] {
    let i = this.index.get(keyId(key));
    if (i === undefined) throw new IdentityError("NOT_IN_TREE", `key ${key.publicKey} is not in the tree`);
    const out: `0x${string}`[] = [];
    for (let l = 0; l < this.levels.length - 1; l++) {
      const level = this.levels[l];
      const sibling = i % 2 === 0 ? i + 1 : i - 1;
      if (sibling < level.length) out.push(bytesToHex(level[sibling]));
      i = Math.floor(i / 2);
    }
    return out;
  }
}

/** Same check as OpenZeppelin `MerkleProof.verify`. */
export function verifyKeyProof(root: string, key: DevicePublicKey, proof: string[]): boolean {
  let node = hexToBytes(keyId(key));
  for (const p of proof) node = hashPair(node, hexToBytes(p));
  return bytesToHex(node).toLowerCase() === root.toLowerCase();
}

// ------------------------------------------------------------------ EIP-712

export const REGISTRY_EIP712_NAME = "DePIN Device Registry";
export const REGISTRY_EIP712_VERSION = "1";

export interface RegistryDomain {
  chainId: bigint;
  verifyingContract: `0x${string}`;
}

/** EIP-712 domain object (for wallets / ethers `signTypedData`). */
export function registryDomain(d: RegistryDomain): {
  name: string;
  version: string;
  chainId: bigint;
  verifyingContract: `0x${string}`;
} {
  return {
    name: REGISTRY_EIP712_NAME,
    version: REGISTRY_EIP712_VERSION,
    chainId: d.chainId,
    verifyingContract: d.verifyingContract,
  };
}

export const BIND_TYPES = {
  BindDevice: [
    { name: "owner", type: "address" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
} as const;

export const PROVISION_TYPES = {
  ProvisionDevice: [
    { name: "maker", type: "address" },
    { name: "deadline", type: "uint256" },
  ],
} as const;

export const ROTATE_TYPES = {
  RotateKey: [
    { name: "deviceId", type: "uint256" },
    { name: "newKeyId", type: "bytes32" },
    { name: "keyIndex", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
} as const;

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

function word(v: bigint): Uint8Array {
  if (v < 0n || v >= 1n << 256n) throw new IdentityError("BAD_INPUT", `value ${v} does not fit uint256`);
  return hexToBytes(v.toString(16).padStart(64, "0"));
}

function addressWord(a: string): Uint8Array {
  if (!/^0x[0-9a-fA-F]{40}$/.test(a)) throw new IdentityError("BAD_INPUT", `not an address: ${a}`);
  return word(BigInt(a));
}

function bytes32Word(h: string): Uint8Array {
  if (!/^0x[0-9a-fA-F]{64}$/.test(h)) throw new IdentityError("BAD_INPUT", `not a bytes32: ${h}`);
  return hexToBytes(h);
}

const DOMAIN_TYPEHASH = keccak(utf8("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"));
const BIND_TYPEHASH = keccak(utf8("BindDevice(address owner,uint256 nonce,uint256 deadline)"));
const PROVISION_TYPEHASH = keccak(utf8("ProvisionDevice(address maker,uint256 deadline)"));
const ROTATE_TYPEHASH = keccak(utf8("RotateKey(uint256 deviceId,bytes32 newKeyId,uint256 keyIndex,uint256 deadline)"));

export function registryDomainSeparator(d: RegistryDomain): Uint8Array {
  return keccak(
    DOMAIN_TYPEHASH,
    keccak(utf8(REGISTRY_EIP712_NAME)),
    keccak(utf8(REGISTRY_EIP712_VERSION)),
    word(d.chainId),
    addressWord(d.verifyingContract),
  );
}

function typedDigest(d: RegistryDomain, structHash: Uint8Array): Uint8Array {
  return keccak(Uint8Array.of(0x19, 0x01), registryDomainSeparator(d), structHash);
}

export interface BindMessage {
  owner: `0x${string}`;
  nonce: bigint;
  deadline: bigint;
}

export interface ProvisionMessage {
  /** The maker that will send `provisionDevices`. */
  maker: `0x${string}`;
  deadline: bigint;
}

export interface RotateMessage {
  deviceId: bigint;
  newKeyId: `0x${string}`;
  /** Index the new key takes in the history = current key count. */
  keyIndex: bigint;
  deadline: bigint;
}

/** Digest a device key signs to consent to being bound to `owner` (same as `bindDigest` on-chain). */
export function bindDigest(d: RegistryDomain, m: BindMessage): Uint8Array {
  return typedDigest(d, keccak(BIND_TYPEHASH, addressWord(m.owner), word(m.nonce), word(m.deadline)));
}

/** Digest a device key signs to consent to being provisioned by `maker` (same as `provisionDigest` on-chain). */
export function provisionDigest(d: RegistryDomain, m: ProvisionMessage): Uint8Array {
  return typedDigest(d, keccak(PROVISION_TYPEHASH, addressWord(m.maker), word(m.deadline)));
}

/** Device-side signature of a provisioning message: the proof that the maker holds the device. */
export function signProvision(key: DeviceKeyPair, d: RegistryDomain, m: ProvisionMessage): `0x${string}` {
  return signDigest(key, provisionDigest(d, m));
}

/** Digest the old and new keys sign for a rotation (same as `rotationDigest` on-chain). */
export function rotationDigest(d: RegistryDomain, m: RotateMessage): Uint8Array {
  return typedDigest(d, keccak(ROTATE_TYPEHASH, word(m.deviceId), bytes32Word(m.newKeyId), word(m.keyIndex), word(m.deadline)));
}

/** Device-side signature of a bind message (secp256k1 r‖s‖v or P-256 r‖s, low s). */
export function signBind(key: DeviceKeyPair, d: RegistryDomain, m: BindMessage): `0x${string}` {
  return signDigest(key, bindDigest(d, m));
}

/** Signature of a rotation message by the old or the new key. */
export function signRotation(key: DeviceKeyPair, d: RegistryDomain, m: RotateMessage): `0x${string}` {
  return signDigest(key, rotationDigest(d, m));
}

/** Arguments of `bindDevice` / one item of `bindDevices`, in the contract's field order. */
export interface BindRequest {
  keyType: number;
  publicKey: `0x${string}`;
  makerRoot: `0x${string}`;
  proof: `0x${string}`[];
  nonce: bigint;
  deadline: bigint;
  signature: `0x${string}`;
}

/**
 * Builds a complete bind request for a device whose private key is at hand (a simulated device,
 * or a factory station acting for the device). Real devices sign `bindDigest` themselves and the
 * owner assembles the request from the returned signature.
 */
export function makeBindRequest(device: DeviceKeyPair, tree: KeyTree, d: RegistryDomain, m: BindMessage): BindRequest {
  const pub = publicKeyOf(device);
  return {
    keyType: KEY_TYPE_CODE[device.type],
    publicKey: pub.publicKey,
    makerRoot: tree.root,
    proof: tree.proof(pub),
    nonce: m.nonce,
    deadline: m.deadline,
    signature: signBind(device, d, m),
  };
}

/** One item of `provisionDevices`, in the contract's field order. */
export interface ProvisionRequest {
  keyType: number;
  publicKey: `0x${string}`;
  makerRoot: `0x${string}`;
  proof: `0x${string}`[];
  deadline: bigint;
  signature: `0x${string}`;
}

/**
 * Builds a provisioning item for a device whose key is at hand (the maker's factory station, where
 * the device signs `provisionDigest` during manufacture). A device that signs on its own secure
 * element returns the signature, and the maker fills it in with the same fields.
 */
export function makeProvisionRequest(
  device: DeviceKeyPair,
  tree: KeyTree,
  d: RegistryDomain,
  m: ProvisionMessage,
): ProvisionRequest {
  const pub = publicKeyOf(device);
  return {
    keyType: KEY_TYPE_CODE[device.type],
    publicKey: pub.publicKey,
    makerRoot: tree.root,
    proof: tree.proof(pub),
    deadline: m.deadline,
    signature: signProvision(device, d, m),
  };
}

// ------------------------------------------------------------------ device account (ERC-1271)

export const DEVICE_ACCOUNT_EIP712_NAME = "DePIN Device Account";
export const DEVICE_ACCOUNT_EIP712_VERSION = "1";
const DEVICE_ACCOUNT_MESSAGE_TYPEHASH = keccak(utf8("DeviceAccountMessage(bytes32 hash)"));

/**
 * The digest a device account's controller signs so that `account.isValidSignature(hash, sig)`
 * accepts it (same as `DeviceAccount.messageDigest(hash)`): `hash` wrapped as EIP-712
 * `DeviceAccountMessage(bytes32 hash)` in the account's own domain, so the signature is valid for
 * that account only. When the controller is itself a device account, wrap again for it.
 */
export function deviceAccountMessageDigest(chainId: bigint, account: `0x${string}`, hash: `0x${string}`): Uint8Array {
  const domain = keccak(
    DOMAIN_TYPEHASH,
    keccak(utf8(DEVICE_ACCOUNT_EIP712_NAME)),
    keccak(utf8(DEVICE_ACCOUNT_EIP712_VERSION)),
    word(chainId),
    addressWord(account),
  );
  return keccak(Uint8Array.of(0x19, 0x01), domain, keccak(DEVICE_ACCOUNT_MESSAGE_TYPEHASH, bytes32Word(hash)));
}
