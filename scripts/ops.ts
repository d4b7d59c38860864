/**
 * Operator CLI: deployment status, the roles audit, and a sequencer's bond.
 *
 *   npx tsx scripts/ops.ts status --network localhost
 *   npx tsx scripts/ops.ts roles-audit --network localhost [--json]
 *   npx tsx scripts/ops.ts sequencer [--address 0x…]          (read-only)
 *   npx tsx scripts/ops.ts bond --amount 1.5 [--from N]      (ETH)
 *   npx tsx scripts/ops.ts unbond [--from N]
 *   npx tsx scripts/ops.ts withdraw-bond [--to 0x…] [--from N]
 */
import { ProtocolGovernor__factory, ProtocolTimelock__factory, RewardToken__factory } from "../types/typechain/index.js";
import { auditRoles, formatAudit } from "./lib/audit.js";
import { formatEther, isAddress, parseEther } from "ethers";
import type { NetworkConnection } from "hardhat/types/network";
import { UsageError, connect, deploymentOf, required, runCli, signer, toJson, type Command } from "./lib/cli.js";
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
    const connection = await connect(args, { readOnly: true });
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
    const connection = await connect(args, { readOnly: true });
    const report = await auditRoles(connection.ethers.provider, await deploymentOf(connection, args));
    console.log(args.json ? toJson(report) : formatAudit(report));
    return report.ok ? 0 : 1;
  },
};

async function dataAvailability(connection: NetworkConnection, args: Record<string, string | boolean | undefined>) {
  const d = await deploymentOf(connection, args);
  return connection.ethers.getContractAt("DataAvailability", contractAddress(d, "dataAvailability"));
}

/** A sequencer's standing in words: in the set, bond vs minimum, unbonding, open batches. */
async function describeSequencer(da: Awaited<ReturnType<typeof dataAvailability>>, who: string): Promise<string> {
  const s = await da.sequencer(who);
  const min = await da.minBond();
  const lines = [
    `sequencer ${who}: ${s.active ? "in the sequencer set" : "NOT in the sequencer set (governance adds sequencers: see docs/governance.md)"}`,
    `  bond ${formatEther(s.bond)} ETH (minimum ${formatEther(min)}, slash per forged batch ${formatEther(await da.slashAmount())})`,
  ];
  if (s.unbondingSince !== 0n) {
    lines.push(
      `  unbonding since ${new Date(Number(s.unbondingSince) * 1000).toISOString()} (delay ${await da.unbondingDelay()} s); cannot commit`,
    );
  }
  lines.push(`  can commit now: ${(await da.isBondedSequencer(who)) ? "yes" : "no"}`);
  return lines.join("\n");
}

const sequencerCmd: Command = {
  name: "sequencer",
  summary: "a sequencer's membership, bond and unbonding state (read-only, no key needed)",
  usage: `Usage: npm run ops -- sequencer [--address 0x… | --from N]

  --address ADDR   the sequencer to show (default: the --from account)
  --from N|ADDR    account index or address (default 0)`,
  options: { address: { type: "string" }, from: { type: "string" } },
  async run(args) {
    if (typeof args.address === "string" && !isAddress(args.address))
      throw new UsageError(`--address is not an address (${args.address})`);
    const connection = await connect(args, { readOnly: typeof args.address === "string" });
    const who = typeof args.address === "string" ? args.address : (await signer(connection, args.from)).address;
    console.log(await describeSequencer(await dataAvailability(connection, args), who));
    return 0;
  },
};

const bondCmd: Command = {
  name: "bond",
  summary: "deposit a sequencer bond (ETH) so the account may commit batches",
  usage: `Usage: npm run ops -- bond --amount ETH [--from N]

A sequencer must be in the set (a governance decision) and hold at least minBond; each batch it
commits keeps part of the bond at stake until the batch's challenge window ends.
  --amount ETH     bond to add, in ETH (e.g. 1.5)
  --from N|ADDR    the sequencer account (index or address; default 0)`,
  options: { amount: { type: "string" }, from: { type: "string" } },
  async run(args) {
    const raw = required(args, "amount");
    let value: bigint;
    try {
      value = parseEther(raw);
    } catch {
      throw new UsageError(`--amount must be an ETH amount such as 1.5 (got ${raw})`);
    }
    if (value <= 0n) throw new UsageError("--amount must be positive");
    const connection = await connect(args);
    const me = await signer(connection, args.from);
    const da = await dataAvailability(connection, args);
    const rc = await (await da.connect(me).depositBond({ value })).wait();
    console.log(`bonded ${formatEther(value)} ETH in ${rc!.hash}`);
    console.log(await describeSequencer(da, me.address));
    return 0;
  },
};

const unbondCmd: Command = {
  name: "unbond",
  summary: "start unbonding: stop committing; the bond can be withdrawn after the unbonding delay",
  usage: `Usage: npm run ops -- unbond [--from N]

  --from N|ADDR    the sequencer account (index or address; default 0)`,
  options: { from: { type: "string" } },
  async run(args) {
    const connection = await connect(args);
    const me = await signer(connection, args.from);
    const da = await dataAvailability(connection, args);
    const rc = await (await da.connect(me).startUnbonding()).wait();
    console.log(`unbonding started in ${rc!.hash}`);
    console.log(await describeSequencer(da, me.address));
    return 0;
  },
};

const withdrawBondCmd: Command = {
  name: "withdraw-bond",
  summary: "withdraw the whole bond once the unbonding delay has passed",
  usage: `Usage: npm run ops -- withdraw-bond [--to 0x…] [--from N]

  --to ADDR        receiver (default: the sequencer account)
  --from N|ADDR    the sequencer account (index or address; default 0)`,
  options: { to: { type: "string" }, from: { type: "string" } },
  async run(args) {
    if (typeof args.to === "string" && !isAddress(args.to)) throw new UsageError(`--to is not an address (${args.to})`);
    const connection = await connect(args);
    const me = await signer(connection, args.from);
    const da = await dataAvailability(connection, args);
    const bond = (await da.sequencer(me.address)).bond;
    const to = typeof args.to === "string" ? args.to : me.address;
    const rc = await (await da.connect(me).withdrawBond(to)).wait();
    console.log(`withdrew ${formatEther(bond)} ETH to ${to} in ${rc!.hash}`);
    return 0;
  },
};

process.exit(
  await runCli(
    "scripts/ops.ts",
    "Operator tools for a deployed protocol.",
    [status, rolesAudit, sequencerCmd, bondCmd, unbondCmd, withdrawBondCmd],
    process.argv.slice(2),
  ),
);
