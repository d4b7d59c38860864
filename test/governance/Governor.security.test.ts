/**
 * Governance security: checkpointed votes read at the block before the proposal (flash loans,
 * purchases in the proposal's own block, during the voting delay or later weigh zero; so does a
 * supply change for the quorum), the
 * `#proposer=` front-running guard, the timelock delay, the late-quorum extension, and signed
 * votes (counted for the signer, not replayable).
 */
import { expect } from "chai";
import { network } from "hardhat";
import { encodeAction } from "../../scripts/lib/actions.js";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { ContractTransactionResponse, TransactionReceipt } from "ethers";
import {
  castVote,
  execute,
  guardDescription,
  propose,
  proposalStatus,
  queue,
  signVote,
  submitSignedVote,
  type Proposal,
} from "../../scripts/lib/dao.js";
import type { FlashLenderMock, FlashVoterMock } from "../../types/typechain/index.js";
import {
  deployProtocol,
  GENESIS_SUPPLY,
  LATE_QUORUM_EXTENSION,
  pass,
  TIMELOCK_DELAY,
  TOKEN,
  VOTING_DELAY,
  VOTING_PERIOD,
  type ProtocolFixture,
} from "./fixture.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const STATE = { Pending: 0n, Active: 1n, Canceled: 2n, Defeated: 3n, Succeeded: 4n, Queued: 5n, Executed: 7n };

/** Accounts the fixture gives no tokens to. */
async function extraSigners(): Promise<HardhatEthersSigner[]> {
  return (await ethers.getSigners()).slice(5, 9);
}

/**
 * Sends the transactions with automine off, in order, then mines them together: the receipts
 * come back in the same order, all from one block.
 */
async function inOneBlock(sends: (() => Promise<ContractTransactionResponse>)[]): Promise<TransactionReceipt[]> {
  const sent: ContractTransactionResponse[] = [];
  await ethers.provider.send("evm_setAutomine", [false]);
  try {
    for (const send of sends) sent.push(await send());
    await ethers.provider.send("evm_mine", []);
  } finally {
    await ethers.provider.send("evm_setAutomine", [true]);
  }
  const receipts: TransactionReceipt[] = [];
  for (const tx of sent) {
    const receipt = await tx.wait();
    if (!receipt) throw new Error(`transaction ${tx.hash} was not mined`);
    receipts.push(receipt);
  }
  expect(new Set(receipts.map((r) => r.blockNumber)).size).to.equal(1);
  return receipts;
}

describe("Governance — security", function () {
  const deployment = (): Promise<ProtocolFixture> => deployProtocol(connection);
  const load = (): Promise<ProtocolFixture> => networkHelpers.loadFixture(deployment);
  const retentionCall = (f: ProtocolFixture, seconds: number) =>
    encodeAction({ action: "set retention window", seconds }, f.deployment);
  /** Sends voter 0's guarded proposal without waiting for it to be mined (for {inOneBlock}). */
  const submitProposal = (f: ProtocolFixture, title: string) => {
    const call = retentionCall(f, 86_400);
    return f.governor
      .connect(f.voters[0])
      .propose([call.target], [0n], [call.data], guardDescription(title, f.voters[0].address));
  };
  /** The proposal a mined `propose` transaction created. */
  const proposalOf = (f: ProtocolFixture, receipt: TransactionReceipt): Pick<Proposal, "proposalId" | "voteStart"> => {
    for (const log of receipt.logs) {
      const parsed = f.governor.interface.parseLog(log);
      if (parsed?.name === "ProposalCreated") {
        return { proposalId: parsed.args[0] as bigint, voteStart: parsed.args[6] as bigint };
      }
    }
    throw new Error("no ProposalCreated in the receipt");
  };

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

    it("voting power is read at the end of the block before the proposal; voting still opens after votingDelay", async function () {
      const f = await load();
      const p = await propose(f.governor, f.voters[0], [retentionCall(f, 86_400)], "timepoints");
      const proposedAt = BigInt(await ethers.provider.getBlockNumber());
      expect(await f.governor.proposalVotesTimepoint(p.proposalId)).to.equal(proposedAt - 1n);
      expect(await f.governor.proposalSnapshot(p.proposalId)).to.equal(proposedAt + VOTING_DELAY);
      expect(p.voteStart).to.equal(proposedAt + VOTING_DELAY);
      expect(await f.governor.CLOCK_MODE()).to.equal("mode=blocknumber&from=default");
      expect(await f.governor.CLOCK_MODE()).to.equal(await f.token.CLOCK_MODE());
      // Pending up to and including the snapshot block, Active from the block after it.
      expect(await f.governor.state(p.proposalId)).to.equal(STATE.Pending);
      await networkHelpers.mine(VOTING_DELAY);
      expect(BigInt(await ethers.provider.getBlockNumber())).to.equal(proposedAt + VOTING_DELAY);
      expect(await f.governor.state(p.proposalId)).to.equal(STATE.Pending);
      await networkHelpers.mine(1);
      expect(await f.governor.state(p.proposalId)).to.equal(STATE.Active);
      expect(await castVote(f.governor, f.voters[1], p.proposalId, 1)).to.equal(2_000_000n * TOKEN);
      const status = await proposalStatus(f.governor, p.proposalId);
      expect(status.votesTimepoint).to.equal(proposedAt - 1n);
      expect(status.quorum).to.equal((GENESIS_SUPPLY * 4n) / 100n);
      await expect(f.governor.proposalVotesTimepoint(p.proposalId + 1n))
        .to.be.revertedWithCustomError(f.governor, "GovernorNonexistentProposal")
        .withArgs(p.proposalId + 1n);
    });

    it("tokens bought and self-delegated in the proposal's own block, before the propose transaction, weigh zero; the seller's count once", async function () {
      const f = await load();
      const [buyer] = await extraSigners();
      const seller = f.voters[2];
      const amount = 1_000_000n * TOKEN;
      const [transfer, delegate, proposal] = await inOneBlock([
        () => f.token.connect(seller).transfer(buyer.address, amount),
        () => f.token.connect(buyer).delegate(buyer.address),
        () => submitProposal(f, "same-block buyer"),
      ]);
      expect(transfer.index).to.be.lessThan(delegate.index);
      expect(delegate.index).to.be.lessThan(proposal.index);
      const p = proposalOf(f, proposal);
      // At OpenZeppelin's snapshot (the proposal's block + votingDelay) the buyer does hold the votes.
      await networkHelpers.mine(VOTING_DELAY + 1n);
      expect(await f.token.getPastVotes(buyer.address, p.voteStart)).to.equal(amount);
      await expect(f.governor.connect(buyer).castVote(p.proposalId, 1))
        .to.emit(f.governor, "VoteCast")
        .withArgs(buyer.address, p.proposalId, 1, 0n, "");
      expect(await castVote(f.governor, seller, p.proposalId, 0)).to.equal(amount);
      const [against, forVotes] = await f.governor.proposalVotes(p.proposalId);
      expect([against, forVotes]).to.deep.equal([amount, 0n]);
    });

    it("tokens acquired during the voting delay, at the snapshot and after it weigh zero, also after governance changes the delay meanwhile; tokens held the block before weigh in full", async function () {
      const f = await load();
      const { governor, voters } = f;
      const setDelay = async (blocks: bigint) => ({
        target: await governor.getAddress(),
        value: 0n,
        data: governor.interface.encodeFunctionData("setVotingDelay", [blocks]),
      });
      const latest = async () => BigInt(await ethers.provider.getBlockNumber());
      const delay = 4n;
      await pass(f, [await setDelay(delay)], "voting delay 4");
      expect(await governor.votingDelay()).to.equal(delay);
      // A second proposal, executed while the tested one is open, sets the delay back to 1.
      const lower = await propose(governor, voters[0], [await setDelay(1n)], "voting delay 1");

      const [early, inDelay, atSnapshot, afterSnapshot] = await extraSigners();
      const amount = 100_000n * TOKEN;
      // Transfer and self-delegation in one block, from the undelegated deployer (no seller's votes).
      const acquire = async (who: HardhatEthersSigner): Promise<bigint> => {
        const [, delegation] = await inOneBlock([
          () => f.token.connect(f.deployer).transfer(who.address, amount),
          () => f.token.connect(who).delegate(who.address),
        ]);
        return BigInt(delegation.blockNumber);
      };
      await networkHelpers.mine(8);
      const earlyAt = await acquire(early);
      const p = await propose(governor, voters[0], [retentionCall(f, 86_400)], "delay 4");
      const created = p.voteStart - delay;
      expect(earlyAt).to.equal(created - 1n);
      expect(await governor.proposalVotesTimepoint(p.proposalId)).to.equal(created - 1n);

      await networkHelpers.mine(1);
      expect(await acquire(inDelay)).to.equal(created + 2n);
      await networkHelpers.mine(1);
      expect(await acquire(atSnapshot)).to.equal(p.voteStart);
      expect(await governor.state(p.proposalId)).to.equal(STATE.Pending);
      expect(await acquire(afterSnapshot)).to.equal(p.voteStart + 1n);
      expect(await governor.state(p.proposalId)).to.equal(STATE.Active);

      // Execute the delay change; `proposalSnapshot - votingDelay() - 1` would now be created + 2,
      // where inDelay holds votes. The stored creation block does not move.
      await castVote(governor, voters[0], lower.proposalId, 1);
      await castVote(governor, voters[1], lower.proposalId, 1);
      await networkHelpers.mine(lower.voteEnd - (await latest()));
      await queue(governor, voters[2], lower);
      await networkHelpers.time.increase(TIMELOCK_DELAY);
      await execute(governor, f.other, lower);
      expect(await governor.votingDelay()).to.equal(1n);
      expect(await governor.state(p.proposalId)).to.equal(STATE.Active);
      expect(await governor.proposalSnapshot(p.proposalId)).to.equal(created + delay);
      expect(await governor.proposalVotesTimepoint(p.proposalId)).to.equal(created - 1n);

      for (const late of [inDelay, atSnapshot, afterSnapshot]) {
        expect(await f.token.getVotes(late.address)).to.equal(amount);
        expect(await castVote(governor, late, p.proposalId, 1)).to.equal(0n);
      }
      expect(await castVote(governor, early, p.proposalId, 1)).to.equal(amount);
      expect(await latest()).to.be.lessThanOrEqual(await governor.proposalDeadline(p.proposalId));
      const [, forVotes] = await governor.proposalVotes(p.proposalId);
      expect(forVotes).to.equal(amount);
    });

    it("the quorum uses the supply of the block before the proposal: a burn in the proposal's block does not lower it", async function () {
      const f = await load();
      const [holder] = await extraSigners();
      const held = 300_000n * TOKEN;
      await f.token.connect(f.deployer).transfer(holder.address, held);
      await f.token.connect(holder).delegate(holder.address);
      const burnt = await f.token.balanceOf(f.deployer.address);
      const [burn, proposal] = await inOneBlock([
        () => f.token.connect(f.deployer).burn(burnt),
        () => submitProposal(f, "burn before proposal"),
      ]);
      expect(burn.index).to.be.lessThan(proposal.index);
      const p = proposalOf(f, proposal);
      const created = BigInt(proposal.blockNumber);
      await networkHelpers.mine(1);
      const quorumBefore = (GENESIS_SUPPLY * 4n) / 100n; // 400k
      expect(await f.governor.quorum(created - 1n)).to.equal(quorumBefore);
      expect(await f.governor.quorum(created)).to.equal(((GENESIS_SUPPLY - burnt) * 4n) / 100n); // 252k
      expect((await proposalStatus(f.governor, p.proposalId)).quorum).to.equal(quorumBefore);
      await networkHelpers.mine(VOTING_DELAY);
      // 300k for: above the post-burn quorum (252k), below the pre-proposal one (400k).
      expect(await castVote(f.governor, holder, p.proposalId, 1)).to.equal(held);
      await networkHelpers.mine(VOTING_PERIOD + 1n);
      expect(await f.governor.state(p.proposalId)).to.equal(STATE.Defeated);
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
