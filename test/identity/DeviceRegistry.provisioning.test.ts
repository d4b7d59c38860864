/**
 * Maker provisioning needs the device key's proof of possession, and governance can release a
 * device that is stuck in Provisioned (its maker or root revoked) so its key can be bound again.
 * The attack: an approved maker provisions another maker's device key under its own root and then
 * revokes that root, so the genuine device could never be bound and nobody could free its key.
 */
import { expect } from "chai";
import { network } from "hardhat";
import { encodeAction } from "../../scripts/lib/actions.js";
import type { Deployment } from "../../scripts/lib/deployments.js";
import {
  KeyTree,
  bytesToHex,
  keyId,
  provisionDigest,
  publicKeyOf,
  signDigest,
  type ProvisionRequest,
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

describe("DeviceRegistry — provisioning (proof of possession) and release", () => {
  it("the provisioning digest matches the SDK, and a P-256 device provisions with its own signature", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    const m = { maker: f.maker.address as `0x${string}`, deadline: 1_900_000_000n };
    expect(await f.registry.provisionDigest(m.maker, m.deadline)).to.equal(bytesToHex(provisionDigest(f.domain, m)));
    const p = f.keys[8];
    expect(p.type).to.equal("p256");
    await expect(f.registry.connect(f.maker).provisionDevices([await provisionRequest(f, p)]))
      .to.emit(f.registry, "DeviceProvisioned")
      .withArgs(1n, f.maker.address, keyId(publicKeyOf(p)));
  });

  it("attack: a maker cannot squat another maker's device key without the device's signature naming it", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    const squatter = f.signers[5];
    await f.registry.connect(f.admin).approveMaker(squatter.address, "Squatter Inc");
    const victim = f.keys[0];
    const victimId = keyId(publicKeyOf(victim));
    const [own] = deviceKeys("secp256k1", 1, "squatter-own");
    // The squatter attests the victim's public key (public knowledge) in its own root.
    const tree = new KeyTree([publicKeyOf(victim), publicKeyOf(own)]);
    await f.registry.connect(squatter).publishMakerRoot(tree.root, 2n, "ipfs://squat");
    const deadline = (await f.now()) + 3600n;
    const base: ProvisionRequest = {
      keyType: 0,
      publicKey: victim.publicId,
      makerRoot: tree.root,
      proof: tree.proof(publicKeyOf(victim)),
      deadline,
      signature: "0x",
    };
    const sq = squatter.address as `0x${string}`;
    const attempts: [string, `0x${string}`][] = [
      ["no signature", "0x"],
      ["signed by the squatter's own device key", signDigest(own, provisionDigest(f.domain, { maker: sq, deadline }))],
      [
        "the device's consent for its genuine maker, replayed",
        signDigest(victim, provisionDigest(f.domain, { maker: f.maker.address as `0x${string}`, deadline })),
      ],
      [
        "the device's consent for the squatter on another chain",
        signDigest(victim, provisionDigest({ ...f.domain, chainId: f.chainId + 1n }, { maker: sq, deadline })),
      ],
      [
        "a bind signature of the device (another message type)",
        (await bindRequest(f, victim, squatter.address, { deadline })).signature,
      ],
    ];
    const before = await registryState(f, [f.owner.address, squatter.address]);
    for (const [what, signature] of attempts) {
      await expect(f.registry.connect(squatter).provisionDevices([{ ...base, signature }]), what)
        .to.be.revertedWithCustomError(f.registry, "DeviceRegistryInvalidDeviceSignature")
        .withArgs(0n, victimId);
    }
    // In a batch, the index of the squatted item is reported and nothing is provisioned.
    const ownItem = { ...base, publicKey: own.publicId, proof: tree.proof(publicKeyOf(own)) };
    ownItem.signature = signDigest(own, provisionDigest(f.domain, { maker: sq, deadline }));
    await expect(f.registry.connect(squatter).provisionDevices([ownItem, { ...base, signature: attempts[1][1] }]))
      .to.be.revertedWithCustomError(f.registry, "DeviceRegistryInvalidDeviceSignature")
      .withArgs(1n, victimId);
    await expectUnchanged(f, before, [f.owner.address, squatter.address]);
    expect(await f.registry.deviceOfKey(0, victim.publicId)).to.equal(0n);

    // The squatter's root can be revoked at will: the genuine owner still binds the device.
    await f.registry.connect(squatter).revokeMakerRoot(tree.root);
    await expect(f.registry.connect(f.owner).bindDevice(await bindRequest(f, victim, f.owner.address)))
      .to.emit(f.registry, "DeviceBound")
      .withArgs(1n, f.owner.address, victimId);
  });

  it("an expired provisioning consent is refused with its index and deadline", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    const deadline = (await f.now()) - 1n;
    const good = await provisionRequest(f, f.keys[1]);
    const stale = await provisionRequest(f, f.keys[2], { deadline });
    const before = await registryState(f);
    await expect(f.registry.connect(f.maker).provisionDevices([good, stale]))
      .to.be.revertedWithCustomError(f.registry, "DeviceRegistryDeadlineExpired")
      .withArgs(1n, deadline);
    await expectUnchanged(f, before);
  });

  it("governance releases a Provisioned device whose root was revoked; its key is then bound under a live root", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    const key = f.keys[2];
    const id = keyId(publicKeyOf(key));
    await f.registry.connect(f.maker).provisionDevices([await provisionRequest(f, key)]);
    await f.registry.connect(f.maker).revokeMakerRoot(f.tree.root);
    // Stuck: a provisioned device binds only while its root is live, and its key is taken.
    await expect(f.registry.connect(f.owner).bindDevice(await bindRequest(f, key, f.owner.address)))
      .to.be.revertedWithCustomError(f.registry, "DeviceRegistryItemRootRevoked")
      .withArgs(0n, f.tree.root);

    const role = await f.registry.DEVICE_GUARDIAN_ROLE();
    const before = await registryState(f, [f.owner.address]);
    for (const caller of [f.other, f.maker, f.owner]) {
      await expect(f.registry.connect(caller).releaseDevice(1n))
        .to.be.revertedWithCustomError(f.registry, "AccessControlUnauthorizedAccount")
        .withArgs(caller.address, role);
    }
    await expectUnchanged(f, before, [f.owner.address]);

    const tx = f.registry.connect(f.admin).releaseDevice(1n);
    await expect(tx).to.emit(f.registry, "DeviceReleased").withArgs(1n, id, f.admin.address);
    await expect(tx)
      .to.emit(f.registry, "DeviceStatusChanged")
      .withArgs(1n, Status.Provisioned, Status.Decommissioned, f.admin.address);
    const t = await f.now();
    expect(await f.registry.deviceStatus(1n)).to.equal(Status.Decommissioned);
    expect(await f.registry.deviceOfKey(0, key.publicId)).to.equal(0n);
    // The released device's history keeps the key, revoked at once (it never published).
    const k = await f.registry.keyAt(1n, 0n);
    expect(k.publicKey).to.equal(key.publicId.toLowerCase());
    expect(k.revokedAt).to.equal(t);
    expect(await f.registry.deviceCount(Status.Provisioned)).to.equal(0n);
    expect(await f.registry.deviceCount(Status.Decommissioned)).to.equal(1n);
    await expect(f.registry.connect(f.admin).releaseDevice(1n))
      .to.be.revertedWithCustomError(f.registry, "DeviceRegistryNotProvisioned")
      .withArgs(1n, Status.Decommissioned);

    // The maker attests the key again under a new root; the owner binds it as a fresh device.
    const tree2 = new KeyTree([publicKeyOf(key)]);
    await f.registry.connect(f.maker).publishMakerRoot(tree2.root, 1n, "ipfs://reissue");
    await expect(f.registry.connect(f.owner).bindDevice(await bindRequest(f, key, f.owner.address, { tree: tree2 })))
      .to.emit(f.registry, "DeviceBound")
      .withArgs(2n, f.owner.address, id);
    expect(await f.registry.deviceOfKey(0, key.publicId)).to.equal(2n);
    expect(await f.registry.ownerOf(2n)).to.equal(f.owner.address);
  });

  it("the DAO's proposal action 'release device' calls releaseDevice on the registry", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    const address = await f.registry.getAddress();
    const deployment: Deployment = {
      version: 1,
      chainId: Number(f.chainId),
      network: "hardhat",
      module: "DevProtocol",
      contracts: { deviceRegistry: { address, startBlock: 1 } },
    };
    const call = encodeAction({ action: "release device", deviceId: 3 }, deployment);
    expect(call.target).to.equal(address);
    expect(call.data).to.equal(f.registry.interface.encodeFunctionData("releaseDevice", [3n]));
  });

  it("release refuses bound, active and unknown devices and changes nothing", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    const dev = await bind(f, f.keys[3], f.owner);
    const before = await registryState(f, [f.owner.address]);
    await expect(f.registry.connect(f.admin).releaseDevice(dev))
      .to.be.revertedWithCustomError(f.registry, "DeviceRegistryNotProvisioned")
      .withArgs(dev, Status.Bound);
    await expect(f.registry.connect(f.admin).releaseDevice(99n))
      .to.be.revertedWithCustomError(f.registry, "DeviceRegistryUnknownDevice")
      .withArgs(99n);
    await expectUnchanged(f, before, [f.owner.address]);
    await f.registry.connect(f.owner).activate(dev);
    await expect(f.registry.connect(f.admin).releaseDevice(dev))
      .to.be.revertedWithCustomError(f.registry, "DeviceRegistryNotProvisioned")
      .withArgs(dev, Status.Active);
    expect(await f.registry.deviceOfKey(0, f.keys[3].publicId)).to.equal(dev);
  });
});
