import { expect } from "chai";
import { network } from "hardhat";
import { deployRewards, EPOCH, INITIAL, PRICE, TOKEN, type RewardsFixture } from "./fixture.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const IMPLEMENTATION_SLOT = "0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc";

describe("Rewards — governance and upgrades", function () {
  const deployment = (): Promise<RewardsFixture> => deployRewards(connection);
  const load = (): Promise<RewardsFixture> => networkHelpers.loadFixture(deployment);

  async function implementationOf(proxy: string): Promise<string> {
    return ethers.getAddress("0x" + (await ethers.provider.getStorage(proxy, IMPLEMENTATION_SLOT)).slice(26));
  }

  it("every admin role moves to a timelock; afterwards only the timelock governs", async function () {
    const f = await load();
    const delay = 3600n;
    const timelock = await ethers.deployContract("TestTimelock", [
      delay,
      [f.admin.address],
      [f.admin.address],
      ethers.ZeroAddress,
    ]);
    const tl = await timelock.getAddress();
    const admin = await f.token.DEFAULT_ADMIN_ROLE();
    const guardian = await f.emission.GUARDIAN_ROLE();
    for (const c of [f.token, f.emission, f.credits]) await c.grantRole(admin, tl);
    await f.emission.grantRole(guardian, tl);
    await f.emission.renounceRole(guardian, f.admin.address);
    for (const c of [f.token, f.emission, f.credits]) await c.renounceRole(admin, f.admin.address);

    await expect(f.emission.setMaxMintPerEpoch(1))
      .to.be.revertedWithCustomError(f.emission, "AccessControlUnauthorizedAccount")
      .withArgs(f.admin.address, admin);
    await expect(f.credits.setMaxPriceAge(1))
      .to.be.revertedWithCustomError(f.credits, "AccessControlUnauthorizedAccount")
      .withArgs(f.admin.address, admin);
    await expect(f.token.grantRole(await f.token.MINTER_ROLE(), f.admin.address))
      .to.be.revertedWithCustomError(f.token, "AccessControlUnauthorizedAccount")
      .withArgs(f.admin.address, admin);

    const target = await f.emission.getAddress();
    const data = f.emission.interface.encodeFunctionData("setMaxMintPerEpoch", [5n * INITIAL]);
    await timelock.getFunction("schedule")(target, 0, data, ethers.ZeroHash, ethers.ZeroHash, delay);
    await networkHelpers.time.increase(delay);
    await expect(timelock.getFunction("execute")(target, 0, data, ethers.ZeroHash, ethers.ZeroHash))
      .to.emit(f.emission, "MaxMintPerEpochUpdated")
      .withArgs(5n * INITIAL);
  });

  it("proxies cannot be re-initialised, implementations cannot be initialised", async function () {
    const f = await load();
    const cfg = {
      genesisTime: 0n,
      epochLength: 1n,
      initialEmission: 0n,
      decayFactorBps: 0n,
      decayPeriod: 1n,
      maxMintPerEpoch: 0n,
    };
    await expect(f.emission.initialize(await f.token.getAddress(), f.admin.address, cfg)).to.be.revertedWithCustomError(
      f.emission,
      "InvalidInitialization",
    );
    await expect(
      f.credits.initialize(await f.token.getAddress(), await f.feed.getAddress(), 1, 1, f.admin.address),
    ).to.be.revertedWithCustomError(f.credits, "InvalidInitialization");
    const emissionImpl = await ethers.getContractAt("RewardEmission", await implementationOf(await f.emission.getAddress()));
    await expect(emissionImpl.initialize(await f.token.getAddress(), f.admin.address, cfg)).to.be.revertedWithCustomError(
      f.emission,
      "InvalidInitialization",
    );
    const creditsImpl = await ethers.getContractAt("DataCredits", await implementationOf(await f.credits.getAddress()));
    await expect(
      creditsImpl.initialize(await f.token.getAddress(), await f.feed.getAddress(), 1, 1, f.admin.address),
    ).to.be.revertedWithCustomError(f.credits, "InvalidInitialization");
  });

  it("only the admin upgrades; minted epochs and credit balances survive, so nothing is minted twice", async function () {
    const f = await load();
    await networkHelpers.time.increaseTo(f.genesis + EPOCH);
    await f.emission.connect(f.distributor).mintEpoch(0, f.buyer.address);
    await f.feed.setAnswer(PRICE);
    await f.token.connect(f.buyer).approve(await f.credits.getAddress(), TOKEN);
    await f.credits.connect(f.buyer).buyCredits(TOKEN, f.consumer.address, 50);

    const emissionNext = await ethers.deployContract("RewardEmission");
    const creditsNext = await ethers.deployContract("DataCredits");
    await expect(f.emission.connect(f.other).upgradeToAndCall(await emissionNext.getAddress(), "0x"))
      .to.be.revertedWithCustomError(f.emission, "AccessControlUnauthorizedAccount")
      .withArgs(f.other.address, await f.emission.DEFAULT_ADMIN_ROLE());
    await expect(f.credits.connect(f.other).upgradeToAndCall(await creditsNext.getAddress(), "0x"))
      .to.be.revertedWithCustomError(f.credits, "AccessControlUnauthorizedAccount")
      .withArgs(f.other.address, await f.credits.DEFAULT_ADMIN_ROLE());
    await expect(f.emission.upgradeToAndCall(await emissionNext.getAddress(), "0x"))
      .to.emit(f.emission, "Upgraded")
      .withArgs(await emissionNext.getAddress());
    await expect(f.credits.upgradeToAndCall(await creditsNext.getAddress(), "0x"))
      .to.emit(f.credits, "Upgraded")
      .withArgs(await creditsNext.getAddress());

    await expect(f.emission.connect(f.distributor).mintEpoch(0, f.buyer.address))
      .to.be.revertedWithCustomError(f.emission, "EmissionAlreadyMinted")
      .withArgs(0n);
    expect(await f.emission.genesisTime()).to.equal(f.genesis);
    expect(await f.credits.balanceOf(f.consumer.address)).to.equal(50n);
    expect(await f.credits.priceFeed()).to.equal(await f.feed.getAddress());
  });
});
