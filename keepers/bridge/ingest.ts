/**
 * The bridge's ingest pipeline, independent of how messages arrive (embedded broker hook or a
 * subscriber on an external broker). Messages are queued in arrival order and processed in
 * micro-batches: parse and size/schema checks, topic check, timestamp window, directory
 * (registered, active), signature against the key in force, per-device monotonic sequence
 * number; then ONE durable store transaction for the batch; only then is each message's `done`
 * called (which sends the MQTT PUBACK), and receipts / rejections are published.
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
  type EpochConfig,
  type Receipt,
  type RejectCode,
  type Rejection,
  type SignedReading,
} from "../../sdk/src/index.js";
import { silentLogger, type Logger } from "../common/log.js";
import type { InsertOutcome, NewReading, Store } from "../common/store/index.js";
import { DeviceStatus, type DeviceDirectory } from "./directory.js";
import { checkReadingSignature } from "./verify.js";

export interface IngestOptions {
  networkId: bigint;
  epoch: EpochConfig;
  /** Largest accepted clock skew into the future (s). */
  maxFutureSkewSec: number;
  /** Oldest accepted reading (s); store-and-forward replays must fit in it. */
  maxAgeSec: number;
  /** Messages per store transaction. */
  maxBatch: number;
  /** MQTT topic root readings are published under (sdk topics). */
  topicRoot: string;
  /** Current unix time in seconds (tests inject a clock). */
  now?: () => number;
}

export interface Responder {
  receipt(deviceId: bigint, receipt: Receipt): void;
  reject(deviceId: bigint, rejection: Rejection): void;
}

interface Item {
  sender: bigint | null;
  topic: string;
  payload: Uint8Array;
  done: (err?: Error) => void;
}

type Verdict =
  | { kind: "reject"; to: bigint | null; rejection: Rejection }
  | { kind: "insert"; to: bigint; reading: NewReading; index: number };

export class Ingestor {
  private queue: Item[] = [];
  private flushing = false;
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
      help: "batches not acknowledged because the store or directory failed",
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
  submit(sender: bigint | null, topic: string, payload: Uint8Array, done: (err?: Error) => void): void {
    this.queue.push({ sender, topic, payload, done });
    if (!this.flushing) {
      this.flushing = true;
      setImmediate(() => void this.loop());
    }
  }

  /** Resolves when every queued message has been processed. */
  drain(): Promise<void> {
    if (!this.flushing && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private async loop(): Promise<void> {
    while (this.queue.length > 0) {
      const items = this.queue.splice(0, this.opts.maxBatch);
      try {
        await this.process(items);
      } catch (e) {
        // Unexpected bug path: nothing is acknowledged, the broker redelivers.
        this.log.error("Ingestor#process", { err: e as Error });
        for (const it of items) it.done(e as Error);
      }
    }
    this.flushing = false;
    for (const f of this.idle.splice(0)) f();
  }

  private now(): bigint {
    return BigInt(Math.floor(this.opts.now?.() ?? Date.now() / 1000));
  }

  private reject(to: bigint | null, code: RejectCode, message: string, seq?: bigint): Verdict {
    return { kind: "reject", to, rejection: { code, message, seq: seq?.toString() } };
  }

  /** Checks that need no I/O. */
  private precheck(it: Item, index: number): Verdict {
    const topicDevice = deviceOfReadingTopic(it.topic, this.opts.topicRoot);
    const replyTo = it.sender ?? topicDevice;
    if (topicDevice === null) return this.reject(replyTo, "WRONG_TOPIC", `${it.topic} is not a reading topic`);
    if (it.sender !== null && it.sender !== topicDevice) {
      return this.reject(it.sender, "WRONG_TOPIC", `device ${it.sender} may publish only to its own topic, not ${it.topic}`);
    }
    let r: SignedReading;
    try {
      r = fromWire(it.payload);
    } catch (e) {
      if (e instanceof EncodingError) return this.reject(replyTo, e.code, e.message);
      throw e;
    }
    if (r.deviceId !== topicDevice) {
      return this.reject(replyTo, "WRONG_TOPIC", `reading of device ${r.deviceId} published on ${it.topic}`, r.seq);
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
    return { kind: "insert", to: topicDevice, reading: { ...r, epoch: epochOf(this.opts.epoch, r.timestamp) }, index };
  }

  private async process(items: Item[]): Promise<void> {
    this.batchSize.observe(items.length);
    const verdicts = items.map((it, i) => this.precheck(it, i));
    const devices = [...new Set(verdicts.flatMap((v) => (v.kind === "insert" ? [v.reading.deviceId] : [])))];
    let infos: Map<bigint, Awaited<ReturnType<DeviceDirectory["get"]>>>;
    try {
      infos = new Map(await Promise.all(devices.map(async (d) => [d, await this.directory.get(d)] as const)));
      await Promise.all(
        devices.filter((d) => !this.lastSeq.has(d)).map(async (d) => this.lastSeq.set(d, await this.store.lastSeq(d))),
      );
    } catch (e) {
      return this.transient(items, verdicts, e as Error);
    }

    // Identity, signature and sequence checks in arrival order.
    const pending = new Set<string>();
    const maybeOld: number[] = [];
    for (let i = 0; i < verdicts.length; i++) {
      const v = verdicts[i];
      if (v.kind !== "insert") continue;
      const r = v.reading;
      const info = infos.get(r.deviceId)!;
      if (info.status === DeviceStatus.None) {
        verdicts[i] = this.reject(v.to, "UNKNOWN_DEVICE", `device ${r.deviceId} is not registered`, r.seq);
        continue;
      }
      if (info.status !== DeviceStatus.Active) {
        verdicts[i] = this.reject(v.to, "DEVICE_NOT_ACTIVE", `device ${r.deviceId} is ${DeviceStatus[info.status]}`, r.seq);
        continue;
      }
      const sig = checkReadingSignature(this.opts.networkId, r, info.keys);
      if (!sig.ok) {
        verdicts[i] = this.reject(v.to, sig.code, sig.message, r.seq);
        continue;
      }
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
        const v = verdicts[i] as Extract<Verdict, { kind: "insert" }>;
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

    // Durable now: acknowledge, then answer.
    for (const it of items) it.done();
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
      this.responder.receipt(v.to, { seq: v.reading.seq.toString(), status: o.status });
    });
    for (const v of verdicts) {
      if (v.kind !== "reject") continue;
      this.rejected.inc({ code: v.rejection.code });
      this.counts.rejected++;
      this.log.debug("Ingestor#reject", { device: v.to, code: v.rejection.code, msg: v.rejection.message });
      if (v.to !== null) this.responder.reject(v.to, v.rejection);
    }
  }

  /** Store or directory failed: nothing of this batch is acknowledged; caches are reset. */
  private transient(items: Item[], verdicts: Verdict[], err: Error): void {
    this.transientFailures.inc();
    this.log.warn("Ingestor#transient", { err, messages: items.length });
    for (const v of verdicts) if (v.kind === "insert") this.lastSeq.delete(v.reading.deviceId);
    for (const it of items) it.done(err);
  }
}
