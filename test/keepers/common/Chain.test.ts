/**
 * Keepers and their chain: a store belongs to one chain and deployment (a keeper refuses another
 * one, naming both), an unreachable RPC endpoint is a logged backoff with "rpc-down" in /status
 * and `depin_<name>_up 0` (not ethers' silent retry loop), and bad environment or store values
 * stop the CLI with an error naming them.
 */
import { expect } from "chai";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { Provider } from "ethers";
import { ChainConfigError, bindStoreToChain } from "../../../keepers/common/chain.js";
import { freePort } from "../../../keepers/common/net.js";
import { PostgresStore, SqliteStore, openStore, type Store } from "../../../keepers/common/store/index.js";
import { tempDir } from "../../datapath/fixtures.js";

const BIN = path.resolve("node_modules/.bin");
const ENV = { ...process.env, PATH: `${BIN}:${process.env.PATH ?? ""}` };
const POSTGRES = "postgres://postgres@127.0.0.1:5432/test";
const DA = "0x00000000000000000000000000000000000000da";
const OTHER_DA = "0x00000000000000000000000000000000000000db";

const chain = (chainId: bigint): Provider =>
  ({
    getNetwork: async () => ({ chainId }),
    getCode: async (a: string) => (a === NOWHERE ? "0x" : "0x60"),
  }) as unknown as Provider;
const NOWHERE = "0x000000000000000000000000000000000000dead";

async function refusal(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a refusal");
}

/** A JSON-RPC endpoint that knows eth_chainId and eth_getCode (enough for start-up checks). */
async function chainIdServer(chainId: bigint): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const { id, method } = JSON.parse(body) as { id: number; method: string };
      const result = method === "eth_getCode" ? "0x60" : "0x" + chainId.toString(16);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ jsonrpc: "2.0", id, result }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe("Keepers and their chain", function () {
  this.timeout(120_000);

  for (const kind of ["sqlite", "postgres"] as const) {
    it(`${kind}: a store is tied to the first chain and deployment that use it; another is refused, naming both`, async function () {
      const store: Store =
        kind === "sqlite"
          ? new SqliteStore(path.join(tempDir("depin-chain-").dir, "s.sqlite"))
          : new PostgresStore(POSTGRES, `chain_${process.pid}_${Date.now() % 100000}`);
      await store.init();
      try {
        expect(await bindStoreToChain(store, chain(31337n), { dataAvailability: DA })).to.equal(31337n);
        // The same chain and address again (a restart) is fine, whatever the address's case.
        await bindStoreToChain(store, chain(31337n), { dataAvailability: DA.toUpperCase().replace("0X", "0x") });

        const wrongChain = await refusal(bindStoreToChain(store, chain(11155111n), { dataAvailability: DA }));
        expect(wrongChain).to.be.instanceOf(ChainConfigError);
        expect(wrongChain.message).to.include("chain 31337").and.to.include("chain 11155111");

        const redeployed = await refusal(bindStoreToChain(store, chain(31337n), { dataAvailability: OTHER_DA }));
        expect(redeployed).to.be.instanceOf(ChainConfigError);
        expect(redeployed.message).to.include(DA).and.to.include(OTHER_DA);

        const noCode = await refusal(bindStoreToChain(store, chain(31337n), { dataAvailability: NOWHERE }));
        expect(noCode).to.be.instanceOf(ChainConfigError);
        expect(noCode.message).to.include(`no contract at ${NOWHERE}`);

        // The refusals changed nothing: the store still names the first chain and address.
        expect(await store.bindMeta("chainId", "1")).to.equal("31337");
        expect(await store.bindMeta("contract.dataAvailability", OTHER_DA)).to.equal(DA);
      } finally {
        if (store instanceof PostgresStore) await store.dropSchema();
        await store.close();
      }
    });
  }

  it("the DA keeper refuses to start on a store of another chain (exit 1, both chains named)", async function () {
    const dir = tempDir("depin-chain-").dir;
    const file = path.join(dir, "old.sqlite");
    const old = openStore(`sqlite:${file}`);
    await old.init();
    await bindStoreToChain(old, chain(31337n), { dataAvailability: DA });
    await old.close();
    const rpc = await chainIdServer(1337n);
    try {
      // Asynchronous spawn: the RPC stub answers from this process.
      const child = spawn(
        path.join(BIN, "tsx"),
        [
          "keepers/cli.ts",
          "da",
          "--store",
          `sqlite:${file}`,
          "--rpc-url",
          rpc.url,
          "--da",
          DA,
          "--dry-run",
          "--metrics-port",
          "-1",
        ],
        { env: ENV, stdio: ["ignore", "pipe", "pipe"] },
      );
      let err = "";
      child.stderr.on("data", (c: Buffer) => (err += c.toString()));
      const code = await new Promise<number | null>((r) => child.on("exit", (c) => r(c)));
      expect(code, err).to.equal(1);
      expect(err).to.include("belongs to chain 31337").and.to.include("chain 1337");
    } finally {
      await rpc.close();
    }
  });

  it("the bridge on a port already taken (a running broker) exits 1 with what to do, instead of a stack trace and a hang", async function () {
    const taken = http.createServer();
    await new Promise<void>((r) => taken.listen(0, "127.0.0.1", () => r()));
    const port = (taken.address() as AddressInfo).port;
    const rpc = await chainIdServer(31337n);
    try {
      const dir = tempDir("depin-chain-").dir;
      const child = spawn(
        path.join(BIN, "tsx"),
        [
          "keepers/cli.ts",
          "bridge",
          "--store",
          `sqlite:${path.join(dir, "s.sqlite")}`,
          "--rpc-url",
          rpc.url,
          "--directory",
          DA,
          "--genesis-time",
          "0",
          "--epoch-length",
          "86400",
          "--mqtt-port",
          String(port),
          "--metrics-port",
          "-1",
          "--verify-threads",
          "0",
        ],
        { env: ENV, stdio: ["ignore", "pipe", "pipe"] },
      );
      let err = "";
      child.stderr.on("data", (c: Buffer) => (err += c.toString()));
      const code = await new Promise<number | null>((r) => child.on("exit", (c) => r(c)));
      expect(code, err).to.equal(1);
      expect(err).to.include(`port 127.0.0.1:${port} is in use`).and.to.include("--broker-url");
      expect(err).not.to.include("    at ");
    } finally {
      await rpc.close();
      await new Promise<void>((r) => taken.close(() => r()));
    }
  });

  it("RPC down: logged backoff, health rpc-down in /status and depin_da_up 0, no ethers retry spam; SIGTERM stops it", async function () {
    const deadPort = await freePort();
    const metricsPort = await freePort();
    const dir = tempDir("depin-chain-").dir;
    const child: ChildProcess = spawn(
      path.join(BIN, "tsx"),
      [
        "keepers/cli.ts",
        "da",
        "--store",
        `sqlite:${path.join(dir, "s.sqlite")}`,
        "--rpc-url",
        `http://127.0.0.1:${deadPort}`,
        "--da",
        DA,
        "--dry-run",
        "--metrics-port",
        String(metricsPort),
      ],
      { env: ENV, stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr!.on("data", (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    try {
      const get = (p: string): Promise<string> =>
        new Promise((resolve, reject) => {
          http
            .get(`http://127.0.0.1:${metricsPort}${p}`, (res) => {
              let t = "";
              res.on("data", (c: Buffer) => (t += c.toString()));
              res.on("end", () => resolve(t));
            })
            .on("error", reject);
        });
      let status: { health?: { state: string; lastError?: string } } = {};
      for (let i = 0; i < 100 && status.health?.state !== "rpc-down"; i++) {
        await new Promise((r) => setTimeout(r, 300));
        status = (await get("/status").then(JSON.parse, () => ({}))) as typeof status;
      }
      expect(status.health?.state).to.equal("rpc-down");
      expect(await get("/metrics")).to.match(/^depin_da_up 0$/m);
      for (let i = 0; i < 50 && (out.match(/DaKeeper#rpcDown/g) ?? []).length < 2; i++)
        await new Promise((r) => setTimeout(r, 200));
      const lines = out.split("\n").filter((l) => l.includes("DaKeeper#rpcDown"));
      expect(lines.length).to.be.greaterThanOrEqual(2);
      expect(lines[0]).to.include("retryInSeconds");
      expect(out).not.to.include("failed to detect network");
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).to.not.equal(null);
  });

  it("CLI: an unknown DEPIN_* variable and an unsupported store scheme are refused by name (exit 2), nothing created", function () {
    const dir = tempDir("depin-chain-").dir;
    const typo = spawnSync(path.join(BIN, "tsx"), ["keepers/cli.ts", "sequencer", "--metrics-port", "-1"], {
      env: { ...ENV, DEPIN_DEPHT: "4" },
      cwd: process.cwd(),
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(typo.status).to.equal(2);
    expect(typo.stderr).to.include("unknown environment variable DEPIN_DEPHT").and.to.include("DEPIN_DEPTH");

    const mysql = spawnSync(path.join(BIN, "tsx"), [path.resolve("keepers/cli.ts"), "sequencer", "--store", "mysql://x"], {
      env: ENV,
      cwd: dir,
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(mysql.status).to.equal(2);
    expect(mysql.stderr).to.include("invalid option --store: unsupported store scheme mysql://");
    expect(readdirSync(dir)).to.deep.equal([]);
    expect(existsSync(path.join(dir, "mysql:"))).to.equal(false);
  });
});
