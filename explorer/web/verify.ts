/**
 * Receipt verification in the browser, loaded on the first Verify click (it carries snarkjs and
 * Poseidon). The receipt comes from the network API, which the page does not trust: the shared
 * verifier (indexer/receipt.ts verifyReceipt) re-derives everything from the chain through the
 * read-only /rpc endpoint and the distributor address of the trusted deployment record — the
 * commitments, the settle() calldata, the verifier's key constants in its deployed bytecode, the
 * Groth16 proof (snarkjs), every leaf, inclusion proof and signature, and the payout.
 */
import { verifyReceipt, ReceiptVerifyError, type Receipt, type VerifyResult } from "../../indexer/receipt.js";
import { chain, getConfig } from "./chain.js";

export type Verdict = { ok: true; result: VerifyResult } | { ok: false; field: string; message: string };

export async function verifyInBrowser(receipt: Receipt): Promise<Verdict> {
  const cfg = await getConfig();
  try {
    const result = await verifyReceipt(receipt, { provider: await chain(), distributor: cfg.contracts.rewardDistributor });
    return { ok: true, result };
  } catch (e) {
    if (e instanceof ReceiptVerifyError) return { ok: false, field: e.field, message: e.message };
    return { ok: false, field: "(receipt)", message: (e as Error).message };
  }
}
