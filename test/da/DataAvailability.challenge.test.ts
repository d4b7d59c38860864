import { expect } from "chai";
import { network } from "hardhat";
import { hashReading, readingDigest, bytesToHex, type MerkleSiblings, type SignedReading } from "../../sdk/src/index.js";
import { asChallenge, DAY, deployDa, honestReadings, ONE_ETHER, PARAMS, ROTATION_TIME, type DaFixture } from "./fixture.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const STATUS = { None: 0n, Committed: 1n, Invalidated: 2n };

describe("DataAvailability — signature challenges", function () {
  // One connection for the whole file; loadFixture snapshots the deployment.
  const deployment = (): Promise<DaFixture> => deployDa(connection);
  const load = (): Promise<DaFixture> => networkHelpers.loadFixture(deployment);

  /** The forged reading: claims device 1 but is signed by a key no device has. */
  function forged(f: DaFixture): SignedReading {
    return f.sign(f.devices.stranger, { deviceId: f.devices.secp.id, seq: 2n, timestamp: 1_700_000_020n, value: 1_000_000n });
  }

  describe("Solidity and TypeScript agree", function () {
    it("readingDigest equals the sdk digest for this chain", async function () {
      const f = await load();
      const r = honestReadings(f)[0];
      expect(await f.da.readingDigest(r.deviceId, r.seq, r.timestamp, r.value)).to.equal(bytesToHex(readingDigest(f.chainId, r)));
    });

    it("leafOf equals sdk hashReading for both key types", async function () {
      const f = await load();
      for (const r of honestReadings(f)) {
        expect(await f.da.leafOf(asChallenge(r))).to.equal(hashReading(f.poseidon, r));
      }
    });

    it("sdk P-256 signatures verify with and without the P256VERIFY precompile", async function () {
      const f = await load();
      const harness = await ethers.deployContract("P256Harness");
      const r = honestReadings(f)[1];
      const digest = bytesToHex(readingDigest(f.chainId, r));
      const sig = r.signature.slice(2);
      const pub = f.devices.p256.key.publicId.slice(2);
      const words = (d: string): [string, string, string, string, string] => [
        d,
        `0x${sig.slice(0, 64)}`,
        `0x${sig.slice(64, 128)}`,
        `0x${pub.slice(0, 64)}`,
        `0x${pub.slice(64, 128)}`,
      ];
      expect(await harness.getFunction("verifySolidity")(...words(digest))).to.equal(true);
      expect(await harness.getFunction("verify")(...words(digest))).to.equal(true);
      const other = bytesToHex(readingDigest(f.chainId, { ...r, value: r.value + 1n }));
      expect(await harness.getFunction("verifySolidity")(...words(other))).to.equal(false);
      expect(await harness.getFunction("verify")(...words(other))).to.equal(false);
    });

    it("verifyInclusion accepts every sdk merkleProof of the 4-ary tree and rejects a wrong leaf, sibling or index digit", async function () {
      const f = await load();
      // 6 leaves in a depth-2 tree: slots 4 and 5 sit under the second level-1 node (digits 0/1, 1).
      const readings = [...honestReadings(f), forged(f)];
      readings.push(f.sign(f.devices.secp.key, { deviceId: f.devices.secp.id, seq: 3n, timestamp: 1_700_000_030n, value: 5n }));
      const batch = f.makeBatch(readings, 2);
      const id = await f.commit(batch);
      for (let i = 0; i < batch.leaves.length; i++) {
        const p = batch.proof(i);
        expect(p.siblings).to.have.length(2);
        expect(await f.da.verifyInclusion(id, p.leaf, p.index, p.siblings)).to.equal(true);
        expect(await f.da.verifyInclusion(id, p.leaf + 1n, p.index, p.siblings)).to.equal(false);
        // Any one sibling changed, at any level and any position of the triple.
        for (let level = 0; level < p.siblings.length; level++) {
          for (let k = 0; k < 3; k++) {
            const bad = p.siblings.map((t) => [...t] as MerkleSiblings);
            bad[level][k] += 1n;
            expect(await f.da.verifyInclusion(id, p.leaf, p.index, bad)).to.equal(false);
          }
        }
        // The same leaf and siblings at another real slot: another base-4 digit at some level.
        for (let j = 0; j < batch.leaves.length; j++) {
          if (j !== i) expect(await f.da.verifyInclusion(id, p.leaf, j, p.siblings)).to.equal(false);
        }
      }
      // Siblings of one level in another order.
      const p = batch.proof(4);
      const [a, b, c] = p.siblings[0];
      expect(await f.da.verifyInclusion(id, p.leaf, 4, [[b, a, c], p.siblings[1]])).to.equal(false);
    });
  });

  describe("a batch with one forged leaf", function () {
    it("is invalidated on-chain and its sequencer slashed, half to the challenger", async function () {
      const f = await load();
      const readings = [...honestReadings(f), forged(f)];
      const batch = f.makeBatch(readings, 2);
      const id = await f.commit(batch);
      const p = batch.proof(4);
      const reward = (PARAMS.slashAmount * PARAMS.challengerRewardBps) / 10_000n;

      const tx = f.da.connect(f.challenger).challengeSignature(id, asChallenge(readings[4]), 4, p.siblings);
      await expect(tx).to.emit(f.da, "BatchInvalidated").withArgs(id, f.challenger.address, 4n, p.leaf);
      await expect(tx)
        .to.emit(f.da, "SequencerSlashed")
        .withArgs(f.sequencer.address, id, f.challenger.address, PARAMS.slashAmount, reward);
      await expect(tx).to.changeEtherBalances(ethers, [f.challenger, f.da], [reward, -reward]);

      const stored = await f.da.getBatch(id);
      expect(stored.status).to.equal(STATUS.Invalidated);
      expect((await f.da.sequencer(f.sequencer.address)).bond).to.equal(2n * ONE_ETHER - PARAMS.slashAmount);
      expect(await f.da.slashedFunds()).to.equal(PARAMS.slashAmount - reward);

      // Never final, even after the window; cannot be challenged or proven against again.
      await networkHelpers.time.increase(PARAMS.challengeWindow + 1n);
      expect(await f.da.isFinal(id)).to.equal(false);
      await expect(f.da.connect(f.other).challengeSignature(id, asChallenge(readings[4]), 4, p.siblings))
        .to.be.revertedWithCustomError(f.da, "DataAvailabilityBatchInvalidated")
        .withArgs(id);
      await expect(f.da.verifyInclusion(id, p.leaf, 4, p.siblings))
        .to.be.revertedWithCustomError(f.da, "DataAvailabilityBatchInvalidated")
        .withArgs(id);
    });

    it("invalidates for a signature of another reading by the right key (tampered value)", async function () {
      const f = await load();
      const good = honestReadings(f)[0];
      const tampered: SignedReading = { ...good, value: good.value + 1n }; // signature no longer matches
      const batch = f.makeBatch([tampered], 0);
      const id = await f.commit(batch);
      await expect(f.da.connect(f.challenger).challengeSignature(id, asChallenge(tampered), 0, []))
        .to.emit(f.da, "BatchInvalidated")
        .withArgs(id, f.challenger.address, 0n, batch.leaves[0]);
    });

    it("invalidates a reading signed by a rotated-out key after its revocation", async function () {
      const f = await load();
      const late = f.sign(f.devices.rotated.oldKey, {
        deviceId: f.devices.rotated.id,
        seq: 3n,
        timestamp: ROTATION_TIME,
        value: 7n,
      });
      const batch = f.makeBatch([...honestReadings(f), late], 2);
      const id = await f.commit(batch);
      await expect(f.da.connect(f.challenger).challengeSignature(id, asChallenge(late), 4, batch.proof(4).siblings)).to.emit(
        f.da,
        "BatchInvalidated",
      );
    });

    it("invalidates a reading signed before its key became valid", async function () {
      const f = await load();
      const early = f.sign(f.devices.rotated.newKey, {
        deviceId: f.devices.rotated.id,
        seq: 3n,
        timestamp: ROTATION_TIME - 1n,
        value: 7n,
      });
      const batch = f.makeBatch([early], 1);
      const id = await f.commit(batch);
      await expect(f.da.connect(f.challenger).challengeSignature(id, asChallenge(early), 0, batch.proof(0).siblings)).to.emit(
        f.da,
        "BatchInvalidated",
      );
    });

    it("invalidates a reading of an unregistered device", async function () {
      const f = await load();
      const ghost = f.sign(f.devices.stranger, { deviceId: 77n, seq: 1n, timestamp: 1_700_000_000n, value: 1n });
      const batch = f.makeBatch([ghost], 0);
      const id = await f.commit(batch);
      await expect(f.da.connect(f.challenger).challengeSignature(id, asChallenge(ghost), 0, [])).to.emit(
        f.da,
        "BatchInvalidated",
      );
    });

    it("invalidates a high-s (malleated) secp256k1 signature and a wrong-length signature", async function () {
      const f = await load();
      const good = honestReadings(f)[0];
      const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
      const sig = good.signature.slice(2);
      const s = BigInt("0x" + sig.slice(64, 128));
      const v = parseInt(sig.slice(128, 130), 16);
      const malleated =
        `0x${sig.slice(0, 64)}${(N - s).toString(16).padStart(64, "0")}${(v === 27 ? 28 : 27).toString(16)}` as `0x${string}`;
      const short = `0x${sig.slice(0, 128)}` as `0x${string}`; // 64 bytes against a secp256k1 key
      const readings: SignedReading[] = [
        { ...good, signature: malleated },
        { ...good, seq: 9n, signature: short },
      ];
      const batch = f.makeBatch(readings, 1);
      const id = await f.commit(batch);
      await expect(
        f.da.connect(f.challenger).challengeSignature(id, asChallenge(readings[0]), 0, batch.proof(0).siblings),
      ).to.emit(f.da, "BatchInvalidated");
      const batch2 = f.makeBatch([readings[1]], 0);
      const id2 = await f.commit(batch2);
      await expect(f.da.connect(f.challenger).challengeSignature(id2, asChallenge(readings[1]), 0, [])).to.emit(
        f.da,
        "BatchInvalidated",
      );
    });

    it("invalidates a leaf whose fields exceed the protocol widths", async function () {
      const f = await load();
      const honest = honestReadings(f)[0];
      const wide = { ...honest, deviceId: 1n << 64n };
      // The sdk refuses to hash it (range check), so the leaf is built from raw Poseidon inputs.
      const leaf = f.poseidon.hash([
        wide.deviceId,
        wide.seq,
        wide.timestamp,
        wide.value,
        BigInt(ethers.keccak256(wide.signature)) >> 8n,
      ]);
      const id = await f.da.nextBatchId();
      await f.da.connect(f.sequencer).commitBatch(id, leaf, 1, 0, 1, "da://wide");
      await expect(f.da.connect(f.challenger).challengeSignature(id, asChallenge(wide), 0, []))
        .to.emit(f.da, "BatchInvalidated")
        .withArgs(id, f.challenger.address, 0n, leaf);
    });
  });

  describe("a leaf beyond the protocol widths (no reward proof could be made over it)", function () {
    // The reward circuit decomposes timestamps and values into fixed bit widths: a leaf beyond
    // them makes its batch unprovable, so every device of the batch would lose its points. Such a
    // leaf cannot have been signed in the canonical encoding (u64 seq, u40 timestamp, u32 value),
    // so the batch is challengeable: the sequencer, not the devices, pays for it.
    const cases: [string, Partial<Record<"seq" | "timestamp" | "value", bigint>>][] = [
      ["timestamp = 2^40", { timestamp: 1n << 40n }],
      ["timestamp = 2^64 - 1", { timestamp: (1n << 64n) - 1n }],
      ["value = 2^32", { value: 1n << 32n }],
      ["seq = 2^64", { seq: 1n << 64n }],
    ];
    for (const [name, change] of cases) {
      it(`invalidates a leaf with ${name} (the device key signed the in-range reading)`, async function () {
        const f = await load();
        const honest = honestReadings(f)[0];
        // The device key signs the in-range digest; the wide field changes only what is hashed.
        const wide = { ...honest, ...change };
        // The sdk refuses to hash it (range check), so the leaf is built from raw Poseidon inputs.
        const leaf = f.poseidon.hash([
          wide.deviceId,
          wide.seq,
          wide.timestamp,
          wide.value,
          BigInt(ethers.keccak256(wide.signature)) >> 8n,
        ]);
        const id = await f.da.nextBatchId();
        await f.da.connect(f.sequencer).commitBatch(id, leaf, 1, 0, 1, "da://wide");
        expect(await f.da.leafOf(asChallenge(wide))).to.equal(leaf);
        await expect(f.da.connect(f.challenger).challengeSignature(id, asChallenge(wide), 0, []))
          .to.emit(f.da, "BatchInvalidated")
          .withArgs(id, f.challenger.address, 0n, leaf);
      });
    }

    it("keeps a reading at the widths' edge valid (timestamp 2^40 - 1, value 2^32 - 1, seq 2^64 - 1)", async function () {
      const f = await load();
      const edge = f.sign(f.devices.secp.key, {
        deviceId: f.devices.secp.id,
        seq: (1n << 64n) - 1n,
        timestamp: (1n << 40n) - 1n,
        value: (1n << 32n) - 1n,
      });
      const batch = f.makeBatch([edge], 0);
      const id = await f.commit(batch);
      await expect(f.da.connect(f.challenger).challengeSignature(id, asChallenge(edge), 0, []))
        .to.be.revertedWithCustomError(f.da, "DataAvailabilitySignatureValid")
        .withArgs(id, 0n, 0n);
    });
  });

  describe("an honest batch", function () {
    it("cannot be invalidated through any of its leaves (secp256k1, P-256, old and new rotated keys)", async function () {
      const f = await load();
      const readings = honestReadings(f);
      const batch = f.makeBatch(readings, 1);
      const id = await f.commit(batch);
      const keyIndex = [0n, 0n, 0n, 1n];
      for (let i = 0; i < readings.length; i++) {
        await expect(f.da.connect(f.challenger).challengeSignature(id, asChallenge(readings[i]), i, batch.proof(i).siblings))
          .to.be.revertedWithCustomError(f.da, "DataAvailabilitySignatureValid")
          .withArgs(id, BigInt(i), keyIndex[i]);
      }
      expect((await f.da.getBatch(id)).status).to.equal(STATUS.Committed);
      expect((await f.da.sequencer(f.sequencer.address)).bond).to.equal(2n * ONE_ETHER);
      await networkHelpers.time.increase(PARAMS.challengeWindow);
      expect(await f.da.isFinal(id)).to.equal(true);
    });

    it("rejects a reading that is not in the batch (bad inclusion proof) without changing it", async function () {
      const f = await load();
      const readings = honestReadings(f);
      const batch = f.makeBatch(readings, 1);
      const id = await f.commit(batch);
      const outsider = forged(f);
      const leaf = hashReading(f.poseidon, outsider);
      await expect(f.da.connect(f.challenger).challengeSignature(id, asChallenge(outsider), 0, batch.proof(0).siblings))
        .to.be.revertedWithCustomError(f.da, "DataAvailabilityInvalidInclusionProof")
        .withArgs(id, 0n, leaf);
      // Right leaf, wrong index.
      await expect(f.da.connect(f.challenger).challengeSignature(id, asChallenge(readings[0]), 1, batch.proof(0).siblings))
        .to.be.revertedWithCustomError(f.da, "DataAvailabilityInvalidInclusionProof")
        .withArgs(id, 1n, batch.leaves[0]);
      expect((await f.da.getBatch(id)).status).to.equal(STATUS.Committed);
    });

    it("rejects padding slots and wrong sibling counts", async function () {
      const f = await load();
      const readings = honestReadings(f).slice(0, 3);
      const batch = f.makeBatch(readings, 2); // slots 3..15 are zero leaves
      const id = await f.commit(batch);
      const sibs = batch.proof(0).siblings;
      await expect(f.da.connect(f.challenger).challengeSignature(id, asChallenge(readings[0]), 3, sibs))
        .to.be.revertedWithCustomError(f.da, "DataAvailabilityBadProofShape")
        .withArgs(id, 3n, 2n);
      await expect(f.da.verifyInclusion(id, 0n, 15, sibs))
        .to.be.revertedWithCustomError(f.da, "DataAvailabilityBadProofShape")
        .withArgs(id, 15n, 2n);
      await expect(f.da.connect(f.challenger).challengeSignature(id, asChallenge(readings[0]), 0, [...sibs, [0n, 0n, 0n]]))
        .to.be.revertedWithCustomError(f.da, "DataAvailabilityBadProofShape")
        .withArgs(id, 0n, 3n);
      await expect(f.da.verifyInclusion(id, batch.leaves[0], 0, sibs.slice(1)))
        .to.be.revertedWithCustomError(f.da, "DataAvailabilityBadProofShape")
        .withArgs(id, 0n, 1n);
    });

    it("rejects field-aliased inputs, so an honest leaf cannot be re-presented as out of range", async function () {
      const f = await load();
      const readings = honestReadings(f);
      const batch = f.makeBatch(readings, 2);
      const id = await f.commit(batch);
      const P = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
      const aliased = { ...asChallenge(readings[0]), deviceId: readings[0].deviceId + P };
      await expect(f.da.connect(f.challenger).challengeSignature(id, aliased, 0, batch.proof(0).siblings))
        .to.be.revertedWithCustomError(f.da, "DataAvailabilityNotFieldElement")
        .withArgs(aliased.deviceId);
      // A sibling + p hashes to the same node in the generated Poseidon: refused at every level
      // and every position of the triple (here level 0 middle, level 1 last).
      const sibs = batch.proof(1).siblings;
      for (const [level, k] of [
        [0, 1],
        [1, 2],
      ] as const) {
        const badSibs = sibs.map((t) => [...t] as MerkleSiblings);
        badSibs[level][k] += P;
        await expect(f.da.connect(f.challenger).challengeSignature(id, asChallenge(readings[1]), 1, badSibs))
          .to.be.revertedWithCustomError(f.da, "DataAvailabilityNotFieldElement")
          .withArgs(badSibs[level][k]);
        await expect(f.da.verifyInclusion(id, batch.leaves[1], 1, badSibs))
          .to.be.revertedWithCustomError(f.da, "DataAvailabilityNotFieldElement")
          .withArgs(badSibs[level][k]);
      }
      expect((await f.da.getBatch(id)).status).to.equal(STATUS.Committed);
    });
  });

  describe("windows and unknown batches", function () {
    it("rejects challenges once the window is over (the batch is final)", async function () {
      const f = await load();
      const readings = [forged(f)];
      const batch = f.makeBatch(readings, 0);
      const id = await f.commit(batch);
      const deadline = await f.da.challengeDeadline(id);
      const committedAt = (await f.da.getBatch(id)).committedAt;
      expect(deadline).to.equal(committedAt + PARAMS.challengeWindow);
      expect(await f.da.retainedUntil(id)).to.equal(committedAt + PARAMS.retentionWindow);
      expect(await f.da.isFinal(id)).to.equal(false);
      await networkHelpers.time.increaseTo(deadline);
      expect(await f.da.isFinal(id)).to.equal(true);
      await expect(f.da.connect(f.challenger).challengeSignature(id, asChallenge(readings[0]), 0, []))
        .to.be.revertedWithCustomError(f.da, "DataAvailabilityChallengeWindowClosed")
        .withArgs(id, deadline);
    });

    it("rejects uncommitted batches everywhere", async function () {
      const f = await load();
      const r = honestReadings(f)[0];
      await expect(f.da.challengeSignature(5, asChallenge(r), 0, []))
        .to.be.revertedWithCustomError(f.da, "DataAvailabilityUnknownBatch")
        .withArgs(5n);
      await expect(f.da.verifyInclusion(5, 1n, 0, []))
        .to.be.revertedWithCustomError(f.da, "DataAvailabilityUnknownBatch")
        .withArgs(5n);
      await expect(f.da.challengeDeadline(0)).to.be.revertedWithCustomError(f.da, "DataAvailabilityUnknownBatch").withArgs(0n);
      expect(await f.da.isFinal(5)).to.equal(false);
      expect((await f.da.getBatch(5)).status).to.equal(STATUS.None);
    });

    it("a challenge window set by governance applies to batches committed afterwards only", async function () {
      const f = await load();
      const first = await f.commit(f.makeBatch([forged(f)], 0));
      await f.da.connect(f.admin).setChallengeWindow(2n * DAY);
      const second = await f.commit(f.makeBatch([honestReadings(f)[0]], 0));
      const b1 = await f.da.getBatch(first);
      const b2 = await f.da.getBatch(second);
      expect(await f.da.challengeDeadline(first)).to.equal(b1.committedAt + DAY);
      expect(await f.da.challengeDeadline(second)).to.equal(b2.committedAt + 2n * DAY);
    });
  });
});
