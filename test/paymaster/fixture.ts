/**
 * Shared fixture for the paymaster tests and bench: Rewards modules (for the epoch clock), a real
 * EntryPoint v0.8, the ClaimPaymaster module, a stand-in claim target and two minimal test
 * accounts, plus a builder of signed PackedUserOperations.
 */
import { Wallet, concat, solidityPacked, type BaseWallet, type BytesLike } from "ethers";
import type { NetworkConnection } from "hardhat/types/network";
import ClaimPaymasterModule from "../../deploy/modules/ClaimPaymaster.js";
import type { ClaimPaymaster, ClaimTargetMock, EntryPoint, TestAccount } from "../../types/typechain/index.js";
import { deployRewards, type RewardsFixture } from "../rewards/fixture.js";

export const GWEI = 10n ** 9n;
export const LIMITS = {
  verification: 150_000n,
  call: 100_000n,
  pmVerification: 100_000n,
  pmPostOp: 50_000n,
  preVerification: 50_000n,
};
export const MAX_FEE = GWEI;
/** maxCost the EntryPoint reserves for one of these operations. */
export const MAX_COST =
  (LIMITS.verification + LIMITS.call + LIMITS.pmVerification + LIMITS.pmPostOp + LIMITS.preVerification) * MAX_FEE;
export const ACCOUNT_BUDGET = MAX_COST + MAX_COST / 10n;
export const EPOCH_BUDGET = 10n * MAX_COST;

export interface PackedUserOp {
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

export interface PaymasterFixture {
  rewards: RewardsFixture;
  entryPoint: EntryPoint;
  paymaster: ClaimPaymaster;
  target: ClaimTargetMock;
  accounts: { contract: TestAccount; owner: BaseWallet; address: string }[];
}

export async function deployPaymaster(connection: NetworkConnection): Promise<PaymasterFixture> {
  const { ethers, ignition } = connection;
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
    const contract = (await ethers.deployContract("TestAccount", [
      await entryPoint.getAddress(),
      owner.address,
    ])) as unknown as TestAccount;
    accounts.push({ contract, owner, address: await contract.getAddress() });
  }
  return { rewards, entryPoint, paymaster: claimPaymaster as unknown as ClaimPaymaster, target, accounts };
}

/** A signed claim operation (or a variant of it, for the rejection tests). */
export async function userOp(
  f: PaymasterFixture,
  accountIndex: number,
  opts: { inner?: string; target?: string; value?: bigint; epoch?: bigint; deviceId?: bigint; callData?: string } = {},
): Promise<PackedUserOp> {
  const acct = f.accounts[accountIndex];
  const inner = opts.inner ?? f.target.interface.encodeFunctionData("claim", [opts.epoch ?? 0n, 7n]);
  const callData =
    opts.callData ??
    acct.contract.interface.encodeFunctionData("execute", [
      opts.target ?? (await f.target.getAddress()),
      opts.value ?? 0n,
      inner,
    ]);
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
