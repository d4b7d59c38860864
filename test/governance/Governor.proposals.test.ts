/**
 * End-to-end governance: real proposals from human-readable action files, voted, queued through
 * the timelock and executed; each checks the effect and that the same call from any other
 * account (the deployer, a voter, a stranger) reverts.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";
import hre, { network } from "hardhat";
import { describeCalls } from "../../scripts/lib/actions.js";
import { prepareUpgrade } from "../../scripts/lib/upgrade.js";
import type { DataAvailabilityV2Mock, DeviceRegistryV2Mock, RewardRule16Verifier } from "../../types/typechain/index.js";
import { RULE } from "../rewards/distributor.fixture.js";
import { proveBatch } from "../rewards/prove.js";
import { batchOf } from "../rewards/readings.js";
import { deployProtocol, pass, proposalCalls, TOKEN, type ProtocolFixture } from "./fixture.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const IMPLEMENTATION_SLOT = "0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc";
const ADMIN = ethers.ZeroHash;

describe("Governance — end-to-end proposals", function () {
  const deployment = (): Promise<ProtocolFixture> => deployProtocol(connection);
  const load = (): Promise<ProtocolFixture> => networkHelpers.loadFixture(deployment);
  const others = (f: ProtocolFixture): HardhatEthersSigner[] => [f.deployer, f.voters[0], f.other];

  it("set retention window + add sequencer (DA): effect, and the direct call reverts for everyone else", async function () {
    const f = await load();
    const sequencer = ethers.Wallet.createRandom().address;
    const { calls, description } = proposalCalls(f, {
      title: "Shorter DA retention, one more sequencer",
      description: "Payloads are exported to long-term storage after 3 days.",
      actions: [
        { action: "set retention window", seconds: 3 * 86_400 },
        { action: "add sequencer", account: sequencer },
      ],
    });
    expect(describeCalls(calls, f.deployment)).to.deep.equal([
      "dataAvailability.setRetentionWindow(259200)",
      `dataAvailability.addSequencer(${sequencer})`,
    ]);
    await pass(f, calls, description);
    expect(await f.da.retentionWindow()).to.equal(3n * 86_400n);
    expect((await f.da.sequencer(sequencer)).active).to.equal(true);
    for (const s of others(f)) {
      await expect(f.da.connect(s).setRetentionWindow(86_400n))
        .to.be.revertedWithCustomError(f.da, "AccessControlUnauthorizedAccount")
        .withArgs(s.address, ADMIN);
      await expect(f.da.connect(s).removeSequencer(sequencer))
        .to.be.revertedWithCustomError(f.da, "AccessControlUnauthorizedAccount")
        .withArgs(s.address, await f.da.SEQUENCER_ADMIN_ROLE());
    }
  });

  it("emission curve segment and mint breaker", async function () {
    const f = await load();
    const start = (await f.emission.currentEpoch()) + 10n;
    const { calls, description } = proposalCalls(f, {
      title: "Halve emission from the next quarter",
      actions: [
        {
          action: "add emission segment",
          startEpoch: Number(start),
          initialEmission: (50_000n * TOKEN).toString(),
          decayFactorBps: 9_800,
          decayPeriod: 30,
        },
        { action: "set mint breaker", amount: (200_000n * TOKEN).toString() },
      ],
    });
    await pass(f, calls, description);
    expect(await f.emission.emissionFor(start)).to.equal(50_000n * TOKEN);
    expect(await f.emission.maxMintPerEpoch()).to.equal(200_000n * TOKEN);
    for (const s of others(f)) {
      await expect(f.emission.connect(s).setMaxMintPerEpoch(1n))
        .to.be.revertedWithCustomError(f.emission, "AccessControlUnauthorizedAccount")
        .withArgs(s.address, ADMIN);
      await expect(f.emission.connect(s).addSegment(start + 1n, 1n, 10_000, 1))
        .to.be.revertedWithCustomError(f.emission, "AccessControlUnauthorizedAccount")
        .withArgs(s.address, ADMIN);
    }
  });

  it("paymaster budget (Ownable2Step, owned by the timelock) and price feed", async function () {
    const f = await load();
    const feed = await ethers.deployContract("MockAggregator", [8, "DPR / USD (new)", 7_000_000n]);
    const { calls, description } = proposalCalls(f, {
      title: "Paymaster budget and new price feed",
      actions: [
        { action: "set paymaster budget", epochBudget: "2000000000000000000", accountBudget: "20000000000000000" },
        { action: "set price feed", feed: await feed.getAddress() },
      ],
    });
    await pass(f, calls, description);
    expect(await f.paymaster.epochBudget()).to.equal(2n * 10n ** 18n);
    expect(await f.paymaster.accountBudget()).to.equal(2n * 10n ** 16n);
    expect(await f.credits.priceFeed()).to.equal(await feed.getAddress());
    for (const s of others(f)) {
      await expect(f.paymaster.connect(s).setBudgets(1n, 1n))
        .to.be.revertedWithCustomError(f.paymaster, "OwnableUnauthorizedAccount")
        .withArgs(s.address);
      await expect(f.credits.connect(s).setPriceFeed(s.address))
        .to.be.revertedWithCustomError(f.credits, "AccessControlUnauthorizedAccount")
        .withArgs(s.address, ADMIN);
    }
  });

  it("UUPS upgrade of DataAvailability: layout validated, proposed, voted, queued, executed; state kept", async function () {
    const f = await load();
    const proxy = await f.da.getAddress();
    const retention = await f.da.retentionWindow();
    const before = await ethers.provider.getStorage(proxy, IMPLEMENTATION_SLOT);
    const prepared = await prepareUpgrade(hre, connection, {
      proxyName: "dataAvailability",
      fromContract: "DataAvailability",
      toContract: "DataAvailabilityV2Mock",
    });
    // The implementation is deployed but nothing changes until the timelock executes.
    expect(await ethers.provider.getStorage(proxy, IMPLEMENTATION_SLOT)).to.equal(before);
    for (const s of others(f)) {
      await expect(f.da.connect(s).upgradeToAndCall(prepared.implementation, "0x"))
        .to.be.revertedWithCustomError(f.da, "AccessControlUnauthorizedAccount")
        .withArgs(s.address, ADMIN);
    }
    const { calls, description } = proposalCalls(f, { title: "DA v2", actions: [prepared.action] });
    expect(describeCalls(calls, f.deployment)).to.deep.equal([
      `dataAvailability.upgradeToAndCall(${prepared.implementation}, 0x)`,
    ]);
    await pass(f, calls, description);
    const v2 = (await ethers.getContractAt("DataAvailabilityV2Mock", proxy)) as unknown as DataAvailabilityV2Mock;
    expect(await v2.version()).to.equal(2n);
    expect(ethers.getAddress("0x" + (await ethers.provider.getStorage(proxy, IMPLEMENTATION_SLOT)).slice(26))).to.equal(
      prepared.implementation,
    );
    expect(await v2.retentionWindow()).to.equal(retention);
    expect(await v2.hasRole(ADMIN, await f.timelock.getAddress())).to.equal(true);
  });

  it("approve maker (identity): the maker can publish key roots; nobody else can approve one", async function () {
    const f = await load();
    const maker = f.voters[2];
    const { calls, description } = proposalCalls(f, {
      title: "Approve Acme Sensors",
      description: "Audited secure-element provisioning line.",
      actions: [{ action: "approve maker", maker: maker.address, name: "Acme Sensors" }],
    });
    expect(describeCalls(calls, f.deployment)).to.deep.equal([`deviceRegistry.approveMaker(${maker.address}, Acme Sensors)`]);
    await expect(f.registry.connect(maker).publishMakerRoot(ethers.id("keys"), 10n, "ipfs://keys"))
      .to.be.revertedWithCustomError(f.registry, "DeviceRegistryMakerNotApproved")
      .withArgs(maker.address);
    await pass(f, calls, description);
    expect((await f.registry.makerInfo(maker.address)).name).to.equal("Acme Sensors");
    await expect(f.registry.connect(maker).publishMakerRoot(ethers.id("keys"), 10n, "ipfs://keys")).to.emit(
      f.registry,
      "MakerRootPublished",
    );
    const makerRole = await f.registry.MAKER_GOVERNOR_ROLE();
    for (const s of others(f)) {
      await expect(f.registry.connect(s).approveMaker(s.address, "Mallory Devices"))
        .to.be.revertedWithCustomError(f.registry, "AccessControlUnauthorizedAccount")
        .withArgs(s.address, makerRole);
      await expect(f.registry.connect(s).revokeMaker(maker.address))
        .to.be.revertedWithCustomError(f.registry, "AccessControlUnauthorizedAccount")
        .withArgs(s.address, makerRole);
    }
  });

  it("UUPS upgrade of the device registry (linked P256Verifier): validated, voted, executed; devices' state kept", async function () {
    const f = await load();
    const proxy = await f.registry.getAddress();
    const factoryBefore = await f.registry.accountFactory();
    const prepared = await prepareUpgrade(hre, connection, {
      proxyName: "deviceRegistry",
      fromContract: "DeviceRegistry",
      toContract: "DeviceRegistryV2Mock",
      libraries: { P256Verifier: f.deployment.contracts.p256Verifier.address },
    });
    const upgrader = await f.registry.UPGRADER_ROLE();
    for (const s of others(f)) {
      await expect(f.registry.connect(s).upgradeToAndCall(prepared.implementation, "0x"))
        .to.be.revertedWithCustomError(f.registry, "AccessControlUnauthorizedAccount")
        .withArgs(s.address, upgrader);
    }
    const { calls, description } = proposalCalls(f, { title: "Registry v2", actions: [prepared.action] });
    await pass(f, calls, description);
    const v2 = (await ethers.getContractAt("DeviceRegistryV2Mock", proxy)) as unknown as DeviceRegistryV2Mock;
    expect(await v2.version()).to.equal(2n);
    expect(ethers.getAddress("0x" + (await ethers.provider.getStorage(proxy, IMPLEMENTATION_SLOT)).slice(26))).to.equal(
      prepared.implementation,
    );
    expect(await v2.accountFactory()).to.equal(factoryBefore);
    expect(await v2.hasRole(upgrader, await f.timelock.getAddress())).to.equal(true);
  });

  it("set reward range (rule version from a future epoch); nobody else can schedule a rule", async function () {
    const f = await load();
    const from = (await f.emission.currentEpoch()) + 2n;
    const versions = await f.distributor.ruleVersionCount();
    const { calls, description } = proposalCalls(f, {
      title: "Wider reward range",
      description: "Sensors of the new batch read up to 250.",
      actions: [{ action: "set reward range", fromEpoch: Number(from), minValue: 90, maxValue: 250, capPerBatch: 5 }],
    });
    expect(describeCalls(calls, f.deployment)).to.deep.equal([`rewardDistributor.scheduleRule(${from}, 90,250,5)`]);
    await pass(f, calls, description);
    expect(await f.distributor.ruleVersionCount()).to.equal(versions + 1n);
    const v = await f.distributor.ruleVersion(versions);
    expect([v.fromEpoch, v.params.minValue, v.params.maxValue, v.params.capPerBatch]).to.deep.equal([from, 90n, 250n, 5n]);
    expect(await f.distributor.ruleVersionFor(from)).to.equal(versions);
    expect(await f.distributor.ruleVersionFor(from - 1n)).to.equal(versions - 1n);
    const ruleAdmin = await f.distributor.RULE_ADMIN_ROLE();
    for (const s of others(f)) {
      await expect(f.distributor.connect(s).scheduleRule(from + 1n, { minValue: 0, maxValue: 1, capPerBatch: 1 }))
        .to.be.revertedWithCustomError(f.distributor, "AccessControlUnauthorizedAccount")
        .withArgs(s.address, ruleAdmin);
    }
  });

  it("replace verifier: depth 2 (16 readings) points at a newly deployed generated verifier that accepts real proofs; nobody else can set one", async function () {
    const f = await load();
    const next = (await ethers.deployContract("RewardRule16Verifier")) as unknown as RewardRule16Verifier;
    // A real Groth16 proof of the reward rule (reward_rule_16 keys from the circuit pipeline).
    const epoch = 10_000n;
    const proven = await proveBatch(
      batchOf(epoch, [
        { deviceId: 11n, value: 150n, offset: 0n },
        { deviceId: 22n, value: 250n, offset: 1n },
      ]),
      epoch,
      RULE,
    );
    const signals = proven.job.publicSignals as [bigint, bigint, bigint, bigint, bigint];
    expect(await next.verifyProof(proven.proof.a, proven.proof.b, proven.proof.c, signals)).to.equal(true);
    const forged: [bigint, bigint, bigint, bigint, bigint] = [...signals];
    forged[3] += 1n; // a tampered device word (id/points of the first slots)
    expect(await next.verifyProof(proven.proof.a, proven.proof.b, proven.proof.c, forged)).to.equal(false);
    const before = await f.distributor.verifierFor(2);
    const { calls, description } = proposalCalls(f, {
      title: "New reward verifier",
      actions: [{ action: "replace verifier", depth: 2, verifier: await next.getAddress(), slots: 4 }],
    });
    await pass(f, calls, description);
    const after = await f.distributor.verifierFor(2);
    expect(after.verifier).to.equal(await next.getAddress());
    expect(after.verifier).to.not.equal(before.verifier);
    expect([after.slots, after.selector]).to.deep.equal([4n, before.selector]);
    const verifierAdmin = await f.distributor.VERIFIER_ADMIN_ROLE();
    for (const s of others(f)) {
      await expect(f.distributor.connect(s).setVerifier(2, before.verifier, 4))
        .to.be.revertedWithCustomError(f.distributor, "AccessControlUnauthorizedAccount")
        .withArgs(s.address, verifierAdmin);
    }
  });

  it("replace verifier: a new circuit instance (reward_rule_256: 256 readings, 16 slots) is enabled at depth 4 (4-ary levels)", async function () {
    const f = await load();
    // The generated verifier of the large instance (contracts/verifiers/RewardRule256Verifier.sol).
    const next = await ethers.deployContract("RewardRule256Verifier");
    const before = await f.distributor.verifierFor(4);
    const { calls, description } = proposalCalls(f, {
      title: "Enable 256-reading batches",
      actions: [{ action: "replace verifier", depth: 4, verifier: await next.getAddress(), slots: 16 }],
    });
    await pass(f, calls, description);
    const after = await f.distributor.verifierFor(4);
    expect(after.verifier).to.equal(await next.getAddress());
    expect(after.verifier).to.not.equal(before.verifier);
    expect(after.slots).to.equal(16n);
    const verifierAdmin = await f.distributor.VERIFIER_ADMIN_ROLE();
    for (const s of others(f)) {
      await expect(f.distributor.connect(s).setVerifier(4, await next.getAddress(), 16))
        .to.be.revertedWithCustomError(f.distributor, "AccessControlUnauthorizedAccount")
        .withArgs(s.address, verifierAdmin);
    }
  });

  it("an unsafe implementation is refused before anything is deployed", async function () {
    await load();
    const blockBefore = await ethers.provider.getBlockNumber();
    let error: unknown;
    try {
      await prepareUpgrade(hre, connection, {
        proxyName: "dataAvailability",
        fromContract: "DataAvailability",
        toContract: "DataAvailabilityUnsafeMock",
      });
    } catch (e) {
      error = e;
    }
    expect(String(error)).to.match(/DataAvailabilityUnsafeMock[\s\S]*(state variable assignment|initial value)/i);
    expect(await ethers.provider.getBlockNumber()).to.equal(blockBefore);
  });
});
