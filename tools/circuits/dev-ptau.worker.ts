/**
 * Worker half of the INSECURE development Powers of Tau generator (see dev-ptau.ts): scalar-field
 * arithmetic for the section scalars and fixed-base windowed multiplication on the bn128 wasm
 * curve that ffjavascript builds.
 *
 * Workers load this file directly: under tsx, or with Node's own type stripping (as under
 * `hardhat test`), so it uses erasable TypeScript only and imports nothing but Node built-ins.
 * In particular it must not import ffjavascript: ffjavascript pulls in the `web-worker` package, which
 * takes over any worker thread it is loaded in. The main thread hands over the compiled wasm code
 * and the generator pointers instead, and each worker instantiates it with its own memory.
 */
import { isMainThread, parentPort, workerData } from "node:worker_threads";

// ---------------------------------------------------------------------------------------------
// Scalar field (Fr) arithmetic with BigInt
// ---------------------------------------------------------------------------------------------

export const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
export const Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;
export const N8 = 32; // bytes per base-field / scalar-field element

export function mod(a: bigint): bigint {
  const x = a % R;
  return x < 0n ? x + R : x;
}

export function powMod(base: bigint, exp: bigint): bigint {
  let result = 1n;
  let b = mod(base);
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % R;
    b = (b * b) % R;
    e >>= 1n;
  }
  return result;
}

export function invMod(a: bigint): bigint {
  if (mod(a) === 0n) throw new Error("dev-ptau: inverse of zero");
  return powMod(a, R - 2n);
}

/** Inverts every element with one field inversion (Montgomery's trick). */
export function batchInvert(values: bigint[]): bigint[] {
  const prefix = new Array<bigint>(values.length);
  let acc = 1n;
  for (let i = 0; i < values.length; i++) {
    prefix[i] = acc;
    acc = (acc * values[i]) % R;
  }
  let inv = invMod(acc);
  const out = new Array<bigint>(values.length);
  for (let i = values.length - 1; i >= 0; i--) {
    out[i] = (inv * prefix[i]) % R;
    inv = (inv * values[i]) % R;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Work units: a run of consecutive points of one section, computed by a worker
// ---------------------------------------------------------------------------------------------

export type GroupId = 1 | 2;

/** scalar_i = factor · tau^(start + i) */
export interface PowersJob {
  kind: "powers";
  group: GroupId;
  start: number;
  count: number;
  factor: bigint;
}

/** scalar_i = factor · (L_(start+i)(tau) - [dropLast] · tau^(n-1) · w^(start+i) / n), n = 2^level */
export interface LagrangeJob {
  kind: "lagrange";
  group: GroupId;
  start: number;
  count: number;
  factor: bigint;
  level: number;
  omega: bigint;
  dropLast: boolean;
}

export type Job = PowersJob | LagrangeJob;

export interface WorkerInit {
  devPtauWorker: true;
  /** The bn128 wasm module ffjavascript compiled (its single-thread curve keeps it as tm.code). */
  wasmCode: Uint8Array;
  /** Initial memory pages the module expects, and where it keeps the generators. */
  memoryPages: number;
  pG1gen: number;
  pG2gen: number;
  tau: string;
  /** Fixed-base window width per group, in bits (1..16). */
  windowBits: Record<GroupId, number>;
  maxCount: number;
  groups: GroupId[];
}

export type WorkerRequest = { id: number; job: Job };
export type WorkerReply =
  { type: "ready" } | { type: "done"; id: number; points: Uint8Array } | { type: "error"; message: string };

/** Scalars of a job, in order. Exported for the test's cross-check against direct arithmetic. */
export function jobScalars(job: Job, tau: bigint): bigint[] {
  const out = new Array<bigint>(job.count);
  if (job.kind === "powers") {
    let s = (mod(job.factor) * powMod(tau, BigInt(job.start))) % R;
    for (let i = 0; i < job.count; i++) {
      out[i] = s;
      s = (s * tau) % R;
    }
    return out;
  }
  const n = 2n ** BigInt(job.level);
  const nInv = invMod(n);
  const tauN1 = mod(powMod(tau, n) - 1n);
  const tauNm1 = powMod(tau, n - 1n);
  const roots = new Array<bigint>(job.count);
  const denominators = new Array<bigint>(job.count);
  let w = powMod(job.omega, BigInt(job.start));
  for (let i = 0; i < job.count; i++) {
    roots[i] = w;
    denominators[i] = mod(tau - w);
    if (denominators[i] === 0n) throw new Error("dev-ptau: tau is a root of unity; pick another seed");
    w = (w * job.omega) % R;
  }
  const inverses = batchInvert(denominators);
  const scale = (mod(job.factor) * nInv) % R;
  for (let i = 0; i < job.count; i++) {
    let v = (tauN1 * inverses[i]) % R;
    if (job.dropLast) v = mod(v - tauNm1);
    out[i] = (((scale * roots[i]) % R) * v) % R;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Worker: fixed-base windowed multiplication with the wasm curve
// ---------------------------------------------------------------------------------------------

type WasmFn = (...args: number[]) => number;

/** Scalars are below r < 2^254: the number of w-bit windows that covers them. */
export function windowCount(bits: number): number {
  return Math.ceil(254 / bits);
}

/**
 * The window width that minimises a worker's additions: building the table costs
 * windows · 2^w additions, each point one addition per window.
 */
export function bestWindowBits(pointsPerWorker: number): number {
  let best = 1;
  for (let w = 1; w <= 16; w++) {
    if (windowCount(w) * (pointsPerWorker + 2 ** w) < windowCount(best) * (pointsPerWorker + 2 ** best)) best = w;
  }
  return best;
}

export class FixedBaseMultiplier {
  private readonly ex: Record<string, WasmFn>;
  private readonly memory: WebAssembly.Memory;
  private readonly tables = new Map<GroupId, number>();
  private readonly scratch = new Map<GroupId, { jac: number; aff: number }>();

  private readonly generators: Record<GroupId, number>;
  private readonly windowBits: Record<GroupId, number>;
  private readonly maxCount: number;

  // (no TypeScript parameter properties: workers load this file with Node's type stripping)
  private constructor(
    instance: WebAssembly.Instance,
    memory: WebAssembly.Memory,
    generators: Record<GroupId, number>,
    windowBits: Record<GroupId, number>,
    maxCount: number,
  ) {
    this.ex = instance.exports as unknown as Record<string, WasmFn>;
    this.memory = memory;
    this.generators = generators;
    this.windowBits = windowBits;
    this.maxCount = maxCount;
  }

  static async create(init: WorkerInit): Promise<FixedBaseMultiplier> {
    const memory = new WebAssembly.Memory({ initial: init.memoryPages });
    const module = await WebAssembly.compile(init.wasmCode as Uint8Array<ArrayBuffer>);
    const instance = await WebAssembly.instantiate(module, { env: { memory } });
    return new FixedBaseMultiplier(instance, memory, { 1: init.pG1gen, 2: init.pG2gen }, init.windowBits, init.maxCount);
  }

  /** Bump-allocates in wasm memory, keeping the module's own free pointer (word 0) above us. */
  private alloc(bytes: number): number {
    const heap = new Uint32Array(this.memory.buffer, 0, 1);
    const start = (heap[0] + 7) & ~7;
    const end = start + bytes;
    // keep 16 MiB of headroom for the temporaries batchToAffine allocates above the free pointer
    if (end + (1 << 24) > this.memory.buffer.byteLength) {
      const pages = Math.ceil((end + (1 << 24) - this.memory.buffer.byteLength) / 65536);
      this.memory.grow(pages);
    }
    new Uint32Array(this.memory.buffer, 0, 1)[0] = end;
    return start;
  }

  private prefix(group: GroupId): string {
    return group === 1 ? "g1m" : "g2m";
  }

  private sizes(group: GroupId): { fieldBytes: number; affine: number; jacobian: number } {
    const fieldBytes = group === 1 ? N8 : 2 * N8;
    return { fieldBytes, affine: 2 * fieldBytes, jacobian: 3 * fieldBytes };
  }

  /** table[k][d] = d · 2^(w k) · G (affine, Montgomery), d = 1..2^w-1; slot d = 0 unused. */
  prepare(group: GroupId): void {
    if (this.tables.has(group)) return;
    const px = this.prefix(group);
    const { affine, jacobian } = this.sizes(group);
    const windows = windowCount(this.windowBits[group]);
    const perWindow = 2 ** this.windowBits[group];
    const table = this.alloc(windows * perWindow * affine);
    const run = this.alloc(perWindow * jacobian);
    const base = this.alloc(affine);
    const next = this.alloc(jacobian);
    const generator = this.generators[group];
    this.ex[`${px}_toAffine`](generator, base);
    for (let k = 0; k < windows; k++) {
      this.ex[`${px}_zero`](run);
      for (let d = 1; d < perWindow; d++) {
        this.ex[`${px}_addMixed`](run + (d - 1) * jacobian, base, run + d * jacobian);
      }
      // entries 1..2^w-1 (never the point at infinity, which would spoil the batch inversion)
      this.ex[`${px}_batchToAffine`](run + jacobian, perWindow - 1, table + (k * perWindow + 1) * affine);
      this.ex[`${px}_addMixed`](run + (perWindow - 1) * jacobian, base, next);
      this.ex[`${px}_toAffine`](next, base);
    }
    this.tables.set(group, table);
    this.scratch.set(group, { jac: this.alloc(this.maxCount * jacobian), aff: this.alloc(this.maxCount * affine) });
  }

  /** scalar_i · G for each scalar, as affine LEM points (the ptau point encoding). */
  multiply(group: GroupId, scalars: bigint[]): Uint8Array {
    if (scalars.length > this.maxCount) throw new Error("dev-ptau: job larger than worker scratch space");
    this.prepare(group);
    const table = this.tables.get(group)!;
    const { jac, aff } = this.scratch.get(group)!;
    const px = this.prefix(group);
    const { affine, jacobian } = this.sizes(group);
    const zero = this.ex[`${px}_zero`];
    const addMixed = this.ex[`${px}_addMixed`];
    const bits = this.windowBits[group];
    const windows = windowCount(bits);
    const perWindow = 2 ** bits;
    const mask = perWindow - 1;
    const bytes = new Uint8Array(N8 + 3); // 3 zero bytes past the top so every window reads 24 bits
    for (let j = 0; j < scalars.length; j++) {
      const s = scalars[j];
      if (s === 0n) throw new Error("dev-ptau: zero scalar (degenerate seed); pick another seed");
      const hex = s.toString(16).padStart(2 * N8, "0");
      for (let b = 0; b < N8; b++) bytes[b] = parseInt(hex.slice(2 * (N8 - 1 - b), 2 * (N8 - b)), 16);
      const acc = jac + j * jacobian;
      zero(acc);
      for (let k = 0; k < windows; k++) {
        const bit = k * bits;
        const at = bit >> 3;
        const digit = ((bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16)) >>> (bit & 7)) & mask;
        if (digit !== 0) addMixed(acc, table + (k * perWindow + digit) * affine, acc);
      }
    }
    this.ex[`${px}_batchToAffine`](jac, scalars.length, aff);
    return new Uint8Array(this.memory.buffer).slice(aff, aff + scalars.length * affine);
  }
}

async function workerMain(init: WorkerInit): Promise<void> {
  const port = parentPort!;
  try {
    const tau = BigInt(init.tau);
    const multiplier = await FixedBaseMultiplier.create(init);
    for (const g of init.groups) multiplier.prepare(g);
    port.on("message", (req: WorkerRequest) => {
      try {
        const points = multiplier.multiply(req.job.group, jobScalars(req.job, tau));
        port.postMessage({ type: "done", id: req.id, points } satisfies WorkerReply, [points.buffer as ArrayBuffer]);
      } catch (err) {
        port.postMessage({ type: "error", message: String((err as Error).stack ?? err) } satisfies WorkerReply);
      }
    });
    port.postMessage({ type: "ready" } satisfies WorkerReply);
  } catch (err) {
    port.postMessage({ type: "error", message: String((err as Error).stack ?? err) } satisfies WorkerReply);
  }
}

if (!isMainThread && (workerData as Partial<WorkerInit> | null)?.devPtauWorker === true) {
  void workerMain(workerData as WorkerInit);
}
