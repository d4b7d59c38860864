/**
 * The DA keeper: commits sealed batch roots on-chain, in id order, exactly once each, and serves
 * batch payloads and inclusion proofs over HTTP.
 *
 * Idempotence comes from the chain, not from local memory: every tick reads `nextBatchId()` and
 * commits exactly that batch if the store has it. A crash after the transaction but before
 * `markCommitted` is harmless (the next tick sees the chain has moved on and records it); a
 * competing keeper's commit makes ours revert with the id check and we re-read. Before relying on
 * an already-committed batch the keeper checks that the chain's root equals the store's.
 *
 * HTTP (on the ops port, next to /metrics and /status):
 *   GET /batches/<id>                 canonical batch payload (sdk encodeBatchPayload)
 *   GET /proofs/<id>/<index>          inclusion proof of leaf <index> of batch <id>
 *   GET /proofs?deviceId=<d>&seq=<s>  inclusion proof of a reading
 */
import { Wallet, type Contract, type ContractRunner } from "ethers";
import { Counter, Gauge } from "prom-client";
import { batchInclusionProof, encodeBatchPayload, getPoseidon, type PoseidonHasher } from "../../sdk/src/index.js";
import { silentLogger, type Logger } from "../common/log.js";
import { daemonOptions, opt, type OptionValues, rpcUrlOption, storeOption } from "../common/options.js";
import { bindStoreToChain } from "../common/chain.js";
import { describeRevert } from "../common/errors.js";
import { Service } from "../common/service.js";
import { openStore, type Store } from "../common/store/index.js";
import { TxManager, isRevert } from "../common/tx.js";
import { batchCommitments, revertOf, WAIT_FOR_NEXT_TICK, type ChainBatch } from "./contract.js";
import { loadBatchPayload } from "./payload.js";
import { Leadership, leaseOption } from "../common/scaleout.js";

export const daOptions = {
  store: storeOption(),
  rpcUrl: rpcUrlOption(),
  da: opt.string("DA contract (commitBatch / nextBatchId / getBatch) address", { pattern: /^0x[0-9a-fA-F]{40}$/ }),
  privateKey: opt.string("key of the sequencer account that commits", {
    secret: true,
    pattern: /^0x[0-9a-fA-F]{64}$/,
    default: "",
  }),
  publicUrl: opt.string("base URL written into each commitment's uri", { default: "http://127.0.0.1:9103" }),
  archiveDir: opt.string("long-term storage directory (to serve pruned batches)", { default: "data/archive" }),
  maxCommitsPerTick: opt.int("commitments per tick at most", { default: 16, min: 1 }),
  confirmations: opt.int("confirmations to wait for", { default: 1, min: 1 }),
  dryRun: opt.bool("log what would be committed, send nothing"),
  ...leaseOption(),
  ...daemonOptions({
    schedule: "*/5 * * * * *",
    metricsPort: 9103,
    metricsHelp: "/metrics, /status and the batch API port (-1 = off, 0 = any)",
  }),
};
export type DaOptions = OptionValues<typeof daOptions>;

export class DaKeeper extends Service {
  store!: Store;
  contract!: Contract;
  private hasher!: PoseidonHasher;
  private tx!: TxManager;
  /** Only the leader among instances on one store commits (one account, ids in order). */
  leadership!: Leadership;
  private readonly commits: Counter;
  private readonly committedGauge: Gauge;
  lastCommitted = 0n;

  constructor(
    readonly opts: DaOptions,
    private readonly deps: { store?: Store; signer?: ContractRunner; log?: Logger } = {},
  ) {
    super("da", deps.log ?? silentLogger);
    this.commits = new Counter({
      name: "depin_da_commits_total",
      help: "batch roots committed by this keeper",
      registers: [this.registry],
    });
    this.committedGauge = new Gauge({
      name: "depin_da_last_committed_batch",
      help: "highest batch id committed on-chain",
      registers: [this.registry],
    });
  }

  async init(): Promise<void> {
    this.hasher = await getPoseidon();
    this.store = this.deps.store ?? openStore(this.opts.store);
    await this.store.init();
    let signer = this.deps.signer;
    if (!signer) {
      if (!this.opts.privateKey && !this.opts.dryRun)
        throw new Error("invalid option --private-key: is required unless --dry-run");
      const provider = await this.connectChain(this.opts.rpcUrl);
      await bindStoreToChain(this.store, provider, { dataAvailability: this.opts.da });
      signer = this.opts.privateKey ? new Wallet(this.opts.privateKey, provider) : provider;
    }
    this.contract = batchCommitments(this.opts.da, signer);
    this.tx = new TxManager(this.log, { confirmations: this.opts.confirmations, retries: 3, retryDelayMs: 500 });
    this.leadership = new Leadership(this.store, "da", this.opts.leaseMs, this.log, "DaKeeper", this.registry);
    this.ops.route("/batches/", (url) => this.serveBatch(url));
    this.ops.route("/proofs", (url) => this.serveProof(url));
  }

  private async chainBatch(id: bigint): Promise<ChainBatch> {
    return (await this.contract.getBatch(id)) as ChainBatch;
  }

  /** Commits batches nextBatchId(), nextBatchId()+1, … that the store has. Returns the ids committed. */
  async tick(): Promise<void> {
    await this.commitPending();
  }

  async commitPending(): Promise<bigint[]> {
    const done: bigint[] = [];
    for (let i = 0; i < this.opts.maxCommitsPerTick; i++) {
      // Followers serve batches and proofs but send nothing; leadership is renewed before each send.
      if (!(await this.leadership.check())) break;
      const next = BigInt(await this.contract.nextBatchId());
      this.lastCommitted = next - 1n;
      this.committedGauge.set(Number(next - 1n));
      await this.reconcile(next - 1n);
      const b = await this.store.getBatch(next);
      if (!b) break;
      const uri = `${this.opts.publicUrl.replace(/\/$/, "")}/batches/${b.batchId}`;
      if (this.opts.dryRun) {
        this.log.info("DaKeeper#dryRun", { batchId: b.batchId, root: b.root, leafCount: b.leafCount, uri });
        break;
      }
      try {
        const receipt = await this.tx.send(`commitBatch(${b.batchId})`, () =>
          this.contract.commitBatch(b.batchId, b.root, b.leafCount, b.depth, b.epoch, uri),
        );
        await this.store.markCommitted(b.batchId, receipt.hash);
        this.commits.inc();
        done.push(b.batchId);
        this.log.info("DaKeeper#commit", { batchId: b.batchId, root: b.root, tx: receipt.hash });
      } catch (e) {
        const revert = describeRevert(e);
        const refusal = revertOf(e);
        if (!isRevert(e) && !revert && !refusal) throw e;
        if (refusal && WAIT_FOR_NEXT_TICK.has(refusal.name)) {
          // Nothing a retry in this tick can fix: not a sequencer, bond too small or locked by open
          // batches (their windows end), root already committed. The batch waits in the store; an
          // account that cannot commit at all is an error an operator must act on.
          const fatal = /NotSequencer|NotBonded/.test(refusal.name);
          this.log[fatal ? "error" : "warn"]("DaKeeper#commitRefused", {
            batchId: b.batchId,
            reason: refusal.name,
            ...refusal.args,
            ...(revert ? { revert } : {}),
          });
          break;
        }
        // Someone else committed this id first (another keeper): re-read the chain next round.
        this.log.warn("DaKeeper#commitReverted", { batchId: b.batchId, err: e as Error, ...(revert ? { revert } : {}) });
      }
    }
    return done;
  }

  /** Records a chain commitment the store does not know of yet, after checking its root. */
  private async reconcile(id: bigint): Promise<void> {
    if (id < 1n) return;
    const b = await this.store.getBatch(id);
    if (!b || b.commitTx) return;
    const onChain = await this.chainBatch(id);
    if (onChain.root !== b.root) {
      throw new Error(`batch ${id}: on-chain root ${onChain.root} differs from the store's ${b.root}; refusing to continue`);
    }
    await this.store.markCommitted(id, "reconciled");
  }

  private async serveBatch(url: URL): Promise<{ status: number; body: unknown }> {
    const m = /^\/batches\/(\d{1,20})$/.exec(url.pathname);
    if (!m) return { status: 400, body: { error: "expected /batches/<id>" } };
    const p = await loadBatchPayload(this.store, BigInt(m[1]), this.opts.archiveDir);
    if (!p) return { status: 404, body: { error: `batch ${m[1]} not found` } };
    return { status: 200, body: JSON.parse(encodeBatchPayload(p)) as unknown };
  }

  private async serveProof(url: URL): Promise<{ status: number; body: unknown }> {
    let batchId: bigint;
    let index: number;
    const m = /^\/proofs\/(\d{1,20})\/(\d{1,10})$/.exec(url.pathname);
    if (m) {
      batchId = BigInt(m[1]);
      index = Number(m[2]);
    } else {
      const d = url.searchParams.get("deviceId");
      const s = url.searchParams.get("seq");
      if (!d || !s || !/^\d{1,20}$/.test(d) || !/^\d{1,20}$/.test(s))
        return { status: 400, body: { error: "expected /proofs/<batchId>/<index> or /proofs?deviceId=&seq=" } };
      const r = await this.store.getReading(BigInt(d), BigInt(s));
      if (!r || r.batchId === null || r.batchIndex === null)
        return { status: 404, body: { error: `reading ${d}/${s} is not in a batch (yet)` } };
      batchId = r.batchId;
      index = r.batchIndex;
    }
    const p = await loadBatchPayload(this.store, batchId, this.opts.archiveDir);
    if (!p) return { status: 404, body: { error: `batch ${batchId} not found` } };
    if (index >= p.readings.length) return { status: 404, body: { error: `batch ${batchId} has ${p.readings.length} leaves` } };
    const proof = batchInclusionProof(this.hasher, p, index);
    const r = p.readings[index];
    return {
      status: 200,
      body: {
        batchId: batchId.toString(),
        index,
        depth: p.depth,
        leaf: proof.leaf.toString(),
        // Per level of the 4-ary tree, leaf level first: the 3 siblings in slot order (the index's
        // base-4 digit is the node's slot); what DataAvailability.verifyInclusion takes.
        siblings: proof.siblings.map((level) => level.map((x) => x.toString())),
        root: proof.root.toString(),
        reading: {
          deviceId: r.deviceId.toString(),
          seq: r.seq.toString(),
          timestamp: r.timestamp.toString(),
          value: r.value.toString(),
          signature: r.signature,
        },
      },
    };
  }

  status(): Record<string, unknown> {
    return {
      service: "da",
      lastCommitted: this.lastCommitted.toString(),
      dryRun: this.opts.dryRun,
      ...this.leadership?.status(),
    };
  }

  async close(): Promise<void> {
    await this.store?.close();
  }
}
