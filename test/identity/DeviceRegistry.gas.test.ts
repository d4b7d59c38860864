import { expect } from "chai";
import { readFileSync, writeFileSync } from "node:fs";
import { network } from "hardhat";
import { measureIdentityGas, type IdentityGas } from "./gas.js";

const SNAPSHOT = new URL("./gas-snapshot.json", import.meta.url);
/** Allowed drift before the snapshot must be refreshed (UPDATE_GAS_SNAPSHOT=1). */
const TOLERANCE = 0.02;

describe("DeviceRegistry — gas snapshot", () => {
  it("onboarding stays within budget and matches the committed snapshot", async () => {
    const conn = await network.create();
    const gas = await measureIdentityGas(conn);
    console.log("      ", JSON.stringify(gas));
    // The budget: ≤ 120k gas per device in a batch of 100, NFT mint included.
    expect(gas.onboardGasPerDevice).to.be.at.most(120_000);
    if (process.env.UPDATE_GAS_SNAPSHOT === "1") {
      writeFileSync(SNAPSHOT, JSON.stringify(gas, null, 2) + "\n");
      return;
    }
    const committed = JSON.parse(readFileSync(SNAPSHOT, "utf8")) as IdentityGas;
    for (const [k, v] of Object.entries(committed) as [keyof IdentityGas, number][]) {
      const now = gas[k];
      expect(Math.abs(now - v), `${k}: ${now} vs snapshot ${v} (run with UPDATE_GAS_SNAPSHOT=1 to refresh)`).to.be.at.most(
        Math.ceil(v * TOLERANCE),
      );
    }
  });
});
