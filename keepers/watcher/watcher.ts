/**
 * Watcher: the honest party the optimistic DA relies on. Anyone can run it; it needs only an RPC
 * endpoint and (to challenge) an account with gas.
 *
 * For every committed batch, in order, while its challenge window is open:
 *   1. fetch the payload from the commitment's uri (or --payload-base) and recompute its root;
 *      a payload that cannot be fetched or does not hash to the committed root is reported
 *      (log, /status, metric) and retried while the window is open: data withheld cannot be
 *      checked, which is exactly what an operator must know;
 *   2. check every leaf's signature against the device's key history as the DA judges it (a key
 *      valid at the reading's timestamp, revocations counted only if in force at the commit);
 *   3. check that no (deviceId, seq) repeats inside the batch or repeats one of an earlier batch
 *      that is still valid;
 *   4. challenge the first bad leaf found: the challenge is simulated first (eth_call) and sent only
 *      if the contract agrees, so a disagreement between this code and the contract is a log line,
 *      never a wasted transaction.
 * The index of (deviceId, seq) → first leaf is rebuilt from the chain at start (every batch still
 * served); the state is the chain itself, so a restart re-checks and never double-challenges
 * (an invalidated batch cannot be challenged again).
 */
import { Contract, Wallet, type ContractRunner, type Provider } from "ethers";
import { Counter, Gauge } from "prom-client";
import {
  batchInclusionProof,
  batchLeaves,
  getPoseidon,
  merkleRoot,
  parseBatchPayload,
  verifyReading,
  type BatchPayload,
  type PoseidonHasher,
  type SignedReading,
} from "../../sdk/src/index.js";
import { silentLogger, type Logger } from "../common/log.js";
import { describeRevert } from "../common/errors.js";
import { daemonOptions, opt, rpcUrlOption, type OptionValues } from "../common/options.js";
import { Service } from "../common/service.js";
import { BatchStatus, type ChainBatchView } from "../common/rewards.js";
import { TxManager, isRevert } from "../common/tx.js";
import { DEVICE_DIRECTORY_ABI, readDeviceKeys, type DeviceKeyInfo } from "../common/directory.js";

export const watcherOptions = {
  rpcUrl: rpcUrlOption(),
  da: opt.string("DataAvailability contract address", { pattern: /^0x[0-9a-fA-F]{40}$/ }),
  privateKey: opt.string("key of the account that sends challenges (earns the challenger's share of the slash)", {
    default: "",
    secret: true,
    pattern: /^(|0x[0-9a-fA-F]{64})$/,
  }),
  dryRun: opt.bool("check and report, send no challenge"),
  payloadBase: opt.string("fetch payloads from <base>/batches/<id> instead of each commitment's uri (a mirror)", {
    default: "",
  }),
  fromBatch: opt.bigint("first batch id to check", { default: 1n, min: 1n }),
  fetchTimeoutMs: opt.int("payload fetch timeout (ms)", { default: 10_000, min: 100 }),
  ...daemonOptions({ schedule: "*/10 * * * * *", metricsPort: 9108 }),
};
export type WatcherOptions = OptionValues<typeof watcherOptions>;

const DA_ABI = [
  "function nextBatchId() view returns (uint256)",
  "function getBatch(uint256 batchId) view returns (tuple(uint256 root, uint32 leafCount, uint8 depth, uint64 epoch, uint64 committedAt, address sequencer, uint8 status))",
  "function challengeDeadline(uint256 batchId) view returns (uint64)",
  "function deviceDirectory() view returns (address)",
  "function challengeSignature(uint256 batchId, tuple(uint256 deviceId, uint256 seq, uint256 timestamp, uint256 value, bytes signature) reading, uint256 index, uint256[3][] siblings)",
  "function challengeDuplicate(tuple(uint256 batchId, uint256 index, tuple(uint256 deviceId, uint256 seq, uint256 timestamp, uint256 value, bytes signature) reading, uint256[3][] siblings) a, tuple(uint256 batchId, uint256 index, tuple(uint256 deviceId, uint256 seq, uint256 timestamp, uint256 value, bytes signature) reading, uint256[3][] siblings) b)",
  "event BatchCommitted(uint256 indexed batchId, address indexed sequencer, uint256 root, uint32 leafCount, uint8 depth, uint64 indexed epoch, string uri)",
] as const;

const U64 = (1n << 64n) - 1n;
const U40 = (1n << 40n) - 1n;
const U32 = (1n << 32n) - 1n;

/** What the watcher found wrong with a leaf. */
export interface Finding {
  batchId: bigint;
  index: number;
  kind: "signature" | "duplicate";
  reason: string;
  /** The challenge transaction, or why none was sent. */
  challenge: string;
}

/** A leaf to challenge; for a repeat, where its first copy is. */
interface Suspect {
  kind: Finding["kind"];
  batch: BatchPayload;
  index: number;
  reason: string;
  first?: { batchId: bigint; index: number };
}

export class Watcher extends Service {
  private da!: Contract;
  private directory!: Contract;
  private hasher!: PoseidonHasher;
  private tx?: TxManager;
  private chainId = 0n;
  private next: bigint;
  /** Batches whose payload could not be checked yet: id → why. */
  readonly unverifiable = new Map<bigint, string>();
  readonly findings: Finding[] = [];
  /** First committed copy of each (deviceId, seq) in a checked, valid batch. */
  private readonly firstSeen = new Map<string, { batchId: bigint; index: number }>();
  /** Payloads of checked, valid batches (to prove the first copy of a repeat). */
  private readonly payloads = new Map<bigint, BatchPayload>();
  private provider!: Provider;
  private readonly checkedBatches: Counter;
  private readonly challenges: Counter;
  private readonly unverifiableGauge: Gauge;

  constructor(
    readonly opts: WatcherOptions,
    private readonly deps: { runner?: ContractRunner; log?: Logger } = {},
  ) {
    super("watcher", deps.log ?? silentLogger);
    this.next = opts.fromBatch;
    this.checkedBatches = new Counter({
      name: "depin_watcher_batches_checked_total",
      help: "committed batches whose every leaf was checked",
      registers: [this.registry],
    });
    this.challenges = new Counter({
      name: "depin_watcher_challenges_total",
      help: "challenges sent (by outcome)",
      labelNames: ["kind", "outcome"],
      registers: [this.registry],
    });
    this.unverifiableGauge = new Gauge({
      name: "depin_watcher_unverifiable_batches",
      help: "batches in their challenge window whose payload could not be fetched or does not match the committed root",
      registers: [this.registry],
    });
  }

  async init(): Promise<void> {
    this.hasher = await getPoseidon();
    let runner = this.deps.runner;
    if (!runner) {
      if (!this.opts.privateKey && !this.opts.dryRun) {
        throw new Error("invalid option --private-key: is required unless --dry-run (a watcher without a key only reports)");
      }
      const provider = await this.connectChain(this.opts.rpcUrl);
      runner = this.opts.privateKey ? new Wallet(this.opts.privateKey, provider) : provider;
    }
    const provider = (this.provider = (runner.provider ?? runner) as Provider);
    this.chainId = (await provider.getNetwork()).chainId;
    this.da = new Contract(this.opts.da, DA_ABI, runner);
    this.directory = new Contract((await this.da.deviceDirectory()) as string, DEVICE_DIRECTORY_ABI, provider);
    if (this.opts.privateKey || this.deps.runner)
      this.tx = new TxManager(this.log, { confirmations: 1, retries: 3, retryDelayMs: 500 });
    this.log.info("Watcher#init", {
      da: this.opts.da,
      directory: await this.directory.getAddress(),
      chainId: this.chainId.toString(),
      challenges: this.opts.dryRun || !this.tx ? "off (report only)" : "on",
    });
  }

  async tick(): Promise<void> {
    await this.checkNew();
  }

  /** Checks every batch committed since the last call; returns the findings of this pass. */
  async checkNew(): Promise<Finding[]> {
    const found: Finding[] = [];
    const end = BigInt(await this.da.nextBatchId());
    // Batches that could not be checked before come first (while their window is open).
    for (const id of [...this.unverifiable.keys()]) {
      const f = await this.checkBatch(id);
      if (f) found.push(f);
    }
    for (; this.next < end; this.next++) {
      const f = await this.checkBatch(this.next);
      if (f) found.push(f);
    }
    this.unverifiableGauge.set(this.unverifiable.size);
    return found;
  }

  private async checkBatch(id: bigint): Promise<Finding | null> {
    const b = (await this.da.getBatch(id)) as ChainBatchView;
    if (BigInt(b.status) === BatchStatus.Invalidated) {
      this.unverifiable.delete(id);
      this.forget(id);
      return null;
    }
    const deadline = BigInt(await this.da.challengeDeadline(id));
    const now = BigInt((await this.provider.getBlock("latest"))!.timestamp);
    const open = now < deadline;
    let payload: BatchPayload;
    try {
      payload = await this.fetchPayload(id);
      const root = merkleRoot(this.hasher, batchLeaves(this.hasher, payload), Number(b.depth));
      if (root !== BigInt(b.root) || payload.readings.length !== Number(b.leafCount)) {
        throw new Error(
          `payload hashes to root ${root} with ${payload.readings.length} leaves; committed ${b.root} with ${b.leafCount}`,
        );
      }
    } catch (e) {
      const why = (e as Error).message;
      if (!open) {
        // Final already: nothing to challenge; it only cannot serve as the earlier copy of a repeat.
        if (this.unverifiable.delete(id)) this.log.error("Watcher#windowClosedUnchecked", { batchId: id, why });
        return null;
      }
      if (this.unverifiable.get(id) !== why)
        this.log.error("Watcher#unverifiable", { batchId: id, why, challengeDeadline: deadline });
      this.unverifiable.set(id, why);
      return null;
    }
    this.unverifiable.delete(id);
    if (open) {
      for (let i = 0; i < payload.readings.length; i++) {
        const bad = await this.signatureProblem(payload.readings[i], BigInt(b.committedAt));
        if (bad) return this.challenge({ kind: "signature", batch: payload, index: i, reason: bad });
      }
      const dup = this.firstRepeat(payload);
      if (dup) return this.challenge(dup);
    }
    this.remember(payload);
    this.checkedBatches.inc();
    this.log.info("Watcher#checked", { batchId: id, leaves: payload.readings.length, final: !open });
    return null;
  }

  /** The first leaf of `p` whose (deviceId, seq) is already in `p` or in an earlier valid batch. */
  private firstRepeat(p: BatchPayload): Suspect | null {
    const inBatch = new Map<string, number>();
    for (let i = 0; i < p.readings.length; i++) {
      const r = p.readings[i];
      const key = `${r.deviceId}:${r.seq}`;
      const here = inBatch.get(key);
      const earlier = this.firstSeen.get(key);
      const first =
        earlier && earlier.batchId < p.batchId ? earlier : here !== undefined ? { batchId: p.batchId, index: here } : null;
      if (first) {
        const reason = `device ${r.deviceId} seq ${r.seq} is already committed in batch ${first.batchId} slot ${first.index}`;
        return { kind: "duplicate", batch: p, index: i, reason, first };
      }
      inBatch.set(key, i);
    }
    return null;
  }

  /** Indexes a checked, valid batch: its readings become the first copies later repeats are proven against. */
  private remember(p: BatchPayload): void {
    this.payloads.set(p.batchId, p);
    p.readings.forEach((r, index) => {
      const key = `${r.deviceId}:${r.seq}`;
      if (!this.firstSeen.has(key)) this.firstSeen.set(key, { batchId: p.batchId, index });
    });
  }

  /** Drops an invalidated batch from the index (its readings may be committed again). */
  private forget(batchId: bigint): void {
    if (!this.payloads.delete(batchId)) return;
    for (const [k, v] of this.firstSeen) if (v.batchId === batchId) this.firstSeen.delete(k);
  }

  private async fetchPayload(id: bigint): Promise<BatchPayload> {
    let url: string;
    if (this.opts.payloadBase) url = `${this.opts.payloadBase.replace(/\/$/, "")}/batches/${id}`;
    else {
      const events = await this.da.queryFilter(this.da.filters.BatchCommitted(id));
      const ev = events[0] as { args?: { uri: string } } | undefined;
      if (!ev?.args) throw new Error(`no BatchCommitted event for batch ${id}`);
      url = ev.args.uri;
    }
    const res = await fetch(url, { signal: AbortSignal.timeout(this.opts.fetchTimeoutMs) });
    if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
    const p = parseBatchPayload(await res.text());
    if (p.batchId !== id) throw new Error(`GET ${url} returned batch ${p.batchId}`);
    return p;
  }

  /** Why the DA would judge this leaf's signature invalid, or null when it is valid. */
  private async signatureProblem(r: SignedReading, committedAt: bigint): Promise<string | null> {
    if (r.deviceId > U64 || r.seq > U64 || r.timestamp > U40 || r.value > U32) return "a field exceeds the protocol width";
    const keys = await this.keysOf(r.deviceId);
    if (keys.length === 0) return `device ${r.deviceId} has no key (unregistered)`;
    for (const k of keys) {
      if (k.validFrom > r.timestamp) continue;
      if (k.revokedAt !== 0n && k.revokedAt <= committedAt && r.timestamp >= k.revokedAt) continue;
      if (verifyReading(this.chainId, k.type, k.publicId, r)) return null;
    }
    return `no key of device ${r.deviceId} valid at ${r.timestamp} signed it`;
  }

  private async keysOf(deviceId: bigint): Promise<DeviceKeyInfo[]> {
    return readDeviceKeys(this.directory, deviceId);
  }

  /** The challenge call for a suspect leaf: a signature challenge, or a duplicate challenge with both leaves. */
  private challengeCall(x: Suspect): { fn: string; args: unknown[] } {
    const leaf = (p: BatchPayload, index: number) => {
      const r = p.readings[index];
      return {
        batchId: p.batchId,
        index,
        reading: { deviceId: r.deviceId, seq: r.seq, timestamp: r.timestamp, value: r.value, signature: r.signature },
        siblings: batchInclusionProof(this.hasher, p, index).siblings,
      };
    };
    const mine = leaf(x.batch, x.index);
    if (x.kind === "signature")
      return { fn: "challengeSignature", args: [mine.batchId, mine.reading, mine.index, mine.siblings] };
    const firstBatch = x.first!.batchId === x.batch.batchId ? x.batch : this.payloads.get(x.first!.batchId)!;
    return { fn: "challengeDuplicate", args: [leaf(firstBatch, x.first!.index), mine] };
  }

  private async challenge(x: Suspect): Promise<Finding> {
    const { batch: p, index, reason, kind } = x;
    const r = p.readings[index];
    const { fn, args } = this.challengeCall(x);
    const finding: Finding = { batchId: p.batchId, index, kind, reason, challenge: "" };
    this.log.warn("Watcher#badLeaf", { batchId: p.batchId, index, kind, deviceId: r.deviceId, seq: r.seq, reason });
    try {
      await this.da.getFunction(fn).staticCall(...args);
    } catch (e) {
      finding.challenge = `not sent: the contract refuses it (${describeRevert(e) ?? (e as Error).message.slice(0, 200)})`;
      this.challenges.inc({ kind, outcome: "refused-by-simulation" });
      this.log.error("Watcher#disagree", { batchId: p.batchId, index, err: finding.challenge });
      return this.record(finding);
    }
    if (this.opts.dryRun || !this.tx) {
      finding.challenge = "not sent (report only)";
      this.challenges.inc({ kind, outcome: "dry-run" });
      return this.record(finding);
    }
    try {
      const receipt = await this.tx.send(`${fn}(${p.batchId}, ${index})`, () => this.da.getFunction(fn)(...args));
      finding.challenge = receipt.hash;
      this.challenges.inc({ kind, outcome: "sent" });
      this.log.info("Watcher#challenged", { batchId: p.batchId, index, kind, tx: receipt.hash });
      this.forget(p.batchId);
    } catch (e) {
      const revert = describeRevert(e);
      finding.challenge = `failed: ${revert ?? (e as Error).message.slice(0, 200)}`;
      this.challenges.inc({ kind, outcome: isRevert(e) || revert ? "reverted" : "error" });
      this.log.error("Watcher#challengeFailed", { batchId: p.batchId, index, err: finding.challenge });
      if (!isRevert(e) && !revert) throw e;
    }
    return this.record(finding);
  }

  private record(f: Finding): Finding {
    this.findings.push(f);
    if (this.findings.length > 100) this.findings.shift();
    return f;
  }

  status(): Record<string, unknown> {
    return {
      da: this.opts.da,
      nextBatchToCheck: this.next.toString(),
      challenges: this.opts.dryRun || !this.tx ? "off" : "on",
      unverifiable: Object.fromEntries([...this.unverifiable].map(([k, v]) => [k.toString(), v])),
      findings: this.findings.map((f) => ({ ...f, batchId: f.batchId.toString() })),
    };
  }

  async close(): Promise<void> {}
}
