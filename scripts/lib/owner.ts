/**
 * What a device owner does with rewards: find its devices, see what each has earned per closed
 * epoch, claim everything claimable in one transaction, and move tokens out of a device account.
 * Used by scripts/owner.ts and the demo.
 *
 * Rewards of a device are paid to its reward recipient (its ERC-4337 device account, whose
 * address is known before the account is deployed); the NFT holder controls that account.
 */
import type { ContractRunner, ContractTransactionReceipt, Provider } from "ethers";
import { Contract, Interface } from "ethers";

const REGISTRY_ABI = [
  "event Transfer(address indexed from, address indexed to, uint256 indexed tokenId)",
  "function ownerOfDevice(uint256 deviceId) view returns (address)",
  "function deviceStatus(uint256 deviceId) view returns (uint8)",
  "function rewardRecipient(uint256 deviceId) view returns (address)",
];
const DISTRIBUTOR_ABI = [
  "function nextEpochToClose() view returns (uint64)",
  "function pointsOf(uint64 deviceId, uint64 epoch) view returns (uint256 points, bool claimed)",
  "function claimable(uint64 deviceId, uint64 epoch) view returns (uint256)",
  "function claim(uint64[] deviceIds, uint64[] epochs) returns (uint256 paid)",
  "event RewardClaimed(uint64 indexed deviceId, uint64 indexed epoch, address indexed recipient, uint256 points, uint256 amount)",
];
const TOKEN_ABI = [
  "function balanceOf(address) view returns (uint256)",
  "function transfer(address to, uint256 amount) returns (bool)",
  "function decimals() view returns (uint8)",
  "function symbol() view returns (string)",
  "event Transfer(address indexed from, address indexed to, uint256 value)",
];
const ACCOUNT_ABI = ["function execute(address target, uint256 value, bytes data)"];

export const DEVICE_STATUS = ["None", "Provisioned", "Bound", "Active", "Suspended", "Decommissioned"] as const;

export interface OwnedDevice {
  deviceId: bigint;
  status: (typeof DEVICE_STATUS)[number];
  recipient: string;
}

export interface Earning {
  deviceId: bigint;
  epoch: bigint;
  points: bigint;
  claimed: boolean;
  /** Tokens (wei) a claim pays now; 0 when claimed or nothing earned. */
  claimable: bigint;
}

/** The devices `owner` holds now: registry Transfer events to it since `fromBlock`, confirmed by ownerOfDevice. */
export async function ownedDevices(
  registryAddress: string,
  provider: Provider,
  owner: string,
  fromBlock = 0,
): Promise<OwnedDevice[]> {
  const registry = new Contract(registryAddress, REGISTRY_ABI, provider);
  const events = await registry.queryFilter(registry.filters.Transfer(null, owner), fromBlock);
  const ids = [...new Set(events.map((e) => (e as unknown as { args: { tokenId: bigint } }).args.tokenId))].sort((a, b) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  const out: OwnedDevice[] = [];
  for (const deviceId of ids) {
    if (((await registry.ownerOfDevice(deviceId)) as string).toLowerCase() !== owner.toLowerCase()) continue;
    out.push({
      deviceId,
      status: DEVICE_STATUS[Number(await registry.deviceStatus(deviceId))] ?? "None",
      recipient: (await registry.rewardRecipient(deviceId)) as string,
    });
  }
  return out;
}

/**
 * Points and claimable tokens of `devices` for the closed epochs in [fromEpoch, nextEpochToClose);
 * only device-epochs with points are returned.
 */
export async function earnings(
  distributorAddress: string,
  provider: Provider,
  devices: bigint[],
  fromEpoch: bigint,
): Promise<Earning[]> {
  const distributor = new Contract(distributorAddress, DISTRIBUTOR_ABI, provider);
  const end = BigInt(await distributor.nextEpochToClose());
  const out: Earning[] = [];
  for (const deviceId of devices) {
    for (let epoch = fromEpoch; epoch < end; epoch++) {
      const [points, claimed] = (await distributor.pointsOf(deviceId, epoch)) as [bigint, boolean];
      if (points === 0n) continue;
      const claimable = claimed ? 0n : BigInt(await distributor.claimable(deviceId, epoch));
      out.push({ deviceId, epoch, points, claimed, claimable });
    }
  }
  return out;
}

/** Claims every unclaimed earning in one claim() (sorted by device: one transfer per recipient). */
export async function claimAll(
  distributorAddress: string,
  signer: ContractRunner,
  items: Earning[],
): Promise<{ receipt: ContractTransactionReceipt; paid: bigint; claimed: Earning[] } | null> {
  const todo = items
    .filter((e) => !e.claimed && e.claimable > 0n)
    .sort((a, b) => (a.deviceId === b.deviceId ? Number(a.epoch - b.epoch) : a.deviceId < b.deviceId ? -1 : 1));
  if (todo.length === 0) return null;
  const distributor = new Contract(distributorAddress, DISTRIBUTOR_ABI, signer);
  const tx = await distributor.claim(
    todo.map((e) => e.deviceId),
    todo.map((e) => e.epoch),
  );
  const receipt = (await tx.wait()) as ContractTransactionReceipt;
  const iface = new Interface(DISTRIBUTOR_ABI);
  let paid = 0n;
  for (const log of receipt.logs) {
    if (log.address.toLowerCase() !== distributorAddress.toLowerCase()) continue;
    const parsed = iface.parseLog(log);
    if (parsed?.name === "RewardClaimed") paid += parsed.args.amount as bigint;
  }
  return { receipt, paid, claimed: todo };
}

/**
 * Moves `amount` reward tokens out of a device account, called by its controller (the NFT holder).
 * A device account is counterfactual until first used: claims pay its CREATE2 address before it
 * has code, and a call to an address without code "succeeds" doing nothing. So the account is
 * created first when needed (anyone may: the factory derives it from the device id), and the
 * transfer is checked in the receipt's Transfer event.
 */
export async function withdrawFromAccount(
  account: string,
  token: string,
  signer: ContractRunner,
  to: string,
  amount: bigint,
  factory: string,
  deviceId: bigint,
): Promise<{ receipt: ContractTransactionReceipt; created: boolean }> {
  const provider = signer.provider!;
  let created = false;
  if ((await provider.getCode(account)) === "0x") {
    const f = new Contract(factory, ["function createAccount(uint256 deviceId) returns (address)"], signer);
    await (await f.createAccount(deviceId)).wait();
    if ((await provider.getCode(account)) === "0x")
      throw new Error(`the factory ${factory} did not create device ${deviceId}'s account at ${account}`);
    created = true;
  }
  const iface = new Interface(TOKEN_ABI);
  const data = iface.encodeFunctionData("transfer", [to, amount]);
  const tx = await new Contract(account, ACCOUNT_ABI, signer).execute(token, 0n, data);
  const receipt = (await tx.wait()) as ContractTransactionReceipt;
  const moved = receipt.logs.some((l) => {
    if (l.address.toLowerCase() !== token.toLowerCase()) return false;
    const e = iface.parseLog(l);
    return e?.name === "Transfer" && e.args[0].toLowerCase() === account.toLowerCase() && e.args[2] === amount;
  });
  if (!moved) throw new Error(`transaction ${receipt.hash} moved no tokens out of ${account}`);
  return { receipt, created };
}

export async function tokenBalance(token: string, provider: Provider, who: string): Promise<bigint> {
  return BigInt(await new Contract(token, TOKEN_ABI, provider).balanceOf(who));
}
