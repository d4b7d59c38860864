// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/// @title ProtocolTimelock
/// @notice The protocol's TimelockController: after deployment it holds every admin role and
/// every upgrade right in the protocol. Its proposer and canceller is the {ProtocolGovernor};
/// anyone may execute a call whose delay has passed (EXECUTOR_ROLE held by address(0)); the
/// timelock administers itself (no external admin once the deployment hands over).
/// @dev OpenZeppelin's TimelockController unchanged, under the protocol's name so that deployment
/// artifacts, audits and the roles audit can name it.
contract ProtocolTimelock is TimelockController {
    /// @param minDelay seconds between queueing and executing an operation.
    /// @param proposers accounts granted PROPOSER_ROLE and CANCELLER_ROLE (the governor).
    /// @param executors accounts granted EXECUTOR_ROLE (address(0): anyone).
    /// @param admin optional bootstrap admin, renounced by the deployment's hand-over step
    /// (address(0): none, the timelock administers itself).
    constructor(
        uint256 minDelay,
        address[] memory proposers,
        address[] memory executors,
        address admin
    ) TimelockController(minDelay, proposers, executors, admin) {}
}
