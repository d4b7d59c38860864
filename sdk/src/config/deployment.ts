/**
 * The versioned deployment record keepers and scripts read: deployments/<chainId>.json
 *
 *   { "version": 1, "chainId": 31337, "network": "localhost", "module": "DevProtocol",
 *     "contracts": { "governor": { "address": "0x…", "startBlock": 12 }, … } }
 *
 * `startBlock` is the block the contract was created in: indexers and the roles audit scan
 * events from there.
 */
import { readFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { getAddress, type Provider } from "ethers";
import { ConfigError, type OptionSpecs } from "./options.js";

export const DEPLOYMENT_FORMAT_VERSION = 1;

export interface DeployedContract {
  address: string;
  startBlock: number;
}

export interface Deployment {
  version: number;
  chainId: number;
  network: string;
  module: string;
  contracts: Record<string, DeployedContract>;
}

export class DeploymentError extends Error {
  override name = "DeploymentError";
}

export function deploymentPath(chainId: bigint | number, dir = "deployments"): string {
  return path.resolve(dir, `${chainId}.json`);
}

/** Reads and validates deployments/<chainId>.json; the error names the file and the bad field. */
export function readDeployment(chainId: bigint | number, dir = "deployments"): Deployment {
  const file = deploymentPath(chainId, dir);
  if (!existsSync(file)) {
    throw new DeploymentError(`no deployment for chain ${chainId}: ${file} does not exist (run scripts/deploy.ts first)`);
  }
  return parseDeployment(JSON.parse(readFileSync(file, "utf8")) as unknown, file);
}

/**
 * The deployment record for `chainId`: the file named by env DEPIN_DEPLOYMENT when set (as the
 * keepers and the identity CLI read it), else <dir>/<chainId>.json. A record of another chain is
 * refused, naming both.
 */
export function deploymentFor(chainId: bigint | number, dir = "deployments", env = process.env): Deployment {
  const file = env.DEPIN_DEPLOYMENT;
  if (!file) return readDeployment(chainId, dir);
  if (!existsSync(file)) throw new DeploymentError(`DEPIN_DEPLOYMENT=${file}: no such file`);
  const d = parseDeployment(JSON.parse(readFileSync(file, "utf8")) as unknown, file);
  if (BigInt(d.chainId) !== BigInt(chainId))
    throw new DeploymentError(
      `DEPIN_DEPLOYMENT=${file} is a deployment on chain ${d.chainId}, but the RPC serves chain ${chainId}`,
    );
  return d;
}

export function parseDeployment(raw: unknown, source = "deployment"): Deployment {
  const bad = (field: string, why: string): never => {
    throw new DeploymentError(`${source}: ${field} ${why}`);
  };
  if (typeof raw !== "object" || raw === null) return bad("(root)", "must be an object");
  const r = raw as Record<string, unknown>;
  if (r.version !== DEPLOYMENT_FORMAT_VERSION) bad("version", `must be ${DEPLOYMENT_FORMAT_VERSION} (got ${String(r.version)})`);
  if (typeof r.chainId !== "number" || !Number.isSafeInteger(r.chainId)) bad("chainId", "must be an integer");
  if (typeof r.network !== "string") bad("network", "must be a string");
  if (typeof r.module !== "string") bad("module", "must be a string");
  if (typeof r.contracts !== "object" || r.contracts === null) return bad("contracts", "must be an object");
  const contracts: Record<string, DeployedContract> = {};
  for (const [name, c] of Object.entries(r.contracts as Record<string, unknown>)) {
    const e = c as Partial<DeployedContract> | null;
    if (typeof e?.address !== "string") return bad(`contracts.${name}.address`, "must be an address");
    let address: string;
    try {
      address = getAddress(e.address);
    } catch {
      return bad(`contracts.${name}.address`, `is not an address (${e.address})`);
    }
    if (typeof e.startBlock !== "number" || !Number.isSafeInteger(e.startBlock) || e.startBlock < 0) {
      return bad(`contracts.${name}.startBlock`, "must be a block number");
    }
    contracts[name] = { address, startBlock: e.startBlock };
  }
  return {
    version: DEPLOYMENT_FORMAT_VERSION,
    chainId: r.chainId as number,
    network: r.network as string,
    module: r.module as string,
    contracts,
  };
}

export function writeDeployment(deployment: Deployment, dir = "deployments"): string {
  const file = deploymentPath(deployment.chainId, dir);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(deployment, null, 2) + "\n");
  return file;
}

/** The named contract's address, or an error listing the names the deployment has. */
export function contractAddress(deployment: Deployment, name: string): string {
  const c = deployment.contracts[name];
  if (!c) {
    throw new DeploymentError(
      `deployment on chain ${deployment.chainId} has no contract "${name}" (has: ${Object.keys(deployment.contracts).join(", ")})`,
    );
  }
  return c.address;
}

/**
 * The block `address` got its code in, by binary search over historical `eth_getCode` (needs
 * state at old blocks: any Hardhat node, an archive node, or recent blocks elsewhere).
 */
export async function creationBlock(provider: Provider, address: string, latest?: number): Promise<number> {
  let hi = latest ?? (await provider.getBlockNumber());
  if ((await provider.getCode(address, hi)) === "0x") throw new DeploymentError(`no code at ${address}`);
  let lo = 0;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if ((await provider.getCode(address, mid)) === "0x") lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Builds a deployment record from Ignition's results (name → contract with an address). */
export async function recordDeployment(
  provider: Provider,
  meta: { network: string; module: string },
  contracts: Record<string, { getAddress(): Promise<string> }>,
): Promise<Deployment> {
  const chainId = Number((await provider.getNetwork()).chainId);
  const latest = await provider.getBlockNumber();
  const out: Record<string, DeployedContract> = {};
  for (const name of Object.keys(contracts).sort()) {
    const address = getAddress(await contracts[name].getAddress());
    out[name] = { address, startBlock: await creationBlock(provider, address, latest) };
  }
  return { version: DEPLOYMENT_FORMAT_VERSION, chainId, network: meta.network, module: meta.module, contracts: out };
}

// ---------------------------------------------------------------- options from a record
//
// `--deployment <file>` fills each contract-address option of a keeper (or tool) from the record,
// and the network id from its chain id, unless the option is given explicitly (flag or env).

/** Keeper option → contract name in the deployment record. */
export const DEPLOYMENT_CONTRACTS: Readonly<Record<string, string>> = {
  directory: "deviceRegistry",
  da: "dataAvailability",
  distributor: "rewardDistributor",
};

export function loadDeploymentFile(file: string): Deployment {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new ConfigError("deployment", `cannot read ${file}: ${(e as Error).message}`);
  }
  try {
    return parseDeployment(raw, file);
  } catch (e) {
    throw new ConfigError("deployment", (e as Error).message);
  }
}

/**
 * `input` with the options of `specs` that the deployment knows filled in where `input` lacks
 * them (keys in camelCase or kebab-case count as given).
 */
export function withDeployment(specs: OptionSpecs, input: Record<string, unknown>, d: Deployment): Record<string, unknown> {
  const given = new Set(Object.keys(input).map((k) => k.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())));
  const out = { ...input };
  for (const [option, contract] of Object.entries(DEPLOYMENT_CONTRACTS)) {
    if (!(option in specs) || given.has(option)) continue;
    const c = d.contracts[contract];
    if (!c) throw new ConfigError("deployment", `the deployment (chain ${d.chainId}) has no ${contract} for --${option}`);
    out[option] = c.address;
  }
  if ("networkId" in specs && !given.has("networkId")) out.networkId = String(d.chainId);
  return out;
}
