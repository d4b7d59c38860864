// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title FlashLenderMock
/// @notice TEST ONLY. Lends its whole token balance for the duration of one call, like a
/// flash-loan pool, so tests can show that borrowed tokens carry no voting power.
contract FlashLenderMock {
    /// @notice The loan was not repaid within the call.
    error FlashLenderMockNotRepaid(uint256 balanceBefore, uint256 balanceAfter);

    /// @notice Sends `amount` of `token` to the caller, calls it back with `data`, and requires
    /// the balance restored before returning.
    function flashLoan(IERC20 token, uint256 amount, bytes calldata data) external {
        uint256 before = token.balanceOf(address(this));
        token.transfer(msg.sender, amount);
        FlashBorrower(msg.sender).onFlashLoan(data);
        uint256 afterwards = token.balanceOf(address(this));
        if (afterwards < before) revert FlashLenderMockNotRepaid(before, afterwards);
    }
}

/// @notice Callback of {FlashLenderMock}.
interface FlashBorrower {
    /// @notice Called with the borrowed tokens in hand; must repay before returning.
    function onFlashLoan(bytes calldata data) external;
}
