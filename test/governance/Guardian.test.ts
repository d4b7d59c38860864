/**
 * Issue 12, finding 2: the pause-only guardian. Deployed from the `guardian` parameter
 * (deploy/parameters/hardhat.json names a development account), it holds RewardEmission's
 * GUARDIAN_ROLE and nothing else: it pauses minting and sponsored claims at once, and every other
 * power — unpause, mint, upgrade, grant a role, move funds — is refused to it. Governance revokes it.
 */
import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { network } from "hardhat";
import DevProtocolModule from "../../deploy/modules/DevProtocol.js";
import { GUARDIAN_ROLE } from "../../deploy/protocol.js";
import { auditRoles, formatAudit } from "../../scripts/lib/audit.js";
import { recordDeployment } from "../../scripts/lib/deployments.js";
import { deployProtocol, pass, PARAMETERS_FILE, proposalCalls, type ProtocolFixture } from "./fixture.js";

const connection = await network.create();
const { ethers, ignition, networkHelpers } = connection;

describe("Guardian — pause-only, granted at deployment, revocable by governance", function () {
  const deployment = (): Promise<ProtocolFixture> => deployProtocol(connection);
  const load = (): Promise<ProtocolFixture> => networkHelpers.loadFixture(deployment);

  /** Everything the guardian might try to change, read back to show nothing moved. */
  async function snapshot(f: ProtocolFixture) {
    const g = f.guardian.address;
    return {
      supply: await f.token.totalSupply(),
      guardianBalance: await f.token.balanceOf(g),
      deposit: await f.paymaster.getDeposit(),
      budgets: [await f.paymaster.epochBudget(), await f.paymaster.accountBudget()],
      owner: await f.paymaster.owner(),
      emissionImpl: await ethers.provider.getStorage(
        await f.emission.getAddress(),
        "0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc",
      ),
      roles: [
        await f.emission.hasRole(ethers.ZeroHash, g),
        await f.emission.hasRole(await f.emission.DISTRIBUTOR_ROLE(), g),
        await f.token.hasRole(ethers.id("MINTER_ROLE"), g),
        await f.emission.hasRole(GUARDIAN_ROLE, f.other.address),
      ],
    };
  }

  it("the deployment grants the parameter's guardian GUARDIAN_ROLE on the emission and nothing else", async function () {
    const f = await load();
    const g = f.guardian.address;
    expect(g).to.equal(JSON.parse(readFileSync(PARAMETERS_FILE, "utf8")).DevProtocol.guardian);
    expect(await f.emission.hasRole(GUARDIAN_ROLE, g)).to.equal(true);
    expect(await f.emission.hasRole(GUARDIAN_ROLE, f.deployer.address)).to.equal(false);
    const report = await auditRoles(ethers.provider, f.deployment);
    expect(report.holdings.filter((h) => h.holder === g).map((h) => `${h.contract}.${h.role}`)).to.deep.equal([
      "rewardEmission.GUARDIAN_ROLE",
    ]);
    expect(await f.paymaster.guardians()).to.equal(await f.emission.getAddress());
  });

  it("the guardian pauses minting and sponsored claims at once (no proposal, no timelock)", async function () {
    const f = await load();
    await expect(f.emission.connect(f.guardian).pause()).to.emit(f.emission, "Paused").withArgs(f.guardian.address);
    await expect(f.paymaster.connect(f.guardian).pause()).to.emit(f.paymaster, "SponsorshipPaused").withArgs(f.guardian.address);
    expect(await f.emission.paused()).to.equal(true);
    expect(await f.paymaster.paused()).to.equal(true);
    // Minting is stopped: even the distributor (impersonated here) cannot mint an ended epoch.
    const distributor = await f.distributor.getAddress();
    await networkHelpers.impersonateAccount(distributor);
    await networkHelpers.setBalance(distributor, 10n ** 18n);
    await expect(f.emission.connect(await ethers.getSigner(distributor)).mintEpoch(0, distributor)).to.be.revertedWithCustomError(
      f.emission,
      "EnforcedPause",
    );
    await networkHelpers.stopImpersonatingAccount(distributor);
    // Pausing twice is refused by name.
    await expect(f.paymaster.connect(f.guardian).pause()).to.be.revertedWithCustomError(f.paymaster, "PaymasterPaused");
  });

  it("a stranger cannot pause either contract", async function () {
    const f = await load();
    await expect(f.emission.connect(f.other).pause())
      .to.be.revertedWithCustomError(f.emission, "AccessControlUnauthorizedAccount")
      .withArgs(f.other.address, ethers.ZeroHash);
    await expect(f.paymaster.connect(f.other).pause())
      .to.be.revertedWithCustomError(f.paymaster, "PaymasterNotGuardian")
      .withArgs(f.other.address);
  });

  it("the guardian can never unpause, mint, upgrade, grant roles or move funds", async function () {
    const f = await load();
    const g = f.guardian;
    await f.emission.connect(g).pause();
    await f.paymaster.connect(g).pause();
    // The paymaster's EntryPoint deposit (and the DA's slashed bonds) are funds the guardian must not reach.
    await f.paymaster.connect(f.other).deposit({ value: 10n ** 17n });
    const before = await snapshot(f);
    const unauthorized = (c: { interface: unknown }, role: string) => [c, "AccessControlUnauthorizedAccount", role] as const;
    const cases: [string, () => Promise<unknown>, readonly [unknown, string, string | undefined]][] = [
      // unpause
      ["emission.unpause", () => f.emission.connect(g).unpause(), unauthorized(f.emission, ethers.ZeroHash)],
      ["paymaster.unpause", () => f.paymaster.connect(g).unpause(), [f.paymaster, "OwnableUnauthorizedAccount", undefined]],
      // mint
      ["token.mint", () => f.token.connect(g).mint(g.address, 1n), unauthorized(f.token, ethers.id("MINTER_ROLE"))],
      [
        "emission.mintEpoch",
        () => f.emission.connect(g).mintEpoch(0, g.address),
        unauthorized(f.emission, ethers.id("DISTRIBUTOR_ROLE")),
      ],
      [
        "emission.setMaxMintPerEpoch",
        () => f.emission.connect(g).setMaxMintPerEpoch(1n),
        unauthorized(f.emission, ethers.ZeroHash),
      ],
      // upgrade
      [
        "emission.upgradeToAndCall",
        () => f.emission.connect(g).upgradeToAndCall(f.deployment.contracts.rewardEmissionImplementation.address, "0x"),
        unauthorized(f.emission, ethers.ZeroHash),
      ],
      [
        "credits.upgradeToAndCall",
        () => f.credits.connect(g).upgradeToAndCall(f.deployment.contracts.dataCreditsImplementation.address, "0x"),
        unauthorized(f.credits, ethers.ZeroHash),
      ],
      [
        "da.upgradeToAndCall",
        () => f.da.connect(g).upgradeToAndCall(f.deployment.contracts.dataAvailabilityImplementation.address, "0x"),
        unauthorized(f.da, ethers.ZeroHash),
      ],
      [
        "registry.upgradeToAndCall",
        () => f.registry.connect(g).upgradeToAndCall(f.deployment.contracts.deviceRegistryImplementation.address, "0x"),
        unauthorized(f.registry, ethers.id("UPGRADER_ROLE")),
      ],
      // grant roles (to another guardian, to itself, on the token, on the timelock)
      [
        "emission.grantRole(GUARDIAN_ROLE)",
        () => f.emission.connect(g).grantRole(GUARDIAN_ROLE, f.other.address),
        unauthorized(f.emission, ethers.ZeroHash),
      ],
      [
        "emission.grantRole(DISTRIBUTOR_ROLE)",
        () => f.emission.connect(g).grantRole(ethers.id("DISTRIBUTOR_ROLE"), g.address),
        unauthorized(f.emission, ethers.ZeroHash),
      ],
      [
        "token.grantRole(MINTER_ROLE)",
        () => f.token.connect(g).grantRole(ethers.id("MINTER_ROLE"), g.address),
        unauthorized(f.token, ethers.ZeroHash),
      ],
      [
        "timelock.schedule",
        () => f.timelock.connect(g).schedule(g.address, 0, "0x", ethers.ZeroHash, ethers.ZeroHash, 60n),
        unauthorized(f.timelock, ethers.id("PROPOSER_ROLE")),
      ],
      // move funds
      [
        "paymaster.withdrawTo",
        () => f.paymaster.connect(g).withdrawTo(g.address, 1n),
        [f.paymaster, "OwnableUnauthorizedAccount", undefined],
      ],
      [
        "paymaster.unlockStake",
        () => f.paymaster.connect(g).unlockStake(),
        [f.paymaster, "OwnableUnauthorizedAccount", undefined],
      ],
      [
        "paymaster.withdrawStake",
        () => f.paymaster.connect(g).withdrawStake(g.address),
        [f.paymaster, "OwnableUnauthorizedAccount", undefined],
      ],
      [
        "paymaster.setBudgets",
        () => f.paymaster.connect(g).setBudgets(10n ** 18n, 10n ** 18n),
        [f.paymaster, "OwnableUnauthorizedAccount", undefined],
      ],
      [
        "paymaster.transferOwnership",
        () => f.paymaster.connect(g).transferOwnership(g.address),
        [f.paymaster, "OwnableUnauthorizedAccount", undefined],
      ],
      ["da.withdrawSlashedFunds", () => f.da.connect(g).withdrawSlashedFunds(g.address, 0n), unauthorized(f.da, ethers.ZeroHash)],
    ];
    for (const [what, call, [contract, error, role]] of cases) {
      const assertion = expect(call(), what).to.be.revertedWithCustomError(contract as never, error);
      await (role === undefined ? assertion.withArgs(g.address) : assertion.withArgs(g.address, role));
    }
    expect(await snapshot(f)).to.deep.equal(before);
    expect(await f.emission.paused()).to.equal(true);
    expect(await f.paymaster.paused()).to.equal(true);
  });

  it("governance revokes the guardian and unpauses by proposal; the revoked guardian can no longer pause", async function () {
    const f = await load();
    const g = f.guardian;
    await f.emission.connect(g).pause();
    await f.paymaster.connect(g).pause();
    const { calls, description } = proposalCalls(f, {
      title: "Retire the guardian",
      description: "The guardian key is retired; resume minting and sponsored claims.",
      actions: [
        { action: "revoke role", contract: "rewardEmission", role: "GUARDIAN_ROLE", account: g.address },
        { action: "unpause emission" },
        { action: "unpause sponsored claims" },
      ],
    });
    await pass(f, calls, description);
    expect(await f.emission.hasRole(GUARDIAN_ROLE, g.address)).to.equal(false);
    expect(await f.emission.paused()).to.equal(false);
    expect(await f.paymaster.paused()).to.equal(false);
    await expect(f.emission.connect(g).pause())
      .to.be.revertedWithCustomError(f.emission, "AccessControlUnauthorizedAccount")
      .withArgs(g.address, ethers.ZeroHash);
    await expect(f.paymaster.connect(g).pause())
      .to.be.revertedWithCustomError(f.paymaster, "PaymasterNotGuardian")
      .withArgs(g.address);
    const report = await auditRoles(ethers.provider, f.deployment);
    expect(report.guardians).to.deep.equal([]);
    expect(formatAudit(report)).to.contain("guardian: none (only governance can pause)");
  });

  it("without a guardian parameter, nobody but the timelock holds GUARDIAN_ROLE (the deployer's is renounced)", async function () {
    await load();
    const dir = mkdtempSync(path.join(tmpdir(), "depin-guardian-"));
    try {
      const params = JSON.parse(readFileSync(PARAMETERS_FILE, "utf8")) as { DevProtocol: Record<string, unknown> };
      delete params.DevProtocol.guardian;
      const file = path.join(dir, "no-guardian.json");
      writeFileSync(file, JSON.stringify(params));
      const result = await ignition.deploy(DevProtocolModule, { parameters: file });
      const record = await recordDeployment(ethers.provider, { network: "hardhat", module: "DevProtocol" }, result);
      const [deployer] = await ethers.getSigners();
      const emission = await ethers.getContractAt("RewardEmission", record.contracts.rewardEmission.address);
      expect(await emission.hasRole(GUARDIAN_ROLE, deployer.address)).to.equal(false);
      const report = await auditRoles(ethers.provider, record);
      expect(report.ok).to.equal(true);
      expect(report.guardians).to.deep.equal([]);
      expect(report.holdings.filter((h) => h.role === "GUARDIAN_ROLE").map((h) => h.holderName)).to.deep.equal(["timelock"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
