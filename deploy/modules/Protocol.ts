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
 * Deploy: `npx tsx scripts/deploy.ts --network <name>` (writes deployments/<chainId>.json), or
 * `npx hardhat ignition deploy deploy/modules/Protocol.ts --network <name> --parameters deploy/parameters/<name>.json`.
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
