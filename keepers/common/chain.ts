/**
 * The keepers' connection to the chain and the store's tie to it.
 *
 * - `connectChain` asks the endpoint for its chain id with backoff (1 s, 2 s, … 30 s) and a log
 *   line per attempt, then returns a provider with that network fixed: ethers' own network
 *   detection would otherwise retry every second forever, printing to the console outside the
 *   keeper's log and leaving /status and the metrics unaware.
 * - `bindStoreToChain` records the chain id and the contract addresses a keeper works with in the
 *   store on first use and refuses a store that already belongs to another chain or deployment,
 *   naming both (a store kept across a node restart would otherwise be committed to the new chain).
 */
import { JsonRpcProvider, Network, type Provider } from "ethers";
import type { Logger } from "./log.js";
import type { Store } from "./store/types.js";

/**
 * The keeper cannot work as configured: the endpoint is another chain, a configured contract has
 * no code there, the store belongs to another chain or deployment, or a port it must take is in
 * use. Final: the CLI stops with this message (exit 1) instead of retrying or hanging.
 */
export class ChainConfigError extends Error {
  override name = "ChainConfigError";
}

/** True for errors that mean "the endpoint is unreachable", as opposed to a revert or bad data. */
export function isConnectionError(e: unknown): boolean {
  const err = e as { code?: unknown; message?: unknown; cause?: unknown; error?: unknown } | null;
  if (!err) return false;
  const code = String(err.code ?? "");
  if (
    [
      "NETWORK_ERROR",
      "TIMEOUT",
      "SERVER_ERROR",
      "ECONNREFUSED",
      "ECONNRESET",
      "ENOTFOUND",
      "EAI_AGAIN",
      "UND_ERR_SOCKET",
    ].includes(code)
  )
    return true;
  const msg = String(err.message ?? "");
  if (/ECONNREFUSED|ECONNRESET|fetch failed|socket hang up|failed to detect network|network is unreachable/i.test(msg))
    return true;
  return err.cause !== undefined && err.cause !== e ? isConnectionError(err.cause) : false;
}

async function rpcChainId(url: string, timeoutMs: number): Promise<bigint> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = (await res.json()) as { result?: string; error?: { message?: string } };
  if (typeof body.result !== "string") throw new Error(`eth_chainId answered ${JSON.stringify(body.error ?? body)}`);
  return BigInt(body.result);
}

export interface ConnectOptions {
  /** Refuse an endpoint of another chain (e.g. the deployment record's chain id). */
  expectChainId?: bigint;
  /** Give up after this many attempts (default: keep trying). */
  attempts?: number;
  /** Told each failed attempt and the success, so a service can show "rpc-down" in /status. */
  onState?: (state: { up: boolean; error?: string; retryInMs?: number }) => void;
  pollingInterval?: number;
  /** Stop waiting (e.g. SIGTERM during start-up). */
  signal?: AbortSignal;
}

/** A provider for `url` with its network fixed, once the endpoint has answered eth_chainId. */
export async function connectChain(url: string, log: Logger, at: string, o: ConnectOptions = {}): Promise<JsonRpcProvider> {
  if (!/^https?:\/\//.test(url)) {
    // ws(s) endpoints: ethers' own detection (no static network), as before.
    return new JsonRpcProvider(url, undefined, { pollingInterval: o.pollingInterval });
  }
  let delay = 1000;
  for (let attempt = 1; ; attempt++) {
    try {
      const chainId = await rpcChainId(url, 10_000);
      if (o.expectChainId !== undefined && chainId !== o.expectChainId) {
        throw new ChainConfigError(`${url} is chain ${chainId}, but this keeper is configured for chain ${o.expectChainId}`);
      }
      o.onState?.({ up: true });
      if (attempt > 1) log.info(`${at}#rpcUp`, { url, chainId: chainId.toString(), attempts: attempt });
      return new JsonRpcProvider(url, Network.from(chainId), {
        staticNetwork: true,
        pollingInterval: o.pollingInterval,
      });
    } catch (e) {
      if (e instanceof ChainConfigError) throw e;
      const error = (e as Error).message;
      if (o.attempts !== undefined && attempt >= o.attempts) {
        throw new Error(`the JSON-RPC endpoint ${url} did not answer after ${attempt} attempt(s): ${error}`);
      }
      o.onState?.({ up: false, error, retryInMs: delay });
      log.warn(`${at}#rpcDown`, { url, err: error, attempt, retryInSeconds: delay / 1000 });
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(resolve, delay);
        o.signal?.addEventListener("abort", () => {
          clearTimeout(t);
          reject(new Error("stopped while waiting for the JSON-RPC endpoint"));
        });
      });
      delay = Math.min(delay * 2, 30_000);
    }
  }
}

/**
 * Ties `store` to the provider's chain and to `contracts` (name → address): the first keeper to
 * use the store records them; any later keeper with another chain id or address is refused.
 */
export async function bindStoreToChain(store: Store, provider: Provider, contracts: Record<string, string>): Promise<bigint> {
  const { chainId } = await provider.getNetwork();
  for (const [name, address] of Object.entries(contracts)) {
    if ((await provider.getCode(address)) === "0x") {
      throw new ChainConfigError(
        `no contract at ${address} (${name}) on chain ${chainId}: wrong --deployment/address, or the chain was restarted without redeploying`,
      );
    }
  }
  const where = store.kind === "sqlite" ? "the SQLite store" : "the PostgreSQL store";
  const held = await store.bindMeta("chainId", chainId.toString());
  if (held !== chainId.toString()) {
    throw new ChainConfigError(
      `${where} belongs to chain ${held}, but the RPC endpoint is chain ${chainId}: use the store of this chain (or a new one)`,
    );
  }
  for (const [name, address] of Object.entries(contracts)) {
    const mine = address.toLowerCase();
    const theirs = await store.bindMeta(`contract.${name}`, mine);
    if (theirs !== mine) {
      throw new ChainConfigError(
        `${where} belongs to another deployment on chain ${chainId}: its ${name} is ${theirs}, this keeper's is ${mine} ` +
          "(a redeployed protocol needs a new store)",
      );
    }
  }
  return chainId;
}
