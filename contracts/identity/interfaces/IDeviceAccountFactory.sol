// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IDeviceDirectory} from "../../interfaces/IDeviceDirectory.sol";

/// @title IDeviceAccountFactory
/// @notice Deploys the per-device ERC-4337 accounts with CREATE2 (salt = device id), so every
/// device's account address, and with it the device's reward recipient, is known before any
/// deployment. Usable as an ERC-4337 factory (`initCode = factory ‖ createAccount(deviceId)`).
interface IDeviceAccountFactory {
    /// @notice `deviceId` is not a known device.
    error DeviceAccountFactoryUnknownDevice(uint256 deviceId);

    /// @notice The account of `deviceId` was deployed at `account`.
    event DeviceAccountCreated(uint256 indexed deviceId, address indexed account);

    /// @notice Deploys the account of `deviceId` (or returns it if already deployed). Anyone may
    /// call: the address and the code are fixed by the device id.
    function createAccount(uint256 deviceId) external returns (address account);

    /// @notice Address of the account of `deviceId`, deployed or not.
    function accountAddress(uint256 deviceId) external view returns (address);

    /// @notice The account implementation every device account delegates to.
    function accountImplementation() external view returns (address);

    /// @notice The registry whose NFT holders control the accounts.
    function registry() external view returns (IDeviceDirectory);
}
