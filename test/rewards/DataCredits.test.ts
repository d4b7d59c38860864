import { expect } from "chai";
import type { Interface } from "ethers";
import { network } from "hardhat";
import { deployRewards, EPOCH, INITIAL, MAX_PRICE_AGE, PRICE, TOKEN, USD_PER_CREDIT, type RewardsFixture } from "./fixture.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const b32 = (s: string): string => ethers.encodeBytes32String(s);

describe("DataCredits", function () {
  /** Rewards deployment plus INITIAL tokens (epoch 0's emission) in the buyer's hands. */
  const deployment = async (): Promise<RewardsFixture> => {
    const f = await deployRewards(connection);
    await networkHelpers.time.increaseTo(f.genesis + EPOCH);
    await f.emission.connect(f.distributor).mintEpoch(0, f.buyer.address);
    await f.feed.setAnswer(PRICE); // fresh price after the time jump
    return f;
  };
  const load = (): Promise<RewardsFixture> => networkHelpers.loadFixture(deployment);

  it("quotes tokens · price / usdPerCredit", async function () {
    const f = await load();
    // 1 token at 0.05 USD buys 0.05 / 0.001 = 50 credits.
    expect(await f.credits.quoteCredits(TOKEN)).to.deep.equal([50n, PRICE]);
    expect(await f.credits.usdPerCredit()).to.equal(USD_PER_CREDIT);
    expect(await f.credits.maxPriceAge()).to.equal(MAX_PRICE_AGE);
  });

  it("burns the buyer's tokens and credits the beneficiary", async function () {
    const f = await load();
    await f.token.connect(f.buyer).approve(await f.credits.getAddress(), 2n * TOKEN);
    const tx = f.credits.connect(f.buyer).buyCredits(2n * TOKEN, f.consumer.address, 100n);
    await expect(tx)
      .to.emit(f.credits, "CreditsPurchased")
      .withArgs(f.buyer.address, f.consumer.address, 2n * TOKEN, PRICE, 100n);
    await expect(tx)
      .to.emit(f.token, "Transfer")
      .withArgs(f.buyer.address, ethers.ZeroAddress, 2n * TOKEN);
    expect(await f.token.totalSupply()).to.equal(INITIAL - 2n * TOKEN);
    expect(await f.credits.balanceOf(f.consumer.address)).to.equal(100n);
    expect(await f.credits.totalCredits()).to.equal(100n);
  });

  it("credits are non-transferable: no transfer or approve entry point exists", async function () {
    const f = await load();
    const iface: Interface = f.credits.interface;
    for (const name of ["transfer", "transferFrom", "approve"]) {
      expect(iface.getFunction(name)).to.equal(null);
    }
  });

  it("rejects a stale price and burns nothing", async function () {
    const f = await load();
    await f.token.connect(f.buyer).approve(await f.credits.getAddress(), TOKEN);
    const old = BigInt(await networkHelpers.time.latest()) - MAX_PRICE_AGE - 1n;
    await f.feed.setRound(PRICE, old);
    await expect(f.credits.connect(f.buyer).buyCredits(TOKEN, f.consumer.address, 0))
      .to.be.revertedWithCustomError(f.credits, "DataCreditsStalePrice")
      .withArgs(old, MAX_PRICE_AGE);
    await f.feed.setRound(PRICE, 0);
    await expect(f.credits.quoteCredits(TOKEN))
      .to.be.revertedWithCustomError(f.credits, "DataCreditsStalePrice")
      .withArgs(0n, MAX_PRICE_AGE);
    const future = BigInt(await networkHelpers.time.latest()) + 1000n;
    await f.feed.setRound(PRICE, future);
    await expect(f.credits.quoteCredits(TOKEN))
      .to.be.revertedWithCustomError(f.credits, "DataCreditsStalePrice")
      .withArgs(future, MAX_PRICE_AGE);
    expect(await f.token.balanceOf(f.buyer.address)).to.equal(INITIAL);
    expect(await f.credits.balanceOf(f.consumer.address)).to.equal(0n);
  });

  it("rejects a negative or zero price", async function () {
    const f = await load();
    await f.token.connect(f.buyer).approve(await f.credits.getAddress(), TOKEN);
    await f.feed.setAnswer(-5n);
    await expect(f.credits.connect(f.buyer).buyCredits(TOKEN, f.consumer.address, 0))
      .to.be.revertedWithCustomError(f.credits, "DataCreditsInvalidPrice")
      .withArgs(-5n);
    await f.feed.setAnswer(0n);
    await expect(f.credits.connect(f.buyer).buyCredits(TOKEN, f.consumer.address, 0))
      .to.be.revertedWithCustomError(f.credits, "DataCreditsInvalidPrice")
      .withArgs(0n);
    expect(await f.token.balanceOf(f.buyer.address)).to.equal(INITIAL);
  });

  it("rejects slippage below minCredits, zero-credit purchases, missing allowance and no beneficiary", async function () {
    const f = await load();
    await expect(f.credits.connect(f.buyer).buyCredits(TOKEN, f.consumer.address, 51))
      .to.be.revertedWithCustomError(f.credits, "DataCreditsSlippage")
      .withArgs(50n, 51n);
    await expect(f.credits.connect(f.buyer).buyCredits(TOKEN / 100n, f.consumer.address, 0))
      .to.be.revertedWithCustomError(f.credits, "DataCreditsSlippage")
      .withArgs(0n, 0n);
    await expect(f.credits.connect(f.buyer).buyCredits(TOKEN, f.consumer.address, 50))
      .to.be.revertedWithCustomError(f.token, "ERC20InsufficientAllowance")
      .withArgs(await f.credits.getAddress(), 0n, TOKEN);
    await expect(f.credits.connect(f.buyer).buyCredits(TOKEN, ethers.ZeroAddress, 0))
      .to.be.revertedWithCustomError(f.credits, "DataCreditsBadParameter")
      .withArgs(b32("beneficiary"), 0n);
    expect(await f.token.balanceOf(f.buyer.address)).to.equal(INITIAL);
  });

  it("the operator spends credits; overspending and other callers are refused", async function () {
    const f = await load();
    await f.token.connect(f.buyer).approve(await f.credits.getAddress(), TOKEN);
    await f.credits.connect(f.buyer).buyCredits(TOKEN, f.consumer.address, 50);
    const ref = ethers.id("batch 1, request 7");
    await expect(f.credits.connect(f.operator).spendCredits(f.consumer.address, 20, ref))
      .to.emit(f.credits, "CreditsSpent")
      .withArgs(f.consumer.address, f.operator.address, 20n, ref);
    expect(await f.credits.balanceOf(f.consumer.address)).to.equal(30n);
    await expect(f.credits.connect(f.operator).spendCredits(f.consumer.address, 31, ref))
      .to.be.revertedWithCustomError(f.credits, "DataCreditsInsufficient")
      .withArgs(f.consumer.address, 30n, 31n);
    await expect(f.credits.connect(f.consumer).spendCredits(f.consumer.address, 1, ref))
      .to.be.revertedWithCustomError(f.credits, "AccessControlUnauthorizedAccount")
      .withArgs(f.consumer.address, await f.credits.OPERATOR_ROLE());
    expect(await f.credits.balanceOf(f.consumer.address)).to.equal(30n);
    expect(await f.credits.totalCredits()).to.equal(30n);
  });

  it("governance sets feed, staleness bound and credit price; bad values are refused", async function () {
    const f = await load();
    await expect(f.credits.setUsdPerCredit(2n * USD_PER_CREDIT))
      .to.emit(f.credits, "UsdPerCreditUpdated")
      .withArgs(2n * USD_PER_CREDIT);
    expect((await f.credits.quoteCredits(TOKEN))[0]).to.equal(25n);
    await expect(f.credits.setMaxPriceAge(0))
      .to.be.revertedWithCustomError(f.credits, "DataCreditsBadParameter")
      .withArgs(b32("maxPriceAge"), 0n);
    await expect(f.credits.setUsdPerCredit(0))
      .to.be.revertedWithCustomError(f.credits, "DataCreditsBadParameter")
      .withArgs(b32("usdPerCredit"), 0n);
    await expect(f.credits.setPriceFeed(ethers.ZeroAddress))
      .to.be.revertedWithCustomError(f.credits, "DataCreditsBadParameter")
      .withArgs(b32("priceFeed"), 0n);
    const feed2 = await ethers.deployContract("MockAggregator", [18, "x", 10n ** 17n]); // 0.1 USD, 18 decimals
    await expect(f.credits.setPriceFeed(await feed2.getAddress()))
      .to.emit(f.credits, "PriceFeedUpdated")
      .withArgs(await feed2.getAddress());
    expect((await f.credits.quoteCredits(TOKEN))[0]).to.equal(50n);
    await expect(f.credits.connect(f.other).setMaxPriceAge(1))
      .to.be.revertedWithCustomError(f.credits, "AccessControlUnauthorizedAccount")
      .withArgs(f.other.address, await f.credits.DEFAULT_ADMIN_ROLE());
  });
});
