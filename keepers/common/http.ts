/**
 * Operations HTTP endpoint of a daemon: GET /metrics (Prometheus text from prom-client),
 * GET /status (JSON the service describes itself with), GET /healthz. Services can mount extra
 * GET routes (the DA keeper serves batch payloads and proofs this way).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

export type RouteHandler = (url: URL) => Promise<{ status: number; body: unknown }>;

export class OpsServer {
  private server?: http.Server;
  private readonly routes: { prefix: string; handler: RouteHandler }[] = [];

  constructor(
    private readonly registry: Registry,
    private readonly status: () => Promise<Record<string, unknown>> | Record<string, unknown>,
  ) {}

  /** Adds a GET route matched by path prefix (checked in the order added). */
  route(prefix: string, handler: RouteHandler): void {
    this.routes.push({ prefix, handler });
  }

  async listen(port: number, host = "127.0.0.1"): Promise<number> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      this.server!.once("error", reject);
      this.server!.listen(port, host, () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    const send = (status: number, body: unknown, type = "application/json"): void => {
      const text =
        typeof body === "string" ? body : JSON.stringify(body, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
      res.writeHead(status, { "content-type": type });
      res.end(text);
    };
    try {
      if (req.method !== "GET") return send(405, { error: "method not allowed" });
      if (url.pathname === "/metrics") return send(200, await this.registry.metrics(), this.registry.contentType);
      if (url.pathname === "/status") return send(200, await this.status());
      if (url.pathname === "/healthz") return send(200, { ok: true });
      for (const r of this.routes) {
        if (url.pathname.startsWith(r.prefix)) {
          const out = await r.handler(url);
          return send(out.status, out.body);
        }
      }
      send(404, { error: `no route ${url.pathname}` });
    } catch (e) {
      send(500, { error: (e as Error).message });
    }
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = undefined;
  }
}
