/**
 * `npm run vectors` — regenerates the shared test vectors from the sdk reference code:
 *   test/vectors/readings.json                 (TypeScript and circuit tests)
 *   contracts/test/vectors/ReadingVectors.sol  (Solidity tests; same values as constants)
 * Keys are fixed and signatures deterministic (RFC 6979), so the output is stable; a test
 * regenerates the JSON in memory and fails if the committed file is stale.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  bytesToHex,
  encodeReading,
  getPoseidon,
  hashReading,
  answerDigest,
  connectPassword,
  keyPairFromPrivate,
  merkleProof,
  merkleRoot,
  readingDigest,
  signatureHash,
  signDigest,
  signReading,
  SNARK_SCALAR_FIELD,
  toWire,
  type DeviceKeyPair,
  type Reading,
} from "../sdk/src/index.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const VECTORS_JSON = path.join(ROOT, "test", "vectors", "readings.json");
export const VECTORS_SOL = path.join(ROOT, "contracts", "test", "vectors", "ReadingVectors.sol");

const NETWORK_ID = 31337n;
const KEYS: DeviceKeyPair[] = [
  keyPairFromPrivate("secp256k1", `0x${"11".repeat(32)}`),
  keyPairFromPrivate("p256", `0x${"22".repeat(32)}`),
  keyPairFromPrivate("secp256k1", `0x${"33".repeat(32)}`),
];
const READINGS: Reading[] = [
  { deviceId: 1n, seq: 0n, timestamp: 1_767_225_600n, value: 2150n },
  { deviceId: 2n, seq: 7n, timestamp: 1_767_225_660n, value: 0n },
  { deviceId: 3n, seq: 18_446_744_073_709_551_615n, timestamp: 1_099_511_627_775n, value: 4_294_967_295n },
];

/** A bridge answer key (fixed, test only) and answers it signs: receipts of both forms and a rejection. */
const ANSWER_KEY: DeviceKeyPair = keyPairFromPrivate("secp256k1", `0x${"44".repeat(32)}`);
const ANSWERS: { topic: string; body: string }[] = [
  { topic: "depin/31337/5fbdb231/d/1/receipt", body: '{"seq":"0","status":"stored"}' },
  { topic: "depin/31337/5fbdb231/d/1/receipt", body: '{"stored":["1","2"],"duplicate":["0"]}' },
  {
    topic: "depin/31337/5fbdb231/d/1/error",
    body: '{"code":"KEY_NOT_YET_VALID","message":"key 1 is valid from 1767225700","seq":"3"}',
  },
];

/** Wire payloads that must be rejected, with the EncodingError code each must produce. */
const BAD_WIRE: { name: string; payload: string; code: string }[] = [
  { name: "malformed JSON", payload: '{"v":1,"deviceId":"1"', code: "MALFORMED_JSON" },
  { name: "array instead of object", payload: "[1,2,3]", code: "NOT_AN_OBJECT" },
  {
    name: "unknown field",
    payload: '{"v":1,"deviceId":"1","seq":"0","timestamp":1,"value":1,"sig":"0x00","extra":1}',
    code: "UNKNOWN_FIELD",
  },
  { name: "missing signature", payload: '{"v":1,"deviceId":"1","seq":"0","timestamp":1,"value":1}', code: "MISSING_FIELD" },
  {
    name: "wrong version",
    payload: `{"v":2,"deviceId":"1","seq":"0","timestamp":1,"value":1,"sig":"0x${"ab".repeat(65)}"}`,
    code: "UNSUPPORTED_VERSION",
  },
  {
    name: "value as float",
    payload: `{"v":1,"deviceId":"1","seq":"0","timestamp":1,"value":1.5,"sig":"0x${"ab".repeat(65)}"}`,
    code: "WRONG_TYPE",
  },
  {
    name: "deviceId as boolean",
    payload: `{"v":1,"deviceId":true,"seq":"0","timestamp":1,"value":1,"sig":"0x${"ab".repeat(65)}"}`,
    code: "WRONG_TYPE",
  },
  {
    name: "negative value",
    payload: `{"v":1,"deviceId":"1","seq":"0","timestamp":1,"value":-1,"sig":"0x${"ab".repeat(65)}"}`,
    code: "OUT_OF_RANGE",
  },
  {
    name: "value over 32 bits",
    payload: `{"v":1,"deviceId":"1","seq":"0","timestamp":1,"value":4294967296,"sig":"0x${"ab".repeat(65)}"}`,
    code: "OUT_OF_RANGE",
  },
  {
    name: "seq over 64 bits",
    payload: `{"v":1,"deviceId":"1","seq":"18446744073709551616","timestamp":1,"value":1,"sig":"0x${"ab".repeat(65)}"}`,
    code: "OUT_OF_RANGE",
  },
  {
    name: "deviceId = field modulus",
    payload: `{"v":1,"deviceId":"${SNARK_SCALAR_FIELD}","seq":"0","timestamp":1,"value":1,"sig":"0x${"ab".repeat(65)}"}`,
    code: "FIELD_OVERFLOW",
  },
  {
    name: "signature of 10 bytes",
    payload: `{"v":1,"deviceId":"1","seq":"0","timestamp":1,"value":1,"sig":"0x${"ab".repeat(10)}"}`,
    code: "BAD_SIGNATURE_FORMAT",
  },
  {
    name: "signature not hex",
    payload: `{"v":1,"deviceId":"1","seq":"0","timestamp":1,"value":1,"sig":"0x${"zz".repeat(65)}"}`,
    code: "BAD_SIGNATURE_FORMAT",
  },
  {
    name: "oversize payload",
    payload: `{"v":1,"deviceId":"1","seq":"0","timestamp":1,"value":1,"sig":"0x${"ab".repeat(300)}"}`,
    code: "OVERSIZE",
  },
];

/** The vector batch: 3 readings in a 4-ary tree of depth 1 (4 slots), as batch_root_4 proves it. */
export const MERKLE_DEPTH = 1;

export interface VectorFile {
  networkId: string;
  readings: {
    keyType: string;
    publicId: string;
    deviceId: string;
    seq: string;
    timestamp: string;
    value: string;
    canonical: string;
    digest: string;
    signature: string;
    sigHash: string;
    leaf: string;
    /** The fixed test key (never a real one): lets firmware in other languages re-derive the signature. */
    privateKey: string;
    /** sdk `toWire`: the exact MQTT payload bytes. */
    wire: string;
    /** sdk `connectPassword` at the reading's timestamp: the MQTT CONNECT password. */
    connectPassword: string;
  }[];
  /** Signed bridge answers (`<json>\n<0x r‖s‖v>` over sdk `answerDigest`) by ANSWER_KEY. */
  answers: { signer: string; privateKey: string; topic: string; body: string; digest: string; payload: string }[];
  poseidon: { inputs: string[]; hash: string }[];
  /** 4-ary tree; per proof one entry per level, each the 3 siblings in slot order (sdk merkleProof). */
  merkle: { depth: number; leaves: string[]; root: string; proofs: { index: number; siblings: string[][] }[] };
  badWire: typeof BAD_WIRE;
}

export async function buildVectors(): Promise<VectorFile> {
  const h = await getPoseidon();
  const signed = READINGS.map((r, i) => signReading(NETWORK_ID, KEYS[i], r));
  const leaves = signed.map((s) => hashReading(h, s));
  const poseidonCases = [
    [1n, 2n],
    [0n, 0n],
    [SNARK_SCALAR_FIELD - 1n, 1n],
    [0n, 0n, 0n, 0n], // the empty subtree of height 1 of the 4-ary batch tree
    [1n, 2n, 3n, 4n],
    [1n, 2n, 3n, 4n, 5n],
  ];
  return {
    networkId: NETWORK_ID.toString(),
    readings: signed.map((s, i) => ({
      keyType: KEYS[i].type,
      publicId: KEYS[i].publicId,
      deviceId: s.deviceId.toString(),
      seq: s.seq.toString(),
      timestamp: s.timestamp.toString(),
      value: s.value.toString(),
      canonical: bytesToHex(encodeReading(NETWORK_ID, s)),
      digest: bytesToHex(readingDigest(NETWORK_ID, s)),
      signature: s.signature,
      sigHash: signatureHash(s.signature).toString(),
      leaf: leaves[i].toString(),
      privateKey: KEYS[i].privateKey,
      wire: toWire(s),
      connectPassword: connectPassword(NETWORK_ID, KEYS[i], s.deviceId, s.timestamp),
    })),
    answers: ANSWERS.map(({ topic, body }) => {
      const digest = answerDigest(NETWORK_ID, topic, body);
      return {
        signer: ANSWER_KEY.publicId,
        privateKey: ANSWER_KEY.privateKey,
        topic,
        body,
        digest: bytesToHex(digest),
        payload: `${body}\n${signDigest(ANSWER_KEY, digest)}`,
      };
    }),
    poseidon: poseidonCases.map((inputs) => ({ inputs: inputs.map(String), hash: h.hash(inputs).toString() })),
    merkle: {
      depth: MERKLE_DEPTH,
      leaves: leaves.map(String),
      root: merkleRoot(h, leaves, MERKLE_DEPTH).toString(),
      proofs: leaves.map((_, i) => ({
        index: i,
        siblings: merkleProof(h, leaves, MERKLE_DEPTH, i).siblings.map((level) => level.map(String)),
      })),
    },
    badWire: BAD_WIRE,
  };
}

export function renderJson(v: VectorFile): string {
  return `${JSON.stringify(v, null, 2)}\n`;
}

export function renderSolidity(v: VectorFile): string {
  const lines = v.readings.map(
    (r, i) => `        out[${i}] = Reading({
            keyType: ${r.keyType === "p256" ? 1 : 0},
            publicKey: hex"${r.publicId.slice(2)}",
            deviceId: ${r.deviceId},
            seq: ${r.seq},
            timestamp: ${r.timestamp},
            value: ${r.value},
            digest: ${r.digest},
            signature: hex"${r.signature.slice(2)}",
            sigHash: ${r.sigHash},
            leaf: ${r.leaf}
        });`,
  );
  return `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

// GENERATED by tools/vectors.ts (npm run vectors) from the sdk reference code. DO NOT EDIT.
// The same values are in test/vectors/readings.json for the TypeScript and circuit tests.
library ReadingVectors {
    uint64 internal constant NETWORK_ID = ${v.networkId};
    uint256 internal constant MERKLE_ROOT = ${v.merkle.root};

    struct Reading {
        uint8 keyType;
        bytes publicKey;
        uint64 deviceId;
        uint64 seq;
        uint40 timestamp;
        uint32 value;
        bytes32 digest;
        bytes signature;
        uint256 sigHash;
        uint256 leaf;
    }

    function all() internal pure returns (Reading[] memory out) {
        out = new Reading[](${v.readings.length});
${lines.join("\n")}
    }
}
`;
}

async function main(): Promise<void> {
  const v = await buildVectors();
  writeFileSync(VECTORS_JSON, renderJson(v));
  writeFileSync(VECTORS_SOL, renderSolidity(v));
  console.log(`wrote ${path.relative(ROOT, VECTORS_JSON)} and ${path.relative(ROOT, VECTORS_SOL)}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
