/**
 * The bridge's view of the identity layer: is a device registered and active, and which keys
 * (with validity windows) may sign its readings. The bridge depends only on the DeviceDirectory
 * interface; OnChainDirectory reads IDeviceDirectory through ethers with a TTL cache that is
 * refreshed on expiry and on a miss (unknown devices are cached for a shorter negative TTL, so a
 * device registered a moment ago is seen quickly).
 */
import { Contract, type ContractRunner } from "ethers";
import { DEVICE_DIRECTORY_ABI, DeviceStatus, readDeviceKeys, type DeviceKeyInfo } from "../common/directory.js";

export { DEVICE_DIRECTORY_ABI, DeviceStatus, type DeviceKeyInfo };

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
    const keys = status === DeviceStatus.None ? [] : await readDeviceKeys(this.contract, deviceId);
    const info = { status, keys };
    this.cache.set(deviceId, {
      info,
      expires: this.now() + (status === DeviceStatus.None ? this.opts.negativeTtlMs : this.opts.ttlMs),
    });
    return info;
  }
}
