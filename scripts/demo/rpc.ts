/**
 * A JSON-RPC HTTP endpoint over the in-process Hardhat chain, so the keepers talk to the demo's
 * chain the way they talk to any node (their transaction manager signs raw transactions and
 * polls receipts over HTTP). Errors keep their revert data, so custom errors decode as usual.
 */
import http from "node:http";

export interface RequestProvider {
  request(a: { method: string; params?: unknown[] }): Promise<unknown>;
}

interface RpcCall {
  id: unknown;
  method: string;
  params?: unknown[];
}

export interface RpcEndpoint {
  url: string;
  /** JSON-RPC requests served so far. */
  requests(): number;
  close(): Promise<void>;
}

export async function rpcEndpoint(provider: RequestProvider): Promise<RpcEndpoint> {
  let served = 0;
  const one = async (m: RpcCall) => {
    served++;
    try {
      return { jsonrpc: "2.0", id: m.id, result: await provider.request({ method: m.method, params: m.params ?? [] }) };
    } catch (e) {
      const err = e as { message: string; data?: unknown };
      const data = typeof err.data === "string" ? err.data : (err.data as { data?: unknown } | undefined)?.data;
      return { jsonrpc: "2.0", id: m.id, error: { code: 3, message: err.message, data } };
    }
  };
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      let msg: RpcCall | RpcCall[];
      try {
        msg = JSON.parse(body) as RpcCall | RpcCall[];
      } catch {
        res.writeHead(400).end();
        return;
      }
      void (Array.isArray(msg) ? Promise.all(msg.map(one)) : one(msg)).then((out) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(out));
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url,
    requests: () => served,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
