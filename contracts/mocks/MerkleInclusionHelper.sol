// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IBatchCommitments} from "../interfaces/IBatchCommitments.sol";

/// @notice circomlibjs-generated Poseidon(4) contract (deployed from poseidonContract.createCode(4)).
interface IPoseidon4 {
    function poseidon(uint256[4] calldata inputs) external pure returns (uint256);
}

/// @title MerkleInclusionHelper
/// @notice TEST ONLY. Checks a batch inclusion proof on-chain against the committed root, with the
/// generated Poseidon contract: the same 4-ary tree as sdk merkleProof (node = Poseidon(c0..c3);
/// per level the 3 siblings in slot order, the index's base-4 digit is the node's slot).
contract MerkleInclusionHelper {
    uint256 private constant SNARK_SCALAR_FIELD =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;
    IPoseidon4 private immutable _poseidon;

    constructor(IPoseidon4 poseidon) {
        _poseidon = poseidon;
    }

    /// @notice True when `leaf` sits at `index` of committed batch `batchId` of `da`. False for a
    /// sibling at or above the field modulus (the generated Poseidon would reduce it).
    function verifyInclusion(
        IBatchCommitments da,
        uint256 batchId,
        uint256 leaf,
        uint256 index,
        uint256[3][] calldata siblings
    ) external view returns (bool) {
        IBatchCommitments.Batch memory b = da.getBatch(batchId);
        if (b.status != IBatchCommitments.BatchStatus.Committed || siblings.length != b.depth) return false;
        uint256 node = leaf;
        uint256 idx = index;
        uint256[4] memory children;
        for (uint256 i = 0; i < siblings.length; i++) {
            uint256 pos = idx % 4;
            uint256 j = 0;
            for (uint256 k = 0; k < 4; k++) {
                if (k == pos) {
                    children[k] = node;
                } else {
                    if (siblings[i][j] >= SNARK_SCALAR_FIELD) return false;
                    children[k] = siblings[i][j++];
                }
            }
            node = _poseidon.poseidon(children);
            idx /= 4;
        }
        return idx == 0 && node == b.root;
    }
}
