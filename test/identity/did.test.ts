import { expect } from "chai";
import { keccak256, toUtf8Bytes } from "ethers";
import { network } from "hardhat";
import {
  IdentityError,
  KEY_REVOCATION_DELAY_SEC,
  KEY_TYPE_CODE,
  deviceDid,
  keyId,
  ownerDid,
  parseDid,
  publicKeyOf,
  resolveDid,
  signRotation,
  validateDidDocument,
  type DidChainReader,
} from "../../sdk/src/index.js";
import { registryReader } from "../../scripts/lib/registryReader.js";
import { bind, deployIdentity, deviceKeys, type IdentityFixture } from "./fixture.js";

const conn = await network.create();
const { networkHelpers } = conn;

interface DidFixture extends IdentityFixture {
  id: bigint;
  p256Id: bigint;
  reader: DidChainReader;
}

const fixture = async (): Promise<DidFixture> => {
  const f = await deployIdentity(conn);
  const id = await bind(f, f.keys[0], f.owner, 0n);
  const p256Id = await bind(f, f.keys[8], f.owner, 1n);
  return { ...f, id, p256Id, reader: registryReader(f.registry, f.chainId) };
};

describe("DIDs — format, resolver, DID Core shape", () => {
  it("formats and parses device and owner DIDs", () => {
    expect(deviceDid(31337n, 42n)).to.equal("did:depin:31337:42");
    expect(parseDid("did:depin:31337:42")).to.deep.equal({ kind: "device", chainId: 31337n, deviceId: 42n });
    const addr = "0xAbCdEf0123456789aBcDeF0123456789AbCdEf01";
    expect(ownerDid(1n, addr)).to.equal(`did:depin:1:${addr.toLowerCase()}`);
    expect(parseDid(ownerDid(1n, addr))).to.deep.equal({ kind: "owner", chainId: 1n, address: addr.toLowerCase() });
    for (const bad of [
      "did:depin:0:1",
      "did:depin:1:0",
      "did:depin:1:01",
      "did:depin:1:0x12",
      "did:other:1:1",
      "did:depin:1:18446744073709551616",
      "did:depin:1:1#key-0",
    ]) {
      expect(() => parseDid(bad), bad).to.throw(IdentityError, /did|device id/);
    }
    expect(() => deviceDid(1n, 1n << 64n)).to.throw(IdentityError);
  });

  it("resolves a bound secp256k1 device to a DID Core document", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    const did = deviceDid(f.chainId, f.id);
    const res = await resolveDid(did, f.reader, { mqttBroker: "mqtts://broker.example.org:8883" });
    expect(res.didResolutionMetadata).to.deep.equal({ contentType: "application/did+json" });
    const doc = res.didDocument!;
    expect(validateDidDocument(doc)).to.deep.equal([]);
    const ownerDidStr = ownerDid(f.chainId, f.owner.address);
    const account = (await f.factory.accountAddress(f.id)).toLowerCase();
    expect(doc).to.deep.equal({
      "@context": [
        "https://www.w3.org/ns/did/v1",
        "https://w3id.org/security/suites/secp256k1recovery-2020/v2",
        "https://w3id.org/security/suites/jws-2020/v1",
      ],
      id: did,
      controller: ownerDidStr,
      verificationMethod: [
        {
          id: `${did}#key-0`,
          type: "EcdsaSecp256k1RecoveryMethod2020",
          controller: did,
          blockchainAccountId: `eip155:${f.chainId}:${f.keys[0].publicId.toLowerCase()}`,
        },
        {
          id: `${did}#controller`,
          type: "EcdsaSecp256k1RecoveryMethod2020",
          controller: ownerDidStr,
          blockchainAccountId: `eip155:${f.chainId}:${f.owner.address.toLowerCase()}`,
        },
      ],
      capabilityInvocation: [`${did}#controller`],
      capabilityDelegation: [`${did}#controller`],
      authentication: [`${did}#key-0`],
      assertionMethod: [`${did}#key-0`],
      service: [
        {
          id: `${did}#mqtt`,
          type: "MQTTTopic",
          serviceEndpoint: `mqtts://broker.example.org:8883/depin/${f.chainId}/devices/${f.id}/readings`,
        },
        { id: `${did}#rewards`, type: "ERC4337Account", serviceEndpoint: `eip155:${f.chainId}:${account}` },
      ],
    });
    expect(res.didDocumentMetadata.status).to.equal("bound");
    expect(res.didDocumentMetadata.deactivated).to.equal(undefined);
  });

  it("a P-256 device key is published as a JsonWebKey2020 with its x and y", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    const res = await resolveDid(deviceDid(f.chainId, f.p256Id), f.reader);
    const doc = res.didDocument!;
    expect(validateDidDocument(doc)).to.deep.equal([]);
    const vm = doc.verificationMethod[0];
    expect(vm.type).to.equal("JsonWebKey2020");
    const xy = Buffer.from(f.keys[8].publicId.slice(2), "hex");
    expect(vm.publicKeyJwk).to.deep.equal({
      kty: "EC",
      crv: "P-256",
      x: xy.subarray(0, 32).toString("base64url"),
      y: xy.subarray(32).toString("base64url"),
    });
  });

  it("a rotated device lists the old key as revoked and authenticates with the new one only", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    const [next] = deviceKeys("secp256k1", 1, "did-next");
    const deadline = (await f.now()) + 600n;
    const m = { deviceId: f.id, newKeyId: keyId(publicKeyOf(next)), keyIndex: 1n, deadline };
    await f.registry.connect(f.owner).rotateKey(f.id, {
      keyType: KEY_TYPE_CODE.secp256k1,
      publicKey: next.publicId,
      deadline,
      oldKeySignature: signRotation(f.keys[0], f.domain, m),
      newKeySignature: signRotation(next, f.domain, m),
    });
    const iso = (t: bigint): string => new Date(Number(t) * 1000).toISOString().replace(".000Z", "Z");
    const rotatedAt = await f.now();
    const did = deviceDid(f.chainId, f.id);
    const res = await resolveDid(did, f.reader);
    const doc = res.didDocument!;
    expect(validateDidDocument(doc)).to.deep.equal([]);
    // The old key is revoked from the scheduled hand-over, KEY_REVOCATION_DELAY after the rotation;
    // the document was updated by the rotation itself.
    expect(doc.verificationMethod[0].revoked).to.equal(iso(rotatedAt + KEY_REVOCATION_DELAY_SEC));
    expect(res.didDocumentMetadata.updated).to.equal(iso(rotatedAt));
    expect(doc.verificationMethod[1].id).to.equal(`${did}#key-1`);
    expect(doc.verificationMethod[1].revoked).to.equal(undefined);
    expect(doc.authentication).to.deep.equal([`${did}#key-1`]);
    expect(doc.assertionMethod).to.deep.equal([`${did}#key-1`]);
  });

  it("a decommissioned device resolves as deactivated, with no live key and no MQTT endpoint", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    await f.registry.connect(f.owner).decommission(f.id);
    const res = await resolveDid(deviceDid(f.chainId, f.id), f.reader);
    expect(res.didDocumentMetadata.deactivated).to.equal(true);
    expect(res.didDocumentMetadata.status).to.equal("decommissioned");
    const doc = res.didDocument!;
    expect(validateDidDocument(doc)).to.deep.equal([]);
    expect(doc.authentication).to.equal(undefined);
    expect(doc.assertionMethod).to.equal(undefined);
    expect(doc.verificationMethod[0].revoked).to.be.a("string");
    expect(doc.service?.map((s) => s.type)).to.deep.equal(["ERC4337Account"]);
  });

  it("the on-chain document anchor shows as a service and in the metadata; owner DIDs resolve", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    const hash = keccak256(toUtf8Bytes('{"model":"AQ-1"}'));
    await f.registry.connect(f.owner).setDeviceDocument(f.id, hash, "ipfs://bafy-device");
    await f.registry.connect(f.owner).setOwnerDocument(hash, "https://owner.example.org/did.json");
    const dev = await resolveDid(deviceDid(f.chainId, f.id), f.reader);
    expect(dev.didDocumentMetadata.documentHash).to.equal(hash);
    expect(dev.didDocument!.service).to.deep.include({
      id: `${deviceDid(f.chainId, f.id)}#document`,
      type: "LinkedDocument",
      serviceEndpoint: "ipfs://bafy-device",
    });
    const od = ownerDid(f.chainId, f.owner.address);
    const own = await resolveDid(od, f.reader);
    expect(validateDidDocument(own.didDocument)).to.deep.equal([]);
    expect(own.didDocument!.authentication).to.deep.equal([`${od}#controller`]);
    expect(own.didDocument!.service![0].serviceEndpoint).to.equal("https://owner.example.org/did.json");
  });

  it("unknown devices, other chains, bad DIDs and other methods resolve to errors, not documents", async () => {
    const f = await networkHelpers.loadFixture(fixture);
    expect((await resolveDid(deviceDid(f.chainId, 999n), f.reader)).didResolutionMetadata.error).to.equal("notFound");
    expect((await resolveDid(deviceDid(f.chainId + 1n, f.id), f.reader)).didResolutionMetadata.error).to.equal("notFound");
    expect((await resolveDid("did:depin:abc", f.reader)).didResolutionMetadata.error).to.equal("invalidDid");
    expect((await resolveDid("did:web:example.org", f.reader)).didResolutionMetadata.error).to.equal("methodNotSupported");
    expect((await resolveDid("did:web:example.org", f.reader)).didDocument).to.equal(null);
  });

  it("the DID Core validator rejects malformed documents", () => {
    const did = "did:depin:1:1";
    const good = {
      "@context": ["https://www.w3.org/ns/did/v1"],
      id: did,
      verificationMethod: [
        { id: `${did}#k`, type: "JsonWebKey2020", controller: did, publicKeyJwk: { kty: "EC", crv: "P-256", x: "a", y: "b" } },
      ],
      authentication: [`${did}#k`],
      service: [{ id: `${did}#s`, type: "X", serviceEndpoint: "https://x.example" }],
    };
    expect(validateDidDocument(good)).to.deep.equal([]);
    const cases: [string, unknown, RegExp][] = [
      ["no context", { ...good, "@context": ["https://example.org"] }, /@context/],
      ["bad id", { ...good, id: "depin:1:1" }, /id is not a DID/],
      ["dangling reference", { ...good, authentication: [`${did}#nope`] }, /does not reference/],
      [
        "two key materials",
        { ...good, verificationMethod: [{ ...good.verificationMethod[0], blockchainAccountId: "eip155:1:0xab" }] },
        /exactly one/,
      ],
      ["no key material", { ...good, verificationMethod: [{ id: `${did}#k`, type: "X", controller: did }] }, /exactly one/],
      [
        "private key",
        { ...good, verificationMethod: [{ ...good.verificationMethod[0], publicKeyJwk: { kty: "EC", d: "secret" } }] },
        /private/,
      ],
      ["duplicate ids", { ...good, service: [{ id: `${did}#k`, type: "X", serviceEndpoint: "https://x" }] }, /duplicate/],
      ["service without endpoint", { ...good, service: [{ id: `${did}#s`, type: "X" }] }, /serviceEndpoint/],
      ["bad controller", { ...good, controller: "alice" }, /controller/],
      ["not an object", "did:depin:1:1", /not a JSON object/],
    ];
    for (const [name, doc, re] of cases) {
      const errors = validateDidDocument(doc);
      expect(errors.join("; "), name).to.match(re);
    }
  });
});
