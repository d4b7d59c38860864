/**
 * Checks a verifier — deployed (RPC + address) or a Solidity source — against a ceremony's
 * verification key (and optionally its transcript): the key the verifier checks proofs with must
 * be the ceremony's, and the verifier must declare ceremony keys (devKeys() = false, keyId() =
 * the transcript's sha256). Used by `npm run check:verifiers -- --address … | --sol …`.
 *
 * - Deployed code: every coordinate of the key (alpha, beta, gamma, delta, each IC point) must be
 *   pushed by the code (PUSH immediates, read instruction by instruction), the IC count must match
 *   the verifyProof signature's public-input count, and with `sol` the code must equal what that
 *   source compiles to (metadata aside) — then nothing else can be hidden in it.
 * - Source: the same constants, read from the generated `uint256 constant` lines, and the
 *   provenance functions' literals.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { Contract, getAddress, id, type Provider } from "ethers";
import { KEY_PROVENANCE_ABI, provenanceOfSource, type KeyProvenance } from "./provenance.js";
import { compileVerifier, stripMetadata } from "./solc.js";
import { pushedValues, verifierKeyConstants, type Groth16VerificationKey } from "../../sdk/src/reward-receipt.js";

export interface VerificationKeyJson {
  nPublic: number;
  vk_alpha_1: string[];
  vk_beta_2: string[][];
  vk_gamma_2: string[][];
  vk_delta_2: string[][];
  IC: string[][];
}

export interface CheckResult {
  ok: boolean;
  problems: string[];
  notes: string[];
  provenance?: KeyProvenance;
}

/** Named constants of a snarkjs Groth16 verifier, as the template names them (sdk). */
export const keyConstants = (vk: VerificationKeyJson): Map<string, bigint> =>
  verifierKeyConstants(vk as unknown as Groth16VerificationKey);

export { pushedValues };

export interface Expected {
  vkey: VerificationKeyJson;
  /** sha256 (hex, no 0x) of the transcript file, when one is given: the expected keyId. */
  transcriptSha256?: string;
  /** Accept devKeys() = true (a test ceremony over a development ptau). */
  allowDevKeys?: boolean;
}

function checkProvenance(p: KeyProvenance | undefined, e: Expected, r: CheckResult): void {
  if (p === undefined) {
    r.problems.push("declares no key provenance (no devKeys()/keyId()/keyProvenance())");
    return;
  }
  r.provenance = p;
  r.notes.push(`provenance: devKeys ${p.devKeys}, keyId ${p.keyId}: ${p.text}`);
  if (p.devKeys && !e.allowDevKeys) r.problems.push(`declares development keys (devKeys() = true): ${p.text}`);
  if (e.transcriptSha256 !== undefined && p.keyId !== `0x${e.transcriptSha256}`) {
    r.problems.push(`keyId ${p.keyId} is not the transcript's sha256 0x${e.transcriptSha256}`);
  }
}

export async function checkDeployedVerifier(
  provider: Provider,
  address: string,
  e: Expected,
  sol?: { source: string; contract: string },
): Promise<CheckResult> {
  const r: CheckResult = { ok: false, problems: [], notes: [] };
  const code = await provider.getCode(getAddress(address));
  if (code === "0x") {
    r.problems.push(`no code at ${address}`);
    return r;
  }
  const pushed = pushedValues(code);
  const missing = [...keyConstants(e.vkey)].filter(([, v]) => !pushed.has(v)).map(([k]) => k);
  if (missing.length > 0)
    r.problems.push(`the deployed code does not hold the key's ${missing.join(", ")}: it verifies with another key`);
  else r.notes.push(`all ${keyConstants(e.vkey).size} key coordinates are in the deployed code`);
  const selector = `verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[${e.vkey.nPublic}])`;
  if (!pushed.has(BigInt(id(selector).slice(0, 10)))) {
    r.problems.push(`the deployed code has no ${selector} (public input count differs from the key's ${e.vkey.nPublic})`);
  }
  let p: KeyProvenance | undefined;
  try {
    const c = new Contract(address, KEY_PROVENANCE_ABI, provider);
    p = {
      devKeys: (await c.getFunction("devKeys").staticCall()) as boolean,
      keyId: (await c.getFunction("keyId").staticCall()) as string,
      text: (await c.getFunction("keyProvenance").staticCall()) as string,
    };
  } catch {
    p = undefined;
  }
  checkProvenance(p, e, r);
  if (sol !== undefined) {
    const compiled = compileVerifier(sol.source, sol.contract);
    if (stripMetadata(compiled.deployedBytecode) !== stripMetadata(code)) {
      r.problems.push(`the deployed code is not what ${sol.contract}'s source compiles to (solc, optimizer 200 runs, prague)`);
    } else r.notes.push(`the deployed code is exactly ${sol.contract}'s source compiled (metadata aside)`);
    r.problems.push(...checkVerifierSource(sol.source, e).problems.map((x) => `source: ${x}`));
  }
  r.ok = r.problems.length === 0;
  return r;
}

export function checkVerifierSource(source: string, e: Expected): CheckResult {
  const r: CheckResult = { ok: false, problems: [], notes: [] };
  const declared = new Map<string, bigint>();
  for (const m of source.matchAll(/uint256 constant (\w+)\s*=\s*(\d+);/g)) declared.set(m[1], BigInt(m[2]));
  const expected = keyConstants(e.vkey);
  const wrong = [...expected].filter(([k, v]) => declared.get(k) !== v).map(([k]) => k);
  if (wrong.length > 0) r.problems.push(`constants differ from the key: ${wrong.join(", ")}`);
  const extraIc = [...declared.keys()].filter((k) => /^IC\d+x$/.test(k) && !expected.has(k));
  if (extraIc.length > 0) r.problems.push(`more IC points than the key has: ${extraIc.join(", ")}`);
  if (wrong.length === 0 && extraIc.length === 0) r.notes.push(`all ${expected.size} key coordinates match`);
  checkProvenance(provenanceOfSource(source), e, r);
  r.ok = r.problems.length === 0;
  return r;
}

/** sha256 hex of a file. */
export function sha256File(file: string): string {
  return createHash("sha256").update(readFileSync(file)).digest("hex");
}
