/**
 * Starts the network API (`indexer/cli.ts`, Ponder) as a child process for the explorer when no
 * --api URL is given, and waits until it has caught up with the chain (Ponder's /ready).
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export interface IndexerChild {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export async function startIndexerChild(o: {
  deployment: string;
  rpcUrl: string;
  port: number;
  data: string;
  store?: string;
  keeperStatus?: string[];
  schema?: string;
  pollMs?: number;
  timeoutMs?: number;
  verbose?: boolean;
}): Promise<IndexerChild> {
  const args = [
    "--import",
    "tsx",
    path.join(ROOT, "indexer", "cli.ts"),
    "--deployment",
    o.deployment,
    "--rpc-url",
    o.rpcUrl,
    "--port",
    String(o.port),
    "--data",
    o.data,
    "--poll-ms",
    String(o.pollMs ?? 500),
  ];
  if (o.store) args.push("--store", o.store);
  if (o.keeperStatus?.length) args.push("--keeper-status", o.keeperStatus.join(","));
  if (o.schema) args.push("--schema", o.schema);
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], detached: true });
  const tail: string[] = [];
  const take = (c: Buffer) => {
    for (const l of c.toString().split("\n").filter(Boolean)) {
      tail.push(l);
      if (tail.length > 30) tail.shift();
      if (o.verbose) console.error(`[indexer] ${l}`);
    }
  };
  child.stdout!.on("data", take);
  child.stderr!.on("data", take);
  const url = `http://127.0.0.1:${o.port}`;
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const kill = setTimeout(() => {
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch {
          /* gone */
        }
      }, 10_000);
      child.once("exit", () => {
        clearTimeout(kill);
        resolve();
      });
      try {
        process.kill(-child.pid!, "SIGTERM");
      } catch {
        resolve();
      }
    });
  const deadline = Date.now() + (o.timeoutMs ?? 120_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the indexer exited (${child.exitCode}):\n${tail.join("\n")}`);
    try {
      const r = await fetch(`${url}/ready`, { signal: AbortSignal.timeout(1000) });
      if (r.ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the indexer was not ready within ${(o.timeoutMs ?? 120_000) / 1000} s:\n${tail.join("\n")}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return { url, child, stop };
}
