// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";
import {DataAvailability} from "../da/DataAvailability.sol";
import {IBatchCommitments} from "../interfaces/IBatchCommitments.sol";
import {IBatchConsumer} from "../interfaces/IBatchCommitments.sol";
import {IDeviceDirectory} from "../interfaces/IDeviceDirectory.sol";
import {IPoseidon4, IPoseidon5} from "../interfaces/IPoseidon.sol";
import {IRewardDistributor} from "../interfaces/IRewardDistributor.sol";
import {IRewardEmission} from "../interfaces/IRewardEmission.sol";
import {IRewardToken} from "../interfaces/IRewardToken.sol";
import {DeviceDirectoryMock} from "../mocks/DeviceDirectoryMock.sol";
import {RewardDistributorHarness} from "../mocks/RewardDistributorHarness.sol";
import {RewardEmission} from "../rewards/RewardEmission.sol";
import {RewardToken} from "../rewards/RewardToken.sol";
import {PoseidonT5, PoseidonT6} from "./generated/PoseidonContracts.sol";
import {NetworkHandler, Net, VM} from "./invariant/NetworkHandler.sol";

/// @notice The network under stateful fuzzing (issue 12): the real DataAvailability behind its
/// proxy with the circomlibjs Poseidon contracts (contracts/test/generated, checked against
/// circomlibjs by test/tools/poseidonSol.test.ts), the real RewardEmission and RewardToken, the
/// RewardDistributorHarness (Groth16 verification replaced by a switch: acceptable for fuzzing
/// the accounting, because the handler's settler submits exactly what the proof forces and real
/// proofs are tested in test/rewards/*.test.ts), and a DeviceDirectoryMock whose key rotations
/// follow the registry's schedule. Only NetworkHandler is called by the fuzzer; it acts as
/// sequencers (honest and hostile), challengers, an honest watcher, owners and claimers — never
/// as an admin. See NetworkHandler for the model of the network the invariants assume.
///
/// The invariant contract checks its properties after every call (cheap checks, over the state a
/// call can change) and again in full at the end of every run (`afterInvariant`; each property is
/// monotone — a credit, a payment, an invalidation or a withdrawal is never undone — so a
/// violation during the run is still there at its end). It also adds the run's successful
/// actions to totals kept across runs (process environment, `vm.setEnv`; EDR then calls a failure
/// "not safe to replay") and, after REACH_CHECK_RUNS runs, requires that the campaign reached the
/// states each property is about, so no property is checked against an idle network only.
abstract contract NetworkInvariantBase {
    /// Runs after which the totals across runs must show every state the property needs.
    uint256 internal constant REACH_CHECK_RUNS = 500;

    DataAvailability internal da;
    DeviceDirectoryMock internal directory;
    RewardDistributorHarness internal dist;
    RewardEmission internal emission;
    RewardToken internal token;
    NetworkHandler internal handler;

    function setUp() public {
        VM.warp(Net.GENESIS + 1 hours);
        directory = new DeviceDirectoryMock();
        _deployDa();
        _deployRewards();
        da.setBatchConsumer(IBatchConsumer(address(dist)));
        handler = new NetworkHandler(da, directory, dist, token);
        for (uint64 d = 1; d <= Net.DEVICES; ++d) {
            directory.addKey(
                d,
                IDeviceDirectory.KeyType.Secp256k1,
                abi.encodePacked(VM.addr(Net.privateKey("device", d))),
                Net.GENESIS
            );
            directory.setOwner(d, Net.owner(d));
            directory.setRewardRecipient(d, Net.recipient(d));
        }
        for (uint256 i; i < Net.SEQUENCERS; ++i) {
            da.addSequencer(Net.sequencer(i));
            VM.deal(Net.sequencer(i), 1e9 ether);
        }
    }

    /// @dev The DA behind its proxy with the generated circomlibjs Poseidon contracts.
    function _deployDa() internal {
        bytes memory init = abi.encodeCall(
            DataAvailability.initialize,
            (
                address(this),
                IDeviceDirectory(address(directory)),
                IPoseidon4(address(new PoseidonT5())),
                IPoseidon5(address(new PoseidonT6())),
                DataAvailability.Params({
                    challengeWindow: Net.CHALLENGE_WINDOW,
                    retentionWindow: Net.RETENTION_WINDOW,
                    unbondingDelay: Net.UNBONDING_DELAY,
                    minBond: Net.MIN_BOND,
                    slashAmount: Net.SLASH,
                    challengerRewardBps: Net.CHALLENGER_REWARD_BPS
                })
            )
        );
        da = DataAvailability(address(new ERC1967Proxy(address(new DataAvailability()), init)));
    }

    /// @dev Token, emission (decaying 10 % every 3 epochs) and the distributor harness.
    function _deployRewards() internal {
        token = new RewardToken("Reward", "RWD", 1e30, address(this));
        bytes memory emissionInit = abi.encodeCall(
            RewardEmission.initialize,
            (
                IRewardToken(address(token)),
                address(this),
                RewardEmission.Config({
                    genesisTime: Net.GENESIS,
                    epochLength: Net.EPOCH_LENGTH,
                    initialEmission: 1000e18 + 7,
                    decayFactorBps: 9000,
                    decayPeriod: 3,
                    maxMintPerEpoch: type(uint256).max
                })
            )
        );
        emission = RewardEmission(address(new ERC1967Proxy(address(new RewardEmission()), emissionInit)));
        token.grantRole(token.MINTER_ROLE(), address(emission));

        dist = new RewardDistributorHarness(
            IBatchCommitments(address(da)),
            IRewardEmission(address(emission)),
            IDeviceDirectory(address(directory)),
            address(this),
            Net.SETTLEMENT_DELAY,
            0,
            IRewardDistributor.RuleParams({minValue: Net.MIN_VALUE, maxValue: Net.MAX_VALUE, capPerBatch: Net.CAP})
        );
        emission.grantRole(emission.DISTRIBUTOR_ROLE(), address(dist));
        // Any contract stands for the verifier: the harness switches verification off.
        dist.setVerifier(0, address(token), Net.SLOTS);
        dist.setVerifier(1, address(token), Net.SLOTS);
    }

    /// @dev Read by the fuzzer: only the handler is called.
    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    // ================================================================ invariant 1: emission

    /// Claims never exceed emission: per closed epoch, what was paid plus what can still be
    /// claimed is at most the epoch's emission (its scheduled amount, minted only at close and
    /// only if it has points); in total, every token minted went to the distributor, and its
    /// balance is what was minted minus what was paid, covering everything still claimable.
    function _checkClaimsWithinEmission(bool full) internal view {
        uint256 supply = token.totalSupply();
        uint256 paid = handler.totalPaid();
        require(paid <= supply, "claims exceed total emission");
        require(token.balanceOf(address(dist)) == supply - paid, "distributor balance != minted - claimed");
        uint64 next = dist.nextEpochToClose();
        if (!full) {
            // Per call: the last closed epoch (the one claims most often reach).
            if (next == 0) return;
            (IRewardDistributor.EpochTotals memory last, ) = dist.epochInfo(next - 1);
            require(handler.paidFrom(next - 1) <= last.emission, "claims exceed the epoch's emission");
            return;
        }
        uint256 minted;
        uint256 owed;
        for (uint64 e; e < next; ++e) {
            (IRewardDistributor.EpochTotals memory t, ) = dist.epochInfo(e);
            require(handler.paidFrom(e) <= t.emission, "claims exceed the epoch's emission");
            minted += t.emission;
            require(t.emission == (t.totalPoints == 0 ? 0 : emission.emissionFor(e)), "epoch emission");
            uint256 points;
            uint256 claimableNow;
            for (uint64 d = 1; d <= Net.DEVICES + 1; ++d) {
                (uint256 p, ) = dist.pointsOf(d, e);
                points += p;
                claimableNow += dist.claimable(d, e);
            }
            require(points == t.totalPoints, "device points != epoch total");
            require(handler.paidFrom(e) + claimableNow <= t.emission, "paid + claimable exceed the epoch's emission");
            owed += claimableNow;
        }
        require(minted == supply, "tokens minted outside epoch closes");
        require(token.balanceOf(address(dist)) >= owed, "distributor cannot cover what is claimable");
    }

    // ================================================================ invariant 2: no double credit

    /// No (deviceId, seq) is credited twice: among final, valid batches (per the DA) no (deviceId,
    /// seq) appears in two leaves, and the points of a device in an epoch never exceed the
    /// distinct readings it signed with a timestamp in that epoch. Per call: the handler's record,
    /// made from `isFinal` as each batch's window ends; at the end of the run: recomputed from the
    /// DA's state for every batch and every (device, epoch).
    function _checkNoReadingCreditedTwice(bool full) internal view {
        require(!handler.creditedTwice(), "a (deviceId, seq) is in two final valid leaves");
        require(!handler.finalityMismatch(), "finality differs from what the challenges left");
        if (!full) return;
        uint256 batches = handler.batchCount();
        bool[] memory finalValid = new bool[](batches + 1);
        for (uint256 id = 1; id <= batches; ++id) finalValid[id] = da.isFinal(id);
        uint256 keys = handler.keyCount();
        for (uint256 k; k < keys; ++k) {
            uint256[] memory occ = handler.occurrences(handler.keyAt(k));
            uint256 credited;
            for (uint256 i; i < occ.length; ++i) if (finalValid[occ[i] >> 8]) ++credited;
            require(credited <= 1, "a (deviceId, seq) is in two final valid leaves");
        }
        uint64 last = Net.epochOf(block.timestamp) + 1;
        for (uint64 d = 1; d <= Net.DEVICES + 1; ++d) {
            for (uint64 e; e <= last; ++e) {
                (uint256 p, ) = dist.pointsOf(d, e);
                require(p <= handler.signedInEpoch(d, e), "points above the device's distinct readings");
            }
        }
    }

    // ================================================================ invariant 3: honest batches

    /// An honest batch is never invalidated: per call, the batches whose window is still open (the
    /// only ones a challenge can reach); at the end of the run, every honest batch.
    function _checkHonestBatchesStand(bool full) internal view {
        uint256 batches = handler.batchCount();
        for (uint256 id = full ? 1 : handler.openFrom(); id <= batches; ++id) {
            (bool honest, , , ) = handler.batchInfo(id);
            if (honest) {
                require(
                    da.getBatch(id).status == IBatchCommitments.BatchStatus.Committed,
                    "an honest batch was invalidated"
                );
            }
        }
    }

    // ================================================================ invariant 4: bonds

    /// DA bond accounting: the DA's ETH balance equals the sequencers' bonds plus slashedFunds;
    /// each bond is what was deposited minus slashes and withdrawals; no bond was withdrawn while a
    /// batch of its sequencer could still be challenged; and each bond covers a slash for every
    /// batch of its sequencer that can still be challenged.
    function _checkBonds(bool full) internal view {
        uint256 bonds;
        uint256[] memory open = new uint256[](Net.SEQUENCERS);
        uint256 batches = handler.batchCount();
        for (uint256 id = full ? 1 : handler.openFrom(); id <= batches; ++id) {
            (, bool invalidated, uint64 deadline, uint8 s) = handler.batchInfo(id);
            if (!invalidated && block.timestamp < deadline) ++open[s];
        }
        for (uint256 i; i < Net.SEQUENCERS; ++i) {
            address account = Net.sequencer(i);
            uint256 bond = da.sequencer(account).bond;
            require(bond == handler.ghostBond(account), "bond != deposits - slashes - withdrawals");
            require(bond >= Net.SLASH * open[i], "bond below the slashes its open batches risk");
            bonds += bond;
        }
        require(address(da).balance == bonds + da.slashedFunds(), "DA balance != bonds + slashedFunds");
        require(da.slashedFunds() == handler.ghostSlashedFunds(), "slashedFunds");
        require(!handler.withdrewWithOpenBatch(), "a bond was withdrawn while its batch could be challenged");
    }

    function _checkNoUnexpectedFailure() internal view {
        require(handler.unexpectedFailures() == 0, string(abi.encodePacked(handler.lastUnexpected())));
    }

    // ================================================================ end of run

    /// Full check of the property and the run's share of the reach totals.
    function afterInvariant() public {
        _fullCheck();
        _checkNoUnexpectedFailure();
        (string[] memory names, uint256[] memory values) = _reach(handler.countsOf());
        string memory prefix = _name();
        uint256 runs = VM.envOr(string.concat(prefix, "_RUNS"), uint256(0)) + 1;
        VM.setEnv(string.concat(prefix, "_RUNS"), VM.toString(runs));
        for (uint256 i; i < names.length; ++i) {
            string memory key = string.concat(prefix, "_", names[i]);
            uint256 total = VM.envOr(key, uint256(0)) + values[i];
            VM.setEnv(key, VM.toString(total));
            if (runs == REACH_CHECK_RUNS) {
                require(total > 0, string.concat("campaign never reached: ", names[i]));
            }
        }
    }

    function _fullCheck() internal view virtual;

    /// Name of the campaign (environment prefix of its totals).
    function _name() internal pure virtual returns (string memory);

    /// The states (successful actions) this campaign must reach.
    function _reach(
        NetworkHandler.Counts memory c
    ) internal pure virtual returns (string[] memory names, uint256[] memory values);
}

/// @notice The four invariants of issue 12 over one campaign: every call of every run is followed
/// by all four checks, so each property is checked over the same 10,000 runs (four campaigns
/// of the same handler would cost four times the time for a quarter of the depth each).
contract NetworkInvariantTest is NetworkInvariantBase {
    /// (1) claims never exceed emission, (2) no (deviceId, seq) is credited twice, (3) an honest
    /// batch is never invalidated, (4) DA bond accounting; cheap forms after every call, full forms
    /// at the end of every run (afterInvariant).
    /// forge-config: default.invariant.runs = 10000
    /// forge-config: default.invariant.depth = 50
    function invariant_network() public view {
        _checkClaimsWithinEmission(false);
        _checkNoReadingCreditedTwice(false);
        _checkHonestBatchesStand(false);
        _checkBonds(false);
        _checkNoUnexpectedFailure();
    }

    function _fullCheck() internal view override {
        _checkClaimsWithinEmission(true);
        _checkNoReadingCreditedTwice(true);
        _checkHonestBatchesStand(true);
        _checkBonds(true);
    }

    function _name() internal pure override returns (string memory) {
        return "INVARIANT_NETWORK";
    }

    /// Per invariant, the states that make it meaningful: (1) settlements, minted epochs, claims
    /// paid and refused; (2) repeated leaves committed, watcher and hostile duplicate challenges
    /// won; (3) honest batches, hostile challenges of honest leaves and of honest pairs inside the
    /// window, rotations after a commit; (4) slashes, deposits, unbondings, withdrawals paid and
    /// refused, commits beyond the bond refused.
    function _reach(
        NetworkHandler.Counts memory c
    ) internal pure override returns (string[] memory names, uint256[] memory values) {
        names = new string[](18);
        values = new uint256[](18);
        (names[0], values[0]) = ("settlements", c.settlements);
        (names[1], values[1]) = ("epochsMinted", c.epochsMinted);
        (names[2], values[2]) = ("claims", c.claims);
        (names[3], values[3]) = ("claimsRefused", c.claimsRefused);
        (names[4], values[4]) = ("repeatedLeaves", c.repeatedLeaves);
        (names[5], values[5]) = ("watcherInvalidations", c.watcherInvalidations);
        (names[6], values[6]) = ("duplicateChallengesWon", c.duplicateChallengesWon);
        (names[7], values[7]) = ("honestCommits", c.honestCommits);
        (names[8], values[8]) = ("honestLeavesChallenged", c.honestLeavesChallenged);
        (names[9], values[9]) = ("honestPairsChallenged", c.honestPairsChallenged);
        (names[10], values[10]) = ("rotationsAfterCommit", c.rotationsAfterCommit);
        (names[11], values[11]) = ("signatureChallengesWon", c.signatureChallengesWon);
        (names[12], values[12]) = ("deposits", c.deposits);
        (names[13], values[13]) = ("unbondings", c.unbondings);
        (names[14], values[14]) = ("withdrawals", c.withdrawals);
        (names[15], values[15]) = ("withdrawalsRefused", c.withdrawalsRefused);
        (names[16], values[16]) = ("lateSettlements", c.lateSettlements);
        (names[17], values[17]) = ("hostileCommitsRefused", c.hostileCommitsRefused);
    }
}

/// @notice The handler's actions, driven by hand: each success path of the campaign is reachable
/// (commits, every kind of challenge, settlement, close, claims, bonds), and the checks pass on
/// the states they lead to.
contract NetworkHandlerPathsTest is NetworkInvariantBase {
    function _fullCheck() internal view override {}

    function _name() internal pure override returns (string memory) {
        return "INVARIANT_PATHS";
    }

    function _reach(NetworkHandler.Counts memory) internal pure override returns (string[] memory, uint256[] memory) {}

    function _all() internal view {
        _checkNoUnexpectedFailure();
        _checkClaimsWithinEmission(true);
        _checkNoReadingCreditedTwice(true);
        _checkHonestBatchesStand(true);
        _checkBonds(true);
    }

    function test_everyPathIsReachable() public {
        // Devices 1-3 sign a reading each (5 minutes ahead, values 50, 60, 70: all earn).
        handler.read(2, 0, 50 | (60 << 32) | (70 << 64));
        handler.commitHonest(0, 3);
        // Hostile: a copy of one of them (batch 2), then one forgery (batch 3).
        handler.commitHostile(0, 0, 1);
        handler.commitHostile(1, 3 << 2, 7);
        require(handler.batchCount() == 3, "three batches");
        // Hostile challenges of the honest batch: a signature challenge and a duplicate challenge
        // naming two of its leaves, both refused.
        handler.challengeSignature(0, 2, 1 << 128);
        handler.challengeDuplicate(0, 2, 0, 1 | (1 << 8) | (1 << 128));
        // The owner of device 1 rotates its key while batch 1 is open: as in the registry, the old
        // key is revoked 10 minutes from now and the new one valid from that instant.
        handler.rotateKey(0);
        require(directory.keyCount(1) == 2, "rotated");
        require(directory.keyAt(1, 0).revokedAt == block.timestamp + 10 minutes, "old key revoked in 10 minutes");
        require(directory.keyAt(1, 1).validFrom == block.timestamp + 10 minutes, "new key valid from then");
        // Sequencer 2 adds to its bond, starts unbonding and cannot withdraw yet.
        handler.deposit(2, 2 ether);
        handler.startUnbonding(2);
        handler.withdraw(2);
        NetworkHandler.Counts memory c = handler.countsOf();
        require(c.honestCommits == 1 && c.hostileCommits == 2 && c.forgedLeaves == 1, "commits");
        require(c.honestLeavesChallenged == 1 && c.honestPairsChallenged == 1, "hostile challenges refused");
        require(c.rotationsAfterCommit == 1 && c.unbondings == 1 && c.withdrawalsRefused == 1, "owner/bonds");
        _all();

        // The watcher invalidates batches 2 (duplicate) and 3 (forgery) before time moves; batch 1
        // becomes final and is settled.
        handler.warp(11 minutes);
        c = handler.countsOf();
        require(c.watcherInvalidations == 2 && c.settlements == 1, "watcher/settlement");
        require(da.getBatch(1).status == IBatchCommitments.BatchStatus.Committed, "honest batch stands");
        require(da.getBatch(2).status == IBatchCommitments.BatchStatus.Invalidated, "copy invalidated");
        require(da.getBatch(3).status == IBatchCommitments.BatchStatus.Invalidated, "forgery invalidated");
        (uint256 points, ) = dist.pointsOf(1, 1);
        require(points == 1, "device 1 credited once");
        _all();

        _closeClaimWithdraw();
    }

    /// Epochs 0 (no points) and 1 close; the owner of device 1 claims, a stranger cannot claim for
    /// device 2; sequencer 2 withdraws what is left of its bond.
    function _closeClaimWithdraw() internal {
        handler.warp(59 minutes);
        handler.warp(10 minutes);
        handler.claim(0, 0);
        handler.claim(1, 4);
        handler.withdraw(2);
        NetworkHandler.Counts memory c = handler.countsOf();
        require(c.epochsClosed == 2 && c.epochsMinted == 1, "epochs");
        require(c.claims == 1 && c.claimsRefused == 1 && c.withdrawals == 1, "claims/withdrawal");
        require(handler.totalPaid() == emission.emissionFor(1) / 3, "device 1's third of epoch 1");
        _all();
    }
}
