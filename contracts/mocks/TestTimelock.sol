// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/// @title TestTimelock
/// @notice TEST ONLY. OpenZeppelin's TimelockController under a test name, used to show that
/// every admin role of the contracts here can be handed to a governance timelock.
contract TestTimelock is TimelockController {
    constructor(
        uint256 minDelay,
        address[] memory proposers,
        address[] memory executors,
        address admin
    ) TimelockController(minDelay, proposers, executors, admin) {}
}
