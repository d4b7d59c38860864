// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IPoseidon2
/// @notice ABI of the circomlibjs-generated Poseidon contract with 2 inputs
/// (`poseidonContract.createCode(2)`), used for Merkle nodes: node = Poseidon(left, right).
/// @dev Inputs are reduced modulo the BN254 scalar field by the generated code: callers must
/// range-check them first if aliasing matters.
interface IPoseidon2 {
    /// @notice Poseidon hash of two field elements (circomlib parameters, t = 3).
    function poseidon(uint256[2] calldata input) external pure returns (uint256);
}

/// @title IPoseidon5
/// @notice ABI of the circomlibjs-generated Poseidon contract with 5 inputs
/// (`poseidonContract.createCode(5)`), used for reading leaves (sdk `hashReading`).
interface IPoseidon5 {
    /// @notice Poseidon hash of five field elements (circomlib parameters, t = 6).
    function poseidon(uint256[5] calldata input) external pure returns (uint256);
}
