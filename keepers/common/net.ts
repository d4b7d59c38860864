/**
 * Small network utilities for running keepers beside an in-process chain: a JSON-RPC HTTP
 * endpoint over an EIP-1193 provider (the demo and the tests serve their Hardhat chain to keeper
 * processes with it, the way any node serves them), a free TCP port, and a port probe.
 */
import http from "node:http";
import net from "node:net";

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
  /** HTTP requests received, and how many were dropped during an outage. */
  stats(): { requests: number; refused: number };
  /** Unreachable for `ms`: open connections are cut and every request in that time is dropped. */
  outage(ms: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Serves `provider` over HTTP JSON-RPC on 127.0.0.1 (single and batch calls). Errors keep their
 * revert data, so custom errors decode on the client as usual; `onError` sees each failed call.
 */
export async function rpcEndpoint(
  provider: RequestProvider,
  onError?: (method: string, message: string) => void,
  listen: { host?: string; port?: number } = {},
): Promise<RpcEndpoint> {
  let isDown = false;
  let requests = 0;
  let refused = 0;
  const sockets = new Set<net.Socket>();
  const one = async (m: RpcCall) => {
    try {
      return { jsonrpc: "2.0", id: m.id, result: await provider.request({ method: m.method, params: m.params ?? [] }) };
    } catch (e) {
      const err = e as { message: string; data?: unknown };
      onError?.(m.method, err.message);
      const data = typeof err.data === "string" ? err.data : (err.data as { data?: unknown } | undefined)?.data;
      return { jsonrpc: "2.0", id: m.id, error: { code: 3, message: err.message, data } };
    }
  };
  const server = http.createServer((req, res) => {
    requests++;
    if (isDown) {
      refused++;
      req.socket.destroy();
      return;
    }
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
        if (isDown) {
          res.socket?.destroy();
          return;
        }
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(out));
      });
    });
  });
  server.on("connection", (s: net.Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  const host = listen.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(listen.port ?? 0, host, () => resolve());
  });
  return {
    url: `http://${host}:${(server.address() as net.AddressInfo).port}`,
    stats: () => ({ requests, refused }),
    async outage(ms: number): Promise<void> {
      isDown = true;
      for (const s of sockets) s.destroy();
      await new Promise((r) => setTimeout(r, ms));
      isDown = false;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
export async function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}
