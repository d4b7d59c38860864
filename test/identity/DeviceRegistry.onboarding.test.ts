import { expect } from "chai";
import { ZeroAddress } from "ethers";
import { network } from "hardhat";
import {
  KEY_TYPE_CODE,
  KeyTree,
  bindDigest,
  bytesToHex,
  keyId,
  publicKeyOf,
  signDigest,
  type BindRequest,
} from "../../sdk/src/index.js";
import {
  Status,
  bind,
  bindRequest,
  deployIdentity,
  deviceKeys,
  expectUnchanged,
  provisionRequest,
  registryState,
  type IdentityFixture,
} from "./fixture.js";

const conn = await network.create();
const { networkHelpers } = conn;
const fixture = (): Promise<IdentityFixture> => deployIdentity(conn);

describe("DeviceRegistry — onboarding", () => {
  it("binds a secp256k1 device: NFT minted, key recorded, events emitted", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    const key = f.keys[0];
    const req = await bindRequest(f, key, f.owner.address);
    const id = keyId(publicKeyOf(key));
    await expect(f.registry.connect(f.owner).bindDevice(req))
      .to.emit(f.registry, "DeviceBound")
      .withArgs(1n, f.owner.address, id)
      .and.to.emit(f.registry, "Transfer")
      .withArgs(ZeroAddress, f.owner.address, 1n);
    expect(await f.registry.ownerOf(1n)).to.equal(f.owner.address);
    expect(await f.registry.ownerOfDevice(1n)).to.equal(f.owner.address);
    expect(await f.registry.balanceOf(f.owner.address)).to.equal(1n);
    expect(await f.registry.deviceStatus(1n)).to.equal(Status.Bound);
    expect(await f.registry.keyCount(1n)).to.equal(1n);
    const k = await f.registry.keyAt(1n, 0n);
    expect(k.keyType).to.equal(0n);
    expect(k.publicKey).to.equal(key.publicId.toLowerCase());
    expect(k.validFrom).to.equal(await f.now());
    expect(k.revokedAt).to.equal(0n);
    expect(await f.registry.deviceOfKey(0, key.publicId)).to.equal(1n);
    expect(await f.registry.isNonceUsed(f.owner.address, 0n)).to.equal(true);
    expect(await f.registry.deviceCount(Status.Bound)).to.equal(1n);
    expect(await f.registry.totalDevices()).to.equal(1n);
  });

  it("binds a P-256 device (secure element / passkey key) and returns its 64-byte key", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    const key = f.keys[8];
    expect(key.type).to.equal("p256");
    const req = await bindRequest(f, key, f.owner.address, { nonce: 7n });
    await expect(f.registry.connect(f.owner).bindDevice(req))
      .to.emit(f.registry, "DeviceBound")
      .withArgs(1n, f.owner.address, keyId(publicKeyOf(key)));
    const k = await f.registry.keyAt(1n, 0n);
    expect(k.keyType).to.equal(1n);
    expect(k.publicKey).to.equal(key.publicId.toLowerCase());
  });

  it("the on-chain bind digest equals the SDK's", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    const m = { owner: f.owner.address as `0x${string}`, nonce: 12345n, deadline: 99999999999n };
    expect(await f.registry.bindDigest(m.owner, m.nonce, m.deadline)).to.equal(bytesToHex(bindDigest(f.domain, m)));
    for (const k of f.keys) {
      expect(await f.registry.keyIdOf(KEY_TYPE_CODE[k.type], k.publicId)).to.equal(keyId(publicKeyOf(k)));
    }
  });

  it("batch-binds devices with sequential ids and one balance update", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    const reqs: BindRequest[] = [];
    for (let i = 0; i < f.keys.length; i++) reqs.push(await bindRequest(f, f.keys[i], f.owner.address, { nonce: BigInt(i) }));
    const ids = await f.registry.connect(f.owner).bindDevices.staticCall(reqs);
    expect(ids).to.deep.equal(f.keys.map((_, i) => BigInt(i + 1)));
    await f.registry.connect(f.owner).bindDevices(reqs);
    expect(await f.registry.balanceOf(f.owner.address)).to.equal(BigInt(f.keys.length));
    expect(await f.registry.deviceCount(Status.Bound)).to.equal(BigInt(f.keys.length));
    for (let i = 0; i < f.keys.length; i++) {
      expect(await f.registry.ownerOf(BigInt(i + 1))).to.equal(f.owner.address);
      expect((await f.registry.keyAt(BigInt(i + 1), 0n)).publicKey).to.equal(f.keys[i].publicId.toLowerCase());
    }
  });

  it("rejects an empty batch", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    await expect(f.registry.connect(f.owner).bindDevices([])).to.be.revertedWithCustomError(
      f.registry,
      "DeviceRegistryEmptyBatch",
    );
  });

  describe("rejections (custom error with arguments, state unchanged)", () => {
    it("replayed signature: the owner's nonce is spent", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const first = await bindRequest(f, f.keys[0], f.owner.address, { nonce: 3n });
      await f.registry.connect(f.owner).bindDevice(first);
      // Same nonce, another device: the nonce check fires before anything is written.
      const replay = await bindRequest(f, f.keys[1], f.owner.address, { nonce: 3n });
      const before = await registryState(f, [f.owner.address]);
      await expect(f.registry.connect(f.owner).bindDevice(replay))
        .to.be.revertedWithCustomError(f.registry, "DeviceRegistryNonceUsed")
        .withArgs(0n, f.owner.address, 3n);
      // The exact same request again: the key is taken.
      await expect(f.registry.connect(f.owner).bindDevice(first))
        .to.be.revertedWithCustomError(f.registry, "DeviceRegistryKeyAlreadyBound")
        .withArgs(0n, keyId(publicKeyOf(f.keys[0])), 1n);
      await expectUnchanged(f, before, [f.owner.address]);
    });

    it("nonces invalidated by the owner cannot be used", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      await expect(f.registry.connect(f.owner).invalidateNonces(0n, 0b110n))
        .to.emit(f.registry, "NoncesInvalidated")
        .withArgs(f.owner.address, 0n, 0b110n);
      const req = await bindRequest(f, f.keys[0], f.owner.address, { nonce: 2n });
      const before = await registryState(f, [f.owner.address]);
      await expect(f.registry.connect(f.owner).bindDevice(req))
        .to.be.revertedWithCustomError(f.registry, "DeviceRegistryNonceUsed")
        .withArgs(0n, f.owner.address, 2n);
      await expectUnchanged(f, before, [f.owner.address]);
    });

    it("signature for another chain id", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const req = await bindRequest(f, f.keys[0], f.owner.address, { domain: { ...f.domain, chainId: 1n } });
      const before = await registryState(f, [f.owner.address]);
      await expect(f.registry.connect(f.owner).bindDevice(req))
        .to.be.revertedWithCustomError(f.registry, "DeviceRegistryInvalidDeviceSignature")
        .withArgs(0n, keyId(publicKeyOf(f.keys[0])));
      await expectUnchanged(f, before, [f.owner.address]);
    });

    it("signature for another registry address", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const req = await bindRequest(f, f.keys[0], f.owner.address, {
        domain: { ...f.domain, verifyingContract: f.other.address as `0x${string}` },
      });
      const before = await registryState(f, [f.owner.address]);
      await expect(f.registry.connect(f.owner).bindDevice(req))
        .to.be.revertedWithCustomError(f.registry, "DeviceRegistryInvalidDeviceSignature")
        .withArgs(0n, keyId(publicKeyOf(f.keys[0])));
      await expectUnchanged(f, before, [f.owner.address]);
    });

    it("signature for another owner (front-running by a third party)", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const req = await bindRequest(f, f.keys[0], f.owner.address);
      const before = await registryState(f, [f.owner.address, f.other.address]);
      await expect(f.registry.connect(f.other).bindDevice(req))
        .to.be.revertedWithCustomError(f.registry, "DeviceRegistryInvalidDeviceSignature")
        .withArgs(0n, keyId(publicKeyOf(f.keys[0])));
      await expectUnchanged(f, before, [f.owner.address, f.other.address]);
    });

    it("expired deadline", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const deadline = (await f.now()) + 10n;
      const req = await bindRequest(f, f.keys[0], f.owner.address, { deadline });
      await networkHelpers.time.increase(60);
      const before = await registryState(f, [f.owner.address]);
      await expect(f.registry.connect(f.owner).bindDevice(req))
        .to.be.revertedWithCustomError(f.registry, "DeviceRegistryDeadlineExpired")
        .withArgs(0n, deadline);
      await expectUnchanged(f, before, [f.owner.address]);
    });

    it("key not under any maker root", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const [stranger] = deviceKeys("secp256k1", 1, "stranger");
      // A proof from a tree nobody published, presented against the published root.
      const fake = new KeyTree([publicKeyOf(stranger), ...f.keys.map(publicKeyOf)]);
      const req = await bindRequest(f, stranger, f.owner.address, { tree: fake });
      const before = await registryState(f, [f.owner.address]);
      await expect(f.registry.connect(f.owner).bindDevice({ ...req, makerRoot: f.tree.root }))
        .to.be.revertedWithCustomError(f.registry, "DeviceRegistryKeyNotAttested")
        .withArgs(0n, keyId(publicKeyOf(stranger)), f.tree.root);
      await expect(f.registry.connect(f.owner).bindDevice(req))
        .to.be.revertedWithCustomError(f.registry, "DeviceRegistryItemUnknownRoot")
        .withArgs(0n, fake.root);
      await expectUnchanged(f, before, [f.owner.address]);
    });

    it("revoked maker (by governance, or by itself) and revoked root", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const req = await bindRequest(f, f.keys[0], f.owner.address);
      const snap = await networkHelpers.takeSnapshot();
      await f.registry.connect(f.admin).revokeMaker(f.maker.address);
      const before = await registryState(f, [f.owner.address]);
      await expect(f.registry.connect(f.owner).bindDevice(req))
        .to.be.revertedWithCustomError(f.registry, "DeviceRegistryItemMakerNotApproved")
        .withArgs(0n, f.maker.address);
      await expectUnchanged(f, before, [f.owner.address]);
      await snap.restore();
      await f.registry.connect(f.maker).renounceMaker();
      await expect(f.registry.connect(f.owner).bindDevice(req))
        .to.be.revertedWithCustomError(f.registry, "DeviceRegistryItemMakerNotApproved")
        .withArgs(0n, f.maker.address);
      await expectUnchanged(f, before, [f.owner.address]);
      await snap.restore();
      await f.registry.connect(f.maker).revokeMakerRoot(f.tree.root);
      await expect(f.registry.connect(f.owner).bindDevice(req))
        .to.be.revertedWithCustomError(f.registry, "DeviceRegistryItemRootRevoked")
        .withArgs(0n, f.tree.root);
      await expectUnchanged(f, before, [f.owner.address]);
    });

    it("double binding of the same key (single and inside one batch)", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      await bind(f, f.keys[0], f.owner);
      const again = await bindRequest(f, f.keys[0], f.other.address);
      const before = await registryState(f, [f.owner.address, f.other.address]);
      await expect(f.registry.connect(f.other).bindDevice(again))
        .to.be.revertedWithCustomError(f.registry, "DeviceRegistryKeyAlreadyBound")
        .withArgs(0n, keyId(publicKeyOf(f.keys[0])), 1n);
      const a = await bindRequest(f, f.keys[1], f.other.address, { nonce: 0n });
      const b = await bindRequest(f, f.keys[1], f.other.address, { nonce: 1n });
      await expect(f.registry.connect(f.other).bindDevices([a, b]))
        .to.be.revertedWithCustomError(f.registry, "DeviceRegistryKeyAlreadyBound")
        .withArgs(1n, keyId(publicKeyOf(f.keys[1])), 2n);
      await expectUnchanged(f, before, [f.owner.address, f.other.address]);
    });

    it("wrong signer: a different key signed", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const req = await bindRequest(f, f.keys[0], f.owner.address);
      const forged = await bindRequest(f, f.keys[1], f.owner.address);
      const before = await registryState(f, [f.owner.address]);
      await expect(f.registry.connect(f.owner).bindDevice({ ...req, signature: forged.signature }))
        .to.be.revertedWithCustomError(f.registry, "DeviceRegistryInvalidDeviceSignature")
        .withArgs(0n, keyId(publicKeyOf(f.keys[0])));
      await expectUnchanged(f, before, [f.owner.address]);
    });

    it("malformed signatures (wrong length, high s) are rejected", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const req = await bindRequest(f, f.keys[0], f.owner.address);
      const id = keyId(publicKeyOf(f.keys[0]));
      const before = await registryState(f, [f.owner.address]);
      await expect(f.registry.connect(f.owner).bindDevice({ ...req, signature: req.signature.slice(0, 130) as `0x${string}` }))
        .to.be.revertedWithCustomError(f.registry, "DeviceRegistryInvalidDeviceSignature")
        .withArgs(0n, id);
      // Flip s to n - s and v: the same point, rejected as malleable.
      const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
      const sig = req.signature.slice(2);
      const s = BigInt("0x" + sig.slice(64, 128));
      const v = parseInt(sig.slice(128, 130), 16);
      const flipped =
        `0x${sig.slice(0, 64)}${(n - s).toString(16).padStart(64, "0")}${(v === 27 ? 28 : 27).toString(16)}` as `0x${string}`;
      await expect(f.registry.connect(f.owner).bindDevice({ ...req, signature: flipped }))
        .to.be.revertedWithCustomError(f.registry, "DeviceRegistryInvalidDeviceSignature")
        .withArgs(0n, id);
      await expectUnchanged(f, before, [f.owner.address]);
    });

    it("zero / malformed public keys", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const req = await bindRequest(f, f.keys[0], f.owner.address);
      const zero = `0x${"00".repeat(20)}` as `0x${string}`;
      const before = await registryState(f, [f.owner.address]);
      await expect(f.registry.connect(f.owner).bindDevice({ ...req, publicKey: zero }))
        .to.be.revertedWithCustomError(f.registry, "DeviceRegistryInvalidPublicKey")
        .withArgs(0n, 0, zero);
      const short = `0x${"11".repeat(19)}` as `0x${string}`;
      await expect(f.registry.connect(f.owner).bindDevice({ ...req, publicKey: short }))
        .to.be.revertedWithCustomError(f.registry, "DeviceRegistryInvalidPublicKey")
        .withArgs(0n, 0, short);
      const offCurve = `0x${"01".repeat(64)}` as `0x${string}`;
      await expect(f.registry.connect(f.owner).bindDevice({ ...req, keyType: 1, publicKey: offCurve }))
        .to.be.revertedWithCustomError(f.registry, "DeviceRegistryInvalidPublicKey")
        .withArgs(0n, 1, offCurve);
      await expectUnchanged(f, before, [f.owner.address]);
    });

    it("P-256 bad signature", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const key = f.keys[8];
      const req = await bindRequest(f, key, f.owner.address);
      // Signed by the right key but over another digest.
      const wrong = signDigest(
        key,
        bindDigest(f.domain, { owner: f.other.address as `0x${string}`, nonce: 0n, deadline: req.deadline }),
      );
      const before = await registryState(f, [f.owner.address]);
      await expect(f.registry.connect(f.owner).bindDevice({ ...req, signature: wrong }))
        .to.be.revertedWithCustomError(f.registry, "DeviceRegistryInvalidDeviceSignature")
        .withArgs(0n, keyId(publicKeyOf(key)));
      // Signature by another P-256 key.
      const other = await bindRequest(f, f.keys[9], f.owner.address);
      await expect(f.registry.connect(f.owner).bindDevice({ ...req, signature: other.signature }))
        .to.be.revertedWithCustomError(f.registry, "DeviceRegistryInvalidDeviceSignature")
        .withArgs(0n, keyId(publicKeyOf(key)));
      await expectUnchanged(f, before, [f.owner.address]);
    });

    it("a batch with one bad item reverts with its index and binds nothing", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const reqs: BindRequest[] = [];
      for (let i = 0; i < 5; i++) reqs.push(await bindRequest(f, f.keys[i], f.owner.address, { nonce: BigInt(i) }));
      reqs[3] = { ...reqs[3], signature: reqs[2].signature };
      const before = await registryState(f, [f.owner.address]);
      await expect(f.registry.connect(f.owner).bindDevices(reqs))
        .to.be.revertedWithCustomError(f.registry, "DeviceRegistryInvalidDeviceSignature")
        .withArgs(3n, keyId(publicKeyOf(f.keys[3])));
      await expectUnchanged(f, before, [f.owner.address]);
    });
  });

  describe("maker provisioning (Provisioned → Bound)", () => {
    it("a maker provisions devices; an owner binds one without a proof", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const items = [await provisionRequest(f, f.keys[0]), await provisionRequest(f, f.keys[1])];
      await expect(f.registry.connect(f.maker).provisionDevices(items))
        .to.emit(f.registry, "DeviceProvisioned")
        .withArgs(2n, f.maker.address, keyId(publicKeyOf(f.keys[1])));
      expect(await f.registry.deviceStatus(1n)).to.equal(Status.Provisioned);
      expect(await f.registry.ownerOfDevice(1n)).to.equal(ZeroAddress);
      expect(await f.registry.deviceCount(Status.Provisioned)).to.equal(2n);
      await expect(f.registry.ownerOf(1n)).to.be.revertedWithCustomError(f.registry, "ERC721NonexistentToken").withArgs(1n);

      const req = await bindRequest(f, f.keys[1], f.owner.address);
      await expect(f.registry.connect(f.owner).bindDevice({ ...req, makerRoot: `0x${"00".repeat(32)}`, proof: [] }))
        .to.emit(f.registry, "DeviceBound")
        .withArgs(2n, f.owner.address, keyId(publicKeyOf(f.keys[1])));
      expect(await f.registry.deviceStatus(2n)).to.equal(Status.Bound);
      expect(await f.registry.deviceCount(Status.Provisioned)).to.equal(1n);
      expect(await f.registry.deviceCount(Status.Bound)).to.equal(1n);
      expect(await f.registry.totalDevices()).to.equal(2n);
    });

    it("rejects provisioning by someone other than the root's maker, and binding after the maker is revoked", async () => {
      const f = await networkHelpers.loadFixture(fixture);
      const k = f.keys[0];
      const item = await provisionRequest(f, k);
      // Even with the device's consent for `other`, only the root's maker provisions under it.
      const forOther = await provisionRequest(f, k, { maker: f.other });
      await expect(f.registry.connect(f.other).provisionDevices([forOther]))
        .to.be.revertedWithCustomError(f.registry, "DeviceRegistryNotItemMaker")
        .withArgs(0n, f.other.address);
      await f.registry.connect(f.maker).provisionDevices([item]);
      await expect(f.registry.connect(f.maker).provisionDevices([item]))
        .to.be.revertedWithCustomError(f.registry, "DeviceRegistryKeyAlreadyBound")
        .withArgs(0n, keyId(publicKeyOf(k)), 1n);
      await f.registry.connect(f.admin).revokeMaker(f.maker.address);
      const req = await bindRequest(f, k, f.owner.address);
      await expect(f.registry.connect(f.owner).bindDevice(req))
        .to.be.revertedWithCustomError(f.registry, "DeviceRegistryItemMakerNotApproved")
        .withArgs(0n, f.maker.address);
      await expect(f.registry.connect(f.maker).provisionDevices([])).to.be.revertedWithCustomError(
        f.registry,
        "DeviceRegistryEmptyBatch",
      );
    });
  });
});
