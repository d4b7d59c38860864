/**
 * The demo's flow, phase by phase, on the project's own code: the whole protocol deployed with the
 * DevProtocol Ignition module (every admin role handed to the timelock), a governance proposal
 * that wires the rewards distributor, a sequencer and a maker, owners binding maker-attested
 * devices (identity sdk: key tree + EIP-712 bind signatures), the firmware simulator streaming
 * signed readings over MQTT to the bridge, the sequencer, DA, prover, submitter and epoch keepers
 * running on their own cron schedules, claims (one a sponsored ERC-4337 UserOperation), a second
 * proposal changing the reward range of a future epoch, and a summary read back from the chain
 * and the store. The chain is in-process (Hardhat); time is moved forward over the DA challenge
 * window, the epoch's settlement delay and the governance voting period and timelock delay.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { keccak_256 } from "@noble/hashes/sha3";
import { network } from "hardhat";
import { JsonRpcProvider, Wallet, concat, solidityPacked, type BaseContract, type Interface } from "ethers";
import DevProtocolModule from "../../deploy/modules/DevProtocol.js";
import { Device } from "../../firmware/device.js";
import { fleetKey, fleetKeyType } from "../../firmware/simulator.js";
import { createLogger, silentLogger, type Logger } from "../../keepers/common/log.js";
import { openStore, PostgresStore, type Store } from "../../keepers/common/store/index.js";
import {
  KEY_TYPE_CODE,
  KeyTree,
  bytesToHex,
  type DeviceKeyPair,
  epochWindow,
  makeBindRequest,
  publicKeyOf,
  rewardPoints,
  type RewardRuleParams,
} from "../../sdk/src/index.js";
import { claimAll, earnings } from "../lib/owner.js";
import { castVote, execute, propose, queue } from "../lib/dao.js";
import type { Call } from "../lib/actions.js";
import { recordDeployment } from "../lib/deployments.js";
import { startInProcess, startProcesses, type KeeperConfig, type KeeperName } from "./keepers.js";
import { fmt } from "./format.js";
import { freePort, rpcEndpoint } from "../../keepers/common/net.js";
import { launchExplorer } from "../../explorer/launch.js";

export interface DemoOptions {
  devices: number;
  readings: number;
  owners: number;
  /** Milliseconds between two readings of one device. */
  intervalMs: number;
  /** External MQTT broker URL; empty = the bridge's embedded broker. */
  broker: string;
  /** PostgreSQL URL; empty = embedded SQLite in a temporary directory. */
  db: string;
  verbose: boolean;
  /** One keepers/cli.ts child process per keeper instead of running them in this process. */
  processes: boolean;
  /** Serve the explorer (and its network API) while the demo runs; port 0 = a free one. */
  explorer?: { port: number };
  say: (line: string) => void;
  /** Folder the demo writes one device's reward receipt to (kept after the demo). */
  receiptDir: string;
  /**
   * Called with the live network once the epoch is closed (before the claims) and once at the
   * end (before the clean-up): tests look at the running network (test/indexer/Api.test.ts).
   */
  inspect?: (net: DemoNetwork) => Promise<void>;
}

/** The running demo network, as `DemoOptions.inspect` sees it. */
export interface DemoNetwork {
  stage: "closed" | "final";
  rpcUrl: string;
  chainId: bigint;
  /** Deployment record (deployments/<chainId>.json format) of the demo's contracts. */
  deploymentFile: string;
  storeUrl: string;
  keepers: { name: KeeperName; status: string }[];
  stopKeeper(name: KeeperName): Promise<void>;
  epoch: bigint;
  genesisTime: bigint;
  epochLength: bigint;
  /** Device i + 1's key. */
  keys: DeviceKeyPair[];
  /** Chain time (s): the devices' and the bridge's clock. */
  chainClock(): number;
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export const TOKEN = 10n ** 18n;
/** Reward rule of the first epochs; the governance proposal schedules SECOND_RULE for a later one. */
export const FIRST_RULE: RewardRuleParams = { minValue: 250n, maxValue: 750n, capPerBatch: 3n };
export const SECOND_RULE: RewardRuleParams = { minValue: 300n, maxValue: 700n, capPerBatch: 4n };
export const DEPTH = 2; // reward_rule_16: 16 readings per batch (4-ary tree, 4^2 slots)
export const SLOTS = 4; // devices per batch the circuit can credit
const EPOCH_LENGTH = 3600n;
const FIRST_EPOCH = 0n;
const EMISSION = 100_000n * 10n ** 18n + 7n;
const CHALLENGE_WINDOW = 60n;
/**
 * Every batch locks SLASH_AMOUNT of the sequencer's bond until its challenge window ends: the bond
 * covers SEQUENCER_BOND / SLASH_AMOUNT = 1,000 open batches, more than the largest demo makes.
 */
const SLASH_AMOUNT = TOKEN / 100n;
const SEQUENCER_BOND = 10n * TOKEN;
const SETTLEMENT_DELAY = 300n;
const TIMELOCK_DELAY = 60n;
const VOTING_DELAY = 1n;
const VOTING_PERIOD = 20n;
const USEROP = {
  verification: 600_000n,
  call: 250_000n,
  pmVerification: 100_000n,
  pmPostOp: 50_000n,
  preVerification: 60_000n,
  maxFee: 2n * 10n ** 9n,
};

export interface OwnerSummary {
  address: string;
  devices: string[];
  claimed: string;
  via: string;
}

export interface DemoSummary {
  chainId: string;
  store: string;
  broker: string;
  devices: number;
  owners: number;
  readings: { sent: number; acknowledged: number; stored: number; rejected: number; rejectedByCode: Record<string, number> };
  batches: { sealed: number; committed: number; depth: number };
  proofs: { generated: number; verifiedOnChain: number; referenceMatches: boolean };
  epoch: { id: string; totalPoints: string; emission: string; closed: boolean };
  points: Record<string, string>;
  claims: {
    perOwner: OwnerSummary[];
    sum: string;
    emission: string;
    remainder: string;
    claimingDevices: number;
    sponsoredUserOps: number;
  };
  governance: {
    proposals: number;
    executed: number;
    scheduledRule: { fromEpoch: string; minValue: string; maxValue: string; capPerBatch: string };
  };
  gas: Record<string, string>;
  /** One device's reward receipt, built and verified with `npm run receipt -- … --verify` (docs/receipts.md). */
  receipt: {
    device: string;
    epoch: string;
    file: string;
    batches: string[];
    readings: number;
    earned: number;
    points: string;
    amount: string;
    claimTx: string | null;
    verified: string;
  };
  timeTravelSeconds: string;
  keepers: Record<string, string>;
  wallSeconds: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, timeoutMs: number, cond: () => Promise<boolean>): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(250);
  }
}

function deterministicWallet(label: string, provider: JsonRpcProvider): Wallet {
  return new Wallet(bytesToHex(keccak_256(new TextEncoder().encode(`depin-demo/${label}`))), provider);
}

/** A reading value for device i, sample s: spread over 0..999 so some fall outside the reward range. */
function sampleValue(i: number, s: number): number {
  return (i * 389 + s * 211 + 57) % 1000;
}

export async function runDemo(o: DemoOptions): Promise<DemoSummary> {
  const t0 = performance.now();
  const say = (m: string) => o.say(`[demo +${((performance.now() - t0) / 1000).toFixed(1)}s] ${m}`);
  const keeperLog: Logger = o.verbose ? createLogger({ level: "info", write: (l) => console.error(l) }) : silentLogger;
  const cleanups: (() => Promise<void> | void)[] = [];
  let timeTravel = 0n;

  try {
    // ------------------------------------------------------------------ chain + deployment
    const conn = await network.create();
    const { ethers, ignition, networkHelpers } = conn;
    const chainId = (await ethers.provider.getNetwork()).chainId;
    const rpc = await rpcEndpoint(conn.provider);
    cleanups.push(() => rpc.close());
    const provider = new JsonRpcProvider(rpc.url, undefined, { staticNetwork: true, pollingInterval: 50, cacheTimeout: -1 });
    cleanups.push(() => provider.destroy());
    const [deployer, maker, bundler] = await ethers.getSigners();
    const sequencer = deterministicWallet("sequencer", provider);
    await conn.provider.request({ method: "hardhat_setBalance", params: [sequencer.address, "0x56bc75e2d63100000"] });
    const now = BigInt(await networkHelpers.time.latest());
    const genesisTime = now - 60n; // epoch 0 started a minute ago and lasts an hour
    say(`in-process Hardhat chain ${chainId} at ${rpc.url}; deploying the protocol (DevProtocol Ignition module)…`);
    const dep = await ignition.deploy(DevProtocolModule, {
      parameters: {
        DevProtocol: {
          genesisTime,
          epochLength: EPOCH_LENGTH,
          // 100,000 DPR per epoch plus 7 wei: an amount that rarely divides by the points total, so
          // the summary shows the claims' rounding remainder (shares are rounded down per device).
          initialEmission: EMISSION,
          maxMintPerEpoch: 3n * EMISSION,
          genesisSupply: 10_000_000n * TOKEN,
          votingDelay: VOTING_DELAY,
          votingPeriod: VOTING_PERIOD,
          lateQuorumVoteExtension: 5n,
          proposalThreshold: 1000n * TOKEN,
          quorumNumerator: 4n,
          timelockDelay: TIMELOCK_DELAY,
          deposit: TOKEN,
          challengeWindow: CHALLENGE_WINDOW,
          firstEpoch: FIRST_EPOCH,
          settlementDelay: SETTLEMENT_DELAY,
          ruleMinValue: FIRST_RULE.minValue,
          ruleMaxValue: FIRST_RULE.maxValue,
          ruleCapPerBatch: FIRST_RULE.capPerBatch,
          retentionWindow: 7n * 86_400n,
          slashAmount: SLASH_AMOUNT,
          epochBudget: TOKEN,
          accountBudget: 10n ** 16n,
        },
      },
    });
    const at = async (c: BaseContract) => c.getAddress();
    const registry = await ethers.getContractAt("DeviceRegistry", await at(dep.deviceRegistry));
    const factory = await ethers.getContractAt("DeviceAccountFactory", await at(dep.deviceAccountFactory));
    const token = await ethers.getContractAt("RewardToken", await at(dep.rewardToken));
    const emission = await ethers.getContractAt("RewardEmission", await at(dep.rewardEmission));
    const da = await ethers.getContractAt("DataAvailability", await at(dep.dataAvailability));
    const paymaster = await ethers.getContractAt("ClaimPaymaster", await at(dep.claimPaymaster));
    const timelock = await ethers.getContractAt("ProtocolTimelock", await at(dep.timelock));
    const governor = await ethers.getContractAt("ProtocolGovernor", await at(dep.governor));
    const entryPoint = await ethers.getContractAt("EntryPoint", await at(dep.entryPoint));
    const epoch0 = await emission.currentEpoch();
    if (epoch0 !== FIRST_EPOCH) throw new Error(`chain is in epoch ${epoch0}, expected ${FIRST_EPOCH}`);

    const distributor = await ethers.getContractAt("RewardDistributor", await at(dep.rewardDistributor));
    const distributorAddress = await distributor.getAddress();
    const verifierConfig = await distributor.verifierFor(DEPTH);
    if (verifierConfig.slots !== BigInt(SLOTS))
      throw new Error(
        `the deployed distributor's depth-${DEPTH} verifier has ${verifierConfig.slots} slots, the demo expects ${SLOTS}`,
      );
    const admin = await distributor.DEFAULT_ADMIN_ROLE();
    if (
      !(await distributor.hasRole(admin, await timelock.getAddress())) ||
      (await distributor.hasRole(admin, deployer.address))
    ) {
      throw new Error("the deployment did not hand the distributor's admin role to the timelock");
    }
    const deployBlock = await ethers.provider.getBlockNumber();
    const tmp = mkdtempSync(path.join(os.tmpdir(), "depin-demo-"));
    cleanups.push(() => rmSync(tmp, { recursive: true, force: true }));
    // The deployment record tools read (npm run receipt, npm run indexer), as scripts/deploy.ts writes it.
    const deploymentFile = path.join(tmp, `${chainId}.json`);
    writeFileSync(
      deploymentFile,
      JSON.stringify(await recordDeployment(ethers.provider, { network: "demo", module: "DevProtocol" }, dep), null, 2),
    );
    say(
      `deployed: registry ${await registry.getAddress()}, DA ${await da.getAddress()}, distributor ${distributorAddress}, governor ${await governor.getAddress()}; admin roles handed to the timelock ${await timelock.getAddress()}`,
    );

    // ------------------------------------------------------------------ governance helper
    let proposals = 0;
    let executed = 0;
    await (await token.connect(deployer).delegate(deployer.address)).wait();
    // One evm_mine per block: hardhat_mine reserves a range of blocks whose parentHash reads as
    // zero, which an indexer following the chain (npm run indexer) takes for a deep reorg.
    const mineBlocks = async (n: number) => {
      for (let i = 0; i < n; i++) await conn.provider.request({ method: "evm_mine", params: [] });
    };
    await mineBlocks(1);
    const govern = async (description: string, calls: Call[]) => {
      const p = await propose(governor, deployer, calls, description);
      proposals++;
      await mineBlocks(Number(VOTING_DELAY) + 1);
      const weight = await castVote(governor, deployer, p.proposalId, 1, "demo");
      await mineBlocks(Number(VOTING_PERIOD) + 1);
      await queue(governor, deployer, p);
      await networkHelpers.time.increase(TIMELOCK_DELAY + 1n);
      timeTravel += TIMELOCK_DELAY + 1n;
      await execute(governor, deployer, p);
      executed++;
      say(
        `governance: "${description}" proposed, voted (${weight / TOKEN} votes for), queued, executed after the ${TIMELOCK_DELAY} s timelock`,
      );
    };
    const call = (target: string, iface: Interface, fn: string, args: unknown[]): Call => ({
      target,
      value: 0n,
      data: iface.encodeFunctionData(fn, args),
    });

    await govern("Bootstrap: approve the maker Acme Sensors, add the sequencer", [
      call(await registry.getAddress(), registry.interface, "approveMaker", [maker.address, "Acme Sensors (demo)"]),
      call(await da.getAddress(), da.interface, "addSequencer", [sequencer.address]),
    ]);
    await (await (da.connect(sequencer) as typeof da).depositBond({ value: SEQUENCER_BOND })).wait();

    // ------------------------------------------------------------------ store
    let storeUrl: string;
    let storeLabel: string;
    if (o.db) {
      const schema = `demo_${process.pid}_${Date.now() % 1e7}`;
      const u = new URL(o.db);
      u.searchParams.set("schema", schema);
      storeUrl = u.toString();
      storeLabel = `PostgreSQL ${u.host}${u.pathname} schema ${schema} (dropped at the end)`;
      cleanups.push(async () => {
        const pg = new PostgresStore(o.db, schema);
        await pg.dropSchema();
        await pg.close();
      });
    } else {
      storeUrl = `sqlite:${path.join(tmp, "depin.sqlite")}`;
      storeLabel = `embedded SQLite ${storeUrl.slice(7)}`;
    }
    const stores: Store[] = [];
    const newStore = async (): Promise<Store> => {
      const s = openStore(storeUrl);
      await s.init();
      stores.push(s);
      return s;
    };
    const store = await newStore();
    cleanups.push(async () => {
      for (const st of stores) await st.close();
    });

    // ------------------------------------------------------------------ onboarding
    const owners = Array.from({ length: o.owners }, (_, k) => deterministicWallet(`owner/${k}`, provider));
    for (const w of owners)
      await conn.provider.request({ method: "hardhat_setBalance", params: [w.address, "0x8ac7230489e80000"] });
    // The fleet's device keys are deterministic per index (firmware simulator seed); device i gets registry id i + 1.
    const seed = `depin-demo/${process.pid}/${Date.now()}`;
    const keys = Array.from({ length: o.devices }, (_, i) => fleetKey(seed, i, fleetKeyType({ keyType: "mixed" }, i)));
    const tree = new KeyTree(keys.map(publicKeyOf));
    await (await registry.connect(maker).publishMakerRoot(tree.root, BigInt(tree.size), "ipfs://acme-demo-batch")).wait();
    const domain = { chainId, verifyingContract: (await registry.getAddress()) as `0x${string}` };
    const ownerOf = new Map<bigint, number>();
    const perOwner = Math.ceil(o.devices / o.owners);
    for (let k = 0; k < o.owners; k++) {
      const idx = keys.map((_, i) => i).filter((i) => Math.floor(i / perOwner) === k);
      if (idx.length === 0) continue;
      const deadline = BigInt(await networkHelpers.time.latest()) + 3600n;
      const reqs = idx.map((i, n) =>
        makeBindRequest(keys[i], tree, domain, { owner: owners[k].address as `0x${string}`, nonce: BigInt(n), deadline }),
      );
      await (await registry.connect(owners[k]).bindDevices(reqs)).wait();
      for (const i of idx) {
        const deviceId = await registry.deviceOfKey(KEY_TYPE_CODE[keys[i].type], keys[i].publicId);
        if (deviceId !== BigInt(i + 1)) throw new Error(`device ${i} got registry id ${deviceId}, expected ${i + 1}`);
        await (await registry.connect(owners[k]).activate(deviceId)).wait();
        ownerOf.set(deviceId, k);
      }
    }
    const secp = keys.filter((k) => k.type === "secp256k1").length;
    say(
      `onboarding: maker published a key root of ${tree.size} devices; ${o.owners} owners bound and activated them (${secp} secp256k1, ${o.devices - secp} P-256)`,
    );

    // ------------------------------------------------------------------ keepers
    const bridgeClock = { offset: 0 };
    const submitterKey = deterministicWallet("submitter", provider);
    const epochKey = deterministicWallet("epoch-keeper", provider);
    for (const w of [submitterKey, epochKey])
      await conn.provider.request({ method: "hardhat_setBalance", params: [w.address, "0x56bc75e2d63100000"] });
    const every = (s: number) => (s === 1 ? "* * * * * *" : `*/${s} * * * * *`);
    const chainOpts = { rpcUrl: rpc.url, store: storeUrl, metricsPort: 0 };
    const configs: KeeperConfig[] = [
      {
        name: "bridge",
        options: {
          ...chainOpts,
          brokerUrl: o.broker,
          mqttPort: o.processes && !o.broker ? await freePort() : 0,
          directory: await registry.getAddress(),
          networkId: chainId,
          genesisTime,
          epochLength: EPOCH_LENGTH,
          directoryTtlMs: 2000,
          schedule: every(2),
        },
      },
      { name: "sequencer", options: { store: storeUrl, metricsPort: 0, depth: DEPTH, windowMs: 1500, schedule: every(1) } },
      { name: "da", options: { ...chainOpts, da: await da.getAddress(), privateKey: sequencer.privateKey, schedule: every(1) } },
      {
        name: "prover",
        options: {
          ...chainOpts,
          distributor: distributorAddress,
          workers: Math.max(1, Math.min(2, os.availableParallelism())),
          progress: "off",
          schedule: every(2),
        },
      },
      {
        name: "submitter",
        options: {
          ...chainOpts,
          distributor: distributorAddress,
          privateKey: submitterKey.privateKey,
          pollMs: 50,
          schedule: every(2),
        },
      },
      {
        name: "epoch",
        options: {
          ...chainOpts,
          distributor: distributorAddress,
          privateKey: epochKey.privateKey,
          pollMs: 50,
          schedule: every(2),
        },
      },
    ];
    say(o.processes ? "starting one keepers/cli.ts process per keeper…" : "starting the keepers in this process…");
    const keeperSet = o.processes
      ? await startProcesses(configs, { verbose: o.verbose })
      : await startInProcess(configs, { log: keeperLog, bridgeNow: () => Date.now() / 1000 + bridgeClock.offset });
    cleanups.push(() => keeperSet.stop());
    const brokerUrl = o.broker || `mqtt://127.0.0.1:${keeperSet.mqttPort}`;
    // Devices publish under the bridge's topic root (the network's own by default) and accept only
    // answers signed by the bridge's answer key (created once and kept in the store).
    const topicRoot = keeperSet.topicRoot;
    const bridgeAddress = keeperSet.answerAddress ?? undefined;
    if (!topicRoot || !bridgeAddress) throw new Error("the bridge's /status shows no topic root or answer address");
    say(
      `keepers running (cron): ${keeperSet.keepers.map((k) => `${k.name}${o.processes ? ` pid ${k.pid}` : ""}`).join(", ")}; broker ${o.broker ? o.broker : `embedded aedes ${brokerUrl}`}; store ${storeLabel}`,
    );
    say(`bridge: topic root ${topicRoot}, answers signed by ${bridgeAddress} (devices ignore any other)`);

    // ------------------------------------------------------------------ explorer
    if (o.explorer) {
      const record = path.join(tmp, "deployment.json");
      writeFileSync(
        record,
        JSON.stringify({
          chainId: Number(chainId),
          contracts: Object.fromEntries(
            await Promise.all(
              Object.entries(dep).map(async ([k, c]) => [k, { address: await at(c as BaseContract), startBlock: 0 }]),
            ),
          ),
        }),
      );
      const ex = await launchExplorer({
        deploymentFile: record,
        rpcUrl: rpc.url,
        port: o.explorer.port,
        store: storeUrl,
        dataDir: tmp,
        keepers: Object.fromEntries(keeperSet.keepers.map((k) => [k.name, k.status])),
        verbose: o.verbose,
      });
      cleanups.push(() => ex.stop());
      say(`EXPLORER ${ex.url} (network API ${ex.apiUrl}) — open it while the demo runs`);
    }

    // ------------------------------------------------------------------ streaming
    // Chain time runs ahead of the wall clock by the governance time travel so far; devices and
    // the bridge keep the chain's time (a key is valid from the block that bound it).
    const offset = Number(BigInt(await networkHelpers.time.latest())) - Math.floor(Date.now() / 1000) + 1;
    const chainClock = () => Math.floor(Date.now() / 1000) + offset;
    bridgeClock.offset = offset;
    const rejections = new Map<string, number>();
    mkdirSync(path.join(tmp, "devices"), { recursive: true });
    const devices = keys.map((key, i) => {
      const d = new Device({
        deviceId: BigInt(i + 1),
        key,
        networkId: chainId,
        brokerUrl,
        topicRoot,
        bridgeAddress,
        journalFile: path.join(tmp, "devices", `device-${i + 1}.journal`),
        fsync: false,
        receiptTimeoutMs: 5_000,
        clock: chainClock,
      });
      d.on("rejected", (r) => rejections.set(r.code, (rejections.get(r.code) ?? 0) + 1));
      return d;
    });
    const fleet = {
      devices,
      start: () => Promise.all(devices.map((d) => d.start())),
      stop: async () => {
        await Promise.all(devices.map((d) => d.stop()));
      },
      pending: () => devices.reduce((n, d) => n + d.pendingCount, 0),
    };
    await fleet.start();
    cleanups.push(() => fleet.stop());
    // reward_rule_16 credits at most SLOTS (4) distinct devices per batch, so the sequencer cuts
    // batches at 4 devices (--max-devices). Devices report in groups of SLOTS (think: one gateway
    // per site) so that, in a run this short, every batch is full rather than cut by the window.
    const sealedLeaves = async () => (await store.listBatches(1n, 100_000)).reduce((n, b) => n + b.leafCount, 0);
    const groups = Math.ceil(o.devices / SLOTS);
    say(
      `streaming: ${o.devices} devices × ${o.readings} signed readings over MQTT QoS 1, one every ${o.intervalMs} ms per device, in ${groups} group(s) of ≤ ${SLOTS} devices…`,
    );
    for (let g = 0; g < groups; g++) {
      const group = devices.slice(g * SLOTS, (g + 1) * SLOTS);
      for (let s = 0; s < o.readings; s++) {
        group.forEach((d) => d.record(sampleValue(Number(d.deviceId), s)));
        await sleep(o.intervalMs);
      }
      await waitFor("every reading to be acknowledged", 60_000, async () => fleet.pending() === 0);
      await waitFor(
        "the sequencer to seal every stored reading",
        60_000,
        async () => (await sealedLeaves()) === (await store.countReadings()),
      );
      const recorded = devices.reduce((n, d) => n + d.stats.recorded, 0);
      const receipts = devices.reduce((n, d) => n + d.stats.receipts, 0);
      say(
        `  group ${g + 1}/${groups} (devices ${group.map((d) => d.deviceId).join(",")}): ${recorded} readings signed, ${receipts} acknowledged (stored before ack), ${await store.countReadings()} stored, ${await store.lastBatchId()} batches sealed`,
      );
    }
    await waitFor("every reading to be acknowledged", 60_000, async () => fleet.pending() === 0);
    const sent = fleet.devices.reduce((n, d) => n + d.stats.recorded, 0);
    const acked = fleet.devices.reduce((n, d) => n + d.stats.receipts, 0);
    const rejected = fleet.devices.reduce((n, d) => n + d.stats.rejected, 0);
    const rejectedByCode = Object.fromEntries(rejections);
    if (rejected > 0) say(`  bridge rejected ${rejected} readings: ${JSON.stringify(rejectedByCode)}`);
    const stored = await store.countReadings();
    await fleet.stop();

    // ------------------------------------------------------------------ batches + DA
    await waitFor("the sequencer to seal every stored reading", 60_000, async () => (await sealedLeaves()) === stored);
    const batchCount = Number(await store.lastBatchId());
    await waitFor("the DA keeper to commit every batch", 60_000, async () => (await da.nextBatchId()) - 1n >= BigInt(batchCount));
    const batchIds = Array.from({ length: batchCount }, (_, i) => BigInt(i + 1));
    say(`sequencer sealed ${batchCount} batches (4-ary Poseidon trees of depth ${DEPTH}); DA keeper committed them on-chain`);

    // ------------------------------------------------------------------ proofs + settlement
    say(`time travel: +${CHALLENGE_WINDOW + 1n} s over the DA challenge window (batches become final)`);
    await networkHelpers.time.increase(CHALLENGE_WINDOW + 1n);
    timeTravel += CHALLENGE_WINDOW + 1n;
    let lastReport = "";
    await waitFor("every batch to be proven and settled", 240_000, async () => {
      const settled = (await Promise.all(batchIds.map((b) => distributor.isSettled(b)))).filter(Boolean).length;
      const proofs = await Promise.all(batchIds.map((b) => store.getProof(b)));
      const failed = proofs.filter((p) => p?.status === "failed");
      if (failed.length > 0)
        throw new Error(`proving failed: ${failed.map((p) => `batch ${p!.batchId}: ${p!.error}`).join("; ")}`);
      const proven = proofs.filter((p) => p?.status === "proven" || p?.status === "settled").length;
      const line = `  prover: ${proven}/${batchCount} Groth16 proofs made; submitter: ${settled}/${batchCount} verified and settled on-chain`;
      if (line !== lastReport) say(line);
      lastReport = line;
      return settled === batchCount;
    });

    // ------------------------------------------------------------------ epoch close
    const closable = await distributor.closableAt(epoch0);
    const latest = BigInt(await networkHelpers.time.latest());
    if (closable > latest) {
      say(`time travel: +${closable - latest} s to the end of epoch ${epoch0} and its ${SETTLEMENT_DELAY} s settlement delay`);
      await networkHelpers.time.increaseTo(closable);
      timeTravel += closable - latest;
    }
    await waitFor(
      `the epoch keeper to close epoch ${epoch0}`,
      60_000,
      async () => (await distributor.nextEpochToClose()) > epoch0,
    );
    const [totals, closed] = await distributor.epochInfo(epoch0);
    say(
      `epoch keeper closed epoch ${epoch0}: ${totals.totalPoints} points, emission ${fmt(totals.emission)} DPR minted to the distributor`,
    );
    const live = (stage: DemoNetwork["stage"]): DemoNetwork => ({
      stage,
      rpcUrl: rpc.url,
      chainId,
      deploymentFile,
      storeUrl,
      keepers: keeperSet.keepers.map((k) => ({ name: k.name, status: k.status })),
      stopKeeper: (name) => keeperSet.stopOne(name),
      epoch: epoch0,
      genesisTime,
      epochLength: EPOCH_LENGTH,
      keys,
      chainClock,
    });
    if (o.inspect) await o.inspect(live("closed"));

    // ------------------------------------------------------------------ claims
    const points = new Map<bigint, bigint>();
    for (let d = 1n; d <= BigInt(o.devices); d++) points.set(d, (await distributor.pointsOf(d, epoch0))[0]);
    const claimedBy = new Map<number, bigint>();
    const via = new Map<number, string>();
    let sponsored = 0;
    const addClaimEvents = (logs: readonly { topics: readonly string[]; data: string }[]) => {
      for (const log of logs) {
        const parsed = (() => {
          try {
            return distributor.interface.parseLog(log);
          } catch {
            return null;
          }
        })();
        if (parsed?.name === "RewardClaimed") {
          const k = ownerOf.get(parsed.args.deviceId as bigint)!;
          claimedBy.set(k, (claimedBy.get(k) ?? 0n) + (parsed.args.amount as bigint));
        }
      }
    };
    for (let k = 0; k < o.owners; k++) {
      let mine = [...ownerOf].filter(([d, kk]) => kk === k && (points.get(d) ?? 0n) > 0n).map(([d]) => d);
      if (mine.length === 0) continue;
      if (k === o.owners - 1) {
        // One device of the last owner claims through its own ERC-4337 account, gas paid by the paymaster.
        const dev = mine[0];
        mine = mine.slice(1);
        const account = await factory.accountAddress(dev);
        const acct = await ethers.getContractAt("DeviceAccount", account);
        const inner = distributor.interface.encodeFunctionData("claim", [[dev], [epoch0]]);
        const op = {
          sender: account,
          nonce: await entryPoint.getNonce(account, 0),
          initCode: concat([await factory.getAddress(), factory.interface.encodeFunctionData("createAccount", [dev])]),
          callData: acct.interface.encodeFunctionData("execute", [distributorAddress, 0n, inner]),
          accountGasLimits: solidityPacked(["uint128", "uint128"], [USEROP.verification, USEROP.call]),
          preVerificationGas: USEROP.preVerification,
          gasFees: solidityPacked(["uint128", "uint128"], [USEROP.maxFee, USEROP.maxFee]),
          paymasterAndData: concat([
            solidityPacked(
              ["address", "uint128", "uint128"],
              [await paymaster.getAddress(), USEROP.pmVerification, USEROP.pmPostOp],
            ),
            solidityPacked(["uint64", "uint256"], [await emission.currentEpoch(), dev]),
          ]),
          signature: "0x",
        };
        op.signature = owners[k].signingKey.sign(await entryPoint.getUserOpHash(op)).serialized;
        const ownerEthBefore = await ethers.provider.getBalance(owners[k].address);
        const rc = await (await entryPoint.connect(bundler).handleOps([op], bundler.address)).wait();
        const ev = rc!.logs
          .map((l) =>
            l.address.toLowerCase() === (dep.entryPoint.target as string).toLowerCase() ? entryPoint.interface.parseLog(l) : null,
          )
          .find((p) => p?.name === "UserOperationEvent");
        if (!ev || !(ev.args.success as boolean)) throw new Error("the sponsored claim UserOperation failed");
        if ((await ethers.provider.getBalance(owners[k].address)) !== ownerEthBefore)
          throw new Error("the sponsored claim cost the owner gas");
        addClaimEvents(rc!.logs);
        sponsored++;
        via.set(
          k,
          `UserOperation from device ${dev}'s account (deployed by its initCode), paymaster paid ${fmtEth(ev.args.actualGasCost as bigint)} ETH`,
        );
        say(
          `claim: owner ${k + 1} claimed device ${dev} through a sponsored UserOperation (EntryPoint.handleOps, ClaimPaymaster paid; owner spent 0 gas)`,
        );
      }
      if (mine.length > 0) {
        // The owner tool's claim (npm run owner -- claim): every unclaimed epoch of these devices, one call.
        const due = (await earnings(distributorAddress, ethers.provider, mine, epoch0)).filter((e) => e.epoch === epoch0);
        const claimed = await claimAll(distributorAddress, owners[k], due);
        if (!claimed) throw new Error(`owner ${k + 1} has nothing to claim although devices ${mine.join(",")} earned points`);
        addClaimEvents(claimed.receipt.logs);
        via.set(k, via.has(k) ? `${via.get(k)} + direct claim()` : "direct claim()");
        say(`claim: owner ${k + 1} claimed ${mine.length} device${mine.length === 1 ? "" : "s"} directly (distributor.claim)`);
      }
    }

    // ------------------------------------------------------------------ governance: future reward range
    const ruleFrom = (await emission.currentEpoch()) + 2n;
    await govern(
      `Reward range ${SECOND_RULE.minValue}..${SECOND_RULE.maxValue}, cap ${SECOND_RULE.capPerBatch} per batch from epoch ${ruleFrom}`,
      [call(distributorAddress, distributor.interface, "scheduleRule", [ruleFrom, SECOND_RULE])],
    );
    const ruleNow = await distributor.ruleVersion((await distributor.ruleVersionCount()) - 1n);

    // ------------------------------------------------------------------ one device's receipt
    // The device with the most points (lowest id on a tie): its receipt is built from the store
    // and the chain and verified trusting only the RPC endpoint, by the CLI a user runs.
    const [receiptDevice] = [...points].sort(([a, pa], [b, pb]) => (pb !== pa ? (pb > pa ? 1 : -1) : a < b ? -1 : 1))[0];
    mkdirSync(o.receiptDir, { recursive: true });
    const receiptFile = path.resolve(o.receiptDir, `receipt-device-${receiptDevice}-epoch-${epoch0}.json`);
    rmSync(receiptFile, { force: true });
    const receiptArgs = ["--device", String(receiptDevice), "--epoch", String(epoch0), "--out", receiptFile, "--verify"];
    say(`receipt: npm run receipt -- ${receiptArgs.join(" ")} --json (RPC, deployment record and store of this demo)…`);
    const cli = await runNode(
      [
        "indexer/receipt-cli.ts",
        ...receiptArgs,
        "--json",
        "--rpc-url",
        rpc.url,
        "--deployment",
        deploymentFile,
        "--store",
        storeUrl,
      ],
      120_000,
    );
    const verifiedLine = cli.out.split("\n").find((l) => l.startsWith('{"ok":'));
    if (cli.code !== 0 || !verifiedLine) throw new Error(`npm run receipt failed (exit ${cli.code}):\n${cli.out}`);
    const verified = JSON.parse(verifiedLine) as { ok: boolean; seconds: number };
    const receiptDoc = JSON.parse(readFileSync(receiptFile, "utf8")) as ReceiptDoc;
    const receiptReadings = receiptDoc.batches.flatMap((b) => b.readings);
    const receipt: DemoSummary["receipt"] = {
      device: receiptDoc.device.id,
      epoch: receiptDoc.epoch.id,
      file: receiptFile,
      batches: receiptDoc.batches.map((b) => b.batchId),
      readings: receiptReadings.length,
      earned: receiptReadings.filter((r) => r.earned).length,
      points: receiptDoc.payout.points,
      amount: receiptDoc.payout.amount,
      claimTx: receiptDoc.payout.claimTx,
      verified: verified.ok ? `verified in ${verified.seconds} s (proofs, roots, signatures, payout)` : "NOT verified",
    };
    say(
      `receipt: device ${receipt.device}, epoch ${receipt.epoch}: batches ${receipt.batches.join(",")} → ${receipt.readings} readings (${receipt.earned} earned) → ${receipt.points} of ${receiptDoc.payout.totalPoints} points → ${fmt(BigInt(receipt.amount))} DPR (${receipt.amount} wei)${receipt.claimTx ? `, claimed in ${receipt.claimTx}` : ""}`,
    );
    say(`receipt written to ${receiptFile}; --verify: ${receipt.verified}`);

    // ------------------------------------------------------------------ summary
    const reference = new Map<bigint, bigint>();
    const window = epochWindow(genesisTime, EPOCH_LENGTH, epoch0);
    for (const b of batchIds) {
      for (const p of rewardPoints(await store.batchReadings(b), FIRST_RULE, window))
        reference.set(p.deviceId, (reference.get(p.deviceId) ?? 0n) + p.points);
    }
    const referenceMatches = [...points].every(([d, p]) => (reference.get(d) ?? 0n) === p);
    const settledEvents = await distributor.queryFilter(distributor.filters.BatchSettled());
    const generated = (await Promise.all(batchIds.map((b) => store.getProof(b)))).filter(
      (p) => p?.status === "proven" || p?.status === "settled",
    ).length;
    const sum = [...claimedBy.values()].reduce((a, b) => a + b, 0n);
    const gas = await gasByCategory(
      ethers.provider,
      deployBlock,
      {
        [await registry.getAddress()]: "onboarding (bind, activate, maker root)",
        [await da.getAddress()]: "data availability (commit, bond)",
        [distributorAddress]: "rewards (settle, close, claim)",
        [await entryPoint.getAddress()]: "sponsored claim (handleOps)",
        [await governor.getAddress()]: "governance (propose, vote, queue, execute)",
        [await token.getAddress()]: "governance (propose, vote, queue, execute)",
      },
      distributor.interface,
    );
    const summary: DemoSummary = {
      chainId: chainId.toString(),
      store: storeLabel,
      broker: o.broker || brokerUrl + " (embedded)",
      devices: o.devices,
      owners: o.owners,
      readings: { sent, acknowledged: acked, stored, rejected, rejectedByCode },
      batches: { sealed: batchCount, committed: Number((await da.nextBatchId()) - 1n), depth: DEPTH },
      proofs: { generated, verifiedOnChain: settledEvents.length, referenceMatches },
      epoch: { id: epoch0.toString(), totalPoints: totals.totalPoints.toString(), emission: totals.emission.toString(), closed },
      points: Object.fromEntries([...points].map(([d, p]) => [d.toString(), p.toString()])),
      claims: {
        perOwner: owners.map((w, k) => ({
          address: w.address,
          devices: [...ownerOf].filter(([, kk]) => kk === k).map(([d]) => d.toString()),
          claimed: (claimedBy.get(k) ?? 0n).toString(),
          via: via.get(k) ?? "nothing to claim",
        })),
        sum: sum.toString(),
        emission: totals.emission.toString(),
        remainder: (totals.emission - sum).toString(),
        claimingDevices: [...points.values()].filter((p) => p > 0n).length,
        sponsoredUserOps: sponsored,
      },
      governance: {
        proposals,
        executed,
        scheduledRule: {
          fromEpoch: ruleNow.fromEpoch.toString(),
          minValue: ruleNow.params.minValue.toString(),
          maxValue: ruleNow.params.maxValue.toString(),
          capPerBatch: ruleNow.params.capPerBatch.toString(),
        },
      },
      gas,
      receipt,
      timeTravelSeconds: timeTravel.toString(),
      keepers: Object.fromEntries(
        keeperSet.keepers.map((k) => [k.name, o.processes ? `pid ${k.pid}, ${k.status}` : `in the demo's process, ${k.status}`]),
      ),
      wallSeconds: Math.round((performance.now() - t0) / 100) / 10,
    };
    if (o.inspect) await o.inspect(live("final"));
    return summary;
  } finally {
    for (const c of cleanups.reverse()) {
      try {
        await c();
      } catch (e) {
        o.say(`[demo] cleanup: ${(e as Error).message}`);
      }
    }
  }
}

/** The receipt fields the demo prints (format: docs/receipts.md). */
interface ReceiptDoc {
  device: { id: string };
  epoch: { id: string };
  batches: { batchId: string; readings: { earned: boolean }[] }[];
  payout: { points: string; totalPoints: string; amount: string; claimTx: string | null };
}

/** Runs a project script with this Node (22) and tsx, asynchronously (this process serves the RPC endpoint). */
function runNode(args: string[], timeoutMs: number): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", ...args], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (out += c.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

/** Gas of every transaction since the chain started, by what it did. */
async function gasByCategory(
  provider: {
    getBlockNumber(): Promise<number>;
    getBlock(
      n: number,
      prefetch: boolean,
    ): Promise<{ prefetchedTransactions: { hash: string; to: string | null; data: string }[] } | null>;
    getTransactionReceipt(h: string): Promise<{ gasUsed: bigint } | null>;
  },
  deployBlock: number,
  byTarget: Record<string, string>,
  distributorIface: Interface,
): Promise<Record<string, string>> {
  const out = new Map<string, bigint>();
  const targets = new Map(Object.entries(byTarget).map(([a, c]) => [a.toLowerCase(), c]));
  const settle = distributorIface.getFunction("settle")!.selector;
  const close = distributorIface.getFunction("closeEpoch")!.selector;
  const claim = distributorIface.getFunction("claim")!.selector;
  const latest = await provider.getBlockNumber();
  for (let n = 0; n <= latest; n++) {
    const block = await provider.getBlock(n, true);
    for (const tx of block?.prefetchedTransactions ?? []) {
      const gasUsed = (await provider.getTransactionReceipt(tx.hash))?.gasUsed ?? 0n;
      let cat: string;
      if (n <= deployBlock) cat = "deployment (Ignition DevProtocol, role hand-over)";
      else if (tx.to === null) cat = "deployment (Ignition DevProtocol, role hand-over)";
      else {
        const to = tx.to.toLowerCase();
        cat = targets.get(to) ?? "other";
        if (cat.startsWith("rewards")) {
          const sel = tx.data.slice(0, 10);
          cat =
            sel === settle
              ? "settlement (Groth16 verify + credit)"
              : sel === close
                ? "epoch close (mint emission)"
                : sel === claim
                  ? "claims (direct)"
                  : "rewards (other)";
        }
      }
      out.set(cat, (out.get(cat) ?? 0n) + gasUsed);
    }
  }
  let total = 0n;
  for (const v of out.values()) total += v;
  out.set("total", total);
  return Object.fromEntries([...out].map(([k, v]) => [k, v.toString()]));
}

function fmtEth(wei: bigint): string {
  return (Number(wei) / 1e18).toFixed(6);
}
