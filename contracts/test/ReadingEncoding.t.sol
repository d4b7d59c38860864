// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {P256} from "@openzeppelin/contracts/utils/cryptography/P256.sol";
import {ReadingVectors} from "./vectors/ReadingVectors.sol";

/// Solidity side of the shared test vectors: the canonical encoding, signing digest, both
/// signature schemes and the leaf's signature commitment agree with the TypeScript sdk.
contract ReadingEncodingTest {
    bytes6 private constant TAG = "DEPIN1";

    function _digest(
        uint64 networkId,
        uint64 deviceId,
        uint64 seq,
        uint40 timestamp,
        uint32 value
    ) private pure returns (bytes32) {
        return keccak256(abi.encodePacked(TAG, networkId, deviceId, seq, timestamp, value));
    }

    function test_digestsMatchTypeScript() public pure {
        ReadingVectors.Reading[] memory rs = ReadingVectors.all();
        for (uint256 i = 0; i < rs.length; i++) {
            ReadingVectors.Reading memory r = rs[i];
            require(
                _digest(ReadingVectors.NETWORK_ID, r.deviceId, r.seq, r.timestamp, r.value) == r.digest,
                "digest mismatch"
            );
            require(
                abi.encodePacked(TAG, ReadingVectors.NETWORK_ID, r.deviceId, r.seq, r.timestamp, r.value).length == 39,
                "length"
            );
        }
    }

    function test_signaturesVerifyOnChain() public view {
        ReadingVectors.Reading[] memory rs = ReadingVectors.all();
        for (uint256 i = 0; i < rs.length; i++) {
            ReadingVectors.Reading memory r = rs[i];
            if (r.keyType == 0) {
                (address signer, ECDSA.RecoverError err, ) = ECDSA.tryRecover(r.digest, r.signature);
                require(err == ECDSA.RecoverError.NoError, "recover error");
                require(signer == address(bytes20(r.publicKey)), "secp256k1 signer mismatch");
            } else {
                (bytes32 qx, bytes32 qy) = _split64(r.publicKey);
                (bytes32 sr, bytes32 ss) = _split64(r.signature);
                require(P256.verify(r.digest, sr, ss, qx, qy), "p256 signature rejected");
            }
        }
    }

    function test_signatureHashMatchesTypeScript() public pure {
        ReadingVectors.Reading[] memory rs = ReadingVectors.all();
        for (uint256 i = 0; i < rs.length; i++) {
            require(uint256(keccak256(rs[i].signature)) >> 8 == rs[i].sigHash, "sigHash mismatch");
        }
    }

    /// Any change to any signed field changes the digest (no two readings share a signature).
    function testFuzz_digestBindsEveryField(
        uint64 deviceId,
        uint64 seq,
        uint40 timestamp,
        uint32 value,
        uint8 which
    ) public pure {
        bytes32 d = _digest(1, deviceId, seq, timestamp, value);
        which = which % 5;
        bytes32 e;
        unchecked {
            // Wrapping increments are intended: they always produce a different value.
            if (which == 0) e = _digest(2, deviceId, seq, timestamp, value);
            else if (which == 1) e = _digest(1, deviceId + 1, seq, timestamp, value);
            else if (which == 2) e = _digest(1, deviceId, seq + 1, timestamp, value);
            else if (which == 3) e = _digest(1, deviceId, seq, timestamp + 1, value);
            else e = _digest(1, deviceId, seq, timestamp, value + 1);
        }
        require(d != e, "digest collision on a changed field");
    }

    /// A signature from the vectors never verifies for a reading with a different value.
    function testFuzz_signatureRejectsOtherValue(uint32 value) public pure {
        ReadingVectors.Reading memory r = ReadingVectors.all()[0];
        if (value == r.value) return;
        bytes32 other = _digest(ReadingVectors.NETWORK_ID, r.deviceId, r.seq, r.timestamp, value);
        (address signer, , ) = ECDSA.tryRecover(other, r.signature);
        require(signer != address(bytes20(r.publicKey)), "signature accepted for another value");
    }

    function _split64(bytes memory b) private pure returns (bytes32 x, bytes32 y) {
        require(b.length >= 64, "short");
        // Reads the first two words after the length prefix; bounds checked above.
        assembly {
            x := mload(add(b, 32))
            y := mload(add(b, 64))
        }
    }
}
