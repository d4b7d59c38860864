/**
 * Governance: the ProtocolTimelock and the ProtocolGovernor voting with the reward token.
 *
 * Parameters (read from the enclosing module: "Governance" standalone, or the protocol module):
 *   governorName              EIP-712 name of the governor (default "DePIN Governor")
 *   votingDelay               blocks between proposing and voting (the snapshot; default 7,200 ≈ 1 day)
 *   votingPeriod              blocks voting stays open (default 50,400 ≈ 1 week)
 *   proposalThreshold         votes needed to propose, wei (default 100,000 tokens)
 *   quorumNumerator           quorum, percent of supply at the snapshot (default 4)
 *   lateQuorumVoteExtension   blocks voting stays open after a late quorum (default 14,400 ≈ 2 days)
 *   timelockDelay             seconds between queueing and executing (default 2 days)
 *
 * The reward token's clock is block numbers (ERC20Votes default, CLOCK_MODE "mode=blocknumber&
 * from=default"), so the voting settings are in blocks; the timelock delay is in seconds.
 *
 * The timelock starts with a zero delay and the deployer as its bootstrap admin, so the
 * deployment's hand-over step can accept Ownable2Step ownerships in the timelock's name; the
 * hand-over then raises the delay to `timelockDelay` and renounces the deployer's roles
 * (deploy/handover.ts). Standalone (this module alone) the hand-over is not run.
 */
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import type { IgnitionModuleBuilder } from "@nomicfoundation/ignition-core";
import { ZeroAddress, id } from "ethers";
import type { AddressArg } from "../types.js";

export const PROPOSER_ROLE = id("PROPOSER_ROLE");
export const CANCELLER_ROLE = id("CANCELLER_ROLE");
export const EXECUTOR_ROLE = id("EXECUTOR_ROLE");
const TOKEN = 10n ** 18n;

export function buildGovernance(m: IgnitionModuleBuilder, inputs: { token: AddressArg }) {
  const deployer = m.getAccount(0);
  // Executors: address(0) = anyone may execute a ready operation.
  const timelock = m.contract("ProtocolTimelock", [0n, [], [ZeroAddress], deployer]);
  const governor = m.contract("ProtocolGovernor", [
    m.getParameter("governorName", "DePIN Governor"),
    inputs.token,
    timelock,
    {
      votingDelay: m.getParameter("votingDelay", 7_200n),
      votingPeriod: m.getParameter("votingPeriod", 50_400n),
      proposalThreshold: m.getParameter("proposalThreshold", 100_000n * TOKEN),
      quorumNumerator: m.getParameter("quorumNumerator", 4n),
      lateQuorumVoteExtension: m.getParameter("lateQuorumVoteExtension", 14_400n),
    },
  ]);
  const grantProposer = m.call(timelock, "grantRole", [PROPOSER_ROLE, governor], { id: "TimelockProposerToGovernor" });
  const grantCanceller = m.call(timelock, "grantRole", [CANCELLER_ROLE, governor], {
    id: "TimelockCancellerToGovernor",
  });
  return { timelock, governor, governorRoles: [grantProposer, grantCanceller] };
}

export default buildModule("Governance", (m) => {
  const { timelock, governor } = buildGovernance(m, { token: m.getParameter<string>("token") });
  return { timelock, governor };
});
