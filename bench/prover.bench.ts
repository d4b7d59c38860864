/**
 * Prover throughput: reward proofs per minute of the prover keeper's worker pool
 * (keepers/prover/pool.ts: snarkjs witness + Groth16 per worker thread, single-threaded curve)
 * with 1 worker and with one worker per CPU (at most 4), on the same full batches of
 * reward_rule_16 (16 signed readings, 4 devices), so the ratio is the pool's scaling on this host.
 * Needs the reward_rule_16 build (`npm run build:circuits -- --only reward_rule_16`).
 */
import os from "node:os";
import {
  generateKeyPair,
  getPoseidon,
  merkleCapacity,
  rewardRuleInput,
  signReading,
  type SignedReading,
} from "../sdk/src/index.js";
import { loadRewardInstance } from "../keepers/prover/circuit.js";
import { ProverPool } from "../keepers/prover/pool.js";
import type { BenchSuite, Figure } from "./types.js";

const RULE = { minValue: 100n, maxValue: 200n, capPerBatch: 3n };
const WINDOW = { start: 1_767_225_600n, end: 1_767_225_600n + 3600n };

async function inputs(n: number, depth: number, slots: number): Promise<Record<string, unknown>[]> {
  const h = await getPoseidon();
  const keys = Array.from({ length: slots }, () => generateKeyPair("secp256k1"));
  const out: Record<string, unknown>[] = [];
  for (let b = 0; b < n; b++) {
    const readings: SignedReading[] = Array.from({ length: merkleCapacity(depth) }, (_, i) => {
      const d = i % slots;
      return signReading(31337n, keys[d], {
        deviceId: BigInt(100 + d),
        seq: BigInt(b * 100 + i),
        timestamp: WINDOW.start + BigInt(i),
        value: 100n + BigInt((b + i) % 100),
      });
    });
    out.push(rewardRuleInput(h, readings, { depth, slots }, RULE, WINDOW, 0n).input);
  }
  return out;
}

async function proofsPerMinute(workers: number, jobs: Record<string, unknown>[], wasm: string, zkey: string): Promise<number> {
  const pool = new ProverPool(workers);
  try {
    // Warm-up: one proof per worker (module load, wasm compile), not counted.
    await Promise.all(jobs.slice(0, workers).map((j) => pool.prove(j, wasm, zkey)));
    const t0 = performance.now();
    await Promise.all(jobs.map((j) => pool.prove(j, wasm, zkey)));
    return (jobs.length * 60_000) / (performance.now() - t0);
  } finally {
    await pool.close();
  }
}

const suite: BenchSuite = {
  name: "prover",
  async run(ctx) {
    const inst = loadRewardInstance("reward_rule_16");
    const many = Math.max(2, Math.min(4, os.availableParallelism()));
    const n = ctx.quick ? many : 3 * many;
    const jobs = await inputs(n, inst.shape.depth, inst.shape.slots);
    ctx.log(`prover: ${n} proofs of ${inst.name} with 1 worker, then ${many} workers`);
    const one = await proofsPerMinute(1, jobs, inst.wasm, inst.zkey);
    const pool = await proofsPerMinute(many, jobs, inst.wasm, inst.zkey);
    const figures: Figure[] = [
      {
        key: "proverOneWorker",
        label: "reward_rule_16 proofs, 1 worker",
        value: Number(one.toFixed(1)),
        unit: "proofs/min",
        note: `${n} full batches (16 readings)`,
      },
      {
        key: "proverPool",
        label: `reward_rule_16 proofs, ${many} workers`,
        value: Number(pool.toFixed(1)),
        unit: "proofs/min",
        note: `${os.availableParallelism()} CPUs, shared host`,
      },
      {
        key: "proverPoolSpeedup",
        label: "pool speed-up",
        value: Number((pool / one).toFixed(2)),
        unit: "ratio",
        note: `${many} workers vs 1`,
      },
    ];
    return figures;
  },
};

export default suite;
