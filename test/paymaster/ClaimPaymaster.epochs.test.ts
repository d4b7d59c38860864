/**
 * Issue 12, finding 1: the paymaster's budget key is the declared epoch, and the EntryPoint
 * enforces that epoch's time window through uint48 validAfter/validUntil. An epoch whose window
 * does not fit in uint48 used to be truncated onto an earlier epoch's window (epoch
 * e + k·2^48/gcd(L, 2^48) got exactly epoch e's window) with a fresh, untouched budget. These
 * tests replay that attack through the real EntryPoint v0.8.
 */
import { expect } from "chai";
import { network } from "hardhat";
import { EPOCH } from "../rewards/fixture.js";
import { ACCOUNT_BUDGET, EPOCH_BUDGET, deployPaymaster, userOp, type PackedUserOp, type PaymasterFixture } from "./fixture.js";

const connection = await network.create();
const { networkHelpers } = connection;

const UINT48_MAX = 2n ** 48n - 1n;
const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? a : gcd(b, a % b));
/** Epochs this far apart have windows congruent modulo 2^48 (the old truncation aliased them). */
const ALIAS_STRIDE = 2n ** 48n / gcd(EPOCH, 2n ** 48n);

describe("ClaimPaymaster — every sponsored epoch has its own exact validity window", function () {
  const deployment = (): Promise<PaymasterFixture> => deployPaymaster(connection);
  const load = (): Promise<PaymasterFixture> => networkHelpers.loadFixture(deployment);
  const handle = async (f: PaymasterFixture, ops: PackedUserOp[]) => f.entryPoint.handleOps(ops, f.rewards.other.address);

  async function expectPaymasterRejects(f: PaymasterFixture, op: PackedUserOp, error: string, args: unknown[]): Promise<void> {
    const inner = f.paymaster.interface.encodeErrorResult(error, args);
    await expect(handle(f, [op]))
      .to.be.revertedWithCustomError(f.entryPoint, "FailedOpWithRevert")
      .withArgs(0n, "AA33 reverted", inner);
  }

  it("attack: 40 epochs aliasing epoch 0's window are refused by name, and the account never exceeds its budget", async function () {
    const f = await load();
    const acct = f.accounts[0].address;
    // The honest claim of epoch 0 spends the account's budget for epoch 0.
    await expect(handle(f, [await userOp(f, 0)])).to.emit(f.target, "Claimed");
    const [spentTotal, spentByAccount] = await f.paymaster.spent(0, acct);
    expect(spentByAccount <= ACCOUNT_BUDGET).to.equal(true);
    const depositAfterHonest = await f.paymaster.getDeposit();
    const lastEpoch = await f.paymaster.lastEpoch();

    for (let k = 1n; k <= 40n; k++) {
      const epoch = k * ALIAS_STRIDE;
      const [start, end] = await f.paymaster.epochRange(epoch);
      // The alias: the same window as epoch 0 once cut to uint48.
      expect(start % 2n ** 48n).to.equal(f.rewards.genesis);
      expect((end - 1n) % 2n ** 48n).to.equal(f.rewards.genesis + EPOCH - 1n);
      await expectPaymasterRejects(f, await userOp(f, 0, { epoch }), "PaymasterEpochOutOfRange", [epoch, lastEpoch]);
      expect(await f.paymaster.spent(epoch, acct)).to.deep.equal([0n, 0n]);
    }
    // Nothing was sponsored past the honest claim; epoch 0's counters are unchanged.
    expect(await f.paymaster.getDeposit()).to.equal(depositAfterHonest);
    expect(await f.paymaster.spent(0, acct)).to.deep.equal([spentTotal, spentByAccount]);
    expect(spentTotal <= EPOCH_BUDGET).to.equal(true);
  });

  it("the last epoch whose window fits in uint48 passes the paymaster (the EntryPoint holds it to its time); the next is refused", async function () {
    const f = await load();
    const genesis = f.rewards.genesis;
    // Largest epoch with start + EPOCH - 1 <= 2^48 - 1.
    const last = (UINT48_MAX + 1n - genesis - EPOCH) / EPOCH;
    expect(await f.paymaster.lastEpoch()).to.equal(last);
    const [, lastEnd] = await f.paymaster.epochRange(last);
    expect(lastEnd - 1n <= UINT48_MAX).to.equal(true);
    await expect(handle(f, [await userOp(f, 0, { epoch: last })]))
      .to.be.revertedWithCustomError(f.entryPoint, "FailedOp")
      .withArgs(0n, "AA32 paymaster expired or not due");

    const [, nextEnd] = await f.paymaster.epochRange(last + 1n);
    expect(nextEnd - 1n > UINT48_MAX).to.equal(true);
    await expectPaymasterRejects(f, await userOp(f, 0, { epoch: last + 1n }), "PaymasterEpochOutOfRange", [last + 1n, last]);
    // The largest declarable epoch too (no overflow in the window arithmetic).
    const max = 2n ** 64n - 1n;
    await expectPaymasterRejects(f, await userOp(f, 0, { epoch: max }), "PaymasterEpochOutOfRange", [max, last]);
    expect(await f.paymaster.spent(last, f.accounts[0].address)).to.deep.equal([0n, 0n]);
  });

  it("a clock whose epoch 0 already ends past uint48 (or has zero length) is refused at deployment", async function () {
    const f = await load();
    const { ethers } = connection;
    const deployWith = async (genesis: bigint, length: bigint) => {
      const clock = await ethers.deployContract("RewardEmissionMock", [genesis, length, 0n]);
      return ethers.deployContract("ClaimPaymaster", [
        await f.entryPoint.getAddress(),
        await clock.getAddress(),
        await f.target.getAddress(),
        f.target.interface.getFunction("claim").selector,
        "0xb61d27f6",
        EPOCH_BUDGET,
        ACCOUNT_BUDGET,
      ]);
    };
    const factory = await ethers.getContractFactory("ClaimPaymaster");
    await expect(deployWith(UINT48_MAX, 2n))
      .to.be.revertedWithCustomError(factory, "PaymasterBadParameter")
      .withArgs(ethers.encodeBytes32String("epochClock"), UINT48_MAX + 2n);
    await expect(deployWith(1n, 0n))
      .to.be.revertedWithCustomError(factory, "PaymasterBadParameter")
      .withArgs(ethers.encodeBytes32String("epochClock"), 1n);
    // Epoch 0 ending exactly at 2^48 is the one epoch sponsored.
    const edge = await deployWith(UINT48_MAX, 1n);
    expect(await edge.getFunction("lastEpoch")()).to.equal(0n);
  });
});
