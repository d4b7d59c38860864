/**
 * Shared fixture for the governance tests: the real full-protocol Ignition module (DevProtocol,
 * the same composition and hand-over as deploy/modules/Protocol.ts) with the development
 * parameters of deploy/parameters/hardhat.json, the deployment record keepers read, and voters
 * holding delegated genesis tokens. `pass()` runs a proposal through vote, queue and execute.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { readFileSync } from "node:fs";
import type { NetworkConnection } from "hardhat/types/network";
import DevProtocolModule from "../../deploy/modules/DevProtocol.js";
import { encodeProposal, parseProposalFile, type Call } from "../../scripts/lib/actions.js";
import { recordDeployment, type Deployment } from "../../scripts/lib/deployments.js";
import { castVote, execute, propose, queue, type Proposal } from "../../scripts/lib/dao.js";
import type {
  ClaimPaymaster,
  DataAvailability,
  DataCredits,
  DeviceRegistry,
  ProtocolGovernor,
  ProtocolTimelock,
  RewardDistributor,
  RewardEmission,
  RewardToken,
} from "../../types/typechain/index.js";

export const TOKEN = 10n ** 18n;
export const PARAMETERS_FILE = "deploy/parameters/hardhat.json";
export const PARAMS = (JSON.parse(readFileSync(PARAMETERS_FILE, "utf8")) as { DevProtocol: Record<string, number | string> })
  .DevProtocol;
/** Ignition parameter files write big integers as "123n". */
const big = (v: number | string): bigint => BigInt(String(v).replace(/n$/, ""));
export const VOTING_DELAY = big(PARAMS.votingDelay);
export const VOTING_PERIOD = big(PARAMS.votingPeriod);
export const TIMELOCK_DELAY = big(PARAMS.timelockDelay);
export const LATE_QUORUM_EXTENSION = big(PARAMS.lateQuorumVoteExtension);
export const GENESIS_SUPPLY = big(PARAMS.genesisSupply);

export interface ProtocolFixture {
  connection: NetworkConnection;
  deployment: Deployment;
  registry: DeviceRegistry;
  distributor: RewardDistributor;
  token: RewardToken;
  emission: RewardEmission;
  credits: DataCredits;
  da: DataAvailability;
  paymaster: ClaimPaymaster;
  timelock: ProtocolTimelock;
  governor: ProtocolGovernor;
  deployer: HardhatEthersSigner;
  /** Delegated holders: 3M, 2M and 1M tokens of the 10M genesis supply. */
  voters: [HardhatEthersSigner, HardhatEthersSigner, HardhatEthersSigner];
  other: HardhatEthersSigner;
  /** The pause-only guardian named by the parameters file (a development account). */
  guardian: HardhatEthersSigner;
}

export async function deployProtocol(connection: NetworkConnection): Promise<ProtocolFixture> {
  const { ethers, ignition, networkHelpers } = connection;
  const [deployer, a, b, c, other] = await ethers.getSigners();
  const result = await ignition.deploy(DevProtocolModule, { parameters: PARAMETERS_FILE });
  const deployment = await recordDeployment(ethers.provider, { network: "hardhat", module: "DevProtocol" }, result);
  const at = async <T>(name: string, kind: string): Promise<T> =>
    (await ethers.getContractAt(kind, deployment.contracts[name].address)) as unknown as T;
  const f: ProtocolFixture = {
    connection,
    deployment,
    registry: await at<DeviceRegistry>("deviceRegistry", "DeviceRegistry"),
    distributor: await at<RewardDistributor>("rewardDistributor", "RewardDistributor"),
    token: await at<RewardToken>("rewardToken", "RewardToken"),
    emission: await at<RewardEmission>("rewardEmission", "RewardEmission"),
    credits: await at<DataCredits>("dataCredits", "DataCredits"),
    da: await at<DataAvailability>("dataAvailability", "DataAvailability"),
    paymaster: await at<ClaimPaymaster>("claimPaymaster", "ClaimPaymaster"),
    timelock: await at<ProtocolTimelock>("timelock", "ProtocolTimelock"),
    governor: await at<ProtocolGovernor>("governor", "ProtocolGovernor"),
    deployer,
    voters: [a, b, c],
    other,
    guardian: await ethers.getSigner(String(PARAMS.guardian)),
  };
  const shares = [3_000_000n, 2_000_000n, 1_000_000n];
  for (const [i, v] of f.voters.entries()) {
    await f.token.connect(deployer).transfer(v.address, shares[i] * TOKEN);
    await f.token.connect(v).delegate(v.address);
  }
  await networkHelpers.mine(1);
  return f;
}

/** Proposes `calls` from voter 0, votes for with voters 0 and 1, queues, waits, executes. */
export async function pass(f: ProtocolFixture, calls: Call[], description: string): Promise<Proposal> {
  const { networkHelpers } = f.connection;
  const p = await propose(f.governor, f.voters[0], calls, description);
  await networkHelpers.mine(VOTING_DELAY + 1n);
  await castVote(f.governor, f.voters[0], p.proposalId, 1, "yes");
  await castVote(f.governor, f.voters[1], p.proposalId, 1);
  await networkHelpers.mine(VOTING_PERIOD + 1n);
  await queue(f.governor, f.voters[2], p);
  await networkHelpers.time.increase(TIMELOCK_DELAY);
  await execute(f.governor, f.other, p);
  return p;
}

/** Encodes a proposal file's actions against the fixture's deployment. */
export function proposalCalls(f: ProtocolFixture, file: unknown): { calls: Call[]; description: string } {
  return encodeProposal(parseProposalFile(file), f.deployment);
}
