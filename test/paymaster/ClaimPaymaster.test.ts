import { expect } from "chai";
import { network } from "hardhat";
import type { DeviceDirectoryMock } from "../../types/typechain/index.js";
import { EPOCH } from "../rewards/fixture.js";
import {
  ACCOUNT_BUDGET,
  deployPaymaster,
  LIMITS,
  MAX_COST,
  MAX_FEE,
  userOp,
  type PackedUserOp,
  type PaymasterFixture,
} from "./fixture.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;

describe("ClaimPaymaster — sponsored claims through EntryPoint v0.8", function () {
  const deployment = (): Promise<PaymasterFixture> => deployPaymaster(connection);
  const load = (): Promise<PaymasterFixture> => networkHelpers.loadFixture(deployment);

  const handle = async (f: PaymasterFixture, ops: PackedUserOp[]) => f.entryPoint.handleOps(ops, f.rewards.other.address);

  async function expectPaymasterRejects(f: PaymasterFixture, op: PackedUserOp, error: string, args: unknown[]): Promise<void> {
    const inner = f.paymaster.interface.encodeErrorResult(error, args);
    await expect(handle(f, [op]))
      .to.be.revertedWithCustomError(f.entryPoint, "FailedOpWithRevert")
      .withArgs(0n, "AA33 reverted", inner);
  }

  it("sponsors a device account's claim: the account holds no ETH and the claim runs", async function () {
    const f = await load();
    const acct = f.accounts[0];
    expect(await ethers.provider.getBalance(acct.address)).to.equal(0n);
    const depositBefore = await f.paymaster.getDeposit();
    const tx = handle(f, [await userOp(f, 0)]);
    await expect(tx).to.emit(f.target, "Claimed").withArgs(acct.address, 0n, 7n);
    const [total, byAccount] = await f.paymaster.spent(0, acct.address);
    await expect(tx).to.emit(f.paymaster, "ClaimSponsored").withArgs(acct.address, 0n, byAccount);
    expect(byAccount > 0n && byAccount < MAX_COST).to.equal(true); // the unused reservation was released
    expect(total).to.equal(byAccount);
    // The budget counts at least what the deposit really paid, at most that plus the postOp limit.
    const paid = depositBefore - (await f.paymaster.getDeposit());
    expect(byAccount >= paid).to.equal(true);
    expect(byAccount - paid <= LIMITS.pmPostOp * MAX_FEE).to.equal(true);
    expect(await ethers.provider.getBalance(acct.address)).to.equal(0n);
  });

  it("rejects a call to another function of the claim target", async function () {
    const f = await load();
    const inner = f.target.interface.encodeFunctionData("somethingElse");
    const op = await userOp(f, 0, { inner });
    await expectPaymasterRejects(f, op, "PaymasterSelectorNotAllowed", [
      f.target.interface.getFunction("somethingElse").selector,
    ]);
    expect((await f.paymaster.spent(0, f.accounts[0].address))[1]).to.equal(0n);
  });

  it("rejects another target, a call with value, and callData that is not execute", async function () {
    const f = await load();
    const token = await f.rewards.token.getAddress();
    await expectPaymasterRejects(f, await userOp(f, 0, { target: token }), "PaymasterTargetNotAllowed", [token]);
    await expectPaymasterRejects(f, await userOp(f, 0, { value: 1n }), "PaymasterValueNotAllowed", [1n]);
    const batch = f.accounts[0].contract.interface.encodeFunctionData("executeBatch", [[]]);
    await expectPaymasterRejects(f, await userOp(f, 0, { callData: batch }), "PaymasterNotExecute", [batch.slice(0, 10)]);
  });

  it("enforces the per-account budget within an epoch", async function () {
    const f = await load();
    await handle(f, [await userOp(f, 0)]);
    const [, used] = await f.paymaster.spent(0, f.accounts[0].address);
    await expectPaymasterRejects(f, await userOp(f, 0), "PaymasterAccountBudgetExceeded", [
      f.accounts[0].address,
      0n,
      used + MAX_COST,
      ACCOUNT_BUDGET,
    ]);
    // The next epoch has a fresh budget.
    await networkHelpers.time.increaseTo(f.rewards.genesis + EPOCH);
    await expect(handle(f, [await userOp(f, 0, { epoch: 1n })])).to.emit(f.target, "Claimed");
  });

  it("enforces the epoch budget across accounts", async function () {
    const f = await load();
    await f.paymaster.setBudgets(ACCOUNT_BUDGET, ACCOUNT_BUDGET);
    await handle(f, [await userOp(f, 0)]);
    const [total] = await f.paymaster.spent(0, f.accounts[0].address);
    await expectPaymasterRejects(f, await userOp(f, 1), "PaymasterEpochBudgetExceeded", [0n, total + MAX_COST, ACCOUNT_BUDGET]);
  });

  it("an operation declared for another epoch is refused by the EntryPoint's time range", async function () {
    const f = await load();
    await expect(handle(f, [await userOp(f, 0, { epoch: 1n })]))
      .to.be.revertedWithCustomError(f.entryPoint, "FailedOp")
      .withArgs(0n, "AA32 paymaster expired or not due");
    const [start, end] = await f.paymaster.epochRange(1);
    expect(start).to.equal(f.rewards.genesis + EPOCH);
    expect(end).to.equal(f.rewards.genesis + 2n * EPOCH);
  });

  it("with a device directory, only the device's reward recipient is sponsored", async function () {
    const f = await load();
    const directory = (await ethers.deployContract("DeviceDirectoryMock")) as unknown as DeviceDirectoryMock;
    await directory.setRewardRecipient(7n, f.accounts[0].address);
    await expect(f.paymaster.setDeviceDirectory(await directory.getAddress()))
      .to.emit(f.paymaster, "DeviceDirectoryUpdated")
      .withArgs(await directory.getAddress());
    await expectPaymasterRejects(f, await userOp(f, 0), "PaymasterBadPaymasterData", [8n]);
    await expectPaymasterRejects(f, await userOp(f, 1, { deviceId: 7n }), "PaymasterNotDeviceAccount", [
      f.accounts[1].address,
      7n,
    ]);
    await expect(handle(f, [await userOp(f, 0, { deviceId: 7n })])).to.emit(f.target, "Claimed");
  });

  it("governance: only the owner changes parameters, and ownership can go to a timelock", async function () {
    const f = await load();
    const { other, admin } = f.rewards;
    await expect(f.paymaster.connect(other).setBudgets(1, 1))
      .to.be.revertedWithCustomError(f.paymaster, "OwnableUnauthorizedAccount")
      .withArgs(other.address);
    await expect(f.paymaster.setBudgets(1, 2))
      .to.be.revertedWithCustomError(f.paymaster, "PaymasterBadParameter")
      .withArgs(ethers.encodeBytes32String("accountBudget"), 2n);
    await expect(f.paymaster.setClaimCall(ethers.ZeroAddress, "0x12345678", "0xb61d27f6"))
      .to.be.revertedWithCustomError(f.paymaster, "PaymasterBadParameter")
      .withArgs(ethers.encodeBytes32String("claimTarget"), 0n);

    const timelock = await ethers.deployContract("TestTimelock", [60n, [admin.address], [admin.address], ethers.ZeroAddress]);
    const tl = await timelock.getAddress();
    await f.paymaster.transferOwnership(tl);
    const pm = await f.paymaster.getAddress();
    const accept = f.paymaster.interface.encodeFunctionData("acceptOwnership");
    await timelock.getFunction("schedule")(pm, 0, accept, ethers.ZeroHash, ethers.ZeroHash, 60n);
    await networkHelpers.time.increase(60n);
    await timelock.getFunction("execute")(pm, 0, accept, ethers.ZeroHash, ethers.ZeroHash);
    expect(await f.paymaster.owner()).to.equal(tl);
    await expect(f.paymaster.setBudgets(1, 1))
      .to.be.revertedWithCustomError(f.paymaster, "OwnableUnauthorizedAccount")
      .withArgs(admin.address);
  });

  it("a GUARDIAN_ROLE holder on the emission pauses sponsorship at once; paused operations are refused; only the owner unpauses", async function () {
    const f = await load();
    const { other, admin } = f.rewards;
    const guardian = f.rewards.buyer;
    const acct = f.accounts[0].address;
    await f.rewards.emission.connect(admin).grantRole(await f.rewards.emission.GUARDIAN_ROLE(), guardian.address);
    expect(await f.paymaster.guardians()).to.equal(await f.rewards.emission.getAddress());
    await expect(f.paymaster.connect(other).pause())
      .to.be.revertedWithCustomError(f.paymaster, "PaymasterNotGuardian")
      .withArgs(other.address);
    await expect(f.paymaster.connect(guardian).pause()).to.emit(f.paymaster, "SponsorshipPaused").withArgs(guardian.address);
    const deposit = await f.paymaster.getDeposit();
    await expectPaymasterRejects(f, await userOp(f, 0), "PaymasterPaused", []);
    expect(await f.paymaster.spent(0, acct)).to.deep.equal([0n, 0n]);
    expect(await f.paymaster.getDeposit()).to.equal(deposit);
    // The guardian cannot unpause, change budgets or take the deposit.
    await expect(f.paymaster.connect(guardian).unpause())
      .to.be.revertedWithCustomError(f.paymaster, "OwnableUnauthorizedAccount")
      .withArgs(guardian.address);
    await expect(f.paymaster.connect(guardian).withdrawTo(guardian.address, 1n))
      .to.be.revertedWithCustomError(f.paymaster, "OwnableUnauthorizedAccount")
      .withArgs(guardian.address);
    // The owner unpauses; unpausing twice is refused by name; claims are sponsored again.
    await expect(f.paymaster.unpause()).to.emit(f.paymaster, "SponsorshipUnpaused").withArgs(admin.address);
    await expect(f.paymaster.unpause()).to.be.revertedWithCustomError(f.paymaster, "PaymasterNotPaused");
    await expect(handle(f, [await userOp(f, 0)])).to.emit(f.target, "Claimed");
    // Revoked on the emission, the guardian can no longer pause here.
    await f.rewards.emission.connect(admin).revokeRole(await f.rewards.emission.GUARDIAN_ROLE(), guardian.address);
    await expect(f.paymaster.connect(guardian).pause())
      .to.be.revertedWithCustomError(f.paymaster, "PaymasterNotGuardian")
      .withArgs(guardian.address);
  });
});
