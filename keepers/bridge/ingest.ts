/**
 * The bridge's ingest pipeline, independent of how messages arrive (embedded broker hook or a
 * subscriber on an external broker). Messages are queued in arrival order and cut into
 * micro-batches, which flow through two stages:
 *
 *  1. verify (concurrent, up to `maxVerifying` batches): parse and size/schema checks, topic
 *     check, timestamp window, directory (registered, active), signature against the key in force
 *     — on the signature threads (signature-pool.ts) when there are any;
 *  2. commit (one at a time, in arrival order): per-device monotonic sequence number, then ONE
 *     durable store transaction for every verified batch at the head of the line (group commit);
 *     only then is each message's `done` called (which sends the MQTT PUBACK), and receipts /
 *     rejections are published.
 *
 * So while batch N is being stored, batches N+1… are being verified on other cores.
 *
 * A failure of the store or the directory is transient: `done(err)` is called without an ack so
 * the message is redelivered; nothing is acknowledged that is not stored.
 */
import { Counter, Histogram, type Registry } from "prom-client";
import {
  EncodingError,
  deviceOfReadingTopic,
  epochOf,
  fromWire,
  readingTopic,
  type EpochConfig,
  type Receipt,
  type RejectCode,
  type Rejection,
  type SignedReading,
} from "../../sdk/src/index.js";
import { silentLogger, type Logger } from "../common/log.js";
import type { InsertOutcome, NewReading, Store } from "../common/store/index.js";
import { DeviceStatus, type DeviceDirectory } from "./directory.js";
import type { SignaturePool } from "./signature-pool.js";

export interface IngestOptions {
  networkId: bigint;
  epoch: EpochConfig;
  /** Largest accepted clock skew into the future (s). */
  maxFutureSkewSec: number;
  /** Oldest accepted reading (s); store-and-forward replays must fit in it. */
  maxAgeSec: number;
  /** Messages per store transaction. */
  maxBatch: number;
  /** Batches in the verify stage at once (pipelining depth). */
  maxVerifying?: number;
  /** MQTT topic root readings are published under (sdk topics). */
  topicRoot: string;
  /** Current unix time in seconds (tests inject a clock). */
  now?: () => number;
}

export interface Responder {
  /** Receipts of one device's readings committed in one store transaction, in arrival order. */
  receipts(deviceId: bigint, receipts: Receipt[]): void;
  reject(deviceId: bigint, rejection: Rejection): void;
}

/**
 * Called once per message: with an error when nothing was stored (no ack: the broker
 * redelivers); otherwise `accepted` says whether the reading was stored (or was already stored)
 * rather than rejected.
 */
export type IngestDone = (err?: Error, accepted?: boolean) => void;

interface Item {
  sender: bigint | null;
  topic: string;
  payload: Uint8Array;
  done: IngestDone;
}

type Verdict =
  /**
   * `claim`: a WRONG_TOPIC reading from an unidentified sender (external broker): its device is
   * answered (with the seq) only if the reading's signature verifies for that device.
   */
  | { kind: "reject"; to: bigint | null; rejection: Rejection; claim?: SignedReading }
  | { kind: "insert"; to: bigint; reading: NewReading; index: number };
type Insert = Extract<Verdict, { kind: "insert" }>;

/** A micro-batch on its way through the pipeline. */
interface Batch {
  items: Item[];
  verdicts: Verdict[];
  /** Verify stage finished (successfully or with `error`). */
  ready: boolean;
  /** The directory or the signature threads failed: the batch is not acknowledged. */
  error?: Error;
}

export class Ingestor {
  private queue: Item[] = [];
  /** Batches cut from the queue and not yet committed, in arrival order. */
  private line: Batch[] = [];
  private verifying = 0;
  private committing = false;
  private cutScheduled = false;
  private idle: (() => void)[] = [];
  /** Highest sequence number stored (or accepted in the batch being written) per device. */
  private readonly lastSeq = new Map<bigint, bigint | null>();
  /** Totals since start (also in /metrics). */
  readonly counts = { stored: 0, duplicate: 0, rejected: 0 };
  readonly stored: Counter;
  readonly duplicates: Counter;
  readonly rejected: Counter<"code">;
  readonly batchSize: Histogram;
  readonly transientFailures: Counter;

  constructor(
    private readonly store: Store,
    private readonly directory: DeviceDirectory,
    private readonly signatures: SignaturePool,
    private readonly responder: Responder,
    private readonly opts: IngestOptions,
    registry: Registry,
    private readonly log: Logger = silentLogger,
  ) {
    this.stored = new Counter({
      name: "depin_bridge_readings_stored_total",
      help: "readings durably stored",
      registers: [registry],
    });
    this.duplicates = new Counter({
      name: "depin_bridge_readings_duplicate_total",
      help: "duplicates absorbed",
      registers: [registry],
    });
    this.rejected = new Counter({
      name: "depin_bridge_readings_rejected_total",
      help: "rejections by reason code",
      labelNames: ["code"],
      registers: [registry],
    });
    this.transientFailures = new Counter({
      name: "depin_bridge_transient_failures_total",
      help: "batches not acknowledged because the store, the directory or a signature thread failed",
      registers: [registry],
    });
    this.batchSize = new Histogram({
      name: "depin_bridge_batch_size",
      help: "messages per store transaction",
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
      registers: [registry],
    });
  }

  /** Queues one message; `done` is called once it is stored (or rejected), or with an error. */
  submit(sender: bigint | null, topic: string, payload: Uint8Array, done: IngestDone): void {
    this.queue.push({ sender, topic, payload, done });
    if (!this.cutScheduled) {
      // Cut on the next turn, so every message of this socket read lands in one batch.
      this.cutScheduled = true;
      setImmediate(() => {
        this.cutScheduled = false;
        this.cut();
      });
    }
  }

  /** Resolves when every queued message has been processed. */
  drain(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private isIdle(): boolean {
    // A batch being verified is in the line, so an empty line means nothing is being verified.
    return this.queue.length === 0 && this.line.length === 0 && !this.committing;
  }

  /** Moves queued messages into batches while the verify stage has room. */
  private cut(): void {
    const room = this.opts.maxVerifying ?? 2;
    while (this.queue.length > 0 && this.verifying < room) {
      const batch: Batch = { items: this.queue.splice(0, this.opts.maxBatch), verdicts: [], ready: false };
      this.line.push(batch);
      this.verifying++;
      this.verify(batch)
        .catch((e: unknown) => {
          batch.error = e as Error;
        })
        .finally(() => {
          batch.ready = true;
          this.verifying--;
          this.cut();
          void this.commitReady();
        });
    }
  }

  /** Commits the verified batches at the head of the line, one group transaction at a time. */
  private async commitReady(): Promise<void> {
    if (this.committing) return;
    this.committing = true;
    while (this.line.length > 0 && this.line[0].ready) {
      const group: Batch[] = [];
      let size = 0;
      while (
        this.line.length > 0 &&
        this.line[0].ready &&
        (size === 0 || size + this.line[0].items.length <= this.opts.maxBatch)
      ) {
        const b = this.line.shift()!;
        size += b.items.length;
        group.push(b);
      }
      try {
        await this.commit(group);
      } catch (e) {
        // Unexpected bug path: nothing is acknowledged, the broker redelivers.
        this.log.error("Ingestor#commit", { err: e as Error });
        for (const b of group) for (const it of b.items) it.done(e as Error);
      }
    }
    this.committing = false;
    if (this.isIdle()) for (const f of this.idle.splice(0)) f();
  }

  private now(): bigint {
    return BigInt(Math.floor(this.opts.now?.() ?? Date.now() / 1000));
  }

  private reject(to: bigint | null, code: RejectCode, message: string, seq?: bigint): Verdict {
    return { kind: "reject", to, rejection: { code, message, seq: seq?.toString() } };
  }

  /**
   * A reading on a topic that is not its device's canonical reading topic (another device's, a
   * wrong shard, leading zeros, a trailing slash, outside the reading namespace). It is answered,
   * so the device stops re-sending it:
   *  - on the embedded broker, to the authenticated sender, with the seq when the reading is the
   *    sender's own (so its device drops it: WRONG_TOPIC is final);
   *  - from an unidentified sender (external broker, operator), to the device the reading names,
   *    with the seq, only once its signature verifies for that device (`claim`, checked in the
   *    verify stage): an unsigned claim could otherwise make any device forget a pending reading.
   *    Until then (and when it does not verify) the answer goes, without seq, to the device whose
   *    topic it is, if any.
   */
  private wrongTopic(it: Item, topicDevice: bigint | null, r: SignedReading | null, why: string): Verdict {
    const hint = r ? `; device ${r.deviceId} publishes on ${readingTopic(r.deviceId, this.opts.topicRoot)}` : "";
    const rejection: Rejection = { code: "WRONG_TOPIC", message: `${why}${hint}` };
    if (it.sender !== null) {
      if (r && r.deviceId === it.sender) rejection.seq = r.seq.toString();
      return { kind: "reject", to: it.sender, rejection };
    }
    return { kind: "reject", to: topicDevice, rejection, claim: r ?? undefined };
  }

  /** Checks that need no I/O. */
  private precheck(it: Item): Verdict {
    const topicDevice = deviceOfReadingTopic(it.topic, this.opts.topicRoot);
    const replyTo = it.sender ?? topicDevice;
    let r: SignedReading | null = null;
    let bad: EncodingError | null = null;
    try {
      r = fromWire(it.payload);
    } catch (e) {
      if (!(e instanceof EncodingError)) throw e;
      bad = e;
    }
    if (topicDevice === null) return this.wrongTopic(it, null, r, `${it.topic} is not a canonical reading topic`);
    if (it.sender !== null && it.sender !== topicDevice) {
      return this.wrongTopic(it, topicDevice, r, `device ${it.sender} may publish only to its own topic, not ${it.topic}`);
    }
    if (bad) return this.reject(replyTo, bad.code, bad.message);
    if (r === null) throw new Error("unreachable: neither a reading nor an encoding error");
    if (r.deviceId !== topicDevice) {
      return this.wrongTopic(it, topicDevice, r, `reading of device ${r.deviceId} published on ${it.topic}`);
    }
    const now = this.now();
    if (r.timestamp > now + BigInt(this.opts.maxFutureSkewSec)) {
      return this.reject(
        replyTo,
        "TIMESTAMP_IN_FUTURE",
        `timestamp ${r.timestamp} is more than ${this.opts.maxFutureSkewSec}s ahead of ${now}`,
        r.seq,
      );
    }
    if (r.timestamp < now - BigInt(this.opts.maxAgeSec) || r.timestamp < this.opts.epoch.genesisTime) {
      return this.reject(
        replyTo,
        "TIMESTAMP_STALE",
        `timestamp ${r.timestamp} is older than ${this.opts.maxAgeSec}s or before genesis`,
        r.seq,
      );
    }
    return { kind: "insert", to: topicDevice, reading: { ...r, epoch: epochOf(this.opts.epoch, r.timestamp) }, index: -1 };
  }

  /** Stage 1: everything that does not depend on other batches (no store access). */
  private async verify(batch: Batch): Promise<void> {
    const verdicts = batch.items.map((it) => this.precheck(it));
    batch.verdicts = verdicts;
    const devices = [
      ...new Set(verdicts.flatMap((v) => (v.kind === "insert" ? [v.reading.deviceId] : v.claim ? [v.claim.deviceId] : []))),
    ];
    const infos = new Map(await Promise.all(devices.map(async (d) => [d, await this.directory.get(d)] as const)));
    const signed: number[] = [];
    const claims: number[] = [];
    for (let i = 0; i < verdicts.length; i++) {
      const v = verdicts[i];
      if (v.kind === "reject" && v.claim && infos.get(v.claim.deviceId)!.keys.length > 0) claims.push(i);
      if (v.kind !== "insert") continue;
      const r = v.reading;
      const info = infos.get(r.deviceId)!;
      if (info.status === DeviceStatus.None) {
        verdicts[i] = this.reject(v.to, "UNKNOWN_DEVICE", `device ${r.deviceId} is not registered`, r.seq);
      } else if (info.status !== DeviceStatus.Active) {
        verdicts[i] = this.reject(v.to, "DEVICE_NOT_ACTIVE", `device ${r.deviceId} is ${DeviceStatus[info.status]}`, r.seq);
      } else {
        signed.push(i);
      }
    }
    const claimed = (i: number): SignedReading => (verdicts[i] as Extract<Verdict, { kind: "reject" }>).claim!;
    const all = await this.signatures.check([
      ...signed.map((i) => {
        const r = (verdicts[i] as Insert).reading;
        return { reading: r, keys: infos.get(r.deviceId)!.keys };
      }),
      ...claims.map((i) => ({ reading: claimed(i), keys: infos.get(claimed(i).deviceId)!.keys })),
    ]);
    const checks = all.slice(0, signed.length);
    claims.forEach((i, j) => {
      const v = verdicts[i] as Extract<Verdict, { kind: "reject" }>;
      if (all[signed.length + j].ok) {
        // The device's own signed reading: answer that device, with the seq, so it stops re-sending.
        verdicts[i] = { kind: "reject", to: v.claim!.deviceId, rejection: { ...v.rejection, seq: v.claim!.seq.toString() } };
      } else {
        this.log.debug("Ingestor#unsignedClaim", { topic: batch.items[i].topic, claimed: v.claim!.deviceId });
      }
    });
    signed.forEach((i, j) => {
      const sig = checks[j];
      if (!sig.ok) {
        const v = verdicts[i] as Insert;
        verdicts[i] = this.reject(v.to, sig.code, sig.message, v.reading.seq);
      }
    });
  }

  /** Stage 2: sequence checks and ONE store transaction for the group, then acks and answers. */
  private async commit(group: Batch[]): Promise<void> {
    const items: Item[] = [];
    const verdicts: Verdict[] = [];
    for (const b of group) {
      if (b.error) {
        this.transient(b.items, b.verdicts, b.error);
        continue;
      }
      items.push(...b.items);
      verdicts.push(...b.verdicts);
    }
    if (items.length === 0) return;
    this.batchSize.observe(items.length);
    const devices = [...new Set(verdicts.flatMap((v) => (v.kind === "insert" ? [v.reading.deviceId] : [])))];
    try {
      await Promise.all(
        devices.filter((d) => !this.lastSeq.has(d)).map(async (d) => this.lastSeq.set(d, await this.store.lastSeq(d))),
      );
    } catch (e) {
      return this.transient(items, verdicts, e as Error);
    }

    // Sequence checks in arrival order.
    const pending = new Set<string>();
    const maybeOld: number[] = [];
    for (let i = 0; i < verdicts.length; i++) {
      const v = verdicts[i];
      if (v.kind !== "insert") continue;
      v.index = i;
      const r = v.reading;
      const key = `${r.deviceId}:${r.seq}`;
      const last = this.lastSeq.get(r.deviceId) ?? null;
      if (last === null || r.seq > last) {
        this.lastSeq.set(r.deviceId, r.seq);
      } else if (!pending.has(key)) {
        maybeOld.push(i); // at or below the high-water mark: a duplicate, an equivocation or a replay
      }
      pending.add(key);
    }
    try {
      for (const i of maybeOld) {
        const v = verdicts[i] as Insert;
        const prev = await this.store.getReading(v.reading.deviceId, v.reading.seq);
        if (prev !== null) continue; // duplicate or equivocation: insertReadings tells which
        // Never stored. Below the high-water mark but above the pruned range it is a late,
        // out-of-order delivery of the device's own signed reading (a broker restart or a
        // broker's queue limit re-orders QoS 1 redeliveries): store it, or the device would be
        // told to forget a reading the network never had. Only at or below the pruned mark can
        // the store no longer tell it from a replay of an exported reading: refuse it there.
        const pruned = await this.store.prunedSeq(v.reading.deviceId);
        if (pruned !== null && v.reading.seq <= pruned) {
          verdicts[i] = this.reject(
            v.to,
            "SEQ_REPLAYED",
            `sequence number ${v.reading.seq} is at or below the device's exported readings (${pruned})`,
            v.reading.seq,
          );
        }
      }
    } catch (e) {
      return this.transient(items, verdicts, e as Error);
    }

    const toInsert = verdicts.flatMap((v) => (v.kind === "insert" ? [v] : []));
    let outcomes: InsertOutcome[];
    const t0 = performance.now();
    try {
      outcomes = await this.store.insertReadings(toInsert.map((v) => v.reading));
      this.log.debug("Ingestor#stored", {
        messages: items.length,
        inserted: toInsert.length,
        ms: Math.round((performance.now() - t0) * 10) / 10,
      });
    } catch (e) {
      return this.transient(items, verdicts, e as Error);
    }
    toInsert.forEach((v, j) => {
      const o = outcomes[j];
      if (o.status === "equivocation") {
        verdicts[v.index] = this.reject(
          v.to,
          "EQUIVOCATION",
          `sequence number ${v.reading.seq} was already stored with timestamp ${o.stored.timestamp} and value ${o.stored.value}`,
          v.reading.seq,
        );
      }
    });

    // Durable now: acknowledge, then answer (one receipt message per device).
    items.forEach((it, i) => it.done(undefined, verdicts[i].kind === "insert"));
    const receipts = new Map<bigint, Receipt[]>();
    toInsert.forEach((v, j) => {
      const o = outcomes[j];
      if (o.status === "equivocation") return;
      if (o.status === "stored") {
        this.stored.inc();
        this.counts.stored++;
      } else {
        this.duplicates.inc();
        this.counts.duplicate++;
      }
      let mine = receipts.get(v.to);
      if (!mine) receipts.set(v.to, (mine = []));
      mine.push({ seq: v.reading.seq.toString(), status: o.status });
    });
    for (const [device, rs] of receipts) this.responder.receipts(device, rs);
    for (const v of verdicts) {
      if (v.kind !== "reject") continue;
      this.rejected.inc({ code: v.rejection.code });
      this.counts.rejected++;
      this.log.debug("Ingestor#reject", { device: v.to, code: v.rejection.code, msg: v.rejection.message });
      if (v.to !== null) this.responder.reject(v.to, v.rejection);
    }
  }

  /** Store, directory or signature thread failed: nothing of these messages is acknowledged; caches are reset. */
  private transient(items: Item[], verdicts: Verdict[], err: Error): void {
    this.transientFailures.inc();
    this.log.warn("Ingestor#transient", { err, messages: items.length });
    for (const v of verdicts) if (v.kind === "insert") this.lastSeq.delete(v.reading.deviceId);
    for (const it of items) it.done(err);
  }
}
