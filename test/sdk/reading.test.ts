import { expect } from "chai";
import { readFileSync } from "node:fs";
import {
  EncodingError,
  encodeReading,
  fromWire,
  generateKeyPair,
  MAX_WIRE_BYTES,
  readingDigest,
  signatureHash,
  signReading,
  SNARK_SCALAR_FIELD,
  toWire,
  verifyReading,
  checkUint,
  type SignedReading,
} from "../../sdk/src/index.js";
import { buildVectors, renderJson, VECTORS_JSON, type VectorFile } from "../../tools/vectors.js";

const vectors = JSON.parse(readFileSync(VECTORS_JSON, "utf8")) as VectorFile;

function expectCode(fn: () => unknown, code: string, field?: string): EncodingError {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(EncodingError);
    const err = e as EncodingError;
    expect(err.code, err.message).to.equal(code);
    if (field !== undefined) expect(err.field).to.equal(field);
    return err;
  }
  expect.fail(`expected EncodingError ${code}`);
}

describe("sdk reading encoding", () => {
  it("committed test vectors equal a fresh generation (run `npm run vectors` if stale)", async () => {
    expect(readFileSync(VECTORS_JSON, "utf8")).to.equal(renderJson(await buildVectors()));
  });

  it("encodes, digests and signs every vector reading as recorded", () => {
    const net = BigInt(vectors.networkId);
    for (const v of vectors.readings) {
      const r = { deviceId: BigInt(v.deviceId), seq: BigInt(v.seq), timestamp: BigInt(v.timestamp), value: BigInt(v.value) };
      expect(Buffer.from(encodeReading(net, r)).toString("hex")).to.equal(v.canonical.slice(2));
      expect(Buffer.from(readingDigest(net, r)).toString("hex")).to.equal(v.digest.slice(2));
      expect(signatureHash(v.signature).toString()).to.equal(v.sigHash);
      const signed: SignedReading = { ...r, signature: v.signature as `0x${string}` };
      expect(verifyReading(net, v.keyType as "secp256k1" | "p256", v.publicId, signed)).to.equal(true);
      // The same signature under another network id, or for another value, does not verify.
      expect(verifyReading(net + 1n, v.keyType as "secp256k1" | "p256", v.publicId, signed)).to.equal(false);
      expect(verifyReading(net, v.keyType as "secp256k1" | "p256", v.publicId, { ...signed, value: r.value ^ 1n })).to.equal(
        false,
      );
    }
  });

  for (const type of ["secp256k1", "p256"] as const) {
    it(`round-trips a ${type} reading through the wire format`, () => {
      const key = generateKeyPair(type);
      const signed = signReading(5n, key, { deviceId: 9n, seq: 3n, timestamp: 1_800_000_000n, value: 42n });
      const back = fromWire(toWire(signed));
      expect(back).to.deep.equal(signed);
      expect(verifyReading(5n, type, key.publicId, back)).to.equal(true);
      const other = generateKeyPair(type);
      expect(verifyReading(5n, type, other.publicId, back)).to.equal(false);
    });
  }

  describe("rejects malformed wire input with a clear code", () => {
    for (const bad of vectors.badWire) {
      it(`${bad.name} → ${bad.code}`, () => {
        const err = expectCode(() => fromWire(bad.payload), bad.code);
        expect(err.message.length).to.be.greaterThan(5);
      });
    }
    it("accepts a payload of exactly the size limit boundary and rejects one byte over", () => {
      expectCode(() => fromWire("x".repeat(MAX_WIRE_BYTES + 1)), "OVERSIZE");
      // At the limit the size check passes and parsing decides.
      expectCode(() => fromWire(" ".repeat(MAX_WIRE_BYTES - 2) + "[]"), "NOT_AN_OBJECT");
    });
  });

  describe("range checks against the protocol widths and the field modulus", () => {
    it("refuses a repeated key and an odd-length signature; a key-like text inside a string is not a key", () => {
      const wire = toWire(
        signReading(5n, generateKeyPair("secp256k1"), { deviceId: 9n, seq: 3n, timestamp: 1_800_000_000n, value: 42n }),
      );
      expect(expectCode(() => fromWire(wire.replace(/^\{/, '{"seq":"4",')), "DUPLICATE_FIELD").field).to.equal("seq");
      expect(expectCode(() => fromWire(wire.replace(/}$/, ',"x":"\\"value\\":1"}')), "UNKNOWN_FIELD").field).to.equal("x");
      // The documented integer forms: decimal string (canonical), 0x hex string, JSON safe integer.
      expect(fromWire(wire.replace('"seq":"3"', '"seq":"0x3"')).seq).to.equal(3n);
      expect(fromWire(wire.replace('"seq":"3"', '"seq":3')).seq).to.equal(3n);
      expect(expectCode(() => fromWire(wire.replace('"seq":"3"', '"seq":"03"')), "WRONG_TYPE").field).to.equal("seq");
      const sig = (JSON.parse(wire) as { sig: string }).sig;
      expect(expectCode(() => fromWire(wire.replace(sig, sig + "f")), "BAD_SIGNATURE_FORMAT").message).to.include("odd number");
    });

    it("names the offending field", () => {
      expectCode(() => encodeReading(1n, { deviceId: 1n << 64n, seq: 0n, timestamp: 0n, value: 0n }), "OUT_OF_RANGE", "deviceId");
      expectCode(
        () => encodeReading(1n, { deviceId: 0n, seq: 0n, timestamp: 1n << 40n, value: 0n }),
        "OUT_OF_RANGE",
        "timestamp",
      );
      expectCode(() => encodeReading(1n, { deviceId: 0n, seq: -1n, timestamp: 0n, value: 0n }), "OUT_OF_RANGE", "seq");
      expectCode(
        () => encodeReading(1n << 64n, { deviceId: 0n, seq: 0n, timestamp: 0n, value: 0n }),
        "OUT_OF_RANGE",
        "networkId",
      );
    });
    it("accepts p-1 and rejects p and above as field elements", () => {
      expect(checkUint("x", SNARK_SCALAR_FIELD - 1n)).to.equal(SNARK_SCALAR_FIELD - 1n);
      expectCode(() => checkUint("x", SNARK_SCALAR_FIELD), "FIELD_OVERFLOW", "x");
      expectCode(() => checkUint("x", 1n << 255n), "FIELD_OVERFLOW", "x");
    });
    it("the signature commitment always fits the field", () => {
      for (let i = 0; i < 50; i++) {
        const sig = `0x${Buffer.from(crypto.getRandomValues(new Uint8Array(65))).toString("hex")}`;
        expect(signatureHash(sig) < SNARK_SCALAR_FIELD).to.equal(true);
      }
    });
  });
});
