/**
 * The coordination primitives of several keeper instances on one PostgreSQL store (Store.lead,
 * Store.claimWork), and their attacks: a leader or a claim holder that dies, that freezes (stops
 * renewing) or that never lets go. Real PostgreSQL (127.0.0.1:5432, database test), a fresh
 * schema per test, dropped after.
 */
import { expect } from "chai";
import { Bridge } from "../../keepers/bridge/bridge.js";
import { ConfigError } from "../../keepers/common/options.js";
import { PostgresStore } from "../../keepers/common/store/index.js";
import { SqliteStore } from "../../keepers/common/store/index.js";
import { bridgeOpts } from "../datapath/fixtures.js";
import { sleep, waitFor } from "../reliability/env.js";

const POSTGRES = "postgres://postgres@127.0.0.1:5432/test";

/** Blocks this process's event loop (a frozen keeper: no timer, no renewal runs). */
function freeze(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

describe("Scale-out locks on one PostgreSQL store", function () {
  this.timeout(60_000);
  let schema: string;
  let stores: PostgresStore[];
  let admin: PostgresStore | undefined;
  const open = async (): Promise<PostgresStore> => {
    const s = new PostgresStore(POSTGRES, schema);
    await s.init();
    stores.push(s);
    return s;
  };

  beforeEach(() => {
    schema = `locks_${process.pid}_${Math.floor(Math.random() * 1e6)}`;
    stores = [];
    admin = new PostgresStore(POSTGRES, schema);
  });
  afterEach(async () => {
    for (const s of stores) await s.close().catch(() => undefined);
    await admin!.dropSchema();
    await admin!.close();
  });

  describe("leadership (Store.lead)", () => {
    it("one instance leads; a renewing leader keeps it; the other takes over once the leader's store closes (process death)", async () => {
      const a = await open();
      const b = await open();
      expect(await a.lead("da", 10_000)).to.equal(true);
      expect(await b.lead("da", 10_000)).to.equal(false);
      expect(await a.lead("da", 10_000)).to.equal(true);
      expect(await b.lead("da", 10_000)).to.equal(false);
      // Roles and schemas (deployments) are independent locks.
      expect(await b.lead("epoch", 10_000)).to.equal(true);
      await a.close(); // the connection closes with the process
      expect(await b.lead("da", 10_000)).to.equal(true);
    });

    it("a leader that stops renewing (frozen, partitioned) loses it after the lease; it then follows", async () => {
      const a = await open();
      const b = await open();
      expect(await a.lead("epoch", 1_000)).to.equal(true);
      await sleep(2_500); // no renewal for 2.5 leases: the server ends A's session
      expect(await b.lead("epoch", 1_000)).to.equal(true);
      expect(await a.lead("epoch", 1_000)).to.equal(false);
    });

    it("SQLite (one machine, one instance of each keeper): always the leader", async () => {
      const s = new SqliteStore(":memory:");
      await s.init();
      expect(await s.lead()).to.equal(true);
      const c = await s.claimWork("prove", [3n, 1n, 2n], 2);
      expect(c.ids).to.deep.equal([3n, 1n]);
      await c.release();
      await s.close();
    });
  });

  describe("work claims (Store.claimWork, FOR UPDATE SKIP LOCKED)", () => {
    it("two instances split the candidates, in order, and never hold the same batch", async () => {
      const a = await open();
      const b = await open();
      const ca = await a.claimWork("prove", [1n, 2n, 3n, 4n, 5n], 2, 10_000);
      const cb = await b.claimWork("prove", [1n, 2n, 3n, 4n, 5n], 2, 10_000);
      expect(ca.ids).to.deep.equal([1n, 2n]);
      expect(cb.ids).to.deep.equal([3n, 4n]);
      // Another kind of work on the same batches is independent.
      const cs = await b.claimWork("settle", [1n], 1, 10_000);
      expect(cs.ids).to.deep.equal([1n]);
      await ca.release();
      const again = await b.claimWork("prove", [1n, 2n, 3n], 3, 10_000);
      expect(again.ids).to.deep.equal([1n, 2n]);
      for (const c of [cb, cs, again]) await c.release();
      expect(ca.lost).to.equal(false);
    });

    it("a holder that dies releases at once; one that freezes past holdMs loses its batches (lost = true)", async () => {
      const a = await open();
      const b = await open();
      await a.claimWork("settle", [7n], 1, 60_000);
      expect((await b.claimWork("settle", [7n], 1, 60_000)).ids).to.deep.equal([]);
      await a.close(); // killed: its connections close
      const held = await b.claimWork("settle", [7n], 1, 1_000);
      expect(held.ids).to.deep.equal([7n]);
      // B freezes (no renewal can run) for longer than its hold: the server ends the transaction.
      freeze(2_500);
      const c = await open();
      const taken = await c.claimWork("settle", [7n], 1, 10_000);
      expect(taken.ids).to.deep.equal([7n]);
      await waitFor(() => held.lost, 5_000, "the frozen holder to see its hold lost");
      await held.release();
      await taken.release();
    });

    it("a renewing holder keeps its batches past holdMs", async () => {
      const a = await open();
      const b = await open();
      const held = await a.claimWork("prove", [9n], 1, 1_000);
      await sleep(2_500); // renewed every holdMs/3 meanwhile
      expect((await b.claimWork("prove", [9n], 1, 1_000)).ids).to.deep.equal([]);
      expect(held.lost).to.equal(false);
      await held.release();
      expect((await b.claimWork("prove", [9n], 1, 1_000)).ids).to.deep.equal([9n]);
    });
  });

  describe("bridges in a shared-subscription group (--share-group)", () => {
    it("needs an external broker and a client id of its own (one id for two bridges would disconnect both in turn)", () => {
      expect(() => new Bridge(bridgeOpts({ shareGroup: "bridges" }))).to.throw(ConfigError, /--share-group: needs --broker-url/);
      expect(() => new Bridge(bridgeOpts({ shareGroup: "bridges", brokerUrl: "mqtt://127.0.0.1:1" }))).to.throw(
        ConfigError,
        /--share-group: needs --client-id/,
      );
      expect(() => bridgeOpts({ shareGroup: "a/b" })).to.throw(/share-group/);
    });
  });
});
