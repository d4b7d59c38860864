import type { NetworkHelpers } from "@nomicfoundation/hardhat-network-helpers/types";
import type { HardhatEthers } from "@nomicfoundation/hardhat-ethers/types";
import type { RewardRuleParams } from "../../sdk/src/index.js";
import { EPOCH_LENGTH, GENESIS } from "./readings.js";

export const RULE: RewardRuleParams = { minValue: 100n, maxValue: 200n, capPerBatch: 3n };
export const SETTLEMENT_DELAY = 2n * 3600n;
export const EMISSION = 1_000_000n * 10n ** 18n + 7n; // an amount that does not divide evenly
export const DEPTH = 2; // reward_rule_16: 16 readings = a 4-ary tree of depth 2
export const SLOTS = 4;
/** Epoch 10000 of the test clock (2027-02-21). */
export const FIRST_EPOCH = 10_000n;

/** Device status values of IDeviceDirectory.DeviceStatus. */
export const Status = { None: 0, Provisioned: 1, Bound: 2, Active: 3, Suspended: 4, Decommissioned: 5 } as const;

/** Mocks of the other layers, the distributor with the real reward_rule_16 verifier, devices 1..99 Active. */
export async function deployRewards(ethers: HardhatEthers, networkHelpers: NetworkHelpers, devices: bigint[]) {
  const [admin, owner, stranger] = await ethers.getSigners();
  // A fixed epoch (the chain starts at wall-clock time, which is earlier), so proofs made once
  // per test file stay valid in every fresh network.
  const epoch = FIRST_EPOCH;
  await networkHelpers.time.increaseTo(GENESIS + epoch * EPOCH_LENGTH + 60n);
  const da = await ethers.deployContract("BatchCommitmentsMock");
  const emission = await ethers.deployContract("RewardEmissionMock", [GENESIS, EPOCH_LENGTH, EMISSION]);
  const directory = await ethers.deployContract("DeviceDirectoryMock");
  const distributor = await ethers.deployContract("RewardDistributor", [
    await da.getAddress(),
    await emission.getAddress(),
    await directory.getAddress(),
    admin.address,
    SETTLEMENT_DELAY,
    epoch,
    { minValue: RULE.minValue, maxValue: RULE.maxValue, capPerBatch: RULE.capPerBatch },
  ]);
  const verifier = await ethers.deployContract("RewardRule16Verifier");
  await distributor.setVerifier(DEPTH, await verifier.getAddress(), SLOTS);
  const token = await ethers.getContractAt("RewardTokenMock", await emission.token());
  // Each device: owner = `owner`, reward recipient = a per-device address (its device account).
  const recipients = new Map<bigint, string>();
  for (const d of devices) {
    const account = ethers.getAddress(`0x${(0xacc0000n + d).toString(16).padStart(40, "0")}`);
    recipients.set(d, account);
    await directory.setStatus(d, Status.Active);
    await directory.setOwner(d, owner.address);
    await directory.setRewardRecipient(d, account);
  }
  return { admin, owner, stranger, da, emission, directory, distributor, verifier, token, epoch, recipients };
}
