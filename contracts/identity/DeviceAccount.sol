// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IEntryPoint} from "@account-abstraction/contracts/interfaces/IEntryPoint.sol";
import {PackedUserOperation} from "@account-abstraction/contracts/interfaces/PackedUserOperation.sol";
import {SIG_VALIDATION_FAILED, SIG_VALIDATION_SUCCESS} from "@account-abstraction/contracts/core/Helpers.sol";
import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {IERC721Receiver} from "@openzeppelin/contracts/token/ERC721/IERC721Receiver.sol";
import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {IDeviceDirectory} from "../interfaces/IDeviceDirectory.sol";
import {IDeviceAccount} from "./interfaces/IDeviceAccount.sol";

/// @title DeviceAccount
/// @notice Implementation behind every device's ERC-4337 account. Each account is an ERC-1167
/// clone whose code carries the device id as an immutable argument (OpenZeppelin Clones), so it
/// has no storage and needs no initializer: nothing can be front-run or re-initialised.
/// @dev Validation reads the registry (`ownerOfDevice`), storage not associated with the account:
/// ERC-7562 bundlers accept that only when the registry is a staked or whitelisted entity.
/// The EIP-712 domain ("DePIN Device Account", "1", chainId, this clone) is rebuilt per clone by
/// OpenZeppelin's EIP712 (its cached separator is the implementation's), so every account has its
/// own domain (ERC-5267 `eip712Domain()` reports it).
contract DeviceAccount is IDeviceAccount, IERC721Receiver, EIP712 {
    /// @notice EIP-712 type wrapping a hash for ERC-1271 (binds a signature to one account).
    bytes32 public constant DEVICE_ACCOUNT_MESSAGE_TYPEHASH = keccak256("DeviceAccountMessage(bytes32 hash)");

    IEntryPoint private immutable _ENTRY_POINT;
    IDeviceDirectory private immutable _REGISTRY;
    address private immutable _SELF;

    constructor(IEntryPoint entryPoint_, IDeviceDirectory registry_) EIP712("DePIN Device Account", "1") {
        _ENTRY_POINT = entryPoint_;
        _REGISTRY = registry_;
        _SELF = address(this);
    }

    /// @notice Accepts rewards and refunds in ETH.
    receive() external payable {}

    /// @inheritdoc IDeviceAccount
    function deviceId() public view returns (uint256) {
        if (address(this) == _SELF) revert DeviceAccountNotAClone();
        return abi.decode(Clones.fetchCloneArgs(address(this)), (uint256));
    }

    /// @inheritdoc IDeviceAccount
    function controller() public view returns (address) {
        return _REGISTRY.ownerOfDevice(deviceId());
    }

    /// @inheritdoc IDeviceAccount
    function entryPoint() external view returns (IEntryPoint) {
        return _ENTRY_POINT;
    }

    /// @inheritdoc IDeviceAccount
    function registry() external view returns (IDeviceDirectory) {
        return _REGISTRY;
    }

    /// @inheritdoc IDeviceAccount
    function getNonce() external view returns (uint256) {
        return _ENTRY_POINT.getNonce(address(this), 0);
    }

    /// @notice Validates a user operation: the signature must be by the current NFT holder (an
    /// ECDSA signature of `userOpHash` for an EOA holder, ERC-1271 for a contract holder).
    /// @dev Not wrapped like `isValidSignature`: the v0.8 userOpHash is already EIP-712 typed data
    /// naming this account (sender), the EntryPoint and the chain.
    function validateUserOp(
        PackedUserOperation calldata userOp,
        bytes32 userOpHash,
        uint256 missingAccountFunds
    ) external returns (uint256 validationData) {
        if (msg.sender != address(_ENTRY_POINT)) revert DeviceAccountNotEntryPoint(msg.sender);
        address holder = controller();
        validationData =
            holder != address(0) && SignatureChecker.isValidSignatureNow(holder, userOpHash, userOp.signature)
                ? SIG_VALIDATION_SUCCESS
                : SIG_VALIDATION_FAILED;
        if (missingAccountFunds != 0) {
            // The EntryPoint checks the prefund itself; a failed transfer makes it reject the op.
            (bool ok, ) = payable(msg.sender).call{value: missingAccountFunds}("");
            (ok);
        }
    }

    /// @inheritdoc IDeviceAccount
    function execute(address target, uint256 value, bytes calldata data) external {
        _requireForExecute();
        (bool ok, bytes memory ret) = target.call{value: value}(data);
        if (!ok) {
            // Bubble the callee's revert data unchanged.
            assembly ("memory-safe") {
                revert(add(ret, 0x20), mload(ret))
            }
        }
    }

    /// @inheritdoc IDeviceAccount
    function executeBatch(Call[] calldata calls) external {
        _requireForExecute();
        for (uint256 i; i < calls.length; ++i) {
            (bool ok, bytes memory ret) = calls[i].target.call{value: calls[i].value}(calls[i].data);
            if (!ok) revert DeviceAccountCallFailed(i, ret);
        }
    }

    /// @inheritdoc IDeviceAccount
    function getDeposit() external view returns (uint256) {
        return _ENTRY_POINT.balanceOf(address(this));
    }

    /// @inheritdoc IDeviceAccount
    function addDeposit() external payable {
        _ENTRY_POINT.depositTo{value: msg.value}(address(this));
    }

    /// @inheritdoc IDeviceAccount
    function withdrawDepositTo(address payable to, uint256 amount) external {
        if (msg.sender != address(this) && msg.sender != controller()) revert DeviceAccountUnauthorized(msg.sender);
        _ENTRY_POINT.withdrawTo(to, amount);
    }

    /// @notice ERC-1271: returns the magic value 0x1626ba7e when the current controller signed
    /// `messageDigest(hash)`, 0xffffffff otherwise.
    /// @dev The controller signs the hash wrapped in this account's EIP-712 domain, never the raw
    /// hash: one holder controls many device accounts, and a signature over a bare hash would be
    /// valid for every one of them. A contract controller is asked again through ERC-1271 with the
    /// wrapped digest (a device account holding devices wraps once more in its own domain). A cycle
    /// of accounts holding each other cannot validate anything.
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        address holder = controller();
        return
            holder != address(0) && SignatureChecker.isValidSignatureNow(holder, messageDigest(hash), signature)
                ? IERC1271.isValidSignature.selector
                : bytes4(0xffffffff);
    }

    /// @inheritdoc IDeviceAccount
    function messageDigest(bytes32 hash) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(DEVICE_ACCOUNT_MESSAGE_TYPEHASH, hash)));
    }

    /// @inheritdoc IERC721Receiver
    function onERC721Received(address, address, uint256, bytes calldata) external pure returns (bytes4) {
        return IERC721Receiver.onERC721Received.selector;
    }

    function _requireForExecute() private view {
        if (msg.sender != address(_ENTRY_POINT) && msg.sender != controller()) {
            revert DeviceAccountUnauthorized(msg.sender);
        }
    }
}
