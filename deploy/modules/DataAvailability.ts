/**
 * Data availability layer: the two generated Poseidon contracts (4 inputs for the nodes of the 4-ary
 * batch tree, 5 for reading leaves) and DataAvailability (UUPS proxy; `dataAvailability` is the
 * proxy, `implementation` the logic contract).
 *
 * Parameters (module "DataAvailability"):
 *   deviceDirectory      address of the IDeviceDirectory (device registry) — required
 *   admin                receives DEFAULT_ADMIN_ROLE + SEQUENCER_ADMIN_ROLE (default: deployer;
 *                        the governance step hands both to the timelock)
 *   challengeWindow      seconds a batch can be challenged (default 1 day)
 *   retentionWindow      seconds payloads are served (default 30 days, >= challengeWindow)
 *   unbondingDelay       seconds between startUnbonding and withdrawBond (default 7 days)
 *   minBond              wei a sequencer must bond to commit (default 1 ether)
 *   slashAmount          wei slashed per invalidated batch (default 1 ether)
 *   challengerRewardBps  challenger's share of a slash (default 5000 = 50 %)
 *
 * The batch consumer (the RewardDistributor, whose settlement delay the challenge window must stay
 * below) is set by the full-protocol composition (deploy/protocol.ts) while the deployer still holds
 * the admin role; a DA deployed alone has none until its admin calls setBatchConsumer.
 */
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import type { IgnitionModuleBuilder } from "@nomicfoundation/ignition-core";
import { poseidonArtifact, poseidonContractName } from "../poseidon.js";
import type { AddressArg } from "../types.js";

const DAY = 86_400n;

/**
 * The layer's futures inside any module `m` (this module, or the full-protocol module, which
 * passes its own device directory). Window and bond parameters are read from `m`'s parameters.
 */
export function buildDataAvailability(m: IgnitionModuleBuilder, inputs: { admin: AddressArg; deviceDirectory: AddressArg }) {
  const { admin, deviceDirectory } = inputs;

  const poseidon4 = m.contract(poseidonContractName(4), poseidonArtifact(4));
  const poseidon5 = m.contract(poseidonContractName(5), poseidonArtifact(5));

  // UUPS: implementation (initializers disabled) behind an ERC1967Proxy initialised atomically.
  const implementation = m.contract("DataAvailability", [], { id: "DataAvailabilityImplementation" });
  const initialize = m.encodeFunctionCall(implementation, "initialize", [
    admin,
    deviceDirectory,
    poseidon4,
    poseidon5,
    {
      challengeWindow: m.getParameter("challengeWindow", DAY),
      retentionWindow: m.getParameter("retentionWindow", 30n * DAY),
      unbondingDelay: m.getParameter("unbondingDelay", 7n * DAY),
      minBond: m.getParameter("minBond", 10n ** 18n),
      slashAmount: m.getParameter("slashAmount", 10n ** 18n),
      challengerRewardBps: m.getParameter("challengerRewardBps", 5000n),
    },
  ]);
  const proxy = m.contract("ERC1967Proxy", [implementation, initialize], { id: "DataAvailabilityProxy" });
  const dataAvailability = m.contractAt("DataAvailability", proxy, { id: "DataAvailability" });

  return { dataAvailability, implementation, poseidon4, poseidon5 };
}

export default buildModule("DataAvailability", (m) =>
  buildDataAvailability(m, {
    admin: m.getParameter("admin", m.getAccount(0)),
    deviceDirectory: m.getParameter<string>("deviceDirectory"),
  }),
);
