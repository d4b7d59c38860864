/**
 * Device fleet simulator: N devices, each recording R readings/s, against any broker, with
 * injectable faults. Keys are derived deterministically from a seed (so a test or operator can
 * register the same fleet on-chain first). Faults are injected as extra messages next to the
 * honest stream (a skewed reading is stamped `skewSec` ahead), except `storm`, which drops the
 * device's connection abruptly and so disturbs the honest stream itself.
 */
import { keccak_256 } from "@noble/hashes/sha3";
import { mkdirSync } from "node:fs";
import path from "node:path";
import {
  bytesToHex,
  generateKeyPair,
  keyPairFromPrivate,
  readingTopic,
  signReading,
  toWire,
  type DeviceKeyPair,
  type KeyType,
  type RejectCode,
} from "../sdk/src/index.js";
import { Device } from "./device.js";

export const FAULTS = ["bad-signature", "replay", "skew", "oversize", "foreign-topic", "storm"] as const;
export type Fault = (typeof FAULTS)[number];

export interface FleetOptions {
  brokerUrl: string;
  /** MQTT topic root of the network (the bridge's; sdk `networkTopicRoot` by default). */
  topicRoot: string;
  /** The bridge's answer-signing address; devices then ignore unsigned receipts (Device). */
  bridgeAddress?: string;
  /** "enrol": the devices enrol their connect token on a Mosquitto the bridge secures (Device). */
  brokerAuth?: "token" | "enrol";
  enrolUsername?: string;
  enrolPassword?: string;
  networkId: bigint;
  devices: number;
  /** Readings per second per device. */
  rate: number;
  /** First device id. */
  firstDeviceId: bigint;
  keyType: KeyType | "mixed";
  seed: string;
  dataDir: string;
  /** Probability per honest reading of injecting each fault (0..1). */
  faults: Partial<Record<Fault, number>>;
  skewSec?: number;
  fsync?: boolean;
  receiptTimeoutMs?: number;
  /**
   * The devices' own keys (a key file, sdk/src/keyfile.ts) instead of seed-derived ones: one
   * device per entry, with the entry's deviceId (else firstDeviceId + index); `devices`,
   * `keyType` and `seed` are then ignored.
   */
  keys?: { deviceId?: bigint; key: DeviceKeyPair }[];
  /** Range of the honest readings' values (uniform); default 0..999,999. */
  values?: { min: number; max: number };
}

/** Deterministic key of device `index` of a fleet. */
export function fleetKey(seed: string, index: number, type: KeyType): DeviceKeyPair {
  const priv = keccak_256(new TextEncoder().encode(`${seed}/${index}/${type}`));
  return keyPairFromPrivate(type, bytesToHex(priv));
}

export function fleetKeyType(opts: Pick<FleetOptions, "keyType">, index: number): KeyType {
  return opts.keyType === "mixed" ? (index % 2 === 0 ? "secp256k1" : "p256") : opts.keyType;
}

export class Fleet {
  readonly devices: Device[] = [];
  private timers: NodeJS.Timeout[] = [];
  readonly rejections = new Map<RejectCode, number>();
  readonly injected = new Map<Fault, number>();

  constructor(readonly opts: FleetOptions) {
    mkdirSync(opts.dataDir, { recursive: true });
    const count = opts.keys ? opts.keys.length : opts.devices;
    for (let i = 0; i < count; i++) {
      const given = opts.keys?.[i];
      const deviceId = given?.deviceId ?? opts.firstDeviceId + BigInt(i);
      const d = new Device({
        deviceId,
        key: given ? given.key : fleetKey(opts.seed, i, fleetKeyType(opts, i)),
        networkId: opts.networkId,
        brokerUrl: opts.brokerUrl,
        topicRoot: opts.topicRoot,
        bridgeAddress: opts.bridgeAddress,
        brokerAuth: opts.brokerAuth,
        enrolUsername: opts.enrolUsername,
        enrolPassword: opts.enrolPassword,
        journalFile: path.join(opts.dataDir, `device-${deviceId}.journal`),
        fsync: opts.fsync ?? false,
        receiptTimeoutMs: opts.receiptTimeoutMs ?? 5_000,
      });
      d.on("rejected", (r) => this.rejections.set(r.code, (this.rejections.get(r.code) ?? 0) + 1));
      this.devices.push(d);
    }
  }

  async start(): Promise<void> {
    await Promise.all(this.devices.map((d) => d.start()));
  }

  /** Starts recording at the configured rate; `stopRecording()` ends it. */
  run(): void {
    const period = 1000 / this.opts.rate;
    this.devices.forEach((d, i) => {
      const t = setInterval(() => this.step(d, i), period);
      this.timers.push(t);
    });
  }

  stopRecording(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  private chance(f: Fault): boolean {
    const p = this.opts.faults[f] ?? 0;
    const hit = p > 0 && Math.random() < p;
    if (hit) this.injected.set(f, (this.injected.get(f) ?? 0) + 1);
    return hit;
  }

  /** One honest reading plus whichever faults fire. */
  step(d: Device, index: number): void {
    const { min, max } = this.opts.values ?? { min: 0, max: 999_999 };
    d.record(min + Math.floor(Math.random() * (max - min + 1)));
    const topic = readingTopic(d.deviceId, d.topicRoot);
    const far = d.journal.nextSeq() + 1_000_000_000n; // never a real pending seq
    if (this.chance("bad-signature")) {
      const bad = signReading(this.opts.networkId, generateKeyPair("secp256k1"), {
        deviceId: d.deviceId,
        seq: far,
        timestamp: BigInt(d.now()),
        value: 1n,
      });
      d.publishRaw(topic, toWire(bad));
    }
    if (this.chance("replay") && d.journal.lastSeq !== null && d.journal.lastSeq > 0n) {
      const seq = d.journal.lastSeq - 1n;
      if (!d.journal.pending.has(seq)) {
        const again = signReading(this.opts.networkId, d.opts.key, {
          deviceId: d.deviceId,
          seq,
          timestamp: BigInt(d.now()),
          value: 424242n,
        });
        d.publishRaw(topic, toWire(again));
      }
    }
    if (this.chance("skew")) {
      const ahead = BigInt(d.now() + (this.opts.skewSec ?? 3600));
      d.publishRaw(
        topic,
        toWire(signReading(this.opts.networkId, d.opts.key, { deviceId: d.deviceId, seq: far, timestamp: ahead, value: 1n })),
      );
    }
    if (this.chance("oversize")) d.publishRaw(topic, JSON.stringify({ v: 1, pad: "x".repeat(2048) }));
    if (this.chance("foreign-topic") && this.devices.length > 1) {
      const other = this.devices[(index + 1) % this.devices.length];
      const r = signReading(this.opts.networkId, d.opts.key, {
        deviceId: d.deviceId,
        seq: far,
        timestamp: BigInt(d.now()),
        value: 1n,
      });
      d.publishRaw(readingTopic(other.deviceId, d.topicRoot), toWire(r));
    }
    if (this.chance("storm")) d.dropConnection();
  }

  get pending(): number {
    return this.devices.reduce((s, d) => s + d.pendingCount, 0);
  }

  summary(): Record<string, unknown> {
    const sum = (k: keyof Device["stats"]): number => this.devices.reduce((s, d) => s + d.stats[k], 0);
    return {
      devices: this.devices.length,
      recorded: sum("recorded"),
      receipts: sum("receipts"),
      duplicateReceipts: sum("duplicates"),
      republished: sum("republished"),
      rejected: Object.fromEntries(this.rejections),
      injected: Object.fromEntries(this.injected),
      pending: this.pending,
    };
  }

  async waitIdle(timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.pending > 0) {
      if (Date.now() > until) throw new Error(`${this.pending} readings still pending after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<void> {
    this.stopRecording();
    await Promise.all(this.devices.map((d) => d.stop()));
  }
}
