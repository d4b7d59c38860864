/**
 * The devnet: a long-running local network to follow the README's role guides against, with no
 * hand mining and no time travel. An in-process Hardhat chain (chain id 31337, the well-known
 * development accounts) is served over JSON-RPC with interval mining, so chain time follows the
 * wall clock; the protocol is deployed by `scripts/deploy.ts` exactly as `npm run deploy:local`
 * does (writing deployments/31337.json); a first governance proposal adds the devnet's sequencer,
 * which bonds; every keeper runs (bridge with its embedded broker, sequencer, DA, prover,
 * submitter, epoch), and optionally a simulated fleet is onboarded (the identity CLI: keygen,
 * maker approval by proposal, maker-root, bind --activate) and streams readings.
 *
 * Timing (deploy/parameters/devnet.json): 1 s blocks, 60 s epochs, a 10 s DA challenge window,
 * 30 s to settle after an epoch ends, votes of 10 blocks and a 10 s timelock: an epoch is
 * claimable about 1.5 min after its readings.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { HDNodeWallet, JsonRpcProvider, Mnemonic, NonceManager, type Signer } from "ethers";
import { Device } from "../../firmware/device.js";
import { createLogger, silentLogger } from "../../keepers/common/log.js";
import { portOpen, rpcEndpoint } from "../../keepers/common/net.js";
import { PostgresStore } from "../../keepers/common/store/index.js";
import { keyPairOf, parseKeyFile } from "../../sdk/src/index.js";
import {
  DeviceRegistry__factory,
  DataAvailability__factory,
  ProtocolGovernor__factory,
  RewardToken__factory,
} from "../../types/typechain/index.js";
import { contractAddress, readDeployment, type Deployment } from "../lib/deployments.js";
import { castVote, execute, proposalStatus, propose, queue, type Proposal } from "../lib/dao.js";
import type { Call } from "../lib/actions.js";
import { startInProcess, startProcesses, type KeeperConfig, type KeeperSet } from "../demo/keepers.js";
import { launchExplorer } from "../../explorer/launch.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Hardhat's development mnemonic: the accounts every local tool knows (never use on a real chain). */
export const DEV_MNEMONIC = "test test test test test test test test test test test junk";

/** Who is who on the devnet (account index of the development mnemonic). */
export const ROLES = {
  deployer: 0, // deploys, holds the genesis tokens (votes), proposes
  maker: 1, // the device maker governance approves
  owner: 2, // the device owner
  sequencer: 3, // the DA keeper's account (bonded)
  submitter: 4,
  epoch: 5,
} as const;

export function devAccount(index: number): HDNodeWallet {
  return HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(DEV_MNEMONIC), `m/44'/60'/0'/0/${index}`);
}

/** Timing and rule of the devnet (written to data/devnet/parameters.json for scripts/deploy.ts). */
export const DEVNET = {
  epochLength: 60,
  challengeWindow: 10,
  settlementDelay: 30,
  votingDelay: 1,
  votingPeriod: 10,
  timelockDelay: 10,
  blockIntervalMs: 1000,
  rule: { minValue: 100, maxValue: 200, capPerBatch: 3 },
  depth: 2,
};

export interface DevnetOptions {
  rpcPort: number;
  mqttPort: number;
  /** The bridge's /status and /metrics port (devices read its topic root and answer address there). */
  statusPort: number;
  /** Devices the devnet onboards and streams itself (0 = none: onboard them by the README). */
  devices: number;
  /** Seconds between two readings of one simulated device. */
  intervalSec: number;
  /** External broker / PostgreSQL instead of the embedded ones. */
  broker: string;
  db: string;
  /** Where the devnet keeps its files (store, parameters, key file, journals). */
  dataDir: string;
  /** Folder of the deployment record (deployments/31337.json). */
  deployments: string;
  processes: boolean;
  verbose: boolean;
  /** The explorer's port (0 = a free one; -1 = no explorer). */
  explorerPort?: number;
  say: (line: string) => void;
}

export interface DevnetInfo {
  rpcUrl: string;
  chainId: number;
  mqttUrl: string;
  topicRoot: string;
  /** The bridge's answer-signing address: devices configured with it ignore forged answers. */
  bridgeAddress: string | null;
  deployment: string;
  store: string;
  keepers: Record<string, string>;
  /** Keeper name → process id (the devnet's own pid when keepers run in-process). */
  keeperPids: Record<string, number>;
  /** The explorer's page and the network API it reads (null without an explorer). */
  explorer: { url: string; api: string } | null;
  accounts: Record<keyof typeof ROLES, { index: number; address: string }>;
  devices: { keyFile: string; ids: string[] } | null;
  timing: typeof DEVNET;
}

export interface Devnet {
  info: DevnetInfo;
  stop(): Promise<void>;
}

export class DevnetError extends Error {
  override name = "DevnetError";
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `scripts/<file>` with this Node (22) as a child, its output prefixed; rejects on a non-zero exit. */
function runScript(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  say: (l: string) => void,
  verbose: boolean,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, file), ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    const take = (c: Buffer) => {
      out += c.toString();
      if (verbose) for (const l of c.toString().split("\n").filter(Boolean)) say(`  ${path.basename(file)}: ${l}`);
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolve(out) : reject(new DevnetError(`${file} ${args.join(" ")} exited ${code}:\n${out.trim()}`)),
    );
  });
}

/** Waits until the chain's clock (block number or timestamp) passes `target`. */
async function waitForChain(provider: JsonRpcProvider, what: "block" | "time", target: bigint): Promise<void> {
  for (;;) {
    const b = await provider.getBlock("latest");
    if (b && (what === "block" ? BigInt(b.number) : BigInt(b.timestamp)) > target) return;
    await sleep(250);
  }
}

/** Proposes `calls`, votes with the deployer's tokens, waits the voting period and timelock, executes. */
async function govern(
  d: Deployment,
  provider: JsonRpcProvider,
  deployer: Signer,
  description: string,
  calls: Call[],
): Promise<Proposal> {
  const governor = ProtocolGovernor__factory.connect(contractAddress(d, "governor"), deployer);
  const p = await propose(governor, deployer, calls, description);
  await waitForChain(provider, "block", p.voteStart);
  await castVote(governor, deployer, p.proposalId, 1, "devnet bootstrap");
  await waitForChain(provider, "block", p.voteEnd);
  await queue(governor, deployer, p);
  await waitForChain(provider, "time", (await proposalStatus(governor, p.proposalId)).eta ?? 0n);
  await execute(governor, deployer, p);
  return p;
}

export async function startDevnet(o: DevnetOptions): Promise<Devnet> {
  const t0 = performance.now();
  const say = (m: string) => o.say(`[devnet +${((performance.now() - t0) / 1000).toFixed(1)}s] ${m}`);
  const cleanups: (() => Promise<void> | void)[] = [];
  const stop = async () => {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
  };
  try {
    for (const [flag, port] of [
      ["--port", o.rpcPort],
      ...(o.broker ? [] : [["--mqtt-port", o.mqttPort]]),
      ...((o.explorerPort ?? -1) > 0 ? [["--explorer-port", o.explorerPort]] : []),
    ] as [string, number][]) {
      if (port !== 0 && (await portOpen(port)))
        throw new DevnetError(`port 127.0.0.1:${port} is in use (another node or broker?): stop it, or give ${flag} <free port>`);
    }
    rmSync(o.dataDir, { recursive: true, force: true });
    mkdirSync(o.dataDir, { recursive: true });

    // ---------------------------------------------------------------- chain
    const { default: hre } = await import("hardhat");
    // Blocks may share a timestamp: else every transaction's block is stamped a second after the
    // last and chain time runs ahead of the wall clock (a minute during the deployment alone),
    // so keys would become valid, and epochs end, later than the devices' clocks say.
    const conn = await hre.network.create({ override: { allowBlocksWithSameTimestamp: true } });
    const chainId = Number((await conn.ethers.provider.getNetwork()).chainId);
    const rpc = await rpcEndpoint(conn.provider, undefined, { port: o.rpcPort });
    cleanups.push(() => rpc.close());
    const provider = new JsonRpcProvider(rpc.url, undefined, { staticNetwork: true, pollingInterval: 250 });
    cleanups.push(() => provider.destroy());
    say(`chain ${chainId} (in-process Hardhat, development accounts) at ${rpc.url}`);

    // ---------------------------------------------------------------- deployment (as deploy:local)
    const now = Math.floor(Date.now() / 1000);
    const parameters = path.join(o.dataDir, "parameters.json");
    writeFileSync(
      parameters,
      JSON.stringify(
        {
          DevProtocol: {
            genesisTime: now,
            epochLength: DEVNET.epochLength,
            genesisSupply: "10000000000000000000000000n",
            votingDelay: DEVNET.votingDelay,
            votingPeriod: DEVNET.votingPeriod,
            lateQuorumVoteExtension: 2,
            proposalThreshold: "1000000000000000000000n",
            quorumNumerator: 4,
            timelockDelay: DEVNET.timelockDelay,
            deposit: "1000000000000000000n",
            challengeWindow: DEVNET.challengeWindow,
            retentionWindow: 604800,
            firstEpoch: 0,
            settlementDelay: DEVNET.settlementDelay,
            slashAmount: "10000000000000000n",
            ruleMinValue: DEVNET.rule.minValue,
            ruleMaxValue: DEVNET.rule.maxValue,
            ruleCapPerBatch: DEVNET.rule.capPerBatch,
          },
        },
        null,
        2,
      ),
    );
    say("deploying the protocol with scripts/deploy.ts (as npm run deploy:local)…");
    await runScript(
      "scripts/deploy.ts",
      [
        "--network",
        "localhost",
        "--rpc-url",
        rpc.url,
        "--parameters",
        parameters,
        "--deployments",
        o.deployments,
        "--deployment-id",
        "devnet",
        "--reset",
        "--skip-estimate",
        "--yes",
      ],
      {},
      say,
      o.verbose,
    );
    const deploymentFile = path.resolve(o.deployments, `${chainId}.json`);
    const d = readDeployment(chainId, o.deployments);
    // From here on blocks come every second, with or without transactions: chain time = wall time.
    await conn.provider.request({ method: "evm_setIntervalMining", params: [DEVNET.blockIntervalMs] });
    say(`deployed: ${deploymentFile}; blocks every ${DEVNET.blockIntervalMs / 1000} s`);

    // ---------------------------------------------------------------- governance bootstrap
    const signerOf = (i: number) => new NonceManager(devAccount(i).connect(provider));
    const deployer = signerOf(ROLES.deployer);
    const token = RewardToken__factory.connect(contractAddress(d, "rewardToken"), deployer);
    await (await token.delegate(await deployer.getAddress())).wait();
    const registry = DeviceRegistry__factory.connect(contractAddress(d, "deviceRegistry"), provider);
    const da = DataAvailability__factory.connect(contractAddress(d, "dataAvailability"), provider);
    const sequencer = devAccount(ROLES.sequencer);
    const calls: Call[] = [
      { target: await da.getAddress(), value: 0n, data: da.interface.encodeFunctionData("addSequencer", [sequencer.address]) },
    ];
    if (o.devices > 0)
      calls.push({
        target: await registry.getAddress(),
        value: 0n,
        data: registry.interface.encodeFunctionData("approveMaker", [devAccount(ROLES.maker).address, "Devnet Sensors"]),
      });
    say(
      `governance: proposing "add the devnet sequencer${o.devices > 0 ? ", approve the maker" : ""}" (votes ${DEVNET.votingPeriod} blocks, timelock ${DEVNET.timelockDelay} s)…`,
    );
    await govern(d, provider, deployer, "Devnet bootstrap: add the sequencer", calls);
    await (await da.connect(signerOf(ROLES.sequencer)).depositBond({ value: 10n ** 19n })).wait();
    say(`governance: executed; sequencer ${sequencer.address} bonded 10 ETH`);

    // ---------------------------------------------------------------- keepers
    let storeUrl: string;
    if (o.db) {
      const schema = `devnet_${process.pid}`;
      const u = new URL(o.db);
      u.searchParams.set("schema", schema);
      storeUrl = u.toString();
      cleanups.push(async () => {
        const pg = new PostgresStore(o.db, schema);
        await pg.dropSchema();
        await pg.close();
      });
    } else storeUrl = `sqlite:${path.join(o.dataDir, "store.sqlite")}`;
    const common = { rpcUrl: rpc.url, store: storeUrl, metricsPort: 0 };
    const distributor = contractAddress(d, "rewardDistributor");
    const every = (s: number) => `*/${s} * * * * *`;
    const configs: KeeperConfig[] = [
      {
        name: "bridge",
        options: {
          ...common,
          brokerUrl: o.broker,
          mqttPort: o.mqttPort,
          metricsPort: o.statusPort,
          directory: await registry.getAddress(),
          networkId: BigInt(chainId),
          distributor,
          directoryTtlMs: 5000,
          clientId: `depin-devnet-bridge-${process.pid}`,
          schedule: every(5),
        },
      },
      {
        name: "sequencer",
        options: { store: storeUrl, metricsPort: 0, depth: DEVNET.depth, windowMs: 3000, schedule: every(1) },
      },
      { name: "da", options: { ...common, da: await da.getAddress(), privateKey: sequencer.privateKey, schedule: every(1) } },
      {
        name: "prover",
        options: {
          ...common,
          distributor,
          workers: Math.max(1, Math.min(2, os.availableParallelism())),
          progress: "off",
          schedule: every(2),
        },
      },
      {
        name: "submitter",
        options: { ...common, distributor, privateKey: devAccount(ROLES.submitter).privateKey, schedule: every(2) },
      },
      { name: "epoch", options: { ...common, distributor, privateKey: devAccount(ROLES.epoch).privateKey, schedule: every(5) } },
    ];
    const keeperLog = o.verbose ? createLogger({ level: "info", write: (l) => console.error(l) }) : silentLogger;
    const keepers: KeeperSet = o.processes
      ? await startProcesses(configs, { verbose: o.verbose })
      : await startInProcess(configs, { log: keeperLog, bridgeNow: () => Date.now() / 1000 });
    cleanups.push(() => keepers.stop());
    const mqttUrl = o.broker || `mqtt://127.0.0.1:${keepers.mqttPort ?? o.mqttPort}`;
    if (!keepers.topicRoot) throw new DevnetError("the bridge's /status shows no topic root");
    say(
      `keepers running: ${keepers.keepers.map((k) => k.name).join(", ")}; broker ${mqttUrl}, topic root ${keepers.topicRoot}, answers signed by ${keepers.answerAddress}`,
    );

    // ---------------------------------------------------------------- a simulated fleet
    let devices: DevnetInfo["devices"] = null;
    if (o.devices > 0) {
      const keyFile = path.join(o.dataDir, "keys.json");
      const env = { DEPIN_DEPLOYMENT: deploymentFile, DEPIN_RPC_URL: rpc.url };
      say(`onboarding ${o.devices} devices with the identity CLI (keygen, maker-root, bind --activate)…`);
      await runScript(
        "scripts/identity.ts",
        ["keygen", "--type", "secp256k1", "--count", String(o.devices), "--out", keyFile],
        env,
        say,
        o.verbose,
      );
      await runScript(
        "scripts/identity.ts",
        ["maker-root", "--keys", keyFile, "--publish", "--uri", "devnet://keys"],
        { ...env, DEPIN_PRIVATE_KEY: devAccount(ROLES.maker).privateKey },
        say,
        o.verbose,
      );
      await runScript(
        "scripts/identity.ts",
        ["bind", "--keys", keyFile, "--maker-keys", keyFile, "--activate"],
        { ...env, DEPIN_PRIVATE_KEY: devAccount(ROLES.owner).privateKey },
        say,
        o.verbose,
      );
      const entries = parseKeyFile(JSON.parse(readFileSync(keyFile, "utf8")) as unknown, keyFile).devices;
      const journals = path.join(o.dataDir, "journals");
      mkdirSync(journals, { recursive: true });
      const fleet = entries.map(
        (e) =>
          new Device({
            deviceId: BigInt(e.deviceId!),
            key: keyPairOf(e, keyFile),
            networkId: BigInt(chainId),
            brokerUrl: mqttUrl,
            topicRoot: keepers.topicRoot!,
            bridgeAddress: keepers.answerAddress ?? undefined,
            journalFile: path.join(journals, `device-${e.deviceId}.journal`),
            fsync: false,
            receiptTimeoutMs: 5_000,
          }),
      );
      await Promise.all(fleet.map((dev) => dev.start()));
      const span = DEVNET.rule.maxValue - DEVNET.rule.minValue + 1;
      const timer = setInterval(() => {
        for (const dev of fleet) dev.record(DEVNET.rule.minValue + Math.floor(Math.random() * span));
      }, o.intervalSec * 1000);
      cleanups.push(async () => {
        clearInterval(timer);
        await Promise.all(fleet.map((dev) => dev.stop()));
      });
      devices = { keyFile, ids: entries.map((e) => String(e.deviceId)) };
      say(`devices ${devices.ids.join(", ")} (owner account ${ROLES.owner}) stream a reading every ${o.intervalSec} s`);
    }

    // ---------------------------------------------------------------- explorer (and its network API)
    let explorer: DevnetInfo["explorer"] = null;
    if ((o.explorerPort ?? -1) >= 0) {
      // Simulated devices get made-up locations around one city, for the coverage map.
      const locations = Object.fromEntries(
        (devices?.ids ?? []).map((id, i) => [
          id,
          [52.52 + 0.03 * Math.sin(i * 2.4) * Math.sqrt(i), 13.405 + 0.05 * Math.cos(i * 2.4) * Math.sqrt(i)],
        ]),
      ) as Record<string, [number, number]>;
      writeFileSync(path.join(o.dataDir, "locations.json"), JSON.stringify(locations, null, 2));
      say("starting the network API (indexer) and the explorer…");
      const ex = await launchExplorer({
        deploymentFile,
        rpcUrl: rpc.url,
        port: o.explorerPort!,
        store: storeUrl,
        dataDir: o.dataDir,
        keepers: Object.fromEntries(keepers.keepers.map((k) => [k.name, k.status])),
        locations,
        verbose: o.verbose,
      });
      cleanups.push(() => ex.stop());
      explorer = { url: ex.url, api: ex.apiUrl };
      say(`explorer ${ex.url} (network API ${ex.apiUrl})`);
    }

    const accounts = Object.fromEntries(
      Object.entries(ROLES).map(([role, index]) => [role, { index, address: devAccount(index).address }]),
    ) as DevnetInfo["accounts"];
    const info: DevnetInfo = {
      rpcUrl: rpc.url,
      chainId,
      mqttUrl,
      topicRoot: keepers.topicRoot,
      bridgeAddress: keepers.answerAddress ?? null,
      deployment: deploymentFile,
      store: storeUrl,
      keepers: Object.fromEntries(keepers.keepers.map((k) => [k.name, k.status])),
      keeperPids: Object.fromEntries(keepers.keepers.map((k) => [k.name, k.pid])),
      explorer,
      accounts,
      devices,
      timing: DEVNET,
    };
    writeFileSync(path.join(o.dataDir, "devnet.json"), JSON.stringify(info, null, 2));
    return { info, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** The devnet's endpoint record (data/devnet/devnet.json), for tools and tests. */
export function readDevnetInfo(dataDir: string): DevnetInfo | null {
  const file = path.join(dataDir, "devnet.json");
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as DevnetInfo) : null;
}
