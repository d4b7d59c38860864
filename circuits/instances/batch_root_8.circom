pragma circom 2.2.3;

include "circuits/src/batch_root.circom";

// Batch-root slice: 8 readings (depth 3). Public signals: [root, count].
component main {public [count]} = BatchRoot(3);
