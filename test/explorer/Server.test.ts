/**
 * The explorer's server (explorer/server.ts): the read-only JSON-RPC proxy refuses anything that
 * writes, signs or bends a development chain; the API proxy is GET-only; bodies are bounded; the
 * page is served with a Content-Security-Policy that forbids requests to other hosts. A small
 * HTTP server stands in for the chain and the API and records what reaches it.
 */
import { expect } from "chai";
import http from "node:http";
import { startExplorer, type Explorer } from "../../explorer/server.js";

describe("Explorer server: proxies and headers", function () {
  this.timeout(60_000);
  let upstream: http.Server;
  let seen: string[];
  let ex: Explorer;

  before(async () => {
    seen = [];
    upstream = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        seen.push(`${req.method} ${req.url} ${body}`);
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ jsonrpc: "2.0", id: 1, result: "0x7a69" }));
      });
    });
    await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", () => r()));
    const port = (upstream.address() as { port: number }).port;
    ex = await startExplorer({
      port: 0,
      hostname: "127.0.0.1",
      apiUrl: `http://127.0.0.1:${port}/api-upstream`,
      rpcUrl: `http://127.0.0.1:${port}/rpc-upstream`,
      deployment: { chainId: 31337, contracts: { rewardDistributor: { address: "0x" + "11".repeat(20) } } },
      keepers: {},
    });
  });
  after(async () => {
    await ex.close();
    await new Promise((r) => upstream.close(r));
  });

  const rpc = (body: unknown) =>
    fetch(`${ex.url}rpc`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

  it("forwards reads to the chain", async () => {
    const r = await rpc({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] });
    expect(r.status).to.equal(200);
    expect(((await r.json()) as { result: string }).result).to.equal("0x7a69");
    expect(seen.at(-1)).to.match(/^POST \/rpc-upstream .*eth_chainId/);
  });

  it("attack: sending, signing or bending the chain through /rpc is refused and never reaches it", async () => {
    const before = seen.length;
    for (const method of [
      "eth_sendTransaction",
      "eth_sendRawTransaction",
      "eth_sign",
      "personal_sign",
      "eth_signTypedData_v4",
      "hardhat_setBalance",
      "evm_increaseTime",
      "debug_traceTransaction",
    ]) {
      const r = await rpc({ jsonrpc: "2.0", id: 1, method, params: [] });
      expect(r.status, method).to.equal(403);
      expect(((await r.json()) as { error: { code: string } }).error.code).to.equal("RPC_METHOD");
    }
    // A batch that hides one write among reads is refused whole.
    const r = await rpc([
      { jsonrpc: "2.0", id: 1, method: "eth_chainId" },
      { jsonrpc: "2.0", id: 2, method: "hardhat_impersonateAccount", params: ["0x" + "22".repeat(20)] },
    ]);
    expect(r.status).to.equal(403);
    expect(seen.length).to.equal(before);
  });

  it("bad input: malformed JSON, an empty or oversized batch, an oversized body, GET on /rpc", async () => {
    expect((await fetch(`${ex.url}rpc`, { method: "POST", body: "{not json" })).status).to.equal(400);
    expect((await rpc([])).status).to.equal(403);
    expect((await rpc(Array.from({ length: 101 }, (_, i) => ({ id: i, method: "eth_chainId" })))).status).to.equal(403);
    const big = await fetch(`${ex.url}rpc`, { method: "POST", body: "x".repeat(2 << 20) }).catch(() => null);
    expect(big === null || big.status === 400).to.equal(true);
    expect((await fetch(`${ex.url}rpc`)).status).to.equal(405);
  });

  it("the API proxy is GET-only and keeps the path under /v1", async () => {
    const ok = await fetch(`${ex.url}api/v1/network?x=1`);
    expect(ok.status).to.equal(200);
    expect(seen.at(-1)).to.match(/^GET \/api-upstream\/v1\/network\?x=1 /);
    expect((await fetch(`${ex.url}api/v1/network`, { method: "POST", body: "{}" })).status).to.equal(405);
  });

  it("the page: CSP allows only its own origin (no request leaves the machine), no sniffing, no framing", async () => {
    const r = await fetch(ex.url);
    expect(r.status).to.equal(200);
    const csp = r.headers.get("content-security-policy")!;
    expect(csp).to.include("default-src 'self'");
    expect(csp).to.include("connect-src 'self'");
    expect(csp).to.include("frame-ancestors 'none'");
    expect(r.headers.get("x-content-type-options")).to.equal("nosniff");
    const app = await fetch(`${ex.url}app.js`);
    expect(app.headers.get("content-type")).to.match(/javascript/);
    expect((await app.text()).length).to.be.greaterThan(10_000);
    const cfg = (await (await fetch(`${ex.url}config.json`)).json()) as { chainId: number; contracts: Record<string, string> };
    expect(cfg).to.deep.equal({ chainId: 31337, contracts: { rewardDistributor: "0x" + "11".repeat(20) }, keepers: {} });
    expect((await fetch(`${ex.url}../../etc/passwd`)).status).to.equal(404);
  });
});
