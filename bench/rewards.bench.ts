/**
 * Reward rule circuit and settlement figures, per circuit instance (B = readings per batch):
 *   constraintsPerReading_B   R1CS constraints / B (from the build info)
 *   witnessSecondsPerBatch_B  witness generation (wasm) for a full batch
 *   proveSecondsPerBatch_B    Groth16 prove (snarkjs, in-process) for a full batch
 *   verifyGasPerBatch_B       verifyProof call (estimateGas, includes the 21,000 base)
 *   settlementGasPerBatch_B   RewardDistributor.settle, steady state: the batch's devices already
 *                             have points in the epoch (the common case: many batches per epoch)
 *                             (devices 1000.. consecutive: 4 per points storage word)
 *   settlementGasScattered_B  steady state with device ids 4 apart (one storage word each: worst case)
 *   settlementGasFirstBatch_B the first batch of the epoch for its devices (fresh storage slots)
 *   grothFloorGas_B           181,000 + 6,150 × public inputs (EIP-1108 precompiles only)
 *   settlementGasPerReading_B steady-state settlement / B
 *   claimGasPerDeviceEpoch... claim() figures (see claimFigures)
 * The un-suffixed keys repeat the figures of the largest B built. Instances that are not built
 * are built on demand (tools/circuits/build.ts --only, cached in build/circuits/).
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { network } from "hardhat";
import * as snarkjs from "snarkjs";
import {
  epochWindow,
  getPoseidon,
  merkleCapacity,
  packDeviceWords,
  rewardRuleInput,
  toSolidityProof,
  type SignedReading,
} from "../sdk/src/index.js";
import { artifactsOf, ROOT } from "../tools/circuits/manifest.js";
import { deployRewards, FIRST_EPOCH, RULE, SETTLEMENT_DELAY } from "../test/rewards/distributor.fixture.js";
import { INSTANCES } from "../test/rewards/prove.js";
import { earningBatch, EPOCH_LENGTH, GENESIS } from "../test/rewards/readings.js";
import type { BenchSuite, Figure } from "./types.js";

const VERIFIERS: Record<string, string> = { reward_rule_16: "RewardRule16Verifier", reward_rule_256: "RewardRule256Verifier" };

export function ensureBuilt(name: string, log: (m: string) => void): void {
  const art = artifactsOf(name);
  if (existsSync(art.info) && existsSync(art.zkey) && existsSync(art.wasm)) return;
  log(`building ${name} (first run only; large instances take minutes)`);
  const res = spawnSync(
    path.join(ROOT, "node_modules", ".bin", "tsx"),
    [path.join(ROOT, "tools", "circuits", "build.ts"), "--only", name, "--if-missing"],
    {
      cwd: ROOT,
      stdio: ["ignore", "inherit", "inherit"],
    },
  );
  if (res.status !== 0) throw new Error(`building ${name} failed (exit ${res.status})`);
  // The new verifier contract needs an artifact before the bench can deploy it.
  const hh = spawnSync(path.join(ROOT, "node_modules", ".bin", "hardhat"), ["build"], {
    cwd: ROOT,
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (hh.status !== 0) throw new Error(`hardhat build failed (exit ${hh.status})`);
}

export async function measure(name: string, ctx: { log(m: string): void }): Promise<Figure[]> {
  const shape = INSTANCES[name];
  const B = merkleCapacity(shape.depth);
  const art = artifactsOf(name);
  const info = JSON.parse(readFileSync(art.info, "utf8")) as { constraints: number; publicSignals: number };
  const h = await getPoseidon();
  const E = FIRST_EPOCH;
  const devices = Array.from({ length: shape.slots }, (_, i) => BigInt(1000 + i));
  const params = { ...RULE, capPerBatch: 1000n };
  const window = epochWindow(GENESIS, EPOCH_LENGTH, E);

  ctx.log(`${name}: witness + proof for a full batch (${B} readings, ${shape.slots} devices)`);
  const readings: SignedReading[] = earningBatch(E, B, devices);
  const job = rewardRuleInput(h, readings, shape, params, window, E);
  const wtns = { type: "mem" } as { type: string };
  const t0 = performance.now();
  await snarkjs.wtns.calculate(job.input, art.wasm, wtns);
  const t1 = performance.now();
  const { proof, publicSignals } = await snarkjs.groth16.prove(art.zkey, wtns as unknown as Uint8Array);
  const t2 = performance.now();
  if (publicSignals.map(BigInt).join() !== job.publicSignals.join())
    throw new Error(`${name}: public signals differ from the builder's`);
  const sp = toSolidityProof(proof);

  const { ethers, networkHelpers } = await network.create();
  const f = await deployRewards(ethers, networkHelpers, devices);
  await f.distributor.scheduleRule(E + 1n, {
    minValue: params.minValue,
    maxValue: params.maxValue,
    capPerBatch: params.capPerBatch,
  });
  // Rule version 1 (cap 1000) is in force from E+1: bench in epoch E+1 with its window.
  const E1 = E + 1n;
  await networkHelpers.time.increaseTo(GENESIS + E1 * EPOCH_LENGTH + 10n);
  const verifier = await ethers.deployContract(VERIFIERS[name]);
  await f.distributor.setVerifier(shape.depth, await verifier.getAddress(), shape.slots);

  const proveFor = async (salt: number, devs: bigint[]) => {
    const rs = earningBatch(E1, B, devs).map((r) => ({ ...r, seq: r.seq + BigInt(salt * B) }));
    const j = rewardRuleInput(h, rs, shape, params, epochWindow(GENESIS, EPOCH_LENGTH, E1), E1);
    const p = await snarkjs.groth16.fullProve(j.input, art.wasm, art.zkey);
    return { j, p: toSolidityProof(p.proof), n: rs.length };
  };
  const settleGas = async (id: number, salt: number, devs = devices): Promise<bigint> => {
    const { j, p, n } = await proveFor(salt, devs);
    await f.da.commit(id, j.root, n, shape.depth, E1);
    await f.da.setFinal(id, true);
    const tx = await f.distributor.settle(id, 1n, j.deviceWords, { a: p.a, b: p.b, c: p.c });
    const r = await tx.wait();
    if (!r) throw new Error("settle not mined");
    return r.gasUsed;
  };
  ctx.log(`${name}: settlement gas (4 more proofs)`);
  const first = await settleGas(1, 1);
  const steady = await settleGas(2, 2);
  // Worst case for the packed points storage: every device of the batch in its own word.
  const scattered = Array.from({ length: shape.slots }, (_, i) => BigInt(2000 + 4 * i));
  await settleGas(3, 3, scattered);
  const steadyScattered = await settleGas(4, 4, scattered);
  const verifyGas = await verifier.verifyProof.estimateGas(sp.a, sp.b, sp.c, job.publicSignals as never);

  const floor = 181_000 + 6_150 * info.publicSignals;
  const fig = (key: string, label: string, value: number, unit: string, note?: string): Figure => ({
    key: `${key}_${B}`,
    label: `${label} (B=${B})`,
    value,
    unit,
    note,
  });
  return [
    fig(
      "constraintsPerReading",
      "reward circuit constraints per reading",
      Math.round(info.constraints / B),
      "constraints",
      `${info.constraints} total, ${shape.slots} device slots; goal <= 650`,
    ),
    fig("witnessSecondsPerBatch", "witness per batch", (t1 - t0) / 1000, "s", "wasm witness generator"),
    fig(
      "proveSecondsPerBatch",
      "Groth16 prove per batch",
      (t2 - t1) / 1000,
      "s",
      "snarkjs in-process, this machine's shared cores",
    ),
    fig("verifyGasPerBatch", "verifyProof gas", Number(verifyGas), "gas", `${info.publicSignals} public inputs, incl. 21k base`),
    fig("grothFloorGas", "Groth16 gas floor", floor, "gas", "181,000 + 6,150 x public inputs"),
    fig(
      "settlementGasPerBatch",
      "settle gas per batch (steady state)",
      Number(steady),
      "gas",
      `${(Number(steady) / floor).toFixed(2)}x floor; goal <= 1.5x`,
    ),
    fig(
      "settlementGasScattered",
      "settle gas, steady, no two device ids in one storage word",
      Number(steadyScattered),
      "gas",
      `${(Number(steadyScattered) / floor).toFixed(2)}x floor (worst case; the sequencer cuts batches in id order)`,
    ),
    fig(
      "settlementGasFirstBatch",
      "settle gas, first batch of the epoch",
      Number(first),
      "gas",
      `${(Number(first) / floor).toFixed(2)}x floor (fresh device-epoch slots)`,
    ),
    fig("settlementGasPerReading", "settle gas per reading (steady)", Math.round(Number(steady) / B), "gas"),
  ];
}

/**
 * claim() gas. Only claim() is measured here, so points are credited through the test harness
 * (proof check switched off); settlement with real proofs is measured per instance above.
 *   claimGasPerDeviceEpoch              16 devices (distinct device accounts that already hold
 *                                       tokens) x 1 epoch, one call, per device-epoch
 *   claimGasPerDeviceEpochNewRecipient  the same for accounts receiving their first tokens
 *   claimGasManyEpochs                  1 device x 8 epochs, one call, per device-epoch
 */
export async function claimFigures(): Promise<Figure[]> {
  const { ethers, networkHelpers } = await network.create();
  const devices = Array.from({ length: 16 }, (_, i) => BigInt(500 + i));
  const f = await deployRewards(ethers, networkHelpers, devices);
  const harness = await ethers.deployContract("RewardDistributorHarness", [
    await f.da.getAddress(),
    await f.emission.getAddress(),
    await f.directory.getAddress(),
    f.admin.address,
    SETTLEMENT_DELAY,
    FIRST_EPOCH,
    { minValue: RULE.minValue, maxValue: RULE.maxValue, capPerBatch: RULE.capPerBatch },
  ]);
  await harness.setVerifier(8, await f.verifier.getAddress(), 16);
  const noProof = {
    a: [0n, 0n],
    b: [
      [0n, 0n],
      [0n, 0n],
    ],
    c: [0n, 0n],
  } as const;
  const epochs = Array.from({ length: 10 }, (_, i) => FIRST_EPOCH + 1n + BigInt(i));
  let id = 1;
  for (const e of epochs) {
    await networkHelpers.time.increaseTo(GENESIS + e * EPOCH_LENGTH + 30n);
    await f.da.commit(id, 1n, 256, 8, e);
    await f.da.setFinal(id, true);
    await harness.settle(
      id++,
      0,
      packDeviceWords(
        devices.map((d, k) => ({ deviceId: d, points: BigInt(1 + k) })),
        16,
      ),
      noProof as never,
    );
  }
  await networkHelpers.time.increaseTo(GENESIS + (epochs[9] + 1n) * EPOCH_LENGTH + SETTLEMENT_DELAY);
  for (const e of [FIRST_EPOCH, ...epochs]) await harness.closeEpoch(e);
  const gasOf = async (ids: bigint[], es: bigint[]) =>
    Number((await (await harness.connect(f.owner).claim(ids, es)).wait())!.gasUsed);
  const fresh = await gasOf(
    devices,
    devices.map(() => epochs[0]),
  );
  const returning = await gasOf(
    devices,
    devices.map(() => epochs[1]),
  );
  const many = await gasOf(
    epochs.slice(2).map(() => devices[0]),
    epochs.slice(2),
  );
  return [
    {
      key: "claimGasPerDeviceEpoch",
      label: "claim gas per device-epoch",
      value: Math.round(returning / 16),
      unit: "gas",
      note: "16 devices x 1 epoch in one call, accounts already holding tokens; goal <= 50k",
    },
    {
      key: "claimGasPerDeviceEpochNewRecipient",
      label: "claim gas per device-epoch, first payment",
      value: Math.round(fresh / 16),
      unit: "gas",
      note: "same, accounts receiving their first tokens (+22.1k balance slot)",
    },
    {
      key: "claimGasManyEpochs",
      label: "claim gas per device-epoch (1 device x 8 epochs)",
      value: Math.round(many / 8),
      unit: "gas",
      note: "one transfer for the run",
    },
  ];
}

const suite: BenchSuite = {
  name: "rewards",
  async run(ctx): Promise<Figure[]> {
    const names = ctx.quick ? ["reward_rule_16"] : ["reward_rule_16", "reward_rule_256"];
    const figures: Figure[] = [];
    for (const name of names) {
      ensureBuilt(name, ctx.log);
      figures.push(...(await measure(name, ctx)));
    }
    figures.push(...(await claimFigures()));
    // snarkjs keeps the bn128 curve (and its worker threads) cached globally; release it so the
    // bench process can exit (a later user rebuilds it on demand).
    const curve = (await snarkjs.curves.getCurveFromName("bn128")) as { terminate(): Promise<void> };
    await curve.terminate();
    // The un-suffixed keys: the largest B measured.
    const largest = merkleCapacity(INSTANCES[names[names.length - 1]].depth);
    for (const key of [
      "constraintsPerReading",
      "proveSecondsPerBatch",
      "settlementGasPerBatch",
      "grothFloorGas",
      "settlementGasPerReading",
    ]) {
      const f = figures.find((x) => x.key === `${key}_${largest}`);
      if (f) figures.push({ ...f, key, label: `${f.label.replace(/ \(B=\d+\)$/, "")} (largest B)` });
    }
    return figures;
  },
};

export default suite;
