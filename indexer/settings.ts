/**
 * The indexer's settings, read from the environment that `npm run indexer` (indexer/cli.ts) sets
 * for the Ponder process. One place, so ponder.config.ts and the API read the same values.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { IndexerConfigError } from "./contracts.js";

export interface DeploymentRecord {
  chainId: number;
  contracts: Record<string, { address: string; startBlock: number }>;
}

export interface IndexerSettings {
  deploymentFile: string;
  deployment: DeploymentRecord;
  rpcUrl: string;
  /** PostgreSQL URL; empty = embedded PGlite in `dataDir`. */
  databaseUrl: string;
  dataDir: string;
  pollMs: number;
  artifactsDir: string;
  /** Keepers' store (readings, sealed batches, proofs): sqlite:… or postgres://…; empty = none. */
  storeUrl: string;
  /** Keepers' /status URLs for the network's health view. */
  keeperStatusUrls: string[];
  /** A pipeline stage waiting longer than this (seconds) is reported as stalled in /v1/network. */
  stallSeconds: number;
  /**
   * Ponder rate-limits each RPC URL on its own (20 requests/s at start, raised 5% at a time):
   * the endpoint is listed this many times, so a local node starts at lanes × 20 requests/s.
   * Default 8 for a loopback URL, 1 otherwise.
   */
  rpcLanes: number;
}

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export function indexerSettings(env: NodeJS.ProcessEnv = process.env): IndexerSettings {
  const deploymentFile = env.DEPIN_DEPLOYMENT;
  if (!deploymentFile) throw new IndexerConfigError("DEPIN_DEPLOYMENT (--deployment) is required: deployments/<chainId>.json");
  let deployment: DeploymentRecord;
  try {
    deployment = JSON.parse(readFileSync(deploymentFile, "utf8")) as DeploymentRecord;
  } catch (e) {
    throw new IndexerConfigError(`cannot read the deployment record ${deploymentFile}: ${(e as Error).message}`);
  }
  if (typeof deployment.chainId !== "number" || typeof deployment.contracts !== "object") {
    throw new IndexerConfigError(`${deploymentFile} is not a deployment record (chainId, contracts)`);
  }
  const pollMs = Number(env.DEPIN_INDEXER_POLL_MS ?? 1000);
  if (!Number.isInteger(pollMs) || pollMs < 10) throw new IndexerConfigError("DEPIN_INDEXER_POLL_MS must be an integer >= 10");
  const rpcUrl = env.DEPIN_RPC_URL ?? "http://127.0.0.1:8545";
  // A node on this machine is not a rate-limited provider: 8 lanes unless told otherwise.
  const loopback = /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:|\/|$)/.test(rpcUrl);
  const rpcLanes = Number(env.DEPIN_INDEXER_RPC_LANES ?? (loopback ? 8 : 1));
  if (!Number.isInteger(rpcLanes) || rpcLanes < 1 || rpcLanes > 64)
    throw new IndexerConfigError("DEPIN_INDEXER_RPC_LANES (--rpc-lanes) must be an integer in 1..64");
  const stallSeconds = Number(env.DEPIN_INDEXER_STALL_SECONDS ?? 300);
  if (!Number.isInteger(stallSeconds) || stallSeconds < 1)
    throw new IndexerConfigError("DEPIN_INDEXER_STALL_SECONDS (--stall-seconds) must be an integer >= 1");
  return {
    deploymentFile,
    deployment,
    rpcUrl,
    databaseUrl: env.DATABASE_URL ?? "",
    dataDir: env.DEPIN_INDEXER_DATA ?? path.join(REPO_ROOT, "data", "indexer", String(deployment.chainId)),
    pollMs,
    artifactsDir: env.DEPIN_ARTIFACTS ?? path.join(REPO_ROOT, "artifacts"),
    storeUrl: env.DEPIN_STORE_URL ?? "",
    keeperStatusUrls: (env.DEPIN_KEEPER_STATUS ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
    stallSeconds,
    rpcLanes,
  };
}
