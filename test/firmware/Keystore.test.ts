import { expect } from "chai";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { loadKey, loadOrCreateKey, saveKey } from "../../firmware/keystore.js";
import { generateKeyPair, signReading, verifyReading } from "../../sdk/src/index.js";
import { NETWORK_ID, tempDir } from "../datapath/fixtures.js";

describe("Device keystore", function () {
  for (const type of ["secp256k1", "p256"] as const) {
    it(`${type}: generated once, stored 0600, reloaded, signs verifiable readings`, function () {
      const tmp = tempDir("keys");
      try {
        const file = path.join(tmp.dir, "device.key");
        const k1 = loadOrCreateKey(file, 12n, type);
        expect(statSync(file).mode & 0o777).to.equal(0o600);
        const k2 = loadOrCreateKey(file, 12n, type);
        expect(k2).to.deep.equal(k1);
        expect(() => loadOrCreateKey(file, 13n, type)).to.throw("belongs to device 12");
        const r = signReading(NETWORK_ID, loadKey(file).key, { deviceId: 12n, seq: 0n, timestamp: 1n, value: 2n });
        expect(verifyReading(NETWORK_ID, type, k1.publicId, r)).to.equal(true);
        // A key file whose public id does not match its private key is refused.
        const other = generateKeyPair(type);
        const raw = JSON.parse(readFileSync(file, "utf8")) as Record<string, string>;
        writeFileSync(file, JSON.stringify({ ...raw, publicId: other.publicId }));
        expect(() => loadKey(file)).to.throw("public id does not match");
        saveKey(file, 12n, k1);
        expect(loadKey(file).key).to.deep.equal(k1);
      } finally {
        tmp.cleanup();
      }
    });
  }
});
