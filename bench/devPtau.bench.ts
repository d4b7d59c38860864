import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { writeDevPtau } from "../tools/circuits/dev-ptau.js";
import type { BenchSuite, Figure } from "./types.js";

/**
 * Wall time of the INSECURE development Powers of Tau generator (tools/circuits/dev-ptau.ts).
 * Reference on this 2-core machine: snarkjs `powersoftau new` + `prepare phase2` took ~2 min at
 * 2^12 and ~8.5 min at 2^14 (docs/dev-ptau.md).
 */
const suite: BenchSuite = {
  name: "devPtau",
  async run(ctx) {
    const powers = ctx.quick ? [10] : [12, 14];
    const dir = await mkdtemp(path.join(os.tmpdir(), "dev-ptau-bench-"));
    const figures: Figure[] = [];
    try {
      for (const power of powers) {
        ctx.log(`dev-ptau 2^${power}`);
        const started = performance.now();
        await writeDevPtau(power, path.join(dir, `dev${power}.ptau`));
        figures.push({
          key: `devPtau${power}Seconds`,
          label: `dev ptau 2^${power} (prepared, INSECURE)`,
          value: Number(((performance.now() - started) / 1000).toFixed(2)),
          unit: "s",
          note: power === 12 ? "snarkjs new+prepare: ~120 s" : power === 14 ? "snarkjs new+prepare: ~510 s" : undefined,
        });
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    return figures;
  },
};

export default suite;
