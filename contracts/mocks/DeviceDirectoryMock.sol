// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IDeviceDirectory} from "../interfaces/IDeviceDirectory.sol";

/// @title DeviceDirectoryMock
/// @notice TEST ONLY. A settable stand-in for the identity layer's device registry, so the data
/// path (bridge cache, revocation handling) can be tested before and independently of the real
/// registry. Anyone can call the setters; never deploy outside tests.
contract DeviceDirectoryMock is IDeviceDirectory {
    error DeviceDirectoryMockKeyIndexOutOfRange(uint256 deviceId, uint256 index, uint256 count);

    mapping(uint256 deviceId => DeviceStatus) private _status;
    mapping(uint256 deviceId => DeviceKey[]) private _keys;

    /// @notice Sets a device's lifecycle status.
    function setStatus(uint256 deviceId, DeviceStatus status) external {
        _status[deviceId] = status;
    }

    /// @notice Appends a key to the device's history.
    function addKey(uint256 deviceId, KeyType keyType, bytes calldata publicKey, uint64 validFrom) external {
        _keys[deviceId].push(DeviceKey({keyType: keyType, publicKey: publicKey, validFrom: validFrom, revokedAt: 0}));
    }

    /// @notice Marks key `index` of the device revoked at `revokedAt`.
    function revokeKey(uint256 deviceId, uint256 index, uint64 revokedAt) external {
        uint256 count = _keys[deviceId].length;
        if (index >= count) revert DeviceDirectoryMockKeyIndexOutOfRange(deviceId, index, count);
        _keys[deviceId][index].revokedAt = revokedAt;
    }

    /// @inheritdoc IDeviceDirectory
    function deviceStatus(uint256 deviceId) external view returns (DeviceStatus) {
        return _status[deviceId];
    }

    /// @inheritdoc IDeviceDirectory
    function keyCount(uint256 deviceId) external view returns (uint256) {
        return _keys[deviceId].length;
    }

    /// @inheritdoc IDeviceDirectory
    function keyAt(uint256 deviceId, uint256 index) external view returns (DeviceKey memory) {
        uint256 count = _keys[deviceId].length;
        if (index >= count) revert DeviceDirectoryMockKeyIndexOutOfRange(deviceId, index, count);
        return _keys[deviceId][index];
    }

    /// @inheritdoc IDeviceDirectory
    function rewardRecipient(uint256) external pure returns (address) {
        return address(0);
    }

    /// @inheritdoc IDeviceDirectory
    function ownerOfDevice(uint256) external pure returns (address) {
        return address(0);
    }
}
