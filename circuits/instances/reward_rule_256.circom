pragma circom 2.2.3;

include "circuits/src/reward_rule.circom";

// Reward rule for batches of up to 256 readings (depth 8) from at most 16 devices.
// Public signals: [root, batchWord, ruleWord, deviceWords[0..7]].
component main {public [root, batchWord, ruleWord, deviceWords]} = RewardRule(8, 16);
