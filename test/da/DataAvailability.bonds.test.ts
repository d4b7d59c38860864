import { expect } from "chai";
import { network } from "hardhat";
import { asChallenge, DAY, deployDa, ONE_ETHER, PARAMS, type DaFixture } from "./fixture.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;

describe("DataAvailability — sequencer bonds", function () {
  const deployment = (): Promise<DaFixture> => deployDa(connection);
  const load = (): Promise<DaFixture> => networkHelpers.loadFixture(deployment);

  it("deposits add up and emit BondDeposited", async function () {
    const f = await load();
    await expect(f.da.connect(f.sequencer).depositBond({ value: 5n }))
      .to.emit(f.da, "BondDeposited")
      .withArgs(f.sequencer.address, 5n, 2n * ONE_ETHER + 5n);
    expect((await f.da.sequencer(f.sequencer.address)).bond).to.equal(2n * ONE_ETHER + 5n);
  });

  it("rejects deposits from outside the set and zero deposits", async function () {
    const f = await load();
    await expect(f.da.connect(f.other).depositBond({ value: 1n }))
      .to.be.revertedWithCustomError(f.da, "DataAvailabilityNotSequencer")
      .withArgs(f.other.address);
    await expect(f.da.connect(f.sequencer).depositBond({ value: 0n }))
      .to.be.revertedWithCustomError(f.da, "DataAvailabilityBadParameter")
      .withArgs(ethers.encodeBytes32String("bondDeposit"), 0n);
  });

  it("withdraws only after the unbonding delay, to the given address", async function () {
    const f = await load();
    await expect(f.da.connect(f.sequencer).withdrawBond(f.sequencer.address))
      .to.be.revertedWithCustomError(f.da, "DataAvailabilityUnbonding")
      .withArgs(f.sequencer.address, 0n, 0n);
    await f.da.connect(f.sequencer).startUnbonding();
    const since = BigInt(await networkHelpers.time.latest());
    const until = since + PARAMS.unbondingDelay;
    await expect(f.da.connect(f.sequencer).startUnbonding())
      .to.be.revertedWithCustomError(f.da, "DataAvailabilityUnbonding")
      .withArgs(f.sequencer.address, since, until);
    await expect(f.da.connect(f.sequencer).depositBond({ value: 1n }))
      .to.be.revertedWithCustomError(f.da, "DataAvailabilityUnbonding")
      .withArgs(f.sequencer.address, since, until);
    await expect(f.da.connect(f.sequencer).withdrawBond(f.sequencer.address))
      .to.be.revertedWithCustomError(f.da, "DataAvailabilityUnbonding")
      .withArgs(f.sequencer.address, since, until);
    await networkHelpers.time.increaseTo(until);
    const tx = f.da.connect(f.sequencer).withdrawBond(f.other.address);
    await expect(tx)
      .to.emit(f.da, "BondWithdrawn")
      .withArgs(f.sequencer.address, f.other.address, 2n * ONE_ETHER);
    await expect(tx).to.changeEtherBalances(ethers, [f.other, f.da], [2n * ONE_ETHER, -2n * ONE_ETHER]);
    await expect(f.da.connect(f.sequencer).withdrawBond(f.sequencer.address))
      .to.be.revertedWithCustomError(f.da, "DataAvailabilityNothingToWithdraw")
      .withArgs(f.sequencer.address);
  });

  it("keeps an unbonding bond slashable for batches still in their challenge window", async function () {
    const f = await load();
    const forged = f.sign(f.devices.stranger, { deviceId: f.devices.secp.id, seq: 1n, timestamp: 1_700_000_000n, value: 1n });
    const batch = f.makeBatch([forged], 0);
    const id = await f.commit(batch);
    await f.da.connect(f.sequencer).startUnbonding();
    await expect(f.da.connect(f.challenger).challengeSignature(id, asChallenge(forged), 0, [])).to.emit(f.da, "SequencerSlashed");
    await networkHelpers.time.increase(PARAMS.unbondingDelay);
    await expect(f.da.connect(f.sequencer).withdrawBond(f.sequencer.address))
      .to.emit(f.da, "BondWithdrawn")
      .withArgs(f.sequencer.address, f.sequencer.address, 2n * ONE_ETHER - PARAMS.slashAmount);
  });

  it("slashes at most the remaining bond and lets governance withdraw the non-reward share", async function () {
    const f = await load();
    const forged = f.sign(f.devices.stranger, { deviceId: f.devices.secp.id, seq: 1n, timestamp: 1_700_000_000n, value: 1n });
    const id = await f.commit(f.makeBatch([forged], 0));
    // Raised after the commit: the batch's lock covered the slash in force when it was committed.
    await f.da.connect(f.admin).setSlashAmount(5n * ONE_ETHER);
    await expect(f.da.connect(f.challenger).challengeSignature(id, asChallenge(forged), 0, []))
      .to.emit(f.da, "SequencerSlashed")
      .withArgs(f.sequencer.address, id, f.challenger.address, 2n * ONE_ETHER, ONE_ETHER);
    expect(await f.da.isBondedSequencer(f.sequencer.address)).to.equal(false);
    expect(await f.da.slashedFunds()).to.equal(ONE_ETHER);
    await expect(f.da.connect(f.admin).withdrawSlashedFunds(f.other.address, 2n * ONE_ETHER))
      .to.be.revertedWithCustomError(f.da, "DataAvailabilityInsufficientSlashedFunds")
      .withArgs(2n * ONE_ETHER, ONE_ETHER);
    const tx = f.da.connect(f.admin).withdrawSlashedFunds(f.other.address, ONE_ETHER);
    await expect(tx).to.emit(f.da, "SlashedFundsWithdrawn").withArgs(f.other.address, ONE_ETHER);
    await expect(tx).to.changeEtherBalance(ethers, f.other, ONE_ETHER);
    expect(await f.da.slashedFunds()).to.equal(0n);
  });

  /** A one-leaf batch forged for device 1 (signed by a key no device has); `seq` keeps roots apart. */
  function forgedBatch(f: DaFixture, seq: bigint) {
    const r = f.sign(f.devices.stranger, { deviceId: f.devices.secp.id, seq, timestamp: 1_700_000_000n, value: 1n });
    return { r, batch: f.makeBatch([r], 0) };
  }

  describe("each open batch locks slashAmount of the bond (issue 12, finding 3)", function () {
    it("refuses a burst of forged batches beyond the bond, and pays every committed one's challenge in full", async function () {
      const f = await load();
      await f.da.connect(f.sequencer).depositBond({ value: ONE_ETHER }); // 3 ETH: three batches
      const forged = [1n, 2n, 3n, 4n].map((seq) => forgedBatch(f, seq));
      const ids: bigint[] = [];
      for (const { batch } of forged.slice(0, 3)) ids.push(await f.commit(batch));
      expect(await f.da.openBatches(f.sequencer.address)).to.equal(3n);
      expect(await f.da.isBondedSequencer(f.sequencer.address)).to.equal(false);
      const next = await f.da.nextBatchId();
      await expect(f.da.connect(f.sequencer).commitBatch(next, forged[3].batch.root, 1, 0, 1, ""))
        .to.be.revertedWithCustomError(f.da, "DataAvailabilityBondLocked")
        .withArgs(f.sequencer.address, 3n * ONE_ETHER, 3n, 4n * ONE_ETHER);
      expect(await f.da.nextBatchId()).to.equal(next);

      const reward = (PARAMS.slashAmount * PARAMS.challengerRewardBps) / 10_000n;
      for (let k = 0; k < 3; k++) {
        const tx = f.da.connect(f.challenger).challengeSignature(ids[k], asChallenge(forged[k].r), 0, []);
        await expect(tx)
          .to.emit(f.da, "SequencerSlashed")
          .withArgs(f.sequencer.address, ids[k], f.challenger.address, PARAMS.slashAmount, reward);
        await expect(tx).to.changeEtherBalance(ethers, f.challenger, reward);
      }
      const s = await f.da.sequencer(f.sequencer.address);
      expect(s.bond).to.equal(0n);
      expect(s.lockedBatches).to.equal(0n);
      expect(await f.da.slashedFunds()).to.equal(3n * (PARAMS.slashAmount - reward));
    });

    it("releases a lock when the batch's window ends or when it is invalidated", async function () {
      const f = await load();
      const [a, b, c, d] = [1n, 2n, 3n, 4n].map((seq) => forgedBatch(f, seq));
      const idA = await f.commit(a.batch);
      await networkHelpers.time.increase(3600n);
      await f.commit(b.batch);
      expect(await f.da.openBatches(f.sequencer.address)).to.equal(2n);
      await expect(f.da.connect(f.sequencer).commitBatch(await f.da.nextBatchId(), c.batch.root, 1, 0, 1, ""))
        .to.be.revertedWithCustomError(f.da, "DataAvailabilityBondLocked")
        .withArgs(f.sequencer.address, 2n * ONE_ETHER, 2n, 3n * ONE_ETHER);
      // A's window ends: its lock is released at the next commit.
      await networkHelpers.time.increaseTo(await f.da.challengeDeadline(idA));
      expect(await f.da.openBatches(f.sequencer.address)).to.equal(1n);
      expect(await f.da.isBondedSequencer(f.sequencer.address)).to.equal(true);
      const idC = await f.commit(c.batch);
      const s = await f.da.sequencer(f.sequencer.address);
      expect([s.lockedBatches, s.oldestLockedBatch, s.newestBatch]).to.deep.equal([2n, idA + 1n, idC]);
      // C is invalidated: its lock goes with it (the slash took 1 ETH, 1 ETH still covers B).
      await f.da.connect(f.challenger).challengeSignature(idC, asChallenge(c.r), 0, []);
      expect(await f.da.openBatches(f.sequencer.address)).to.equal(1n);
      await f.da.connect(f.sequencer).depositBond({ value: ONE_ETHER });
      await f.commit(d.batch);
      expect(await f.da.openBatches(f.sequencer.address)).to.equal(2n);
    });

    it("after a shortened window, releases locks oldest first (conservative, never early)", async function () {
      const f = await load();
      const [a, b, c] = [1n, 2n, 3n].map((seq) => forgedBatch(f, seq));
      const idA = await f.commit(a.batch); // 1-day window
      await f.da.connect(f.admin).setChallengeWindow(3600n);
      const idB = await f.commit(b.batch); // 1-hour window, ends before A's
      await networkHelpers.time.increaseTo(await f.da.challengeDeadline(idB));
      expect(await f.da.isFinal(idB)).to.equal(true);
      // B can no longer be challenged but still counts until A's window ends.
      expect(await f.da.openBatches(f.sequencer.address)).to.equal(2n);
      await expect(f.da.connect(f.sequencer).commitBatch(await f.da.nextBatchId(), c.batch.root, 1, 0, 1, ""))
        .to.be.revertedWithCustomError(f.da, "DataAvailabilityBondLocked")
        .withArgs(f.sequencer.address, 2n * ONE_ETHER, 2n, 3n * ONE_ETHER);
      await networkHelpers.time.increaseTo(await f.da.challengeDeadline(idA));
      expect(await f.da.openBatches(f.sequencer.address)).to.equal(0n);
      await f.commit(c.batch);
      const s = await f.da.sequencer(f.sequencer.address);
      expect([s.lockedBatches, s.oldestLockedBatch, s.newestBatch]).to.deep.equal([1n, idB + 1n, idB + 1n]);
    });
  });

  describe("unbonding (issue 12, finding 4)", function () {
    it("fixes the withdrawal time at startUnbonding: later changes of the delay do not move it", async function () {
      const f = await load();
      await f.da.connect(f.sequencer).startUnbonding();
      const since = BigInt(await networkHelpers.time.latest());
      const at = since + PARAMS.unbondingDelay;
      expect((await f.da.sequencer(f.sequencer.address)).withdrawableAt).to.equal(at);
      // Shortened: the sequencer still waits the delay it started under.
      await f.da.connect(f.admin).setUnbondingDelay(DAY);
      await networkHelpers.time.increaseTo(since + DAY);
      await expect(f.da.connect(f.sequencer).withdrawBond(f.sequencer.address))
        .to.be.revertedWithCustomError(f.da, "DataAvailabilityUnbonding")
        .withArgs(f.sequencer.address, since, at);
      // Lengthened: the promised time holds.
      await f.da.connect(f.admin).setUnbondingDelay(30n * DAY);
      await networkHelpers.time.increaseTo(at);
      await expect(f.da.connect(f.sequencer).withdrawBond(f.sequencer.address))
        .to.emit(f.da, "BondWithdrawn")
        .withArgs(f.sequencer.address, f.sequencer.address, 2n * ONE_ETHER);
      const s = await f.da.sequencer(f.sequencer.address);
      expect([s.bond, s.unbondingSince, s.withdrawableAt]).to.deep.equal([0n, 0n, 0n]);
    });

    it("waits for the last batch's challenge deadline, so a forged batch's challenge is still paid", async function () {
      const f = await load();
      const { r, batch } = forgedBatch(f, 1n);
      const id = await f.commit(batch); // challengeable for 1 day
      // Governance shortens both windows below the batch's own window.
      await f.da.connect(f.admin).setChallengeWindow(3600n);
      await f.da.connect(f.admin).setUnbondingDelay(3600n);
      const deadline = await f.da.challengeDeadline(id);
      await expect(f.da.connect(f.sequencer).startUnbonding())
        .to.emit(f.da, "UnbondingStarted")
        .withArgs(f.sequencer.address, 2n * ONE_ETHER, deadline);
      const since = BigInt(await networkHelpers.time.latest());
      await networkHelpers.time.increaseTo(since + 3600n);
      await expect(f.da.connect(f.sequencer).withdrawBond(f.sequencer.address))
        .to.be.revertedWithCustomError(f.da, "DataAvailabilityUnbonding")
        .withArgs(f.sequencer.address, since, deadline);
      await expect(f.da.connect(f.challenger).challengeSignature(id, asChallenge(r), 0, []))
        .to.emit(f.da, "SequencerSlashed")
        .withArgs(f.sequencer.address, id, f.challenger.address, PARAMS.slashAmount, PARAMS.slashAmount / 2n);
      await networkHelpers.time.increaseTo(deadline);
      await expect(f.da.connect(f.sequencer).withdrawBond(f.sequencer.address))
        .to.emit(f.da, "BondWithdrawn")
        .withArgs(f.sequencer.address, f.sequencer.address, 2n * ONE_ETHER - PARAMS.slashAmount);
    });
  });
});
