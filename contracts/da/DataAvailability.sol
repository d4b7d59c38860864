// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControlUpgradeable} from "@openzeppelin/contracts-upgradeable/access/AccessControlUpgradeable.sol";
import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {P256} from "@openzeppelin/contracts/utils/cryptography/P256.sol";
import {IBatchCommitments, IBatchConsumer} from "../interfaces/IBatchCommitments.sol";
import {IDataAvailability} from "../interfaces/IDataAvailability.sol";
import {IDeviceDirectory} from "../interfaces/IDeviceDirectory.sol";
import {IPoseidon4, IPoseidon5} from "../interfaces/IPoseidon.sol";

/// @title DataAvailability
/// @notice On-chain batch commitments with signature and duplicate challenges, and sequencer
/// bonds that lock per open batch. See {IDataAvailability} and docs/da.md ("Threats").
/// @dev UUPS proxy with ERC-7201 namespaced storage; upgrades are authorised by
/// DEFAULT_ADMIN_ROLE (the governance timelock). Every admin role is an AccessControl role, so
/// deployment can hand all of them to the timelock and renounce them from the deployer. The
/// reentrancy guard uses transient storage, so it holds no storage slot.
contract DataAvailability is
    IDataAvailability,
    Initializable,
    AccessControlUpgradeable,
    UUPSUpgradeable,
    ReentrancyGuardTransient
{
    /// @notice Role that adds and removes sequencers (held by the timelock).
    bytes32 public constant SEQUENCER_ADMIN_ROLE = keccak256("SEQUENCER_ADMIN_ROLE");

    /// @notice BN254 scalar field modulus: Poseidon inputs and outputs live below it.
    uint256 internal constant SNARK_SCALAR_FIELD =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// @notice Largest tree depth in 4-ary levels: 4^16 = 2^32 slots, the most a uint32 leafCount
    /// can use (same as sdk MAX_DEPTH).
    uint8 internal constant MAX_DEPTH = 16;
    /// @notice Children per node of the batch tree.
    uint256 internal constant ARITY = 4;
    uint256 internal constant BPS = 10_000;
    /// @notice Longest payload URI accepted (keeps BatchCommitted events bounded for indexers).
    uint256 public constant MAX_URI_LENGTH = 512;
    /// @notice Domain tag of signed readings: ASCII "DEPIN1" (sdk READING_TAG).
    bytes6 internal constant READING_TAG = "DEPIN1";

    /// @dev Packed commitment: 3 storage slots. `nextOfSequencer` and `locksBond` were appended
    /// (they fill slot 3; zero in batches committed before): the sequencer's batches form a
    /// singly linked FIFO (its bond lock queue) through `nextOfSequencer`, and `locksBond` marks a
    /// batch that entered that queue, so invalidating it releases its lock.
    struct BatchRecord {
        uint256 root;
        // slot 2
        address sequencer;
        uint64 committedAt;
        uint32 leafCount;
        // slot 3
        uint64 epoch;
        uint64 challengeDeadline;
        uint64 retainedUntil;
        uint8 depth;
        BatchStatus status;
        uint40 nextOfSequencer;
        bool locksBond;
    }

    /// @custom:storage-location erc7201:depin.storage.DataAvailability
    struct DataAvailabilityStorage {
        IDeviceDirectory directory;
        // Was `IPoseidon2 poseidon2` when the batch tree was binary; same slot, same type width.
        IPoseidon4 poseidon4;
        IPoseidon5 poseidon5;
        mapping(uint256 batchId => BatchRecord) batches;
        mapping(address account => Sequencer) sequencers;
        uint256 nextBatchId;
        uint64 challengeWindow;
        uint64 retentionWindow;
        uint64 unbondingDelay;
        uint16 challengerRewardBps;
        uint256 minBond;
        uint256 slashAmount;
        uint256 slashedFunds;
        // Appended (upgrade-safe): root uniqueness and the batch consumer.
        mapping(uint256 root => uint256 batchId) batchOfRoot;
        IBatchConsumer batchConsumer;
    }

    // keccak256(abi.encode(uint256(keccak256("depin.storage.DataAvailability")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_LOCATION = 0xbaa99fdab959ec4c99610e957ed4505ef09801801ab817b774bbaacb4a6f7500;

    function _s() private pure returns (DataAvailabilityStorage storage $) {
        // ERC-7201: the namespace's fixed slot; nothing else writes there.
        assembly ("memory-safe") {
            $.slot := STORAGE_LOCATION
        }
    }

    /// @notice Initial governed parameters.
    struct Params {
        uint64 challengeWindow;
        uint64 retentionWindow;
        uint64 unbondingDelay;
        uint256 minBond;
        uint256 slashAmount;
        uint16 challengerRewardBps;
    }

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @notice Initialises the proxy.
    /// @param admin receives DEFAULT_ADMIN_ROLE (also authorises upgrades) and
    /// SEQUENCER_ADMIN_ROLE: the timelock, or the deployer who hands them over.
    /// @param directory identity view used to find a device's keys.
    /// @param poseidon4_ circomlibjs Poseidon contract with 4 inputs (nodes of the 4-ary batch tree).
    /// @param poseidon5_ circomlibjs Poseidon contract with 5 inputs (reading leaves).
    /// @param params initial governed parameters.
    function initialize(
        address admin,
        IDeviceDirectory directory,
        IPoseidon4 poseidon4_,
        IPoseidon5 poseidon5_,
        Params calldata params
    ) external initializer {
        __AccessControl_init();
        DataAvailabilityStorage storage $ = _s();
        $.directory = directory;
        $.poseidon4 = poseidon4_;
        $.poseidon5 = poseidon5_;
        $.nextBatchId = 1;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(SEQUENCER_ADMIN_ROLE, admin);
        // Order matters for the cross-checks: the windows that bound the challenge window first.
        _setRetentionWindow(params.retentionWindow);
        _setUnbondingDelay(params.unbondingDelay);
        _setChallengeWindow(params.challengeWindow);
        _setMinBond(params.minBond);
        _setSlashAmount(params.slashAmount);
        _setChallengerRewardBps(params.challengerRewardBps);
    }

    /// @dev Upgrades go through governance (the timelock holds DEFAULT_ADMIN_ROLE).
    function _authorizeUpgrade(address) internal override onlyRole(DEFAULT_ADMIN_ROLE) {}

    // ================================================================ commitments

    /// @inheritdoc IDataAvailability
    function commitBatch(
        uint256 batchId,
        uint256 root,
        uint32 leafCount,
        uint8 depth,
        uint64 epoch,
        string calldata uri
    ) external {
        DataAvailabilityStorage storage $ = _s();
        Sequencer storage s = $.sequencers[msg.sender];
        if (!s.active) revert DataAvailabilityNotSequencer(msg.sender);
        if (s.unbondingSince != 0 || s.bond < $.minBond)
            revert DataAvailabilityNotBonded(msg.sender, s.bond, $.minBond);
        uint256 expected = $.nextBatchId;
        if (batchId != expected) revert DataAvailabilityUnexpectedBatchId(batchId, expected);
        if (depth > MAX_DEPTH || leafCount == 0 || uint256(leafCount) > (uint256(1) << (2 * uint256(depth)))) {
            revert DataAvailabilityBadShape(leafCount, depth);
        }
        if (root >= SNARK_SCALAR_FIELD) revert DataAvailabilityNotFieldElement(root);
        if (bytes(uri).length > MAX_URI_LENGTH) revert DataAvailabilityUriTooLong(bytes(uri).length, MAX_URI_LENGTH);
        // A root committed before would be settled again by the same proof (the proof's public
        // signals hold the root, not the batch id).
        uint256 first = $.batchOfRoot[root];
        if (first != 0) revert DataAvailabilityRootAlreadyCommitted(root, first);

        uint64 deadline = uint64(block.timestamp) + $.challengeWindow;
        _lockBond(s, batchId, deadline);
        $.batches[batchId] = BatchRecord({
            root: root,
            sequencer: msg.sender,
            committedAt: uint64(block.timestamp),
            leafCount: leafCount,
            epoch: epoch,
            challengeDeadline: deadline,
            retainedUntil: uint64(block.timestamp) + $.retentionWindow,
            depth: depth,
            status: BatchStatus.Committed,
            nextOfSequencer: 0,
            locksBond: true
        });
        $.batchOfRoot[root] = batchId;
        $.nextBatchId = expected + 1;
        emit BatchCommitted(batchId, msg.sender, root, leafCount, depth, epoch, uri);
    }

    /// @inheritdoc IDataAvailability
    function nextBatchId() external view returns (uint256) {
        return _s().nextBatchId;
    }

    /// @inheritdoc IDataAvailability
    function batchOfRoot(uint256 root) external view returns (uint256) {
        return _s().batchOfRoot[root];
    }

    /// @inheritdoc IBatchCommitments
    function getBatch(uint256 batchId) external view returns (Batch memory) {
        BatchRecord storage b = _s().batches[batchId];
        return
            Batch({
                root: b.root,
                leafCount: b.leafCount,
                depth: b.depth,
                epoch: b.epoch,
                committedAt: b.committedAt,
                sequencer: b.sequencer,
                status: b.status
            });
    }

    /// @inheritdoc IBatchCommitments
    function isFinal(uint256 batchId) external view returns (bool) {
        BatchRecord storage b = _s().batches[batchId];
        return b.status == BatchStatus.Committed && block.timestamp >= b.challengeDeadline;
    }

    /// @inheritdoc IDataAvailability
    function challengeDeadline(uint256 batchId) external view returns (uint64) {
        return _committed(batchId).challengeDeadline;
    }

    /// @inheritdoc IDataAvailability
    function retainedUntil(uint256 batchId) external view returns (uint64) {
        return _committed(batchId).retainedUntil;
    }

    /// @inheritdoc IDataAvailability
    function verifyInclusion(
        uint256 batchId,
        uint256 leaf,
        uint256 index,
        uint256[3][] calldata siblings
    ) external view returns (bool) {
        BatchRecord storage b = _valid(batchId);
        _checkProofShape(batchId, b, index, siblings.length);
        if (leaf >= SNARK_SCALAR_FIELD) revert DataAvailabilityNotFieldElement(leaf);
        return _computeRoot(leaf, index, siblings) == b.root;
    }

    // ================================================================ challenges

    /// @inheritdoc IDataAvailability
    function challengeSignature(
        uint256 batchId,
        ChallengedReading calldata reading,
        uint256 index,
        uint256[3][] calldata siblings
    ) external nonReentrant {
        BatchRecord storage b = _valid(batchId);
        if (block.timestamp >= b.challengeDeadline) {
            revert DataAvailabilityChallengeWindowClosed(batchId, b.challengeDeadline);
        }
        _checkProofShape(batchId, b, index, siblings.length);
        uint256 leaf = _leafOf(reading);
        if (_computeRoot(leaf, index, siblings) != b.root) {
            revert DataAvailabilityInvalidInclusionProof(batchId, index, leaf);
        }
        (bool valid, uint256 keyIndex) = _signatureValid(reading, b.committedAt);
        if (valid) revert DataAvailabilitySignatureValid(batchId, index, keyIndex);

        _invalidate(batchId, b, index, leaf);
        _slash(b.sequencer, batchId, msg.sender);
    }

    /// @inheritdoc IDataAvailability
    function challengeDuplicate(CommittedLeaf calldata a, CommittedLeaf calldata b) external nonReentrant {
        // `later` is the leaf of the higher batch id (in one batch, the higher slot).
        bool swap = b.batchId < a.batchId || (b.batchId == a.batchId && b.index < a.index);
        CommittedLeaf calldata first = swap ? b : a;
        CommittedLeaf calldata later = swap ? a : b;
        if (first.batchId == later.batchId && first.index == later.index) {
            revert DataAvailabilitySameLeaf(later.batchId, later.index);
        }
        uint256 deviceId = later.reading.deviceId;
        uint256 seq = later.reading.seq;
        if (first.reading.deviceId != deviceId || first.reading.seq != seq) {
            revert DataAvailabilityNotDuplicate(first.reading.deviceId, first.reading.seq, deviceId, seq);
        }
        BatchRecord storage lb = _valid(later.batchId);
        if (block.timestamp >= lb.challengeDeadline) {
            revert DataAvailabilityChallengeWindowClosed(later.batchId, lb.challengeDeadline);
        }
        // The earlier copy counts only while its batch stands: a batch already invalidated
        // credits nothing, so repeating its readings later is honest.
        BatchRecord storage fb = first.batchId == later.batchId ? lb : _valid(first.batchId);
        uint256 leaf = _provenLeaf(later, lb);
        _provenLeaf(first, fb);

        _invalidate(later.batchId, lb, later.index, leaf);
        emit DuplicateReadingProven(later.batchId, later.index, first.batchId, first.index, deviceId, seq);
        _slash(lb.sequencer, later.batchId, msg.sender);
    }

    /// @inheritdoc IDataAvailability
    function leafOf(ChallengedReading calldata reading) external view returns (uint256) {
        return _leafOf(reading);
    }

    /// @inheritdoc IDataAvailability
    function readingDigest(uint64 deviceId, uint64 seq, uint40 timestamp, uint32 value) public view returns (bytes32) {
        return keccak256(abi.encodePacked(READING_TAG, uint64(block.chainid), deviceId, seq, timestamp, value));
    }

    // ================================================================ bonds

    /// @inheritdoc IDataAvailability
    function depositBond() external payable {
        Sequencer storage s = _s().sequencers[msg.sender];
        if (!s.active) revert DataAvailabilityNotSequencer(msg.sender);
        if (s.unbondingSince != 0) revert DataAvailabilityUnbonding(msg.sender, s.unbondingSince, _withdrawableAt(s));
        if (msg.value == 0) revert DataAvailabilityBadParameter("bondDeposit", 0);
        s.bond += msg.value;
        emit BondDeposited(msg.sender, msg.value, s.bond);
    }

    /// @inheritdoc IDataAvailability
    function startUnbonding() external {
        Sequencer storage s = _s().sequencers[msg.sender];
        if (s.bond == 0) revert DataAvailabilityNothingToWithdraw(msg.sender);
        if (s.unbondingSince != 0) revert DataAvailabilityUnbonding(msg.sender, s.unbondingSince, _withdrawableAt(s));
        // The delay in force now, and no earlier than the last batch's challenge deadline (no
        // commit can follow while unbonding): a later change of the delay does not move it.
        uint64 at = uint64(block.timestamp) + _s().unbondingDelay;
        if (s.lastChallengeDeadline > at) at = s.lastChallengeDeadline;
        s.unbondingSince = uint64(block.timestamp);
        s.withdrawableAt = at;
        emit UnbondingStarted(msg.sender, s.bond, at);
    }

    /// @inheritdoc IDataAvailability
    function withdrawBond(address payable to) external nonReentrant {
        Sequencer storage s = _s().sequencers[msg.sender];
        uint256 amount = s.bond;
        if (amount == 0) revert DataAvailabilityNothingToWithdraw(msg.sender);
        uint64 since = s.unbondingSince;
        uint64 at = since == 0 ? 0 : _withdrawableAt(s);
        // lastChallengeDeadline <= withdrawableAt for any unbonding started since the upgrade;
        // checked again so that no batch that can still be challenged loses its bond.
        if (since == 0 || block.timestamp < at || block.timestamp < s.lastChallengeDeadline) {
            revert DataAvailabilityUnbonding(msg.sender, since, at);
        }
        s.bond = 0;
        s.unbondingSince = 0;
        s.withdrawableAt = 0;
        emit BondWithdrawn(msg.sender, to, amount);
        Address.sendValue(to, amount);
    }

    /// @inheritdoc IDataAvailability
    function sequencer(address account) external view returns (Sequencer memory) {
        return _s().sequencers[account];
    }

    /// @inheritdoc IDataAvailability
    function openBatches(address account) external view returns (uint256 open) {
        (, open) = _openLocks(_s().sequencers[account]);
    }

    /// @inheritdoc IDataAvailability
    function isBondedSequencer(address account) external view returns (bool) {
        Sequencer storage s = _s().sequencers[account];
        (, uint256 open) = _openLocks(s);
        return s.active && s.unbondingSince == 0 && s.bond >= _s().minBond && s.bond >= _s().slashAmount * (open + 1);
    }

    // ================================================================ governance

    /// @inheritdoc IDataAvailability
    function addSequencer(address account) external onlyRole(SEQUENCER_ADMIN_ROLE) {
        Sequencer storage s = _s().sequencers[account];
        if (s.active) revert DataAvailabilitySequencerExists(account);
        s.active = true;
        emit SequencerAdded(account);
    }

    /// @inheritdoc IDataAvailability
    function removeSequencer(address account) external onlyRole(SEQUENCER_ADMIN_ROLE) {
        Sequencer storage s = _s().sequencers[account];
        if (!s.active) revert DataAvailabilityNotSequencer(account);
        s.active = false;
        emit SequencerRemoved(account);
    }

    /// @inheritdoc IDataAvailability
    function setChallengeWindow(uint64 seconds_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setChallengeWindow(seconds_);
    }

    /// @inheritdoc IDataAvailability
    function setBatchConsumer(IBatchConsumer consumer) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (address(consumer) != address(0)) _checkBelowSettlementDelay(consumer, _s().challengeWindow);
        _s().batchConsumer = consumer;
        emit BatchConsumerSet(address(consumer));
    }

    /// @inheritdoc IDataAvailability
    function setRetentionWindow(uint64 seconds_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setRetentionWindow(seconds_);
    }

    /// @inheritdoc IDataAvailability
    function setUnbondingDelay(uint64 seconds_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setUnbondingDelay(seconds_);
    }

    /// @inheritdoc IDataAvailability
    function setMinBond(uint256 amount) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setMinBond(amount);
    }

    /// @inheritdoc IDataAvailability
    function setSlashAmount(uint256 amount) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setSlashAmount(amount);
    }

    /// @inheritdoc IDataAvailability
    function setChallengerRewardBps(uint16 bps) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setChallengerRewardBps(bps);
    }

    /// @inheritdoc IDataAvailability
    function withdrawSlashedFunds(
        address payable to,
        uint256 amount
    ) external onlyRole(DEFAULT_ADMIN_ROLE) nonReentrant {
        if (amount > _s().slashedFunds) revert DataAvailabilityInsufficientSlashedFunds(amount, _s().slashedFunds);
        _s().slashedFunds -= amount;
        emit SlashedFundsWithdrawn(to, amount);
        Address.sendValue(to, amount);
    }

    /// @inheritdoc IBatchCommitments
    function challengeWindow() external view returns (uint64) {
        return _s().challengeWindow;
    }

    /// @inheritdoc IDataAvailability
    function retentionWindow() external view returns (uint64) {
        return _s().retentionWindow;
    }

    /// @inheritdoc IDataAvailability
    function unbondingDelay() external view returns (uint64) {
        return _s().unbondingDelay;
    }

    /// @inheritdoc IDataAvailability
    function minBond() external view returns (uint256) {
        return _s().minBond;
    }

    /// @inheritdoc IDataAvailability
    function slashAmount() external view returns (uint256) {
        return _s().slashAmount;
    }

    /// @inheritdoc IDataAvailability
    function challengerRewardBps() external view returns (uint16) {
        return _s().challengerRewardBps;
    }

    /// @inheritdoc IDataAvailability
    function slashedFunds() external view returns (uint256) {
        return _s().slashedFunds;
    }

    /// @inheritdoc IDataAvailability
    function deviceDirectory() external view returns (address) {
        return address(_s().directory);
    }

    /// @inheritdoc IDataAvailability
    function poseidon4() external view returns (address) {
        return address(_s().poseidon4);
    }

    /// @inheritdoc IDataAvailability
    function poseidon5() external view returns (address) {
        return address(_s().poseidon5);
    }

    /// @inheritdoc IDataAvailability
    function batchConsumer() external view returns (address) {
        return address(_s().batchConsumer);
    }

    // ================================================================ internals

    function _committed(uint256 batchId) internal view returns (BatchRecord storage b) {
        b = _s().batches[batchId];
        if (b.status == BatchStatus.None) revert DataAvailabilityUnknownBatch(batchId);
    }

    /// @dev A committed batch that has not been invalidated.
    function _valid(uint256 batchId) internal view returns (BatchRecord storage b) {
        b = _committed(batchId);
        if (b.status == BatchStatus.Invalidated) revert DataAvailabilityBatchInvalidated(batchId);
    }

    /// @dev Only real leaves (slots < leafCount) can be proven; padding slots hold the zero leaf.
    function _checkProofShape(uint256 batchId, BatchRecord storage b, uint256 index, uint256 siblings) internal view {
        if (index >= b.leafCount || siblings != b.depth) {
            revert DataAvailabilityBadProofShape(batchId, index, siblings);
        }
    }

    /// @dev Walks from the leaf to the root of the 4-ary tree: base-4 digit d of `index` is the
    /// node's slot among its parent's four children; the level's three siblings fill the other
    /// slots in order. Siblings at or above the field modulus are rejected (the generated Poseidon
    /// reduces inputs, which would let two encodings of one node pass). `index < leafCount <=
    /// 4^depth` is checked by the caller, so every digit above the proof's levels is 0.
    function _computeRoot(
        uint256 leaf,
        uint256 index,
        uint256[3][] calldata siblings
    ) internal view returns (uint256 node) {
        node = leaf;
        IPoseidon4 hasher = _s().poseidon4;
        uint256 n = siblings.length;
        uint256[4] memory children;
        for (uint256 d = 0; d < n; ++d) {
            uint256 pos = (index >> (2 * d)) & (ARITY - 1);
            uint256 j = 0;
            for (uint256 k = 0; k < ARITY; ++k) {
                if (k == pos) {
                    children[k] = node;
                } else {
                    uint256 sib = siblings[d][j++];
                    if (sib >= SNARK_SCALAR_FIELD) revert DataAvailabilityNotFieldElement(sib);
                    children[k] = sib;
                }
            }
            node = hasher.poseidon(children);
        }
    }

    /// @dev The leaf of `c.reading`, after checking the proof's shape and that the leaf is at slot
    /// `c.index` under the root of `b` (batch `c.batchId`).
    function _provenLeaf(CommittedLeaf calldata c, BatchRecord storage b) internal view returns (uint256 leaf) {
        _checkProofShape(c.batchId, b, c.index, c.siblings.length);
        leaf = _leafOf(c.reading);
        if (_computeRoot(leaf, c.index, c.siblings) != b.root) {
            revert DataAvailabilityInvalidInclusionProof(c.batchId, c.index, leaf);
        }
    }

    /// @dev Invalidates batch `batchId` (record `b`) for leaf `index` and releases its bond lock
    /// (the caller slashes).
    function _invalidate(uint256 batchId, BatchRecord storage b, uint256 index, uint256 leaf) internal {
        b.status = BatchStatus.Invalidated;
        // Only a batch inside its window can be invalidated, and a lock is released (popped) only
        // after the window, so the batch still holds its lock here.
        if (b.locksBond) _s().sequencers[b.sequencer].lockedBatches -= 1;
        emit BatchInvalidated(batchId, msg.sender, index, leaf);
    }

    /// @dev Bond lock of a commit by sequencer `s` of batch `batchId` open until `deadline`:
    /// releases the locks of batches whose window is over, requires the bond to cover every batch
    /// still open plus this one, and appends the batch to the sequencer's lock queue (linked
    /// through the batch records).
    function _lockBond(Sequencer storage s, uint256 batchId, uint64 deadline) internal {
        (uint256 head, uint256 open) = _openLocks(s);
        uint256 required = _s().slashAmount * (open + 1);
        if (s.bond < required) revert DataAvailabilityBondLocked(msg.sender, s.bond, open, required);
        uint40 id = SafeCast.toUint40(batchId);
        if (head == 0) {
            head = id;
        } else {
            // The queue is not empty, so its newest batch is still in it: link this one behind.
            _s().batches[s.newestBatch].nextOfSequencer = id;
        }
        // head <= batchId < 2^40 (checked just above); open < 2^32 (each open batch took a commit
        // inside one challenge window).
        s.oldestLockedBatch = uint40(head);
        s.newestBatch = id;
        s.lockedBatches = uint32(open + 1);
        if (deadline > s.lastChallengeDeadline) s.lastChallengeDeadline = deadline;
    }

    /// @dev The sequencer's lock queue after releasing, oldest first, every batch whose challenge
    /// window is over: returns the new oldest batch (0 = empty) and the number of batches still
    /// locking bond (invalidated ones released theirs already). Stops at the first batch still
    /// open, so a batch behind it with an earlier deadline (the window was shortened in between)
    /// keeps its lock a little longer: conservative. Each batch is released once, so the walk is
    /// amortised O(1) per commit; when every window is over (the last deadline has passed, e.g.
    /// after a pause) the queue is dropped at once instead of walked.
    function _openLocks(Sequencer storage s) internal view returns (uint256 head, uint256 open) {
        if (s.lastChallengeDeadline <= block.timestamp) return (0, 0);
        mapping(uint256 => BatchRecord) storage batches = _s().batches;
        head = s.oldestLockedBatch;
        open = s.lockedBatches;
        while (head != 0) {
            BatchRecord storage h = batches[head];
            if (h.challengeDeadline > block.timestamp) break;
            if (h.status == BatchStatus.Committed) --open;
            head = h.nextOfSequencer;
        }
    }

    /// @dev When the unbonding sequencer `s` can withdraw: fixed at startUnbonding; for an
    /// unbonding started before that time was stored, its start + the current delay.
    function _withdrawableAt(Sequencer storage s) internal view returns (uint64) {
        uint64 at = s.withdrawableAt;
        return at != 0 ? at : s.unbondingSince + _s().unbondingDelay;
    }

    /// @dev Reverts unless `window` is below the settlement delay of `consumer`.
    function _checkBelowSettlementDelay(IBatchConsumer consumer, uint64 window) internal view {
        uint64 delay = consumer.settlementDelay();
        if (window >= delay) revert DataAvailabilityChallengeWindowTooLong(window, delay);
    }

    /// @dev leaf = Poseidon5(deviceId, seq, timestamp, value, uint256(keccak256(signature)) >> 8).
    /// Fields must be canonical field elements, or an honest leaf could be re-presented with an
    /// aliased field (x + p) that looks out of range and wrongly invalidate its batch.
    function _leafOf(ChallengedReading calldata r) internal view returns (uint256) {
        if (r.deviceId >= SNARK_SCALAR_FIELD) revert DataAvailabilityNotFieldElement(r.deviceId);
        if (r.seq >= SNARK_SCALAR_FIELD) revert DataAvailabilityNotFieldElement(r.seq);
        if (r.timestamp >= SNARK_SCALAR_FIELD) revert DataAvailabilityNotFieldElement(r.timestamp);
        if (r.value >= SNARK_SCALAR_FIELD) revert DataAvailabilityNotFieldElement(r.value);
        uint256 sigHash = uint256(keccak256(r.signature)) >> 8;
        return _s().poseidon5.poseidon([r.deviceId, r.seq, r.timestamp, r.value, sigHash]);
    }

    /// @dev True (with the key's index) when some key of the device, valid for the reading as of
    /// the batch's commit (`committedAt`), produced the signature: the key's validity started at or
    /// before the reading (`validFrom <= timestamp`), and it was not revoked for the reading by the
    /// time of the commit. A revocation counts only if it took effect at or before the commit and
    /// the reading is stamped at or after it; one made later (a rotation or decommission after the
    /// commit, whatever its time) never turns a committed honest leaf into a forged one. A reading
    /// whose fields exceed the protocol widths cannot have been signed in the canonical encoding,
    /// so it is never valid.
    function _signatureValid(ChallengedReading calldata r, uint64 committedAt) internal view returns (bool, uint256) {
        if (
            r.deviceId > type(uint64).max ||
            r.seq > type(uint64).max ||
            r.timestamp > type(uint40).max ||
            r.value > type(uint32).max
        ) {
            return (false, 0);
        }
        bytes32 digest = readingDigest(uint64(r.deviceId), uint64(r.seq), uint40(r.timestamp), uint32(r.value));
        uint256 count = _s().directory.keyCount(r.deviceId);
        for (uint256 i = 0; i < count; ++i) {
            IDeviceDirectory.DeviceKey memory key = _s().directory.keyAt(r.deviceId, i);
            if (key.validFrom > r.timestamp) continue;
            if (key.revokedAt != 0 && key.revokedAt <= committedAt && r.timestamp >= key.revokedAt) continue;
            if (_keySigned(key, digest, r.signature)) return (true, i);
        }
        return (false, 0);
    }

    function _keySigned(
        IDeviceDirectory.DeviceKey memory key,
        bytes32 digest,
        bytes calldata sig
    ) internal view returns (bool) {
        if (key.keyType == IDeviceDirectory.KeyType.Secp256k1) {
            if (sig.length != 65 || key.publicKey.length != 20) return false;
            // tryRecover rejects high-s and v other than 27/28, matching the sdk's checks.
            (address signer, ECDSA.RecoverError err, ) = ECDSA.tryRecoverCalldata(digest, sig);
            return err == ECDSA.RecoverError.NoError && signer == address(bytes20(key.publicKey));
        }
        if (sig.length != 64 || key.publicKey.length != 64) return false;
        bytes memory pub = key.publicKey;
        bytes32 qx;
        bytes32 qy;
        // Reads the two 32-byte words of the 64-byte key; the length was checked just above, so
        // both loads are inside the array.
        assembly ("memory-safe") {
            qx := mload(add(pub, 0x20))
            qy := mload(add(pub, 0x40))
        }
        // P256.verify rejects s > n/2 (low-s only), matching the sdk.
        return P256.verify(digest, bytes32(sig[0:32]), bytes32(sig[32:64]), qx, qy);
    }

    function _slash(address seq, uint256 batchId, address challenger) internal {
        DataAvailabilityStorage storage $ = _s();
        Sequencer storage s = $.sequencers[seq];
        uint256 slashed = s.bond < $.slashAmount ? s.bond : $.slashAmount;
        uint256 reward = (slashed * $.challengerRewardBps) / BPS;
        s.bond -= slashed;
        $.slashedFunds += slashed - reward;
        emit SequencerSlashed(seq, batchId, challenger, slashed, reward);
        if (reward > 0) Address.sendValue(payable(challenger), reward);
    }

    function _setChallengeWindow(uint64 v) internal {
        if (v == 0 || v > _s().retentionWindow || v > _s().unbondingDelay)
            revert DataAvailabilityBadParameter("challengeWindow", v);
        IBatchConsumer consumer = _s().batchConsumer;
        if (address(consumer) != address(0)) _checkBelowSettlementDelay(consumer, v);
        _s().challengeWindow = v;
        emit ParameterUpdated("challengeWindow", v);
    }

    function _setRetentionWindow(uint64 v) internal {
        if (v < _s().challengeWindow || v == 0) revert DataAvailabilityBadParameter("retentionWindow", v);
        _s().retentionWindow = v;
        emit ParameterUpdated("retentionWindow", v);
    }

    function _setUnbondingDelay(uint64 v) internal {
        if (v < _s().challengeWindow || v == 0) revert DataAvailabilityBadParameter("unbondingDelay", v);
        _s().unbondingDelay = v;
        emit ParameterUpdated("unbondingDelay", v);
    }

    function _setMinBond(uint256 v) internal {
        if (v == 0) revert DataAvailabilityBadParameter("minBond", v);
        _s().minBond = v;
        emit ParameterUpdated("minBond", v);
    }

    function _setSlashAmount(uint256 v) internal {
        _s().slashAmount = v;
        emit ParameterUpdated("slashAmount", v);
    }

    function _setChallengerRewardBps(uint16 v) internal {
        if (v > BPS) revert DataAvailabilityBadParameter("challengerRewardBps", v);
        _s().challengerRewardBps = v;
        emit ParameterUpdated("challengerRewardBps", v);
    }
}
