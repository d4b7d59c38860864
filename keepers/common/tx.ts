/**
 * Transaction manager basics shared by keepers that write to the chain: one in-flight
 * transaction at a time per signer (so nonces never collide), bounded retries for transient
 * RPC errors, and a wait for a configurable number of confirmations. Reverts are not retried:
 * they are returned to the caller, who decides (for instance re-reading chain state).
 */
import { Transaction, type ContractTransactionResponse, type Provider, type TransactionReceipt, type Wallet } from "ethers";
import { opt } from "./options.js";
import type { Store, TxRecord } from "./store/types.js";
import type { Logger } from "./log.js";

export class TxManager {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly log: Logger,
    private readonly opts: { confirmations: number; retries: number; retryDelayMs: number } = {
      confirmations: 1,
      retries: 3,
      retryDelayMs: 500,
    },
  ) {}

  /** Sends via `send` (serialised with every other send of this manager) and waits for the receipt. */
  send(label: string, send: () => Promise<ContractTransactionResponse>): Promise<TransactionReceipt> {
    const job = this.queue.then(() => this.attempt(label, send));
    this.queue = job.catch(() => undefined);
    return job;
  }

  private async attempt(label: string, send: () => Promise<ContractTransactionResponse>): Promise<TransactionReceipt> {
    for (let i = 0; ; i++) {
      try {
        const tx = await send();
        const receipt = await tx.wait(this.opts.confirmations);
        if (!receipt) throw new Error(`${label}: no receipt`);
        this.log.info("TxManager#mined", { label, hash: receipt.hash, block: receipt.blockNumber, gasUsed: receipt.gasUsed });
        return receipt;
      } catch (e) {
        if (isRevert(e) || i >= this.opts.retries) throw e;
        this.log.warn("TxManager#retry", { label, attempt: i + 1, err: e as Error });
        await new Promise((r) => setTimeout(r, this.opts.retryDelayMs * (i + 1)));
      }
    }
  }
}

/** True for an execution revert (ethers CALL_EXCEPTION), which retrying cannot fix. */
export function isRevert(e: unknown): boolean {
  return typeof e === "object" && e !== null && (e as { code?: string }).code === "CALL_EXCEPTION";
}

// ---------------------------------------------------------------------------------------------
// Durable transaction manager: nonces, fee bumping, idempotency keys, resume after a crash
// ---------------------------------------------------------------------------------------------

export interface DurableTxOptions {
  /** Confirmations before a transaction counts as mined. */
  confirmations: number;
  /** Re-price (same nonce, higher fees) when no receipt arrived for this long (ms). */
  bumpAfterMs: number;
  /** Fee multiplier of a bump in percent (nodes require >= 110 to replace). */
  bumpPercent: number;
  /** Highest maxFeePerGas this manager ever offers (wei); bumps stop there and it keeps waiting. */
  maxFeePerGas: bigint;
  /** Attempts for transport errors (RPC down, timeouts) per RPC call. */
  retries: number;
  retryDelayMs: number;
  /** Receipt polling interval (ms). */
  pollMs: number;
  /** Give up waiting for one key after this long (ms); the journal keeps it for the next call. */
  waitTimeoutMs: number;
}

export const defaultDurableTxOptions: DurableTxOptions = {
  confirmations: 1,
  bumpAfterMs: 30_000,
  bumpPercent: 125,
  maxFeePerGas: 500n * 10n ** 9n,
  retries: 3,
  retryDelayMs: 500,
  pollMs: 1_000,
  waitTimeoutMs: 10 * 60_000,
};

/** A mined transaction that reverted (status 0). ethers' code, so isRevert() treats it alike. */
export class TxRevertedError extends Error {
  readonly code = "CALL_EXCEPTION";
  constructor(
    readonly key: string,
    readonly receipt: TransactionReceipt,
  ) {
    super(`${key}: transaction ${receipt.hash} reverted in block ${receipt.blockNumber}`);
    this.name = "TxRevertedError";
  }
}

/** The nonce of a journaled transaction was used by a transaction this manager never sent. */
export class TxDroppedError extends Error {
  constructor(
    readonly key: string,
    readonly nonce: bigint,
  ) {
    super(`${key}: nonce ${nonce} was consumed by a transaction not in the journal (replaced outside this keeper?)`);
    this.name = "TxDroppedError";
  }
}

export type TxOutcome =
  { status: "mined"; receipt: TransactionReceipt; resumed: boolean } | { status: "skipped"; reason: string };

/**
 * Sends transactions from one key with a journal in the Store:
 *
 * - **Idempotent per key** (e.g. "settle:7"): a key already mined returns its receipt; a key
 *   pending (sent before a crash) is resumed, never sent again with a new nonce; `alreadyDone`
 *   (a chain check such as isSettled) is consulted before anything new is signed.
 * - **Nonces** are assigned here, one send at a time: max(chain pending count, journal).
 * - **Write-ahead**: each signed transaction is journaled (nonce, hash, raw) before broadcast,
 *   so after a crash every hash that may be on the network is known and can be looked up.
 * - **Fee bumping**: no receipt within `bumpAfterMs` → re-sign the same nonce with fees ×
 *   bumpPercent (capped at maxFeePerGas) and broadcast the replacement; any of the hashes may
 *   be the one mined.
 * - **Retries** transport errors; reverts (at estimation or mined with status 0) go back to the
 *   caller, which decides (for instance "already settled" is success).
 */
export class DurableTxManager {
  private queue: Promise<unknown> = Promise.resolve();
  private nextNonce = -1n;
  readonly address: string;
  private readonly provider: Provider;

  constructor(
    private readonly log: Logger,
    private readonly journal: Pick<Store, "getTx" | "saveTx" | "pendingTxs">,
    private readonly wallet: Wallet,
    private readonly opts: DurableTxOptions = defaultDurableTxOptions,
  ) {
    if (!wallet.provider) throw new Error("DurableTxManager: the wallet needs a provider");
    this.provider = wallet.provider;
    this.address = wallet.address;
    if (opts.bumpPercent < 110) throw new Error(`bumpPercent must be >= 110 (replacement rule), got ${opts.bumpPercent}`);
  }

  /** Resolves every pending journal row of this signer (after a crash): receipts or re-broadcast. */
  async resume(): Promise<{ key: string; status: string }[]> {
    const out: { key: string; status: string }[] = [];
    for (const rec of await this.journal.pendingTxs(this.address)) {
      try {
        const r = await this.serial(() => this.follow(rec, true));
        out.push({ key: rec.key, status: r.status });
      } catch (e) {
        out.push({ key: rec.key, status: (e as Error).name });
        this.log.warn("TxManager#resume", { key: rec.key, err: e as Error });
      }
    }
    return out;
  }

  /**
   * Sends `tx` under idempotency key `key` (see the class comment) and waits until mined.
   * Throws TxRevertedError / an ethers CALL_EXCEPTION on revert, TxDroppedError if the nonce was
   * taken by a foreign transaction.
   */
  send(key: string, tx: { to: string; data: string }, opts: { alreadyDone?: () => Promise<boolean> } = {}): Promise<TxOutcome> {
    return this.serial(async () => {
      const prev = await this.journal.getTx(key);
      if (prev?.status === "mined" && prev.minedHash) {
        const receipt = await this.rpc(() => this.provider.getTransactionReceipt(prev.minedHash!));
        if (receipt) return { status: "mined", receipt, resumed: true } as TxOutcome;
      }
      if (prev?.status === "pending") return this.follow(prev, true);
      if (opts.alreadyDone && (await opts.alreadyDone()))
        return { status: "skipped", reason: "already done on-chain" } as TxOutcome;
      // Reverts surface here, before anything is signed or journaled.
      const gas = await this.rpc(() => this.provider.estimateGas({ from: this.address, to: tx.to, data: tx.data }));
      const fees = await this.currentFees();
      const nonce = await this.allocateNonce();
      const { chainId } = await this.rpc(() => this.provider.getNetwork());
      const unsigned = {
        type: 2,
        chainId,
        to: tx.to,
        data: tx.data,
        nonce: Number(nonce),
        gasLimit: (gas * 120n) / 100n + 10_000n,
        maxFeePerGas: fees.maxFeePerGas,
        maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
      };
      const raw = await this.wallet.signTransaction(unsigned);
      const rec: TxRecord = {
        key,
        from: this.address,
        nonce,
        hashes: [Transaction.from(raw).hash!],
        raw,
        maxFeePerGas: fees.maxFeePerGas,
        maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
        status: "pending",
        minedHash: null,
        updatedAt: Date.now(),
      };
      await this.journal.saveTx(rec);
      this.log.info("TxManager#send", { key, nonce, hash: rec.hashes[0], maxFeePerGas: fees.maxFeePerGas });
      await this.broadcast(rec);
      return this.follow(rec, false);
    });
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const job = this.queue.then(fn);
    this.queue = job.catch(() => undefined);
    return job;
  }

  private async allocateNonce(): Promise<bigint> {
    const chain = BigInt(await this.rpc(() => this.provider.getTransactionCount(this.address, "pending")));
    let journal = -1n;
    for (const p of await this.journal.pendingTxs(this.address)) if (p.nonce > journal) journal = p.nonce;
    let n = chain;
    if (journal + 1n > n) n = journal + 1n;
    if (this.nextNonce > n) n = this.nextNonce;
    this.nextNonce = n + 1n;
    return n;
  }

  private async currentFees(): Promise<{ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }> {
    const fd = await this.rpc(() => this.provider.getFeeData());
    const tip = fd.maxPriorityFeePerGas ?? 10n ** 9n;
    let max = fd.maxFeePerGas ?? (fd.gasPrice ?? 10n ** 9n) * 2n;
    if (max < tip) max = tip;
    if (max > this.opts.maxFeePerGas) max = this.opts.maxFeePerGas;
    return { maxFeePerGas: max, maxPriorityFeePerGas: tip > max ? max : tip };
  }

  /**
   * Broadcasts the last signed transaction; "already known" and "nonce too low" (mined meanwhile)
   * are not errors here, and neither is an under-priced replacement (the earlier hash stays
   * valid and is followed; the next bump offers more).
   */
  private async broadcast(rec: TxRecord): Promise<void> {
    try {
      await this.rpc(() => this.provider.broadcastTransaction(rec.raw));
    } catch (e) {
      const msg = String((e as Error).message).toLowerCase();
      if (/underpriced/.test(msg)) {
        this.log.warn("TxManager#underpriced", {
          key: rec.key,
          nonce: rec.nonce,
          hash: rec.hashes.at(-1),
          note: msg.slice(0, 200),
        });
        return;
      }
      if (/already known|known transaction|already imported|nonce too low|nonce has already been used/.test(msg)) {
        this.log.debug("TxManager#broadcast", { key: rec.key, note: msg.slice(0, 120) });
        return;
      }
      throw e;
    }
  }

  /** Waits for any of the record's hashes to be mined, bumping fees when it takes too long. */
  private async follow(rec: TxRecord, resumed: boolean): Promise<TxOutcome> {
    if (resumed) {
      this.log.info("TxManager#resume", { key: rec.key, nonce: rec.nonce, hashes: rec.hashes });
      // The process may have died before the broadcast reached the node.
      const mined = await this.findReceipt(rec);
      if (!mined) await this.broadcast(rec);
    }
    const started = Date.now();
    let lastSend = Date.now();
    let foreignSince = 0;
    for (;;) {
      const receipt = await this.findReceipt(rec);
      if (receipt) {
        const head = await this.rpc(() => this.provider.getBlockNumber());
        if (head - receipt.blockNumber + 1 < this.opts.confirmations) {
          await sleep(this.opts.pollMs);
          continue;
        }
        rec.status = receipt.status === 1 ? "mined" : "reverted";
        rec.minedHash = receipt.hash;
        await this.journal.saveTx(rec);
        if (receipt.status !== 1) throw new TxRevertedError(rec.key, receipt);
        this.log.info("TxManager#mined", {
          key: rec.key,
          hash: receipt.hash,
          block: receipt.blockNumber,
          gasUsed: receipt.gasUsed,
          bumps: rec.hashes.length - 1,
        });
        return { status: "mined", receipt, resumed };
      }
      // The record's own sender: another instance of the keeper (another key) may be following a
      // transaction this one journaled before it died.
      const latest = BigInt(await this.rpc(() => this.provider.getTransactionCount(rec.from, "latest")));
      if (latest > rec.nonce) {
        // The nonce is used but none of our hashes has a receipt yet. A receipt can lag the
        // nonce (load-balanced or caching RPC): only after a grace period with none of our
        // hashes known as mined is it a foreign replacement.
        foreignSince ||= Date.now();
        if (Date.now() - foreignSince >= Math.max(5_000, 10 * this.opts.pollMs) && !(await this.anyMined(rec))) {
          rec.status = "reverted";
          await this.journal.saveTx(rec);
          throw new TxDroppedError(rec.key, rec.nonce);
        }
      }
      if (Date.now() - started > this.opts.waitTimeoutMs)
        throw new Error(`${rec.key}: no receipt after ${this.opts.waitTimeoutMs} ms (still journaled; resumed next time)`);
      if (Date.now() - lastSend >= this.opts.bumpAfterMs) {
        // Only the key that signed it can re-price it; a foreign record is only re-broadcast.
        if (rec.from.toLowerCase() === this.address.toLowerCase()) await this.bump(rec);
        else await this.broadcast(rec);
        lastSend = Date.now();
      }
      await sleep(this.opts.pollMs);
    }
  }

  /** True when the node reports one of the record's hashes in a block. */
  private async anyMined(rec: TxRecord): Promise<boolean> {
    for (const h of rec.hashes) {
      const t = await this.rpc(() => this.provider.getTransaction(h));
      if (t?.blockNumber != null) return true;
    }
    return false;
  }

  private async findReceipt(rec: TxRecord): Promise<TransactionReceipt | null> {
    for (const h of [...rec.hashes].reverse()) {
      const r = await this.rpc(() => this.provider.getTransactionReceipt(h));
      if (r) return r;
    }
    return null;
  }

  /** Re-signs the same nonce with higher fees and broadcasts the replacement. */
  private async bump(rec: TxRecord): Promise<void> {
    const now = await this.currentFees();
    const up = (v: bigint): bigint => (v * BigInt(this.opts.bumpPercent) + 99n) / 100n;
    let tip = up(rec.maxPriorityFeePerGas);
    let max = up(rec.maxFeePerGas);
    if (now.maxFeePerGas > max) max = now.maxFeePerGas;
    if (now.maxPriorityFeePerGas > tip) tip = now.maxPriorityFeePerGas;
    if (max > this.opts.maxFeePerGas) {
      this.log.warn("TxManager#feeCap", { key: rec.key, nonce: rec.nonce, wanted: max, cap: this.opts.maxFeePerGas });
      return;
    }
    if (tip > max) tip = max;
    const prev = Transaction.from(rec.raw);
    const raw = await this.wallet.signTransaction({
      type: 2,
      chainId: prev.chainId,
      to: prev.to,
      data: prev.data,
      nonce: prev.nonce,
      gasLimit: prev.gasLimit,
      maxFeePerGas: max,
      maxPriorityFeePerGas: tip,
    });
    rec.raw = raw;
    rec.hashes.push(Transaction.from(raw).hash!);
    rec.maxFeePerGas = max;
    rec.maxPriorityFeePerGas = tip;
    await this.journal.saveTx(rec);
    this.log.info("TxManager#bump", {
      key: rec.key,
      nonce: rec.nonce,
      hash: rec.hashes.at(-1),
      maxFeePerGas: max,
      maxPriorityFeePerGas: tip,
    });
    await this.broadcast(rec);
  }

  /** Runs an RPC call, retrying transport errors (never reverts). */
  private async rpc<T>(fn: () => Promise<T>): Promise<T> {
    for (let i = 0; ; i++) {
      try {
        return await fn();
      } catch (e) {
        if (isRevert(e) || i >= this.opts.retries || !isTransient(e)) throw e;
        this.log.warn("TxManager#rpcRetry", { attempt: i + 1, err: e as Error });
        await sleep(this.opts.retryDelayMs * (i + 1));
      }
    }
  }
}

/** Transport-level failures worth retrying (connection refused/reset, timeouts, 5xx). */
export function isTransient(e: unknown): boolean {
  const code = (e as { code?: string }).code;
  if (
    code === "NETWORK_ERROR" ||
    code === "TIMEOUT" ||
    code === "SERVER_ERROR" ||
    code === "ECONNREFUSED" ||
    code === "ECONNRESET"
  )
    return true;
  return /ECONNREFUSED|ECONNRESET|socket hang up|timeout|fetch failed/i.test(String((e as Error)?.message));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Options of every keeper that sends through DurableTxManager (spread into its option specs). */
export const txOptionSpecs = {
  confirmations: opt.int("confirmations to wait for", { default: 1, min: 1 }),
  bumpAfterSec: opt.int("re-price a transaction with no receipt after this many seconds", { default: 30, min: 1 }),
  bumpPercent: opt.int("fee multiplier of each bump, percent (>= 110)", { default: 125, min: 110, max: 1000 }),
  maxFeeGwei: opt.int("highest maxFeePerGas ever offered (gwei)", { default: 500, min: 1 }),
  txTimeoutSec: opt.int("stop waiting for one transaction after this long (it stays journaled and resumes)", {
    default: 600,
    min: 1,
  }),
};

export function durableTxOptionsFrom(
  o: { confirmations: number; bumpAfterSec: number; bumpPercent: number; maxFeeGwei: number; txTimeoutSec: number },
  pollMs = 1_000,
): DurableTxOptions {
  return {
    confirmations: o.confirmations,
    bumpAfterMs: o.bumpAfterSec * 1000,
    bumpPercent: o.bumpPercent,
    maxFeePerGas: BigInt(o.maxFeeGwei) * 10n ** 9n,
    retries: 3,
    retryDelayMs: 500,
    pollMs,
    waitTimeoutMs: o.txTimeoutSec * 1000,
  };
}
