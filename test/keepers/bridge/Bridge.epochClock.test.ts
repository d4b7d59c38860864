/**
 * The bridge's epoch clock comes from the chain: readings are filed under the distributor's epochs
 * (genesis and length read from `epochWindow(0)`), not under a default genesis of 0 that makes
 * every batch earn nothing. A clock that cannot be known stops the bridge by name; given values
 * that disagree with the chain are a warning.
 */
import { expect } from "chai";
import { network } from "hardhat";
import { ConfigError } from "../../../keepers/common/options.js";
import { createLogger } from "../../../keepers/common/log.js";
import { epochOf, generateKeyPair, readingTopic, signReading, toWire } from "../../../sdk/src/index.js";
import { deployRewards } from "../../rewards/distributor.fixture.js";
import { EPOCH_LENGTH, GENESIS } from "../../rewards/readings.js";
import { startBridge } from "../../datapath/fixtures.js";

describe("Bridge epoch clock", function () {
  it("reads genesis and epoch length from the distributor; readings land in the chain's epoch", async function () {
    const { ethers, networkHelpers } = await network.create();
    const r = await deployRewards(ethers, networkHelpers, [5n]);
    const key = generateKeyPair("secp256k1");
    await (await r.directory.addKey(5n, 0, key.publicId, 0n)).wait();
    const now = BigInt(await networkHelpers.time.latest());
    const lines: string[] = [];
    const bridge = await startBridge(
      ethers.provider,
      await r.directory.getAddress(),
      { distributor: await r.distributor.getAddress(), genesisTime: "", epochLength: "", verifyThreads: 0 },
      { provider: ethers.provider, now: () => Number(now), log: createLogger({ level: "info", write: (l) => lines.push(l) }) },
    );
    try {
      expect(bridge.clock).to.deep.equal({ genesisTime: GENESIS, epochLength: EPOCH_LENGTH });
      expect(lines.some((l) => l.includes("Bridge#epochClock") && l.includes('"source":"chain"'))).to.equal(true);
      const reading = signReading(31337n, key, { deviceId: 5n, seq: 1n, timestamp: now, value: 150n });
      const outcome = await new Promise<unknown>((resolve) =>
        bridge.ingestor.submit(5n, readingTopic(5n, bridge.topicRoot), Buffer.from(toWire(reading)), (err) =>
          resolve(err ?? "ok"),
        ),
      );
      expect(outcome).to.equal("ok");
      const stored = await bridge.store.getReading(5n, 1n);
      expect(stored?.epoch).to.equal(epochOf({ genesisTime: GENESIS, epochLength: EPOCH_LENGTH }, now));
      expect(stored?.epoch).to.equal(r.epoch); // the distributor's current epoch, not epoch 20,000-something
    } finally {
      await bridge.stop();
    }
  });

  it("given values that disagree with the chain are a warning; no distributor and no values stop the bridge by name", async function () {
    const { ethers, networkHelpers } = await network.create();
    const r = await deployRewards(ethers, networkHelpers, []);
    const lines: string[] = [];
    const bridge = await startBridge(
      ethers.provider,
      await r.directory.getAddress(),
      { distributor: await r.distributor.getAddress(), genesisTime: 0n, epochLength: 86_400n, verifyThreads: 0 },
      { provider: ethers.provider, log: createLogger({ level: "info", write: (l) => lines.push(l) }) },
    );
    await bridge.stop();
    const warn = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.at === "Bridge#epochClockDiffers");
    expect(warn, lines.join("\n")).to.not.equal(undefined);
    expect(String(warn!.effect)).to.include("earn nothing");

    let err: unknown;
    try {
      await startBridge(
        ethers.provider,
        await r.directory.getAddress(),
        { genesisTime: "", epochLength: "", verifyThreads: 0 },
        { provider: ethers.provider },
      );
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as Error).message)
      .to.include("--genesis-time")
      .and.to.include("--distributor");
  });
});
