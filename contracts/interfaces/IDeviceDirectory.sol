// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IDeviceDirectory
/// @notice The read-only view of the identity layer that every other layer depends on: the data
/// availability challenge (which key signed a reading), the rewards distributor (is the device
/// still earning, where do its rewards go) and the keepers (bridge cache). The device registry in
/// contracts/identity implements it.
interface IDeviceDirectory {
    /// @notice Lifecycle of a device (DESIGN decision 4).
    enum DeviceStatus {
        None,
        Provisioned,
        Bound,
        Active,
        Suspended,
        Decommissioned
    }

    /// @notice Device key algorithms (DESIGN decision 1).
    enum KeyType {
        Secp256k1,
        P256
    }

    /// @notice One entry of a device's key history.
    /// @param keyType algorithm of the key.
    /// @param publicKey secp256k1: the 20-byte address; P-256: the 64-byte x ‖ y.
    /// @param validFrom timestamp from which readings signed by this key are accepted.
    /// @param revokedAt timestamp of revocation (rotation or decommission); 0 while in force.
    struct DeviceKey {
        KeyType keyType;
        bytes publicKey;
        uint64 validFrom;
        uint64 revokedAt;
    }

    /// @notice Current lifecycle status of `deviceId` (None if unknown).
    function deviceStatus(uint256 deviceId) external view returns (DeviceStatus);

    /// @notice Number of keys the device has had (current key is the last one).
    function keyCount(uint256 deviceId) external view returns (uint256);

    /// @notice Key number `index` of the device's history (0 = first key).
    function keyAt(uint256 deviceId, uint256 index) external view returns (DeviceKey memory);

    /// @notice Address that receives the device's rewards (its ERC-4337 device account).
    function rewardRecipient(uint256 deviceId) external view returns (address);

    /// @notice Holder of the device NFT (the owner), or address(0) if unbound.
    function ownerOfDevice(uint256 deviceId) external view returns (address);
}
