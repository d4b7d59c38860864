/**
 * Scheduled key revocation. The attack it stops: devices stamp readings up to the bridge's future
 * skew (300 s) ahead and the bridge caches the key history (60 s); if a rotation or decommission
 * revoked the key at the block's own timestamp, an owner could rotate right after the bridge
 * accepted readings and leave them signed by a key "revoked" before their timestamp, so an honest
 * batch holding them could be challenged away. Revocations now take effect KEY_REVOCATION_DELAY
 * (600 s) after the block, and the rotated-in key is valid from that same instant.
 */
import { expect } from "chai";
import { network } from "hardhat";
import {
  KEY_REVOCATION_DELAY_SEC,
  KEY_TYPE_CODE,
  keyId,
  keyWindowAt,
  publicKeyOf,
  signReading,
  signRotation,
  type DeviceKeyPair,
  type SignedReading,
} from "../../sdk/src/index.js";
import { OnChainDirectory, type DeviceKeyInfo } from "../../keepers/bridge/directory.js";
import { checkReadingSignature } from "../../keepers/bridge/verify.js";
import { bridgeOptions } from "../../keepers/bridge/bridge.js";
import { Status, bind, deployIdentity, deviceKeys, type IdentityFixture } from "./fixture.js";

const conn = await network.create();
const { networkHelpers, ethers } = conn;
const D = KEY_REVOCATION_DELAY_SEC;
/** The bridge's defaults: largest accepted future skew (s) and directory cache TTL (s). */
const SKEW = BigInt(bridgeOptions.maxFutureSkewSec.default as number);
const TTL = BigInt((bridgeOptions.directoryTtlMs.default as number) / 1000);

const fixture = async (): Promise<IdentityFixture & { id: bigint }> => {
  const f = await deployIdentity(conn);
  const id = await bind(f, f.keys[0], f.owner);
  await (await f.registry.connect(f.owner).activate(id)).wait();
  return { ...f, id };
};

async function rotate(f: IdentityFixture, id: bigint, oldKey: DeviceKeyPair, newKey: DeviceKeyPair): Promise<bigint> {
  const deadline = (await f.now()) + 600n;
  const keyIndex = await f.registry.keyCount(id);
  const message = { deviceId: id, newKeyId: keyId(publicKeyOf(newKey)), keyIndex, deadline };
  await (
    await f.registry.connect(f.owner).rotateKey(id, {
      keyType: KEY_TYPE_CODE[newKey.type],
      publicKey: newKey.publicId,
      deadline,
      oldKeySignature: signRotation(oldKey, f.domain, message),
      newKeySignature: signRotation(newKey, f.domain, message),
    })
  ).wait();
  return f.now();
}

/** The key history as the bridge reads it (fresh, no cache). */
async function history(f: IdentityFixture, id: bigint): Promise<DeviceKeyInfo[]> {
  const dir = new OnChainDirectory(await f.registry.getAddress(), ethers.provider, { ttlMs: 0, negativeTtlMs: 0 });
  return (await dir.get(id)).keys;
}

/** Indexes of the keys valid for a reading stamped `t`. */
const validAt = (keys: DeviceKeyInfo[], t: bigint): number[] =>
  keys.flatMap((k, i) => (keyWindowAt(k, t) === "valid" ? [i] : []));

describe("DeviceRegistry — scheduled key revocation", () => {
  it("the delay exceeds the bridge's default future skew plus its directory cache TTL", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    expect(await f.registry.KEY_REVOCATION_DELAY()).to.equal(D);
    expect(D).to.equal(600n);
    expect(SKEW + TTL).to.be.lessThan(D);
  });

  it("attack: an owner rotating right after readings were accepted leaves them inside their key's window", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    const net = f.chainId;
    const k0 = f.keys[0];
    const t0 = await f.now();
    const stamp = (seq: bigint, timestamp: bigint): SignedReading =>
      signReading(net, k0, { deviceId: f.id, seq, timestamp, value: 1n });
    // What the bridge accepts at bridge time t0: readings stamped up to t0 + skew.
    const before = await history(f, f.id);
    const accepted = [stamp(0n, t0), stamp(1n, t0 + 1n), stamp(2n, t0 + SKEW)];
    for (const r of accepted) expect(checkReadingSignature(net, r, before)).to.deep.equal({ ok: true, keyIndex: 0 });

    // The owner rotates in the very next block.
    const [k1] = deviceKeys("secp256k1", 1, "rotated-in");
    const t1 = await rotate(f, f.id, k0, k1);
    expect(t1 - t0).to.be.lessThan(SKEW);
    // A bridge whose cache was filled just before the rotation keeps accepting with the stale
    // history for up to its TTL: readings stamped up to t1 + TTL + skew.
    const late = stamp(3n, t1 + TTL + SKEW);
    expect(checkReadingSignature(net, late, before).ok).to.equal(true);

    const after = await history(f, f.id);
    for (const r of [...accepted, late]) {
      // Every accepted reading's key is still valid at the reading's timestamp (what a DA
      // challenge checks); under the old instant revocation these were all "revoked".
      expect(keyWindowAt(after[0], r.timestamp), `seq ${r.seq}`).to.equal("valid");
      expect(checkReadingSignature(net, r, after), `seq ${r.seq}`).to.deep.equal({ ok: true, keyIndex: 0 });
    }
    expect(after[0].revokedAt).to.equal(t1 + D);
    expect(after[1].validFrom).to.equal(t1 + D);
  });

  it("attack: decommissioning right after readings were accepted leaves them inside their key's window", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    const net = f.chainId;
    const t0 = await f.now();
    const r = signReading(net, f.keys[0], { deviceId: f.id, seq: 0n, timestamp: t0 + SKEW, value: 1n });
    await (await f.registry.connect(f.owner).decommission(f.id)).wait();
    const t1 = await f.now();
    expect(await f.registry.deviceStatus(f.id)).to.equal(Status.Decommissioned);
    const keys = await history(f, f.id);
    expect(checkReadingSignature(net, r, keys)).to.deep.equal({ ok: true, keyIndex: 0 });
    expect(keys[0].revokedAt).to.equal(t1 + D);
    // Readings stamped at or after the scheduled revocation are refused (the bridge refuses any
    // reading of a decommissioned device anyway).
    const after = signReading(net, f.keys[0], { deviceId: f.id, seq: 1n, timestamp: t1 + D, value: 1n });
    expect(checkReadingSignature(net, after, keys)).to.include({ ok: false, code: "KEY_REVOKED" });
  });

  it("exactly one key is valid at any instant, through chained rotations and a decommission", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    const [k1, k2] = deviceKeys("p256", 2, "chain");
    const t1 = await rotate(f, f.id, f.keys[0], k1);
    await networkHelpers.time.increase(100);
    // A second rotation while the first is pending is co-signed by the pending key.
    const t2 = await rotate(f, f.id, k1, k2);
    expect(t2).to.be.lessThan(t1 + D);
    await networkHelpers.time.increase(1000);
    await (await f.registry.connect(f.owner).decommission(f.id)).wait();
    const t3 = await f.now();
    const keys = await history(f, f.id);
    expect(keys.map((k) => [k.validFrom, k.revokedAt])).to.deep.equal([
      [keys[0].validFrom, t1 + D],
      [t1 + D, t2 + D],
      [t2 + D, t3 + D],
    ]);
    const v0 = keys[0].validFrom;
    const probes = [v0, t1, t1 + D - 1n, t1 + D, t2 + D - 1n, t2 + D, t3, t3 + D - 1n];
    expect(probes.map((t) => validAt(keys, t))).to.deep.equal([[0], [0], [0], [1], [1], [2], [2], [2]]);
    expect(validAt(keys, v0 - 1n)).to.deep.equal([]);
    expect(validAt(keys, t3 + D)).to.deep.equal([]);
  });

  it("suspension does not touch keys: the key history is the same before, during and after", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    const before = await history(f, f.id);
    await (await f.registry.connect(f.admin).suspend(f.id)).wait();
    expect(await history(f, f.id)).to.deep.equal(before);
    await (await f.registry.connect(f.admin).resume(f.id)).wait();
    expect(await history(f, f.id)).to.deep.equal(before);
    expect(before[0].revokedAt).to.equal(0n);
  });
});
