// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IAccount} from "@account-abstraction/contracts/interfaces/IAccount.sol";
import {IEntryPoint} from "@account-abstraction/contracts/interfaces/IEntryPoint.sol";
import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {IDeviceDirectory} from "../../interfaces/IDeviceDirectory.sol";

/// @title IDeviceAccount
/// @notice ERC-4337 (EntryPoint v0.8) smart account of one device. It receives the device's
/// rewards and is controlled by whoever holds the device NFT at the moment of validation or
/// execution: transferring the NFT hands over the account with no call to the account. It answers
/// ERC-1271 for its controller, so a device account (or a Safe) can itself hold other devices. An
/// ERC-1271 signature is over `messageDigest(hash)`, the hash wrapped in the account's own EIP-712
/// domain as `DeviceAccountMessage(bytes32 hash)`, so it is valid for this account only; user
/// operations are signed over the EntryPoint's userOpHash, which already names the account.
interface IDeviceAccount is IAccount, IERC1271 {
    /// @notice One call of `executeBatch`.
    struct Call {
        address target;
        uint256 value;
        bytes data;
    }

    /// @notice `caller` is neither the EntryPoint nor the current controller.
    error DeviceAccountUnauthorized(address caller);
    /// @notice Only the EntryPoint may call `validateUserOp`; `caller` did.
    error DeviceAccountNotEntryPoint(address caller);
    /// @notice Call `index` of a batch reverted with `reason`.
    error DeviceAccountCallFailed(uint256 index, bytes reason);
    /// @notice The implementation itself was called; only its clones are accounts.
    error DeviceAccountNotAClone();

    /// @notice The device this account belongs to.
    function deviceId() external view returns (uint256);

    /// @notice Current controller: the holder of the device NFT (address(0) if none).
    function controller() external view returns (address);

    /// @notice The EntryPoint this account trusts.
    function entryPoint() external view returns (IEntryPoint);

    /// @notice The registry whose NFT holder controls this account.
    function registry() external view returns (IDeviceDirectory);

    /// @notice Sequential nonce (key 0) of this account at the EntryPoint.
    function getNonce() external view returns (uint256);

    /// @notice Performs one call (EntryPoint or controller only); bubbles the callee's revert.
    function execute(address target, uint256 value, bytes calldata data) external;

    /// @notice Performs several calls (EntryPoint or controller only); reverts with the index of
    /// the failing call.
    function executeBatch(Call[] calldata calls) external;

    /// @notice This account's deposit at the EntryPoint.
    function getDeposit() external view returns (uint256);

    /// @notice Adds the sent value to this account's EntryPoint deposit.
    function addDeposit() external payable;

    /// @notice The digest the controller signs for `isValidSignature(hash, ·)`: EIP-712 typed data
    /// `DeviceAccountMessage(bytes32 hash)` in the domain ("DePIN Device Account", "1", chainId, this
    /// account).
    function messageDigest(bytes32 hash) external view returns (bytes32);

    /// @notice Withdraws `amount` of the EntryPoint deposit to `to` (controller, or the account
    /// itself through the EntryPoint).
    function withdrawDepositTo(address payable to, uint256 amount) external;
}
