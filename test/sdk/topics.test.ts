/**
 * Topic layout: reading topics round-trip to their device id under their root only; another
 * root, a wrong shard, a non-canonical or out-of-range id is not a reading topic; roots with
 * wildcards or empty levels are refused.
 */
import { expect } from "chai";
import {
  checkTopicRoot,
  deviceOfReadingTopic,
  errorTopic,
  networkTopicRoot,
  readingTopic,
  receiptTopic,
  shardFilter,
} from "../../sdk/src/index.js";

describe("MQTT topics", function () {
  it("round-trip a device id under a network's default root and under a given one", function () {
    const root = networkTopicRoot(31337n, "0x5FbDB2315678afecb367f032d93F642f64180aa3");
    expect(root).to.equal("depin/31337/5fbdb231");
    expect(networkTopicRoot(11155111n)).to.equal("depin/11155111");
    for (const id of [0n, 1n, 17n, (1n << 64n) - 1n]) {
      expect(deviceOfReadingTopic(readingTopic(id, root), root)).to.equal(id);
      expect(deviceOfReadingTopic(readingTopic(id, "acme/prod"), "acme/prod")).to.equal(id);
    }
    expect(readingTopic(17n, root)).to.equal("depin/31337/5fbdb231/r/1/17");
    expect(receiptTopic(17n, "acme")).to.equal("acme/d/17/receipt");
    expect(errorTopic(17n, "acme")).to.equal("acme/d/17/error");
    // `#`: non-canonical topics in the shard reach the bridge too, to be answered WRONG_TOPIC.
    expect(shardFilter(3, "acme")).to.equal("acme/r/3/#");
  });

  it("a topic of another root, a wrong shard, a non-canonical or too large id is not a reading topic", function () {
    expect(deviceOfReadingTopic(readingTopic(17n, "other"), "depin")).to.equal(null);
    expect(deviceOfReadingTopic(readingTopic(17n, "depin"), "depin/staging")).to.equal(null);
    expect(deviceOfReadingTopic("depin/r/2/17", "depin")).to.equal(null);
    expect(deviceOfReadingTopic("depin/r/1/017", "depin")).to.equal(null);
    expect(deviceOfReadingTopic(`depin/r/0/${1n << 64n}`, "depin")).to.equal(null);
    expect(deviceOfReadingTopic("depin/r/1/17/extra", "depin")).to.equal(null);
    expect(deviceOfReadingTopic("depin/r/1/17/", "depin")).to.equal(null);
  });

  it("refuses roots with wildcards, empty levels or too many levels", function () {
    expect(checkTopicRoot("acme-net_1/prod")).to.equal("acme-net_1/prod");
    for (const bad of ["", "#", "a/+", "a//b", "/a", "a/", "a/b/c/d/e", "a b"]) {
      expect(() => checkTopicRoot(bad), bad).to.throw(/topic root .* must be 1 to 4 levels/);
    }
  });
});
