/**
 * Upgrades through governance, step one: check the new implementation's storage layout against
 * the current one with @openzeppelin/hardhat-upgrades (UUPS rules, ERC-7201 namespaces compared
 * member by member), deploy the implementation, and return the proposal action that points the
 * proxy at it. The upgrade itself only happens when the timelock executes that action.
 */
import { upgrades } from "@openzeppelin/hardhat-upgrades";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import type { NetworkConnection } from "hardhat/types/network";

export interface PreparedUpgrade {
  implementation: string;
  /** The proposal-file action ({ "action": "upgrade", … }). */
  action: { action: "upgrade"; contract: string; implementation: string; data: string };
}

/**
 * Validates `fromContract` → `toContract` (artifact names) and deploys `toContract`.
 * Throws the plugin's layout report when the upgrade is unsafe; nothing is deployed then.
 */
export async function prepareUpgrade(
  hre: HardhatRuntimeEnvironment,
  connection: NetworkConnection,
  opts: {
    proxyName: string;
    fromContract: string;
    toContract: string;
    data?: string;
    /** External libraries both versions link (name → deployed address), e.g. P256Verifier. */
    libraries?: Record<string, string>;
  },
): Promise<PreparedUpgrade> {
  const api = await upgrades(hre, connection);
  const { ethers } = connection;
  const libraries = opts.libraries ?? {};
  const linked = Object.keys(libraries).length > 0;
  const from = await ethers.getContractFactory(opts.fromContract, { libraries });
  const to = await ethers.getContractFactory(opts.toContract, { libraries });
  // Linked libraries are the protocol's own deployed, stateless code (no delegatecall or
  // selfdestruct): allowed when declared, everything else is checked.
  await api.validateUpgrade(from, to, { kind: "uups", unsafeAllowLinkedLibraries: linked });
  const implementation = await to.deploy();
  await implementation.waitForDeployment();
  const address = await implementation.getAddress();
  return {
    implementation: address,
    action: { action: "upgrade", contract: opts.proxyName, implementation: address, data: opts.data ?? "0x" },
  };
}
