import * as snarkjs from "snarkjs";
import {
  epochWindow,
  getPoseidon,
  rewardRuleInput,
  toSolidityProof,
  type RewardCircuitShape,
  type RewardRuleParams,
  type RewardRuleProofJob,
  type SignedReading,
  type SolidityProof,
} from "../../sdk/src/index.js";
import { artifactsOf } from "../../tools/circuits/manifest.js";
import { EPOCH_LENGTH, GENESIS } from "./readings.js";

/** Circuit instances the tests and the bench prove with (name → shape; depth in 4-ary levels). */
export const INSTANCES: Record<string, RewardCircuitShape> = {
  reward_rule_16: { depth: 2, slots: 4 },
  reward_rule_256: { depth: 4, slots: 16 },
};

export interface ProvenBatch {
  job: RewardRuleProofJob;
  proof: SolidityProof;
  readings: SignedReading[];
  epoch: bigint;
}

/** A real Groth16 proof of the reward rule for `readings` of `epoch` (default: reward_rule_16). */
export async function proveBatch(
  readings: SignedReading[],
  epoch: bigint,
  params: RewardRuleParams,
  instance = "reward_rule_16",
): Promise<ProvenBatch> {
  const h = await getPoseidon();
  const job = rewardRuleInput(h, readings, INSTANCES[instance], params, epochWindow(GENESIS, EPOCH_LENGTH, epoch), epoch);
  const art = artifactsOf(instance);
  const { proof } = await snarkjs.groth16.fullProve(job.input, art.wasm, art.zkey);
  return { job, proof: toSolidityProof(proof), readings, epoch };
}

/** settle() arguments for a proven batch (packed device words and the proof). */
export function settleArgs(p: ProvenBatch) {
  return { deviceWords: p.job.deviceWords, proof: { a: p.proof.a, b: p.proof.b, c: p.proof.c } };
}
