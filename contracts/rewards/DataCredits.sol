// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControlUpgradeable} from "@openzeppelin/contracts-upgradeable/access/AccessControlUpgradeable.sol";
import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";
import {IDataCredits} from "../interfaces/IDataCredits.sol";
import {IRewardToken} from "../interfaces/IRewardToken.sol";

/// @title DataCredits
/// @notice See {IDataCredits}.
/// @dev UUPS proxy with ERC-7201 storage (consumers' credits outlive any logic change); upgrades
/// are authorised by DEFAULT_ADMIN_ROLE (the timelock).
contract DataCredits is IDataCredits, Initializable, AccessControlUpgradeable, UUPSUpgradeable {
    /// @notice Role of the DA API operator that spends consumers' credits.
    bytes32 public constant OPERATOR_ROLE = keccak256("OPERATOR_ROLE");

    /// @custom:storage-location erc7201:depin.storage.DataCredits
    struct DataCreditsStorage {
        IRewardToken token;
        AggregatorV3Interface feed;
        uint256 maxPriceAge;
        uint256 usdPerCredit;
        uint256 totalCredits;
        mapping(address account => uint256) balances;
    }

    // keccak256(abi.encode(uint256(keccak256("depin.storage.DataCredits")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_LOCATION = 0x68986a8740df951a3ee5e2f4c18a57f03b2d0cb4d8c726deaabf4bde2da02e00;

    function _s() private pure returns (DataCreditsStorage storage $) {
        // ERC-7201: the namespace's fixed slot; nothing else writes there.
        assembly ("memory-safe") {
            $.slot := STORAGE_LOCATION
        }
    }

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @notice Initialises the proxy.
    /// @param token_ the reward token burnt to buy credits.
    /// @param feed Chainlink token/USD aggregator.
    /// @param maxPriceAge_ oldest accepted price, in seconds (match the feed's heartbeat).
    /// @param usdPerCredit18 USD price of one credit, 18 decimals.
    /// @param admin receives DEFAULT_ADMIN_ROLE (the timelock): grants OPERATOR_ROLE, upgrades.
    function initialize(
        IRewardToken token_,
        AggregatorV3Interface feed,
        uint256 maxPriceAge_,
        uint256 usdPerCredit18,
        address admin
    ) external initializer {
        __AccessControl_init();
        _s().token = token_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _setPriceFeed(address(feed));
        _setMaxPriceAge(maxPriceAge_);
        _setUsdPerCredit(usdPerCredit18);
    }

    /// @dev Upgrades go through governance (the timelock holds DEFAULT_ADMIN_ROLE).
    function _authorizeUpgrade(address) internal override onlyRole(DEFAULT_ADMIN_ROLE) {}

    /// @inheritdoc IDataCredits
    function buyCredits(
        uint256 tokenAmount,
        address beneficiary,
        uint256 minCredits
    ) external returns (uint256 credits) {
        if (beneficiary == address(0)) revert DataCreditsBadParameter("beneficiary", 0);
        int256 price;
        (credits, price) = _quote(tokenAmount);
        if (credits == 0 || credits < minCredits) revert DataCreditsSlippage(credits, minCredits);
        DataCreditsStorage storage $ = _s();
        $.balances[beneficiary] += credits;
        $.totalCredits += credits;
        $.token.burnFrom(msg.sender, tokenAmount);
        emit CreditsPurchased(msg.sender, beneficiary, tokenAmount, price, credits);
    }

    /// @inheritdoc IDataCredits
    function quoteCredits(uint256 tokenAmount) external view returns (uint256 credits, int256 price) {
        return _quote(tokenAmount);
    }

    /// @inheritdoc IDataCredits
    function spendCredits(address consumer, uint256 amount, bytes32 ref) external onlyRole(OPERATOR_ROLE) {
        DataCreditsStorage storage $ = _s();
        uint256 balance = $.balances[consumer];
        if (amount > balance) revert DataCreditsInsufficient(consumer, balance, amount);
        // Cannot underflow: amount <= balance <= totalCredits (checked just above).
        unchecked {
            $.balances[consumer] = balance - amount;
            $.totalCredits -= amount;
        }
        emit CreditsSpent(consumer, msg.sender, amount, ref);
    }

    /// @inheritdoc IDataCredits
    function balanceOf(address account) external view returns (uint256) {
        return _s().balances[account];
    }

    /// @inheritdoc IDataCredits
    function totalCredits() external view returns (uint256) {
        return _s().totalCredits;
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

    /// @inheritdoc IDataCredits
    function token() external view returns (address) {
        return address(_s().token);
    }

    /// @inheritdoc IDataCredits
    function priceFeed() external view returns (address) {
        return address(_s().feed);
    }

    /// @inheritdoc IDataCredits
    function maxPriceAge() external view returns (uint256) {
        return _s().maxPriceAge;
    }

    /// @inheritdoc IDataCredits
    function usdPerCredit() external view returns (uint256) {
        return _s().usdPerCredit;
    }

    /// @dev Reads and checks the feed, then prices `tokenAmount`.
    function _quote(uint256 tokenAmount) internal view returns (uint256 credits, int256 price) {
        DataCreditsStorage storage $ = _s();
        uint256 updatedAt;
        (, price, , updatedAt, ) = $.feed.latestRoundData();
        if (price <= 0) revert DataCreditsInvalidPrice(price);
        if (updatedAt == 0 || updatedAt > block.timestamp || block.timestamp - updatedAt > $.maxPriceAge) {
            revert DataCreditsStalePrice(updatedAt, $.maxPriceAge);
        }
        uint256 usd18 = Math.mulDiv(tokenAmount, uint256(price), 10 ** $.feed.decimals());
        credits = usd18 / $.usdPerCredit;
    }

    function _setPriceFeed(address feed) internal {
        if (feed == address(0)) revert DataCreditsBadParameter("priceFeed", 0);
        _s().feed = AggregatorV3Interface(feed);
        emit PriceFeedUpdated(feed);
    }

    function _setMaxPriceAge(uint256 v) internal {
        if (v == 0) revert DataCreditsBadParameter("maxPriceAge", 0);
        _s().maxPriceAge = v;
        emit MaxPriceAgeUpdated(v);
    }

    function _setUsdPerCredit(uint256 v) internal {
        if (v == 0) revert DataCreditsBadParameter("usdPerCredit", 0);
        _s().usdPerCredit = v;
        emit UsdPerCreditUpdated(v);
    }
}
