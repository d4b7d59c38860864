import { Aedes } from "aedes";
import { expect } from "chai";
import { execFile, execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { network } from "hardhat";
import { CliError, describeError, runIdentityCli } from "../../scripts/identity.js";
import { fromWire, networkTopicRoot, signDigest, verifyReading } from "../../sdk/src/index.js";
import { Status, deployIdentity, deviceKeys, type IdentityFixture } from "./fixture.js";

const conn = await network.create();

interface KeyFileDevice {
  type: "secp256k1" | "p256";
  privateKey: `0x${string}`;
  publicId: `0x${string}`;
  deviceId?: string;
}
const readKeys = (file: string): KeyFileDevice[] =>
  (JSON.parse(readFileSync(file, "utf8")) as { devices: KeyFileDevice[] }).devices;

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
    const list = [...readKeys(keys), ...readKeys(p256)];
    writeFileSync(all, JSON.stringify({ format: "depin-device-keys", version: 1, devices: list }));
    // The published list holds public keys only.
    const publicList = path.join(dir, "public.txt");
    writeFileSync(publicList, list.map((k) => `${k.type},${k.publicId}`).join("\n"));

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
      lines
        .filter((l) => l.includes('"identity#bind"') && l.includes('"deviceIds"'))
        .map((l) => (JSON.parse(l) as { deviceIds: string[] }).deviceIds),
    ).to.deep.equal([["1", "2", "3"], ["4"]]);

    expect(await run(f.owner, "activate", "--device", "1", "--deployment", deployment)).to.equal(0);
    expect(await f.registry.deviceStatus(1n)).to.equal(Status.Active);

    const fresh = path.join(dir, "fresh.json");
    await run(undefined, "keygen", "--type", "secp256k1", "--count", "1", "--out", fresh);
    const [newKey] = readKeys(fresh);
    lines.length = 0;
    expect(
      await run(f.owner, "rotate", "--device", "1", "--keys", all, "--new-keys", fresh, "--deployment", deployment),
    ).to.equal(0);
    expect((await f.registry.keyAt(1n, 1n)).publicKey).to.equal(newKey.publicId.toLowerCase());
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
    // No flag, no DEPIN_DEPLOYMENT: the record is looked up as <--deployments>/<chainId>.json.
    await rejects(
      run(f.owner, "activate", "--device", "1", "--deployments", path.join(dir, "none")),
      /none\/31337\.json does not exist/,
      CliError,
    );
    await rejects(run(f.owner, "activate", "--deployment", deployment), /exactly one of --device/, CliError);
    // A revert shows the registry's custom error with its arguments.
    let reverted: unknown;
    try {
      await run(f.other, "activate", "--device", "2", "--deployment", deployment);
    } catch (e) {
      reverted = e;
    }
    expect(describeError(reverted)).to.equal(
      `DeviceRegistryNotDeviceOwner(deviceId=2, caller=${f.other.address}): only the device's holder may do this`,
    );
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
    expect(describeError(refused)).to.match(/^DeviceRegistryInvalidDeviceSignature\(index=0, keyId=0x[0-9a-f]{64}\)$/);
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

/** The `npm run identity|firmware -- …` lines of README.md's "Device maker and device owner" block. */
function readmeDeviceCommands(): { tool: "identity" | "firmware"; comment: string; argv: string[] }[] {
  const readme = readFileSync(path.resolve("README.md"), "utf8");
  const start = readme.indexOf("### Device maker and device owner");
  const block = readme.slice(readme.indexOf("```bash", start) + 7, readme.indexOf("```", readme.indexOf("```bash", start) + 7));
  return block
    .split("\n")
    .map((l) => /^npm run (identity|firmware) -- ([^#]*)(#.*)?$/.exec(l.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ tool: m[1] as "identity" | "firmware", argv: m[2].trim().split(/\s+/), comment: m[3] ?? "" }));
}

describe("README.md device maker and owner commands, as written", () => {
  it("keygen → maker-root → bind → activate → rotate → transfer → decommission → resolve against deployments/<chainId>.json, then firmware simulate signs with the key file", async () => {
    const f = await deployIdentity(conn);
    expect(f.chainId).to.equal(31337n); // the README's DID names chain 31337
    const work = mkdtempSync(path.join(tmpdir(), "identity-readme-"));
    // The deployment record scripts/deploy.ts writes (only the registry matters here).
    mkdirSync(path.join(work, "deployments"));
    writeFileSync(
      path.join(work, "deployments", "31337.json"),
      JSON.stringify({
        version: 1,
        chainId: 31337,
        network: "localhost",
        module: "DevProtocol",
        contracts: { deviceRegistry: { address: await f.registry.getAddress(), startBlock: 0 } },
      }),
    );
    const commands = readmeDeviceCommands();
    expect(commands.map((c) => `${c.tool} ${c.argv[0]}`)).to.deep.equal([
      "identity keygen",
      "identity maker-root",
      "identity bind",
      "identity activate",
      "identity keygen",
      "identity rotate",
      "identity transfer",
      "identity decommission",
      "identity resolve",
      "firmware simulate",
    ]);
    const out: string[] = [];
    const cwd = process.cwd();
    process.chdir(work);
    try {
      for (const c of commands.filter((x) => x.tool === "identity")) {
        out.length = 0;
        // "# maker" lines are signed by the approved maker, the rest by the owner (DEPIN_PRIVATE_KEY in a shell).
        const signer = c.comment.includes("maker") ? f.maker : f.owner;
        const code = await runIdentityCli(c.argv, { signer, log: (l) => out.push(l) });
        expect(code, `${c.argv.join(" ")}\n${out.join("\n")}`).to.equal(0);
        if (c.argv[0] === "bind") expect(out.join("\n")).to.include("activate --all-bound"); // the next step is printed
      }
    } finally {
      process.chdir(cwd);
    }
    const keysFile = path.join(work, "keys.json");
    expect(statSync(keysFile).mode & 0o777).to.equal(0o600);
    const keys = readKeys(keysFile);
    expect(keys.map((k) => k.deviceId)).to.deep.equal(["1", "2", "3"]); // bind recorded the ids
    for (const k of keys) expect(await f.registry.deviceOfKey(0, k.publicId)).to.equal(BigInt(k.deviceId!));
    expect(await f.registry.deviceStatus(1n)).to.equal(Status.Active);
    expect(await f.registry.deviceStatus(2n)).to.equal(Status.Active);
    expect(await f.registry.deviceStatus(3n)).to.equal(Status.Decommissioned);
    expect(await f.registry.ownerOf(2n)).to.equal("0x90F79bf6EB2c4f870365E785982E1f101E93b906");
    expect((await f.registry.keyAt(1n, 1n)).publicKey).to.equal(readKeys(path.join(work, "new.json"))[0].publicId.toLowerCase());
    const resolved = JSON.parse(out.join("\n")) as { didDocument: { id: string } };
    expect(resolved.didDocument.id).to.equal("did:depin:31337:1");

    // firmware simulate --keys keys.json, against a plain broker on a free port for a second.
    const broker = await Aedes.createBroker();
    const server = net.createServer(broker.handle);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as net.AddressInfo).port;
    const readings: { topic: string; payload: string }[] = [];
    broker.on("publish", (packet, client) => {
      if (client) readings.push({ topic: packet.topic, payload: packet.payload.toString() });
    });
    // The bridge's /status, which the README's simulate command reads its topic root and answer address from.
    const registryAddress = await f.registry.getAddress();
    const status = http.createServer((_req, res) =>
      res.end(JSON.stringify({ topicRoot: networkTopicRoot(31337n, registryAddress), answerAddress: `0x${"11".repeat(20)}` })),
    );
    await new Promise<void>((r) => status.listen(0, "127.0.0.1", r));
    const statusUrl = `http://127.0.0.1:${(status.address() as net.AddressInfo).port}/status`;
    const sim = commands
      .find((c) => c.tool === "firmware")!
      .argv.map((a) =>
        a === "mqtt://127.0.0.1:1883"
          ? `mqtt://127.0.0.1:${port}`
          : a === "60"
            ? "1"
            : a === "http://127.0.0.1:9101/status"
              ? statusUrl
              : a,
      );
    try {
      await promisify(execFile)(
        path.join(cwd, "node_modules/.bin/tsx"),
        [path.join(cwd, "firmware/cli.ts"), ...sim, "--drain-timeout", "0"],
        {
          cwd: work,
        },
      );
    } finally {
      await new Promise<void>((r) => broker.close(() => r()));
      server.close();
      status.close();
    }
    // Under the network's own topic root (the deployment's registry), as the bridge derives it.
    expect(
      readings
        .filter((r) => r.topic.includes("/r/"))
        .every((r) => r.topic.startsWith(`${networkTopicRoot(31337n, registryAddress)}/r/`)),
    ).to.equal(true);
    const signed = readings.filter((r) => r.topic.includes("/r/")).map((r) => fromWire(r.payload));
    expect(new Set(signed.map((r) => String(r.deviceId)))).to.deep.equal(new Set(["1", "2", "3"]));
    // Every reading verifies against the key the registry holds for its device (key 0: before the hand-over).
    for (const r of signed) {
      const key = await f.registry.keyAt(r.deviceId, 0n);
      const type = Number(key.keyType) === 0 ? "secp256k1" : "p256";
      expect(verifyReading(31337n, type, key.publicKey, r), `reading of device ${r.deviceId}`).to.equal(true);
    }
  });

  it("rotate takes no private key on the command line: the old flags are refused, key files or the environment work", async () => {
    const f = await deployIdentity(conn);
    const work = mkdtempSync(path.join(tmpdir(), "identity-rotate-"));
    const deployment = path.join(work, "deployment.json");
    writeFileSync(deployment, JSON.stringify({ chainId: String(f.chainId), registry: await f.registry.getAddress() }));
    const keys = path.join(work, "keys.json");
    const next = path.join(work, "next.json");
    const quiet = { log: () => undefined };
    await runIdentityCli(["keygen", "--type", "secp256k1", "--count", "1", "--out", keys], quiet);
    await runIdentityCli(["keygen", "--type", "p256", "--count", "2", "--out", next], quiet);
    await runIdentityCli(["maker-root", "--keys", keys, "--publish", "--deployment", deployment], { ...quiet, signer: f.maker });
    await runIdentityCli(["bind", "--keys", keys, "--maker-keys", keys, "--activate", "--deployment", deployment], {
      ...quiet,
      signer: f.owner,
    });
    expect(await f.registry.deviceStatus(1n)).to.equal(Status.Active); // bind --activate
    const [old] = readKeys(keys);
    const [n0, n1] = readKeys(next);

    // The old argv flags no longer exist: a private key typed there is refused before anything is sent.
    await rejects(
      runIdentityCli(
        [
          "rotate",
          "--device",
          "1",
          "--old-private-key",
          old.privateKey,
          "--new-private-key",
          n0.privateKey,
          "--deployment",
          deployment,
        ],
        { ...quiet, signer: f.owner },
      ),
      /Unknown option '--old-private-key'/,
    );
    // Without a key source: a clear error, nothing rotated.
    await rejects(
      runIdentityCli(["rotate", "--device", "1", "--deployment", deployment], { ...quiet, signer: f.owner }),
      /--keys FILE .* or env DEPIN_DEVICE_PRIVATE_KEY is required/,
      CliError,
    );
    // A key file that does not hold the device's current key is refused.
    await rejects(
      runIdentityCli(["rotate", "--device", "1", "--keys", next, "--new-keys", next, "--deployment", deployment], {
        ...quiet,
        signer: f.owner,
      }),
      /does not hold device 1's current key/,
      CliError,
    );
    expect(await f.registry.keyCount(1n)).to.equal(1n);

    // From key files (entry --new-index 1).
    expect(
      await runIdentityCli(
        ["rotate", "--device", "1", "--keys", keys, "--new-keys", next, "--new-index", "1", "--deployment", deployment],
        { ...quiet, signer: f.owner },
      ),
    ).to.equal(0);
    expect((await f.registry.keyAt(1n, 1n)).publicKey).to.equal(n1.publicId.toLowerCase());

    // From the environment.
    process.env.DEPIN_DEVICE_PRIVATE_KEY = n1.privateKey;
    process.env.DEPIN_NEW_DEVICE_PRIVATE_KEY = n0.privateKey;
    try {
      expect(
        await runIdentityCli(["rotate", "--device", "1", "--new-type", "p256", "--deployment", deployment], {
          ...quiet,
          signer: f.owner,
        }),
      ).to.equal(0);
    } finally {
      delete process.env.DEPIN_DEVICE_PRIVATE_KEY;
      delete process.env.DEPIN_NEW_DEVICE_PRIVATE_KEY;
    }
    expect((await f.registry.keyAt(1n, 2n)).publicKey).to.equal(n0.publicId.toLowerCase());
  });

  it("batch activate: --devices and --all-bound; a refused step prints the registry error by name", async () => {
    const f = await deployIdentity(conn);
    const work = mkdtempSync(path.join(tmpdir(), "identity-activate-"));
    const deployment = path.join(work, "deployment.json");
    writeFileSync(deployment, JSON.stringify({ chainId: String(f.chainId), registry: await f.registry.getAddress() }));
    const keys = path.join(work, "keys.json");
    const quiet = { log: () => undefined };
    await runIdentityCli(["keygen", "--type", "secp256k1", "--count", "4", "--out", keys], quiet);
    await runIdentityCli(["maker-root", "--keys", keys, "--publish", "--deployment", deployment], { ...quiet, signer: f.maker });
    await runIdentityCli(["bind", "--keys", keys, "--maker-keys", keys, "--deployment", deployment], {
      ...quiet,
      signer: f.owner,
    });
    process.env.DEPIN_DEPLOYMENT = deployment; // the environment names the record
    try {
      expect(await runIdentityCli(["activate", "--devices", "1,3"], { ...quiet, signer: f.owner })).to.equal(0);
      expect(await f.registry.deviceStatus(1n)).to.equal(Status.Active);
      expect(await f.registry.deviceStatus(2n)).to.equal(Status.Bound);
      expect(await runIdentityCli(["activate", "--all-bound"], { ...quiet, signer: f.owner })).to.equal(0);
      for (const id of [1n, 2n, 3n, 4n]) expect(await f.registry.deviceStatus(id)).to.equal(Status.Active);
      let err: unknown;
      try {
        await runIdentityCli(["activate", "--device", "1"], { ...quiet, signer: f.owner });
      } catch (e) {
        err = e;
      }
      expect(describeError(err)).to.match(/^DeviceRegistryInvalidTransition\(deviceId=1, from=3 \(Active\), to=3 \(Active\)\): /);
    } finally {
      delete process.env.DEPIN_DEPLOYMENT;
    }
  });
});
