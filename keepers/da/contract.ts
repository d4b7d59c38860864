/**
 * The DA contract as the keepers see it: the keeper-facing call of contracts/da plus the
 * IBatchCommitments view. Kept as an ABI fragment so the keeper does not depend on the contract's
 * build; the signature is fixed across layers:
 *   commitBatch(uint256 batchId, uint256 root, uint32 leafCount, uint8 depth, uint64 epoch, string uri)
 * where batchId must be nextBatchId() (consecutive from 1: never skipped, never twice), the root
 * must not have been committed before, and the sequencer's bond must cover one more open batch
 * (every batch locks slashAmount until its challenge window ends). The refusals the keeper acts on
 * are listed so that ethers decodes them.
 */
import { Contract, Interface, type ContractRunner } from "ethers";
import { decodeRevert } from "../common/errors.js";

export const BATCH_COMMITMENTS_ABI = [
  "function commitBatch(uint256 batchId, uint256 root, uint32 leafCount, uint8 depth, uint64 epoch, string uri)",
  "function nextBatchId() view returns (uint256)",
  "function getBatch(uint256 batchId) view returns (tuple(uint256 root, uint32 leafCount, uint8 depth, uint64 epoch, uint64 committedAt, address sequencer, uint8 status))",
  "error DataAvailabilityUnexpectedBatchId(uint256 batchId, uint256 expected)",
  "error DataAvailabilityNotSequencer(address account)",
  "error DataAvailabilityNotBonded(address sequencer, uint256 bond, uint256 minBond)",
  "error DataAvailabilityBondLocked(address sequencer, uint256 bond, uint256 openBatches, uint256 required)",
  "error DataAvailabilityRootAlreadyCommitted(uint256 root, uint256 firstBatchId)",
] as const;

/**
 * Refusals that another try in the same tick cannot cure: the keeper stops committing until the next
 * tick (a bond lock ends when a batch's challenge window does; the others need an operator).
 */
export const WAIT_FOR_NEXT_TICK = new Set([
  "DataAvailabilityNotSequencer",
  "DataAvailabilityNotBonded",
  "DataAvailabilityBondLocked",
  "DataAvailabilityRootAlreadyCommitted",
]);

const IFACE = new Interface(BATCH_COMMITMENTS_ABI);

/**
 * A DA revert by name with its named arguments (the kit's one decoder, keepers/common/errors.ts):
 * this file's ABI first, so the keeper needs no contract build; then every compiled contract's.
 */
export function revertOf(e: unknown): { name: string; args: Record<string, string> } | null {
  const d = decodeRevert(e, IFACE) ?? decodeRevert(e);
  return d ? { name: d.name, args: d.named } : null;
}

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
