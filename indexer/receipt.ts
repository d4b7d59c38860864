/**
 * Per-device reward receipts (format: docs/receipts.md): `buildReceipt` assembles, for one device
 * and one closed epoch, every batch the device earned in (root, DA commit and settle transactions,
 * proof, public signals, the verifier's key), each of the device's readings in those batches
 * (inclusion proof, signature, key, whether and why it earned), and the payout arithmetic to the
 * wei with the claim transaction. `verifyReceipt` trusts only a JSON-RPC endpoint (and, if given,
 * the distributor's address): it recomputes leaves, inclusion proofs, signatures, public signals
 * and the payout, checks the proof with snarkjs against the key the on-chain verifier's code
 * holds, and names the first field that disagrees.
 */
import { readdirSync, readFileSync, existsSync } from "node:fs";
import path from "node:path";
import * as snarkjs from "snarkjs";
import { Contract, Interface, getAddress, type Log, type Provider, type TransactionReceipt } from "ethers";
import {
  RECEIPT_FORMAT,
  batchInclusionProof,
  deviceDid,
  earnReasons,
  getPoseidon,
  hashReading,
  missingKeyConstants,
  payoutOf,
  rewardPublicSignals,
  unpackDeviceWords,
  verifyMerkleProof,
  verifyReading,
  type EarnReason,
  type Groth16VerificationKey,
  type KeyType,
  type MerkleSiblings,
  type PoseidonHasher,
  type RewardRuleParams,
  type SignedReading,
} from "../sdk/src/index.js";

// ---------------------------------------------------------------- format

/** All integers are decimal strings; addresses checksummed; hashes 0x-hex. */
export interface ReceiptReading {
  index: number;
  seq: string;
  timestamp: string;
  value: string;
  signature: string;
  leaf: string;
  siblings: string[][];
  keyIndex: number;
  earned: boolean;
  reason: EarnReason;
}

export interface ReceiptBatch {
  batchId: string;
  root: string;
  leafCount: number;
  depth: number;
  commitTx: string;
  settleTx: string;
  deviceWords: string[];
  publicSignals: string[];
  proof: { a: string[]; b: string[][]; c: string[] };
  verifier: string;
  verificationKey: Groth16VerificationKey;
  points: string;
  readings: ReceiptReading[];
}

export interface Receipt {
  format: typeof RECEIPT_FORMAT;
  chainId: number;
  contracts: { rewardDistributor: string; dataAvailability: string; deviceRegistry: string };
  device: { id: string; did: string };
  epoch: {
    id: string;
    start: string;
    end: string;
    ruleVersion: string;
    rule: { minValue: string; maxValue: string; capPerBatch: string };
    closeTx: string;
  };
  batches: ReceiptBatch[];
  payout: {
    points: string;
    totalPoints: string;
    emission: string;
    amount: string;
    claimed: boolean;
    claimTx: string | null;
    recipient: string | null;
  };
}

// ---------------------------------------------------------------- errors

export type ReceiptErrorCode =
  "UNKNOWN_DEVICE" | "UNKNOWN_EPOCH" | "EPOCH_NOT_CLOSED" | "NOTHING_EARNED" | "DATA_MISSING" | "CHAIN_DISAGREES";

/** Why a receipt cannot be built. */
export class ReceiptError extends Error {
  override name = "ReceiptError";
  constructor(
    readonly code: ReceiptErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** A receipt field that the chain (or arithmetic) contradicts: `field` is its JSON path. */
export class ReceiptVerifyError extends Error {
  override name = "ReceiptVerifyError";
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

// ---------------------------------------------------------------- chain access

const DISTRIBUTOR_ABI = [
  "function settle(uint256 batchId, uint256 ruleVersion, uint256[] deviceWords, (uint256[2] a, uint256[2][2] b, uint256[2] c) proof)",
  "function batches() view returns (address)",
  "function directory() view returns (address)",
  "function epochInfo(uint64 epoch) view returns ((uint128 totalPoints, uint128 emission) totals, bool closed)",
  "function pointsOf(uint64 deviceId, uint64 epoch) view returns (uint256 points, bool claimed)",
  "function nextEpochToClose() view returns (uint64)",
  "function epochWindow(uint64 epoch) view returns (uint256 start, uint256 end)",
  "function ruleVersionFor(uint64 epoch) view returns (uint256)",
  "function ruleVersion(uint256 version) view returns ((uint64 fromEpoch, (uint32 minValue, uint32 maxValue, uint32 capPerBatch) params))",
  "function verifierFor(uint8 depth) view returns ((address verifier, uint16 slots, bytes4 selector))",
  "event BatchSettled(uint256 indexed batchId, uint64 indexed epoch, uint256 ruleVersion, uint256 points)",
  "event EpochClosed(uint64 indexed epoch, uint256 totalPoints, uint256 emission)",
  "event RewardClaimed(uint64 indexed deviceId, uint64 indexed epoch, address indexed recipient, uint256 points, uint256 amount)",
];
const DA_ABI = [
  "function getBatch(uint256 batchId) view returns ((uint256 root, uint32 leafCount, uint8 depth, uint64 epoch, uint64 committedAt, address sequencer, uint8 status))",
  "event BatchCommitted(uint256 indexed batchId, address indexed sequencer, uint256 root, uint32 leafCount, uint8 depth, uint64 indexed epoch, string uri)",
];
const DIRECTORY_ABI = [
  "function deviceStatus(uint256 deviceId) view returns (uint8)",
  "function keyCount(uint256 deviceId) view returns (uint256)",
  "function keyAt(uint256 deviceId, uint256 index) view returns ((uint8 keyType, bytes publicKey, uint64 validFrom, uint64 revokedAt))",
];
const distributorIface = new Interface(DISTRIBUTOR_ABI);
const daIface = new Interface(DA_ABI);

interface ChainBatch {
  root: bigint;
  leafCount: bigint;
  depth: bigint;
  epoch: bigint;
  committedAt: bigint;
  status: bigint;
}
interface ChainKey {
  keyType: bigint;
  publicKey: string;
  validFrom: bigint;
  revokedAt: bigint;
}
interface DecodedSettle {
  batchId: bigint;
  ruleVersion: bigint;
  deviceWords: bigint[];
  proof: { a: bigint[]; b: bigint[][]; c: bigint[] };
}

class Chain {
  readonly distributor: Contract;
  constructor(
    readonly provider: Provider,
    distributor: string,
  ) {
    this.distributor = new Contract(distributor, DISTRIBUTOR_ABI, provider);
  }
  async da(): Promise<Contract> {
    return new Contract((await this.distributor.batches()) as string, DA_ABI, this.provider);
  }
  async directory(): Promise<Contract> {
    return new Contract((await this.distributor.directory()) as string, DIRECTORY_ABI, this.provider);
  }
}

const KEY_TYPES: KeyType[] = ["secp256k1", "p256"];

function decodeSettle(input: string): DecodedSettle | null {
  try {
    const tx = distributorIface.parseTransaction({ data: input });
    if (tx?.name !== "settle") return null;
    const p = tx.args[3] as { a: bigint[]; b: bigint[][]; c: bigint[] };
    return {
      batchId: tx.args[0] as bigint,
      ruleVersion: tx.args[1] as bigint,
      deviceWords: [...(tx.args[2] as bigint[])],
      proof: { a: [...p.a], b: p.b.map((r) => [...r]), c: [...p.c] },
    };
  } catch {
    return null;
  }
}

/** The logs of `receipt` that `iface` parses as `event` from `address`. */
function eventsIn(receipt: TransactionReceipt | null, iface: Interface, address: string, event: string) {
  if (!receipt || receipt.status !== 1) return [];
  return receipt.logs
    .filter((l: Log) => l.address.toLowerCase() === address.toLowerCase())
    .map((l) => {
      try {
        return iface.parseLog(l);
      } catch {
        return null;
      }
    })
    .filter((p): p is NonNullable<typeof p> => p !== null && p.name === event);
}

// ---------------------------------------------------------------- verification keys

/** Verification keys of the reward circuits built here (build/circuits/<instance>/<instance>.vkey.json). */
export function localVerificationKeys(circuitsDir: string): Groth16VerificationKey[] {
  if (!existsSync(circuitsDir)) return [];
  return readdirSync(circuitsDir)
    .map((d) => path.join(circuitsDir, d, `${d}.vkey.json`))
    .filter((f) => existsSync(f))
    .map((f) => JSON.parse(readFileSync(f, "utf8")) as Groth16VerificationKey);
}

/** Only the fields a Groth16 verification needs, in a fixed order. */
function trimKey(vk: Groth16VerificationKey): Groth16VerificationKey {
  return {
    protocol: vk.protocol,
    curve: vk.curve,
    nPublic: vk.nPublic,
    vk_alpha_1: vk.vk_alpha_1,
    vk_beta_2: vk.vk_beta_2,
    vk_gamma_2: vk.vk_gamma_2,
    vk_delta_2: vk.vk_delta_2,
    IC: vk.IC,
  };
}

// ---------------------------------------------------------------- build

export interface BatchReadingsSource {
  /** Every reading of the batch in leaf order (the DA payload), or null when not available. */
  batchReadings(batchId: bigint): Promise<SignedReading[] | null>;
}

export interface BuildOptions {
  provider: Provider;
  distributor: string;
  /** First block to scan for the distributor's and the DA's events (their deployment blocks). */
  fromBlock: number;
  readings: BatchReadingsSource;
  /** Verification keys to match against the on-chain verifiers' code. */
  verificationKeys: Groth16VerificationKey[];
  deviceId: bigint;
  epoch: bigint;
}

const s = (v: bigint | number): string => v.toString();

export async function buildReceipt(o: BuildOptions): Promise<Receipt> {
  const chain = new Chain(o.provider, o.distributor);
  const [net, da, directory] = await Promise.all([o.provider.getNetwork(), chain.da(), chain.directory()]);
  const chainId = net.chainId;
  const { deviceId, epoch } = o;

  if (BigInt(await directory.deviceStatus(deviceId)) === 0n)
    throw new ReceiptError("UNKNOWN_DEVICE", `device ${deviceId} is not registered on chain ${chainId}`);
  const latest = await o.provider.getBlock("latest");
  const [winStart] = (await chain.distributor.epochWindow(epoch)) as [bigint, bigint];
  const firstVersion = (await chain.distributor.ruleVersion(0n)) as { fromEpoch: bigint };
  if (epoch < firstVersion.fromEpoch || winStart > BigInt(latest!.timestamp))
    throw new ReceiptError(
      "UNKNOWN_EPOCH",
      `epoch ${epoch} is unknown to the distributor (it pays from epoch ${firstVersion.fromEpoch}; epochs after the chain's time have not begun)`,
    );
  const [totals, closed] = (await chain.distributor.epochInfo(epoch)) as [{ totalPoints: bigint; emission: bigint }, boolean];
  if (!closed)
    throw new ReceiptError(
      "EPOCH_NOT_CLOSED",
      `epoch ${epoch} is not closed yet (next epoch to close: ${await chain.distributor.nextEpochToClose()}): its payout is not final`,
    );
  const [points, claimed] = (await chain.distributor.pointsOf(deviceId, epoch)) as [bigint, boolean];
  if (points === 0n) throw new ReceiptError("NOTHING_EARNED", `device ${deviceId} earned no points in epoch ${epoch}`);

  const distributorAddress = await chain.distributor.getAddress();
  const daAddress = await da.getAddress();
  const getLogs = (address: string, topics: (string | null)[]) =>
    o.provider.getLogs({ address, topics, fromBlock: o.fromBlock, toBlock: "latest" });
  const epochTopic = "0x" + epoch.toString(16).padStart(64, "0");
  const deviceTopic = "0x" + deviceId.toString(16).padStart(64, "0");
  const settledLogs = await getLogs(distributorAddress, [distributorIface.getEvent("BatchSettled")!.topicHash, null, epochTopic]);
  const closeLog = (await getLogs(distributorAddress, [distributorIface.getEvent("EpochClosed")!.topicHash, epochTopic]))[0];
  if (!closeLog) throw new ReceiptError("DATA_MISSING", `no EpochClosed log for epoch ${epoch} from block ${o.fromBlock}`);
  const claimLog = claimed
    ? (await getLogs(distributorAddress, [distributorIface.getEvent("RewardClaimed")!.topicHash, deviceTopic, epochTopic]))[0]
    : undefined;
  if (claimed && !claimLog)
    throw new ReceiptError("DATA_MISSING", `device ${deviceId} claimed epoch ${epoch} but no RewardClaimed log was found`);

  const ruleVersion = (await chain.distributor.ruleVersionFor(epoch)) as bigint;
  const rv = (await chain.distributor.ruleVersion(ruleVersion)) as {
    params: { minValue: bigint; maxValue: bigint; capPerBatch: bigint };
  };
  const rule: RewardRuleParams = {
    minValue: rv.params.minValue,
    maxValue: rv.params.maxValue,
    capPerBatch: rv.params.capPerBatch,
  };
  const [start, end] = (await chain.distributor.epochWindow(epoch)) as [bigint, bigint];
  const window = { start, end };
  const h = await getPoseidon();
  const keyCount = (await directory.keyCount(deviceId)) as bigint;
  const keys: ChainKey[] = [];
  for (let i = 0n; i < keyCount; i++) keys.push((await directory.keyAt(deviceId, i)) as ChainKey);

  const batches: ReceiptBatch[] = [];
  let sum = 0n;
  for (const log of settledLogs) {
    const tx = await o.provider.getTransaction(log.transactionHash);
    const call = tx ? decodeSettle(tx.data) : null;
    const batchId = BigInt(log.topics[1]);
    if (!call || call.batchId !== batchId)
      throw new ReceiptError("DATA_MISSING", `batch ${batchId}: settle tx ${log.transactionHash} is not a direct settle() call`);
    const mine = unpackDeviceWords(call.deviceWords).find((d) => d.deviceId === deviceId);
    if (!mine || mine.points === 0n) continue;
    sum += mine.points;
    const b = (await da.getBatch(batchId)) as ChainBatch;
    const commitLog = (
      await getLogs(daAddress, [daIface.getEvent("BatchCommitted")!.topicHash, "0x" + batchId.toString(16).padStart(64, "0")])
    )[0];
    if (!commitLog) throw new ReceiptError("DATA_MISSING", `batch ${batchId}: no BatchCommitted log`);
    const all = await o.readings.batchReadings(batchId);
    if (!all || all.length === 0)
      throw new ReceiptError("DATA_MISSING", `batch ${batchId}: its readings are not in the store (pruned or another store?)`);
    const leaves = all.map((r) => hashReading(h, r));
    const payload = { batchId, epoch, depth: Number(b.depth), root: b.root, readings: all };
    if (BigInt(all.length) !== b.leafCount || batchInclusionProof(h, payload, 0).root !== b.root)
      throw new ReceiptError(
        "CHAIN_DISAGREES",
        `batch ${batchId}: the store's ${all.length} readings do not hash to the on-chain root ${b.root} (${b.leafCount} leaves): wrong store, or the RPC endpoint lies`,
      );
    const vc = (await chain.distributor.verifierFor(b.depth, { blockTag: log.blockNumber })) as { verifier: string };
    const code = await o.provider.getCode(vc.verifier, log.blockNumber);
    const publicSignals = rewardPublicSignals(b.root, epoch, b.leafCount, rule, window, call.deviceWords);
    const vk = o.verificationKeys.find((k) => k.nPublic === publicSignals.length && missingKeyConstants(k, code).length === 0);
    if (!vk)
      throw new ReceiptError(
        "DATA_MISSING",
        `batch ${batchId}: no local verification key matches the verifier ${vc.verifier} (build/circuits)`,
      );
    const own = all.map((r, i) => ({ r, i })).filter((x) => x.r.deviceId === deviceId);
    const reasons = earnReasons(
      own.map((x) => x.r),
      rule,
      window,
    );
    const readings: ReceiptReading[] = own.map(({ r, i }, k) => {
      const keyIndex = keys.findIndex(
        (key) =>
          key.validFrom <= b.committedAt &&
          (key.revokedAt === 0n || key.revokedAt > b.committedAt) &&
          verifyReading(chainId, KEY_TYPES[Number(key.keyType)], key.publicKey, r),
      );
      const proof = batchInclusionProof(h, payload, i);
      return {
        index: i,
        seq: s(r.seq),
        timestamp: s(r.timestamp),
        value: s(r.value),
        signature: r.signature,
        leaf: s(leaves[i]),
        siblings: proof.siblings.map((l) => l.map(s)),
        keyIndex,
        earned: reasons[k] === "earned",
        reason: reasons[k],
      };
    });
    batches.push({
      batchId: s(batchId),
      root: s(b.root),
      leafCount: Number(b.leafCount),
      depth: Number(b.depth),
      commitTx: commitLog.transactionHash,
      settleTx: log.transactionHash,
      deviceWords: call.deviceWords.map(s),
      publicSignals: publicSignals.map(s),
      proof: { a: call.proof.a.map(s), b: call.proof.b.map((r) => r.map(s)), c: call.proof.c.map(s) },
      verifier: getAddress(vc.verifier),
      // A copy per batch: the receipt's batches share no objects.
      verificationKey: JSON.parse(JSON.stringify(trimKey(vk))) as Groth16VerificationKey,
      points: s(mine.points),
      readings,
    });
  }
  if (sum !== points)
    throw new ReceiptError("CHAIN_DISAGREES", `the settled batches credit ${sum} points, the distributor says ${points}`);
  const claim = claimLog ? distributorIface.parseLog(claimLog) : null;
  return {
    format: RECEIPT_FORMAT,
    chainId: Number(chainId),
    contracts: {
      rewardDistributor: getAddress(distributorAddress),
      dataAvailability: getAddress(daAddress),
      deviceRegistry: getAddress(await directory.getAddress()),
    },
    device: { id: s(deviceId), did: deviceDid(chainId, deviceId) },
    epoch: {
      id: s(epoch),
      start: s(start),
      end: s(end),
      ruleVersion: s(ruleVersion),
      rule: { minValue: s(rule.minValue), maxValue: s(rule.maxValue), capPerBatch: s(rule.capPerBatch) },
      closeTx: closeLog.transactionHash,
    },
    batches,
    payout: {
      points: s(points),
      totalPoints: s(totals.totalPoints),
      emission: s(totals.emission),
      amount: s(payoutOf(points, totals.emission, totals.totalPoints)),
      claimed,
      claimTx: claimLog?.transactionHash ?? null,
      recipient: claim ? getAddress(claim.args.recipient as string) : null,
    },
  };
}

// ---------------------------------------------------------------- verify

export interface VerifyOptions {
  provider: Provider;
  /** The distributor to trust (from a deployment record); default: the receipt's. */
  distributor?: string;
}

export interface VerifyResult {
  device: string;
  epoch: string;
  batches: number;
  readings: number;
  amount: string;
}

/** Parses a decimal field, or fails naming it. */
function int(field: string, v: unknown): bigint {
  if (typeof v !== "string" || !/^(0|[1-9]\d*)$/.test(v))
    throw new ReceiptVerifyError(field, `must be a decimal integer string (got ${JSON.stringify(v)})`);
  return BigInt(v);
}

function eq(field: string, got: unknown, want: unknown, what = "the chain says"): void {
  const norm = (x: unknown) => (typeof x === "string" && /^0x[0-9a-fA-F]+$/.test(x) ? x.toLowerCase() : String(x));
  if (norm(got) !== norm(want)) throw new ReceiptVerifyError(field, `${String(got)} is wrong: ${what} ${String(want)}`);
}

export async function verifyReceipt(r: Receipt, o: VerifyOptions): Promise<VerifyResult> {
  eq("format", r.format, RECEIPT_FORMAT, "expected");
  const chainId = (await o.provider.getNetwork()).chainId;
  eq("chainId", r.chainId, chainId, "the RPC endpoint serves chain");
  if (o.distributor)
    eq("contracts.rewardDistributor", r.contracts.rewardDistributor, o.distributor, "the trusted deployment says");
  if ((await o.provider.getCode(r.contracts.rewardDistributor)) === "0x")
    throw new ReceiptVerifyError("contracts.rewardDistributor", "no contract at this address");
  const chain = new Chain(o.provider, r.contracts.rewardDistributor);
  const da = await chain.da();
  const directory = await chain.directory();
  eq("contracts.dataAvailability", r.contracts.dataAvailability, await da.getAddress(), "the distributor's batches() is");
  eq("contracts.deviceRegistry", r.contracts.deviceRegistry, await directory.getAddress(), "the distributor's directory() is");
  if (!Array.isArray(r.batches) || r.batches.length === 0)
    throw new ReceiptVerifyError("batches", "a receipt lists at least one batch");

  // 1. Each batch's identity, anchored by two transactions (commit and settle) the chain holds.
  const settles: DecodedSettle[] = [];
  const settleBlocks: number[] = [];
  const chainBatches: ChainBatch[] = [];
  for (const [i, b] of r.batches.entries()) {
    const f = `batches[${i}]`;
    const batchId = int(`${f}.batchId`, b.batchId);
    const commitRc = await o.provider.getTransactionReceipt(b.commitTx).catch(() => null);
    const committed = eventsIn(commitRc, daIface, r.contracts.dataAvailability, "BatchCommitted").map(
      (e) => e.args.batchId as bigint,
    );
    const settleRc = await o.provider.getTransactionReceipt(b.settleTx).catch(() => null);
    const settleTx = settleRc ? await o.provider.getTransaction(b.settleTx) : null;
    const call =
      settleTx && eventsIn(settleRc, distributorIface, r.contracts.rewardDistributor, "BatchSettled").length > 0
        ? decodeSettle(settleTx.data)
        : null;
    if (committed.length === 0 && !call)
      throw new ReceiptVerifyError(`${f}.batchId`, "neither commitTx nor settleTx is a transaction of this batch");
    if (committed.length === 0) {
      if (call!.batchId === batchId)
        throw new ReceiptVerifyError(`${f}.commitTx`, "not a mined DataAvailability BatchCommitted transaction");
      throw new ReceiptVerifyError(
        `${f}.commitTx`,
        "not a mined DataAvailability BatchCommitted transaction (and settleTx settles another batch)",
      );
    }
    if (!call) {
      if (committed.includes(batchId))
        throw new ReceiptVerifyError(`${f}.settleTx`, "not a mined, direct RewardDistributor.settle() transaction");
      throw new ReceiptVerifyError(`${f}.batchId`, `commitTx commits batch ${committed.join(",")}`);
    }
    if (!committed.includes(call.batchId)) {
      if (committed.includes(batchId))
        throw new ReceiptVerifyError(`${f}.settleTx`, `settles batch ${call.batchId}, not ${batchId}`);
      if (call.batchId === batchId)
        throw new ReceiptVerifyError(`${f}.commitTx`, `commits batch ${committed.join(",")}, not ${batchId}`);
    }
    eq(`${f}.batchId`, batchId, call.batchId, "its commit and settle transactions are of batch");
    const cb = (await da.getBatch(batchId)) as ChainBatch;
    if (cb.status !== 1n) throw new ReceiptVerifyError(`${f}.batchId`, `batch is not in force on chain (status ${cb.status})`);
    eq(`${f}.root`, int(`${f}.root`, b.root), cb.root, "the DataAvailability commitment's root is");
    eq(`${f}.leafCount`, b.leafCount, cb.leafCount);
    eq(`${f}.depth`, b.depth, cb.depth);
    settles.push(call);
    settleBlocks.push(settleRc!.blockNumber);
    chainBatches.push(cb);
  }

  // 2. The epoch (anchored by the batches' on-chain epoch) and its rule.
  const epoch = int("epoch.id", r.epoch.id);
  eq("epoch.id", epoch, chainBatches[0].epoch, `batch ${r.batches[0].batchId} belongs on chain to epoch`);
  chainBatches.forEach((cb, i) =>
    eq(`batches[${i}].batchId`, cb.epoch, epoch, `the batch's epoch on chain is not the receipt's epoch:`),
  );
  const [start, end] = (await chain.distributor.epochWindow(epoch)) as [bigint, bigint];
  eq("epoch.start", int("epoch.start", r.epoch.start), start);
  eq("epoch.end", int("epoch.end", r.epoch.end), end);
  const version = (await chain.distributor.ruleVersionFor(epoch)) as bigint;
  eq("epoch.ruleVersion", int("epoch.ruleVersion", r.epoch.ruleVersion), version);
  settles.forEach((c, i) =>
    eq(`batches[${i}].settleTx`, c.ruleVersion, version, "settled under a rule version other than the epoch's:"),
  );
  const rv = (await chain.distributor.ruleVersion(version)) as {
    params: { minValue: bigint; maxValue: bigint; capPerBatch: bigint };
  };
  const rule: RewardRuleParams = {
    minValue: int("epoch.rule.minValue", r.epoch.rule.minValue),
    maxValue: int("epoch.rule.maxValue", r.epoch.rule.maxValue),
    capPerBatch: int("epoch.rule.capPerBatch", r.epoch.rule.capPerBatch),
  };
  eq("epoch.rule.minValue", rule.minValue, rv.params.minValue);
  eq("epoch.rule.maxValue", rule.maxValue, rv.params.maxValue);
  eq("epoch.rule.capPerBatch", rule.capPerBatch, rv.params.capPerBatch);
  const [totals, closed] = (await chain.distributor.epochInfo(epoch)) as [{ totalPoints: bigint; emission: bigint }, boolean];
  if (!closed) throw new ReceiptVerifyError("epoch.id", "the epoch is not closed on chain");
  const closeRc = await o.provider.getTransactionReceipt(r.epoch.closeTx).catch(() => null);
  const closes = eventsIn(closeRc, distributorIface, r.contracts.rewardDistributor, "EpochClosed").filter(
    (e) => e.args.epoch === epoch,
  );
  if (closes.length === 0) throw new ReceiptVerifyError("epoch.closeTx", `not the transaction that closed epoch ${epoch}`);

  // 3. The device: it must be credited by the settled device words.
  const deviceId = int("device.id", r.device.id);
  if (!settles.some((c) => unpackDeviceWords(c.deviceWords).some((d) => d.deviceId === deviceId)))
    throw new ReceiptVerifyError("device.id", "the device is credited by none of the listed settlements");
  eq("device.did", r.device.did, deviceDid(chainId, deviceId), "the device's DID is");
  const keyCount = (await directory.keyCount(deviceId)) as bigint;

  // 4. Each batch: settlement calldata, public signals, the verifier's key, the proof, readings.
  const h: PoseidonHasher = await getPoseidon();
  const window = { start, end };
  let sum = 0n;
  let readingCount = 0;
  for (const [i, b] of r.batches.entries()) {
    const f = `batches[${i}]`;
    const call = settles[i];
    const cb = chainBatches[i];
    if (!Array.isArray(b.deviceWords) || b.deviceWords.length !== call.deviceWords.length)
      throw new ReceiptVerifyError(`${f}.deviceWords`, `settle() took ${call.deviceWords.length} device words`);
    b.deviceWords.forEach((w, k) =>
      eq(`${f}.deviceWords[${k}]`, int(`${f}.deviceWords[${k}]`, w), call.deviceWords[k], "settle() took"),
    );
    for (const [name, want] of [
      ["a", call.proof.a],
      ["b", call.proof.b],
      ["c", call.proof.c],
    ] as const) {
      const got = (b.proof as Record<string, unknown>)[name];
      (want as (bigint | bigint[])[]).forEach((w, k) => {
        if (Array.isArray(w))
          w.forEach((x, m) =>
            eq(
              `${f}.proof.${name}[${k}][${m}]`,
              int(`${f}.proof.${name}[${k}][${m}]`, (got as string[][])?.[k]?.[m]),
              x,
              "settle() took",
            ),
          );
        else eq(`${f}.proof.${name}[${k}]`, int(`${f}.proof.${name}[${k}]`, (got as string[])?.[k]), w, "settle() took");
      });
    }
    const signals = rewardPublicSignals(cb.root, epoch, cb.leafCount, rule, window, call.deviceWords);
    if (!Array.isArray(b.publicSignals) || b.publicSignals.length !== signals.length)
      throw new ReceiptVerifyError(`${f}.publicSignals`, `the circuit has ${signals.length} public signals`);
    b.publicSignals.forEach((x, k) =>
      eq(`${f}.publicSignals[${k}]`, int(`${f}.publicSignals[${k}]`, x), signals[k], "recomputed from the chain:"),
    );
    const vc = (await chain.distributor.verifierFor(cb.depth, { blockTag: settleBlocks[i] })) as { verifier: string };
    eq(`${f}.verifier`, b.verifier, vc.verifier, "the distributor's verifier for this depth at settlement was");
    const vk = b.verificationKey;
    checkKeyShape(`${f}.verificationKey`, vk, signals.length);
    const missing = missingKeyConstants(vk, await o.provider.getCode(vc.verifier, settleBlocks[i]));
    if (missing.length > 0)
      throw new ReceiptVerifyError(`${f}.verificationKey`, `the on-chain verifier's code does not hold ${missing.join(", ")}`);
    const ok = await snarkjs.groth16.verify(vk, signals.map(s), {
      pi_a: [s(call.proof.a[0]), s(call.proof.a[1]), "1"],
      // The verifier's encoding swaps each G2 coordinate pair (sdk toSolidityProof).
      pi_b: [
        [s(call.proof.b[0][1]), s(call.proof.b[0][0])],
        [s(call.proof.b[1][1]), s(call.proof.b[1][0])],
        ["1", "0"],
      ],
      pi_c: [s(call.proof.c[0]), s(call.proof.c[1]), "1"],
      protocol: "groth16",
      curve: "bn128",
    });
    if (!ok) throw new ReceiptVerifyError(`${f}.proof`, "the Groth16 proof does not verify against the on-chain verifier's key");
    const credited = unpackDeviceWords(call.deviceWords).find((d) => d.deviceId === deviceId)?.points ?? 0n;
    eq(`${f}.points`, int(`${f}.points`, b.points), credited, "the settled device words credit the device");
    sum += credited;

    // Readings: leaf = Poseidon(deviceId, seq, timestamp, value, sigHash), included under the
    // committed root, signed by a device key valid at the commit, earning as the rule says.
    if (!Array.isArray(b.readings)) throw new ReceiptVerifyError(`${f}.readings`, "must be a list");
    const seen = new Set<number>();
    const parsed: SignedReading[] = [];
    for (const [j, x] of b.readings.entries()) {
      const g = `${f}.readings[${j}]`;
      if (!Number.isInteger(x.index) || x.index < 0 || x.index >= Number(cb.leafCount) || seen.has(x.index))
        throw new ReceiptVerifyError(`${g}.index`, `not a distinct leaf index below ${cb.leafCount}`);
      seen.add(x.index);
      const leaf = int(`${g}.leaf`, x.leaf);
      const siblings = (x.siblings ?? []).map((l, m) => l.map((v, n) => int(`${g}.siblings[${m}][${n}]`, v)) as MerkleSiblings);
      if (siblings.length !== Number(cb.depth) || !verifyMerkleProof(h, { leaf, index: x.index, siblings }, cb.root))
        throw new ReceiptVerifyError(g, "its leaf, index and siblings do not lead to the committed root");
      let reading: SignedReading;
      try {
        reading = {
          deviceId,
          seq: int(`${g}.seq`, x.seq),
          timestamp: int(`${g}.timestamp`, x.timestamp),
          value: int(`${g}.value`, x.value),
          signature: x.signature as `0x${string}`,
        };
        if (hashReading(h, reading) !== leaf) throw new Error("mismatch");
      } catch (e) {
        if (e instanceof ReceiptVerifyError) throw e;
        throw new ReceiptVerifyError(g, "seq, timestamp, value and signature do not hash to the committed leaf");
      }
      if (!Number.isInteger(x.keyIndex) || x.keyIndex < 0 || BigInt(x.keyIndex) >= keyCount)
        throw new ReceiptVerifyError(`${g}.keyIndex`, `the device has ${keyCount} keys`);
      const key = (await directory.keyAt(deviceId, x.keyIndex)) as ChainKey;
      const valid = key.validFrom <= cb.committedAt && (key.revokedAt === 0n || key.revokedAt > cb.committedAt);
      if (!valid || !verifyReading(chainId, KEY_TYPES[Number(key.keyType)], key.publicKey, reading))
        throw new ReceiptVerifyError(
          `${g}.keyIndex`,
          "the signature does not verify with this key, or the key was not in force at the commit",
        );
      parsed.push(reading);
    }
    const reasons = earnReasons(parsed, rule, window);
    b.readings.forEach((x, j) => {
      eq(`${f}.readings[${j}].reason`, x.reason, reasons[j], "the rule says");
      eq(`${f}.readings[${j}].earned`, x.earned, reasons[j] === "earned", "the rule says");
    });
    const earned = BigInt(reasons.filter((x) => x === "earned").length);
    if (earned !== credited)
      throw new ReceiptVerifyError(`${f}.readings`, `${earned} listed readings earn, the settlement credits ${credited} points`);
    readingCount += b.readings.length;
  }

  // 5. The payout: points, totals, the arithmetic, the claim.
  const [points, claimed] = (await chain.distributor.pointsOf(deviceId, epoch)) as [bigint, boolean];
  eq("payout.points", int("payout.points", r.payout.points), points, "the distributor credits");
  if (sum !== points)
    throw new ReceiptVerifyError(
      "batches",
      `the listed batches credit ${sum} points of the device's ${points}: a batch is missing`,
    );
  eq("payout.totalPoints", int("payout.totalPoints", r.payout.totalPoints), totals.totalPoints);
  eq("payout.emission", int("payout.emission", r.payout.emission), totals.emission);
  const amount = payoutOf(points, totals.emission, totals.totalPoints);
  eq("payout.amount", int("payout.amount", r.payout.amount), amount, "floor(points · emission / totalPoints) =");
  eq("payout.claimed", r.payout.claimed, claimed);
  if (claimed) {
    const rc = await o.provider.getTransactionReceipt(r.payout.claimTx ?? "0x").catch(() => null);
    const ev = eventsIn(rc, distributorIface, r.contracts.rewardDistributor, "RewardClaimed").find(
      (e) => e.args.deviceId === deviceId && e.args.epoch === epoch,
    );
    if (!ev)
      throw new ReceiptVerifyError("payout.claimTx", `not the transaction that claimed device ${deviceId}'s epoch ${epoch}`);
    eq("payout.amount", amount, ev.args.amount, "the claim paid");
    eq("payout.recipient", r.payout.recipient, ev.args.recipient, "the claim paid");
  } else {
    eq("payout.claimTx", r.payout.claimTx, null, "unclaimed:");
    eq("payout.recipient", r.payout.recipient, null, "unclaimed:");
  }
  return { device: s(deviceId), epoch: s(epoch), batches: r.batches.length, readings: readingCount, amount: s(amount) };
}

function checkKeyShape(f: string, vk: Groth16VerificationKey, nSignals: number): void {
  eq(`${f}.protocol`, vk.protocol, "groth16", "expected");
  eq(`${f}.curve`, vk.curve, "bn128", "expected");
  eq(`${f}.nPublic`, vk.nPublic, nSignals, "the circuit's public signals:");
  eq(`${f}.IC`, vk.IC?.length, nSignals + 1, "IC points expected:");
  // Projective coordinates of the affine points: z = 1 (G1), z = (1, 0) (G2).
  eq(`${f}.vk_alpha_1[2]`, vk.vk_alpha_1[2], "1", "expected");
  for (const n of ["vk_beta_2", "vk_gamma_2", "vk_delta_2"] as const) {
    eq(`${f}.${n}[2][0]`, vk[n][2]?.[0], "1", "expected");
    eq(`${f}.${n}[2][1]`, vk[n][2]?.[1], "0", "expected");
  }
  vk.IC.forEach((p, k) => eq(`${f}.IC[${k}][2]`, p[2], "1", "expected"));
}

/** Reads a receipt file's JSON (errors name the file). */
export function parseReceipt(text: string): Receipt {
  const r = JSON.parse(text) as Receipt;
  if (typeof r !== "object" || r === null) throw new ReceiptVerifyError("(root)", "not a JSON object");
  return r;
}
