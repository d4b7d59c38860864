// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title IRewardToken
/// @notice The network's reward and governance token: ERC-20 with EIP-2612 permit, ERC20Votes
/// checkpoints (block-number clock, the OpenZeppelin Governor default), a hard supply cap and
/// burning (data credits are bought by burning). Only MINTER_ROLE mints; in a deployment the
/// only minter is the RewardEmission contract, which enforces the emission schedule and the
/// minting circuit breaker.
interface IRewardToken is IERC20 {
    /// @notice Mints `amount` to `to` (MINTER_ROLE). Reverts with ERC20ExceededCap above the cap.
    function mint(address to, uint256 amount) external;

    /// @notice Burns `amount` from `account` using the caller's allowance.
    function burnFrom(address account, uint256 amount) external;

    /// @notice Hard cap on the total supply.
    function cap() external view returns (uint256);
}
