// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {P256} from "@openzeppelin/contracts/utils/cryptography/P256.sol";

/// @title P256Harness
/// @notice BENCH ONLY. Exposes OpenZeppelin's pure-Solidity P-256 verification, to measure what
/// a DA challenge of a P-256 device costs on a chain without the P256VERIFY precompile (0x100).
contract P256Harness {
    function verifySolidity(bytes32 h, bytes32 r, bytes32 s, bytes32 qx, bytes32 qy) external view returns (bool) {
        return P256.verifySolidity(h, r, s, qx, qy);
    }

    function verify(bytes32 h, bytes32 r, bytes32 s, bytes32 qx, bytes32 qy) external view returns (bool) {
        return P256.verify(h, r, s, qx, qy);
    }
}
