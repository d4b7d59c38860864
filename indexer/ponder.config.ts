/**
 * Ponder configuration: every protocol contract of the deployment record (addresses and start
 * blocks), ABIs from the Hardhat artifacts, the device accounts through the factory's
 * DeviceAccountCreated event, embedded PGlite by default or PostgreSQL (DATABASE_URL).
 * Settings come from the environment set by indexer/cli.ts (`npm run indexer -- --help`).
 */
import { createConfig, factory } from "ponder";
import type { Abi, AbiEvent } from "viem";
import { DEVICE_ACCOUNT, INDEXED_CONTRACTS, eventsOf, loadAbi } from "./contracts.js";
import { indexerSettings } from "./settings.js";

const s = indexerSettings();

const contracts: Record<string, { abi: Abi; chain: "protocol"; address: unknown; startBlock: number }> = {};
for (const c of INDEXED_CONTRACTS) {
  const d = s.deployment.contracts[c.record];
  if (!d) {
    // A partial deployment (a test network, a protocol without governance yet): index the rest.
    console.warn(
      JSON.stringify({ at: "Indexer#config", level: "warn", msg: `${s.deploymentFile} has no ${c.record}: not indexed` }),
    );
    continue;
  }
  contracts[c.name] = { abi: loadAbi(s.artifactsDir, c), chain: "protocol", address: d.address, startBlock: d.startBlock };
}
const factoryRecord = s.deployment.contracts.deviceAccountFactory;
if (factoryRecord) {
  const created = eventsOf(contracts.DeviceAccountFactory.abi).find((e) => e.name === "DeviceAccountCreated") as AbiEvent;
  contracts[DEVICE_ACCOUNT.name] = {
    abi: loadAbi(s.artifactsDir, DEVICE_ACCOUNT),
    chain: "protocol",
    address: factory({ address: factoryRecord.address as `0x${string}`, event: created, parameter: "account" }),
    startBlock: factoryRecord.startBlock,
  };
}

export default createConfig({
  database: s.databaseUrl ? { kind: "postgres", connectionString: s.databaseUrl } : { kind: "pglite", directory: s.dataDir },
  chains: {
    protocol: {
      id: s.deployment.chainId,
      // One rate bucket per listed URL (see IndexerSettings.rpcLanes).
      rpc: s.rpcLanes > 1 ? Array.from({ length: s.rpcLanes }, () => s.rpcUrl) : s.rpcUrl,
      pollingInterval: s.pollMs,
      disableCache: s.deployment.chainId === 31337,
    },
  },
  // The record is read at run time, so the contracts' types are the general Abi.
  contracts: contracts as never,
});
