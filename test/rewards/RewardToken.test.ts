import { expect } from "chai";
import { network } from "hardhat";
import { CAP, deployRewards, TOKEN, type RewardsFixture } from "./fixture.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;

describe("RewardToken", function () {
  const deployment = (): Promise<RewardsFixture> => deployRewards(connection);
  const load = (): Promise<RewardsFixture> => networkHelpers.loadFixture(deployment);

  it("is the module's capped token, with RewardEmission as its only minter", async function () {
    const f = await load();
    expect(await f.token.name()).to.equal("DePIN Reward");
    expect(await f.token.symbol()).to.equal("DPR");
    expect(await f.token.cap()).to.equal(CAP);
    expect(await f.token.totalSupply()).to.equal(0n);
    const minter = await f.token.MINTER_ROLE();
    expect(await f.token.hasRole(minter, await f.emission.getAddress())).to.equal(true);
    expect(await f.token.hasRole(minter, f.admin.address)).to.equal(false);
  });

  it("rejects minting without MINTER_ROLE", async function () {
    const f = await load();
    await expect(f.token.connect(f.other).mint(f.other.address, 1n))
      .to.be.revertedWithCustomError(f.token, "AccessControlUnauthorizedAccount")
      .withArgs(f.other.address, await f.token.MINTER_ROLE());
  });

  it("rejects an over-cap mint and keeps the supply", async function () {
    const f = await load();
    await f.token.grantRole(await f.token.MINTER_ROLE(), f.admin.address);
    await f.token.mint(f.other.address, CAP - 1n);
    await expect(f.token.mint(f.other.address, 2n))
      .to.be.revertedWithCustomError(f.token, "ERC20ExceededCap")
      .withArgs(CAP + 1n, CAP);
    await f.token.mint(f.other.address, 1n);
    expect(await f.token.totalSupply()).to.equal(CAP);
  });

  it("refuses a cap the vote checkpoints cannot hold", async function () {
    const f = await load();
    const tooBig = 1n << 208n;
    const factory = await ethers.getContractFactory("RewardToken");
    await expect(ethers.deployContract("RewardToken", ["X", "X", tooBig, f.admin.address]))
      .to.be.revertedWithCustomError(factory, "ERC20InvalidCap")
      .withArgs(tooBig);
  });

  it("tracks votes after delegation and accepts EIP-2612 permits; burnFrom needs allowance", async function () {
    const f = await load();
    await f.token.grantRole(await f.token.MINTER_ROLE(), f.admin.address);
    await f.token.mint(f.buyer.address, 10n * TOKEN);
    await f.token.connect(f.buyer).delegate(f.buyer.address);
    expect(await f.token.getVotes(f.buyer.address)).to.equal(10n * TOKEN);

    const deadline = BigInt(await networkHelpers.time.latest()) + 3600n;
    const { chainId } = await ethers.provider.getNetwork();
    const sig = ethers.Signature.from(
      await f.buyer.signTypedData(
        { name: "DePIN Reward", version: "1", chainId, verifyingContract: await f.token.getAddress() },
        {
          Permit: [
            { name: "owner", type: "address" },
            { name: "spender", type: "address" },
            { name: "value", type: "uint256" },
            { name: "nonce", type: "uint256" },
            { name: "deadline", type: "uint256" },
          ],
        },
        { owner: f.buyer.address, spender: f.other.address, value: TOKEN, nonce: 0n, deadline },
      ),
    );
    await f.token.permit(f.buyer.address, f.other.address, TOKEN, deadline, sig.v, sig.r, sig.s);
    expect(await f.token.allowance(f.buyer.address, f.other.address)).to.equal(TOKEN);
    await expect(f.token.connect(f.other).burnFrom(f.buyer.address, 2n * TOKEN))
      .to.be.revertedWithCustomError(f.token, "ERC20InsufficientAllowance")
      .withArgs(f.other.address, TOKEN, 2n * TOKEN);
    await f.token.connect(f.other).burnFrom(f.buyer.address, TOKEN);
    expect(await f.token.totalSupply()).to.equal(9n * TOKEN);
    expect(await f.token.getVotes(f.buyer.address)).to.equal(9n * TOKEN);
  });
});
