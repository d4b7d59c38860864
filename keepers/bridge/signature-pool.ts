/**
 * Signature checks off the bridge's main thread. Recovering a secp256k1 signature costs more CPU
 * than everything else the bridge does for a reading together (parse, store, PUBACK, receipt), so
 * with `threads` ≥ 1 a micro-batch is split into contiguous chunks, one per worker thread, and
 * checked there while the main thread keeps reading the broker and committing earlier batches.
 * With `threads` = 0 the checks run inline (one core, no message passing).
 *
 * Results are pure functions of (reading, key set), so batches may be checked concurrently and in
 * any order; the ingest pipeline applies them in arrival order. A worker that dies fails its
 * pending requests (the ingest pipeline then acknowledges nothing of those batches) and is
 * replaced — unless it died before answering anything (it cannot load here): then the pool checks
 * inline from then on and says why in `fallback`, instead of respawning a thread that cannot work.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { SignedReading } from "../../sdk/src/index.js";
import type { DeviceKeyInfo } from "./directory.js";
import { checkReadingSignature, type SignatureCheck } from "./verify.js";

export interface SignatureRequest {
  id: number;
  networkId: bigint;
  /** Key sets referenced by index from `jobs` (one per device in the chunk). */
  keySets: DeviceKeyInfo[][];
  jobs: [SignedReading, number][];
}

export type SignatureReply = { id: number; results: SignatureCheck[] } | { id: number; error: string };

export interface SignatureJob {
  reading: SignedReading;
  keys: readonly DeviceKeyInfo[];
}

const WORKER_URL = new URL(`./signature.worker${path.extname(fileURLToPath(import.meta.url))}`, import.meta.url);

/** Below this many readings a batch is checked inline: a thread round trip would cost more. */
const MIN_OFFLOAD = 4;

interface Pending {
  worker: Worker;
  chunk: readonly SignatureJob[];
  resolve(r: SignatureCheck[]): void;
  reject(e: Error): void;
}

export class SignaturePool {
  private workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private next = 0;
  private closed = false;
  /** Readings checked on worker threads / inline since start (metrics). */
  readonly counts = { offloaded: 0, inline: 0 };
  /** Why the pool fell back to inline checks, if it did. */
  fallback?: string;
  private readonly answered = new WeakSet<Worker>();

  constructor(
    readonly networkId: bigint,
    readonly threads: number,
  ) {
    if (!Number.isInteger(threads) || threads < 0) throw new Error(`signature threads must be an integer ≥ 0, got ${threads}`);
    for (let i = 0; i < threads; i++) this.workers.push(this.spawn());
  }

  private spawn(): Worker {
    // A .ts worker needs the TypeScript loader in its own thread too (its relative imports are
    // written as .js); under tsx the parent has it, under other runners it may not.
    const w = new Worker(WORKER_URL, WORKER_URL.pathname.endsWith(".ts") ? { execArgv: ["--import", "tsx"] } : {});
    w.on("message", (msg: SignatureReply) => {
      this.answered.add(w);
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if ("error" in msg) p.reject(new Error(`signature thread: ${msg.error}`));
      else p.resolve(msg.results);
    });
    const die = (e: Error): void => {
      const startFailure = !this.answered.has(w) && !this.closed;
      for (const [id, p] of this.pending) {
        if (p.worker !== w) continue;
        this.pending.delete(id);
        if (startFailure) p.resolve(this.inline(p.chunk));
        else p.reject(e);
      }
      const i = this.workers.indexOf(w);
      if (i < 0 || this.closed) return;
      if (!startFailure) {
        this.workers[i] = this.spawn();
      } else {
        this.fallback = `signature thread failed before its first answer (${e.message}); checking on the main thread`;
        const all = this.workers;
        this.workers = [];
        for (const other of all) if (other !== w) void other.terminate();
      }
    };
    w.on("error", die);
    w.on("exit", (code) => {
      if (!this.closed) die(new Error(`signature thread exited with code ${code}`));
    });
    w.unref(); // an idle pool does not keep the process alive
    return w;
  }

  /** Checks every job; results in job order. */
  async check(jobs: readonly SignatureJob[]): Promise<SignatureCheck[]> {
    if (this.closed) throw new Error("signature pool is closed");
    if (this.workers.length === 0 || jobs.length < MIN_OFFLOAD) return this.inline(jobs);
    this.counts.offloaded += jobs.length;
    const n = Math.min(this.workers.length, Math.ceil(jobs.length / MIN_OFFLOAD));
    const size = Math.ceil(jobs.length / n);
    const parts: Promise<SignatureCheck[]>[] = [];
    for (let start = 0; start < jobs.length; start += size) parts.push(this.post(jobs.slice(start, start + size)));
    return (await Promise.all(parts)).flat();
  }

  private inline(jobs: readonly SignatureJob[]): SignatureCheck[] {
    this.counts.inline += jobs.length;
    return jobs.map((j) => checkReadingSignature(this.networkId, j.reading, j.keys));
  }

  private post(chunk: readonly SignatureJob[]): Promise<SignatureCheck[]> {
    const worker = this.workers[this.next++ % this.workers.length];
    const keySets: DeviceKeyInfo[][] = [];
    const index = new Map<readonly DeviceKeyInfo[], number>();
    const jobs = chunk.map((j): [SignedReading, number] => {
      let k = index.get(j.keys);
      if (k === undefined) {
        k = keySets.push(j.keys as DeviceKeyInfo[]) - 1;
        index.set(j.keys, k);
      }
      return [j.reading, k];
    });
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { worker, chunk, resolve, reject });
      worker.ref(); // outstanding work keeps the process alive
      worker.postMessage({ id, networkId: this.networkId, keySets, jobs } satisfies SignatureRequest);
    }).finally(() => {
      if (![...this.pending.values()].some((p) => p.worker === worker)) worker.unref();
    }) as Promise<SignatureCheck[]>;
  }

  /** Fails pending checks and stops the threads. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pending.values()) p.reject(new Error("signature pool closed"));
    this.pending.clear();
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers = [];
  }
}
