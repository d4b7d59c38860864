/**
 * The indexer (Ponder) under the two failures it must survive, on a real chain: a reorganisation
 * of the chain under it (evm_snapshot / evm_revert, then other blocks at the same heights) with
 * embedded PGlite, and SIGKILL in the middle of indexing then a restart with PostgreSQL; after
 * each, the indexed events are exactly the chain's logs: none missed, none doubled, none orphaned.
 */
import { expect } from "chai";
import path from "node:path";
import pg from "pg";
import { chainWithToken, POSTGRES, startIndexer, until, type IndexerProcess } from "./harness.js";

describe("Indexer: reorg safety and crash resume", function () {
  this.timeout(240_000);
  let c: Awaited<ReturnType<typeof chainWithToken>>;
  let ix: IndexerProcess | undefined;
  beforeEach(async () => {
    c = await chainWithToken();
    ix = undefined;
  });
  afterEach(async () => {
    await ix?.kill("SIGKILL");
    await c?.close();
  });

  const same = async (p: IndexerProcess) => JSON.stringify(await p.eventIds()) === JSON.stringify(await c.logIds());

  it("a reorganised chain: the orphaned blocks' events are reverted, the new ones indexed (PGlite)", async () => {
    await c.mint(5);
    ix = await startIndexer({ deployment: c.deployment, rpcUrl: c.rpc.url, data: path.join(c.dir, "pglite"), schema: "reorg" });
    const p = ix;
    await until(() => same(p), 120_000, "the initial events", p.log);
    const snapshot = await c.request("evm_snapshot");
    await c.mint(3);
    await until(() => same(p), 60_000, "the events of the blocks about to be orphaned", p.log);
    const orphaned = await c.logIds();
    expect(orphaned).to.have.length(8);

    await c.request("evm_revert", [snapshot]);
    await c.request("hardhat_mine", ["0x2"]); // other blocks at the orphaned heights, no events
    await c.mint(4); // events at heights beyond the old tip
    const now = await c.logIds();
    expect(now).to.have.length(9);
    await until(() => same(p), 60_000, "the reorganised chain's events", p.log);
    const indexed = (await p.eventIds())!;
    expect(indexed).to.deep.equal(now);
    expect(new Set(indexed).size).to.equal(indexed.length);
    // The orphaned blocks' events that the new chain does not have are gone.
    for (const id of orphaned.filter((x) => !now.includes(x))) expect(indexed).to.not.include(id);
    expect(p.log()).to.match(/reorg/i);

    // The network API answers from the same tables; bad input gets a clear error.
    const api = (u: string) => fetch(`http://127.0.0.1:${p.port}${u}`);
    const spec = (await (await api("/openapi.json")).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(spec.openapi).to.equal("3.1.0");
    expect(Object.keys(spec.paths)).to.include.members([
      "/v1/network",
      "/v1/devices/{id}",
      "/v1/batches/{id}",
      "/v1/receipts/{device}/{epoch}",
    ]);
    expect(((await (await api("/v1/network")).json()) as { chainId: number }).chainId).to.equal(31337);
    const badId = await api("/v1/devices/abc");
    expect(badId.status).to.equal(400);
    expect(((await badId.json()) as { error: { code: string } }).error.code).to.equal("BAD_DEVICE_ID");
    expect((await api("/v1/devices/12345")).status).to.equal(404);
  });

  it("SIGKILL while indexing, events while it is down, restart: nothing missed or doubled (PostgreSQL)", async () => {
    const admin = new pg.Client({ connectionString: POSTGRES });
    await admin.connect();
    const dbName = `indexer_${process.pid}_${Date.now() % 1e6}`;
    await admin.query(`CREATE DATABASE ${dbName}`);
    const db = POSTGRES.replace(/\/test$/, `/${dbName}`);
    try {
      await c.mint(40);
      ix = await startIndexer({ deployment: c.deployment, rpcUrl: c.rpc.url, db, schema: "depin" });
      const first = ix;
      // Kill it once it has indexed some but not all of the history (or, on a fast machine, all).
      await until(async () => ((await first.eventIds())?.length ?? 0) > 0, 120_000, "the first indexed events", first.log);
      const minting = c.mint(20);
      await new Promise((r) => setTimeout(r, 300));
      await first.kill("SIGKILL");
      await minting;
      await c.mint(10); // while it is down

      ix = await startIndexer({ deployment: c.deployment, rpcUrl: c.rpc.url, db, schema: "depin" });
      const second = ix;
      // Ponder waits for the killed instance's lock to expire (its heartbeat timeout), then recovers.
      await until(() => same(second), 150_000, "the restarted indexer to catch up", second.log);
      const indexed = (await second.eventIds())!;
      expect(indexed).to.have.length(70);
      expect(new Set(indexed).size).to.equal(70);
      expect(second.log()).to.match(/crash recovery/i);
    } finally {
      await ix?.kill("SIGKILL");
      ix = undefined;
      await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await admin.end();
    }
  });
});
