pragma circom 2.2.3;

include "circuits/src/reward_rule.circom";

// Reward rule for batches of up to 16 readings (4-ary tree of depth 2) from at most 4 devices.
// Public signals: [root, batchWord, ruleWord, deviceWords[0..1]].
component main {public [root, batchWord, ruleWord, deviceWords]} = RewardRule(2, 4);
