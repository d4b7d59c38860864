// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IDataCredits
/// @notice Demand side of the network: data consumers buy non-transferable data credits by
/// burning reward tokens at the token's USD price from a Chainlink feed; the DA API operator
/// spends credits when a consumer reads batch payloads.
///
/// Pricing: one credit costs `usdPerCredit` USD (18 decimals). For `tokenAmount` (18 decimals)
/// at feed answer `p` with `d` decimals:
///     credits = floor(tokenAmount · p / 10^d / usdPerCredit).
/// A price older than `maxPriceAge` seconds, or not positive, is refused.
interface IDataCredits {
    error DataCreditsStalePrice(uint256 updatedAt, uint256 maxPriceAge);
    error DataCreditsInvalidPrice(int256 answer);
    /// @notice Fewer credits than the buyer's minimum (price moved), or zero credits.
    error DataCreditsSlippage(uint256 credits, uint256 minCredits);
    error DataCreditsInsufficient(address consumer, uint256 balance, uint256 amount);
    error DataCreditsBadParameter(bytes32 which, uint256 value);

    event CreditsPurchased(
        address indexed buyer,
        address indexed beneficiary,
        uint256 tokensBurned,
        int256 price,
        uint256 credits
    );
    event CreditsSpent(address indexed consumer, address indexed operator, uint256 amount, bytes32 indexed ref);
    event PriceFeedUpdated(address feed);
    event MaxPriceAgeUpdated(uint256 maxPriceAge);
    event UsdPerCreditUpdated(uint256 usdPerCredit);

    /// @notice Burns `tokenAmount` reward tokens from the caller (allowance required) and credits
    /// `beneficiary`; reverts if that buys fewer than `minCredits` (or zero) credits.
    function buyCredits(
        uint256 tokenAmount,
        address beneficiary,
        uint256 minCredits
    ) external returns (uint256 credits);

    /// @notice Credits `tokenAmount` would buy now, and the price used. Reverts on a bad price.
    function quoteCredits(uint256 tokenAmount) external view returns (uint256 credits, int256 price);

    /// @notice Spends `amount` of `consumer`'s credits for a read identified by `ref`
    /// (e.g. keccak of batch id and request id). OPERATOR_ROLE (the DA API).
    function spendCredits(address consumer, uint256 amount, bytes32 ref) external;

    /// @notice Credits of `account`. There is no transfer: credits are non-transferable.
    function balanceOf(address account) external view returns (uint256);

    /// @notice Credits outstanding (bought and not spent).
    function totalCredits() external view returns (uint256);

    /// @notice Governance (DEFAULT_ADMIN_ROLE): price feed, staleness bound, credit price.
    function setPriceFeed(address feed) external;
    /// @notice Sets the oldest accepted feed update, in seconds (> 0).
    function setMaxPriceAge(uint256 seconds_) external;
    /// @notice Sets the USD price of one credit, 18 decimals (> 0).
    function setUsdPerCredit(uint256 usdPerCredit18) external;

    /// @notice The reward token burnt to buy credits.
    function token() external view returns (address);
    /// @notice The Chainlink token/USD aggregator.
    function priceFeed() external view returns (address);
    /// @notice Oldest accepted feed update, in seconds.
    function maxPriceAge() external view returns (uint256);
    /// @notice USD price of one credit, 18 decimals.
    function usdPerCredit() external view returns (uint256);
}
