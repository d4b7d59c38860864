import { expect } from "chai";
import { network } from "hardhat";
import {
  KEY_REVOCATION_DELAY_SEC,
  KEY_TYPE_CODE,
  keyId,
  publicKeyOf,
  signRotation,
  type DeviceKeyPair,
} from "../../sdk/src/index.js";
import {
  Status,
  bind,
  deployIdentity,
  deviceKeys,
  expectUnchanged,
  provisionRequest,
  registryState,
  type IdentityFixture,
} from "./fixture.js";

const conn = await network.create();
const { networkHelpers } = conn;
const fixture = async (): Promise<IdentityFixture & { id: bigint }> => {
  const f = await deployIdentity(conn);
  const id = await bind(f, f.keys[0], f.owner);
  return { ...f, id };
};

async function rotation(
  f: IdentityFixture,
  id: bigint,
  oldKey: DeviceKeyPair,
  newKey: DeviceKeyPair,
  opts: { keyIndex?: bigint; deadline?: bigint; signOld?: DeviceKeyPair; signNew?: DeviceKeyPair } = {},
) {
  const deadline = opts.deadline ?? (await f.now()) + 600n;
  const message = { deviceId: id, newKeyId: keyId(publicKeyOf(newKey)), keyIndex: opts.keyIndex ?? 1n, deadline };
  return {
    keyType: KEY_TYPE_CODE[newKey.type],
    publicKey: newKey.publicId,
    deadline,
    oldKeySignature: signRotation(opts.signOld ?? oldKey, f.domain, message),
    newKeySignature: signRotation(opts.signNew ?? newKey, f.domain, message),
  };
}

describe("DeviceRegistry — lifecycle", () => {
  it("bound → active → suspended → active → decommissioned, each with its event, caller and counts", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    const r = f.registry;
    await expect(r.connect(f.owner).activate(f.id))
      .to.emit(r, "DeviceStatusChanged")
      .withArgs(f.id, Status.Bound, Status.Active, f.owner.address);
    expect(await r.deviceCount(Status.Active)).to.equal(1n);
    expect(await r.deviceCount(Status.Bound)).to.equal(0n);
    await expect(r.connect(f.admin).suspend(f.id))
      .to.emit(r, "DeviceStatusChanged")
      .withArgs(f.id, Status.Active, Status.Suspended, f.admin.address);
    await expect(r.connect(f.admin).resume(f.id))
      .to.emit(r, "DeviceStatusChanged")
      .withArgs(f.id, Status.Suspended, Status.Active, f.admin.address);
    const tx = r.connect(f.owner).decommission(f.id);
    await expect(tx).to.emit(r, "DeviceStatusChanged").withArgs(f.id, Status.Active, Status.Decommissioned, f.owner.address);
    const t = await f.now();
    await expect(tx)
      .to.emit(r, "DeviceKeyRevocationScheduled")
      .withArgs(f.id, 0n, t + KEY_REVOCATION_DELAY_SEC);
    const info = await r.deviceInfo(f.id);
    expect(info.status).to.equal(Status.Decommissioned);
    expect(info.statusSince).to.equal(t);
    // Decommission revokes the current key KEY_REVOCATION_DELAY from now (the device stops earning
    // at once through its status); the bridge refuses readings stamped from then on.
    expect((await r.keyAt(f.id, 0n)).revokedAt).to.equal(t + KEY_REVOCATION_DELAY_SEC);
    expect(await r.deviceCount(Status.Decommissioned)).to.equal(1n);
    expect(await r.deviceCount(Status.Active)).to.equal(0n);
    // The NFT (and so the account) stays with the owner so funds already earned can be withdrawn.
    expect(await r.ownerOf(f.id)).to.equal(f.owner.address);
  });

  it("the holder may decommission from Bound and from Suspended", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    await expect(f.registry.connect(f.owner).decommission(f.id))
      .to.emit(f.registry, "DeviceStatusChanged")
      .withArgs(f.id, Status.Bound, Status.Decommissioned, f.owner.address);
    const second = await bind(f, f.keys[1], f.owner, 1n);
    await f.registry.connect(f.owner).activate(second);
    await f.registry.connect(f.admin).suspend(second);
    await expect(f.registry.connect(f.owner).decommission(second))
      .to.emit(f.registry, "DeviceStatusChanged")
      .withArgs(second, Status.Suspended, Status.Decommissioned, f.owner.address);
    expect(await f.registry.deviceCount(Status.Suspended)).to.equal(0n);
    expect(await f.registry.deviceCount(Status.Decommissioned)).to.equal(2n);
  });

  it("governance may decommission a device it does not own, and a provisioned one", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    await expect(f.registry.connect(f.admin).decommission(f.id))
      .to.emit(f.registry, "DeviceStatusChanged")
      .withArgs(f.id, Status.Bound, Status.Decommissioned, f.admin.address);
    await f.registry.connect(f.maker).provisionDevices([await provisionRequest(f, f.keys[1])]);
    await expect(f.registry.connect(f.admin).decommission(2n))
      .to.emit(f.registry, "DeviceStatusChanged")
      .withArgs(2n, Status.Provisioned, Status.Decommissioned, f.admin.address);
    expect(await f.registry.deviceCount(Status.Provisioned)).to.equal(0n);
    expect(await f.registry.deviceCount(Status.Decommissioned)).to.equal(2n);
  });

  describe("rejected transitions (error with arguments, state unchanged)", () => {
    it("wrong callers", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const r = f.registry;
      const before = await registryState(f, [f.owner.address]);
      await expect(r.connect(f.other).activate(f.id))
        .to.be.revertedWithCustomError(r, "DeviceRegistryNotDeviceOwner")
        .withArgs(f.id, f.other.address);
      await expectUnchanged(f, before, [f.owner.address]);
      await r.connect(f.owner).activate(f.id);
      const active = await registryState(f, [f.owner.address]);
      const role = await r.DEVICE_GUARDIAN_ROLE();
      await expect(r.connect(f.owner).suspend(f.id))
        .to.be.revertedWithCustomError(r, "AccessControlUnauthorizedAccount")
        .withArgs(f.owner.address, role);
      await expect(r.connect(f.owner).resume(f.id))
        .to.be.revertedWithCustomError(r, "AccessControlUnauthorizedAccount")
        .withArgs(f.owner.address, role);
      await expect(r.connect(f.other).decommission(f.id))
        .to.be.revertedWithCustomError(r, "DeviceRegistryNotAuthorized")
        .withArgs(f.id, f.other.address);
      await expectUnchanged(f, active, [f.owner.address]);
    });

    it("invalid transitions and unknown devices", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const r = f.registry;
      const before = await registryState(f, [f.owner.address]);
      await expect(r.connect(f.admin).suspend(f.id))
        .to.be.revertedWithCustomError(r, "DeviceRegistryInvalidTransition")
        .withArgs(f.id, Status.Bound, Status.Suspended);
      await expect(r.connect(f.admin).resume(f.id))
        .to.be.revertedWithCustomError(r, "DeviceRegistryInvalidTransition")
        .withArgs(f.id, Status.Bound, Status.Active);
      await expect(r.connect(f.owner).activate(99n))
        .to.be.revertedWithCustomError(r, "DeviceRegistryUnknownDevice")
        .withArgs(99n);
      await expect(r.connect(f.admin).decommission(0n))
        .to.be.revertedWithCustomError(r, "DeviceRegistryUnknownDevice")
        .withArgs(0n);
      await expectUnchanged(f, before, [f.owner.address]);
      await r.connect(f.owner).decommission(f.id);
      const after = await registryState(f, [f.owner.address]);
      await expect(r.connect(f.owner).activate(f.id))
        .to.be.revertedWithCustomError(r, "DeviceRegistryInvalidTransition")
        .withArgs(f.id, Status.Decommissioned, Status.Active);
      await expect(r.connect(f.owner).decommission(f.id))
        .to.be.revertedWithCustomError(r, "DeviceRegistryInvalidTransition")
        .withArgs(f.id, Status.Decommissioned, Status.Decommissioned);
      const [next] = deviceKeys("secp256k1", 1, "next");
      await expect(r.connect(f.owner).rotateKey(f.id, await rotation(f, f.id, f.keys[0], next)))
        .to.be.revertedWithCustomError(r, "DeviceRegistryInvalidTransition")
        .withArgs(f.id, Status.Decommissioned, Status.Decommissioned);
      await expectUnchanged(f, after, [f.owner.address]);
    });

    it("an owner may not decommission a provisioned device it does not hold", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      await f.registry.connect(f.maker).provisionDevices([await provisionRequest(f, f.keys[1])]);
      await expect(f.registry.connect(f.maker).decommission(2n))
        .to.be.revertedWithCustomError(f.registry, "DeviceRegistryNotAuthorized")
        .withArgs(2n, f.maker.address);
    });
  });

  describe("key rotation", () => {
    it("co-signed rotation keeps the history and schedules the hand-over KEY_REVOCATION_DELAY ahead", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const [next] = deviceKeys("p256", 1, "next");
      await networkHelpers.time.increase(100);
      const rot = await rotation(f, f.id, f.keys[0], next);
      const tx = f.registry.connect(f.owner).rotateKey(f.id, rot);
      await (await tx).wait();
      const t = await f.now();
      const at = t + KEY_REVOCATION_DELAY_SEC;
      await expect(tx)
        .to.emit(f.registry, "DeviceKeyRotated")
        .withArgs(f.id, keyId(publicKeyOf(f.keys[0])), keyId(publicKeyOf(next)), 1n, at);
      expect(await f.registry.keyCount(f.id)).to.equal(2n);
      const old = await f.registry.keyAt(f.id, 0n);
      const cur = await f.registry.keyAt(f.id, 1n);
      expect(old.revokedAt).to.equal(at);
      expect(old.validFrom).to.be.lessThan(t);
      expect(cur.validFrom).to.equal(at);
      expect(cur.revokedAt).to.equal(0n);
      expect(cur.keyType).to.equal(1n);
      expect(cur.publicKey).to.equal(next.publicId.toLowerCase());
      expect(await f.registry.deviceOfKey(1, next.publicId)).to.equal(f.id);
      // The old key stays bound to this device forever (cannot be re-onboarded elsewhere).
      expect(await f.registry.deviceOfKey(0, f.keys[0].publicId)).to.equal(f.id);
      await expect(f.registry.keyAt(f.id, 2n))
        .to.be.revertedWithCustomError(f.registry, "DeviceRegistryKeyIndexOutOfRange")
        .withArgs(f.id, 2n, 2n);

      // A second rotation must be signed by the last key of the history (the P-256 one).
      const [third] = deviceKeys("secp256k1", 1, "third");
      await networkHelpers.time.increase(KEY_REVOCATION_DELAY_SEC);
      const second = f.registry.connect(f.owner).rotateKey(f.id, await rotation(f, f.id, next, third, { keyIndex: 2n }));
      await (await second).wait();
      await expect(second)
        .to.emit(f.registry, "DeviceKeyRotated")
        .withArgs(f.id, keyId(publicKeyOf(next)), keyId(publicKeyOf(third)), 2n, (await f.now()) + KEY_REVOCATION_DELAY_SEC);
    });

    it("rejects rotation by a non-owner, without the old key, without the new key, replayed, expired, or to a used key", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const r = f.registry;
      const [next, stranger] = deviceKeys("secp256k1", 2, "next");
      const oldId = keyId(publicKeyOf(f.keys[0]));
      const newId = keyId(publicKeyOf(next));
      const otherId = await bind(f, f.keys[1], f.other);
      const before = await registryState(f, [f.owner.address], [...f.keys, next]);
      const good = await rotation(f, f.id, f.keys[0], next);
      await expect(r.connect(f.other).rotateKey(f.id, good))
        .to.be.revertedWithCustomError(r, "DeviceRegistryNotDeviceOwner")
        .withArgs(f.id, f.other.address);
      await expect(r.connect(f.owner).rotateKey(f.id, await rotation(f, f.id, f.keys[0], next, { signOld: stranger })))
        .to.be.revertedWithCustomError(r, "DeviceRegistryInvalidOldKeySignature")
        .withArgs(f.id, oldId);
      await expect(r.connect(f.owner).rotateKey(f.id, await rotation(f, f.id, f.keys[0], next, { signNew: stranger })))
        .to.be.revertedWithCustomError(r, "DeviceRegistryInvalidNewKeySignature")
        .withArgs(f.id, newId);
      await expect(r.connect(f.owner).rotateKey(f.id, await rotation(f, f.id, f.keys[0], next, { keyIndex: 0n })))
        .to.be.revertedWithCustomError(r, "DeviceRegistryInvalidOldKeySignature")
        .withArgs(f.id, oldId);
      const deadline = (await f.now()) - 1n;
      await expect(r.connect(f.owner).rotateKey(f.id, await rotation(f, f.id, f.keys[0], next, { deadline })))
        .to.be.revertedWithCustomError(r, "DeviceRegistryRotationExpired")
        .withArgs(f.id, deadline);
      // Rotating onto a key another device holds (squatting) is refused.
      await expect(r.connect(f.owner).rotateKey(f.id, await rotation(f, f.id, f.keys[0], f.keys[1])))
        .to.be.revertedWithCustomError(r, "DeviceRegistryKeyInUse")
        .withArgs(keyId(publicKeyOf(f.keys[1])), otherId);
      const zero = `0x${"00".repeat(20)}` as `0x${string}`;
      await expect(r.connect(f.owner).rotateKey(f.id, { ...good, publicKey: zero }))
        .to.be.revertedWithCustomError(r, "DeviceRegistryInvalidRotationKey")
        .withArgs(f.id, 0, zero);

      expect(await registryState(f, [f.owner.address], [...f.keys, next])).to.deep.equal(before);

      // Replay: after one rotation the same signatures no longer match (index moved on, key taken).
      await r.connect(f.owner).rotateKey(f.id, good);
      await expect(r.connect(f.owner).rotateKey(f.id, good))
        .to.be.revertedWithCustomError(r, "DeviceRegistryKeyInUse")
        .withArgs(newId, f.id);
    });

    it("rejected rotations leave the key history unchanged", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const [next, stranger] = deviceKeys("secp256k1", 2, "next");
      const before = await registryState(f, [f.owner.address], [...f.keys, next]);
      await expect(
        f.registry.connect(f.owner).rotateKey(f.id, await rotation(f, f.id, f.keys[0], next, { signOld: stranger })),
      ).to.be.revertedWithCustomError(f.registry, "DeviceRegistryInvalidOldKeySignature");
      expect(await registryState(f, [f.owner.address], [...f.keys, next])).to.deep.equal(before);
    });
  });
});
