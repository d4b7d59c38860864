// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IDeviceDirectory} from "../interfaces/IDeviceDirectory.sol";

/// @title DeviceDirectoryMock
/// @notice TEST ONLY. An IDeviceDirectory with free setters, so contracts that read the identity
/// layer (DA challenges, rewards) can be tested before and apart from the real device registry.
contract DeviceDirectoryMock is IDeviceDirectory {
    error DeviceDirectoryMockKeyIndexOutOfRange(uint256 deviceId, uint256 index, uint256 count);

    mapping(uint256 deviceId => DeviceStatus) private _status;
    mapping(uint256 deviceId => DeviceKey[]) private _keys;
    mapping(uint256 deviceId => address) private _recipient;
    mapping(uint256 deviceId => address) private _owner;

    /// @notice Delay before a revocation takes effect, as in the device registry
    /// (DeviceRegistry.KEY_REVOCATION_DELAY): rotations and decommissions are scheduled, not instant.
    uint64 public constant KEY_REVOCATION_DELAY = 10 minutes;

    /// @notice Appends a key to the device's history (and marks the device Active if unknown).
    function addKey(uint256 deviceId, KeyType keyType, bytes calldata publicKey, uint64 validFrom) external {
        _keys[deviceId].push(DeviceKey({keyType: keyType, publicKey: publicKey, validFrom: validFrom, revokedAt: 0}));
        if (_status[deviceId] == DeviceStatus.None) _status[deviceId] = DeviceStatus.Active;
    }

    /// @notice Sets the revocation time of key `index`.
    function revokeKey(uint256 deviceId, uint256 index, uint64 revokedAt) external {
        uint256 count = _keys[deviceId].length;
        if (index >= count) revert DeviceDirectoryMockKeyIndexOutOfRange(deviceId, index, count);
        _keys[deviceId][index].revokedAt = revokedAt;
    }

    /// @notice A key rotation with the registry's semantics (DeviceRegistry.rotateKey): the current
    /// (last) key is revoked at now + KEY_REVOCATION_DELAY and the new key is valid from that same
    /// instant. Returns the new key's index.
    function rotateKeyScheduled(
        uint256 deviceId,
        KeyType keyType,
        bytes calldata publicKey
    ) external returns (uint256 index) {
        uint64 effectiveAt = uint64(block.timestamp) + KEY_REVOCATION_DELAY;
        DeviceKey[] storage keys = _keys[deviceId];
        index = keys.length;
        if (index == 0) revert DeviceDirectoryMockKeyIndexOutOfRange(deviceId, 0, 0);
        keys[index - 1].revokedAt = effectiveAt;
        keys.push(DeviceKey({keyType: keyType, publicKey: publicKey, validFrom: effectiveAt, revokedAt: 0}));
    }

    /// @notice A decommission with the registry's semantics (DeviceRegistry.decommission): the
    /// current key is revoked at now + KEY_REVOCATION_DELAY and the device is Decommissioned now.
    function decommissionScheduled(uint256 deviceId) external {
        uint256 count = _keys[deviceId].length;
        if (count == 0) revert DeviceDirectoryMockKeyIndexOutOfRange(deviceId, 0, 0);
        _keys[deviceId][count - 1].revokedAt = uint64(block.timestamp) + KEY_REVOCATION_DELAY;
        _status[deviceId] = DeviceStatus.Decommissioned;
    }

    function setStatus(uint256 deviceId, DeviceStatus status) external {
        _status[deviceId] = status;
    }

    function setRewardRecipient(uint256 deviceId, address recipient) external {
        _recipient[deviceId] = recipient;
    }

    function setOwner(uint256 deviceId, address owner) external {
        _owner[deviceId] = owner;
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
        return _keys[deviceId][index];
    }

    /// @inheritdoc IDeviceDirectory
    function rewardRecipient(uint256 deviceId) external view returns (address) {
        return _recipient[deviceId];
    }

    /// @inheritdoc IDeviceDirectory
    function ownerOfDevice(uint256 deviceId) external view returns (address) {
        return _owner[deviceId];
    }
}
