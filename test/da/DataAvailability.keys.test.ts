/**
 * Issue 12, finding 2: key validity judged at the time of the challenge. A device owner who rotates
 * or decommissions after a batch was committed sets revokedAt = now, which can be at or before the
 * timestamp of a reading already committed; judged against the key history as it is now, the
 * honest leaf looked forged and the batch was invalidated (sequencer slashed, attacker paid, every
 * device of the batch losing its points), as often as the owner liked. A revocation now counts
 * against a leaf only if it took effect at or before the batch's commit.
 */
import { expect } from "chai";
import { network } from "hardhat";
import DataAvailabilityModule from "../../deploy/modules/DataAvailability.js";
import {
  KEY_TYPE_CODE,
  getPoseidon,
  hashReading,
  keyId,
  publicKeyOf,
  signReading,
  signRotation,
  type DeviceKeyPair,
  type SignedReading,
} from "../../sdk/src/index.js";
import type { DataAvailability } from "../../types/typechain/index.js";
import { bind, deployIdentity, deviceKeys, type IdentityFixture } from "../identity/fixture.js";
import { asChallenge, DAY, deployDa, ONE_ETHER, PARAMS, type DaFixture } from "./fixture.js";

const connection = await network.create();
const { networkHelpers } = connection;
const STATUS = { None: 0n, Committed: 1n, Invalidated: 2n };

describe("DataAvailability — key validity as of the commit (directory double)", function () {
  const deployment = (): Promise<DaFixture> => deployDa(connection);
  const load = (): Promise<DaFixture> => networkHelpers.loadFixture(deployment);

  /** Commits one honest reading of device 1 stamped `ahead` seconds after the next block. */
  async function committedAhead(f: DaFixture, ahead: bigint) {
    const now = BigInt(await networkHelpers.time.latest());
    const r = f.sign(f.devices.secp.key, { deviceId: f.devices.secp.id, seq: 1n, timestamp: now + ahead, value: 7n });
    const batch = f.makeBatch([r], 0);
    const id = await f.commit(batch);
    const committedAt = (await f.da.getBatch(id)).committedAt;
    return { r, batch, id, committedAt };
  }

  it("a revocation made after the commit, effective before the reading's timestamp, does not invalidate the batch", async function () {
    const f = await load();
    const { r, id, committedAt } = await committedAhead(f, 3600n);
    // The owner rotates the key out after the commit: revokedAt = the rotation's block, which is at
    // or before the reading's (future) timestamp. Judged by today's key history the leaf is forged.
    await networkHelpers.time.increase(60n);
    const revokedAt = BigInt(await networkHelpers.time.latest());
    await f.directory.revokeKey(f.devices.secp.id, 0n, revokedAt);
    expect(revokedAt).to.be.greaterThan(committedAt);
    expect(r.timestamp).to.be.at.least(revokedAt);
    await expect(f.da.connect(f.challenger).challengeSignature(id, asChallenge(r), 0, []))
      .to.be.revertedWithCustomError(f.da, "DataAvailabilitySignatureValid")
      .withArgs(id, 0n, 0n);
    expect((await f.da.getBatch(id)).status).to.equal(STATUS.Committed);
    expect((await f.da.sequencer(f.sequencer.address)).bond).to.equal(2n * ONE_ETHER);
    await networkHelpers.time.increase(PARAMS.challengeWindow);
    expect(await f.da.isFinal(id)).to.equal(true);
  });

  it("a revocation in effect at the commit (revokedAt = committedAt) counts: the boundary", async function () {
    const f = await load();
    const late = await committedAhead(f, 3600n);
    await f.directory.revokeKey(f.devices.secp.id, 0n, late.committedAt + 1n);
    await expect(f.da.connect(f.challenger).challengeSignature(late.id, asChallenge(late.r), 0, []))
      .to.be.revertedWithCustomError(f.da, "DataAvailabilitySignatureValid")
      .withArgs(late.id, 0n, 0n);
    await f.directory.revokeKey(f.devices.secp.id, 0n, late.committedAt);
    await expect(f.da.connect(f.challenger).challengeSignature(late.id, asChallenge(late.r), 0, []))
      .to.emit(f.da, "BatchInvalidated")
      .withArgs(late.id, f.challenger.address, 0n, late.batch.leaves[0]);
  });

  it("a reading stamped before a revocation in effect at the commit stays valid", async function () {
    const f = await load();
    const now = BigInt(await networkHelpers.time.latest());
    await f.directory.revokeKey(f.devices.secp.id, 0n, now - DAY);
    const r = f.sign(f.devices.secp.key, { deviceId: f.devices.secp.id, seq: 1n, timestamp: now - DAY - 1n, value: 7n });
    const id = await f.commit(f.makeBatch([r], 0));
    await expect(f.da.connect(f.challenger).challengeSignature(id, asChallenge(r), 0, []))
      .to.be.revertedWithCustomError(f.da, "DataAvailabilitySignatureValid")
      .withArgs(id, 0n, 0n);
  });
});

describe("DataAvailability — key validity as of the commit (real DeviceRegistry)", function () {
  interface Fixture extends IdentityFixture {
    da: DataAvailability;
    id: bigint;
    sequencer: IdentityFixture["admin"];
    challenger: IdentityFixture["admin"];
  }
  const NEW_KEY = deviceKeys("secp256k1", 1, "da-rotation")[0];

  const deployment = async (): Promise<Fixture> => {
    const f = await deployIdentity(connection);
    const id = await bind(f, f.keys[0], f.owner);
    const [sequencer, challenger] = f.signers.slice(5, 7);
    const { dataAvailability } = await connection.ignition.deploy(DataAvailabilityModule, {
      parameters: {
        DataAvailability: {
          deviceDirectory: await f.registry.getAddress(),
          admin: f.admin.address,
          ...Object.fromEntries(Object.entries(PARAMS).map(([k, v]) => [k, v.toString()])),
        },
      },
    });
    const da = dataAvailability as unknown as DataAvailability;
    await da.connect(f.admin).addSequencer(sequencer.address);
    await da.connect(sequencer).depositBond({ value: 2n * ONE_ETHER });
    return { ...f, da, id, sequencer, challenger };
  };
  const load = (): Promise<Fixture> => networkHelpers.loadFixture(deployment);

  async function rotate(f: Fixture, oldKey: DeviceKeyPair, newKey: DeviceKeyPair): Promise<void> {
    const deadline = (await f.now()) + 600n;
    const message = { deviceId: f.id, newKeyId: keyId(publicKeyOf(newKey)), keyIndex: 1n, deadline };
    await f.registry.connect(f.owner).rotateKey(f.id, {
      keyType: KEY_TYPE_CODE[newKey.type],
      publicKey: newKey.publicId,
      deadline,
      oldKeySignature: signRotation(oldKey, f.domain, message),
      newKeySignature: signRotation(newKey, f.domain, message),
    });
  }

  async function commitOne(f: Fixture, r: SignedReading): Promise<bigint> {
    const leaf = hashReading(await getPoseidon(), r);
    const id = await f.da.nextBatchId();
    await f.da.connect(f.sequencer).commitBatch(id, leaf, 1, 0, 1, "");
    return id;
  }

  it("the owner's rotation and decommission after the commit cannot invalidate honest batches", async function () {
    const f = await load();
    const ahead = (await f.now()) + 30n * DAY; // a device clock ahead of the chain
    const r1 = signReading(f.chainId, f.keys[0], { deviceId: f.id, seq: 1n, timestamp: ahead, value: 5n });
    const id1 = await commitOne(f, r1);
    await rotate(f, f.keys[0], NEW_KEY);
    const k0 = await f.registry.keyAt(f.id, 0n);
    // The attack's precondition: the rotation revoked the key at or before the reading's timestamp.
    expect(k0.revokedAt).to.not.equal(0n);
    expect(r1.timestamp).to.be.at.least(k0.revokedAt);
    expect(k0.revokedAt).to.be.greaterThan((await f.da.getBatch(id1)).committedAt);
    await expect(f.da.connect(f.challenger).challengeSignature(id1, asChallenge(r1), 0, []))
      .to.be.revertedWithCustomError(f.da, "DataAvailabilitySignatureValid")
      .withArgs(id1, 0n, 0n);

    // A reading signed by the new key, committed, then the device decommissioned.
    const k1 = await f.registry.keyAt(f.id, 1n);
    const r2 = signReading(f.chainId, NEW_KEY, { deviceId: f.id, seq: 2n, timestamp: ahead + 1n, value: 6n });
    expect(r2.timestamp).to.be.at.least(k1.validFrom);
    const id2 = await commitOne(f, r2);
    await f.registry.connect(f.owner).decommission(f.id);
    const k1After = await f.registry.keyAt(f.id, 1n);
    expect(k1After.revokedAt).to.not.equal(0n);
    expect(r2.timestamp).to.be.at.least(k1After.revokedAt);
    await expect(f.da.connect(f.challenger).challengeSignature(id2, asChallenge(r2), 0, []))
      .to.be.revertedWithCustomError(f.da, "DataAvailabilitySignatureValid")
      .withArgs(id2, 0n, 1n);

    for (const id of [id1, id2]) expect((await f.da.getBatch(id)).status).to.equal(STATUS.Committed);
    expect((await f.da.sequencer(f.sequencer.address)).bond).to.equal(2n * ONE_ETHER);
    await networkHelpers.time.increase(PARAMS.challengeWindow);
    expect(await f.da.isFinal(id1)).to.equal(true);
    expect(await f.da.isFinal(id2)).to.equal(true);
  });

  it("a reading signed by a key revoked before the commit is still challengeable", async function () {
    const f = await load();
    await rotate(f, f.keys[0], NEW_KEY);
    const revokedAt = (await f.registry.keyAt(f.id, 0n)).revokedAt;
    // Should the registry schedule revocations ahead, wait until this one is in effect.
    if (revokedAt > (await f.now())) await networkHelpers.time.increaseTo(revokedAt);
    const stale = signReading(f.chainId, f.keys[0], { deviceId: f.id, seq: 1n, timestamp: revokedAt, value: 5n });
    const id = await commitOne(f, stale);
    expect((await f.da.getBatch(id)).committedAt).to.be.at.least(revokedAt);
    await expect(f.da.connect(f.challenger).challengeSignature(id, asChallenge(stale), 0, []))
      .to.emit(f.da, "SequencerSlashed")
      .withArgs(f.sequencer.address, id, f.challenger.address, PARAMS.slashAmount, PARAMS.slashAmount / 2n);
    expect((await f.da.getBatch(id)).status).to.equal(STATUS.Invalidated);
  });
});
