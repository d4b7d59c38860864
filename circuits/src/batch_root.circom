pragma circom 2.2.3;

include "circomlib/circuits/comparators.circom";
include "circuits/src/merkle.circom";
include "circuits/src/reading_leaf.circom";

// Proves that `root` is the 4-ary Poseidon Merkle root of a batch whose first `count` slots hold
// the given readings and whose remaining slots are empty (zero leaves), exactly as the sequencer
// computes it (sdk merkleRoot over hashReading leaves). DEPTH counts 4-ary levels: 4^DEPTH slots.
// Public signals: root (output), count (input).
template BatchRoot(DEPTH) {
    var N = 1 << (2 * DEPTH);
    var BITS = 2 * DEPTH + 1;
    signal input count;
    signal input deviceId[N];
    signal input seq[N];
    signal input timestamp[N];
    signal input value[N];
    signal input sigHash[N];
    signal output root;

    // count is range-checked to BITS bits (N = 2^(BITS - 1)) so the slot comparisons below are
    // sound, and bounded by the capacity N.
    component countBits = Num2Bits(BITS);
    countBits.in <== count;
    component countMax = LessEqThan(BITS);
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
        active[i] = LessThan(BITS);
        active[i].in[0] <== i;
        active[i].in[1] <== count;
        tree.leaves[i] <== active[i].out * leaves[i].leaf;
    }
    root <== tree.root;
}
