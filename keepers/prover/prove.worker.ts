/**
 * Proving worker (worker_threads): receives { id, input, wasm, zkey, singleThread }, computes the
 * witness and the Groth16 proof with snarkjs, posts back { id, proof, publicSignals } or
 * { id, error }. snarkjs keeps the curve cached per thread, so only the first job pays for it.
 */
import { parentPort } from "node:worker_threads";
import * as snarkjs from "snarkjs";
import type { ProveJob, ProveReply } from "./pool.js";

type FullProve = (
  input: Record<string, unknown>,
  wasm: string,
  zkey: string,
  logger: undefined,
  wtnsOptions: undefined,
  proverOptions: { singleThread: boolean },
) => Promise<{ proof: snarkjs.Groth16Proof; publicSignals: string[] }>;

const fullProve = snarkjs.groth16.fullProve as unknown as FullProve;

parentPort!.on("message", (job: ProveJob) => {
  void (async () => {
    let reply: ProveReply;
    try {
      const { proof, publicSignals } = await fullProve(job.input, job.wasm, job.zkey, undefined, undefined, {
        singleThread: job.singleThread,
      });
      reply = { id: job.id, proof, publicSignals };
    } catch (e) {
      reply = { id: job.id, error: (e as Error).message ?? String(e) };
    }
    parentPort!.postMessage(reply);
  })();
});
