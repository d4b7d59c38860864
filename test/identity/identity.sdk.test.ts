import { expect } from "chai";
import { network } from "hardhat";
import {
  IdentityError,
  KEY_REVOCATION_DELAY_SEC,
  KeyTree,
  keyWindowAt,
  makeProvisionRequest,
  provisionDigest,
  bytesToHex,
  keyId,
  publicKeyOf,
  rotationDigest,
  verifyKeyProof,
  verifyDigest,
  bindDigest,
  signBind,
  type DevicePublicKey,
} from "../../sdk/src/index.js";
import { deployIdentity, deviceKeys, type IdentityFixture } from "./fixture.js";

const conn = await network.create();
const { networkHelpers, ethers } = conn;
const fixture = (): Promise<IdentityFixture> => deployIdentity(conn);

describe("sdk/src/identity.ts — shared encodings agree with the contract", () => {
  it("key tree proofs verify in the SDK and with OpenZeppelin MerkleProof on-chain, for every tree size 1..9 and 1025", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    const pairs = [...deviceKeys("secp256k1", 1025, "tree"), ...deviceKeys("p256", 2, "tree")];
    const pool = pairs.map(publicKeyOf);
    const maker = f.maker.address as `0x${string}`;
    const deadline = 4_000_000_000n;
    const sizes = [1, 2, 3, 4, 5, 6, 7, 8, 9, 1025];
    for (const n of sizes) {
      const keys = pool.slice(0, n);
      const tree = new KeyTree(keys);
      await (await f.registry.connect(f.maker).publishMakerRoot(tree.root, BigInt(n), "")).wait();
      // Spot-check first, last and middle leaves, plus a P-256 key when present.
      for (const i of new Set([0, n - 1, Math.floor(n / 2)])) {
        const k = keys[i];
        const proof = tree.proof(k);
        expect(verifyKeyProof(tree.root, k, proof), `size ${n}`).to.equal(true);
        expect(Math.ceil(Math.log2(n))).to.be.at.least(proof.length);
        // On-chain: provisioning checks the proof with MerkleProof.verifyCalldata (simulated call).
        const item = makeProvisionRequest(pairs[i], tree, f.domain, { maker, deadline });
        expect(item.proof).to.deep.equal(proof);
        expect(await f.registry.connect(f.maker).provisionDevices.staticCall([item]), `size ${n}`).to.equal(1n);
        if (proof.length > 0) {
          const broken = { ...item, proof: [...proof.slice(1), proof[0]].reverse() };
          if (!verifyKeyProof(tree.root, k, broken.proof)) {
            await expect(f.registry.connect(f.maker).provisionDevices.staticCall([broken])).to.be.revertedWithCustomError(
              f.registry,
              "DeviceRegistryKeyNotAttested",
            );
          }
        }
      }
    }
  });

  it("the tree de-duplicates keys, rejects empty input and keys not in it; a proof fails for another key", () => {
    const [a, b, c] = deviceKeys("secp256k1", 3, "dup").map(publicKeyOf);
    const tree = new KeyTree([a, b, a]);
    expect(tree.size).to.equal(2);
    expect(() => new KeyTree([])).to.throw(IdentityError, /at least one/);
    expect(() => tree.proof(c)).to.throw(IdentityError, /not in the tree/);
    expect(verifyKeyProof(tree.root, c, tree.proof(a))).to.equal(false);
    const bad: DevicePublicKey = { type: "p256", publicKey: a.publicKey };
    expect(() => keyId(bad)).to.throw(IdentityError, /64 bytes/);
  });

  it("provisioning digest and key revocation delay match the contract; key windows are half-open", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    expect(await f.registry.KEY_REVOCATION_DELAY()).to.equal(KEY_REVOCATION_DELAY_SEC);
    const m = { maker: f.maker.address as `0x${string}`, deadline: 1_900_000_000n };
    const wallet = ethers.TypedDataEncoder.hash(
      { name: "DePIN Device Registry", version: "1", chainId: f.chainId, verifyingContract: f.domain.verifyingContract },
      {
        ProvisionDevice: [
          { name: "maker", type: "address" },
          { name: "deadline", type: "uint256" },
        ],
      },
      m,
    );
    expect(bytesToHex(provisionDigest(f.domain, m))).to.equal(wallet);
    expect(await f.registry.provisionDigest(m.maker, m.deadline)).to.equal(wallet);
    const k = { validFrom: 100n, revokedAt: 700n };
    expect([99n, 100n, 699n, 700n].map((t) => keyWindowAt(k, t))).to.deep.equal(["notYetValid", "valid", "valid", "revoked"]);
    expect(keyWindowAt({ validFrom: 100n, revokedAt: 0n }, 10n ** 12n)).to.equal("valid");
  });

  it("rotation digest matches the contract; bind signatures verify with the SDK verifier", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    const m = { deviceId: 7n, newKeyId: keyId(publicKeyOf(f.keys[3])), keyIndex: 2n, deadline: 1_900_000_000n };
    expect(await f.registry.rotationDigest(m.deviceId, m.newKeyId, m.keyIndex, m.deadline)).to.equal(
      bytesToHex(rotationDigest(f.domain, m)),
    );
    for (const key of [f.keys[0], f.keys[8]]) {
      const bm = { owner: f.owner.address as `0x${string}`, nonce: 1n, deadline: 2n };
      const sig = signBind(key, f.domain, bm);
      expect(verifyDigest(key.type, key.publicId, bindDigest(f.domain, bm), sig)).to.equal(true);
    }
    // The typed data also matches what a wallet (ethers' TypedDataEncoder) computes.
    const wallet = ethers.TypedDataEncoder.hash(
      { name: "DePIN Device Registry", version: "1", chainId: f.chainId, verifyingContract: f.domain.verifyingContract },
      {
        BindDevice: [
          { name: "owner", type: "address" },
          { name: "nonce", type: "uint256" },
          { name: "deadline", type: "uint256" },
        ],
      },
      { owner: f.owner.address, nonce: 5n, deadline: 6n },
    );
    expect(bytesToHex(bindDigest(f.domain, { owner: f.owner.address as `0x${string}`, nonce: 5n, deadline: 6n }))).to.equal(
      wallet,
    );
  });
});
