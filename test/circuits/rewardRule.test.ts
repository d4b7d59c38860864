import { expect } from "chai";
import { network } from "hardhat";
import { readFileSync } from "node:fs";
import * as snarkjs from "snarkjs";
import {
  epochWindow,
  getPoseidon,
  packBatchWord,
  packDeviceWords,
  packRuleWord,
  rewardPoints,
  rewardRuleInput,
  RewardRuleError,
  SNARK_SCALAR_FIELD,
  toSolidityProof,
  type DevicePoints,
  type PoseidonHasher,
  type RewardRuleInput,
  type RewardRuleParams,
} from "../../sdk/src/index.js";
import { artifactsOf } from "../../tools/circuits/manifest.js";
import { batchOf, EPOCH_LENGTH, GENESIS, type ReadingSpec } from "../rewards/readings.js";

// reward_rule_16: 16 readings (4-ary tree of depth 2), 4 device slots. The circuit must accept
// exactly the points the TypeScript reference computes, and nothing else.
const SHAPE = { depth: 2, slots: 4 };
const art = artifactsOf("reward_rule_16");
const EPOCH = 7n;
const W = epochWindow(GENESIS, EPOCH_LENGTH, EPOCH);
const PARAMS: RewardRuleParams = { minValue: 100n, maxValue: 200n, capPerBatch: 3n };

/** Runs the witness generator; resolves when every constraint holds, rejects otherwise. */
async function satisfies(input: RewardRuleInput | Record<string, unknown>): Promise<boolean> {
  const wtns = { type: "mem" } as { type: string };
  try {
    await snarkjs.wtns.calculate(input, art.wasm, wtns);
    return true;
  } catch (e) {
    if (/Assert Failed|Error in template|Not enough values|Too many values/.test(String(e))) return false;
    throw e;
  }
}

function withPoints(input: RewardRuleInput, points: DevicePoints[]): RewardRuleInput {
  return { ...input, deviceWords: packDeviceWords(points, SHAPE.slots).map(String) };
}

// A mixed batch: edges of the value range and of the window, a capped device, device id 0.
const SPECS: ReadingSpec[] = [
  { deviceId: 11n, value: 100n, offset: 0n }, // min value, window start: earns
  { deviceId: 11n, value: 200n, offset: EPOCH_LENGTH - 1n }, // max value, last second: earns
  { deviceId: 11n, value: 99n, offset: 5n }, // below min: 0
  { deviceId: 11n, value: 201n, offset: 6n }, // above max: 0
  { deviceId: 22n, value: 150n, offset: EPOCH_LENGTH }, // window end (exclusive): 0
  { deviceId: 22n, value: 150n, offset: -1n }, // one second before the window: 0
  { deviceId: 22n, value: 150n, offset: 10n }, // earns
  { deviceId: 33n, value: 150n, offset: 11n }, // device 33 earns 5, capped at 3
  { deviceId: 33n, value: 150n, offset: 12n },
  { deviceId: 33n, value: 150n, offset: 13n },
  { deviceId: 33n, value: 150n, offset: 14n },
  { deviceId: 33n, value: 150n, offset: 15n },
  { deviceId: 0n, value: 150n, offset: 16n }, // device id 0 never earns
  { deviceId: 44n, value: 0n, offset: 17n }, // device 44 never earns: no slot needed
];

describe("RewardRule circuit (reward_rule_16) against the TypeScript reference", function () {
  let h: PoseidonHasher;
  const readings = batchOf(EPOCH, SPECS);

  before(async () => {
    h = await getPoseidon();
  });

  it("the reference rule gives the expected points (edges, window, cap, device 0)", () => {
    expect(rewardPoints(readings, PARAMS, W)).to.deep.equal([
      { deviceId: 11n, points: 2n },
      { deviceId: 22n, points: 1n },
      { deviceId: 33n, points: 3n },
    ]);
  });

  it("accepts exactly the reference's points for full, partial and empty batches", async () => {
    const job = rewardRuleInput(h, readings, SHAPE, PARAMS, W, EPOCH);
    expect(job.points).to.deep.equal(rewardPoints(readings, PARAMS, W));
    expect(await satisfies(job.input)).to.equal(true);
    const full = batchOf(
      EPOCH,
      Array.from({ length: 16 }, (_, i) => ({ deviceId: BigInt(1 + (i % 4)), value: 150n, offset: BigInt(i) })),
    );
    const fullJob = rewardRuleInput(h, full, SHAPE, { ...PARAMS, capPerBatch: 100n }, W, EPOCH);
    expect(fullJob.points.map((p) => p.points)).to.deep.equal([4n, 4n, 4n, 4n]);
    expect(await satisfies(fullJob.input)).to.equal(true);
    const empty = rewardRuleInput(h, [], SHAPE, PARAMS, W, EPOCH);
    expect(empty.points).to.deep.equal([]);
    expect(await satisfies(empty.input)).to.equal(true);
  });

  it("rejects forged points: raised, lowered, moved, dropped, split across duplicate slots", async () => {
    const job = rewardRuleInput(h, readings, SHAPE, PARAMS, W, EPOCH);
    const p = job.points;
    const forgeries: DevicePoints[][] = [
      [{ ...p[0], points: 3n }, p[1], p[2]],
      [{ ...p[0], points: 1n }, p[1], p[2]],
      [p[0], p[1], { ...p[2], points: 4n }], // above the cap
      [{ ...p[0], deviceId: 12n }, p[1], p[2]], // credited to another device
      [p[0], p[2]], // device 22 dropped
      [p[1], p[0], p[2]], // not ascending
      [p[0], p[1], { ...p[2], points: 2n }, { ...p[2], points: 1n }], // duplicate id
    ];
    for (const f of forgeries) {
      expect(
        await satisfies(withPoints(job.input, f)),
        JSON.stringify(f, (_, v) => String(v)),
      ).to.equal(false);
    }
  });

  it("rejects a lying raw count even when the capped points would match", async () => {
    const job = rewardRuleInput(h, readings, SHAPE, PARAMS, W, EPOCH);
    // Device 33 has 5 earning readings (capped to 3); claiming 4 or 3 raw still caps to 3.
    for (const raw of ["4", "3", "6"]) {
      expect(await satisfies({ ...job.input, raw: [job.input.raw[0], job.input.raw[1], raw, "0"] })).to.equal(false);
    }
    // A raw count in an unused slot is refused too.
    expect(await satisfies({ ...job.input, raw: [...job.input.raw.slice(0, 3), "1"] })).to.equal(false);
  });

  it("rejects a wrong root, a wrong or oversized count, other rule parameters or another window", async () => {
    const job = rewardRuleInput(h, readings, SHAPE, PARAMS, W, EPOCH);
    expect(await satisfies({ ...job.input, root: (job.root + 1n).toString() })).to.equal(false);
    expect(await satisfies({ ...job.input, batchWord: packBatchWord(EPOCH, 13n).toString() })).to.equal(false);
    expect(await satisfies({ ...job.input, batchWord: packBatchWord(EPOCH, 17n).toString() })).to.equal(false);
    // The same readings with the rule's other parameters are a different statement.
    expect(await satisfies({ ...job.input, ruleWord: packRuleWord({ ...PARAMS, minValue: 99n }, W).toString() })).to.equal(false);
    expect(
      await satisfies({ ...job.input, ruleWord: packRuleWord(PARAMS, { start: W.start, end: W.end + 1n }).toString() }),
    ).to.equal(false);
  });

  it("field-boundary inputs: packed words past their width, a value of p - 1", async () => {
    const job = rewardRuleInput(h, readings, SHAPE, PARAMS, W, EPOCH);
    // A word with bits above its layout (or wrapped by the field) does not decompose.
    expect(await satisfies({ ...job.input, batchWord: (BigInt(job.input.batchWord) + (1n << 96n)).toString() })).to.equal(false);
    // p - 1 has bits far above the 176-bit rule layout (snarkjs reduces inputs mod p, so "x + p" is x).
    expect(await satisfies({ ...job.input, ruleWord: (SNARK_SCALAR_FIELD - 1n).toString() })).to.equal(false);
    expect(
      await satisfies({
        ...job.input,
        deviceWords: [(BigInt(job.input.deviceWords[0]) + (1n << 192n)).toString(), job.input.deviceWords[1]],
      }),
    ).to.equal(false);

    // A leaf whose value is the field element p - 1 (no signed reading has it): it can never
    // earn. Claiming that it earned is refused; counting it as 0 is the only witness.
    const fields = (i: number) =>
      [job.input.deviceId[i], job.input.seq[i], job.input.timestamp[i], job.input.value[i], job.input.sigHash[i]].map(BigInt);
    const leaves = Array.from({ length: readings.length }, (_, i) => h.hash(fields(i)));
    const slot = 13; // device 44's reading (earned nothing)
    const bad = [...fields(slot)];
    bad[3] = SNARK_SCALAR_FIELD - 1n;
    leaves[slot] = h.hash(bad);
    const { merkleRoot } = await import("../../sdk/src/merkle.js");
    const root = merkleRoot(h, leaves, SHAPE.depth);
    const value = [...job.input.value];
    value[slot] = bad[3].toString();
    const boundary = { ...job.input, root: root.toString(), value };
    expect(await satisfies(boundary)).to.equal(true);
    const raw44 = { ...boundary, raw: [job.input.raw[0], job.input.raw[1], job.input.raw[2], "1"] };
    expect(await satisfies(withPoints(raw44 as RewardRuleInput, [...job.points, { deviceId: 44n, points: 1n }]))).to.equal(false);
  });

  it("a signed timestamp 2^32 s or more outside the window earns 0 and the batch is still proven (was unprovable)", async () => {
    // The comparisons decompose timestamp - start + 2^40 and end - 1 - timestamp + 2^40 in 41
    // bits, so every u40 timestamp fits. With the former 33-bit decompositions (offset 2^32)
    // these readings broke Num2Bits and no proof of the batch could be made at all.
    const MAX_U40 = (1n << 40n) - 1n;
    const start = GENESIS + EPOCH * EPOCH_LENGTH;
    const specs: ReadingSpec[] = [
      { deviceId: 5n, value: 150n, offset: 3n }, // earns
      { deviceId: 5n, value: 150n, offset: (1n << 32n) + EPOCH_LENGTH }, // 2^32 s past the window end: 0
      { deviceId: 6n, value: 150n, offset: MAX_U40 - start }, // the largest u40 timestamp: 0
      { deviceId: 6n, value: 150n, offset: 1n << 33n }, // 2^33 s past the start: 0
      { deviceId: 7n, value: 150n, offset: -start }, // timestamp 0 (the window starts after 2^30): 0
      { deviceId: 7n, value: 150n, offset: 4n }, // earns
    ];
    const far = batchOf(EPOCH, specs);
    expect(far[2].timestamp).to.equal(MAX_U40);
    expect(far[4].timestamp).to.equal(0n);
    // The sdk reference rule agrees: only the two in-window readings earn.
    expect(rewardPoints(far, PARAMS, W)).to.deep.equal([
      { deviceId: 5n, points: 1n },
      { deviceId: 7n, points: 1n },
    ]);
    const job = rewardRuleInput(h, far, SHAPE, PARAMS, W, EPOCH);
    expect(job.points).to.deep.equal(rewardPoints(far, PARAMS, W));
    expect(await satisfies(job.input)).to.equal(true);
    // Claiming a point for the far reading of device 6 is refused.
    expect(await satisfies(withPoints(job.input, [job.points[0], { deviceId: 6n, points: 1n }, job.points[1]]))).to.equal(false);
    expect(await satisfies(withPoints(job.input, [{ deviceId: 5n, points: 2n }, job.points[1]]))).to.equal(false);
    // A real proof of the batch verifies.
    const { proof, publicSignals } = await snarkjs.groth16.fullProve(job.input, art.wasm, art.zkey);
    expect(publicSignals.map(BigInt)).to.deep.equal(job.publicSignals);
    const vkey = JSON.parse(readFileSync(art.vkey, "utf8")) as unknown;
    expect(await snarkjs.groth16.verify(vkey, publicSignals, proof)).to.equal(true);
  });

  it("the builder refuses batches the instance cannot hold", () => {
    const five = batchOf(
      EPOCH,
      [1n, 2n, 3n, 4n, 5n].map((d) => ({ deviceId: d, value: 150n, offset: 0n })),
    );
    expect(() => rewardRuleInput(h, five, SHAPE, PARAMS, W, EPOCH)).to.throw(RewardRuleError, /5 earning devices do not fit 4/);
    const seventeen = batchOf(
      EPOCH,
      Array.from({ length: 17 }, () => ({ deviceId: 1n, value: 150n, offset: 0n })),
    );
    expect(() => rewardRuleInput(h, seventeen, SHAPE, PARAMS, W, EPOCH)).to.throw(RewardRuleError, /17 readings exceed/);
  });

  it("a real proof verifies on-chain only with its own public signals (root, epoch, rule, points)", async () => {
    const { ethers } = await network.create();
    const verifier = await ethers.deployContract("RewardRule16Verifier");
    const job = rewardRuleInput(h, readings, SHAPE, PARAMS, W, EPOCH);
    const { proof, publicSignals } = await snarkjs.groth16.fullProve(job.input, art.wasm, art.zkey);
    expect(publicSignals.map(BigInt)).to.deep.equal(job.publicSignals);
    const vkey = JSON.parse(readFileSync(art.vkey, "utf8")) as unknown;
    expect(await snarkjs.groth16.verify(vkey, publicSignals, proof)).to.equal(true);
    const p = toSolidityProof(proof);
    const pub = job.publicSignals as [bigint, bigint, bigint, bigint, bigint];
    expect(await verifier.verifyProof(p.a, p.b, p.c, pub)).to.equal(true);
    const variants: bigint[][] = [
      [pub[0] + 1n, pub[1], pub[2], pub[3], pub[4]],
      [pub[0], packBatchWord(EPOCH + 1n, BigInt(readings.length)), pub[2], pub[3], pub[4]], // another epoch
      [pub[0], pub[1], packRuleWord({ ...PARAMS, capPerBatch: 4n }, W), pub[3], pub[4]],
      [pub[0], pub[1], pub[2], pub[3] + (1n << 64n), pub[4]], // one more point
      [pub[0] + SNARK_SCALAR_FIELD, pub[1], pub[2], pub[3], pub[4]],
    ];
    for (const v of variants) {
      expect(await verifier.verifyProof(p.a, p.b, p.c, v as typeof pub)).to.equal(false);
    }
  });
});
