/**
 * Fixture of the settlement keeper tests: the in-process chain with the real DataAvailability
 * (Ignition module, bonded sequencer), the real RewardDistributor with the real generated
 * RewardRule16Verifier, an emission double; readings written to a real store (SQLite or
 * PostgreSQL), sealed by the real Sequencer and committed by the real DA keeper; a JSON-RPC
 * endpoint over the in-process chain for keepers in child processes and for the transaction
 * manager (which signs raw transactions).
 */
import path from "node:path";
import { JsonRpcProvider, Wallet } from "ethers";
import { network } from "hardhat";
import {
  generateKeyPair,
  signReading,
  type DeviceKeyPair,
  type Reading,
  type RewardRuleParams,
  type SignedReading,
} from "../../../sdk/src/index.js";
import { createLogger } from "../../../keepers/common/log.js";
import { parseOptions } from "../../../keepers/common/options.js";
import { openStore, PostgresStore, type Store } from "../../../keepers/common/store/index.js";
import { DaKeeper, daOptions } from "../../../keepers/da/da.js";
import { EpochKeeper, epochOptions } from "../../../keepers/epoch/epoch.js";
import { Prover, proverOptions } from "../../../keepers/prover/prover.js";
import { Sequencer, sequencerOptions } from "../../../keepers/sequencer/sequencer.js";
import { Submitter, submitterOptions } from "../../../keepers/submitter/submitter.js";
import { deployDa } from "../../da/fixture.js";
import { tempDir } from "../../datapath/fixtures.js";
import { rpcEndpoint } from "../../../keepers/common/net.js";

export const GENESIS = 1_767_225_600n; // 2026-01-01T00:00:00Z
export const EPOCH_LENGTH = 3600n;
export const DAY = 86_400n;
export const SETTLEMENT_DELAY = 2n * DAY; // > the DA challenge window (1 day) + proving time
export const EMISSION = 1_000_000n * 10n ** 18n + 7n;
export const RULE: RewardRuleParams = { minValue: 100n, maxValue: 200n, capPerBatch: 3n };
export const DEPTH = 2; // reward_rule_16: 4-ary tree of depth 2, 16 readings per batch
export const SLOTS = 4;
export const POSTGRES = "postgres://postgres@127.0.0.1:5432/test";
/** Well-known test keys (Hardhat's default accounts #7 and #8), funded by the fixture: the submitter's and the epoch keeper's. */
export const SUBMITTER_KEY = "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdf4081b2dac";
export const EPOCH_KEY = "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97";

/** Keeper logs on stderr when DEPIN_TEST_LOGS is set. */
const testLog = () =>
  process.env.DEPIN_TEST_LOGS ? createLogger({ level: "debug", write: (l) => console.error(l) }) : undefined;

export type StoreKind = "sqlite" | "postgres";

const KEYS = new Map<bigint, DeviceKeyPair>();
function keyOf(deviceId: bigint): DeviceKeyPair {
  let k = KEYS.get(deviceId);
  if (!k) KEYS.set(deviceId, (k = generateKeyPair("secp256k1")));
  return k;
}

let schemaSeq = 0;

export async function setup(kind: StoreKind) {
  const conn = await network.create();
  const { ethers, networkHelpers } = conn;
  // Each committed batch locks the DA's slashAmount (1 ETH) of the bond for its challenge window.
  const da = await deployDa(conn, { bond: 100n * 10n ** 18n });
  const [admin, , , , owner] = await ethers.getSigners();
  const chainId = da.chainId;
  const now = BigInt(await networkHelpers.time.latest());
  const epoch = (now - GENESIS) / EPOCH_LENGTH;
  const emission = await ethers.deployContract("RewardEmissionMock", [GENESIS, EPOCH_LENGTH, EMISSION]);
  const distributor = await ethers.deployContract("RewardDistributor", [
    await da.da.getAddress(),
    await emission.getAddress(),
    await da.directory.getAddress(),
    admin.address,
    SETTLEMENT_DELAY,
    epoch,
    { minValue: RULE.minValue, maxValue: RULE.maxValue, capPerBatch: RULE.capPerBatch },
  ]);
  const verifier = await ethers.deployContract("RewardRule16Verifier");
  await (await distributor.setVerifier(DEPTH, await verifier.getAddress(), SLOTS)).wait();
  const token = await ethers.getContractAt("RewardTokenMock", await emission.token());
  for (const key of [SUBMITTER_KEY, EPOCH_KEY]) {
    await conn.provider.request({ method: "hardhat_setBalance", params: [new Wallet(key).address, "0x56bc75e2d63100000"] });
  }
  const rpc = await rpcEndpoint(
    conn.provider,
    process.env.DEPIN_TEST_LOGS ? (method, message) => console.error("RPC error", method, message.slice(0, 300)) : undefined,
  );
  const provider = new JsonRpcProvider(rpc.url, undefined, { staticNetwork: true, pollingInterval: 50 });
  const tmp = tempDir("prover");
  const sqliteFile = path.join(tmp.dir, "depin.sqlite");
  const schema = `prover_${process.pid}_${Date.now() % 1e6}_${schemaSeq++}`;
  const storeUrl = kind === "sqlite" ? `sqlite:${sqliteFile}` : `${POSTGRES}?schema=${schema}`;
  const stores: Store[] = [];
  const newStore = async (): Promise<Store> => {
    const s = openStore(storeUrl);
    await s.init();
    stores.push(s);
    return s;
  };
  const store = await newStore();
  const distributorAddress = await distributor.getAddress();

  /** Devices Active in the directory, owned by `owner`, each paying a device account. */
  const recipients = new Map<bigint, string>();
  const activate = async (devices: bigint[]) => {
    for (const d of devices) {
      const account = ethers.getAddress(`0x${(0xacc0000n + d).toString(16).padStart(40, "0")}`);
      recipients.set(d, account);
      await (await da.directory.setStatus(d, 3)).wait();
      await (await da.directory.setOwner(d, owner.address)).wait();
      await (await da.directory.setRewardRecipient(d, account)).wait();
    }
  };

  const seqs = new Map<bigint, bigint>();
  /** Signed readings of the fixture's epoch (value, seconds from the epoch start), seq per device. */
  const readings = (specs: { deviceId: bigint; value: bigint; offset: bigint }[], inEpoch = epoch): SignedReading[] =>
    specs.map((s) => {
      const seq = (seqs.get(s.deviceId) ?? 0n) + 1n;
      seqs.set(s.deviceId, seq);
      const r: Reading = { deviceId: s.deviceId, seq, timestamp: GENESIS + inEpoch * EPOCH_LENGTH + s.offset, value: s.value };
      return signReading(chainId, keyOf(s.deviceId), r);
    });

  /**
   * Stores readings (as the bridge does), seals them into batches, commits them on-chain.
   * `sequencerExtra` overrides sequencer options (e.g. a misconfigured --max-devices).
   */
  const ingestAndCommit = async (batches: SignedReading[][], inEpoch = epoch, sequencerExtra: Record<string, unknown> = {}) => {
    const sequencer = new Sequencer(
      parseOptions(sequencerOptions, { depth: DEPTH, windowMs: 0, metricsPort: -1, ...sequencerExtra }),
      { store },
    );
    await sequencer.init();
    for (const rs of batches) {
      await store.insertReadings(rs.map((r) => ({ ...r, epoch: inEpoch })));
      await sequencer.tick();
    }
    const keeper = new DaKeeper(parseOptions(daOptions, { da: await da.da.getAddress(), metricsPort: -1 }), {
      store,
      signer: da.sequencer,
    });
    await keeper.init();
    return keeper.commitPending();
  };

  const makeProver = async (extra: Record<string, unknown> = {}) => {
    const p = new Prover(
      parseOptions(proverOptions, { distributor: distributorAddress, workers: 1, metricsPort: -1, progress: "off", ...extra }),
      {
        store: await newStore(),
        runner: provider,
        log: process.env.DEPIN_TEST_LOGS ? createLogger({ level: "debug", write: (l) => console.error(l) }) : undefined,
      },
    );
    await p.init();
    return p;
  };
  const makeSubmitter = async (extra: Record<string, unknown> = {}) => {
    const s = new Submitter(
      parseOptions(submitterOptions, {
        distributor: distributorAddress,
        privateKey: SUBMITTER_KEY,
        pollMs: 20,
        metricsPort: -1,
        ...extra,
      }),
      { store: await newStore(), provider, log: testLog() },
    );
    await s.init();
    return s;
  };
  const makeEpochKeeper = async (extra: Record<string, unknown> = {}) => {
    const k = new EpochKeeper(
      parseOptions(epochOptions, {
        distributor: distributorAddress,
        privateKey: EPOCH_KEY,
        pollMs: 20,
        metricsPort: -1,
        ...extra,
      }),
      { store: await newStore(), provider, log: testLog() },
    );
    await k.init();
    return k;
  };

  /** BatchSettled events so far, as [batchId, points]. */
  const settlements = async (): Promise<[bigint, bigint][]> =>
    (await distributor.queryFilter(distributor.filters.BatchSettled())).map((e) => [e.args.batchId, e.args.points]);

  /** Edits stored rows behind the keepers' back (tamper tests). */
  const tamper = async (sql: string): Promise<void> => {
    if (kind === "sqlite") {
      const { DatabaseSync } = await import("node:sqlite");
      const db = new DatabaseSync(sqliteFile);
      db.exec("PRAGMA busy_timeout = 5000");
      db.exec(sql);
      db.close();
    } else {
      const pg = (await import("pg")).default;
      const c = new pg.Client({ connectionString: POSTGRES });
      await c.connect();
      await c.query(`SET search_path = ${schema}`);
      await c.query(sql);
      await c.end();
    }
  };

  const cleanup = async () => {
    for (const s of stores) await s.close().catch(() => undefined);
    if (kind === "postgres") {
      const pgStore = new PostgresStore(POSTGRES, schema);
      await pgStore.dropSchema();
      await pgStore.close();
    }
    await rpc.close();
    provider.destroy();
    tmp.cleanup();
  };

  return {
    conn,
    ethers,
    networkHelpers,
    da,
    admin,
    owner,
    distributor,
    distributorAddress,
    verifier,
    token,
    emission,
    epoch,
    rpc,
    provider,
    store,
    storeUrl,
    sqliteFile,
    recipients,
    activate,
    readings,
    ingestAndCommit,
    makeProver,
    makeSubmitter,
    makeEpochKeeper,
    settlements,
    tamper,
    newStore,
    cleanup,
  };
}

export type Fixture = Awaited<ReturnType<typeof setup>>;
