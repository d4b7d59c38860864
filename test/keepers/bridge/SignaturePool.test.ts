import { expect } from "chai";
import { generateKeyPair, signReading, type SignedReading } from "../../../sdk/src/index.js";
import type { DeviceKeyInfo } from "../../../keepers/bridge/directory.js";
import { keccak256, keccakImplementation } from "../../../keepers/bridge/keccak.js";
import { SignaturePool, type SignatureJob } from "../../../keepers/bridge/signature-pool.js";
import { keccak_256 } from "@noble/hashes/sha3";
import { ConfigError } from "../../../keepers/common/options.js";
import { bridgeOpts } from "../../datapath/fixtures.js";

const NET = 31337n;

function info(publicId: string, type: "secp256k1" | "p256", validFrom = 0n, revokedAt = 0n): DeviceKeyInfo {
  return { type, publicId, validFrom, revokedAt };
}

/** Jobs whose expected verdicts are known: good, forged, flipped v, revoked, not yet valid, P-256. */
function jobs(): { jobs: SignatureJob[]; expected: string[] } {
  const k = generateKeyPair("secp256k1");
  const other = generateKeyPair("secp256k1");
  const p = generateKeyPair("p256");
  const keys = [info(k.publicId, "secp256k1")];
  const out: SignatureJob[] = [];
  const expected: string[] = [];
  const add = (reading: SignedReading, ks: DeviceKeyInfo[], verdict: string): void => {
    out.push({ reading, keys: ks });
    expected.push(verdict);
  };
  for (let i = 0; i < 12; i++) {
    const r = signReading(NET, k, { deviceId: 9n, seq: BigInt(i), timestamp: 1000n + BigInt(i), value: 5n });
    add(r, keys, "ok");
  }
  add(signReading(NET, other, { deviceId: 9n, seq: 20n, timestamp: 1000n, value: 5n }), keys, "BAD_SIGNATURE");
  const good = signReading(NET, k, { deviceId: 9n, seq: 21n, timestamp: 1000n, value: 5n });
  // Same (r, s), other recovery id: verifies against the key, but ecrecover on-chain yields another address.
  const v = parseInt(good.signature.slice(-2), 16);
  add(
    { ...good, signature: `${good.signature.slice(0, -2)}${(v === 27 ? 28 : 27).toString(16)}` as `0x${string}` },
    keys,
    "BAD_SIGNATURE",
  );
  add({ ...good, value: 6n }, keys, "BAD_SIGNATURE");
  add(good, [info(k.publicId, "secp256k1", 0n, 900n)], "KEY_REVOKED");
  add(good, [info(k.publicId, "secp256k1", 2000n)], "KEY_NOT_YET_VALID");
  // A pending (future) revocation already refuses readings stamped at or after it.
  add(good, [info(k.publicId, "secp256k1", 0n, 1000n)], "KEY_REVOKED");
  add(good, [info(k.publicId, "secp256k1", 0n, 1001n)], "ok");
  add(
    signReading(NET, p, { deviceId: 9n, seq: 22n, timestamp: 1000n, value: 5n }),
    [info(other.publicId, "secp256k1"), info(p.publicId, "p256")],
    "ok",
  );
  return { jobs: out, expected };
}

const verdicts = (r: Awaited<ReturnType<SignaturePool["check"]>>): string[] => r.map((c) => (c.ok ? "ok" : c.code));

describe("SignaturePool: signature checks on worker threads", function () {
  it("threads give the same verdicts as inline checks, and checks really run on the threads", async function () {
    const { jobs: js, expected } = jobs();
    const inline = new SignaturePool(NET, 0);
    const pooled = new SignaturePool(NET, 2);
    try {
      expect(verdicts(await inline.check(js))).to.deep.equal(expected);
      expect(verdicts(await pooled.check(js))).to.deep.equal(expected);
      expect(pooled.fallback).to.equal(undefined);
      expect(pooled.counts).to.deep.equal({ offloaded: js.length, inline: 0 });
      expect(inline.counts).to.deep.equal({ offloaded: 0, inline: js.length });
      // Concurrent batches keep their own order.
      const many = await Promise.all([pooled.check(js), pooled.check(js.slice().reverse()), pooled.check(js.slice(3))]);
      expect(verdicts(many[0])).to.deep.equal(expected);
      expect(verdicts(many[1])).to.deep.equal(expected.slice().reverse());
      expect(verdicts(many[2])).to.deep.equal(expected.slice(3));
    } finally {
      await Promise.all([inline.close(), pooled.close()]);
    }
  });

  it("refuses a bad thread count and checks after close", async function () {
    expect(() => new SignaturePool(NET, -1)).to.throw("signature threads must be an integer ≥ 0, got -1");
    expect(() => bridgeOpts({ verifyThreads: -1 })).to.throw(ConfigError, "--verify-threads");
    expect(() => bridgeOpts({ verifyThreads: "two" })).to.throw(ConfigError, "--verify-threads");
    expect(bridgeOpts({ verifyThreads: 0 }).verifyThreads).to.equal(0);
    const pool = new SignaturePool(NET, 1);
    await pool.close();
    let err: Error | undefined;
    await pool.check(jobs().jobs).catch((e: Error) => (err = e));
    expect(err?.message).to.equal("signature pool is closed");
  });

  it("native keccak matches @noble/hashes on every length around the rate boundary", function () {
    expect(keccakImplementation).to.equal("native");
    for (const n of [0, 1, 31, 32, 60, 135, 136, 137, 272, 1000]) {
      const data = Uint8Array.from({ length: n }, (_, i) => (i * 7 + n) & 0xff);
      expect(Buffer.from(keccak256(data)).toString("hex")).to.equal(Buffer.from(keccak_256(data)).toString("hex"));
    }
  });
});
