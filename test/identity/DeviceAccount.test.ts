import { expect } from "chai";
import { Wallet, concat, type HDNodeWallet, parseEther, toBeHex, zeroPadValue, type BigNumberish } from "ethers";
import { network } from "hardhat";
import { bytesToHex, deviceAccountMessageDigest } from "../../sdk/src/index.js";
import { bind, deployIdentity, type IdentityFixture } from "./fixture.js";
import type { DeviceAccount } from "../../types/typechain/index.js";

const conn = await network.create();
const { networkHelpers, ethers } = conn;

interface AccountFixture extends IdentityFixture {
  id: bigint;
  holder: HDNodeWallet;
  accountAddress: string;
}

/** A device bound by a plain wallet (so the test can sign user-operation hashes raw). */
const fixture = async (): Promise<AccountFixture> => {
  const f = await deployIdentity(conn);
  const holder = Wallet.createRandom().connect(ethers.provider);
  await f.admin.sendTransaction({ to: holder.address, value: parseEther("10") });
  const id = await bind(f, f.keys[0], f.owner);
  await f.registry.connect(f.owner).transferFrom(f.owner.address, holder.address, id);
  return { ...f, id, holder, accountAddress: await f.factory.accountAddress(id) };
};

const pack = (hi: BigNumberish, lo: BigNumberish): string => zeroPadValue(toBeHex((BigInt(hi) << 128n) | BigInt(lo)), 32);

/**
 * Signs a user operation's hash: raw for an EOA controller, or wrapped for each device account on
 * the way up (`via`, innermost first) when the controller is itself a device account.
 */
async function userOp(
  f: AccountFixture,
  callData: string,
  signer: Wallet | HDNodeWallet,
  withInitCode: boolean,
  via: string[] = [],
) {
  const factoryAddress = await f.factory.getAddress();
  const op = {
    sender: f.accountAddress,
    nonce: await f.entryPoint.getNonce(f.accountAddress, 0),
    initCode: withInitCode ? concat([factoryAddress, f.factory.interface.encodeFunctionData("createAccount", [f.id])]) : "0x",
    callData,
    accountGasLimits: pack(600_000, 200_000),
    preVerificationGas: 60_000n,
    gasFees: pack(1_000_000_000n, 2_000_000_000n),
    paymasterAndData: "0x",
    signature: "0x",
  };
  let hash = await f.entryPoint.getUserOpHash(op);
  for (const account of via)
    hash = bytesToHex(deviceAccountMessageDigest(f.chainId, account as `0x${string}`, hash as `0x${string}`));
  op.signature = signer.signingKey.sign(hash).serialized;
  return op;
}

async function account(f: AccountFixture): Promise<DeviceAccount> {
  return (await ethers.getContractAt("DeviceAccount", f.accountAddress)) as unknown as DeviceAccount;
}

describe("DeviceAccount (ERC-4337, EntryPoint v0.8)", () => {
  it("has a CREATE2 address known before deployment, which is the device's reward recipient", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    expect(await ethers.provider.getCode(f.accountAddress)).to.equal("0x");
    expect(await f.registry.rewardRecipient(f.id)).to.equal(f.accountAddress);
    expect(await f.registry.rewardRecipient(999n)).to.equal(ethers.ZeroAddress);
    // Rewards can arrive before the account exists.
    await f.admin.sendTransaction({ to: f.accountAddress, value: parseEther("1") });
    await expect(f.factory.createAccount(f.id)).to.emit(f.factory, "DeviceAccountCreated").withArgs(f.id, f.accountAddress);
    const a = await account(f);
    expect(await a.deviceId()).to.equal(f.id);
    expect(await a.controller()).to.equal(f.holder.address);
    expect(await a.entryPoint()).to.equal(await f.entryPoint.getAddress());
    expect(await a.registry()).to.equal(await f.registry.getAddress());
    expect(await ethers.provider.getBalance(f.accountAddress)).to.equal(parseEther("1"));
    // Idempotent: a second call returns the same account and emits nothing.
    await expect(f.factory.createAccount(f.id)).not.to.emit(f.factory, "DeviceAccountCreated");
  });

  it("refuses accounts for unknown devices; the implementation is not an account", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    await expect(f.factory.createAccount(77n))
      .to.be.revertedWithCustomError(f.factory, "DeviceAccountFactoryUnknownDevice")
      .withArgs(77n);
    const impl = await ethers.getContractAt("DeviceAccount", await f.factory.accountImplementation());
    await expect(impl.deviceId()).to.be.revertedWithCustomError(impl, "DeviceAccountNotAClone");
  });

  it("a user operation signed by the NFT holder deploys the account (initCode) and executes", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    await f.admin.sendTransaction({ to: f.accountAddress, value: parseEther("1") });
    const payee = Wallet.createRandom().address;
    const a = await ethers.getContractAt("DeviceAccount", f.accountAddress);
    const callData = a.interface.encodeFunctionData("execute", [payee, parseEther("0.25"), "0x"]);
    const op = await userOp(f, callData, f.holder, true);
    const beneficiary = f.signers[9].address;
    await expect(f.entryPoint.connect(f.admin).handleOps([op], beneficiary)).to.emit(f.entryPoint, "UserOperationEvent");
    expect(await ethers.provider.getBalance(payee)).to.equal(parseEther("0.25"));
    expect(await (await account(f)).getNonce()).to.equal(1n);
  });

  it("control follows the NFT: after a transfer the old holder's signature is refused, the new one's accepted", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    await f.admin.sendTransaction({ to: f.accountAddress, value: parseEther("1") });
    await f.factory.createAccount(f.id);
    const next = Wallet.createRandom().connect(ethers.provider);
    await f.registry.connect(f.holder).transferFrom(f.holder.address, next.address, f.id);
    const a = await account(f);
    expect(await a.controller()).to.equal(next.address);
    const payee = Wallet.createRandom().address;
    const callData = a.interface.encodeFunctionData("execute", [payee, 1n, "0x"]);
    const stale = await userOp(f, callData, f.holder, false);
    await expect(f.entryPoint.handleOps([stale], f.admin.address))
      .to.be.revertedWithCustomError(f.entryPoint, "FailedOp")
      .withArgs(0n, "AA24 signature error");
    const fresh = await userOp(f, callData, next, false);
    await f.entryPoint.handleOps([fresh], f.admin.address);
    expect(await ethers.provider.getBalance(payee)).to.equal(1n);
  });

  it("only the EntryPoint or the controller may execute; validateUserOp only from the EntryPoint", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    await f.factory.createAccount(f.id);
    await f.admin.sendTransaction({ to: f.accountAddress, value: parseEther("1") });
    const a = await account(f);
    const payee = Wallet.createRandom().address;
    await expect(a.connect(f.other).execute(payee, 1n, "0x"))
      .to.be.revertedWithCustomError(a, "DeviceAccountUnauthorized")
      .withArgs(f.other.address);
    await expect(a.connect(f.other).executeBatch([{ target: payee, value: 1n, data: "0x" }]))
      .to.be.revertedWithCustomError(a, "DeviceAccountUnauthorized")
      .withArgs(f.other.address);
    // The original binder gave the NFT away, so it has no control either.
    await expect(a.connect(f.owner).execute(payee, 1n, "0x"))
      .to.be.revertedWithCustomError(a, "DeviceAccountUnauthorized")
      .withArgs(f.owner.address);
    await a.connect(f.holder).execute(payee, 5n, "0x");
    expect(await ethers.provider.getBalance(payee)).to.equal(5n);
    const op = await userOp(f, "0x", f.holder, false);
    await expect(a.connect(f.holder).validateUserOp(op, ethers.ZeroHash, 0n))
      .to.be.revertedWithCustomError(a, "DeviceAccountNotEntryPoint")
      .withArgs(f.holder.address);
    await expect(a.connect(f.other).withdrawDepositTo(f.other.address, 0n))
      .to.be.revertedWithCustomError(a, "DeviceAccountUnauthorized")
      .withArgs(f.other.address);
  });

  it("executeBatch reports the failing call's index and its revert data", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    await f.factory.createAccount(f.id);
    const a = await account(f);
    const payee = Wallet.createRandom().address;
    // Call 1 asks the registry to activate a device the account does not hold.
    const bad = f.registry.interface.encodeFunctionData("activate", [f.id]);
    const reason = f.registry.interface.encodeErrorResult("DeviceRegistryNotDeviceOwner", [f.id, f.accountAddress]);
    await expect(
      a.connect(f.holder).executeBatch([
        { target: payee, value: 0n, data: "0x" },
        { target: await f.registry.getAddress(), value: 0n, data: bad },
      ]),
    )
      .to.be.revertedWithCustomError(a, "DeviceAccountCallFailed")
      .withArgs(1n, reason);
  });

  it("a device account can hold another device: the outer holder controls both (ERC-1271)", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    // Device 2 is held by device 1's account; the wallet holding device 1 signs for device 2's account.
    const inner = await bind(f, f.keys[1], f.owner, 1n);
    await f.registry.connect(f.owner).transferFrom(f.owner.address, f.accountAddress, inner);
    await f.factory.createAccount(f.id);
    const innerAddress = await f.factory.accountAddress(inner);
    await f.factory.createAccount(inner);
    const outer = await account(f);
    const innerAccount = await ethers.getContractAt("DeviceAccount", innerAddress);
    expect(await innerAccount.controller()).to.equal(f.accountAddress);
    const hash = ethers.id("message") as `0x${string}`;
    const wrap = (account: string, h: string): `0x${string}` =>
      bytesToHex(deviceAccountMessageDigest(f.chainId, account as `0x${string}`, h as `0x${string}`));
    // For the outer account the wallet signs the hash wrapped once; for the inner account,
    // wrapped for the inner account and then for the outer one (which holds it).
    const forOuter = f.holder.signingKey.sign(wrap(f.accountAddress, hash)).serialized;
    const forInner = f.holder.signingKey.sign(wrap(f.accountAddress, wrap(innerAddress, hash))).serialized;
    const bad = Wallet.createRandom().signingKey.sign(wrap(f.accountAddress, wrap(innerAddress, hash))).serialized;
    expect(await outer.isValidSignature(hash, forOuter)).to.equal("0x1626ba7e");
    expect(await innerAccount.isValidSignature(hash, forInner)).to.equal("0x1626ba7e");
    expect(await innerAccount.isValidSignature(hash, forOuter)).to.equal("0xffffffff");
    expect(await outer.isValidSignature(hash, forInner)).to.equal("0xffffffff");
    expect(await innerAccount.isValidSignature(hash, bad)).to.equal("0xffffffff");
    // A user operation of the inner account, signed by the outer holder, goes through.
    await f.admin.sendTransaction({ to: innerAddress, value: parseEther("1") });
    const payee = Wallet.createRandom().address;
    const callData = innerAccount.interface.encodeFunctionData("execute", [payee, 3n, "0x"]);
    const op = await userOp({ ...f, id: inner, accountAddress: innerAddress }, callData, f.holder, false, [f.accountAddress]);
    await f.entryPoint.handleOps([op], f.admin.address);
    expect(await ethers.provider.getBalance(payee)).to.equal(3n);
  });

  it("attack: an ERC-1271 signature made for one device account is refused by the holder's other accounts", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    // The same wallet holds devices A (f.id) and B.
    const second = await bind(f, f.keys[1], f.owner, 1n);
    await f.registry.connect(f.owner).transferFrom(f.owner.address, f.holder.address, second);
    await f.factory.createAccount(f.id);
    await f.factory.createAccount(second);
    const a = await account(f);
    const b = (await ethers.getContractAt("DeviceAccount", await f.factory.accountAddress(second))) as unknown as DeviceAccount;
    expect(await a.controller()).to.equal(f.holder.address);
    expect(await b.controller()).to.equal(f.holder.address);
    const hash = ethers.id("pay 100 to mallory from account A") as `0x${string}`;

    // The digest names the account: the SDK, the contract and a wallet's EIP-712 encoder agree.
    const digestA = await a.messageDigest(hash);
    expect(digestA).to.equal(bytesToHex(deviceAccountMessageDigest(f.chainId, f.accountAddress as `0x${string}`, hash)));
    expect(digestA).to.equal(
      ethers.TypedDataEncoder.hash(
        { name: "DePIN Device Account", version: "1", chainId: f.chainId, verifyingContract: f.accountAddress },
        { DeviceAccountMessage: [{ name: "hash", type: "bytes32" }] },
        { hash },
      ),
    );
    expect(digestA).to.not.equal(await b.messageDigest(hash));
    const domain = await a.eip712Domain();
    expect([domain.name, domain.version, domain.chainId, domain.verifyingContract]).to.deep.equal([
      "DePIN Device Account",
      "1",
      f.chainId,
      f.accountAddress,
    ]);

    // A signature over the bare hash (what every account of the holder used to accept) is refused.
    const raw = f.holder.signingKey.sign(hash).serialized;
    expect(await b.isValidSignature(hash, raw)).to.equal("0xffffffff");
    expect(await a.isValidSignature(hash, raw)).to.equal("0xffffffff");
    const forA = f.holder.signingKey.sign(digestA).serialized;
    expect(await a.isValidSignature(hash, forA)).to.equal("0x1626ba7e");
    // Replayed against account B of the same holder: refused.
    expect(await b.isValidSignature(hash, forA)).to.equal("0xffffffff");
    // B accepts its own.
    expect(await b.isValidSignature(hash, f.holder.signingKey.sign(await b.messageDigest(hash)).serialized)).to.equal(
      "0x1626ba7e",
    );
  });

  it("deposits at the EntryPoint: add and withdraw by the controller", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    await f.factory.createAccount(f.id);
    const a = await account(f);
    await a.connect(f.other).addDeposit({ value: parseEther("0.5") });
    expect(await a.getDeposit()).to.equal(parseEther("0.5"));
    const to = Wallet.createRandom().address;
    await a.connect(f.holder).withdrawDepositTo(to, parseEther("0.2"));
    expect(await ethers.provider.getBalance(to)).to.equal(parseEther("0.2"));
    expect(await a.getDeposit()).to.equal(parseEther("0.3"));
  });
});
