/**
 * Shared fixtures of the data-path tests: the test directory contract, fleet registration, temp
 * directories, and a bridge on the embedded broker or on the real Mosquitto.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ContractRunner, Provider } from "ethers";
import type { Logger } from "../../keepers/common/log.js";
import { network } from "hardhat";
import type { DeviceKeyPair } from "../../sdk/src/index.js";
import { Bridge, bridgeOptions, type BridgeOptions } from "../../keepers/bridge/bridge.js";
import { OnChainDirectory } from "../../keepers/bridge/directory.js";
import { parseOptions } from "../../keepers/common/options.js";
import { Mosquitto } from "../reliability/env.js";
import type { Store } from "../../keepers/common/store/index.js";

export const NETWORK_ID = 31337n;
export const POSTGRES = "postgres://postgres@127.0.0.1:5432/test";

/** An MQTT topic root no other test run on the shared broker uses. */
export function uniqueRoot(tag: string): string {
  return `t${process.pid}-${Date.now().toString(36)}/${tag}`;
}

let privateBroker: Promise<{ url: string; broker: Mosquitto }> | undefined;
// Stop it when the run ends: a root hook, registered while mocha loads the test files (the run's
// leftover-children sweep would also kill it, loudly).
{
  const g = globalThis as { after?: (fn: () => Promise<void>) => void };
  if (typeof g.after === "function") {
    g.after(async () => {
      if (privateBroker) await (await privateBroker).broker.kill();
      privateBroker = undefined;
    });
  }
}

/**
 * A private Mosquitto on a free port, started once per test process (and stopped when it exits),
 * so no test shares a broker with another network running on the machine (the shared one on
 * :1883 lost readings to a foreign bridge). Each test still uses its own topic root and sessions.
 */
export async function mosquitto(): Promise<string> {
  privateBroker ??= (async () => {
    const { freePort } = await import("../../keepers/common/net.js");
    const broker = new Mosquitto(await freePort(), mkdtempSync(path.join(os.tmpdir(), "depin-mosquitto-")));
    await broker.start();
    process.once("exit", () => void broker.kill());
    return { url: broker.url, broker };
  })();
  return (await privateBroker).url;
}

/** Stops the private Mosquitto (a test that needs its broker down); `mosquitto()` starts it again on the same port. */
export async function privateMosquitto(): Promise<Mosquitto> {
  await mosquitto();
  return (await privateBroker!).broker;
}

export function tempDir(prefix: string): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), `depin-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function chain() {
  const conn = await network.create();
  const { ethers } = conn;
  const directory = await ethers.deployContract("DeviceDirectoryMock");
  return { conn, ethers, directory, directoryAddress: await directory.getAddress() };
}

type DirectoryMock = Awaited<ReturnType<typeof chain>>["directory"];

/** Registers a device as Active with one key valid from time 0. */
export async function registerDevice(directory: DirectoryMock, deviceId: bigint, key: DeviceKeyPair, status = 3): Promise<void> {
  await (await directory.setStatus(deviceId, status)).wait();
  await (await directory.addKey(deviceId, key.type === "secp256k1" ? 0 : 1, key.publicId, 0)).wait();
}

export function bridgeOpts(extra: Partial<Record<keyof BridgeOptions, unknown>>): BridgeOptions {
  return parseOptions(bridgeOptions, {
    directory: "0x0000000000000000000000000000000000000001",
    mqttPort: 0,
    metricsPort: -1,
    networkId: NETWORK_ID,
    directoryTtlMs: 0,
    genesisTime: 0n,
    epochLength: 86_400n,
    ...extra,
  });
}

export async function startBridge(
  runner: ContractRunner,
  directoryAddress: string,
  extra: Partial<Record<keyof BridgeOptions, unknown>>,
  deps: { store?: Store; now?: () => number; provider?: Provider; log?: Logger } = {},
): Promise<Bridge> {
  const bridge = new Bridge(bridgeOpts({ directory: directoryAddress, ...extra }), {
    ...deps,
    directory: new OnChainDirectory(directoryAddress, runner, { ttlMs: 0, negativeTtlMs: 0 }),
  });
  await bridge.init();
  return bridge;
}

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Removes the persistent sessions a test bridge left on Mosquitto (so they stop queueing). */
export async function wipeSessions(clientIdPrefix: string, connections: number): Promise<void> {
  const { default: mqtt } = await import("mqtt");
  const url = await mosquitto();
  for (let k = 0; k < connections; k++) {
    const c = await mqtt.connectAsync(url, { clientId: `${clientIdPrefix}-${k}`, clean: true });
    await c.endAsync();
  }
}

/** Deploys the DA test double, circomlibjs's generated Poseidon(4) (4-ary tree nodes) and the inclusion helper. */
export async function deployDa(ethers: Awaited<ReturnType<typeof chain>>["ethers"]) {
  const { poseidonContract } = await import("circomlibjs");
  const [signer] = await ethers.getSigners();
  const factory = new ethers.ContractFactory(poseidonContract.generateABI(4) as never[], poseidonContract.createCode(4), signer);
  const poseidon = await factory.deploy();
  await poseidon.waitForDeployment();
  const da = await ethers.deployContract("BatchCommitmentsMock");
  const helper = await ethers.deployContract("MerkleInclusionHelper", [await poseidon.getAddress()]);
  return { da, helper, signer, daAddress: await da.getAddress() };
}

/** A keeper daemon in a child process (`keepers/cli.ts <command> …`), so it can be SIGKILLed. */
export async function spawnKeeper(command: string, flags: Record<string, string | number>) {
  const { spawn } = await import("node:child_process");
  const args = [
    "--import",
    "tsx",
    "keepers/cli.ts",
    command,
    ...Object.entries(flags).flatMap(([k, v]) => [`--${k}`, String(v)]),
  ];
  const child = spawn(process.execPath, args, {
    cwd: path.resolve(import.meta.dirname, "../.."),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr.on("data", (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  return { child, exited, output: () => out };
}
