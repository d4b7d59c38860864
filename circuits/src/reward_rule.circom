pragma circom 2.2.3;

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";
include "circomlib/circuits/poseidon.circom";
include "circuits/src/merkle.circom";
include "circuits/src/reading_leaf.circom";

// Poseidon over any number of field elements as a chain: h = P(x0..x15), then h = P(h, next 15).
// Used only to derive an in-circuit Fiat-Shamir challenge, so the chaining needs no padding rule
// shared with other code.
template HashChain(N) {
    signal input in[N];
    signal output out;
    var first = N < 16 ? N : 16;
    var rest = N - first;
    var links = (rest + 14) \ 15;
    component h[links + 1];
    h[0] = Poseidon(first);
    for (var i = 0; i < first; i++) h[0].inputs[i] <== in[i];
    var at = first;
    for (var l = 1; l <= links; l++) {
        var take = N - at < 15 ? N - at : 15;
        h[l] = Poseidon(take + 1);
        h[l].inputs[0] <== h[l - 1].out;
        for (var i = 0; i < take; i++) h[l].inputs[i + 1] <== in[at + i];
        at += take;
    }
    out <== h[links].out;
}

// The network's reward rule applied to one committed batch (sdk/src/reward-rule.ts is the
// reference implementation; the tests compare the two).
//
// A reading earns one point when it is in the batch (slot < count), its device id is not 0, its
// value lies in [minValue, maxValue] and its timestamp in [windowStart, windowEnd). A device's
// points in the batch are min(earning readings, capPerBatch). Readings that do not earn (out of
// range, out of window) earn 0; they never block the proof of the others.
//
// Public signals (all inputs; snarkjs order): root, batchWord, ruleWord, deviceWords[SLOTS/2].
//   batchWord   = epoch (64 bits) | count << 64 (32 bits)
//   ruleWord    = minValue (32) | maxValue << 32 (32) | capPerBatch << 64 (32)
//                 | windowStart << 96 (40) | windowEnd << 136 (40)
//   deviceWords[j] = id[2j] | points[2j] << 64 | id[2j+1] << 96 | points[2j+1] << 160
//                 (id 64 bits, points 32 bits)
// The settlement contract builds root, batchWord and ruleWord itself (from the DA batch, the
// governed rule of the batch's epoch and the epoch clock); the submitter supplies only the
// device ids and points, which this circuit forces to be exactly the rule's result.
//
// Device slots: used slots come first with strictly increasing non-zero ids; unused slots are
// (0, 0). Every earning reading's device must be in a used slot and each slot's points are the
// capped count of earning readings of that device. This is checked with a log-derivative
// identity at a Fiat-Shamir challenge gamma = H(root, batchWord, ruleWord, deviceWords, raw):
//     sum_i earn_i / (gamma - deviceId_i) == sum_k raw_k / (gamma - id_k)
// As rational functions in gamma, with distinct ids, the identity holds iff raw_k is exactly
// the number of earning readings of device id_k and no earning reading's device is missing;
// a false identity holds at the hashed gamma with probability <= (N + SLOTS) / p per attempt.
// This costs 2 constraints per reading instead of O(SLOTS).
//
// NOTE: deviceId, seq and sigHash are not range-checked: they are bound by the committed root
// (see reading_leaf.circom). value and timestamp are compared through fixed-width bit
// decompositions that every u32 value / u40 timestamp satisfies; a non-canonical field element
// (which no signed reading can have) may make the witness unsatisfiable, never earn.
// DEPTH counts levels of the 4-ary batch tree (merkle.circom): N = 4^DEPTH reading slots.
template RewardRule(DEPTH, SLOTS) {
    assert(SLOTS % 2 == 0);
    assert(DEPTH <= 15);
    var N = 1 << (2 * DEPTH);
    var W = SLOTS \ 2;

    signal input root;
    signal input batchWord;
    signal input ruleWord;
    signal input deviceWords[W];

    signal input deviceId[N];
    signal input seq[N];
    signal input timestamp[N];
    signal input value[N];
    signal input sigHash[N];
    // Uncapped number of earning readings per slot (private; bound through gamma).
    signal input raw[SLOTS];

    // --- Unpack the public words. The bit decompositions also range-check every field. ---
    component bw = Num2Bits(96);
    bw.in <== batchWord;
    component countNum = Bits2Num(32);
    for (var b = 0; b < 32; b++) countNum.in[b] <== bw.out[64 + b];
    signal count <== countNum.out;

    component rw = Num2Bits(176);
    rw.in <== ruleWord;
    component minV = Bits2Num(32);
    component maxV = Bits2Num(32);
    component cap = Bits2Num(32);
    component wStart = Bits2Num(40);
    component wEnd = Bits2Num(40);
    for (var b = 0; b < 32; b++) {
        minV.in[b] <== rw.out[b];
        maxV.in[b] <== rw.out[32 + b];
        cap.in[b] <== rw.out[64 + b];
    }
    for (var b = 0; b < 40; b++) {
        wStart.in[b] <== rw.out[96 + b];
        wEnd.in[b] <== rw.out[136 + b];
    }

    component dw[W];
    component slotId[SLOTS];
    component slotPts[SLOTS];
    for (var j = 0; j < W; j++) {
        dw[j] = Num2Bits(192);
        dw[j].in <== deviceWords[j];
        for (var h = 0; h < 2; h++) {
            slotId[2 * j + h] = Bits2Num(64);
            slotPts[2 * j + h] = Bits2Num(32);
            for (var b = 0; b < 64; b++) slotId[2 * j + h].in[b] <== dw[j].out[96 * h + b];
            for (var b = 0; b < 32; b++) slotPts[2 * j + h].in[b] <== dw[j].out[96 * h + 64 + b];
        }
    }

    // --- Active slots: a prefix mask of length count (boolean, non-increasing, sums to count).
    // This also proves count <= N. ---
    signal active[N];
    var activeSum = 0;
    for (var i = 0; i < N; i++) {
        active[i] <-- i < count ? 1 : 0;
        active[i] * (active[i] - 1) === 0;
        if (i > 0) {
            active[i] * (1 - active[i - 1]) === 0;
        }
        activeSum += active[i];
    }
    activeSum === count;

    // --- The batch root: active slots hold their reading's leaf, the others the zero leaf. ---
    component leaves[N];
    component tree = MerkleRootFromLeaves(DEPTH);
    for (var i = 0; i < N; i++) {
        leaves[i] = ReadingLeaf();
        leaves[i].deviceId <== deviceId[i];
        leaves[i].seq <== seq[i];
        leaves[i].timestamp <== timestamp[i];
        leaves[i].value <== value[i];
        leaves[i].sigHash <== sigHash[i];
        tree.leaves[i] <== active[i] * leaves[i].leaf;
    }
    tree.root === root;

    // --- Device slots: used (id != 0) slots form a prefix with strictly increasing ids; an
    // unused slot has raw = 0 (so points 0). points = min(raw, cap). ---
    component idZero[SLOTS];
    component idInc[SLOTS];
    component rawBits[SLOTS];
    component capped[SLOTS];
    signal used[SLOTS];
    for (var k = 0; k < SLOTS; k++) {
        idZero[k] = IsZero();
        idZero[k].in <== slotId[k].out;
        used[k] <== 1 - idZero[k].out;
        if (k > 0) {
            used[k] * (1 - used[k - 1]) === 0;
            idInc[k] = LessThan(64);
            idInc[k].in[0] <== slotId[k - 1].out;
            idInc[k].in[1] <== slotId[k].out;
            used[k] * (1 - idInc[k].out) === 0;
        }
        idZero[k].out * raw[k] === 0;
        // raw <= N = 2^(2 DEPTH): 2 DEPTH + 1 bits.
        rawBits[k] = Num2Bits(2 * DEPTH + 1);
        rawBits[k].in <== raw[k];
        // capped = cap < raw (both below 2^32); points = raw + capped * (cap - raw).
        capped[k] = LessThan(32);
        capped[k].in[0] <== cap.out;
        capped[k].in[1] <== raw[k];
        slotPts[k].out === raw[k] + capped[k].out * (cap.out - raw[k]);
    }

    // --- Fiat-Shamir challenge over everything the identity involves. The readings enter
    // through root; the public words and the private raw counts explicitly. ---
    component fs = HashChain(3 + W + SLOTS);
    fs.in[0] <== root;
    fs.in[1] <== batchWord;
    fs.in[2] <== ruleWord;
    for (var j = 0; j < W; j++) fs.in[3 + j] <== deviceWords[j];
    for (var k = 0; k < SLOTS; k++) fs.in[3 + W + k] <== raw[k];
    signal gamma <== fs.out;

    // --- The rule, per reading. Each comparison is the top bit of a fixed-width difference:
    //   value - minValue + 2^32      (33 bits): bit 32 set iff value >= minValue
    //   maxValue - value + 2^32      (33 bits): bit 32 set iff value <= maxValue
    //   timestamp - windowStart + 2^40  (41 bits): bit 40 set iff timestamp >= windowStart
    //   windowEnd - 1 - timestamp + 2^40 (41 bits): bit 40 set iff timestamp < windowEnd
    // If a difference decomposes with its top bit set, the inequality holds over the integers
    // (the other operand is below 2^32 / 2^40), whatever the other input is. Every u32 value and
    // every u40 timestamp decomposes (both differences lie in [0, 2^41)), so a reading of a signed
    // timestamp however far outside the window simply earns 0; it never makes the batch
    // unprovable. ---
    component geMin[N];
    component leMax[N];
    component geStart[N];
    component ltEnd[N];
    component devZero[N];
    signal okValue[N];
    signal okTime[N];
    signal ok[N];
    signal activeDev[N];
    signal earn[N];
    signal inv[N];
    signal term[N];
    var lhs = 0;
    for (var i = 0; i < N; i++) {
        geMin[i] = Num2Bits(33);
        geMin[i].in <== value[i] - minV.out + (1 << 32);
        leMax[i] = Num2Bits(33);
        leMax[i].in <== maxV.out - value[i] + (1 << 32);
        geStart[i] = Num2Bits(41);
        geStart[i].in <== timestamp[i] - wStart.out + (1 << 40);
        ltEnd[i] = Num2Bits(41);
        ltEnd[i].in <== wEnd.out - 1 - timestamp[i] + (1 << 40);
        devZero[i] = IsZero();
        devZero[i].in <== deviceId[i];

        okValue[i] <== geMin[i].out[32] * leMax[i].out[32];
        okTime[i] <== geStart[i].out[40] * ltEnd[i].out[40];
        ok[i] <== okValue[i] * okTime[i];
        activeDev[i] <== active[i] * (1 - devZero[i].out);
        earn[i] <== activeDev[i] * ok[i];

        // inv = 1 / (gamma - deviceId); exists unless gamma equals a device id (probability
        // ~2^64 / p for an honest prover).
        inv[i] <-- 1 / (gamma - deviceId[i]);
        inv[i] * (gamma - deviceId[i]) === 1;
        term[i] <== earn[i] * inv[i];
        lhs += term[i];
    }

    signal slotInv[SLOTS];
    signal slotTerm[SLOTS];
    var rhs = 0;
    for (var k = 0; k < SLOTS; k++) {
        slotInv[k] <-- 1 / (gamma - slotId[k].out);
        slotInv[k] * (gamma - slotId[k].out) === 1;
        slotTerm[k] <== raw[k] * slotInv[k];
        rhs += slotTerm[k];
    }
    lhs === rhs;
}
