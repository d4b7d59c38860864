import type { DidChainReader } from "../../sdk/src/index.js";

/** The registry calls the DID resolver needs (a typechain DeviceRegistry satisfies it). */
export interface RegistryViews {
  deviceInfo(id: bigint): Promise<{ owner: string; status: bigint; keyCount: bigint; statusSince: bigint }>;
  keyAt(id: bigint, index: bigint): Promise<{ keyType: bigint; publicKey: string; validFrom: bigint; revokedAt: bigint }>;
  rewardRecipient(id: bigint): Promise<string>;
  deviceDocument(id: bigint): Promise<{ hash: string; uri: string }>;
  ownerDocument(owner: string): Promise<{ hash: string; uri: string }>;
}

/** Adapts an ethers contract of the registry to the SDK's chain-agnostic DidChainReader. */
export function registryReader(registry: RegistryViews, chainId: bigint): DidChainReader {
  return {
    chainId: async () => chainId,
    deviceInfo: async (id) => {
      const d = await registry.deviceInfo(id);
      return { owner: d.owner, status: Number(d.status), keyCount: Number(d.keyCount), statusSince: Number(d.statusSince) };
    },
    keyAt: async (id, index) => {
      const k = await registry.keyAt(id, BigInt(index));
      return {
        keyType: Number(k.keyType),
        publicKey: k.publicKey,
        validFrom: Number(k.validFrom),
        revokedAt: Number(k.revokedAt),
      };
    },
    rewardRecipient: (id) => registry.rewardRecipient(id),
    deviceDocument: async (id) => {
      const r = await registry.deviceDocument(id);
      return { hash: r.hash, uri: r.uri };
    },
    ownerDocument: async (owner) => {
      const r = await registry.ownerDocument(owner);
      return { hash: r.hash, uri: r.uri };
    },
  };
}
