// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";
import {IDataCredits} from "../interfaces/IDataCredits.sol";
import {IRewardToken} from "../interfaces/IRewardToken.sol";

/// @title DataCredits
/// @notice See {IDataCredits}.
contract DataCredits is IDataCredits, AccessControl {
    /// @notice Role of the DA API operator that spends consumers' credits.
    bytes32 public constant OPERATOR_ROLE = keccak256("OPERATOR_ROLE");

    IRewardToken private immutable _token;
    AggregatorV3Interface private _feed;
    uint256 private _maxPriceAge;
    uint256 private _usdPerCredit;
    uint256 private _totalCredits;
    mapping(address account => uint256) private _balances;

    /// @param admin receives DEFAULT_ADMIN_ROLE (the timelock) — it grants OPERATOR_ROLE.
    /// @param feed Chainlink token/USD aggregator.
    /// @param maxPriceAge_ oldest accepted price, in seconds (match the feed's heartbeat).
    /// @param usdPerCredit18 USD price of one credit, 18 decimals.
    constructor(IRewardToken token_, AggregatorV3Interface feed, uint256 maxPriceAge_, uint256 usdPerCredit18, address admin) {
        _token = token_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _setPriceFeed(address(feed));
        _setMaxPriceAge(maxPriceAge_);
        _setUsdPerCredit(usdPerCredit18);
    }

    /// @inheritdoc IDataCredits
    function buyCredits(uint256 tokenAmount, address beneficiary, uint256 minCredits) external returns (uint256 credits) {
        int256 price;
        (credits, price) = _quote(tokenAmount);
        if (credits == 0 || credits < minCredits) revert DataCreditsSlippage(credits, minCredits);
        _balances[beneficiary] += credits;
        _totalCredits += credits;
        _token.burnFrom(msg.sender, tokenAmount);
        emit CreditsPurchased(msg.sender, beneficiary, tokenAmount, price, credits);
    }

    /// @inheritdoc IDataCredits
    function quoteCredits(uint256 tokenAmount) external view returns (uint256 credits, int256 price) {
        return _quote(tokenAmount);
    }

    /// @inheritdoc IDataCredits
    function spendCredits(address consumer, uint256 amount, bytes32 ref) external onlyRole(OPERATOR_ROLE) {
        uint256 balance = _balances[consumer];
        if (amount > balance) revert DataCreditsInsufficient(consumer, balance, amount);
        // Cannot underflow: amount <= balance <= totalCredits (checked just above).
        unchecked {
            _balances[consumer] = balance - amount;
            _totalCredits -= amount;
        }
        emit CreditsSpent(consumer, msg.sender, amount, ref);
    }

    /// @inheritdoc IDataCredits
    function balanceOf(address account) external view returns (uint256) {
        return _balances[account];
    }

    /// @inheritdoc IDataCredits
    function totalCredits() external view returns (uint256) {
        return _totalCredits;
    }

    /// @inheritdoc IDataCredits
    function setPriceFeed(address feed) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setPriceFeed(feed);
    }

    /// @inheritdoc IDataCredits
    function setMaxPriceAge(uint256 seconds_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setMaxPriceAge(seconds_);
    }

    /// @inheritdoc IDataCredits
    function setUsdPerCredit(uint256 usdPerCredit18) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setUsdPerCredit(usdPerCredit18);
    }

    function token() external view returns (address) {
        return address(_token);
    }

    function priceFeed() external view returns (address) {
        return address(_feed);
    }

    function maxPriceAge() external view returns (uint256) {
        return _maxPriceAge;
    }

    function usdPerCredit() external view returns (uint256) {
        return _usdPerCredit;
    }

    /// @dev Reads and checks the feed, then prices `tokenAmount`.
    function _quote(uint256 tokenAmount) internal view returns (uint256 credits, int256 price) {
        uint256 updatedAt;
        (, price, , updatedAt, ) = _feed.latestRoundData();
        if (price <= 0) revert DataCreditsInvalidPrice(price);
        if (updatedAt == 0 || updatedAt > block.timestamp || block.timestamp - updatedAt > _maxPriceAge) {
            revert DataCreditsStalePrice(updatedAt, _maxPriceAge);
        }
        uint256 usd18 = Math.mulDiv(tokenAmount, uint256(price), 10 ** _feed.decimals());
        credits = usd18 / _usdPerCredit;
    }

    function _setPriceFeed(address feed) internal {
        if (feed == address(0)) revert DataCreditsBadParameter("priceFeed", 0);
        _feed = AggregatorV3Interface(feed);
        emit PriceFeedUpdated(feed);
    }

    function _setMaxPriceAge(uint256 v) internal {
        if (v == 0) revert DataCreditsBadParameter("maxPriceAge", 0);
        _maxPriceAge = v;
        emit MaxPriceAgeUpdated(v);
    }

    function _setUsdPerCredit(uint256 v) internal {
        if (v == 0) revert DataCreditsBadParameter("usdPerCredit", 0);
        _usdPerCredit = v;
        emit UsdPerCreditUpdated(v);
    }
}
