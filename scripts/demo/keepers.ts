/**
 * The demo's keepers — bridge, sequencer, DA, prover, submitter, epoch — from one option table,
 * run either in the demo's process (their classes, each on its own node-cron schedule) or as one
 * child process per keeper (`keepers/cli.ts <command> --option value …`, as an operator runs
 * them). Either way they share only the store and the chain.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Bridge, bridgeOptions } from "../../keepers/bridge/bridge.js";
import { kebab, parseOptions, type OptionSpecs } from "../../keepers/common/options.js";
import type { Logger } from "../../keepers/common/log.js";
import type { Service } from "../../keepers/common/service.js";
import { DaKeeper, daOptions } from "../../keepers/da/da.js";
import { EpochKeeper, epochOptions } from "../../keepers/epoch/epoch.js";
import { Prover, proverOptions } from "../../keepers/prover/prover.js";
import { Sequencer, sequencerOptions } from "../../keepers/sequencer/sequencer.js";
import { Submitter, submitterOptions } from "../../keepers/submitter/submitter.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export type KeeperName = "bridge" | "sequencer" | "da" | "prover" | "submitter" | "epoch";

export interface KeeperConfig {
  name: KeeperName;
  /** Options as the keeper's CLI takes them (camelCase keys). */
  options: Record<string, string | number | bigint | boolean>;
}

export interface RunningKeeper {
  name: KeeperName;
  pid: number;
  status: string;
}

export interface KeeperSet {
  keepers: RunningKeeper[];
  /** Embedded broker port (when the bridge runs its own broker). */
  mqttPort?: number;
  /** The bridge's topic root and answer-signing address (its /status), which devices need. */
  topicRoot?: string;
  answerAddress?: string | null;
  /** Stops one keeper (the others keep running): an outage, as an operator would see it. */
  stopOne(name: KeeperName): Promise<void>;
  stop(): Promise<void>;
}

const SPECS: Record<KeeperName, OptionSpecs> = {
  bridge: bridgeOptions,
  sequencer: sequencerOptions,
  da: daOptions,
  prover: proverOptions,
  submitter: submitterOptions,
  epoch: epochOptions,
};

/** Class name each keeper logs its start under (`<Class>#start`). */
const CLASS: Record<KeeperName, string> = {
  bridge: "Bridge",
  sequencer: "Sequencer",
  da: "DaKeeper",
  prover: "Prover",
  submitter: "Submitter",
  epoch: "EpochKeeper",
};

/** In the demo's process; the bridge gets `now` (the chain's clock) injected. */
export async function startInProcess(
  configs: KeeperConfig[],
  deps: { log: Logger; bridgeNow: () => number },
): Promise<KeeperSet> {
  const started: { name: KeeperName; service: Service }[] = [];
  let mqttPort: number | undefined;
  let bridge: Bridge | undefined;
  try {
    for (const c of configs) {
      const opts = parseOptions(SPECS[c.name], c.options) as never;
      const service: Service =
        c.name === "bridge"
          ? new Bridge(opts, { log: deps.log, now: deps.bridgeNow })
          : c.name === "sequencer"
            ? new Sequencer(opts, { log: deps.log })
            : c.name === "da"
              ? new DaKeeper(opts, { log: deps.log })
              : c.name === "prover"
                ? new Prover(opts, { log: deps.log })
                : c.name === "submitter"
                  ? new Submitter(opts, { log: deps.log })
                  : new EpochKeeper(opts, { log: deps.log });
      const o = opts as { schedule: string; metricsPort: number };
      await service.start({ schedule: o.schedule, metricsPort: o.metricsPort });
      started.push({ name: c.name, service });
      if (service instanceof Bridge) {
        mqttPort = service.mqttPort;
        bridge = service;
      }
    }
  } catch (e) {
    for (const s of started.reverse()) await s.service.stop().catch(() => undefined);
    throw e;
  }
  return {
    keepers: started.map((s) => ({
      name: s.name,
      pid: process.pid,
      status: `http://127.0.0.1:${(s.service as unknown as { port?: number }).port ?? "-"}/status`,
    })),
    mqttPort,
    topicRoot: bridge?.topicRoot,
    answerAddress: bridge?.answerAddress,
    stopOne: async (name) => {
      for (const s of started.filter((x) => x.name === name)) await s.service.stop();
    },
    stop: async () => {
      for (const s of [...started].reverse()) await s.service.stop();
    },
  };
}

interface Child {
  name: KeeperName;
  proc: ChildProcess;
  metricsPort?: number;
  tail: string[];
}

/** One `keepers/cli.ts` child process per keeper; resolves once each has logged its start. */
export async function startProcesses(
  configs: KeeperConfig[],
  opts: { verbose: boolean; timeoutMs?: number },
): Promise<KeeperSet> {
  const children: Child[] = [];
  // If the demo itself dies, take the keepers with it.
  const onExit = () => {
    for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill("SIGKILL");
  };
  process.on("exit", onExit);
  const stopChildren = async (which: Child[]) => {
    await Promise.all(
      which.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.proc.exitCode !== null || c.proc.signalCode !== null) return resolve();
            const kill = setTimeout(() => c.proc.kill("SIGKILL"), 10_000);
            c.proc.once("exit", () => {
              clearTimeout(kill);
              resolve();
            });
            c.proc.kill("SIGTERM");
          }),
      ),
    );
  };
  const stopAll = async () => {
    await stopChildren(children);
    process.off("exit", onExit);
  };
  try {
    await Promise.all(
      configs.map(
        (cfg) =>
          new Promise<void>((resolve, reject) => {
            // Node with tsx's loader directly (no npx wrapper), so SIGTERM reaches the keeper itself.
            // Secret options (keys) go through the environment, not the visible command line.
            const args = ["--import", "tsx", "keepers/cli.ts", cfg.name];
            const env: NodeJS.ProcessEnv = { ...process.env };
            for (const [k, v] of Object.entries(cfg.options)) {
              if (SPECS[cfg.name][k]?.secret) env[`DEPIN_${kebab(k).replace(/-/g, "_").toUpperCase()}`] = String(v);
              else args.push(`--${kebab(k)}=${String(v)}`);
            }
            const proc = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env });
            const child: Child = { name: cfg.name, proc, tail: [] };
            children.push(child);
            let buf = "";
            const timer = setTimeout(
              () =>
                reject(
                  new Error(
                    `keeper ${cfg.name} did not start within ${(opts.timeoutMs ?? 60_000) / 1000} s:\n${child.tail.join("\n")}`,
                  ),
                ),
              opts.timeoutMs ?? 60_000,
            );
            const onLine = (line: string) => {
              child.tail.push(line);
              if (child.tail.length > 20) child.tail.shift();
              if (opts.verbose) console.error(`[${cfg.name}] ${line}`);
              if (line.includes(`"at":"${CLASS[cfg.name]}#start"`)) {
                const m = /"metricsPort":(\d+)/.exec(line);
                child.metricsPort = m ? Number(m[1]) : undefined;
                clearTimeout(timer);
                resolve();
              }
            };
            const onData = (c: Buffer) => {
              buf += c.toString();
              let i: number;
              while ((i = buf.indexOf("\n")) >= 0) {
                onLine(buf.slice(0, i));
                buf = buf.slice(i + 1);
              }
            };
            proc.stdout!.on("data", onData);
            proc.stderr!.on("data", (c: Buffer) => {
              for (const l of c.toString().split("\n"))
                if (l.trim() && !/npm warn|overlap prevention|missed execution/.test(l)) onLine(l);
            });
            proc.once("exit", (code, signal) => {
              clearTimeout(timer);
              reject(new Error(`keeper ${cfg.name} exited (${code ?? signal}) before starting:\n${child.tail.join("\n")}`));
            });
          }),
      ),
    );
  } catch (e) {
    await stopAll();
    throw e;
  }
  // A keeper that dies later is reported by the phase waiting on its work (with its last lines).
  for (const c of children) {
    c.proc.removeAllListeners("exit");
    c.proc.once("exit", (code, signal) => {
      if (code !== 0 && signal !== "SIGTERM")
        console.error(`[demo] keeper ${c.name} (pid ${c.proc.pid}) exited ${code ?? signal}:\n${c.tail.join("\n")}`);
    });
  }
  const bridgeCfg = configs.find((c) => c.name === "bridge");
  const bridgeChild = children.find((c) => c.name === "bridge");
  let bridgeStatus: { topicRoot?: string; answerAddress?: string | null } = {};
  if (bridgeChild?.metricsPort !== undefined) {
    const res = await fetch(`http://127.0.0.1:${bridgeChild.metricsPort}/status`);
    bridgeStatus = (await res.json()) as typeof bridgeStatus;
  }
  return {
    keepers: children.map((c) => ({
      name: c.name,
      pid: c.proc.pid ?? -1,
      status: `http://127.0.0.1:${c.metricsPort ?? "-"}/status`,
    })),
    mqttPort: bridgeCfg && !bridgeCfg.options.brokerUrl ? Number(bridgeCfg.options.mqttPort) : undefined,
    topicRoot: bridgeStatus.topicRoot,
    answerAddress: bridgeStatus.answerAddress,
    stopOne: (name) => stopChildren(children.filter((c) => c.name === name)),
    stop: stopAll,
  };
}
