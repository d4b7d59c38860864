/**
 * The settlement contracts as the prover, submitter and epoch keepers see them: the calls of
 * RewardDistributor (contracts/interfaces/IRewardDistributor.sol) and the IBatchCommitments views
 * they read. ABI fragments, so the keepers do not depend on the contracts' build.
 */
import { decodeRevert } from "./errors.js";
import { Contract, Interface, type ContractRunner } from "ethers";

export const REWARD_DISTRIBUTOR_ABI = [
  "function settle(uint256 batchId, uint256 ruleVersion, uint256[] deviceWords, tuple(uint256[2] a, uint256[2][2] b, uint256[2] c) proof)",
  "function closeEpoch(uint64 epoch)",
  "function checkUpkeep(bytes) view returns (bool upkeepNeeded, bytes performData)",
  "function isSettled(uint256 batchId) view returns (bool)",
  "function ruleVersionFor(uint64 epoch) view returns (uint256)",
  "function ruleVersion(uint256 version) view returns (tuple(uint64 fromEpoch, tuple(uint32 minValue, uint32 maxValue, uint32 capPerBatch) params))",
  "function verifierFor(uint8 depth) view returns (tuple(address verifier, uint16 slots, bytes4 selector))",
  "function epochWindow(uint64 epoch) view returns (uint256 start, uint256 end)",
  "function nextEpochToClose() view returns (uint64)",
  "function closableAt(uint64 epoch) view returns (uint256)",
  "function epochInfo(uint64 epoch) view returns (tuple(uint128 totalPoints, uint128 emission) totals, bool closed)",
  "function batches() view returns (address)",
  "error RewardDistributorBatchAlreadySettled(uint256 batchId)",
  "error RewardDistributorBatchNotCommitted(uint256 batchId, uint8 status)",
  "error RewardDistributorBatchNotFinal(uint256 batchId)",
  "error RewardDistributorEpochClosed(uint256 batchId, uint64 epoch)",
  "error RewardDistributorStaleRule(uint256 batchId, uint256 ruleVersion, uint256 expectedVersion)",
  "error RewardDistributorNoVerifier(uint8 depth)",
  "error RewardDistributorBadDeviceWords(uint256 words, uint256 expected)",
  "error RewardDistributorInvalidProof(uint256 batchId)",
  "error RewardDistributorEpochNotNext(uint64 epoch, uint64 nextEpoch)",
  "error RewardDistributorEpochNotClosable(uint64 epoch, uint256 closableAt)",
] as const;

export const BATCH_VIEWS_ABI = [
  "function getBatch(uint256 batchId) view returns (tuple(uint256 root, uint32 leafCount, uint8 depth, uint64 epoch, uint64 committedAt, address sequencer, uint8 status))",
  "function isFinal(uint256 batchId) view returns (bool)",
] as const;

export const distributorInterface = new Interface(REWARD_DISTRIBUTOR_ABI);

export function rewardDistributor(address: string, runner: ContractRunner): Contract {
  return new Contract(address, REWARD_DISTRIBUTOR_ABI, runner);
}

export function batchViews(address: string, runner: ContractRunner): Contract {
  return new Contract(address, BATCH_VIEWS_ABI, runner);
}

/** IBatchCommitments.BatchStatus. */
export const BatchStatus = { None: 0n, Committed: 1n, Invalidated: 2n } as const;

export interface ChainBatchView {
  root: bigint;
  leafCount: bigint;
  depth: bigint;
  epoch: bigint;
  committedAt: bigint;
  sequencer: string;
  status: bigint;
}

/**
 * A distributor revert by name and arguments (the kit's one decoder, keepers/common/errors.ts):
 * this file's ABI first, so the keepers need no contract build; then every compiled contract's.
 */
export function decodeDistributorError(e: unknown): { name: string; args: unknown[] } | null {
  const d = decodeRevert(e, distributorInterface) ?? decodeRevert(e);
  return d ? { name: d.name, args: d.args } : null;
}
