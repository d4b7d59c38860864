/**
 * The explorer's HTTP server: the page (bundled in memory by bundle.ts), its configuration (the
 * trusted deployment record's addresses and the keepers' names), a read-only proxy to the chain's
 * JSON-RPC endpoint (/rpc: a method allow-list, no signing) and a GET-only proxy to the network
 * API (/api/… → the indexer). The page talks to nothing else: its Content-Security-Policy allows
 * only its own origin, so no request leaves the machine (no tiles, fonts or CDNs).
 */
import http from "node:http";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { bundleExplorer, type BundleFile } from "./bundle.js";

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** JSON-RPC methods the page may call through /rpc: reads only. */
export const RPC_METHODS = new Set([
  "eth_chainId",
  "net_version",
  "eth_blockNumber",
  "eth_call",
  "eth_getCode",
  "eth_getBalance",
  "eth_getStorageAt",
  "eth_getLogs",
  "eth_getBlockByNumber",
  "eth_getBlockByHash",
  "eth_getTransactionByHash",
  "eth_getTransactionReceipt",
  "eth_getTransactionCount",
  "eth_estimateGas",
  "eth_gasPrice",
  "eth_feeHistory",
  "eth_maxPriorityFeePerGas",
]);

export interface ExplorerOptions {
  port: number;
  hostname: string;
  /** The network API (the indexer), e.g. http://127.0.0.1:42069. */
  apiUrl: string;
  rpcUrl: string;
  /** The trusted deployment record (chainId, contract addresses). */
  deployment: { chainId: number; contracts: Record<string, { address: string; startBlock?: number }> };
  /** Keeper name → its /status URL (names the API's keepers' health entries). */
  keepers: Record<string, string>;
  /** Optional device locations (device id → [lat, lng]) for the coverage map. */
  locations?: Record<string, [number, number]>;
  log?: (line: string) => void;
}

export interface Explorer {
  url: string;
  port: number;
  bundleBytes: number;
  initialBytes: number;
  close(): Promise<void>;
}

const MAX_BODY = 1 << 20;

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let n = 0;
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => {
      n += c.length;
      if (n > MAX_BODY) {
        reject(new Error("request body over 1 MiB"));
        req.destroy();
      } else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

type RpcCall = { jsonrpc?: string; id?: unknown; method?: unknown; params?: unknown };

/** Checks a JSON-RPC body (one call or a batch) against the allow-list; returns an error text or null. */
export function checkRpcBody(body: unknown): string | null {
  const calls = Array.isArray(body) ? body : [body];
  if (calls.length === 0 || calls.length > 100) return "a JSON-RPC call or a batch of 1..100 calls";
  for (const c of calls as RpcCall[]) {
    if (typeof c !== "object" || c === null || typeof c.method !== "string") return "each call needs a method";
    if (!RPC_METHODS.has(c.method)) return `method ${c.method} is not allowed here (read-only proxy; sign with your wallet)`;
  }
  return null;
}

export async function startExplorer(o: ExplorerOptions): Promise<Explorer> {
  const { files, bytes, initialBytes } = await bundleExplorer();
  const page = readFileSync(path.join(HERE, "web", "index.html"));
  const config = JSON.stringify({
    chainId: o.deployment.chainId,
    contracts: Object.fromEntries(Object.entries(o.deployment.contracts).map(([k, v]) => [k, v.address])),
    keepers: o.keepers,
  });
  const locations = JSON.stringify(o.locations ?? {});
  const api = o.apiUrl.replace(/\/$/, "");
  const headers = {
    "content-security-policy":
      "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; connect-src 'self'; " +
      "img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
  };
  const send = (res: http.ServerResponse, status: number, type: string, body: string | Uint8Array) => {
    res.writeHead(status, { ...headers, "content-type": type, "cache-control": "no-store" });
    res.end(body);
  };
  const fail = (res: http.ServerResponse, status: number, code: string, message: string) =>
    send(res, status, "application/json", JSON.stringify({ error: { code, message } }));

  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://x");
      const p = url.pathname;
      if (p === "/rpc") {
        if (req.method !== "POST") return fail(res, 405, "METHOD", "POST a JSON-RPC call");
        let body: unknown;
        try {
          body = JSON.parse(await readBody(req));
        } catch (e) {
          return fail(res, 400, "BAD_JSON", (e as Error).message);
        }
        const why = checkRpcBody(body);
        if (why) return fail(res, 403, "RPC_METHOD", why);
        try {
          const r = await fetch(o.rpcUrl, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify(body),
            signal: AbortSignal.timeout(30_000),
          });
          return send(res, r.status, "application/json", await r.text());
        } catch (e) {
          return fail(res, 502, "RPC_DOWN", `the chain's RPC endpoint does not answer: ${(e as Error).message}`);
        }
      }
      if (req.method !== "GET" && req.method !== "HEAD") return fail(res, 405, "METHOD", "GET only");
      if (p.startsWith("/api/")) {
        const target = `${api}${p.slice(4)}${url.search}`;
        try {
          const r = await fetch(target, { signal: AbortSignal.timeout(30_000) });
          return send(res, r.status, r.headers.get("content-type") ?? "application/json", Buffer.from(await r.arrayBuffer()));
        } catch (e) {
          return fail(res, 502, "API_DOWN", `the network API (${api}) does not answer: ${(e as Error).message}`);
        }
      }
      if (p === "/favicon.ico") {
        res.writeHead(204, headers);
        return res.end();
      }
      if (p === "/config.json") return send(res, 200, "application/json", config);
      if (p === "/locations.json") return send(res, 200, "application/json", locations);
      const f: BundleFile | undefined = files.get(p);
      if (f) return send(res, 200, `${f.type}; charset=utf-8`, f.body);
      if (p === "/" || p === "/index.html") return send(res, 200, "text/html; charset=utf-8", page);
      return fail(res, 404, "NOT_FOUND", `no such file: ${p}`);
    })().catch((e: unknown) => {
      o.log?.(`explorer: ${(e as Error).message}`);
      if (!res.headersSent) fail(res, 500, "INTERNAL", "internal error");
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, o.hostname, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://${o.hostname}:${port}/`,
    port,
    bundleBytes: bytes,
    initialBytes,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
