/**
 * Reverts by name: a raw custom-error revert from the real contracts is described with the
 * error's name, its arguments by name and what to do; the DA keeper whose account is not a
 * bonded sequencer says so in its log instead of retrying a raw selector.
 */
import { expect } from "chai";
import { network } from "hardhat";
import path from "node:path";
import { createLogger } from "../../../keepers/common/log.js";
import { parseOptions } from "../../../keepers/common/options.js";
import { describeRevert } from "../../../keepers/common/errors.js";
import { SqliteStore } from "../../../keepers/common/store/index.js";
import { DaKeeper, daOptions } from "../../../keepers/da/da.js";
import { deployDa } from "../../da/fixture.js";
import { tempDir } from "../../datapath/fixtures.js";

describe("Reverts decoded by name", function () {
  it("a custom error from the DA comes back as Name(arg=value): hint", async function () {
    const conn = await network.create();
    const f = await deployDa(conn);
    let err: unknown;
    try {
      await f.da.connect(f.other).commitBatch(1n, 1n, 1, 1, 1n, "x");
    } catch (e) {
      err = e;
    }
    const text = describeRevert(err);
    expect(text).to.equal(
      `DataAvailabilityNotSequencer(account=${f.other.address}): this account is not in the sequencer set: governance adds sequencers (docs/governance.md)`,
    );
    // Not a custom error: nothing invented.
    expect(describeRevert(new Error("socket hang up"))).to.equal(undefined);
  });

  it("a DA keeper whose account is not a sequencer logs commitRefused with the decoded error and stops the tick", async function () {
    const conn = await network.create();
    const f = await deployDa(conn);
    const store = new SqliteStore(path.join(tempDir("depin-errors").dir, "s.sqlite"));
    await store.init();
    const lines: string[] = [];
    const keeper = new DaKeeper(parseOptions(daOptions, { da: await f.da.getAddress(), metricsPort: -1 }), {
      store,
      signer: f.other,
      log: createLogger({ level: "info", write: (l) => lines.push(l) }),
    });
    await keeper.init();
    // A sealed batch waiting to be committed (what the sequencer writes).
    const honest = f.makeBatch([f.sign(f.devices.secp.key, { deviceId: 1n, seq: 1n, timestamp: 10n, value: 5n })], 1);
    await store.insertReadings(honest.readings.map((r) => ({ ...r, epoch: 1n })));
    await store.sealBatch({
      depth: 1,
      maxDevices: 4,
      windowMs: 0,
      now: Date.now() + 1000,
      commit: () => ({ leaves: honest.leaves, root: honest.root }),
    });
    expect(await keeper.commitPending()).to.deep.equal([]);
    const line = lines.map((l) => JSON.parse(l) as Record<string, string>).find((l) => l.at === "DaKeeper#commitRefused");
    expect(line, lines.join("\n")).to.not.equal(undefined);
    expect(line!.revert).to.match(/^DataAvailabilityNotSequencer\(account=0x[0-9a-fA-F]{40}\): .*governance adds sequencers/);
    await store.close();
  });
});
