import { expect } from "chai";
import path from "node:path";
import { Registry } from "prom-client";
import { network } from "hardhat";
import {
  KEY_REVOCATION_DELAY_SEC,
  KEY_TYPE_CODE,
  generateKeyPair,
  keyId,
  publicKeyOf,
  readingTopic,
  signReading,
  signRotation,
  toWire,
  type DeviceKeyPair,
  type Rejection,
} from "../../../sdk/src/index.js";
import { Bridge } from "../../../keepers/bridge/bridge.js";
import { DeviceStatus, OnChainDirectory } from "../../../keepers/bridge/directory.js";
import { Ingestor } from "../../../keepers/bridge/ingest.js";
import { SignaturePool } from "../../../keepers/bridge/signature-pool.js";
import { checkReadingSignature } from "../../../keepers/bridge/verify.js";
import { SqliteStore } from "../../../keepers/common/store/index.js";
import { bridgeOpts, chain, registerDevice, tempDir } from "../../datapath/fixtures.js";
import { bind, deployIdentity, deviceKeys } from "../../identity/fixture.js";

describe("OnChainDirectory", function () {
  it("caches within the TTL, re-reads on expiry, and refresh() picks up revocations at once", async function () {
    const { ethers, directory, directoryAddress } = await chain();
    let now = 1_000_000;
    const dir = new OnChainDirectory(directoryAddress, ethers.provider, { ttlMs: 60_000, negativeTtlMs: 1_000, now: () => now });
    const key = generateKeyPair("p256");
    expect((await dir.get(5n)).status).to.equal(DeviceStatus.None);
    await registerDevice(directory, 5n, key);
    expect((await dir.get(5n)).status).to.equal(DeviceStatus.None); // negative entry still fresh
    now += 1_001;
    const info = await dir.get(5n);
    expect(info.status).to.equal(DeviceStatus.Active);
    expect(info.keys).to.deep.equal([{ type: "p256", publicId: key.publicId.toLowerCase(), validFrom: 0n, revokedAt: 0n }]);
    const reads = dir.reads;
    await dir.get(5n);
    expect(dir.reads).to.equal(reads); // served from cache
    await (await directory.revokeKey(5n, 0, 123n)).wait();
    await (await directory.setStatus(5n, DeviceStatus.Suspended)).wait();
    expect((await dir.get(5n)).keys[0].revokedAt).to.equal(0n); // stale within the TTL…
    expect(await dir.refresh()).to.equal(1); // …until the bridge's tick refreshes it
    const fresh = await dir.get(5n);
    expect(fresh.status).to.equal(DeviceStatus.Suspended);
    expect(fresh.keys[0].revokedAt).to.equal(123n);
  });

  it("attack: a reading stamped at a rotation's hand-over is refused even when the rotation came after the cache was filled", async function () {
    // The real registry (scheduled revocation) behind the bridge's cached directory and pipeline.
    const conn = await network.create();
    const f = await deployIdentity(conn);
    const id = await bind(f, f.keys[0], f.owner);
    await (await f.registry.connect(f.owner).activate(id)).wait();
    const k0 = f.keys[0];
    const [k1] = deviceKeys("secp256k1", 1, "cache-rotated");
    const NET = f.chainId;
    const t0 = await f.now();
    let bridgeNow = Number(t0); // the bridge's clock (s), in step with the chain at the start
    const registryAddress = await f.registry.getAddress();
    const dir = new OnChainDirectory(registryAddress, conn.ethers.provider, {
      ttlMs: 60_000,
      negativeTtlMs: 5_000,
      now: () => bridgeNow * 1000,
    });
    const tmp = tempDir("dir-cache");
    const store = new SqliteStore(path.join(tmp.dir, "s.sqlite"), { synchronous: "NORMAL" });
    await store.init();
    const pool = new SignaturePool(NET, 0);
    const answers: (Rejection | "stored")[] = [];
    const ingestor = new Ingestor(
      store,
      dir,
      pool,
      {
        receipts: (_d, rs) => answers.push(...rs.map(() => "stored" as const)),
        reject: (_d, r) => answers.push(r),
      },
      {
        networkId: NET,
        epoch: { genesisTime: 0n, epochLength: 86_400n },
        maxFutureSkewSec: 300,
        maxAgeSec: 86_400,
        maxBatch: 64,
        topicRoot: "depin",
        now: () => bridgeNow,
      },
      new Registry(),
    );
    const send = async (key: DeviceKeyPair, seq: bigint, timestamp: bigint): Promise<Rejection | "stored"> => {
      const n = answers.length;
      const r = signReading(NET, key, { deviceId: id, seq, timestamp, value: seq });
      ingestor.submit(null, readingTopic(id, "depin"), Buffer.from(toWire(r)), () => undefined);
      await ingestor.drain();
      expect(answers.length).to.equal(n + 1);
      return answers[n];
    };
    try {
      // The cache is filled with the one-key history.
      expect(await send(k0, 0n, t0)).to.equal("stored");
      const reads = dir.reads;

      // Right after, the owner rotates; the hand-over E is KEY_REVOCATION_DELAY ahead.
      const deadline = t0 + 3600n;
      const message = { deviceId: id, newKeyId: keyId(publicKeyOf(k1)), keyIndex: 1n, deadline };
      await (
        await f.registry.connect(f.owner).rotateKey(id, {
          keyType: KEY_TYPE_CODE.secp256k1,
          publicKey: k1.publicId,
          deadline,
          oldKeySignature: signRotation(k0, f.domain, message),
          newKeySignature: signRotation(k1, f.domain, message),
        })
      ).wait();
      const E = (await f.now()) + KEY_REVOCATION_DELAY_SEC;

      // Within the TTL the bridge still serves the stale history (no rotation known)…
      bridgeNow = Number(t0) + 59;
      // …yet a reading stamped at E cannot get in: it is beyond the skew window.
      expect(await send(k0, 1n, E)).to.include({ code: "TIMESTAMP_IN_FUTURE" });
      // What the stale cache does let in is stamped before E, so its key stays valid.
      expect(await send(k0, 2n, BigInt(bridgeNow) + 300n)).to.equal("stored");
      expect(dir.reads).to.equal(reads);

      // By the time E is inside the skew window the cache has expired and the pending hand-over is seen.
      bridgeNow = Number(E) - 300;
      const before = await store.allReadings();
      expect(await send(k0, 3n, E)).to.include({ code: "KEY_REVOKED" });
      expect(await send(k1, 4n, E - 1n)).to.include({ code: "KEY_NOT_YET_VALID" });
      expect(await store.allReadings()).to.deep.equal(before);
      expect(dir.reads).to.be.greaterThan(reads);
      expect(await send(k0, 5n, E - 1n)).to.equal("stored");
      expect(await send(k1, 6n, E)).to.equal("stored");

      // Every stored reading verifies against the registry's key history at its timestamp.
      const fresh = await new OnChainDirectory(registryAddress, conn.ethers.provider, { ttlMs: 0, negativeTtlMs: 0 }).get(id);
      const stored = await store.allReadings();
      expect(stored.map((r) => r.seq).sort((a, b) => Number(a - b))).to.deep.equal([0n, 2n, 5n, 6n]);
      for (const r of stored) expect(checkReadingSignature(NET, r, fresh.keys).ok, `seq ${r.seq}`).to.equal(true);
    } finally {
      await pool.close();
      await store.close();
      tmp.cleanup();
    }
  });

  it("the bridge refuses a future skew plus cache TTL that would outlast the key revocation delay", function () {
    // Defaults: 300 s skew + 60 s TTL, within 600 s less 60 s of clock drift.
    expect(() => new Bridge(bridgeOpts({ directoryTtlMs: 60_000 }))).to.not.throw();
    expect(() => new Bridge(bridgeOpts({ maxFutureSkewSec: 480, directoryTtlMs: 60_000 }))).to.not.throw();
    expect(() => new Bridge(bridgeOpts({ maxFutureSkewSec: 481, directoryTtlMs: 60_000 }))).to.throw(
      /invalid option --max-future-skew-sec: 481 s plus the directory TTL \(60000 ms\) is 541 s; it must stay at most 540 s/,
    );
    expect(() => new Bridge(bridgeOpts({ directoryTtlMs: 300_000 }))).to.throw(/--max-future-skew-sec/);
  });
});
