/**
 * The storage keeper: exports committed batches past the retention window to content-addressed
 * long-term storage, reads each export back and verifies it (hash, then root against the ON-CHAIN
 * commitment), and only then records the export and prunes the hot rows. Re-running is harmless:
 * the same payload has the same content id, and an exported batch is skipped.
 */
import { type Contract, type ContractRunner } from "ethers";
import { Counter } from "prom-client";
import { getPoseidon, verifyBatchPayload, type BatchPayload, type PoseidonHasher } from "../../sdk/src/index.js";
import { silentLogger, type Logger } from "../common/log.js";
import { daemonOptions, opt, type OptionValues, rpcUrlOption, storeOption } from "../common/options.js";
import { bindStoreToChain } from "../common/chain.js";
import { Service } from "../common/service.js";
import { openStore, type Store } from "../common/store/index.js";
import { batchCommitments, type ChainBatch } from "../da/contract.js";
import { loadBatchPayload } from "../da/payload.js";
import { readArchived, writeArchived } from "./archive.js";

export const storageOptions = {
  store: storeOption(),
  rpcUrl: rpcUrlOption(),
  da: opt.string("DA contract address (roots are checked against it)", { pattern: /^0x[0-9a-fA-F]{40}$/ }),
  archiveDir: opt.string("long-term storage directory (files named by content hash)", { default: "data/archive" }),
  retentionSec: opt.int("keep batches in the hot store this long after sealing (s)", { default: 7 * 86_400, min: 0 }),
  prune: opt.bool("delete exported readings from the hot store", true),
  maxPerTick: opt.int("exports per tick at most", { default: 32, min: 1 }),
  ...daemonOptions({ schedule: "0 * * * * *", metricsPort: 9104 }),
};
export type StorageOptions = OptionValues<typeof storageOptions>;

export class StorageKeeper extends Service {
  store!: Store;
  private contract!: Contract;
  private hasher!: PoseidonHasher;
  private readonly exported: Counter;
  private cursor = 1n;

  constructor(
    readonly opts: StorageOptions,
    private readonly deps: { store?: Store; runner?: ContractRunner; log?: Logger; now?: () => number } = {},
  ) {
    super("storage", deps.log ?? silentLogger);
    this.exported = new Counter({
      name: "depin_storage_exported_total",
      help: "batches exported and verified",
      registers: [this.registry],
    });
  }

  async init(): Promise<void> {
    this.hasher = await getPoseidon();
    this.store = this.deps.store ?? openStore(this.opts.store);
    await this.store.init();
    let runner = this.deps.runner;
    if (!runner) {
      const provider = await this.connectChain(this.opts.rpcUrl);
      await bindStoreToChain(this.store, provider, { dataAvailability: this.opts.da });
      runner = provider;
    }
    this.contract = batchCommitments(this.opts.da, runner);
  }

  async tick(): Promise<void> {
    await this.exportDue();
  }

  /** Exports every committed batch older than the retention window. Returns the ids exported. */
  async exportDue(): Promise<bigint[]> {
    const now = this.deps.now?.() ?? Date.now();
    const out: bigint[] = [];
    for (const b of await this.store.listBatches(this.cursor, 1000)) {
      if (out.length >= this.opts.maxPerTick) break;
      if (b.exportCid) {
        this.cursor = b.batchId + 1n;
        continue;
      }
      if (!b.commitTx || now - b.createdAt < this.opts.retentionSec * 1000) break; // in order: stop at the first not yet due
      const payload = await loadBatchPayload(this.store, b.batchId);
      if (!payload) throw new Error(`batch ${b.batchId} has no readings to export`);
      const cid = writeArchived(this.opts.archiveDir, payload);
      await this.readBack(b.batchId, cid); // never prune what cannot be read back and verified
      await this.store.markExported(b.batchId, cid, this.opts.prune);
      this.exported.inc();
      this.cursor = b.batchId + 1n;
      out.push(b.batchId);
      this.log.info("StorageKeeper#export", { batchId: b.batchId, cid, pruned: this.opts.prune });
    }
    return out;
  }

  /** Reads an archived batch and verifies it against the on-chain root. */
  async readBack(batchId: bigint, cid: string): Promise<BatchPayload> {
    const p = readArchived(this.opts.archiveDir, cid);
    const onChain = (await this.contract.getBatch(batchId)) as ChainBatch;
    if (p.batchId !== batchId || !verifyBatchPayload(this.hasher, p, onChain.root)) {
      throw new Error(`archived batch ${batchId} (${cid}) does not match the on-chain root ${onChain.root}`);
    }
    return p;
  }

  status(): Record<string, unknown> {
    return { service: "storage", archiveDir: this.opts.archiveDir, cursor: this.cursor.toString() };
  }

  async close(): Promise<void> {
    await this.store?.close();
  }
}
