/**
 * Device admission on external brokers: the same guarantees as the embedded broker (bridge.ts),
 * whose CONNECT check and topic ACL this module holds.
 *
 *  - `Admission.checkToken` is the CONNECT check: a device's signed connect token (sdk auth.ts) is
 *    accepted when the device is Active, the token is fresh (`connectMaxSkewSec`) and it verifies
 *    against a key of the device not revoked at the token's timestamp.
 *  - `Admission.authorize` is the topic ACL: a device publishes only its own reading topic and hears
 *    only its own receipt and error topics; the bridge's account reads readings and writes answers;
 *    nobody else touches the network's topics.
 *  - Mosquitto (`--broker-acl dynsec`): dynsec.ts turns enrolled tokens into dynamic-security
 *    accounts and roles.
 *  - EMQX (`--auth-http-port`): `AuthHttpServer` serves EMQX's HTTP authentication and HTTP
 *    authorization calls with the two functions above (docs/broker.md).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { timingSafeEqual } from "node:crypto";
import { Counter, type Registry } from "prom-client";
import {
  connectDigest,
  deviceOfUsername,
  errorTopic,
  keyWindowAt,
  parseConnectPassword,
  readingTopic,
  receiptTopic,
  verifyDigest,
} from "../../sdk/src/index.js";
import type { Logger } from "../common/log.js";
import { ConfigError, opt } from "../common/options.js";
import { DeviceStatus, type DeviceDirectory, type DeviceKeyInfo } from "./directory.js";
import { DynsecEnrolment } from "./dynsec.js";
import { recoverAddress } from "./verify.js";

/** Options of the secured external broker (spread into the bridge's options). */
export const brokerAuthOptions = {
  brokerAcl: opt.oneOf(
    "access control on the external broker: none, or dynsec = the bridge manages Mosquitto's dynamic-security plugin (devices enrol their signed connect token; see docs/broker.md)",
    ["none", "dynsec"] as const,
    "none",
  ),
  enrolRate: opt.int("dynsec: enrol tokens checked per second at most; the excess is dropped and devices retry", {
    default: 50,
    min: 1,
    max: 10_000,
  }),
  enrolBurst: opt.int("dynsec: enrol tokens checked in one burst at most", { default: 200, min: 1, max: 100_000 }),
  enrolTokenTtlSec: opt.int(
    "dynsec: an enrolled token stops opening the device's account after this many seconds (the device then enrols a fresh one)",
    { default: 86_400, min: 60 },
  ),
  authHttpPort: opt.int(
    "port of the HTTP authentication/authorization endpoints for EMQX (POST /mqtt/auth, POST /mqtt/authz); -1 = off, 0 = any free port",
    { default: -1, min: -1, max: 65535 },
  ),
  authHttpHost: opt.string("bind address of the HTTP auth endpoints", { default: "127.0.0.1" }),
  authHttpSecret: opt.string(
    "bearer token the broker must send to the HTTP auth endpoints (Authorization: Bearer <secret>); required unless they bind to loopback",
    { default: "", secret: true },
  ),
};

/** Checks the broker-auth options against the rest of the bridge's; throws ConfigError naming the option. */
export function checkBrokerAuthOptions(o: {
  brokerUrl: string;
  brokerUsername: string;
  brokerPassword: string;
  brokerAcl: "none" | "dynsec";
  authHttpPort: number;
  authHttpHost: string;
  authHttpSecret: string;
}): void {
  if (o.brokerAcl === "dynsec") {
    if (!o.brokerUrl) throw new ConfigError("brokerAcl", "dynsec needs an external broker: give --broker-url");
    if (!o.brokerUsername || !o.brokerPassword)
      throw new ConfigError(
        "brokerAcl",
        "dynsec needs the bridge's broker account: give --broker-username and --broker-password (or DEPIN_BROKER_PASSWORD), as written by `broker-setup`",
      );
  }
  if (o.authHttpPort >= 0) {
    const loopback = o.authHttpHost === "127.0.0.1" || o.authHttpHost === "::1" || o.authHttpHost === "localhost";
    if (!loopback && !o.authHttpSecret)
      throw new ConfigError(
        "authHttpSecret",
        `the HTTP auth endpoints bind to ${o.authHttpHost}, reachable from other hosts: give a secret the broker sends as a bearer token`,
      );
    if (!o.brokerUsername || !o.brokerPassword)
      throw new ConfigError(
        "authHttpPort",
        "the HTTP auth endpoints admit the bridge's own account: give --broker-username and --broker-password",
      );
  }
}

export type TokenVerdict =
  | { ok: true; deviceId: bigint; timestamp: bigint; key: DeviceKeyInfo }
  | { ok: false; reason: "malformed" | "stale" | "not-active" | "bad-signature" };

export type Decision = "allow" | "deny" | "ignore";

export interface AdmissionParams {
  directory: DeviceDirectory;
  networkId: bigint;
  topicRoot: string;
  connectMaxSkewSec: number;
  /** The bridge's own account on the external broker (it reads readings and writes answers). */
  bridgeUsername: string;
  bridgePassword: string;
  now?: () => number;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Whether a topic filter (MQTT wildcards) can match a topic under `root`. */
export function filterReachesRoot(filter: string, root: string): boolean {
  const f = filter.split("/");
  const r = root.split("/");
  for (let i = 0; i < r.length; i++) {
    if (i >= f.length) return false;
    if (f[i] === "#") return true;
    if (f[i] !== "+" && f[i] !== r[i]) return false;
  }
  return f.length > r.length;
}

export class Admission {
  constructor(private readonly p: AdmissionParams) {}

  private nowSec(): number {
    return this.p.now?.() ?? Date.now() / 1000;
  }

  /**
   * The CONNECT check of a device (embedded broker, EMQX HTTP auth, Mosquitto enrolment): the
   * token must be fresh, the device Active, and the signature made by a key of the device that is
   * not revoked at the token's timestamp (during a pending rotation both keys identify it).
   */
  async checkToken(deviceId: bigint, password: string): Promise<TokenVerdict> {
    let token;
    try {
      token = parseConnectPassword(password);
    } catch {
      return { ok: false, reason: "malformed" };
    }
    if (Math.abs(Number(token.timestamp) - this.nowSec()) > this.p.connectMaxSkewSec) return { ok: false, reason: "stale" };
    const info = await this.p.directory.get(deviceId);
    if (info.status !== DeviceStatus.Active) return { ok: false, reason: "not-active" };
    const digest = connectDigest(this.p.networkId, deviceId, token.timestamp);
    const sig = Buffer.from(token.signature.slice(2), "hex");
    const current = info.keys.filter((k) => keyWindowAt(k, token.timestamp) !== "revoked");
    const who = sig.length === 65 ? recoverAddress(digest, sig) : null;
    const key = current.find((k) =>
      k.type === "secp256k1"
        ? who !== null && k.publicId === who
        : sig.length === 64 && verifyDigest("p256", k.publicId, digest, token.signature),
    );
    return key ? { ok: true, deviceId, timestamp: token.timestamp, key } : { ok: false, reason: "bad-signature" };
  }

  /**
   * Authentication on a broker that asks (EMQX): the bridge's account by its password, a device
   * (username = decimal device id) by its connect token; other usernames are not this network's
   * ("ignore": the broker's next authenticator decides).
   */
  async authenticate(username: string, password: string): Promise<{ result: Decision; reason?: string }> {
    if (this.p.bridgeUsername !== "" && username === this.p.bridgeUsername)
      return sameSecret(password, this.p.bridgePassword) ? { result: "allow" } : { result: "deny", reason: "bad-password" };
    const id = deviceOfUsername(username);
    if (id === null) return { result: "ignore" };
    const v = await this.checkToken(id, password);
    return v.ok ? { result: "allow" } : { result: "deny", reason: v.reason };
  }

  /**
   * The embedded broker's topic ACL for an authenticated user: a device may publish its own
   * reading topic and subscribe to its own receipt and error topics; the bridge may subscribe to
   * reading filters and publish answers; any other user may not touch this network's topics
   * (including by wildcard), and gets "ignore" elsewhere.
   */
  authorize(username: string, action: "publish" | "subscribe", topic: string): Decision {
    const root = this.p.topicRoot;
    if (this.p.bridgeUsername !== "" && username === this.p.bridgeUsername) {
      if (action === "subscribe") return topic.startsWith(`${root}/r/`) ? "allow" : "deny";
      const m = topic.startsWith(`${root}/d/`) ? /^(0|[1-9]\d{0,19})\/(receipt|error)$/.exec(topic.slice(root.length + 3)) : null;
      return m && BigInt(m[1]) < 1n << 64n ? "allow" : "deny";
    }
    const id = deviceOfUsername(username);
    if (id !== null) {
      if (action === "publish") return topic === readingTopic(id, root) ? "allow" : "deny";
      return topic === receiptTopic(id, root) || topic === errorTopic(id, root) ? "allow" : "deny";
    }
    return filterReachesRoot(topic, root) ? "deny" : "ignore";
  }
}

/**
 * EMQX's HTTP authenticator and HTTP authorizer (docs/broker.md): POST /mqtt/auth with
 * {"username","password"} and POST /mqtt/authz with {"username","topic","action"} answer
 * {"result":"allow"|"deny"|"ignore"}. Bodies above 4 KiB are refused; token checks in flight are
 * bounded (the excess gets 503, which EMQX treats as "ignore" — deny by its no_match setting).
 */
export class AuthHttpServer {
  private server?: http.Server;
  private inflight = 0;
  private readonly calls: Counter;
  port?: number;
  static readonly MAX_INFLIGHT = 64;

  constructor(
    private readonly admission: Admission,
    private readonly opts: { secret: string; log?: Logger; registry?: Registry },
  ) {
    this.calls = new Counter({
      name: "depin_bridge_auth_http_total",
      help: "HTTP auth/authz calls by endpoint and result",
      labelNames: ["endpoint", "result"],
      registers: opts.registry ? [opts.registry] : [],
    });
  }

  async listen(port: number, host: string): Promise<number> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      this.server!.once("error", (e: NodeJS.ErrnoException) =>
        reject(
          e.code === "EADDRINUSE"
            ? new ConfigError("authHttpPort", `port ${host}:${port} is in use: give another --auth-http-port`)
            : e,
        ),
      );
      this.server!.listen(port, host, () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this.port;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const endpoint = req.url === "/mqtt/auth" ? "auth" : req.url === "/mqtt/authz" ? "authz" : null;
    if (!endpoint) return send(404, { error: `no route ${req.url}` });
    if (req.method !== "POST") return send(405, { error: "POST only" });
    if (this.opts.secret && !sameSecret(req.headers.authorization ?? "", `Bearer ${this.opts.secret}`)) {
      this.calls.inc({ endpoint, result: "unauthorized" });
      return send(401, { error: "bad bearer token" });
    }
    let body: Record<string, unknown>;
    try {
      body = await readJson(req, 4096);
    } catch (e) {
      this.calls.inc({ endpoint, result: "bad-request" });
      return send((e as { status?: number }).status ?? 400, { error: (e as Error).message });
    }
    const str = (k: string): string | null => (typeof body[k] === "string" ? (body[k] as string) : null);
    const username = str("username");
    if (endpoint === "auth") {
      const password = str("password");
      if (username === null || password === null) return send(400, { error: "username and password must be strings" });
      if (this.inflight >= AuthHttpServer.MAX_INFLIGHT) {
        this.calls.inc({ endpoint, result: "busy" });
        return send(503, { error: "busy" });
      }
      this.inflight++;
      try {
        const d = await this.admission.authenticate(username, password);
        this.calls.inc({ endpoint, result: d.reason ?? d.result });
        if (d.result === "deny") this.opts.log?.info("Bridge#authRefused", { username, reason: d.reason });
        return send(200, { result: d.result, is_superuser: false });
      } catch (e) {
        this.calls.inc({ endpoint, result: "error" });
        this.opts.log?.warn("Bridge#authHttp", { err: e as Error });
        return send(503, { error: "directory unavailable" });
      } finally {
        this.inflight--;
      }
    }
    const topic = str("topic");
    const action = str("action");
    if (username === null || topic === null || (action !== "publish" && action !== "subscribe"))
      return send(400, { error: 'username and topic must be strings, action "publish" or "subscribe"' });
    const result = this.admission.authorize(username, action, topic);
    this.calls.inc({ endpoint, result });
    return send(200, { result });
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server!.close(() => r()));
    this.server = undefined;
  }
}

function readJson(req: http.IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        // Answered at once; the rest of the body is read and discarded.
        reject(Object.assign(new Error(`body larger than ${limit} bytes`), { status: 413 }));
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => {
      if (size > limit) return;
      try {
        const v: unknown = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error("body must be a JSON object");
        resolve(v as Record<string, unknown>);
      } catch (e) {
        reject(e instanceof SyntaxError ? new Error("body is not JSON") : (e as Error));
      }
    });
    req.on("error", reject);
  });
}

/** The bridge's part in securing an external broker: Mosquitto dynsec and/or EMQX HTTP auth. */
export class BrokerAuth {
  private constructor(
    readonly admission: Admission,
    readonly dynsec?: DynsecEnrolment,
    readonly http?: AuthHttpServer,
  ) {}

  /** Starts what the options ask for (`--broker-acl dynsec`, `--auth-http-port`). */
  static async start(
    o: {
      brokerUrl: string;
      brokerUsername: string;
      brokerPassword: string;
      clientId: string;
      topicRoot: string;
      networkId: bigint;
      connectMaxSkewSec: number;
      brokerAcl: "none" | "dynsec";
      enrolRate: number;
      enrolBurst: number;
      enrolTokenTtlSec: number;
      authHttpPort: number;
      authHttpHost: string;
      authHttpSecret: string;
    },
    ctx: { directory: DeviceDirectory; log: Logger; registry: Registry; now?: () => number },
  ): Promise<BrokerAuth> {
    const admission = new Admission({
      directory: ctx.directory,
      networkId: o.networkId,
      topicRoot: o.topicRoot,
      connectMaxSkewSec: o.connectMaxSkewSec,
      bridgeUsername: o.brokerUsername,
      bridgePassword: o.brokerPassword,
      now: ctx.now,
    });
    let dynsec: DynsecEnrolment | undefined;
    let server: AuthHttpServer | undefined;
    try {
      if (o.brokerAcl === "dynsec") {
        dynsec = await DynsecEnrolment.start({
          url: o.brokerUrl,
          username: o.brokerUsername,
          password: o.brokerPassword,
          clientId: o.clientId,
          topicRoot: o.topicRoot,
          admission,
          directory: ctx.directory,
          tokenTtlSec: o.enrolTokenTtlSec,
          rate: o.enrolRate,
          burst: o.enrolBurst,
          log: ctx.log,
          registry: ctx.registry,
          now: ctx.now,
        });
      }
      if (o.authHttpPort >= 0) {
        server = new AuthHttpServer(admission, { secret: o.authHttpSecret, log: ctx.log, registry: ctx.registry });
        const port = await server.listen(o.authHttpPort, o.authHttpHost);
        ctx.log.info("Bridge#authHttp", { host: o.authHttpHost, port, endpoints: ["POST /mqtt/auth", "POST /mqtt/authz"] });
      }
    } catch (e) {
      await dynsec?.close();
      await server?.close();
      throw e;
    }
    return new BrokerAuth(admission, dynsec, server);
  }

  /** After the directory refresh: drops broker accounts of devices that may no longer connect. */
  async tick(): Promise<void> {
    await this.dynsec?.tick();
  }

  status(): Record<string, unknown> {
    return {
      ...(this.dynsec ? { dynsec: this.dynsec.status() } : {}),
      ...(this.http ? { authHttpPort: this.http.port } : {}),
    };
  }

  async close(): Promise<void> {
    await this.dynsec?.close();
    await this.http?.close();
  }
}
