/**
 * Reward circuit instances as the prover uses them: shape (depth, device slots) read from the
 * instance's main component (`RewardRule(DEPTH, SLOTS)`), build outputs from the circuit
 * pipeline (tools/circuits: wasm, zkey, verification key).
 */
import { existsSync } from "node:fs";
import type { RewardCircuitShape } from "../../sdk/src/index.js";
import { artifactsOf, loadManifest } from "../../sdk/src/config/circuits.js";
import { rewardInstanceShapes } from "../common/circuits.js";

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
  const r = rewardInstanceShapes().find((i) => i.name === name);
  if (!r) throw new Error(`${c.main} is not a RewardRule(DEPTH, SLOTS) instance`);
  const art = artifactsOf(name, buildDir);
  for (const f of [art.wasm, art.zkey]) {
    if (!existsSync(f)) throw new Error(`${name}: ${f} is missing; run \`npm run build:circuits -- --only ${name}\``);
  }
  return {
    name,
    shape: r.shape,
    wasm: art.wasm,
    zkey: art.zkey,
  };
}
