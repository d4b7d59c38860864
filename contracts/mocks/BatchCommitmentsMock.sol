// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IBatchCommitments} from "../interfaces/IBatchCommitments.sol";

/// @title BatchCommitmentsMock
/// @notice TEST ONLY. A double of the DA layer (contracts/da/DataAvailability) for tests that exercise
/// one side of it in isolation: the keeper-facing `commitBatch(batchId, root, leafCount, depth, epoch,
/// uri)` with its consecutive-id rule (DA keeper tests), and free setters for finality and
/// invalidation (settlement tests). No access control, no bonds, no challenges; never deploy outside
/// tests — the end-to-end tests use the real DataAvailability.
contract BatchCommitmentsMock is IBatchCommitments {
    error BatchCommitmentsMockUnexpectedBatchId(uint256 batchId, uint256 expected);

    event BatchCommitted(
        uint256 indexed batchId,
        uint256 root,
        uint32 leafCount,
        uint8 depth,
        uint64 epoch,
        string uri
    );

    mapping(uint256 batchId => Batch) private _batches;
    mapping(uint256 batchId => bool) private _final;
    uint256 private _nextBatchId = 1;

    /// @notice Records batch `batchId`; it must be exactly the next id (never skipped, never twice).
    function commitBatch(
        uint256 batchId,
        uint256 root,
        uint32 leafCount,
        uint8 depth,
        uint64 epoch,
        string calldata uri
    ) external {
        if (batchId != _nextBatchId) revert BatchCommitmentsMockUnexpectedBatchId(batchId, _nextBatchId);
        _store(batchId, root, leafCount, depth, epoch);
        _nextBatchId = batchId + 1;
        emit BatchCommitted(batchId, root, leafCount, depth, epoch, uri);
    }

    /// @notice Records a committed batch under any id (status Committed, not final yet).
    function commit(uint256 batchId, uint256 root, uint32 leafCount, uint8 depth, uint64 epoch) external {
        _store(batchId, root, leafCount, depth, epoch);
    }

    /// @notice Marks the batch's challenge window over (or not).
    function setFinal(uint256 batchId, bool isFinal_) external {
        _final[batchId] = isFinal_;
    }

    /// @notice Marks the batch invalidated, as a successful challenge would.
    function invalidate(uint256 batchId) external {
        _batches[batchId].status = BatchStatus.Invalidated;
    }

    /// @notice The id the next `commitBatch` must carry.
    function nextBatchId() external view returns (uint256) {
        return _nextBatchId;
    }

    /// @inheritdoc IBatchCommitments
    function getBatch(uint256 batchId) external view returns (Batch memory) {
        return _batches[batchId];
    }

    /// @inheritdoc IBatchCommitments
    function isFinal(uint256 batchId) external view returns (bool) {
        return _final[batchId] && _batches[batchId].status == BatchStatus.Committed;
    }

    /// @inheritdoc IBatchCommitments
    /// @dev Finality is set by hand here (setFinal), so the mock has no window: 0.
    function challengeWindow() external pure returns (uint64) {
        return 0;
    }

    function _store(uint256 batchId, uint256 root, uint32 leafCount, uint8 depth, uint64 epoch) private {
        _batches[batchId] = Batch({
            root: root,
            leafCount: leafCount,
            depth: depth,
            epoch: epoch,
            committedAt: uint64(block.timestamp),
            sequencer: msg.sender,
            status: BatchStatus.Committed
        });
    }
}
