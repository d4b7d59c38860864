/**
 * The DA contract as the keepers see it: the keeper-facing call of contracts/da plus the
 * IBatchCommitments view. Kept as an ABI fragment so the keeper does not depend on the contract's
 * build; the signature is fixed across layers:
 *   commitBatch(uint256 batchId, uint256 root, uint32 leafCount, uint8 depth, uint64 epoch, string uri)
 * where batchId must be nextBatchId() (consecutive from 1: never skipped, never twice).
 */
import { Contract, type ContractRunner } from "ethers";

export const BATCH_COMMITMENTS_ABI = [
  "function commitBatch(uint256 batchId, uint256 root, uint32 leafCount, uint8 depth, uint64 epoch, string uri)",
  "function nextBatchId() view returns (uint256)",
  "function getBatch(uint256 batchId) view returns (tuple(uint256 root, uint32 leafCount, uint8 depth, uint64 epoch, uint64 committedAt, address sequencer, uint8 status))",
] as const;

export interface ChainBatch {
  root: bigint;
  leafCount: bigint;
  depth: bigint;
  epoch: bigint;
  committedAt: bigint;
  sequencer: string;
  /** 0 None, 1 Committed, 2 Invalidated. */
  status: bigint;
}

export function batchCommitments(address: string, runner: ContractRunner): Contract {
  return new Contract(address, BATCH_COMMITMENTS_ABI, runner);
}
