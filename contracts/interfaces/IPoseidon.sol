// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IPoseidon4
/// @notice ABI of the circomlibjs-generated Poseidon contract with 4 inputs
/// (`poseidonContract.createCode(4)`), used for the nodes of the 4-ary batch tree:
/// node = Poseidon(c0, c1, c2, c3) over the four children in slot order.
/// @dev Inputs are reduced modulo the BN254 scalar field by the generated code: callers must
/// range-check them first if aliasing matters.
interface IPoseidon4 {
    /// @notice Poseidon hash of four field elements (circomlib parameters, t = 5).
    function poseidon(uint256[4] calldata input) external pure returns (uint256);
}

/// @title IPoseidon5
/// @notice ABI of the circomlibjs-generated Poseidon contract with 5 inputs
/// (`poseidonContract.createCode(5)`), used for reading leaves (sdk `hashReading`).
interface IPoseidon5 {
    /// @notice Poseidon hash of five field elements (circomlib parameters, t = 6).
    function poseidon(uint256[5] calldata input) external pure returns (uint256);
}
