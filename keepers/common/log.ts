/**
 * Structured JSON logs, one object per line: { t, level, at: "Sequencer#commit", msg?, ...fields }.
 * bigint fields are printed as decimal strings.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(at: string, fields?: Record<string, unknown>): void;
  info(at: string, fields?: Record<string, unknown>): void;
  warn(at: string, fields?: Record<string, unknown>): void;
  error(at: string, fields?: Record<string, unknown>): void;
}

export function createLogger(opts: { level?: LogLevel; write?: (line: string) => void } = {}): Logger {
  const min = RANK[opts.level ?? "info"];
  const write = opts.write ?? ((line: string) => void process.stdout.write(line + "\n"));
  const emit = (level: LogLevel, at: string, fields?: Record<string, unknown>): void => {
    if (RANK[level] < min) return;
    const rec: Record<string, unknown> = { t: new Date().toISOString(), level, at, ...fields };
    if (fields?.err instanceof Error) rec.err = fields.err.message;
    write(JSON.stringify(rec, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)));
  };
  return {
    debug: (at, f) => emit("debug", at, f),
    info: (at, f) => emit("info", at, f),
    warn: (at, f) => emit("warn", at, f),
    error: (at, f) => emit("error", at, f),
  };
}

/** A logger that drops everything (tests, benchmarks). */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
