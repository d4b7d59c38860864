/**
 * Loads a batch's payload from the hot store or, once pruned, from long-term storage.
 */
import type { BatchPayload } from "../../sdk/src/index.js";
import type { Store } from "../common/store/index.js";
import { readArchived } from "../storage/archive.js";

export async function loadBatchPayload(store: Store, batchId: bigint, archiveDir?: string): Promise<BatchPayload | null> {
  const b = await store.getBatch(batchId);
  if (!b) return null;
  const rs = await store.batchReadings(batchId);
  if (rs.length === 0 && b.leafCount > 0) {
    if (!b.exportCid || !archiveDir) return null;
    return readArchived(archiveDir, b.exportCid);
  }
  return {
    batchId,
    epoch: b.epoch,
    depth: b.depth,
    root: b.root,
    readings: rs.map((r) => ({
      deviceId: r.deviceId,
      seq: r.seq,
      timestamp: r.timestamp,
      value: r.value,
      signature: r.signature,
    })),
  };
}
