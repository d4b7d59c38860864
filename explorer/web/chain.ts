/**
 * The chain, as the page sees it: a read-only provider through the explorer's /rpc proxy, the
 * trusted deployment's addresses (/config.json), and the injected EIP-1193 wallet for writes.
 */
import { BrowserProvider, Contract, JsonRpcProvider, type Eip1193Provider, type Signer } from "ethers";
import { parseExact } from "./exact.js";

export interface Config {
  chainId: number;
  contracts: Record<string, string>;
  keepers: Record<string, string>;
}

let config: Config | null = null;
let provider: JsonRpcProvider | null = null;

export async function getConfig(): Promise<Config> {
  config ??= (await (await fetch("/config.json")).json()) as Config;
  return config;
}

export async function chain(): Promise<JsonRpcProvider> {
  const c = await getConfig();
  provider ??= new JsonRpcProvider(new URL("/rpc", location.href).href, c.chainId, {
    staticNetwork: true,
    batchMaxCount: 20,
    cacheTimeout: -1,
  });
  return provider;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** GET /api/…, parsed with exact integers; an API error becomes an ApiError with its code. */
export async function api<T>(path: string): Promise<T> {
  const res = await fetch(`/api${path}`);
  const text = await res.text();
  let body: unknown;
  try {
    body = parseExact(text);
  } catch {
    throw new ApiError(res.status, "BAD_JSON", `the API answered ${res.status} with no JSON`);
  }
  if (!res.ok) {
    const e = (body as { error?: { code?: string; message?: string } }).error;
    throw new ApiError(res.status, e?.code ?? "HTTP", e?.message ?? `HTTP ${res.status}`);
  }
  return body as T;
}

export const contract = async (name: string, abi: string[]) => {
  const c = await getConfig();
  const address = c.contracts[name];
  if (!address) throw new Error(`the deployment record has no ${name}`);
  return new Contract(address, abi, await chain());
};

export const DISTRIBUTOR_ABI = [
  "function claim(uint64[] deviceIds, uint64[] epochs) returns (uint256)",
  "function pointsOf(uint64 deviceId, uint64 epoch) view returns (uint256 points, bool claimed)",
  "function claimable(uint64 deviceId, uint64 epoch) view returns (uint256)",
  "function epochInfo(uint64 epoch) view returns (tuple(uint256 totalPoints, uint256 emission) totals, bool closed)",
];
export const TOKEN_ABI = ["function balanceOf(address) view returns (uint256)", "function symbol() view returns (string)"];
export const GOVERNOR_ABI = [
  "function state(uint256 proposalId) view returns (uint8)",
  "function proposalVotes(uint256 proposalId) view returns (uint256 againstVotes, uint256 forVotes, uint256 abstainVotes)",
  "function proposalEta(uint256 proposalId) view returns (uint256)",
  "function hasVoted(uint256 proposalId, address account) view returns (bool)",
  "function castVoteWithReason(uint256 proposalId, uint8 support, string reason) returns (uint256)",
  "function getVotes(address account, uint256 timepoint) view returns (uint256)",
];
export const REGISTRY_ABI = [
  "function deviceInfo(uint256 id) view returns (tuple(address owner, uint8 status, uint32 keyCount, uint64 statusSince))",
  "function keyAt(uint256 id, uint256 index) view returns (tuple(uint8 keyType, bytes publicKey, uint64 validFrom, uint64 revokedAt))",
  "function rewardRecipient(uint256 id) view returns (address)",
  "function deviceDocument(uint256 id) view returns (tuple(bytes32 hash, string uri))",
  "function ownerDocument(address owner) view returns (tuple(bytes32 hash, string uri))",
];
export const PROPOSAL_STATES = ["Pending", "Active", "Canceled", "Defeated", "Succeeded", "Queued", "Expired", "Executed"];

declare global {
  interface Window {
    ethereum?: Eip1193Provider;
  }
}

/** The injected wallet's signer, on the explorer's chain (asks the wallet to switch if needed). */
export async function walletSigner(): Promise<Signer> {
  if (!window.ethereum) throw new Error("no wallet: install an EIP-1193 wallet (window.ethereum) to sign");
  const c = await getConfig();
  const bp = new BrowserProvider(window.ethereum);
  await bp.send("eth_requestAccounts", []);
  const net = await bp.getNetwork();
  if (Number(net.chainId) !== c.chainId)
    throw new Error(`the wallet is on chain ${net.chainId}; switch it to chain ${c.chainId}`);
  return bp.getSigner();
}
