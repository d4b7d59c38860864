/**
 * Long-term storage: content-addressed, idempotent, and nothing is pruned or served unless it
 * reads back and matches the ON-CHAIN root; a corrupted or substituted archive is refused.
 */
import { expect } from "chai";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { generateKeyPair, getPoseidon, signReading } from "../../../sdk/src/index.js";
import { parseOptions } from "../../../keepers/common/options.js";
import { SqliteStore, type NewReading } from "../../../keepers/common/store/index.js";
import { commitReadings, Sequencer, sequencerOptions } from "../../../keepers/sequencer/sequencer.js";
import { StorageKeeper, storageOptions } from "../../../keepers/storage/storage.js";
import { archivePath, contentId, readArchived, writeArchived } from "../../../keepers/storage/archive.js";
import { NETWORK_ID, chain, deployDa, tempDir } from "../../datapath/fixtures.js";

describe("Storage keeper", function () {
  it("exports only committed batches past retention, verified against the chain; refuses tampered archives", async function () {
    const { ethers } = await chain();
    const { da, daAddress } = await deployDa(ethers);
    const tmp = tempDir("archive");
    const store = new SqliteStore(path.join(tmp.dir, "s.sqlite"));
    const key = generateKeyPair("secp256k1");
    const rs: NewReading[] = Array.from({ length: 10 }, (_, i) => ({
      ...signReading(NETWORK_ID, key, { deviceId: 1n, seq: BigInt(i), timestamp: 100n, value: BigInt(i) }),
      epoch: 0n,
    }));
    const seq = new Sequencer(parseOptions(sequencerOptions, { depth: 1, windowMs: 0 }), { store });
    await seq.init();
    await store.insertReadings(rs);
    await seq.tick(); // batches 1..3 (4 + 4 + 2)
    let now = Date.now();
    const archiveDir = path.join(tmp.dir, "archive");
    const keeper = new StorageKeeper(parseOptions(storageOptions, { da: daAddress, archiveDir, retentionSec: 60 }), {
      store,
      runner: ethers.provider,
      now: () => now,
    });
    try {
      await keeper.init();
      // Sealed but not committed: nothing exported even past retention.
      now += 120_000;
      expect(await keeper.exportDue()).to.deep.equal([]);
      // Batch 1 committed with its real root, batch 2 with a WRONG root (a lying chain entry).
      const b1 = (await store.getBatch(1n))!;
      const b2 = (await store.getBatch(2n))!;
      await (await da.commitBatch(1n, b1.root, b1.leafCount, b1.depth, b1.epoch, "u")).wait();
      await (await da.commitBatch(2n, b2.root + 1n, b2.leafCount, b2.depth, b2.epoch, "u")).wait();
      await store.markCommitted(1n, "tx1");
      await store.markCommitted(2n, "tx2");
      let err: unknown;
      const exported = await keeper.exportDue().catch((e: unknown) => {
        err = e;
        return null;
      });
      expect(exported).to.equal(null);
      expect((err as Error).message).to.include("does not match the on-chain root");
      expect((await store.getBatch(1n))!.exportCid).to.match(/^sha256-[0-9a-f]{64}$/);
      expect(await store.batchReadings(1n)).to.have.length(0); // pruned after verification
      expect((await store.getBatch(2n))!.exportCid).to.equal(null); // not recorded
      expect(await store.batchReadings(2n)).to.have.length(4); // not pruned
      // Pruned readings still count for sequence monotonicity.
      expect(await store.lastSeq(1n)).to.equal(9n);

      // The archive is content-addressed and idempotent, and tampering is detected.
      const cid = (await store.getBatch(1n))!.exportCid!;
      const payload = readArchived(archiveDir, cid);
      const h = await getPoseidon();
      expect(payload.depth).to.equal(1); // 4 slots: one 4-ary level
      expect(
        commitReadings(
          h,
          payload.readings.map((r, i) => ({
            ...r,
            epoch: 0n,
            id: BigInt(i),
            receivedAt: 0,
            batchId: 1n,
            batchIndex: i,
            leaf: null,
          })),
          payload.depth,
        ).root,
      ).to.equal(b1.root);
      expect(writeArchived(archiveDir, payload)).to.equal(cid);
      const file = archivePath(archiveDir, cid);
      writeFileSync(file, readFileSync(file, "utf8").replace(/"1","0","100","0"/, '"1","0","100","7"'));
      expect(() => readArchived(archiveDir, cid)).to.throw("is corrupt");
      expect(contentId("x")).to.match(/^sha256-/);
    } finally {
      await keeper.close();
      tmp.cleanup();
    }
  });
});
