/**
 * Operator CLI: deployment status and the roles audit.
 *
 *   npx tsx scripts/ops.ts status --network localhost
 *   npx tsx scripts/ops.ts roles-audit --network localhost [--json]
 */
import { ProtocolGovernor__factory, ProtocolTimelock__factory, RewardToken__factory } from "../types/typechain/index.js";
import { auditRoles, formatAudit } from "./lib/audit.js";
import { connect, deploymentOf, runCli, toJson, type Command } from "./lib/cli.js";
import { contractAddress } from "./lib/deployments.js";

const IMPLEMENTATION_SLOT = "0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc";

const status: Command = {
  name: "status",
  summary: "deployed contracts (code, proxy implementation, start block) and governance settings",
  usage: `Usage: npx tsx scripts/ops.ts status [--network NAME] [--json]

Reads deployments/<chainId>.json and checks each contract on-chain.
  --json          machine-readable output`,
  options: { json: { type: "boolean" } },
  async run(args) {
    const connection = await connect(args);
    const provider = connection.ethers.provider;
    const d = await deploymentOf(connection, args);
    const contracts = [];
    let missing = 0;
    for (const [name, c] of Object.entries(d.contracts)) {
      const code = await provider.getCode(c.address);
      const slot = await provider.getStorage(c.address, IMPLEMENTATION_SLOT);
      const implementation = BigInt(slot) === 0n ? undefined : "0x" + slot.slice(26);
      if (code === "0x") missing++;
      contracts.push({ name, address: c.address, startBlock: c.startBlock, code: code !== "0x", implementation });
    }
    const governor = ProtocolGovernor__factory.connect(contractAddress(d, "governor"), provider);
    const timelock = ProtocolTimelock__factory.connect(contractAddress(d, "timelock"), provider);
    const token = RewardToken__factory.connect(contractAddress(d, "rewardToken"), provider);
    const clock = await governor.clock();
    const governance = {
      clockMode: await governor.CLOCK_MODE(),
      clock,
      votingDelay: await governor.votingDelay(),
      votingPeriod: await governor.votingPeriod(),
      lateQuorumVoteExtension: await governor.lateQuorumVoteExtension(),
      proposalThreshold: await governor.proposalThreshold(),
      quorumPercent: await governor["quorumNumerator()"](),
      quorumNow: await governor.quorum(clock - 1n),
      timelockDelaySeconds: await timelock.getMinDelay(),
      tokenSupply: await token.totalSupply(),
    };
    const out = {
      chainId: d.chainId,
      network: d.network,
      module: d.module,
      block: await provider.getBlockNumber(),
      contracts,
      governance,
    };
    if (args.json) console.log(toJson(out));
    else {
      console.log(`chain ${d.chainId} (${d.network}), module ${d.module}, block ${out.block}`);
      for (const c of contracts) {
        const impl = c.implementation ? ` → implementation ${c.implementation}` : "";
        console.log(`  ${c.code ? "ok  " : "MISSING"} ${c.name.padEnd(32)} ${c.address} from block ${c.startBlock}${impl}`);
      }
      console.log("governance:");
      for (const [k, v] of Object.entries(governance)) console.log(`  ${k.padEnd(24)} ${String(v)}`);
    }
    return missing === 0 ? 0 : 1;
  },
};

const rolesAudit: Command = {
  name: "roles-audit",
  summary: "who holds every role and ownership, and the verifiers' key provenance; exit 1 on a finding",
  usage: `Usage: npx tsx scripts/ops.ts roles-audit [--network NAME] [--json]

Enumerates AccessControl role holders (RoleGranted/RoleRevoked events since each contract's
start block, confirmed with hasRole) and Ownable owners/pending owners of every contract in
deployments/<chainId>.json. Fails (exit 1) when an externally owned account holds an
admin-type role (anything but OPERATOR_ROLE, DISTRIBUTOR_ROLE, EXECUTOR_ROLE) or an ownership.
Also asks every verifier the RewardDistributor uses for its key provenance (devKeys(), keyId(),
keyProvenance()) and fails when one has development keys, or declares none, on a chain that is
not a local development chain (31337, 1337): such proofs can be forged by anyone.
  --json          machine-readable output`,
  options: { json: { type: "boolean" } },
  async run(args) {
    const connection = await connect(args);
    const report = await auditRoles(connection.ethers.provider, await deploymentOf(connection, args));
    console.log(args.json ? toJson(report) : formatAudit(report));
    return report.ok ? 0 : 1;
  },
};

process.exit(
  await runCli("scripts/ops.ts", "Operator tools for a deployed protocol.", [status, rolesAudit], process.argv.slice(2)),
);
