// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title RewardTokenMock
/// @notice TEST ONLY. A plain ERC20 that its minter (the emission mock) can mint, standing in for
/// the governance token of contracts/rewards.
contract RewardTokenMock is ERC20 {
    address private immutable _minter;

    error RewardTokenMockNotMinter(address caller);

    constructor(address minter) ERC20("Reward (test)", "RWD") {
        _minter = minter;
    }

    function mint(address to, uint256 amount) external {
        if (msg.sender != _minter) revert RewardTokenMockNotMinter(msg.sender);
        _mint(to, amount);
    }
}
