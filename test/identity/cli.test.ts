import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { network } from "hardhat";
import { CliError, describeError, runIdentityCli } from "../../scripts/identity.js";
import { signDigest } from "../../sdk/src/index.js";
import { Status, deployIdentity, deviceKeys, type IdentityFixture } from "./fixture.js";

const conn = await network.create();

/** Awaits `p`, expecting it to fail with an error of class `cls` whose message matches `re`. */
async function rejects(p: Promise<unknown>, re: RegExp, cls: new (...a: never[]) => Error = Error): Promise<void> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  expect(err, "expected a rejection").to.be.instanceOf(cls);
  expect((err as Error).message).to.match(re);
}

describe("scripts/identity.ts (CLI)", () => {
  let dir: string;
  let f: IdentityFixture;
  let deployment: string;
  const lines: string[] = [];
  const run = (signer: IdentityFixture["owner"] | undefined, ...argv: string[]): Promise<number> =>
    runIdentityCli(argv, { signer, log: (l) => lines.push(l) });

  before(async () => {
    f = await deployIdentity(conn);
    dir = mkdtempSync(path.join(tmpdir(), "identity-cli-"));
    deployment = path.join(dir, "deployment.json");
    writeFileSync(deployment, JSON.stringify({ chainId: String(f.chainId), registry: await f.registry.getAddress() }));
  });

  it("--help prints the usage (in-process and as a real process)", async () => {
    lines.length = 0;
    expect(await run(undefined, "--help")).to.equal(0);
    expect(lines.join("\n")).to.match(/^Usage: npx tsx scripts\/identity.ts <command>/);
    const out = execFileSync("npx", ["tsx", "scripts/identity.ts", "--help"], { encoding: "utf8" });
    expect(out).to.include("maker-root");
    expect(out).to.include("resolve");
  });

  it("maker publishes a root from a key list; owner batch-binds, activates, rotates, transfers, decommissions; DID resolves", async () => {
    const keys = path.join(dir, "keys.json");
    const p256 = path.join(dir, "p256.json");
    expect(await run(undefined, "keygen", "--type", "secp256k1", "--count", "3", "--out", keys)).to.equal(0);
    expect(await run(undefined, "keygen", "--type", "p256", "--count", "1", "--out", p256)).to.equal(0);
    const all = path.join(dir, "all.json");
    const list = [...JSON.parse(readFileSync(keys, "utf8")), ...JSON.parse(readFileSync(p256, "utf8"))] as {
      privateKey: string;
    }[];
    writeFileSync(all, JSON.stringify(list));
    // The published list holds public keys only.
    const publicList = path.join(dir, "public.txt");
    writeFileSync(
      publicList,
      list
        .map((k) => `${(k as unknown as { type: string }).type},${(k as unknown as { publicKey: string }).publicKey}`)
        .join("\n"),
    );

    lines.length = 0;
    expect(
      await run(f.maker, "maker-root", "--keys", publicList, "--publish", "--uri", "ipfs://list", "--deployment", deployment),
    ).to.equal(0);
    const root = (JSON.parse(lines[0]) as { root: string }).root;
    expect((await f.registry.rootInfo(root)).maker).to.equal(f.maker.address);

    lines.length = 0;
    expect(
      await run(
        f.owner,
        "bind",
        "--keys",
        all,
        "--maker-keys",
        publicList,
        "--deployment",
        deployment,
        "--batch-size",
        "3",
        "--nonce-start",
        "100",
      ),
    ).to.equal(0);
    expect(await f.registry.balanceOf(f.owner.address)).to.equal(4n);
    expect(await f.registry.keyCount(4n)).to.equal(1n);
    expect((await f.registry.keyAt(4n, 0n)).keyType).to.equal(1n);
    expect(
      lines.filter((l) => l.includes('"deviceIds"')).map((l) => (JSON.parse(l) as { deviceIds: string[] }).deviceIds),
    ).to.deep.equal([["1", "2", "3"], ["4"]]);

    expect(await run(f.owner, "activate", "--device", "1", "--deployment", deployment)).to.equal(0);
    expect(await f.registry.deviceStatus(1n)).to.equal(Status.Active);

    const fresh = path.join(dir, "fresh.json");
    await run(undefined, "keygen", "--type", "secp256k1", "--count", "1", "--out", fresh);
    const [newKey] = JSON.parse(readFileSync(fresh, "utf8")) as { privateKey: string; publicKey: string }[];
    lines.length = 0;
    expect(
      await run(
        f.owner,
        "rotate",
        "--device",
        "1",
        "--old-private-key",
        list[0].privateKey,
        "--new-type",
        "secp256k1",
        "--new-private-key",
        newKey.privateKey,
        "--deployment",
        deployment,
      ),
    ).to.equal(0);
    expect((await f.registry.keyAt(1n, 1n)).publicKey).to.equal(newKey.publicKey.toLowerCase());
    // The hand-over instant is printed: the device switches keys for readings stamped from then on.
    const rotated = JSON.parse(lines.find((l) => l.includes('"identity#keyHandOver"'))!) as { effectiveAt: string };
    expect(rotated.effectiveAt).to.equal(String((await f.registry.keyAt(1n, 1n)).validFrom));
    expect(BigInt(rotated.effectiveAt)).to.equal((await f.now()) + (await f.registry.KEY_REVOCATION_DELAY()));

    expect(await run(f.owner, "transfer", "--device", "1", "--to", f.other.address, "--deployment", deployment)).to.equal(0);
    expect(await f.registry.ownerOf(1n)).to.equal(f.other.address);
    expect(await run(f.other, "decommission", "--device", "1", "--deployment", deployment)).to.equal(0);

    lines.length = 0;
    expect(
      await run(
        f.other,
        "resolve",
        "--did",
        `did:depin:${f.chainId}:1`,
        "--deployment",
        deployment,
        "--mqtt-broker",
        "mqtt://127.0.0.1:1883",
      ),
    ).to.equal(0);
    const result = JSON.parse(lines.join("\n")) as {
      didDocument: { controller: string; verificationMethod: { revoked?: string }[] };
      didDocumentMetadata: { deactivated?: boolean; status: string };
    };
    expect(result.didDocumentMetadata).to.include({ deactivated: true, status: "decommissioned" });
    expect(result.didDocument.controller).to.equal(`did:depin:${f.chainId}:${f.other.address.toLowerCase()}`);
    expect(result.didDocument.verificationMethod.slice(0, 2).every((vm) => typeof vm.revoked === "string")).to.equal(true);
    lines.length = 0;
    expect(await run(f.other, "resolve", "--did", `did:depin:${f.chainId}:99`, "--deployment", deployment)).to.equal(2);
    expect(lines.join("")).to.include("notFound");
  });

  it("binds a device that signed elsewhere (request file with signature, nonce, deadline; no private key)", async () => {
    const [device] = deviceKeys("secp256k1", 1, "cli-remote");
    const makerList = path.join(dir, "remote-maker.txt");
    writeFileSync(makerList, `secp256k1,${device.publicId}\n`);
    await run(f.maker, "maker-root", "--keys", makerList, "--publish", "--deployment", deployment);
    // The device computes the digest itself (here: the CLI's bind-digest, as an operator would).
    const deadline = (await f.now()) + 3600n;
    lines.length = 0;
    await run(
      f.owner,
      "bind-digest",
      "--owner",
      f.owner.address,
      "--nonce",
      "77",
      "--deadline",
      String(deadline),
      "--deployment",
      deployment,
    );
    const digest = lines[0];
    const signature = signDigest(device, Buffer.from(digest.slice(2), "hex"));
    const requests = path.join(dir, "signed.json");
    writeFileSync(
      requests,
      JSON.stringify([{ type: "secp256k1", publicKey: device.publicId, signature, nonce: "77", deadline: String(deadline) }]),
    );
    expect(await run(f.owner, "bind", "--keys", requests, "--maker-keys", makerList, "--deployment", deployment)).to.equal(0);
    const id = await f.registry.deviceOfKey(0, device.publicId);
    expect(await f.registry.ownerOf(id)).to.equal(f.owner.address);
    expect(await f.registry.isNonceUsed(f.owner.address, 77n)).to.equal(true);
    // The same file again: refused by the registry (key already bound), nothing changes.
    await rejects(
      run(f.owner, "bind", "--keys", requests, "--maker-keys", makerList, "--deployment", deployment),
      /DeviceRegistryKeyAlreadyBound/,
    );
    expect(await f.registry.balanceOf(f.owner.address)).to.equal(4n);
  });

  it("reports bad input with the option or entry at fault", async () => {
    await rejects(run(undefined, "keygen", "--type", "ed25519", "--count", "1", "--out", "/dev/null"), /--type/, CliError);
    await rejects(run(f.owner, "activate", "--device", "x1", "--deployment", deployment), /--device must be/, CliError);
    await rejects(run(f.owner, "activate"), /--deployment/, CliError);
    // A revert shows the registry's custom error with its arguments.
    let reverted: unknown;
    try {
      await run(f.other, "activate", "--device", "2", "--deployment", deployment);
    } catch (e) {
      reverted = e;
    }
    expect(describeError(reverted)).to.equal(`DeviceRegistryNotDeviceOwner(2, ${f.other.address})`);
    await rejects(run(undefined, "frobnicate"), /unknown command "frobnicate"/, CliError);
    const bad = path.join(dir, "bad.txt");
    writeFileSync(bad, "secp256k1,0x1234\n");
    await rejects(run(undefined, "maker-root", "--keys", bad), /must be 20 bytes/);
  });

  it("maker provisions devices with their consent (factory key or device-signed digest); governance releases one", async () => {
    const [atFactory, remote, stranger] = deviceKeys("secp256k1", 3, "cli-provision");
    const makerList = path.join(dir, "provision-maker.txt");
    writeFileSync(makerList, [atFactory, remote].map((k) => `secp256k1,${k.publicId}`).join("\n"));
    await run(f.maker, "maker-root", "--keys", makerList, "--publish", "--deployment", deployment);
    // The remote device signs the provisioning digest naming the maker (its proof of possession).
    const deadline = (await f.now()) + 3600n;
    lines.length = 0;
    await run(
      undefined,
      "provision-digest",
      "--maker",
      f.maker.address,
      "--deadline",
      String(deadline),
      "--deployment",
      deployment,
    );
    const provisionSignature = signDigest(remote, Buffer.from(lines[0].slice(2), "hex"));
    const file = path.join(dir, "provision.json");
    const entries = [
      { type: "secp256k1", publicKey: atFactory.publicId, privateKey: atFactory.privateKey },
      { type: "secp256k1", publicKey: remote.publicId, provisionSignature, provisionDeadline: String(deadline) },
    ];
    writeFileSync(file, JSON.stringify(entries));

    // Without the device's own signature (signed by another key) the maker cannot provision it.
    const forged = path.join(dir, "provision-forged.json");
    const wrong = signDigest(stranger, Buffer.from(lines[0].slice(2), "hex"));
    writeFileSync(forged, JSON.stringify([{ ...entries[1], provisionSignature: wrong }]));
    const total = await f.registry.totalDevices();
    let refused: unknown;
    try {
      await run(f.maker, "provision", "--keys", forged, "--maker-keys", makerList, "--deployment", deployment);
    } catch (e) {
      refused = e;
    }
    expect(describeError(refused)).to.match(/^DeviceRegistryInvalidDeviceSignature\(0, 0x[0-9a-f]{64}\)$/);
    expect(await f.registry.totalDevices()).to.equal(total);

    lines.length = 0;
    expect(await run(f.maker, "provision", "--keys", file, "--maker-keys", makerList, "--deployment", deployment)).to.equal(0);
    const ids = (JSON.parse(lines.find((l) => l.includes('"deviceIds"'))!) as { deviceIds: string[] }).deviceIds.map(BigInt);
    expect(ids).to.deep.equal([total + 1n, total + 2n]);
    for (const id of ids) expect(await f.registry.deviceStatus(id)).to.equal(Status.Provisioned);
    expect(await f.registry.deviceOfKey(0, remote.publicId)).to.equal(ids[1]);

    // Only governance releases; the released key is free again.
    await rejects(run(f.maker, "release", "--device", String(ids[1]), "--deployment", deployment), /revert/i);
    expect(await f.registry.deviceStatus(ids[1])).to.equal(Status.Provisioned);
    expect(await run(f.admin, "release", "--device", String(ids[1]), "--deployment", deployment)).to.equal(0);
    expect(await f.registry.deviceStatus(ids[1])).to.equal(Status.Decommissioned);
    expect(await f.registry.deviceOfKey(0, remote.publicId)).to.equal(0n);
  });
});
