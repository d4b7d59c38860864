import { expect } from "chai";
import { network } from "hardhat";
import hre from "hardhat";
import { upgrades } from "@openzeppelin/hardhat-upgrades";
import { asChallenge, DAY, deployDa, honestReadings, ONE_ETHER, PARAMS, type DaFixture } from "./fixture.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const b32 = (s: string): string => ethers.encodeBytes32String(s);

describe("DataAvailability — governance", function () {
  const deployment = (): Promise<DaFixture> => deployDa(connection);
  const load = (): Promise<DaFixture> => networkHelpers.loadFixture(deployment);

  it("starts with the module's parameters", async function () {
    const f = await load();
    expect(await f.da.challengeWindow()).to.equal(PARAMS.challengeWindow);
    expect(await f.da.retentionWindow()).to.equal(PARAMS.retentionWindow);
    expect(await f.da.unbondingDelay()).to.equal(PARAMS.unbondingDelay);
    expect(await f.da.minBond()).to.equal(PARAMS.minBond);
    expect(await f.da.slashAmount()).to.equal(PARAMS.slashAmount);
    expect(await f.da.challengerRewardBps()).to.equal(PARAMS.challengerRewardBps);
    expect(await f.da.deviceDirectory()).to.equal(await f.directory.getAddress());
  });

  it("rejects every admin call from a non-admin with the missing role", async function () {
    const f = await load();
    const da = f.da.connect(f.other);
    const admin = await f.da.DEFAULT_ADMIN_ROLE();
    const seqAdmin = await f.da.SEQUENCER_ADMIN_ROLE();
    const calls: [Promise<unknown>, string][] = [
      [da.addSequencer(f.other.address), seqAdmin],
      [da.removeSequencer(f.sequencer.address), seqAdmin],
      [da.setChallengeWindow(1), admin],
      [da.setRetentionWindow(1), admin],
      [da.setUnbondingDelay(1), admin],
      [da.setMinBond(1), admin],
      [da.setSlashAmount(1), admin],
      [da.setChallengerRewardBps(1), admin],
      [da.withdrawSlashedFunds(f.other.address, 0), admin],
      [da.setBatchConsumer(f.other.address), admin],
    ];
    for (const [call, role] of calls) {
      await expect(call).to.be.revertedWithCustomError(f.da, "AccessControlUnauthorizedAccount").withArgs(f.other.address, role);
    }
  });

  it("keeps the windows consistent: challenge <= retention and <= unbonding delay", async function () {
    const f = await load();
    const da = f.da.connect(f.admin);
    await expect(da.setChallengeWindow(31n * DAY))
      .to.be.revertedWithCustomError(f.da, "DataAvailabilityBadParameter")
      .withArgs(b32("challengeWindow"), 31n * DAY);
    await expect(da.setChallengeWindow(0))
      .to.be.revertedWithCustomError(f.da, "DataAvailabilityBadParameter")
      .withArgs(b32("challengeWindow"), 0n);
    await expect(da.setRetentionWindow(DAY - 1n))
      .to.be.revertedWithCustomError(f.da, "DataAvailabilityBadParameter")
      .withArgs(b32("retentionWindow"), DAY - 1n);
    await expect(da.setUnbondingDelay(DAY - 1n))
      .to.be.revertedWithCustomError(f.da, "DataAvailabilityBadParameter")
      .withArgs(b32("unbondingDelay"), DAY - 1n);
    await expect(da.setChallengerRewardBps(10_001))
      .to.be.revertedWithCustomError(f.da, "DataAvailabilityBadParameter")
      .withArgs(b32("challengerRewardBps"), 10_001n);
    await expect(da.setMinBond(0))
      .to.be.revertedWithCustomError(f.da, "DataAvailabilityBadParameter")
      .withArgs(b32("minBond"), 0n);
    await expect(da.setChallengeWindow(2n * DAY))
      .to.emit(f.da, "ParameterUpdated")
      .withArgs(b32("challengeWindow"), 2n * DAY);
    await expect(da.setRetentionWindow(2n * DAY))
      .to.emit(f.da, "ParameterUpdated")
      .withArgs(b32("retentionWindow"), 2n * DAY);
    await expect(da.addSequencer(f.sequencer.address))
      .to.be.revertedWithCustomError(f.da, "DataAvailabilitySequencerExists")
      .withArgs(f.sequencer.address);
    await expect(da.removeSequencer(f.other.address))
      .to.be.revertedWithCustomError(f.da, "DataAvailabilityNotSequencer")
      .withArgs(f.other.address);
  });

  describe("the challenge window stays below the settlement delay (issue 12, finding 5)", function () {
    /** A RewardDistributor reading `f.da`, with the given settlement delay. */
    async function distributorFor(f: DaFixture, settlementDelay: bigint) {
      const emission = await ethers.deployContract("RewardEmissionMock", [1_767_225_600n, 3600n, 10n ** 24n]);
      const factory = await ethers.getContractFactory("RewardDistributor");
      const args = [
        await f.da.getAddress(),
        await emission.getAddress(),
        await f.directory.getAddress(),
        f.admin.address,
        settlementDelay,
        0n,
        { minValue: 0n, maxValue: 1000n, capPerBatch: 16n },
      ] as const;
      return { factory, args, deploy: () => factory.deploy(...args) };
    }

    it("the distributor refuses a settlement delay not above the DA challenge window", async function () {
      const f = await load();
      const d = await distributorFor(f, PARAMS.challengeWindow);
      await expect(d.deploy())
        .to.be.revertedWithCustomError(d.factory, "RewardDistributorSettlementDelayTooShort")
        .withArgs(PARAMS.challengeWindow, PARAMS.challengeWindow);
      const ok = await (await distributorFor(f, PARAMS.challengeWindow + 1n)).deploy();
      expect(await ok.settlementDelay()).to.equal(PARAMS.challengeWindow + 1n);
    });

    it("once the distributor is the batch consumer, governance cannot raise the window to its delay", async function () {
      const f = await load();
      const delay = 2n * DAY;
      const distributor = await (await distributorFor(f, delay)).deploy();
      const address = await distributor.getAddress();
      const da = f.da.connect(f.admin);
      await expect(da.setBatchConsumer(address)).to.emit(f.da, "BatchConsumerSet").withArgs(address);
      expect(await f.da.batchConsumer()).to.equal(address);
      await expect(da.setChallengeWindow(delay))
        .to.be.revertedWithCustomError(f.da, "DataAvailabilityChallengeWindowTooLong")
        .withArgs(delay, delay);
      await expect(da.setChallengeWindow(3n * DAY))
        .to.be.revertedWithCustomError(f.da, "DataAvailabilityChallengeWindowTooLong")
        .withArgs(3n * DAY, delay);
      expect(await f.da.challengeWindow()).to.equal(PARAMS.challengeWindow);
      await expect(da.setChallengeWindow(delay - 1n))
        .to.emit(f.da, "ParameterUpdated")
        .withArgs(b32("challengeWindow"), delay - 1n);
    });

    it("refuses a consumer whose delay does not exceed the window as it is now; address(0) unsets", async function () {
      const f = await load();
      const delay = 2n * DAY;
      const distributor = await (await distributorFor(f, delay)).deploy();
      const da = f.da.connect(f.admin);
      // No consumer yet: the window may grow (the distributor's constructor checked the old one).
      await da.setChallengeWindow(delay);
      await expect(da.setBatchConsumer(await distributor.getAddress()))
        .to.be.revertedWithCustomError(f.da, "DataAvailabilityChallengeWindowTooLong")
        .withArgs(delay, delay);
      expect(await f.da.batchConsumer()).to.equal(ethers.ZeroAddress);
      await da.setChallengeWindow(DAY);
      await da.setBatchConsumer(await distributor.getAddress());
      await expect(da.setBatchConsumer(ethers.ZeroAddress)).to.emit(f.da, "BatchConsumerSet").withArgs(ethers.ZeroAddress);
      await expect(da.setChallengeWindow(3n * DAY)).to.emit(f.da, "ParameterUpdated");
    });
  });

  it("hands every admin role to a timelock, which then governs alone", async function () {
    const f = await load();
    const delay = 3600n;
    const timelock = await ethers.deployContract("TestTimelock", [
      delay,
      [f.admin.address],
      [f.admin.address],
      ethers.ZeroAddress,
    ]);
    const tl = await timelock.getAddress();
    for (const role of [await f.da.DEFAULT_ADMIN_ROLE(), await f.da.SEQUENCER_ADMIN_ROLE()]) {
      await f.da.connect(f.admin).grantRole(role, tl);
    }
    await f.da.connect(f.admin).renounceRole(await f.da.SEQUENCER_ADMIN_ROLE(), f.admin.address);
    await f.da.connect(f.admin).renounceRole(await f.da.DEFAULT_ADMIN_ROLE(), f.admin.address);
    await expect(f.da.connect(f.admin).addSequencer(f.other.address)).to.be.revertedWithCustomError(
      f.da,
      "AccessControlUnauthorizedAccount",
    );

    const data = f.da.interface.encodeFunctionData("addSequencer", [f.other.address]);
    const salt = ethers.ZeroHash;
    await timelock.getFunction("schedule")(await f.da.getAddress(), 0, data, ethers.ZeroHash, salt, delay);
    await networkHelpers.time.increase(delay);
    await expect(timelock.getFunction("execute")(await f.da.getAddress(), 0, data, ethers.ZeroHash, salt))
      .to.emit(f.da, "SequencerAdded")
      .withArgs(f.other.address);
  });
});

describe("DataAvailability — UUPS upgrades", function () {
  const deployment = (): Promise<DaFixture> => deployDa(connection);
  const load = (): Promise<DaFixture> => networkHelpers.loadFixture(deployment);
  const IMPLEMENTATION_SLOT = "0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc";

  it("cannot be initialised twice, and the implementation cannot be initialised at all", async function () {
    const f = await load();
    const params = { ...PARAMS };
    await expect(
      f.da.initialize(f.admin.address, ethers.ZeroAddress, ethers.ZeroAddress, ethers.ZeroAddress, params),
    ).to.be.revertedWithCustomError(f.da, "InvalidInitialization");
    const implAddress = ethers.getAddress(
      "0x" + (await ethers.provider.getStorage(await f.da.getAddress(), IMPLEMENTATION_SLOT)).slice(26),
    );
    const impl = await ethers.getContractAt("DataAvailability", implAddress);
    await expect(
      impl.initialize(f.admin.address, ethers.ZeroAddress, ethers.ZeroAddress, ethers.ZeroAddress, params),
    ).to.be.revertedWithCustomError(f.da, "InvalidInitialization");
  });

  it("hardhat-upgrades: the implementation is upgrade-safe and an upgrade's storage layout validates", async function () {
    // Storage only grows by appending (DataAvailabilityStorage, BatchRecord and Sequencer, both in
    // mappings); the plugin compares the layouts member by member, structs in mappings included.
    const api = await upgrades(hre, connection);
    const V1 = await ethers.getContractFactory("DataAvailability");
    const V2 = await ethers.getContractFactory("DataAvailabilityV2Mock");
    await api.validateImplementation(V1, { kind: "uups" });
    await api.validateUpgrade(V1, V2, { kind: "uups" });
  });

  it("handles state left by the previous version: unlocked batches, an unbonding without a stored time", async function () {
    // The previous version stored neither lock queues nor withdrawal times. Reproduce its state by
    // clearing the appended fields in storage, then exercise the paths that read them.
    const f = await load();
    const base = BigInt("0xbaa99fdab959ec4c99610e957ed4505ef09801801ab817b774bbaacb4a6f7500");
    const coder = ethers.AbiCoder.defaultAbiCoder();
    const da = await f.da.getAddress();
    const word = async (slot: bigint) => BigInt(await ethers.provider.getStorage(da, slot));
    const put = (slot: bigint, v: bigint) => networkHelpers.setStorageAt(da, slot, v);
    const batchSlot3 = (id: bigint) => BigInt(ethers.keccak256(coder.encode(["uint256", "uint256"], [id, base + 3n]))) + 2n;
    const seqSlot = BigInt(ethers.keccak256(coder.encode(["address", "uint256"], [f.sequencer.address, base + 4n])));

    const forged = f.sign(f.devices.stranger, { deviceId: f.devices.secp.id, seq: 5n, timestamp: 1_700_000_000n, value: 1n });
    const id = await f.commit(f.makeBatch([forged], 0));
    // An "old" batch: no queue link, no lock (the upper 48 bits of its third slot); an "old"
    // sequencer: only unbondingSince in its third slot.
    await put(batchSlot3(id), (await word(batchSlot3(id))) & ((1n << 208n) - 1n));
    await put(seqSlot + 2n, (await word(seqSlot + 2n)) & ((1n << 64n) - 1n));
    const s0 = await f.da.sequencer(f.sequencer.address);
    expect([s0.lockedBatches, s0.oldestLockedBatch, s0.newestBatch, s0.lastChallengeDeadline]).to.deep.equal([0n, 0n, 0n, 0n]);
    // Invalidating it releases no lock (nothing to underflow) and slashes as before.
    await expect(f.da.connect(f.challenger).challengeSignature(id, asChallenge(forged), 0, [])).to.emit(f.da, "SequencerSlashed");
    expect((await f.da.sequencer(f.sequencer.address)).lockedBatches).to.equal(0n);

    // An unbonding started under the previous version: its withdrawal time is start + the delay.
    await f.da.connect(f.sequencer).startUnbonding();
    const since = BigInt(await networkHelpers.time.latest());
    await put(seqSlot + 3n, 0n);
    expect((await f.da.sequencer(f.sequencer.address)).withdrawableAt).to.equal(0n);
    await expect(f.da.connect(f.sequencer).withdrawBond(f.sequencer.address))
      .to.be.revertedWithCustomError(f.da, "DataAvailabilityUnbonding")
      .withArgs(f.sequencer.address, since, since + PARAMS.unbondingDelay);
    await networkHelpers.time.increaseTo(since + PARAMS.unbondingDelay);
    await expect(f.da.connect(f.sequencer).withdrawBond(f.sequencer.address)).to.emit(f.da, "BondWithdrawn");
  });

  it("only the admin upgrades; batches, bonds and parameters survive the upgrade", async function () {
    const f = await load();
    const batch = f.makeBatch(honestReadings(f), 2);
    const id = await f.commit(batch);
    const next = await ethers.deployContract("DataAvailability");
    await expect(f.da.connect(f.other).upgradeToAndCall(await next.getAddress(), "0x"))
      .to.be.revertedWithCustomError(f.da, "AccessControlUnauthorizedAccount")
      .withArgs(f.other.address, await f.da.DEFAULT_ADMIN_ROLE());
    await expect(f.da.connect(f.admin).upgradeToAndCall(await next.getAddress(), "0x"))
      .to.emit(f.da, "Upgraded")
      .withArgs(await next.getAddress());
    expect((await f.da.getBatch(id)).root).to.equal(batch.root);
    expect(await f.da.nextBatchId()).to.equal(id + 1n);
    expect((await f.da.sequencer(f.sequencer.address)).bond).to.equal(2n * ONE_ETHER);
    expect(await f.da.challengeWindow()).to.equal(PARAMS.challengeWindow);
    const p = batch.proof(1);
    expect(await f.da.verifyInclusion(id, p.leaf, 1, p.siblings)).to.equal(true);
  });
});
