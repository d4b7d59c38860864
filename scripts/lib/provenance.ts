/**
 * Key provenance checks on verifier contracts (IVerifierKeyProvenance, written into every
 * generated verifier by tools/circuits/): scripts/deploy.ts refuses development keys before it
 * deploys to a chain that is not a local development chain, and the roles audit fails on a
 * distributor verifier with development keys (or no provenance at all) on such a chain.
 */
import { getAddress, type Provider } from "ethers";
import { IRewardDistributor__factory, IVerifierKeyProvenance__factory } from "../../types/typechain/index.js";

/** Local development chains: the in-process network and `hardhat node` (31337), and 1337. */
export const LOCAL_CHAIN_IDS: ReadonlySet<bigint> = new Set([31337n, 1337n]);

export function isLocalChain(chainId: bigint | number): boolean {
  return LOCAL_CHAIN_IDS.has(BigInt(chainId));
}

/** How a network gets keys it may deploy (printed with every refusal). */
export const CEREMONY_HINT =
  "run the phase-2 ceremony on a public Powers of Tau (`npm run ceremony -- --help`, docs/ceremony.md), " +
  "export its verifier into contracts/verifiers/ and build again";

export interface VerifierKeys {
  /** Deployment name or role of the verifier (e.g. "rewardVerifier", "distributor depth 2"). */
  name: string;
  /** Where it is deployed (undefined for an artifact about to be deployed). */
  address?: string;
  /** undefined when the contract does not answer devKeys() (no provenance: treated as unknown). */
  devKeys?: boolean;
  keyId?: string;
  provenance?: string;
}

/** Reads devKeys(), keyId() and keyProvenance() of a deployed verifier. */
export async function readVerifierKeys(provider: Provider, name: string, address: string): Promise<VerifierKeys> {
  const v = IVerifierKeyProvenance__factory.connect(address, provider);
  const out: VerifierKeys = { name, address: getAddress(address) };
  try {
    out.devKeys = await v.devKeys();
    out.keyId = await v.keyId();
    out.provenance = await v.keyProvenance();
  } catch {
    // No code, or a verifier generated before provenance existed: unknown.
    out.devKeys = undefined;
  }
  return out;
}

/** Why `keys` must not be used on chain `chainId`, or undefined when they may. */
export function keysRefusal(keys: VerifierKeys, chainId: bigint | number): string | undefined {
  if (isLocalChain(chainId)) return undefined;
  const what = keys.address === undefined ? keys.name : `${keys.name} (${keys.address})`;
  if (keys.devKeys === undefined) {
    return `${what} does not declare its key provenance (no devKeys()): its keys may be development keys`;
  }
  if (keys.devKeys) {
    return `${what} has development keys (${keys.provenance ?? "no provenance text"}): anyone can forge its proofs`;
  }
  return undefined;
}

/**
 * The verifiers a RewardDistributor uses now: every depth named by a VerifierSet event since
 * `fromBlock`, confirmed with verifierFor(depth) (events find candidates, state decides).
 */
export async function distributorVerifiers(
  provider: Provider,
  distributor: string,
  fromBlock: number,
): Promise<{ depth: number; verifier: string; slots: number }[]> {
  const d = IRewardDistributor__factory.connect(distributor, provider);
  const logs = await d.queryFilter(d.filters.VerifierSet(), fromBlock, "latest");
  const depths = [...new Set(logs.map((l) => Number(l.args.depth)))].sort((a, b) => a - b);
  const out = [];
  for (const depth of depths) {
    const cfg = await d.verifierFor(depth);
    if (BigInt(cfg.verifier) !== 0n) out.push({ depth, verifier: getAddress(cfg.verifier), slots: Number(cfg.slots) });
  }
  return out;
}

/**
 * Deploys each named verifier artifact on a throw-away in-process chain and reads its provenance:
 * what the deployment would put on-chain, checked before any transaction is sent to the real one.
 */
export async function artifactVerifierKeys(contractNames: string[]): Promise<VerifierKeys[]> {
  const { default: hre } = await import("hardhat");
  const scratch = await hre.network.create({ network: "default" });
  try {
    const out: VerifierKeys[] = [];
    for (const name of contractNames) {
      const c = await scratch.ethers.deployContract(name);
      await c.waitForDeployment();
      const keys = await readVerifierKeys(scratch.ethers.provider, name, await c.getAddress());
      out.push({ ...keys, address: undefined });
    }
    return out;
  } finally {
    await scratch.close();
  }
}

/** Throws (before anything is sent) when a verifier about to be deployed to `chainId` has development keys. */
export function assertDeployableKeys(chainId: bigint | number, keys: VerifierKeys[]): void {
  const refusals = keys.map((k) => keysRefusal(k, chainId)).filter((r): r is string => r !== undefined);
  if (refusals.length > 0) {
    throw new Error(
      `refusing to deploy to chain ${chainId} (not a local development chain): ${refusals.join("; ")}. ` +
        `Nothing was sent. To get keys a real network may use, ${CEREMONY_HINT}.`,
    );
  }
}
