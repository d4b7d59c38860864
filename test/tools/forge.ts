/**
 * The forged-proof attack on development keys (test only).
 *
 * Groth16 verifies e(A, B) = e(alpha, beta) · e(vk_x, gamma) · e(C, delta) with
 * vk_x = IC0 + Σ s_i · IC_i for the public signals s. snarkjs sets gamma to the G2 generator. Whoever
 * knows delta's discrete log d chooses A = alpha, B = beta and C = -(1/d) · vk_x: the first two
 * pairings cancel and e(vk_x, g2) · e(-vk_x / d, d · g2) = 1, for ANY public signals.
 *
 * Development keys are made by snarkjs newZKey (delta = 1) followed by one beacon contribution with
 * a public beacon (tools/circuits/build.ts DEV_ZKEY_BEACON, 2^10 rounds), so d is the beacon's
 * derived secret: recomputed here exactly as snarkjs derives it.
 */
import { createHash } from "node:crypto";
import { buildBn128, ChaCha, type BnCurve } from "ffjavascript";
import type { Groth16Proof } from "snarkjs";

export interface VerificationKey {
  vk_alpha_1: string[];
  vk_beta_2: string[][];
  vk_gamma_2: string[][];
  vk_delta_2: string[][];
  IC: string[][];
}

const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

let curvePromise: Promise<BnCurve> | undefined;
export function curve(): Promise<BnCurve> {
  curvePromise ??= buildBn128(true);
  return curvePromise;
}

/** The secret a snarkjs beacon contribution derives from (beacon hash, 2^iterationsExp sha256 rounds). */
export async function beaconSecret(beaconHex: string, iterationsExp: number): Promise<bigint> {
  if (iterationsExp >= 32) throw new Error("beaconSecret: only iterationsExp < 32 here");
  let h: Buffer = Buffer.from(beaconHex, "hex");
  for (let i = 0; i < 2 ** iterationsExp; i++) h = createHash("sha256").update(h).digest();
  const seed = Array.from({ length: 8 }, (_, i) => h.readUInt32BE(4 * i));
  const c = await curve();
  // snarkjs: prvKey = Fr.fromRng(rng); G.timesFr(P, prvKey) multiplies by Fr.toObject(prvKey).
  return c.Fr.toObject(c.Fr.fromRng(new ChaCha(seed)));
}

/** True when d · G2 is the key's delta (the attacker's check that the secret is the right one). */
export async function isDeltaOf(vkey: VerificationKey, d: bigint): Promise<boolean> {
  const c = await curve();
  return c.G2.eq(c.G2.timesScalar(c.G2.g, d), c.G2.fromObject(vkey.vk_delta_2.map((p) => p.map(BigInt))));
}

function inv(a: bigint): bigint {
  // Fermat: a^(r-2) mod r.
  let result = 1n;
  let base = ((a % R) + R) % R;
  let e = R - 2n;
  while (e > 0n) {
    if (e & 1n) result = (result * base) % R;
    base = (base * base) % R;
    e >>= 1n;
  }
  return result;
}

/** A proof of `publicSignals` for `vkey`, forged with delta's discrete log `d` (no witness). */
export async function forgeProof(vkey: VerificationKey, publicSignals: bigint[], d: bigint): Promise<Groth16Proof> {
  const c = await curve();
  const g1 = (p: string[]) => c.G1.fromObject(p.map(BigInt));
  if (publicSignals.length !== vkey.IC.length - 1) throw new Error("forgeProof: wrong number of public signals");
  let vkx = g1(vkey.IC[0]);
  publicSignals.forEach((s, i) => {
    vkx = c.G1.add(vkx, c.G1.timesScalar(g1(vkey.IC[i + 1]), s % R));
  });
  const C = c.G1.toAffine(c.G1.neg(c.G1.timesScalar(vkx, inv(d))));
  const [cx, cy] = c.G1.toObject(C) as bigint[];
  return {
    pi_a: [...vkey.vk_alpha_1.slice(0, 2), "1"],
    pi_b: [vkey.vk_beta_2[0], vkey.vk_beta_2[1], ["1", "0"]],
    pi_c: [cx.toString(), cy.toString(), "1"],
    protocol: "groth16",
    curve: "bn128",
  };
}
