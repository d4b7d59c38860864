// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IEntryPoint} from "@account-abstraction/contracts/interfaces/IEntryPoint.sol";
import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";
import {IDeviceDirectory} from "../interfaces/IDeviceDirectory.sol";
import {IDeviceAccountFactory} from "./interfaces/IDeviceAccountFactory.sol";
import {DeviceAccount} from "./DeviceAccount.sol";

/// @title DeviceAccountFactory
/// @notice CREATE2 factory of device accounts: ERC-1167 clones of one DeviceAccount
/// implementation with the device id as immutable argument and as salt.
contract DeviceAccountFactory is IDeviceAccountFactory {
    address private immutable _IMPLEMENTATION;
    IDeviceDirectory private immutable _REGISTRY;

    constructor(IEntryPoint entryPoint_, IDeviceDirectory registry_) {
        _REGISTRY = registry_;
        _IMPLEMENTATION = address(new DeviceAccount(entryPoint_, registry_));
    }

    /// @inheritdoc IDeviceAccountFactory
    function createAccount(uint256 deviceId) external returns (address account) {
        account = accountAddress(deviceId);
        if (account.code.length != 0) return account;
        if (_REGISTRY.deviceStatus(deviceId) == IDeviceDirectory.DeviceStatus.None) {
            revert DeviceAccountFactoryUnknownDevice(deviceId);
        }
        Clones.cloneDeterministicWithImmutableArgs(_IMPLEMENTATION, abi.encode(deviceId), bytes32(deviceId));
        emit DeviceAccountCreated(deviceId, account);
    }

    /// @inheritdoc IDeviceAccountFactory
    function accountAddress(uint256 deviceId) public view returns (address) {
        return
            Clones.predictDeterministicAddressWithImmutableArgs(
                _IMPLEMENTATION,
                abi.encode(deviceId),
                bytes32(deviceId)
            );
    }

    /// @inheritdoc IDeviceAccountFactory
    function accountImplementation() external view returns (address) {
        return _IMPLEMENTATION;
    }

    /// @inheritdoc IDeviceAccountFactory
    function registry() external view returns (IDeviceDirectory) {
        return _REGISTRY;
    }
}
