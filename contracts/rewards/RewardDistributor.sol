// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {AutomationCompatibleInterface} from "@chainlink/contracts/src/v0.8/automation/interfaces/AutomationCompatibleInterface.sol";
import {IBatchCommitments} from "../interfaces/IBatchCommitments.sol";
import {IDeviceDirectory} from "../interfaces/IDeviceDirectory.sol";
import {IRewardDistributor} from "../interfaces/IRewardDistributor.sol";
import {IRewardEmission} from "../interfaces/IRewardEmission.sol";

/// @title RewardDistributor
/// @notice Settles reward proofs against final DA batches and pays each epoch's emission pro rata
/// to points. See IRewardDistributor and docs/rewards.md.
/// @dev Not upgradeable: a new circuit version is a new verifier (setVerifier), a new rule is a
/// new rule version (scheduleRule); both governed. Every role is meant for the timelock.
contract RewardDistributor is IRewardDistributor, AccessControl, AutomationCompatibleInterface {
    using SafeERC20 for IERC20;

    /// @notice Schedules rule versions (the governance timelock).
    bytes32 public constant RULE_ADMIN_ROLE = keccak256("RULE_ADMIN_ROLE");
    /// @notice Sets verifiers per batch depth (the governance timelock).
    bytes32 public constant VERIFIER_ADMIN_ROLE = keccak256("VERIFIER_ADMIN_ROLE");

    /// @dev Device-epoch points are packed four to a storage word: device `id` lives in lane
    /// `id & 3` (bits 64·lane .. 64·lane + 63) of word `_points[epoch][id >> 2]`. In a lane, bit 63
    /// marks the points claimed and bits 0..62 hold them. Device ids are minted consecutively and
    /// the sequencer cuts batches along id order, so a batch's devices usually share words: a
    /// settlement writes one word per group of four consecutive ids instead of one per device.
    uint256 private constant LANE_BITS = 64;
    uint256 private constant LANE_CLAIMED = 1 << 63;
    uint256 private constant LANE_POINTS = (1 << 63) - 1;

    IBatchCommitments private immutable _batches;
    IRewardEmission private immutable _emission;
    IDeviceDirectory private immutable _directory;
    IERC20 private immutable _token;
    uint64 private immutable _genesisTime;
    uint64 private immutable _epochLength;
    uint64 private immutable _settlementDelay;

    RuleVersion[] private _rules;
    mapping(uint8 depth => VerifierConfig) private _verifiers;
    /// @dev One bit per batch id (256 batches per word).
    mapping(uint256 word => uint256) private _settledBits;
    mapping(uint64 epoch => EpochTotals) private _epochs;
    /// @dev Internal only for the test harness, which forces a lane near its limit.
    mapping(uint64 epoch => mapping(uint64 group => uint256)) internal _points;
    uint64 private _nextEpochToClose;

    /// @param batches_ the DA layer (IBatchCommitments).
    /// @param emission_ the emission schedule; this contract needs its DISTRIBUTOR_ROLE.
    /// @param directory_ the device directory (status, owner, reward recipient).
    /// @param admin receives DEFAULT_ADMIN_ROLE, RULE_ADMIN_ROLE and VERIFIER_ADMIN_ROLE (the timelock).
    /// @param settlementDelay_ seconds after an epoch's end before it can close; must exceed the
    /// sequencer's commit delay + the DA challenge window + proving and settling time. Refused
    /// unless above `batches_.challengeWindow()`; the DA layer keeps its window below it from then
    /// on once this contract is its batch consumer (IDataAvailability.setBatchConsumer).
    /// @param firstEpoch the first epoch this distributor pays (earlier batches are refused).
    /// @param initialRule rule version 0, in force from `firstEpoch`.
    constructor(
        IBatchCommitments batches_,
        IRewardEmission emission_,
        IDeviceDirectory directory_,
        address admin,
        uint64 settlementDelay_,
        uint64 firstEpoch,
        RuleParams memory initialRule
    ) {
        uint64 window = batches_.challengeWindow();
        if (settlementDelay_ <= window) revert RewardDistributorSettlementDelayTooShort(settlementDelay_, window);
        _batches = batches_;
        _emission = emission_;
        _directory = directory_;
        _token = IERC20(emission_.token());
        _genesisTime = emission_.genesisTime();
        _epochLength = emission_.epochLength();
        _settlementDelay = settlementDelay_;
        _nextEpochToClose = firstEpoch;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(RULE_ADMIN_ROLE, admin);
        _grantRole(VERIFIER_ADMIN_ROLE, admin);
        _pushRule(firstEpoch, initialRule);
    }

    // ------------------------------------------------------------------ settlement

    /// @inheritdoc IRewardDistributor
    function settle(
        uint256 batchId,
        uint256 ruleVersion_,
        uint256[] calldata deviceWords,
        Proof calldata proof
    ) external {
        if (_isSettled(batchId)) revert RewardDistributorBatchAlreadySettled(batchId);
        IBatchCommitments.Batch memory b = _settleableBatch(batchId, ruleVersion_);

        VerifierConfig memory vc = _verifiers[b.depth];
        if (vc.verifier == address(0)) revert RewardDistributorNoVerifier(b.depth);
        if (deviceWords.length != vc.slots / 2)
            revert RewardDistributorBadDeviceWords(deviceWords.length, vc.slots / 2);
        if (!_verify(vc, _publicSignals(b, _rules[ruleVersion_].params, deviceWords), proof))
            revert RewardDistributorInvalidProof(batchId);

        _settledBits[batchId >> 8] |= 1 << (batchId & 0xff);
        uint256 total = _credit(b.epoch, deviceWords);
        emit BatchSettled(batchId, b.epoch, ruleVersion_, total);
    }

    /// @dev The batch, if it is committed, final, of an open epoch, and `ruleVersion_` is the
    /// rule version in force for its epoch.
    function _settleableBatch(
        uint256 batchId,
        uint256 ruleVersion_
    ) private view returns (IBatchCommitments.Batch memory b) {
        b = _batches.getBatch(batchId);
        if (b.status != IBatchCommitments.BatchStatus.Committed)
            revert RewardDistributorBatchNotCommitted(batchId, b.status);
        if (!_batches.isFinal(batchId)) revert RewardDistributorBatchNotFinal(batchId);
        if (b.epoch < _nextEpochToClose) revert RewardDistributorEpochClosed(batchId, b.epoch);
        uint256 expected = _ruleVersionFor(b.epoch);
        if (ruleVersion_ != expected) revert RewardDistributorStaleRule(batchId, ruleVersion_, expected);
    }

    /// @dev Adds each slot's points to its device in `epoch`; returns the batch's total. The
    /// proof fixes every slot: used slots first, ids strictly increasing, points the capped rule
    /// result (a uint32 each). Increasing ids make a group's slots adjacent, so each touched
    /// storage word is read and written once.
    function _credit(uint64 epoch, uint256[] calldata deviceWords) private returns (uint256 total) {
        mapping(uint64 => uint256) storage epochPoints = _points[epoch];
        // No id >> 2 reaches 2^62: this group is "none loaded yet".
        uint64 group = type(uint64).max;
        uint256 word;
        for (uint256 j; j < deviceWords.length; ++j) {
            uint256 w = deviceWords[j];
            for (uint256 shift; shift < 192; shift += 96) {
                uint256 p = uint32(w >> (shift + 64));
                if (p == 0) continue;
                uint64 id = uint64(w >> shift);
                if (id >> 2 != group) {
                    if (group != type(uint64).max) epochPoints[group] = word;
                    group = id >> 2;
                    word = epochPoints[group];
                }
                word = _addToLane(word, id, epoch, p);
                total += p;
            }
        }
        if (group != type(uint64).max) epochPoints[group] = word;
        if (total != 0) _epochs[epoch].totalPoints += uint128(total);
    }

    /// @dev `word` with `p` points added to the lane of `id`. Never reached in practice (each
    /// batch adds < 2^32, so it takes 2^31 batches of one device in one epoch), but a lane must
    /// not carry into its claimed bit.
    function _addToLane(uint256 word, uint64 id, uint64 epoch, uint256 p) private pure returns (uint256) {
        uint256 at = (id & 3) * LANE_BITS;
        if (((word >> at) & LANE_POINTS) + p > LANE_POINTS) revert RewardDistributorPointsOverflow(id, epoch);
        return word + (p << at);
    }

    /// @dev The lane of `deviceId` in its epoch word, and the bit offset of that lane.
    function _lane(uint64 epoch, uint64 deviceId) private view returns (uint256 lane, uint256 at) {
        at = (deviceId & 3) * LANE_BITS;
        lane = (_points[epoch][deviceId >> 2] >> at) & type(uint64).max;
    }

    /// @dev The verifier's public signals, built from the DA batch, the rule and the epoch clock;
    /// the device words are the submitter's (layout in IRewardDistributor).
    function _publicSignals(
        IBatchCommitments.Batch memory b,
        RuleParams memory rule,
        uint256[] calldata deviceWords
    ) private view returns (uint256[] memory pub) {
        uint256 n = deviceWords.length;
        pub = new uint256[](3 + n);
        pub[0] = b.root;
        pub[1] = uint256(b.epoch) | (uint256(b.leafCount) << 64);
        (uint256 start, uint256 end) = _window(b.epoch);
        pub[2] =
            uint256(rule.minValue) |
            (uint256(rule.maxValue) << 32) |
            (uint256(rule.capPerBatch) << 64) |
            (start << 96) |
            (end << 136);
        for (uint256 j; j < n; ++j) pub[3 + j] = deviceWords[j];
    }

    /// @dev Calls the snarkjs verifier (static array ABI: the words follow the selector in
    /// order). Virtual only so the invariant tests can replace it.
    function _verify(
        VerifierConfig memory vc,
        uint256[] memory pub,
        Proof calldata proof
    ) internal view virtual returns (bool) {
        bytes memory data = abi.encodePacked(vc.selector, proof.a, proof.b[0], proof.b[1], proof.c, pub);
        (bool ok, bytes memory ret) = vc.verifier.staticcall(data);
        return ok && ret.length == 32 && abi.decode(ret, (bool));
    }

    // ------------------------------------------------------------------ epochs

    /// @inheritdoc IRewardDistributor
    function closeEpoch(uint64 epoch) public {
        uint64 next = _nextEpochToClose;
        if (epoch != next) revert RewardDistributorEpochNotNext(epoch, next);
        uint256 at = closableAt(epoch);
        if (block.timestamp < at) revert RewardDistributorEpochNotClosable(epoch, at);
        _nextEpochToClose = next + 1;
        EpochTotals storage e = _epochs[epoch];
        uint256 minted;
        // An epoch without points mints nothing: its emission is never created.
        if (e.totalPoints != 0) {
            minted = _emission.mintEpoch(epoch, address(this));
            e.emission = uint128(minted);
        }
        emit EpochClosed(epoch, e.totalPoints, minted);
    }

    /// @notice Chainlink Automation: upkeep is needed when the next epoch can be closed.
    /// @return upkeepNeeded whether performUpkeep would close an epoch now.
    /// @return performData the epoch to close (abi-encoded uint64).
    function checkUpkeep(bytes calldata) external view returns (bool upkeepNeeded, bytes memory performData) {
        uint64 next = _nextEpochToClose;
        upkeepNeeded = block.timestamp >= closableAt(next);
        performData = abi.encode(next);
    }

    /// @notice Chainlink Automation: closes the epoch checkUpkeep returned (re-validated).
    function performUpkeep(bytes calldata performData) external {
        closeEpoch(abi.decode(performData, (uint64)));
    }

    // ------------------------------------------------------------------ claims

    /// @inheritdoc IRewardDistributor
    function claim(uint64[] calldata deviceIds, uint64[] calldata epochs) external returns (uint256 paid) {
        uint256 n = deviceIds.length;
        if (n != epochs.length) revert RewardDistributorLengthMismatch(n, epochs.length);
        address pendingTo;
        uint256 pendingAmount;
        uint64 lastDevice;
        address recipient;
        for (uint256 i; i < n; ++i) {
            uint64 deviceId = deviceIds[i];
            uint64 epoch = epochs[i];
            if (i == 0 || deviceId != lastDevice) {
                recipient = _checkController(i, deviceId);
                lastDevice = deviceId;
            }
            if (epoch >= _nextEpochToClose) revert RewardDistributorEpochNotClosed(i, epoch);
            EpochTotals memory e = _epochs[epoch];
            (uint256 lane, uint256 at) = _lane(epoch, deviceId);
            if (lane & LANE_CLAIMED != 0) revert RewardDistributorAlreadyClaimed(i, deviceId, epoch);
            uint256 pts = lane & LANE_POINTS;
            if (pts == 0) revert RewardDistributorNothingToClaim(i, deviceId, epoch);
            _points[epoch][deviceId >> 2] |= LANE_CLAIMED << at;
            // Rounded down: the device-epoch shares of an epoch sum to its emission minus less
            // than one token unit per claiming device.
            uint256 amount = (pts * e.emission) / e.totalPoints;
            emit RewardClaimed(deviceId, epoch, recipient, pts, amount);
            if (recipient != pendingTo) {
                if (pendingAmount != 0) _token.safeTransfer(pendingTo, pendingAmount);
                pendingTo = recipient;
                pendingAmount = 0;
            }
            pendingAmount += amount;
            paid += amount;
        }
        if (pendingAmount != 0) _token.safeTransfer(pendingTo, pendingAmount);
    }

    /// @dev Returns the device's reward recipient after checking the device is Active and the
    /// caller is its owner or its recipient.
    function _checkController(uint256 index, uint64 deviceId) private view returns (address recipient) {
        IDeviceDirectory.DeviceStatus status = _directory.deviceStatus(deviceId);
        if (status != IDeviceDirectory.DeviceStatus.Active)
            revert RewardDistributorDeviceNotActive(index, deviceId, status);
        recipient = _directory.rewardRecipient(deviceId);
        if (recipient == address(0)) revert RewardDistributorNoRecipient(index, deviceId);
        if (msg.sender != recipient && msg.sender != _directory.ownerOfDevice(deviceId)) {
            revert RewardDistributorNotDeviceController(index, deviceId, msg.sender);
        }
    }

    // ------------------------------------------------------------------ governance

    /// @inheritdoc IRewardDistributor
    function scheduleRule(uint64 fromEpoch, RuleParams calldata params) external onlyRole(RULE_ADMIN_ROLE) {
        uint64 current = _currentEpoch();
        if (fromEpoch <= current) revert RewardDistributorRuleNotFuture(fromEpoch, current + 1);
        uint256 last = _rules.length - 1;
        uint64 lastFrom = _rules[last].fromEpoch;
        if (fromEpoch < lastFrom) revert RewardDistributorRuleNotFuture(fromEpoch, lastFrom);
        if (fromEpoch == lastFrom) {
            // lastFrom > current: the pending version has never been in force; replace it.
            _checkRule(params);
            _rules[last].params = params;
            emit RuleScheduled(last, fromEpoch, params.minValue, params.maxValue, params.capPerBatch);
        } else {
            _pushRule(fromEpoch, params);
        }
    }

    /// @inheritdoc IRewardDistributor
    function setVerifier(uint8 depth, address verifier, uint16 slots) external onlyRole(VERIFIER_ADMIN_ROLE) {
        if (verifier.code.length == 0 || slots == 0 || slots % 2 != 0)
            revert RewardDistributorBadVerifier(depth, verifier, slots);
        bytes4 selector = bytes4(
            keccak256(
                abi.encodePacked(
                    "verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[",
                    Strings.toString(3 + slots / 2),
                    "])"
                )
            )
        );
        _verifiers[depth] = VerifierConfig({verifier: verifier, slots: slots, selector: selector});
        emit VerifierSet(depth, verifier, slots);
    }

    function _pushRule(uint64 fromEpoch, RuleParams memory params) private {
        _checkRule(params);
        _rules.push(RuleVersion({fromEpoch: fromEpoch, params: params}));
        emit RuleScheduled(_rules.length - 1, fromEpoch, params.minValue, params.maxValue, params.capPerBatch);
    }

    function _checkRule(RuleParams memory params) private pure {
        if (params.minValue > params.maxValue) revert RewardDistributorBadRule(params.minValue, params.maxValue);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IRewardDistributor
    function ruleVersionFor(uint64 epoch) external view returns (uint256) {
        return _ruleVersionFor(epoch);
    }

    /// @dev Latest version whose fromEpoch <= epoch (version 0 covers everything before).
    function _ruleVersionFor(uint64 epoch) private view returns (uint256 i) {
        i = _rules.length - 1;
        while (i > 0 && _rules[i].fromEpoch > epoch) --i;
    }

    /// @inheritdoc IRewardDistributor
    function ruleVersion(uint256 version) external view returns (RuleVersion memory) {
        return _rules[version];
    }

    /// @inheritdoc IRewardDistributor
    function ruleVersionCount() external view returns (uint256) {
        return _rules.length;
    }

    /// @inheritdoc IRewardDistributor
    function verifierFor(uint8 depth) external view returns (VerifierConfig memory) {
        return _verifiers[depth];
    }

    /// @inheritdoc IRewardDistributor
    function isSettled(uint256 batchId) external view returns (bool) {
        return _isSettled(batchId);
    }

    function _isSettled(uint256 batchId) private view returns (bool) {
        return _settledBits[batchId >> 8] & (1 << (batchId & 0xff)) != 0;
    }

    /// @inheritdoc IRewardDistributor
    function epochInfo(uint64 epoch) external view returns (EpochTotals memory totals, bool closed) {
        return (_epochs[epoch], epoch < _nextEpochToClose);
    }

    /// @inheritdoc IRewardDistributor
    function pointsOf(uint64 deviceId, uint64 epoch) external view returns (uint256 points, bool claimed) {
        (uint256 lane, ) = _lane(epoch, deviceId);
        return (lane & LANE_POINTS, lane & LANE_CLAIMED != 0);
    }

    /// @inheritdoc IRewardDistributor
    function claimable(uint64 deviceId, uint64 epoch) external view returns (uint256) {
        EpochTotals memory e = _epochs[epoch];
        (uint256 lane, ) = _lane(epoch, deviceId);
        if (epoch >= _nextEpochToClose || lane & LANE_CLAIMED != 0 || e.totalPoints == 0) return 0;
        return ((lane & LANE_POINTS) * e.emission) / e.totalPoints;
    }

    /// @inheritdoc IRewardDistributor
    function nextEpochToClose() external view returns (uint64) {
        return _nextEpochToClose;
    }

    /// @inheritdoc IRewardDistributor
    function closableAt(uint64 epoch) public view returns (uint256) {
        (, uint256 end) = _window(epoch);
        return end + _settlementDelay;
    }

    /// @inheritdoc IRewardDistributor
    function epochWindow(uint64 epoch) external view returns (uint256 start, uint256 end) {
        return _window(epoch);
    }

    function _window(uint64 epoch) private view returns (uint256 start, uint256 end) {
        start = uint256(_genesisTime) + uint256(epoch) * _epochLength;
        end = start + _epochLength;
    }

    function _currentEpoch() private view returns (uint64) {
        if (block.timestamp < _genesisTime) return 0;
        return uint64((block.timestamp - _genesisTime) / _epochLength);
    }

    /// @inheritdoc IRewardDistributor
    function settlementDelay() external view returns (uint64) {
        return _settlementDelay;
    }

    /// @inheritdoc IRewardDistributor
    function batches() external view returns (IBatchCommitments) {
        return _batches;
    }

    /// @inheritdoc IRewardDistributor
    function directory() external view returns (IDeviceDirectory) {
        return _directory;
    }

    /// @inheritdoc IRewardDistributor
    function emission() external view returns (address) {
        return address(_emission);
    }

    /// @inheritdoc IRewardDistributor
    function token() external view returns (address) {
        return address(_token);
    }
}
