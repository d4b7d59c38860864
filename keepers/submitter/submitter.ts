/**
 * The submitter keeper: sends RewardDistributor.settle(batchId, ruleVersion, deviceWords, proof)
 * for every proof the prover stored, through the durable transaction manager.
 *
 * Exactly once per batch: the chain decides (isSettled is read before anything is signed, and a
 * revert RewardDistributorBatchAlreadySettled counts as success); the journal key "settle:<id>"
 * makes a restart after a crash between send and receipt follow the transaction already sent
 * (same nonce, same hashes) instead of sending another. Slow transactions are re-priced (fee
 * bumping); transport errors are retried. A proof the chain refuses for good (its epoch closed,
 * the batch was invalidated, the proof does not verify) is marked failed with the reason.
 */
import { JsonRpcProvider, Wallet, type Contract, type ContractRunner } from "ethers";
import { Counter, Gauge } from "prom-client";
import { silentLogger, type Logger } from "../common/log.js";
import { daemonOptions, opt, type OptionValues, rpcUrlOption, storeOption } from "../common/options.js";
import { bindStoreToChain } from "../common/chain.js";
import { decodeDistributorError, distributorInterface, rewardDistributor } from "../common/rewards.js";
import { Service } from "../common/service.js";
import { openStore, type ProofRecord, type Store } from "../common/store/index.js";
import {
  DurableTxManager,
  durableTxOptionsFrom,
  isRevert,
  TxDroppedError,
  TxRevertedError,
  txOptionSpecs,
} from "../common/tx.js";
import { claimOptions } from "../common/scaleout.js";

export const submitterOptions = {
  store: storeOption(),
  rpcUrl: rpcUrlOption(),
  distributor: opt.string("RewardDistributor address", { pattern: /^0x[0-9a-fA-F]{40}$/ }),
  privateKey: opt.string("key of the account that sends settle() (any funded account)", {
    secret: true,
    pattern: /^0x[0-9a-fA-F]{64}$/,
    default: "",
  }),
  ...txOptionSpecs,
  pollMs: opt.int("receipt polling interval (ms)", { default: 1000, min: 10 }),
  maxSettlesPerTick: opt.int("settlements per tick at most", { default: 16, min: 1 }),
  dryRun: opt.bool("log what would be settled, send nothing"),
  ...claimOptions(),
  ...daemonOptions({ schedule: "*/5 * * * * *", metricsPort: 9106 }),
};
export type SubmitterOptions = OptionValues<typeof submitterOptions>;

/** Chain refusals that no retry can fix: the proof is marked failed. */
const FINAL_REFUSALS = new Set([
  "RewardDistributorEpochClosed",
  "RewardDistributorBatchNotCommitted",
  "RewardDistributorInvalidProof",
  "RewardDistributorStaleRule",
  "RewardDistributorBadDeviceWords",
]);

export class Submitter extends Service {
  store!: Store;
  distributor!: Contract;
  tx?: DurableTxManager;
  private provider!: JsonRpcProvider;
  private readonly settled: Counter;
  private readonly refused: Counter;
  private readonly pending: Gauge;
  lastSettled: string | null = null;

  constructor(
    readonly opts: SubmitterOptions,
    private readonly deps: { store?: Store; provider?: JsonRpcProvider; log?: Logger } = {},
  ) {
    super("submitter", deps.log ?? silentLogger);
    this.settled = new Counter({
      name: "depin_submitter_settled_total",
      help: "batches settled (by us or found settled)",
      labelNames: ["by"],
      registers: [this.registry],
    });
    this.refused = new Counter({
      name: "depin_submitter_refused_total",
      help: "proofs the chain refused for good",
      labelNames: ["error"],
      registers: [this.registry],
    });
    this.pending = new Gauge({
      name: "depin_submitter_pending",
      help: "stored proofs not yet settled",
      registers: [this.registry],
    });
  }

  async init(): Promise<void> {
    if (!this.opts.privateKey && !this.opts.dryRun) throw new Error("invalid option --private-key: is required unless --dry-run");
    this.store = this.deps.store ?? openStore(this.opts.store);
    await this.store.init();
    let provider = this.deps.provider;
    if (!provider) {
      provider = await this.connectChain(this.opts.rpcUrl, { pollingInterval: this.opts.pollMs });
      await bindStoreToChain(this.store, provider, { rewardDistributor: this.opts.distributor });
    }
    this.provider = provider;
    let runner: ContractRunner = provider;
    if (this.opts.privateKey) {
      const wallet = new Wallet(this.opts.privateKey, provider);
      this.tx = new DurableTxManager(this.log, this.store, wallet, durableTxOptionsFrom(this.opts, this.opts.pollMs));
      runner = wallet;
    }
    this.distributor = rewardDistributor(this.opts.distributor, runner);
  }

  async tick(): Promise<void> {
    await this.submitPending();
  }

  /** Settles stored proofs (oldest first); returns the batch ids now settled. */
  async submitPending(): Promise<bigint[]> {
    // Transactions journaled before a crash are followed first (never re-sent with a new nonce).
    if (this.tx && !this.opts.dryRun) await this.tx.resume();
    // More candidates than this tick's share: with several submitters on one store, row locks
    // split them (each batch is sent by one instance at a time).
    const proofs = await this.store.listProofs("proven", this.opts.maxSettlesPerTick * 4);
    this.pending.set(proofs.length);
    const done: bigint[] = [];
    if (proofs.length === 0) return done;
    const claim = await this.store.claimWork(
      "settle",
      proofs.map((p) => p.batchId),
      this.opts.maxSettlesPerTick,
      this.opts.holdMs,
    );
    try {
      for (const id of claim.ids) {
        // Re-read under the lock: another instance may have settled it since the listing.
        const p = await this.store.getProof(id);
        if (p?.status !== "proven") continue;
        if (await this.settleOne(p)) done.push(p.batchId);
      }
    } finally {
      if (claim.lost) this.log.warn("Submitter#claimLost", { batchIds: claim.ids, holdMs: this.opts.holdMs });
      await claim.release();
    }
    return done;
  }

  private async settleOne(p: ProofRecord): Promise<boolean> {
    const id = p.batchId;
    const key = `settle:${id}`;
    if ((await this.distributor.isSettled(id)) as boolean) {
      const ours = await this.ourSettleTx(key);
      await this.store.markSettled(id, ours ?? "external");
      this.settled.inc({ by: ours ? "us" : "other" });
      this.log.info("Submitter#alreadySettled", { batchId: id, tx: ours });
      return true;
    }
    if (!p.proof) return false;
    const data = distributorInterface.encodeFunctionData("settle", [id, p.ruleVersion, p.deviceWords, p.proof]);
    if (this.opts.dryRun || !this.tx) {
      this.log.info("Submitter#dryRun", { batchId: id, ruleVersion: p.ruleVersion, points: p.points });
      return false;
    }
    try {
      const out = await this.tx.send(
        key,
        { to: this.opts.distributor, data },
        { alreadyDone: async () => (await this.distributor.isSettled(id)) as boolean },
      );
      const hash = out.status === "mined" ? out.receipt.hash : "external";
      await this.store.markSettled(id, hash);
      this.settled.inc({ by: out.status === "mined" ? "us" : "other" });
      this.lastSettled = id.toString();
      this.log.info("Submitter#settled", {
        batchId: id,
        tx: hash,
        points: p.points,
        resumed: out.status === "mined" ? out.resumed : false,
      });
      return true;
    } catch (e) {
      return this.onFailure(p, e);
    }
  }

  /** Hash of our own mined settle for `key` (journal, else a receipt of any journaled hash). */
  private async ourSettleTx(key: string): Promise<string | null> {
    const j = await this.store.getTx(key);
    if (!j) return null;
    if (j.minedHash) return j.minedHash;
    for (const h of j.hashes) {
      const r = await this.provider.getTransactionReceipt(h);
      if (r?.status === 1) return h;
    }
    return null;
  }

  private async onFailure(p: ProofRecord, e: unknown): Promise<boolean> {
    const id = p.batchId;
    if (e instanceof TxRevertedError || e instanceof TxDroppedError || isRevert(e)) {
      // Whatever happened, the chain says whether the batch is settled.
      if ((await this.distributor.isSettled(id)) as boolean) {
        const ours = await this.ourSettleTx(`settle:${id}`);
        await this.store.markSettled(id, ours ?? "external");
        this.settled.inc({ by: ours ? "us" : "other" });
        this.log.info("Submitter#alreadySettled", { batchId: id, note: "settled by another transaction" });
        return true;
      }
      const decoded = decodeDistributorError(e);
      if (decoded && FINAL_REFUSALS.has(decoded.name)) {
        const reason = `${decoded.name}(${decoded.args.map(String).join(", ")})`;
        await this.store.rejectProof(id, `settle refused: ${reason}`);
        this.refused.inc({ error: decoded.name });
        this.log.error("Submitter#refused", { batchId: id, error: reason });
        return false;
      }
      this.log.warn("Submitter#reverted", { batchId: id, error: decoded ? decoded.name : (e as Error).message });
      return false;
    }
    throw e;
  }

  async status(): Promise<Record<string, unknown>> {
    return {
      service: "submitter",
      from: this.tx?.address ?? null,
      dryRun: this.opts.dryRun,
      lastSettled: this.lastSettled,
      pending: this.store ? (await this.store.listProofs("proven", 100)).length : 0,
    };
  }

  async close(): Promise<void> {
    await this.store?.close();
  }
}
