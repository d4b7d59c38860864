pragma circom 2.2.3;

include "circomlib/circuits/poseidon.circom";

// Root of a fixed-depth binary Poseidon Merkle tree over 2^DEPTH leaves, hashed level by level:
// node = Poseidon(left, right). Matches sdk/src/merkle.ts (empty slots are the zero leaf,
// chosen by the caller).
template MerkleRootFromLeaves(DEPTH) {
    var N = 1 << DEPTH;
    signal input leaves[N];
    signal output root;

    // Level d has N >> d nodes; nodes[] stores all levels back to back (2N - 1 in total).
    component hashers[N - 1];
    var levelStart = 0;
    var nextStart = N;
    signal nodes[2 * N - 1];
    for (var i = 0; i < N; i++) {
        nodes[i] <== leaves[i];
    }
    var h = 0;
    for (var width = N; width > 1; width >>= 1) {
        for (var i = 0; i < width / 2; i++) {
            hashers[h] = Poseidon(2);
            hashers[h].inputs[0] <== nodes[levelStart + 2 * i];
            hashers[h].inputs[1] <== nodes[levelStart + 2 * i + 1];
            nodes[nextStart + i] <== hashers[h].out;
            h++;
        }
        levelStart = nextStart;
        nextStart += width / 2;
    }
    root <== nodes[2 * N - 2];
}
