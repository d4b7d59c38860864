pragma circom 2.2.3;

include "circomlib/circuits/poseidon.circom";

// leaf = Poseidon(deviceId, seq, timestamp, value, sigHash), as sdk/src/poseidon.ts hashReading.
// NOTE: the inputs are not range-checked here. A leaf is only ever used to rebuild a root that
// the DA contract committed; equal roots imply equal preimages (Poseidon collision resistance),
// and the sequencer range-checks every reading (sdk checkReading) before hashing it. Circuits
// that compare these values (reward rules) range-check them themselves.
template ReadingLeaf() {
    signal input deviceId;
    signal input seq;
    signal input timestamp;
    signal input value;
    signal input sigHash;
    signal output leaf;

    component h = Poseidon(5);
    h.inputs[0] <== deviceId;
    h.inputs[1] <== seq;
    h.inputs[2] <== timestamp;
    h.inputs[3] <== value;
    h.inputs[4] <== sigHash;
    leaf <== h.out;
}
