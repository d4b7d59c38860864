/**
 * Reward circuit instances as the prover uses them: shape (depth, device slots) read from the
 * instance's main component (`RewardRule(DEPTH, SLOTS)`), build outputs from the circuit
 * pipeline (tools/circuits: wasm, zkey, verification key).
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { RewardCircuitShape } from "../../sdk/src/index.js";
import { artifactsOf, loadManifest, ROOT } from "../../tools/circuits/manifest.js";

export interface RewardInstance {
  name: string;
  shape: RewardCircuitShape;
  wasm: string;
  zkey: string;
}

/** Loads instance `name` of circuits/circuits.json; throws a message saying how to build it. */
export function loadRewardInstance(name: string, buildDir?: string): RewardInstance {
  const c = loadManifest().find((i) => i.name === name);
  if (!c) throw new Error(`unknown circuit instance ${JSON.stringify(name)} (circuits/circuits.json)`);
  const src = readFileSync(path.join(ROOT, c.main), "utf8");
  const m = /RewardRule\(\s*(\d+)\s*,\s*(\d+)\s*\)/.exec(src);
  if (!m) throw new Error(`${c.main} is not a RewardRule(DEPTH, SLOTS) instance`);
  const art = artifactsOf(name, buildDir);
  for (const f of [art.wasm, art.zkey]) {
    if (!existsSync(f)) throw new Error(`${name}: ${f} is missing; run \`npm run build:circuits -- --only ${name}\``);
  }
  return {
    name,
    shape: { depth: Number(m[1]), slots: Number(m[2]) },
    wasm: art.wasm,
    zkey: art.zkey,
  };
}
