// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {BasePaymaster} from "@account-abstraction/contracts/core/BasePaymaster.sol";
import {IEntryPoint} from "@account-abstraction/contracts/interfaces/IEntryPoint.sol";
import {PackedUserOperation} from "@account-abstraction/contracts/interfaces/PackedUserOperation.sol";
import {_packValidationData} from "@account-abstraction/contracts/core/Helpers.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IClaimPaymaster} from "../interfaces/IClaimPaymaster.sol";
import {IDeviceDirectory} from "../interfaces/IDeviceDirectory.sol";
import {IRewardEmission} from "../interfaces/IRewardEmission.sol";

/// @title ClaimPaymaster
/// @notice See {IClaimPaymaster}. Admin is BasePaymaster's Ownable2Step owner: the deployment
/// transfers ownership to the timelock, which accepts it (two steps, so a wrong address cannot
/// capture it). The reward emission's GUARDIAN_ROLE holders may pause sponsorship; only the owner
/// unpauses.
contract ClaimPaymaster is IClaimPaymaster, BasePaymaster {
    /// @notice The role, on the reward emission, of the pause-only guardian.
    bytes32 public constant GUARDIAN_ROLE = keccak256("GUARDIAN_ROLE");

    uint256 private constant EPOCH_DATA_LENGTH = 8;
    uint256 private constant DEVICE_DATA_LENGTH = 40;

    uint64 private immutable _genesisTime;
    uint64 private immutable _epochLength;
    /// @dev The last epoch whose window [start, end) has end - 1 <= type(uint48).max.
    uint64 private immutable _lastEpoch;
    /// @dev The reward emission, whose GUARDIAN_ROLE holders may pause: one guardian, granted and
    /// revoked by governance in one place.
    IAccessControl private immutable _guardians;

    /// @dev The sponsored call and the pause flag share one slot, read once per validation.
    struct ClaimCall {
        address target;
        bytes4 selector;
        bytes4 executeSelector;
        bool paused;
    }

    ClaimCall private _call;
    uint256 private _epochBudget;
    uint256 private _accountBudget;
    IDeviceDirectory private _directory;

    mapping(uint64 epoch => uint256) private _spentTotal;
    mapping(uint64 epoch => mapping(address account => uint256)) private _spentBy;

    /// @param clock the reward emission, whose epoch clock (genesis, length) the budgets follow.
    /// @param target the distributor; @param selector its claim function;
    /// @param executeSelector_ the device account's execute(address,uint256,bytes) selector.
    constructor(
        IEntryPoint entryPoint_,
        IRewardEmission clock,
        address target,
        bytes4 selector,
        bytes4 executeSelector_,
        uint256 epochBudget_,
        uint256 accountBudget_
    ) BasePaymaster(entryPoint_) {
        _genesisTime = clock.genesisTime();
        _epochLength = clock.epochLength();
        _guardians = IAccessControl(address(clock));
        uint256 first = uint256(_genesisTime) + _epochLength; // end of epoch 0
        if (_epochLength == 0 || first - 1 > type(uint48).max) revert PaymasterBadParameter("epochClock", first);
        // (2^48 - end of epoch 0) / length more epochs fit; fewer than 2^48, so it fits in uint64.
        _lastEpoch = uint64((uint256(type(uint48).max) + 1 - first) / _epochLength);
        _setClaimCall(target, selector, executeSelector_);
        _setBudgets(epochBudget_, accountBudget_);
    }

    // ================================================================ ERC-4337 hooks

    /// @dev Refuses everything while paused; checks the call shape, the sender, the epoch and the
    /// budgets, reserves `maxCost`, and limits the operation to the declared epoch's time range
    /// through validAfter/validUntil.
    function _validatePaymasterUserOp(
        PackedUserOperation calldata userOp,
        bytes32,
        uint256 maxCost
    ) internal override returns (bytes memory context, uint256 validationData) {
        _checkCall(userOp.callData);
        bytes calldata data = userOp.paymasterAndData[PAYMASTER_DATA_OFFSET:];
        uint256 expected = address(_directory) == address(0) ? EPOCH_DATA_LENGTH : DEVICE_DATA_LENGTH;
        if (data.length != expected) revert PaymasterBadPaymasterData(data.length);
        uint64 epoch = uint64(bytes8(data[0:8]));
        if (expected == DEVICE_DATA_LENGTH) {
            uint256 deviceId = uint256(bytes32(data[8:40]));
            if (_directory.rewardRecipient(deviceId) != userOp.sender)
                revert PaymasterNotDeviceAccount(userOp.sender, deviceId);
        }

        // The budget key is `epoch`; the EntryPoint enforces the epoch's window through uint48
        // validAfter/validUntil. A window past uint48 would be cut onto an earlier epoch's window
        // (epoch e + k·2^48/gcd(length, 2^48) aliases epoch e) with a fresh budget: refuse it, so
        // every accepted epoch's window is exact and distinct, and key and window agree.
        if (epoch > _lastEpoch) revert PaymasterEpochOutOfRange(epoch, _lastEpoch);

        uint256 total = _spentTotal[epoch] + maxCost;
        if (total > _epochBudget) revert PaymasterEpochBudgetExceeded(epoch, total, _epochBudget);
        uint256 byAccount = _spentBy[epoch][userOp.sender] + maxCost;
        if (byAccount > _accountBudget)
            revert PaymasterAccountBudgetExceeded(userOp.sender, epoch, byAccount, _accountBudget);
        _spentTotal[epoch] = total;
        _spentBy[epoch][userOp.sender] = byAccount;

        (uint256 start, uint256 end) = epochRange(epoch);
        // validUntil is inclusive in ERC-4337; the epoch's last second is end - 1. Both fit:
        // start <= end - 1 <= type(uint48).max for every epoch <= _lastEpoch, so neither cast truncates.
        validationData = _packValidationData(false, uint48(end - 1), uint48(start));
        context = abi.encode(
            epoch,
            userOp.sender,
            maxCost,
            uint128(bytes16(userOp.paymasterAndData[PAYMASTER_POSTOP_GAS_OFFSET:PAYMASTER_DATA_OFFSET]))
        );
    }

    /// @dev Releases the unused part of the reservation. The EntryPoint passes the cost before
    /// postOp; the postOp's own gas and its unused-gas penalty together stay within
    /// postOpGasLimit, so that limit is charged in full: the budget never undercounts what the
    /// paymaster's deposit really pays.
    function _postOp(
        PostOpMode,
        bytes calldata context,
        uint256 actualGasCost,
        uint256 actualUserOpFeePerGas
    ) internal override {
        (uint64 epoch, address account, uint256 reserved, uint256 postOpGasLimit) = abi.decode(
            context,
            (uint64, address, uint256, uint256)
        );
        uint256 charged = actualGasCost + postOpGasLimit * actualUserOpFeePerGas;
        if (charged > reserved) charged = reserved;
        // charged <= reserved, and both counters include `reserved` from validation, so neither
        // subtraction can underflow.
        unchecked {
            uint256 refund = reserved - charged;
            _spentTotal[epoch] -= refund;
            _spentBy[epoch][account] -= refund;
        }
        emit ClaimSponsored(account, epoch, charged);
    }

    // ================================================================ governance

    /// @inheritdoc IClaimPaymaster
    function setClaimCall(address target, bytes4 selector, bytes4 executeSelector_) external onlyOwner {
        _setClaimCall(target, selector, executeSelector_);
    }

    /// @inheritdoc IClaimPaymaster
    function setBudgets(uint256 epochBudget_, uint256 accountBudget_) external onlyOwner {
        _setBudgets(epochBudget_, accountBudget_);
    }

    /// @inheritdoc IClaimPaymaster
    function setDeviceDirectory(address directory) external onlyOwner {
        _directory = IDeviceDirectory(directory);
        emit DeviceDirectoryUpdated(directory);
    }

    /// @inheritdoc IClaimPaymaster
    function pause() external {
        if (msg.sender != owner() && !_guardians.hasRole(GUARDIAN_ROLE, msg.sender))
            revert PaymasterNotGuardian(msg.sender);
        if (_call.paused) revert PaymasterPaused();
        _call.paused = true;
        emit SponsorshipPaused(msg.sender);
    }

    /// @inheritdoc IClaimPaymaster
    function unpause() external onlyOwner {
        if (!_call.paused) revert PaymasterNotPaused();
        _call.paused = false;
        emit SponsorshipUnpaused(msg.sender);
    }

    // ================================================================ views

    /// @inheritdoc IClaimPaymaster
    function paused() external view returns (bool) {
        return _call.paused;
    }

    /// @inheritdoc IClaimPaymaster
    function guardians() external view returns (address) {
        return address(_guardians);
    }

    /// @inheritdoc IClaimPaymaster
    function spent(uint64 epoch, address account) external view returns (uint256 total, uint256 byAccount) {
        return (_spentTotal[epoch], _spentBy[epoch][account]);
    }

    /// @inheritdoc IClaimPaymaster
    function epochRange(uint64 epoch) public view returns (uint256 start, uint256 end) {
        start = uint256(_genesisTime) + uint256(epoch) * _epochLength;
        end = start + _epochLength;
    }

    /// @inheritdoc IClaimPaymaster
    function lastEpoch() external view returns (uint64) {
        return _lastEpoch;
    }

    /// @inheritdoc IClaimPaymaster
    function claimTarget() external view returns (address) {
        return _call.target;
    }

    /// @inheritdoc IClaimPaymaster
    function claimSelector() external view returns (bytes4) {
        return _call.selector;
    }

    /// @inheritdoc IClaimPaymaster
    function executeSelector() external view returns (bytes4) {
        return _call.executeSelector;
    }

    /// @inheritdoc IClaimPaymaster
    function epochBudget() external view returns (uint256) {
        return _epochBudget;
    }

    /// @inheritdoc IClaimPaymaster
    function accountBudget() external view returns (uint256) {
        return _accountBudget;
    }

    /// @inheritdoc IClaimPaymaster
    function deviceDirectory() external view returns (address) {
        return address(_directory);
    }

    // ================================================================ internals

    /// @dev callData must be execute(claimTarget, 0, claimSelector ‖ ...), ABI-encoded.
    function _checkCall(bytes calldata callData) internal view {
        ClaimCall memory c = _call;
        if (c.paused) revert PaymasterPaused();
        if (callData.length < 4 || bytes4(callData[0:4]) != c.executeSelector) {
            revert PaymasterNotExecute(callData.length < 4 ? bytes4(0) : bytes4(callData[0:4]));
        }
        (address target, uint256 value, bytes memory inner) = abi.decode(callData[4:], (address, uint256, bytes));
        if (target != c.target) revert PaymasterTargetNotAllowed(target);
        if (value != 0) revert PaymasterValueNotAllowed(value);
        if (inner.length < 4 || bytes4(inner) != c.selector) {
            revert PaymasterSelectorNotAllowed(inner.length < 4 ? bytes4(0) : bytes4(inner));
        }
    }

    function _setClaimCall(address target, bytes4 selector, bytes4 executeSelector_) internal {
        if (target == address(0)) revert PaymasterBadParameter("claimTarget", 0);
        _call.target = target;
        _call.selector = selector;
        _call.executeSelector = executeSelector_;
        emit ClaimCallUpdated(target, selector, executeSelector_);
    }

    function _setBudgets(uint256 epochBudget_, uint256 accountBudget_) internal {
        if (accountBudget_ > epochBudget_) revert PaymasterBadParameter("accountBudget", accountBudget_);
        _epochBudget = epochBudget_;
        _accountBudget = accountBudget_;
        emit BudgetsUpdated(epochBudget_, accountBudget_);
    }
}
