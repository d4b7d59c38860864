/**
 * Reward token, emission schedule (sole minter) and data credits. `rewardEmission` and
 * `dataCredits` are UUPS proxies (their implementations are returned too).
 *
 * Parameters (module "Rewards"):
 *   name, symbol     token metadata (default "DePIN Reward", "DPR")
 *   cap              hard supply cap, wei (default 1e9 tokens)
 *   genesisTime      unix time epoch 0 starts — required
 *   epochLength      seconds per epoch (default 1 day)
 *   initialEmission  tokens (wei) per epoch at epoch 0 (default 100,000 tokens)
 *   decayFactorBps   emission multiplier per decay period, bps (default 9,900 = -1 %)
 *   decayPeriod      epochs per decay step (default 30)
 *   maxMintPerEpoch  circuit breaker: most minted in one wall-clock epoch (default 3x initial)
 *   priceFeed        Chainlink token/USD AggregatorV3Interface — required (MockPriceFeed locally)
 *   maxPriceAge      oldest accepted price, seconds (default 3,600)
 *   usdPerCredit     USD per data credit, 18 decimals (default 0.001 USD)
 *
 * The deployer (account 0) receives DEFAULT_ADMIN_ROLE of all three and GUARDIAN_ROLE of the
 * emission, because it must grant MINTER_ROLE to RewardEmission here; the governance deployment
 * step then grants every role to the timelock (GUARDIAN_ROLE also to the optional pause-only
 * `guardian` parameter of deploy/protocol.ts) and renounces them.
 *
 * MINTER_ROLE on the token goes to RewardEmission. The distributor (DISTRIBUTOR_ROLE on the
 * emission) and the DA API operator (OPERATOR_ROLE on the credits) are granted by the modules
 * that deploy them.
 */
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import type { IgnitionModuleBuilder } from "@nomicfoundation/ignition-core";
import { id } from "ethers";
import type { AddressArg } from "../types.js";

const TOKEN = 10n ** 18n;

export const MINTER_ROLE = id("MINTER_ROLE");

/**
 * The layer's futures inside any module `m` (this module, or the full-protocol module, which
 * passes its own price feed). Token and schedule parameters are read from `m`'s parameters.
 */
export function buildRewards(m: IgnitionModuleBuilder, inputs: { priceFeed: AddressArg }) {
  const admin = m.getAccount(0);
  const initialEmission = 100_000n * TOKEN;

  const rewardToken = m.contract("RewardToken", [
    m.getParameter("name", "DePIN Reward"),
    m.getParameter("symbol", "DPR"),
    m.getParameter("cap", 1_000_000_000n * TOKEN),
    admin,
  ]);

  // RewardEmission and DataCredits are UUPS: implementation (initializers disabled) behind an
  // ERC1967Proxy initialised atomically.
  const emissionImplementation = m.contract("RewardEmission", [], { id: "RewardEmissionImplementation" });
  const emissionInit = m.encodeFunctionCall(emissionImplementation, "initialize", [
    rewardToken,
    admin,
    {
      genesisTime: m.getParameter<bigint>("genesisTime"),
      epochLength: m.getParameter("epochLength", 86_400n),
      initialEmission: m.getParameter("initialEmission", initialEmission),
      decayFactorBps: m.getParameter("decayFactorBps", 9_900n),
      decayPeriod: m.getParameter("decayPeriod", 30n),
      maxMintPerEpoch: m.getParameter("maxMintPerEpoch", 3n * initialEmission),
    },
  ]);
  const emissionProxy = m.contract("ERC1967Proxy", [emissionImplementation, emissionInit], { id: "RewardEmissionProxy" });
  const rewardEmission = m.contractAt("RewardEmission", emissionProxy, { id: "RewardEmission" });

  m.call(rewardToken, "grantRole", [MINTER_ROLE, rewardEmission], { id: "GrantMinterToEmission" });

  const creditsImplementation = m.contract("DataCredits", [], { id: "DataCreditsImplementation" });
  const creditsInit = m.encodeFunctionCall(creditsImplementation, "initialize", [
    rewardToken,
    inputs.priceFeed,
    m.getParameter("maxPriceAge", 3_600n),
    m.getParameter("usdPerCredit", 10n ** 15n),
    admin,
  ]);
  const creditsProxy = m.contract("ERC1967Proxy", [creditsImplementation, creditsInit], { id: "DataCreditsProxy" });
  const dataCredits = m.contractAt("DataCredits", creditsProxy, { id: "DataCredits" });

  return { rewardToken, rewardEmission, dataCredits, emissionImplementation, creditsImplementation };
}

export default buildModule("Rewards", (m) => buildRewards(m, { priceFeed: m.getParameter<string>("priceFeed") }));
