/**
 * `npm run explorer -- [options]`: serves the web explorer (network, devices, device, batches,
 * epochs, governance) for one deployment. docs/explorer.md.
 */
import { existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";

const HELP = `Usage: npm run explorer -- [options]

Serves the explorer page for operators, owners and voters. It reads the network API (the
indexer: started here unless --api is given) and checks receipts against the chain itself
(--rpc-url). Wallet actions (claim, vote) go through the browser's injected wallet.

  --deployment FILE     deployment record (default deployments/31337.json)
  --rpc-url URL         the chain's JSON-RPC endpoint (default http://127.0.0.1:8545)
  --api URL             a running network API (npm run indexer); default: start one here
  --store URL           for the started indexer: the keepers' store (sqlite:FILE or postgres://…)
  --keepers LIST        name=URL pairs of keepers' /status pages, comma-separated
                        (e.g. prover=http://127.0.0.1:9102/status)
  --locations FILE      device locations for the coverage map: {"<deviceId>": [lat, lng], …}
  --data DIR            the started indexer's files (default data/explorer)
  --port N              port (default 8088)
  --hostname H          address (default 127.0.0.1)
  --verbose             the indexer's log on stderr
  --help                this text`;

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        deployment: { type: "string", default: "deployments/31337.json" },
        "rpc-url": { type: "string", default: process.env.DEPIN_RPC_URL ?? "http://127.0.0.1:8545" },
        api: { type: "string" },
        store: { type: "string" },
        keepers: { type: "string" },
        locations: { type: "string" },
        data: { type: "string", default: "data/explorer" },
        port: { type: "string", default: "8088" },
        hostname: { type: "string", default: "127.0.0.1" },
        verbose: { type: "boolean", default: false },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }));
  } catch (e) {
    console.error(`explorer: ${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const usage = (m: string) => {
    console.error(`explorer: ${m}`);
    return 2;
  };
  if (!existsSync(values.deployment!))
    return usage(`--deployment ${values.deployment} does not exist (run npm run deploy:local)`);
  if (!/^\d{1,5}$/.test(values.port!) || Number(values.port) > 65535)
    return usage(`--port must be 0..65535 (got "${values.port}")`);
  for (const [flag, v] of [
    ["--rpc-url", values["rpc-url"]],
    ["--api", values.api],
  ] as const) {
    if (v !== undefined && !/^https?:\/\/[^\s]+$/.test(v)) return usage(`${flag} must be an http(s):// URL (got "${v}")`);
  }
  const keepers: Record<string, string> = {};
  for (const pair of (values.keepers ?? "").split(",").filter(Boolean)) {
    const m = /^([a-z]+)=(https?:\/\/\S+)$/.exec(pair.trim());
    if (!m) return usage(`--keepers takes name=http://… pairs (got "${pair}")`);
    keepers[m[1]] = m[2];
  }
  const { launchExplorer, parseLocations } = await import("./launch.js");
  let locations: Record<string, [number, number]> | undefined;
  if (values.locations) {
    try {
      locations = parseLocations(readFileSync(values.locations, "utf8"), values.locations);
    } catch (e) {
      return usage((e as Error).message);
    }
  }
  const ex = await launchExplorer({
    deploymentFile: values.deployment!,
    rpcUrl: values["rpc-url"]!,
    apiUrl: values.api,
    store: values.store,
    keepers,
    locations,
    dataDir: values.data!,
    port: Number(values.port),
    hostname: values.hostname,
    verbose: values.verbose,
  });
  console.log(`explorer  ${ex.url}   (network API ${ex.apiUrl}; bundle ${Math.round(ex.initialBytes / 1024)} kB first load)`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await ex.stop();
  return 0;
}

main().then(
  (c) => process.exit(c),
  (e: unknown) => {
    console.error(`explorer: ${(e as Error).message}`);
    process.exit(1);
  },
);
