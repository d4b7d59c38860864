/**
 * The explorer with its network API: starts the indexer (unless an API URL is given) and the
 * explorer's server. Used by `npm run explorer`, `npm run devnet` and `npm run demo`.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { freePort } from "../keepers/common/net.js";
import { startIndexerChild } from "./indexer-process.js";
import { startExplorer, type ExplorerOptions } from "./server.js";

export interface LaunchOptions {
  deploymentFile: string;
  rpcUrl: string;
  /** Explorer port (0 = a free one). */
  port: number;
  hostname?: string;
  /** An existing network API; empty = start the indexer here. */
  apiUrl?: string;
  /** For a started indexer: the keepers' store and its PGlite directory. */
  store?: string;
  dataDir: string;
  /** Keeper name → /status URL. */
  keepers?: Record<string, string>;
  locations?: Record<string, [number, number]>;
  indexerPort?: number;
  verbose?: boolean;
}

export interface Launched {
  url: string;
  apiUrl: string;
  bundleBytes: number;
  initialBytes: number;
  stop(): Promise<void>;
}

export async function launchExplorer(o: LaunchOptions): Promise<Launched> {
  const deployment = JSON.parse(readFileSync(o.deploymentFile, "utf8")) as ExplorerOptions["deployment"];
  const keepers = o.keepers ?? {};
  let apiUrl = o.apiUrl ?? "";
  let stopIndexer = async () => {};
  if (!apiUrl) {
    const ix = await startIndexerChild({
      deployment: path.resolve(o.deploymentFile),
      rpcUrl: o.rpcUrl,
      port: o.indexerPort || (await freePort()),
      data: path.resolve(o.dataDir, "indexer"),
      store: o.store,
      keeperStatus: Object.values(keepers),
      verbose: o.verbose,
    });
    apiUrl = ix.url;
    stopIndexer = ix.stop;
  }
  try {
    const ex = await startExplorer({
      port: o.port,
      hostname: o.hostname ?? "127.0.0.1",
      apiUrl,
      rpcUrl: o.rpcUrl,
      deployment,
      keepers,
      locations: o.locations,
      log: (l) => console.error(l),
    });
    return {
      url: ex.url,
      apiUrl,
      bundleBytes: ex.bundleBytes,
      initialBytes: ex.initialBytes,
      stop: async () => {
        await ex.close();
        await stopIndexer();
      },
    };
  } catch (e) {
    await stopIndexer();
    throw e;
  }
}

/** Parses a locations file: {"<deviceId>": [lat, lng], …}; errors name the bad entry. */
export function parseLocations(text: string, file: string): Record<string, [number, number]> {
  const j = JSON.parse(text) as unknown;
  if (typeof j !== "object" || j === null || Array.isArray(j)) throw new Error(`${file}: expected {"<deviceId>": [lat, lng], …}`);
  const out: Record<string, [number, number]> = {};
  for (const [k, v] of Object.entries(j)) {
    if (!/^\d+$/.test(k)) throw new Error(`${file}: key "${k}" is not a device id`);
    if (
      !Array.isArray(v) ||
      v.length !== 2 ||
      typeof v[0] !== "number" ||
      typeof v[1] !== "number" ||
      Math.abs(v[0]) > 90 ||
      Math.abs(v[1]) > 180
    )
      throw new Error(`${file}: device ${k}: expected [lat, lng] with |lat| <= 90 and |lng| <= 180`);
    out[k] = [v[0], v[1]];
  }
  return out;
}
