/**
 * Transaction manager basics shared by keepers that write to the chain: one in-flight
 * transaction at a time per signer (so nonces never collide), bounded retries for transient
 * RPC errors, and a wait for a configurable number of confirmations. Reverts are not retried:
 * they are returned to the caller, who decides (for instance re-reading chain state).
 */
import type { ContractTransactionResponse, TransactionReceipt } from "ethers";
import type { Logger } from "./log.js";

export class TxManager {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly log: Logger,
    private readonly opts: { confirmations: number; retries: number; retryDelayMs: number } = { confirmations: 1, retries: 3, retryDelayMs: 500 },
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
