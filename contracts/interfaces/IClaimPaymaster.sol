// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IClaimPaymaster
/// @notice ERC-4337 (EntryPoint v0.8) paymaster that sponsors reward claims (DESIGN decision 5):
/// it pays gas only for a UserOperation whose callData is the sender account's
/// `execute(claimTarget, 0, claimSelector ‖ args)`, within a governed budget per epoch and per
/// account per epoch.
///
/// paymasterAndData = paymaster (20) ‖ validationGasLimit (16) ‖ postOpGasLimit (16) ‖
///                    epoch (8, uint64) [‖ deviceId (32), when a device directory is set].
/// The epoch is declared by the sender and enforced by the EntryPoint through the returned
/// validAfter/validUntil (the epoch's time range), so validation reads no TIMESTAMP (ERC-7562).
/// Every sponsored epoch's window fits in uint48 exactly (epochs past lastEpoch() are refused with
/// PaymasterEpochOutOfRange), so the budget key (the epoch) and the enforced window always agree.
/// Budgets are reserved at validation for the maximum cost; postOp releases what was not used
/// (counting the postOp gas limit in full, so budgets never undercount the deposit spent). When a device directory is set, the sender must be the device's reward recipient
/// (its device account).
///
/// Pause: a holder of GUARDIAN_ROLE on the reward emission (the pause-only guardian) or the owner
/// may pause sponsorship at once; only the owner (the timelock) unpauses. The guardian can do
/// nothing else here: no unpause, no parameter, no withdrawal of the deposit or stake.
interface IClaimPaymaster {
    error PaymasterNotExecute(bytes4 selector);
    error PaymasterTargetNotAllowed(address target);
    error PaymasterSelectorNotAllowed(bytes4 selector);
    error PaymasterValueNotAllowed(uint256 value);
    error PaymasterBadPaymasterData(uint256 length);
    error PaymasterNotDeviceAccount(address sender, uint256 deviceId);
    /// @notice The epoch's total budget would be exceeded: `total` reserved against `budget`.
    error PaymasterEpochBudgetExceeded(uint64 epoch, uint256 total, uint256 budget);
    /// @notice The account's per-epoch limit would be exceeded.
    error PaymasterAccountBudgetExceeded(address account, uint64 epoch, uint256 total, uint256 limit);
    error PaymasterBadParameter(bytes32 which, uint256 value);
    /// @notice The declared epoch is past `lastEpoch`, the last one whose window ends within
    /// ERC-4337's uint48 validUntil: cut to uint48 its window would alias an earlier epoch's window
    /// with a fresh budget, so it is refused.
    error PaymasterEpochOutOfRange(uint64 epoch, uint64 lastEpoch);
    /// @notice Sponsorship is paused (validation), or already paused (pause).
    error PaymasterPaused();
    /// @notice unpause() while sponsorship is not paused.
    error PaymasterNotPaused();
    /// @notice `account` is neither the owner nor a GUARDIAN_ROLE holder on the reward emission.
    error PaymasterNotGuardian(address account);

    /// @notice `charged` wei of gas counted against the budgets for `account`'s claim in `epoch`.
    event ClaimSponsored(address indexed account, uint64 indexed epoch, uint256 charged);
    event ClaimCallUpdated(address target, bytes4 selector, bytes4 executeSelector);
    event BudgetsUpdated(uint256 epochBudget, uint256 accountBudget);
    event DeviceDirectoryUpdated(address directory);
    /// @notice Sponsorship paused by `account` (a guardian or the owner).
    event SponsorshipPaused(address indexed account);
    /// @notice Sponsorship resumed by the owner.
    event SponsorshipUnpaused(address indexed account);

    /// @notice Sets the sponsored call: the distributor, its claim selector and the device
    /// account's execute selector (owner = timelock).
    function setClaimCall(address target, bytes4 selector, bytes4 executeSelector) external;

    /// @notice Sets the wei of gas sponsored per epoch in total and per account (owner).
    function setBudgets(uint256 epochBudget, uint256 accountBudget) external;

    /// @notice Sets the directory used to check that senders are device accounts; zero disables
    /// the check (owner).
    function setDeviceDirectory(address directory) external;

    /// @notice Stops sponsoring every operation until the owner unpauses. The owner or a
    /// GUARDIAN_ROLE holder on the reward emission (`guardians()`).
    function pause() external;

    /// @notice Resumes sponsorship (owner only; a guardian cannot).
    function unpause() external;

    /// @notice Whether sponsorship is paused.
    function paused() external view returns (bool);

    /// @notice The AccessControl contract (the reward emission) whose GUARDIAN_ROLE may pause.
    function guardians() external view returns (address);

    /// @notice Wei of gas reserved or spent in `epoch` in total and by `account`.
    function spent(uint64 epoch, address account) external view returns (uint256 total, uint256 byAccount);

    /// @notice Epoch time range [start, end) on the reward epoch clock.
    function epochRange(uint64 epoch) external view returns (uint256 start, uint256 end);

    /// @notice The last epoch sponsored: the last whose time range ends within uint48 validUntil.
    function lastEpoch() external view returns (uint64);

    /// @notice The contract whose claim function is sponsored (the distributor).
    function claimTarget() external view returns (address);
    /// @notice The sponsored claim function's selector.
    function claimSelector() external view returns (bytes4);
    /// @notice The device account's execute(address,uint256,bytes) selector.
    function executeSelector() external view returns (bytes4);
    /// @notice Wei of gas sponsored per epoch, all accounts together.
    function epochBudget() external view returns (uint256);
    /// @notice Wei of gas sponsored per account per epoch.
    function accountBudget() external view returns (uint256);
    /// @notice Directory used to check senders are device accounts (zero: no check).
    function deviceDirectory() external view returns (address);
}
