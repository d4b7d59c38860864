import { createHash } from "node:crypto";
import { existsSync, mkdirSync, statSync } from "node:fs";
import path from "node:path";
import { DEV_PTAU_DEFAULT_SEED, writeDevPtau } from "./dev-ptau.js";
import { PTAU_CACHE_DIR } from "./manifest.js";

/**
 * Powers of Tau for development.
 *
 * INSECURE BY CONSTRUCTION: the development ptau is derived from a public seed (tools/circuits/
 * dev-ptau.ts computes every point, Lagrange sections included, as scalar·generator), so its
 * toxic waste is known to anyone. Keys built on it are for local development, tests and demos
 * only. Production keys take a real ceremony's prepared ptau (`--ptau <file>`) plus phase-2
 * contributions; see README "Production keys".
 */
export interface Logger {
  info(msg: string): void;
  debug(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export function stderrLogger(prefix: string, verbose = false): Logger {
  const out = (m: string): void => void process.stderr.write(`[${prefix}] ${m}\n`);
  return { info: out, warn: out, error: out, debug: verbose ? out : () => undefined };
}

/** Smallest power p with 2^p >= n. */
export function powerFor(n: number): number {
  let p = 0;
  while (2 ** p < n) p++;
  return p;
}

/** Cache file name carries the generator version and seed, so a change never reuses stale points. */
export function devPtauPath(power: number): string {
  const tag = createHash("sha256").update(DEV_PTAU_DEFAULT_SEED).digest("hex").slice(0, 8);
  return path.join(PTAU_CACHE_DIR, `dev-v1-${tag}-bn128-${power}.ptau`);
}

/**
 * Returns a prepared development ptau of at least `power`, building and caching it if needed.
 * A cached larger one is reused (the Lagrange points for a smaller domain are in it).
 */
export async function ensureDevPtau(power: number, log: Logger): Promise<string> {
  for (let p = power; p <= 28; p++) {
    if (existsSync(devPtauPath(p))) return devPtauPath(p);
  }
  mkdirSync(PTAU_CACHE_DIR, { recursive: true });
  const out = devPtauPath(power);
  log.warn(`building INSECURE development Powers of Tau 2^${power} (cached at ${out})`);
  // writeDevPtau writes to a temporary name and renames at the end: never a half-written cache.
  await writeDevPtau(power, out, { log: (m) => log.info(m) });
  return out;
}

/** Short identity of a ptau file for build stamps (resolved path and size detect a swap). */
export function ptauId(file: string): string {
  return createHash("sha256")
    .update(`${path.resolve(file)}:${statSync(file).size}`)
    .digest("hex")
    .slice(0, 16);
}
