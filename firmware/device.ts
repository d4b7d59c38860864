/**
 * Device SDK for Linux-class devices: signs readings with the device key (shared canonical
 * encoding), journals them on disk before publishing (store-and-forward), publishes at QoS 1 on
 * the device's own topic, and forgets a reading only when the network's application receipt (or
 * a final rejection) for its sequence number arrives. Offline readings stay in the journal and are
 * replayed in order on reconnect; unreceipted readings are re-sent after `receiptTimeoutMs`
 * (duplicates are absorbed by the bridge), so nothing is dropped.
 *
 * Key rotation: the registry hands a device over from its old key to its new one at an instant
 * (`validFrom` of the new key, KEY_REVOCATION_DELAY after the rotation). `installKey(key,
 * validFrom)` (or `nextKey`) gives the device both: each reading is signed with the key in force at
 * its timestamp. A reading refused with KEY_NOT_YET_VALID (signed with the new key before its
 * hand-over) is not forgotten: the device re-signs it with the key in force at its timestamp, or,
 * when it holds no such key, keeps it in the journal without re-sending it until one is installed.
 *
 * Rejections: a final one (every code but KEY_NOT_YET_VALID and the transient ones, sdk
 * `isFinalRejection`) drops the reading from the queue for good (`X` line in the journal); it is
 * never re-sent. EQUIVOCATION is final too: the network already holds another reading under that
 * seq (e.g. after the journal was reset), so re-sending this one can never succeed — re-sending it
 * at once was a hot loop (16 readings → 11,511 rejections in 5 s). A reading refused with a
 * non-final code is re-sent only after an exponential back-off with jitter (`retryDelayMs`),
 * capped, so even a network that keeps refusing it sees at most one attempt per cap interval.
 */
import { EventEmitter } from "node:events";
import mqtt, { type MqttClient } from "mqtt";
import {
  DEFAULT_ENROL_PASSWORD,
  DEFAULT_ENROL_USERNAME,
  checkTopicRoot,
  enrolTopic,
  connectPassword,
  errorTopic,
  isFinalRejection,
  openAnswer,
  parseReceipts,
  parseRejection,
  readingTopic,
  receiptTopic,
  signReading,
  toWire,
  verifyReading,
  type DeviceKeyPair,
  type Receipt,
  type Rejection,
  type SignedReading,
} from "../sdk/src/index.js";
import { backoffMs, publishEnrolment } from "./enrol.js";
import { Journal } from "./journal.js";

/** A device key and the first reading timestamp it signs (the registry's `validFrom`). */
export interface ScheduledKey {
  key: DeviceKeyPair;
  validFrom: bigint;
}

export interface DeviceOptions {
  deviceId: bigint;
  /** The device key (signs every reading stamped before `nextKey.validFrom`). */
  key: DeviceKeyPair;
  /** A rotated-in key and its hand-over instant, when a rotation is pending or done. */
  nextKey?: ScheduledKey;
  networkId: bigint;
  brokerUrl: string;
  /** MQTT topic root of the network, the bridge's (sdk `networkTopicRoot` by default). */
  topicRoot: string;
  /**
   * The bridge's answer-signing address (its /status `answerAddress`). When set, receipts and
   * rejections without that bridge's valid signature are ignored (counted in `stats.forged`), so
   * nobody else on a shared broker can make the device forget a reading.
   */
  bridgeAddress?: string;
  journalFile: string;
  /** fsync the journal on every write (default true; simulators may turn it off). */
  fsync?: boolean;
  /** Re-send a reading that got no receipt within this time (ms). */
  receiptTimeoutMs?: number;
  /** Readings published and awaiting receipt at most (flow control after a long outage; default 100). */
  maxInflight?: number;
  reconnectPeriodMs?: number;
  /**
   * How the device proves itself to the broker: "token" (default) sends a fresh signed connect
   * token as password at every CONNECT (the embedded broker; EMQX with the bridge's HTTP auth);
   * "enrol" first publishes the token with the enrol account to a Mosquitto the bridge secures
   * (`--broker-acl dynsec`), then connects with it, re-enrolling with back-off when refused.
   */
  brokerAuth?: "token" | "enrol";
  /** The public enrol account (default depin-enrol / depin-enrol, as broker-setup creates it). */
  enrolUsername?: string;
  enrolPassword?: string;
  /** Unix seconds; a fault injector can skew it. */
  clock?: () => number;
}

/**
 * Delay before re-sending a reading refused `attempt` times (1, 2, …) with a non-final code:
 * `baseMs · 2^(attempt-1)`, capped at `capMs`, with "equal jitter" (a uniform draw in the upper
 * half) so a fleet refused at once does not come back at once.
 */
export function retryDelayMs(attempt: number, random: () => number = Math.random, baseMs = 500, capMs = 300_000): number {
  const exp = Math.min(capMs, baseMs * 2 ** Math.min(Math.max(0, attempt - 1), 30));
  return Math.round(exp / 2 + random() * (exp / 2));
}

export interface DeviceEvents {
  receipt: [Receipt];
  rejected: [Rejection];
  connect: [];
  offline: [];
}

export class Device extends EventEmitter<DeviceEvents> {
  readonly journal: Journal;
  /** The network's topic root this device publishes and listens under. */
  readonly topicRoot: string;
  client?: MqttClient;
  /** seq → time it was last published (ms). */
  private readonly inflight = new Map<bigint, number>();
  private timer?: NodeJS.Timeout;
  /** Last time the network answered (receipt or rejection); re-sending waits while it makes progress. */
  private lastProgress = Date.now();
  private stopped = false;
  /** Keys by hand-over instant, ascending; the first signs everything before the second's. */
  private keys: ScheduledKey[];
  /** Pending readings refused with a non-final code that no held key can fix: not re-sent. */
  private readonly held = new Set<bigint>();
  /** Readings refused with a non-final code: attempts so far and when they may be sent again (ms). */
  private readonly retry = new Map<bigint, { attempts: number; at: number }>();
  private retryTimer?: NodeJS.Timeout;
  readonly stats = {
    recorded: 0,
    published: 0,
    receipts: 0,
    duplicates: 0,
    rejected: 0,
    republished: 0,
    forged: 0,
    /** Readings re-signed with the key in force at their timestamp after KEY_NOT_YET_VALID. */
    resigned: 0,
    /** Readings kept without a key to re-sign them (see `held`). */
    held: 0,
    /** Connect tokens published on the enrol topic (brokerAuth "enrol"). */
    enrolments: 0,
    /** Connections the broker refused or lost before CONNACK (brokerAuth "enrol"). */
    refused: 0,
    /** Readings dropped for good after a final rejection. */
    dropped: 0,
    /** Re-sends postponed by the back-off after a non-final rejection. */
    backedOff: 0,
  };
  /** brokerAuth "enrol": the enrolled token, whether it opened a connection, the retry count. */
  private readonly enrolment: {
    token?: string;
    works: boolean;
    attempt: number;
    up: boolean;
    upAt: number;
    timer?: NodeJS.Timeout;
  } = { works: false, attempt: 0, up: false, upAt: 0 };

  constructor(readonly opts: DeviceOptions) {
    super();
    this.journal = new Journal(opts.journalFile, { fsync: opts.fsync ?? true });
    this.topicRoot = checkTopicRoot(opts.topicRoot);
    this.keys = [{ key: opts.key, validFrom: 0n }];
    if (opts.nextKey) this.keys.push(opts.nextKey);
  }

  /** The key that signs readings stamped `timestamp`: the last one handed over at or before it. */
  keyFor(timestamp: bigint): DeviceKeyPair {
    let k = this.keys[0].key;
    for (const s of this.keys) if (s.validFrom <= timestamp) k = s.key;
    return k;
  }

  /**
   * Schedules `key` for readings stamped at or after `validFrom` (the registry's
   * `keyAt(id, i).validFrom`, i.e. the rotation's `effectiveAt`); installing a key again moves its
   * hand-over. Readings held for want of a key are re-signed with the key now in force at their
   * timestamp and sent again.
   */
  installKey(key: DeviceKeyPair, validFrom: bigint): void {
    const same = (s: ScheduledKey): boolean =>
      s.key.type === key.type && s.key.publicId.toLowerCase() === key.publicId.toLowerCase();
    this.keys = [...this.keys.filter((s) => !same(s)), { key, validFrom }].sort((a, b) =>
      a.validFrom < b.validFrom ? -1 : a.validFrom > b.validFrom ? 1 : 0,
    );
    const held = [...this.held];
    this.held.clear();
    this.stats.held = 0;
    for (const seq of held) {
      const r = this.journal.pending.get(seq);
      if (r) this.resign(r);
    }
    this.pump();
  }

  /**
   * A reading refused as signed by a key not yet valid at its timestamp: re-sign it with the key
   * the schedule puts in force then, or hold it when that is the key that signed it already.
   */
  private resign(r: SignedReading): void {
    const key = this.keyFor(r.timestamp);
    if (verifyReading(this.opts.networkId, key.type, key.publicId, r)) {
      this.held.add(r.seq);
      this.stats.held = this.held.size;
      return;
    }
    const fixed = signReading(this.opts.networkId, key, r);
    this.journal.resign(fixed);
    this.stats.resigned++;
  }

  get deviceId(): bigint {
    return this.opts.deviceId;
  }

  get pendingCount(): number {
    return this.journal.pending.size;
  }

  now(): number {
    return this.opts.clock?.() ?? Math.floor(Date.now() / 1000);
  }

  private password(): string {
    const now = BigInt(this.now());
    return connectPassword(this.opts.networkId, this.keyFor(now), this.opts.deviceId, now);
  }

  /** Connects (and keeps reconnecting); resolves on the first connection or after `waitMs`. */
  async start(waitMs = 10_000): Promise<void> {
    const enrol = this.opts.brokerAuth === "enrol";
    const client = mqtt.connect(this.opts.brokerUrl, {
      // Unique on a shared broker: device ids repeat across networks (each registry counts from 1),
      // and two clients with one id would take each other's session over in a loop.
      clientId: `${this.topicRoot.replace(/\//g, "_")}-dev-${this.opts.deviceId}`,
      clean: true,
      protocolVersion: 4,
      username: this.opts.deviceId.toString(),
      password: enrol ? undefined : this.password(),
      // Enrol mode reconnects by itself (enrolAndConnect), with back-off.
      reconnectPeriod: enrol ? 0 : (this.opts.reconnectPeriodMs ?? 1000),
      manualConnect: enrol,
      connectTimeout: 5_000,
    });
    this.client = client;
    client.on("reconnect", () => {
      if (!enrol) client.options.password = this.password(); // connect tokens expire: sign a fresh one
    });
    if (enrol) {
      client.on("connect", () => {
        this.enrolment.works = true;
        this.enrolment.up = true;
        this.enrolment.upAt = Date.now();
      });
      client.on("close", () => {
        if (this.stopped) return;
        const e = this.enrolment;
        if (!e.up) {
          // Refused (or never reached): the token is not (or no longer) the account's password.
          e.works = false;
          this.stats.refused++;
        } else if (Date.now() - e.upAt > 10_000) {
          e.attempt = 0; // a connection that held: start the back-off over
        }
        e.up = false;
        this.scheduleEnrol();
      });
      void this.enrolAndConnect();
    }
    client.on("connect", () => {
      this.inflight.clear();
      this.lastProgress = Date.now();
      client.subscribe(
        [receiptTopic(this.deviceId, this.topicRoot), errorTopic(this.deviceId, this.topicRoot)],
        { qos: 1 },
        () => {
          this.emit("connect");
          this.pump();
        },
      );
    });
    client.on("offline", () => this.emit("offline"));
    client.on("error", () => undefined); // reconnects on its own; errors surface as offline
    client.on("message", (topic, payload) => this.onMessage(topic, payload));
    const every = Math.max(50, Math.floor((this.opts.receiptTimeoutMs ?? 10_000) / 2));
    this.timer = setInterval(() => this.resendStale(), every);
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, waitMs);
      client.once("connect", () => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  private scheduleEnrol(): void {
    if (this.stopped || this.enrolment.timer) return;
    const wait = backoffMs(this.enrolment.attempt++);
    this.enrolment.timer = setTimeout(() => {
      this.enrolment.timer = undefined;
      void this.enrolAndConnect();
    }, wait);
  }

  /**
   * brokerAuth "enrol": reuses the token that last opened a connection; otherwise signs a fresh
   * one, publishes it with the enrol account and gives the bridge a moment to install it. Then
   * connects as `<deviceId>`; a refusal comes back through "close" and is retried with back-off.
   */
  private async enrolAndConnect(): Promise<void> {
    const c = this.client;
    if (this.stopped || !c) return;
    const e = this.enrolment;
    if (!e.works || !e.token) {
      const token = this.password();
      try {
        await publishEnrolment(
          this.opts.brokerUrl,
          {
            username: this.opts.enrolUsername ?? DEFAULT_ENROL_USERNAME,
            password: this.opts.enrolPassword ?? DEFAULT_ENROL_PASSWORD,
          },
          enrolTopic(this.deviceId, this.topicRoot),
          token,
        );
      } catch {
        this.stats.refused++;
        return this.scheduleEnrol();
      }
      e.token = token;
      this.stats.enrolments++;
      await new Promise((r) => setTimeout(r, 200));
      if (this.stopped) return;
    }
    c.options.password = e.token;
    e.up = false;
    if (!c.connected) c.reconnect();
  }

  /** Signs, journals (durably) and, when online, publishes one reading. */
  record(value: bigint | number, timestamp?: bigint | number): SignedReading {
    const ts = BigInt(timestamp ?? this.now());
    const r = signReading(this.opts.networkId, this.keyFor(ts), {
      deviceId: this.opts.deviceId,
      seq: this.journal.nextSeq(),
      timestamp: ts,
      value: BigInt(value),
    });
    this.journal.record(r);
    this.stats.recorded++;
    this.pump();
    return r;
  }

  /** Publishes an arbitrary payload (fault injection; bypasses the journal). */
  publishRaw(topic: string, payload: string | Buffer): void {
    this.client?.publish(topic, payload, { qos: 1 });
  }

  /** Publishes pending readings in order, up to the in-flight window. */
  private pump(): void {
    const c = this.client;
    if (!c?.connected) return;
    const max = this.opts.maxInflight ?? 100;
    const now = Date.now();
    let wake = Infinity;
    for (const [seq, r] of this.journal.pending) {
      if (this.inflight.size >= max) break;
      if (this.inflight.has(seq) || this.held.has(seq)) continue;
      const due = this.retry.get(seq)?.at ?? 0;
      if (due > now) {
        wake = Math.min(wake, due); // backing off after a non-final rejection
        continue;
      }
      this.inflight.set(seq, Date.now());
      this.stats.published++;
      c.publish(readingTopic(this.deviceId, this.topicRoot), toWire(r), { qos: 1 });
    }
    if (wake !== Infinity && !this.stopped) {
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => this.pump(), wake - now + 5);
    }
  }

  private resendStale(): void {
    const c = this.client;
    if (!c?.connected) return;
    const limit = Date.now() - (this.opts.receiptTimeoutMs ?? 10_000);
    // A slow but progressing network is not a lost message: only re-send when answers stopped.
    if (this.lastProgress > limit) return;
    for (const [seq, at] of this.inflight) {
      if (at > limit) continue;
      const r = this.journal.pending.get(seq);
      if (!r) {
        this.inflight.delete(seq);
        continue;
      }
      this.inflight.set(seq, Date.now());
      this.stats.republished++;
      c.publish(readingTopic(this.deviceId, this.topicRoot), toWire(r), { qos: 1 });
    }
    if (this.journal.lineCount > 10_000 && this.journal.lineCount > 4 * this.journal.pending.size) this.journal.compact();
  }

  private onMessage(topic: string, payload: Buffer): void {
    const body = openAnswer(payload, this.opts.networkId, topic, this.opts.bridgeAddress);
    if (body === null) {
      this.stats.forged++;
      return;
    }
    if (topic === receiptTopic(this.deviceId, this.topicRoot)) {
      const rs = parseReceipts(body);
      if (!rs) return;
      this.lastProgress = Date.now();
      for (const r of rs) {
        const seq = BigInt(r.seq);
        this.inflight.delete(seq);
        this.retry.delete(seq);
        if (this.journal.delivered(seq)) {
          if (r.status === "stored") this.stats.receipts++;
          else this.stats.duplicates++;
          this.emit("receipt", r);
        }
      }
      this.pump();
    } else if (topic === errorTopic(this.deviceId, this.topicRoot)) {
      const rej = parseRejection(body);
      if (!rej) return;
      this.stats.rejected++;
      this.lastProgress = Date.now();
      if (rej.seq !== undefined) {
        const seq = BigInt(rej.seq);
        // A final code drops the pending reading for good (never re-sent). A rejection cannot say
        // which copy it answers, but for a final code that does not matter: a conflicting copy is
        // refused EQUIVOCATION only once the network holds a reading under this seq, and this
        // one can then never be stored either. A non-final code (KEY_NOT_YET_VALID, transient)
        // keeps the reading: it is re-signed (or held) and re-sent after a back-off.
        this.inflight.delete(seq);
        const mine = this.journal.pending.get(seq);
        if (mine) {
          if (isFinalRejection(rej.code)) {
            this.journal.refused(seq, rej.code);
            this.retry.delete(seq);
            this.stats.dropped++;
          } else {
            this.resign(mine);
            this.backOff(seq);
          }
        }
      }
      this.emit("rejected", rej);
      this.pump();
    }
  }

  /** Postpones the next send of `seq` by the back-off of its attempt count (the pump wakes up then). */
  private backOff(seq: bigint): void {
    const attempts = (this.retry.get(seq)?.attempts ?? 0) + 1;
    const at = Date.now() + retryDelayMs(attempts);
    this.retry.set(seq, { attempts, at });
    this.stats.backedOff++;
    // The pump that follows the rejection sees the new `at` and sets its wake-up timer.
  }

  /** Resolves when every journaled reading has a receipt or rejection (or rejects on timeout). */
  async waitIdle(timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.journal.pending.size > 0) {
      if (Date.now() > until) throw new Error(`device ${this.deviceId}: ${this.journal.pending.size} readings still pending`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Drops the connection abruptly (fault injection: disconnect storm). */
  dropConnection(): void {
    this.client?.stream.destroy();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.enrolment.timer);
    clearTimeout(this.retryTimer);
    await this.client?.endAsync(true);
    this.journal.close();
  }
}
