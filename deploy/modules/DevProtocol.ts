/**
 * The whole protocol on a development chain (the in-process network, `hardhat node`): the same
 * composition as Protocol.ts (deploy/protocol.ts), with its external dependencies deployed here:
 * a settable price feed (MockAggregator), a fresh EntryPoint v0.8, and — until the rewards
 * distributor joins the composition — a ClaimTargetMock as the paymaster's claim target.
 * LOCAL DEVELOPMENT ONLY: never deploy this module to a public network.
 *
 * Parameters: deploy/parameters/localhost.json (key "DevProtocol"); `answer`/`decimals` set the
 * mock price (defaults 0.05 USD, 8 decimals).
 *
 * Deploy to `hardhat node --hostname 127.0.0.1`: `npx tsx scripts/deploy.ts --network localhost`.
 */
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { id } from "ethers";
import { buildProtocol } from "../protocol.js";

export default buildModule("DevProtocol", (m) => {
  const priceFeed = m.contract("MockAggregator", [
    m.getParameter("decimals", 8n),
    "DPR / USD (mock)",
    m.getParameter("answer", 5_000_000n),
  ]);
  const entryPoint = m.contract("EntryPoint");
  const claimTarget = m.contract("ClaimTargetMock");
  const { handedOver: _handedOver, ...contracts } = buildProtocol(m, {
    priceFeed,
    entryPoint,
    claimTarget,
    claimSelector: id("claim(uint64,uint256)").slice(0, 10),
  });
  return { ...contracts, priceFeed, entryPoint };
});
