/**
 * The settlement keepers as operators meet them: sub-commands of keepers/cli.ts with --help and
 * validated options (the bad option named, exit code 2), /status and /metrics; and the epoch
 * keeper's idempotence: an epoch closed by someone else is success, never a second close, and
 * empty epochs close without minting.
 */
import { expect } from "chai";
import { parseOptions, ConfigError } from "../../../keepers/common/options.js";
import { proverOptions } from "../../../keepers/prover/prover.js";
import { submitterOptions } from "../../../keepers/submitter/submitter.js";
import { spawnKeeper } from "../../datapath/fixtures.js";
import { setup, type Fixture } from "./fixture.js";

async function cli(args: string[]): Promise<{ code: number | null; out: string }> {
  const [command, ...rest] = args;
  const flags: Record<string, string> = {};
  for (let i = 0; i < rest.length; i += 2) flags[rest[i].replace(/^--/, "")] = rest[i + 1];
  const k = await spawnKeeper(command, flags);
  const code = await k.exited;
  return { code, out: k.output() };
}

describe("Settlement keepers: CLI and options", function () {
  this.timeout(60_000);

  it("prover, submitter and epoch are sub-commands with --help listing their options", async () => {
    for (const [cmd, option] of [
      ["prover", "--workers"],
      ["submitter", "--bump-percent"],
      ["epoch", "--max-closes-per-tick"],
    ]) {
      const r = await cli([cmd, "--help", "true"]);
      expect(r.code, r.out).to.equal(0);
      expect(r.out).to.include(`Usage: npx tsx keepers/cli.ts ${cmd}`);
      expect(r.out).to.include(option);
      expect(r.out).to.include("--distributor");
    }
  });

  it("a bad option stops the keeper with exit code 2 and names the option", async () => {
    const r = await cli(["submitter", "--distributor", "0x0000000000000000000000000000000000000001", "--bump-percent", "105"]);
    expect(r.code).to.equal(2);
    expect(r.out).to.include("submitter: invalid option --bump-percent: must be >= 110, got 105");
    const p = await cli(["prover", "--distributor", "0x12"]);
    expect(p.code).to.equal(2);
    expect(p.out).to.include("prover: invalid option --distributor:");
    expect(() => parseOptions(proverOptions, { distributor: "0x0000000000000000000000000000000000000001", workers: 0 })).to.throw(
      ConfigError,
      "invalid option --workers: must be >= 1, got 0",
    );
    expect(() =>
      parseOptions(submitterOptions, { distributor: "0x0000000000000000000000000000000000000001", privateKey: "0x1234" }),
    ).to.throw(ConfigError, "invalid option --private-key:");
  });
});

describe("Epoch keeper", function () {
  this.timeout(120_000);
  let f: Fixture;

  beforeEach(async () => {
    f = await setup("sqlite");
  });
  afterEach(async () => f.cleanup());

  it("closes every closable epoch in order, once; a close by someone else is success; empty epochs mint nothing", async () => {
    const keeper = await f.makeEpochKeeper({ maxClosesPerTick: 2 });
    try {
      expect(await keeper.closeDue()).to.deep.equal([]);
      // Three epochs become closable; two per tick.
      await f.networkHelpers.time.increaseTo(await f.distributor.closableAt(f.epoch + 2n));
      expect(await keeper.closeDue()).to.deep.equal([f.epoch, f.epoch + 1n]);
      // Someone else (anyone may) closes the next one first.
      await (await f.distributor.closeEpoch(f.epoch + 2n)).wait();
      expect(await keeper.closeDue()).to.deep.equal([]);
      expect(await f.distributor.nextEpochToClose()).to.equal(f.epoch + 3n);
      const closed = await f.distributor.queryFilter(f.distributor.filters.EpochClosed());
      expect(closed.map((e) => [e.args.epoch, e.args.totalPoints, e.args.emission])).to.deep.equal([
        [f.epoch, 0n, 0n],
        [f.epoch + 1n, 0n, 0n],
        [f.epoch + 2n, 0n, 0n],
      ]);
      // Journal: one mined transaction per epoch it closed.
      for (const e of [f.epoch, f.epoch + 1n]) expect((await f.store.getTx(`closeEpoch:${e}`))!.status).to.equal("mined");
      expect(await f.store.getTx(`closeEpoch:${f.epoch + 2n}`)).to.equal(null);

      const status = keeper.status();
      expect(status.nextEpochToClose).to.equal((f.epoch + 3n).toString());
      await keeper.ops.listen(0);
      expect(await keeper.registry.metrics()).to.match(/depin_epoch_closed_total 2/);
    } finally {
      await keeper.ops.close();
      await keeper.close();
    }
  });

  it("dry run logs the epoch it would close and sends nothing", async () => {
    const keeper = await f.makeEpochKeeper({ dryRun: true, privateKey: undefined });
    try {
      await f.networkHelpers.time.increaseTo(await f.distributor.closableAt(f.epoch));
      expect(await keeper.closeDue()).to.deep.equal([]);
      expect(await f.distributor.nextEpochToClose()).to.equal(f.epoch);
    } finally {
      await keeper.close();
    }
  });
});
