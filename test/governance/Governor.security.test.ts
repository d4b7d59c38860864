/**
 * Governance security: checkpointed votes (flash loans and late purchases weigh zero), the
 * `#proposer=` front-running guard, the timelock delay, the late-quorum extension, and signed
 * votes (counted for the signer, not replayable).
 */
import { expect } from "chai";
import { network } from "hardhat";
import { encodeAction } from "../../scripts/lib/actions.js";
import { castVote, guardDescription, propose, queue, signVote, submitSignedVote } from "../../scripts/lib/dao.js";
import type { FlashLenderMock, FlashVoterMock } from "../../types/typechain/index.js";
import {
  deployProtocol,
  LATE_QUORUM_EXTENSION,
  TIMELOCK_DELAY,
  TOKEN,
  VOTING_DELAY,
  VOTING_PERIOD,
  type ProtocolFixture,
} from "./fixture.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const STATE = { Pending: 0n, Active: 1n, Canceled: 2n, Succeeded: 4n, Queued: 5n, Executed: 7n };

describe("Governance — security", function () {
  const deployment = (): Promise<ProtocolFixture> => deployProtocol(connection);
  const load = (): Promise<ProtocolFixture> => networkHelpers.loadFixture(deployment);
  const retentionCall = (f: ProtocolFixture, seconds: number) =>
    encodeAction({ action: "set retention window", seconds }, f.deployment);

  describe("checkpointed voting power", function () {
    it("a flash-loaned vote weighs zero: borrow, delegate, vote and repay in one transaction", async function () {
      const f = await load();
      const lender = (await ethers.deployContract("FlashLenderMock")) as unknown as FlashLenderMock;
      const pool = 4_000_000n * TOKEN; // the rest of the genesis supply: more than any voter holds
      await f.token.connect(f.deployer).transfer(await lender.getAddress(), pool);
      const p = await propose(f.governor, f.voters[0], [retentionCall(f, 86_400)], "flash test");
      await networkHelpers.mine(VOTING_DELAY + 1n);
      const attacker = (await ethers.deployContract("FlashVoterMock", [
        await f.token.getAddress(),
        await f.governor.getAddress(),
        await lender.getAddress(),
      ])) as unknown as FlashVoterMock;
      await expect(attacker.connect(f.other).attack(p.proposalId, pool))
        .to.emit(f.governor, "VoteCast")
        .withArgs(await attacker.getAddress(), p.proposalId, 1, 0n, "");
      expect(await attacker.lastWeight()).to.equal(0n);
      expect(await f.token.balanceOf(await lender.getAddress())).to.equal(pool);
      const [, forVotes] = await f.governor.proposalVotes(p.proposalId);
      expect(forVotes).to.equal(0n);
    });

    it("tokens bought after the snapshot count zero for the buyer, and the seller's snapshot votes still count once", async function () {
      const f = await load();
      const p = await propose(f.governor, f.voters[0], [retentionCall(f, 86_400)], "late buyer");
      await networkHelpers.mine(VOTING_DELAY + 1n);
      const [seller] = [f.voters[2]];
      await f.token.connect(seller).transfer(f.other.address, 1_000_000n * TOKEN);
      await f.token.connect(f.other).delegate(f.other.address);
      expect(await f.token.getVotes(f.other.address)).to.equal(1_000_000n * TOKEN);
      expect(await castVote(f.governor, f.other, p.proposalId, 1)).to.equal(0n);
      expect(await castVote(f.governor, seller, p.proposalId, 0)).to.equal(1_000_000n * TOKEN);
      const [against, forVotes] = await f.governor.proposalVotes(p.proposalId);
      expect([against, forVotes]).to.deep.equal([1_000_000n * TOKEN, 0n]);
    });

    it("the snapshot is votingDelay blocks after the proposal and voting power is read there", async function () {
      const f = await load();
      const p = await propose(f.governor, f.voters[0], [retentionCall(f, 86_400)], "snapshot");
      const proposedAt = BigInt(await ethers.provider.getBlockNumber());
      expect(await f.governor.proposalSnapshot(p.proposalId)).to.equal(proposedAt + VOTING_DELAY);
      expect(await f.governor.CLOCK_MODE()).to.equal("mode=blocknumber&from=default");
      expect(await f.governor.CLOCK_MODE()).to.equal(await f.token.CLOCK_MODE());
    });
  });

  describe("front-running protection (#proposer= suffix)", function () {
    it("a front-runner cannot submit a guarded proposal, nor cancel it once submitted", async function () {
      const f = await load();
      const [alice, bob] = f.voters;
      const call = retentionCall(f, 2 * 86_400);
      const description = guardDescription("# Retention 2 days", alice.address);
      const args: [string[], bigint[], string[], string] = [[call.target], [0n], [call.data], description];
      // Bob copies Alice's pending transaction with a higher fee: refused.
      await expect(f.governor.connect(bob).propose(...args))
        .to.be.revertedWithCustomError(f.governor, "GovernorRestrictedProposer")
        .withArgs(bob.address);
      await f.governor.connect(alice).propose(...args);
      const id = await f.governor.hashProposal([call.target], [0n], [call.data], ethers.id(description));
      expect(await f.governor.proposalProposer(id)).to.equal(alice.address);
      await expect(f.governor.connect(bob).cancel([call.target], [0n], [call.data], ethers.id(description)))
        .to.be.revertedWithCustomError(f.governor, "GovernorUnableToCancel")
        .withArgs(id, bob.address);
      expect(await f.governor.state(id)).to.equal(STATE.Pending);
    });

    it("without the suffix the attack works (why the CLI always adds it): the copy's proposer cancels it for good", async function () {
      const f = await load();
      const [alice, bob] = f.voters;
      const call = retentionCall(f, 2 * 86_400);
      const args: [string[], bigint[], string[], string] = [[call.target], [0n], [call.data], "# Retention 2 days"];
      await f.governor.connect(bob).propose(...args);
      const id = await f.governor.hashProposal([call.target], [0n], [call.data], ethers.id(args[3]));
      await f.governor.connect(bob).cancel([call.target], [0n], [call.data], ethers.id(args[3]));
      await expect(f.governor.connect(alice).propose(...args)).to.be.revertedWithCustomError(
        f.governor,
        "GovernorUnexpectedProposalState",
      );
      expect(await f.governor.state(id)).to.equal(STATE.Canceled);
    });
  });

  describe("timelock", function () {
    it("a succeeded proposal executes only after the timelock delay", async function () {
      const f = await load();
      const p = await propose(f.governor, f.voters[0], [retentionCall(f, 86_400)], "delay");
      await networkHelpers.mine(VOTING_DELAY + 1n);
      await castVote(f.governor, f.voters[0], p.proposalId, 1);
      await networkHelpers.mine(VOTING_PERIOD + 1n);
      await queue(f.governor, f.voters[0], p);
      expect(await f.governor.state(p.proposalId)).to.equal(STATE.Queued);
      const eta = await f.governor.proposalEta(p.proposalId);
      expect(eta).to.equal(BigInt(await networkHelpers.time.latest()) + TIMELOCK_DELAY);
      const exec = () => f.governor.connect(f.other).execute(p.targets, p.values, p.calldatas, p.descriptionHash);
      await expect(exec()).to.be.revertedWithCustomError(f.timelock, "TimelockUnexpectedOperationState");
      await networkHelpers.time.setNextBlockTimestamp(eta - 1n);
      await expect(exec()).to.be.revertedWithCustomError(f.timelock, "TimelockUnexpectedOperationState");
      await networkHelpers.time.setNextBlockTimestamp(eta);
      await exec();
      expect(await f.da.retentionWindow()).to.equal(86_400n);
      expect(await f.governor.state(p.proposalId)).to.equal(STATE.Executed);
    });

    it("nobody but the governor can schedule, and only the timelock itself changes its delay", async function () {
      const f = await load();
      const call = retentionCall(f, 86_400);
      for (const s of [f.deployer, f.voters[0], f.other]) {
        await expect(f.timelock.connect(s).schedule(call.target, 0n, call.data, ethers.ZeroHash, ethers.ZeroHash, TIMELOCK_DELAY))
          .to.be.revertedWithCustomError(f.timelock, "AccessControlUnauthorizedAccount")
          .withArgs(s.address, await f.timelock.PROPOSER_ROLE());
        await expect(f.timelock.connect(s).updateDelay(0n))
          .to.be.revertedWithCustomError(f.timelock, "TimelockUnauthorizedCaller")
          .withArgs(s.address);
      }
    });
  });

  it("late quorum: a quorum reached in the last block extends voting by lateQuorumVoteExtension", async function () {
    const f = await load();
    const p = await propose(f.governor, f.voters[0], [retentionCall(f, 86_400)], "late quorum");
    const deadline = await f.governor.proposalDeadline(p.proposalId);
    await networkHelpers.mine(deadline - BigInt(await ethers.provider.getBlockNumber()) - 1n);
    // The vote is mined in the deadline block itself and brings quorum (1M of 10M >= 4 %).
    await expect(f.governor.connect(f.voters[2]).castVote(p.proposalId, 1))
      .to.emit(f.governor, "ProposalExtended")
      .withArgs(p.proposalId, deadline + LATE_QUORUM_EXTENSION);
    await networkHelpers.mine(1);
    expect(await f.governor.state(p.proposalId)).to.equal(STATE.Active);
    // Opponents get the extension to respond.
    await castVote(f.governor, f.voters[0], p.proposalId, 0, "too short");
    await networkHelpers.mine(LATE_QUORUM_EXTENSION);
    expect(await f.governor.state(p.proposalId)).to.equal(3n); // Defeated: 3M against, 1M for
  });

  describe("votes by signature", function () {
    it("a relayed signed vote counts for the signer with its reason, once", async function () {
      const f = await load();
      const p = await propose(f.governor, f.voters[0], [retentionCall(f, 86_400)], "signed");
      await networkHelpers.mine(VOTING_DELAY + 1n);
      const voter = f.voters[2];
      const vote = await signVote(f.governor, voter, p.proposalId, 2, "abstaining: conflict of interest");
      await expect(
        f.governor
          .connect(f.other)
          .castVoteWithReasonAndParamsBySig(p.proposalId, 2, voter.address, vote.reason, "0x", vote.signature),
      )
        .to.emit(f.governor, "VoteCast")
        .withArgs(voter.address, p.proposalId, 2, 1_000_000n * TOKEN, "abstaining: conflict of interest");
      expect(await f.governor.hasVoted(p.proposalId, voter.address)).to.equal(true);
      expect(await f.governor.hasVoted(p.proposalId, f.other.address)).to.equal(false);
      // Replay: the nonce moved on.
      await expect(submitSignedVote(f.governor, f.other, vote))
        .to.be.revertedWithCustomError(f.governor, "GovernorInvalidSignature")
        .withArgs(voter.address);
    });

    it("a signature altered to another choice or reason is refused", async function () {
      const f = await load();
      const p = await propose(f.governor, f.voters[0], [retentionCall(f, 86_400)], "tampered");
      await networkHelpers.mine(VOTING_DELAY + 1n);
      const voter = f.voters[1];
      const vote = await signVote(f.governor, voter, p.proposalId, 0, "no");
      for (const tampered of [
        { ...vote, support: 1 },
        { ...vote, reason: "yes" },
      ]) {
        await expect(submitSignedVote(f.governor, f.other, tampered))
          .to.be.revertedWithCustomError(f.governor, "GovernorInvalidSignature")
          .withArgs(voter.address);
      }
      expect(await submitSignedVote(f.governor, f.other, vote)).to.equal(2_000_000n * TOKEN);
    });
  });
});
