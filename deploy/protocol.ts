/**
 * The whole protocol inside one Ignition module: identity (device registry, device accounts),
 * rewards (token, emission, credits), data availability (reading the registry's device keys), the
 * claim paymaster (sponsoring only registered devices' accounts), governance, the genesis token
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
  /** The rewards distributor and its claim selector (what the paymaster sponsors). */
  claimTarget: AddressArg;
  claimSelector: string | AddressArg;
}

export const DEFAULT_ADMIN_ROLE = ZeroHash;

export function buildProtocol(m: IgnitionModuleBuilder, ext: ProtocolExternals) {
  const deployer = m.getAccount(0);
  const identity = buildIdentity(m, { entryPoint: ext.entryPoint });
  const rewards = buildRewards(m, { priceFeed: ext.priceFeed });
  const da = buildDataAvailability(m, { admin: deployer, deviceDirectory: identity.registry });
  const { claimPaymaster } = buildClaimPaymaster(m, {
    entryPoint: ext.entryPoint,
    rewardEmission: rewards.rewardEmission,
    claimTarget: ext.claimTarget,
    claimSelector: ext.claimSelector,
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
      },
      { name: "DataCredits", contract: rewards.dataCredits, roles: [["DEFAULT_ADMIN_ROLE", DEFAULT_ADMIN_ROLE]] },
      {
        name: "DataAvailability",
        contract: da.dataAvailability,
        roles: [
          ["DEFAULT_ADMIN_ROLE", DEFAULT_ADMIN_ROLE],
          ["SEQUENCER_ADMIN_ROLE", id("SEQUENCER_ADMIN_ROLE")],
        ],
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
    dataAvailabilityImplementation: da.implementation,
    claimPaymaster,
    timelock,
    governor,
    handedOver,
  };
}
