// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IVerifierKeyProvenance
/// @notice Where a generated Groth16 verifier's proving key comes from. Every verifier written by
/// tools/circuits/ (build.ts for development keys, ceremony.ts for ceremony keys) answers these
/// three pure functions, so a deploy script or an audit can check a deployed address without its
/// sources (scripts/deploy.ts refuses development keys outside local chains; `ops roles-audit`
/// fails on them).
/// @dev A verifier can only describe itself: these answers guard against deploying the wrong
/// (development) keys by mistake. Whether a deployed verifier really holds a ceremony's key is
/// checked against the ceremony's verification key with `npm run check:verifiers -- --address`.
interface IVerifierKeyProvenance {
    /// @notice True when proofs for this key can be forged from public knowledge: development keys
    /// (public Powers of Tau seed, fixed phase-2 beacon), or a ceremony over a development Powers of
    /// Tau or without a secret contribution.
    function devKeys() external view returns (bool);

    /// @notice sha256 of the phase-2 ceremony transcript (JSON) that produced the key; zero for
    /// development keys.
    function keyId() external view returns (bytes32);

    /// @notice The key's provenance in words.
    function keyProvenance() external view returns (string memory);
}
