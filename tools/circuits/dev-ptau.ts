/**
 * Development-only Powers of Tau generator — INSECURE BY CONSTRUCTION.
 *
 * This tool picks the "toxic waste" (tau, alpha, beta) itself, deterministically from a seed, and
 * writes a *prepared* (phase-2 ready) bn128 `.ptau` file in snarkjs 0.7.x format. Anyone who knows
 * the seed (and the default seed is public) can forge Groth16 proofs for every key built on the
 * file. Use it for local development, tests and demos ONLY; production keys take a real
 * ceremony's prepared ptau.
 *
 * Why it exists: snarkjs's own `powersoftau new` + `prepare phase2` runs the Lagrange IFFT on one
 * core and takes minutes at 2^12 and more than half an hour at 2^16 here. Knowing tau, every
 * point is simply `scalar · generator`, so no group FFT is needed:
 *
 *   section 2  tauG1       tau^i · G1            i < 2^(p+1) - 1
 *   section 3  tauG2       tau^i · G2            i < 2^p
 *   section 4  alphaTauG1  alpha · tau^i · G1    i < 2^p
 *   section 5  betaTauG1   beta · tau^i · G1     i < 2^p
 *   section 6  betaG2      beta · G2
 *   section 7  one contribution record (so `snarkjs powersoftau verify` accepts the file)
 *   sections 12..15: the Lagrange forms snarkjs's `preparePhase2` computes by IFFT. For every
 *   level q = 0..p (and q = p+1 for tauG1) they hold L_i(tau) · G for the Lagrange basis of the
 *   2^q-th roots of unity ffjavascript uses:
 *       L_i(tau) = w^i (tau^n - 1) / (n (tau - w^i)),  n = 2^q, w = Fr.w[q]
 *   The tauG1 level p+1 is the IFFT of the powers with the last one (tau^(2^(p+1)-1)) replaced by
 *   zero, as snarkjs does; that subtracts tau^(n-1) w^i / n from L_i(tau).
 *
 * Scalars are computed in Fr with BigInt; points by fixed-base windowed multiplication (a table of
 * d · 2^(w k) · G, one mixed addition per window) with the wasm curve of ffjavascript, in worker
 * threads. The output is byte-identical to running snarkjs `preparePhase2` on sections 1-7 (the
 * test checks this at a small power) and deterministic: same power + seed → same bytes.
 */
import { open, rename, rm, type FileHandle } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { blake2b } from "@noble/hashes/blake2b";
import { sha512 } from "@noble/hashes/sha512";
import { buildBn128, ChaCha, type BnCurve, type WasmElement, type WasmGroup } from "ffjavascript";
import { N8, Q, bestWindowBits, mod, type GroupId, type Job, type WorkerInit, type WorkerReply } from "./dev-ptau.worker.js";

/** The public default seed. Public seed = public toxic waste: development only. */
export const DEV_PTAU_DEFAULT_SEED = "depin-kit INSECURE development powers of tau v1";

/** Name recorded in the file's contribution section (snarkjs shows it; at most 64 bytes). */
export const DEV_PTAU_CONTRIBUTION_NAME = "INSECURE dev ptau (toxic waste known) depin-kit";

/** Largest supported power: the tauG1 Lagrange level p+1 must fit Fr's 2-adicity (28). */
export const DEV_PTAU_MAX_POWER = 27;

export interface DevPtauOptions {
  /** Seed the toxic values are derived from (default {@link DEV_PTAU_DEFAULT_SEED}). */
  seed?: string;
  /** Progress sink (default: silent). */
  log?: (message: string) => void;
  /** Worker threads (default: number of CPUs, at most 8). */
  workers?: number;
  /**
   * Window width (1..16 bits) of the fixed-base multiplication, for both groups. Default: chosen
   * per group from the number of points (wider windows mean fewer additions per point but a
   * bigger table: at 16 bits ~200 MB per worker). The output bytes do not depend on it.
   */
  windowBits?: number;
}

// ---------------------------------------------------------------------------------------------
// Toxic waste
// ---------------------------------------------------------------------------------------------

/** Toxic values and contribution-key secrets, all derived from the seed. */
interface Toxic {
  tau: bigint;
  alpha: bigint;
  beta: bigint;
  /** Discrete logs of the contribution key's `g1_s` points (tau, alpha, beta). */
  keyS: [bigint, bigint, bigint];
}

function deriveScalar(seed: string, label: string): bigint {
  // 512 hash bits reduced mod r: uniform enough, deterministic, never the seed itself.
  const digest = sha512(new TextEncoder().encode(`depin-kit INSECURE dev ptau v1|${label}|${seed}`));
  const value = mod(BigInt(`0x${Buffer.from(digest).toString("hex")}`));
  if (value === 0n) throw new Error(`dev-ptau: seed gives a zero ${label}; pick another seed`);
  return value;
}

function deriveToxic(seed: string): Toxic {
  return {
    tau: deriveScalar(seed, "tau"),
    alpha: deriveScalar(seed, "alpha"),
    beta: deriveScalar(seed, "beta"),
    keyS: [deriveScalar(seed, "key-s-tau"), deriveScalar(seed, "key-s-alpha"), deriveScalar(seed, "key-s-beta")],
  };
}

// ---------------------------------------------------------------------------------------------
// Worker pool
// ---------------------------------------------------------------------------------------------

/** The worker module, next to this one with the same extension (.ts under tsx, .js if compiled). */
const WORKER_URL = new URL(`./dev-ptau.worker${path.extname(fileURLToPath(import.meta.url))}`, import.meta.url);

/** Runs jobs on a pool of workers, yielding results in submission order with bounded look-ahead. */
class WorkerPool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly pending = new Map<number, { resolve: (p: Uint8Array) => void; reject: (e: Error) => void }>();
  private readonly queue: { id: number; job: Job }[] = [];
  private failure: Error | undefined;

  private constructor() {}

  static async start(count: number, init: WorkerInit): Promise<WorkerPool> {
    const pool = new WorkerPool();
    const ready: Promise<void>[] = [];
    for (let i = 0; i < count; i++) {
      const worker = new Worker(WORKER_URL, { workerData: init });
      pool.workers.push(worker);
      ready.push(
        new Promise<void>((resolve, reject) => {
          const onFirst = (msg: WorkerReply): void => {
            if (msg.type === "ready") resolve();
            else if (msg.type === "error") reject(new Error(`dev-ptau worker failed to start: ${msg.message}`));
          };
          worker.once("message", onFirst);
          worker.once("error", reject);
        }),
      );
    }
    try {
      await Promise.all(ready);
    } catch (err) {
      await pool.stop();
      throw err;
    }
    for (const worker of pool.workers) {
      worker.on("message", (msg: WorkerReply) => pool.onMessage(worker, msg));
      worker.on("error", (err) => pool.fail(err));
      worker.on("exit", (code) => {
        if (code !== 0) pool.fail(new Error(`dev-ptau worker exited with code ${code}`));
      });
      pool.idle.push(worker);
    }
    return pool;
  }

  run(id: number, job: Job): Promise<Uint8Array> {
    if (this.failure) return Promise.reject(this.failure);
    const result = new Promise<Uint8Array>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    this.queue.push({ id, job });
    this.dispatch();
    return result;
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop()!;
      const req = this.queue.shift()!;
      worker.postMessage(req);
    }
  }

  private onMessage(worker: Worker, msg: WorkerReply): void {
    if (msg.type === "error") {
      this.fail(new Error(`dev-ptau worker: ${msg.message}`));
      return;
    }
    if (msg.type !== "done") return;
    this.idle.push(worker);
    const waiter = this.pending.get(msg.id);
    this.pending.delete(msg.id);
    waiter?.resolve(msg.points);
    this.dispatch();
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    for (const waiter of this.pending.values()) waiter.reject(err);
    this.pending.clear();
  }

  async stop(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

// ---------------------------------------------------------------------------------------------
// File writing
// ---------------------------------------------------------------------------------------------

const SECTION = { header: 1, tauG1: 2, tauG2: 3, alphaTauG1: 4, betaTauG1: 5, betaG2: 6, contributions: 7 } as const;
const SG1 = 2 * N8; // affine G1 point, LEM
const SG2 = 4 * N8; // affine G2 point, LEM

/** Appends at a tracked position (the file is written front to back; only section 7 is patched later). */
class Output {
  pos = 0;
  constructor(private readonly fh: FileHandle) {}

  async write(bytes: Uint8Array): Promise<void> {
    let off = 0;
    while (off < bytes.byteLength) {
      const { bytesWritten } = await this.fh.write(bytes, off, bytes.byteLength - off, this.pos + off);
      off += bytesWritten;
    }
    this.pos += bytes.byteLength;
  }

  async sectionHeader(id: number, size: number): Promise<void> {
    const b = new Uint8Array(12);
    const v = new DataView(b.buffer);
    v.setUint32(0, id, true);
    v.setBigUint64(4, BigInt(size), true);
    await this.write(b);
  }
}

function le32(value: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, value, true);
  return b;
}

function bigToLE(value: bigint, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let v = value;
  for (let i = 0; i < bytes; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.byteLength;
  }
  return out;
}

/** One run of points in a section, split into jobs. */
interface Segment {
  group: GroupId;
  count: number;
  make: (start: number, count: number) => Job;
}

interface PlannedSection {
  id: number;
  name: string;
  segments: Segment[];
}

function pointSize(group: GroupId): number {
  return group === 1 ? SG1 : SG2;
}

function sectionBytes(s: PlannedSection): number {
  return s.segments.reduce((n, seg) => n + seg.count * pointSize(seg.group), 0);
}

function powersSegment(group: GroupId, count: number, factor: bigint): Segment {
  return { group, count, make: (start, n) => ({ kind: "powers", group, start, count: n, factor }) };
}

function lagrangeSegments(group: GroupId, levels: number, factor: bigint, omegas: bigint[], dropLastLevel: number): Segment[] {
  const segs: Segment[] = [];
  for (let level = 0; level < levels; level++) {
    const omega = omegas[level];
    const dropLast = level === dropLastLevel;
    segs.push({
      group,
      count: 2 ** level,
      make: (start, n) => ({ kind: "lagrange", group, start, count: n, factor, level, omega, dropLast }),
    });
  }
  return segs;
}

// ---------------------------------------------------------------------------------------------
// Contribution record (section 7), as `snarkjs powersoftau contribute` would have written it
// ---------------------------------------------------------------------------------------------

/** blake2b-512 of the ptau a fresh `powersoftau new` would write (the first challenge). */
function firstChallengeHash(curve: BnCurve, power: number): Uint8Array {
  const g1 = new Uint8Array(SG1);
  const g2 = new Uint8Array(SG2);
  curve.G1.toRprUncompressed(g1, 0, curve.G1.g);
  curve.G2.toRprUncompressed(g2, 0, curve.G2.g);
  const hasher = blake2b.create({ dkLen: 64 });
  hasher.update(blake2b.create({ dkLen: 64 }).digest());
  const repeat = (point: Uint8Array, n: number): void => {
    const perBlock = 1 << 14;
    const block = new Uint8Array(perBlock * point.byteLength);
    for (let i = 0; i < perBlock; i++) block.set(point, i * point.byteLength);
    let left = n;
    while (left >= perBlock) {
      hasher.update(block);
      left -= perBlock;
    }
    if (left > 0) hasher.update(block.subarray(0, left * point.byteLength));
  };
  repeat(g1, 2 ** (power + 1) - 1);
  repeat(g2, 2 ** power);
  repeat(g1, 2 ** power);
  repeat(g1, 2 ** power);
  hasher.update(g2);
  return hasher.digest();
}

/** Blake2b's internal state in the 216-byte layout snarkjs stores as a contribution's partialHash. */
function partialHashOf(hasher: ReturnType<typeof blake2b.create>): Uint8Array {
  // Reads @noble/hashes' internal fields, exactly the ones snarkjs's fromPartialHash restores.
  const h = hasher as unknown as Record<string, number> & { buffer: Uint8Array };
  const out = new Uint8Array(216);
  // Only the first `pos` bytes of the block buffer are live; the rest may hold leftovers of an
  // earlier block (so how the data was chunked would show). Write zeros there instead.
  out.set(h.buffer.subarray(0, h.pos));
  const v = new DataView(out.buffer, 128);
  const words = ["v0l", "v0h", "v1l", "v1h", "v2l", "v2h", "v3l", "v3h", "v4l", "v4h", "v5l", "v5h", "v6l", "v6h", "v7l", "v7h"];
  words.forEach((name, i) => v.setUint32(i * 4, h[name] >>> 0, true));
  v.setUint32(16 * 4, (h.length - h.pos) >>> 0, true);
  v.setUint32(18 * 4, h.pos >>> 0, true);
  return out;
}

interface KeyPart {
  g1s: WasmElement;
  g1sx: WasmElement;
  g2spx: WasmElement;
}

/** The contribution's proof-of-knowledge key for one secret, checkable by `powersoftau verify`. */
function keyPart(curve: BnCurve, personalization: number, challenge: Uint8Array, secret: bigint, s: bigint): KeyPart {
  const g1s = curve.G1.toAffine(curve.G1.timesScalar(curve.G1.g, s));
  const g1sx = curve.G1.toAffine(curve.G1.timesScalar(g1s, secret));
  const u = new Uint8Array(SG1);
  const h = blake2b.create({ dkLen: 64 });
  h.update(new Uint8Array([personalization]));
  h.update(challenge);
  curve.G1.toRprUncompressed(u, 0, g1s);
  h.update(u);
  curve.G1.toRprUncompressed(u, 0, g1sx);
  h.update(u);
  const digest = h.digest();
  const dv = new DataView(digest.buffer, digest.byteOffset, digest.byteLength);
  const seedWords: number[] = [];
  for (let i = 0; i < 8; i++) seedWords.push(dv.getUint32(i * 4));
  const g2sp = curve.G2.fromRng(new ChaCha(seedWords));
  const g2spx = curve.G2.toAffine(curve.G2.timesScalar(g2sp, secret));
  return { g1s, g1sx, g2spx };
}

function pubKeyBytes(curve: BnCurve, key: KeyPart[], lem: boolean): Uint8Array {
  const out = new Uint8Array(6 * SG1 + 3 * SG2);
  let off = 0;
  const put = (g: WasmGroup, p: WasmElement, size: number): void => {
    if (lem) g.toRprLEM(out, off, p);
    else g.toRprUncompressed(out, off, p);
    off += size;
  };
  for (const k of key) {
    put(curve.G1, k.g1s, SG1);
    put(curve.G1, k.g1sx, SG1);
  }
  for (const k of key) put(curve.G2, k.g2spx, SG2);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Entry point
// ---------------------------------------------------------------------------------------------

/**
 * Writes an INSECURE, deterministic, prepared (phase-2 ready) bn128 Powers of Tau file of
 * 2^power for development. The toxic waste derives from `opts.seed`; the default seed is public.
 * The file is written to a temporary name and renamed into place when complete.
 */
export async function writeDevPtau(power: number, outFile: string, opts: DevPtauOptions = {}): Promise<void> {
  if (!Number.isInteger(power) || power < 1 || power > DEV_PTAU_MAX_POWER) {
    throw new RangeError(`dev-ptau: power must be an integer in 1..${DEV_PTAU_MAX_POWER}, got ${power}`);
  }
  const seed = opts.seed ?? DEV_PTAU_DEFAULT_SEED;
  const log = opts.log ?? ((): void => undefined);
  const workerCount = opts.workers ?? Math.max(1, Math.min(os.cpus().length, 8));
  if (!Number.isInteger(workerCount) || workerCount < 1)
    throw new RangeError(`dev-ptau: workers must be a positive integer, got ${workerCount}`);
  const started = Date.now();
  const elapsed = (): string => `${((Date.now() - started) / 1000).toFixed(1)}s`;

  log(`INSECURE development ptau 2^${power}: toxic waste derives from the seed; never use it for production keys`);
  const toxic = deriveToxic(seed);
  const curve = await buildBn128(true);
  const omegas: bigint[] = [];
  for (let level = 0; level <= power + 1; level++) omegas.push(curve.Fr.toObject(curve.Fr.w[level]));

  const n = 2 ** power;
  const { tau, alpha, beta } = toxic;
  const sections: PlannedSection[] = [
    { id: SECTION.tauG1, name: "tauG1", segments: [powersSegment(1, 2 * n - 1, 1n)] },
    { id: SECTION.tauG2, name: "tauG2", segments: [powersSegment(2, n, 1n)] },
    { id: SECTION.alphaTauG1, name: "alphaTauG1", segments: [powersSegment(1, n, alpha)] },
    { id: SECTION.betaTauG1, name: "betaTauG1", segments: [powersSegment(1, n, beta)] },
    { id: SECTION.betaG2, name: "betaG2", segments: [powersSegment(2, 1, beta)] },
  ];
  const lagrange: PlannedSection[] = [
    { id: 12, name: "lagrange tauG1", segments: lagrangeSegments(1, power + 2, 1n, omegas, power + 1) },
    { id: 13, name: "lagrange tauG2", segments: lagrangeSegments(2, power + 1, 1n, omegas, -1) },
    { id: 14, name: "lagrange alphaTauG1", segments: lagrangeSegments(1, power + 1, alpha, omegas, -1) },
    { id: 15, name: "lagrange betaTauG1", segments: lagrangeSegments(1, power + 1, beta, omegas, -1) },
  ];

  const jobPoints = (group: GroupId): number => (group === 1 ? 1 << 13 : 1 << 12);
  if (opts.windowBits !== undefined && !(Number.isInteger(opts.windowBits) && opts.windowBits >= 1 && opts.windowBits <= 16)) {
    throw new RangeError(`dev-ptau: windowBits must be an integer in 1..16, got ${opts.windowBits}`);
  }
  // G1: 12·2^p points in all, G2: 3·2^p (sections 2-6 and 12-15)
  const windowBits: Record<GroupId, number> = {
    1: opts.windowBits ?? bestWindowBits((12 * n) / workerCount),
    2: opts.windowBits ?? bestWindowBits((3 * n) / workerCount),
  };
  const tmpFile = `${outFile}.${process.pid}.tmp`;
  const fh = await open(tmpFile, "w+");
  let pool: WorkerPool | undefined;
  let ok = false;
  try {
    log(`starting ${workerCount} worker(s), windows G1 ${windowBits[1]} bits, G2 ${windowBits[2]} bits`);
    pool = await WorkerPool.start(workerCount, {
      devPtauWorker: true,
      wasmCode: curve.tm.code,
      memoryPages: curve.tm.memory.buffer.byteLength / 65536,
      pG1gen: curve.tm.pG1gen,
      pG2gen: curve.tm.pG2gen,
      tau: tau.toString(),
      windowBits,
      maxCount: jobPoints(1),
      groups: [1, 2],
    });
    log(`workers ready (${elapsed()})`);
    const out = new Output(fh);
    await out.write(concat([new TextEncoder().encode("ptau"), le32(1), le32(11)]));
    const header = concat([le32(N8), bigToLE(Q, N8), le32(power), le32(power)]);
    await out.sectionHeader(SECTION.header, header.byteLength);
    await out.write(header);

    // Section 7 — the contribution that turned the all-generator file of `powersoftau new` into
    // this one, hashed as snarkjs hashes it so `powersoftau verify` passes — is a fixed-size
    // record. Its response hash covers sections 2-6 compressed (fed as they are written), its
    // next-challenge hash covers them uncompressed (read back while the Lagrange sections run);
    // the record is written as a placeholder and filled in at the end.
    const challenge = firstChallengeHash(curve, power);
    const key = [
      keyPart(curve, 0, challenge, tau, toxic.keyS[0]),
      keyPart(curve, 1, challenge, alpha, toxic.keyS[1]),
      keyPart(curve, 2, challenge, beta, toxic.keyS[2]),
    ];
    const point = (g: WasmGroup, size: number, scalar: bigint): Uint8Array => {
      const b = new Uint8Array(size);
      g.toRprLEM(b, 0, g.timesScalar(g.g, scalar));
      return b;
    };
    const name = new TextEncoder().encode(DEV_PTAU_CONTRIBUTION_NAME);
    const params = concat([new Uint8Array([1, name.byteLength]), name]);
    const contributionRecord = (partialHash: Uint8Array, nextChallenge: Uint8Array): Uint8Array =>
      concat([
        le32(1), // number of contributions
        point(curve.G1, SG1, tau),
        point(curve.G2, SG2, tau),
        point(curve.G1, SG1, alpha),
        point(curve.G1, SG1, beta),
        point(curve.G2, SG2, beta),
        pubKeyBytes(curve, key, true),
        partialHash,
        nextChallenge,
        le32(0), // type: ordinary contribution (not a beacon)
        le32(params.byteLength),
        params,
      ]);
    const responseHasher = blake2b.create({ dkLen: 64 });
    responseHasher.update(challenge);

    // One job stream across all point sections, in file order, so workers never idle at a
    // section boundary.
    const fileOrder = [...sections, ...lagrange];
    const jobs: Job[] = [];
    for (const section of fileOrder) {
      for (const seg of section.segments) {
        const step = jobPoints(seg.group);
        for (let start = 0; start < seg.count; start += step) jobs.push(seg.make(start, Math.min(step, seg.count - start)));
      }
    }
    const lookAhead = 2 * workerCount + 2;
    const inFlight: Promise<Uint8Array>[] = [];
    let submitted = 0;
    const nextResult = (): Promise<Uint8Array> => {
      while (submitted < jobs.length && inFlight.length < lookAhead) {
        const result = pool!.run(submitted, jobs[submitted++]);
        result.catch(() => undefined); // observed when awaited; avoids an unhandled rejection meanwhile
        inFlight.push(result);
      }
      return inFlight.shift()!;
    };

    const offsets = new Map<number, number>();
    const writeSection = async (section: PlannedSection, hashCompressed: boolean): Promise<void> => {
      await out.sectionHeader(section.id, sectionBytes(section));
      offsets.set(section.id, out.pos);
      let lastReport = Date.now();
      for (const seg of section.segments) {
        const group = seg.group === 1 ? curve.G1 : curve.G2;
        for (let done = 0; done < seg.count; done += jobPoints(seg.group)) {
          const points = await nextResult();
          await out.write(points);
          if (hashCompressed) responseHasher.update(await group.batchLEMtoC(points));
          if (Date.now() - lastReport > 5000) {
            lastReport = Date.now();
            log(
              `  ${section.name}: ${Math.round((100 * (out.pos - offsets.get(section.id)!)) / sectionBytes(section))}% (${elapsed()})`,
            );
          }
        }
      }
      log(`section ${section.id} ${section.name} done (${elapsed()})`);
    };

    for (const section of sections) await writeSection(section, true);

    const partialHash = partialHashOf(responseHasher);
    responseHasher.update(pubKeyBytes(curve, key, false));
    const responseHash = responseHasher.digest();
    const placeholder = contributionRecord(partialHash, new Uint8Array(64));
    await out.sectionHeader(SECTION.contributions, placeholder.byteLength);
    const contributionAt = out.pos;
    await out.write(placeholder);

    const nextChallengeHash = (async (): Promise<Uint8Array> => {
      const hasher = blake2b.create({ dkLen: 64 });
      hasher.update(responseHash);
      for (const section of sections) {
        const gid = section.segments[0].group;
        const group = gid === 1 ? curve.G1 : curve.G2;
        const total = sectionBytes(section);
        const chunk = pointSize(gid) * (1 << 13);
        for (let off = 0; off < total; off += chunk) {
          const len = Math.min(chunk, total - off);
          const buf = new Uint8Array(len);
          await fh.read(buf, 0, len, offsets.get(section.id)! + off);
          hasher.update(await group.batchLEMtoU(buf));
        }
      }
      return hasher.digest();
    })();
    nextChallengeHash.catch(() => undefined); // awaited below

    for (const section of lagrange) await writeSection(section, false);

    const record = contributionRecord(partialHash, await nextChallengeHash);
    await fh.write(record, 0, record.byteLength, contributionAt);
    log(`contribution record written (${elapsed()})`);
    ok = true;
  } finally {
    await pool?.stop();
    await fh.close();
    if (!ok) await rm(tmpFile, { force: true });
  }
  await rename(tmpFile, outFile);
  log(`wrote ${outFile} (INSECURE, 2^${power}) in ${elapsed()}`);
}

// ---------------------------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------------------------

const USAGE = `Usage: npx tsx tools/circuits/dev-ptau.ts --power <n> --out <file.ptau> [--seed <text>] [--workers <n>]

Writes a prepared (phase-2 ready) bn128 Powers of Tau file for DEVELOPMENT ONLY.
INSECURE: the toxic waste is derived from the seed (default: a public string), so anyone can
forge proofs for keys built on this file. Never use it for production keys.

  --power    log2 of the number of powers (1..${DEV_PTAU_MAX_POWER}); circuits up to ~2^power constraints
  --out      output file
  --seed     seed for the toxic values (default: "${DEV_PTAU_DEFAULT_SEED}")
  --workers  worker threads (default: CPU count, at most 8)
  --help     this text`;

async function cli(argv: string[]): Promise<number> {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--help" || a === "-h") {
      console.log(USAGE);
      return 0;
    }
    if (!["--power", "--out", "--seed", "--workers"].includes(a) || i + 1 >= argv.length) {
      console.error(`dev-ptau: unknown or incomplete argument "${a}"\n\n${USAGE}`);
      return 2;
    }
    args.set(a, argv[++i]);
  }
  const power = Number(args.get("--power"));
  const out = args.get("--out");
  if (!args.has("--power") || !out) {
    console.error(`dev-ptau: --power and --out are required\n\n${USAGE}`);
    return 2;
  }
  const workers = args.has("--workers") ? Number(args.get("--workers")) : undefined;
  console.error("WARNING: INSECURE development Powers of Tau (toxic waste known). Never use for production keys.");
  await writeDevPtau(power, out, { seed: args.get("--seed"), workers, log: (m) => console.error(`[dev-ptau] ${m}`) });
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  cli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
