import { expect } from "chai";
import { network } from "hardhat";
import { auditRoles } from "../../scripts/lib/audit.js";
import { REWARD_VERIFIER } from "../../deploy/protocol.js";
import { deployProtocol, GENESIS_SUPPLY, TIMELOCK_DELAY, type ProtocolFixture } from "./fixture.js";

const connection = await network.create();
const { networkHelpers } = connection;

describe("Protocol deployment — hand-over to the timelock", function () {
  const deployment = (): Promise<ProtocolFixture> => deployProtocol(connection);
  const load = (): Promise<ProtocolFixture> => networkHelpers.loadFixture(deployment);

  it("roles audit passes: every admin role and ownership is held by the timelock, none by the deployer", async function () {
    const f = await load();
    const report = await auditRoles(connection.ethers.provider, f.deployment);
    expect(report.violations).to.deep.equal([]);
    expect(report.ok).to.equal(true);
    expect(await f.timelock.getMinDelay()).to.equal(TIMELOCK_DELAY);
    expect(await f.paymaster.owner()).to.equal(await f.timelock.getAddress());
    expect(await f.token.totalSupply()).to.equal(GENESIS_SUPPLY);
    // The composition is wired: the paymaster sponsors the registry's device accounts only.
    expect(await f.paymaster.deviceDirectory()).to.equal(await f.registry.getAddress());
    expect(await f.registry.accountFactory()).to.equal(f.deployment.contracts.deviceAccountFactory.address);
    expect(await f.paymaster.claimTarget()).to.equal(await f.distributor.getAddress());
    expect(await f.paymaster.claimSelector()).to.equal(f.distributor.interface.getFunction("claim").selector);
    const verifier = await f.distributor.verifierFor(REWARD_VERIFIER.depth);
    expect([verifier.verifier, verifier.slots]).to.deep.equal([
      f.deployment.contracts.rewardVerifier.address,
      REWARD_VERIFIER.slots,
    ]);
    expect(await f.distributor.batches()).to.equal(await f.da.getAddress());
    // The DA's challenge window is bounded by the distributor's settlement delay from deployment on.
    expect(await f.da.batchConsumer()).to.equal(await f.distributor.getAddress());
    expect(await f.da.challengeWindow()).to.be.lessThan(await f.distributor.settlementDelay());
    expect(await f.distributor.directory()).to.equal(await f.registry.getAddress());
  });
});
