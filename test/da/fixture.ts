/**
 * Shared fixture for the DA tests: the real Ignition module (generated Poseidon contracts +
 * DataAvailability), a DeviceDirectoryMock with one secp256k1 device, one P-256 device and one
 * device whose key was rotated, a bonded sequencer, and helpers that build batches with the sdk.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { NetworkConnection } from "hardhat/types/network";
import DataAvailabilityModule from "../../deploy/modules/DataAvailability.js";
import {
  generateKeyPair,
  getPoseidon,
  hashReading,
  merkleProof,
  merkleRoot,
  signReading,
  type DeviceKeyPair,
  type MerkleProof,
  type PoseidonHasher,
  type Reading,
  type SignedReading,
} from "../../sdk/src/index.js";
import type { DataAvailability, DeviceDirectoryMock } from "../../types/typechain/index.js";

export const ONE_ETHER = 10n ** 18n;
export const DAY = 86_400n;
export const PARAMS = {
  challengeWindow: DAY,
  retentionWindow: 30n * DAY,
  unbondingDelay: 7n * DAY,
  minBond: ONE_ETHER,
  slashAmount: ONE_ETHER,
  challengerRewardBps: 5000n,
};
export const KEY_TYPE = { secp256k1: 0, p256: 1 } as const;
/** Timestamp at which device 3's first key was rotated out. */
export const ROTATION_TIME = 1_700_000_500n;

export interface Devices {
  secp: { id: bigint; key: DeviceKeyPair };
  p256: { id: bigint; key: DeviceKeyPair };
  rotated: { id: bigint; oldKey: DeviceKeyPair; newKey: DeviceKeyPair };
  /** A key registered to no device (forger). */
  stranger: DeviceKeyPair;
}

export interface Batch {
  readings: SignedReading[];
  leaves: bigint[];
  depth: number;
  root: bigint;
  proof(index: number): MerkleProof;
}

export interface DaFixture {
  da: DataAvailability;
  directory: DeviceDirectoryMock;
  admin: HardhatEthersSigner;
  sequencer: HardhatEthersSigner;
  challenger: HardhatEthersSigner;
  other: HardhatEthersSigner;
  chainId: bigint;
  poseidon: PoseidonHasher;
  devices: Devices;
  /** Builds a batch (sdk leaves, root, proofs) from signed readings. */
  makeBatch(readings: SignedReading[], depth?: number): Batch;
  sign(key: DeviceKeyPair, r: Reading): SignedReading;
  /** Commits `batch` as the next batch id from the bonded sequencer; returns the id. */
  commit(batch: Batch, epoch?: bigint): Promise<bigint>;
}

/** The tuple `challengeSignature` takes for a reading. */
export function asChallenge(r: SignedReading): {
  deviceId: bigint;
  seq: bigint;
  timestamp: bigint;
  value: bigint;
  signature: string;
} {
  return { deviceId: r.deviceId, seq: r.seq, timestamp: r.timestamp, value: r.value, signature: r.signature };
}

/** The CommittedLeaf tuple `challengeDuplicate` takes: leaf `index` of `batch`, committed as `batchId`. */
export function committedLeaf(
  batch: Batch,
  batchId: bigint,
  index: number,
): { batchId: bigint; index: bigint; reading: ReturnType<typeof asChallenge>; siblings: MerkleProof["siblings"] } {
  return { batchId, index: BigInt(index), reading: asChallenge(batch.readings[index]), siblings: batch.proof(index).siblings };
}

// Keys are generated once per process so every fixture snapshot uses the same devices.
const KEYS = {
  secp: generateKeyPair("secp256k1"),
  p256: generateKeyPair("p256"),
  oldKey: generateKeyPair("secp256k1"),
  newKey: generateKeyPair("p256"),
  stranger: generateKeyPair("secp256k1"),
};

/**
 * `bond`: wei the sequencer bonds (default 2 ETH). Every open batch locks `slashAmount` (1 ETH) of
 * it until its challenge window ends, so tests that commit many batches within a window pass more.
 */
export async function deployDa(connection: NetworkConnection, opts: { bond?: bigint } = {}): Promise<DaFixture> {
  const { ethers, ignition } = connection;
  const [admin, sequencer, challenger, other] = await ethers.getSigners();
  const chainId = (await ethers.provider.getNetwork()).chainId;
  const poseidon = await getPoseidon();

  const directory = (await ethers.deployContract("DeviceDirectoryMock")) as unknown as DeviceDirectoryMock;
  const { dataAvailability } = await ignition.deploy(DataAvailabilityModule, {
    parameters: {
      DataAvailability: {
        deviceDirectory: await directory.getAddress(),
        admin: admin.address,
        ...Object.fromEntries(Object.entries(PARAMS).map(([k, v]) => [k, v.toString()])),
      },
    },
  });
  const da = dataAvailability as unknown as DataAvailability;

  const devices: Devices = {
    secp: { id: 1n, key: KEYS.secp },
    p256: { id: 2n, key: KEYS.p256 },
    rotated: { id: 3n, oldKey: KEYS.oldKey, newKey: KEYS.newKey },
    stranger: KEYS.stranger,
  };
  await directory.addKey(devices.secp.id, KEY_TYPE.secp256k1, devices.secp.key.publicId, 0n);
  await directory.addKey(devices.p256.id, KEY_TYPE.p256, devices.p256.key.publicId, 0n);
  await directory.addKey(devices.rotated.id, KEY_TYPE.secp256k1, devices.rotated.oldKey.publicId, 0n);
  await directory.revokeKey(devices.rotated.id, 0n, ROTATION_TIME);
  await directory.addKey(devices.rotated.id, KEY_TYPE.p256, devices.rotated.newKey.publicId, ROTATION_TIME);

  await da.connect(admin).addSequencer(sequencer.address);
  await da.connect(sequencer).depositBond({ value: opts.bond ?? 2n * ONE_ETHER });

  const makeBatch = (readings: SignedReading[], depth = 2): Batch => {
    const leaves = readings.map((r) => hashReading(poseidon, r));
    return {
      readings,
      leaves,
      depth,
      root: merkleRoot(poseidon, leaves, depth),
      proof: (index: number) => merkleProof(poseidon, leaves, depth, index),
    };
  };
  const sign = (key: DeviceKeyPair, r: Reading): SignedReading => signReading(chainId, key, r);
  const commit = async (batch: Batch, epoch = 1n): Promise<bigint> => {
    const id = await da.nextBatchId();
    await da.connect(sequencer).commitBatch(id, batch.root, batch.leaves.length, batch.depth, epoch, `da://batch/${id}`);
    return id;
  };

  return { da, directory, admin, sequencer, challenger, other, chainId, poseidon, devices, makeBatch, sign, commit };
}

/** Four honest readings: secp device, P-256 device, rotated device before and after rotation. */
export function honestReadings(f: DaFixture): SignedReading[] {
  const { devices, sign } = f;
  return [
    sign(devices.secp.key, { deviceId: devices.secp.id, seq: 1n, timestamp: 1_700_000_000n, value: 421n }),
    sign(devices.p256.key, { deviceId: devices.p256.id, seq: 7n, timestamp: 1_700_000_010n, value: 99n }),
    sign(devices.rotated.oldKey, { deviceId: devices.rotated.id, seq: 1n, timestamp: ROTATION_TIME - 1n, value: 5n }),
    sign(devices.rotated.newKey, { deviceId: devices.rotated.id, seq: 2n, timestamp: ROTATION_TIME, value: 6n }),
  ];
}
