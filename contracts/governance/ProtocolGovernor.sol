// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Governor} from "@openzeppelin/contracts/governance/Governor.sol";
import {GovernorCountingSimple} from "@openzeppelin/contracts/governance/extensions/GovernorCountingSimple.sol";
import {GovernorPreventLateQuorum} from "@openzeppelin/contracts/governance/extensions/GovernorPreventLateQuorum.sol";
import {GovernorSettings} from "@openzeppelin/contracts/governance/extensions/GovernorSettings.sol";
import {GovernorTimelockControl} from "@openzeppelin/contracts/governance/extensions/GovernorTimelockControl.sol";
import {GovernorVotes} from "@openzeppelin/contracts/governance/extensions/GovernorVotes.sol";
import {GovernorVotesQuorumFraction} from "@openzeppelin/contracts/governance/extensions/GovernorVotesQuorumFraction.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
import {IVotes} from "@openzeppelin/contracts/governance/utils/IVotes.sol";
import {IProtocolGovernor} from "../interfaces/IProtocolGovernor.sol";

/// @title ProtocolGovernor
/// @notice Token-holder governance of the protocol, on the reward token's checkpointed votes.
/// - Voting power and the quorum's total supply are read at the end of the block BEFORE the one
///   the proposal was created in (`proposalVotesTimepoint`), not at OpenZeppelin's
///   `proposalSnapshot`: tokens bought, borrowed or delegated in the proposal's own block, during
///   the voting delay or while voting is open count zero, so neither a flash loan nor a purchase
///   made after seeing the proposal (even one ordered before it in the same block) adds votes.
///   `proposalSnapshot` is unchanged and still marks the end of the voting delay: the proposal is
///   Pending until then and Active after it.
/// - The clock is the token's (ERC-6372): block numbers for the reward token, so the voting delay,
///   voting period and late-quorum extension are in blocks.
/// - Simple counting (against / for / abstain; for + abstain count towards quorum), quorum a
///   fraction of the total supply at that same block before the proposal.
/// - A proposal that reaches quorum late gets at least `lateQuorumVoteExtension` more clock units
///   of voting, so a last-minute whale cannot pass it unopposed.
/// - A proposal whose description ends with `#proposer=<address>` can only be submitted by that
///   address (Governor.propose): a front-runner copying it reverts instead of becoming the
///   proposer who could cancel it. The DAO CLI always appends the suffix.
/// - Succeeded proposals are queued in and executed by the {ProtocolTimelock}, which holds every
///   admin role and upgrade right of the protocol.
contract ProtocolGovernor is
    Governor,
    GovernorSettings,
    GovernorCountingSimple,
    GovernorVotes,
    GovernorVotesQuorumFraction,
    GovernorTimelockControl,
    GovernorPreventLateQuorum,
    IProtocolGovernor
{
    /// @dev Block in which each proposal was created (0: no such proposal). Stored rather than
    /// derived from `proposalSnapshot - votingDelay()`, since governance can change the delay
    /// while a proposal is open.
    mapping(uint256 proposalId => uint48) private _proposalCreated;

    /// @notice Initial governance parameters (each later changeable by governance itself).
    /// @param votingDelay clock units between proposing and the start of voting (`proposalSnapshot`).
    /// @param votingPeriod clock units voting stays open.
    /// @param proposalThreshold votes needed to submit a proposal.
    /// @param quorumNumerator quorum in percent of the supply at the end of the block before the
    /// proposal's (denominator 100).
    /// @param lateQuorumVoteExtension clock units voting is kept open after quorum is reached.
    struct Config {
        uint48 votingDelay;
        uint32 votingPeriod;
        uint256 proposalThreshold;
        uint256 quorumNumerator;
        uint48 lateQuorumVoteExtension;
    }

    /// @param name_ EIP-712 domain name (signed votes are bound to it).
    /// @param token the reward token (ERC20Votes).
    /// @param timelock_ the protocol timelock; this governor must hold its PROPOSER_ROLE and
    /// CANCELLER_ROLE.
    constructor(
        string memory name_,
        IVotes token,
        TimelockController timelock_,
        Config memory config
    )
        Governor(name_)
        GovernorSettings(config.votingDelay, config.votingPeriod, config.proposalThreshold)
        GovernorVotes(token)
        GovernorVotesQuorumFraction(config.quorumNumerator)
        GovernorTimelockControl(timelock_)
        GovernorPreventLateQuorum(config.lateQuorumVoteExtension)
    {}

    /// @inheritdoc IProtocolGovernor
    function proposalVotesTimepoint(uint256 proposalId) external view returns (uint256) {
        if (_proposalCreated[proposalId] == 0) revert GovernorNonexistentProposal(proposalId);
        return _votesTimepoint(proposalId);
    }

    /// @inheritdoc Governor
    function state(uint256 proposalId) public view override(Governor, GovernorTimelockControl) returns (ProposalState) {
        return super.state(proposalId);
    }

    /// @inheritdoc Governor
    function proposalDeadline(
        uint256 proposalId
    ) public view override(Governor, GovernorPreventLateQuorum) returns (uint256) {
        return super.proposalDeadline(proposalId);
    }

    /// @inheritdoc Governor
    function proposalNeedsQueuing(
        uint256 proposalId
    ) public view override(Governor, GovernorTimelockControl) returns (bool) {
        return super.proposalNeedsQueuing(proposalId);
    }

    /// @inheritdoc Governor
    function proposalThreshold() public view override(Governor, GovernorSettings) returns (uint256) {
        return super.proposalThreshold();
    }

    /// @dev Records the creation block; the rest (snapshot = creation + votingDelay) is Governor's.
    function _propose(
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        string memory description,
        address proposer
    ) internal override returns (uint256 proposalId) {
        proposalId = super._propose(targets, values, calldatas, description, proposer);
        _proposalCreated[proposalId] = clock();
    }

    /// @dev Governor's vote path with one change: the weight is read at {proposalVotesTimepoint}
    /// instead of {proposalSnapshot}. It replaces Governor._castVote entirely (no super call, which
    /// would count the vote twice); every public vote function, signed or not, ends here.
    function _castVote(
        uint256 proposalId,
        address account,
        uint8 support,
        string memory reason,
        bytes memory params
    ) internal override returns (uint256) {
        _validateStateBitmap(proposalId, _encodeStateBitmap(ProposalState.Active));
        uint256 weight = _getVotes(account, _votesTimepoint(proposalId), params);
        uint256 counted = _countVote(proposalId, account, support, weight, params);
        if (params.length == 0) {
            emit VoteCast(account, proposalId, support, counted, reason);
        } else {
            emit VoteCastWithParams(account, proposalId, support, counted, reason, params);
        }
        _tallyUpdated(proposalId);
        return counted;
    }

    /// @dev Quorum (for + abstain) against `quorum(proposalVotesTimepoint)`: the supply and the
    /// quorum numerator of the block before the proposal, the same timepoint the votes are read at.
    function _quorumReached(
        uint256 proposalId
    ) internal view override(Governor, GovernorCountingSimple) returns (bool) {
        (, uint256 forVotes, uint256 abstainVotes) = proposalVotes(proposalId);
        return quorum(_votesTimepoint(proposalId)) <= forVotes + abstainVotes;
    }

    /// @dev The block before the proposal's. Proposals are never created in block 0 (the genesis
    /// block has no transactions), so this does not underflow for an existing proposal.
    function _votesTimepoint(uint256 proposalId) private view returns (uint256) {
        return _proposalCreated[proposalId] - 1;
    }

    /// @dev Tally bookkeeping of the late-quorum extension.
    function _tallyUpdated(uint256 proposalId) internal override(Governor, GovernorPreventLateQuorum) {
        super._tallyUpdated(proposalId);
    }

    /// @dev Queueing goes to the timelock.
    function _queueOperations(
        uint256 proposalId,
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(Governor, GovernorTimelockControl) returns (uint48) {
        return super._queueOperations(proposalId, targets, values, calldatas, descriptionHash);
    }

    /// @dev Execution goes through the timelock.
    function _executeOperations(
        uint256 proposalId,
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(Governor, GovernorTimelockControl) {
        super._executeOperations(proposalId, targets, values, calldatas, descriptionHash);
    }

    /// @dev Cancelling also cancels the timelock operation if it was queued.
    function _cancel(
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(Governor, GovernorTimelockControl) returns (uint256) {
        return super._cancel(targets, values, calldatas, descriptionHash);
    }

    /// @dev The timelock executes governance calls (onlyGovernance checks it).
    function _executor() internal view override(Governor, GovernorTimelockControl) returns (address) {
        return super._executor();
    }
}
