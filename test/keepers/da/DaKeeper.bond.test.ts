/**
 * The DA keeper under the bond lock (issue 12, finding 3): every committed batch locks the DA's
 * slashAmount of the sequencer's bond until its challenge window ends. When the bond does not cover
 * one more batch the commit is refused; the keeper logs the refusal with its numbers, stops for the
 * tick, keeps the batch in the store, and commits it once a window has ended.
 */
import { expect } from "chai";
import { createLogger } from "../../../keepers/common/log.js";
import { parseOptions } from "../../../keepers/common/options.js";
import { Wallet } from "ethers";
import { DaKeeper, daOptions } from "../../../keepers/da/da.js";
import { Sequencer, sequencerOptions } from "../../../keepers/sequencer/sequencer.js";
import { DAY, DEPTH, setup, type Fixture } from "../prover/fixture.js";

/** Hardhat's well-known dev account #1: the DA fixture's bonded sequencer. */
const SEQUENCER_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

describe("DA keeper — bond locked by open batches", function () {
  this.timeout(120_000);
  let f: Fixture;

  beforeEach(async () => {
    f = await setup("sqlite");
  });
  afterEach(async () => f.cleanup());

  it("logs the refusal, keeps the batch, and commits it once the earlier batch's window has ended", async () => {
    const bond = (await f.da.da.sequencer(f.da.sequencer.address)).bond;
    const slash = bond / 2n + 1n; // the bond covers one open batch, not two
    await (await f.da.da.connect(f.da.admin).setSlashAmount(slash)).wait();
    // Two sealed batches in the store.
    const sequencer = new Sequencer(parseOptions(sequencerOptions, { depth: DEPTH, windowMs: 0, metricsPort: -1 }), {
      store: f.store,
    });
    await sequencer.init();
    for (const [deviceId, offset] of [
      [11n, 1n],
      [22n, 2n],
    ]) {
      await f.store.insertReadings(f.readings([{ deviceId, value: 150n, offset }]).map((r) => ({ ...r, epoch: f.epoch })));
      await sequencer.tick();
    }
    expect(await f.store.lastBatchId()).to.equal(2n);

    const lines: string[] = [];
    const keeper = new DaKeeper(parseOptions(daOptions, { da: await f.da.da.getAddress(), metricsPort: -1 }), {
      store: f.store,
      signer: new Wallet(SEQUENCER_KEY, f.provider),
      log: createLogger({ level: "debug", write: (l) => lines.push(l) }),
    });
    await keeper.init();
    expect(new Wallet(SEQUENCER_KEY).address).to.equal(f.da.sequencer.address);
    expect(await keeper.commitPending()).to.deep.equal([1n]);
    expect((await f.store.getBatch(2n))?.commitTx ?? null).to.equal(null);
    const refused = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.at === "DaKeeper#commitRefused");
    // One refusal per tick (no retries of a commit that cannot succeed before a window ends).
    expect(refused).to.have.length(1);
    expect(refused[0]).to.include({
      batchId: "2",
      reason: "DataAvailabilityBondLocked",
      sequencer: f.da.sequencer.address,
      bond: bond.toString(),
      openBatches: "1",
      required: (2n * slash).toString(),
    });

    await f.networkHelpers.time.increase(DAY + 1n);
    // The keeper's provider caches chain reads for 250 ms: let it see the new time.
    await new Promise((r) => setTimeout(r, 400));
    expect(await keeper.commitPending()).to.deep.equal([2n]);
    expect((await f.da.da.getBatch(2n)).root).to.equal((await f.store.getBatch(2n))!.root);
  });
});
