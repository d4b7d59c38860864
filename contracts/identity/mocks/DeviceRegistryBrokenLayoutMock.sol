// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {AccessControlUpgradeable} from "@openzeppelin/contracts-upgradeable/access/AccessControlUpgradeable.sol";
import {EIP712Upgradeable} from "@openzeppelin/contracts-upgradeable/utils/cryptography/EIP712Upgradeable.sol";

/// @notice TEST ONLY. A would-be registry upgrade whose ERC-7201 namespace reorders the first
/// members: the storage-layout validation in the upgrade tests must reject it.
contract DeviceRegistryBrokenLayoutMock is Initializable, UUPSUpgradeable, AccessControlUpgradeable, EIP712Upgradeable {
    /// @custom:storage-location erc7201:depin.storage.DeviceRegistry
    struct RegistryStorage {
        mapping(bytes32 keyId => uint256 deviceId) deviceOfKey;
        mapping(uint256 deviceId => uint256 packed) devices;
    }

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    function initialize() external initializer {
        __AccessControl_init();
        __EIP712_init("DePIN Device Registry", "1");
    }

    function _authorizeUpgrade(address) internal override onlyRole(DEFAULT_ADMIN_ROLE) {}
}
