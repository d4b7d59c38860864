pragma circom 2.2.3;

include "circomlib/circuits/poseidon.circom";

// Root of a fixed-depth 4-ary Poseidon Merkle tree over 4^DEPTH leaves, hashed level by level:
// node = Poseidon(c0, c1, c2, c3) over its four children in slot order. Matches
// sdk/src/merkle.ts (empty slots are the zero leaf, chosen by the caller). A 4-ary tree has
// (N - 1) / 3 internal nodes; circomlib's Poseidon(4) costs ~1.25x a Poseidon(2), so this is
// ~2.4x cheaper per leaf than a binary tree.
template MerkleRootFromLeaves(DEPTH) {
    var N = 1 << (2 * DEPTH);
    signal input leaves[N];
    signal output root;

    // Level d has N / 4^d nodes; nodes[] stores all levels back to back ((4N - 1) / 3 in total).
    var TOTAL = (4 * N - 1) \ 3;
    component hashers[(N - 1) \ 3];
    var levelStart = 0;
    var nextStart = N;
    signal nodes[TOTAL];
    for (var i = 0; i < N; i++) {
        nodes[i] <== leaves[i];
    }
    var h = 0;
    for (var width = N; width > 1; width >>= 2) {
        for (var i = 0; i < width \ 4; i++) {
            hashers[h] = Poseidon(4);
            for (var k = 0; k < 4; k++) {
                hashers[h].inputs[k] <== nodes[levelStart + 4 * i + k];
            }
            nodes[nextStart + i] <== hashers[h].out;
            h++;
        }
        levelStart = nextStart;
        nextStart += width \ 4;
    }
    root <== nodes[TOTAL - 1];
}
