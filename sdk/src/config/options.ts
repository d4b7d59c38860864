import { checkTopicRoot } from "../topics.js";

/**
 * Typed, validated options of the project's CLIs (keepers, firmware tools), in the shared module so
 * that firmware/ and keepers/ use one definition. Typed, validated daemon options. Each keeper declares its options once (description, default,
 * secret flag, parser); `parseOptions` reads them from an object (CLI flags or environment) and
 * throws a ConfigError naming the bad option. Unknown options are refused too, so a typo is not
 * silently ignored.
 */
export class ConfigError extends Error {
  readonly option: string;
  constructor(option: string, message: string) {
    super(`invalid option --${kebab(option)}: ${message}`);
    this.name = "ConfigError";
    this.option = option;
  }
}

export interface OptionSpec<T> {
  description: string;
  /** Omitted: the option is required. */
  default?: T;
  /** Secrets are redacted from logs and /status. */
  secret?: boolean;
  /** Turns a raw CLI/env value into T or throws an Error whose message says what is expected. */
  parse(raw: unknown): T;
}

export type OptionSpecs = Record<string, OptionSpec<unknown>>;
export type OptionValues<S extends OptionSpecs> = { [K in keyof S]: S[K] extends OptionSpec<infer T> ? T : never };

export function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function camel(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Builders for the common option types. */
export const opt = {
  string(description: string, extra: { default?: string; secret?: boolean; pattern?: RegExp } = {}): OptionSpec<string> {
    return {
      description,
      default: extra.default,
      secret: extra.secret,
      parse(raw) {
        if (typeof raw !== "string") throw new Error(`expected a string, got ${typeof raw}`);
        if (extra.pattern && !extra.pattern.test(raw)) throw new Error(`${JSON.stringify(raw)} does not match ${extra.pattern}`);
        return raw;
      },
    };
  },
  int(description: string, extra: { default?: number; min?: number; max?: number } = {}): OptionSpec<number> {
    return {
      description,
      default: extra.default,
      parse(raw) {
        const n = typeof raw === "number" ? raw : typeof raw === "string" && /^-?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
        if (!Number.isSafeInteger(n)) throw new Error(`expected an integer, got ${JSON.stringify(raw)}`);
        if (extra.min !== undefined && n < extra.min) throw new Error(`must be >= ${extra.min}, got ${n}`);
        if (extra.max !== undefined && n > extra.max) throw new Error(`must be <= ${extra.max}, got ${n}`);
        return n;
      },
    };
  },
  bigint(description: string, extra: { default?: bigint; min?: bigint; max?: bigint } = {}): OptionSpec<bigint> {
    return {
      description,
      default: extra.default,
      parse(raw) {
        let v: bigint;
        if (typeof raw === "bigint") v = raw;
        else if (typeof raw === "number" && Number.isSafeInteger(raw)) v = BigInt(raw);
        else if (typeof raw === "string" && /^(\d+|0x[0-9a-fA-F]+)$/.test(raw.trim())) v = BigInt(raw.trim());
        else throw new Error(`expected a non-negative integer, got ${JSON.stringify(raw)}`);
        if (extra.min !== undefined && v < extra.min) throw new Error(`must be >= ${extra.min}, got ${v}`);
        if (extra.max !== undefined && v > extra.max) throw new Error(`must be <= ${extra.max}, got ${v}`);
        return v;
      },
    };
  },
  /** A bigint that may be left out (null): the keeper then takes the value from the chain. */
  bigintOrChain(description: string, extra: { min?: bigint } = {}): OptionSpec<bigint | null> {
    const inner = opt.bigint(description, extra);
    return {
      description,
      default: null,
      parse: (raw) => (raw === "" || raw === null ? null : inner.parse(raw)),
    };
  },
  bool(description: string, def = false): OptionSpec<boolean> {
    return {
      description,
      default: def,
      parse(raw) {
        if (typeof raw === "boolean") return raw;
        if (raw === "true" || raw === "1" || raw === "") return true;
        if (raw === "false" || raw === "0") return false;
        throw new Error(`expected true or false, got ${JSON.stringify(raw)}`);
      },
    };
  },
  url(description: string, protocols: string[], extra: { default?: string; secret?: boolean } = {}): OptionSpec<string> {
    return {
      description,
      default: extra.default,
      secret: extra.secret,
      parse(raw) {
        if (typeof raw !== "string") throw new Error(`expected a URL, got ${typeof raw}`);
        let u: URL;
        try {
          u = new URL(raw);
        } catch {
          throw new Error(`${JSON.stringify(raw)} is not a URL`);
        }
        if (!protocols.includes(u.protocol.replace(/:$/, ""))) {
          throw new Error(`protocol ${u.protocol} not allowed (expected ${protocols.join(", ")})`);
        }
        return raw;
      },
    };
  },
  oneOf<T extends string>(description: string, values: readonly T[], def?: T): OptionSpec<T> {
    return {
      description,
      default: def,
      parse(raw) {
        if (typeof raw !== "string" || !(values as readonly string[]).includes(raw)) {
          throw new Error(`expected one of ${values.join(", ")}, got ${JSON.stringify(raw)}`);
        }
        return raw as T;
      },
    };
  },
  cron(description: string, def: string): OptionSpec<string> {
    return {
      description,
      default: def,
      parse(raw) {
        if (typeof raw !== "string" || !/^(\S+\s+){4,5}\S+$/.test(raw.trim()))
          throw new Error(`not a cron expression: ${JSON.stringify(raw)}`);
        return raw.trim();
      },
    };
  },
};

/**
 * Validates `input` (camelCase or kebab-case keys) against `specs`. Unknown keys, missing
 * required options and unparsable values throw ConfigError naming the option.
 */
/**
 * The MQTT topic root of the network (sdk topics), shared by the bridge and the devices. Empty
 * (the default) = the network's own root, `depin/<networkId>/<first 4 bytes of the registry>`
 * (sdk `networkTopicRoot`), so two networks on one broker do not hear each other.
 */
export function topicRootOption(): OptionSpec<string> {
  return {
    description:
      "MQTT topic root of the network: readings under <root>/r/…, receipts and errors under <root>/d/…; " +
      "empty = depin/<network id>/<first 4 bytes of the registry address>",
    default: "",
    parse(raw: unknown): string {
      if (typeof raw !== "string") throw new Error(`expected a string, got ${typeof raw}`);
      return raw === "" ? "" : checkTopicRoot(raw);
    },
  };
}

/** The keepers' shared store: checked at start-up, so an unsupported scheme names --store. */
/** The JSON-RPC endpoint every tool uses unless told otherwise (`--rpc-url`, env DEPIN_RPC_URL). */
export const DEFAULT_RPC_URL = "http://127.0.0.1:8545";

export function rpcUrlOption(description = "JSON-RPC endpoint of the chain"): OptionSpec<string> {
  return opt.url(description, ["http", "https", "ws", "wss"], { default: DEFAULT_RPC_URL });
}

export function parseOptions<S extends OptionSpecs>(specs: S, input: Record<string, unknown>): OptionValues<S> {
  const out: Record<string, unknown> = {};
  const seen = new Set<string>();
  for (const [rawKey, raw] of Object.entries(input)) {
    const key = camel(rawKey);
    if (!(key in specs)) throw new ConfigError(key, `unknown option (known: ${Object.keys(specs).map(kebab).join(", ")})`);
    if (raw === undefined) continue;
    seen.add(key);
    try {
      out[key] = specs[key].parse(raw);
    } catch (e) {
      throw new ConfigError(key, (e as Error).message);
    }
  }
  for (const [key, spec] of Object.entries(specs)) {
    if (seen.has(key)) continue;
    if (spec.default === undefined) throw new ConfigError(key, "is required");
    out[key] = spec.default;
  }
  return out as OptionValues<S>;
}

/** The environment variable of an option: DEPIN_<UPPER_SNAKE>. */
export function envName(option: string): string {
  return `DEPIN_${kebab(option).replace(/-/g, "_").toUpperCase()}`;
}

/** Options read from the environment: DEPIN_<UPPER_SNAKE> for each declared option. */
export function optionsFromEnv(specs: OptionSpecs, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(specs)) {
    const v = env[envName(key)];
    if (v !== undefined) out[key] = v;
  }
  return out;
}

/** Options with secrets replaced by "***", for logs and /status. */
export function redact<S extends OptionSpecs>(specs: S, values: OptionValues<S>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(values)) {
    out[k] = specs[k]?.secret ? "***" : typeof v === "bigint" ? v.toString() : v;
  }
  return out;
}

/** One help line per option, for `--help`. */
export function describeOptions(specs: OptionSpecs): string {
  return Object.entries(specs)
    .map(([k, s]) => {
      const def =
        s.default === undefined
          ? " (required)"
          : s.secret
            ? ""
            : s.default === null
              ? " (default: from the chain)"
              : ` (default: ${String(s.default)})`;
      return `  --${kebab(k).padEnd(22)} ${s.description}${def}`;
    })
    .join("\n");
}
