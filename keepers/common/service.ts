/**
 * Base of every keeper daemon: typed validated options, structured logger, a prom-client
 * registry, /metrics + /status, and a node-cron schedule whose ticks never overlap. Subclasses
 * implement `init()` (open stores, connect), `tick()` (one idempotent unit of work) and
 * `close()` (release resources). `run()` wires SIGTERM/SIGINT to a clean stop that lets the
 * running tick finish.
 */
import cron, { type ScheduledTask } from "node-cron";
import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";
import { connectChain, isConnectionError, type ConnectOptions } from "./chain.js";
import { describeRevert } from "./errors.js";
import { OpsServer } from "./http.js";
import { silentLogger, type Logger } from "./log.js";

export interface ServiceBaseOptions {
  /** node-cron expression (6 fields = with seconds). */
  schedule: string;
  /** Port of /metrics and /status; -1 disables the HTTP endpoint, 0 picks a free port. */
  metricsPort: number;
}

/**
 * What a keeper can do right now, shown in /status (`health`) and as the `depin_<name>_up` gauge:
 * "starting" until init() finished, "ok" after a tick that succeeded, "rpc-down" while the chain
 * endpoint does not answer (ticks are then skipped with a growing backoff, up to 60 s), "error"
 * after a tick that failed for another reason.
 */
export interface Health {
  state: "starting" | "ok" | "rpc-down" | "error";
  since: number;
  consecutiveErrors: number;
  lastError?: string;
  /** Unix ms before which ticks are skipped (rpc-down backoff). */
  retryAt?: number;
}

export abstract class Service {
  readonly registry = new Registry();
  readonly ops: OpsServer;
  protected readonly ticks: Counter;
  protected readonly tickErrors: Counter;
  protected readonly lastTick: Gauge;
  private task?: ScheduledTask;
  private running?: Promise<void>;
  private stopping = false;
  private initialised = false;
  private readonly stopController = new AbortController();
  protected readonly upGauge: Gauge;
  health: Health = { state: "starting", since: Date.now(), consecutiveErrors: 0 };
  /** Unix ms of the last completed tick (null before the first): /status, for the network API's health view. */
  lastTickAt: number | null = null;
  port?: number;

  protected constructor(
    readonly name: string,
    protected readonly log: Logger = silentLogger,
  ) {
    collectDefaultMetrics({ register: this.registry, prefix: `depin_${name}_` });
    this.ticks = new Counter({ name: `depin_${name}_ticks_total`, help: "completed ticks", registers: [this.registry] });
    this.tickErrors = new Counter({
      name: `depin_${name}_tick_errors_total`,
      help: "ticks that threw",
      registers: [this.registry],
    });
    this.lastTick = new Gauge({
      name: `depin_${name}_last_tick_seconds`,
      help: "unix time of the last completed tick",
      registers: [this.registry],
    });
    this.upGauge = new Gauge({
      name: `depin_${name}_up`,
      help: "1 when the keeper can work (last tick succeeded), 0 while starting, RPC down or failing",
      registers: [this.registry],
    });
    this.ops = new OpsServer(this.registry, async () => ({
      keeper: this.name,
      health: this.health,
      lastTickAt: this.lastTickAt,
      ...(this.initialised ? await this.status() : {}),
    }));
  }

  private setHealth(state: Health["state"], extra: Partial<Health> = {}): void {
    const changed = state !== this.health.state;
    this.health = {
      state,
      since: changed ? Date.now() : this.health.since,
      consecutiveErrors: state === "ok" ? 0 : this.health.consecutiveErrors + (state === "starting" ? 0 : 1),
      ...extra,
    };
    this.upGauge.set(state === "ok" ? 1 : 0);
  }

  /**
   * A provider for the keeper's chain endpoint, waiting with backoff while it is down (logged,
   * and "rpc-down" in /status meanwhile). See connectChain.
   */
  protected connectChain(url: string, o: Omit<ConnectOptions, "onState" | "signal"> = {}) {
    return connectChain(url, this.log, this.className(), {
      ...o,
      signal: this.stopController.signal,
      onState: (s) =>
        s.up
          ? this.setHealth("starting")
          : this.setHealth("rpc-down", { lastError: s.error, retryAt: Date.now() + (s.retryInMs ?? 0) }),
    });
  }

  abstract init(): Promise<void>;
  /** One idempotent unit of work. Must be safe to re-run after a crash at any point. */
  abstract tick(): Promise<void>;
  abstract close(): Promise<void>;
  /** What /status shows. */
  abstract status(): Promise<Record<string, unknown>> | Record<string, unknown>;

  /** Runs one tick, never two at once (a call while one runs waits for it instead). */
  async runTick(): Promise<void> {
    if (this.running) return this.running;
    if (this.health.state === "rpc-down" && this.health.retryAt !== undefined && Date.now() < this.health.retryAt) return;
    this.running = (async () => {
      try {
        await this.tick();
        this.ticks.inc();
        this.lastTickAt = Date.now();
        this.lastTick.set(this.lastTickAt / 1000);
        if (this.health.state !== "ok") {
          if (this.health.state === "rpc-down")
            this.log.info(`${this.className()}#rpcUp`, { after: this.health.consecutiveErrors });
          this.setHealth("ok");
        }
      } catch (e) {
        this.tickErrors.inc();
        if (isConnectionError(e)) {
          // Back off 2 s, 4 s, … 60 s: one log line per attempt, not one per scheduled tick.
          const wait = Math.min(
            60_000,
            2000 * 2 ** Math.min(this.health.state === "rpc-down" ? this.health.consecutiveErrors : 0, 5),
          );
          this.setHealth("rpc-down", { lastError: (e as Error).message, retryAt: Date.now() + wait });
          this.log.warn(`${this.className()}#rpcDown`, { err: (e as Error).message, retryInSeconds: wait / 1000 });
        } else {
          const revert = describeRevert(e);
          this.setHealth("error", { lastError: revert ?? (e as Error).message });
          this.log.error(`${this.className()}#tick`, { err: e as Error, ...(revert ? { revert } : {}) });
        }
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  private className(): string {
    return this.constructor.name;
  }

  /** init(), HTTP endpoint, cron schedule. */
  async start(base: ServiceBaseOptions): Promise<void> {
    // /status and /metrics answer while init() waits (e.g. for the RPC endpoint).
    if (base.metricsPort >= 0) this.port = await this.ops.listen(base.metricsPort);
    try {
      await this.init();
    } catch (e) {
      await this.ops.close();
      throw e;
    }
    this.initialised = true;
    this.task = cron.schedule(base.schedule, () => this.runTick(), { noOverlap: true, name: this.name });
    this.log.info(`${this.className()}#start`, { schedule: base.schedule, metricsPort: this.port });
  }

  /** Stops scheduling, waits for a running tick, closes resources. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.stopController.abort();
    await this.task?.stop();
    await this.task?.destroy();
    await this.running;
    await this.ops.close();
    await this.close();
    this.log.info(`${this.className()}#stop`, {});
  }

  /** start(), then stop cleanly on SIGTERM/SIGINT. Resolves when stopped. */
  async run(base: ServiceBaseOptions): Promise<void> {
    await this.start(base);
    await new Promise<void>((resolve) => {
      const onSignal = (sig: NodeJS.Signals): void => {
        this.log.info(`${this.className()}#signal`, { signal: sig });
        process.off("SIGTERM", onSignal);
        process.off("SIGINT", onSignal);
        void this.stop().then(resolve);
      };
      process.on("SIGTERM", onSignal);
      process.on("SIGINT", onSignal);
    });
  }
}
