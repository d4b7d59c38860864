// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {DataAvailability} from "../../da/DataAvailability.sol";
import {IDataAvailability} from "../../interfaces/IDataAvailability.sol";
import {IDeviceDirectory} from "../../interfaces/IDeviceDirectory.sol";
import {IPoseidon4} from "../../interfaces/IPoseidon.sol";
import {IRewardDistributor} from "../../interfaces/IRewardDistributor.sol";
import {DeviceDirectoryMock} from "../../mocks/DeviceDirectoryMock.sol";
import {RewardDistributorHarness} from "../../mocks/RewardDistributorHarness.sol";
import {RewardToken} from "../../rewards/RewardToken.sol";

/// @dev The few Hardhat/Foundry cheatcodes the invariant tests use (no forge-std here; see
/// docs/TOOLCHAIN notes).
interface Vm {
    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);
    function addr(uint256 privateKey) external pure returns (address);
    function prank(address sender) external;
    function warp(uint256 timestamp) external;
    function deal(address account, uint256 balance) external;
    function setEnv(string calldata name, string calldata value) external;
    function envOr(string calldata name, uint256 defaultValue) external view returns (uint256);
    function toString(uint256 value) external pure returns (string memory);
}

Vm constant VM = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

/// @dev Parameters shared by the handler and the invariant tests.
library Net {
    uint64 internal constant GENESIS = 1_700_000_000;
    uint64 internal constant EPOCH_LENGTH = 1 hours;
    uint64 internal constant CHALLENGE_WINDOW = 10 minutes;
    uint64 internal constant SETTLEMENT_DELAY = 15 minutes;
    uint64 internal constant UNBONDING_DELAY = 15 minutes;
    uint64 internal constant RETENTION_WINDOW = 1 days;
    uint256 internal constant MIN_BOND = 1 ether;
    uint256 internal constant SLASH = 1 ether;
    uint16 internal constant CHALLENGER_REWARD_BPS = 5000;
    uint32 internal constant MIN_VALUE = 1;
    uint32 internal constant MAX_VALUE = 100;
    uint32 internal constant CAP = 3;
    /// Devices 1..DEVICES are registered; DEVICES + 1 has no key (forgeries name it too).
    uint64 internal constant DEVICES = 4;
    /// Sequencers 0 and 1 are honest, 2 and 3 hostile.
    uint256 internal constant SEQUENCERS = 4;
    uint256 internal constant HONEST_SEQUENCERS = 2;
    /// Device slots of the (switched) verifier: 2 device words, enough for a 4-leaf batch.
    uint16 internal constant SLOTS = 4;
    uint256 internal constant MAX_PENDING = 12;
    uint256 internal constant FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    uint256 internal constant SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141;

    function sequencer(uint256 i) internal pure returns (address) {
        return address(uint160(0x5E000 + i));
    }

    function owner(uint64 deviceId) internal pure returns (address) {
        return address(uint160(0x0A000 + (deviceId % 2)));
    }

    function recipient(uint64 deviceId) internal pure returns (address) {
        return address(uint160(0xAC000 + deviceId));
    }

    function challenger(uint256 i) internal pure returns (address) {
        return address(uint160(0xC0000 + (i % 2)));
    }

    function watcher() internal pure returns (address) {
        return address(uint160(0xA7C4E5));
    }

    function stranger() internal pure returns (address) {
        return address(uint160(0x57A4));
    }

    function epochOf(uint256 timestamp) internal pure returns (uint64) {
        return uint64((timestamp - GENESIS) / EPOCH_LENGTH);
    }

    function privateKey(bytes memory tag, uint256 seed) internal pure returns (uint256) {
        return (uint256(keccak256(abi.encode(tag, seed))) % (SECP256K1_N - 1)) + 1;
    }
}

/// @title NetworkHandler
/// @notice TEST ONLY. Drives the real DataAvailability (behind its proxy, with the circomlibjs
/// Poseidon contracts), the RewardDistributor (RewardDistributorHarness: Groth16 verification
/// replaced by a switch, see below), the real RewardEmission and RewardToken, and a
/// DeviceDirectoryMock, with non-admin actors only:
/// - devices sign readings (secp256k1, `vm.sign`) with the key valid at the reading's time;
/// - honest sequencers (0, 1) commit batches of such readings; hostile sequencers (2, 3) commit
///   copies, in-batch repeats and forgeries (a stranger's signature, a changed value, a device
///   without keys);
/// - hostile challengers try signature challenges on any leaf and duplicate challenges on any
///   pair of leaves, of any batch;
/// - owners rotate keys and decommission devices at any time, with the registry's semantics
///   (revocation scheduled KEY_REVOCATION_DELAY = 10 minutes ahead, new key valid from that instant);
/// - sequencers deposit, start unbonding and withdraw at any time;
/// - as time moves, keepers settle final batches and close epochs; owners, recipients and
///   strangers claim.
///
/// Model of the network (what the invariants assume):
/// - An honest watcher runs: before time moves (`warp`, the only action that moves it), it
///   challenges every leaf committed since it last looked that is forged or repeats a (deviceId,
///   seq) of a standing earlier leaf. It knows which leaves are forged from the handler's record
///   (a real watcher verifies the signatures off-chain); every batch is examined at its commit
///   time, so inside its challenge window.
/// - An honest sequencer commits only readings properly signed for one epoch, never a (deviceId,
///   seq) already in a batch that still stands: it waits while that batch can still be
///   invalidated and drops the reading once that batch is final. (Its batch id is fixed in the
///   call, so a commit that someone front-runs reverts and is rebuilt from the new chain state.)
/// - Settlement: the harness accepts any device words, so the settler here is honest by
///   construction: it submits exactly the reward rule's result for the batch (what the Groth16
///   proof forces; real proofs are tested in test/rewards/*.test.ts).
// The handler's ghost state is its record of the network, one variable per fact it tracks.
// solhint-disable-next-line max-states-count
contract NetworkHandler {
    struct GhostReading {
        uint64 deviceId;
        uint64 seq;
        uint40 timestamp;
        uint32 value;
        bool forged;
        uint256 leaf;
        bytes signature;
    }

    struct GhostBatch {
        uint256[] rids;
        uint8 depth;
        uint64 epoch;
        uint64 deadline;
        uint8 sequencer;
        bool honest;
        bool invalidated;
    }

    /// Successful (and refused) actions, to show the campaign reached interesting states.
    struct Counts {
        uint256 readings;
        uint256 honestCommits;
        uint256 hostileCommits;
        uint256 hostileCommitsRefused;
        uint256 forgedLeaves;
        uint256 repeatedLeaves;
        uint256 signatureChallengesWon;
        uint256 signatureChallengesRefused;
        uint256 honestLeavesChallenged;
        uint256 duplicateChallengesWon;
        uint256 duplicateChallengesRefused;
        uint256 honestPairsChallenged;
        uint256 watcherInvalidations;
        uint256 settlements;
        uint256 lateSettlements;
        uint256 epochsClosed;
        uint256 epochsMinted;
        uint256 claims;
        uint256 claimsRefused;
        uint256 rotations;
        uint256 rotationsAfterCommit;
        uint256 decommissions;
        uint256 deposits;
        uint256 unbondings;
        uint256 withdrawals;
        uint256 withdrawalsRefused;
    }

    DataAvailability public immutable da;
    DeviceDirectoryMock public immutable directory;
    RewardDistributorHarness public immutable dist;
    RewardToken public immutable token;
    IPoseidon4 internal immutable POSEIDON4;

    Counts internal counts;
    /// Failures of actions that must succeed (honest commit, watcher challenge, honest settlement
    /// or claim): 0 unless a property is broken. `lastUnexpected` says which.
    uint256 public unexpectedFailures;
    bytes32 public lastUnexpected;

    GhostReading[] internal _readings;
    uint256[] internal _pending;
    mapping(uint256 batchId => GhostBatch) internal _batches;
    uint256 public batchCount;
    uint256 internal _watchedUpTo;
    uint256 internal _settleCursor;
    /// Every committed leaf of a (deviceId, seq), as batchId << 8 | index, in commit order.
    mapping(bytes32 key => uint256[]) internal _occurrences;
    bytes32[] internal _keys;

    mapping(uint64 deviceId => uint256[]) internal _devicePks;
    mapping(uint64 deviceId => uint64) internal _nextSeq;
    mapping(uint64 deviceId => bool) public decommissioned;
    /// Distinct properly signed readings (deviceId, seq) of a device stamped inside an epoch.
    mapping(uint64 deviceId => mapping(uint64 epoch => uint256)) public signedInEpoch;
    uint256 internal _keySeed;

    mapping(address sequencer => uint256) public ghostBond;
    uint256 public ghostSlashedFunds;
    mapping(uint256 sequencerIndex => bool) public unbonding;
    /// Set if a withdrawal succeeded while a batch of the sequencer could still be challenged.
    bool public withdrewWithOpenBatch;

    mapping(uint64 epoch => uint256) public paidFrom;
    uint256 public totalPaid;

    /// Batches below `openFrom` had their window end before the last warp; `_finalCursor` is the
    /// last batch whose finality the handler has recorded.
    uint256 public openFrom = 1;
    uint256 internal _finalCursor;
    /// Leaves per (deviceId, seq) in batches that became final and valid, per the DA.
    mapping(bytes32 key => uint256) public finalValidLeaves;
    /// Set when a (deviceId, seq) is in two final valid leaves, or the DA's finality of a batch
    /// differs from what its challenges left (checked as batches become final).
    bool public creditedTwice;
    bool public finalityMismatch;

    constructor(
        DataAvailability da_,
        DeviceDirectoryMock directory_,
        RewardDistributorHarness dist_,
        RewardToken token_
    ) {
        da = da_;
        directory = directory_;
        dist = dist_;
        token = token_;
        POSEIDON4 = IPoseidon4(da_.poseidon4());
        for (uint64 d = 1; d <= Net.DEVICES; ++d) {
            uint256 pk = Net.privateKey("device", d);
            _devicePks[d].push(pk);
            _nextSeq[d] = 1;
        }
    }

    // ================================================================ devices and owners

    /// One to three devices each sign their next reading, stamped up to 10 minutes back or 5
    /// minutes ahead (the bridge's default largest future skew), with the key their directory
    /// history makes valid at that time.
    function read(uint256 deviceSeed, uint256 backSeed, uint256 valueSeed) external {
        uint256 n = (deviceSeed % 3) + 1;
        for (uint256 k; k < n && _pending.length < Net.MAX_PENDING; ++k) {
            uint64 d = uint64((((deviceSeed >> 8) + k) % Net.DEVICES) + 1);
            uint40 t = uint40(block.timestamp + 5 minutes - ((backSeed >> (32 * k)) % 15 minutes));
            (bool found, uint256 pk) = _keyAt(d, t);
            if (!found) continue;
            uint64 seq = _nextSeq[d]++;
            uint32 value = uint32((valueSeed >> (32 * k)) % 121);
            _readings.push(_signed(d, seq, t, value, pk, false));
            _pending.push(_readings.length - 1);
            signedInEpoch[d][Net.epochOf(t)] += 1;
            ++counts.readings;
        }
    }

    /// The device's owner rotates its key (registry semantics: scheduled 10 minutes ahead).
    function rotateKey(uint256 deviceSeed) external {
        uint64 d = uint64((deviceSeed % Net.DEVICES) + 1);
        if (decommissioned[d]) return;
        uint256 pk = Net.privateKey("rotated", ++_keySeed);
        VM.prank(Net.owner(d));
        directory.rotateKeyScheduled(d, IDeviceDirectory.KeyType.Secp256k1, abi.encodePacked(VM.addr(pk)));
        _devicePks[d].push(pk);
        ++counts.rotations;
        if (_hasOpenBatchOf(d)) ++counts.rotationsAfterCommit;
    }

    /// The device's owner decommissions it (one time in four the action is drawn).
    function decommission(uint256 deviceSeed) external {
        if (deviceSeed % 4 != 0) return;
        uint64 d = uint64(((deviceSeed >> 8) % Net.DEVICES) + 1);
        if (decommissioned[d]) return;
        VM.prank(Net.owner(d));
        directory.decommissionScheduled(d);
        decommissioned[d] = true;
        ++counts.decommissions;
    }

    // ================================================================ sequencers

    /// An honest sequencer commits up to 4 pending readings of one epoch (see the contract's model).
    function commitHonest(uint256 who, uint256 sizeSeed) external {
        if (_pending.length == 0) return;
        uint8 s = uint8(who % Net.HONEST_SEQUENCERS);
        if (unbonding[s]) return;
        uint256 want = (sizeSeed % 4) + 1;
        uint64 epoch = Net.epochOf(_readings[_pending[0]].timestamp);
        uint256[] memory chosen = new uint256[](want);
        uint256 n;
        uint256 kept;
        for (uint256 i; i < _pending.length; ++i) {
            uint256 rid = _pending[i];
            GhostReading storage r = _readings[rid];
            (bool standing, bool isFinal) = _standingCopy(r.deviceId, r.seq);
            if (standing && isFinal) continue; // credited elsewhere: dropped
            if (!standing && n < want && Net.epochOf(r.timestamp) == epoch) {
                chosen[n++] = rid;
            } else {
                _pending[kept++] = rid;
            }
        }
        while (_pending.length > kept) _pending.pop();
        if (n == 0) return;
        assembly ("memory-safe") {
            mstore(chosen, n)
        }
        (uint256 root, uint8 depth) = _root(chosen);
        // The same readings in the same order were committed before, in a batch since invalidated:
        // their root is refused; the sequencer drops them.
        if (da.batchOfRoot(root) != 0) return;
        _ensureBond(s);
        uint256 id = batchCount + 1;
        VM.prank(Net.sequencer(s));
        try da.commitBatch(id, root, uint32(n), depth, epoch, "") {
            _record(id, chosen, depth, epoch, s, true);
            ++counts.honestCommits;
        } catch {
            _unexpected("honest commit failed");
        }
    }

    /// A hostile sequencer commits 1-4 leaves, each a copy of any reading (pending, committed or
    /// forged), a repeat of the previous slot, or a forgery.
    function commitHostile(uint256 who, uint256 kinds, uint256 picks) external {
        uint8 s = uint8(Net.HONEST_SEQUENCERS + (who % (Net.SEQUENCERS - Net.HONEST_SEQUENCERS)));
        if (unbonding[s]) return;
        uint256 n = (kinds % 4) + 1;
        uint256[] memory rids = new uint256[](n);
        for (uint256 k; k < n; ++k) {
            uint256 kind = (kinds >> (2 + 3 * k)) % 6;
            uint256 pick = uint256(keccak256(abi.encode(picks, k)));
            if (kind <= 1 && _readings.length != 0) {
                rids[k] = pick % _readings.length; // a copy
            } else if (kind == 2 && k != 0) {
                rids[k] = rids[k - 1]; // an in-batch repeat
            } else {
                rids[k] = _forge(pick);
            }
        }
        uint64 epoch = Net.epochOf(_readings[rids[0]].timestamp);
        (uint256 root, uint8 depth) = _root(rids);
        if (da.batchOfRoot(root) != 0) return;
        // Half the time it tops its bond up first; otherwise it tries with whatever bond it has.
        bool topUp = (kinds >> 128) % 2 == 0;
        if (topUp) _ensureBond(s);
        uint256 id = batchCount + 1;
        VM.prank(Net.sequencer(s));
        try da.commitBatch(id, root, uint32(n), depth, epoch, "") {
            _record(id, rids, depth, epoch, s, false);
            ++counts.hostileCommits;
        } catch {
            if (topUp) _unexpected("bonded commit refused");
            ++counts.hostileCommitsRefused;
        }
    }

    /// Any sequencer adds to its bond (refused while unbonding).
    function deposit(uint256 who, uint256 amountSeed) external {
        uint8 s = uint8(who % Net.SEQUENCERS);
        uint256 amount = 1 + (amountSeed % 3 ether);
        VM.prank(Net.sequencer(s));
        try da.depositBond{value: amount}() {
            ghostBond[Net.sequencer(s)] += amount;
            ++counts.deposits;
        } catch {}
    }

    /// A sequencer starts unbonding (the first from `who` on that has a bond and is not unbonding).
    function startUnbonding(uint256 who) external {
        uint256 s = _pickSequencer(who, false);
        VM.prank(Net.sequencer(s));
        try da.startUnbonding() {
            unbonding[s] = true;
            ++counts.unbondings;
        } catch {}
    }

    /// A sequencer (the first from `who` on that is unbonding) tries to withdraw its bond at once;
    /// a success while one of its batches can still be challenged is recorded (invariant: never).
    function withdraw(uint256 who) external {
        uint256 s = _pickSequencer(who, true);
        address account = Net.sequencer(s);
        VM.prank(account);
        try da.withdrawBond(payable(account)) {
            for (uint256 id = openFrom; id <= batchCount; ++id) {
                GhostBatch storage b = _batches[id];
                if (b.sequencer == s && !b.invalidated && block.timestamp < b.deadline) withdrewWithOpenBatch = true;
            }
            ghostBond[account] = 0;
            unbonding[s] = false;
            ++counts.withdrawals;
        } catch {
            ++counts.withdrawalsRefused;
        }
    }

    // ================================================================ challengers

    /// A hostile challenger tries a signature challenge on leaf `indexSeed` of one of the last 8
    /// batches, whatever it holds.
    function challengeSignature(uint256 who, uint256 batchSeed, uint256 indexSeed) external {
        if (batchCount == 0) return;
        uint256 id = _recentBatch(batchSeed);
        GhostBatch storage b = _batches[id];
        uint256 index = indexSeed % b.rids.length;
        if ((indexSeed >> 128) % 4 == 0) {
            // The leaf re-presented with a field aliased modulo the field (x + p): refused.
            IDataAvailability.ChallengedReading memory r = _challenged(_readings[b.rids[index]]);
            uint256 field = (indexSeed >> 136) % 4;
            if (field == 0) r.deviceId += Net.FIELD;
            else if (field == 1) r.seq += Net.FIELD;
            else if (field == 2) r.timestamp += Net.FIELD;
            else r.value += Net.FIELD;
            VM.prank(Net.challenger(who));
            try da.challengeSignature(id, r, index, _siblings(b, index)) {
                _slashed(id);
                _unexpected("aliased reading accepted");
            } catch {
                ++counts.signatureChallengesRefused;
            }
            return;
        }
        if (_trySignatureChallenge(Net.challenger(who), id, index)) {
            ++counts.signatureChallengesWon;
        } else {
            ++counts.signatureChallengesRefused;
            if (b.honest && block.timestamp < b.deadline) ++counts.honestLeavesChallenged;
        }
    }

    /// A hostile challenger tries a duplicate challenge with any two leaves (half the time the
    /// second one shares the first one's (deviceId, seq)).
    function challengeDuplicate(uint256 who, uint256 batchSeed, uint256 indexSeed, uint256 pairSeed) external {
        if (batchCount == 0) return;
        uint256 idA = _recentBatch(batchSeed);
        uint256 iA = indexSeed % _batches[idA].rids.length;
        uint256 idB;
        uint256 iB;
        GhostReading storage ra = _readings[_batches[idA].rids[iA]];
        uint256[] storage occ = _occurrences[_key(ra.deviceId, ra.seq)];
        if (pairSeed % 2 == 0) {
            uint256 o = occ[(pairSeed >> 8) % occ.length];
            (idB, iB) = (o >> 8, o & 0xff);
        } else {
            idB = _recentBatch(pairSeed >> 8);
            iB = (pairSeed >> 128) % _batches[idB].rids.length;
        }
        bool honestPair = _batches[idA].honest && _batches[idB].honest;
        if (_tryDuplicateChallenge(Net.challenger(who), idA, iA, idB, iB)) {
            ++counts.duplicateChallengesWon;
        } else {
            ++counts.duplicateChallengesRefused;
            if (honestPair) ++counts.honestPairsChallenged;
        }
    }

    /// Time moves forward 1 s .. 1 hour. Before it does, the honest watcher examines every batch
    /// committed since it last looked; after, the batches whose window ended are recorded as final
    /// (per the DA), and keepers settle every final batch (with the rule's exact result) and close
    /// every epoch whose settlement deadline has passed, in that order.
    function warp(uint256 dtSeed) external {
        _watch();
        VM.warp(block.timestamp + 1 + (dtSeed % 1 hours));
        _recordFinality();
        _settleFinal();
        _closeEpochs();
    }

    /// The owner, the recipient or (one time in five) a stranger claims every closed epoch in
    /// which a device (the first from `deviceSeed` on with unclaimed points) has unclaimed points,
    /// up to 6 epochs at once. A controller's claim must pay exactly `claimable`; a stranger's, and
    /// one for a decommissioned device, must be refused.
    function claim(uint256 deviceSeed, uint256 who) external {
        uint64 next = dist.nextEpochToClose();
        uint64[] memory epochs = new uint64[](6);
        uint256[] memory amounts = new uint256[](6);
        uint256 n;
        uint64 d;
        for (uint256 k; k < Net.DEVICES && n == 0; ++k) {
            d = uint64(((deviceSeed + k) % Net.DEVICES) + 1);
            for (uint64 e = next > 12 ? next - 12 : 0; e < next && n < 6; ++e) {
                (uint256 pts, bool claimed) = dist.pointsOf(d, e);
                if (pts == 0 || claimed) continue;
                amounts[n] = dist.claimable(d, e);
                epochs[n++] = e;
            }
        }
        if (n == 0) return;
        uint64[] memory ids = new uint64[](n);
        uint256 expected;
        for (uint256 i; i < n; ++i) {
            ids[i] = d;
            expected += amounts[i];
        }
        assembly ("memory-safe") {
            mstore(epochs, n)
        }
        uint256 role = who % 5;
        address caller =
            role == 4
                ? Net.stranger()
                : role % 2 == 0
                    ? Net.owner(d)
                    : Net.recipient(d);
        uint256 before = token.balanceOf(Net.recipient(d));
        VM.prank(caller);
        try dist.claim(ids, epochs) returns (uint256 paid) {
            if (role == 4 || decommissioned[d]) _unexpected("claim by no controller paid");
            if (paid != expected || token.balanceOf(Net.recipient(d)) != before + paid) _unexpected("claim amount");
            for (uint256 i; i < n; ++i) paidFrom[epochs[i]] += amounts[i];
            totalPaid += paid;
            ++counts.claims;
        } catch {
            if (role != 4 && !decommissioned[d]) _unexpected("controller claim refused");
            ++counts.claimsRefused;
        }
    }

    // ================================================================ views for the invariants

    function countsOf() external view returns (Counts memory) {
        return counts;
    }

    function readingCount() external view returns (uint256) {
        return _readings.length;
    }

    function keyCount() external view returns (uint256) {
        return _keys.length;
    }

    function keyAt(uint256 i) external view returns (bytes32) {
        return _keys[i];
    }

    function occurrences(bytes32 key) external view returns (uint256[] memory) {
        return _occurrences[key];
    }

    function batchInfo(
        uint256 id
    ) external view returns (bool honest, bool invalidated, uint64 deadline, uint8 sequencerIndex) {
        GhostBatch storage b = _batches[id];
        return (b.honest, b.invalidated, b.deadline, b.sequencer);
    }

    // ================================================================ internals

    function _unexpected(bytes32 what) internal {
        ++unexpectedFailures;
        lastUnexpected = what;
    }

    function _key(uint64 deviceId, uint64 seq) internal pure returns (bytes32) {
        return bytes32((uint256(deviceId) << 64) | seq);
    }

    /// @dev The private key of `d` valid at `t` in the directory's history (latest first).
    function _keyAt(uint64 d, uint40 t) internal view returns (bool, uint256) {
        uint256 count = directory.keyCount(d);
        for (uint256 i = count; i > 0; --i) {
            IDeviceDirectory.DeviceKey memory k = directory.keyAt(d, i - 1);
            if (k.validFrom <= t && (k.revokedAt == 0 || t < k.revokedAt)) return (true, _devicePks[d][i - 1]);
        }
        return (false, 0);
    }

    function _signed(
        uint64 d,
        uint64 seq,
        uint40 t,
        uint32 value,
        uint256 pk,
        bool forged
    ) internal view returns (GhostReading memory r) {
        (uint8 v, bytes32 rr, bytes32 ss) = VM.sign(pk, da.readingDigest(d, seq, t, value));
        r = GhostReading({
            deviceId: d,
            seq: seq,
            timestamp: t,
            value: value,
            forged: forged,
            leaf: 0,
            signature: abi.encodePacked(rr, ss, v)
        });
    }

    /// @dev A new forged reading: a stranger's signature, a copy with another value, or a
    /// reading of a device without keys.
    function _forge(uint256 pick) internal returns (uint256) {
        uint256 how = pick % 3;
        GhostReading memory r;
        if (how == 1 && _readings.length != 0) {
            GhostReading storage src = _readings[(pick >> 8) % _readings.length];
            r = src;
            r.value = uint32(uint256(src.value) + 1 + ((pick >> 64) % 50));
            r.forged = true;
            r.leaf = 0;
        } else {
            uint64 d = how == 2 ? Net.DEVICES + 1 : uint64(((pick >> 8) % Net.DEVICES) + 1);
            // A seq the device used, or one it has not reached yet.
            uint64 seq = uint64(1 + ((pick >> 16) % (uint256(_nextSeq[d]) + 2)));
            uint40 t = uint40(block.timestamp - ((pick >> 32) % 12 minutes));
            r = _signed(d, seq, t, uint32((pick >> 48) % 121), Net.privateKey("stranger", pick), true);
        }
        _readings.push(r);
        ++counts.forgedLeaves;
        return _readings.length - 1;
    }

    function _leaf(uint256 rid) internal returns (uint256 leaf) {
        GhostReading storage r = _readings[rid];
        leaf = r.leaf;
        if (leaf == 0) {
            leaf = da.leafOf(_challenged(r));
            r.leaf = leaf;
        }
    }

    function _challenged(GhostReading storage r) internal view returns (IDataAvailability.ChallengedReading memory) {
        return
            IDataAvailability.ChallengedReading({
                deviceId: r.deviceId,
                seq: r.seq,
                timestamp: r.timestamp,
                value: r.value,
                signature: r.signature
            });
    }

    /// @dev Root of the 4-ary tree over the readings: depth 0 (root = leaf) for one reading,
    /// depth 1 (one Poseidon(4) node) for 2-4.
    function _root(uint256[] memory rids) internal returns (uint256 root, uint8 depth) {
        if (rids.length == 1) return (_leaf(rids[0]), 0);
        uint256[4] memory children;
        for (uint256 i; i < rids.length; ++i) children[i] = _leaf(rids[i]);
        return (POSEIDON4.poseidon(children), 1);
    }

    function _siblings(GhostBatch storage b, uint256 index) internal view returns (uint256[3][] memory sib) {
        sib = new uint256[3][](b.depth);
        if (b.depth == 0) return sib;
        uint256 j;
        for (uint256 k; k < 4; ++k) {
            if (k == index) continue;
            if (k < b.rids.length) sib[0][j] = _readings[b.rids[k]].leaf;
            ++j;
        }
    }

    function _committedLeaf(uint256 id, uint256 index) internal view returns (IDataAvailability.CommittedLeaf memory) {
        GhostBatch storage b = _batches[id];
        return
            IDataAvailability.CommittedLeaf({
                batchId: id,
                index: index,
                reading: _challenged(_readings[b.rids[index]]),
                siblings: _siblings(b, index)
            });
    }

    function _record(uint256 id, uint256[] memory rids, uint8 depth, uint64 epoch, uint8 s, bool honest) internal {
        GhostBatch storage b = _batches[id];
        b.rids = rids;
        b.depth = depth;
        b.epoch = epoch;
        b.deadline = uint64(block.timestamp) + Net.CHALLENGE_WINDOW;
        b.sequencer = s;
        b.honest = honest;
        batchCount = id;
        for (uint256 i; i < rids.length; ++i) {
            GhostReading storage r = _readings[rids[i]];
            bytes32 k = _key(r.deviceId, r.seq);
            if (_occurrences[k].length == 0) _keys.push(k);
            else if (!honest) ++counts.repeatedLeaves;
            _occurrences[k].push((id << 8) | i);
        }
    }

    /// @dev Whether (deviceId, seq) is in a batch that still stands, and if so whether one such
    /// batch is final.
    function _standingCopy(uint64 d, uint64 seq) internal view returns (bool standing, bool isFinal) {
        uint256[] storage occ = _occurrences[_key(d, seq)];
        for (uint256 i; i < occ.length; ++i) {
            GhostBatch storage b = _batches[occ[i] >> 8];
            if (b.invalidated) continue;
            standing = true;
            if (block.timestamp >= b.deadline) return (true, true);
        }
    }

    /// @dev The first standing leaf before (id, index) with the same (deviceId, seq), if any.
    function _earlierStanding(uint256 id, uint256 index) internal view returns (bool, uint256, uint256) {
        GhostReading storage r = _readings[_batches[id].rids[index]];
        uint256[] storage occ = _occurrences[_key(r.deviceId, r.seq)];
        for (uint256 i; i < occ.length; ++i) {
            uint256 oid = occ[i] >> 8;
            uint256 oidx = occ[i] & 0xff;
            if (oid > id || (oid == id && oidx >= index)) break; // commit order
            if (!_batches[oid].invalidated) return (true, oid, oidx);
        }
        return (false, 0, 0);
    }

    function _hasOpenBatchOf(uint64 d) internal view returns (bool) {
        for (uint256 id = batchCount; id > 0; --id) {
            GhostBatch storage b = _batches[id];
            if (block.timestamp >= b.deadline) break;
            if (b.invalidated) continue;
            for (uint256 i; i < b.rids.length; ++i) if (_readings[b.rids[i]].deviceId == d) return true;
        }
        return false;
    }

    /// @dev The first sequencer from `seed` on that is unbonding (`unbonding_`) or has a bond and
    /// is not unbonding; `seed`'s own if none.
    function _pickSequencer(uint256 seed, bool unbonding_) internal view returns (uint256) {
        for (uint256 k; k < Net.SEQUENCERS; ++k) {
            uint256 s = (seed + k) % Net.SEQUENCERS;
            if (unbonding_ ? unbonding[s] : !unbonding[s] && ghostBond[Net.sequencer(s)] != 0) return s;
        }
        return seed % Net.SEQUENCERS;
    }

    function _recentBatch(uint256 seed) internal view returns (uint256) {
        uint256 span = batchCount < 8 ? batchCount : 8;
        return batchCount - (seed % span);
    }

    /// @dev Deposits what the sequencer's next commit needs.
    function _ensureBond(uint8 s) internal {
        address account = Net.sequencer(s);
        uint256 open = da.openBatches(account);
        uint256 need = Net.SLASH * (open + 1);
        if (need < Net.MIN_BOND) need = Net.MIN_BOND;
        uint256 bond = da.sequencer(account).bond;
        if (bond >= need) return;
        VM.prank(account);
        da.depositBond{value: need - bond}();
        ghostBond[account] += need - bond;
        ++counts.deposits;
    }

    function _slashed(uint256 id) internal {
        GhostBatch storage b = _batches[id];
        b.invalidated = true;
        address account = Net.sequencer(b.sequencer);
        uint256 slashed = ghostBond[account] < Net.SLASH ? ghostBond[account] : Net.SLASH;
        uint256 reward = (slashed * Net.CHALLENGER_REWARD_BPS) / 10_000;
        ghostBond[account] -= slashed;
        ghostSlashedFunds += slashed - reward;
    }

    function _trySignatureChallenge(address who, uint256 id, uint256 index) internal returns (bool) {
        GhostBatch storage b = _batches[id];
        IDataAvailability.ChallengedReading memory reading = _challenged(_readings[b.rids[index]]);
        uint256[3][] memory sib = _siblings(b, index);
        VM.prank(who);
        try da.challengeSignature(id, reading, index, sib) {
            _slashed(id);
            return true;
        } catch {
            return false;
        }
    }

    function _tryDuplicateChallenge(
        address who,
        uint256 idA,
        uint256 iA,
        uint256 idB,
        uint256 iB
    ) internal returns (bool) {
        IDataAvailability.CommittedLeaf memory a = _committedLeaf(idA, iA);
        IDataAvailability.CommittedLeaf memory b = _committedLeaf(idB, iB);
        VM.prank(who);
        try da.challengeDuplicate(a, b) {
            _slashed(idA > idB || (idA == idB && iA > iB) ? idA : idB);
            return true;
        } catch {
            return false;
        }
    }

    function _watch() internal {
        for (uint256 id = _watchedUpTo + 1; id <= batchCount; ++id) {
            GhostBatch storage b = _batches[id];
            for (uint256 i; i < b.rids.length && !b.invalidated; ++i) {
                if (_readings[b.rids[i]].forged) {
                    if (_trySignatureChallenge(Net.watcher(), id, i)) ++counts.watcherInvalidations;
                    else _unexpected("watcher: forgery stood");
                    continue;
                }
                (bool dup, uint256 fid, uint256 fidx) = _earlierStanding(id, i);
                if (!dup) continue;
                if (_tryDuplicateChallenge(Net.watcher(), fid, fidx, id, i)) ++counts.watcherInvalidations;
                else _unexpected("watcher: duplicate stood");
            }
        }
        _watchedUpTo = batchCount;
    }

    function _recordFinality() internal {
        for (uint256 id = _finalCursor + 1; id <= batchCount; ++id) {
            GhostBatch storage b = _batches[id];
            if (block.timestamp < b.deadline) break;
            _finalCursor = id;
            bool isFinal = da.isFinal(id);
            if (isFinal == b.invalidated) finalityMismatch = true;
            if (!isFinal) continue;
            for (uint256 i; i < b.rids.length; ++i) {
                GhostReading storage r = _readings[b.rids[i]];
                if (++finalValidLeaves[_key(r.deviceId, r.seq)] > 1) creditedTwice = true;
            }
        }
        openFrom = _finalCursor + 1;
    }

    /// @dev Settles every final batch not settled yet; one of an epoch already closed must be
    /// refused.
    function _settleFinal() internal {
        uint64 next = dist.nextEpochToClose();
        for (uint256 id = _settleCursor + 1; id < openFrom; ++id) {
            GhostBatch storage b = _batches[id];
            _settleCursor = id;
            if (b.invalidated) continue;
            try dist.settle(id, 0, _deviceWords(b), _noProof()) {
                if (b.epoch < next) _unexpected("settled into a closed epoch");
                ++counts.settlements;
            } catch {
                if (b.epoch >= next) _unexpected("settlement refused");
                ++counts.lateSettlements;
            }
        }
    }

    function _closeEpochs() internal {
        for (uint64 next = dist.nextEpochToClose(); block.timestamp >= dist.closableAt(next); ++next) {
            dist.closeEpoch(next);
            ++counts.epochsClosed;
            (IRewardDistributor.EpochTotals memory t, ) = dist.epochInfo(next);
            if (t.emission != 0) ++counts.epochsMinted;
        }
    }

    /// @dev The reward rule's result for the batch (what its Groth16 proof would force): per
    /// device, readings with a value in [MIN_VALUE, MAX_VALUE] stamped inside the batch's epoch,
    /// capped at CAP; ids ascending, two slots per word.
    function _deviceWords(GhostBatch storage b) internal view returns (uint256[] memory words) {
        uint256 start = uint256(Net.GENESIS) + uint256(b.epoch) * Net.EPOCH_LENGTH;
        uint256 end = start + Net.EPOCH_LENGTH;
        uint256[] memory pts = new uint256[](Net.DEVICES + 2);
        for (uint256 i; i < b.rids.length; ++i) {
            GhostReading storage r = _readings[b.rids[i]];
            if (r.deviceId == 0 || r.value < Net.MIN_VALUE || r.value > Net.MAX_VALUE) continue;
            if (r.timestamp < start || r.timestamp >= end) continue;
            pts[r.deviceId] += 1;
        }
        words = new uint256[](Net.SLOTS / 2);
        uint256 slot;
        for (uint64 d = 1; d < pts.length; ++d) {
            if (pts[d] == 0) continue;
            uint256 p = pts[d] > Net.CAP ? Net.CAP : pts[d];
            words[slot / 2] |= (uint256(d) | (p << 64)) << (96 * (slot % 2));
            ++slot;
        }
    }

    function _noProof() internal pure returns (IRewardDistributor.Proof memory proof) {}

    receive() external payable {}
}
