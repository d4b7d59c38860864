import { expect } from "chai";
import { network } from "hardhat";
import { deployDa, honestReadings, ONE_ETHER, PARAMS, type DaFixture } from "./fixture.js";

const connection = await network.create();
const { networkHelpers } = connection;
const FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

describe("DataAvailability — commitments", function () {
  const deployment = (): Promise<DaFixture> => deployDa(connection);
  const load = (): Promise<DaFixture> => networkHelpers.loadFixture(deployment);

  it("commits batch 1 with the sdk root, stores it and emits BatchCommitted", async function () {
    const f = await load();
    const batch = f.makeBatch(honestReadings(f), 1);
    expect(await f.da.nextBatchId()).to.equal(1n);
    await expect(f.da.connect(f.sequencer).commitBatch(1, batch.root, 4, 1, 42, "da://batch/1"))
      .to.emit(f.da, "BatchCommitted")
      .withArgs(1n, f.sequencer.address, batch.root, 4n, 1n, 42n, "da://batch/1");
    const b = await f.da.getBatch(1);
    expect(b.root).to.equal(batch.root);
    expect(b.leafCount).to.equal(4n);
    expect(b.depth).to.equal(1n);
    expect(b.epoch).to.equal(42n);
    expect(b.sequencer).to.equal(f.sequencer.address);
    expect(b.status).to.equal(1n);
    expect(b.committedAt).to.equal(BigInt(await networkHelpers.time.latest()));
    expect(await f.da.nextBatchId()).to.equal(2n);
  });

  it("rejects a double commit of the same batch id and leaves the first untouched", async function () {
    const f = await load();
    const batch = f.makeBatch(honestReadings(f), 1);
    await f.da.connect(f.sequencer).commitBatch(1, batch.root, 4, 1, 1, "a");
    await expect(f.da.connect(f.sequencer).commitBatch(1, 123n, 1, 0, 1, "b"))
      .to.be.revertedWithCustomError(f.da, "DataAvailabilityUnexpectedBatchId")
      .withArgs(1n, 2n);
    expect((await f.da.getBatch(1)).root).to.equal(batch.root);
    expect(await f.da.nextBatchId()).to.equal(2n);
  });

  it("rejects a skipped batch id and id 0", async function () {
    const f = await load();
    await expect(f.da.connect(f.sequencer).commitBatch(2, 1n, 1, 0, 1, ""))
      .to.be.revertedWithCustomError(f.da, "DataAvailabilityUnexpectedBatchId")
      .withArgs(2n, 1n);
    await expect(f.da.connect(f.sequencer).commitBatch(0, 1n, 1, 0, 1, ""))
      .to.be.revertedWithCustomError(f.da, "DataAvailabilityUnexpectedBatchId")
      .withArgs(0n, 1n);
    expect(await f.da.nextBatchId()).to.equal(1n);
  });

  it("rejects an account outside the sequencer set", async function () {
    const f = await load();
    await expect(f.da.connect(f.other).commitBatch(1, 1n, 1, 0, 1, ""))
      .to.be.revertedWithCustomError(f.da, "DataAvailabilityNotSequencer")
      .withArgs(f.other.address);
  });

  it("rejects an unbonded sequencer (in the set, bond below minimum)", async function () {
    const f = await load();
    await f.da.connect(f.admin).addSequencer(f.other.address);
    await expect(f.da.connect(f.other).commitBatch(1, 1n, 1, 0, 1, ""))
      .to.be.revertedWithCustomError(f.da, "DataAvailabilityNotBonded")
      .withArgs(f.other.address, 0n, PARAMS.minBond);
    await f.da.connect(f.other).depositBond({ value: ONE_ETHER - 1n });
    expect(await f.da.isBondedSequencer(f.other.address)).to.equal(false);
    await expect(f.da.connect(f.other).commitBatch(1, 1n, 1, 0, 1, ""))
      .to.be.revertedWithCustomError(f.da, "DataAvailabilityNotBonded")
      .withArgs(f.other.address, ONE_ETHER - 1n, PARAMS.minBond);
    await f.da.connect(f.other).depositBond({ value: 1n });
    expect(await f.da.isBondedSequencer(f.other.address)).to.equal(true);
    await expect(f.da.connect(f.other).commitBatch(1, 1n, 1, 0, 1, "")).to.emit(f.da, "BatchCommitted");
  });

  it("rejects an unbonding sequencer and a removed one", async function () {
    const f = await load();
    await f.da.connect(f.sequencer).startUnbonding();
    await expect(f.da.connect(f.sequencer).commitBatch(1, 1n, 1, 0, 1, ""))
      .to.be.revertedWithCustomError(f.da, "DataAvailabilityNotBonded")
      .withArgs(f.sequencer.address, 2n * ONE_ETHER, PARAMS.minBond);
    await f.da.connect(f.admin).addSequencer(f.other.address);
    await f.da.connect(f.other).depositBond({ value: ONE_ETHER });
    await expect(f.da.connect(f.admin).removeSequencer(f.other.address))
      .to.emit(f.da, "SequencerRemoved")
      .withArgs(f.other.address);
    await expect(f.da.connect(f.other).commitBatch(1, 1n, 1, 0, 1, ""))
      .to.be.revertedWithCustomError(f.da, "DataAvailabilityNotSequencer")
      .withArgs(f.other.address);
  });

  it("rejects impossible shapes: no leaves, more leaves than 4^depth, depth above 16", async function () {
    const f = await load();
    const c = f.da.connect(f.sequencer);
    await expect(c.commitBatch(1, 1n, 0, 2, 1, ""))
      .to.be.revertedWithCustomError(f.da, "DataAvailabilityBadShape")
      .withArgs(0n, 2n);
    // 4-ary: depth 2 holds 16 leaves, not 17 (a binary depth-2 tree would hold only 4).
    await expect(c.commitBatch(1, 1n, 17, 2, 1, ""))
      .to.be.revertedWithCustomError(f.da, "DataAvailabilityBadShape")
      .withArgs(17n, 2n);
    await expect(c.commitBatch(1, 1n, 1, 17, 1, ""))
      .to.be.revertedWithCustomError(f.da, "DataAvailabilityBadShape")
      .withArgs(1n, 17n);
    await expect(c.commitBatch(1, 1n, 16, 2, 1, "")).to.emit(f.da, "BatchCommitted");
    await expect(c.commitBatch(2, 2n, 2 ** 32 - 1, 16, 1, "")).to.emit(f.da, "BatchCommitted");
  });

  it("rejects an oversized payload URI (512 bytes is the limit)", async function () {
    const f = await load();
    await expect(f.da.connect(f.sequencer).commitBatch(1, 1n, 1, 0, 1, "x".repeat(513)))
      .to.be.revertedWithCustomError(f.da, "DataAvailabilityUriTooLong")
      .withArgs(513n, 512n);
    expect(await f.da.nextBatchId()).to.equal(1n);
    await expect(f.da.connect(f.sequencer).commitBatch(1, 1n, 1, 0, 1, "x".repeat(512))).to.emit(f.da, "BatchCommitted");
  });

  it("rejects a root outside the BN254 field", async function () {
    const f = await load();
    await expect(f.da.connect(f.sequencer).commitBatch(1, FIELD, 1, 0, 1, ""))
      .to.be.revertedWithCustomError(f.da, "DataAvailabilityNotFieldElement")
      .withArgs(FIELD);
  });
});
