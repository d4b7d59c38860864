/**
 * Device authentication at MQTT connect: username = decimal device id, password =
 * "<timestamp>.<signature>" where the device signs
 *   keccak256(abi.encodePacked(bytes6("DEPINC"), uint64 networkId, uint64 deviceId, uint40 timestamp))
 * with its current device key. The broker checks the signature against the on-chain key and the
 * timestamp against a freshness window, so a captured password expires.
 */
import { keccak_256 } from "@noble/hashes/sha3";
import { EncodingError } from "./errors.js";
import { checkUint } from "./field.js";
import { hexToBytes } from "./hex.js";
import { READING_BITS } from "./reading.js";
import { signDigest, type DeviceKeyPair } from "./signing.js";

export const CONNECT_TAG = "0x444550494e43"; // "DEPINC"

export function connectDigest(networkId: bigint, deviceId: bigint, timestamp: bigint): Uint8Array {
  checkUint("networkId", networkId, READING_BITS.networkId);
  checkUint("deviceId", deviceId, READING_BITS.deviceId);
  checkUint("timestamp", timestamp, READING_BITS.timestamp);
  const out = new Uint8Array(6 + 8 + 8 + 5);
  out.set(hexToBytes(CONNECT_TAG), 0);
  const put = (off: number, v: bigint, n: number): void => {
    for (let i = n - 1; i >= 0; i--) {
      out[off + i] = Number(v & 0xffn);
      v >>= 8n;
    }
  };
  put(6, networkId, 8);
  put(14, deviceId, 8);
  put(22, timestamp, 5);
  return keccak_256(out);
}

export function connectPassword(networkId: bigint, key: DeviceKeyPair, deviceId: bigint, timestamp: bigint): string {
  return `${timestamp}.${signDigest(key, connectDigest(networkId, deviceId, timestamp))}`;
}

export function parseConnectPassword(password: string): { timestamp: bigint; signature: `0x${string}` } {
  const m = /^(\d{1,13})\.(0x[0-9a-fA-F]{128,130})$/.exec(password);
  if (!m) throw new EncodingError("WRONG_TYPE", "connect password must be <timestamp>.<0x signature>", "password");
  return { timestamp: BigInt(m[1]), signature: m[2] as `0x${string}` };
}
