import { expect } from "chai";
import { network } from "hardhat";
import { asChallenge, deployDa, ONE_ETHER, PARAMS, type DaFixture } from "./fixture.js";

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
});
