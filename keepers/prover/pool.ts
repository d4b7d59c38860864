/**
 * A pool of proving threads (worker_threads). Each worker proves one job at a time with snarkjs
 * (witness from the circuit's wasm, Groth16 from the zkey); jobs queue in submission order. A
 * worker that dies fails its job and is replaced, so one bad job does not stop the pool.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { Groth16Proof } from "snarkjs";

export interface ProveJob {
  id: number;
  input: Record<string, unknown>;
  wasm: string;
  zkey: string;
  /** snarkjs without its own helper threads (the pool is the parallelism). */
  singleThread: boolean;
}

export type ProveReply = { id: number; proof: Groth16Proof; publicSignals: string[] } | { id: number; error: string };

export interface ProveResult {
  proof: Groth16Proof;
  publicSignals: string[];
  ms: number;
}

/** The worker module next to this one, same extension (.ts under tsx, .js when compiled). */
const WORKER_URL = new URL(`./prove.worker${path.extname(fileURLToPath(import.meta.url))}`, import.meta.url);

interface Pending {
  job: ProveJob;
  started: number;
  resolve(r: ProveResult): void;
  reject(e: Error): void;
}

export class ProverPool {
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Pending>();
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;
  /** Jobs done since start (progress display, metrics). */
  done = 0;
  failed = 0;

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`pool size must be a positive integer, got ${size}`);
    for (let i = 0; i < size; i++) this.idle.push(this.spawn());
  }

  get running(): number {
    return this.busy.size;
  }

  get queued(): number {
    return this.queue.length;
  }

  private spawn(): Worker {
    // snarkjs → ffjavascript → the `web-worker` package, which, loaded in any non-main thread,
    // assumes it is running one of its own workers and reads { mod, name, type } from
    // workerData. Giving it an empty module to load keeps it out of the way; our worker then
    // proves with singleThread (no nested threads).
    const w = new Worker(WORKER_URL, { workerData: { mod: "data:text/javascript,", name: "depin-prover", type: "module" } });
    w.on("message", (msg: ProveReply) => this.onReply(w, msg));
    w.on("error", (e) => this.onDeath(w, e));
    w.on("exit", (code) => {
      if (!this.closed) this.onDeath(w, new Error(`proving worker exited with code ${code}`));
    });
    w.unref();
    return w;
  }

  /** Proves `input` on the next free worker. */
  prove(input: Record<string, unknown>, wasm: string, zkey: string): Promise<ProveResult> {
    if (this.closed) return Promise.reject(new Error("prover pool is closed"));
    return new Promise((resolve, reject) => {
      this.queue.push({ job: { id: this.nextId++, input, wasm, zkey, singleThread: true }, started: 0, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const w = this.idle.pop()!;
      const p = this.queue.shift()!;
      p.started = Date.now();
      this.busy.set(w, p);
      w.ref(); // a running proof keeps the process alive; an idle worker does not
      w.postMessage(p.job);
    }
  }

  private onReply(w: Worker, msg: ProveReply): void {
    const p = this.busy.get(w);
    this.busy.delete(w);
    w.unref();
    this.idle.push(w);
    if (p) {
      if ("error" in msg) {
        this.failed++;
        p.reject(new Error(msg.error));
      } else {
        this.done++;
        p.resolve({ proof: msg.proof, publicSignals: msg.publicSignals, ms: Date.now() - p.started });
      }
    }
    this.dispatch();
  }

  private onDeath(w: Worker, e: Error): void {
    const p = this.busy.get(w);
    this.busy.delete(w);
    const i = this.idle.indexOf(w);
    if (i >= 0) this.idle.splice(i, 1);
    if (p) {
      this.failed++;
      p.reject(e);
    }
    if (!this.closed) {
      this.idle.push(this.spawn());
      this.dispatch();
    }
  }

  /** Fails queued jobs and terminates the workers. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new Error("prover pool closed"));
    const all = [...this.idle, ...this.busy.keys()];
    for (const p of this.busy.values()) p.reject(new Error("prover pool closed"));
    this.busy.clear();
    this.idle.length = 0;
    await Promise.all(all.map((w) => w.terminate()));
  }
}
