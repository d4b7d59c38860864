/**
 * Per-device reward receipts (docs/receipts.md): the format, and the pure pieces a verifier needs
 * besides hashing and signatures — unpacking settle()'s device words, the public signals of a
 * reward proof, the payout arithmetic, why a reading earned or not, and where a Groth16 verifier's
 * key lives in its deployed code.
 */
import { packBatchWord, packRuleWord, readingEarns, type EpochWindow, type RewardRuleParams } from "./reward-rule.js";
import type { SignedReading } from "./reading.js";

export const RECEIPT_FORMAT = "depin-reward-receipt-1";

/** deviceWords[j] = id[2j] | points[2j] << 64 | id[2j+1] << 96 | points[2j+1] << 160 → used slots. */
export function unpackDeviceWords(words: readonly bigint[]): { deviceId: bigint; points: bigint }[] {
  const out: { deviceId: bigint; points: bigint }[] = [];
  const u64 = (1n << 64n) - 1n;
  const u32 = (1n << 32n) - 1n;
  for (const w of words) {
    for (let h = 0; h < 2; h++) {
      const slot = w >> BigInt(96 * h);
      const deviceId = slot & u64;
      const points = (slot >> 64n) & u32;
      if (deviceId !== 0n) out.push({ deviceId, points });
    }
  }
  return out;
}

/** The reward circuit's public signals in snarkjs order: root, batchWord, ruleWord, deviceWords. */
export function rewardPublicSignals(
  root: bigint,
  epoch: bigint,
  leafCount: bigint,
  rule: RewardRuleParams,
  window: EpochWindow,
  deviceWords: readonly bigint[],
): bigint[] {
  return [root, packBatchWord(epoch, leafCount), packRuleWord(rule, window), ...deviceWords];
}

/** RewardDistributor.claim: floor(points · emission / totalPoints). */
export function payoutOf(points: bigint, emission: bigint, totalPoints: bigint): bigint {
  return totalPoints === 0n ? 0n : (points * emission) / totalPoints;
}

export type EarnReason =
  "earned" | "capped" | "value-below-min" | "value-above-max" | "before-epoch" | "after-epoch" | "device-zero";

/**
 * Why each of one device's readings of one batch earned or not, in the given (leaf) order: the
 * first `capPerBatch` earning readings are "earned", later ones "capped" (the rule counts
 * min(earning, cap) points; which ones count is immaterial to the payout, leaf order is the
 * convention).
 */
export function earnReasons(readings: readonly SignedReading[], rule: RewardRuleParams, window: EpochWindow): EarnReason[] {
  let earned = 0n;
  return readings.map((r) => {
    if (readingEarns(r, rule, window)) {
      earned += 1n;
      return earned <= rule.capPerBatch ? "earned" : "capped";
    }
    if (r.deviceId === 0n) return "device-zero";
    if (r.value < rule.minValue) return "value-below-min";
    if (r.value > rule.maxValue) return "value-above-max";
    return r.timestamp < window.start ? "before-epoch" : "after-epoch";
  });
}

/** snarkjs Groth16 verification key (the fields a verifier contract holds). */
export interface Groth16VerificationKey {
  protocol: "groth16";
  curve: "bn128";
  nPublic: number;
  vk_alpha_1: string[];
  vk_beta_2: string[][];
  vk_gamma_2: string[][];
  vk_delta_2: string[][];
  vk_alphabeta_12?: unknown;
  IC: string[][];
}

/** The named constants of a snarkjs Groth16 verifier contract, as its template names them. */
export function verifierKeyConstants(vk: Groth16VerificationKey): Map<string, bigint> {
  const m = new Map<string, bigint>();
  m.set("alphax", BigInt(vk.vk_alpha_1[0]));
  m.set("alphay", BigInt(vk.vk_alpha_1[1]));
  // The template writes G2 coordinates swapped (x1 = c1, x2 = c0), as the precompile takes them.
  for (const [name, p] of [
    ["beta", vk.vk_beta_2],
    ["gamma", vk.vk_gamma_2],
    ["delta", vk.vk_delta_2],
  ] as const) {
    m.set(`${name}x1`, BigInt(p[0][1]));
    m.set(`${name}x2`, BigInt(p[0][0]));
    m.set(`${name}y1`, BigInt(p[1][1]));
    m.set(`${name}y2`, BigInt(p[1][0]));
  }
  vk.IC.forEach((p, i) => {
    m.set(`IC${i}x`, BigInt(p[0]));
    m.set(`IC${i}y`, BigInt(p[1]));
  });
  return m;
}

/** Every PUSH1..PUSH32 immediate of EVM runtime code, read instruction by instruction. */
export function pushedValues(code: string): Set<bigint> {
  const hex = code.replace(/^0x/, "");
  const out = new Set<bigint>();
  for (let i = 0; i < hex.length;) {
    const op = parseInt(hex.slice(i, i + 2), 16);
    i += 2;
    if (op >= 0x60 && op <= 0x7f) {
      const n = op - 0x5f;
      out.add(BigInt(`0x${hex.slice(i, i + 2 * n) || "0"}`));
      i += 2 * n;
    }
  }
  return out;
}

/** Names of the key's constants that `code` does not push (empty = the code verifies with this key). */
export function missingKeyConstants(vk: Groth16VerificationKey, code: string): string[] {
  const pushed = pushedValues(code);
  return [...verifierKeyConstants(vk)].filter(([, v]) => !pushed.has(v)).map(([k]) => k);
}
