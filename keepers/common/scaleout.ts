/**
 * Several instances of one keeper on one PostgreSQL store (see Store.lead and Store.claimWork):
 *  - `Leadership`: the DA committer and the epoch closer send from one account in order, so one
 *    instance leads at a time (advisory lock) and the others wait, taking over within one tick
 *    once the leader dies, loses its connection or stops renewing for `--lease-ms`;
 *  - `claimOptions`: provers and submitters split batches with row locks held while they work.
 * On SQLite every instance leads and claims everything (one machine, one instance of each).
 */
import { Counter, Gauge, type Registry } from "prom-client";
import type { Logger } from "./log.js";
import { opt } from "./options.js";
import type { Store } from "./store/index.js";

export const leaseOption = () => ({
  leaseMs: opt.int(
    "leadership lease among instances sharing a PostgreSQL store: another instance takes over once the leader has not renewed it (each tick, each send) for this long (ms)",
    { default: 60_000, min: 1_000 },
  ),
});

export const claimOptions = () => ({
  holdMs: opt.int(
    "row-lock hold on claimed batches among instances sharing a PostgreSQL store: renewed every holdMs/3 while this process runs; a frozen holder loses it after this long (ms)",
    { default: 60_000, min: 1_000 },
  ),
});

export class Leadership {
  held = false;
  since: number | null = null;
  private readonly gauge: Gauge;
  private readonly changes: Counter;

  constructor(
    private readonly store: Store,
    readonly role: string,
    private readonly leaseMs: number,
    private readonly log: Logger,
    private readonly at: string,
    registry: Registry,
  ) {
    this.gauge = new Gauge({
      name: `depin_${role}_leader`,
      help: "1 while this instance leads (holds the store's advisory lock of its role)",
      registers: [registry],
    });
    this.changes = new Counter({
      name: `depin_${role}_leadership_changes_total`,
      help: "times this instance took or lost leadership",
      registers: [registry],
    });
  }

  /** Takes or renews leadership; logs each change. */
  async check(): Promise<boolean> {
    const now = await this.store.lead(this.role, this.leaseMs);
    if (now !== this.held) {
      this.held = now;
      this.since = now ? Date.now() : null;
      this.changes.inc();
      this.log.info(`${this.at}#leader`, { role: this.role, leader: now });
    }
    this.gauge.set(now ? 1 : 0);
    return now;
  }

  status(): Record<string, unknown> {
    return { leader: this.held, leaderSince: this.since };
  }
}
