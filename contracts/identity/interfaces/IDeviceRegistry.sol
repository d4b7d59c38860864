// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC721Metadata} from "@openzeppelin/contracts/token/ERC721/extensions/IERC721Metadata.sol";
import {IERC721Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {IDeviceDirectory} from "../../interfaces/IDeviceDirectory.sol";

/// @title IDeviceRegistry
/// @notice On-chain identity of every device: governance-approved makers attest device keys with
/// Merkle roots, owners bind devices with the device's own EIP-712 signature, each bound device is
/// an ERC-721 token held by its owner, and its lifecycle (provisioned → bound → active → suspended →
/// decommissioned) and key history live here. The registry is the device NFT: transferring the
/// token transfers the device, and the device's ERC-4337 account follows the token holder.
/// @dev Key identity (shared with sdk/src/identity.ts): `keyId = keccak256(abi.encodePacked(uint8
/// keyType, publicKey))` where publicKey is the 20-byte address (secp256k1) or the 64-byte x ‖ y
/// (P-256). A maker root is an OpenZeppelin-compatible sorted-pair keccak256 Merkle tree whose leaves
/// are key ids. Leaf preimages are 21 or 65 bytes long, never 64, so a leaf can never be mistaken
/// for an inner node. Key validity for readings is the half-open interval [validFrom, revokedAt).
/// Revocations are scheduled, never instant: rotation and decommission set the outgoing key's
/// revokedAt to `block.timestamp + KEY_REVOCATION_DELAY` and a rotated-in key is valid from that
/// same instant, so exactly one key of a device is valid at any time and no reading accepted before
/// the change (devices stamp up to the bridge's future skew ahead; the bridge caches keys for its
/// TTL) can fall outside its key's window afterwards.
interface IDeviceRegistry is IDeviceDirectory, IERC721Metadata, IERC721Errors {
    // ------------------------------------------------------------------ structs

    /// @notice Status of a device maker.
    enum MakerStatus {
        None,
        Approved,
        Revoked
    }

    /// @notice A maker as seen by the registry.
    /// @param status current status (only Approved makers attest keys).
    /// @param since timestamp of the last status change.
    /// @param rootCount number of key roots the maker has published.
    /// @param name human-readable maker name set by governance.
    struct MakerInfo {
        MakerStatus status;
        uint40 since;
        uint32 rootCount;
        string name;
    }

    /// @notice A published maker key root.
    /// @param maker publisher of the root (address(0) if unknown).
    /// @param revoked true once the maker or governance withdrew it.
    /// @param keyCount number of keys under the root, as declared by the maker.
    struct RootInfo {
        address maker;
        bool revoked;
        uint64 keyCount;
    }

    /// @notice A device as seen by the registry.
    /// @param owner NFT holder (address(0) while provisioned).
    /// @param status lifecycle status.
    /// @param keyCount number of keys in the device's history.
    /// @param statusSince timestamp of the last status change.
    struct DeviceInfo {
        address owner;
        DeviceStatus status;
        uint32 keyCount;
        uint40 statusSince;
    }

    /// @notice One device to bind (`bindDevices`). The device key signs the EIP-712 message
    /// `BindDevice(address owner,uint256 nonce,uint256 deadline)` in this registry's domain.
    /// @param keyType algorithm of the device key.
    /// @param publicKey 20-byte address (secp256k1) or 64-byte x ‖ y (P-256).
    /// @param makerRoot maker root the key is attested under (ignored for a provisioned device).
    /// @param proof Merkle proof of the key id under `makerRoot` (ignored for a provisioned device).
    /// @param nonce owner-scoped unordered nonce (each value usable once per owner).
    /// @param deadline last timestamp at which the signature is accepted.
    /// @param signature secp256k1: 65-byte r ‖ s ‖ v; P-256: 64-byte r ‖ s (low s in both cases).
    struct BindRequest {
        KeyType keyType;
        bytes publicKey;
        bytes32 makerRoot;
        bytes32[] proof;
        uint256 nonce;
        uint256 deadline;
        bytes signature;
    }

    /// @notice One device a maker registers before sale (`provisionDevices`). The device key proves
    /// possession by signing the EIP-712 message `ProvisionDevice(address maker,uint256 deadline)` in
    /// this registry's domain (so for one maker, one chain and one registry): nobody can provision a
    /// key it does not hold.
    /// @param keyType algorithm of the device key.
    /// @param publicKey 20-byte address (secp256k1) or 64-byte x ‖ y (P-256).
    /// @param makerRoot root of the calling maker the key is attested under.
    /// @param proof Merkle proof of the key id under `makerRoot`.
    /// @param deadline last timestamp at which the device's signature is accepted.
    /// @param signature the device key's signature of the provisioning message (same formats as a bind).
    struct ProvisionRequest {
        KeyType keyType;
        bytes publicKey;
        bytes32 makerRoot;
        bytes32[] proof;
        uint256 deadline;
        bytes signature;
    }

    /// @notice A key rotation. The current (old) key and the new key both sign the EIP-712 message
    /// `RotateKey(uint256 deviceId,bytes32 newKeyId,uint256 keyIndex,uint256 deadline)` where
    /// keyIndex is the index the new key will take (the current key count); the owner co-signs by
    /// sending the transaction.
    struct KeyRotation {
        KeyType keyType;
        bytes publicKey;
        uint256 deadline;
        bytes oldKeySignature;
        bytes newKeySignature;
    }

    /// @notice Hash and location of an off-chain DID document extension.
    struct DocumentRef {
        bytes32 hash;
        string uri;
    }

    // ------------------------------------------------------------------ errors

    /// @notice A zero address was passed where an account is required.
    error DeviceRegistryZeroAddress();
    /// @notice `maker` is already approved.
    error DeviceRegistryMakerAlreadyApproved(address maker);
    /// @notice `maker` is not an approved maker.
    error DeviceRegistryMakerNotApproved(address maker);
    /// @notice Root zero cannot be published.
    error DeviceRegistryZeroRoot();
    /// @notice `root` was already published by `maker`.
    error DeviceRegistryRootAlreadyPublished(bytes32 root, address maker);
    /// @notice `root` was never published.
    error DeviceRegistryUnknownRoot(bytes32 root);
    /// @notice `caller` may not revoke `root`.
    error DeviceRegistryNotRootMaker(bytes32 root, address caller);
    /// @notice `root` is already revoked.
    error DeviceRegistryRootAlreadyRevoked(bytes32 root);

    /// @notice Item `index` of a bind/provision batch has an expired deadline.
    error DeviceRegistryDeadlineExpired(uint256 index, uint256 deadline);
    /// @notice Item `index`: the public key is malformed for its key type.
    error DeviceRegistryInvalidPublicKey(uint256 index, KeyType keyType, bytes publicKey);
    /// @notice Item `index`: `root` was never published.
    error DeviceRegistryItemUnknownRoot(uint256 index, bytes32 root);
    /// @notice Item `index`: `root` was revoked.
    error DeviceRegistryItemRootRevoked(uint256 index, bytes32 root);
    /// @notice Item `index`: the maker of the root is not (or no longer) approved.
    error DeviceRegistryItemMakerNotApproved(uint256 index, address maker);
    /// @notice Item `index`: `keyId` is not under `root`.
    error DeviceRegistryKeyNotAttested(uint256 index, bytes32 keyId, bytes32 root);
    /// @notice Item `index`: `keyId` already belongs to `deviceId` (bound, rotated or retired).
    error DeviceRegistryKeyAlreadyBound(uint256 index, bytes32 keyId, uint256 deviceId);
    /// @notice Item `index`: `owner` already used `nonce`.
    error DeviceRegistryNonceUsed(uint256 index, address owner, uint256 nonce);
    /// @notice Item `index` (bind or provision): the signature is not by the device key `keyId`.
    error DeviceRegistryInvalidDeviceSignature(uint256 index, bytes32 keyId);
    /// @notice Item `index`: `caller` is not the maker of the root it provisions under.
    error DeviceRegistryNotItemMaker(uint256 index, address caller);
    /// @notice An empty batch was submitted.
    error DeviceRegistryEmptyBatch();

    /// @notice `deviceId` does not exist.
    error DeviceRegistryUnknownDevice(uint256 deviceId);
    /// @notice `caller` does not hold device `deviceId`.
    error DeviceRegistryNotDeviceOwner(uint256 deviceId, address caller);
    /// @notice `caller` may not decommission `deviceId`.
    error DeviceRegistryNotAuthorized(uint256 deviceId, address caller);
    /// @notice The transition of `deviceId` from `from` to `to` is not allowed.
    error DeviceRegistryInvalidTransition(uint256 deviceId, DeviceStatus from, DeviceStatus to);
    /// @notice Rotation of `deviceId` signed with an expired `deadline`.
    error DeviceRegistryRotationExpired(uint256 deviceId, uint256 deadline);
    /// @notice Rotation of `deviceId`: the new key is malformed.
    error DeviceRegistryInvalidRotationKey(uint256 deviceId, KeyType keyType, bytes publicKey);
    /// @notice Rotation: `keyId` already belongs to `deviceId`.
    error DeviceRegistryKeyInUse(bytes32 keyId, uint256 deviceId);
    /// @notice Rotation of `deviceId`: the signature by the current key `keyId` is invalid.
    error DeviceRegistryInvalidOldKeySignature(uint256 deviceId, bytes32 keyId);
    /// @notice Rotation of `deviceId`: the signature by the new key `keyId` is invalid.
    error DeviceRegistryInvalidNewKeySignature(uint256 deviceId, bytes32 keyId);
    /// @notice Only a Provisioned device can be released; `deviceId` is in `status`.
    error DeviceRegistryNotProvisioned(uint256 deviceId, DeviceStatus status);
    /// @notice `index` is past the key history of `deviceId` (length `count`).
    error DeviceRegistryKeyIndexOutOfRange(uint256 deviceId, uint256 index, uint256 count);
    /// @notice The account factory is already set to `factory`.
    error DeviceRegistryAccountFactoryAlreadySet(address factory);
    /// @notice `factory` serves another registry.
    error DeviceRegistryFactoryMismatch(address factory, address factoryRegistry);
    /// @notice Device `deviceId` cannot be transferred to its own account (nobody could control it).
    error DeviceRegistrySelfOwnedAccount(uint256 deviceId);
    /// @notice Device ids are capped below 2^64 (readings carry them as uint64).
    error DeviceRegistryDeviceIdOverflow();

    // ------------------------------------------------------------------ events

    /// @notice Governance approved `maker`.
    event MakerApproved(address indexed maker, string name);
    /// @notice `maker` was revoked by `by` (governance, or the maker itself).
    event MakerRevoked(address indexed maker, address indexed by);
    /// @notice `maker` published `root` covering `keyCount` keys; the key list is at `uri`.
    event MakerRootPublished(address indexed maker, bytes32 indexed root, uint64 keyCount, string uri);
    /// @notice `root` of `maker` was revoked by `by`.
    event MakerRootRevoked(address indexed maker, bytes32 indexed root, address indexed by);
    /// @notice A maker registered `deviceId` (key `keyId`) before sale.
    event DeviceProvisioned(uint256 indexed deviceId, address indexed maker, bytes32 indexed keyId);
    /// @notice `owner` bound `deviceId` (key `keyId`); the device NFT was minted to `owner`.
    event DeviceBound(uint256 indexed deviceId, address indexed owner, bytes32 indexed keyId);
    /// @notice `deviceId` moved from `from` to `to`, triggered by `by`.
    event DeviceStatusChanged(uint256 indexed deviceId, DeviceStatus from, DeviceStatus to, address indexed by);
    /// @notice The key of `deviceId` changes from `oldKeyId` to `newKeyId` (at `newIndex`) at
    /// `effectiveAt` (= block time + KEY_REVOCATION_DELAY): the old key signs readings stamped
    /// before it, the new key readings stamped at or after it.
    event DeviceKeyRotated(
        uint256 indexed deviceId,
        bytes32 indexed oldKeyId,
        bytes32 indexed newKeyId,
        uint256 newIndex,
        uint256 effectiveAt
    );
    /// @notice Key `keyIndex` of decommissioned `deviceId` is revoked from `revokedAt` on.
    event DeviceKeyRevocationScheduled(uint256 indexed deviceId, uint256 keyIndex, uint256 revokedAt);
    /// @notice Governance (`by`) released Provisioned `deviceId`: it is retired and its key `keyId`
    /// may be onboarded again.
    event DeviceReleased(uint256 indexed deviceId, bytes32 indexed keyId, address indexed by);
    /// @notice The holder set the DID document extension of `deviceId`.
    event DeviceDocumentSet(uint256 indexed deviceId, bytes32 hash, string uri);
    /// @notice `owner` set the DID document extension of its owner DID.
    event OwnerDocumentSet(address indexed owner, bytes32 hash, string uri);
    /// @notice `owner` invalidated the nonces `mask` of bitmap word `word`.
    event NoncesInvalidated(address indexed owner, uint256 word, uint256 mask);
    /// @notice The device-account factory was set.
    event AccountFactorySet(address indexed factory);

    // ------------------------------------------------------------------ makers

    /// @notice Approves `maker` to attest device keys. Governance (MAKER_GOVERNOR_ROLE) only.
    function approveMaker(address maker, string calldata name) external;

    /// @notice Revokes `maker`: its roots stop attesting new keys. Governance only.
    function revokeMaker(address maker) external;

    /// @notice The calling maker revokes itself.
    function renounceMaker() external;

    /// @notice The calling approved maker publishes `root` of `keyCount` device keys listed at `uri`.
    function publishMakerRoot(bytes32 root, uint64 keyCount, string calldata uri) external;

    /// @notice Withdraws `root` (its maker or governance): its keys can no longer be onboarded.
    function revokeMakerRoot(bytes32 root) external;

    /// @notice Maker record of `maker`.
    function makerInfo(address maker) external view returns (MakerInfo memory);

    /// @notice Record of a published `root`.
    function rootInfo(bytes32 root) external view returns (RootInfo memory);

    // ------------------------------------------------------------------ onboarding

    /// @notice The calling maker registers devices before sale (status Provisioned, no owner). Each
    /// item carries the device key's signature of `provisionDigest(maker, deadline)`; reverts with the
    /// index of the first bad item.
    /// @return firstDeviceId id of the first device; the others follow sequentially.
    function provisionDevices(ProvisionRequest[] calldata items) external returns (uint256 firstDeviceId);

    /// @notice Binds one device to the caller and mints its NFT to the caller.
    function bindDevice(BindRequest calldata item) external returns (uint256 deviceId);

    /// @notice Binds many devices to the caller in one transaction; reverts with the index of the
    /// first bad item. Ids of fresh devices are sequential; provisioned devices keep their id.
    function bindDevices(BindRequest[] calldata items) external returns (uint256[] memory deviceIds);

    /// @notice Marks the caller's nonces `mask` in bitmap word `word` used (cancels signed binds).
    function invalidateNonces(uint256 word, uint256 mask) external;

    /// @notice True once `owner` used `nonce`.
    function isNonceUsed(address owner, uint256 nonce) external view returns (bool);

    /// @notice EIP-712 digest a device key signs to bind to `owner`.
    function bindDigest(address owner, uint256 nonce, uint256 deadline) external view returns (bytes32);

    /// @notice EIP-712 digest a device key signs to consent to being provisioned by `maker`.
    function provisionDigest(address maker, uint256 deadline) external view returns (bytes32);

    /// @notice EIP-712 digest the old and new keys sign to rotate `deviceId` to `newKeyId`.
    function rotationDigest(
        uint256 deviceId,
        bytes32 newKeyId,
        uint256 keyIndex,
        uint256 deadline
    ) external view returns (bytes32);

    // ------------------------------------------------------------------ lifecycle

    /// @notice Holder puts a Bound device into service (Bound → Active).
    function activate(uint256 deviceId) external;

    /// @notice Governance (DEVICE_GUARDIAN_ROLE) suspends an Active device (Active → Suspended).
    function suspend(uint256 deviceId) external;

    /// @notice Governance resumes a Suspended device (Suspended → Active).
    function resume(uint256 deviceId) external;

    /// @notice Retires a device for good: it stops earning at once and its current key is revoked
    /// from `block.timestamp + KEY_REVOCATION_DELAY` on. The holder or governance may retire an owned
    /// device; governance retires a provisioned one (its key stays reserved; see `releaseDevice`).
    function decommission(uint256 deviceId) external;

    /// @notice Governance (DEVICE_GUARDIAN_ROLE) releases a device that is still only Provisioned
    /// (for example because its maker or root was revoked, so it can never be bound): the device is
    /// retired and its key becomes free to be onboarded again under a live root. No reading of a
    /// Provisioned device can have been accepted, so its key is revoked at once.
    function releaseDevice(uint256 deviceId) external;

    /// @notice Holder rotates the device key, co-signed by the current and the new key. The change
    /// takes effect at `block.timestamp + KEY_REVOCATION_DELAY`: until then the current key stays
    /// valid and the new key is not yet valid. A rotation while one is pending is co-signed by the
    /// pending key (the last of the history), which then stays valid only until the new instant.
    function rotateKey(uint256 deviceId, KeyRotation calldata rotation) external;

    /// @notice Seconds between a revocation (rotation, decommission) and the instant it takes
    /// effect. Above the bridge's largest accepted future skew plus its directory cache TTL.
    function KEY_REVOCATION_DELAY() external view returns (uint256);

    // ------------------------------------------------------------------ DIDs

    /// @notice Holder sets the hash and URI of the device's DID document extension.
    function setDeviceDocument(uint256 deviceId, bytes32 hash, string calldata uri) external;

    /// @notice Caller sets the hash and URI of its owner DID document extension.
    function setOwnerDocument(bytes32 hash, string calldata uri) external;

    /// @notice DID document extension of `deviceId`.
    function deviceDocument(uint256 deviceId) external view returns (DocumentRef memory);

    /// @notice DID document extension of `owner`.
    function ownerDocument(address owner) external view returns (DocumentRef memory);

    // ------------------------------------------------------------------ accounts and views

    /// @notice Sets the device-account factory once (DEFAULT_ADMIN_ROLE); it fixes reward addresses.
    function setAccountFactory(address factory) external;

    /// @notice The device-account factory (address(0) until set).
    function accountFactory() external view returns (address);

    /// @notice Record of `deviceId`.
    function deviceInfo(uint256 deviceId) external view returns (DeviceInfo memory);

    /// @notice Device that owns (or owned) the key, 0 if none.
    function deviceOfKey(KeyType keyType, bytes calldata publicKey) external view returns (uint256);

    /// @notice Key id of a public key (see the contract notice).
    function keyIdOf(KeyType keyType, bytes calldata publicKey) external pure returns (bytes32);

    /// @notice Number of devices currently in `status` (None gives 0).
    function deviceCount(DeviceStatus status) external view returns (uint256);

    /// @notice Number of device ids assigned so far (the highest id).
    function totalDevices() external view returns (uint256);
}
