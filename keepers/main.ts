/**
 * The keeper daemons' commands, loaded by keepers/cli.ts (the entry point) once it has checked
 * the Node version.
 *
 *   npx tsx keepers/cli.ts <command> [--option value …]
 *   npx tsx keepers/cli.ts <command> --help
 *
 * Commands: bridge, sequencer, da, storage, prover, submitter, epoch, watcher. Every option can also come from the environment as
 * DEPIN_<OPTION_NAME> (e.g. DEPIN_STORE); flags win. A bad option stops the daemon with an error
 * that names it. Each daemon logs JSON lines, serves /metrics and /status, and stops cleanly on
 * SIGTERM/SIGINT.
 */
import { Bridge, bridgeOptions } from "./bridge/bridge.js";
import { brokerSetup, brokerSetupOptions } from "./bridge/broker-setup.js";
import { parseArgv } from "./common/cli.js";
import { createLogger, type LogLevel } from "./common/log.js";
import {
  ConfigError,
  describeOptions,
  envName,
  optionsFromEnv,
  parseOptions,
  redact,
  type OptionSpecs,
} from "./common/options.js";
import type { Service } from "./common/service.js";
import { ChainConfigError } from "./common/chain.js";
import { loadDeploymentFile, withDeployment } from "./common/deployment.js";
import { DaKeeper, daOptions } from "./da/da.js";
import { EpochKeeper, epochOptions } from "./epoch/epoch.js";
import { Prover, proverOptions } from "./prover/prover.js";
import { Sequencer, sequencerOptions } from "./sequencer/sequencer.js";
import { StorageKeeper, storageOptions } from "./storage/storage.js";
import { Submitter, submitterOptions } from "./submitter/submitter.js";
import { Watcher, watcherOptions } from "./watcher/watcher.js";

interface Command {
  summary: string;
  specs: OptionSpecs;
  create(opts: Record<string, unknown>, log: ReturnType<typeof createLogger>): Service;
}

const COMMANDS: Record<string, Command> = {
  bridge: {
    summary: "MQTT bridge: embedded broker (default) or external broker; validates and stores readings before acknowledging",
    specs: bridgeOptions,
    create: (o, log) => new Bridge(o as never, { log }),
  },
  sequencer: {
    summary: "orders stored readings into batches and computes their Poseidon Merkle roots",
    specs: sequencerOptions,
    create: (o, log) => new Sequencer(o as never, { log }),
  },
  da: {
    summary: "commits batch roots on-chain (never twice, never skipped) and serves payloads and inclusion proofs",
    specs: daOptions,
    create: (o, log) => new DaKeeper(o as never, { log }),
  },
  storage: {
    summary: "exports batches past retention to content-addressed storage, verified against the on-chain root",
    specs: storageOptions,
    create: (o, log) => new StorageKeeper(o as never, { log }),
  },
  prover: {
    summary: "proves the reward rule (Groth16, worker threads) for every final committed batch not yet settled",
    specs: proverOptions,
    create: (o, log) => new Prover(o as never, { log }),
  },
  submitter: {
    summary: "settles stored proofs on the RewardDistributor, once per batch (nonces, fee bumping, resumes after a crash)",
    specs: submitterOptions,
    create: (o, log) => new Submitter(o as never, { log }),
  },
  epoch: {
    summary: "closes reward epochs when the distributor allows (checkUpkeep semantics), once each",
    specs: epochOptions,
    create: (o, log) => new EpochKeeper(o as never, { log }),
  },
  watcher: {
    summary: "checks every committed batch (payload, root, signatures, repeated readings) and challenges a bad one",
    specs: watcherOptions,
    create: (o, log) => new Watcher(o as never, { log }),
  },
};

/** DEPIN_* variables that are not keeper options but are read elsewhere in the kit. */
const OTHER_VARIABLES = new Set(["DEPIN_DEPLOYMENT", "DEPIN_TEST_LOGS", "DEPIN_PTAU_DIR", "DEPIN_POSTINSTALL_REENTRY"]);

/**
 * Refuses a DEPIN_* variable that no keeper knows (a typo such as DEPIN_DEPHT would otherwise be
 * ignored and the default used). Variables of other keepers are allowed: one shell may configure
 * several keepers.
 */
function checkEnvironment(env: NodeJS.ProcessEnv): void {
  const known = new Set(OTHER_VARIABLES);
  for (const c of Object.values(COMMANDS)) for (const k of Object.keys(c.specs)) known.add(envName(k));
  for (const k of Object.keys(brokerSetupOptions)) known.add(envName(k));
  for (const name of Object.keys(env)) {
    if (!name.startsWith("DEPIN_") || known.has(name)) continue;
    const near = [...known].filter((k) => editDistance(k, name) <= 2);
    throw new ConfigError(
      name.slice("DEPIN_".length).toLowerCase().replace(/_/g, "-"),
      `unknown environment variable ${name}${near.length ? ` (did you mean ${near.join(" or ")}?)` : ""}`,
    );
  }
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length][b.length];
}

function usage(): string {
  return [
    "Usage: npx tsx keepers/cli.ts <command> [--option value ...]",
    "",
    "Commands:",
    ...Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(10)} ${c.summary}`),
    `  broker-setup  ${BROKER_SETUP_SUMMARY}`,
    "",
    "Run `<command> --help` for its options. Options may also be set as DEPIN_<NAME> environment variables.",
    "--deployment <deployments/<chainId>.json> (or DEPIN_DEPLOYMENT) fills the contract addresses",
    "(--directory, --da, --distributor) and the bridge's --network-id from a deploy script's record.",
  ].join("\n");
}

const BROKER_SETUP_SUMMARY =
  "writes the dynamic-security file, mosquitto.conf and bridge env file of a Mosquitto the bridge secures (--broker-acl dynsec)";

/** `broker-setup`: a one-shot command, not a daemon (keepers/bridge/broker-setup.ts). */
function runBrokerSetup(flags: Record<string, string | boolean>): number {
  if (flags.help) {
    console.log(
      `Usage: npx tsx keepers/main.ts broker-setup --dynsec-file <file> [options]\n\n${BROKER_SETUP_SUMMARY}.\n` +
        `Passwords may come from DEPIN_BROKER_ADMIN_PASSWORD / DEPIN_BROKER_PASSWORD; not given, they are generated into --env-out.\n\nOptions:\n${describeOptions(brokerSetupOptions)}`,
    );
    return 0;
  }
  try {
    checkEnvironment(process.env);
    const o = parseOptions(brokerSetupOptions, { ...optionsFromEnv(brokerSetupOptions), ...flags });
    console.log(JSON.stringify(brokerSetup(o), null, 2));
    return 0;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    console.error(`broker-setup: ${e.message}`);
    return 2;
  }
}

async function main(): Promise<number> {
  const { positional, flags } = parseArgv(process.argv.slice(2));
  const name = positional[0];
  if (!name || name === "help" || (!name && flags.help)) {
    console.log(usage());
    return name ? 0 : flags.help ? 0 : 2;
  }
  if (name === "broker-setup") return runBrokerSetup(flags);
  const cmd = COMMANDS[name];
  if (!cmd) {
    console.error(`unknown command ${JSON.stringify(name)}\n\n${usage()}`);
    return 2;
  }
  if (flags.help) {
    console.log(
      `Usage: npx tsx keepers/cli.ts ${name} [--deployment <file>] [options]\n\n${cmd.summary}\n\nOptions:\n${describeOptions(cmd.specs)}`,
    );
    return 0;
  }
  let opts: Record<string, unknown>;
  try {
    checkEnvironment(process.env);
    const { deployment = process.env.DEPIN_DEPLOYMENT, ...given } = { ...optionsFromEnv(cmd.specs), ...flags };
    const input = deployment === undefined ? given : withDeployment(cmd.specs, given, loadDeploymentFile(String(deployment)));
    opts = parseOptions(cmd.specs, input);
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`${name}: ${e.message}`);
      return 2;
    }
    throw e;
  }
  const log = createLogger({ level: opts.logLevel as LogLevel });
  log.info("cli#start", { command: name, options: redact(cmd.specs, opts as never) });
  let service: Service;
  try {
    service = cmd.create(opts, log);
  } catch (e) {
    console.error(`${name}: ${(e as Error).message}`);
    return 2;
  }
  try {
    await service.run({ schedule: opts.schedule as string, metricsPort: opts.metricsPort as number });
  } catch (e) {
    if (!(e instanceof ChainConfigError || e instanceof ConfigError)) throw e;
    log.error("cli#refused", { command: name, err: e.message });
    console.error(`${name}: ${e.message}`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
    // A keeper refused at start-up may hold open handles (store, hasher workers): leave now.
    if (code !== 0) process.exit(code);
  },
  (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : e);
    process.exitCode = 1;
  },
);
