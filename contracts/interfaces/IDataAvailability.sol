// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IBatchCommitments} from "./IBatchCommitments.sol";

/// @title IDataAvailability
/// @notice Data-availability commitments (DESIGN: contracts/da). A governed set of bonded
/// sequencers commits one 4-ary Poseidon Merkle root per batch of signed device readings, in strict
/// batch-id order. Batch payloads are served off-chain for a governed retention window. During a
/// governed challenge window anyone may prove that a committed leaf carries a signature that no key
/// of its device (valid at the reading's timestamp) produced: the batch is invalidated and the
/// sequencer's bond slashed, part of it paid to the challenger.
/// @dev Bonds are in native ETH (not the reward token) so that the DA layer can be deployed and
/// secured before, and independently of, the reward token.
interface IDataAvailability is IBatchCommitments {
    /// @notice A reading as the challenger presents it. Fields are uint256 so that a leaf whose
    /// fields are out of the protocol ranges (u64, u64, u40, u32) can also be challenged; each must
    /// still be below the BN254 scalar field modulus.
    struct ChallengedReading {
        uint256 deviceId;
        uint256 seq;
        uint256 timestamp;
        uint256 value;
        bytes signature;
    }

    /// @notice Bond and membership of a sequencer.
    /// @param active in the governed set (added and not removed).
    /// @param bond wei currently bonded (slashable, including while unbonding).
    /// @param unbondingSince timestamp at which unbonding started; 0 when not unbonding.
    struct Sequencer {
        bool active;
        uint256 bond;
        uint64 unbondingSince;
    }

    // ---------------------------------------------------------------- errors

    /// @notice The caller is not in the sequencer set.
    error DataAvailabilityNotSequencer(address account);
    /// @notice The sequencer is in the set but cannot commit: bond below minimum or unbonding.
    error DataAvailabilityNotBonded(address sequencer, uint256 bond, uint256 minBond);
    /// @notice Sequencer already in the set.
    error DataAvailabilitySequencerExists(address sequencer);
    /// @notice Batch ids are consecutive from 1: `batchId` was given, `expected` is next.
    error DataAvailabilityUnexpectedBatchId(uint256 batchId, uint256 expected);
    /// @notice Depth above 16, leaf count zero, or more leaves than 4^depth.
    error DataAvailabilityBadShape(uint32 leafCount, uint8 depth);
    /// @notice The payload URI is longer than MAX_URI_LENGTH bytes.
    error DataAvailabilityUriTooLong(uint256 length, uint256 maxLength);
    /// @notice A root, leaf, sibling or reading field is not below the BN254 field modulus.
    error DataAvailabilityNotFieldElement(uint256 value);
    /// @notice The batch was never committed.
    error DataAvailabilityUnknownBatch(uint256 batchId);
    /// @notice The batch has been invalidated by a successful challenge.
    error DataAvailabilityBatchInvalidated(uint256 batchId);
    /// @notice The batch's challenge window ended at `deadline`.
    error DataAvailabilityChallengeWindowClosed(uint256 batchId, uint64 deadline);
    /// @notice Leaf index outside the batch's leaves, or the number of sibling triples differs
    /// from the depth.
    error DataAvailabilityBadProofShape(uint256 batchId, uint256 index, uint256 siblings);
    /// @notice The inclusion proof does not lead to the batch root.
    error DataAvailabilityInvalidInclusionProof(uint256 batchId, uint256 index, uint256 leaf);
    /// @notice The challenged signature verifies under key number `keyIndex` of the device: the
    /// leaf is honest and the challenge fails.
    error DataAvailabilitySignatureValid(uint256 batchId, uint256 index, uint256 keyIndex);
    /// @notice Bond deposit while unbonding, or withdrawal before unbonding ends / not started.
    error DataAvailabilityUnbonding(address sequencer, uint64 unbondingSince, uint64 withdrawableAt);
    /// @notice Nothing to withdraw.
    error DataAvailabilityNothingToWithdraw(address account);
    /// @notice A governed parameter is out of range (`which` names it).
    error DataAvailabilityBadParameter(bytes32 which, uint256 value);
    /// @notice Slashed-funds withdrawal above the pool.
    error DataAvailabilityInsufficientSlashedFunds(uint256 requested, uint256 available);

    // ---------------------------------------------------------------- events

    /// @notice A batch root was committed.
    event BatchCommitted(
        uint256 indexed batchId,
        address indexed sequencer,
        uint256 root,
        uint32 leafCount,
        uint8 depth,
        uint64 indexed epoch,
        string uri
    );
    /// @notice A batch was invalidated by `challenger`'s proof that leaf `index` is forged.
    event BatchInvalidated(uint256 indexed batchId, address indexed challenger, uint256 index, uint256 leaf);
    /// @notice `sequencer` lost `slashed` wei of bond, `reward` of which went to `challenger`.
    event SequencerSlashed(
        address indexed sequencer,
        uint256 indexed batchId,
        address challenger,
        uint256 slashed,
        uint256 reward
    );
    event SequencerAdded(address indexed sequencer);
    event SequencerRemoved(address indexed sequencer);
    event BondDeposited(address indexed sequencer, uint256 amount, uint256 bond);
    event UnbondingStarted(address indexed sequencer, uint256 bond, uint64 withdrawableAt);
    event BondWithdrawn(address indexed sequencer, address to, uint256 amount);
    /// @notice A governed parameter changed (`which` is its name as a bytes32 string, e.g. "challengeWindow").
    event ParameterUpdated(bytes32 indexed which, uint256 value);
    event SlashedFundsWithdrawn(address indexed to, uint256 amount);

    // ---------------------------------------------------------------- sequencer entry points

    /// @notice Commits batch `batchId` (must equal `nextBatchId()`). Only a bonded sequencer.
    /// @param root 4-ary Poseidon Merkle root (sdk `merkleRoot`) of the reading leaves: node =
    /// Poseidon(c0, c1, c2, c3) over the four children in slot order; empty slots are 0.
    /// @param leafCount number of readings (>= 1, <= 4^depth).
    /// @param depth number of 4-ary tree levels (<= 16: 4^16 = 2^32 slots).
    /// @param epoch reward epoch the readings belong to.
    /// @param uri where the payload is served (DA API / content address), at most 512 bytes; only
    /// emitted.
    function commitBatch(
        uint256 batchId,
        uint256 root,
        uint32 leafCount,
        uint8 depth,
        uint64 epoch,
        string calldata uri
    ) external;

    /// @notice Id the next commitment must carry (starts at 1).
    function nextBatchId() external view returns (uint256);

    /// @notice True when `leaf` at `index` with `siblings` hashes to the root of `batchId`.
    /// `siblings` has one entry per tree level, leaf level first (sdk `merkleProof`): the node's 3
    /// siblings in slot order; base-4 digit d of `index` is the node's slot at level d. Reverts for
    /// an unknown or invalidated batch, a malformed proof (index >= leafCount, not `depth`
    /// levels) or a sibling at or above the field modulus.
    function verifyInclusion(
        uint256 batchId,
        uint256 leaf,
        uint256 index,
        uint256[3][] calldata siblings
    ) external view returns (bool);

    /// @notice Challenges leaf `index` of `batchId`: recomputes the leaf from `reading`, checks
    /// its inclusion, and checks the signature against every device key valid at the reading's
    /// timestamp. If none verifies, invalidates the batch and slashes its sequencer; otherwise
    /// reverts with DataAvailabilitySignatureValid. `siblings` as for `verifyInclusion`.
    function challengeSignature(
        uint256 batchId,
        ChallengedReading calldata reading,
        uint256 index,
        uint256[3][] calldata siblings
    ) external;

    /// @notice Poseidon leaf of a reading (what `challengeSignature` recomputes).
    function leafOf(ChallengedReading calldata reading) external view returns (uint256);

    /// @notice keccak256 digest a device signs for this chain (sdk `readingDigest`).
    function readingDigest(uint64 deviceId, uint64 seq, uint40 timestamp, uint32 value) external view returns (bytes32);

    /// @notice Timestamp at which the batch's challenge window ends (and it becomes final).
    function challengeDeadline(uint256 batchId) external view returns (uint64);

    /// @notice Timestamp until which the batch payload must be served by the DA API.
    function retainedUntil(uint256 batchId) external view returns (uint64);

    // ---------------------------------------------------------------- bonds

    /// @notice Adds `msg.value` to the caller's bond. Caller must be in the sequencer set.
    function depositBond() external payable;

    /// @notice Starts unbonding: the caller can no longer commit; the bond stays slashable until
    /// it is withdrawn after `unbondingDelay()`.
    function startUnbonding() external;

    /// @notice Withdraws the caller's whole remaining bond to `to` once unbonding has ended.
    function withdrawBond(address payable to) external;

    /// @notice Membership, bond and unbonding state of `account`.
    function sequencer(address account) external view returns (Sequencer memory);

    /// @notice True when `account` may commit now.
    function isBondedSequencer(address account) external view returns (bool);

    // ---------------------------------------------------------------- governance

    /// @notice Adds a sequencer to the set (SEQUENCER_ADMIN_ROLE).
    function addSequencer(address account) external;

    /// @notice Removes a sequencer from the set; its bond stays until it unbonds (SEQUENCER_ADMIN_ROLE).
    function removeSequencer(address account) external;

    /// @notice Sets the challenge window in seconds (DEFAULT_ADMIN_ROLE). Applies to batches
    /// committed afterwards. Must not exceed the retention window or the unbonding delay.
    function setChallengeWindow(uint64 seconds_) external;

    /// @notice Sets the payload retention window in seconds (>= challenge window).
    function setRetentionWindow(uint64 seconds_) external;

    /// @notice Sets the unbonding delay in seconds (>= challenge window).
    function setUnbondingDelay(uint64 seconds_) external;

    /// @notice Sets the minimum bond (wei) required to commit.
    function setMinBond(uint256 amount) external;

    /// @notice Sets the wei slashed per invalidated batch (capped at the sequencer's bond).
    function setSlashAmount(uint256 amount) external;

    /// @notice Sets the challenger's share of a slash in basis points (<= 10000).
    function setChallengerRewardBps(uint16 bps) external;

    /// @notice Sends `amount` of the slashed funds not paid to challengers to `to` (treasury).
    function withdrawSlashedFunds(address payable to, uint256 amount) external;

    /// @notice Seconds a newly committed batch can be challenged.
    function challengeWindow() external view returns (uint64);
    /// @notice Seconds a newly committed batch's payload must be served.
    function retentionWindow() external view returns (uint64);
    /// @notice Seconds between startUnbonding and withdrawBond.
    function unbondingDelay() external view returns (uint64);
    /// @notice Wei a sequencer must have bonded to commit.
    function minBond() external view returns (uint256);
    /// @notice Wei slashed from a sequencer per invalidated batch (capped at its bond).
    function slashAmount() external view returns (uint256);
    /// @notice Share of a slash paid to the challenger, in basis points.
    function challengerRewardBps() external view returns (uint16);
    /// @notice Slashed wei not paid to challengers, held for governance.
    function slashedFunds() external view returns (uint256);
    /// @notice The IDeviceDirectory whose key histories challenges are checked against.
    function deviceDirectory() external view returns (address);
    /// @notice Generated Poseidon contract with 4 inputs (nodes of the 4-ary batch tree).
    function poseidon4() external view returns (address);
    /// @notice Generated Poseidon contract with 5 inputs (reading leaves).
    function poseidon5() external view returns (address);
}
