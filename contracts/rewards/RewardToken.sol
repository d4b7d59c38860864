// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Burnable} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Burnable.sol";
import {ERC20Capped} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Capped.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {ERC20Votes} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Votes.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {IRewardToken} from "../interfaces/IRewardToken.sol";

/// @title RewardToken
/// @notice See {IRewardToken}. Not upgradeable: the token is the root of governance, and its
/// rules (cap, who mints) are changed by moving MINTER_ROLE, not by replacing code.
contract RewardToken is IRewardToken, ERC20, ERC20Burnable, ERC20Capped, ERC20Permit, ERC20Votes, AccessControl {
    /// @notice Role allowed to mint (granted to RewardEmission only).
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");

    /// @param cap_ hard supply cap (at most 2^208 - 1, the ERC20Votes limit).
    /// @param admin receives DEFAULT_ADMIN_ROLE (handed to the timelock at deployment).
    constructor(
        string memory name_,
        string memory symbol_,
        uint256 cap_,
        address admin
    ) ERC20(name_, symbol_) ERC20Capped(cap_) ERC20Permit(name_) {
        if (cap_ > _maxSupply()) revert ERC20InvalidCap(cap_);
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @inheritdoc IRewardToken
    function mint(address to, uint256 amount) external onlyRole(MINTER_ROLE) {
        _mint(to, amount);
    }

    /// @inheritdoc IRewardToken
    function burnFrom(address account, uint256 amount) public override(IRewardToken, ERC20Burnable) {
        super.burnFrom(account, amount);
    }

    /// @inheritdoc IRewardToken
    function cap() public view override(IRewardToken, ERC20Capped) returns (uint256) {
        return super.cap();
    }

    /// @dev Cap check (ERC20Capped) and vote checkpoints (ERC20Votes) on every balance change.
    function _update(address from, address to, uint256 value) internal override(ERC20, ERC20Capped, ERC20Votes) {
        super._update(from, to, value);
    }

    /// @inheritdoc ERC20Permit
    function nonces(address owner) public view override(ERC20Permit, Nonces) returns (uint256) {
        return super.nonces(owner);
    }
}
