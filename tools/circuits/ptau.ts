import { createHash } from "node:crypto";
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import * as snarkjs from "snarkjs";
import { PTAU_CACHE_DIR } from "./manifest.js";

/**
 * Powers of Tau for development.
 *
 * INSECURE BY CONSTRUCTION: the development ptau is derived from a public beacon, so its toxic
 * waste is known to anyone. Keys built on it are for local development, tests and demos only.
 * Production keys take a real ceremony's prepared ptau (`--ptau <file>`) plus phase-2
 * contributions; see README "Production keys".
 */
export const DEV_PTAU_BEACON = createHash("sha256").update("depin-kit development beacon (INSECURE)").digest("hex");

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

export function devPtauPath(power: number): string {
  return path.join(PTAU_CACHE_DIR, `dev-bn128-${power}.ptau`);
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
  const tmp = `${out}.${process.pid}.tmp`;
  log.warn(`building INSECURE development Powers of Tau 2^${power} (cached at ${out}); this can take minutes`);
  await writeDevPtauWithSnarkjs(power, tmp, log);
  renameSync(tmp, out);
  return out;
}

async function writeDevPtauWithSnarkjs(power: number, outFile: string, log: Logger): Promise<void> {
  const curve = await snarkjs.curves.getCurveFromName("bn128");
  const f0 = `${outFile}.0`;
  const f1 = `${outFile}.1`;
  try {
    await snarkjs.powersOfTau.newAccumulator(curve, power, f0, log);
    await snarkjs.powersOfTau.beacon(f0, f1, "depin-kit INSECURE dev beacon", DEV_PTAU_BEACON, 10, log);
    await snarkjs.powersOfTau.preparePhase2(f1, outFile, log);
  } finally {
    rmSync(f0, { force: true });
    rmSync(f1, { force: true });
  }
}

/** Short identity of a ptau file for build stamps (resolved path and size detect a swap). */
export function ptauId(file: string): string {
  return createHash("sha256")
    .update(`${path.resolve(file)}:${statSync(file).size}`)
    .digest("hex")
    .slice(0, 16);
}
