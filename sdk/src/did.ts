import { IdentityError, KEY_REVOCATION_DELAY_SEC, keyTypeFromCode } from "./identity.js";
import { hexToBytes } from "./hex.js";

/**
 * DIDs of the identity layer: `did:depin:<chainId>:<deviceId>` for devices and
 * `did:depin:<chainId>:<0xaddress>` for owners, resolved from the registry into W3C DID Core
 * documents. The resolver reads the chain through the small `DidChainReader` interface, so this
 * module stays free of any RPC library (scripts/identity.ts gives it an ethers-backed reader).
 */

export const DID_METHOD = "depin";
const MAX_DEVICE_ID = (1n << 64n) - 1n;

export type ParsedDid =
  { kind: "device"; chainId: bigint; deviceId: bigint } | { kind: "owner"; chainId: bigint; address: `0x${string}` };

export function deviceDid(chainId: bigint, deviceId: bigint): string {
  if (chainId <= 0n) throw new IdentityError("BAD_DID", `chain id must be positive, got ${chainId}`);
  if (deviceId <= 0n || deviceId > MAX_DEVICE_ID) throw new IdentityError("BAD_DID", `device id out of range: ${deviceId}`);
  return `did:${DID_METHOD}:${chainId}:${deviceId}`;
}

export function ownerDid(chainId: bigint, address: string): string {
  if (chainId <= 0n) throw new IdentityError("BAD_DID", `chain id must be positive, got ${chainId}`);
  if (!/^0x[0-9a-fA-F]{40}$/.test(address)) throw new IdentityError("BAD_DID", `not an address: ${address}`);
  return `did:${DID_METHOD}:${chainId}:${address.toLowerCase()}`;
}

/** Parses a depin DID (a fragment or query after it is rejected: pass the bare DID). */
export function parseDid(did: string): ParsedDid {
  const m = /^did:depin:([1-9][0-9]{0,19}):([1-9][0-9]{0,19}|0x[0-9a-fA-F]{40})$/.exec(did);
  if (!m) throw new IdentityError("BAD_DID", `not a did:depin DID: ${did}`);
  const chainId = BigInt(m[1]);
  if (m[2].startsWith("0x")) return { kind: "owner", chainId, address: m[2].toLowerCase() as `0x${string}` };
  const deviceId = BigInt(m[2]);
  if (deviceId > MAX_DEVICE_ID) throw new IdentityError("BAD_DID", `device id out of range: ${deviceId}`);
  return { kind: "device", chainId, deviceId };
}

// ------------------------------------------------------------------ chain view

export interface ChainDeviceInfo {
  owner: string;
  /** IDeviceDirectory.DeviceStatus: 0 None … 5 Decommissioned. */
  status: number;
  keyCount: number;
  statusSince: number;
}

export interface ChainDeviceKey {
  keyType: number;
  publicKey: string;
  validFrom: number;
  revokedAt: number;
}

export interface ChainDocumentRef {
  hash: string;
  uri: string;
}

/** What the resolver needs from the registry. */
export interface DidChainReader {
  chainId(): Promise<bigint>;
  deviceInfo(deviceId: bigint): Promise<ChainDeviceInfo>;
  keyAt(deviceId: bigint, index: number): Promise<ChainDeviceKey>;
  rewardRecipient(deviceId: bigint): Promise<string>;
  deviceDocument(deviceId: bigint): Promise<ChainDocumentRef>;
  ownerDocument(owner: string): Promise<ChainDocumentRef>;
}

export const DEVICE_STATUS_NAMES = ["none", "provisioned", "bound", "active", "suspended", "decommissioned"] as const;
export type DeviceStatusName = (typeof DEVICE_STATUS_NAMES)[number];

// ------------------------------------------------------------------ documents

export interface VerificationMethod {
  id: string;
  type: string;
  controller: string;
  blockchainAccountId?: string;
  publicKeyJwk?: { kty: "EC"; crv: "P-256"; x: string; y: string };
  /** Security vocabulary `revoked`: when the key stopped being valid. */
  revoked?: string;
}

export interface ServiceEndpoint {
  id: string;
  type: string;
  serviceEndpoint: string;
}

export interface DidDocument {
  "@context": string[];
  id: string;
  controller?: string;
  verificationMethod: VerificationMethod[];
  authentication?: string[];
  assertionMethod?: string[];
  capabilityInvocation?: string[];
  capabilityDelegation?: string[];
  service?: ServiceEndpoint[];
}

export interface DidDocumentMetadata {
  created?: string;
  updated?: string;
  deactivated?: boolean;
  /** Lifecycle status name (devices). */
  status?: DeviceStatusName;
  /** Hash and URI of the off-chain document extension anchored on-chain, if any. */
  documentHash?: string;
  documentUri?: string;
}

export interface DidResolutionResult {
  didDocument: DidDocument | null;
  didDocumentMetadata: DidDocumentMetadata;
  didResolutionMetadata: {
    contentType?: "application/did+json";
    error?: "invalidDid" | "notFound" | "methodNotSupported";
    message?: string;
  };
}

export interface ResolveOptions {
  /** Broker URL for the MQTT service endpoint, e.g. mqtts://broker.example.org:8883. */
  mqttBroker?: string;
  /** Topic template; `{chainId}` and `{deviceId}` are substituted. */
  mqttTopic?: string;
}

export const DEFAULT_MQTT_TOPIC = "depin/{chainId}/devices/{deviceId}/readings";

const CONTEXT = [
  "https://www.w3.org/ns/did/v1",
  "https://w3id.org/security/suites/secp256k1recovery-2020/v2",
  "https://w3id.org/security/suites/jws-2020/v1",
];

const iso = (seconds: number): string => new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
const b64url = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64url");
const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";
const ZERO_HASH = "0x" + "00".repeat(32);

function keyMethod(did: string, chainId: bigint, index: number, k: ChainDeviceKey): VerificationMethod {
  const type = keyTypeFromCode(k.keyType);
  const vm: VerificationMethod =
    type === "secp256k1"
      ? {
          id: `${did}#key-${index}`,
          type: "EcdsaSecp256k1RecoveryMethod2020",
          controller: did,
          blockchainAccountId: `eip155:${chainId}:${k.publicKey.toLowerCase()}`,
        }
      : (() => {
          const xy = hexToBytes(k.publicKey);
          return {
            id: `${did}#key-${index}`,
            type: "JsonWebKey2020",
            controller: did,
            publicKeyJwk: {
              kty: "EC" as const,
              crv: "P-256" as const,
              x: b64url(xy.subarray(0, 32)),
              y: b64url(xy.subarray(32, 64)),
            },
          };
        })();
  // Revocations are scheduled: `revoked` may be in the future (the instant the key stops signing).
  if (k.revokedAt !== 0) vm.revoked = iso(k.revokedAt);
  return vm;
}

/** Resolves a did:depin DID to a DID Core resolution result. Never throws for a bad DID. */
export async function resolveDid(did: string, reader: DidChainReader, opts: ResolveOptions = {}): Promise<DidResolutionResult> {
  let parsed: ParsedDid;
  try {
    parsed = parseDid(did);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const error = did.startsWith("did:") && !did.startsWith("did:depin:") ? "methodNotSupported" : "invalidDid";
    return { didDocument: null, didDocumentMetadata: {}, didResolutionMetadata: { error, message } };
  }
  const chainId = await reader.chainId();
  if (parsed.chainId !== chainId) {
    return {
      didDocument: null,
      didDocumentMetadata: {},
      didResolutionMetadata: {
        error: "notFound",
        message: `DID is for chain ${parsed.chainId}, the reader is on chain ${chainId}`,
      },
    };
  }
  return parsed.kind === "device"
    ? resolveDevice(did, parsed.deviceId, chainId, reader, opts)
    : resolveOwner(did, parsed.address, chainId, reader);
}

async function resolveDevice(
  did: string,
  deviceId: bigint,
  chainId: bigint,
  reader: DidChainReader,
  opts: ResolveOptions,
): Promise<DidResolutionResult> {
  const info = await reader.deviceInfo(deviceId);
  if (info.status === 0) {
    return {
      didDocument: null,
      didDocumentMetadata: {},
      didResolutionMetadata: { error: "notFound", message: `device ${deviceId} is not registered` },
    };
  }
  const keys: ChainDeviceKey[] = [];
  for (let i = 0; i < info.keyCount; i++) keys.push(await reader.keyAt(deviceId, i));
  const status = DEVICE_STATUS_NAMES[info.status];
  const decommissioned = status === "decommissioned";
  const owned = info.owner !== ZERO_ADDRESS;

  const verificationMethod = keys.map((k, i) => keyMethod(did, chainId, i, k));
  const current = keys.length - 1;
  const live = !decommissioned && keys[current].revokedAt === 0 ? [`${did}#key-${current}`] : [];
  const doc: DidDocument = { "@context": CONTEXT, id: did, verificationMethod };
  if (owned) {
    const controllerDid = ownerDid(chainId, info.owner);
    doc.controller = controllerDid;
    verificationMethod.push({
      id: `${did}#controller`,
      type: "EcdsaSecp256k1RecoveryMethod2020",
      controller: controllerDid,
      blockchainAccountId: `eip155:${chainId}:${info.owner.toLowerCase()}`,
    });
    doc.capabilityInvocation = [`${did}#controller`];
    doc.capabilityDelegation = [`${did}#controller`];
  }
  if (live.length > 0) {
    doc.authentication = live;
    doc.assertionMethod = live;
  }

  const service: ServiceEndpoint[] = [];
  if (!decommissioned) {
    const topic = (opts.mqttTopic ?? DEFAULT_MQTT_TOPIC)
      .replaceAll("{chainId}", String(chainId))
      .replaceAll("{deviceId}", String(deviceId));
    service.push({
      id: `${did}#mqtt`,
      type: "MQTTTopic",
      serviceEndpoint: opts.mqttBroker ? `${opts.mqttBroker.replace(/\/$/, "")}/${topic}` : topic,
    });
  }
  const account = await reader.rewardRecipient(deviceId);
  if (account !== ZERO_ADDRESS) {
    service.push({ id: `${did}#rewards`, type: "ERC4337Account", serviceEndpoint: `eip155:${chainId}:${account.toLowerCase()}` });
  }
  const ref = await reader.deviceDocument(deviceId);
  if (ref.uri !== "") service.push({ id: `${did}#document`, type: "LinkedDocument", serviceEndpoint: ref.uri });
  if (service.length > 0) doc.service = service;

  const meta: DidDocumentMetadata = {
    created: iso(keys[0].validFrom),
    // The last update is the latest status change or the rotation that installed the current key
    // (its validFrom is the scheduled hand-over, KEY_REVOCATION_DELAY after that transaction).
    updated: iso(
      Math.max(info.statusSince, current > 0 ? keys[current].validFrom - Number(KEY_REVOCATION_DELAY_SEC) : keys[0].validFrom),
    ),
    status,
  };
  if (decommissioned) meta.deactivated = true;
  if (ref.hash !== ZERO_HASH || ref.uri !== "") {
    meta.documentHash = ref.hash;
    meta.documentUri = ref.uri;
  }
  return { didDocument: doc, didDocumentMetadata: meta, didResolutionMetadata: { contentType: "application/did+json" } };
}

async function resolveOwner(did: string, address: string, chainId: bigint, reader: DidChainReader): Promise<DidResolutionResult> {
  const vmId = `${did}#controller`;
  const doc: DidDocument = {
    "@context": CONTEXT,
    id: did,
    verificationMethod: [
      {
        id: vmId,
        type: "EcdsaSecp256k1RecoveryMethod2020",
        controller: did,
        blockchainAccountId: `eip155:${chainId}:${address}`,
      },
    ],
    authentication: [vmId],
    assertionMethod: [vmId],
    capabilityInvocation: [vmId],
  };
  const ref = await reader.ownerDocument(address);
  const meta: DidDocumentMetadata = {};
  if (ref.uri !== "") doc.service = [{ id: `${did}#document`, type: "LinkedDocument", serviceEndpoint: ref.uri }];
  if (ref.hash !== ZERO_HASH || ref.uri !== "") {
    meta.documentHash = ref.hash;
    meta.documentUri = ref.uri;
  }
  return { didDocument: doc, didDocumentMetadata: meta, didResolutionMetadata: { contentType: "application/did+json" } };
}

// ------------------------------------------------------------------ DID Core shape check

const DID_RE = /^did:[a-z0-9]+:(?:(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})*:)*(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})+$/;
const DID_URL_RE = /^did:[a-z0-9]+:[^\s#?/]+(?:\/[^\s#?]*)?(?:\?[^\s#]*)?(?:#[^\s]*)?$/;
const URI_RE = /^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$/;
const RELATIONSHIPS = [
  "authentication",
  "assertionMethod",
  "keyAgreement",
  "capabilityInvocation",
  "capabilityDelegation",
] as const;
const KEY_MATERIAL = ["publicKeyJwk", "publicKeyMultibase", "blockchainAccountId"] as const;

export const isDid = (s: unknown): s is string => typeof s === "string" && DID_RE.test(s);
const isDidUrl = (s: unknown): s is string => typeof s === "string" && DID_URL_RE.test(s);
const isUri = (s: unknown): s is string => typeof s === "string" && URI_RE.test(s);
const isMap = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Checks a document against the DID Core data model (§5) as represented in JSON-LD: returns the
 * list of violations (empty when conformant). Checked: @context, id, controller, alsoKnownAs,
 * verification methods (id, type, controller, exactly one verification material property),
 * verification relationships (references resolve or methods are embedded), services (id, type,
 * serviceEndpoint), unique ids.
 */
export function validateDidDocument(doc: unknown): string[] {
  const errors: string[] = [];
  if (!isMap(doc)) return ["document is not a JSON object"];
  const ctx = doc["@context"];
  const first = Array.isArray(ctx) ? ctx[0] : ctx;
  if (first !== "https://www.w3.org/ns/did/v1") errors.push("@context must start with https://www.w3.org/ns/did/v1");
  if (Array.isArray(ctx) && !ctx.every((c) => typeof c === "string" || isMap(c)))
    errors.push("@context entries must be strings or maps");
  if (!isDid(doc.id)) errors.push(`id is not a DID: ${JSON.stringify(doc.id)}`);
  if (doc.controller !== undefined) {
    const cs = Array.isArray(doc.controller) ? doc.controller : [doc.controller];
    if (cs.length === 0 || !cs.every(isDid)) errors.push("controller must be a DID or a set of DIDs");
  }
  if (doc.alsoKnownAs !== undefined && !(Array.isArray(doc.alsoKnownAs) && doc.alsoKnownAs.every(isUri))) {
    errors.push("alsoKnownAs must be a set of URIs");
  }
  const ids = new Set<string>();
  const methodIds = new Set<string>();
  const checkMethod = (vm: unknown, where: string): void => {
    if (!isMap(vm)) {
      errors.push(`${where}: verification method is not a map`);
      return;
    }
    if (!isDidUrl(vm.id)) errors.push(`${where}: id is not a DID URL: ${JSON.stringify(vm.id)}`);
    else if (ids.has(vm.id)) errors.push(`${where}: duplicate id ${vm.id}`);
    else {
      ids.add(vm.id);
      methodIds.add(vm.id);
    }
    if (typeof vm.type !== "string" || vm.type === "") errors.push(`${where}: type must be a non-empty string`);
    if (!isDid(vm.controller)) errors.push(`${where}: controller is not a DID: ${JSON.stringify(vm.controller)}`);
    const material = KEY_MATERIAL.filter((k) => vm[k] !== undefined);
    if (material.length !== 1) errors.push(`${where}: needs exactly one of ${KEY_MATERIAL.join(", ")}, has ${material.length}`);
    if (vm.publicKeyJwk !== undefined) {
      const jwk = vm.publicKeyJwk;
      if (!isMap(jwk) || typeof jwk.kty !== "string") errors.push(`${where}: publicKeyJwk must be a JWK map with kty`);
      else if ("d" in jwk) errors.push(`${where}: publicKeyJwk must not contain private key material`);
    }
    if (
      vm.blockchainAccountId !== undefined &&
      !(
        typeof vm.blockchainAccountId === "string" &&
        /^[-a-z0-9]{3,8}:[-_a-zA-Z0-9]{1,32}:[-.%a-zA-Z0-9]{1,128}$/.test(vm.blockchainAccountId)
      )
    ) {
      errors.push(`${where}: blockchainAccountId is not a CAIP-10 account id`);
    }
    if (vm.revoked !== undefined && !(typeof vm.revoked === "string" && !Number.isNaN(Date.parse(vm.revoked)))) {
      errors.push(`${where}: revoked must be an XML datetime`);
    }
  };
  if (doc.verificationMethod !== undefined) {
    if (!Array.isArray(doc.verificationMethod)) errors.push("verificationMethod must be a set");
    else doc.verificationMethod.forEach((vm, i) => checkMethod(vm, `verificationMethod[${i}]`));
  }
  for (const rel of RELATIONSHIPS) {
    const v = doc[rel];
    if (v === undefined) continue;
    if (!Array.isArray(v)) {
      errors.push(`${rel} must be a set`);
      continue;
    }
    v.forEach((entry, i) => {
      if (typeof entry === "string") {
        if (!isDidUrl(entry)) errors.push(`${rel}[${i}]: not a DID URL`);
        else if (!methodIds.has(entry))
          errors.push(`${rel}[${i}]: ${entry} does not reference a verification method of the document`);
      } else checkMethod(entry, `${rel}[${i}]`);
    });
  }
  if (doc.service !== undefined) {
    if (!Array.isArray(doc.service)) errors.push("service must be a set");
    else
      doc.service.forEach((s, i) => {
        if (!isMap(s)) {
          errors.push(`service[${i}] is not a map`);
          return;
        }
        if (!isUri(s.id)) errors.push(`service[${i}]: id is not a URI`);
        else if (ids.has(s.id)) errors.push(`service[${i}]: duplicate id ${s.id}`);
        else ids.add(s.id);
        const types = Array.isArray(s.type) ? s.type : [s.type];
        if (types.length === 0 || !types.every((t) => typeof t === "string" && t !== ""))
          errors.push(`service[${i}]: type must be a string or set of strings`);
        const ep = s.serviceEndpoint;
        const eps = Array.isArray(ep) ? ep : [ep];
        if (eps.length === 0 || !eps.every((e) => (typeof e === "string" && e !== "") || isMap(e))) {
          errors.push(`service[${i}]: serviceEndpoint must be a string, a map, or a set of them`);
        }
      });
  }
  return errors;
}
