/**
 * Signature-check thread of the bridge (worker_threads): receives { id, networkId, keySets, jobs },
 * checks each job's reading against its key set with verify.ts, posts back { id, results } in job
 * order, or { id, error } if something unexpected throws (the pool then fails that batch, and the
 * bridge treats it as a transient failure: nothing acknowledged, the broker re-delivers).
 */
import { parentPort } from "node:worker_threads";
import type { SignatureReply, SignatureRequest } from "./signature-pool.js";
import { checkReadingSignature } from "./verify.js";

parentPort!.on("message", (req: SignatureRequest) => {
  let reply: SignatureReply;
  try {
    reply = {
      id: req.id,
      results: req.jobs.map(([reading, keySet]) => checkReadingSignature(req.networkId, reading, req.keySets[keySet])),
    };
  } catch (e) {
    reply = { id: req.id, error: (e as Error).message ?? String(e) };
  }
  parentPort!.postMessage(reply);
});
