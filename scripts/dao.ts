/**
 * DAO member CLI: propose from a JSON file of named actions, read a proposal's state, vote
 * (directly or by signature, with a reason), queue and execute; list the known actions; prepare
 * a validated UUPS upgrade as an action.
 *
 *   npx tsx scripts/dao.ts actions
 *   npx tsx scripts/dao.ts propose --file proposal.json --from 1
 *   npx tsx scripts/dao.ts state --id <proposalId>
 *   npx tsx scripts/dao.ts vote --id <id> --support for --reason "…" --from 2
 *   npx tsx scripts/dao.ts vote-by-sig sign --id <id> --support against --from 3 --out vote.json
 *   npx tsx scripts/dao.ts vote-by-sig submit --in vote.json --from 0
 *   npx tsx scripts/dao.ts queue --id <id>
 *   npx tsx scripts/dao.ts execute --id <id>
 */
import { readFileSync, writeFileSync } from "node:fs";
import { ProtocolGovernor__factory, RewardToken__factory, type ProtocolGovernor } from "../types/typechain/index.js";
import { ACTIONS, describeCalls, encodeProposal, parseProposalFile } from "./lib/actions.js";
import { connect, deploymentOf, required, runCli, signer, toJson, UsageError, type Command } from "./lib/cli.js";
import {
  castVote,
  execute,
  findProposal,
  parseSupport,
  propose,
  proposalStatus,
  queue,
  signVote,
  submitSignedVote,
  waitUntilReady,
  type SignedVote,
} from "./lib/dao.js";
import { contractAddress, type Deployment } from "./lib/deployments.js";

type Args = Record<string, string | boolean | undefined>;

async function governorOf(
  args: Args,
  readOnly = false,
): Promise<{ governor: ProtocolGovernor; deployment: Deployment; connection: Awaited<ReturnType<typeof connect>> }> {
  const connection = await connect(args, { readOnly });
  const deployment = await deploymentOf(connection, args);
  const governor = ProtocolGovernor__factory.connect(contractAddress(deployment, "governor"), connection.ethers.provider);
  return { governor, deployment, connection };
}

function proposalId(args: Args): bigint {
  const raw = required(args, "id");
  if (!/^[0-9]+$/.test(raw)) throw new UsageError(`--id must be a decimal proposal id (got ${raw})`);
  return BigInt(raw);
}

const FROM = { from: { type: "string" } } as const;
const FROM_HELP = "  --from ACCOUNT   signer index or address (default 0)";
const WAIT = { wait: { type: "boolean" }, timeout: { type: "string" } } as const;
const WAIT_HELP = `  --wait           first wait until the proposal is ready for this step (progress on stdout)
  --timeout S      give up waiting after S seconds (default 600)`;

function waitOptions(args: Args): { timeoutMs: number; say: (l: string) => void } {
  const raw = typeof args.timeout === "string" ? args.timeout : "600";
  if (!/^[1-9][0-9]{0,6}$/.test(raw)) throw new UsageError(`--timeout must be a number of seconds (got ${raw})`);
  return { timeoutMs: Number(raw) * 1000, say: (l) => console.log(l) };
}

const actions: Command = {
  name: "actions",
  summary: "list the named actions a proposal file may use",
  usage: "Usage: npx tsx scripts/dao.ts actions",
  options: {},
  async run() {
    for (const a of ACTIONS) {
      const fields = [...(a.contract === "*" ? ["contract"] : []), ...a.params.map(([n, t]) => `${n}:${t}`)];
      console.log(
        `"${a.name}"  {${fields.join(", ")}}  → ${a.contract === "*" ? "<contract>" : a.contract}.${a.fn} — ${a.summary}`,
      );
    }
  },
};

const delegate: Command = {
  name: "delegate",
  summary: "delegate your reward-token votes (to yourself to vote directly); needed once before voting",
  usage: `Usage: npx tsx scripts/dao.ts delegate [--to ADDRESS] [--from ACCOUNT]
Voting power is checkpointed: it counts for proposals created in a later block than this transaction.
  --to ADDRESS     delegatee (default: yourself)
${FROM_HELP}`,
  options: { to: { type: "string" }, ...FROM },
  async run(args) {
    const { deployment, connection } = await governorOf(args);
    const who = await signer(connection, args.from);
    const token = RewardToken__factory.connect(contractAddress(deployment, "rewardToken"), who);
    const to = typeof args.to === "string" ? args.to : who.address;
    await (await token.delegate(to)).wait();
    console.log(`${who.address} delegates to ${to}: ${await token.getVotes(to)} votes`);
  },
};

const proposeCmd: Command = {
  name: "propose",
  summary: "submit a proposal from a JSON file of named actions (front-running guarded)",
  usage: `Usage: npx tsx scripts/dao.ts propose --file FILE [--from ACCOUNT] [--dry-run]

FILE: { "title": "…", "description": "…", "actions": [ { "action": "set retention window", "seconds": 604800 }, … ] }
The description gets the suffix #proposer=<your address>: nobody else can submit (and so cancel) it.
  --file FILE      the proposal file
${FROM_HELP}
  --dry-run        print the calls, send nothing`,
  options: { file: { type: "string" }, "dry-run": { type: "boolean" }, ...FROM },
  async run(args) {
    const { governor, deployment, connection } = await governorOf(args);
    const file = parseProposalFile(JSON.parse(readFileSync(required(args, "file"), "utf8")) as unknown);
    const { calls, description } = encodeProposal(file, deployment);
    console.log("calls:");
    for (const line of describeCalls(calls, deployment)) console.log(`  ${line}`);
    if (args["dry-run"]) return;
    const p = await propose(governor, await signer(connection, args.from), calls, description);
    console.log(toJson({ proposalId: p.proposalId, proposer: p.proposer, voteStart: p.voteStart, voteEnd: p.voteEnd }));
  },
};

const state: Command = {
  name: "state",
  summary: "a proposal's state, votes, quorum, deadlines and calls",
  usage: `Usage: npx tsx scripts/dao.ts state --id ID [--json]
  --id ID          proposal id (decimal)
  --json           machine-readable output`,
  options: { id: { type: "string" }, json: { type: "boolean" } },
  async run(args) {
    const { governor, deployment } = await governorOf(args, true);
    const id = proposalId(args);
    const p = await findProposal(governor, id, deployment.contracts.governor.startBlock);
    const s = await proposalStatus(governor, id);
    const calls = describeCalls(
      p.targets.map((t, i) => ({ target: t, value: p.values[i], data: p.calldatas[i] })),
      deployment,
    );
    if (args.json) console.log(toJson({ ...s, calls, description: p.description }));
    else {
      console.log(
        `proposal ${id}: ${s.state} (clock ${s.clock}, votes read at ${s.votesTimepoint}, voting opens after ${s.snapshot}, deadline ${s.deadline}${s.eta ? `, executable at ${new Date(Number(s.eta) * 1000).toISOString()}` : ""})`,
      );
      console.log(`votes: for ${s.votes.for}, against ${s.votes.against}, abstain ${s.votes.abstain}; quorum ${s.quorum}`);
      console.log(`proposer ${s.proposer}`);
      for (const c of calls) console.log(`  ${c}`);
    }
  },
};

const vote: Command = {
  name: "vote",
  summary: "vote for / against / abstain, optionally with a reason",
  usage: `Usage: npx tsx scripts/dao.ts vote --id ID --support for|against|abstain [--reason TEXT] [--wait [--timeout S]] [--from ACCOUNT]
${WAIT_HELP}
${FROM_HELP}`,
  options: { id: { type: "string" }, support: { type: "string" }, reason: { type: "string" }, ...WAIT, ...FROM },
  async run(args) {
    const { governor, connection } = await governorOf(args);
    const support = parseSupport(required(args, "support"));
    if (args.wait) await waitUntilReady(governor, proposalId(args), "vote", waitOptions(args));
    const weight = await castVote(
      governor,
      await signer(connection, args.from),
      proposalId(args),
      support,
      (args.reason as string | undefined) ?? "",
    );
    console.log(`voted with weight ${weight}`);
  },
};

const voteBySig: Command = {
  name: "vote-by-sig",
  summary: "sign a vote offline (sign) or relay a signed vote (submit)",
  usage: `Usage: npx tsx scripts/dao.ts vote-by-sig sign --id ID --support for|against|abstain [--reason TEXT] [--from VOTER] [--out FILE]
       npx tsx scripts/dao.ts vote-by-sig submit --in FILE [--from RELAYER]
"sign" signs an EIP-712 ExtendedBallot (no transaction, no gas) and writes it to FILE (or stdout);
"submit" sends it from any account: the vote counts for the signer.
${FROM_HELP}`,
  subcommands: ["sign", "submit"],
  options: {
    id: { type: "string" },
    support: { type: "string" },
    reason: { type: "string" },
    out: { type: "string" },
    in: { type: "string" },
    ...FROM,
  },
  async run(args) {
    const { governor, connection } = await governorOf(args);
    const who = await signer(connection, args.from);
    if (args.subcommand === "sign") {
      const v = await signVote(
        governor,
        who,
        proposalId(args),
        parseSupport(required(args, "support")),
        (args.reason as string | undefined) ?? "",
      );
      if (typeof args.out === "string") writeFileSync(args.out, toJson(v) + "\n");
      else console.log(toJson(v));
      return;
    }
    if (args.subcommand === "submit") {
      const v = JSON.parse(readFileSync(required(args, "in"), "utf8")) as SignedVote;
      const weight = await submitSignedVote(governor, who, v);
      console.log(`relayed the vote of ${v.voter} with weight ${weight}`);
      return;
    }
    throw new UsageError("say `sign` or `submit`");
  },
};

const queueCmd: Command = {
  name: "queue",
  summary: "queue a succeeded proposal in the timelock",
  usage: `Usage: npx tsx scripts/dao.ts queue --id ID [--wait [--timeout S]] [--from ACCOUNT]
${WAIT_HELP}
${FROM_HELP}`,
  options: { id: { type: "string" }, ...WAIT, ...FROM },
  async run(args) {
    const { governor, deployment, connection } = await governorOf(args);
    const p = await findProposal(governor, proposalId(args), deployment.contracts.governor.startBlock);
    if (args.wait) await waitUntilReady(governor, p.proposalId, "queue", waitOptions(args));
    await queue(governor, await signer(connection, args.from), p);
    const s = await proposalStatus(governor, p.proposalId);
    console.log(`queued; executable at ${new Date(Number(s.eta) * 1000).toISOString()}`);
  },
};

const executeCmd: Command = {
  name: "execute",
  summary: "execute a queued proposal whose timelock delay has passed",
  usage: `Usage: npx tsx scripts/dao.ts execute --id ID [--wait [--timeout S]] [--from ACCOUNT]
${WAIT_HELP}
${FROM_HELP}`,
  options: { id: { type: "string" }, ...WAIT, ...FROM },
  async run(args) {
    const { governor, deployment, connection } = await governorOf(args);
    const p = await findProposal(governor, proposalId(args), deployment.contracts.governor.startBlock);
    if (args.wait) await waitUntilReady(governor, p.proposalId, "execute", waitOptions(args));
    await execute(governor, await signer(connection, args.from), p);
    console.log("executed");
  },
};

const prepareUpgradeCmd: Command = {
  name: "prepare-upgrade",
  summary: "validate a UUPS upgrade's storage layout, deploy the implementation, print the action",
  usage: `Usage: npx tsx scripts/dao.ts prepare-upgrade --contract NAME --current ARTIFACT --next ARTIFACT [--link LIB=ADDRESS|NAME]… [--out FILE] [--from ACCOUNT]
  --contract NAME     the proxy's name in the deployment (e.g. dataAvailability)
  --current ARTIFACT  the implementation it runs now (e.g. DataAvailability)
  --next ARTIFACT     the new implementation (refused if its layout or code is unsafe)
  --link LIB=TARGET   an external library both versions link, by address or deployment name
                      (e.g. --link P256Verifier=p256Verifier for the device registry)
  --out FILE          write a proposal file with the upgrade action
${FROM_HELP}`,
  options: {
    link: { type: "string", multiple: true },
    contract: { type: "string" },
    current: { type: "string" },
    next: { type: "string" },
    out: { type: "string" },
    ...FROM,
  },
  async run(args) {
    const { connection, deployment } = await governorOf(args);
    const libraries: Record<string, string> = {};
    for (const spec of (args.link as unknown as string[] | undefined) ?? []) {
      const [lib, target] = spec.split("=");
      if (!lib || !target) throw new UsageError(`--link ${spec}: write LIB=ADDRESS or LIB=DEPLOYMENT_NAME`);
      libraries[lib] = target.startsWith("0x") ? target : contractAddress(deployment, target);
    }
    const [{ default: hre }, { prepareUpgrade }] = await Promise.all([import("hardhat"), import("./lib/upgrade.js")]);
    const prepared = await prepareUpgrade(hre, connection, {
      proxyName: required(args, "contract"),
      fromContract: required(args, "current"),
      toContract: required(args, "next"),
      libraries,
    });
    const file = {
      title: `Upgrade ${String(args.contract)} to ${String(args.next)}`,
      description: "",
      actions: [prepared.action],
    };
    if (typeof args.out === "string") writeFileSync(args.out, toJson(file) + "\n");
    console.log(toJson(file));
  },
};

process.exit(
  await runCli(
    "scripts/dao.ts",
    "Governance for token holders: proposals from named actions, votes, queue, execute.",
    [actions, delegate, proposeCmd, state, vote, voteBySig, queueCmd, executeCmd, prepareUpgradeCmd],
    process.argv.slice(2),
  ),
);
