pragma circom 2.2.3;

include "circuits/src/reward_rule.circom";

// Reward rule for batches of up to 256 readings (4-ary tree of depth 4) from at most 16 devices.
// Public signals: [root, batchWord, ruleWord, deviceWords[0..7]].
component main {public [root, batchWord, ruleWord, deviceWords]} = RewardRule(4, 16);
