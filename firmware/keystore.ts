/**
 * Device key storage on a Linux-class device: one JSON file, created with mode 0600, written
 * atomically (temp file + rename). Holds the key type, private key and device id. Devices with a
 * secure element keep the private key there instead and implement `DeviceSigner` themselves.
 */
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { generateKeyPair, keyPairFromPrivate, type DeviceKeyPair, type KeyType } from "../sdk/src/index.js";

export interface StoredKey {
  deviceId: string;
  type: KeyType;
  privateKey: `0x${string}`;
  publicId: `0x${string}`;
}

export function saveKey(file: string, deviceId: bigint, key: DeviceKeyPair): void {
  const body: StoredKey = { deviceId: deviceId.toString(), type: key.type, privateKey: key.privateKey, publicId: key.publicId };
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify(body, null, 2) + "\n", { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

export function loadKey(file: string): { deviceId: bigint; key: DeviceKeyPair } {
  const raw = JSON.parse(readFileSync(file, "utf8")) as StoredKey;
  if (raw.type !== "secp256k1" && raw.type !== "p256") throw new Error(`${file}: unknown key type ${String(raw.type)}`);
  const key = keyPairFromPrivate(raw.type, raw.privateKey);
  if (key.publicId.toLowerCase() !== raw.publicId.toLowerCase())
    throw new Error(`${file}: public id does not match the private key`);
  return { deviceId: BigInt(raw.deviceId), key };
}

/** Loads the key file, or generates and saves a new key of `type` if there is none. */
export function loadOrCreateKey(file: string, deviceId: bigint, type: KeyType): DeviceKeyPair {
  if (existsSync(file)) {
    const k = loadKey(file);
    if (k.deviceId !== deviceId) throw new Error(`${file} belongs to device ${k.deviceId}, not ${deviceId}`);
    return k.key;
  }
  const key = generateKeyPair(type);
  saveKey(file, deviceId, key);
  return key;
}
