// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title ClaimTargetMock
/// @notice TEST ONLY. Stands in for the rewards distributor's claim entry point (not written yet),
/// plus a second function that a sponsored operation must not be able to call.
contract ClaimTargetMock {
    event Claimed(address indexed account, uint64 indexed epoch, uint256 deviceId);
    event Other(address indexed account);

    function claim(uint64 epoch, uint256 deviceId) external {
        emit Claimed(msg.sender, epoch, deviceId);
    }

    function somethingElse() external {
        emit Other(msg.sender);
    }
}
