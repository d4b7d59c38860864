import {
  KEY_TYPE_CODE,
  KeyTree,
  makeBindRequest,
  makeProvisionRequest,
  publicKeyOf,
  signRotation,
  keyId,
  bindDigest,
  signBind,
  type BindRequest,
} from "../../sdk/src/index.js";
import { deployIdentity, deviceKeys, type Connection } from "./fixture.js";

/** Gas figures of the identity layer's hot paths (committed in gas-snapshot.json). */
export interface IdentityGas {
  /** Keys under the maker root used for the measurement (sets the proof length). */
  makerTreeSize: number;
  bindOneSecp256k1: number;
  bindOneP256: number;
  batchSize: number;
  bindBatchTotal: number;
  onboardGasPerDevice: number;
  deviceAccountDeployGas: number;
  /** One device provisioned by its maker (device-key proof of possession included). */
  provisionOneSecp256k1: number;
  /** Per device in a provisioning batch of `batchSize`. */
  provisionGasPerDevice: number;
  rotateKeySecp256k1: number;
  transferDevice: number;
  /** Gas of one P-256 verification through the linked library (precompile where the chain has it). */
  p256VerifyLibrary: number;
  /** Gas of one P-256 verification in pure Solidity (chains without the precompile). */
  p256VerifySolidity: number;
}

/**
 * Deploys the identity layer on `conn`, publishes a maker root over `treeSize` secp256k1 keys
 * and measures: one bind (fresh owner), one P-256 bind, a batch of `batchSize` binds by another
 * fresh owner, one device-account deployment, one provisioning and a provisioning batch of
 * `batchSize` by the maker, one key rotation and one NFT transfer.
 */
export async function measureIdentityGas(conn: Connection, batchSize = 100, treeSize = 1024): Promise<IdentityGas> {
  const f = await deployIdentity(conn);
  const keys = deviceKeys("secp256k1", treeSize, "gas");
  const p256 = deviceKeys("p256", 1, "gas");
  const tree = new KeyTree([...keys, ...p256].map(publicKeyOf));
  await (await f.registry.connect(f.maker).publishMakerRoot(tree.root, BigInt(tree.size), "ipfs://gas")).wait();
  // A fixed deadline keeps every signature, and so every gas figure, identical from run to run.
  const deadline = 4_000_000_000n;
  const gasOf = async (tx: Promise<{ wait(): Promise<{ gasUsed: bigint } | null> }>): Promise<number> =>
    Number((await (await tx).wait())!.gasUsed);

  const [, , , , single, batcher, receiver] = f.signers;
  const req = (i: number, owner: string, nonce: bigint): BindRequest =>
    makeBindRequest(keys[i], tree, f.domain, { owner: owner as `0x${string}`, nonce, deadline });

  const bindOneSecp256k1 = await gasOf(f.registry.connect(single).bindDevice(req(0, single.address, 0n)));
  const bindOneP256 = await gasOf(
    f.registry
      .connect(single)
      .bindDevice(makeBindRequest(p256[0], tree, f.domain, { owner: single.address as `0x${string}`, nonce: 1n, deadline })),
  );
  const batch: BindRequest[] = [];
  for (let i = 0; i < batchSize; i++) batch.push(req(1 + i, batcher.address, BigInt(i)));
  const bindBatchTotal = await gasOf(f.registry.connect(batcher).bindDevices(batch));
  const deviceAccountDeployGas = await gasOf(f.factory.createAccount(1n));

  // Maker provisioning: keys after the bound ones, each signing its consent (proof of possession).
  const maker = f.maker.address as `0x${string}`;
  const provision = (i: number) => makeProvisionRequest(keys[i], tree, f.domain, { maker, deadline });
  const provisionOneSecp256k1 = await gasOf(f.registry.connect(f.maker).provisionDevices([provision(1 + batchSize)]));
  const provisionBatchTotal = await gasOf(
    f.registry.connect(f.maker).provisionDevices(Array.from({ length: batchSize }, (_, i) => provision(2 + batchSize + i))),
  );

  const [next] = deviceKeys("secp256k1", 1, "gas-rotated");
  const message = { deviceId: 1n, newKeyId: keyId(publicKeyOf(next)), keyIndex: 1n, deadline };
  const rotateKeySecp256k1 = await gasOf(
    f.registry.connect(single).rotateKey(1n, {
      keyType: KEY_TYPE_CODE.secp256k1,
      publicKey: next.publicId,
      deadline,
      oldKeySignature: signRotation(keys[0], f.domain, message),
      newKeySignature: signRotation(next, f.domain, message),
    }),
  );
  const transferDevice = await gasOf(f.registry.connect(single).transferFrom(single.address, receiver.address, 1n));

  // P-256: the same signature checked through the registry's library and in pure Solidity
  // (gas of an eth_call minus the 21k transaction base).
  const { ethers } = conn;
  const p = p256[0];
  const digest = bindDigest(f.domain, { owner: single.address as `0x${string}`, nonce: 9n, deadline });
  const sig = signBind(p, f.domain, { owner: single.address as `0x${string}`, nonce: 9n, deadline });
  const args = [
    digest,
    "0x" + sig.slice(2, 66),
    "0x" + sig.slice(66, 130),
    "0x" + p.publicId.slice(2, 66),
    "0x" + p.publicId.slice(66, 130),
  ];
  const lib = await ethers.getContractAt("P256Verifier", f.p256Verifier);
  const mock = await ethers.deployContract("P256Harness");
  const callGas = async (to: string, data: string): Promise<number> =>
    Number(await ethers.provider.estimateGas({ to, data })) - 21_000;
  const p256VerifyLibrary = await callGas(await lib.getAddress(), lib.interface.encodeFunctionData("verify", args as never));
  const p256VerifySolidity = await callGas(
    await mock.getAddress(),
    mock.interface.encodeFunctionData("verifySolidity", args as never),
  );
  return {
    makerTreeSize: tree.size,
    bindOneSecp256k1,
    bindOneP256,
    batchSize,
    bindBatchTotal,
    onboardGasPerDevice: Math.round(bindBatchTotal / batchSize),
    deviceAccountDeployGas,
    provisionOneSecp256k1,
    provisionGasPerDevice: Math.round(provisionBatchTotal / batchSize),
    rotateKeySecp256k1,
    transferDevice,
    p256VerifyLibrary,
    p256VerifySolidity,
  };
}
