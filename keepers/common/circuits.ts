/**
 * Reward circuit instances of circuits/circuits.json and their shapes (batch depth, device
 * slots), read from each instance's main component `RewardRule(DEPTH, SLOTS)`. The prover needs
 * the shape of the instance it proves with; the sequencer needs the device slots of the instance
 * that will prove its batches, so that it never seals a batch the circuit cannot take.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import type { RewardCircuitShape } from "../../sdk/src/index.js";
import { loadManifest, ROOT } from "../../sdk/src/config/circuits.js";

export interface RewardInstanceShape {
  name: string;
  main: string;
  shape: RewardCircuitShape;
}

/** Every RewardRule instance of the manifest, in manifest order. */
export function rewardInstanceShapes(): RewardInstanceShape[] {
  return loadManifest().flatMap((c) => {
    const m = /RewardRule\(\s*(\d+)\s*,\s*(\d+)\s*\)/.exec(readFileSync(path.join(ROOT, c.main), "utf8"));
    return m ? [{ name: c.name, main: c.main, shape: { depth: Number(m[1]), slots: Number(m[2]) } }] : [];
  });
}

/** Device slots of the reward instance for batches of `depth`, or null when none has that depth. */
export function rewardSlotsForDepth(depth: number): number | null {
  return rewardInstanceShapes().find((i) => i.shape.depth === depth)?.shape.slots ?? null;
}
