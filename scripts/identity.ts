/**
 * `npx tsx scripts/identity.ts <command> [options]` — identity-layer CLI for makers, owners and
 * anyone resolving a DID. Run with --help (or `<command> --help`) for the full text.
 */
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { JsonRpcProvider, NonceManager, Wallet, type ContractRunner, type Signer } from "ethers";
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
  formatKeyFile,
  isKeyFile,
  keyFileOf,
  parseKeyFile,
  type KeyFile,
} from "../sdk/src/index.js";
import { describeRevert } from "../keepers/common/errors.js";
import { DEFAULT_RPC_URL } from "../keepers/common/options.js";
import { deploymentPath, parseDeployment } from "./lib/deployments.js";
import { IDeviceRegistry__factory, type IDeviceRegistry } from "../types/typechain/index.js";
import { registryReader } from "./lib/registryReader.js";

const HELP = `Usage: npx tsx scripts/identity.ts <command> [options]

Device makers
  keygen        --type secp256k1|p256 --count N --out FILE
                Generate device keys into a key file (mode 0600, private keys included); the same
                file feeds maker-root, provision, bind, rotate and \`firmware simulate --keys\`.
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
                [--deadline-in SECONDS] [--batch-size 100] [--activate]
                Bind one device (--index) or every device in FILE, in batches. Devices with a
                "privateKey" sign here (simulated); others must carry "signature", "nonce"
                and "deadline" produced by the device. The device ids are written into FILE
                (key-file format). Bound devices must be activated before their readings count:
                --activate does it right away.
  activate      --device ID | --devices 1,2,3 | --all-bound
                One transaction per device; --all-bound: every Bound device the signer holds.
  rotate        --device ID --keys FILE --new-keys FILE [--new-index I] [--deadline-in SECONDS]
                --keys: a key file holding the device's current key (found by its public key);
                --new-keys: the new key (entry --new-index, default 0). Or from the environment:
                DEPIN_DEVICE_PRIVATE_KEY (current) and DEPIN_NEW_DEVICE_PRIVATE_KEY with
                --new-type T (default secp256k1). Private keys are never command-line arguments.
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

Common options (the registry address: the first of these that is given)
  --registry ADDR     registry address
  --deployment FILE   deployment record: deployments/<chainId>.json (contracts.deviceRegistry),
                      { "chainId", "registry" } or Ignition's deployed_addresses.json
  env DEPIN_DEPLOYMENT  the same, as a file path
  --deployments DIR   folder of <chainId>.json records (default deployments; chain id from the RPC)
  --chain-id N        chain id (default: asked from the RPC)
  --rpc-url URL       JSON-RPC endpoint (default: env DEPIN_RPC_URL, else http://127.0.0.1:8545)
  --private-key HEX   transaction signer (default: env DEPIN_PRIVATE_KEY)
  --help              this text

Key file (sdk/src/keyfile.ts, written by keygen): { "format": "depin-device-keys", "version": 1,
"devices": [{ "type", "privateKey"?, "publicId", "deviceId"? }] }. Also read: a JSON array of { "type": "secp256k1"|"p256", "publicKey": "0x…",
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
  /** Registry device id (key files record it after `bind`). */
  deviceId?: string;
}

/** Writes a key file atomically with mode 0600 (it holds private keys). */
export function writeKeyFile(file: string, keys: KeyFile): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, formatKeyFile(keys), { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

export class CliError extends Error {}

/** DeviceStatus.Bound in IDeviceDirectory. */
const STATUS_BOUND = 2;

function asKeyType(v: string, where: string): KeyType {
  if (v !== "secp256k1" && v !== "p256") throw new CliError(`${where}: key type must be secp256k1 or p256, got "${v}"`);
  return v;
}

/** Reads a device-key list (JSON or text lines); derives publicKey from privateKey when absent. */
export function readKeyFile(file: string): KeyEntry[] {
  const text = readFileSync(file, "utf8").trim();
  if (text.startsWith("{")) {
    const parsed = JSON.parse(text) as unknown;
    if (!isKeyFile(parsed)) throw new CliError(`${file}: not a key file (no "format": "depin-device-keys")`);
    return parseKeyFile(parsed, file).devices.map((d) => ({
      type: d.type,
      publicKey: d.publicId,
      privateKey: d.privateKey,
      deviceId: d.deviceId,
    }));
  }
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

/**
 * The registry address in a deployment record: the versioned deployments/<chainId>.json
 * (`contracts.deviceRegistry`), or a flat { "chainId", "registry" } / Ignition deployed_addresses.json.
 */
export function registryFromRecord(file: string): Deployment {
  if (!existsSync(file)) throw new CliError(`deployment record ${file} does not exist (run npm run deploy:local first)`);
  const j = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  if (j.contracts !== undefined || j.version !== undefined) {
    const d = parseDeployment(j, file);
    const c = d.contracts.deviceRegistry;
    if (!c) throw new CliError(`${file}: no contracts.deviceRegistry entry`);
    return { registry: c.address, chainId: BigInt(d.chainId) };
  }
  const registry = (j.registry ?? j["Identity#DeviceRegistry"] ?? j["Identity#DeviceRegistryProxy"]) as string | undefined;
  if (!registry) throw new CliError(`${file}: no contracts.deviceRegistry, "registry" or "Identity#DeviceRegistry" address`);
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
  deployments: { type: "string" },
  registry: { type: "string" },
  "chain-id": { type: "string" },
  "rpc-url": { type: "string" },
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
  devices: { type: "string" },
  "all-bound": { type: "boolean" },
  activate: { type: "boolean" },
  "new-keys": { type: "string" },
  "new-index": { type: "string" },
  "new-type": { type: "string" },
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

  const rpcUrl = values["rpc-url"] ?? (process.env.DEPIN_RPC_URL || DEFAULT_RPC_URL);
  let signerCache: Signer | undefined = ctx.signer;
  const signer = (): Signer => {
    if (signerCache) return signerCache;
    const key = values["private-key"] ?? process.env.DEPIN_PRIVATE_KEY;
    if (!key) throw new CliError("a transaction signer is required: --private-key HEX or env DEPIN_PRIVATE_KEY");
    // NonceManager: several transactions in a row (batches, activate --all-bound) must not reuse a
    // nonce the node's "pending" count has not caught up with yet.
    signerCache = new NonceManager(new Wallet(key, new JsonRpcProvider(rpcUrl)));
    return signerCache;
  };
  const runner = (): ContractRunner =>
    ctx.signer ?? (values["private-key"] || process.env.DEPIN_PRIVATE_KEY ? signer() : new JsonRpcProvider(rpcUrl));
  // Explicit flags win: --registry, then --deployment FILE, then env DEPIN_DEPLOYMENT, then
  // <--deployments DIR (default deployments)>/<chainId>.json as written by scripts/deploy.ts.
  const registry = async (): Promise<{ contract: IDeviceRegistry; deployment: Deployment }> => {
    let deployment: Deployment;
    if (values.registry) deployment = { registry: values.registry };
    else if (values.deployment) deployment = registryFromRecord(values.deployment);
    else if (process.env.DEPIN_DEPLOYMENT) deployment = registryFromRecord(process.env.DEPIN_DEPLOYMENT);
    else {
      let id: bigint;
      if (values["chain-id"]) id = int(values["chain-id"], "chain-id");
      else {
        const provider = runner().provider;
        if (!provider) throw new CliError("--chain-id, --deployment or --registry is required without an RPC provider");
        try {
          id = (await provider.getNetwork()).chainId;
        } catch (e) {
          throw new CliError(
            `cannot reach the RPC to find the chain id (${(e as Error).message}): start a node, or pass --rpc-url, --deployment or --registry`,
          );
        }
      }
      deployment = registryFromRecord(deploymentPath(id, values.deployments ?? "deployments"));
    }
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

  /** Records registry ids in a versioned key file (so firmware simulate --keys knows them); other formats are left alone. */
  const recordDeviceIds = (file: string, pairs: [string, bigint][]): void => {
    const raw = JSON.parse(readFileSync(file, "utf8")) as unknown;
    if (!isKeyFile(raw)) return;
    const kf = parseKeyFile(raw, file);
    for (const [publicKey, id] of pairs) {
      const e = kf.devices.find((d) => d.publicId.toLowerCase() === publicKey.toLowerCase());
      if (e) e.deviceId = String(id);
    }
    writeKeyFile(file, kf);
  };
  /** One activate transaction per device (the registry has no batch activate). */
  const activateAll = async (contract: IDeviceRegistry, ids: bigint[]): Promise<void> => {
    const c = contract.connect(signer());
    for (const id of ids) await send("activate", c.activate(id));
    if (ids.length > 0) log(JSON.stringify({ at: "identity#activate", deviceIds: ids.map(String) }));
  };

  switch (command) {
    case "keygen": {
      const type = asKeyType(need(values.type, "type"), "--type");
      const count = Number(int(values.count, "count"));
      const out = need(values.out, "out");
      if (count < 1) throw new CliError("--count must be at least 1");
      writeKeyFile(out, keyFileOf(Array.from({ length: count }, () => generateKeyPair(type))));
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
        const { contract } = await registry();
        await send(
          "publishMakerRoot",
          contract.connect(signer()).publishMakerRoot(tree.root, BigInt(tree.size), values.uri ?? ""),
        );
      }
      return 0;
    }
    case "bind-digest": {
      const { deployment } = await registry();
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
      const { deployment } = await registry();
      const digest = provisionDigest(
        { chainId: await chainId(deployment), verifyingContract: deployment.registry as `0x${string}` },
        { maker: need(values.maker, "maker") as `0x${string}`, deadline: int(values.deadline, "deadline") },
      );
      log(bytesToHex(digest));
      return 0;
    }
    case "provision": {
      const { contract, deployment } = await registry();
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
      const { contract } = await registry();
      await send("release", contract.connect(signer()).releaseDevice(int(values.device, "device")));
      return 0;
    }
    case "bind": {
      const { contract, deployment } = await registry();
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
      const bound: bigint[] = [];
      for (let i = 0; i < requests.length; i += batchSize) {
        const part = requests.slice(i, i + batchSize);
        const c = contract.connect(signer());
        const ids = part.length === 1 ? [await c.bindDevice.staticCall(part[0])] : await c.bindDevices.staticCall(part);
        await send("bind", part.length === 1 ? c.bindDevice(part[0]) : c.bindDevices(part));
        log(JSON.stringify({ at: "identity#bind", owner, deviceIds: ids.map(String) }));
        bound.push(...ids);
        recordDeviceIds(
          need(values.keys, "keys"),
          chosen.slice(i, i + batchSize).map((d, j) => [d.publicKey, ids[j]]),
        );
      }
      if (values.activate) {
        await activateAll(contract, bound);
      } else {
        log(
          JSON.stringify({
            at: "identity#next",
            note: "bound devices are not Active yet (their readings are refused with DEVICE_NOT_ACTIVE): run `activate --all-bound` or bind with --activate",
            deviceIds: bound.map(String),
          }),
        );
      }
      return 0;
    }
    case "activate": {
      const { contract } = await registry();
      const given = [values.device !== undefined, values.devices !== undefined, values["all-bound"] === true];
      if (given.filter(Boolean).length !== 1)
        throw new CliError("give exactly one of --device ID, --devices 1,2,3 or --all-bound");
      let ids: bigint[];
      if (values.device !== undefined) ids = [int(values.device, "device")];
      else if (values.devices !== undefined) ids = values.devices.split(",").map((v) => int(v.trim(), "devices"));
      else {
        // Every Bound device the signer holds (one read per registered device).
        const me = (await signer().getAddress()).toLowerCase();
        const total = await contract.totalDevices();
        ids = [];
        for (let id = 1n; id <= total; id++) {
          if (Number(await contract.deviceStatus(id)) !== STATUS_BOUND) continue;
          if ((await contract.ownerOfDevice(id)).toLowerCase() === me) ids.push(id);
        }
        if (ids.length === 0) log(JSON.stringify({ at: "identity#activate", note: "no Bound device held by this account" }));
      }
      await activateAll(contract, ids);
      return 0;
    }
    case "transfer": {
      const { contract } = await registry();
      const from = await signer().getAddress();
      await send("transfer", contract.connect(signer()).transferFrom(from, need(values.to, "to"), int(values.device, "device")));
      return 0;
    }
    case "decommission": {
      const { contract } = await registry();
      const deviceId = int(values.device, "device");
      await send("decommission", contract.connect(signer()).decommission(deviceId));
      const last = await contract.keyAt(deviceId, (await contract.keyCount(deviceId)) - 1n);
      log(JSON.stringify({ at: "identity#keyRevocation", deviceId: String(deviceId), keyRevokedAt: String(last.revokedAt) }));
      return 0;
    }
    case "rotate": {
      const { contract, deployment } = await registry();
      const deviceId = int(values.device, "device");
      const domain = { chainId: await chainId(deployment), verifyingContract: deployment.registry as `0x${string}` };
      const current = await contract.keyAt(deviceId, (await contract.keyCount(deviceId)) - 1n);
      const oldType: KeyType = Number(current.keyType) === 0 ? "secp256k1" : "p256";
      // Private keys come from key files (mode 0600) or the environment, never from the command line.
      let oldKey: DeviceKeyPair;
      if (process.env.DEPIN_DEVICE_PRIVATE_KEY) {
        oldKey = keyPairFromPrivate(oldType, process.env.DEPIN_DEVICE_PRIVATE_KEY);
      } else {
        const file = values.keys;
        if (!file)
          throw new CliError("--keys FILE (holding the device's current key) or env DEPIN_DEVICE_PRIVATE_KEY is required");
        const entry = readKeyFile(file).find((k) => k.publicKey.toLowerCase() === current.publicKey.toLowerCase());
        if (!entry) throw new CliError(`${file} does not hold device ${deviceId}'s current key ${current.publicKey}`);
        if (!entry.privateKey) throw new CliError(`${file}: device ${deviceId}'s current key has no privateKey`);
        oldKey = keyPairFromPrivate(oldType, entry.privateKey);
      }
      if (oldKey.publicId.toLowerCase() !== current.publicKey.toLowerCase())
        throw new CliError(`the given old key is not device ${deviceId}'s current key ${current.publicKey}`);
      let newKey: DeviceKeyPair;
      if (process.env.DEPIN_NEW_DEVICE_PRIVATE_KEY) {
        newKey = keyPairFromPrivate(
          asKeyType(values["new-type"] ?? "secp256k1", "--new-type"),
          process.env.DEPIN_NEW_DEVICE_PRIVATE_KEY,
        );
      } else {
        const file = values["new-keys"];
        if (!file) throw new CliError("--new-keys FILE or env DEPIN_NEW_DEVICE_PRIVATE_KEY is required");
        const index = Number(int(values["new-index"], "new-index", 0n));
        const entry = readKeyFile(file)[index];
        if (!entry) throw new CliError(`--new-index ${index} is past the end of ${file}`);
        if (!entry.privateKey) throw new CliError(`${file} entry ${index} has no privateKey`);
        newKey = keyPairFromPrivate(entry.type, entry.privateKey);
      }
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
      const { contract, deployment } = await registry();
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

/** A readable message for a failed command: reverts by name with argument names (keepers/common/errors.ts). */
export function describeError(e: unknown): string {
  const decoded = describeRevert(e);
  if (decoded) return decoded;
  const err = e as { shortMessage?: string; message?: string };
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
