/**
 * The whole protocol on a real network (testnet or mainnet): the external dependencies are
 * existing contracts named by parameter. Parameters live in deploy/parameters/<network>.json under
 * the key "Protocol"; see deploy/protocol.ts and each layer module for the rest.
 *
 *   priceFeed       Chainlink token/USD feed — required
 *   entryPoint      ERC-4337 EntryPoint v0.8 (default: the canonical 0x4337084D…Ff108)
 *   guardian        optional pause-only guardian (a Safe): may pause minting and sponsored claims,
 *                   nothing else (deploy/protocol.ts)
 *
 * Deploy: `npm run deploy -- --network <name>` (scripts/deploy.ts: parameter schema check, plan,
 * confirmation; writes deployments/<chainId>.json). Not `npx hardhat ignition deploy` directly:
 * it skips those checks and the deployment record (docs/deploy.md, "Why one command").
 *
 * Proving keys: the module deploys the verifier in contracts/verifiers/ (REWARD_VERIFIER). The
 * committed one has DEVELOPMENT keys (devKeys() = true: anyone can forge proofs). Before a real
 * network, run the phase-2 ceremony (`npm run ceremony`, docs/ceremony.md) and put its exported
 * verifier there. scripts/deploy.ts refuses development keys on any chain but 31337/1337 before
 * sending anything; the direct `ignition deploy` path does not check (the roles audit,
 * `npm run ops -- roles-audit`, fails on them afterwards).
 */
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { buildProtocol } from "../protocol.js";
import { ENTRY_POINT_V08 } from "./Identity.js";

export default buildModule("Protocol", (m) => {
  const { handedOver: _handedOver, ...contracts } = buildProtocol(m, {
    priceFeed: m.getParameter<string>("priceFeed"),
    entryPoint: m.getParameter<string>("entryPoint", ENTRY_POINT_V08),
  });
  return contracts;
});
