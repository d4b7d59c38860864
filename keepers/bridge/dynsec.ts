/**
 * The bridge as manager of Mosquitto's dynamic-security plugin (`--broker-acl dynsec`).
 *
 * Mosquitto cannot run the bridge's signature check at CONNECT, so a device proves itself ahead
 * of connecting (sdk broker.ts): with the shared enrol account, which may publish only to
 * `<root>/enrol/+` and read nothing, it publishes its signed connect token on its enrol topic. The
 * bridge (subscribed there) checks the token exactly as the embedded broker checks a CONNECT
 * (broker-auth.ts `Admission.checkToken`) and then makes the token the password of the dynsec
 * client named by the device id, with a role of the device's own topics only: publish its reading
 * topic, subscribe to and receive its receipt and error topics. The device then connects as
 * `<deviceId>` with that token.
 *
 *  - Only a strictly newer (or the same) token replaces an enrolled one, so a replayed older token
 *    cannot take a device's account back; the identical token is a no-op (no broker command, no
 *    kick of the connected device).
 *  - Checks are bounded: a token bucket (`--enrol-rate`, `--enrol-burst`), one queued token per
 *    device, at most `CONCURRENCY` checks at once; the rest is dropped and counted. A flood of
 *    enrol messages delays enrolments, never ingest.
 *  - On every directory refresh tick, accounts of devices that are no longer Active, whose enrolled
 *    key is revoked (rotation) or whose token is older than `--enrol-token-ttl-sec` are deleted;
 *    Mosquitto disconnects a client whose account is deleted.
 *  - The bridge recognises its accounts by a marker in their `textdescription` (with its topic
 *    root), finds them again after a restart (listClients), and never touches an account of the
 *    same name that is not its own (logged as a conflict).
 */
import { createHash, randomUUID } from "node:crypto";
import mqtt, { type MqttClient } from "mqtt";
import { Counter, Gauge, type Registry } from "prom-client";
import {
  MAX_ENROL_PAYLOAD,
  deviceOfEnrolTopic,
  errorTopic,
  keyWindowAt,
  readingTopic,
  receiptTopic,
} from "../../sdk/src/index.js";
import type { Logger } from "../common/log.js";
import type { Admission } from "./broker-auth.js";
import { DeviceStatus, type DeviceDirectory } from "./directory.js";

export const DYNSEC_CONTROL_TOPIC = "$CONTROL/dynamic-security/v1";
export const DYNSEC_RESPONSE_TOPIC = `${DYNSEC_CONTROL_TOPIC}/response`;

export interface DynsecResponse {
  command: string;
  error?: string;
  data?: Record<string, unknown>;
  correlationData?: string;
}

/** Sends dynamic-security commands over an MQTT connection with the right to `$CONTROL`. */
export class DynsecControl {
  private readonly pending = new Map<string, (r: DynsecResponse) => void>();

  constructor(private readonly client: MqttClient) {}

  /** Feeds a message of the response topic (the caller owns the connection's message handler). */
  onResponse(payload: Buffer): void {
    let msg: { responses?: DynsecResponse[] };
    try {
      msg = JSON.parse(payload.toString("utf8")) as { responses?: DynsecResponse[] };
    } catch {
      return;
    }
    for (const r of msg.responses ?? []) {
      const done = r.correlationData === undefined ? undefined : this.pending.get(r.correlationData);
      if (done) {
        this.pending.delete(r.correlationData!);
        done(r);
      }
    }
  }

  /** Runs `commands` (in order, in one message) and resolves with their responses. */
  async run(commands: Record<string, unknown>[], timeoutMs = 10_000): Promise<DynsecResponse[]> {
    const ids = commands.map(() => randomUUID());
    const answers = ids.map(
      (id) =>
        new Promise<DynsecResponse>((resolve, reject) => {
          const t = setTimeout(() => {
            this.pending.delete(id);
            reject(
              new Error(
                `no dynamic-security response within ${timeoutMs} ms (is the plugin loaded, may the bridge's account use $CONTROL?)`,
              ),
            );
          }, timeoutMs);
          this.pending.set(id, (r) => {
            clearTimeout(t);
            resolve(r);
          });
        }),
    );
    const body = JSON.stringify({ commands: commands.map((c, i) => ({ ...c, correlationData: ids[i] })) });
    await this.client.publishAsync(DYNSEC_CONTROL_TOPIC, body, { qos: 1 });
    return Promise.all(answers);
  }

  /** Runs one command; throws on an error other than those listed in `tolerate`. */
  async one(command: Record<string, unknown>, tolerate: string[] = []): Promise<DynsecResponse> {
    const [r] = await this.run([command]);
    if (r.error && !tolerate.includes(r.error)) throw new Error(`dynsec ${String(command.command)}: ${r.error}`);
    return r;
  }
}

/** The ACL of one device's role (sdk topics): its reading topic out, its answers in. */
export function deviceAcls(deviceId: bigint, root: string): { acltype: string; topic: string; allow: boolean }[] {
  const answers = [receiptTopic(deviceId, root), errorTopic(deviceId, root)];
  return [
    { acltype: "publishClientSend", topic: readingTopic(deviceId, root), allow: true },
    ...answers.map((topic) => ({ acltype: "subscribeLiteral", topic, allow: true })),
    ...answers.map((topic) => ({ acltype: "publishClientReceive", topic, allow: true })),
  ];
}

export function deviceRoleName(deviceId: bigint, root: string): string {
  return `depin-device:${root}:${deviceId}`;
}

interface Enrolled {
  /** Token timestamp (unix s). */
  ts: bigint;
  /** The device key that signed it (checked against revocations on every tick). */
  keyId: string;
  /** sha256 of the token: the same token again is a no-op. */
  hash: string;
}

/** What the bridge writes in a device account's `textdescription` to know it again. */
interface Marker {
  depin: { root: string; ts: string; key: string; h: string };
}

function parseMarker(text: unknown, root: string): Enrolled | null {
  if (typeof text !== "string") return null;
  try {
    const m = JSON.parse(text) as Marker;
    if (m?.depin?.root !== root || !/^\d+$/.test(m.depin.ts)) return null;
    return { ts: BigInt(m.depin.ts), keyId: String(m.depin.key), hash: String(m.depin.h) };
  } catch {
    return null;
  }
}

export interface EnrolmentParams {
  url: string;
  username: string;
  password: string;
  clientId: string;
  topicRoot: string;
  admission: Admission;
  directory: DeviceDirectory;
  tokenTtlSec: number;
  rate: number;
  burst: number;
  log: Logger;
  registry: Registry;
  now?: () => number;
}

type EnrolResult =
  | "enrolled"
  | "unchanged"
  | "replayed"
  | "malformed"
  | "stale"
  | "not-active"
  | "bad-signature"
  | "conflict"
  | "dropped"
  | "error";

export class DynsecEnrolment {
  static readonly CONCURRENCY = 4;
  private client!: MqttClient;
  private control!: DynsecControl;
  readonly enrolled = new Map<bigint, Enrolled>();
  private readonly queue = new Map<bigint, string>();
  private active = 0;
  private tokens: number;
  private refilledAt = Date.now();
  private readonly results: Counter;
  private readonly gauge: Gauge;
  readonly counts: Partial<Record<EnrolResult | "revoked", number>> = {};
  private lastDropLog = 0;
  private closing = false;

  private constructor(private readonly p: EnrolmentParams) {
    this.tokens = p.burst;
    this.results = new Counter({
      name: "depin_bridge_enrolments_total",
      help: "dynsec enrol tokens by result (enrolled, unchanged, replayed, stale, not-active, bad-signature, malformed, conflict, dropped, error) and accounts revoked",
      labelNames: ["result"],
      registers: [p.registry],
    });
    this.gauge = new Gauge({
      name: "depin_bridge_enrolled_devices",
      help: "device accounts the bridge keeps on the broker",
      registers: [p.registry],
    });
  }

  private nowSec(): number {
    return this.p.now?.() ?? Date.now() / 1000;
  }

  private count(r: EnrolResult | "revoked"): void {
    this.counts[r] = (this.counts[r] ?? 0) + 1;
    this.results.inc({ result: r });
  }

  /** Connects with the bridge's account, loads its device accounts, subscribes to enrolments. */
  static async start(p: EnrolmentParams): Promise<DynsecEnrolment> {
    const e = new DynsecEnrolment(p);
    await e.connect();
    return e;
  }

  private async connect(): Promise<void> {
    const root = this.p.topicRoot;
    this.client = await mqtt.connectAsync(this.p.url, {
      clientId: `${this.p.clientId}-dynsec`,
      clean: true,
      protocolVersion: 4,
      reconnectPeriod: 1000,
      username: this.p.username,
      password: this.p.password,
    });
    this.control = new DynsecControl(this.client);
    this.client.on("error", (err) => this.p.log.warn("Bridge#dynsecConnection", { err }));
    this.client.on("message", (topic, payload) => {
      if (topic === DYNSEC_RESPONSE_TOPIC) this.control.onResponse(payload);
      else this.onEnrol(topic, payload);
    });
    const granted = await this.client.subscribeAsync({
      [DYNSEC_RESPONSE_TOPIC]: { qos: 1 },
      [`${root}/enrol/+`]: { qos: 0 },
    });
    const refused = granted.filter((g) => g.qos === 128).map((g) => g.topic);
    if (refused.length) {
      await this.client.endAsync(true);
      throw new Error(
        `the broker refused the bridge's subscriptions ${refused.join(", ")}: the account ${this.p.username} needs the roles broker-setup creates for topic root ${root}`,
      );
    }
    const list = await this.control.one({ command: "listClients", verbose: true, count: -1 });
    const clients = ((list.data?.clients ?? []) as { username: string; textdescription?: string }[]) ?? [];
    for (const c of clients) {
      const rec = parseMarker(c.textdescription, root);
      if (rec && /^(0|[1-9]\d{0,19})$/.test(c.username)) this.enrolled.set(BigInt(c.username), rec);
    }
    this.gauge.set(this.enrolled.size);
    this.p.log.info("Bridge#dynsec", { topicRoot: root, enrolTopic: `${root}/enrol/+`, devices: this.enrolled.size });
  }

  private takeToken(): boolean {
    const now = Date.now();
    this.tokens = Math.min(this.p.burst, this.tokens + ((now - this.refilledAt) / 1000) * this.p.rate);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private onEnrol(topic: string, payload: Buffer): void {
    if (this.closing) return;
    const id = deviceOfEnrolTopic(topic, this.p.topicRoot);
    if (id === null || payload.length > MAX_ENROL_PAYLOAD) return this.count("malformed");
    const token = payload.toString("utf8");
    // The enrolled token again (a device reconnecting, or anyone replaying it): nothing to do.
    if (this.enrolled.get(id)?.hash === sha256(token)) return this.count("unchanged");
    if (!this.queue.has(id) && (this.queue.size >= this.p.burst || !this.takeToken())) {
      this.count("dropped");
      if (Date.now() - this.lastDropLog > 10_000) {
        this.lastDropLog = Date.now();
        this.p.log.warn("Bridge#enrolDropped", {
          dropped: this.counts.dropped,
          rate: this.p.rate,
          msg: "enrol tokens arrive faster than --enrol-rate: the excess is dropped, devices retry with back-off",
        });
      }
      return;
    }
    this.queue.set(id, token); // the latest token of a device replaces a queued one
    this.pump();
  }

  private pump(): void {
    while (this.active < DynsecEnrolment.CONCURRENCY && this.queue.size > 0) {
      const [id, token] = this.queue.entries().next().value as [bigint, string];
      this.queue.delete(id);
      this.active++;
      void this.enrol(id, token)
        .then(
          (r) => this.count(r),
          (err: Error) => {
            this.count("error");
            this.p.log.warn("Bridge#enrol", { deviceId: id, err });
          },
        )
        .finally(() => {
          this.active--;
          this.pump();
        });
    }
  }

  private async enrol(id: bigint, token: string): Promise<EnrolResult> {
    const root = this.p.topicRoot;
    const v = await this.p.admission.checkToken(id, token);
    if (!v.ok) {
      this.p.log.debug("Bridge#enrolRefused", { deviceId: id, reason: v.reason });
      return v.reason;
    }
    const known = this.enrolled.get(id);
    if (known && v.timestamp < known.ts) return "replayed";
    const rec: Enrolled = { ts: v.timestamp, keyId: v.key.publicId, hash: sha256(token) };
    const marker: Marker = { depin: { root, ts: rec.ts.toString(), key: rec.keyId, h: rec.hash } };
    const account = {
      username: id.toString(),
      password: token,
      textname: `depin device ${id}`,
      textdescription: JSON.stringify(marker),
      roles: [{ rolename: deviceRoleName(id, root) }],
    };
    // A known account gets the new password; an unknown one (or one lost with a broker restart
    // without persistence) is created with its role.
    const modified = known
      ? await this.control.one({ command: "modifyClient", ...account }, ["Client not found", "Role not found"])
      : null;
    if (!modified || modified.error) {
      const [role, created] = await this.control.run([
        { command: "createRole", rolename: deviceRoleName(id, root), acls: deviceAcls(id, root) },
        { command: "createClient", ...account },
      ]);
      if (role.error && role.error !== "Role already exists") throw new Error(`dynsec createRole: ${role.error}`);
      if (created.error) {
        if (created.error !== "Client already exists") throw new Error(`dynsec createClient: ${created.error}`);
        // An account of that name exists: take it over only if it is ours (a restart lost track).
        const got = await this.control.one({ command: "getClient", username: account.username });
        const client = got.data?.client as { textdescription?: string } | undefined;
        if (!parseMarker(client?.textdescription, root)) {
          this.p.log.warn("Bridge#enrolConflict", {
            deviceId: id,
            msg: `the broker has an account "${id}" the bridge did not create (another network or a manual account): not touched`,
          });
          return "conflict";
        }
        await this.control.one({ command: "modifyClient", ...account });
      }
    }
    this.enrolled.set(id, rec);
    this.gauge.set(this.enrolled.size);
    this.p.log.info("Bridge#enrolled", { deviceId: id, tokenTime: rec.ts, key: rec.keyId });
    return "enrolled";
  }

  /**
   * Called after the directory refresh: deletes the account of every device that may no longer
   * connect (not Active, enrolled key revoked, token older than the TTL). Returns how many.
   */
  async tick(): Promise<number> {
    const now = this.nowSec();
    let revoked = 0;
    for (const [id, rec] of [...this.enrolled]) {
      const info = await this.p.directory.get(id);
      const key = info.keys.find((k) => k.publicId === rec.keyId);
      const reason =
        info.status !== DeviceStatus.Active
          ? `device status ${DeviceStatus[info.status]}`
          : !key || keyWindowAt(key, BigInt(Math.floor(now))) === "revoked"
            ? "key revoked"
            : now - Number(rec.ts) > this.p.tokenTtlSec
              ? "token expired"
              : null;
      if (!reason) continue;
      await this.revoke(id, reason);
      revoked++;
    }
    return revoked;
  }

  private async revoke(id: bigint, reason: string): Promise<void> {
    await this.control.one({ command: "deleteClient", username: id.toString() }, ["Client not found"]);
    await this.control.one({ command: "deleteRole", rolename: deviceRoleName(id, this.p.topicRoot) }, ["Role not found"]);
    this.enrolled.delete(id);
    this.gauge.set(this.enrolled.size);
    this.count("revoked");
    this.p.log.info("Bridge#accountRevoked", { deviceId: id, reason });
  }

  /** Resolves when no enrolment is queued or being checked (tests). */
  async idle(): Promise<void> {
    while (this.active > 0 || this.queue.size > 0) await new Promise((r) => setTimeout(r, 10));
  }

  status(): Record<string, unknown> {
    return { mode: "dynsec", enrolledDevices: this.enrolled.size, queued: this.queue.size, results: this.counts };
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.idle();
    await this.client?.endAsync();
  }
}

function sha256(s: string): string {
  return createHash("sha256").update(s).digest("hex");
}
