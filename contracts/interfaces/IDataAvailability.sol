// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IBatchCommitments, IBatchConsumer} from "./IBatchCommitments.sol";

/// @title IDataAvailability
/// @notice Data-availability commitments (DESIGN: contracts/da). A governed set of bonded
/// sequencers commits one 4-ary Poseidon Merkle root per batch of signed device readings, in strict
/// batch-id order; a root is accepted once. Batch payloads are served off-chain for a governed
/// retention window. During a governed challenge window anyone may prove that a committed leaf
/// carries a signature that no key of its device produced (`challengeSignature`), or that a
/// reading (deviceId, seq) was committed twice (`challengeDuplicate`): the batch is invalidated and
/// the sequencer's bond slashed, part of it paid to the challenger. Every commit locks
/// `slashAmount` of the sequencer's bond until the batch's challenge deadline, so the bond covers
/// every batch that can still be challenged.
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

    /// @notice Bond and membership of a sequencer. Fields after `unbondingSince` were appended
    /// (upgrade-safe: the struct lives in a mapping); they are 0 for a sequencer that has not
    /// committed since the upgrade that added them.
    /// @param active in the governed set (added and not removed).
    /// @param bond wei currently bonded (slashable, including while unbonding).
    /// @param unbondingSince timestamp at which unbonding started; 0 when not unbonding.
    /// @param lastChallengeDeadline latest challenge deadline of the sequencer's batches: until
    /// then a batch of it can be challenged, so its bond cannot be withdrawn.
    /// @param lockedBatches batches that hold a lock of `slashAmount` on the bond as of the last
    /// commit (not invalidated, window not over). Locks are released lazily, oldest first, at the
    /// next commit: use `openBatches` for the count a commit now would see.
    /// @param oldestLockedBatch the oldest batch still in the sequencer's lock queue (0 = empty).
    /// @param newestBatch the sequencer's last batch in the lock queue (meaningful while it is not empty).
    /// @param withdrawableAt when the bond can be withdrawn, fixed at `startUnbonding`: the later
    /// of start + the unbonding delay then in force and `lastChallengeDeadline`; 0 when not unbonding.
    struct Sequencer {
        bool active;
        uint256 bond;
        uint64 unbondingSince;
        uint64 lastChallengeDeadline;
        uint32 lockedBatches;
        uint40 oldestLockedBatch;
        uint40 newestBatch;
        uint64 withdrawableAt;
    }

    /// @notice A committed leaf as a challenger presents it: its batch, its slot, the reading it
    /// hashes from, and its inclusion proof (`siblings` as for `verifyInclusion`).
    struct CommittedLeaf {
        uint256 batchId;
        uint256 index;
        ChallengedReading reading;
        uint256[3][] siblings;
    }

    // ---------------------------------------------------------------- errors

    /// @notice The caller is not in the sequencer set.
    error DataAvailabilityNotSequencer(address account);
    /// @notice The sequencer is in the set but cannot commit: bond below minimum or unbonding.
    error DataAvailabilityNotBonded(address sequencer, uint256 bond, uint256 minBond);
    /// @notice The bond does not cover one more batch: `openBatches` batches still lock
    /// `slashAmount` each, and a commit needs `required` = slashAmount x (openBatches + 1).
    error DataAvailabilityBondLocked(address sequencer, uint256 bond, uint256 openBatches, uint256 required);
    /// @notice `root` was already committed, as batch `firstBatchId`: one proof would settle both.
    error DataAvailabilityRootAlreadyCommitted(uint256 root, uint256 firstBatchId);
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
    /// @notice A duplicate challenge named the same leaf twice.
    error DataAvailabilitySameLeaf(uint256 batchId, uint256 index);
    /// @notice A duplicate challenge's two readings differ in (deviceId, seq).
    error DataAvailabilityNotDuplicate(uint256 deviceId, uint256 seq, uint256 otherDeviceId, uint256 otherSeq);
    /// @notice Bond deposit while unbonding, or withdrawal before `withdrawableAt` / unbonding not
    /// started (then both times are 0).
    error DataAvailabilityUnbonding(address sequencer, uint64 unbondingSince, uint64 withdrawableAt);
    /// @notice Nothing to withdraw.
    error DataAvailabilityNothingToWithdraw(address account);
    /// @notice A governed parameter is out of range (`which` names it).
    error DataAvailabilityBadParameter(bytes32 which, uint256 value);
    /// @notice The challenge window must stay below the batch consumer's settlement delay.
    error DataAvailabilityChallengeWindowTooLong(uint64 challengeWindow, uint64 settlementDelay);
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
    /// @notice A batch was invalidated by `challenger`'s proof that leaf `index` is forged or a
    /// duplicate.
    event BatchInvalidated(uint256 indexed batchId, address indexed challenger, uint256 index, uint256 leaf);
    /// @notice Leaf `index` of `batchId` repeats (deviceId, seq) of leaf `firstIndex` of
    /// `firstBatchId` (an earlier batch, or the same one); emitted with the BatchInvalidated of
    /// `batchId`.
    event DuplicateReadingProven(
        uint256 indexed batchId,
        uint256 index,
        uint256 indexed firstBatchId,
        uint256 firstIndex,
        uint256 deviceId,
        uint256 seq
    );
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
    /// @notice The contract that settles batches (whose settlement delay bounds the challenge
    /// window) is now `consumer` (address(0): none).
    event BatchConsumerSet(address indexed consumer);

    // ---------------------------------------------------------------- sequencer entry points

    /// @notice Commits batch `batchId` (must equal `nextBatchId()`). Only a bonded sequencer whose
    /// bond covers one more batch: bond >= max(minBond, slashAmount x (openBatches(sender) + 1)).
    /// The batch then locks `slashAmount` of the bond until its challenge deadline.
    /// @param root 4-ary Poseidon Merkle root (sdk `merkleRoot`) of the reading leaves: node =
    /// Poseidon(c0, c1, c2, c3) over the four children in slot order; empty slots are 0. A root
    /// already committed (in any batch, even an invalidated one) is refused.
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

    /// @notice The batch that committed `root` (0 if none did since the upgrade that added
    /// root uniqueness).
    function batchOfRoot(uint256 root) external view returns (uint256);

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
    /// its inclusion, and checks the signature against every device key valid for the reading as
    /// of the batch's commit: `validFrom <= timestamp`, and not revoked by then — a revocation
    /// counts only if it took effect at or before the commit (`revokedAt <= committedAt`) and the
    /// reading is stamped at or after it (`timestamp >= revokedAt`); a later rotation or
    /// decommission never invalidates the batch. If no key verifies, invalidates the batch and
    /// slashes its sequencer; otherwise reverts with DataAvailabilitySignatureValid. A reading
    /// whose fields exceed the protocol widths (u64 deviceId/seq, u40 timestamp, u32 value) is
    /// never valid. `siblings` as for `verifyInclusion`.
    function challengeSignature(
        uint256 batchId,
        ChallengedReading calldata reading,
        uint256 index,
        uint256[3][] calldata siblings
    ) external;

    /// @notice Challenges a reading committed twice: two committed leaves with the same
    /// (deviceId, seq), either at two different slots of one batch or in two batches of which the
    /// earlier (lower id) is not invalidated. Each leaf is recomputed from its reading and proven
    /// under its batch root. Invalidates the later batch (the higher id; for one batch, that batch)
    /// during its challenge window and slashes its sequencer as `challengeSignature` does. The two
    /// leaves may be given in either order; naming one leaf twice is refused.
    function challengeDuplicate(CommittedLeaf calldata a, CommittedLeaf calldata b) external;

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
    /// it is withdrawn. The withdrawal time is fixed now (emitted in UnbondingStarted): the later
    /// of now + `unbondingDelay()` and the last challenge deadline of the caller's batches.
    function startUnbonding() external;

    /// @notice Withdraws the caller's whole remaining bond to `to` once unbonding has ended and no
    /// batch of the caller can still be challenged.
    function withdrawBond(address payable to) external;

    /// @notice Membership, bond, lock queue and unbonding state of `account`.
    function sequencer(address account) external view returns (Sequencer memory);

    /// @notice Batches of `account` that lock `slashAmount` of its bond, as a commit now counts
    /// them: not invalidated, from the oldest whose challenge window has not ended on (a batch
    /// behind it whose shorter window already ended still counts until those before it end).
    function openBatches(address account) external view returns (uint256);

    /// @notice True when `account` may commit now: in the set, not unbonding, and its bond covers
    /// max(minBond, slashAmount x (openBatches + 1)).
    function isBondedSequencer(address account) external view returns (bool);

    // ---------------------------------------------------------------- governance

    /// @notice Adds a sequencer to the set (SEQUENCER_ADMIN_ROLE).
    function addSequencer(address account) external;

    /// @notice Removes a sequencer from the set; its bond stays until it unbonds (SEQUENCER_ADMIN_ROLE).
    function removeSequencer(address account) external;

    /// @notice Sets the challenge window in seconds (DEFAULT_ADMIN_ROLE). Applies to batches
    /// committed afterwards. Must not exceed the retention window or the unbonding delay, and must
    /// stay below the batch consumer's settlement delay.
    function setChallengeWindow(uint64 seconds_) external;

    /// @notice Sets the contract that settles batches (the RewardDistributor; DEFAULT_ADMIN_ROLE);
    /// address(0) for none. Refused when its settlement delay does not exceed the challenge window.
    function setBatchConsumer(IBatchConsumer consumer) external;

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
    /// @notice The contract that settles batches, whose settlement delay bounds the challenge
    /// window (address(0): none set).
    function batchConsumer() external view returns (address);
}
