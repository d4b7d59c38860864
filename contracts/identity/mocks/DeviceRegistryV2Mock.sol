// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {DeviceRegistry} from "../DeviceRegistry.sol";

/// @notice Test-only next version of the registry: same storage, one extra view, used to check
/// that an authorised upgrade keeps every device and that the layout validates. Its state was
/// initialised by version 1 through the proxy, so it defines no initializer of its own.
/// @custom:oz-upgrades-unsafe-allow missing-initializer
contract DeviceRegistryV2Mock is DeviceRegistry {
    /// @notice Version marker of the upgraded implementation.
    function version() external pure returns (uint256) {
        return 2;
    }
}
