/**
 * Base of every keeper daemon: typed validated options, structured logger, a prom-client
 * registry, /metrics + /status, and a node-cron schedule whose ticks never overlap. Subclasses
 * implement `init()` (open stores, connect), `tick()` (one idempotent unit of work) and
 * `close()` (release resources). `run()` wires SIGTERM/SIGINT to a clean stop that lets the
 * running tick finish.
 */
import cron, { type ScheduledTask } from "node-cron";
import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";
import { OpsServer } from "./http.js";
import { silentLogger, type Logger } from "./log.js";

export interface ServiceBaseOptions {
  /** node-cron expression (6 fields = with seconds). */
  schedule: string;
  /** Port of /metrics and /status; -1 disables the HTTP endpoint, 0 picks a free port. */
  metricsPort: number;
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
    this.ops = new OpsServer(this.registry, () => this.status());
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
    this.running = (async () => {
      try {
        await this.tick();
        this.ticks.inc();
        this.lastTick.set(Date.now() / 1000);
      } catch (e) {
        this.tickErrors.inc();
        this.log.error(`${this.className()}#tick`, { err: e as Error });
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
    await this.init();
    if (base.metricsPort >= 0) this.port = await this.ops.listen(base.metricsPort);
    this.task = cron.schedule(base.schedule, () => this.runTick(), { noOverlap: true, name: this.name });
    this.log.info(`${this.className()}#start`, { schedule: base.schedule, metricsPort: this.port });
  }

  /** Stops scheduling, waits for a running tick, closes resources. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
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
