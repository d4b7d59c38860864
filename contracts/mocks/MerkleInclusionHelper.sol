// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IBatchCommitments} from "../interfaces/IBatchCommitments.sol";

/// @notice circomlibjs-generated Poseidon(2) contract (deployed from poseidonContract.createCode(2)).
interface IPoseidon2 {
    function poseidon(uint256[2] calldata inputs) external pure returns (uint256);
}

/// @title MerkleInclusionHelper
/// @notice TEST ONLY. Checks a batch inclusion proof on-chain against the committed root, with the
/// generated Poseidon contract: the same tree as sdk merkleProof (node = Poseidon(left, right)).
contract MerkleInclusionHelper {
    IPoseidon2 private immutable _poseidon;

    constructor(IPoseidon2 poseidon) {
        _poseidon = poseidon;
    }

    /// @notice True when `leaf` sits at `index` of committed batch `batchId` of `da`.
    function verifyInclusion(
        IBatchCommitments da,
        uint256 batchId,
        uint256 leaf,
        uint256 index,
        uint256[] calldata siblings
    ) external view returns (bool) {
        IBatchCommitments.Batch memory b = da.getBatch(batchId);
        if (b.status != IBatchCommitments.BatchStatus.Committed || siblings.length != b.depth) return false;
        uint256 node = leaf;
        uint256 idx = index;
        for (uint256 i = 0; i < siblings.length; i++) {
            node = idx & 1 == 1 ? _poseidon.poseidon([siblings[i], node]) : _poseidon.poseidon([node, siblings[i]]);
            idx >>= 1;
        }
        return idx == 0 && node == b.root;
    }
}
