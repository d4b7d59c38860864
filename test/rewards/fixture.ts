/**
 * Shared fixture for the rewards tests: the real Ignition modules (MockPriceFeed, Rewards) with
 * epoch 0 starting at the current block, a distributor and a DA API operator holding their roles.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { NetworkConnection } from "hardhat/types/network";
import MockPriceFeedModule from "../../deploy/modules/MockPriceFeed.js";
import RewardsModule from "../../deploy/modules/Rewards.js";
import type { DataCredits, MockAggregator, RewardEmission, RewardToken } from "../../types/typechain/index.js";

export const TOKEN = 10n ** 18n;
export const EPOCH = 86_400n;
export const INITIAL = 100_000n * TOKEN;
export const CAP = 1_000_000_000n * TOKEN;
export const MAX_MINT = 3n * INITIAL;
export const PRICE = 5_000_000n; // 0.05 USD, 8 decimals
export const MAX_PRICE_AGE = 3_600n;
export const USD_PER_CREDIT = 10n ** 15n; // 0.001 USD

export interface EmissionConfig {
  genesisTime: bigint;
  epochLength: bigint;
  initialEmission: bigint;
  decayFactorBps: bigint;
  decayPeriod: bigint;
  maxMintPerEpoch: bigint;
}

/** Deploys a RewardEmission behind an ERC1967Proxy (as the Ignition module does), outside the module. */
export async function deployEmissionProxy(
  connection: NetworkConnection,
  token: string,
  admin: string,
  config: EmissionConfig,
): Promise<RewardEmission> {
  const { ethers } = connection;
  const implementation = await ethers.deployContract("RewardEmission");
  const init = implementation.interface.encodeFunctionData("initialize", [token, admin, config]);
  const proxy = await ethers.deployContract("ERC1967Proxy", [await implementation.getAddress(), init]);
  return (await ethers.getContractAt("RewardEmission", await proxy.getAddress())) as unknown as RewardEmission;
}

export interface RewardsFixture {
  token: RewardToken;
  emission: RewardEmission;
  credits: DataCredits;
  feed: MockAggregator;
  genesis: bigint;
  admin: HardhatEthersSigner;
  distributor: HardhatEthersSigner;
  operator: HardhatEthersSigner;
  buyer: HardhatEthersSigner;
  consumer: HardhatEthersSigner;
  other: HardhatEthersSigner;
}

export async function deployRewards(connection: NetworkConnection): Promise<RewardsFixture> {
  const { ethers, ignition, networkHelpers } = connection;
  const [admin, distributor, operator, buyer, consumer, other] = await ethers.getSigners();
  // Far enough ahead that the deployment's blocks stay before genesis even when a loaded machine
  // makes the deployment take minutes of wall-clock time (blocks follow the wall clock).
  const genesis = BigInt(await networkHelpers.time.latest()) + 3_600n;
  const { priceFeed } = await ignition.deploy(MockPriceFeedModule, {
    parameters: { MockPriceFeed: { answer: PRICE.toString() } },
  });
  const { rewardToken, rewardEmission, dataCredits } = await ignition.deploy(RewardsModule, {
    parameters: { Rewards: { genesisTime: genesis.toString(), priceFeed: await priceFeed.getAddress() } },
  });
  const token = rewardToken as unknown as RewardToken;
  const emission = rewardEmission as unknown as RewardEmission;
  const credits = dataCredits as unknown as DataCredits;
  await emission.grantRole(await emission.DISTRIBUTOR_ROLE(), distributor.address);
  await credits.grantRole(await credits.OPERATOR_ROLE(), operator.address);
  await networkHelpers.time.increaseTo(genesis);
  return {
    token,
    emission,
    credits,
    feed: priceFeed as unknown as MockAggregator,
    genesis,
    admin,
    distributor,
    operator,
    buyer,
    consumer,
    other,
  };
}
