// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";

/// @title MockAggregator
/// @notice TEST AND LOCAL DEMO ONLY. A Chainlink AggregatorV3Interface whose answer and update
/// time are set by anyone, so stale and negative prices can be produced on purpose.
contract MockAggregator is AggregatorV3Interface {
    uint8 private immutable _decimals;
    string private _description;
    uint80 private _roundId;
    int256 private _answer;
    uint256 private _updatedAt;

    constructor(uint8 decimals_, string memory description_, int256 initialAnswer) {
        _decimals = decimals_;
        _description = description_;
        _set(initialAnswer, block.timestamp);
    }

    /// @notice Publishes a new round with `answer`, updated now.
    function setAnswer(int256 answer) external {
        _set(answer, block.timestamp);
    }

    /// @notice Publishes a new round with an explicit update time (to simulate staleness).
    function setRound(int256 answer, uint256 updatedAt) external {
        _set(answer, updatedAt);
    }

    function decimals() external view returns (uint8) {
        return _decimals;
    }

    function description() external view returns (string memory) {
        return _description;
    }

    function version() external pure returns (uint256) {
        return 4;
    }

    function getRoundData(uint80 roundId_) external view returns (uint80, int256, uint256, uint256, uint80) {
        return (roundId_, _answer, _updatedAt, _updatedAt, roundId_);
    }

    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        return (_roundId, _answer, _updatedAt, _updatedAt, _roundId);
    }

    function _set(int256 answer, uint256 updatedAt) private {
        _roundId += 1;
        _answer = answer;
        _updatedAt = updatedAt;
    }
}
