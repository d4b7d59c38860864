/**
 * Keeper options from a deployment record (deployments/<chainId>.json, written by the deploy
 * scripts): `--deployment <file>` fills each contract-address option of a keeper from the record,
 * and the bridge's network id from its chain id, unless the option is given explicitly (flag or
 * environment). So an operator starts every keeper with the same one flag.
 */
import { readFileSync } from "node:fs";
import { parseDeployment, type Deployment } from "../../scripts/lib/deployments.js";
import { ConfigError, type OptionSpecs } from "./options.js";

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
