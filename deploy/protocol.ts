/**
 * The whole protocol inside one Ignition module: identity (device registry, device accounts),
 * rewards (token, emission, credits), data availability (reading the registry's device keys),
 * settlement (RewardDistributor with the reward_rule_16 verifier), the claim paymaster
 * (sponsoring distributor claims of registered devices' accounts), governance, the genesis token
 * allocation, and the hand-over
 * of every role to the timelock. deploy/modules/Protocol.ts (real networks) and
 * deploy/modules/DevProtocol.ts (in-process and `hardhat node`) differ only in where the external
 * dependencies come from.
 *
 * Protocol parameters (besides each layer's, documented in its module file):
 *   genesisHolder   receives the genesis allocation of reward tokens, the initial voting power
 *                   (default: the deployer; in production a community multisig or airdrop contract)
 *   genesisSupply   tokens (wei) minted to genesisHolder at deployment, within the cap (default 0)
 *   timelockDelay   seconds between queueing and executing a governance operation (default 2 days)
 *   firstEpoch      first epoch the distributor pays — required
 *   settlementDelay seconds after an epoch ends before it can close (default 2 days; must exceed
 *                   commit delay + DA challenge window + proving time). The distributor refuses one
 *                   not above the DA challenge window, and becomes the DA's batch consumer here, so
 *                   governance can never raise the window to it afterwards.
 *   ruleMinValue, ruleMaxValue, ruleCapPerBatch  reward rule version 0 (default: any value, 16)
 */
import type { IgnitionModuleBuilder } from "@nomicfoundation/ignition-core";
import { ZeroHash, id } from "ethers";
import { buildHandover } from "./handover.js";
import { buildClaimPaymaster } from "./modules/ClaimPaymaster.js";
import { buildDataAvailability } from "./modules/DataAvailability.js";
import { buildGovernance } from "./modules/Governance.js";
import { buildIdentity } from "./modules/Identity.js";
import { buildRewards, MINTER_ROLE } from "./modules/Rewards.js";
import type { AddressArg } from "./types.js";

export interface ProtocolExternals {
  /** Chainlink token/USD AggregatorV3Interface. */
  priceFeed: AddressArg;
  /** ERC-4337 EntryPoint v0.8. */
  entryPoint: AddressArg;
}

/** RewardDistributor.claim(uint64[] deviceIds, uint64[] epochs): what the paymaster sponsors. */
export const CLAIM_SELECTOR = id("claim(uint64[],uint64[])").slice(0, 10);
/**
 * The reward-rule circuit instance deployed with the protocol (circuits/circuits.json):
 * reward_rule_16, 16 readings = a 4-ary batch tree of depth 2, 4 device slots.
 */
export const REWARD_VERIFIER = { contract: "RewardRule16Verifier", depth: 2n, slots: 4n } as const;

export const DEFAULT_ADMIN_ROLE = ZeroHash;

export function buildProtocol(m: IgnitionModuleBuilder, ext: ProtocolExternals) {
  const deployer = m.getAccount(0);
  const identity = buildIdentity(m, { entryPoint: ext.entryPoint });
  const rewards = buildRewards(m, { priceFeed: ext.priceFeed });
  const da = buildDataAvailability(m, { admin: deployer, deviceDirectory: identity.registry });

  // Settlement: proofs against final DA batches, points per device, pro-rata claims. Not
  // upgradeable: a new rule is a parameter change, a new circuit a verifier change, both governed.
  const rewardVerifier = m.contract(REWARD_VERIFIER.contract);
  const rewardDistributor = m.contract("RewardDistributor", [
    da.dataAvailability,
    rewards.rewardEmission,
    identity.registry,
    deployer,
    m.getParameter("settlementDelay", 2n * 86_400n),
    m.getParameter<bigint>("firstEpoch"),
    {
      minValue: m.getParameter("ruleMinValue", 0n),
      maxValue: m.getParameter("ruleMaxValue", 4_294_967_295n),
      capPerBatch: m.getParameter("ruleCapPerBatch", 16n),
    },
  ]);
  const verifierSet = m.call(rewardDistributor, "setVerifier", [REWARD_VERIFIER.depth, rewardVerifier, REWARD_VERIFIER.slots], {
    id: "RewardVerifierDepth2",
  });
  const distributorMints = m.call(rewards.rewardEmission, "grantRole", [id("DISTRIBUTOR_ROLE"), rewardDistributor], {
    id: "GrantDistributorToDistributor",
  });
  // The DA keeps its challenge window below the distributor's (immutable) settlement delay from
  // now on. Set by the deployer while it still holds the DA's admin role (handed over below).
  const batchConsumer = m.call(da.dataAvailability, "setBatchConsumer", [rewardDistributor], {
    id: "DataAvailabilityBatchConsumer",
  });

  const { claimPaymaster } = buildClaimPaymaster(m, {
    entryPoint: ext.entryPoint,
    rewardEmission: rewards.rewardEmission,
    claimTarget: rewardDistributor,
    claimSelector: CLAIM_SELECTOR,
  });
  // Sponsor only the device accounts the registry names as reward recipients.
  const paymasterDirectory = m.call(claimPaymaster, "setDeviceDirectory", [identity.registry], {
    id: "PaymasterDeviceDirectory",
  });
  const { timelock, governor, governorRoles } = buildGovernance(m, { token: rewards.rewardToken });

  // Genesis allocation: the deployer mints once under a temporary MINTER_ROLE, renounced below.
  const grantMinter = m.call(rewards.rewardToken, "grantRole", [MINTER_ROLE, deployer], { id: "GenesisMinter" });
  const genesisMint = m.call(
    rewards.rewardToken,
    "mint",
    [m.getParameter("genesisHolder", deployer), m.getParameter("genesisSupply", 0n)],
    { id: "GenesisMint", after: [grantMinter] },
  );

  const { handedOver } = buildHandover(m, {
    timelock,
    timelockSetup: governorRoles,
    timelockDelay: m.getParameter("timelockDelay", 2n * 86_400n),
    accessControl: [
      {
        name: "DeviceRegistry",
        contract: identity.registry,
        roles: [
          ["DEFAULT_ADMIN_ROLE", DEFAULT_ADMIN_ROLE],
          ["MAKER_GOVERNOR_ROLE", id("MAKER_GOVERNOR_ROLE")],
          ["DEVICE_GUARDIAN_ROLE", id("DEVICE_GUARDIAN_ROLE")],
          ["UPGRADER_ROLE", id("UPGRADER_ROLE")],
        ],
        after: [identity.wired],
      },
      {
        name: "RewardToken",
        contract: rewards.rewardToken,
        roles: [["DEFAULT_ADMIN_ROLE", DEFAULT_ADMIN_ROLE]],
        renounceOnly: [["MINTER_ROLE", MINTER_ROLE]],
        after: [genesisMint],
      },
      {
        name: "RewardEmission",
        contract: rewards.rewardEmission,
        roles: [
          ["DEFAULT_ADMIN_ROLE", DEFAULT_ADMIN_ROLE],
          ["GUARDIAN_ROLE", id("GUARDIAN_ROLE")],
        ],
        after: [distributorMints],
      },
      {
        name: "RewardDistributor",
        contract: rewardDistributor,
        roles: [
          ["DEFAULT_ADMIN_ROLE", DEFAULT_ADMIN_ROLE],
          ["RULE_ADMIN_ROLE", id("RULE_ADMIN_ROLE")],
          ["VERIFIER_ADMIN_ROLE", id("VERIFIER_ADMIN_ROLE")],
        ],
        after: [verifierSet],
      },
      { name: "DataCredits", contract: rewards.dataCredits, roles: [["DEFAULT_ADMIN_ROLE", DEFAULT_ADMIN_ROLE]] },
      {
        name: "DataAvailability",
        contract: da.dataAvailability,
        roles: [
          ["DEFAULT_ADMIN_ROLE", DEFAULT_ADMIN_ROLE],
          ["SEQUENCER_ADMIN_ROLE", id("SEQUENCER_ADMIN_ROLE")],
        ],
        after: [batchConsumer],
      },
    ],
    ownable2Step: [{ name: "ClaimPaymaster", contract: claimPaymaster, after: [paymasterDirectory] }],
  });

  return {
    deviceRegistry: identity.registry,
    deviceRegistryImplementation: identity.registryImplementation,
    deviceAccountFactory: identity.accountFactory,
    p256Verifier: identity.p256Verifier,
    rewardToken: rewards.rewardToken,
    rewardEmission: rewards.rewardEmission,
    dataCredits: rewards.dataCredits,
    rewardEmissionImplementation: rewards.emissionImplementation,
    dataCreditsImplementation: rewards.creditsImplementation,
    dataAvailability: da.dataAvailability,
    rewardDistributor,
    rewardVerifier,
    dataAvailabilityImplementation: da.implementation,
    claimPaymaster,
    timelock,
    governor,
    handedOver,
  };
}
