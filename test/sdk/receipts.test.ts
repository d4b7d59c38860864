import { expect } from "chai";
import {
  answerDigest,
  encodeReceipts,
  generateKeyPair,
  openAnswer,
  parseReceipts,
  receiptTopic,
  signDigest,
  type Receipt,
} from "../../sdk/src/index.js";

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

describe("sdk answers: signed receipts and rejections", function () {
  const bridge = generateKeyPair("secp256k1");
  const other = generateKeyPair("secp256k1");
  const topic = receiptTopic(77n, "depin");
  const body = encodeReceipts([{ seq: "3", status: "stored" }]);
  const signed = (key = bridge, t = topic, b = body, net = 31337n): string => `${b}\n${signDigest(key, answerDigest(net, t, b))}`;

  it("opens an answer signed by the bridge for this topic and network", function () {
    expect(openAnswer(signed(), 31337n, topic, bridge.publicId)).to.equal(body);
    expect(openAnswer(Buffer.from(signed()), 31337n, topic, bridge.publicId.toUpperCase().replace("0X", "0x"))).to.equal(body);
  });

  it("refuses unsigned, foreign-signed, edited, re-addressed and other-network answers", function () {
    expect(openAnswer(body, 31337n, topic, bridge.publicId)).to.equal(null);
    expect(openAnswer(signed(other), 31337n, topic, bridge.publicId)).to.equal(null);
    const edited = signed().replace('"3"', '"4"');
    expect(openAnswer(edited, 31337n, topic, bridge.publicId)).to.equal(null);
    expect(openAnswer(signed(), 31337n, receiptTopic(78n, "depin"), bridge.publicId)).to.equal(null);
    expect(openAnswer(signed(bridge, topic, body, 1n), 31337n, topic, bridge.publicId)).to.equal(null);
    expect(openAnswer(`${body}\nnot-a-signature`, 31337n, topic, bridge.publicId)).to.equal(null);
  });

  it("without a configured bridge address the JSON is read and the signature line ignored", function () {
    expect(openAnswer(signed(), 31337n, topic)).to.equal(body);
    expect(openAnswer(body, 31337n, topic)).to.equal(body);
  });
});
