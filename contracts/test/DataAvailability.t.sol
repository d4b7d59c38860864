// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {DataAvailability} from "../da/DataAvailability.sol";
import {IBatchCommitments} from "../interfaces/IBatchCommitments.sol";
import {IDataAvailability} from "../interfaces/IDataAvailability.sol";
import {IDeviceDirectory} from "../interfaces/IDeviceDirectory.sol";
import {IPoseidon4, IPoseidon5} from "../interfaces/IPoseidon.sol";
import {DeviceDirectoryMock} from "../mocks/DeviceDirectoryMock.sol";
import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";

interface Vm {
    function warp(uint256 timestamp) external;
}

/// @notice Fuzz tests of the commitment sequence (DESIGN decision 7: a batch is never committed
/// twice or skipped) and of the finality clock. Hashing paths are covered by the mocha tests,
/// which use the real generated Poseidon contracts and sdk-built trees.
contract DataAvailabilityFuzzTest {
    Vm internal constant VM = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
    uint256 internal constant FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617;

    DataAvailability internal _da;

    function setUp() public {
        bytes memory init = abi.encodeCall(
            DataAvailability.initialize,
            (
                address(this),
                IDeviceDirectory(address(new DeviceDirectoryMock())),
                IPoseidon4(address(0x4)),
                IPoseidon5(address(0x5)),
                DataAvailability.Params({
                    challengeWindow: 1 days,
                    retentionWindow: 30 days,
                    unbondingDelay: 7 days,
                    minBond: 1 ether,
                    slashAmount: 1 ether,
                    challengerRewardBps: 5000
                })
            )
        );
        _da = DataAvailability(address(new ERC1967Proxy(address(new DataAvailability()), init)));
        _da.addSequencer(address(this));
        // Each open batch locks slashAmount: enough for every commit one fuzz run makes.
        _da.depositBond{value: 40 ether}();
    }

    /// Whatever ids are tried, exactly the consecutive ones succeed; every committed batch keeps
    /// its first root; nothing is skipped.
    function testFuzz_batchIdsAreConsecutive(uint256 seed) public {
        uint256 committed;
        for (uint256 step = 0; step < 32; ++step) {
            seed = uint256(keccak256(abi.encode(seed, step)));
            // Half of the attempts use the right id, the rest a nearby or random one.
            uint256 id = seed % 2 == 0 ? committed + 1 : (seed % 4 == 1 ? committed + ((seed >> 8) % 3) : seed >> 8);
            uint256 root = (seed >> 16) % FIELD;
            try _da.commitBatch(id, root, 1, 0, 1, "") {
                require(id == committed + 1, "accepted a wrong id");
                committed = id;
                require(_da.getBatch(id).root == root, "root not stored");
            } catch (bytes memory reason) {
                require(id != committed + 1, "refused the right id");
                require(bytes4(reason) == IDataAvailability.DataAvailabilityUnexpectedBatchId.selector, "wrong error");
            }
            require(_da.nextBatchId() == committed + 1, "next id drifted");
        }
        for (uint256 id = 1; id <= committed; ++id) {
            require(_da.getBatch(id).status == IBatchCommitments.BatchStatus.Committed, "gap in committed ids");
        }
        require(_da.getBatch(committed + 1).status == IBatchCommitments.BatchStatus.None, "committed beyond next");
    }

    /// A batch is final exactly from committedAt + challengeWindow on.
    function testFuzz_finalityClock(uint32 dt) public {
        _da.commitBatch(1, 7, 1, 0, 1, "");
        uint256 committedAt = block.timestamp;
        VM.warp(committedAt + dt);
        require(_da.isFinal(1) == (uint256(dt) >= 1 days), "finality off the window");
        require(!_da.isFinal(2), "uncommitted batch final");
    }

    /// Bond locks (issue 12, finding 3): over random commits, deposits, window changes and time,
    /// the lazily released count never falls below the batches still challengeable, a commit
    /// succeeds exactly when the bond covers that count plus one, and after every commit the bond
    /// covers slashAmount for every challengeable batch.
    function testFuzz_bondCoversOpenBatches(uint256 seed) public {
        _da.setSlashAmount(10 ether); // 40 ether of bond: four open batches
        uint256[] memory deadlines = new uint256[](48);
        uint256 committed;
        for (uint256 step = 0; step < 48; ++step) {
            seed = uint256(keccak256(abi.encode(seed, step)));
            uint256 action = seed % 8;
            if (action < 4) {
                uint256 open = _da.openBatches(address(this));
                uint256 id = committed + 1;
                try _da.commitBatch(id, uint256(keccak256(abi.encode(seed))) % FIELD, 1, 0, 1, "") {
                    require(_bond() >= 10 ether * (open + 1), "committed beyond the bond");
                    deadlines[committed++] = _da.challengeDeadline(id);
                } catch (bytes memory reason) {
                    require(bytes4(reason) == IDataAvailability.DataAvailabilityBondLocked.selector, "wrong error");
                    require(_bond() < 10 ether * (open + 1), "refused a covered commit");
                }
            } else if (action == 4) {
                _da.depositBond{value: 1 ether}();
            } else if (action == 5) {
                // Shorten or lengthen the window (1 hour .. 1 day): locks are released oldest first.
                _da.setChallengeWindow(uint64(1 hours + ((seed >> 8) % 1 days)));
            } else {
                VM.warp(block.timestamp + ((seed >> 16) % 12 hours));
            }
            uint256 challengeable;
            for (uint256 k = 0; k < committed; ++k) if (deadlines[k] > block.timestamp) ++challengeable;
            require(_da.openBatches(address(this)) >= challengeable, "a challengeable batch lost its lock");
            require(_bond() >= 10 ether * challengeable, "bond below the open batches' slashes");
        }
    }

    function _bond() internal view returns (uint256) {
        return _da.sequencer(address(this)).bond;
    }

    /// Shapes of the 4-ary tree: accepted iff depth <= 16 and 1 <= leafCount <= 4^depth.
    function testFuzz_shapes(uint32 leafCount, uint8 depth) public {
        bool ok = depth <= 16 && leafCount >= 1 && uint256(leafCount) <= uint256(4) ** depth;
        try _da.commitBatch(1, 7, leafCount, depth, 1, "") {
            require(ok, "accepted a bad shape");
        } catch (bytes memory reason) {
            require(!ok, "refused a good shape");
            require(bytes4(reason) == IDataAvailability.DataAvailabilityBadShape.selector, "wrong error");
        }
    }
}
