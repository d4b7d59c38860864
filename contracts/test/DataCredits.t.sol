// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";
import {DataCredits} from "../rewards/DataCredits.sol";
import {RewardToken} from "../rewards/RewardToken.sol";
import {IRewardToken} from "../interfaces/IRewardToken.sol";
import {MockAggregator} from "../mocks/MockAggregator.sol";
import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";

/// @notice Fuzz test of the credits ledger: tokens burned match the price formula, credits
/// outstanding equal the sum of balances, spending never goes below zero.
contract DataCreditsFuzzTest {
    RewardToken internal _token;
    DataCredits internal _credits;
    MockAggregator internal _feed;
    address internal constant ALICE = address(0xA11CE);
    address internal constant BOB = address(0xB0B);

    function setUp() public {
        _token = new RewardToken("T", "T", 1e30, address(this));
        _token.grantRole(_token.MINTER_ROLE(), address(this));
        _feed = new MockAggregator(8, "T/USD", 5e6);
        bytes memory init = abi.encodeCall(
            DataCredits.initialize,
            (IRewardToken(address(_token)), AggregatorV3Interface(address(_feed)), 3600, 1e15, address(this))
        );
        _credits = DataCredits(address(new ERC1967Proxy(address(new DataCredits()), init)));
        _credits.grantRole(_credits.OPERATOR_ROLE(), address(this));
        _token.mint(address(this), 1e29);
        _token.approve(address(_credits), type(uint256).max);
    }

    function testFuzz_ledger(uint256 seed) public {
        uint256 supply = _token.totalSupply();
        for (uint256 step = 0; step < 24; ++step) {
            seed = uint256(keccak256(abi.encode(seed, step)));
            address who = seed % 2 == 0 ? ALICE : BOB;
            if (seed % 3 == 0) {
                _feed.setAnswer(int256(1 + ((seed >> 8) % 1e12)));
            } else if (seed % 3 == 1) {
                uint256 amount = (seed >> 16) % 1e24;
                (uint256 quoted, int256 price) = _credits.quoteCredits(amount);
                require(quoted == ((amount * uint256(price)) / 1e8) / 1e15, "quote off the formula");
                uint256 before = _credits.balanceOf(who);
                try _credits.buyCredits(amount, who, 0) returns (uint256 got) {
                    require(got == quoted && got > 0, "credits differ from quote");
                    require(_credits.balanceOf(who) == before + got, "balance not credited");
                    supply -= amount;
                } catch {
                    require(quoted == 0, "refused a purchase worth credits");
                }
            } else {
                uint256 balance = _credits.balanceOf(who);
                uint256 amount = (seed >> 16) % (balance + 2);
                try _credits.spendCredits(who, amount, bytes32(seed)) {
                    require(amount <= balance, "overspent");
                } catch {
                    require(amount > balance, "refused an affordable spend");
                }
            }
            require(
                _credits.totalCredits() == _credits.balanceOf(ALICE) + _credits.balanceOf(BOB),
                "ledger out of balance"
            );
            require(_token.totalSupply() == supply, "burn differs from purchases");
        }
    }
}
