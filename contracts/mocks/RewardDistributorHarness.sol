// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {RewardDistributor} from "../rewards/RewardDistributor.sol";
import {IBatchCommitments} from "../interfaces/IBatchCommitments.sol";
import {IDeviceDirectory} from "../interfaces/IDeviceDirectory.sol";
import {IRewardEmission} from "../interfaces/IRewardEmission.sol";

/// @title RewardDistributorHarness
/// @notice TEST ONLY. The distributor with proof verification replaced by a switch, for the
/// Solidity fuzz/invariant tests of its accounting (points, closing, claims), which cannot make a
/// Groth16 proof per fuzz input. Every proof path is tested with real proofs in
/// test/rewards/*.test.ts.
contract RewardDistributorHarness is RewardDistributor {
    bool private _accept = true;

    constructor(
        IBatchCommitments batches_,
        IRewardEmission emission_,
        IDeviceDirectory directory_,
        address admin,
        uint64 settlementDelay_,
        uint64 firstEpoch,
        RuleParams memory initialRule
    ) RewardDistributor(batches_, emission_, directory_, admin, settlementDelay_, firstEpoch, initialRule) {}

    function setAcceptProofs(bool accept) external {
        _accept = accept;
    }

    /// @notice Sets the points lane of `deviceId` in `epoch` (claimed bit cleared), e.g. near its
    /// 2^63 - 1 limit, which no test can reach by settling batches.
    function forcePoints(uint64 epoch, uint64 deviceId, uint256 points) external {
        uint256 at = (deviceId & 3) * 64;
        uint256 word = _points[epoch][deviceId >> 2];
        _points[epoch][deviceId >> 2] = (word & ~(uint256(type(uint64).max) << at)) | (points << at);
    }

    function _verify(VerifierConfig memory, uint256[] memory, Proof calldata) internal view override returns (bool) {
        return _accept;
    }
}
