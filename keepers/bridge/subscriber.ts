/**
 * A minimal MQTT 3.1.1 subscriber that pipelines QoS 1 deliveries, for the bridge on an external
 * broker. mqtt.js processes one incoming packet at a time and waits for `handleMessage` to call
 * back before parsing the next, so with store-before-ack every reading would pay a full store
 * transaction on its own. Here every PUBLISH of a TCP read is handed to the ingest pipeline at
 * once (in order); each PUBACK is written when that reading's store transaction has committed.
 * The broker's in-flight window (Mosquitto: max_inflight_messages, default 20) bounds how many
 * are outstanding per connection.
 *
 * Session: clean=false with a fixed client id, so the broker keeps the subscription and queues
 * readings while the bridge is down, and re-delivers unacknowledged ones after a reconnect (the
 * pipeline absorbs the duplicates). Reconnects on its own after a connection loss.
 */
import net from "node:net";
import mqttPacket, { type Packet } from "mqtt-packet";
import { silentLogger, type Logger } from "../common/log.js";

export interface SubscriberOptions {
  url: string;
  clientId: string;
  filters: string[];
  username?: string;
  password?: string;
  keepaliveSec?: number;
  reconnectMs?: number;
  /** Called in arrival order; `done()` (no error) sends the PUBACK, `done(err)` withholds it. */
  onPublish(topic: string, payload: Buffer, done: (err?: Error) => void): void;
  log?: Logger;
}

export class PipelinedSubscriber {
  private socket?: net.Socket;
  private closing = false;
  private ping?: NodeJS.Timeout;
  private readonly log: Logger;
  /** Incremented per connection, so acks of a dropped connection are not written to the next. */
  private generation = 0;

  constructor(private readonly opts: SubscriberOptions) {
    this.log = opts.log ?? silentLogger;
  }

  /** Connects and subscribes; resolves on the SUBACK of the first connection. */
  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      let first = true;
      const attempt = (): void => {
        if (this.closing) return;
        const gen = ++this.generation;
        const u = new URL(this.opts.url);
        const socket = net.connect(Number(u.port || 1883), u.hostname);
        this.socket = socket;
        socket.setNoDelay(true);
        const parser = mqttPacket.parser({ protocolVersion: 4 });
        const send = (p: Packet): void => {
          if (gen === this.generation && !socket.destroyed) socket.write(mqttPacket.generate(p));
        };
        parser.on("packet", (p: Packet) => {
          switch (p.cmd) {
            case "connack":
              if (p.returnCode !== 0) {
                const err = new Error(`broker refused the connection (return code ${p.returnCode})`);
                if (first) reject(err);
                socket.destroy();
                return;
              }
              send({
                cmd: "subscribe",
                messageId: 1,
                subscriptions: this.opts.filters.map((topic) => ({ topic, qos: 1 as const })),
              });
              break;
            case "suback":
              if (first) {
                first = false;
                resolve();
              }
              break;
            case "publish": {
              const { messageId, qos } = p;
              this.opts.onPublish(p.topic, p.payload as Buffer, (err) => {
                if (err) return; // not acknowledged: the broker re-delivers after reconnect
                if (qos === 1 && messageId !== undefined) send({ cmd: "puback", messageId });
              });
              break;
            }
            default:
              break;
          }
        });
        parser.on("error", (e: Error) => {
          this.log.warn("PipelinedSubscriber#parse", { err: e });
          socket.destroy();
        });
        socket.on("connect", () => {
          send({
            cmd: "connect",
            protocolId: "MQTT",
            protocolVersion: 4,
            clientId: this.opts.clientId,
            clean: false,
            keepalive: this.opts.keepaliveSec ?? 30,
            username: this.opts.username,
            password: this.opts.password === undefined ? undefined : Buffer.from(this.opts.password),
          });
          clearInterval(this.ping);
          this.ping = setInterval(() => send({ cmd: "pingreq" }), ((this.opts.keepaliveSec ?? 30) * 1000) / 2);
        });
        socket.on("data", (buf: Buffer) => parser.parse(buf));
        socket.on("error", (e) => {
          if (first && !this.closing) this.log.warn("PipelinedSubscriber#socket", { err: e });
        });
        socket.on("close", () => {
          clearInterval(this.ping);
          if (this.closing) return;
          setTimeout(attempt, this.opts.reconnectMs ?? 500);
        });
      };
      attempt();
    });
  }

  /** Sends DISCONNECT (the session stays on the broker) and closes. */
  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.ping);
    const s = this.socket;
    if (!s || s.destroyed) return;
    await new Promise<void>((resolve) => {
      s.once("close", () => resolve());
      s.end(mqttPacket.generate({ cmd: "disconnect" }));
      setTimeout(() => s.destroy(), 1000).unref();
    });
  }
}
