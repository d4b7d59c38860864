/**
 * Governance operations shared by the DAO CLI (scripts/dao.ts) and the tests: propose with
 * front-running protection, read a proposal's state, vote (directly or by EIP-712 signature,
 * with a reason), queue and execute.
 */
import { keccak256, toUtf8Bytes, type Result, type Signer, type TypedDataDomain } from "ethers";
import type { ProtocolGovernor } from "../../types/typechain/index.js";
import type { Call } from "./actions.js";

import { PROPOSAL_STATES } from "../../keepers/common/errors.js";

export { PROPOSAL_STATES };
export type ProposalStateName = (typeof PROPOSAL_STATES)[number];

export const SUPPORT = { against: 0, for: 1, abstain: 2 } as const;
export type SupportName = keyof typeof SUPPORT;

export class DaoError extends Error {
  override name = "DaoError";
}

export function parseSupport(raw: string): number {
  const s = raw.trim().toLowerCase();
  if (s in SUPPORT) return SUPPORT[s as SupportName];
  throw new DaoError(`support must be one of for, against, abstain (got "${raw}")`);
}

/**
 * Appends OpenZeppelin's front-running guard: Governor.propose only accepts a description ending
 * in `#proposer=<address>` from that address, so a copied proposal cannot be submitted (and then
 * cancelled) by someone else.
 */
export function guardDescription(description: string, proposer: string): string {
  return `${description}\n\n#proposer=${proposer.toLowerCase()}`;
}

export interface Proposal {
  proposalId: bigint;
  proposer: string;
  targets: string[];
  values: bigint[];
  calldatas: string[];
  description: string;
  descriptionHash: string;
  voteStart: bigint;
  voteEnd: bigint;
}

export async function propose(
  governor: ProtocolGovernor,
  proposer: Signer,
  calls: Call[],
  description: string,
): Promise<Proposal> {
  const from = await proposer.getAddress();
  const full = guardDescription(description, from);
  const g = governor.connect(proposer);
  const tx = await g.propose(
    calls.map((c) => c.target),
    calls.map((c) => c.value),
    calls.map((c) => c.data),
    full,
  );
  const receipt = await tx.wait();
  if (!receipt) throw new DaoError("propose transaction was dropped");
  for (const log of receipt.logs) {
    const parsed = governor.interface.parseLog(log);
    if (parsed?.name === "ProposalCreated") return proposalFromEvent(parsed.args);
  }
  throw new DaoError("propose transaction emitted no ProposalCreated");
}

/**
 * ProposalCreated(proposalId, proposer, targets, values, signatures, calldatas, voteStart,
 * voteEnd, description), read by position: `values` would be the ethers Result's own method.
 */
function proposalFromEvent(a: Result | { readonly [i: number]: unknown }): Proposal {
  const description = a[8] as string;
  return {
    proposalId: a[0] as bigint,
    proposer: a[1] as string,
    targets: [...(a[2] as string[])],
    values: [...(a[3] as bigint[])],
    calldatas: [...(a[5] as string[])],
    description,
    descriptionHash: keccak256(toUtf8Bytes(description)),
    voteStart: a[6] as bigint,
    voteEnd: a[7] as bigint,
  };
}

/** Finds a proposal's actions from its ProposalCreated event (scanning from `fromBlock`). */
export async function findProposal(governor: ProtocolGovernor, proposalId: bigint, fromBlock = 0): Promise<Proposal> {
  const events = await governor.queryFilter(governor.filters.ProposalCreated(), fromBlock, "latest");
  for (const e of events) {
    if (e.args.proposalId === proposalId) return proposalFromEvent(e.args);
  }
  throw new DaoError(`proposal ${proposalId} not found on governor ${await governor.getAddress()} since block ${fromBlock}`);
}

export interface ProposalStatus {
  proposalId: bigint;
  state: ProposalStateName;
  proposer: string;
  /** End of the voting delay: Pending up to this block, Active after it. */
  snapshot: bigint;
  /** The block before the proposal's: voting power and the quorum's supply are read here. */
  votesTimepoint: bigint;
  deadline: bigint;
  /** Timelock ready time (unix seconds) once queued, else 0. */
  eta: bigint;
  quorum: bigint;
  votes: { against: bigint; for: bigint; abstain: bigint };
  clock: bigint;
}

export async function proposalStatus(governor: ProtocolGovernor, proposalId: bigint): Promise<ProposalStatus> {
  const state = PROPOSAL_STATES[Number(await governor.state(proposalId))];
  const snapshot = await governor.proposalSnapshot(proposalId);
  const votesTimepoint = await governor.proposalVotesTimepoint(proposalId);
  const clock = await governor.clock();
  const [against, forVotes, abstain] = await governor.proposalVotes(proposalId);
  return {
    proposalId,
    state,
    proposer: await governor.proposalProposer(proposalId),
    snapshot,
    votesTimepoint,
    deadline: await governor.proposalDeadline(proposalId),
    eta: await governor.proposalEta(proposalId),
    // Always in the past, so final from the proposal's creation on.
    quorum: await governor.quorum(votesTimepoint),
    votes: { against, for: forVotes, abstain },
    clock,
  };
}

export async function castVote(
  governor: ProtocolGovernor,
  voter: Signer,
  proposalId: bigint,
  support: number,
  reason = "",
): Promise<bigint> {
  const g = governor.connect(voter);
  const tx = reason ? await g.castVoteWithReason(proposalId, support, reason) : await g.castVote(proposalId, support);
  const receipt = await tx.wait();
  for (const log of receipt?.logs ?? []) {
    const parsed = governor.interface.parseLog(log);
    if (parsed?.name === "VoteCast") return parsed.args.weight as bigint;
  }
  throw new DaoError("vote transaction emitted no VoteCast");
}

/** A vote signed off-chain by the voter, to be submitted by anyone (a relayer pays the gas). */
export interface SignedVote {
  proposalId: string;
  support: number;
  voter: string;
  reason: string;
  params: string;
  signature: string;
}

async function domainOf(governor: ProtocolGovernor): Promise<TypedDataDomain> {
  const d = await governor.eip712Domain();
  return { name: d.name, version: d.version, chainId: d.chainId, verifyingContract: d.verifyingContract };
}

/** Signs an ExtendedBallot (EIP-712) for castVoteWithReasonAndParamsBySig; no transaction. */
export async function signVote(
  governor: ProtocolGovernor,
  voter: Signer,
  proposalId: bigint,
  support: number,
  reason = "",
): Promise<SignedVote> {
  const address = await voter.getAddress();
  const nonce = await governor.nonces(address);
  const params = "0x";
  const signature = await voter.signTypedData(
    await domainOf(governor),
    {
      ExtendedBallot: [
        { name: "proposalId", type: "uint256" },
        { name: "support", type: "uint8" },
        { name: "voter", type: "address" },
        { name: "nonce", type: "uint256" },
        { name: "reason", type: "string" },
        { name: "params", type: "bytes" },
      ],
    },
    { proposalId, support, voter: address, nonce, reason, params },
  );
  return { proposalId: proposalId.toString(), support, voter: address, reason, params, signature };
}

/** Submits a signed vote from `relayer`; the vote counts for the signer, not the relayer. */
export async function submitSignedVote(governor: ProtocolGovernor, relayer: Signer, vote: SignedVote): Promise<bigint> {
  const tx = await governor
    .connect(relayer)
    .castVoteWithReasonAndParamsBySig(
      BigInt(vote.proposalId),
      vote.support,
      vote.voter,
      vote.reason,
      vote.params,
      vote.signature,
    );
  const receipt = await tx.wait();
  for (const log of receipt?.logs ?? []) {
    const parsed = governor.interface.parseLog(log);
    if (parsed?.name === "VoteCast" || parsed?.name === "VoteCastWithParams") return parsed.args.weight as bigint;
  }
  throw new DaoError("vote transaction emitted no VoteCast");
}

/**
 * Waits until the proposal can take its next step: `vote` needs Active (the voting delay over),
 * `queue` needs Succeeded (voting over, quorum
 * and majority reached), `execute` needs Queued with its timelock ETA passed. Reports progress
 * through `say` when the state or the remaining wait changes; fails at once on a state that can
 * never get there (Defeated, Canceled, Expired, Executed) and after `timeoutMs`.
 */
export async function waitUntilReady(
  governor: ProtocolGovernor,
  proposalId: bigint,
  step: "vote" | "queue" | "execute",
  opts: { timeoutMs: number; pollMs?: number; say?: (line: string) => void; now?: () => Promise<bigint> },
): Promise<void> {
  const until = Date.now() + opts.timeoutMs;
  const runner = governor.runner?.provider;
  const chainNow =
    opts.now ?? (async () => BigInt((await runner?.getBlock("latest"))?.timestamp ?? Math.floor(Date.now() / 1000)));
  let lastState = "";
  let lastSaid = 0;
  for (;;) {
    const s = await proposalStatus(governor, proposalId);
    const dead = ["Defeated", "Canceled", "Expired", "Executed"].includes(s.state);
    if (dead)
      throw new DaoError(`proposal ${proposalId} is ${s.state}: it cannot be ${step === "vote" ? "voted on" : `${step}d`}`);
    let line: string;
    if (step === "vote") {
      if (s.state === "Active") return;
      if (s.state !== "Pending") throw new DaoError(`proposal ${proposalId} is ${s.state}: voting is over`);
      line = `waiting: voting opens after ${s.snapshot} (clock ${s.clock})`;
    } else if (step === "queue") {
      if (s.state === "Succeeded") return;
      if (s.state === "Queued") throw new DaoError(`proposal ${proposalId} is already Queued: execute it`);
      line =
        s.state === "Pending"
          ? `waiting: voting opens after ${s.snapshot} (clock ${s.clock})`
          : `waiting: voting ends at ${s.deadline} (clock ${s.clock}); for ${s.votes.for}, against ${s.votes.against}, quorum ${s.quorum}`;
    } else {
      if (s.state !== "Queued") throw new DaoError(`proposal ${proposalId} is ${s.state}: queue it first`);
      const now = await chainNow();
      if (now >= s.eta) return;
      line = `waiting: the timelock releases it at ${new Date(Number(s.eta) * 1000).toISOString()} (${s.eta - now} s)`;
    }
    // A line when the state changes, else every 10 s.
    if (s.state !== lastState || Date.now() - lastSaid >= 10_000) {
      opts.say?.(line);
      lastState = s.state;
      lastSaid = Date.now();
    }
    if (Date.now() > until) throw new DaoError(`timed out after ${opts.timeoutMs / 1000} s: ${line}`);
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 1000));
  }
}

export async function queue(governor: ProtocolGovernor, signer: Signer, p: Proposal): Promise<void> {
  const tx = await governor.connect(signer).queue(p.targets, p.values, p.calldatas, p.descriptionHash);
  await tx.wait();
}

export async function execute(governor: ProtocolGovernor, signer: Signer, p: Proposal): Promise<void> {
  const value = p.values.reduce((a, b) => a + b, 0n);
  const tx = await governor.connect(signer).execute(p.targets, p.values, p.calldatas, p.descriptionHash, { value });
  await tx.wait();
}
