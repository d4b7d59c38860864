import { expect } from "chai";
import { Wallet, concat, solidityPacked, type BaseWallet, type BytesLike } from "ethers";
import { network } from "hardhat";
import ClaimPaymasterModule from "../../deploy/modules/ClaimPaymaster.js";
import type { ClaimPaymaster, ClaimTargetMock, DeviceDirectoryMock, EntryPoint, TestAccount } from "../../types/typechain/index.js";
import { deployRewards, EPOCH, type RewardsFixture } from "../rewards/fixture.js";

const connection = await network.create();
const { ethers, ignition, networkHelpers } = connection;

const GWEI = 10n ** 9n;
const LIMITS = { verification: 150_000n, call: 100_000n, pmVerification: 100_000n, pmPostOp: 50_000n, preVerification: 50_000n };
const MAX_FEE = GWEI;
/** maxCost the EntryPoint reserves for one of these operations. */
const MAX_COST = (LIMITS.verification + LIMITS.call + LIMITS.pmVerification + LIMITS.pmPostOp + LIMITS.preVerification) * MAX_FEE;
const ACCOUNT_BUDGET = MAX_COST + MAX_COST / 10n;
const EPOCH_BUDGET = 10n * MAX_COST;

interface PackedUserOp {
  sender: string;
  nonce: bigint;
  initCode: BytesLike;
  callData: BytesLike;
  accountGasLimits: BytesLike;
  preVerificationGas: bigint;
  gasFees: BytesLike;
  paymasterAndData: BytesLike;
  signature: BytesLike;
}

interface PaymasterFixture {
  rewards: RewardsFixture;
  entryPoint: EntryPoint;
  paymaster: ClaimPaymaster;
  target: ClaimTargetMock;
  accounts: { contract: TestAccount; owner: BaseWallet; address: string }[];
}

describe("ClaimPaymaster — sponsored claims through EntryPoint v0.8", function () {
  const deployment = async (): Promise<PaymasterFixture> => {
    const rewards = await deployRewards(connection);
    const entryPoint = (await ethers.deployContract("EntryPoint")) as unknown as EntryPoint;
    const target = (await ethers.deployContract("ClaimTargetMock")) as unknown as ClaimTargetMock;
    const { claimPaymaster } = await ignition.deploy(ClaimPaymasterModule, {
      parameters: {
        ClaimPaymaster: {
          entryPoint: await entryPoint.getAddress(),
          rewardEmission: await rewards.emission.getAddress(),
          claimTarget: await target.getAddress(),
          claimSelector: target.interface.getFunction("claim").selector,
          epochBudget: EPOCH_BUDGET.toString(),
          accountBudget: ACCOUNT_BUDGET.toString(),
          deposit: 10n ** 18n,
        },
      },
    });
    const accounts = [];
    for (let i = 0; i < 2; i++) {
      const owner = Wallet.createRandom();
      const contract = (await ethers.deployContract("TestAccount", [await entryPoint.getAddress(), owner.address])) as unknown as TestAccount;
      accounts.push({ contract, owner, address: await contract.getAddress() });
    }
    return { rewards, entryPoint, paymaster: claimPaymaster as unknown as ClaimPaymaster, target, accounts };
  };
  const load = (): Promise<PaymasterFixture> => networkHelpers.loadFixture(deployment);

  async function userOp(
    f: PaymasterFixture,
    accountIndex: number,
    opts: { inner?: string; target?: string; value?: bigint; epoch?: bigint; deviceId?: bigint; callData?: string } = {},
  ): Promise<PackedUserOp> {
    const acct = f.accounts[accountIndex];
    const inner = opts.inner ?? f.target.interface.encodeFunctionData("claim", [opts.epoch ?? 0n, 7n]);
    const callData =
      opts.callData ??
      acct.contract.interface.encodeFunctionData("execute", [opts.target ?? (await f.target.getAddress()), opts.value ?? 0n, inner]);
    const pmData =
      opts.deviceId === undefined
        ? solidityPacked(["uint64"], [opts.epoch ?? 0n])
        : solidityPacked(["uint64", "uint256"], [opts.epoch ?? 0n, opts.deviceId]);
    const op: PackedUserOp = {
      sender: acct.address,
      nonce: await f.entryPoint.getNonce(acct.address, 0),
      initCode: "0x",
      callData,
      accountGasLimits: solidityPacked(["uint128", "uint128"], [LIMITS.verification, LIMITS.call]),
      preVerificationGas: LIMITS.preVerification,
      gasFees: solidityPacked(["uint128", "uint128"], [MAX_FEE, MAX_FEE]),
      paymasterAndData: concat([
        solidityPacked(["address", "uint128", "uint128"], [await f.paymaster.getAddress(), LIMITS.pmVerification, LIMITS.pmPostOp]),
        pmData,
      ]),
      signature: "0x",
    };
    const hash = await f.entryPoint.getUserOpHash(op);
    op.signature = acct.owner.signingKey.sign(hash).serialized;
    return op;
  }

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
    await expectPaymasterRejects(f, op, "PaymasterSelectorNotAllowed", [f.target.interface.getFunction("somethingElse").selector]);
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
    await expectPaymasterRejects(f, await userOp(f, 0), "PaymasterAccountBudgetExceeded", [f.accounts[0].address, 0n, used + MAX_COST, ACCOUNT_BUDGET]);
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
    await expectPaymasterRejects(f, await userOp(f, 1, { deviceId: 7n }), "PaymasterNotDeviceAccount", [f.accounts[1].address, 7n]);
    await expect(handle(f, [await userOp(f, 0, { deviceId: 7n })])).to.emit(f.target, "Claimed");
  });

  it("governance: only the owner changes parameters, and ownership can go to a timelock", async function () {
    const f = await load();
    const { other, admin } = f.rewards;
    await expect(f.paymaster.connect(other).setBudgets(1, 1)).to.be.revertedWithCustomError(f.paymaster, "OwnableUnauthorizedAccount").withArgs(other.address);
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
    await expect(f.paymaster.setBudgets(1, 1)).to.be.revertedWithCustomError(f.paymaster, "OwnableUnauthorizedAccount").withArgs(admin.address);
  });
});
