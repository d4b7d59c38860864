// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {P256} from "@openzeppelin/contracts/utils/cryptography/P256.sol";

/// @notice Test/bench-only: exposes OpenZeppelin's pure-Solidity P-256 verification so its gas can
/// be measured on a chain that has the RIP-7212 / EIP-7951 precompile (where P256.verify uses it).
contract P256FallbackMock {
    /// @notice P256.verifySolidity, without the precompile.
    function verifySolidity(bytes32 h, bytes32 r, bytes32 s, bytes32 x, bytes32 y) external view returns (bool) {
        return P256.verifySolidity(h, r, s, x, y);
    }
}
