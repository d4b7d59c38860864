/**
 * LOCAL DEMO AND TESTS ONLY: a settable Chainlink aggregator standing in for the token/USD feed.
 *
 * Parameters (module "MockPriceFeed"): decimals (default 8), answer (default 0.05 USD = 5e6).
 */
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

export default buildModule("MockPriceFeed", (m) => {
  const priceFeed = m.contract("MockAggregator", [
    m.getParameter("decimals", 8n),
    "DPR / USD (mock)",
    m.getParameter("answer", 5_000_000n),
  ]);
  return { priceFeed };
});
