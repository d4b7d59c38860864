// Minimal typings for the parts of ffjavascript (0.3.x, untyped upstream) used by tools/circuits/dev-ptau.ts
// and the forged-proof attack test (test/tools/forge.ts).
declare module "ffjavascript" {
  /** A field element or curve point in ffjavascript's internal (Montgomery) byte representation. */
  export type WasmElement = Uint8Array;

  export interface WasmField {
    n8: number;
    s: number;
    /** w[k] is the primitive 2^k-th root of unity ffjavascript's FFT uses. */
    w: WasmElement[];
    e(v: bigint | number | string): WasmElement;
    toObject(a: WasmElement): bigint;
    /** An element drawn from `rng` as snarkjs draws contribution secrets. */
    fromRng(rng: ChaCha): WasmElement;
  }

  export interface WasmGroup {
    g: WasmElement;
    F: { n8: number };
    timesScalar(p: WasmElement, s: bigint): WasmElement;
    toAffine(p: WasmElement): WasmElement;
    eq(a: WasmElement, b: WasmElement): boolean;
    add(a: WasmElement, b: WasmElement): WasmElement;
    neg(a: WasmElement): WasmElement;
    /** G1: [x, y, z]; G2: [[x0, x1], [y0, y1], [z0, z1]] (bigints or decimal strings). */
    fromObject(o: unknown): WasmElement;
    toObject(p: WasmElement): unknown;
    fromRng(rng: ChaCha): WasmElement;
    toRprLEM(buff: Uint8Array, offset: number, p: WasmElement): void;
    toRprUncompressed(buff: Uint8Array, offset: number, p: WasmElement): void;
    batchLEMtoU(buff: Uint8Array): Promise<Uint8Array>;
    batchLEMtoC(buff: Uint8Array): Promise<Uint8Array>;
  }

  export interface ThreadManager {
    instance: WebAssembly.Instance;
    memory: WebAssembly.Memory;
    /** The compiled wasm module (kept by single-thread curves). */
    code: Uint8Array;
    pG1gen: number;
    pG2gen: number;
  }

  export interface BnCurve {
    q: bigint;
    r: bigint;
    G1: WasmGroup;
    G2: WasmGroup;
    Fr: WasmField;
    tm: ThreadManager;
    terminate(): Promise<void>;
  }

  export function buildBn128(singleThread?: boolean): Promise<BnCurve>;

  export class ChaCha {
    constructor(seed: number[]);
  }
}
