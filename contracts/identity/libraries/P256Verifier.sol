// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {P256} from "@openzeppelin/contracts/utils/cryptography/P256.sol";

/// @title P256Verifier
/// @notice Deployed (linked) library wrapping OpenZeppelin's P256 verification: the Solidity
/// fallback for chains without the RIP-7212 precompile is several kilobytes, which would push the
/// device registry past the 24,576-byte code limit if it were inlined. P-256 verification costs
/// ~200k+ gas without the precompile, so the extra DELEGATECALL is noise.
library P256Verifier {
    /// @notice True when (r, s) is a low-s P-256 signature of `h` by the public key (x, y).
    function verify(bytes32 h, bytes32 r, bytes32 s, bytes32 x, bytes32 y) external view returns (bool) {
        return P256.verify(h, r, s, x, y);
    }

    /// @notice True when (x, y) is a point on the P-256 curve with coordinates below the field prime.
    function isValidPublicKey(bytes32 x, bytes32 y) external pure returns (bool) {
        return P256.isValidPublicKey(x, y);
    }
}
