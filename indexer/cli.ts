/**
 * `npm run indexer -- [options]`: runs the Ponder indexer (indexer/ponder.config.ts) over the
 * protocol's contracts of one deployment record and serves the network API (GraphQL at /graphql,
 * SQL over HTTP at /sql, REST at /v1/…, OpenAPI at /openapi.json). docs/indexer.md.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { REPO_ROOT } from "./settings.js";

const HELP = `Usage: npm run indexer -- [options]

Indexes every event of the protocol's contracts (deployment record: addresses and start blocks;
ABIs from the Hardhat artifacts) into SQL with Ponder, and serves the network API.
Embedded PGlite by default (--data), PostgreSQL with --db. Reorg-safe; resumes after a crash.

  --deployment FILE     deployment record (default deployments/31337.json)
  --rpc-url URL         JSON-RPC endpoint (default http://127.0.0.1:8545)
  --db URL              PostgreSQL (postgres://user@host:port/db) instead of embedded PGlite
  --schema NAME         database schema of this indexer (default depin_<chainId>)
  --data DIR            PGlite directory (default data/indexer/<chainId>)
  --store URL           the keepers' store (sqlite:FILE or postgres://…?schema=…) for readings,
                        batch pipeline times and receipts (default: none)
  --keeper-status URLS  comma-separated keeper /status URLs for the health view
  --stall-seconds N     report a pipeline stage waiting longer than N s as stalled (default 300)
  --port N              API port (default 42069)
  --hostname H          API address (default 127.0.0.1)
  --poll-ms N           chain polling interval in ms (default 1000)
  --rpc-lanes N         list the RPC endpoint N times (1..64; default 8 for a 127.0.0.1/localhost
                        URL, else 1): Ponder limits each URL to 20 requests/s at start (raised 5%
                        at a time); a node of your own takes N × 20
  --help                this text

API: GET /openapi.json (REST schema), /graphql (GraphQL schema by introspection), /v1/network,
/v1/devices/{id}, /v1/batches/{id}, /v1/epochs, /v1/proposals, /v1/receipts/{device}/{epoch}.`;

function main(): number {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        deployment: { type: "string", default: "deployments/31337.json" },
        "rpc-url": { type: "string" },
        db: { type: "string" },
        schema: { type: "string" },
        data: { type: "string" },
        store: { type: "string" },
        "keeper-status": { type: "string" },
        port: { type: "string", default: "42069" },
        hostname: { type: "string", default: "127.0.0.1" },
        "poll-ms": { type: "string" },
        "stall-seconds": { type: "string" },
        "rpc-lanes": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (e) {
    console.error(`indexer: ${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const deployment = path.resolve(values.deployment!);
  if (!existsSync(deployment)) {
    console.error(`indexer: --deployment ${deployment} does not exist (run \`npm run deploy:local\` first)`);
    return 2;
  }
  if (!/^\d+$/.test(values.port!)) {
    console.error(`indexer: --port must be a number (got "${values.port}")`);
    return 2;
  }
  if (values.db !== undefined && !/^postgres(ql)?:\/\//.test(values.db)) {
    console.error(`indexer: --db must be a postgres:// URL (got "${values.db}")`);
    return 2;
  }
  if (values["stall-seconds"] !== undefined && !/^[1-9]\d*$/.test(values["stall-seconds"])) {
    console.error(`indexer: --stall-seconds must be a positive integer (got "${values["stall-seconds"]}")`);
    return 2;
  }
  if (values["rpc-lanes"] !== undefined && !/^([1-9]|[1-5]\d|6[0-4])$/.test(values["rpc-lanes"])) {
    console.error(`indexer: --rpc-lanes must be an integer in 1..64 (got "${values["rpc-lanes"]}")`);
    return 2;
  }
  const chainId = (JSON.parse(readFileSync(deployment, "utf8")) as { chainId: number }).chainId;
  const env: NodeJS.ProcessEnv = { ...process.env, DEPIN_DEPLOYMENT: deployment, PONDER_TELEMETRY_DISABLED: "true" };
  if (values["rpc-url"]) env.DEPIN_RPC_URL = values["rpc-url"];
  if (values.db) env.DATABASE_URL = values.db;
  else delete env.DATABASE_URL;
  if (values.data) env.DEPIN_INDEXER_DATA = path.resolve(values.data);
  if (values.store) env.DEPIN_STORE_URL = values.store;
  if (values["keeper-status"]) env.DEPIN_KEEPER_STATUS = values["keeper-status"];
  if (values["poll-ms"]) env.DEPIN_INDEXER_POLL_MS = values["poll-ms"];
  if (values["rpc-lanes"]) env.DEPIN_INDEXER_RPC_LANES = values["rpc-lanes"];
  if (values["stall-seconds"]) env.DEPIN_INDEXER_STALL_SECONDS = values["stall-seconds"];
  const ponderBin = path.join(REPO_ROOT, "node_modules", "ponder", "dist", "esm", "bin", "ponder.js");
  const args = [
    ponderBin,
    "start",
    "--root",
    path.join(REPO_ROOT, "indexer"),
    "--schema",
    values.schema ?? `depin_${chainId}`,
    "--port",
    values.port!,
    "--hostname",
    values.hostname!,
  ];
  // Ponder needs Node >= 22: the project's own (node_modules/.bin/node, installed by npm install).
  const nodeBin = path.join(REPO_ROOT, "node_modules", ".bin", "node");
  const child = spawn(existsSync(nodeBin) ? nodeBin : process.execPath, args, { env, stdio: "inherit", cwd: REPO_ROOT });
  const forward = (sig: NodeJS.Signals) => () => child.kill(sig);
  process.on("SIGINT", forward("SIGINT"));
  process.on("SIGTERM", forward("SIGTERM"));
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  return -1;
}

const code = main();
if (code >= 0) process.exit(code);
