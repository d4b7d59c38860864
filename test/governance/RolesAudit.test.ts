/**
 * The roles audit (scripts/ops.ts roles-audit): passes on the real deployment, fails on
 * mis-deployed copies and names every offending holding.
 */
import { expect } from "chai";
import { network } from "hardhat";
import DataAvailabilityModule from "../../deploy/modules/DataAvailability.js";
import MockPriceFeedModule from "../../deploy/modules/MockPriceFeed.js";
import RewardsModule from "../../deploy/modules/Rewards.js";
import { auditRoles, formatAudit } from "../../scripts/lib/audit.js";
import { parseDeployment, recordDeployment } from "../../scripts/lib/deployments.js";
import { deployProtocol, type ProtocolFixture } from "./fixture.js";

const connection = await network.create();
const { ethers, ignition, networkHelpers } = connection;
// The same in-process chain with a public network's chain id (Sepolia's): not a local chain.
const remote = await network.create({ override: { chainId: 11155111 } });

describe("Roles audit", function () {
  const deployment = (): Promise<ProtocolFixture> => deployProtocol(connection);
  const load = (): Promise<ProtocolFixture> => networkHelpers.loadFixture(deployment);

  it("passes after the full deployment: admin roles and ownerships held by the timelock only; the guardian reported as pause-only", async function () {
    const f = await load();
    const report = await auditRoles(ethers.provider, f.deployment);
    expect(report.ok).to.equal(true);
    const timelock = await f.timelock.getAddress();
    const admin = report.holdings.filter((h) => h.adminType);
    const byTimelock = admin.filter((h) => h.holder === timelock).map((h) => `${h.contract}.${h.role}`);
    expect(byTimelock.sort()).to.deep.equal(
      [
        "claimPaymaster.owner",
        "deviceRegistry.DEFAULT_ADMIN_ROLE",
        "deviceRegistry.MAKER_GOVERNOR_ROLE",
        "deviceRegistry.DEVICE_GUARDIAN_ROLE",
        "deviceRegistry.UPGRADER_ROLE",
        "dataAvailability.DEFAULT_ADMIN_ROLE",
        "dataAvailability.SEQUENCER_ADMIN_ROLE",
        "dataCredits.DEFAULT_ADMIN_ROLE",
        "rewardEmission.DEFAULT_ADMIN_ROLE",
        "rewardDistributor.DEFAULT_ADMIN_ROLE",
        "rewardDistributor.RULE_ADMIN_ROLE",
        "rewardDistributor.VERIFIER_ADMIN_ROLE",
        "rewardToken.DEFAULT_ADMIN_ROLE",
        "timelock.DEFAULT_ADMIN_ROLE",
      ].sort(),
    );
    // The only other admin-type holdings: the emission mints, the governor proposes/cancels.
    expect(
      admin
        .filter((h) => h.holder !== timelock)
        .map((h) => `${h.contract}.${h.role}:${h.holderName}`)
        .sort(),
    ).to.deep.equal(
      ["rewardToken.MINTER_ROLE:rewardEmission", "timelock.CANCELLER_ROLE:governor", "timelock.PROPOSER_ROLE:governor"].sort(),
    );
    // Pause-only: the timelock and the guardian of deploy/parameters/hardhat.json (an EOA here).
    expect(
      report.holdings.filter((h) => h.pauseOnly).map((h) => `${h.contract}.${h.role}:${h.holderName ?? h.kind}`),
    ).to.have.members(["rewardEmission.GUARDIAN_ROLE:timelock", "rewardEmission.GUARDIAN_ROLE:eoa"]);
    expect(report.guardians).to.deep.equal([f.guardian.address]);
    expect(report.holdings.filter((h) => h.holder === f.guardian.address).map((h) => `${h.contract}.${h.role}`)).to.deep.equal([
      "rewardEmission.GUARDIAN_ROLE",
    ]);
    expect(report.holdings.some((h) => h.holder === f.deployer.address)).to.equal(false);
    // Operational: the distributor mints epoch emissions.
    expect(report.holdings.find((h) => h.role === "DISTRIBUTOR_ROLE")).to.include({
      contract: "rewardEmission",
      holderName: "rewardDistributor",
      adminType: false,
    });
    const text = formatAudit(report);
    expect(text).to.match(/roles audit passed/);
    expect(text).to.match(new RegExp(`ok\\s+rewardEmission\\s+GUARDIAN_ROLE\\s+${f.guardian.address}\\s+eoa\\s+pause-only`));
    expect(text).to.contain(
      `guardian (pause only: cannot unpause, mint, upgrade, grant roles or move funds): ${f.guardian.address}`,
    );
    // Key provenance: the distributor's one verifier has development keys, allowed on this local chain.
    expect(report.localChain).to.equal(true);
    expect(report.verifiers.map((v) => [v.depth, v.slots, v.name, v.address, v.devKeys, v.violation])).to.deep.equal([
      [2, 4, "rewardVerifier", f.deployment.contracts.rewardVerifier.address, true, false],
    ]);
    expect(formatAudit(report)).to.match(/development keys allowed on local chain 31337/);
    expect(formatAudit(report)).to.match(/dev\s+verifier depth 2 \(4 slots\) rewardVerifier 0x[0-9a-fA-F]{40}: DEVELOPMENT keys/);
  });

  it("a guardian EOA holding any role besides the pause-only one fails; the same role name elsewhere is admin-type", async function () {
    const f = await load();
    const timelock = await f.timelock.getAddress();
    await networkHelpers.impersonateAccount(timelock);
    await networkHelpers.setBalance(timelock, 10n ** 18n);
    const asTimelock = await ethers.getSigner(timelock);
    // The guardian is also made unpauser-capable (admin) of the emission: a violation.
    await f.emission.connect(asTimelock).grantRole(ethers.ZeroHash, f.guardian.address);
    // GUARDIAN_ROLE's hash granted on DataCredits, where no pause-only role is known: admin-type.
    await f.credits.connect(asTimelock).grantRole(ethers.id("GUARDIAN_ROLE"), f.guardian.address);
    await networkHelpers.stopImpersonatingAccount(timelock);
    const report = await auditRoles(ethers.provider, f.deployment);
    expect(report.ok).to.equal(false);
    expect(report.violations.map((v) => `${v.contract}.${v.role}:${v.holder}`).sort()).to.deep.equal(
      [`dataCredits.GUARDIAN_ROLE:${f.guardian.address}`, `rewardEmission.DEFAULT_ADMIN_ROLE:${f.guardian.address}`].sort(),
    );
    // Its pause-only holding is still not a violation.
    expect(
      report.holdings.find(
        (h) => h.contract === "rewardEmission" && h.role === "GUARDIAN_ROLE" && h.holder === f.guardian.address,
      ),
    ).to.include({ pauseOnly: true, violation: false });
    expect(formatAudit(report)).to.match(/roles audit FAILED: 2 admin holding\(s\) by externally owned accounts/);
  });

  it("fails on layer modules deployed without the hand-over, naming each deployer-held role", async function () {
    await load();
    const [deployer] = await ethers.getSigners();
    const { priceFeed } = await ignition.deploy(MockPriceFeedModule);
    const rewards = await ignition.deploy(RewardsModule, {
      parameters: { Rewards: { genesisTime: 1_767_225_600n, priceFeed: await priceFeed.getAddress() } },
    });
    const directory = await ethers.deployContract("DeviceDirectoryMock");
    const da = await ignition.deploy(DataAvailabilityModule, {
      parameters: { DataAvailability: { deviceDirectory: await directory.getAddress() } },
    });
    const record = await recordDeployment(
      ethers.provider,
      { network: "hardhat", module: "layers" },
      { rewardToken: rewards.rewardToken, rewardEmission: rewards.rewardEmission, dataAvailability: da.dataAvailability },
    );
    const report = await auditRoles(ethers.provider, record);
    expect(report.ok).to.equal(false);
    expect(report.violations.map((v) => `${v.contract}.${v.role}:${v.holder}:${v.kind}`).sort()).to.deep.equal(
      [
        "dataAvailability.DEFAULT_ADMIN_ROLE",
        "dataAvailability.SEQUENCER_ADMIN_ROLE",
        "rewardEmission.DEFAULT_ADMIN_ROLE",
        "rewardToken.DEFAULT_ADMIN_ROLE",
      ].map((r) => `${r}:${deployer.address}:eoa`),
    );
    // The deployer's GUARDIAN_ROLE is pause-only: listed, not a violation.
    expect(report.guardians).to.deep.equal([deployer.address]);
    expect(formatAudit(report)).to.match(/roles audit FAILED: 4 admin holding\(s\) by externally owned accounts/);
  });

  it("fails on a protocol copy where an EOA was granted a role and is the pending paymaster owner", async function () {
    const f = await load();
    const eoa = ethers.Wallet.createRandom().address;
    const timelock = await f.timelock.getAddress();
    await networkHelpers.impersonateAccount(timelock);
    await networkHelpers.setBalance(timelock, 10n ** 18n);
    const asTimelock = await ethers.getSigner(timelock);
    await f.da.connect(asTimelock).grantRole(await f.da.SEQUENCER_ADMIN_ROLE(), eoa);
    await f.paymaster.connect(asTimelock).transferOwnership(eoa);
    // Revoked roles do not count: grant and revoke one more.
    await f.credits.connect(asTimelock).grantRole(ethers.ZeroHash, eoa);
    await f.credits.connect(asTimelock).revokeRole(ethers.ZeroHash, eoa);
    await networkHelpers.stopImpersonatingAccount(timelock);
    const report = await auditRoles(ethers.provider, f.deployment);
    expect(report.violations.map((v) => `${v.contract}.${v.role}:${v.holder}`).sort()).to.deep.equal([
      `claimPaymaster.pendingOwner:${eoa}`,
      `dataAvailability.SEQUENCER_ADMIN_ROLE:${eoa}`,
    ]);
    expect(formatAudit(report)).to.match(/FAIL\s+dataAvailability\s+SEQUENCER_ADMIN_ROLE/);
  });

  it("an EIP-7702-delegated EOA still counts as an EOA; operational roles may be held by EOAs", async function () {
    const f = await load();
    const [keeper] = [f.voters[2]];
    await networkHelpers.impersonateAccount(await f.timelock.getAddress());
    await networkHelpers.setBalance(await f.timelock.getAddress(), 10n ** 18n);
    const asTimelock = await ethers.getSigner(await f.timelock.getAddress());
    await f.credits.connect(asTimelock).grantRole(await f.credits.OPERATOR_ROLE(), keeper.address);
    await f.registry.connect(asTimelock).grantRole(await f.registry.MAKER_GOVERNOR_ROLE(), f.other.address);
    // A delegation designator (0xef0100 ‖ address) is what an EIP-7702 EOA's code looks like.
    await networkHelpers.setCode(f.other.address, "0xef0100" + (await f.governor.getAddress()).slice(2).toLowerCase());
    const report = await auditRoles(ethers.provider, f.deployment);
    expect(report.violations.map((v) => `${v.contract}.${v.role}:${v.holder}:${v.kind}`)).to.deep.equal([
      `deviceRegistry.MAKER_GOVERNOR_ROLE:${f.other.address}:eoa`,
    ]);
    expect(report.holdings.find((h) => h.role === "OPERATOR_ROLE")).to.include({ holder: keeper.address, violation: false });
  });

  describe("key provenance on a chain that is not a local development chain (chain id 11155111)", function () {
    const remoteDeployment = (): Promise<ProtocolFixture> => deployProtocol(remote);
    const loadRemote = (): Promise<ProtocolFixture> => remote.networkHelpers.loadFixture(remoteDeployment);

    const asTimelock = async (f: ProtocolFixture) => {
      const timelock = await f.timelock.getAddress();
      await remote.networkHelpers.impersonateAccount(timelock);
      await remote.networkHelpers.setBalance(timelock, 10n ** 18n);
      return remote.ethers.getSigner(timelock);
    };

    it("attack: the protocol deployed with the development verifier fails the audit, naming the verifier", async function () {
      const f = await loadRemote();
      expect((await remote.ethers.provider.getNetwork()).chainId).to.equal(11155111n);
      const report = await auditRoles(remote.ethers.provider, f.deployment);
      expect(report.violations).to.deep.equal([]); // roles are fine; the keys are not
      expect(report.localChain).to.equal(false);
      expect(report.ok).to.equal(false);
      expect(report.verifiers).to.have.length(1);
      expect(report.verifiers[0]).to.include({ depth: 2, name: "rewardVerifier", devKeys: true, violation: true });
      expect(report.verifiers[0].reason).to.equal(
        `rewardVerifier (${f.deployment.contracts.rewardVerifier.address}) has development keys ` +
          `(${report.verifiers[0].provenance}): anyone can forge its proofs`,
      );
      expect(report.verifiers[0].provenance).to.match(/^development \(insecure\): public development Powers of Tau seed/);
      const text = formatAudit(report);
      expect(text).to.match(/FAIL\s+verifier depth 2 \(4 slots\) rewardVerifier/);
      expect(text).to.match(
        /roles audit FAILED: 1 verifier\(s\) with development or undeclared keys on chain 11155111 \(not a local chain\): run the phase-2 ceremony/,
      );
    });

    it("passes once governance sets a verifier declaring ceremony keys; fails on one that declares nothing", async function () {
      const f = await loadRemote();
      const timelock = await asTimelock(f);
      const keyId = remote.ethers.id("transcript");
      const ceremony = await remote.ethers.deployContract("VerifierProvenanceMock", [
        false,
        keyId,
        "phase-2 ceremony: 3 contribution(s)",
      ]);
      await f.distributor.connect(timelock).setVerifier(2, await ceremony.getAddress(), 4);
      const good = await auditRoles(remote.ethers.provider, f.deployment);
      expect(good.ok).to.equal(true);
      expect(good.verifiers.map((v) => [v.depth, v.address, v.devKeys, v.keyId, v.violation])).to.deep.equal([
        [2, await ceremony.getAddress(), false, keyId, false],
      ]);
      expect(formatAudit(good)).to.match(
        /ok\s+verifier depth 2 \(4 slots\) verifier of depth 2 0x[0-9a-fA-F]{40}: ceremony keys/,
      );

      // A verifier without provenance functions (an old generated verifier, or anything else).
      const silent = await remote.ethers.deployContract("DeviceDirectoryMock");
      await f.distributor.connect(timelock).setVerifier(4, await silent.getAddress(), 16);
      const bad = await auditRoles(remote.ethers.provider, f.deployment);
      expect(bad.ok).to.equal(false);
      expect(bad.verifiers.filter((v) => v.violation).map((v) => [v.depth, v.reason])).to.deep.equal([
        [
          4,
          `verifier of depth 4 (${await silent.getAddress()}) does not declare its key provenance (no devKeys()): its keys may be development keys`,
        ],
      ]);
      // And a verifier that declares development keys fails too, whatever else it says.
      const devMock = await remote.ethers.deployContract("VerifierProvenanceMock", [
        true,
        keyId,
        "phase-2 ceremony over a dev ptau",
      ]);
      await f.distributor.connect(timelock).setVerifier(4, await devMock.getAddress(), 16);
      const dev = await auditRoles(remote.ethers.provider, f.deployment);
      expect(dev.verifiers.filter((v) => v.violation).map((v) => v.depth)).to.deep.equal([4]);
    });

    it("the same deployment on a local chain passes: development keys are for local chains", async function () {
      const f = await load();
      const report = await auditRoles(ethers.provider, f.deployment);
      expect([report.ok, report.localChain, report.verifiers[0].devKeys]).to.deep.equal([true, true, true]);
    });
  });

  it("the deployment record validates its fields and names the bad one", function () {
    const good = { version: 1, chainId: 31337, network: "localhost", module: "DevProtocol", contracts: {} };
    expect(parseDeployment(good).chainId).to.equal(31337);
    expect(() => parseDeployment({ ...good, version: 2 }, "x.json")).to.throw("x.json: version must be 1 (got 2)");
    expect(() => parseDeployment({ ...good, contracts: { governor: { address: "0x12", startBlock: 1 } } }, "x.json")).to.throw(
      "x.json: contracts.governor.address is not an address (0x12)",
    );
    expect(() =>
      parseDeployment({ ...good, contracts: { governor: { address: ethers.ZeroAddress, startBlock: -1 } } }, "x.json"),
    ).to.throw("x.json: contracts.governor.startBlock must be a block number");
  });
});
