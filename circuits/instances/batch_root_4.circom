pragma circom 2.2.3;

include "circuits/src/batch_root.circom";

// Batch-root slice: 4 readings (one 4-ary level). Public signals: [root, count].
component main {public [count]} = BatchRoot(1);
