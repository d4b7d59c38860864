// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;
contract SmokeTest { function testFuzz_add(uint64 a, uint64 b) public pure { require(uint256(a) + b >= a); } }
