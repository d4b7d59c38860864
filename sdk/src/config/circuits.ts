import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** Repository root (sdk/src/config/ is three levels below it). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const BUILD_DIR = path.join(ROOT, "build", "circuits");
export const VERIFIERS_DIR = path.join(ROOT, "contracts", "verifiers");

/** Prepared ptau files are cached outside the repository (they are large and random). */
export const PTAU_CACHE_DIR = process.env.DEPIN_PTAU_DIR ?? path.join(os.homedir(), ".cache", "depin-kit", "ptau");

export interface CircuitInstance {
  name: string;
  /** Path of the main component file, relative to the repository root. */
  main: string;
  /** Solidity contract name of the generated verifier. */
  verifier: string;
  publicSignals: string[];
  /** Built by `npm test` when missing (small instances only). */
  ci: boolean;
}

export function loadManifest(): CircuitInstance[] {
  const raw = JSON.parse(readFileSync(path.join(ROOT, "circuits", "circuits.json"), "utf8")) as { instances: CircuitInstance[] };
  const seen = new Set<string>();
  for (const c of raw.instances) {
    if (!/^[a-z0-9_]+$/.test(c.name)) throw new Error(`circuits.json: bad instance name ${JSON.stringify(c.name)}`);
    if (seen.has(c.name)) throw new Error(`circuits.json: duplicate instance ${c.name}`);
    if (!/^[A-Z][A-Za-z0-9]*$/.test(c.verifier)) throw new Error(`circuits.json: ${c.name}: bad verifier name ${c.verifier}`);
    seen.add(c.name);
  }
  return raw.instances;
}

/** Where an instance's build outputs live. */
export function artifactsOf(name: string, buildDir = BUILD_DIR) {
  const dir = path.join(buildDir, name);
  return {
    dir,
    r1cs: path.join(dir, `${name}.r1cs`),
    wasm: path.join(dir, `${name}_js`, `${name}.wasm`),
    zkey: path.join(dir, `${name}.zkey`),
    vkey: path.join(dir, `${name}.vkey.json`),
    info: path.join(dir, `${name}.info.json`),
  };
}

export function verifierPath(c: CircuitInstance, dir = VERIFIERS_DIR): string {
  return path.join(dir, `${c.verifier}.sol`);
}
