/**
 * The MQTT bridge keeper. Two transports, same ingest pipeline (ingest.ts):
 *
 *  - embedded (default): an in-process Aedes broker on `mqttPort`. Devices authenticate at
 *    CONNECT with a signed token (sdk auth.ts) checked against the directory; the topic ACL lets a
 *    device publish only to its own reading topic and subscribe only to its own receipt/error
 *    topics. Readings are validated and stored inside `authorizePublish`, which runs before
 *    Aedes sends the PUBACK — so the ack follows the durable write. `drainTimeout` bounds how
 *    long one frozen client can stall the broker.
 *
 *    Forwarding: receipts and rejections come only from the bridge itself. A client's message
 *    is forwarded only when it is a stored reading, or an operator's message outside the answer
 *    namespace (`<root>/d/`) and `$` topics. Everything else a client publishes — a rejected
 *    reading, anything on another device's answer topics, a Will — is acknowledged and dropped:
 *    `authorizePublish` moves it to DROPPED_TOPIC, which no one may hear. Aedes speaks MQTT
 *    3.1/3.1.1 only (it refuses a v5 CONNECT), and in 3.1.1 a refused PUBLISH can only be
 *    acknowledged or answered by closing the connection (MQTT-3.3.5-2; an error from
 *    `authorizePublish` closes it). The device is kept connected and told why on its own error
 *    topic; only a transient failure (nothing stored) closes it, so the reading is re-sent.
 *  - external (`brokerUrl`): a subscriber on any MQTT broker (Mosquitto, EMQX). A persistent
 *    session (clean=false, stable client ids: `<topic root>-<instance id kept in the store>-<k>`)
 *    keeps readings queued at the broker while the bridge is down. The subscriber (subscriber.ts) hands every delivered PUBLISH to the pipeline at once
 *    and writes its PUBACK only after the store commit (mqtt.js would process one message at a
 *    time). The 16 reading shards are spread over `connections` subscriber connections; each
 *    device's readings stay in order on one connection.
 *
 * Devices treat a reading as delivered on the application receipt (receipt topic), not on the
 * PUBACK, so an external broker that loses its queue cannot lose acknowledged readings.
 *
 * Safe defaults on a shared broker: the topic root is the network's own (sdk `networkTopicRoot`);
 * every receipt and rejection is signed, by `--answer-key` or else by a key the bridge creates
 * once and keeps in its store (`meta` table), so a restart keeps the address devices check
 * (`--unsigned-answers` opts out, with a warning); client ids on an external broker carry the
 * topic root and a random instance id kept in the store.
 */
import { Aedes, type AedesOptions } from "aedes";
import mqtt, { type MqttClient } from "mqtt";
import net from "node:net";
import type { AddressInfo } from "node:net";
import os from "node:os";
import type { Provider } from "ethers";
import {
  CLOCK_DRIFT_ALLOWANCE_SEC,
  KEY_REVOCATION_DELAY_SEC,
  TOPIC_SHARDS,
  encodeReceipts,
  encodeRejection,
  errorTopic,
  receiptTopic,
  shardFilter,
  type Receipt,
  type Rejection,
} from "../../sdk/src/index.js";
import { silentLogger, type Logger } from "../common/log.js";
import {
  ConfigError,
  daemonOptions,
  opt,
  type OptionValues,
  rpcUrlOption,
  topicRootOption,
  storeOption,
} from "../common/options.js";
import { ChainConfigError, bindStoreToChain } from "../common/chain.js";
import { rewardDistributor } from "../common/rewards.js";
import { Service } from "../common/service.js";
import { openStore, type Store } from "../common/store/index.js";
import { OnChainDirectory, type DeviceDirectory } from "./directory.js";
import { BrokerAuth, brokerAuthOptions, checkBrokerAuthOptions } from "./broker-auth.js";
import { Ingestor, type Responder } from "./ingest.js";
import { SignaturePool } from "./signature-pool.js";
import { PipelinedSubscriber } from "./subscriber.js";
import { signDigestFast } from "./verify.js";
import {
  answerDigest,
  bytesToHex,
  generateKeyPair,
  hexToBytes,
  keyPairFromPrivate,
  networkTopicRoot,
} from "../../sdk/src/index.js";
import { randomBytes } from "node:crypto";

export const bridgeOptions = {
  store: storeOption(),
  brokerUrl: opt.string("external broker URL (mqtt://host:port); empty = embedded broker", { default: "" }),
  mqttPort: opt.int("embedded broker TCP port (0 = any free port)", { default: 1883, min: 0, max: 65535 }),
  mqttHost: opt.string("embedded broker bind address", { default: "127.0.0.1" }),
  topicRoot: topicRootOption(),
  connections: opt.int("subscriber connections to an external broker (divides 16)", { default: 8, min: 1, max: TOPIC_SHARDS }),
  clientId: opt.string(
    "client id prefix of the bridge's persistent sessions on an external broker; empty = <topic root with '/' as '_'>-<instance id kept in the store>",
    { default: "" },
  ),
  shareGroup: opt.string(
    "external broker: MQTT shared-subscription group ($share/<group>/…): several bridges with the same group split the device topics, each reading delivered to one of them (each bridge needs its own --client-id); empty = this bridge takes every shard",
    { default: "", pattern: /^$|^[A-Za-z0-9_-]{1,64}$/ },
  ),
  brokerUsername: opt.string("username on the external broker", { default: "" }),
  brokerPassword: opt.string("password on the external broker", { default: "", secret: true }),
  operatorPassword: opt.string("password of the `operator` MQTT user on the embedded broker (empty = disabled)", {
    default: "",
    secret: true,
  }),
  rpcUrl: rpcUrlOption(),
  directory: opt.string("IDeviceDirectory contract address", { pattern: /^0x[0-9a-fA-F]{40}$/ }),
  networkId: opt.bigint("network id (settlement chain id) that devices sign", { default: 31337n }),
  distributor: opt.string("RewardDistributor address: the epoch clock (genesis, length) is read from it", {
    default: "",
    pattern: /^$|^0x[0-9a-fA-F]{40}$/,
  }),
  genesisTime: opt.bigintOrChain("epoch 0 start (unix s); overrides the distributor's"),
  epochLength: opt.bigintOrChain("epoch length (s); overrides the distributor's", { min: 1n }),
  maxFutureSkewSec: opt.int("largest accepted clock skew into the future (s)", { default: 300, min: 0 }),
  maxAgeSec: opt.int("oldest accepted reading (s); must cover device offline time", { default: 7 * 86_400, min: 1 }),
  connectMaxSkewSec: opt.int("freshness window of a device's connect token (s)", { default: 600, min: 1 }),
  maxBatch: opt.int("messages per store transaction", { default: 512, min: 1, max: 10_000 }),
  verifyThreads: opt.int("signature-check threads (0 = on the main thread); default: one per core, at most 4", {
    default: os.availableParallelism() > 1 ? Math.min(4, os.availableParallelism()) : 0,
    min: 0,
    max: 64,
  }),
  directoryTtlMs: opt.int("directory cache TTL (ms)", { default: 60_000, min: 0 }),
  drainTimeoutMs: opt.int("embedded broker: drop a client that does not drain its socket within this (ms)", {
    default: 5_000,
    min: 100,
  }),
  responseQos: opt.int("QoS of receipts and rejections", { default: 1, min: 0, max: 1 }),
  answerKey: opt.string(
    "secp256k1 private key (0x + 64 hex) that signs every receipt and rejection; devices configured with its address ignore other answers (empty = a key the bridge creates once and keeps in its store)",
    { default: "", secret: true, pattern: /^$|^0x[0-9a-fA-F]{64}$/ },
  ),
  unsignedAnswers: opt.bool(
    "send receipts and rejections unsigned (anyone who may publish on the broker can then forge them; not for a shared broker)",
  ),
  synchronous: opt.oneOf(
    "SQLite synchronous mode: FULL survives power loss, NORMAL process crashes",
    ["FULL", "NORMAL"] as const,
    "FULL",
  ),
  ...brokerAuthOptions,
  ...daemonOptions({
    schedule: "*/10 * * * * *",
    metricsPort: 9101,
    scheduleHelp: "node-cron schedule of the directory refresh tick",
  }),
};
export type BridgeOptions = OptionValues<typeof bridgeOptions>;

/** Dependencies a test or embedding program can inject instead of building them from options. */
export interface BridgeDeps {
  store?: Store;
  directory?: DeviceDirectory;
  /** Chain access for the epoch clock (and the directory when none is given). */
  provider?: Provider;
  log?: Logger;
  now?: () => number;
}

type Principal = { kind: "device"; deviceId: bigint } | { kind: "operator" };

/**
 * Where the embedded broker sends what a client published but no one may receive. A `$SYS/`
 * topic: wildcard subscriptions never match it (MQTT-4.7.2-1; Aedes also keeps it out of offline
 * queues), and `mayHear` refuses it to everyone.
 */
export const DROPPED_TOPIC = "$SYS/depin-bridge/dropped";

export class Bridge extends Service {
  store!: Store;
  directory!: DeviceDirectory;
  ingestor!: Ingestor;
  signatures!: SignaturePool;
  private fallbackLogged = false;
  private answerSigner?: { priv: Uint8Array; publicId: string };
  /** The MQTT topic root in use: `--topic-root`, or the network's own (sdk networkTopicRoot). */
  readonly topicRoot: string;
  /** Client id prefix of the sessions on an external broker (after init). */
  clientId?: string;
  broker?: Aedes;
  private server?: net.Server;
  private subscribers: PipelinedSubscriber[] = [];
  /** Device admission: the CONNECT check, and on an external broker dynsec / HTTP auth (broker-auth.ts). */
  brokerAuth!: BrokerAuth;
  /** Publishes receipts and rejections when the bridge runs on an external broker. */
  private responder?: MqttClient;
  private readonly principals = new WeakMap<object, Principal>();
  /** Port the embedded broker listens on (after init). */
  mqttPort?: number;
  /** Epoch clock readings are filed under (options or the distributor). */
  clock!: { genesisTime: bigint; epochLength: bigint };

  constructor(
    readonly opts: BridgeOptions,
    private readonly deps: BridgeDeps = {},
  ) {
    super("bridge", deps.log ?? silentLogger);
    checkBrokerAuthOptions(opts);
    if (TOPIC_SHARDS % opts.connections !== 0)
      throw new Error(`invalid option --connections: must divide ${TOPIC_SHARDS}, got ${opts.connections}`);
    // A rotation or decommission takes effect KEY_REVOCATION_DELAY after its block. A reading the
    // bridge accepts before it sees the change is stamped at most skew + cache TTL after the
    // change's block (plus clock drift), so that sum must stay below the delay, or an owner could
    // rotate right after readings were accepted and leave them outside their key's window.
    const window = BigInt(opts.maxFutureSkewSec) + BigInt(Math.ceil(opts.directoryTtlMs / 1000));
    const limit = KEY_REVOCATION_DELAY_SEC - CLOCK_DRIFT_ALLOWANCE_SEC;
    if (window > limit)
      throw new Error(
        `invalid option --max-future-skew-sec: ${opts.maxFutureSkewSec} s plus the directory TTL ` +
          `(${opts.directoryTtlMs} ms) is ${window} s; it must stay at most ${limit} s (key revocation delay ` +
          `${KEY_REVOCATION_DELAY_SEC} s less ${CLOCK_DRIFT_ALLOWANCE_SEC} s clock drift)`,
      );
    this.topicRoot = opts.topicRoot || networkTopicRoot(opts.networkId, opts.directory);
    if (opts.answerKey && opts.unsignedAnswers) throw new ConfigError("unsignedAnswers", "cannot be combined with --answer-key");
    if (opts.shareGroup && !opts.brokerUrl) throw new ConfigError("shareGroup", "needs --broker-url (an external broker)");
    if (opts.shareGroup && !opts.clientId)
      throw new ConfigError(
        "shareGroup",
        "needs --client-id: every bridge of a shared group keeps its own persistent session (two bridges with one client id would disconnect each other)",
      );
    if (opts.answerKey) {
      let publicId: string;
      try {
        publicId = keyPairFromPrivate("secp256k1", opts.answerKey).publicId;
      } catch {
        throw new Error("invalid option --answer-key: not a valid secp256k1 private key");
      }
      this.answerSigner = { priv: hexToBytes(opts.answerKey), publicId };
    }
  }

  private nowSec(): number {
    return this.deps.now?.() ?? Date.now() / 1000;
  }

  /**
   * The epoch clock readings are filed under: the distributor's (genesis = start of epoch 0,
   * length = its duration), unless both options are given. A bridge whose clock differs from the
   * chain files readings into epochs whose window they miss, and they earn nothing: so a given
   * value that disagrees with the chain is a warning, and no clock at all is an error.
   */
  private async epochClock(provider: Provider | undefined): Promise<{ genesisTime: bigint; epochLength: bigint }> {
    const given = { genesisTime: this.opts.genesisTime, epochLength: this.opts.epochLength };
    let chain: { genesisTime: bigint; epochLength: bigint } | undefined;
    if (this.opts.distributor && provider) {
      const [start, end] = (await rewardDistributor(this.opts.distributor, provider).epochWindow(0n)) as [bigint, bigint];
      chain = { genesisTime: BigInt(start), epochLength: BigInt(end) - BigInt(start) };
    }
    if (!chain && (given.genesisTime === null || given.epochLength === null)) {
      throw new ConfigError(
        given.genesisTime === null ? "genesisTime" : "epochLength",
        "the epoch clock is unknown: give --distributor (or --deployment) to read it from the chain, or both --genesis-time and --epoch-length",
      );
    }
    const clock = { genesisTime: given.genesisTime ?? chain!.genesisTime, epochLength: given.epochLength ?? chain!.epochLength };
    if (chain && (clock.genesisTime !== chain.genesisTime || clock.epochLength !== chain.epochLength)) {
      this.log.warn("Bridge#epochClockDiffers", {
        given: { genesisTime: clock.genesisTime, epochLength: clock.epochLength },
        chain: { genesisTime: chain.genesisTime, epochLength: chain.epochLength },
        effect: "readings are filed into epochs the distributor does not use: they will earn nothing",
      });
    }
    this.log.info("Bridge#epochClock", { ...clock, source: chain && given.genesisTime === null ? "chain" : "options" });
    return clock;
  }

  async init(): Promise<void> {
    this.store = this.deps.store ?? openStore(this.opts.store, { synchronous: this.opts.synchronous });
    await this.store.init();
    await this.keysFromStore();
    let provider: Provider | undefined;
    if (!this.deps.directory || this.opts.distributor || this.opts.genesisTime === null || this.opts.epochLength === null) {
      provider = this.deps.provider ?? (await this.connectChain(this.opts.rpcUrl));
      if (!this.deps.provider) await bindStoreToChain(this.store, provider, { deviceRegistry: this.opts.directory });
    }
    this.directory =
      this.deps.directory ??
      new OnChainDirectory(this.opts.directory, provider!, {
        ttlMs: this.opts.directoryTtlMs,
        negativeTtlMs: Math.min(5_000, this.opts.directoryTtlMs),
      });
    this.clock = await this.epochClock(provider);
    const responder: Responder = {
      receipts: (d, rs) => this.respond(receiptTopic(d, this.topicRoot), encodeReceipts(rs)),
      reject: (d, r) => this.respond(errorTopic(d, this.topicRoot), encodeRejection(r)),
    };
    this.signatures = new SignaturePool(this.opts.networkId, this.opts.verifyThreads);
    this.ingestor = new Ingestor(
      this.store,
      this.directory,
      this.signatures,
      responder,
      {
        networkId: this.opts.networkId,
        epoch: this.clock,
        maxFutureSkewSec: this.opts.maxFutureSkewSec,
        maxAgeSec: this.opts.maxAgeSec,
        maxBatch: this.opts.maxBatch,
        maxVerifying: Math.max(2, 2 * this.opts.verifyThreads),
        topicRoot: this.topicRoot,
        now: this.deps.now,
      },
      this.registry,
      this.log,
    );
    // The effective topic root and client id (the network's own and the stored instance's, unless given).
    this.brokerAuth = await BrokerAuth.start(
      { ...this.opts, topicRoot: this.topicRoot, clientId: this.clientId! },
      {
        directory: this.directory,
        log: this.log,
        registry: this.registry,
        now: this.deps.now,
      },
    );
    if (this.opts.brokerUrl) await this.startSubscribers();
    else await this.startEmbedded();
  }

  /**
   * The answer key and the instance id, kept in the store's `meta` table: the first start creates
   * them, every later start (a restart, or the same store after a crash) reads the same ones, so
   * devices keep the answer address they were given and the broker sessions keep their client ids.
   */
  private async keysFromStore(): Promise<void> {
    const instance = await this.store.bindMeta("bridge.instanceId", bytesToHex(randomBytes(4)).slice(2));
    this.clientId = this.opts.clientId || `${this.topicRoot.replace(/\//g, "_")}-${instance}`;
    if (this.opts.unsignedAnswers) {
      this.log.warn("Bridge#unsignedAnswers", {
        msg: "receipts and rejections are NOT signed (--unsigned-answers): anyone who may publish on the broker can make a device forget a reading",
      });
    } else if (!this.answerSigner) {
      const key = await this.store.bindMeta("bridge.answerKey", generateKeyPair("secp256k1").privateKey);
      this.answerSigner = { priv: hexToBytes(key), publicId: keyPairFromPrivate("secp256k1", key).publicId };
    }
    this.log.info("Bridge#answers", {
      topicRoot: this.topicRoot,
      answerAddress: this.answerAddress,
      source: this.opts.unsignedAnswers ? "unsigned" : this.opts.answerKey ? "--answer-key" : "store",
      hint: this.answerAddress ? "give devices --bridge-address " + this.answerAddress : undefined,
    });
  }

  /** Address devices check answers against (`--answer-key` or the stored key), or null when answers are unsigned. */
  get answerAddress(): string | null {
    return this.answerSigner?.publicId ?? null;
  }

  private respond(topic: string, body: string): void {
    const qos = this.opts.responseQos as 0 | 1;
    const payload = this.answerSigner
      ? `${body}\n${signDigestFast(this.answerSigner.priv, answerDigest(this.opts.networkId, topic, body))}`
      : body;
    if (this.broker) {
      this.broker.publish(
        { cmd: "publish", topic, payload: Buffer.from(payload), qos, retain: false, dup: false },
        () => undefined,
      );
    } else {
      this.responder?.publish(topic, payload, { qos });
    }
  }

  /**
   * Whether `p` may hear (subscribe to, be forwarded) `topic`: a device its own receipts and
   * errors only; the operator anything but dropped messages.
   */
  private mayHear(p: Principal | undefined, topic: string): boolean {
    if (topic === DROPPED_TOPIC) return false;
    if (p?.kind === "operator") return true;
    const root = this.topicRoot;
    return p?.kind === "device" && (topic === receiptTopic(p.deviceId, root) || topic === errorTopic(p.deviceId, root));
  }

  private async startEmbedded(): Promise<void> {
    const readingPrefix = `${this.topicRoot}/r/`;
    /** Every device's receipt and error topics live under this prefix (sdk topics). */
    const answerPrefix = `${this.topicRoot}/d/`;
    const options: AedesOptions = {
      drainTimeout: this.opts.drainTimeoutMs,
      authenticate: (client, username, password, done) => {
        void this.authenticate(username, password).then(
          (p) => {
            if (!p) {
              const err = Object.assign(new Error("bad username or password"), { returnCode: 4 as const });
              return done(err, false);
            }
            this.principals.set(client, p);
            done(null, true);
          },
          (e: Error) => {
            this.log.warn("Bridge#authenticate", { err: e });
            done(Object.assign(new Error("server unavailable"), { returnCode: 3 as const }), false);
          },
        );
      },
      // The bridge's own receipts and errors never pass here (Aedes' publish() bypasses this
      // hook): only clients' publishes and Wills do, and a Will of a client that is gone comes
      // with client === null.
      authorizePublish: (client, packet, done) => {
        // Acknowledged (so the connection stays up) but delivered to no one.
        const drop = (): void => {
          packet.topic = DROPPED_TOPIC;
          packet.retain = false;
          packet.payload = Buffer.alloc(0);
          done(null);
        };
        if (client === null) return drop();
        const p = this.principals.get(client);
        if (!p) return done(new Error("not authenticated"));
        packet.retain = false; // nothing a client publishes is kept for later subscribers
        if (p.kind === "operator" && !packet.topic.startsWith(readingPrefix)) {
          // Operator tooling may talk on its own topics, never in the answer namespace or $SYS.
          return packet.topic.startsWith(answerPrefix) || packet.topic.startsWith("$") ? drop() : done(null);
        }
        const sender = p.kind === "device" ? p.deviceId : null;
        this.ingestor.submit(sender, packet.topic, packet.payload as Buffer, (err, accepted) => {
          if (err) return done(err); // nothing stored: no ack, the client re-sends
          // A stored reading goes on (to the operator's subscriptions; devices never hear readings).
          // A rejected one — including anything a device publishes outside its reading topic — is
          // answered on the sender's own error topic and dropped.
          return accepted ? done(null) : drop();
        });
      },
      authorizeSubscribe: (client, sub, done) => {
        const p = this.principals.get(client);
        if (this.mayHear(p, sub.topic)) return done(null, sub);
        // Most often a device configured with another topic root: it would never hear an answer.
        this.log.warn("Bridge#subscribeRefused", {
          device: p?.kind === "device" ? p.deviceId : undefined,
          topic: sub.topic,
          topicRoot: this.topicRoot,
        });
        done(new Error(`subscription to ${sub.topic} not allowed`));
      },
      // Readings are never forwarded to devices; receipts/errors only to their own device, and
      // only the bridge's own (a client's publish carries its client id: refused, in case one
      // ever got past authorizePublish).
      authorizeForward: (client, packet) => {
        const publisher = (packet as { clientId?: string }).clientId;
        if (packet.topic.startsWith(answerPrefix) && publisher !== undefined) return null;
        return this.mayHear(this.principals.get(client), packet.topic) ? packet : null;
      },
    };
    this.broker = await Aedes.createBroker(options);
    this.server = net.createServer(this.broker.handle);
    await new Promise<void>((resolve, reject) => {
      this.server!.once("error", (e: NodeJS.ErrnoException) =>
        reject(
          e.code === "EADDRINUSE"
            ? new ChainConfigError(
                `port ${this.opts.mqttHost}:${this.opts.mqttPort} is in use (another broker?): give --mqtt-port <free port>, ` +
                  `or run behind that broker with --broker-url mqtt://${this.opts.mqttHost}:${this.opts.mqttPort}`,
              )
            : e,
        ),
      );
      this.server!.listen(this.opts.mqttPort, this.opts.mqttHost, () => resolve());
    });
    this.mqttPort = (this.server.address() as AddressInfo).port;
    this.log.info("Bridge#embedded", { port: this.mqttPort });
  }

  /** Device: username = device id, password = signed connect token. Operator: fixed password. */
  private async authenticate(username: string | undefined, password: Buffer | undefined): Promise<Principal | null> {
    if (username === undefined || password === undefined) return null;
    const pw = password.toString("utf8");
    if (username === "operator") {
      return this.opts.operatorPassword !== "" && pw === this.opts.operatorPassword ? { kind: "operator" } : null;
    }
    if (!/^(0|[1-9]\d{0,19})$/.test(username) || BigInt(username) >= 1n << 64n) return null;
    const deviceId = BigInt(username);
    return (await this.brokerAuth.admission.checkToken(deviceId, pw)).ok ? { kind: "device", deviceId } : null;
  }

  private async startSubscribers(): Promise<void> {
    const per = TOPIC_SHARDS / this.opts.connections;
    this.responder = await mqtt.connectAsync(this.opts.brokerUrl, {
      clientId: `${this.clientId}-out`,
      clean: true,
      protocolVersion: 4,
      reconnectPeriod: 500,
      username: this.opts.brokerUsername || undefined,
      password: this.opts.brokerPassword || undefined,
    });
    this.responder.on("error", (e) => this.log.warn("Bridge#responder", { err: e }));
    for (let k = 0; k < this.opts.connections; k++) {
      const sub = new PipelinedSubscriber({
        url: this.opts.brokerUrl,
        clientId: `${this.clientId}-${k}`,
        // With a share group the broker hands each reading to one member's session of the group.
        filters: Array.from({ length: per }, (_, i) => {
          const f = shardFilter(k * per + i, this.topicRoot);
          return this.opts.shareGroup ? `$share/${this.opts.shareGroup}/${f}` : f;
        }),
        username: this.opts.brokerUsername || undefined,
        password: this.opts.brokerPassword || undefined,
        onPublish: (topic, payload, done) => this.ingestor.submit(null, topic, payload, done),
        log: this.log,
      });
      await sub.connect();
      this.subscribers.push(sub);
    }
    this.log.info("Bridge#external", {
      url: this.opts.brokerUrl,
      connections: this.opts.connections,
      topicRoot: this.topicRoot,
      clientId: this.clientId,
      shareGroup: this.opts.shareGroup || null,
    });
  }

  /** Ingest is event driven; the tick re-reads the directory for every device seen so far. */
  async tick(): Promise<void> {
    if (this.signatures.fallback && !this.fallbackLogged) {
      this.fallbackLogged = true;
      this.log.warn("Bridge#signatureThreads", { msg: this.signatures.fallback });
    }
    const n = (await this.directory.refresh?.()) ?? 0;
    this.log.debug("Bridge#refresh", { devices: n });
    await this.brokerAuth?.tick();
  }

  status(): Record<string, unknown> {
    return {
      service: "bridge",
      transport: this.broker ? "embedded" : "external",
      topicRoot: this.topicRoot,
      answerAddress: this.answerAddress,
      clientId: this.broker ? undefined : this.clientId,
      shareGroup: this.opts.shareGroup || undefined,
      mqttPort: this.mqttPort,
      store: this.store?.kind,
      counts: this.ingestor?.counts,
      signatureThreads: this.opts.verifyThreads,
      signatureFallback: this.signatures?.fallback,
      connectedClients: this.broker?.connectedClients,
      ...this.brokerAuth?.status(),
    };
  }

  async close(): Promise<void> {
    // Stop taking messages first, let the pipeline finish, then close the store.
    await Promise.all(this.subscribers.map((c) => c.close()));
    this.subscribers = [];
    await this.brokerAuth?.close();
    // Closing the broker disconnects its clients; only then can the listener finish closing.
    const closed = this.server ? new Promise<void>((r) => this.server!.close(() => r())) : Promise.resolve();
    if (this.broker) await new Promise<void>((r) => this.broker!.close(() => r()));
    await closed;
    await this.ingestor?.drain();
    await this.signatures?.close();
    await this.responder?.endAsync();
    await this.store?.close();
  }
}

export type { Receipt, Rejection };
