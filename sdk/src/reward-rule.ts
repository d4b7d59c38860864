import { checkUint } from "./field.js";
import { leafInputs, type PoseidonHasher, hashReading } from "./poseidon.js";
import { merkleCapacity, merkleRoot } from "./merkle.js";
import { checkReading, type SignedReading } from "./reading.js";

/**
 * The network's reward rule (the reference implementation of circuits/src/reward_rule.circom;
 * the prover keeper and the tests use exactly this code).
 *
 * A reading of a batch earns one point when its device id is not 0, its value lies in
 * [minValue, maxValue] and its timestamp in the epoch window [start, end). A device's points in
 * one batch are min(earning readings, capPerBatch). Readings that do not earn earn 0; they never
 * block the batch.
 */
export interface RewardRuleParams {
  /** Smallest value that earns (u32, inclusive). */
  minValue: bigint;
  /** Largest value that earns (u32, inclusive). */
  maxValue: bigint;
  /** Most points one device can earn in one batch (u32). */
  capPerBatch: bigint;
}

/** Epoch window [start, end) in unix seconds (u40 each). */
export interface EpochWindow {
  start: bigint;
  end: bigint;
}

export interface DevicePoints {
  deviceId: bigint;
  points: bigint;
}

/**
 * Shape of one circuit instance: `depth` levels of the 4-ary batch tree (capacity 4^depth
 * readings), `slots` device slots (even).
 */
export interface RewardCircuitShape {
  depth: number;
  slots: number;
}

export type RewardRuleErrorCode = "BAD_RULE_PARAMS" | "TOO_MANY_DEVICES" | "BATCH_TOO_LARGE" | "BAD_SHAPE";

export class RewardRuleError extends Error {
  readonly code: RewardRuleErrorCode;
  constructor(code: RewardRuleErrorCode, message: string) {
    super(message);
    this.name = "RewardRuleError";
    this.code = code;
  }
}

/** Bit widths of the packed public words (circuit and RewardDistributor use the same). */
export const REWARD_WORD_BITS = { epoch: 64, count: 32, value: 32, cap: 32, time: 40, deviceId: 64, points: 32 } as const;

/** Deepest batch tree a reward circuit instance can have (RewardRule asserts DEPTH <= 15). */
export const REWARD_MAX_DEPTH = 15;

export function checkRuleParams(p: RewardRuleParams): RewardRuleParams {
  checkUint("minValue", p.minValue, 32);
  checkUint("maxValue", p.maxValue, 32);
  checkUint("capPerBatch", p.capPerBatch, 32);
  return p;
}

export function checkWindow(w: EpochWindow): EpochWindow {
  checkUint("window.start", w.start, 40);
  checkUint("window.end", w.end, 40);
  return w;
}

/** Window of `epoch`: [genesis + epoch·length, genesis + (epoch+1)·length). */
export function epochWindow(genesisTime: bigint, epochLength: bigint, epoch: bigint): EpochWindow {
  const start = genesisTime + epoch * epochLength;
  return checkWindow({ start, end: start + epochLength });
}

/** True when the reading earns a point under `params` in `window`. */
export function readingEarns(r: SignedReading, params: RewardRuleParams, window: EpochWindow): boolean {
  return (
    r.deviceId !== 0n &&
    r.value >= params.minValue &&
    r.value <= params.maxValue &&
    r.timestamp >= window.start &&
    r.timestamp < window.end
  );
}

/** Uncapped earning readings per device, ascending device id (devices with none omitted). */
export function earningCounts(readings: SignedReading[], params: RewardRuleParams, window: EpochWindow): DevicePoints[] {
  checkRuleParams(params);
  checkWindow(window);
  const counts = new Map<bigint, bigint>();
  for (const r of readings) {
    checkReading(r);
    if (readingEarns(r, params, window)) counts.set(r.deviceId, (counts.get(r.deviceId) ?? 0n) + 1n);
  }
  return [...counts.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([deviceId, points]) => ({ deviceId, points }));
}

/** The rule: points per device for one batch, ascending device id. */
export function rewardPoints(readings: SignedReading[], params: RewardRuleParams, window: EpochWindow): DevicePoints[] {
  return earningCounts(readings, params, window).map(({ deviceId, points }) => ({
    deviceId,
    points: points < params.capPerBatch ? points : params.capPerBatch,
  }));
}

/** batchWord = epoch | count << 64. */
export function packBatchWord(epoch: bigint, count: bigint): bigint {
  checkUint("epoch", epoch, REWARD_WORD_BITS.epoch);
  checkUint("count", count, REWARD_WORD_BITS.count);
  return epoch | (count << 64n);
}

/** ruleWord = minValue | maxValue << 32 | cap << 64 | start << 96 | end << 136. */
export function packRuleWord(p: RewardRuleParams, w: EpochWindow): bigint {
  checkRuleParams(p);
  checkWindow(w);
  return p.minValue | (p.maxValue << 32n) | (p.capPerBatch << 64n) | (w.start << 96n) | (w.end << 136n);
}

/** deviceWords[j] = id[2j] | points[2j] << 64 | id[2j+1] << 96 | points[2j+1] << 160; unused slots 0. */
export function packDeviceWords(points: DevicePoints[], slots: number): bigint[] {
  checkShape({ depth: 0, slots });
  if (points.length > slots) {
    throw new RewardRuleError("TOO_MANY_DEVICES", `${points.length} devices do not fit ${slots} device slots`);
  }
  const words: bigint[] = [];
  for (let j = 0; j < slots / 2; j++) {
    let w = 0n;
    for (let h = 0; h < 2; h++) {
      const s = points[2 * j + h];
      if (s === undefined) continue;
      checkUint("deviceId", s.deviceId, REWARD_WORD_BITS.deviceId);
      checkUint("points", s.points, REWARD_WORD_BITS.points);
      w |= (s.deviceId | (s.points << 64n)) << BigInt(96 * h);
    }
    words.push(w);
  }
  return words;
}

function checkShape(shape: RewardCircuitShape): void {
  // The circuit asserts DEPTH <= 15 (4^15 = 2^30 readings; raw counts fit 31 bits).
  if (!Number.isInteger(shape.depth) || shape.depth < 0 || shape.depth > REWARD_MAX_DEPTH) {
    throw new RewardRuleError("BAD_SHAPE", `depth must be an integer in [0, ${REWARD_MAX_DEPTH}], got ${shape.depth}`);
  }
  if (!Number.isInteger(shape.slots) || shape.slots < 2 || shape.slots % 2 !== 0) {
    throw new RewardRuleError("BAD_SHAPE", `slots must be an even integer >= 2, got ${shape.slots}`);
  }
}

/** Witness input of RewardRule(DEPTH, SLOTS) (decimal strings, as snarkjs takes them). */
export interface RewardRuleInput {
  root: string;
  batchWord: string;
  ruleWord: string;
  deviceWords: string[];
  deviceId: string[];
  seq: string[];
  timestamp: string[];
  value: string[];
  sigHash: string[];
  raw: string[];
  [signal: string]: string | string[];
}

export interface RewardRuleProofJob {
  input: RewardRuleInput;
  /** Public signals in snarkjs order: root, batchWord, ruleWord, deviceWords. */
  publicSignals: bigint[];
  /** The rule's result: points per device, ascending ids. */
  points: DevicePoints[];
  /** What the submitter passes to RewardDistributor.settle: the packed device words. */
  deviceWords: bigint[];
  root: bigint;
}

/**
 * Builds the witness input and the expected public signals for proving `readings` (the batch,
 * in slot order, exactly as committed) under `params` in `window` for batch epoch `epoch`.
 * Throws RewardRuleError when the batch cannot be proven by this instance: more readings than
 * 4^depth or more earning devices than slots. Every u40 timestamp is provable: one outside the
 * window (however far) earns 0.
 */
export function rewardRuleInput(
  h: PoseidonHasher,
  readings: SignedReading[],
  shape: RewardCircuitShape,
  params: RewardRuleParams,
  window: EpochWindow,
  epoch: bigint,
): RewardRuleProofJob {
  checkShape(shape);
  const n = merkleCapacity(shape.depth);
  if (readings.length > n) {
    throw new RewardRuleError("BATCH_TOO_LARGE", `${readings.length} readings exceed the circuit capacity ${n}`);
  }
  checkRuleParams(params);
  checkWindow(window);
  const counts = earningCounts(readings, params, window);
  if (counts.length > shape.slots) {
    throw new RewardRuleError("TOO_MANY_DEVICES", `${counts.length} earning devices do not fit ${shape.slots} device slots`);
  }
  const points = counts.map(({ deviceId, points: raw }) => ({
    deviceId,
    points: raw < params.capPerBatch ? raw : params.capPerBatch,
  }));
  const root = merkleRoot(
    h,
    readings.map((r) => hashReading(h, r)),
    shape.depth,
  );
  const batchWord = packBatchWord(epoch, BigInt(readings.length));
  const ruleWord = packRuleWord(params, window);
  const deviceWords = packDeviceWords(points, shape.slots);

  const cols = [[], [], [], [], []] as string[][];
  for (let i = 0; i < n; i++) {
    const fields = i < readings.length ? leafInputs(readings[i]) : [0n, 0n, 0n, 0n, 0n];
    fields.forEach((f, j) => cols[j].push(f.toString()));
  }
  const raw = Array.from({ length: shape.slots }, (_, k) => (counts[k]?.points ?? 0n).toString());
  const input: RewardRuleInput = {
    root: root.toString(),
    batchWord: batchWord.toString(),
    ruleWord: ruleWord.toString(),
    deviceWords: deviceWords.map(String),
    deviceId: cols[0],
    seq: cols[1],
    timestamp: cols[2],
    value: cols[3],
    sigHash: cols[4],
    raw,
  };
  return { input, publicSignals: [root, batchWord, ruleWord, ...deviceWords], points, deviceWords, root };
}
