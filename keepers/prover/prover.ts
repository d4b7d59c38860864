/**
 * The prover keeper: for each committed, final DA batch not yet settled, builds the reward
 * circuit's input from the batch's stored readings under the rule version in force for the
 * batch's epoch (read from the RewardDistributor), proves it in a pool of worker threads
 * (snarkjs Groth16), checks the proof with the verifier contract the distributor calls (a static
 * call) and stores it for the submitter.
 *
 * Idempotent per batch id: a proof is stored once (the store keeps the first "proven" row); a
 * restart after a crash re-proves only batches without a stored proof, so nothing is proven
 * twice into the store and nothing is skipped. A batch that can never be proven (readings no
 * longer hash to the committed root, more earning devices than the circuit's slots, a witness
 * that fails the circuit's constraints, a proof that does not verify) is recorded "failed" with
 * its reason and not retried; transient failures (RPC, a worker crash) are retried up to
 * --max-attempts times.
 */
import os from "node:os";
import { Contract, Interface, type ContractRunner } from "ethers";
import { Counter, Gauge, Histogram } from "prom-client";
import {
  getPoseidon,
  hashReading,
  merkleRoot,
  rewardRuleInput,
  RewardRuleError,
  toSolidityProof,
  type PoseidonHasher,
  type RewardRuleParams,
  type SignedReading,
} from "../../sdk/src/index.js";
import { silentLogger, type Logger } from "../common/log.js";
import { daemonOptions, opt, type OptionValues, rpcUrlOption, storeOption } from "../common/options.js";
import { bindStoreToChain } from "../common/chain.js";
import { BatchStatus, batchViews, rewardDistributor, type ChainBatchView } from "../common/rewards.js";
import { Service } from "../common/service.js";
import { openStore, type BatchRecord, type Store } from "../common/store/index.js";
import { loadRewardInstance, type RewardInstance } from "./circuit.js";
import { ProverPool } from "./pool.js";
import { Progress } from "./progress.js";
import { claimOptions } from "../common/scaleout.js";

export const proverOptions = {
  store: storeOption(),
  rpcUrl: rpcUrlOption(),
  distributor: opt.string("RewardDistributor address (the DA contract is read from it)", { pattern: /^0x[0-9a-fA-F]{40}$/ }),
  circuit: opt.string("reward circuit instance of circuits/circuits.json", {
    default: "reward_rule_16",
    pattern: /^[a-z0-9_]+$/,
  }),
  buildDir: opt.string("circuit build directory (wasm, zkey, vkey)", { default: "build/circuits" }),
  workers: opt.int("proving worker threads", { default: Math.max(1, Math.min(4, os.availableParallelism())), min: 1, max: 64 }),
  maxBatchesPerTick: opt.int("batches proven per tick at most", { default: 8, min: 1 }),
  maxAttempts: opt.int("attempts for a batch whose proving failed transiently", { default: 3, min: 1 }),
  ...claimOptions(),
  progress: opt.oneOf("progress line on stderr: auto = when stderr is a terminal", ["auto", "on", "off"] as const, "auto"),
  ...daemonOptions({ schedule: "*/5 * * * * *", metricsPort: 9105 }),
};
export type ProverOptions = OptionValues<typeof proverOptions>;

/** Why a batch cannot be proven (stored with the failure, shown in logs and /status). */
export type ProveFailureCode =
  | "BATCH_INVALIDATED"
  | "EPOCH_CLOSED"
  | "READINGS_MISSING"
  | "ROOT_MISMATCH"
  | "NO_VERIFIER"
  | "CIRCUIT_MISMATCH"
  | "RULE_UNPROVABLE"
  | "WITNESS_FAILED"
  | "PROOF_INVALID"
  | "TRANSIENT";

export class ProveError extends Error {
  constructor(
    readonly code: ProveFailureCode,
    message: string,
    readonly final: boolean = true,
  ) {
    super(`${code}: ${message}`);
    this.name = "ProveError";
  }
}

export class Prover extends Service {
  store!: Store;
  distributor!: Contract;
  da!: Contract;
  instance!: RewardInstance;
  pool!: ProverPool;
  private hasher!: PoseidonHasher;
  private runner!: ContractRunner;
  private progress?: Progress;
  /** Lowest batch id that may still need work (everything below is proven, settled or failed). */
  private cursor = 1n;
  private readonly proven: Counter;
  private readonly failures: Counter;
  private readonly proveSeconds: Histogram;
  private readonly inFlight: Gauge;
  private readonly zeroPointBatches: Counter;
  lastError: { batchId: string; error: string } | null = null;

  constructor(
    readonly opts: ProverOptions,
    private readonly deps: { store?: Store; runner?: ContractRunner; log?: Logger } = {},
  ) {
    super("prover", deps.log ?? silentLogger);
    this.proven = new Counter({ name: "depin_prover_proofs_total", help: "proofs made and stored", registers: [this.registry] });
    this.failures = new Counter({
      name: "depin_prover_failures_total",
      help: "proving failures by code",
      labelNames: ["code"],
      registers: [this.registry],
    });
    this.proveSeconds = new Histogram({
      name: "depin_prover_prove_seconds",
      help: "witness + Groth16 time per batch",
      buckets: [0.5, 1, 2, 5, 10, 30, 60, 120, 300],
      registers: [this.registry],
    });
    this.inFlight = new Gauge({ name: "depin_prover_in_flight", help: "proofs running or queued", registers: [this.registry] });
    this.zeroPointBatches = new Counter({
      name: "depin_prover_zero_point_batches_total",
      help: "batches proven in which no reading earned a point (values outside the rule or timestamps outside the epoch)",
      registers: [this.registry],
    });
  }

  async init(): Promise<void> {
    this.instance = loadRewardInstance(this.opts.circuit, this.opts.buildDir);
    this.hasher = await getPoseidon();
    this.store = this.deps.store ?? openStore(this.opts.store);
    await this.store.init();
    let runner = this.deps.runner;
    if (!runner) {
      const provider = await this.connectChain(this.opts.rpcUrl);
      const da = (await rewardDistributor(this.opts.distributor, provider).batches()) as string;
      await bindStoreToChain(this.store, provider, { rewardDistributor: this.opts.distributor, dataAvailability: da });
      runner = provider;
    }
    this.runner = runner;
    this.distributor = rewardDistributor(this.opts.distributor, runner);
    this.da = batchViews((await this.distributor.batches()) as string, runner);
    const vc = (await this.distributor.verifierFor(this.instance.shape.depth)) as { verifier: string; slots: bigint };
    if (BigInt(vc.slots) !== 0n && BigInt(vc.slots) !== BigInt(this.instance.shape.slots)) {
      throw new Error(
        `invalid option --circuit: ${this.instance.name} has ${this.instance.shape.slots} device slots, the distributor's verifier for depth ${this.instance.shape.depth} has ${vc.slots}`,
      );
    }
    this.pool = new ProverPool(this.opts.workers);
    const tty = process.stderr.isTTY === true;
    if (this.opts.progress === "on" || (this.opts.progress === "auto" && tty))
      this.progress = new Progress(this.pool, process.stderr, tty);
  }

  /** Proves every due batch (up to maxBatchesPerTick) concurrently on the pool. */
  async tick(): Promise<void> {
    await this.proveDue();
  }

  /** One pass; returns the batch ids proven in it. */
  async proveDue(): Promise<bigint[]> {
    // Candidates beyond this tick's share, so that with several provers on one store each one
    // finds batches the others do not hold; the row locks decide who proves which.
    const candidates = await this.dueBatches(this.opts.maxBatchesPerTick * 4);
    if (candidates.length === 0) return [];
    const claim = await this.store.claimWork(
      "prove",
      candidates.map((d) => d.batch.batchId),
      this.opts.maxBatchesPerTick,
      this.opts.holdMs,
    );
    try {
      const held = new Set(claim.ids);
      const due: typeof candidates = [];
      for (const d of candidates) {
        if (!held.has(d.batch.batchId)) continue;
        // Another instance may have proven it between our listing and our lock.
        const rec = await this.store.getProof(d.batch.batchId);
        if (!rec || rec.status === "error") due.push(d);
      }
      return await this.proveHeld(due);
    } finally {
      if (claim.lost) this.log.warn("Prover#claimLost", { batchIds: claim.ids, holdMs: this.opts.holdMs });
      await claim.release();
    }
  }

  private async proveHeld(due: { batch: BatchRecord; chain: ChainBatchView }[]): Promise<bigint[]> {
    if (due.length === 0) return [];
    this.inFlight.set(due.length);
    this.log.info("Prover#proving", { batchIds: due.map((d) => d.batch.batchId), workers: this.opts.workers });
    this.progress?.start(due.map((d) => d.batch.batchId));
    const results = await Promise.all(due.map((d) => this.proveOne(d.batch, d.chain)));
    this.progress?.stop();
    this.inFlight.set(0);
    return due.filter((_, i) => results[i]).map((d) => d.batch.batchId);
  }

  /** Batches committed and final on-chain, not settled, with no stored proof (or a transient error). */
  private async dueBatches(max: number): Promise<{ batch: BatchRecord; chain: ChainBatchView }[]> {
    const out: { batch: BatchRecord; chain: ChainBatchView }[] = [];
    let advance = true;
    const nextToClose = BigInt(await this.distributor.nextEpochToClose());
    for (let from = this.cursor; out.length < max;) {
      const page = await this.store.listBatches(from, 64);
      if (page.length === 0) break;
      for (const b of page) {
        from = b.batchId + 1n;
        if (out.length >= max) break;
        const rec = await this.store.getProof(b.batchId);
        if (rec && rec.status !== "error") {
          if (advance) this.cursor = b.batchId + 1n;
          continue;
        }
        const chain = (await this.da.getBatch(b.batchId)) as ChainBatchView;
        if (BigInt(chain.status) === BatchStatus.None) return out; // not committed yet: neither are later ids
        advance = false;
        if (BigInt(chain.status) === BatchStatus.Invalidated) {
          await this.fail(b.batchId, new ProveError("BATCH_INVALIDATED", `batch ${b.batchId} was invalidated by a challenge`));
          continue;
        }
        if ((await this.distributor.isSettled(b.batchId)) as boolean) {
          // Settled by someone else: record it so the submitter and the cursor move on.
          await this.store.putProof({ batchId: b.batchId, ruleVersion: 0n, deviceWords: [], proof: null, points: 0n });
          await this.store.markSettled(b.batchId, "external");
          continue;
        }
        if (!((await this.da.isFinal(b.batchId)) as boolean)) continue;
        if (BigInt(chain.epoch) < nextToClose) {
          await this.fail(
            b.batchId,
            new ProveError(
              "EPOCH_CLOSED",
              `batch ${b.batchId} belongs to epoch ${chain.epoch}, already closed (next to close: ${nextToClose})`,
            ),
          );
          continue;
        }
        out.push({ batch: b, chain });
      }
    }
    return out;
  }

  /** Proves one batch and stores the proof; failures are recorded. Returns true when stored. */
  private async proveOne(b: BatchRecord, chain: ChainBatchView): Promise<boolean> {
    const t0 = Date.now();
    try {
      const job = await this.prepare(b, chain);
      let res;
      try {
        res = await this.pool.prove(job.input, this.instance.wasm, this.instance.zkey);
      } catch (e) {
        const msg = (e as Error).message;
        // A failed assertion is deterministic (the witness breaks a constraint); anything else
        // (a worker killed, out of memory) may succeed on another attempt.
        if (/assert|constraint|not satisf|Error in template/i.test(msg))
          throw new ProveError("WITNESS_FAILED", `batch ${b.batchId}: ${msg}`);
        throw new ProveError("TRANSIENT", `batch ${b.batchId}: proving worker failed: ${msg}`, false);
      }
      const expected = job.publicSignals.map(String);
      if (res.publicSignals.length !== expected.length || res.publicSignals.some((s, i) => s !== expected[i])) {
        throw new ProveError(
          "PROOF_INVALID",
          `batch ${b.batchId}: public signals [${res.publicSignals.join(", ")}] differ from the expected [${expected.join(", ")}]`,
        );
      }
      const proof = toSolidityProof(res.proof);
      if (!(await this.verifiesOnChain(job.verifier, proof, job.publicSignals))) {
        throw new ProveError(
          "PROOF_INVALID",
          `batch ${b.batchId}: the proof does not verify on the distributor's verifier ${job.verifier}`,
        );
      }
      const points = job.points.reduce((s, p) => s + p.points, 0n);
      const stored = await this.store.putProof({
        batchId: b.batchId,
        ruleVersion: job.ruleVersion,
        deviceWords: job.deviceWords,
        proof,
        points,
      });
      this.proven.inc();
      this.proveSeconds.observe(res.ms / 1000);
      if (points === 0n) {
        // Proven and settleable, but nobody earns: say why, so a misconfigured network (device
        // values outside the rule, clocks outside the epoch) is not silent.
        this.zeroPointBatches.inc();
        this.log.warn("Prover#zeroPoints", { batchId: b.batchId, epoch: chain.epoch, readings: chain.leafCount, ...job.why });
      }
      this.progress?.finished(b.batchId, true);
      this.log.info("Prover#proven", {
        batchId: b.batchId,
        epoch: chain.epoch,
        ruleVersion: job.ruleVersion,
        devices: job.points.length,
        points,
        ms: Date.now() - t0,
        stored,
      });
      return stored;
    } catch (e) {
      this.progress?.finished(b.batchId, false);
      const err = e instanceof ProveError ? e : new ProveError("TRANSIENT", `batch ${b.batchId}: ${(e as Error).message}`, false);
      await this.fail(b.batchId, err);
      return false;
    }
  }

  /** The circuit input for a batch: readings checked against the committed root, rule of its epoch. */
  private async prepare(b: BatchRecord, chain: ChainBatchView) {
    const readings: SignedReading[] = (await this.store.batchReadings(b.batchId)).map((r) => ({
      deviceId: r.deviceId,
      seq: r.seq,
      timestamp: r.timestamp,
      value: r.value,
      signature: r.signature,
    }));
    if (readings.length !== Number(chain.leafCount)) {
      throw new ProveError(
        "READINGS_MISSING",
        `batch ${b.batchId}: the store has ${readings.length} readings, the commitment ${chain.leafCount}` +
          (b.exportCid ? ` (pruned to long-term storage as ${b.exportCid})` : ""),
      );
    }
    const depth = Number(chain.depth);
    if (depth !== this.instance.shape.depth) {
      throw new ProveError(
        "CIRCUIT_MISMATCH",
        `batch ${b.batchId} has depth ${depth}; --circuit ${this.instance.name} proves depth ${this.instance.shape.depth}`,
      );
    }
    const root = merkleRoot(
      this.hasher,
      readings.map((r) => hashReading(this.hasher, r)),
      depth,
    );
    if (root !== BigInt(chain.root)) {
      throw new ProveError(
        "ROOT_MISMATCH",
        `batch ${b.batchId}: the stored readings hash to root ${root}, the chain committed ${chain.root} (store tampered or corrupted)`,
      );
    }
    const vc = (await this.distributor.verifierFor(depth)) as { verifier: string; slots: bigint };
    if (/^0x0{40}$/i.test(vc.verifier))
      throw new ProveError("NO_VERIFIER", `no verifier for depth ${depth} on the distributor`, false);
    const epoch = BigInt(chain.epoch);
    const ruleVersion = BigInt(await this.distributor.ruleVersionFor(epoch));
    const rv = (await this.distributor.ruleVersion(ruleVersion)) as {
      params: { minValue: bigint; maxValue: bigint; capPerBatch: bigint };
    };
    const params: RewardRuleParams = {
      minValue: BigInt(rv.params.minValue),
      maxValue: BigInt(rv.params.maxValue),
      capPerBatch: BigInt(rv.params.capPerBatch),
    };
    const [start, end] = (await this.distributor.epochWindow(epoch)) as [bigint, bigint];
    try {
      const job = rewardRuleInput(
        this.hasher,
        readings,
        this.instance.shape,
        params,
        { start: BigInt(start), end: BigInt(end) },
        epoch,
      );
      const window = { start: BigInt(start), end: BigInt(end) };
      return { ...job, ruleVersion, verifier: vc.verifier, why: zeroPointReasons(readings, params, window) };
    } catch (e) {
      if (e instanceof RewardRuleError) throw new ProveError("RULE_UNPROVABLE", `batch ${b.batchId}: ${e.code}: ${e.message}`);
      throw e;
    }
  }

  /**
   * Checks a proof with the verifier contract the distributor will call (a static call, no
   * transaction), on the public signals the distributor derives from the chain for this batch.
   * This also keeps snarkjs and its curve threads out of the keeper's main thread.
   */
  private async verifiesOnChain(verifier: string, p: ReturnType<typeof toSolidityProof>, pub: bigint[]): Promise<boolean> {
    const iface = new Interface([
      `function verifyProof(uint256[2] a, uint256[2][2] b, uint256[2] c, uint256[${pub.length}] pub) view returns (bool)`,
    ]);
    const c = new Contract(verifier, iface, this.runner);
    return (await c.verifyProof(p.a, p.b, p.c, pub)) as boolean;
  }

  private async fail(batchId: bigint, e: ProveError): Promise<void> {
    const rec = await this.store.recordProofFailure(batchId, e.message, e.final, this.opts.maxAttempts);
    this.failures.inc({ code: e.code });
    this.lastError = { batchId: batchId.toString(), error: e.message };
    const final = rec?.status === "failed";
    this.log[final ? "error" : "warn"]("Prover#failed", { batchId, code: e.code, final, attempts: rec?.attempts, err: e });
  }

  async status(): Promise<Record<string, unknown>> {
    return {
      service: "prover",
      circuit: this.instance?.name,
      workers: this.opts.workers,
      running: this.pool?.running ?? 0,
      queued: this.pool?.queued ?? 0,
      cursor: this.cursor.toString(),
      failed: this.store
        ? (await this.store.listProofs("failed", 20)).map((p) => ({ batchId: p.batchId.toString(), error: p.error }))
        : [],
      lastError: this.lastError,
    };
  }

  async close(): Promise<void> {
    this.progress?.stop();
    await this.pool?.close();
    await this.store?.close();
  }
}

/** Why the readings of a batch earn nothing: how many fall outside the rule's value range and the epoch window. */
function zeroPointReasons(readings: SignedReading[], rule: RewardRuleParams, window: { start: bigint; end: bigint }) {
  const outOfRange = readings.filter((r) => r.value < rule.minValue || r.value > rule.maxValue).length;
  const outOfWindow = readings.filter((r) => r.timestamp < window.start || r.timestamp >= window.end).length;
  return {
    rule: `value ${rule.minValue}..${rule.maxValue}, cap ${rule.capPerBatch} per batch`,
    window: `[${window.start}, ${window.end})`,
    valuesOutsideRule: outOfRange,
    timestampsOutsideEpoch: outOfWindow,
    hint:
      outOfWindow > 0
        ? "device clocks or the bridge's epoch clock disagree with the chain (genesis time / epoch length)"
        : outOfRange > 0
          ? "device values are outside the governed rule's range"
          : "device id 0 or a cap of 0",
  };
}
