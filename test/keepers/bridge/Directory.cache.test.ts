import { expect } from "chai";
import { generateKeyPair } from "../../../sdk/src/index.js";
import { DeviceStatus, OnChainDirectory } from "../../../keepers/bridge/directory.js";
import { chain, registerDevice } from "../../datapath/fixtures.js";

describe("OnChainDirectory", function () {
  it("caches within the TTL, re-reads on expiry, and refresh() picks up revocations at once", async function () {
    const { ethers, directory, directoryAddress } = await chain();
    let now = 1_000_000;
    const dir = new OnChainDirectory(directoryAddress, ethers.provider, { ttlMs: 60_000, negativeTtlMs: 1_000, now: () => now });
    const key = generateKeyPair("p256");
    expect((await dir.get(5n)).status).to.equal(DeviceStatus.None);
    await registerDevice(directory, 5n, key);
    expect((await dir.get(5n)).status).to.equal(DeviceStatus.None); // negative entry still fresh
    now += 1_001;
    const info = await dir.get(5n);
    expect(info.status).to.equal(DeviceStatus.Active);
    expect(info.keys).to.deep.equal([{ type: "p256", publicId: key.publicId.toLowerCase(), validFrom: 0n, revokedAt: 0n }]);
    const reads = dir.reads;
    await dir.get(5n);
    expect(dir.reads).to.equal(reads); // served from cache
    await (await directory.revokeKey(5n, 0, 123n)).wait();
    await (await directory.setStatus(5n, DeviceStatus.Suspended)).wait();
    expect((await dir.get(5n)).keys[0].revokedAt).to.equal(0n); // stale within the TTL…
    expect(await dir.refresh()).to.equal(1); // …until the bridge's tick refreshes it
    const fresh = await dir.get(5n);
    expect(fresh.status).to.equal(DeviceStatus.Suspended);
    expect(fresh.keys[0].revokedAt).to.equal(123n);
  });
});
