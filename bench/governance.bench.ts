/**
 * Governance costs, measured on the in-process network with the real full-protocol deployment:
 *   deployGas          every transaction of the DevProtocol Ignition deployment, hand-over included
 *   proposeGas         propose (one action, guarded description)
 *   castVoteGas        castVoteWithReason
 *   castVoteBySigGas   castVoteWithReasonAndParamsBySig, relayed
 *   queueGas, executeGas  queue into / execute through the timelock (one action)
 *   governorBytes      deployed size of ProtocolGovernor (limit 24,576)
 */
import { network } from "hardhat";
import type { ContractTransactionResponse } from "ethers";
import { encodeAction } from "../scripts/lib/actions.js";
import { guardDescription, signVote } from "../scripts/lib/dao.js";
import { deployProtocol, TIMELOCK_DELAY, VOTING_DELAY, VOTING_PERIOD } from "../test/governance/fixture.js";
import type { BenchSuite, Figure } from "./types.js";

async function gasOf(tx: Promise<ContractTransactionResponse>): Promise<number> {
  const receipt = await (await tx).wait();
  if (!receipt) throw new Error("transaction was not mined");
  return Number(receipt.gasUsed);
}

const suite: BenchSuite = {
  name: "governance",
  async run(ctx): Promise<Figure[]> {
    const connection = await network.create();
    const { ethers, networkHelpers } = connection;
    const before = await ethers.provider.getBlockNumber();
    const f = await deployProtocol(connection);
    // Deployment gas: every deployer transaction of the fixture except its token transfers to voters.
    let deployGas = 0n;
    const last = await ethers.provider.getBlockNumber();
    for (let b = before + 1; b <= last; b++) {
      const block = await ethers.provider.getBlock(b, true);
      if (!block) break;
      for (const hash of block.transactions) {
        const tx = await ethers.provider.getTransaction(hash);
        if (tx?.from !== f.deployer.address || (tx.to !== null && tx.data.startsWith("0xa9059cbb"))) continue;
        deployGas += (await ethers.provider.getTransactionReceipt(hash))!.gasUsed;
      }
    }
    ctx.log(`governance: deployed in blocks ${before + 1}..`);
    const call = encodeAction({ action: "set retention window", seconds: 86_400 }, f.deployment);
    const description = guardDescription("# bench", f.voters[0].address);
    const proposeGas = await gasOf(f.governor.connect(f.voters[0]).propose([call.target], [0n], [call.data], description));
    const id = await f.governor.hashProposal([call.target], [0n], [call.data], ethers.id(description));
    await networkHelpers.mine(VOTING_DELAY + 1n);
    const castVoteGas = await gasOf(f.governor.connect(f.voters[0]).castVoteWithReason(id, 1, "looks right"));
    const vote = await signVote(f.governor, f.voters[1], id, 1, "looks right");
    const castVoteBySigGas = await gasOf(
      f.governor.connect(f.other).castVoteWithReasonAndParamsBySig(id, 1, vote.voter, vote.reason, vote.params, vote.signature),
    );
    await networkHelpers.mine(VOTING_PERIOD + 1n);
    const queueGas = await gasOf(f.governor.queue([call.target], [0n], [call.data], ethers.id(description)));
    await networkHelpers.time.increase(TIMELOCK_DELAY);
    const executeGas = await gasOf(f.governor.execute([call.target], [0n], [call.data], ethers.id(description)));
    const code = await ethers.provider.getCode(await f.governor.getAddress());
    return [
      {
        key: "deployGas",
        label: "full protocol deployment + hand-over",
        value: Number(deployGas),
        unit: "gas",
        note: "DevProtocol incl. mocks, EntryPoint",
      },
      { key: "proposeGas", label: "propose (1 action)", value: proposeGas, unit: "gas" },
      { key: "castVoteGas", label: "castVoteWithReason", value: castVoteGas, unit: "gas" },
      { key: "castVoteBySigGas", label: "castVote…BySig (relayed)", value: castVoteBySigGas, unit: "gas" },
      { key: "queueGas", label: "queue (1 action)", value: queueGas, unit: "gas" },
      { key: "executeGas", label: "execute (1 action)", value: executeGas, unit: "gas" },
      { key: "governorBytes", label: "ProtocolGovernor size", value: (code.length - 2) / 2, unit: "bytes", note: "limit 24,576" },
    ];
  },
};

export default suite;
