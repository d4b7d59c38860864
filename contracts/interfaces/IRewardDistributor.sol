// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IBatchCommitments} from "./IBatchCommitments.sol";
import {IDeviceDirectory} from "./IDeviceDirectory.sol";

/// @title IRewardDistributor
/// @notice Settlement of reward proofs and pro-rata payout of each epoch's emission (docs/rewards.md).
///
/// Flow: a DA batch becomes final (committed, unchallenged, challenge window over) → anyone
/// settles it with a Groth16 proof that the per-device points are the network's reward rule
/// applied to exactly the readings under the batch's root → the points are credited to the
/// batch's epoch → once the epoch's settlement deadline (epoch end + settlement delay) has
/// passed, anyone (or Chainlink Automation) closes it, which mints the epoch's emission to this
/// contract → owners or device accounts claim points × emission / totalPoints (rounded down).
///
/// Ordering that keeps challenged data out: only final batches settle, so a batch invalidated by
/// a challenge never has points; an epoch closes only after its settlement deadline, and no batch
/// of a closed epoch settles, so an epoch's total is fixed before anything is paid from it.
///
/// Public signals the contract builds for the verifier (the submitter chooses none but the
/// device ids and points): [root, batchWord, ruleWord, deviceWords...] with
///   batchWord = epoch | leafCount << 64
///   ruleWord  = minValue | maxValue << 32 | capPerBatch << 64 | windowStart << 96 | windowEnd << 136
///   deviceWords[j] = id[2j] | points[2j] << 64 | id[2j+1] << 96 | points[2j+1] << 160
interface IRewardDistributor {
    /// @notice Reward rule parameters (circuits/src/reward_rule.circom): a reading earns one point
    /// when minValue <= value <= maxValue and its timestamp is in the epoch window; a device earns
    /// at most capPerBatch points per batch.
    struct RuleParams {
        uint32 minValue;
        uint32 maxValue;
        uint32 capPerBatch;
    }

    /// @notice A rule version: `params` in force from epoch `fromEpoch` until the next version.
    struct RuleVersion {
        uint64 fromEpoch;
        RuleParams params;
    }

    /// @notice The verifier of reward proofs for batches of one depth.
    /// @param verifier snarkjs Groth16 verifier with `verifyProof(uint[2],uint[2][2],uint[2],uint[3 + slots/2])`.
    /// @param slots device slots of the circuit instance (even).
    /// @param selector that verifyProof's selector (derived from `slots`).
    struct VerifierConfig {
        address verifier;
        uint16 slots;
        bytes4 selector;
    }

    /// @notice Groth16 proof in the verifier's encoding (sdk toSolidityProof).
    struct Proof {
        uint256[2] a;
        uint256[2][2] b;
        uint256[2] c;
    }

    /// @notice Points and payout of an epoch (one storage slot).
    /// @param totalPoints points credited by settled batches.
    /// @param emission tokens minted for the epoch at close (0 if it had no points).
    struct EpochTotals {
        uint128 totalPoints;
        uint128 emission;
    }

    error RewardDistributorBatchAlreadySettled(uint256 batchId);
    /// @notice The batch is unknown (status None) or was invalidated by a challenge.
    error RewardDistributorBatchNotCommitted(uint256 batchId, IBatchCommitments.BatchStatus status);
    /// @notice The batch is committed but its challenge window is not over.
    error RewardDistributorBatchNotFinal(uint256 batchId);
    /// @notice The batch's epoch is closed (its settlement deadline passed) or before the first epoch.
    error RewardDistributorEpochClosed(uint256 batchId, uint64 epoch);
    /// @notice The proof was built for another rule version than the one in force for the epoch.
    error RewardDistributorStaleRule(uint256 batchId, uint256 ruleVersion, uint256 expectedVersion);
    error RewardDistributorNoVerifier(uint8 depth);
    /// @notice claim() got `deviceIds` and `epochs` arrays of different lengths.
    error RewardDistributorLengthMismatch(uint256 deviceIds, uint256 epochs);
    /// @notice settle() needs exactly one device word per two device slots of the verifier.
    error RewardDistributorBadDeviceWords(uint256 words, uint256 expected);
    error RewardDistributorInvalidProof(uint256 batchId);
    /// @notice A device's points in one epoch would exceed 2^63 - 1 (the width of its storage lane).
    error RewardDistributorPointsOverflow(uint64 deviceId, uint64 epoch);
    /// @notice Epochs close in order: `epoch` is not the next one (`nextEpoch`).
    error RewardDistributorEpochNotNext(uint64 epoch, uint64 nextEpoch);
    /// @notice The epoch's settlement deadline has not passed.
    error RewardDistributorEpochNotClosable(uint64 epoch, uint256 closableAt);
    error RewardDistributorEpochNotClosed(uint256 index, uint64 epoch);
    error RewardDistributorDeviceNotActive(uint256 index, uint64 deviceId, IDeviceDirectory.DeviceStatus status);
    /// @notice The caller is neither the device's owner nor its reward recipient.
    error RewardDistributorNotDeviceController(uint256 index, uint64 deviceId, address caller);
    error RewardDistributorNoRecipient(uint256 index, uint64 deviceId);
    error RewardDistributorAlreadyClaimed(uint256 index, uint64 deviceId, uint64 epoch);
    error RewardDistributorNothingToClaim(uint256 index, uint64 deviceId, uint64 epoch);
    /// @notice A rule change must start after the current epoch and not before a pending change.
    error RewardDistributorRuleNotFuture(uint64 fromEpoch, uint64 minEpoch);
    error RewardDistributorBadRule(uint32 minValue, uint32 maxValue);
    error RewardDistributorBadVerifier(uint8 depth, address verifier, uint16 slots);
    /// @notice The settlement delay must exceed the DA layer's challenge window, or batches of an
    /// epoch could become final only after the epoch closed.
    error RewardDistributorSettlementDelayTooShort(uint64 settlementDelay, uint64 challengeWindow);

    event BatchSettled(uint256 indexed batchId, uint64 indexed epoch, uint256 ruleVersion, uint256 points);
    event EpochClosed(uint64 indexed epoch, uint256 totalPoints, uint256 emission);
    event RewardClaimed(
        uint64 indexed deviceId,
        uint64 indexed epoch,
        address indexed recipient,
        uint256 points,
        uint256 amount
    );
    event RuleScheduled(
        uint256 indexed version,
        uint64 fromEpoch,
        uint32 minValue,
        uint32 maxValue,
        uint32 capPerBatch
    );
    event VerifierSet(uint8 indexed depth, address verifier, uint16 slots);

    /// @notice Settles final batch `batchId` with a proof that the device points packed in
    /// `deviceWords` are the reward rule of version `ruleVersion` applied to the batch's readings.
    /// Credits each device's points to the batch's epoch. Anyone may call.
    /// @param ruleVersion the rule version the proof was built for; must be the one in force for
    /// the batch's epoch (see ruleVersionFor).
    /// @param deviceWords slots/2 words, each two (id u64, points u32) slots:
    /// id[2j] | points[2j] << 64 | id[2j+1] << 96 | points[2j+1] << 160 (sdk packDeviceWords);
    /// used slots first with strictly increasing ids, unused slots zero (the circuit enforces it).
    function settle(
        uint256 batchId,
        uint256 ruleVersion,
        uint256[] calldata deviceWords,
        Proof calldata proof
    ) external;

    /// @notice Closes `epoch` (must be the next unclosed epoch, past its settlement deadline) and
    /// mints its emission to this contract if it has points. Anyone may call.
    function closeEpoch(uint64 epoch) external;

    /// @notice Pays the rewards of each (deviceIds[i], epochs[i]) to the device's reward
    /// recipient. The caller must be the device's owner or its reward recipient; the device must
    /// be Active. Consecutive items with the same recipient are paid in one transfer.
    /// @return paid total tokens transferred.
    function claim(uint64[] calldata deviceIds, uint64[] calldata epochs) external returns (uint256 paid);

    /// @notice Schedules rule `params` from epoch `fromEpoch` (> current epoch) on (RULE_ADMIN_ROLE).
    /// Scheduling again for the same pending `fromEpoch` replaces that pending version.
    function scheduleRule(uint64 fromEpoch, RuleParams calldata params) external;

    /// @notice Sets the verifier for batches of `depth` with `slots` device slots (VERIFIER_ADMIN_ROLE).
    function setVerifier(uint8 depth, address verifier, uint16 slots) external;

    /// @notice Index of the rule version in force for `epoch`.
    function ruleVersionFor(uint64 epoch) external view returns (uint256);

    /// @notice Rule version `version`.
    function ruleVersion(uint256 version) external view returns (RuleVersion memory);

    /// @notice Number of rule versions.
    function ruleVersionCount() external view returns (uint256);

    function verifierFor(uint8 depth) external view returns (VerifierConfig memory);

    function isSettled(uint256 batchId) external view returns (bool);

    /// @notice Totals of `epoch` and whether it is closed (claimable).
    function epochInfo(uint64 epoch) external view returns (EpochTotals memory totals, bool closed);

    /// @notice Points of `deviceId` in `epoch` and whether they were claimed.
    function pointsOf(uint64 deviceId, uint64 epoch) external view returns (uint256 points, bool claimed);

    /// @notice Tokens `deviceId` can claim for closed `epoch` (0 if not closed or claimed).
    function claimable(uint64 deviceId, uint64 epoch) external view returns (uint256);

    /// @notice The next epoch to close.
    function nextEpochToClose() external view returns (uint64);

    /// @notice When `epoch` can be closed: its end plus the settlement delay.
    function closableAt(uint64 epoch) external view returns (uint256);

    /// @notice The window [start, end) of `epoch` in unix seconds.
    function epochWindow(uint64 epoch) external view returns (uint256 start, uint256 end);

    function settlementDelay() external view returns (uint64);
    function batches() external view returns (IBatchCommitments);
    function directory() external view returns (IDeviceDirectory);
    function emission() external view returns (address);
    function token() external view returns (address);
}
