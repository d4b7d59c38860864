/**
 * DEPIN_DEPLOYMENT names one deployment record for every CLI (keepers, identity, ops, dao, owner).
 * A record of another chain, or a missing file, is refused by name before anything is sent.
 */
import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DeploymentError, deploymentFor } from "../../scripts/lib/deployments.js";

describe("deployment record from DEPIN_DEPLOYMENT (scripts/lib/deployments.ts)", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "deployment-record-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const record = (chainId: number) => ({
    version: 1,
    chainId,
    network: "localhost",
    module: "DevProtocol",
    contracts: { governor: { address: "0x5FbDB2315678afecb367f032d93F642f64180aa3", startBlock: 3 } },
  });

  it("reads the named file, else <dir>/<chainId>.json", () => {
    const file = path.join(dir, "mine.json");
    writeFileSync(file, JSON.stringify(record(31337)));
    expect(deploymentFor(31337n, "nowhere", { DEPIN_DEPLOYMENT: file }).contracts.governor.startBlock).to.equal(3);
    writeFileSync(path.join(dir, "31337.json"), JSON.stringify(record(31337)));
    expect(deploymentFor(31337n, dir, {}).chainId).to.equal(31337);
  });

  it("refuses a record of another chain, naming both, and a missing file", () => {
    const file = path.join(dir, "sepolia.json");
    writeFileSync(file, JSON.stringify(record(11155111)));
    expect(() => deploymentFor(31337n, dir, { DEPIN_DEPLOYMENT: file }))
      .to.throw(DeploymentError)
      .with.property("message")
      .that.matches(/deployment on chain 11155111, but the RPC serves chain 31337/);
    expect(() => deploymentFor(31337n, dir, { DEPIN_DEPLOYMENT: path.join(dir, "none.json") })).to.throw(/no such file/);
  });
});
