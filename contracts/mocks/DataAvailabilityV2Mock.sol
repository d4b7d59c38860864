// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {DataAvailability} from "../da/DataAvailability.sol";

/// @title DataAvailabilityV2Mock
/// @notice TEST ONLY. A next DataAvailability version with the same storage and one extra view,
/// used to upgrade the DA proxy through a governance proposal.
/// @custom:oz-upgrades-unsafe-allow constructor
contract DataAvailabilityV2Mock is DataAvailability {
    /// @notice Version marker of the upgraded implementation.
    function version() external pure returns (uint256) {
        return 2;
    }
}
