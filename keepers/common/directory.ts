/**
 * The identity layer as keepers read it (IDeviceDirectory): device status and the key history
 * with validity windows. One reader for the bridge (which caches it) and the watcher (which judges
 * committed leaves as of their commit).
 */
import type { Contract } from "ethers";
import type { KeyType } from "../../sdk/src/index.js";

/** Mirrors IDeviceDirectory.DeviceStatus. */
export enum DeviceStatus {
  None = 0,
  Provisioned = 1,
  Bound = 2,
  Active = 3,
  Suspended = 4,
  Decommissioned = 5,
}

export interface DeviceKeyInfo {
  type: KeyType;
  /** secp256k1: 20-byte address; p256: 64-byte x‖y (0x-hex, lower case). */
  publicId: string;
  validFrom: bigint;
  /** 0 while in force. */
  revokedAt: bigint;
}

export const DEVICE_DIRECTORY_ABI = [
  "function deviceStatus(uint256 deviceId) view returns (uint8)",
  "function keyCount(uint256 deviceId) view returns (uint256)",
  "function keyAt(uint256 deviceId, uint256 index) view returns (tuple(uint8 keyType, bytes publicKey, uint64 validFrom, uint64 revokedAt))",
] as const;

/** Every key the device ever had, oldest first, as the registry records them. */
export async function readDeviceKeys(directory: Contract, deviceId: bigint): Promise<DeviceKeyInfo[]> {
  const n = Number(await directory.keyCount(deviceId));
  const raw = (await Promise.all(Array.from({ length: n }, (_, i) => directory.keyAt(deviceId, i)))) as {
    keyType: bigint;
    publicKey: string;
    validFrom: bigint;
    revokedAt: bigint;
  }[];
  return raw.map((k) => ({
    type: Number(k.keyType) === 0 ? "secp256k1" : "p256",
    publicId: k.publicKey.toLowerCase(),
    validFrom: BigInt(k.validFrom),
    revokedAt: BigInt(k.revokedAt),
  }));
}
