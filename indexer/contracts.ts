/**
 * The protocol contracts the indexer follows: deployment-record name → Ponder contract name and
 * Hardhat artifact. ABIs come from the Hardhat artifacts (artifacts/, `npx hardhat build`), so
 * they are always the ABIs of the code that was deployed from this tree. Device accounts have no
 * entry in the record: the indexer follows every account the factory's DeviceAccountCreated
 * announces (Ponder factory).
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Abi, AbiEvent } from "viem";

export interface IndexedContract {
  /** Key in deployments/<chainId>.json. */
  record: string;
  /** Ponder contract name (handlers are registered as `${name}:${event}`). */
  name: string;
  /** Artifact: artifacts/contracts/<source>/<contract>.json. */
  source: string;
  contract: string;
}

export const INDEXED_CONTRACTS: readonly IndexedContract[] = [
  { record: "deviceRegistry", name: "DeviceRegistry", source: "identity/DeviceRegistry.sol", contract: "DeviceRegistry" },
  {
    record: "deviceAccountFactory",
    name: "DeviceAccountFactory",
    source: "identity/DeviceAccountFactory.sol",
    contract: "DeviceAccountFactory",
  },
  { record: "dataAvailability", name: "DataAvailability", source: "da/DataAvailability.sol", contract: "DataAvailability" },
  {
    record: "rewardDistributor",
    name: "RewardDistributor",
    source: "rewards/RewardDistributor.sol",
    contract: "RewardDistributor",
  },
  { record: "rewardEmission", name: "RewardEmission", source: "rewards/RewardEmission.sol", contract: "RewardEmission" },
  { record: "rewardToken", name: "RewardToken", source: "rewards/RewardToken.sol", contract: "RewardToken" },
  { record: "dataCredits", name: "DataCredits", source: "rewards/DataCredits.sol", contract: "DataCredits" },
  { record: "claimPaymaster", name: "ClaimPaymaster", source: "paymaster/ClaimPaymaster.sol", contract: "ClaimPaymaster" },
  { record: "governor", name: "Governor", source: "governance/ProtocolGovernor.sol", contract: "ProtocolGovernor" },
  { record: "timelock", name: "Timelock", source: "governance/ProtocolTimelock.sol", contract: "ProtocolTimelock" },
];

/** The per-device ERC-4337 accounts (addresses from DeviceAccountFactory.DeviceAccountCreated). */
export const DEVICE_ACCOUNT: IndexedContract = {
  record: "",
  name: "DeviceAccount",
  source: "identity/DeviceAccount.sol",
  contract: "DeviceAccount",
};

export class IndexerConfigError extends Error {
  override name = "IndexerConfigError";
}

export function loadAbi(artifactsDir: string, c: IndexedContract): Abi {
  const file = path.join(artifactsDir, "contracts", c.source, `${c.contract}.json`);
  if (!existsSync(file)) throw new IndexerConfigError(`no artifact ${file}: run \`npx hardhat build\` first`);
  return (JSON.parse(readFileSync(file, "utf8")) as { abi: Abi }).abi;
}

export function eventsOf(abi: Abi): AbiEvent[] {
  return abi.filter((x): x is AbiEvent => x.type === "event");
}

/**
 * Ponder's key for an event: its name, or its full signature when the ABI overloads the name
 * (`Name(type indexed a, ...)`, as Ponder expects).
 */
export function eventKeys(abi: Abi): { key: string; event: AbiEvent }[] {
  const events = eventsOf(abi);
  const count = new Map<string, number>();
  for (const e of events) count.set(e.name, (count.get(e.name) ?? 0) + 1);
  return events.map((e) => ({
    event: e,
    key:
      (count.get(e.name) ?? 0) > 1
        ? `${e.name}(${e.inputs.map((i) => `${i.type}${i.indexed ? " indexed" : ""} ${i.name ?? ""}`.trim()).join(", ")})`
        : e.name,
  }));
}
