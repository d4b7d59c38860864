/**
 * Plumbing shared by the operator and DAO CLIs: argument parsing with per-command help, the
 * network connection (any network in hardhat.config.ts; accounts from the node or the Hardhat
 * keystore via configVariable), signer selection and the deployment record.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { NetworkConnection } from "hardhat/types/network";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { describeRevert } from "../../keepers/common/errors.js";
import { deploymentFor, type Deployment } from "./deployments.js";

export class UsageError extends Error {
  override name = "UsageError";
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig["options"]>;
  /** Sub-command words accepted before the options (given to run() as `args.subcommand`). */
  subcommands?: string[];
  run(args: Record<string, string | boolean | undefined>): Promise<number | void>;
}

export const COMMON_OPTIONS = {
  network: { type: "string", default: "localhost" },
  "rpc-url": { type: "string" },
  deployments: { type: "string", default: "deployments" },
  help: { type: "boolean", short: "h" },
} as const;

export const COMMON_HELP = `  --network NAME   network from hardhat.config.ts (default localhost = 127.0.0.1:8545)
  --rpc-url URL    override the network's JSON-RPC URL (e.g. a node on another port)
  --deployments D  folder of the <chainId>.json deployment records (default deployments;
                   env DEPIN_DEPLOYMENT=FILE names the record itself)
  --help           this text`;

/** Runs `argv` against the commands; prints help for `--help` or no command; returns the exit code. */
export async function runCli(program: string, summary: string, commands: Command[], argv: string[]): Promise<number> {
  const overview = [
    `Usage: npx tsx ${program} <command> [options]`,
    "",
    summary,
    "",
    "Commands:",
    ...commands.map((c) => `  ${c.name.padEnd(16)}${c.summary}`),
    "",
    `Run \`npx tsx ${program} <command> --help\` for a command's options.`,
  ].join("\n");
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(overview);
    return name === undefined ? 1 : 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    console.error(`unknown command "${name}"\n\n${overview}`);
    return 2;
  }
  let values: Record<string, string | boolean | undefined>;
  try {
    const parsed = parseArgs({
      args: rest,
      options: { ...COMMON_OPTIONS, ...command.options },
      strict: true,
      allowPositionals: true,
    });
    values = parsed.values as Record<string, string | boolean | undefined>;
    const [sub, ...extra] = parsed.positionals;
    if (sub !== undefined && !(command.subcommands ?? []).includes(sub)) throw new Error(`unexpected argument "${sub}"`);
    if (extra.length > 0) throw new Error(`unexpected argument "${extra[0]}"`);
    values.subcommand = sub;
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${command.usage}\n${COMMON_HELP}`);
    return 2;
  }
  if (values.help) {
    console.log(`${command.usage}\n${COMMON_HELP}`);
    return 0;
  }
  try {
    return (await command.run(values)) ?? 0;
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`${e.message}\n\n${command.usage}\n${COMMON_HELP}`);
      return 2;
    }
    const explained = describeRevert(e);
    console.error(explained ? `refused: ${explained}` : `${(e as Error).name}: ${(e as Error).message}`);
    return 1;
  }
}

export function required(args: Record<string, string | boolean | undefined>, name: string): string {
  const v = args[name];
  if (typeof v !== "string" || v === "") throw new UsageError(`--${name} is required`);
  return v;
}

/**
 * The network connection. `readOnly`: no accounts are configured, so a command that only reads
 * never resolves (or asks the keystore for) the network's private key, e.g. DEPLOYER_PRIVATE_KEY.
 */
export async function connect(
  args: Record<string, string | boolean | undefined>,
  opts: { readOnly?: boolean } = {},
): Promise<NetworkConnection> {
  return connectTo(String(args.network), typeof args["rpc-url"] === "string" ? args["rpc-url"] : undefined, opts);
}

/** A connection to a configured network, optionally at another URL (http networks only). */
export async function connectTo(network: string, rpcUrl?: string, opts: { readOnly?: boolean } = {}): Promise<NetworkConnection> {
  // Loaded here, not at the top: `--help` answers without starting Hardhat.
  const { default: hre } = await import("hardhat");
  if (rpcUrl !== undefined && !/^https?:\/\//.test(rpcUrl))
    throw new UsageError(`--rpc-url must be an http(s) URL (got ${rpcUrl})`);
  const http = hre.config.networks[network]?.type === "http";
  const override = {
    ...(rpcUrl !== undefined ? { url: rpcUrl } : {}),
    ...(opts.readOnly && http ? { accounts: [] } : {}),
  };
  return Object.keys(override).length === 0 ? hre.network.create(network) : hre.network.create({ network, override });
}

/** `--from`: a signer index (0, 1, …) or one of the connection's account addresses. */
export async function signer(connection: NetworkConnection, from: string | boolean | undefined): Promise<HardhatEthersSigner> {
  const signers = await connection.ethers.getSigners();
  const raw = typeof from === "string" ? from : "0";
  if (/^[0-9]+$/.test(raw)) {
    const s = signers[Number(raw)];
    if (!s) throw new UsageError(`--from ${raw}: the network has ${signers.length} account(s)`);
    return s;
  }
  const s = signers.find((x) => x.address.toLowerCase() === raw.toLowerCase());
  if (!s) throw new UsageError(`--from ${raw}: not an account of this network (configure its key in the keystore)`);
  return s;
}

export async function deploymentOf(
  connection: NetworkConnection,
  args: Record<string, string | boolean | undefined>,
): Promise<Deployment> {
  const { chainId } = await connection.ethers.provider.getNetwork();
  return deploymentFor(chainId, typeof args.deployments === "string" ? args.deployments : "deployments");
}

/** JSON with bigints as decimal strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2);
}
