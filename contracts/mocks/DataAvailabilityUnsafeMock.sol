// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {DataAvailability} from "../da/DataAvailability.sol";

/// @title DataAvailabilityUnsafeMock
/// @notice TEST ONLY. An implementation the upgrade check must refuse: a state variable with an
/// initial value is set in the implementation's constructor, never in the proxy's storage.
/// @custom:oz-upgrades-unsafe-allow constructor
contract DataAvailabilityUnsafeMock is DataAvailability {
    // solhint-disable-next-line state-visibility
    uint256 private _fee = 1;

    /// @notice Reads the (never initialised behind a proxy) fee.
    function fee() external view returns (uint256) {
        return _fee;
    }
}
