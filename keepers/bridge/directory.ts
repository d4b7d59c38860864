/**
 * The bridge's view of the identity layer: is a device registered and active, and which keys
 * (with validity windows) may sign its readings. The bridge depends only on the DeviceDirectory
 * interface; OnChainDirectory reads IDeviceDirectory through ethers with a TTL cache that is
 * refreshed on expiry and on a miss (unknown devices are cached for a shorter negative TTL, so a
 * device registered a moment ago is seen quickly).
 */
import { Contract, type ContractRunner } from "ethers";
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

export interface DeviceInfo {
  status: DeviceStatus;
  keys: DeviceKeyInfo[];
}

export interface DeviceDirectory {
  /** The device's status and key history; status None for an unknown device. */
  get(deviceId: bigint): Promise<DeviceInfo>;
  /** Drops any cached entry (called when the bridge learns of a change). */
  invalidate(deviceId: bigint): void;
  /** Re-reads every cached device now (the bridge's periodic tick); returns how many. */
  refresh?(): Promise<number>;
}

export const DEVICE_DIRECTORY_ABI = [
  "function deviceStatus(uint256 deviceId) view returns (uint8)",
  "function keyCount(uint256 deviceId) view returns (uint256)",
  "function keyAt(uint256 deviceId, uint256 index) view returns (tuple(uint8 keyType, bytes publicKey, uint64 validFrom, uint64 revokedAt))",
] as const;

interface CacheEntry {
  info: DeviceInfo;
  expires: number;
}

export class OnChainDirectory implements DeviceDirectory {
  private readonly contract: Contract;
  private readonly cache = new Map<bigint, CacheEntry>();
  private readonly inflight = new Map<bigint, Promise<DeviceInfo>>();
  /** Chain reads performed (for metrics and tests). */
  reads = 0;

  constructor(
    address: string,
    runner: ContractRunner,
    private readonly opts: { ttlMs: number; negativeTtlMs: number; now?: () => number } = { ttlMs: 60_000, negativeTtlMs: 5_000 },
  ) {
    this.contract = new Contract(address, DEVICE_DIRECTORY_ABI, runner);
  }

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  async get(deviceId: bigint): Promise<DeviceInfo> {
    const hit = this.cache.get(deviceId);
    if (hit && hit.expires > this.now()) return hit.info;
    let p = this.inflight.get(deviceId);
    if (!p) {
      p = this.load(deviceId).finally(() => this.inflight.delete(deviceId));
      this.inflight.set(deviceId, p);
    }
    return p;
  }

  invalidate(deviceId: bigint): void {
    this.cache.delete(deviceId);
  }

  /**
   * Re-reads every cached device, so a revocation or decommissioning is seen within one bridge
   * tick even when the TTL is long. Entries stay usable while their refresh is in flight.
   */
  async refresh(): Promise<number> {
    const ids = [...this.cache.keys()];
    await Promise.all(ids.map((id) => this.load(id)));
    return ids.length;
  }

  private async load(deviceId: bigint): Promise<DeviceInfo> {
    this.reads++;
    const status = Number(await this.contract.deviceStatus(deviceId)) as DeviceStatus;
    const keys: DeviceKeyInfo[] = [];
    if (status !== DeviceStatus.None) {
      const n = Number(await this.contract.keyCount(deviceId));
      const raw = await Promise.all(Array.from({ length: n }, (_, i) => this.contract.keyAt(deviceId, i)));
      for (const k of raw as { keyType: bigint; publicKey: string; validFrom: bigint; revokedAt: bigint }[]) {
        keys.push({
          type: Number(k.keyType) === 0 ? "secp256k1" : "p256",
          publicId: k.publicKey.toLowerCase(),
          validFrom: BigInt(k.validFrom),
          revokedAt: BigInt(k.revokedAt),
        });
      }
    }
    const info = { status, keys };
    this.cache.set(deviceId, {
      info,
      expires: this.now() + (status === DeviceStatus.None ? this.opts.negativeTtlMs : this.opts.ttlMs),
    });
    return info;
  }
}
