import { keyPairFromPrivate, signReading, type Reading, type SignedReading } from "../../sdk/src/index.js";

/** Test network id and a fixed epoch clock shared by the circuit and contract tests. */
export const NETWORK_ID = 31337n;
export const GENESIS = 1_767_225_600n; // 2026-01-01T00:00:00Z
export const EPOCH_LENGTH = 3600n;

/** Deterministic device key (test only): private key = keccak-free counter pattern. */
function keyFor(deviceId: bigint) {
  const hex = (deviceId + 1n).toString(16).padStart(64, "0");
  return keyPairFromPrivate("secp256k1", `0x${hex}`);
}

/** Signs `r` with the device's deterministic test key. */
export function signed(r: Reading): SignedReading {
  return signReading(NETWORK_ID, keyFor(r.deviceId), r);
}

export interface ReadingSpec {
  deviceId: bigint;
  value: bigint;
  /** Seconds from the epoch window's start (may be negative or past the end). */
  offset: bigint;
}

/** Signed readings of epoch `epoch` from specs, seq numbered per device. */
export function batchOf(epoch: bigint, specs: ReadingSpec[]): SignedReading[] {
  const seqs = new Map<bigint, bigint>();
  const start = GENESIS + epoch * EPOCH_LENGTH;
  return specs.map((s) => {
    const seq = seqs.get(s.deviceId) ?? 0n;
    seqs.set(s.deviceId, seq + 1n);
    return signed({ deviceId: s.deviceId, seq, timestamp: start + s.offset, value: s.value });
  });
}

/** `n` readings spread over `devices` devices, all earning under [10, 1000]. */
export function earningBatch(epoch: bigint, n: number, devices: bigint[]): SignedReading[] {
  return batchOf(
    epoch,
    Array.from({ length: n }, (_, i) => ({ deviceId: devices[i % devices.length], value: 100n + BigInt(i), offset: BigInt(i) })),
  );
}
