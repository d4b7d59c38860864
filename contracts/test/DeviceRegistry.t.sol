// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";
import {IEntryPoint} from "@account-abstraction/contracts/interfaces/IEntryPoint.sol";
import {DeviceRegistry} from "../identity/DeviceRegistry.sol";
import {DeviceAccountFactory} from "../identity/DeviceAccountFactory.sol";
import {DeviceAccount} from "../identity/DeviceAccount.sol";
import {IDeviceRegistry} from "../identity/interfaces/IDeviceRegistry.sol";
import {IDeviceDirectory} from "../interfaces/IDeviceDirectory.sol";

/// @dev The few Hardhat/Foundry cheatcodes these tests use (no forge-std here).
interface Vm {
    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);
    function addr(uint256 privateKey) external pure returns (address);
    function prank(address sender) external;
    function warp(uint256 timestamp) external;
    function expectRevert(bytes calldata revertData) external;
}

Vm constant VM = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

/// @dev Deploys the registry behind its proxy with a factory, as the Ignition module does.
abstract contract RegistrySetup {
    DeviceRegistry internal registry;
    DeviceAccountFactory internal factory;

    function _deployRegistry() internal {
        DeviceRegistry impl = new DeviceRegistry();
        registry = DeviceRegistry(
            address(new ERC1967Proxy(address(impl), abi.encodeCall(DeviceRegistry.initialize, (address(this)))))
        );
        factory = new DeviceAccountFactory(IEntryPoint(address(0xE4)), IDeviceDirectory(address(registry)));
        registry.setAccountFactory(address(factory));
    }

    /// @dev Private keys of device keys are derived from a seed; 0 and ≥ n are mapped inside the curve order.
    function _devicePk(uint256 seed) internal pure returns (uint256) {
        return
            (uint256(keccak256(abi.encode("device", seed))) %
                0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140) + 1;
    }

    /// @dev A bind request whose maker root is the key id itself (a one-leaf tree, empty proof).
    function _request(
        uint256 pk,
        address owner,
        uint256 nonce
    ) internal view returns (IDeviceRegistry.BindRequest memory req) {
        address key = VM.addr(pk);
        req.keyType = IDeviceDirectory.KeyType.Secp256k1;
        req.publicKey = abi.encodePacked(key);
        req.makerRoot = keccak256(abi.encodePacked(uint8(0), key));
        req.nonce = nonce;
        req.deadline = block.timestamp + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = VM.sign(pk, registry.bindDigest(owner, nonce, req.deadline));
        req.signature = abi.encodePacked(r, s, v);
    }
}

/// @notice Fuzz tests of onboarding: nonces, batches, counts.
contract DeviceRegistryFuzzTest is RegistrySetup {
    address internal constant OWNER = address(0xA11CE);

    function setUp() public {
        _deployRegistry();
        registry.approveMaker(address(this), "fuzz maker");
    }

    function _publish(uint256 pk) internal {
        registry.publishMakerRoot(keccak256(abi.encodePacked(uint8(0), VM.addr(pk))), 1, "");
    }

    /// Any nonce can be used once; the replay reverts with the nonce and leaves counts unchanged.
    function testFuzz_nonceUsedOnce(uint256 nonce, uint256 seedA, uint256 seedB) public {
        uint256 pkA = _devicePk(seedA);
        uint256 pkB = _devicePk(seedB);
        if (VM.addr(pkA) == VM.addr(pkB)) return;
        _publish(pkA);
        _publish(pkB);
        IDeviceRegistry.BindRequest memory a = _request(pkA, OWNER, nonce);
        IDeviceRegistry.BindRequest memory b = _request(pkB, OWNER, nonce);
        VM.prank(OWNER);
        registry.bindDevice(a);
        require(registry.isNonceUsed(OWNER, nonce), "nonce not marked");
        VM.expectRevert(abi.encodeWithSelector(IDeviceRegistry.DeviceRegistryNonceUsed.selector, 0, OWNER, nonce));
        VM.prank(OWNER);
        registry.bindDevice(b);
        require(registry.totalDevices() == 1, "device count changed");
        require(registry.balanceOf(OWNER) == 1, "balance changed");
    }

    /// A batch of n fresh devices gets ids 1..n, all Bound, all owned, balance n.
    function testFuzz_batchIdsAndCounts(uint8 rawN, uint256 seed) public {
        uint256 n = (uint256(rawN) % 24) + 1;
        IDeviceRegistry.BindRequest[] memory items = new IDeviceRegistry.BindRequest[](n);
        for (uint256 i; i < n; ++i) {
            uint256 pk = _devicePk(uint256(keccak256(abi.encode(seed, i))));
            _publish(pk);
            items[i] = _request(pk, OWNER, i);
        }
        VM.prank(OWNER);
        uint256[] memory ids = registry.bindDevices(items);
        for (uint256 i; i < n; ++i) {
            require(ids[i] == i + 1, "ids not sequential");
            require(registry.ownerOf(i + 1) == OWNER, "owner");
        }
        require(registry.deviceCount(IDeviceDirectory.DeviceStatus.Bound) == n, "bound count");
        require(registry.totalDevices() == n, "total");
        require(registry.balanceOf(OWNER) == n, "balance");
    }

    /// A bad item anywhere in a batch reverts with its index and binds nothing.
    function testFuzz_batchBadIndex(uint8 rawN, uint8 rawBad, uint256 seed) public {
        uint256 n = (uint256(rawN) % 12) + 2;
        uint256 bad = uint256(rawBad) % n;
        IDeviceRegistry.BindRequest[] memory items = new IDeviceRegistry.BindRequest[](n);
        for (uint256 i; i < n; ++i) {
            uint256 pk = _devicePk(uint256(keccak256(abi.encode(seed, i))));
            _publish(pk);
            items[i] = _request(pk, OWNER, i);
        }
        items[bad].deadline += 1; // signature no longer matches the message
        bytes32 keyId = keccak256(abi.encodePacked(uint8(0), items[bad].publicKey));
        VM.expectRevert(
            abi.encodeWithSelector(IDeviceRegistry.DeviceRegistryInvalidDeviceSignature.selector, bad, keyId)
        );
        VM.prank(OWNER);
        registry.bindDevices(items);
        require(registry.totalDevices() == 0, "something was bound");
    }
}

/// @notice Drives random sequences of binds, transfers, activations, rotations and
/// decommissions; the invariant test checks the registry after every call.
contract RegistryHandler {
    DeviceRegistry internal immutable REGISTRY;
    DeviceAccountFactory internal immutable FACTORY;
    address[4] internal owners;
    uint256 internal nextKeySeed = 1;

    /// Ghost state: every key ever bound and the device it went to.
    address[] public ghostKeys;
    mapping(address key => uint256 deviceId) public ghostDeviceOfKey;
    mapping(uint256 deviceId => uint256 pk) internal currentPk;
    uint256 public nonceCounter;

    constructor(DeviceRegistry registry_, DeviceAccountFactory factory_) {
        REGISTRY = registry_;
        FACTORY = factory_;
        for (uint256 i; i < 4; ++i) owners[i] = VM.addr(1000 + i);
    }

    function ownerAt(uint256 i) external view returns (address) {
        return owners[i];
    }

    function _pk(uint256 seed) internal pure returns (uint256) {
        return
            (uint256(keccak256(abi.encode("handler-key", seed))) %
                0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140) + 1;
    }

    function bind(uint256 ownerSeed) external {
        uint256 pk = _pk(nextKeySeed++);
        address key = VM.addr(pk);
        address owner = owners[ownerSeed % 4];
        REGISTRY.publishMakerRoot(keccak256(abi.encodePacked(uint8(0), key)), 1, "");
        IDeviceRegistry.BindRequest memory req;
        req.keyType = IDeviceDirectory.KeyType.Secp256k1;
        req.publicKey = abi.encodePacked(key);
        req.makerRoot = keccak256(abi.encodePacked(uint8(0), key));
        req.nonce = nonceCounter++;
        req.deadline = block.timestamp + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = VM.sign(pk, REGISTRY.bindDigest(owner, req.nonce, req.deadline));
        req.signature = abi.encodePacked(r, s, v);
        VM.prank(owner);
        uint256 id = REGISTRY.bindDevice(req);
        FACTORY.createAccount(id);
        ghostKeys.push(key);
        ghostDeviceOfKey[key] = id;
        currentPk[id] = pk;
    }

    function _device(uint256 seed) internal view returns (uint256 id, bool ok) {
        uint256 total = REGISTRY.totalDevices();
        if (total == 0) return (0, false);
        return ((seed % total) + 1, true);
    }

    function transfer(uint256 idSeed, uint256 toSeed) external {
        (uint256 id, bool ok) = _device(idSeed);
        if (!ok) return;
        address from = REGISTRY.ownerOf(id);
        VM.prank(from);
        REGISTRY.transferFrom(from, owners[toSeed % 4], id);
    }

    function activate(uint256 idSeed) external {
        (uint256 id, bool ok) = _device(idSeed);
        if (!ok || REGISTRY.deviceStatus(id) != IDeviceDirectory.DeviceStatus.Bound) return;
        VM.prank(REGISTRY.ownerOf(id));
        REGISTRY.activate(id);
    }

    function suspendOrResume(uint256 idSeed) external {
        (uint256 id, bool ok) = _device(idSeed);
        if (!ok) return;
        IDeviceDirectory.DeviceStatus s = REGISTRY.deviceStatus(id);
        if (s == IDeviceDirectory.DeviceStatus.Active) REGISTRY.suspend(id);
        else if (s == IDeviceDirectory.DeviceStatus.Suspended) REGISTRY.resume(id);
    }

    function decommission(uint256 idSeed) external {
        (uint256 id, bool ok) = _device(idSeed);
        if (!ok || REGISTRY.deviceStatus(id) == IDeviceDirectory.DeviceStatus.Decommissioned) return;
        VM.prank(REGISTRY.ownerOf(id));
        REGISTRY.decommission(id);
    }

    function rotate(uint256 idSeed) external {
        (uint256 id, bool ok) = _device(idSeed);
        if (!ok || REGISTRY.deviceStatus(id) == IDeviceDirectory.DeviceStatus.Decommissioned) return;
        uint256 newPk = _pk(nextKeySeed++);
        address newKey = VM.addr(newPk);
        bytes32 newKeyId = keccak256(abi.encodePacked(uint8(0), newKey));
        uint256 deadline = block.timestamp + 1 hours;
        bytes32 digest = REGISTRY.rotationDigest(id, newKeyId, REGISTRY.keyCount(id), deadline);
        IDeviceRegistry.KeyRotation memory rot;
        rot.keyType = IDeviceDirectory.KeyType.Secp256k1;
        rot.publicKey = abi.encodePacked(newKey);
        rot.deadline = deadline;
        (uint8 v, bytes32 r, bytes32 s) = VM.sign(currentPk[id], digest);
        rot.oldKeySignature = abi.encodePacked(r, s, v);
        (v, r, s) = VM.sign(newPk, digest);
        rot.newKeySignature = abi.encodePacked(r, s, v);
        VM.prank(REGISTRY.ownerOf(id));
        REGISTRY.rotateKey(id, rot);
        ghostKeys.push(newKey);
        ghostDeviceOfKey[newKey] = id;
        currentPk[id] = newPk;
    }

    /// Lets time pass (up to ~33 min), so rotations land both inside and after a pending hand-over.
    function wait(uint256 secs) external {
        VM.warp(block.timestamp + (secs % 2000));
    }

    function ghostKeyCount() external view returns (uint256) {
        return ghostKeys.length;
    }
}

/// @notice Invariants of the registry under random handler sequences.
contract DeviceRegistryInvariantTest is RegistrySetup {
    RegistryHandler internal handler;

    function setUp() public {
        _deployRegistry();
        handler = new RegistryHandler(registry, factory);
        registry.approveMaker(address(handler), "handler maker");
        registry.grantRole(registry.DEVICE_GUARDIAN_ROLE(), address(handler));
    }

    /// The handler really moves the registry through every transition (so the invariants below
    /// are not checked against an empty registry only).
    function test_handlerDrivesEveryTransition() public {
        handler.bind(0);
        handler.bind(1);
        handler.bind(2);
        handler.transfer(0, 3);
        handler.activate(0);
        handler.suspendOrResume(0);
        handler.rotate(0);
        handler.suspendOrResume(0);
        handler.decommission(1);
        handler.rotate(2);
        handler.wait(100);
        handler.rotate(2); // while the first hand-over of device 3 is still pending
        require(registry.totalDevices() == 3, "binds");
        require(registry.ownerOf(1) == handler.ownerAt(3), "transfer");
        require(registry.deviceStatus(1) == IDeviceDirectory.DeviceStatus.Active, "activate/suspend/resume");
        require(registry.keyCount(1) == 2 && registry.keyCount(3) == 3, "rotations");
        require(registry.deviceStatus(2) == IDeviceDirectory.DeviceStatus.Decommissioned, "decommission");
        require(handler.ghostKeyCount() == 6, "ghost keys");
        invariant_deviceCountsConsistent();
        invariant_holderControlsAccount();
        invariant_noKeyBoundTwice();
        invariant_oneKeyValidAtATime();
    }

    /// @dev Read by the fuzzer: only the handler is called.
    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// Per-status counts add up to the number of devices, and to what the devices report.
    /// forge-config: default.invariant.runs = 128
    /// forge-config: default.invariant.depth = 50
    function invariant_deviceCountsConsistent() public view {
        uint256 total = registry.totalDevices();
        uint256[6] memory seen;
        for (uint256 id = 1; id <= total; ++id) seen[uint256(registry.deviceStatus(id))] += 1;
        uint256 sum;
        for (uint256 s = 1; s <= 5; ++s) {
            uint256 c = registry.deviceCount(IDeviceDirectory.DeviceStatus(s));
            require(c == seen[s], "count differs from device statuses");
            sum += c;
        }
        require(sum == total, "counts do not add up");
        require(seen[0] == 0, "a device id below total is unknown");
        uint256 balances;
        for (uint256 i; i < 4; ++i) balances += registry.balanceOf(handler.ownerAt(i));
        require(balances == total, "balances do not add up to the minted devices");
    }

    /// Whoever holds the NFT controls the device account.
    /// forge-config: default.invariant.runs = 128
    /// forge-config: default.invariant.depth = 50
    function invariant_holderControlsAccount() public view {
        uint256 total = registry.totalDevices();
        for (uint256 id = 1; id <= total; ++id) {
            address account = registry.rewardRecipient(id);
            require(account == factory.accountAddress(id), "reward recipient is not the account");
            require(DeviceAccount(payable(account)).controller() == registry.ownerOf(id), "controller != holder");
        }
    }

    /// No key belongs to two devices; each device's current key is the last and only unrevoked
    /// one unless decommissioned.
    /// forge-config: default.invariant.runs = 128
    /// forge-config: default.invariant.depth = 50
    function invariant_noKeyBoundTwice() public view {
        uint256 n = handler.ghostKeyCount();
        for (uint256 i; i < n; ++i) {
            address key = handler.ghostKeys(i);
            uint256 id = registry.deviceOfKey(IDeviceDirectory.KeyType.Secp256k1, abi.encodePacked(key));
            require(id == handler.ghostDeviceOfKey(key), "key maps to another device");
        }
        uint256 total = registry.totalDevices();
        uint256 keysSeen;
        for (uint256 id = 1; id <= total; ++id) {
            uint256 count = registry.keyCount(id);
            keysSeen += count;
            for (uint256 k; k < count; ++k) {
                IDeviceDirectory.DeviceKey memory key = registry.keyAt(id, k);
                require(registry.deviceOfKey(key.keyType, key.publicKey) == id, "history key owned elsewhere");
                bool last = k == count - 1;
                bool decommissioned = registry.deviceStatus(id) == IDeviceDirectory.DeviceStatus.Decommissioned;
                require((key.revokedAt == 0) == (last && !decommissioned), "revocation state wrong");
            }
        }
        require(keysSeen == n, "key histories and bound keys differ");
    }

    /// Revocations are scheduled: each key hands over to the next at exactly the instant it is
    /// revoked, and every revocation lies KEY_REVOCATION_DELAY after a past block, so the windows
    /// [validFrom, revokedAt) tile time and exactly one key is valid at any instant.
    /// forge-config: default.invariant.runs = 128
    /// forge-config: default.invariant.depth = 50
    function invariant_oneKeyValidAtATime() public view {
        uint256 delay = registry.KEY_REVOCATION_DELAY();
        uint256 total = registry.totalDevices();
        for (uint256 id = 1; id <= total; ++id) {
            uint256 count = registry.keyCount(id);
            for (uint256 k; k < count; ++k) {
                IDeviceDirectory.DeviceKey memory key = registry.keyAt(id, k);
                if (key.revokedAt != 0) {
                    require(key.revokedAt >= key.validFrom, "window ends before it starts");
                    require(key.revokedAt <= block.timestamp + delay, "revocation beyond the delay");
                }
                if (k + 1 < count) {
                    require(registry.keyAt(id, k + 1).validFrom == key.revokedAt, "hand-over gap or overlap");
                }
            }
        }
    }
}
