import { expect } from "chai";
import { network } from "hardhat";
import { deployRewards, EPOCH, INITIAL, TOKEN, type RewardsFixture } from "./fixture.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;

describe("RewardEmission — epochs and schedule", function () {
  const deployment = (): Promise<RewardsFixture> => deployRewards(connection);
  const load = (): Promise<RewardsFixture> => networkHelpers.loadFixture(deployment);

  it("numbers epochs from genesisTime in epochLength steps", async function () {
    const f = await load();
    expect(await f.emission.genesisTime()).to.equal(f.genesis);
    expect(await f.emission.epochLength()).to.equal(EPOCH);
    expect(await f.emission.epochOf(f.genesis)).to.equal(0n);
    expect(await f.emission.epochOf(f.genesis + EPOCH - 1n)).to.equal(0n);
    expect(await f.emission.epochOf(f.genesis + EPOCH)).to.equal(1n);
    expect(await f.emission.epochStart(7)).to.equal(f.genesis + 7n * EPOCH);
    expect(await f.emission.currentEpoch()).to.equal(0n);
    await networkHelpers.time.increaseTo(f.genesis + 3n * EPOCH + 5n);
    expect(await f.emission.currentEpoch()).to.equal(3n);
    await expect(f.emission.epochOf(f.genesis - 1n))
      .to.be.revertedWithCustomError(f.emission, "EmissionBeforeGenesis")
      .withArgs(f.genesis - 1n, f.genesis);
  });

  it("decays by the governed factor every decay period (exact for the first periods)", async function () {
    const f = await load();
    for (const e of [0n, 1n, 29n]) expect(await f.emission.emissionFor(e)).to.equal(INITIAL);
    for (const k of [1n, 2n, 5n]) {
      const expected = (INITIAL * 99n ** k) / 100n ** k;
      expect(await f.emission.emissionFor(30n * k)).to.equal(expected);
      expect(await f.emission.emissionFor(30n * k + 29n)).to.equal(expected);
    }
    // Far tail: decays to zero and stays there; never reverts.
    expect(await f.emission.emissionFor(2n ** 64n - 1n)).to.equal(0n);
  });

  it("the whole schedule stays under the cap in sum (geometric series bound)", async function () {
    const f = await load();
    // Sum over periods of 30 · INITIAL · 0.99^k < 30 · INITIAL / 0.01 = 3000 · INITIAL = 3e8 tokens < cap 1e9.
    let sum = 0n;
    for (let k = 0n; k < 2000n; k += 1n) sum += 30n * (await f.emission.emissionFor(30n * k));
    expect(sum < 3000n * INITIAL).to.equal(true);
    expect(sum > 2990n * INITIAL).to.equal(true);
    expect(sum < (await f.token.cap())).to.equal(true);
  });

  it("adds a governed segment for future epochs only", async function () {
    const f = await load();
    await networkHelpers.time.increaseTo(f.genesis + 10n * EPOCH);
    await expect(f.emission.addSegment(10, 1n, 10_000, 1))
      .to.be.revertedWithCustomError(f.emission, "EmissionSegmentStart")
      .withArgs(10n, 11n);
    await expect(f.emission.addSegment(40, 50_000n * TOKEN, 5_000, 10))
      .to.emit(f.emission, "ScheduleSegmentAdded")
      .withArgs(40n, 50_000n * TOKEN, 5_000n, 10n);
    expect(await f.emission.emissionFor(39)).to.equal((INITIAL * 99n) / 100n);
    expect(await f.emission.emissionFor(40)).to.equal(50_000n * TOKEN);
    expect(await f.emission.emissionFor(50)).to.equal(25_000n * TOKEN);
    await expect(f.emission.addSegment(40, 1n, 10_000, 1))
      .to.be.revertedWithCustomError(f.emission, "EmissionSegmentStart")
      .withArgs(40n, 41n);
    await expect(f.emission.addSegment(60, 1n, 10_001, 1))
      .to.be.revertedWithCustomError(f.emission, "EmissionBadParameter")
      .withArgs(ethers.encodeBytes32String("decayFactorBps"), 10_001n);
    await expect(f.emission.addSegment(60, 1n, 10_000, 0))
      .to.be.revertedWithCustomError(f.emission, "EmissionBadParameter")
      .withArgs(ethers.encodeBytes32String("decayPeriod"), 0n);
    await expect(f.emission.connect(f.other).addSegment(60, 1n, 10_000, 1))
      .to.be.revertedWithCustomError(f.emission, "AccessControlUnauthorizedAccount")
      .withArgs(f.other.address, await f.emission.DEFAULT_ADMIN_ROLE());
    expect(await f.emission.segmentCount()).to.equal(2n);
    const seg = await f.emission.segmentAt(1);
    expect(seg.startEpoch).to.equal(40n);
  });
});
