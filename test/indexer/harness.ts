/**
 * Runs the real indexer (`indexer/cli.ts` → Ponder) as a child process group over an in-process
 * Hardhat chain served on a free port, and reads what it indexed through its GraphQL API.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { network } from "hardhat";
import { JsonRpcProvider } from "ethers";
import { freePort, rpcEndpoint } from "../../keepers/common/net.js";

export const POSTGRES = "postgres://postgres@127.0.0.1:5432/test";

export async function chainWithToken() {
  const conn = await network.create();
  const { ethers } = conn;
  const [admin, a, b] = await ethers.getSigners();
  const token = await ethers.deployContract("RewardTokenMock", [admin.address]);
  const rpc = await rpcEndpoint(conn.provider);
  const provider = new JsonRpcProvider(rpc.url, undefined, { staticNetwork: true, pollingInterval: 50 });
  const dir = mkdtempSync(path.join(os.tmpdir(), "indexer-"));
  const deployment = path.join(dir, "31337.json");
  const address = await token.getAddress();
  writeFileSync(
    deployment,
    JSON.stringify({
      version: 1,
      chainId: 31337,
      network: "test",
      module: "test",
      contracts: { rewardToken: { address, startBlock: 0 } },
    }),
  );
  let n = 0n;
  /** `count` Transfer events (one mint per block). */
  const mint = async (count: number) => {
    for (let i = 0; i < count; i++) await (await token.mint(i % 2 ? a.address : b.address, ++n)).wait();
  };
  /** Every log of the indexed contract, as the indexer's event ids. */
  // Straight to the node (ethers' provider caches identical requests for a moment).
  const logIds = async () =>
    (
      (await conn.provider.request({ method: "eth_getLogs", params: [{ address, fromBlock: "0x0", toBlock: "latest" }] })) as {
        blockNumber: string;
        logIndex: string;
      }[]
    )
      .map((l) => `${Number(l.blockNumber)}-${Number(l.logIndex)}`)
      .sort();
  const request = (method: string, params: unknown[] = []) => conn.provider.request({ method, params });
  const close = async () => {
    provider.destroy();
    await rpc.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return { conn, admin, token, rpc, provider, dir, deployment, mint, logIds, request, close };
}

export interface IndexerProcess {
  child: ChildProcess;
  port: number;
  log: () => string;
  /** Event ids in the indexer's `event` table (sorted), or null while its API is not up. */
  eventIds: () => Promise<string[] | null>;
  kill: (signal: NodeJS.Signals) => Promise<void>;
}

export async function startIndexer(opts: {
  deployment: string;
  rpcUrl: string;
  data?: string;
  db?: string;
  schema: string;
  port?: number;
  /** More `npm run indexer` options (--store, --keeper-status, --stall-seconds, …). */
  extra?: string[];
}): Promise<IndexerProcess> {
  const port = opts.port ?? (await freePort());
  const args = [
    "indexer/cli.ts",
    "--deployment",
    opts.deployment,
    "--rpc-url",
    opts.rpcUrl,
    "--port",
    String(port),
    "--schema",
    opts.schema,
    "--poll-ms",
    "100",
  ];
  if (opts.data) args.push("--data", opts.data);
  if (opts.db) args.push("--db", opts.db);
  args.push(...(opts.extra ?? []));
  const child = spawn(path.resolve("node_modules", ".bin", "tsx"), args, { detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const eventIds = async (): Promise<string[] | null> => {
    try {
      const ids: string[] = [];
      let after: string | null = null;
      for (;;) {
        const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            query: `query($after: String) { events(limit: 1000, orderBy: "id", after: $after) { items { id } pageInfo { hasNextPage endCursor } } }`,
            variables: { after },
          }),
        });
        if (!res.ok) return null;
        const j = (await res.json()) as {
          data?: { events: { items: { id: string }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } };
        };
        if (!j.data) return null;
        ids.push(...j.data.events.items.map((x) => x.id));
        if (!j.data.events.pageInfo.hasNextPage) return ids.sort();
        after = j.data.events.pageInfo.endCursor;
      }
    } catch {
      return null;
    }
  };
  const kill = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    try {
      process.kill(-child.pid!, signal); // the whole group: the CLI, Ponder, its esbuild service
    } catch {
      /* already gone */
    }
    await exited;
  };
  return { child, port, log: () => out, eventIds, kill };
}

/** Polls until `check` returns true (at most `ms`); the error shows the last value and the log. */
export async function until(check: () => Promise<boolean>, ms: number, what: string, log: () => string): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}\n--- indexer log (tail) ---\n${log().slice(-3000)}`);
}
