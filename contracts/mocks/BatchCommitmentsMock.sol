// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IBatchCommitments} from "../interfaces/IBatchCommitments.sol";

/// @title BatchCommitmentsMock
/// @notice TEST ONLY. An IBatchCommitments with free setters (a double of the DA layer in
/// contracts/da), so settlement can be tested apart from the real commitment contract.
contract BatchCommitmentsMock is IBatchCommitments {
    mapping(uint256 batchId => Batch) private _batches;
    mapping(uint256 batchId => bool) private _final;

    /// @notice Records a committed batch (status Committed, committedAt now, not final yet).
    function commit(uint256 batchId, uint256 root, uint32 leafCount, uint8 depth, uint64 epoch) external {
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

    /// @notice Marks the batch's challenge window over (or not).
    function setFinal(uint256 batchId, bool isFinal_) external {
        _final[batchId] = isFinal_;
    }

    /// @notice Marks the batch invalidated, as a successful challenge would.
    function invalidate(uint256 batchId) external {
        _batches[batchId].status = BatchStatus.Invalidated;
    }

    /// @inheritdoc IBatchCommitments
    function getBatch(uint256 batchId) external view returns (Batch memory) {
        return _batches[batchId];
    }

    /// @inheritdoc IBatchCommitments
    function isFinal(uint256 batchId) external view returns (bool) {
        return _final[batchId] && _batches[batchId].status == BatchStatus.Committed;
    }
}
