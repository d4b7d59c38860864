import { expect } from "chai";
import { encodeReceipts, parseReceipts, type Receipt } from "../../sdk/src/index.js";

describe("sdk receipts: one message per reading or per batch", function () {
  it("round-trips the single and the list form", function () {
    const one: Receipt[] = [{ seq: "7", status: "stored" }];
    expect(encodeReceipts(one)).to.equal('{"seq":"7","status":"stored"}');
    expect(parseReceipts(encodeReceipts(one))).to.deep.equal(one);
    const many: Receipt[] = [
      { seq: "4", status: "duplicate" },
      { seq: "5", status: "stored" },
      { seq: "6", status: "stored" },
    ];
    expect(encodeReceipts(many)).to.equal('{"stored":["5","6"],"duplicate":["4"]}');
    expect(parseReceipts(encodeReceipts(many))).to.have.deep.members(many);
    expect(parseReceipts(encodeReceipts(many.slice(1)))).to.deep.equal(many.slice(1));
    expect(parseReceipts(Buffer.from('{"duplicate":["18446744073709551615"]}'))).to.deep.equal([
      { seq: "18446744073709551615", status: "duplicate" },
    ]);
  });

  it("refuses malformed receipts as a whole (a device then ignores the message)", function () {
    for (const bad of [
      "",
      "not json",
      "[]",
      "{}",
      '{"seq":7,"status":"stored"}',
      '{"seq":"7","status":"lost"}',
      '{"stored":"5"}',
      '{"stored":[5]}',
      '{"stored":["05"]}',
      '{"stored":["-1"]}',
      '{"stored":["1"],"lost":["2"]}',
      '{"stored":["123456789012345678901"]}',
    ]) {
      expect(parseReceipts(bad), bad).to.equal(null);
    }
  });
});
