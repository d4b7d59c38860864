import { expect } from "chai";
import path from "node:path";
import { Registry } from "prom-client";
import { generateKeyPair, readingTopic, signReading, toWire, type DeviceKeyPair } from "../../../sdk/src/index.js";
import { DeviceStatus, type DeviceDirectory, type DeviceInfo } from "../../../keepers/bridge/directory.js";
import { Ingestor } from "../../../keepers/bridge/ingest.js";
import { SignaturePool } from "../../../keepers/bridge/signature-pool.js";
import { SqliteStore } from "../../../keepers/common/store/index.js";
import { tempDir } from "../../datapath/fixtures.js";

const NET = 31337n;

/** A directory whose lookups of `failing` devices throw while `down` is set (an RPC outage). */
class FlakyDirectory implements DeviceDirectory {
  down = false;
  constructor(
    private readonly devices: Map<bigint, DeviceInfo>,
    private readonly failing: bigint,
  ) {}
  async get(id: bigint): Promise<DeviceInfo> {
    if (this.down && id === this.failing) throw new Error("rpc unavailable");
    return this.devices.get(id) ?? { status: DeviceStatus.None, keys: [] };
  }
  invalidate(): void {}
}

type Msg = { topic: string; payload: Buffer; id: bigint; seq: bigint };

for (const threads of [0, 2]) {
  describe(`Ingestor pipeline (${threads} signature threads)`, function () {
    it("verifies batches concurrently, commits them in order, and a failed batch is retried without loss", async function () {
      const tmp = tempDir("pipeline");
      const store = new SqliteStore(path.join(tmp.dir, "s.sqlite"), { synchronous: "NORMAL" });
      await store.init();
      const A = 501n;
      const B = 502n;
      const keys = new Map<bigint, DeviceKeyPair>([
        [A, generateKeyPair("secp256k1")],
        [B, generateKeyPair("p256")],
      ]);
      const directory = new FlakyDirectory(
        new Map(
          [...keys].map(([id, k]) => [
            id,
            { status: DeviceStatus.Active, keys: [{ type: k.type, publicId: k.publicId, validFrom: 0n, revokedAt: 0n }] },
          ]),
        ),
        B,
      );
      const receipts: { device: bigint; seq: string; status: string }[] = [];
      let messages = 0;
      const pool = new SignaturePool(NET, threads);
      const ingestor = new Ingestor(
        store,
        directory,
        pool,
        {
          receipts: (device, rs) => {
            messages++;
            receipts.push(...rs.map((r) => ({ device, ...r })));
          },
          reject: (d, r) => expect.fail(`rejected ${d}: ${r.code}`),
        },
        {
          networkId: NET,
          epoch: { genesisTime: 0n, epochLength: 86_400n },
          maxFutureSkewSec: 300,
          maxAgeSec: 86_400,
          maxBatch: 512,
          maxVerifying: 4,
          topicRoot: "depin",
        },
        new Registry(),
      );
      const now = BigInt(Math.floor(Date.now() / 1000));
      const msg = (id: bigint, seq: bigint): Msg => ({
        topic: readingTopic(id, "depin"),
        payload: Buffer.from(toWire(signReading(NET, keys.get(id)!, { deviceId: id, seq, timestamp: now, value: seq }))),
        id,
        seq,
      });
      const acked: string[] = [];
      const failed: Msg[] = [];
      const submit = (m: Msg): void =>
        ingestor.submit(null, m.topic, m.payload, (err) => (err ? failed.push(m) : acked.push(`${m.id}:${m.seq}`)));
      const range = (id: bigint, from: number, to: number): Msg[] =>
        Array.from({ length: to - from }, (_, i) => msg(id, BigInt(from + i)));
      const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
      try {
        // Three socket reads, three batches; B's directory lookup fails in the second.
        for (const m of range(A, 0, 5)) submit(m);
        await turn();
        directory.down = true;
        for (const m of [...range(A, 5, 10), ...range(B, 0, 5)]) submit(m);
        await turn();
        directory.down = false;
        for (const m of range(A, 10, 15)) submit(m);
        await ingestor.drain();
        // Nothing of the failed batch was acknowledged, the batches around it were.
        expect(failed.map((m) => `${m.id}:${m.seq}`)).to.deep.equal(
          [...range(A, 5, 10), ...range(B, 0, 5)].map((m) => `${m.id}:${m.seq}`),
        );
        expect(acked).to.deep.equal([...range(A, 0, 5), ...range(A, 10, 15)].map((m) => `${m.id}:${m.seq}`));
        expect(ingestor.counts).to.deep.equal({ stored: 10, duplicate: 0, rejected: 0 });
        // The broker re-delivers them: A's are late (below its high-water mark) and still stored.
        for (const m of failed.splice(0)) submit(m);
        await ingestor.drain();
        expect(failed).to.deep.equal([]);
        const rows = await store.allReadings();
        expect(
          rows
            .filter((r) => r.deviceId === A)
            .map((r) => r.seq)
            .sort((x, y) => Number(x - y)),
        ).to.deep.equal(Array.from({ length: 15 }, (_, i) => BigInt(i)));
        expect(rows.filter((r) => r.deviceId === B).map((r) => r.seq)).to.deep.equal([0n, 1n, 2n, 3n, 4n]);
        expect(ingestor.counts).to.deep.equal({ stored: 20, duplicate: 0, rejected: 0 });
        expect(receipts.filter((r) => r.status === "stored")).to.have.length(20);
        // One receipt message per device per store transaction, in sequence order within it.
        expect(messages).to.be.lessThan(receipts.length);
        expect(receipts.filter((r) => r.device === B).map((r) => r.seq)).to.deep.equal(["0", "1", "2", "3", "4"]);
        expect((await ingestor.transientFailures.get()).values[0].value).to.equal(1);
        if (threads > 0) expect(pool.counts.offloaded).to.be.greaterThan(0);
      } finally {
        await pool.close();
        await store.close();
        tmp.cleanup();
      }
    });
  });
}
