/**
 * The keepers' store as the indexer reads it: batch readings in leaf order (receipts), reading
 * rates and the off-chain stages of the batch pipeline (API). Opened read-mostly: an embedded
 * store that does not exist is an error, never created.
 */
import { existsSync } from "node:fs";
import { openStore, type Store } from "../keepers/common/store/index.js";
import { parseStoreUrl } from "../keepers/common/store/url.js";
import type { SignedReading } from "../sdk/src/index.js";
import { ReceiptError, type BatchReadingsSource } from "./receipt.js";

export async function openKeeperStore(url: string): Promise<Store> {
  const at = parseStoreUrl(url);
  if (at.kind === "sqlite" && !existsSync(at.file))
    throw new ReceiptError("DATA_MISSING", `the keepers' store ${at.file} does not exist`);
  const store = openStore(url);
  await store.init();
  return store;
}

export function storeReadings(store: Store): BatchReadingsSource {
  return {
    async batchReadings(batchId: bigint): Promise<SignedReading[] | null> {
      const rows = await store.batchReadings(batchId);
      if (rows.length === 0) return null;
      return rows
        .sort((a, b) => (a.batchIndex ?? 0) - (b.batchIndex ?? 0))
        .map((r) => ({ deviceId: r.deviceId, seq: r.seq, timestamp: r.timestamp, value: r.value, signature: r.signature }));
    },
  };
}
