import { expect } from "chai";
import { network } from "hardhat";
import { keccak_256 } from "@noble/hashes/sha3";
import IdentityModule from "../../deploy/modules/Identity.js";
import {
  KEY_TYPE_CODE,
  KeyTree,
  bytesToHex,
  keyPairFromPrivate,
  makeBindRequest,
  makeProvisionRequest,
  publicKeyOf,
  type BindRequest,
  type ProvisionRequest,
  type DeviceKeyPair,
  type KeyType,
  type RegistryDomain,
} from "../../sdk/src/index.js";
import type { DeviceAccountFactory, DeviceRegistry, EntryPoint } from "../../types/typechain/index.js";

export type Connection = Awaited<ReturnType<typeof network.create>>;
export type Signer = Awaited<ReturnType<Connection["ethers"]["getSigners"]>>[number];

/** Lifecycle enum values (IDeviceDirectory.DeviceStatus). */
export const Status = { None: 0n, Provisioned: 1n, Bound: 2n, Active: 3n, Suspended: 4n, Decommissioned: 5n } as const;
export const MakerStatus = { None: 0n, Approved: 1n, Revoked: 2n } as const;

/** Deterministic device keys (so gas figures and tests are reproducible). */
export function deviceKeys(type: KeyType, count: number, seed = "device"): DeviceKeyPair[] {
  const out: DeviceKeyPair[] = [];
  for (let i = 0; i < count; i++) {
    const priv = keccak_256(new TextEncoder().encode(`${seed}:${type}:${i}`));
    out.push(keyPairFromPrivate(type, bytesToHex(priv)));
  }
  return out;
}

export interface IdentityFixture {
  conn: Connection;
  registry: DeviceRegistry;
  factory: DeviceAccountFactory;
  entryPoint: EntryPoint;
  /** Address of the linked P256Verifier library. */
  p256Verifier: string;
  admin: Signer;
  maker: Signer;
  owner: Signer;
  other: Signer;
  signers: Signer[];
  chainId: bigint;
  domain: RegistryDomain;
  /** Keys the maker attested in `tree` (secp256k1 and P-256 mixed, 8 + 4). */
  keys: DeviceKeyPair[];
  tree: KeyTree;
  now(): Promise<bigint>;
}

/**
 * Deploys the EntryPoint from its artifact and the identity layer with the real Ignition module,
 * approves one maker and publishes one key root.
 */
export async function deployIdentity(conn: Connection): Promise<IdentityFixture> {
  const { ethers, ignition } = conn;
  const signers = await ethers.getSigners();
  const [admin, maker, owner, other] = signers;
  const entryPoint = (await ethers.deployContract("EntryPoint")) as unknown as EntryPoint;
  const deployed = await ignition.deploy(IdentityModule, {
    parameters: { Identity: { entryPoint: await entryPoint.getAddress() } },
  });
  const registry = (await ethers.getContractAt(
    "DeviceRegistry",
    await deployed.registry.getAddress(),
  )) as unknown as DeviceRegistry;
  const factory = (await ethers.getContractAt(
    "DeviceAccountFactory",
    await deployed.accountFactory.getAddress(),
  )) as unknown as DeviceAccountFactory;
  const chainId = (await ethers.provider.getNetwork()).chainId;
  const domain: RegistryDomain = { chainId, verifyingContract: (await registry.getAddress()) as `0x${string}` };

  const keys = [...deviceKeys("secp256k1", 8), ...deviceKeys("p256", 4)];
  const tree = new KeyTree(keys.map(publicKeyOf));
  await registry.connect(admin).approveMaker(maker.address, "Acme Sensors");
  await registry.connect(maker).publishMakerRoot(tree.root, BigInt(tree.size), "ipfs://acme-batch-1");

  const now = async (): Promise<bigint> => BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
  const p256Verifier = await deployed.p256Verifier.getAddress();
  return {
    conn,
    registry,
    factory,
    entryPoint,
    p256Verifier,
    admin,
    maker,
    owner,
    other,
    signers,
    chainId,
    domain,
    keys,
    tree,
    now,
  };
}

/** A valid bind request for `key` to `owner` (nonce defaults to 0, deadline one hour ahead). */
export async function bindRequest(
  f: IdentityFixture,
  key: DeviceKeyPair,
  owner: string,
  opts: { nonce?: bigint; deadline?: bigint; tree?: KeyTree; domain?: RegistryDomain } = {},
): Promise<BindRequest> {
  const deadline = opts.deadline ?? (await f.now()) + 3600n;
  return makeBindRequest(key, opts.tree ?? f.tree, opts.domain ?? f.domain, {
    owner: owner as `0x${string}`,
    nonce: opts.nonce ?? 0n,
    deadline,
  });
}

/** A valid provisioning item for `key` by `maker` (the device's signature, deadline one hour ahead). */
export async function provisionRequest(
  f: IdentityFixture,
  key: DeviceKeyPair,
  opts: { maker?: Signer; deadline?: bigint; tree?: KeyTree; domain?: RegistryDomain } = {},
): Promise<ProvisionRequest> {
  const deadline = opts.deadline ?? (await f.now()) + 3600n;
  const maker = (opts.maker ?? f.maker).address as `0x${string}`;
  return makeProvisionRequest(key, opts.tree ?? f.tree, opts.domain ?? f.domain, { maker, deadline });
}

/** Binds `key` to `owner` and returns the device id. */
export async function bind(f: IdentityFixture, key: DeviceKeyPair, owner: Signer, nonce = 0n): Promise<bigint> {
  const req = await bindRequest(f, key, owner.address, { nonce });
  await (await f.registry.connect(owner).bindDevice(req)).wait();
  return f.registry.deviceOfKey(KEY_TYPE_CODE[key.type], key.publicId);
}

/** Observable registry state: asserting it equal before and after a rejected call. */
export async function registryState(f: IdentityFixture, owners: string[] = [], keys: DeviceKeyPair[] = f.keys): Promise<unknown> {
  const r = f.registry;
  const total = await r.totalDevices();
  const devices = [];
  for (let id = 1n; id <= total; id++) {
    const info = await r.deviceInfo(id);
    const history = [];
    for (let i = 0n; i < info.keyCount; i++) {
      const k = await r.keyAt(id, i);
      history.push([k.keyType, k.publicKey, k.validFrom, k.revokedAt].map(String));
    }
    devices.push({ info: [info.owner, info.status, info.keyCount, info.statusSince].map(String), history });
  }
  return {
    total: String(total),
    counts: await Promise.all([1n, 2n, 3n, 4n, 5n].map(async (s) => String(await r.deviceCount(s)))),
    devices,
    balances: await Promise.all(owners.map(async (o) => String(await r.balanceOf(o)))),
    nonces: await Promise.all(owners.map(async (o) => Promise.all([0n, 1n, 2n, 3n].map(async (n) => r.isNonceUsed(o, n))))),
    keyOwners: await Promise.all(keys.map(async (k) => String(await r.deviceOfKey(KEY_TYPE_CODE[k.type], k.publicId)))),
  };
}

export async function expectUnchanged(f: IdentityFixture, before: unknown, owners: string[] = []): Promise<void> {
  expect(await registryState(f, owners)).to.deep.equal(before);
}
