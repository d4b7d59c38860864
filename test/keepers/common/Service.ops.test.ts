/**
 * Daemon plumbing shared by every keeper: validated options naming the bad option, the CLI's
 * error, /metrics (Prometheus) and /status, and non-overlapping ticks.
 */
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { ConfigError, parseOptions } from "../../../keepers/common/options.js";
import { Sequencer, sequencerOptions } from "../../../keepers/sequencer/sequencer.js";
import { SqliteStore } from "../../../keepers/common/store/index.js";
import { bridgeOptions } from "../../../keepers/bridge/bridge.js";
import { tempDir } from "../../datapath/fixtures.js";
import { writeFileSync } from "node:fs";
import { getAddress } from "ethers";
import { loadDeploymentFile, withDeployment } from "../../../keepers/common/deployment.js";
import { daOptions } from "../../../keepers/da/da.js";
import { proverOptions } from "../../../keepers/prover/prover.js";
import { parseDeployment } from "../../../scripts/lib/deployments.js";

describe("Keeper options", function () {
  it("names the bad option in the error", function () {
    const bad: [Record<string, unknown>, string, RegExp][] = [
      [{ depth: "99" }, "depth", /must be <= 10/],
      [{ depth: "four" }, "depth", /expected an integer/],
      [{ windowMs: -1 }, "windowMs", /must be >= 0/],
      [{ schedule: "often" }, "schedule", /not a cron expression/],
      [{ colour: "red" }, "colour", /unknown option/],
    ];
    for (const [input, option, msg] of bad) {
      let err: unknown;
      try {
        parseOptions(sequencerOptions, input);
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(ConfigError);
      expect((err as ConfigError).option).to.equal(option);
      expect((err as Error).message)
        .to.match(msg)
        .and.to.include(`--${option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
    }
    expect(() => parseOptions(bridgeOptions, {})).to.throw(ConfigError, "--directory: is required");
    expect(() => parseOptions(bridgeOptions, { directory: "0x12" })).to.throw(ConfigError, "--directory");
    expect(() => parseOptions(bridgeOptions, { directory: "0x" + "11".repeat(20), rpcUrl: "ftp://x" })).to.throw(
      ConfigError,
      "--rpc-url",
    );
  });

  it("the CLI exits with code 2 and names the option", function () {
    const root = path.resolve(import.meta.dirname, "../../..");
    const r = spawnSync(process.execPath, ["--import", "tsx", "keepers/cli.ts", "sequencer", "--depth", "0"], {
      cwd: root,
      encoding: "utf8",
    });
    expect(r.status).to.equal(2);
    expect(r.stderr).to.include("invalid option --depth: must be >= 1, got 0");
    const help = spawnSync(process.execPath, ["--import", "tsx", "keepers/cli.ts", "da", "--help"], {
      cwd: root,
      encoding: "utf8",
    });
    expect(help.status).to.equal(0);
    expect(help.stdout).to.include("--private-key").and.include("--dry-run");
  });
});

describe("Keeper options from a deployment record (--deployment)", function () {
  const address = (n: number) => getAddress("0x" + n.toString(16).padStart(40, "0"));
  const record = {
    version: 1,
    chainId: 84532,
    network: "baseSepolia",
    module: "Protocol",
    contracts: {
      deviceRegistry: { address: address(1), startBlock: 10 },
      dataAvailability: { address: address(2), startBlock: 11 },
      rewardDistributor: { address: address(3), startBlock: 12 },
    },
  };

  it("fills each keeper's contract addresses and the bridge's network id; explicit options win", function () {
    const d = parseDeployment(record);
    const bridge = parseOptions(bridgeOptions, withDeployment(bridgeOptions, {}, d));
    expect(bridge.directory).to.equal(address(1));
    expect(bridge.networkId).to.equal(84532n);
    // The bridge reads its epoch clock from the distributor.
    expect(bridge.distributor).to.equal(address(3));
    expect(parseOptions(daOptions, withDeployment(daOptions, { "private-key": "0x" + "11".repeat(32) }, d)).da).to.equal(
      address(2),
    );
    expect(parseOptions(proverOptions, withDeployment(proverOptions, {}, d)).distributor).to.equal(address(3));
    const own = parseOptions(bridgeOptions, withDeployment(bridgeOptions, { directory: address(9), "network-id": "7" }, d));
    expect(own.directory).to.equal(address(9));
    expect(own.networkId).to.equal(7n);
    // The sequencer has no contract options: nothing is added.
    expect(withDeployment(sequencerOptions, {}, d)).to.deep.equal({});
  });

  it("a record without the contract, or an unreadable file, is an error naming --deployment", function () {
    const partial = parseDeployment({ ...record, contracts: { deviceRegistry: record.contracts.deviceRegistry } });
    expect(() => withDeployment(proverOptions, {}, partial)).to.throw(
      ConfigError,
      "invalid option --deployment: the deployment (chain 84532) has no rewardDistributor for --distributor",
    );
    const tmp = tempDir("deployment");
    try {
      const file = path.join(tmp.dir, "84532.json");
      writeFileSync(file, JSON.stringify({ ...record, version: 2 }));
      expect(() => loadDeploymentFile(file)).to.throw(ConfigError, /--deployment: .*84532\.json: version must be 1/);
      const root = path.resolve(import.meta.dirname, "../../..");
      const r = spawnSync(
        process.execPath,
        ["--import", "tsx", "keepers/cli.ts", "epoch", "--deployment", path.join(tmp.dir, "missing.json")],
        { cwd: root, encoding: "utf8" },
      );
      expect(r.status).to.equal(2);
      expect(r.stderr).to.include("epoch: invalid option --deployment: cannot read");
    } finally {
      tmp.cleanup();
    }
  });
});

describe("Keeper service", function () {
  it("serves /metrics and /status, ticks without overlap, stops cleanly", async function () {
    const tmp = tempDir("ops");
    const store = new SqliteStore(path.join(tmp.dir, "s.sqlite"));
    const s = new Sequencer(parseOptions(sequencerOptions, { depth: 2, windowMs: 0 }), { store });
    try {
      await s.start({ schedule: "0 0 1 1 *", metricsPort: 0 });
      await Promise.all([s.runTick(), s.runTick(), s.runTick()]); // concurrent calls share one tick
      const metrics = await (await fetch(`http://127.0.0.1:${s.port}/metrics`)).text();
      expect(metrics).to.match(/depin_sequencer_ticks_total 1\b/);
      expect(metrics).to.include("depin_sequencer_batches_sealed_total");
      const status = (await (await fetch(`http://127.0.0.1:${s.port}/status`)).json()) as Record<string, unknown>;
      expect(status).to.include({ service: "sequencer", store: "sqlite", depth: 2 });
    } finally {
      await s.stop();
      tmp.cleanup();
    }
  });
});
