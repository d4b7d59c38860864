// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IRewardDistributor} from "../interfaces/IRewardDistributor.sol";
import {IBatchCommitments} from "../interfaces/IBatchCommitments.sol";
import {IDeviceDirectory} from "../interfaces/IDeviceDirectory.sol";
import {IRewardEmission} from "../interfaces/IRewardEmission.sol";
import {BatchCommitmentsMock} from "../mocks/BatchCommitmentsMock.sol";
import {DeviceDirectoryMock} from "../mocks/DeviceDirectoryMock.sol";
import {RewardEmissionMock} from "../mocks/RewardEmissionMock.sol";
import {RewardTokenMock} from "../mocks/RewardTokenMock.sol";
import {RewardDistributorHarness} from "../mocks/RewardDistributorHarness.sol";

/// The few cheatcodes used, at the standard cheatcode address (no forge-std here).
interface Vm {
    function warp(uint256 timestamp) external;
}

/// Stateful fuzzing of the distributor's accounting: random sequences of settlements (points
/// within the cap, as the circuit guarantees), replays, time jumps, epoch closes and claims.
/// After every step: nothing is paid twice, no batch is settled twice, and tokens paid out of
/// each epoch never exceed its emission (they fall short by less than one unit per claim).
contract RewardDistributorFuzzTest {
    Vm private constant VM = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    uint64 private constant GENESIS = 1_000_000;
    uint64 private constant EPOCH = 100;
    uint64 private constant DELAY = 50;
    uint256 private constant EMISSION = 1e21 + 13;
    uint32 private constant CAP = 7;
    uint64 private constant DEVICES = 6;

    BatchCommitmentsMock private da;
    DeviceDirectoryMock private directory;
    RewardEmissionMock private emission;
    RewardTokenMock private token;
    RewardDistributorHarness private dist;

    uint256 private nextBatch;
    uint256[] private settledIds;
    mapping(uint64 epoch => uint256) private expectedTotal;
    mapping(uint64 epoch => uint256) private paidFrom;
    mapping(uint64 epoch => mapping(uint64 device => uint256)) private expectedPoints;
    mapping(uint64 epoch => mapping(uint64 device => bool)) private paid;
    uint256 private totalPaid;

    function _setUp() private {
        VM.warp(GENESIS + 10);
        da = new BatchCommitmentsMock();
        directory = new DeviceDirectoryMock();
        emission = new RewardEmissionMock(GENESIS, EPOCH, EMISSION);
        token = RewardTokenMock(emission.token());
        dist = new RewardDistributorHarness(
            IBatchCommitments(address(da)),
            IRewardEmission(address(emission)),
            IDeviceDirectory(address(directory)),
            address(this),
            DELAY,
            0,
            IRewardDistributor.RuleParams({minValue: 1, maxValue: 100, capPerBatch: CAP})
        );
        dist.setVerifier(4, address(token), 4); // any contract: proofs are switched by the harness
        for (uint64 d = 1; d <= DEVICES; d++) {
            directory.setStatus(d, IDeviceDirectory.DeviceStatus.Active);
            directory.setOwner(d, address(this));
            directory.setRewardRecipient(d, _recipient(d));
        }
        nextBatch = 1;
    }

    function _recipient(uint64 d) private pure returns (address) {
        return address(uint160(0xBEEF0000 + d));
    }

    function testFuzz_accountingInvariants(uint256 seed) public {
        _setUp();
        for (uint256 step; step < 40; step++) {
            seed = uint256(keccak256(abi.encode(seed, step)));
            uint256 op = seed % 5;
            if (op <= 1) _settleRandom(seed >> 8);
            else if (op == 2) _replayRandom(seed >> 8);
            else if (op == 3) _advance(seed >> 8);
            else _claimRandom(seed >> 8);
            _checkInvariants();
        }
    }

    /// Devices 4..7 share one storage word per epoch (and 8 starts the next): crediting and
    /// claiming one lane leaves its neighbours' points and claimed flags as they were.
    function test_neighbourLanesAreIndependent() public {
        _setUp();
        for (uint64 d = 7; d <= 8; d++) {
            directory.setStatus(d, IDeviceDirectory.DeviceStatus.Active);
            directory.setOwner(d, address(this));
            directory.setRewardRecipient(d, _recipient(d));
        }
        uint256[] memory words = new uint256[](2);
        words[0] = _slot(4, 3) | (_slot(5, 7) << 96);
        words[1] = _slot(7, 1) | (_slot(8, 6) << 96);
        da.commit(1, 11, 16, 4, 0);
        da.setFinal(1, true);
        IRewardDistributor.Proof memory proof;
        dist.settle(1, 0, words, proof);
        words[0] = _slot(5, 2) | (_slot(6, 4) << 96);
        words[1] = 0;
        da.commit(2, 12, 16, 4, 0);
        da.setFinal(2, true);
        dist.settle(2, 0, words, proof);
        _expectPoints(0, [uint256(3), 9, 4, 1, 6], [false, false, false, false, false]);

        VM.warp(dist.closableAt(0));
        dist.closeEpoch(0);
        uint64[] memory ids = new uint64[](2);
        uint64[] memory epochs = new uint64[](2);
        ids[0] = 5;
        ids[1] = 7;
        dist.claim(ids, epochs);
        _expectPoints(0, [uint256(3), 9, 4, 1, 6], [false, true, false, true, false]);
        require(dist.claimable(4, 0) == (3 * EMISSION) / 23, "neighbour still claimable");
    }

    /// A lane holds at most 2^63 - 1 points: a settlement that would carry into the claimed bit
    /// reverts and changes nothing.
    function test_laneOverflowReverts() public {
        _setUp();
        uint256 limit = (uint256(1) << 63) - 1;
        dist.forcePoints(0, 5, limit - 2);
        uint256[] memory words = new uint256[](2);
        words[0] = _slot(4, 1) | (_slot(5, 3) << 96);
        da.commit(1, 11, 16, 4, 0);
        da.setFinal(1, true);
        IRewardDistributor.Proof memory proof;
        try dist.settle(1, 0, words, proof) {
            revert("overflowing settlement accepted");
        } catch (bytes memory err) {
            require(
                keccak256(err) ==
                    keccak256(
                        abi.encodeWithSelector(IRewardDistributor.RewardDistributorPointsOverflow.selector, 5, 0)
                    ),
                "wrong overflow error"
            );
        }
        (uint256 pts, bool claimed) = dist.pointsOf(5, 0);
        require(pts == limit - 2 && !claimed, "lane changed");
        (pts, ) = dist.pointsOf(4, 0);
        require(pts == 0 && !dist.isSettled(1), "state changed");
        words[0] = _slot(4, 1) | (_slot(5, 2) << 96);
        dist.settle(1, 0, words, proof);
        (pts, claimed) = dist.pointsOf(5, 0);
        require(pts == limit && !claimed, "lane filled to its limit");
    }

    function _slot(uint64 id, uint32 points) private pure returns (uint256) {
        return uint256(id) | (uint256(points) << 64);
    }

    function _expectPoints(uint64 epoch, uint256[5] memory pts, bool[5] memory claimed) private view {
        for (uint64 d = 4; d <= 8; d++) {
            (uint256 p, bool c) = dist.pointsOf(d, epoch);
            require(p == pts[d - 4] && c == claimed[d - 4], "device lane");
        }
    }

    function _currentEpoch() private view returns (uint64) {
        return uint64((block.timestamp - GENESIS) / EPOCH);
    }

    function _settleRandom(uint256 r) private {
        uint64 epoch = _currentEpoch();
        uint256 id = nextBatch++;
        da.commit(id, r, 16, 4, epoch);
        da.setFinal(id, true);
        // An ascending subset of up to 4 devices, points in [0, CAP], packed two per word.
        uint256[] memory words = new uint256[](2);
        uint256 n;
        for (uint64 d = 1; d <= DEVICES && n < 4; d++) {
            if ((r >> d) & 1 == 1) {
                uint32 pts = uint32((r >> (8 * d)) % (CAP + 1));
                words[n / 2] |= (uint256(d) | (uint256(pts) << 64)) << (96 * (n % 2));
                expectedPoints[epoch][d] += pts;
                expectedTotal[epoch] += pts;
                n++;
            }
        }
        IRewardDistributor.Proof memory proof;
        dist.settle(id, 0, words, proof);
        settledIds.push(id);
    }

    function _replayRandom(uint256 r) private {
        if (settledIds.length == 0) return;
        uint256 id = settledIds[r % settledIds.length];
        IRewardDistributor.Proof memory proof;
        try dist.settle(id, 0, new uint256[](2), proof) {
            revert("batch settled twice");
        } catch (bytes memory err) {
            require(
                bytes4(err) == IRewardDistributor.RewardDistributorBatchAlreadySettled.selector,
                "wrong replay error"
            );
        }
    }

    function _advance(uint256 r) private {
        VM.warp(block.timestamp + (r % 180));
        while (block.timestamp >= dist.closableAt(dist.nextEpochToClose())) {
            dist.closeEpoch(dist.nextEpochToClose());
        }
    }

    function _claimRandom(uint256 r) private {
        uint64 next = dist.nextEpochToClose();
        if (next == 0) return;
        uint64 epoch = uint64(r % next);
        uint64 device = uint64(1 + ((r >> 64) % DEVICES));
        uint64[] memory ids = new uint64[](1);
        uint64[] memory epochs = new uint64[](1);
        ids[0] = device;
        epochs[0] = epoch;
        uint256 pts = expectedPoints[epoch][device];
        if (pts == 0 || paid[epoch][device]) {
            try dist.claim(ids, epochs) {
                revert("claim paid without points or twice");
            } catch {}
            return;
        }
        uint256 before = token.balanceOf(_recipient(device));
        uint256 amount = dist.claim(ids, epochs);
        require(amount == (pts * EMISSION) / expectedTotal[epoch], "pro-rata amount");
        require(token.balanceOf(_recipient(device)) == before + amount, "recipient credited");
        paid[epoch][device] = true;
        paidFrom[epoch] += amount;
        totalPaid += amount;
        try dist.claim(ids, epochs) {
            revert("claim paid twice");
        } catch (bytes memory err) {
            require(
                bytes4(err) == IRewardDistributor.RewardDistributorAlreadyClaimed.selector,
                "wrong double-claim error"
            );
        }
    }

    function _checkInvariants() private view {
        uint64 next = dist.nextEpochToClose();
        uint256 minted;
        for (uint64 e; e <= _currentEpoch(); e++) {
            (IRewardDistributor.EpochTotals memory info, bool closed) = dist.epochInfo(e);
            require(info.totalPoints == expectedTotal[e], "epoch total");
            require(closed == (e < next), "closed flag");
            if (closed && info.totalPoints != 0) {
                require(info.emission == EMISSION, "minted emission");
                minted += EMISSION;
            }
            require(paidFrom[e] <= info.emission, "paid more than the epoch's emission");
            for (uint64 d = 1; d <= DEVICES; d++) {
                (uint256 pts, bool claimed) = dist.pointsOf(d, e);
                require(pts == expectedPoints[e][d] && claimed == paid[e][d], "device points");
            }
        }
        require(token.balanceOf(address(dist)) + totalPaid == minted, "tokens conserved");
        require(token.totalSupply() == minted, "minted only at close");
    }
}
