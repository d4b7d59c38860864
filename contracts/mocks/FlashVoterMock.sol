// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IGovernor} from "@openzeppelin/contracts/governance/IGovernor.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IVotes} from "@openzeppelin/contracts/governance/utils/IVotes.sol";
import {FlashBorrower, FlashLenderMock} from "./FlashLenderMock.sol";

/// @title FlashVoterMock
/// @notice TEST ONLY. The flash-loan governance attack: borrow tokens, self-delegate, vote and
/// repay, all in one transaction. Against checkpointed votes the vote weighs zero.
contract FlashVoterMock is FlashBorrower {
    IERC20 private immutable _token;
    IGovernor private immutable _governor;
    FlashLenderMock private immutable _lender;

    /// @notice The weight the governor counted for the flash vote.
    uint256 public lastWeight;

    constructor(IERC20 token, IGovernor governor, FlashLenderMock lender) {
        _token = token;
        _governor = governor;
        _lender = lender;
    }

    /// @notice Borrows `amount` and votes for `proposalId` with it.
    function attack(uint256 proposalId, uint256 amount) external {
        _lender.flashLoan(_token, amount, abi.encode(proposalId));
    }

    /// @inheritdoc FlashBorrower
    function onFlashLoan(bytes calldata data) external {
        uint256 proposalId = abi.decode(data, (uint256));
        IVotes(address(_token)).delegate(address(this));
        lastWeight = _governor.castVote(proposalId, 1);
        _token.transfer(address(_lender), _token.balanceOf(address(this)));
    }
}
