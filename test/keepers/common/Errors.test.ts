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
import { decodeRevert, describeRevert, errorInterface } from "../../../keepers/common/errors.js";
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

  it("one decoder for keepers and CLIs: governance reverts get a sentence from their arguments; a node's message alone still decodes", () => {
    const iface = errorInterface();
    const voter = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
    const data = iface.encodeErrorResult("GovernorAlreadyCastVote", [voter]);
    expect(describeRevert({ data })).to.equal(
      `GovernorAlreadyCastVote(voter=${voter}): ${voter} has already voted on this proposal`,
    );
    // Pending (0) where Active (bit 1) was needed.
    const state = iface.encodeErrorResult("GovernorUnexpectedProposalState", [7n, 0, "0x" + (2).toString(16).padStart(64, "0")]);
    expect(describeRevert({ info: { error: { data: state } } })).to.match(
      /^GovernorUnexpectedProposalState\(proposalId=7, current=0, expectedStates=0x0+2\): the proposal is Pending; this step needs it Active$/,
    );
    // No revert data, only Hardhat's message.
    const d = decodeRevert(new Error(`reverted with custom error 'GovernorNonexistentProposal(42)'`));
    expect(d).to.deep.include({ name: "GovernorNonexistentProposal", args: ["42"] });
    expect(decodeRevert(new Error("connection refused"))).to.equal(undefined);
  });
});
