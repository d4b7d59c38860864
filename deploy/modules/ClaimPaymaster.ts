/**
 * Sponsored claims: the ERC-4337 ClaimPaymaster on an existing EntryPoint v0.8.
 *
 * Parameters (module "ClaimPaymaster"):
 *   entryPoint       EntryPoint v0.8 address — required
 *   rewardEmission   RewardEmission whose epoch clock the budgets follow — required
 *   claimTarget      the rewards distributor — required
 *   claimSelector    its claim function selector (bytes4) — required
 *   executeSelector  device account's execute(address,uint256,bytes) selector (default 0xb61d27f6)
 *   epochBudget      wei of gas sponsored per epoch (default 1 ether)
 *   accountBudget    wei of gas sponsored per account per epoch (default 0.01 ether)
 *   deposit          wei deposited into the EntryPoint for the paymaster (default 0)
 *
 * The deployer is the Ownable2Step owner; the governance step transfers ownership to the
 * timelock, which accepts it. The paymaster must also stake in the EntryPoint (addStake) to be
 * used through public bundlers (ERC-7562): that is an owner call, made by governance.
 */
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import type { IgnitionModuleBuilder } from "@nomicfoundation/ignition-core";
import type { AddressArg } from "../types.js";

/**
 * The paymaster's futures inside any module `m` (this module, or the full-protocol module, which
 * passes its own EntryPoint, emission and distributor). Budgets are read from `m`'s parameters.
 */
export function buildClaimPaymaster(
  m: IgnitionModuleBuilder,
  inputs: { entryPoint: AddressArg; rewardEmission: AddressArg; claimTarget: AddressArg; claimSelector: string | AddressArg },
) {
  const claimPaymaster = m.contract("ClaimPaymaster", [
    inputs.entryPoint,
    inputs.rewardEmission,
    inputs.claimTarget,
    inputs.claimSelector,
    m.getParameter("executeSelector", "0xb61d27f6"),
    m.getParameter("epochBudget", 10n ** 18n),
    m.getParameter("accountBudget", 10n ** 16n),
  ]);
  m.call(claimPaymaster, "deposit", [], { value: m.getParameter("deposit", 0n), id: "DepositToEntryPoint" });
  return { claimPaymaster };
}

export default buildModule("ClaimPaymaster", (m) =>
  buildClaimPaymaster(m, {
    entryPoint: m.getParameter<string>("entryPoint"),
    rewardEmission: m.getParameter<string>("rewardEmission"),
    claimTarget: m.getParameter<string>("claimTarget"),
    claimSelector: m.getParameter<string>("claimSelector"),
  }),
);
