/**
 * The settlement half of the reliability run, used when the prover, submitter and epoch keepers
 * are present (`keepers/prover`, `keepers/submitter`, `keepers/epoch`) and the reward circuit is
 * built: the real RewardDistributor with the real RewardRule16Verifier and an emission double;
 * the prover and submitter run (and are SIGKILLed) during the chaos, the chain's clock is moved
 * past the DA challenge window now and then so batches become final while readings still flow;
 * at the end every batch is settled, every epoch closed, every owner claims. The books: each
 * batch settled at most once with exactly the points the reference rule gives its stored
 * readings; per epoch Σ device points = Σ settled points = the epoch's total; claims ≤ emission
 * and emission − Σ claims < number of claims (each claim is floored); a second claim pays 0.
 */
import { Wallet } from "ethers";
import { existsSync } from "node:fs";
import path from "node:path";
import type { NetworkConnection } from "hardhat/types/network";
import type { Store } from "../../keepers/common/store/index.js";
import { rewardPoints, type RewardRuleParams } from "../../sdk/src/index.js";
import type { RewardDistributor, RewardEmissionMock, RewardTokenMock } from "../../types/typechain/index.js";
import type { DaFixture } from "../da/fixture.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
export const GENESIS = 1_767_225_600n; // 2026-01-01T00:00:00Z
export const EPOCH_LENGTH = 86_400n;
export const DAY = 86_400n;
export const SETTLEMENT_DELAY = 2n * DAY; // > the DA challenge window (1 day)
export const EMISSION = 1_000_000n * 10n ** 18n + 7n;
export const RULE: RewardRuleParams = { minValue: 100n, maxValue: 200n, capPerBatch: 3n };
export const DEPTH = 2; // reward_rule_16: 16 readings = a 4-ary tree of depth 2
export const SLOTS = 4;
/** Well-known test keys (the settlement tests' submitter and epoch keeper), funded at deploy. */
export const SUBMITTER_KEY = "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdf4081b2dac";
export const EPOCH_KEY = "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97";

/** Why settlement cannot run here (null = it can). */
export function settlementUnavailable(): string | null {
  for (const k of ["prover/prover.ts", "submitter/submitter.ts", "epoch/epoch.ts"]) {
    if (!existsSync(path.join(ROOT, "keepers", k))) return `keepers/${k} is not in this build`;
  }
  if (!existsSync(path.join(ROOT, "build/circuits/reward_rule_16")))
    return "build/circuits/reward_rule_16 is missing (npm run build:circuits)";
  return null;
}

export async function deploySettlement(conn: NetworkConnection, da: DaFixture, deviceIds: bigint[]) {
  const { ethers } = conn;
  const [admin, , , , owner] = await ethers.getSigners();
  const block = await ethers.provider.getBlock("latest");
  const epoch = (BigInt(block!.timestamp) - GENESIS) / EPOCH_LENGTH;
  const emission = (await ethers.deployContract("RewardEmissionMock", [
    GENESIS,
    EPOCH_LENGTH,
    EMISSION,
  ])) as unknown as RewardEmissionMock;
  const distributor = (await ethers.deployContract("RewardDistributor", [
    await da.da.getAddress(),
    await emission.getAddress(),
    await da.directory.getAddress(),
    admin.address,
    SETTLEMENT_DELAY,
    epoch,
    { minValue: RULE.minValue, maxValue: RULE.maxValue, capPerBatch: RULE.capPerBatch },
  ])) as unknown as RewardDistributor;
  const verifier = await ethers.deployContract("RewardRule16Verifier");
  await (await distributor.setVerifier(DEPTH, await verifier.getAddress(), SLOTS)).wait();
  const token = (await ethers.getContractAt("RewardTokenMock", await emission.token())) as unknown as RewardTokenMock;
  for (const key of [SUBMITTER_KEY, EPOCH_KEY]) {
    await conn.provider.request({ method: "hardhat_setBalance", params: [new Wallet(key).address, "0x56bc75e2d63100000"] });
  }
  const recipients = new Map<bigint, string>();
  for (const d of deviceIds) {
    const account = ethers.getAddress(`0x${(0xacc0000n + d).toString(16).padStart(40, "0")}`);
    recipients.set(d, account);
    await (await da.directory.setOwner(d, owner.address)).wait();
    await (await da.directory.setRewardRecipient(d, account)).wait();
  }
  return {
    distributor,
    emission,
    token,
    owner,
    recipients,
    firstEpoch: epoch,
    distributorAddress: await distributor.getAddress(),
  };
}

export type Settlement = Awaited<ReturnType<typeof deploySettlement>>;

/** Moves the chain's clock (the DA challenge window, the settlement delay). */
export async function advance(conn: NetworkConnection, seconds: bigint): Promise<void> {
  await conn.provider.request({ method: "evm_increaseTime", params: [`0x${seconds.toString(16)}`] });
  await conn.provider.request({ method: "evm_mine", params: [] });
}

export interface SettlementBooks {
  rows: [string, string | number][];
  violations: string[];
}

/** Closes and claims are done by now; checks the books. */
export async function auditSettlement(s: Settlement, store: Store, lastBatch: bigint): Promise<SettlementBooks> {
  const violations: string[] = [];
  const { distributor } = s;
  const settledEvents = await distributor.queryFilter(distributor.filters.BatchSettled());
  const perBatch = new Map<bigint, bigint[]>();
  const settledPerEpoch = new Map<bigint, bigint>();
  for (const e of settledEvents) {
    perBatch.set(e.args.batchId, [...(perBatch.get(e.args.batchId) ?? []), e.args.points]);
    settledPerEpoch.set(e.args.epoch, (settledPerEpoch.get(e.args.epoch) ?? 0n) + e.args.points);
  }
  const doubleSettled = [...perBatch.values()].filter((p) => p.length > 1).length;
  if (doubleSettled > 0) violations.push(`DOUBLE-SETTLED: ${doubleSettled} batches settled more than once`);
  let unsettled = 0;
  let pointMismatches = 0;
  const expectedDevicePoints = new Map<string, bigint>();
  for (let id = 1n; id <= lastBatch; id++) {
    const b = (await store.getBatch(id))!;
    const window = { start: GENESIS + b.epoch * EPOCH_LENGTH, end: GENESIS + (b.epoch + 1n) * EPOCH_LENGTH };
    const pts = rewardPoints(await store.batchReadings(id), RULE, window);
    const total = pts.reduce((a, p) => a + p.points, 0n);
    for (const p of pts) {
      const k = `${p.deviceId}:${b.epoch}`;
      expectedDevicePoints.set(k, (expectedDevicePoints.get(k) ?? 0n) + p.points);
    }
    const got = perBatch.get(id);
    if (!got) {
      unsettled++;
      violations.push(`UNSETTLED: batch ${id} was never settled`);
    } else if (got[0] !== total) {
      pointMismatches++;
      violations.push(`POINTS: batch ${id} settled with ${got[0]} points, its stored readings earn ${total}`);
    }
  }
  const closedEvents = await distributor.queryFilter(distributor.filters.EpochClosed());
  const claims = await distributor.queryFilter(distributor.filters.RewardClaimed());
  const claimsPer = new Map<string, number>();
  let claimed = 0n;
  let emissionTotal = 0n;
  let pointsTotal = 0n;
  for (const c of claims) {
    const k = `${c.args.deviceId}:${c.args.epoch}`;
    claimsPer.set(k, (claimsPer.get(k) ?? 0) + 1);
  }
  const doubleClaims = [...claimsPer.values()].filter((n) => n > 1).length;
  if (doubleClaims > 0) violations.push(`DOUBLE-CLAIMED: ${doubleClaims} (device, epoch) pairs paid twice`);
  for (const ev of closedEvents) {
    const epoch = ev.args.epoch;
    const [totals, closed] = await distributor.epochInfo(epoch);
    if (!closed) violations.push(`epoch ${epoch}: EpochClosed emitted but not closed`);
    const settled = settledPerEpoch.get(epoch) ?? 0n;
    if (totals.totalPoints !== settled) violations.push(`epoch ${epoch}: total points ${totals.totalPoints}, settled ${settled}`);
    let devicePoints = 0n;
    for (const [k, pts] of expectedDevicePoints) {
      const [d, e] = k.split(":").map(BigInt);
      if (e !== epoch) continue;
      const [onChain] = await distributor.pointsOf(d, e);
      if (onChain !== pts) violations.push(`device ${d} epoch ${e}: ${onChain} points on-chain, ${pts} by the reference rule`);
      devicePoints += onChain;
    }
    if (devicePoints !== totals.totalPoints)
      violations.push(`epoch ${epoch}: Σ device points ${devicePoints} ≠ total ${totals.totalPoints}`);
    const epochClaims = claims.filter((c) => c.args.epoch === epoch);
    const paid = epochClaims.reduce((a, c) => a + c.args.amount, 0n);
    if (paid > totals.emission) violations.push(`epoch ${epoch}: claims ${paid} exceed the emission ${totals.emission}`);
    else if (totals.totalPoints > 0n && totals.emission - paid >= BigInt(Math.max(1, epochClaims.length)))
      violations.push(
        `epoch ${epoch}: emission ${totals.emission} − claims ${paid} exceeds the rounding allowance (${epochClaims.length} claims)`,
      );
    for (const c of epochClaims) {
      const share = (c.args.points * totals.emission) / totals.totalPoints;
      if (c.args.amount !== share)
        violations.push(`claim device ${c.args.deviceId} epoch ${epoch}: paid ${c.args.amount}, pro-rata share ${share}`);
    }
    claimed += paid;
    emissionTotal += totals.emission;
    pointsTotal += totals.totalPoints;
  }
  const epochsWithBatches = new Set<bigint>();
  for (let id = 1n; id <= lastBatch; id++) epochsWithBatches.add((await store.getBatch(id))!.epoch);
  for (const e of epochsWithBatches)
    if (!closedEvents.some((c) => c.args.epoch === e)) violations.push(`epoch ${e} was never closed`);
  let balances = 0n;
  for (const a of s.recipients.values()) balances += await s.token.balanceOf(a);
  if (balances !== claimed) violations.push(`recipients hold ${balances}, claims paid ${claimed}`);
  return {
    violations,
    rows: [
      ["batches settled (BatchSettled events)", settledEvents.length],
      ["double-settled / unsettled", `${doubleSettled} / ${unsettled}`],
      [
        "points settled (reference-rule mismatches)",
        `${[...settledPerEpoch.values()].reduce((a, b) => a + b, 0n)} (${pointMismatches})`,
      ],
      ["epochs closed: total points", `${closedEvents.length}: ${pointsTotal}`],
      ["emission / claimed / unclaimed rounding", `${emissionTotal} / ${claimed} / ${emissionTotal - claimed}`],
      ["claims (double-claimed)", `${claims.length} (${doubleClaims})`],
    ],
  };
}
