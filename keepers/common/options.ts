/**
 * Keeper options: the shared option machinery (sdk/src/config/options.ts) plus what only
 * daemons have — the store URL and the schedule/metrics/log options.
 */
import { STORE_FORMS, parseStoreUrl } from "./store/url.js";
import { opt, type OptionSpec } from "../../sdk/src/config/options.js";

export * from "../../sdk/src/config/options.js";

export function storeOption(description = "store", def = "sqlite:data/depin.sqlite"): OptionSpec<string> {
  return {
    description: `${description}: ${STORE_FORMS}`,
    default: def,
    parse(raw: unknown): string {
      if (typeof raw !== "string") throw new Error(`expected a string, got ${typeof raw}`);
      parseStoreUrl(raw);
      return raw;
    },
  };
}

/** The JSON-RPC endpoint option of keepers that read or write the chain. */

/**
 * The options every keeper daemon has: its node-cron tick schedule, the /metrics + /status port
 * and the log level. Spread into a keeper's option specs with that keeper's defaults.
 */
export function daemonOptions(d: { schedule: string; metricsPort: number; scheduleHelp?: string; metricsHelp?: string }) {
  return {
    schedule: opt.cron(d.scheduleHelp ?? "node-cron schedule", d.schedule),
    metricsPort: opt.int(d.metricsHelp ?? "/metrics and /status port (-1 = off, 0 = any)", {
      default: d.metricsPort,
      min: -1,
      max: 65535,
    }),
    logLevel: opt.oneOf("log level", ["debug", "info", "warn", "error"] as const, "info"),
  };
}
