pragma circom 2.2.3;

include "circomlib/circuits/comparators.circom";
include "circuits/src/merkle.circom";
include "circuits/src/reading_leaf.circom";

// Proves that `root` is the Poseidon Merkle root of a batch whose first `count` slots hold the
// given readings and whose remaining slots are empty (zero leaves), exactly as the sequencer
// computes it (sdk merkleRoot over hashReading leaves).
// Public signals: root (output), count (input).
template BatchRoot(DEPTH) {
    var N = 1 << DEPTH;
    signal input count;
    signal input deviceId[N];
    signal input seq[N];
    signal input timestamp[N];
    signal input value[N];
    signal input sigHash[N];
    signal output root;

    // count is range-checked to DEPTH+1 bits so the slot comparisons below are sound, and
    // bounded by the capacity N.
    component countBits = Num2Bits(DEPTH + 1);
    countBits.in <== count;
    component countMax = LessEqThan(DEPTH + 1);
    countMax.in[0] <== count;
    countMax.in[1] <== N;
    countMax.out === 1;

    // Slot i is active iff i < count; an active slot holds its reading's leaf, an inactive one 0.
    component leaves[N];
    component active[N];
    component tree = MerkleRootFromLeaves(DEPTH);
    for (var i = 0; i < N; i++) {
        leaves[i] = ReadingLeaf();
        leaves[i].deviceId <== deviceId[i];
        leaves[i].seq <== seq[i];
        leaves[i].timestamp <== timestamp[i];
        leaves[i].value <== value[i];
        leaves[i].sigHash <== sigHash[i];
        active[i] = LessThan(DEPTH + 1);
        active[i].in[0] <== i;
        active[i].in[1] <== count;
        tree.leaves[i] <== active[i].out * leaves[i].leaf;
    }
    root <== tree.root;
}
