// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {AccessControlUpgradeable} from "@openzeppelin/contracts-upgradeable/access/AccessControlUpgradeable.sol";
import {EIP712Upgradeable} from "@openzeppelin/contracts-upgradeable/utils/cryptography/EIP712Upgradeable.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";
import {IERC721Metadata} from "@openzeppelin/contracts/token/ERC721/extensions/IERC721Metadata.sol";
import {IERC721Receiver} from "@openzeppelin/contracts/token/ERC721/IERC721Receiver.sol";
import {IDeviceDirectory} from "../interfaces/IDeviceDirectory.sol";
import {IDeviceRegistry} from "./interfaces/IDeviceRegistry.sol";
import {IDeviceAccountFactory} from "./interfaces/IDeviceAccountFactory.sol";
import {P256Verifier} from "./libraries/P256Verifier.sol";

/// @title DeviceRegistry
/// @notice Device makers, onboarding, device NFT, key history, lifecycle and DID anchors in one
/// upgradeable contract (UUPS behind an ERC1967Proxy, ERC-7201 storage). The ERC-721 part is
/// written here rather than inherited so that the token owner lives in the same storage slot as
/// the device status and key count: binding one device then writes three fresh slots (device,
/// key, key → device) instead of five, which keeps batch onboarding under 120k gas per device.
contract DeviceRegistry is
    Initializable,
    UUPSUpgradeable,
    AccessControlUpgradeable,
    EIP712Upgradeable,
    IDeviceRegistry
{
    /// @notice Approves and revokes makers and their roots.
    bytes32 public constant MAKER_GOVERNOR_ROLE = keccak256("MAKER_GOVERNOR_ROLE");
    /// @notice Suspends, resumes and decommissions devices.
    bytes32 public constant DEVICE_GUARDIAN_ROLE = keccak256("DEVICE_GUARDIAN_ROLE");
    /// @notice Authorises implementation upgrades.
    bytes32 public constant UPGRADER_ROLE = keccak256("UPGRADER_ROLE");

    /// @notice EIP-712 type of the device's consent to be bound to `owner`.
    bytes32 public constant BIND_TYPEHASH = keccak256("BindDevice(address owner,uint256 nonce,uint256 deadline)");
    /// @notice EIP-712 type of the device's consent to be provisioned by `maker` (proof of possession).
    bytes32 public constant PROVISION_TYPEHASH = keccak256("ProvisionDevice(address maker,uint256 deadline)");
    /// @notice EIP-712 type of a key rotation (signed by the old and the new key).
    bytes32 public constant ROTATE_TYPEHASH = keccak256(
        "RotateKey(uint256 deviceId,bytes32 newKeyId,uint256 keyIndex,uint256 deadline)"
    );

    /// @inheritdoc IDeviceRegistry
    /// @dev A constant, not a governed parameter: the bound it must respect (bridge future skew 300 s
    /// + directory cache TTL 60 s, plus clock drift between bridge and chain) lives in the keepers,
    /// which check their options against the same value (sdk KEY_REVOCATION_DELAY_SEC) at start-up.
    /// A vote lowering it below that bound would reopen the grief it closes; changing it is an
    /// upgrade, shipped together with keepers that agree.
    uint256 public constant KEY_REVOCATION_DELAY = 10 minutes;

    string private constant _NAME = "DePIN Device";
    string private constant _SYMBOL = "DEVICE";
    /// @dev Ids stay below 2^32 so that no per-status count (32 bits) can overflow; readings
    /// carry ids as uint64.
    uint256 private constant _MAX_DEVICE_ID = type(uint32).max;

    /// @dev One key of a device's history, packed in one slot (160 + 8 + 40 + 40 bits). For a
    /// P-256 key `signer` is zero and x ‖ y live in `p256Keys`.
    struct KeySlot {
        address signer;
        KeyType keyType;
        uint40 validFrom;
        uint40 revokedAt;
    }

    /// @custom:storage-location erc7201:depin.storage.DeviceRegistry
    struct RegistryStorage {
        mapping(uint256 deviceId => DeviceInfo) devices;
        mapping(uint256 deviceId => mapping(uint256 index => KeySlot)) keys;
        mapping(uint256 deviceId => mapping(uint256 index => bytes32[2])) p256Keys;
        mapping(bytes32 keyId => uint256 deviceId) deviceOfKey;
        mapping(uint256 deviceId => bytes32 root) provisionRoot;
        mapping(address owner => uint256) balances;
        mapping(uint256 deviceId => address) tokenApprovals;
        mapping(address owner => mapping(address operator => bool)) operatorApprovals;
        mapping(address maker => MakerInfo) makers;
        mapping(bytes32 root => RootInfo) roots;
        mapping(address owner => mapping(uint256 word => uint256 bitmap)) nonces;
        mapping(uint256 deviceId => DocumentRef) deviceDocuments;
        mapping(address owner => DocumentRef) ownerDocuments;
        // Bits 0-63: last device id; bits 64 + 32·(s-1) .. +31: number of devices in status s
        // (s = Provisioned .. Decommissioned). One slot, written once per batch.
        uint256 counters;
        address accountFactory;
    }

    // keccak256(abi.encode(uint256(keccak256("depin.storage.DeviceRegistry")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant _STORAGE_LOCATION = 0xbfcb113717b75b883a577dd88c43c14b46af50ce90e62821f7ab7cd0d10dc900;

    function _s() private pure returns (RegistryStorage storage $) {
        // Solidity cannot name an ERC-7201 location directly; the slot is a constant.
        assembly {
            $.slot := _STORAGE_LOCATION
        }
    }

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @notice Initialises the proxy: `admin` receives every role (hand them to the timelock).
    function initialize(address admin) external initializer {
        if (admin == address(0)) revert DeviceRegistryZeroAddress();
        __AccessControl_init();
        __EIP712_init("DePIN Device Registry", "1");
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(MAKER_GOVERNOR_ROLE, admin);
        _grantRole(DEVICE_GUARDIAN_ROLE, admin);
        _grantRole(UPGRADER_ROLE, admin);
    }

    function _authorizeUpgrade(address) internal override onlyRole(UPGRADER_ROLE) {}

    // =================================================================== makers

    /// @inheritdoc IDeviceRegistry
    function approveMaker(address maker, string calldata name_) external onlyRole(MAKER_GOVERNOR_ROLE) {
        if (maker == address(0)) revert DeviceRegistryZeroAddress();
        MakerInfo storage m = _s().makers[maker];
        if (m.status == MakerStatus.Approved) revert DeviceRegistryMakerAlreadyApproved(maker);
        m.status = MakerStatus.Approved;
        m.since = uint40(block.timestamp);
        m.name = name_;
        emit MakerApproved(maker, name_);
    }

    /// @inheritdoc IDeviceRegistry
    function revokeMaker(address maker) external onlyRole(MAKER_GOVERNOR_ROLE) {
        _revokeMaker(maker);
    }

    /// @inheritdoc IDeviceRegistry
    function renounceMaker() external {
        _revokeMaker(msg.sender);
    }

    function _revokeMaker(address maker) private {
        MakerInfo storage m = _s().makers[maker];
        if (m.status != MakerStatus.Approved) revert DeviceRegistryMakerNotApproved(maker);
        m.status = MakerStatus.Revoked;
        m.since = uint40(block.timestamp);
        emit MakerRevoked(maker, msg.sender);
    }

    /// @inheritdoc IDeviceRegistry
    function publishMakerRoot(bytes32 root, uint64 keyCount_, string calldata uri) external {
        RegistryStorage storage $ = _s();
        MakerInfo storage m = $.makers[msg.sender];
        if (m.status != MakerStatus.Approved) revert DeviceRegistryMakerNotApproved(msg.sender);
        if (root == bytes32(0)) revert DeviceRegistryZeroRoot();
        RootInfo storage r = $.roots[root];
        if (r.maker != address(0)) revert DeviceRegistryRootAlreadyPublished(root, r.maker);
        r.maker = msg.sender;
        r.keyCount = keyCount_;
        m.rootCount += 1;
        emit MakerRootPublished(msg.sender, root, keyCount_, uri);
    }

    /// @inheritdoc IDeviceRegistry
    function revokeMakerRoot(bytes32 root) external {
        RootInfo storage r = _s().roots[root];
        address maker = r.maker;
        if (maker == address(0)) revert DeviceRegistryUnknownRoot(root);
        if (msg.sender != maker && !hasRole(MAKER_GOVERNOR_ROLE, msg.sender)) {
            revert DeviceRegistryNotRootMaker(root, msg.sender);
        }
        if (r.revoked) revert DeviceRegistryRootAlreadyRevoked(root);
        r.revoked = true;
        emit MakerRootRevoked(maker, root, msg.sender);
    }

    /// @inheritdoc IDeviceRegistry
    function makerInfo(address maker) external view returns (MakerInfo memory) {
        return _s().makers[maker];
    }

    /// @inheritdoc IDeviceRegistry
    function rootInfo(bytes32 root) external view returns (RootInfo memory) {
        return _s().roots[root];
    }

    // =================================================================== onboarding

    /// @inheritdoc IDeviceRegistry
    function provisionDevices(ProvisionRequest[] calldata items) external returns (uint256 firstDeviceId) {
        uint256 n = items.length;
        if (n == 0) revert DeviceRegistryEmptyBatch();
        RegistryStorage storage $ = _s();
        uint256 c = $.counters;
        firstDeviceId = (c & _MAX_DEVICE_ID) + 1;
        bytes32 domain = _domainSeparatorV4();
        for (uint256 i; i < n; ++i) {
            uint256 deviceId;
            (c, deviceId) = _nextId(c);
            _provision($, i, deviceId, items[i], domain);
        }
        $.counters = _addCount(c, DeviceStatus.Provisioned, n);
    }

    /// @dev Checks and stores one provisioned device: deadline, key format, attestation under a
    /// root of the caller, key unused, and the device key's own signature naming the caller.
    function _provision(
        RegistryStorage storage $,
        uint256 index,
        uint256 deviceId,
        ProvisionRequest calldata item,
        bytes32 domain
    ) private {
        if (item.deadline < block.timestamp) revert DeviceRegistryDeadlineExpired(index, item.deadline);
        (bytes32 keyId, address signer) = _parseKey(index, item.keyType, item.publicKey);
        address maker = _checkAttested($, index, item.makerRoot, item.proof, keyId);
        if (maker != msg.sender) revert DeviceRegistryNotItemMaker(index, msg.sender);
        uint256 existing = $.deviceOfKey[keyId];
        if (existing != 0) revert DeviceRegistryKeyAlreadyBound(index, keyId, existing);
        bytes32 digest = MessageHashUtils.toTypedDataHash(
            domain,
            keccak256(abi.encode(PROVISION_TYPEHASH, msg.sender, item.deadline))
        );
        if (!_verifyCalldataKey(item.keyType, signer, item.publicKey, digest, item.signature)) {
            revert DeviceRegistryInvalidDeviceSignature(index, keyId);
        }
        uint40 now_ = uint40(block.timestamp);
        $.devices[deviceId] = DeviceInfo(address(0), DeviceStatus.Provisioned, 1, now_);
        _storeKey(deviceId, 0, item.keyType, signer, item.publicKey, now_);
        $.deviceOfKey[keyId] = deviceId;
        $.provisionRoot[deviceId] = item.makerRoot;
        emit DeviceProvisioned(deviceId, msg.sender, keyId);
    }

    /// @inheritdoc IDeviceRegistry
    function bindDevice(BindRequest calldata item) external returns (uint256 deviceId) {
        RegistryStorage storage $ = _s();
        uint256 c;
        (c, deviceId) = _bind($, $.counters, 0, item, _domainSeparatorV4());
        $.counters = c;
        $.balances[msg.sender] += 1;
    }

    /// @inheritdoc IDeviceRegistry
    function bindDevices(BindRequest[] calldata items) external returns (uint256[] memory deviceIds) {
        uint256 n = items.length;
        if (n == 0) revert DeviceRegistryEmptyBatch();
        RegistryStorage storage $ = _s();
        uint256 c = $.counters;
        bytes32 domain = _domainSeparatorV4();
        deviceIds = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            (c, deviceIds[i]) = _bind($, c, i, items[i], domain);
        }
        $.counters = c;
        $.balances[msg.sender] += n;
    }

    /// @dev Binds one item to msg.sender. The packed counters travel on the stack (`c` in, the
    /// updated value out) and the owner's balance is added by the caller, so a batch writes each
    /// of those slots once.
    function _bind(
        RegistryStorage storage $,
        uint256 c,
        uint256 index,
        BindRequest calldata item,
        bytes32 domain
    ) private returns (uint256, uint256 deviceId) {
        if (item.deadline < block.timestamp) revert DeviceRegistryDeadlineExpired(index, item.deadline);
        (bytes32 keyId, address signer) = _parseKey(index, item.keyType, item.publicKey);

        deviceId = $.deviceOfKey[keyId];
        bool provisioned = deviceId != 0;
        if (provisioned) _checkProvisioned($, index, keyId, deviceId);
        else _checkAttested($, index, item.makerRoot, item.proof, keyId);

        _useNonce($, index, msg.sender, item.nonce);

        bytes32 digest = MessageHashUtils.toTypedDataHash(
            domain,
            keccak256(abi.encode(BIND_TYPEHASH, msg.sender, item.nonce, item.deadline))
        );
        if (!_verifyCalldataKey(item.keyType, signer, item.publicKey, digest, item.signature)) {
            revert DeviceRegistryInvalidDeviceSignature(index, keyId);
        }

        uint40 now_ = uint40(block.timestamp);
        if (provisioned) {
            DeviceInfo storage d = $.devices[deviceId];
            d.owner = msg.sender;
            d.status = DeviceStatus.Bound;
            d.statusSince = now_;
            c = _subCount(c, DeviceStatus.Provisioned);
        } else {
            (c, deviceId) = _nextId(c);
            $.devices[deviceId] = DeviceInfo(msg.sender, DeviceStatus.Bound, 1, now_);
            _storeKey(deviceId, 0, item.keyType, signer, item.publicKey, now_);
            $.deviceOfKey[keyId] = deviceId;
        }
        emit Transfer(address(0), msg.sender, deviceId);
        emit DeviceBound(deviceId, msg.sender, keyId);
        return (_addCount(c, DeviceStatus.Bound, 1), deviceId);
    }

    /// @dev A known key may only be bound if its device is still Provisioned. It was attested when
    /// the maker registered it; the maker and the root must still be in good standing.
    function _checkProvisioned(RegistryStorage storage $, uint256 index, bytes32 keyId, uint256 deviceId) private view {
        if ($.devices[deviceId].status != DeviceStatus.Provisioned) {
            revert DeviceRegistryKeyAlreadyBound(index, keyId, deviceId);
        }
        bytes32 root = $.provisionRoot[deviceId];
        RootInfo storage r = $.roots[root];
        if (r.revoked) revert DeviceRegistryItemRootRevoked(index, root);
        if ($.makers[r.maker].status != MakerStatus.Approved) revert DeviceRegistryItemMakerNotApproved(index, r.maker);
    }

    /// @dev Assigns the next device id in the packed counters.
    function _nextId(uint256 c) private pure returns (uint256, uint256 id) {
        id = (c & _MAX_DEVICE_ID) + 1;
        if (id > _MAX_DEVICE_ID) revert DeviceRegistryDeviceIdOverflow();
        // The id field is below 2^32 - 1 here, so +1 stays inside its 64-bit field.
        return (c + 1, id);
    }

    function _countShift(DeviceStatus status) private pure returns (uint256) {
        return 64 + 32 * (uint256(status) - 1);
    }

    /// @dev A status count never exceeds the number of ids (< 2^32), so adding stays in its field.
    function _addCount(uint256 c, DeviceStatus status, uint256 amount) private pure returns (uint256) {
        return c + (amount << _countShift(status));
    }

    /// @dev Only called for a status the device is in, whose count is therefore at least one.
    function _subCount(uint256 c, DeviceStatus status) private pure returns (uint256) {
        return c - (1 << _countShift(status));
    }

    /// @dev Validates a public key and returns its id and, for secp256k1, the signer address.
    function _parseKey(
        uint256 index,
        KeyType keyType,
        bytes calldata publicKey
    ) private pure returns (bytes32 keyId, address signer) {
        if (keyType == KeyType.Secp256k1) {
            if (publicKey.length != 20) revert DeviceRegistryInvalidPublicKey(index, keyType, publicKey);
            signer = address(bytes20(publicKey));
            if (signer == address(0)) revert DeviceRegistryInvalidPublicKey(index, keyType, publicKey);
        } else {
            if (
                publicKey.length != 64 ||
                !P256Verifier.isValidPublicKey(bytes32(publicKey[0:32]), bytes32(publicKey[32:64]))
            ) {
                revert DeviceRegistryInvalidPublicKey(index, keyType, publicKey);
            }
        }
        keyId = _keyId(keyType, publicKey);
    }

    function _keyId(KeyType keyType, bytes calldata publicKey) private pure returns (bytes32) {
        return keccak256(abi.encodePacked(uint8(keyType), publicKey));
    }

    /// @dev Checks that `keyId` is under a live root of an approved maker; returns the maker.
    function _checkAttested(
        RegistryStorage storage $,
        uint256 index,
        bytes32 root,
        bytes32[] calldata proof,
        bytes32 keyId
    ) private view returns (address maker) {
        RootInfo storage r = $.roots[root];
        maker = r.maker;
        if (maker == address(0)) revert DeviceRegistryItemUnknownRoot(index, root);
        if (r.revoked) revert DeviceRegistryItemRootRevoked(index, root);
        if ($.makers[maker].status != MakerStatus.Approved) revert DeviceRegistryItemMakerNotApproved(index, maker);
        if (!MerkleProof.verifyCalldata(proof, root, keyId)) revert DeviceRegistryKeyNotAttested(index, keyId, root);
    }

    function _useNonce(RegistryStorage storage $, uint256 index, address owner, uint256 nonce) private {
        uint256 bit = 1 << (nonce & 0xff);
        uint256 word = $.nonces[owner][nonce >> 8];
        if (word & bit != 0) revert DeviceRegistryNonceUsed(index, owner, nonce);
        $.nonces[owner][nonce >> 8] = word | bit;
    }

    /// @dev Stores key `index` of `deviceId`, valid from `validFrom`.
    function _storeKey(
        uint256 deviceId,
        uint256 index,
        KeyType keyType,
        address signer,
        bytes calldata publicKey,
        uint40 validFrom
    ) private {
        RegistryStorage storage $ = _s();
        $.keys[deviceId][index] = KeySlot(signer, keyType, validFrom, 0);
        if (keyType == KeyType.P256) {
            $.p256Keys[deviceId][index] = [bytes32(publicKey[0:32]), bytes32(publicKey[32:64])];
        }
    }

    /// @dev Verifies a signature by a key given in calldata.
    function _verifyCalldataKey(
        KeyType keyType,
        address signer,
        bytes calldata publicKey,
        bytes32 digest,
        bytes calldata sig
    ) private view returns (bool) {
        if (keyType == KeyType.Secp256k1) return _verify(keyType, signer, 0, 0, digest, sig);
        return _verify(keyType, signer, bytes32(publicKey[0:32]), bytes32(publicKey[32:64]), digest, sig);
    }

    /// @dev Verifies a device-key signature over `digest`: secp256k1 r ‖ s ‖ v recovering to
    /// `signer`, or P-256 r ‖ s by (x, y). Both reject high s.
    function _verify(
        KeyType keyType,
        address signer,
        bytes32 x,
        bytes32 y,
        bytes32 digest,
        bytes calldata sig
    ) private view returns (bool) {
        if (keyType == KeyType.Secp256k1) {
            if (sig.length != 65) return false;
            (address recovered, ECDSA.RecoverError err, ) = ECDSA.tryRecoverCalldata(digest, sig);
            return err == ECDSA.RecoverError.NoError && recovered == signer;
        }
        if (sig.length != 64) return false;
        return P256Verifier.verify(digest, bytes32(sig[0:32]), bytes32(sig[32:64]), x, y);
    }

    /// @inheritdoc IDeviceRegistry
    function invalidateNonces(uint256 word, uint256 mask) external {
        _s().nonces[msg.sender][word] |= mask;
        emit NoncesInvalidated(msg.sender, word, mask);
    }

    /// @inheritdoc IDeviceRegistry
    function isNonceUsed(address owner, uint256 nonce) external view returns (bool) {
        return _s().nonces[owner][nonce >> 8] & (1 << (nonce & 0xff)) != 0;
    }

    /// @inheritdoc IDeviceRegistry
    function bindDigest(address owner, uint256 nonce, uint256 deadline) external view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(BIND_TYPEHASH, owner, nonce, deadline)));
    }

    /// @inheritdoc IDeviceRegistry
    function provisionDigest(address maker, uint256 deadline) external view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(PROVISION_TYPEHASH, maker, deadline)));
    }

    /// @inheritdoc IDeviceRegistry
    function rotationDigest(
        uint256 deviceId,
        bytes32 newKeyId,
        uint256 keyIndex,
        uint256 deadline
    ) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(ROTATE_TYPEHASH, deviceId, newKeyId, keyIndex, deadline)));
    }

    // =================================================================== lifecycle

    /// @inheritdoc IDeviceRegistry
    function activate(uint256 deviceId) external {
        DeviceInfo storage d = _existing(deviceId);
        if (d.owner != msg.sender) revert DeviceRegistryNotDeviceOwner(deviceId, msg.sender);
        _transition(deviceId, d, DeviceStatus.Bound, DeviceStatus.Active);
    }

    /// @inheritdoc IDeviceRegistry
    function suspend(uint256 deviceId) external onlyRole(DEVICE_GUARDIAN_ROLE) {
        _transition(deviceId, _existing(deviceId), DeviceStatus.Active, DeviceStatus.Suspended);
    }

    /// @inheritdoc IDeviceRegistry
    function resume(uint256 deviceId) external onlyRole(DEVICE_GUARDIAN_ROLE) {
        _transition(deviceId, _existing(deviceId), DeviceStatus.Suspended, DeviceStatus.Active);
    }

    /// @inheritdoc IDeviceRegistry
    function decommission(uint256 deviceId) external {
        RegistryStorage storage $ = _s();
        DeviceInfo storage d = _existing(deviceId);
        DeviceStatus from = d.status;
        bool guardian = hasRole(DEVICE_GUARDIAN_ROLE, msg.sender);
        if (!guardian && (d.owner != msg.sender || from == DeviceStatus.Provisioned)) {
            revert DeviceRegistryNotAuthorized(deviceId, msg.sender);
        }
        if (from == DeviceStatus.Decommissioned) {
            revert DeviceRegistryInvalidTransition(deviceId, from, DeviceStatus.Decommissioned);
        }
        _transition(deviceId, d, from, DeviceStatus.Decommissioned);
        // Scheduled, not instant: readings already accepted (stamped up to the bridge's skew ahead)
        // stay inside their key's window. The device stops earning now through its status.
        uint256 index = d.keyCount - 1;
        uint40 revokedAt = _revocationTime();
        $.keys[deviceId][index].revokedAt = revokedAt;
        emit DeviceKeyRevocationScheduled(deviceId, index, revokedAt);
    }

    /// @inheritdoc IDeviceRegistry
    function releaseDevice(uint256 deviceId) external onlyRole(DEVICE_GUARDIAN_ROLE) {
        RegistryStorage storage $ = _s();
        DeviceInfo storage d = _existing(deviceId);
        if (d.status != DeviceStatus.Provisioned) revert DeviceRegistryNotProvisioned(deviceId, d.status);
        // A Provisioned device has never rotated (rotation needs an owner): its only key is index 0.
        KeySlot storage k = $.keys[deviceId][0];
        bytes32 keyId;
        if (k.keyType == KeyType.Secp256k1) {
            keyId = keccak256(abi.encodePacked(uint8(KeyType.Secp256k1), k.signer));
        } else {
            bytes32[2] storage xy = $.p256Keys[deviceId][0];
            keyId = keccak256(abi.encodePacked(uint8(KeyType.P256), xy[0], xy[1]));
        }
        _transition(deviceId, d, DeviceStatus.Provisioned, DeviceStatus.Decommissioned);
        // Instant: a Provisioned device has no owner and is never Active, so no reading of it was
        // ever accepted; the key may now start a new device's history.
        k.revokedAt = uint40(block.timestamp);
        delete $.deviceOfKey[keyId];
        delete $.provisionRoot[deviceId];
        emit DeviceReleased(deviceId, keyId, msg.sender);
    }

    /// @inheritdoc IDeviceRegistry
    function rotateKey(uint256 deviceId, KeyRotation calldata rotation) external {
        RegistryStorage storage $ = _s();
        DeviceInfo storage d = _existing(deviceId);
        if (d.owner != msg.sender) revert DeviceRegistryNotDeviceOwner(deviceId, msg.sender);
        DeviceStatus status = d.status;
        if (status != DeviceStatus.Bound && status != DeviceStatus.Active && status != DeviceStatus.Suspended) {
            revert DeviceRegistryInvalidTransition(deviceId, status, status);
        }
        if (rotation.deadline < block.timestamp) revert DeviceRegistryRotationExpired(deviceId, rotation.deadline);

        (bytes32 newKeyId, address newSigner) = _parseRotationKey($, deviceId, rotation);
        uint256 oldIndex = d.keyCount - 1;
        uint256 newIndex = oldIndex + 1;
        bytes32 digest = rotationDigest(deviceId, newKeyId, newIndex, rotation.deadline);
        bytes32 oldKeyId = _checkOldKey($, deviceId, oldIndex, digest, rotation.oldKeySignature);
        if (!_verifyCalldataKey(rotation.keyType, newSigner, rotation.publicKey, digest, rotation.newKeySignature)) {
            revert DeviceRegistryInvalidNewKeySignature(deviceId, newKeyId);
        }

        // The hand-over is scheduled: the old key stays valid (and the new one not yet) until
        // effectiveAt, so readings the bridge accepted before it saw the rotation keep a valid key.
        uint40 effectiveAt = _revocationTime();
        $.keys[deviceId][oldIndex].revokedAt = effectiveAt;
        _storeKey(deviceId, newIndex, rotation.keyType, newSigner, rotation.publicKey, effectiveAt);
        $.deviceOfKey[newKeyId] = deviceId;
        d.keyCount = uint32(newIndex + 1);
        emit DeviceKeyRotated(deviceId, oldKeyId, newKeyId, newIndex, effectiveAt);
    }

    /// @dev The instant a revocation made now takes effect.
    function _revocationTime() private view returns (uint40) {
        return uint40(block.timestamp + KEY_REVOCATION_DELAY);
    }

    /// @dev Validates the new key of a rotation and checks it was never used by any device.
    function _parseRotationKey(
        RegistryStorage storage $,
        uint256 deviceId,
        KeyRotation calldata rotation
    ) private view returns (bytes32 newKeyId, address newSigner) {
        KeyType newType = rotation.keyType;
        if (newType == KeyType.Secp256k1) {
            if (rotation.publicKey.length != 20 || bytes20(rotation.publicKey) == bytes20(0)) {
                revert DeviceRegistryInvalidRotationKey(deviceId, newType, rotation.publicKey);
            }
            newSigner = address(bytes20(rotation.publicKey));
        } else if (
            rotation.publicKey.length != 64 ||
            !P256Verifier.isValidPublicKey(bytes32(rotation.publicKey[0:32]), bytes32(rotation.publicKey[32:64]))
        ) {
            revert DeviceRegistryInvalidRotationKey(deviceId, newType, rotation.publicKey);
        }
        newKeyId = _keyId(newType, rotation.publicKey);
        uint256 holder = $.deviceOfKey[newKeyId];
        if (holder != 0) revert DeviceRegistryKeyInUse(newKeyId, holder);
    }

    /// @dev Checks the current key's signature of a rotation; returns the current key id.
    function _checkOldKey(
        RegistryStorage storage $,
        uint256 deviceId,
        uint256 oldIndex,
        bytes32 digest,
        bytes calldata sig
    ) private view returns (bytes32 oldKeyId) {
        KeySlot memory old = $.keys[deviceId][oldIndex];
        bytes32 x;
        bytes32 y;
        if (old.keyType == KeyType.Secp256k1) {
            oldKeyId = keccak256(abi.encodePacked(uint8(KeyType.Secp256k1), old.signer));
        } else {
            bytes32[2] storage xy = $.p256Keys[deviceId][oldIndex];
            (x, y) = (xy[0], xy[1]);
            oldKeyId = keccak256(abi.encodePacked(uint8(KeyType.P256), x, y));
        }
        if (!_verify(old.keyType, old.signer, x, y, digest, sig)) {
            revert DeviceRegistryInvalidOldKeySignature(deviceId, oldKeyId);
        }
    }

    function _existing(uint256 deviceId) private view returns (DeviceInfo storage d) {
        d = _s().devices[deviceId];
        if (d.status == DeviceStatus.None) revert DeviceRegistryUnknownDevice(deviceId);
    }

    /// @dev Moves `d` from `from` to `to` (reverting if it is not in `from`) and keeps the counts.
    function _transition(uint256 deviceId, DeviceInfo storage d, DeviceStatus from, DeviceStatus to) private {
        if (d.status != from) revert DeviceRegistryInvalidTransition(deviceId, d.status, to);
        d.status = to;
        d.statusSince = uint40(block.timestamp);
        RegistryStorage storage $ = _s();
        $.counters = _addCount(_subCount($.counters, from), to, 1);
        emit DeviceStatusChanged(deviceId, from, to, msg.sender);
    }

    // =================================================================== DIDs

    /// @inheritdoc IDeviceRegistry
    function setDeviceDocument(uint256 deviceId, bytes32 hash, string calldata uri) external {
        DeviceInfo storage d = _existing(deviceId);
        if (d.owner != msg.sender) revert DeviceRegistryNotDeviceOwner(deviceId, msg.sender);
        _s().deviceDocuments[deviceId] = DocumentRef(hash, uri);
        emit DeviceDocumentSet(deviceId, hash, uri);
    }

    /// @inheritdoc IDeviceRegistry
    function setOwnerDocument(bytes32 hash, string calldata uri) external {
        _s().ownerDocuments[msg.sender] = DocumentRef(hash, uri);
        emit OwnerDocumentSet(msg.sender, hash, uri);
    }

    /// @inheritdoc IDeviceRegistry
    function deviceDocument(uint256 deviceId) external view returns (DocumentRef memory) {
        return _s().deviceDocuments[deviceId];
    }

    /// @inheritdoc IDeviceRegistry
    function ownerDocument(address owner) external view returns (DocumentRef memory) {
        return _s().ownerDocuments[owner];
    }

    // =================================================================== accounts and views

    /// @inheritdoc IDeviceRegistry
    function setAccountFactory(address factory) external onlyRole(DEFAULT_ADMIN_ROLE) {
        RegistryStorage storage $ = _s();
        if (factory == address(0)) revert DeviceRegistryZeroAddress();
        if ($.accountFactory != address(0)) revert DeviceRegistryAccountFactoryAlreadySet($.accountFactory);
        address served = address(IDeviceAccountFactory(factory).registry());
        if (served != address(this)) revert DeviceRegistryFactoryMismatch(factory, served);
        $.accountFactory = factory;
        emit AccountFactorySet(factory);
    }

    /// @inheritdoc IDeviceRegistry
    function accountFactory() external view returns (address) {
        return _s().accountFactory;
    }

    /// @inheritdoc IDeviceDirectory
    function deviceStatus(uint256 deviceId) external view returns (DeviceStatus) {
        return _s().devices[deviceId].status;
    }

    /// @inheritdoc IDeviceDirectory
    function keyCount(uint256 deviceId) external view returns (uint256) {
        return _s().devices[deviceId].keyCount;
    }

    /// @inheritdoc IDeviceDirectory
    function keyAt(uint256 deviceId, uint256 index) external view returns (DeviceKey memory key) {
        RegistryStorage storage $ = _s();
        uint256 count = $.devices[deviceId].keyCount;
        if (index >= count) revert DeviceRegistryKeyIndexOutOfRange(deviceId, index, count);
        KeySlot memory k = $.keys[deviceId][index];
        key.keyType = k.keyType;
        key.validFrom = k.validFrom;
        key.revokedAt = k.revokedAt;
        if (k.keyType == KeyType.Secp256k1) {
            key.publicKey = abi.encodePacked(k.signer);
        } else {
            bytes32[2] storage xy = $.p256Keys[deviceId][index];
            key.publicKey = abi.encodePacked(xy[0], xy[1]);
        }
    }

    /// @inheritdoc IDeviceDirectory
    function rewardRecipient(uint256 deviceId) external view returns (address) {
        address factory = _s().accountFactory;
        if (factory == address(0) || _s().devices[deviceId].status == DeviceStatus.None) return address(0);
        return IDeviceAccountFactory(factory).accountAddress(deviceId);
    }

    /// @inheritdoc IDeviceDirectory
    function ownerOfDevice(uint256 deviceId) external view returns (address) {
        return _s().devices[deviceId].owner;
    }

    /// @inheritdoc IDeviceRegistry
    function deviceInfo(uint256 deviceId) external view returns (DeviceInfo memory) {
        return _s().devices[deviceId];
    }

    /// @inheritdoc IDeviceRegistry
    function deviceOfKey(KeyType keyType, bytes calldata publicKey) external view returns (uint256) {
        return _s().deviceOfKey[_keyId(keyType, publicKey)];
    }

    /// @inheritdoc IDeviceRegistry
    function keyIdOf(KeyType keyType, bytes calldata publicKey) external pure returns (bytes32) {
        return _keyId(keyType, publicKey);
    }

    /// @inheritdoc IDeviceRegistry
    function deviceCount(DeviceStatus status) external view returns (uint256) {
        if (status == DeviceStatus.None) return 0;
        return (_s().counters >> _countShift(status)) & type(uint32).max;
    }

    /// @inheritdoc IDeviceRegistry
    function totalDevices() external view returns (uint256) {
        return _s().counters & _MAX_DEVICE_ID;
    }

    // =================================================================== ERC-721

    /// @inheritdoc IERC721Metadata
    function name() external pure returns (string memory) {
        return _NAME;
    }

    /// @inheritdoc IERC721Metadata
    function symbol() external pure returns (string memory) {
        return _SYMBOL;
    }

    /// @inheritdoc IERC721Metadata
    /// @dev The device's DID document URI when its holder set one, else empty.
    function tokenURI(uint256 tokenId) external view returns (string memory) {
        _requireOwned(tokenId);
        return _s().deviceDocuments[tokenId].uri;
    }

    /// @inheritdoc IERC721
    function balanceOf(address owner) external view returns (uint256) {
        if (owner == address(0)) revert ERC721InvalidOwner(address(0));
        return _s().balances[owner];
    }

    /// @inheritdoc IERC721
    function ownerOf(uint256 tokenId) external view returns (address) {
        return _requireOwned(tokenId);
    }

    /// @inheritdoc IERC721
    function approve(address to, uint256 tokenId) external {
        address owner = _requireOwned(tokenId);
        if (msg.sender != owner && !_s().operatorApprovals[owner][msg.sender]) revert ERC721InvalidApprover(msg.sender);
        _s().tokenApprovals[tokenId] = to;
        emit Approval(owner, to, tokenId);
    }

    /// @inheritdoc IERC721
    function getApproved(uint256 tokenId) external view returns (address) {
        _requireOwned(tokenId);
        return _s().tokenApprovals[tokenId];
    }

    /// @inheritdoc IERC721
    function setApprovalForAll(address operator, bool approved) external {
        if (operator == address(0)) revert ERC721InvalidOperator(operator);
        _s().operatorApprovals[msg.sender][operator] = approved;
        emit ApprovalForAll(msg.sender, operator, approved);
    }

    /// @inheritdoc IERC721
    function isApprovedForAll(address owner, address operator) external view returns (bool) {
        return _s().operatorApprovals[owner][operator];
    }

    /// @inheritdoc IERC721
    function transferFrom(address from, address to, uint256 tokenId) public {
        if (to == address(0)) revert ERC721InvalidReceiver(address(0));
        RegistryStorage storage $ = _s();
        DeviceInfo storage d = $.devices[tokenId];
        address owner = d.owner;
        if (owner == address(0)) revert ERC721NonexistentToken(tokenId);
        if (owner != from) revert ERC721IncorrectOwner(from, tokenId, owner);
        if (msg.sender != owner && !$.operatorApprovals[owner][msg.sender] && $.tokenApprovals[tokenId] != msg.sender) {
            revert ERC721InsufficientApproval(msg.sender, tokenId);
        }
        // A device account controlled by itself could never sign again: refuse that transfer.
        address factory = $.accountFactory;
        if (factory != address(0) && to == IDeviceAccountFactory(factory).accountAddress(tokenId)) {
            revert DeviceRegistrySelfOwnedAccount(tokenId);
        }
        delete $.tokenApprovals[tokenId];
        // Balances cannot overflow (bounded by the 2^64 device ids) nor underflow (from holds tokenId).
        unchecked {
            $.balances[from] -= 1;
            $.balances[to] += 1;
        }
        d.owner = to;
        emit Transfer(from, to, tokenId);
    }

    /// @inheritdoc IERC721
    function safeTransferFrom(address from, address to, uint256 tokenId) external {
        safeTransferFrom(from, to, tokenId, "");
    }

    /// @inheritdoc IERC721
    function safeTransferFrom(address from, address to, uint256 tokenId, bytes memory data) public {
        transferFrom(from, to, tokenId);
        if (to.code.length > 0) {
            try IERC721Receiver(to).onERC721Received(msg.sender, from, tokenId, data) returns (bytes4 ret) {
                if (ret != IERC721Receiver.onERC721Received.selector) revert ERC721InvalidReceiver(to);
            } catch (bytes memory reason) {
                if (reason.length == 0) revert ERC721InvalidReceiver(to);
                // Bubble the receiver's own revert reason unchanged.
                assembly ("memory-safe") {
                    revert(add(reason, 0x20), mload(reason))
                }
            }
        }
    }

    function _requireOwned(uint256 tokenId) private view returns (address owner) {
        owner = _s().devices[tokenId].owner;
        if (owner == address(0)) revert ERC721NonexistentToken(tokenId);
    }

    /// @inheritdoc IERC165
    function supportsInterface(
        bytes4 interfaceId
    ) public view override(AccessControlUpgradeable, IERC165) returns (bool) {
        return
            interfaceId == type(IERC721).interfaceId ||
            interfaceId == type(IERC721Metadata).interfaceId ||
            interfaceId == type(IDeviceDirectory).interfaceId ||
            super.supportsInterface(interfaceId);
    }
}
