// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IProtocolGovernor
/// @notice What the protocol's governor adds to OpenZeppelin's IGovernor: voting power and the
/// quorum are measured at the end of the block before the proposal was created, not at
/// `proposalSnapshot` (which still marks the end of the voting delay, when voting opens).
interface IProtocolGovernor {
    /// @notice The timepoint (block number) at which `proposalId`'s voting power and quorum are
    /// measured: the block before the one the proposal was created in. Every vote weight is
    /// `getPastVotes(voter, proposalVotesTimepoint)` and the quorum is
    /// `quorum(proposalVotesTimepoint)`, so votes bought, borrowed or delegated in the proposal's
    /// own block or later weigh zero.
    /// @dev Reverts with GovernorNonexistentProposal for an unknown proposal.
    function proposalVotesTimepoint(uint256 proposalId) external view returns (uint256);
}
