// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IBatchCommitments} from "../interfaces/IBatchCommitments.sol";

/// @title BatchCommitmentsMock
/// @notice TEST ONLY. Stand-in for the DA contract (contracts/da, written on another branch) with
/// the exact keeper-facing call `commitBatch(batchId, root, leafCount, depth, epoch, uri)` and its
/// consecutive-id rule, so the DA keeper is tested against the same ABI. No access control, no
/// challenges; never deploy outside tests.
contract BatchCommitmentsMock is IBatchCommitments {
    error BatchCommitmentsMockUnexpectedBatchId(uint256 batchId, uint256 expected);

    event BatchCommitted(uint256 indexed batchId, uint256 root, uint32 leafCount, uint8 depth, uint64 epoch, string uri);

    mapping(uint256 batchId => Batch) private _batches;
    uint256 private _nextBatchId = 1;

    /// @notice Records batch `batchId`; it must be exactly the next id (never skipped, never twice).
    function commitBatch(uint256 batchId, uint256 root, uint32 leafCount, uint8 depth, uint64 epoch, string calldata uri) external {
        if (batchId != _nextBatchId) revert BatchCommitmentsMockUnexpectedBatchId(batchId, _nextBatchId);
        _batches[batchId] = Batch({
            root: root,
            leafCount: leafCount,
            depth: depth,
            epoch: epoch,
            committedAt: uint64(block.timestamp),
            sequencer: msg.sender,
            status: BatchStatus.Committed
        });
        _nextBatchId = batchId + 1;
        emit BatchCommitted(batchId, root, leafCount, depth, epoch, uri);
    }

    /// @notice The id the next commitment must carry.
    function nextBatchId() external view returns (uint256) {
        return _nextBatchId;
    }

    /// @inheritdoc IBatchCommitments
    function getBatch(uint256 batchId) external view returns (Batch memory) {
        return _batches[batchId];
    }

    /// @inheritdoc IBatchCommitments
    function isFinal(uint256 batchId) external view returns (bool) {
        return _batches[batchId].status == BatchStatus.Committed;
    }
}
