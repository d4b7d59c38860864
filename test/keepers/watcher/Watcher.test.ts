/**
 * The watcher against the real DataAvailability contract and a real DA keeper serving payloads:
 * a sequencer that commits a reading with a forged signature is challenged, its batch
 * invalidated and its bond slashed (the watcher's account earns the challenger's share); an
 * honest batch is checked and left alone; a payload nobody serves is reported as unverifiable.
 */
import { expect } from "chai";
import http from "node:http";
import type { AddressInfo } from "node:net";
import {
  encodeBatchPayload,
  generateKeyPair,
  getPoseidon,
  hashReading,
  merkleRoot,
  signReading,
  type BatchPayload,
  type SignedReading,
} from "../../../sdk/src/index.js";
import { freePort } from "../../../keepers/common/net.js";
import { parseOptions } from "../../../keepers/common/options.js";
import { DaKeeper, daOptions } from "../../../keepers/da/da.js";
import { Watcher, watcherOptions } from "../../../keepers/watcher/watcher.js";
import { keyOf, setup, type Fixture } from "../prover/fixture.js";

describe("Watcher (real DataAvailability, payloads over HTTP)", function () {
  this.timeout(180_000);
  let f: Fixture;
  let server: DaKeeper | undefined;
  let base = "";

  beforeEach(async () => {
    f = await setup("sqlite");
    await f.activate([11n, 22n]);
    // The devices' keys in the directory (secp256k1, valid from time 0), as onboarding records them.
    for (const d of [11n, 22n]) await (await f.da.directory.addKey(d, 0, keyOf(d).publicId, 0n)).wait();
    // A DA keeper that serves the store's payloads (the one that committed used the default URL).
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    server = new DaKeeper(parseOptions(daOptions, { da: await f.da.da.getAddress(), metricsPort: port, dryRun: true }), {
      store: f.store,
      signer: f.da.sequencer,
    });
    await server.init();
    server.port = await server.ops.listen(port);
  });
  afterEach(async () => {
    await server?.ops.close();
    await f.cleanup();
  });

  const watcher = async (extra: Record<string, unknown> = {}) => {
    const w = new Watcher(parseOptions(watcherOptions, { da: await f.da.da.getAddress(), metricsPort: -1, ...extra }), {
      runner: f.da.challenger,
    });
    await w.init();
    return w;
  };

  it("challenges a committed reading with a forged signature: batch invalidated, sequencer slashed, watcher paid", async () => {
    const honest = f.readings([
      { deviceId: 11n, value: 150n, offset: 1n },
      { deviceId: 22n, value: 150n, offset: 2n },
    ]);
    const [victim] = f.readings([{ deviceId: 11n, value: 150n, offset: 3n }]);
    // The sequencer slips in a reading the device never signed (another key signed it).
    const forged: SignedReading = signReading(f.da.chainId, generateKeyPair("secp256k1"), { ...victim, value: 199n });
    expect(await f.ingestAndCommit([[...honest, forged]])).to.deep.equal([1n]);

    const bondBefore = (await f.da.da.sequencer(f.da.sequencer.address)).bond;
    const w = await watcher({ payloadBase: base });
    const found = await w.checkNew();
    expect(found).to.have.length(1);
    expect(found[0]).to.include({ batchId: 1n, index: 2, kind: "signature" });
    expect(found[0].challenge).to.match(/^0x[0-9a-f]{64}$/);

    expect((await f.da.da.getBatch(1n)).status).to.equal(2n); // Invalidated
    const slashed = (await f.da.da.queryFilter(f.da.da.filters.SequencerSlashed()))[0];
    expect(slashed.args.challenger).to.equal(f.da.challenger.address);
    expect(slashed.args.reward).to.be.greaterThan(0n);
    expect((await f.da.da.sequencer(f.da.sequencer.address)).bond).to.equal(bondBefore - slashed.args.slashed);

    // Checking again sends nothing (the batch is invalidated; the chain is the watcher's state).
    expect(await w.checkNew()).to.deep.equal([]);
    expect(await f.da.da.queryFilter(f.da.da.filters.SequencerSlashed())).to.have.length(1);
  });

  /** A hostile sequencer: commits the given readings as batches directly and serves their payloads itself. */
  const commitDirectly = async (batches: SignedReading[][]): Promise<{ ids: bigint[]; close: () => Promise<void> }> => {
    const h = await getPoseidon();
    const payloads = new Map<string, string>();
    const server = http.createServer((req, res) => {
      const body = payloads.get(req.url ?? "");
      res.writeHead(body ? 200 : 404, { "content-type": "application/json" });
      res.end(body ?? "{}");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const ids: bigint[] = [];
    for (const readings of batches) {
      const id = await f.da.da.nextBatchId();
      const depth = 2;
      const root = merkleRoot(
        h,
        readings.map((r) => hashReading(h, r)),
        depth,
      );
      const p: BatchPayload = { batchId: id, epoch: f.epoch, depth, root, readings };
      payloads.set(`/batches/${id}`, encodeBatchPayload(p));
      await (
        await f.da.da.connect(f.da.sequencer).commitBatch(id, root, readings.length, depth, f.epoch, `${url}/batches/${id}`)
      ).wait();
      ids.push(id);
    }
    return { ids, close: () => new Promise<void>((r) => server.close(() => r())) };
  };

  it("challenges a reading committed again in a later batch: the later batch is invalidated, the first stays", async () => {
    const [a, b, c] = f.readings([
      { deviceId: 11n, value: 150n, offset: 1n },
      { deviceId: 22n, value: 150n, offset: 2n },
      { deviceId: 22n, value: 160n, offset: 3n },
    ]);
    // Every signature is valid: only the repeat of `a` is wrong, and it pays twice if unchallenged.
    const hostile = await commitDirectly([
      [a, b],
      [c, a],
    ]);
    try {
      const w = await watcher();
      const found = await w.checkNew();
      expect(found).to.have.length(1);
      expect(found[0]).to.include({ batchId: hostile.ids[1], index: 1, kind: "duplicate" });
      expect(found[0].reason).to.include(`already committed in batch ${hostile.ids[0]} slot 0`);
      expect(found[0].challenge).to.match(/^0x[0-9a-f]{64}$/);
      expect((await f.da.da.getBatch(hostile.ids[0])).status).to.equal(1n);
      expect((await f.da.da.getBatch(hostile.ids[1])).status).to.equal(2n);
    } finally {
      await hostile.close();
    }
  });

  it("challenges a reading repeated inside one batch", async () => {
    const [a, b] = f.readings([
      { deviceId: 11n, value: 150n, offset: 1n },
      { deviceId: 22n, value: 150n, offset: 2n },
    ]);
    const hostile = await commitDirectly([[a, b, a]]);
    try {
      const found = await (await watcher()).checkNew();
      expect(found.map((x) => [x.batchId, x.index, x.kind])).to.deep.equal([[hostile.ids[0], 2, "duplicate"]]);
      expect((await f.da.da.getBatch(hostile.ids[0])).status).to.equal(2n);
    } finally {
      await hostile.close();
    }
  });

  it("leaves an honest batch alone, and reports a payload nobody serves as unverifiable", async () => {
    const honest = f.readings([
      { deviceId: 11n, value: 150n, offset: 1n },
      { deviceId: 22n, value: 160n, offset: 2n },
    ]);
    expect(await f.ingestAndCommit([honest])).to.deep.equal([1n]);

    const ok = await watcher({ payloadBase: base });
    expect(await ok.checkNew()).to.deep.equal([]);
    expect(await ok.registry.getSingleMetricAsString("depin_watcher_batches_checked_total")).to.match(/ 1$/m);
    expect((await f.da.da.getBatch(1n)).status).to.equal(1n); // still Committed

    // The commitment's own uri (the committing keeper's default URL) serves nothing here.
    const blind = await watcher({ fetchTimeoutMs: 2000 });
    expect(await blind.checkNew()).to.deep.equal([]);
    expect([...blind.unverifiable.keys()]).to.deep.equal([1n]);
    expect(await blind.registry.getSingleMetricAsString("depin_watcher_unverifiable_batches")).to.match(/ 1$/m);
    expect((await blind.status()).unverifiable).to.have.property("1");
  });
});
