// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IVerifierKeyProvenance} from "../interfaces/IVerifierKeyProvenance.sol";

/// @title VerifierProvenanceMock
/// @notice TEST ONLY. Answers IVerifierKeyProvenance with values fixed at construction, so the
/// roles audit's key-provenance findings can be tested for every answer a verifier may give.
/// It verifies no proof (it has no verifyProof at all).
contract VerifierProvenanceMock is IVerifierKeyProvenance {
    bool private immutable _dev;
    bytes32 private immutable _id;
    string private _text;

    constructor(bool dev, bytes32 id, string memory text) {
        _dev = dev;
        _id = id;
        _text = text;
    }

    /// @inheritdoc IVerifierKeyProvenance
    function devKeys() external view returns (bool) {
        return _dev;
    }

    /// @inheritdoc IVerifierKeyProvenance
    function keyId() external view returns (bytes32) {
        return _id;
    }

    /// @inheritdoc IVerifierKeyProvenance
    function keyProvenance() external view returns (string memory) {
        return _text;
    }
}
