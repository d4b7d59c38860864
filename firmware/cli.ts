/**
 * Device-side CLI.
 *
 *   npx tsx firmware/cli.ts keygen --device-id 42 --type p256 --out device.key
 *   npx tsx firmware/cli.ts fleet-keys --devices 100 --seed demo [--out keys.json]  (public ids; key file)
 *   npx tsx firmware/cli.ts simulate --keys keys.json …   (the devices of a key file, e.g. identity keygen)
 *   npx tsx firmware/cli.ts simulate --deployment deployments/31337.json --bridge-address 0x… \
 *       --broker-url mqtt://127.0.0.1:1883 --devices 100 --rate 2 --duration 60 --fault bad-signature=0.01,storm=0.001
 *
 * The topic root is the network's (`depin/<network id>/<first 4 bytes of the registry>`, as the
 * bridge derives it) from `--deployment` or `--registry`, unless `--topic-root` is given. With
 * `--bridge-address` (the bridge's /status `answerAddress`) the devices ignore answers the bridge
 * did not sign.
 *
 * `simulate` prints a JSON summary (recorded, receipts, rejections by code, pending) at the end.
 */
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import {
  DEFAULT_ENROL_PASSWORD,
  DEFAULT_ENROL_USERNAME,
  KeyFileError,
  formatKeyFile,
  generateKeyPair,
  keyFileOf,
  keyPairOf,
  networkTopicRoot,
  parseKeyFile,
} from "../sdk/src/index.js";
import { deploymentPath, loadDeploymentFile } from "../sdk/src/config/deployment.js";
import { parseArgv } from "../sdk/src/config/argv.js";
import { ConfigError, describeOptions, opt, parseOptions, topicRootOption } from "../sdk/src/config/options.js";
import { saveKey } from "./keystore.js";
import { FAULTS, Fleet, fleetKey, fleetKeyType, type Fault } from "./simulator.js";

const keygenOptions = {
  deviceId: opt.bigint("device id", { max: (1n << 64n) - 1n }),
  type: opt.oneOf("key type", ["secp256k1", "p256"] as const, "secp256k1"),
  out: opt.string("key file to write (mode 0600)"),
};

const fleetOptions = {
  devices: opt.int("number of devices", { default: 10, min: 1, max: 100_000 }),
  firstDeviceId: opt.bigint("id of the first device", { default: 1n }),
  keyType: opt.oneOf("key type of the fleet", ["secp256k1", "p256", "mixed"] as const, "mixed"),
  seed: opt.string("seed the fleet's keys are derived from", { default: "depin-sim" }),
};

const fleetKeysOptions = {
  ...fleetOptions,
  out: opt.string("also write the fleet's key file, private keys included (mode 0600; sdk/src/keyfile.ts)", {
    default: "",
  }),
};

const simulateOptions = {
  ...fleetOptions,
  keys: opt.string("key file (identity keygen / fleet-keys --out) with the devices' keys and ids; replaces --seed", {
    default: "",
  }),
  brokerUrl: opt.url("broker URL", ["mqtt", "mqtts", "tcp", "ws", "wss"], { default: "mqtt://127.0.0.1:1883" }),
  deployment: opt.string(
    "deployment record (deployments/<chainId>.json; or DEPIN_DEPLOYMENT): network id and registry, hence the topic root",
    { default: process.env.DEPIN_DEPLOYMENT ?? "" },
  ),
  registry: opt.string("device registry address (the bridge's --directory): with the network id it gives the topic root", {
    default: "",
    pattern: /^$|^0x[0-9a-fA-F]{40}$/,
  }),
  topicRoot: topicRootOption(),
  bridgeStatus: opt.string(
    "the bridge's /status URL (http://host:9101/status): its topic root and answer address, unless given",
    { default: "", pattern: /^$|^https?:\/\/\S+$/ },
  ),
  bridgeAddress: opt.string(
    "the bridge's answer-signing address (its /status answerAddress); answers without its signature are then ignored",
    { default: "", pattern: /^$|^0x[0-9a-fA-F]{40}$/ },
  ),
  networkId: opt.bigint("network id the devices sign for (default: the deployment's chain id, else 31337)", {
    default: 31337n,
  }),
  brokerAuth: opt.oneOf(
    "token = signed connect token at CONNECT (embedded broker, EMQX with the bridge's HTTP auth); enrol = enrol the token first on a Mosquitto the bridge secures (--broker-acl dynsec)",
    ["token", "enrol"] as const,
    "token",
  ),
  enrolUsername: opt.string("the public enrol account (broker-setup)", { default: DEFAULT_ENROL_USERNAME }),
  enrolPassword: opt.string("its password (public)", { default: DEFAULT_ENROL_PASSWORD }),
  rate: opt.int("readings per second per device", { default: 1, min: 1, max: 1000 }),
  values: opt.string(
    "range MIN..MAX of the simulated sensor values; the default is the development reward rule's (deploy/parameters/localhost.json, the devnet), where every value earns",
    { default: "100..200", pattern: /^\d{1,10}\.\.\d{1,10}$/ },
  ),
  duration: opt.int("seconds of recording", { default: 10, min: 1 }),
  drainTimeout: opt.int("seconds to wait for outstanding receipts at the end", { default: 30, min: 0 }),
  dataDir: opt.string("journal directory", { default: "data/fleet" }),
  fault: opt.string(`faults as name=probability, comma separated (${FAULTS.join(", ")})`, { default: "" }),
  skewSec: opt.int("how far ahead a `skew` fault stamps its reading (s)", { default: 3600 }),
  fsync: opt.bool("fsync each journal write"),
};

function parseFaults(spec: string): Partial<Record<Fault, number>> {
  const out: Partial<Record<Fault, number>> = {};
  for (const part of spec.split(",").filter(Boolean)) {
    const [name, p] = part.split("=");
    if (!(FAULTS as readonly string[]).includes(name))
      throw new ConfigError("fault", `unknown fault ${JSON.stringify(name)} (known: ${FAULTS.join(", ")})`);
    const prob = Number(p ?? "0.01");
    if (!(prob >= 0 && prob <= 1)) throw new ConfigError("fault", `probability of ${name} must be in [0, 1], got ${p}`);
    out[name as Fault] = prob;
  }
  return out;
}

/** `--values MIN..MAX`: within the reading's u32 value, MIN ≤ MAX. */
function parseValues(spec: string): { min: number; max: number } {
  const [min, max] = spec.split("..").map(Number);
  if (max > 0xffff_ffff) throw new ConfigError("values", `MAX must fit the reading's u32 value (≤ 4294967295), got ${max}`);
  if (min > max) throw new ConfigError("values", `MIN must not exceed MAX, got ${spec}`);
  return { min, max };
}

const HELP = `Usage: npx tsx firmware/cli.ts <command> [options]

Commands:
  keygen       generate and store a device key
${describeOptions(keygenOptions)}
  fleet-keys   print the simulator fleet's device ids and public keys (to register them)
${describeOptions(fleetKeysOptions)}
  simulate     run a device fleet against a broker
${describeOptions(simulateOptions)}`;

/**
 * The network id and topic root of `simulate`: the deployment's chain id unless --network-id is
 * given; the topic root the bridge derives (network id + registry) unless --topic-root is given.
 */
function simulateNetwork(
  o: { deployment: string; registry: string; topicRoot: string; networkId: bigint },
  flags: Record<string, unknown>,
): { networkId: bigint; topicRoot: string } {
  let networkId = o.networkId;
  let registry = o.registry;
  // As the identity CLI: without --deployment, deployments/<network id>.json when it exists.
  const file =
    o.deployment || (!registry && !o.topicRoot && existsSync(deploymentPath(networkId)) ? deploymentPath(networkId) : "");
  if (file) {
    const d = loadDeploymentFile(file);
    if (!("network-id" in flags) && !("networkId" in flags)) networkId = BigInt(d.chainId);
    if (!registry) {
      const reg = d.contracts.deviceRegistry;
      if (!reg) throw new ConfigError("deployment", `${file} has no deviceRegistry`);
      registry = reg.address;
    }
  }
  if (o.topicRoot) return { networkId, topicRoot: o.topicRoot };
  if (!registry) {
    throw new ConfigError(
      "topicRoot",
      `the topic root is the network's own, depin/<network id>/<registry>, and there is no ${deploymentPath(networkId)}: ` +
        "give --deployment <file>, --registry <address> (the bridge's --directory), --bridge-status <url> or the bridge's --topic-root",
    );
  }
  return { networkId, topicRoot: networkTopicRoot(networkId, registry) };
}

async function main(): Promise<number> {
  const { positional, flags } = parseArgv(process.argv.slice(2));
  const cmd = positional[0];
  if (!cmd || flags.help) {
    console.log(HELP);
    return cmd || flags.help ? 0 : 2;
  }
  try {
    if (cmd === "keygen") {
      const o = parseOptions(keygenOptions, flags);
      const key = generateKeyPair(o.type);
      saveKey(o.out, o.deviceId, key);
      console.log(JSON.stringify({ deviceId: o.deviceId.toString(), type: key.type, publicId: key.publicId, file: o.out }));
      return 0;
    }
    if (cmd === "fleet-keys") {
      const o = parseOptions(fleetKeysOptions, flags);
      const keys = Array.from({ length: o.devices }, (_, i) => fleetKey(o.seed, i, fleetKeyType(o, i)));
      const list = keys.map((k, i) => ({
        deviceId: (o.firstDeviceId + BigInt(i)).toString(),
        type: k.type,
        publicId: k.publicId,
      }));
      if (o.out) {
        // Without device ids: the registry assigns them at bind (identity bind records them in the file).
        const tmp = `${o.out}.tmp`;
        writeFileSync(tmp, formatKeyFile(keyFileOf(keys)), { mode: 0o600 });
        chmodSync(tmp, 0o600);
        renameSync(tmp, o.out);
      }
      console.log(JSON.stringify(list, null, 2));
      return 0;
    }
    if (cmd === "simulate") {
      const o = parseOptions(simulateOptions, flags);
      let keys: { deviceId?: bigint; key: ReturnType<typeof keyPairOf> }[] | undefined;
      if (o.keys) {
        let raw: unknown;
        try {
          raw = JSON.parse(readFileSync(o.keys, "utf8"));
        } catch (e) {
          throw new ConfigError("keys", `cannot read ${o.keys}: ${(e as Error).message}`);
        }
        keys = parseKeyFile(raw, o.keys).devices.map((d) => ({
          deviceId: d.deviceId === undefined ? undefined : BigInt(d.deviceId),
          key: keyPairOf(d, o.keys),
        }));
      }
      let status: { topicRoot?: string; answerAddress?: string | null } = {};
      if (o.bridgeStatus) {
        try {
          status = (await (await fetch(o.bridgeStatus, { signal: AbortSignal.timeout(10_000) })).json()) as typeof status;
        } catch (e) {
          throw new ConfigError("bridgeStatus", `cannot read ${o.bridgeStatus}: ${(e as Error).message}`);
        }
        if (!o.topicRoot && status.topicRoot) o.topicRoot = status.topicRoot;
        if (!o.bridgeAddress && status.answerAddress) o.bridgeAddress = status.answerAddress;
      }
      const { networkId, topicRoot } = simulateNetwork(o, flags);
      if (!o.bridgeAddress)
        console.error(
          "simulate: warning: no --bridge-address: the devices accept receipts and rejections from anyone who may publish on the broker",
        );
      const fleet = new Fleet({
        ...o,
        networkId,
        topicRoot,
        keys,
        bridgeAddress: o.bridgeAddress || undefined,
        faults: parseFaults(o.fault),
        values: parseValues(o.values),
      });
      console.error(`simulate: ${fleet.devices.length} devices, network ${networkId}, topic root ${topicRoot}`);
      await fleet.start();
      fleet.run();
      const stop = new Promise<void>((resolve) => {
        const t = setTimeout(resolve, o.duration * 1000);
        process.once("SIGINT", () => {
          clearTimeout(t);
          resolve();
        });
      });
      await stop;
      fleet.stopRecording();
      await fleet.waitIdle(o.drainTimeout * 1000).catch((e: Error) => console.error(e.message));
      console.log(JSON.stringify(fleet.summary(), null, 2));
      await fleet.stop();
      return 0;
    }
    console.error(`unknown command ${JSON.stringify(cmd)}\n\n${HELP}`);
    return 2;
  } catch (e) {
    if (e instanceof ConfigError || e instanceof KeyFileError) {
      console.error(`${cmd}: ${e.message}`);
      return 2;
    }
    throw e;
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : e);
    process.exitCode = 1;
  },
);
