pragma circom 2.2.3;

include "circuits/src/batch_root.circom";

// Batch-root slice: 4 readings (depth 2). Public signals: [root, count].
component main {public [count]} = BatchRoot(2);
