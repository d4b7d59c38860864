pragma circom 2.2.3;

include "circuits/src/batch_root.circom";

// Batch-root slice: 16 readings (two 4-ary levels). Public signals: [root, count].
component main {public [count]} = BatchRoot(2);
