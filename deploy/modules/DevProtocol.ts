/**
 * The whole protocol on a development chain (the in-process network, `hardhat node`): the same
 * composition as Protocol.ts (deploy/protocol.ts), with its external dependencies deployed here:
 * a settable price feed (MockAggregator) and a fresh EntryPoint v0.8.
 * LOCAL DEVELOPMENT ONLY: never deploy this module to a public network.
 *
 * Parameters: deploy/parameters/localhost.json (key "DevProtocol"); `answer`/`decimals` set the
 * mock price (defaults 0.05 USD, 8 decimals).
 *
 * Deploy to `hardhat node --hostname 127.0.0.1`: `npx tsx scripts/deploy.ts --network localhost`.
 */
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { buildProtocol } from "../protocol.js";

export default buildModule("DevProtocol", (m) => {
  const priceFeed = m.contract("MockAggregator", [
    m.getParameter("decimals", 8n),
    "DPR / USD (mock)",
    m.getParameter("answer", 5_000_000n),
  ]);
  const entryPoint = m.contract("EntryPoint");
  const { handedOver: _handedOver, ...contracts } = buildProtocol(m, {
    priceFeed,
    entryPoint,
  });
  return { ...contracts, priceFeed, entryPoint };
});
