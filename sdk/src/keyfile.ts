/**
 * The device key file: ONE format shared by `identity keygen` (writes it), the maker and owner
 * commands (`maker-root`, `provision`, `bind`, `rotate` read it) and `firmware simulate --keys`
 * (signs readings with it). It holds private keys, so tools write it with mode 0600; private keys
 * are never taken on the command line.
 *
 *   {
 *     "format": "depin-device-keys",
 *     "version": 1,
 *     "devices": [
 *       { "type": "secp256k1" | "p256",
 *         "privateKey": "0x…32 bytes",          // optional: absent in a public list
 *         "publicId": "0x…",                   // 20-byte address (secp256k1) or 64-byte x‖y (P-256)
 *         "deviceId": "1" }                    // optional: registry id, filled in by `identity bind`
 *     ]
 *   }
 *
 * Parsing and formatting only (no file system), so browsers and devices can use it too.
 */
import { keyPairFromPrivate, type DeviceKeyPair, type KeyType } from "./signing.js";

export const KEY_FILE_FORMAT = "depin-device-keys";
export const KEY_FILE_VERSION = 1;

/** One device of a key file. */
export interface KeyFileEntry {
  type: KeyType;
  publicId: `0x${string}`;
  privateKey?: `0x${string}`;
  /** The registry's device id, once bound (decimal string). */
  deviceId?: string;
}

export interface KeyFile {
  format: typeof KEY_FILE_FORMAT;
  version: typeof KEY_FILE_VERSION;
  devices: KeyFileEntry[];
}

export class KeyFileError extends Error {
  override name = "KeyFileError";
}

/** True when `raw` (parsed JSON) looks like a versioned key file (whatever its version). */
export function isKeyFile(raw: unknown): boolean {
  return typeof raw === "object" && raw !== null && (raw as { format?: unknown }).format === KEY_FILE_FORMAT;
}

/** Validates a parsed key file; derives and checks each publicId against its privateKey. */
export function parseKeyFile(raw: unknown, source = "key file"): KeyFile {
  const bad = (why: string): never => {
    throw new KeyFileError(`${source}: ${why}`);
  };
  if (!isKeyFile(raw)) bad(`"format" must be "${KEY_FILE_FORMAT}"`);
  const r = raw as { version?: unknown; devices?: unknown };
  if (r.version !== KEY_FILE_VERSION) bad(`"version" must be ${KEY_FILE_VERSION} (got ${String(r.version)})`);
  if (!Array.isArray(r.devices)) return bad(`"devices" must be an array`);
  const devices = (r.devices as Record<string, unknown>[]).map((d, i): KeyFileEntry => {
    const where = `devices[${i}]`;
    if (d.type !== "secp256k1" && d.type !== "p256") bad(`${where}.type must be secp256k1 or p256 (got ${String(d.type)})`);
    const type = d.type as KeyType;
    let publicId = d.publicId as `0x${string}` | undefined;
    const privateKey = d.privateKey as `0x${string}` | undefined;
    if (privateKey !== undefined) {
      if (typeof privateKey !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(privateKey))
        bad(`${where}.privateKey must be 32 bytes hex`);
      const derived = keyPairFromPrivate(type, privateKey).publicId;
      if (publicId !== undefined && publicId.toLowerCase() !== derived.toLowerCase())
        bad(`${where}.publicId does not match its privateKey`);
      publicId = derived;
    }
    if (typeof publicId !== "string" || !/^0x([0-9a-fA-F]{40}|[0-9a-fA-F]{128})$/.test(publicId))
      return bad(`${where}.publicId must be a 20-byte address or 64-byte x‖y`);
    const entry: KeyFileEntry = { type, publicId };
    if (privateKey !== undefined) entry.privateKey = privateKey;
    if (d.deviceId !== undefined && d.deviceId !== null) {
      if (!/^[1-9][0-9]*$/.test(String(d.deviceId))) bad(`${where}.deviceId must be a positive integer`);
      entry.deviceId = String(d.deviceId);
    }
    return entry;
  });
  return { format: KEY_FILE_FORMAT, version: KEY_FILE_VERSION, devices };
}

/** A key file of the given key pairs (private keys included). */
export function keyFileOf(keys: (DeviceKeyPair & { deviceId?: bigint | string })[]): KeyFile {
  return {
    format: KEY_FILE_FORMAT,
    version: KEY_FILE_VERSION,
    devices: keys.map((k) => ({
      type: k.type,
      privateKey: k.privateKey,
      publicId: k.publicId,
      ...(k.deviceId !== undefined ? { deviceId: String(k.deviceId) } : {}),
    })),
  };
}

/** The JSON text of a key file (write it with mode 0600). */
export function formatKeyFile(file: KeyFile): string {
  return JSON.stringify(file, null, 2) + "\n";
}

/** The signing key pair of an entry; throws if the entry holds no private key. */
export function keyPairOf(entry: KeyFileEntry, source = "key file"): DeviceKeyPair {
  if (!entry.privateKey) throw new KeyFileError(`${source}: device ${entry.publicId} has no privateKey`);
  return keyPairFromPrivate(entry.type, entry.privateKey);
}
