/**
 * `npx tsx scripts/identity.ts <command> [options]` — identity-layer CLI for makers, owners and
 * anyone resolving a DID. Run with --help (or `<command> --help`) for the full text.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { JsonRpcProvider, Wallet, type ContractRunner, type Signer } from "ethers";
import {
  KEY_TYPE_CODE,
  KeyTree,
  bindDigest,
  makeProvisionRequest,
  provisionDigest,
  bytesToHex,
  generateKeyPair,
  keyId,
  keyPairFromPrivate,
  makeBindRequest,
  resolveDid,
  signRotation,
  type BindRequest,
  type ProvisionRequest,
  type DevicePublicKey,
  type DeviceKeyPair,
  type KeyType,
} from "../sdk/src/index.js";
import { IDeviceRegistry__factory, type IDeviceRegistry } from "../types/typechain/index.js";
import { registryReader } from "./lib/registryReader.js";

const HELP = `Usage: npx tsx scripts/identity.ts <command> [options]

Device makers
  keygen        --type secp256k1|p256 --count N --out FILE
                Generate simulated device keys (private keys included: for demos and tests).
  maker-root    --keys FILE [--publish --uri URI] [--proofs-out FILE]
                Build the maker Merkle root of a device-key list; with --publish send
                publishMakerRoot from the maker's key.
  provision-digest --maker ADDR --deadline UNIX
                Print the EIP-712 digest a device signs to consent to being provisioned by
                the maker (its proof of possession).
  provision     --keys FILE --maker-keys FILE [--index I] [--deadline-in SECONDS]
                [--batch-size 100]
                Register devices before sale (status Provisioned) from the maker's key. Devices
                with a "privateKey" sign here (factory station); others must carry
                "provisionSignature" and "provisionDeadline" produced by the device.

Owners
  bind-digest   --owner ADDR --nonce N --deadline UNIX
                Print the EIP-712 digest a device signs to consent to a binding.
  bind          --keys FILE --maker-keys FILE [--index I] [--nonce-start N]
                [--deadline-in SECONDS] [--batch-size 100]
                Bind one device (--index) or every device in FILE, in batches. Devices with a
                "privateKey" sign here (simulated); others must carry "signature", "nonce"
                and "deadline" produced by the device.
  activate      --device ID
  rotate        --device ID --old-private-key HEX --new-type T --new-private-key HEX
                [--deadline-in SECONDS]
  transfer      --device ID --to ADDR
  decommission  --device ID
                Rotation and decommission take effect KEY_REVOCATION_DELAY (10 min) after the
                block: the old key signs readings stamped before that instant, the new key
                readings stamped from it on (printed as effectiveAt).

Governance (DEVICE_GUARDIAN_ROLE)
  release       --device ID
                Release a device that is still only Provisioned (e.g. its maker's root was
                revoked): it is retired and its key can be onboarded again.

Anyone
  resolve       --did DID [--mqtt-broker URL] [--mqtt-topic TEMPLATE]
                Print the DID resolution result (W3C DID Core JSON).

Common options
  --deployment FILE   JSON with the addresses: { "chainId", "registry" } or Ignition's
                      deployed_addresses.json ("Identity#DeviceRegistry"). Required except for
                      keygen, maker-root without --publish, and bind-digest with --registry.
  --registry ADDR     registry address (overrides the deployment file)
  --chain-id N        chain id (default: asked from the RPC)
  --rpc URL           JSON-RPC endpoint (default http://127.0.0.1:8545)
  --private-key HEX   transaction signer (default: env DEPIN_PRIVATE_KEY)
  --help              this text

Key list file: JSON array of { "type": "secp256k1"|"p256", "publicKey": "0x…",
"privateKey"?: "0x…", "signature"?, "nonce"?, "deadline"?, "provisionSignature"?,
"provisionDeadline"? } (publicKey: 20-byte address or 64-byte x‖y), or text lines
"type,publicKey[,privateKey]".`;

/** A device-key list entry as read from a file. */
export interface KeyEntry extends DevicePublicKey {
  privateKey?: `0x${string}`;
  signature?: `0x${string}`;
  nonce?: string;
  deadline?: string;
  /** The device's signature of `provisionDigest(maker, provisionDeadline)`. */
  provisionSignature?: `0x${string}`;
  provisionDeadline?: string;
}

export class CliError extends Error {}

function asKeyType(v: string, where: string): KeyType {
  if (v !== "secp256k1" && v !== "p256") throw new CliError(`${where}: key type must be secp256k1 or p256, got "${v}"`);
  return v;
}

/** Reads a device-key list (JSON or text lines); derives publicKey from privateKey when absent. */
export function readKeyFile(file: string): KeyEntry[] {
  const text = readFileSync(file, "utf8").trim();
  const raw: Record<string, unknown>[] = text.startsWith("[")
    ? (JSON.parse(text) as Record<string, unknown>[])
    : text
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l !== "" && !l.startsWith("#"))
        .map((l) => {
          const [type, publicKey, privateKey] = l.split(/[,\s]+/);
          return { type, publicKey, privateKey };
        });
  return raw.map((r, i) => {
    const where = `${file} entry ${i}`;
    const type = asKeyType(String(r.type), where);
    let publicKey = r.publicKey as `0x${string}` | undefined;
    const privateKey = r.privateKey as `0x${string}` | undefined;
    if (privateKey) {
      const derived = keyPairFromPrivate(type, privateKey).publicId;
      if (publicKey && publicKey.toLowerCase() !== derived.toLowerCase())
        throw new CliError(`${where}: publicKey does not match privateKey`);
      publicKey = derived;
    }
    if (!publicKey) throw new CliError(`${where}: publicKey missing`);
    const entry: KeyEntry = { type, publicKey, privateKey };
    keyId(entry); // validates the length
    for (const k of ["signature", "nonce", "deadline", "provisionSignature", "provisionDeadline"] as const)
      if (r[k] !== undefined) entry[k] = String(r[k]) as never;
    return entry;
  });
}

interface Deployment {
  registry: string;
  chainId?: bigint;
}

function readDeployment(file: string | undefined, registryFlag: string | undefined): Deployment {
  if (registryFlag) return { registry: registryFlag };
  if (!file) throw new CliError("--deployment FILE (or --registry ADDR) is required for this command");
  const j = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  const registry = (j.registry ?? j["Identity#DeviceRegistry"] ?? j["Identity#DeviceRegistryProxy"]) as string | undefined;
  if (!registry) throw new CliError(`${file}: no "registry" or "Identity#DeviceRegistry" address`);
  return { registry, chainId: j.chainId === undefined ? undefined : BigInt(j.chainId as string | number) };
}

export interface CliContext {
  /** Transaction signer (tests inject one; otherwise built from --rpc and --private-key). */
  signer?: Signer;
  log?: (line: string) => void;
}

const OPTIONS = {
  help: { type: "boolean" },
  deployment: { type: "string" },
  registry: { type: "string" },
  "chain-id": { type: "string" },
  rpc: { type: "string" },
  "private-key": { type: "string" },
  type: { type: "string" },
  count: { type: "string" },
  out: { type: "string" },
  keys: { type: "string" },
  "maker-keys": { type: "string" },
  publish: { type: "boolean" },
  uri: { type: "string" },
  "proofs-out": { type: "string" },
  owner: { type: "string" },
  maker: { type: "string" },
  nonce: { type: "string" },
  deadline: { type: "string" },
  index: { type: "string" },
  "nonce-start": { type: "string" },
  "deadline-in": { type: "string" },
  "batch-size": { type: "string" },
  device: { type: "string" },
  to: { type: "string" },
  "old-private-key": { type: "string" },
  "new-type": { type: "string" },
  "new-private-key": { type: "string" },
  did: { type: "string" },
  "mqtt-broker": { type: "string" },
  "mqtt-topic": { type: "string" },
} as const;

function int(v: string | undefined, name: string, dflt?: bigint): bigint {
  if (v === undefined) {
    if (dflt === undefined) throw new CliError(`--${name} is required`);
    return dflt;
  }
  if (!/^\d+$/.test(v)) throw new CliError(`--${name} must be a non-negative integer, got "${v}"`);
  return BigInt(v);
}

function need(v: string | undefined, name: string): string {
  if (v === undefined || v === "") throw new CliError(`--${name} is required`);
  return v;
}

/** Runs one CLI command; returns the process exit code. */
export async function runIdentityCli(argv: string[], ctx: CliContext = {}): Promise<number> {
  const log = ctx.log ?? ((l: string) => console.log(l));
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  const command = positionals[0];
  if (values.help || !command) {
    log(HELP);
    return command || values.help ? 0 : 1;
  }

  let signerCache: Signer | undefined = ctx.signer;
  const signer = (): Signer => {
    if (signerCache) return signerCache;
    const key = values["private-key"] ?? process.env.DEPIN_PRIVATE_KEY;
    if (!key) throw new CliError("a transaction signer is required: --private-key HEX or env DEPIN_PRIVATE_KEY");
    signerCache = new Wallet(key, new JsonRpcProvider(values.rpc ?? "http://127.0.0.1:8545"));
    return signerCache;
  };
  const runner = (): ContractRunner =>
    ctx.signer ??
    (values["private-key"] || process.env.DEPIN_PRIVATE_KEY
      ? signer()
      : new JsonRpcProvider(values.rpc ?? "http://127.0.0.1:8545"));
  const registry = (): { contract: IDeviceRegistry; deployment: Deployment } => {
    const deployment = readDeployment(values.deployment, values.registry);
    return { contract: IDeviceRegistry__factory.connect(deployment.registry, runner()), deployment };
  };
  const chainId = async (d: Deployment): Promise<bigint> => {
    if (values["chain-id"]) return int(values["chain-id"], "chain-id");
    if (d.chainId !== undefined) return d.chainId;
    const provider = runner().provider;
    if (!provider) throw new CliError("--chain-id is required without an RPC provider");
    return (await provider.getNetwork()).chainId;
  };
  const now = async (): Promise<bigint> => {
    const block = await runner().provider?.getBlock("latest");
    return BigInt(block?.timestamp ?? Math.floor(Date.now() / 1000));
  };
  const send = async (label: string, tx: Promise<{ hash: string; wait(): Promise<unknown> }>): Promise<void> => {
    const sent = await tx;
    const receipt = (await sent.wait()) as { gasUsed?: bigint; status?: number } | null;
    log(JSON.stringify({ at: `identity#${label}`, tx: sent.hash, gasUsed: receipt?.gasUsed?.toString() }));
  };

  switch (command) {
    case "keygen": {
      const type = asKeyType(need(values.type, "type"), "--type");
      const count = Number(int(values.count, "count"));
      const out = need(values.out, "out");
      const keys = Array.from({ length: count }, () => generateKeyPair(type)).map((k) => ({
        type: k.type,
        publicKey: k.publicId,
        privateKey: k.privateKey,
      }));
      writeFileSync(out, JSON.stringify(keys, null, 2) + "\n", { mode: 0o600 });
      log(JSON.stringify({ at: "identity#keygen", out, count }));
      return 0;
    }
    case "maker-root": {
      const keys = readKeyFile(need(values.keys, "keys"));
      const tree = new KeyTree(keys);
      if (values["proofs-out"]) {
        const proofs = keys.map((k) => ({ type: k.type, publicKey: k.publicKey, keyId: keyId(k), proof: tree.proof(k) }));
        writeFileSync(values["proofs-out"], JSON.stringify({ root: tree.root, proofs }, null, 2) + "\n");
      }
      log(JSON.stringify({ at: "identity#maker-root", root: tree.root, keys: tree.size }));
      if (values.publish) {
        const { contract } = registry();
        await send(
          "publishMakerRoot",
          contract.connect(signer()).publishMakerRoot(tree.root, BigInt(tree.size), values.uri ?? ""),
        );
      }
      return 0;
    }
    case "bind-digest": {
      const { deployment } = registry();
      const digest = bindDigest(
        { chainId: await chainId(deployment), verifyingContract: deployment.registry as `0x${string}` },
        {
          owner: need(values.owner, "owner") as `0x${string}`,
          nonce: int(values.nonce, "nonce"),
          deadline: int(values.deadline, "deadline"),
        },
      );
      log(bytesToHex(digest));
      return 0;
    }
    case "provision-digest": {
      const { deployment } = registry();
      const digest = provisionDigest(
        { chainId: await chainId(deployment), verifyingContract: deployment.registry as `0x${string}` },
        { maker: need(values.maker, "maker") as `0x${string}`, deadline: int(values.deadline, "deadline") },
      );
      log(bytesToHex(digest));
      return 0;
    }
    case "provision": {
      const { contract, deployment } = registry();
      const maker = (await signer().getAddress()) as `0x${string}`;
      const domain = { chainId: await chainId(deployment), verifyingContract: deployment.registry as `0x${string}` };
      const devices = readKeyFile(need(values.keys, "keys"));
      const tree = new KeyTree(readKeyFile(need(values["maker-keys"], "maker-keys")));
      const chosen = values.index === undefined ? devices : [devices[Number(int(values.index, "index"))]];
      if (chosen[0] === undefined) throw new CliError(`--index ${values.index} is past the end of ${values.keys}`);
      const deadline = (await now()) + int(values["deadline-in"], "deadline-in", 3600n);
      const requests: ProvisionRequest[] = chosen.map((d) => {
        if (!tree.has(d)) throw new CliError(`device ${d.publicKey} is not in the maker key list`);
        if (d.privateKey)
          return makeProvisionRequest(keyPairFromPrivate(d.type, d.privateKey), tree, domain, { maker, deadline });
        if (!d.provisionSignature || d.provisionDeadline === undefined) {
          throw new CliError(
            `device ${d.publicKey}: needs privateKey, or provisionSignature + provisionDeadline signed by the device`,
          );
        }
        return {
          keyType: KEY_TYPE_CODE[d.type],
          publicKey: d.publicKey,
          makerRoot: tree.root,
          proof: tree.proof(d),
          deadline: BigInt(d.provisionDeadline),
          signature: d.provisionSignature,
        };
      });
      const batchSize = Number(int(values["batch-size"], "batch-size", 100n));
      if (batchSize < 1) throw new CliError("--batch-size must be at least 1");
      for (let i = 0; i < requests.length; i += batchSize) {
        const part = requests.slice(i, i + batchSize);
        const c = contract.connect(signer());
        const first = await c.provisionDevices.staticCall(part);
        await send("provision", c.provisionDevices(part));
        log(
          JSON.stringify({
            at: "identity#provision",
            maker,
            deviceIds: part.map((_, j) => String(first + BigInt(j))),
          }),
        );
      }
      return 0;
    }
    case "release": {
      const { contract } = registry();
      await send("release", contract.connect(signer()).releaseDevice(int(values.device, "device")));
      return 0;
    }
    case "bind": {
      const { contract, deployment } = registry();
      const owner = (await signer().getAddress()) as `0x${string}`;
      const domain = { chainId: await chainId(deployment), verifyingContract: deployment.registry as `0x${string}` };
      const devices = readKeyFile(need(values.keys, "keys"));
      const tree = new KeyTree(readKeyFile(need(values["maker-keys"], "maker-keys")));
      const chosen = values.index === undefined ? devices : [devices[Number(int(values.index, "index"))]];
      if (chosen[0] === undefined) throw new CliError(`--index ${values.index} is past the end of ${values.keys}`);
      const deadline = (await now()) + int(values["deadline-in"], "deadline-in", 3600n);
      const nonceStart = int(values["nonce-start"], "nonce-start", BigInt(Date.now()) << 8n);
      const requests: BindRequest[] = chosen.map((d, i) => {
        if (!tree.has(d)) throw new CliError(`device ${d.publicKey} is not in the maker key list`);
        if (d.privateKey)
          return makeBindRequest(keyPairFromPrivate(d.type, d.privateKey), tree, domain, {
            owner,
            nonce: nonceStart + BigInt(i),
            deadline,
          });
        if (!d.signature || d.nonce === undefined || d.deadline === undefined) {
          throw new CliError(`device ${d.publicKey}: needs privateKey, or signature + nonce + deadline signed by the device`);
        }
        return {
          keyType: KEY_TYPE_CODE[d.type],
          publicKey: d.publicKey,
          makerRoot: tree.root,
          proof: tree.proof(d),
          nonce: BigInt(d.nonce),
          deadline: BigInt(d.deadline),
          signature: d.signature,
        };
      });
      const batchSize = Number(int(values["batch-size"], "batch-size", 100n));
      if (batchSize < 1) throw new CliError("--batch-size must be at least 1");
      for (let i = 0; i < requests.length; i += batchSize) {
        const part = requests.slice(i, i + batchSize);
        const c = contract.connect(signer());
        const ids = part.length === 1 ? [await c.bindDevice.staticCall(part[0])] : await c.bindDevices.staticCall(part);
        await send("bind", part.length === 1 ? c.bindDevice(part[0]) : c.bindDevices(part));
        log(JSON.stringify({ at: "identity#bind", owner, deviceIds: ids.map(String) }));
      }
      return 0;
    }
    case "activate": {
      const { contract } = registry();
      await send("activate", contract.connect(signer()).activate(int(values.device, "device")));
      return 0;
    }
    case "transfer": {
      const { contract } = registry();
      const from = await signer().getAddress();
      await send("transfer", contract.connect(signer()).transferFrom(from, need(values.to, "to"), int(values.device, "device")));
      return 0;
    }
    case "decommission": {
      const { contract } = registry();
      const deviceId = int(values.device, "device");
      await send("decommission", contract.connect(signer()).decommission(deviceId));
      const last = await contract.keyAt(deviceId, (await contract.keyCount(deviceId)) - 1n);
      log(JSON.stringify({ at: "identity#keyRevocation", deviceId: String(deviceId), keyRevokedAt: String(last.revokedAt) }));
      return 0;
    }
    case "rotate": {
      const { contract, deployment } = registry();
      const deviceId = int(values.device, "device");
      const domain = { chainId: await chainId(deployment), verifyingContract: deployment.registry as `0x${string}` };
      const current = await contract.keyAt(deviceId, (await contract.keyCount(deviceId)) - 1n);
      const oldType: KeyType = Number(current.keyType) === 0 ? "secp256k1" : "p256";
      const oldKey: DeviceKeyPair = keyPairFromPrivate(oldType, need(values["old-private-key"], "old-private-key"));
      if (oldKey.publicId.toLowerCase() !== current.publicKey.toLowerCase())
        throw new CliError("--old-private-key is not the device's current key");
      const newKey = keyPairFromPrivate(
        asKeyType(need(values["new-type"], "new-type"), "--new-type"),
        need(values["new-private-key"], "new-private-key"),
      );
      const deadline = (await now()) + int(values["deadline-in"], "deadline-in", 3600n);
      const message = {
        deviceId,
        newKeyId: keyId({ type: newKey.type, publicKey: newKey.publicId }),
        keyIndex: await contract.keyCount(deviceId),
        deadline,
      };
      await send(
        "rotate",
        contract.connect(signer()).rotateKey(deviceId, {
          keyType: KEY_TYPE_CODE[newKey.type],
          publicKey: newKey.publicId,
          deadline,
          oldKeySignature: signRotation(oldKey, domain, message),
          newKeySignature: signRotation(newKey, domain, message),
        }),
      );
      const installed = await contract.keyAt(deviceId, message.keyIndex);
      // The device signs readings stamped before effectiveAt with the old key, from it on with the new.
      log(JSON.stringify({ at: "identity#keyHandOver", deviceId: String(deviceId), effectiveAt: String(installed.validFrom) }));
      return 0;
    }
    case "resolve": {
      const { contract, deployment } = registry();
      const reader = registryReader(contract, await chainId(deployment));
      const result = await resolveDid(need(values.did, "did"), reader, {
        mqttBroker: values["mqtt-broker"],
        mqttTopic: values["mqtt-topic"],
      });
      log(JSON.stringify(result, null, 2));
      return result.didDocument ? 0 : 2;
    }
    default:
      throw new CliError(`unknown command "${command}" (see --help)`);
  }
}

/** A readable message for a failed command: decodes registry custom errors with their arguments. */
export function describeError(e: unknown): string {
  const err = e as { shortMessage?: string; message?: string; data?: unknown; info?: { error?: { data?: unknown } } };
  const data = [err.data, err.info?.error?.data].find((d): d is string => typeof d === "string" && d.startsWith("0x"));
  if (data) {
    try {
      const parsed = IDeviceRegistry__factory.createInterface().parseError(data);
      if (parsed) return `${parsed.name}(${parsed.args.map(String).join(", ")})`;
    } catch {
      // not a registry error: fall through to the provider's message
    }
  }
  return err.shortMessage ?? err.message ?? String(e);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  runIdentityCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(`identity: ${describeError(e)}`);
      process.exit(1);
    },
  );
}
