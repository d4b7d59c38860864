// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {BaseAccount} from "@account-abstraction/contracts/core/BaseAccount.sol";
import {SIG_VALIDATION_FAILED, SIG_VALIDATION_SUCCESS} from "@account-abstraction/contracts/core/Helpers.sol";
import {IEntryPoint} from "@account-abstraction/contracts/interfaces/IEntryPoint.sol";
import {PackedUserOperation} from "@account-abstraction/contracts/interfaces/PackedUserOperation.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @title TestAccount
/// @notice TEST ONLY. The smallest ERC-4337 account: one ECDSA owner signs the userOpHash;
/// BaseAccount's execute/executeBatch run calls from the EntryPoint. Stands in for the identity
/// layer's device account in paymaster tests.
contract TestAccount is BaseAccount {
    IEntryPoint private immutable _entryPoint;
    address public immutable owner;

    constructor(IEntryPoint entryPoint_, address owner_) {
        _entryPoint = entryPoint_;
        owner = owner_;
    }

    function entryPoint() public view override returns (IEntryPoint) {
        return _entryPoint;
    }

    function _validateSignature(
        PackedUserOperation calldata userOp,
        bytes32 userOpHash
    ) internal view override returns (uint256) {
        (address signer, ECDSA.RecoverError err, ) = ECDSA.tryRecover(userOpHash, userOp.signature);
        return err == ECDSA.RecoverError.NoError && signer == owner ? SIG_VALIDATION_SUCCESS : SIG_VALIDATION_FAILED;
    }

    receive() external payable {}
}
