import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import type { IgnitionModuleBuilder } from "@nomicfoundation/ignition-core";
import type { AddressArg } from "../types.js";

/** Canonical ERC-4337 EntryPoint v0.8 address (same on every chain that has it). */
export const ENTRY_POINT_V08 = "0x4337084D9E255Ff0702461CF8895CE9E3b5Ff108";

/**
 * Identity layer: DeviceRegistry (UUPS implementation behind an ERC1967Proxy, linked to the
 * P256Verifier library), and the DeviceAccountFactory (which deploys its DeviceAccount
 * implementation) wired into the registry once.
 *
 * The deploying account (account 0) receives every registry role so it can wire the factory;
 * the governance deployment then grants the roles to the timelock and renounces them
 * (DEFAULT_ADMIN_ROLE, MAKER_GOVERNOR_ROLE, DEVICE_GUARDIAN_ROLE, UPGRADER_ROLE).
 *
 * Parameters (`Identity`):
 * - `entryPoint`: the EntryPoint v0.8 the device accounts trust (default: the canonical address).
 */
/**
 * The layer's futures inside any module `m` (this module, or the full-protocol module, which
 * passes its own EntryPoint). `wired` is the factory wiring call the hand-over must wait for.
 */
export function buildIdentity(m: IgnitionModuleBuilder, inputs: { entryPoint: AddressArg }) {
  const admin = m.getAccount(0);
  const { entryPoint } = inputs;

  const p256Verifier = m.library("P256Verifier");
  const registryImplementation = m.contract("DeviceRegistry", [], {
    id: "DeviceRegistryImplementation",
    libraries: { P256Verifier: p256Verifier },
  });
  const initData = m.encodeFunctionCall(registryImplementation, "initialize", [admin]);
  const proxy = m.contract("ERC1967Proxy", [registryImplementation, initData], { id: "DeviceRegistryProxy" });
  const registry = m.contractAt("DeviceRegistry", proxy, { id: "DeviceRegistry" });

  const accountFactory = m.contract("DeviceAccountFactory", [entryPoint, registry]);
  const wired = m.call(registry, "setAccountFactory", [accountFactory], { from: admin });

  return { registry, registryImplementation, accountFactory, p256Verifier, wired };
}

export default buildModule("Identity", (m) => {
  const { wired: _wired, ...contracts } = buildIdentity(m, {
    entryPoint: m.getParameter<string>("entryPoint", ENTRY_POINT_V08),
  });
  return contracts;
});
