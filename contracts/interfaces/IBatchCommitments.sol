// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IBatchCommitments
/// @notice Read-only view of the data-availability layer (contracts/da) that settlement depends
/// on: a reward proof is accepted only against a batch that is committed, unchallenged and past
/// its challenge window.
interface IBatchCommitments {
    enum BatchStatus {
        None,
        Committed,
        Invalidated
    }

    /// @param root 4-ary Poseidon Merkle root of the batch's reading leaves (sdk merkleRoot).
    /// @param leafCount number of readings (slots count..4^depth-1 hold zero leaves).
    /// @param depth number of 4-ary tree levels; capacity 4^depth.
    /// @param epoch reward epoch the batch belongs to.
    /// @param committedAt block timestamp of the commitment.
    /// @param sequencer the sequencer that committed it (penalised if invalidated).
    /// @param status Committed, or Invalidated by a successful challenge.
    struct Batch {
        uint256 root;
        uint32 leafCount;
        uint8 depth;
        uint64 epoch;
        uint64 committedAt;
        address sequencer;
        BatchStatus status;
    }

    /// @notice The stored commitment of `batchId` (status None if never committed).
    function getBatch(uint256 batchId) external view returns (Batch memory);

    /// @notice True when the batch is committed, not invalidated and its challenge window is over,
    /// so its contents may be settled.
    function isFinal(uint256 batchId) external view returns (bool);

    /// @notice Seconds a newly committed batch can be challenged before it becomes final. A
    /// consumer's settlement delay must exceed it (see IBatchConsumer), or batches of an epoch
    /// could become final only after the epoch has closed.
    function challengeWindow() external view returns (uint64);
}

/// @title IBatchConsumer
/// @notice What the data-availability layer asks of the contract that settles its batches (the
/// RewardDistributor): an epoch closes `settlementDelay()` seconds after it ends, and batches of
/// an epoch are settled only once final, so the DA layer's challenge window must stay below that
/// delay. The DA contract reads it whenever its challenge window or its consumer changes.
interface IBatchConsumer {
    /// @notice Seconds after an epoch's end before the epoch can close.
    function settlementDelay() external view returns (uint64);
}
