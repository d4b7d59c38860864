/**
 * `npm run check:verifiers` — two modes.
 *
 * Default: regenerates every committed verifier from its circuit in a scratch directory and fails
 * if any committed contracts/verifiers/*.sol differs (stale or edited by hand), or if a verifier is
 * committed for no manifest instance. A committed verifier that declares ceremony keys cannot be
 * rebuilt here (its key is the ceremony's); it is reported and left to the ceremony mode.
 *
 * Ceremony mode (--vkey or --zkey): checks one verifier — deployed (--address with --rpc-url) or a
 * Solidity source (--sol) — against a ceremony's verification key and, with --transcript, that it
 * names the ceremony's transcript (tools/circuits/verifier-check.ts).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { parseArgs } from "node:util";
import os from "node:os";
import path from "node:path";
import { JsonRpcProvider } from "ethers";
import * as snarkjs from "snarkjs";
import { buildInstance } from "./build.js";
import { loadManifest, verifierPath, VERIFIERS_DIR } from "./manifest.js";
import { provenanceOfSource } from "./provenance.js";
import { stderrLogger } from "./ptau.js";
import {
  checkDeployedVerifier,
  checkVerifierSource,
  sha256File,
  type CheckResult,
  type Expected,
  type VerificationKeyJson,
} from "./verifier-check.js";

const HELP = `Usage: npm run check:verifiers -- [--ci] [--only a,b]
       npm run check:verifiers -- (--vkey <file> | --zkey <file>) [--transcript <file>]
                                  (--address 0x… --rpc-url <url> [--sol <file>] | --sol <file>)

Default mode: rebuilds each committed development verifier from its circuit in a scratch
directory and fails if the committed contracts/verifiers/*.sol differs (stale or edited by hand).
  --ci      only the instances marked ci=true in circuits/circuits.json (fast)
  --only    only these instances

Ceremony mode: checks one verifier against a phase-2 ceremony's key (npm run ceremony -- export).
  --vkey F        the ceremony's verification key (<circuit>.vkey.json), or
  --zkey F        the ceremony's final zkey (the key is read from it)
  --transcript F  the ceremony's transcript.json: keyId() must be its sha256, and the vkey/zkey
                  must be the one it names
  --address A     a deployed verifier, read over --rpc-url U: the key's coordinates must be in its
                  code, it must answer devKeys() = false and keyId(); with --sol its code must be
                  exactly what that source compiles to
  --sol F         a verifier source (alone: its constants and provenance are checked)
  --contract N    contract name in --sol (default: the file name)
  --allow-dev-keys  accept devKeys() = true (a test ceremony over a development ptau)
Exit code 0 when every check passes, 1 otherwise, 2 for bad arguments.`;

class UsageError extends Error {}

async function ceremonyMode(values: Record<string, string | boolean | undefined>): Promise<number> {
  const str = (k: string): string | undefined => (typeof values[k] === "string" ? (values[k] as string) : undefined);
  const file = (k: string): string | undefined => {
    const f = str(k);
    if (f !== undefined && !existsSync(f)) throw new UsageError(`--${k}: file not found: ${f}`);
    return f;
  };
  const vkeyFile = file("vkey");
  const zkeyFile = file("zkey");
  const transcriptFile = file("transcript");
  const solFile = file("sol");
  const address = str("address");
  const rpc = str("rpc-url");
  if ((vkeyFile === undefined) === (zkeyFile === undefined)) throw new UsageError("give exactly one of --vkey and --zkey");
  if (address === undefined && solFile === undefined) throw new UsageError("give --address (with --rpc-url) or --sol");
  if (address !== undefined && !/^0x[0-9a-fA-F]{40}$/.test(address))
    throw new UsageError(`--address: not an address: ${address}`);
  if (address !== undefined && rpc === undefined) throw new UsageError("--address needs --rpc-url");
  if (rpc !== undefined && !/^https?:\/\//.test(rpc)) throw new UsageError(`--rpc-url must be an http(s) URL (got ${rpc})`);
  const vkey = (
    vkeyFile !== undefined ? JSON.parse(readFileSync(vkeyFile, "utf8")) : await snarkjs.zKey.exportVerificationKey(zkeyFile!)
  ) as VerificationKeyJson;
  const expected: Expected = { vkey, allowDevKeys: values["allow-dev-keys"] === true };
  const problems: string[] = [];
  if (transcriptFile !== undefined) {
    expected.transcriptSha256 = sha256File(transcriptFile);
    const t = JSON.parse(readFileSync(transcriptFile, "utf8")) as { final?: { vkeySha256: string; zkeySha256: string } };
    if (t.final === undefined) problems.push(`--transcript ${transcriptFile}: not an exported transcript (no "final")`);
    else if (vkeyFile !== undefined && sha256File(vkeyFile) !== t.final.vkeySha256) {
      problems.push(`--vkey ${vkeyFile} is not the verification key the transcript names`);
    } else if (zkeyFile !== undefined && sha256File(zkeyFile) !== t.final.zkeySha256) {
      problems.push(`--zkey ${zkeyFile} is not the zkey the transcript names`);
    }
  }
  const contract = str("contract") ?? (solFile !== undefined ? path.basename(solFile, ".sol") : undefined);
  let result: CheckResult;
  if (address !== undefined) {
    const provider = new JsonRpcProvider(rpc, undefined, { staticNetwork: true });
    try {
      const sol = solFile !== undefined ? { source: readFileSync(solFile, "utf8"), contract: contract! } : undefined;
      result = await checkDeployedVerifier(provider, address, expected, sol);
    } finally {
      provider.destroy();
    }
  } else {
    result = checkVerifierSource(readFileSync(solFile!, "utf8"), expected);
  }
  const target = address !== undefined ? `verifier at ${address}` : solFile!;
  for (const n of result.notes) console.error(`check:verifiers: ${target}: ${n}`);
  for (const p of [...problems, ...result.problems]) console.error(`check:verifiers: ${target}: FAIL ${p}`);
  const ok = problems.length === 0 && result.ok;
  console.error(`check:verifiers: ${target} ${ok ? "holds the ceremony's key" : "does NOT pass"}`);
  return ok ? 0 : 1;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      ci: { type: "boolean", default: false },
      only: { type: "string" },
      vkey: { type: "string" },
      zkey: { type: "string" },
      transcript: { type: "string" },
      address: { type: "string" },
      "rpc-url": { type: "string" },
      sol: { type: "string" },
      contract: { type: "string" },
      "allow-dev-keys": { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const ceremony = ["vkey", "zkey", "transcript", "address", "rpc-url", "sol", "contract"].some(
    (k) => (values as Record<string, unknown>)[k] !== undefined,
  );
  if (ceremony) {
    if (values.ci || values.only !== undefined)
      throw new UsageError("--ci/--only belong to the default mode, not the ceremony mode");
    return ceremonyMode(values);
  }
  const only = values.only?.split(",").map((s) => s.trim());
  const log = stderrLogger("check:verifiers");
  const manifest = loadManifest();
  const known = new Set(manifest.map((c) => `${c.verifier}.sol`));
  const problems: string[] = [];
  for (const f of existsSync(VERIFIERS_DIR) ? readdirSync(VERIFIERS_DIR) : []) {
    if (f.endsWith(".sol") && !known.has(f)) problems.push(`${f}: no instance in circuits/circuits.json generates it`);
  }
  const scratch = mkdtempSync(path.join(os.tmpdir(), "depin-verifiers-"));
  try {
    for (const c of manifest) {
      if (values.ci && !c.ci) continue;
      if (only && !only.includes(c.name)) continue;
      const committed = verifierPath(c);
      if (!existsSync(committed)) continue;
      const declared = provenanceOfSource(readFileSync(committed, "utf8"));
      if (declared !== undefined && declared.keyId !== `0x${"00".repeat(32)}`) {
        log.info(
          `${c.verifier}.sol holds ceremony keys (keyId ${declared.keyId}): not rebuilt here; check it with ` +
            "`npm run check:verifiers -- --sol <it> --vkey <ceremony vkey> --transcript <transcript.json>`",
        );
        continue;
      }
      const outDir = path.join(scratch, "verifiers");
      await buildInstance(c, { force: true, buildDir: path.join(scratch, "build"), verifiersDir: outDir, log });
      const fresh = readFileSync(verifierPath(c, outDir), "utf8");
      if (fresh !== readFileSync(committed, "utf8")) {
        problems.push(
          `${path.relative(process.cwd(), committed)} is stale: run \`npm run build:circuits -- --only ${c.name} --force\``,
        );
      } else {
        log.info(`${c.verifier}.sol matches a fresh build of ${c.name}`);
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  for (const p of problems) console.error(`check:verifiers: ${p}`);
  return problems.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`check:verifiers: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(e instanceof UsageError || (e as { code?: string }).code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" ? 2 : 1);
  },
);
