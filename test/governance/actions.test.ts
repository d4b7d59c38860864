/**
 * Proposal files → calls: every malformed action is refused with an error naming the action
 * index, the action and the field, before anything is sent.
 */
import { expect } from "chai";
import { id } from "ethers";
import { ACTIONS, describeCalls, encodeAction, encodeProposal, parseProposalFile, roleHash } from "../../scripts/lib/actions.js";
import type { Deployment } from "../../scripts/lib/deployments.js";
import { DataAvailability__factory } from "../../types/typechain/index.js";

const DA = "0x00000000000000000000000000000000000000da";
const deployment: Deployment = {
  version: 1,
  chainId: 31337,
  network: "hardhat",
  module: "DevProtocol",
  contracts: {
    dataAvailability: { address: "0x00000000000000000000000000000000000000DA", startBlock: 1 },
    rewardEmission: { address: "0x00000000000000000000000000000000000000eE", startBlock: 1 },
  },
};

describe("Governance actions (proposal files)", function () {
  it("encodes named actions to the target's calldata and renders them back", function () {
    const call = encodeAction({ action: "Set Retention Window", seconds: 86_400 }, deployment);
    expect(call.target.toLowerCase()).to.equal(DA);
    expect(call.data).to.equal(DataAvailability__factory.createInterface().encodeFunctionData("setRetentionWindow", [86_400n]));
    const role = encodeAction(
      { action: "grant role", contract: "rewardEmission", role: "GUARDIAN_ROLE", account: DA },
      deployment,
    );
    expect(describeCalls([call, role], deployment)).to.deep.equal([
      "dataAvailability.setRetentionWindow(86400)",
      `rewardEmission.grantRole(${id("GUARDIAN_ROLE")}, 0x00000000000000000000000000000000000000DA)`,
    ]);
    expect(roleHash("DEFAULT_ADMIN_ROLE")).to.equal("0x" + "00".repeat(32));
  });

  it("encodes struct-shaped and range-checked arguments (reward rule, verifier)", function () {
    const withLayers: Deployment = {
      ...deployment,
      contracts: {
        ...deployment.contracts,
        rewardDistributor: { address: "0x00000000000000000000000000000000000000aA", startBlock: 1 },
      },
    };
    const rule = encodeAction(
      { action: "set reward range", fromEpoch: 12, minValue: 10, maxValue: 90, capPerBatch: 4 },
      withLayers,
    );
    expect(describeCalls([rule], withLayers)).to.deep.equal(["rewardDistributor.scheduleRule(12, 10,90,4)"]);
    expect(() => encodeAction({ action: "replace verifier", depth: 300, verifier: DA, slots: 16 }, withLayers)).to.throw(
      'actions[0] ("replace verifier"): value out-of-bounds',
    );
  });

  it("refuses malformed actions, naming index, action and field", function () {
    const cases: [unknown, string][] = [
      [{ action: "set reward rane" }, 'actions[0]: unknown action "set reward rane"'],
      [
        { action: "set retention window", seconds: -1 },
        'actions[0] ("set retention window"): "seconds" must be an unsigned integer',
      ],
      [{ action: "set retention window", seconds: 1.5 }, '"seconds" must be an unsigned integer'],
      [
        { action: "set retention window" },
        '"seconds" must be an unsigned integer (a JSON number, or a decimal string for big values) (got undefined)',
      ],
      [{ action: "set retention window", seconds: 1, secs: 2 }, 'unknown field "secs"'],
      [{ action: "add sequencer", account: "0x1234" }, '"account" must be an address (0x and 40 hex digits) (got "0x1234")'],
      [{ action: "add sequencer", account: "0x00000000000000000000000000000000000000dA" }, '"account" has a bad checksum'],
      [{ action: "set price feed", feed: DA }, 'has no contract "dataCredits"'],
      [{ action: "grant role", role: "MINTER_ROLE", account: DA }, '"contract" must name a deployed contract'],
      [{ action: "grant role", contract: "rewardEmission", role: "minter", account: DA }, '"role" must be a role name'],
      [{ seconds: 1 }, "actions[0].action must name an action"],
    ];
    for (const [raw, message] of cases) expect(() => encodeAction(raw, deployment), message).to.throw(message);
  });

  it("validates the proposal file and prefixes the title", function () {
    expect(() => parseProposalFile({ actions: [] })).to.throw('"title" must be a non-empty string');
    expect(() => parseProposalFile({ title: "x", actions: [] })).to.throw('"actions" must be a non-empty array');
    const file = parseProposalFile({ title: "T", description: "why", actions: [{ action: "pause emission" }] });
    expect(encodeProposal(file, deployment).description).to.equal("# T\n\nwhy");
    const second = { title: "T", actions: [{ action: "pause emission" }, { action: "pause" }] };
    expect(() => encodeProposal(parseProposalFile(second), deployment)).to.throw('actions[1]: unknown action "pause"');
  });

  it("every registered action names a function of its target's interface", function () {
    for (const a of ACTIONS) expect(a.name).to.equal(a.name.toLowerCase());
    expect(new Set(ACTIONS.map((a) => a.name)).size).to.equal(ACTIONS.length);
  });
});
