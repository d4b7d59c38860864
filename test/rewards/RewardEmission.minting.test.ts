import { expect } from "chai";
import { network } from "hardhat";
import { deployEmissionProxy, deployRewards, EPOCH, INITIAL, MAX_MINT, type RewardsFixture } from "./fixture.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;

describe("RewardEmission — minting and circuit breaker", function () {
  const deployment = (): Promise<RewardsFixture> => deployRewards(connection);
  const load = (): Promise<RewardsFixture> => networkHelpers.loadFixture(deployment);
  const toEpoch = async (f: RewardsFixture, e: bigint): Promise<void> => networkHelpers.time.increaseTo(f.genesis + e * EPOCH);

  it("mints an ended epoch's emission exactly once", async function () {
    const f = await load();
    await expect(f.emission.connect(f.distributor).mintEpoch(0, f.distributor.address))
      .to.be.revertedWithCustomError(f.emission, "EmissionEpochNotEnded")
      .withArgs(0n, 0n);
    await toEpoch(f, 1n);
    await expect(f.emission.connect(f.distributor).mintEpoch(0, f.distributor.address))
      .to.emit(f.emission, "EpochEmissionMinted")
      .withArgs(0n, f.distributor.address, INITIAL, INITIAL);
    expect(await f.token.balanceOf(f.distributor.address)).to.equal(INITIAL);
    expect(await f.emission.mintedFor(0)).to.deep.equal([true, INITIAL]);
    expect(await f.emission.mintedDuring(1)).to.equal(INITIAL);
    await expect(f.emission.connect(f.distributor).mintEpoch(0, f.distributor.address))
      .to.be.revertedWithCustomError(f.emission, "EmissionAlreadyMinted")
      .withArgs(0n);
    await expect(f.emission.connect(f.distributor).mintEpoch(1, f.distributor.address))
      .to.be.revertedWithCustomError(f.emission, "EmissionEpochNotEnded")
      .withArgs(1n, 1n);
    expect(await f.token.totalSupply()).to.equal(INITIAL);
  });

  it("only the distributor mints", async function () {
    const f = await load();
    await toEpoch(f, 1n);
    await expect(f.emission.connect(f.other).mintEpoch(0, f.other.address))
      .to.be.revertedWithCustomError(f.emission, "AccessControlUnauthorizedAccount")
      .withArgs(f.other.address, await f.emission.DISTRIBUTOR_ROLE());
  });

  it("trips the breaker above maxMintPerEpoch within one wall-clock epoch", async function () {
    const f = await load();
    await toEpoch(f, 5n);
    const d = f.emission.connect(f.distributor);
    for (const e of [0, 1, 2]) await d.mintEpoch(e, f.distributor.address);
    await expect(d.mintEpoch(3, f.distributor.address))
      .to.be.revertedWithCustomError(f.emission, "EmissionBreakerTripped")
      .withArgs(5n, MAX_MINT + INITIAL, MAX_MINT);
    expect(await f.token.totalSupply()).to.equal(MAX_MINT);
    expect((await f.emission.mintedFor(3))[0]).to.equal(false);
    await toEpoch(f, 6n);
    await expect(d.mintEpoch(3, f.distributor.address)).to.emit(f.emission, "EpochEmissionMinted");
    // Governance can tighten it.
    await expect(f.emission.setMaxMintPerEpoch(INITIAL - 1n))
      .to.emit(f.emission, "MaxMintPerEpochUpdated")
      .withArgs(INITIAL - 1n);
    await toEpoch(f, 7n);
    await expect(d.mintEpoch(4, f.distributor.address))
      .to.be.revertedWithCustomError(f.emission, "EmissionBreakerTripped")
      .withArgs(7n, INITIAL, INITIAL - 1n);
  });

  it("the guardian pauses minting; only the admin unpauses", async function () {
    const f = await load();
    await f.emission.grantRole(await f.emission.GUARDIAN_ROLE(), f.other.address);
    await toEpoch(f, 2n);
    await expect(f.emission.connect(f.other).pause()).to.emit(f.emission, "Paused").withArgs(f.other.address);
    await expect(f.emission.connect(f.distributor).mintEpoch(0, f.distributor.address)).to.be.revertedWithCustomError(
      f.emission,
      "EnforcedPause",
    );
    await expect(f.emission.connect(f.other).unpause())
      .to.be.revertedWithCustomError(f.emission, "AccessControlUnauthorizedAccount")
      .withArgs(f.other.address, await f.emission.DEFAULT_ADMIN_ROLE());
    await expect(f.emission.connect(f.distributor).pause())
      .to.be.revertedWithCustomError(f.emission, "AccessControlUnauthorizedAccount")
      .withArgs(f.distributor.address, await f.emission.DEFAULT_ADMIN_ROLE());
    expect(await f.token.totalSupply()).to.equal(0n);
    await f.emission.unpause();
    await expect(f.emission.connect(f.distributor).mintEpoch(0, f.distributor.address)).to.emit(
      f.emission,
      "EpochEmissionMinted",
    );
  });

  it("never mints above the token cap: the last epochs are cut, then zero", async function () {
    const f = await load();
    const cap = (5n * INITIAL) / 2n;
    const token = await ethers.deployContract("RewardToken", ["Small", "S", cap, f.admin.address]);
    const emission = await deployEmissionProxy(connection, await token.getAddress(), f.admin.address, {
      genesisTime: f.genesis,
      epochLength: EPOCH,
      initialEmission: INITIAL,
      decayFactorBps: 10_000n,
      decayPeriod: 1n,
      maxMintPerEpoch: 10n * INITIAL,
    });
    await token.getFunction("grantRole")(await token.getFunction("MINTER_ROLE")(), await emission.getAddress());
    await emission.getFunction("grantRole")(await emission.getFunction("DISTRIBUTOR_ROLE")(), f.distributor.address);
    await toEpoch(f, 4n);
    const d = emission.connect(f.distributor);
    await d.getFunction("mintEpoch")(0, f.distributor.address);
    await d.getFunction("mintEpoch")(1, f.distributor.address);
    await expect(d.getFunction("mintEpoch")(2, f.distributor.address))
      .to.emit(emission, "EpochEmissionMinted")
      .withArgs(2n, f.distributor.address, INITIAL / 2n, INITIAL);
    await expect(d.getFunction("mintEpoch")(3, f.distributor.address))
      .to.emit(emission, "EpochEmissionMinted")
      .withArgs(3n, f.distributor.address, 0n, INITIAL);
    expect(await token.getFunction("totalSupply")()).to.equal(cap);
  });
});
