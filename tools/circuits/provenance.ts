/**
 * Key provenance of a generated Groth16 verifier.
 *
 * Every verifier written by the pipeline (tools/circuits/build.ts for development keys,
 * tools/circuits/ceremony.ts for ceremony keys) says where its proving key came from, twice:
 *
 * - in its header comment (for a reader of the source), and
 * - on-chain, as three pure functions a deploy script or an audit can call on a deployed address
 *   without the sources:
 *     devKeys()        true when anyone can forge proofs from public knowledge: development keys
 *                      (public Powers of Tau seed, fixed phase-2 beacon) or a ceremony whose phase 1
 *                      is a development Powers of Tau or whose phase 2 has no secret contribution
 *     keyId()          sha256 of the ceremony transcript JSON (tools/circuits/ceremony.ts export);
 *                      zero for development keys
 *     keyProvenance()  the same in words
 *
 * The functions are added to the contract snarkjs generates (never edited by hand). They cost
 * nothing on the verifyProof path but a few selector comparisons.
 */
import { Interface } from "ethers";

export interface KeyProvenance {
  /** Forgeable from public knowledge (development keys). */
  devKeys: boolean;
  /** 0x-prefixed 32-byte hex: the ceremony transcript's sha256, or zero for development keys. */
  keyId: string;
  /** One line of printable ASCII saying where the key comes from. */
  text: string;
}

export const ZERO_KEY_ID = `0x${"00".repeat(32)}`;

/** What build.ts's development keys are. */
export const DEV_KEY_PROVENANCE: KeyProvenance = {
  devKeys: true,
  keyId: ZERO_KEY_ID,
  text:
    "development (insecure): public development Powers of Tau seed and fixed phase-2 beacon; " +
    "anyone can forge proofs. Run the phase-2 ceremony (npm run ceremony) before a real network.",
};

/** ABI of the provenance functions (the deploy check and the roles audit call them). */
export const KEY_PROVENANCE_ABI = new Interface([
  "function devKeys() pure returns (bool)",
  "function keyId() pure returns (bytes32)",
  "function keyProvenance() pure returns (string)",
]);

function checkProvenance(p: KeyProvenance): void {
  if (!/^0x[0-9a-f]{64}$/.test(p.keyId))
    throw new Error(`key provenance: keyId must be 32 bytes of lower-case hex, got ${p.keyId}`);
  // Printable ASCII only: the text goes into a Solidity string literal and a comment.
  if (!/^[\x20-\x7e]+$/.test(p.text) || /["\\]/.test(p.text)) {
    throw new Error(`key provenance: text must be printable ASCII without quotes or backslashes: ${JSON.stringify(p.text)}`);
  }
  if (p.text.length > 400) throw new Error(`key provenance: text longer than 400 characters (${p.text.length})`);
}

/** Header comment lines (without the leading "// "). */
export function provenanceHeader(p: KeyProvenance): string[] {
  checkProvenance(p);
  return [
    `Key provenance: ${p.devKeys ? "DEVELOPMENT KEYS (INSECURE) - never deploy where value is at stake" : "ceremony keys"}.`,
    `  ${p.text}`,
    `  keyId ${p.keyId}`,
  ];
}

/** The Solidity block inserted at the top of the verifier contract's body. */
export function provenanceSolidity(p: KeyProvenance): string {
  checkProvenance(p);
  return [
    "    // --- Key provenance (generated with the verifier; read by scripts/deploy.ts and ops roles-audit) ---",
    "",
    "    /// @notice True when proofs for this key can be forged from public knowledge (development keys,",
    "    /// or a ceremony over a development Powers of Tau): never accept such a verifier where value is at stake.",
    "    function devKeys() external pure returns (bool) {",
    `        return ${p.devKeys ? "true" : "false"};`,
    "    }",
    "",
    "    /// @notice sha256 of the phase-2 ceremony transcript (JSON) that produced this key; zero for development keys.",
    "    function keyId() external pure returns (bytes32) {",
    `        return ${p.keyId};`,
    "    }",
    "",
    "    /// @notice Where this verifier's proving key comes from, in words.",
    "    function keyProvenance() external pure returns (string memory) {",
    `        return "${p.text}";`,
    "    }",
    "",
  ].join("\n");
}

/**
 * Turns snarkjs's generated verifier `body` into the committed file: `headerLines` (without
 * "// ") and the provenance comment on top, the contract renamed to `contractName`, the
 * provenance functions inserted into it.
 */
export function renderVerifierSource(body: string, contractName: string, headerLines: string[], p: KeyProvenance): string {
  const header = [
    "// SPDX-License-Identifier: GPL-3.0",
    ...[...headerLines, ...provenanceHeader(p)].map((l) => `// ${l}`),
    "",
  ].join("\n");
  const opening = /^contract Groth16Verifier \{\n/m;
  if (!opening.test(body)) throw new Error(`verifier template changed: "contract Groth16Verifier {" not found (${contractName})`);
  const renamed = body
    .replace(/^\/\/ SPDX-License-Identifier:.*\n/m, "")
    .replace(opening, `contract ${contractName} {\n${provenanceSolidity(p)}`);
  return header + renamed.trimStart();
}

/** Reads the provenance a verifier source file declares (its generated functions). */
export function provenanceOfSource(source: string): KeyProvenance | undefined {
  const dev = /function devKeys\(\) external pure returns \(bool\) \{\n\s+return (true|false);/.exec(source);
  const id = /function keyId\(\) external pure returns \(bytes32\) \{\n\s+return (0x[0-9a-f]{64});/.exec(source);
  const text = /function keyProvenance\(\) external pure returns \(string memory\) \{\n\s+return "([^"]*)";/.exec(source);
  if (!dev || !id || !text) return undefined;
  return { devKeys: dev[1] === "true", keyId: id[1], text: text[1] };
}
