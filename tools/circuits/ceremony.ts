/**
 * `npm run ceremony -- <command>` — a scripted Groth16 phase-2 ceremony over snarkjs.
 *
 * Development keys (tools/circuits/build.ts) are forgeable by anyone: their Powers of Tau comes
 * from a public seed and their phase-2 contribution is a fixed public beacon, so delta is known.
 * A network's keys come from this ceremony instead:
 *
 *   init <circuit> --ptau <file>   compile the circuit; the initial zkey from a PUBLIC prepared
 *                                  Powers of Tau (a real phase-1 ceremony's file)
 *   contribute                     one participant's secret contribution (crypto randomness,
 *                                  optionally mixed with --entropy); the secret is never stored
 *   beacon <hex> <iterations>      the closing public-randomness contribution
 *   verify                         snarkjs's full check of the chain (from r1cs and ptau) and of
 *                                  the transcript against the zkey
 *   export                         verify, then write the zkey, verification key, Solidity verifier
 *                                  (with key provenance) and the final transcript JSON
 *
 * The ceremony lives in one directory (--dir): transcript.json (every step, with its
 * contribution hash) and the numbered zkeys. Contributors on other machines receive the directory
 * (or just transcript.json and the latest zkey), run `contribute`, and send it back.
 *
 * Honesty: a ceremony over a development ptau (tools/circuits/dev-ptau.ts, detected from the
 * file's contribution record), or without any secret contribution, exports a verifier that still
 * says devKeys() = true: its proofs can be forged by whoever knows phase 1's toxic waste.
 */
import { createHash, randomBytes } from "node:crypto";
import {
  copyFileSync,
  createReadStream,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  closeSync,
  renameSync,
  statSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import * as snarkjs from "snarkjs";
import { compileCircuit, sourcesHash, verifierHeader } from "./build.js";
import { DEV_PTAU_CONTRIBUTION_NAME } from "./dev-ptau.js";
import { artifactsOf, loadManifest, ROOT, type CircuitInstance } from "./manifest.js";
import { powerFor } from "./ptau.js";
import { renderVerifierSource, type KeyProvenance } from "./provenance.js";

export const TRANSCRIPT_FORMAT = "depin-kit phase-2 ceremony transcript v1";

export class CeremonyError extends Error {
  override name = "CeremonyError";
}

/** A bad command line (exit code 2); the message names the argument. */
export class CeremonyUsageError extends CeremonyError {
  override name = "CeremonyUsageError";
}

export interface Contribution {
  index: number;
  type: "contribution" | "beacon";
  name: string;
  /** blake2b-512 contribution hash as snarkjs computes and prints it (hex). */
  hash: string;
  /** The zkey this step wrote (file name inside the ceremony directory) and its sha256. */
  zkey: string;
  zkeySha256: string;
  beacon?: { hash: string; iterationsExp: number };
  /** Whether the contributor added their own entropy to the crypto randomness. */
  userEntropy?: boolean;
  at: string;
}

export interface Transcript {
  format: string;
  circuit: {
    name: string;
    main: string;
    verifier: string;
    publicSignals: string[];
    sourcesHash: string;
    r1csSha256: string;
    constraints: number;
    power: number;
  };
  phase1: {
    file: string;
    blake2b: string;
    bytes: number;
    power: number;
    contributions: number;
    /** True when the file is a development ptau (public toxic waste): the keys stay forgeable. */
    development: boolean;
    label: string;
  };
  /** blake2b-512 of the circuit and phase 1 as snarkjs prints it ("Circuit Hash"). */
  circuitHash: string;
  initialZkey: { zkey: string; zkeySha256: string };
  contributions: Contribution[];
  /** Present in the exported transcript only. */
  final?: { zkeySha256: string; vkeySha256: string; verifier: string; devKeys: boolean; reasons: string[] };
}

export interface Log {
  info(m: string): void;
  progress(m: string): void;
}

/** Prints info lines always and snarkjs's progress lines at most every `everyMs`. */
export function consoleLog(everyMs = 2000): Log {
  let last = 0;
  return {
    info: (m) => void process.stderr.write(`[ceremony] ${m}\n`),
    progress: (m) => {
      const now = Date.now();
      if (now - last < everyMs) return;
      last = now;
      process.stderr.write(`[ceremony]   ${m}\n`);
    },
  };
}

/** The logger snarkjs takes; `lines` collects the info messages (verify reports through them). */
function snarkLogger(log: Log, lines: string[] = []) {
  return {
    info: (m: string) => {
      lines.push(m);
      log.progress(m.replace(/\s+/g, " "));
    },
    debug: (m: string) => log.progress(m),
    warn: (m: string) => log.info(`snarkjs: ${m}`),
    error: (m: string) => log.info(`snarkjs error: ${m}`),
  };
}

// ---------------------------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------------------------

export async function fileHash(file: string, algorithm: "sha256" | "blake2b512", log?: Log): Promise<string> {
  const h = createHash(algorithm);
  const size = statSync(file).size;
  let done = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 22 })) {
    h.update(chunk as Buffer);
    done += (chunk as Buffer).length;
    log?.progress(`hashing ${path.basename(file)}: ${Math.floor((100 * done) / Math.max(size, 1))}%`);
  }
  return h.digest("hex");
}

/** Section id → [offset, size] of a snarkjs binary file ("ptau", "zkey"), read without loading it. */
function sectionsOfFile(file: string, magic: string): Map<number, [number, number]> {
  const fd = openSync(file, "r");
  try {
    const head = Buffer.alloc(12);
    if (readSync(fd, head, 0, 12, 0) !== 12 || head.subarray(0, 4).toString("latin1") !== magic) {
      throw new CeremonyError(`${file} is not a snarkjs .${magic} file`);
    }
    const n = head.readUInt32LE(8);
    const out = new Map<number, [number, number]>();
    const size = statSync(file).size;
    let pos = 12;
    const s = Buffer.alloc(12);
    for (let i = 0; i < n; i++) {
      if (readSync(fd, s, 0, 12, pos) !== 12) throw new CeremonyError(`${file}: truncated (section ${i} header)`);
      const id = s.readUInt32LE(0);
      const len = Number(s.readBigUInt64LE(4));
      out.set(id, [pos + 12, len]);
      pos += 12 + len;
      if (pos > size) throw new CeremonyError(`${file}: truncated (section ${id})`);
    }
    return out;
  } finally {
    closeSync(fd);
  }
}

export interface PtauInfo {
  power: number;
  contributions: number;
  prepared: boolean;
  development: boolean;
}

/** Reads a prepared ptau's header: its power, how many contributions it records, and whether it
 * is a development ptau (tools/circuits/dev-ptau.ts names its one contribution so). */
export function ptauInfo(file: string): PtauInfo {
  const sections = sectionsOfFile(file, "ptau");
  const header = sections.get(1);
  const contrib = sections.get(7);
  if (!header || !contrib) throw new CeremonyError(`${file}: not a Powers of Tau file (header or contributions missing)`);
  const fd = openSync(file, "r");
  try {
    const h = Buffer.alloc(header[1]);
    readSync(fd, h, 0, header[1], header[0]);
    const n8 = h.readUInt32LE(0);
    const power = h.readUInt32LE(4 + n8);
    const c = Buffer.alloc(contrib[1]);
    readSync(fd, c, 0, contrib[1], contrib[0]);
    return {
      power,
      contributions: c.readUInt32LE(0),
      prepared: sections.has(12) && sections.has(13) && sections.has(14) && sections.has(15),
      development: c.includes(Buffer.from(DEV_PTAU_CONTRIBUTION_NAME, "utf8")),
    };
  } finally {
    closeSync(fd);
  }
}

export function transcriptPath(dir: string): string {
  return path.join(dir, "transcript.json");
}

export function readTranscript(dir: string): Transcript {
  const file = transcriptPath(dir);
  if (!existsSync(file)) throw new CeremonyError(`--dir ${dir}: no ceremony here (${file} missing; run \`ceremony init\` first)`);
  const t = JSON.parse(readFileSync(file, "utf8")) as Transcript;
  if (t.format !== TRANSCRIPT_FORMAT) throw new CeremonyError(`${file}: not a ${TRANSCRIPT_FORMAT} (format ${String(t.format)})`);
  return t;
}

function writeJson(file: string, value: unknown): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(tmp, file);
}

function latestZkey(t: Transcript): { zkey: string; zkeySha256: string } {
  return t.contributions.length > 0 ? t.contributions[t.contributions.length - 1] : t.initialZkey;
}

function zkeyName(t: Transcript, index: number): string {
  return `${t.circuit.name}_${String(index).padStart(4, "0")}.zkey`;
}

function r1csOf(dir: string, t: Transcript): string {
  return artifactsOf(t.circuit.name, path.join(dir, "circuit")).r1cs;
}

function instance(name: string): CircuitInstance {
  const manifest = loadManifest();
  const c = manifest.find((x) => x.name === name);
  if (!c) throw new CeremonyUsageError(`<circuit>: unknown instance ${name} (known: ${manifest.map((x) => x.name).join(", ")})`);
  return c;
}

function hex(bytes: unknown): string {
  return Buffer.from(bytes as Uint8Array).toString("hex");
}

/** Checks the latest zkey on disk is the one the transcript names (nobody swapped it). */
async function checkLatest(dir: string, t: Transcript, log: Log): Promise<string> {
  const last = latestZkey(t);
  const file = path.join(dir, last.zkey);
  if (!existsSync(file)) throw new CeremonyError(`--dir ${dir}: ${last.zkey} (the latest zkey of the transcript) is missing`);
  const sha = await fileHash(file, "sha256", log);
  if (sha !== last.zkeySha256) {
    throw new CeremonyError(`${file}: sha256 ${sha} differs from the transcript's ${last.zkeySha256} (replaced or corrupted)`);
  }
  return file;
}

// ---------------------------------------------------------------------------------------------
// Steps
// ---------------------------------------------------------------------------------------------

export async function init(
  circuitName: string,
  opts: { ptau: string; dir: string; label?: string; force?: boolean },
  log: Log,
): Promise<Transcript> {
  const c = instance(circuitName);
  if (!existsSync(opts.ptau)) throw new CeremonyError(`--ptau: file not found: ${opts.ptau}`);
  if (existsSync(transcriptPath(opts.dir)) && !opts.force) {
    throw new CeremonyError(
      `--dir ${opts.dir}: a ceremony already exists there (transcript.json); pick another --dir or pass --force`,
    );
  }
  const info = ptauInfo(opts.ptau);
  if (!info.prepared) {
    throw new CeremonyError(
      `--ptau ${opts.ptau}: not prepared for phase 2 (no Lagrange sections): use a *prepared* file or run \`snarkjs powersoftau prepare phase2\``,
    );
  }
  mkdirSync(opts.dir, { recursive: true });
  const circuitDir = path.join(opts.dir, "circuit");
  compileCircuit(c, artifactsOf(c.name, circuitDir).dir, {
    info: log.info,
    debug: log.progress,
    warn: log.info,
    error: log.info,
  });
  const r1csFile = artifactsOf(c.name, circuitDir).r1cs;
  const r1 = await snarkjs.r1cs.info(r1csFile);
  const publicSignals = r1.nOutputs + r1.nPubInputs;
  const power = powerFor(r1.nConstraints + publicSignals + 1);
  if (info.power < power) {
    throw new CeremonyError(
      `--ptau ${opts.ptau}: power 2^${info.power} is too small for ${c.name} (${r1.nConstraints} constraints need 2^${power})`,
    );
  }
  if (info.development) {
    log.info(
      "WARNING: --ptau is a DEVELOPMENT Powers of Tau (public toxic waste). The ceremony runs, but its keys stay " +
        "forgeable and the exported verifier will say devKeys() = true. Use a public ceremony's prepared ptau for a real network.",
    );
  }
  log.info(`${c.name}: ${r1.nConstraints} constraints, domain 2^${power}; hashing the Powers of Tau (blake2b-512)`);
  const blake = await fileHash(opts.ptau, "blake2b512", log);
  const t: Transcript = {
    format: TRANSCRIPT_FORMAT,
    circuit: {
      name: c.name,
      main: c.main,
      verifier: c.verifier,
      publicSignals: c.publicSignals,
      sourcesHash: sourcesHash(c),
      r1csSha256: await fileHash(r1csFile, "sha256"),
      constraints: r1.nConstraints,
      power,
    },
    phase1: {
      file: path.resolve(opts.ptau),
      blake2b: blake,
      bytes: statSync(opts.ptau).size,
      power: info.power,
      contributions: info.contributions,
      development: info.development,
      label: opts.label ?? (info.development ? "development Powers of Tau (INSECURE)" : path.basename(opts.ptau)),
    },
    circuitHash: "",
    initialZkey: { zkey: "", zkeySha256: "" },
    contributions: [],
  };
  const zkey0 = zkeyName(t, 0);
  log.info(`initial zkey ${zkey0} (snarkjs newZKey; minutes for large circuits)`);
  const csHash = (await snarkjs.zKey.newZKey(r1csFile, opts.ptau, path.join(opts.dir, zkey0), snarkLogger(log))) as Uint8Array;
  t.circuitHash = hex(csHash);
  t.initialZkey = { zkey: zkey0, zkeySha256: await fileHash(path.join(opts.dir, zkey0), "sha256") };
  writeJson(transcriptPath(opts.dir), t);
  log.info(
    `ceremony for ${c.name} ready in ${opts.dir}: next, each participant runs \`npm run ceremony -- contribute --dir ${opts.dir}\``,
  );
  return t;
}

export async function contribute(opts: { dir: string; name?: string; entropy?: string }, log: Log): Promise<Contribution> {
  const t = readTranscript(opts.dir);
  if (t.contributions.some((c) => c.type === "beacon")) {
    throw new CeremonyError(`--dir ${opts.dir}: the beacon already closed this ceremony; no contribution can follow it`);
  }
  if (opts.entropy !== undefined && opts.entropy.length === 0) throw new CeremonyError("--entropy: empty");
  const prev = await checkLatest(opts.dir, t, log);
  const index = t.contributions.length + 1;
  const out = zkeyName(t, index);
  const name = opts.name ?? `contribution ${index}`;
  // snarkjs hashes 64 crypto-random bytes together with this text: the contribution is secret even
  // when the user's entropy is guessable. Without --entropy we add another 64 random bytes.
  const entropy = opts.entropy ?? randomBytes(64).toString("hex");
  log.info(`contribution ${index} (${name}): ${path.basename(prev)} -> ${out}`);
  const hash = hex(await snarkjs.zKey.contribute(prev, path.join(opts.dir, out), name, entropy, snarkLogger(log)));
  const c: Contribution = {
    index,
    type: "contribution",
    name,
    hash,
    zkey: out,
    zkeySha256: await fileHash(path.join(opts.dir, out), "sha256"),
    userEntropy: opts.entropy !== undefined,
    at: new Date().toISOString(),
  };
  t.contributions.push(c);
  writeJson(transcriptPath(opts.dir), t);
  log.info(`contribution hash ${hash} (publish it; \`verify\` prints every one)`);
  return c;
}

export async function beacon(
  opts: { dir: string; hash: string; iterations: string; name?: string },
  log: Log,
): Promise<Contribution> {
  if (!/^(0x)?([0-9a-fA-F]{2}){1,255}$/.test(opts.hash)) {
    throw new CeremonyUsageError(`<hex>: beacon value must be 1-255 bytes of hex, got ${JSON.stringify(opts.hash)}`);
  }
  const iterationsExp = Number(opts.iterations);
  if (!/^[0-9]+$/.test(opts.iterations) || iterationsExp < 10 || iterationsExp > 63) {
    throw new CeremonyUsageError(
      `<iterations>: must be an integer from 10 to 63 (2^n sha256 rounds), got ${JSON.stringify(opts.iterations)}`,
    );
  }
  const t = readTranscript(opts.dir);
  if (t.contributions.some((c) => c.type === "beacon"))
    throw new CeremonyError(`--dir ${opts.dir}: the ceremony already has its beacon`);
  if (!t.contributions.some((c) => c.type === "contribution")) {
    throw new CeremonyError(
      `--dir ${opts.dir}: no secret contribution yet; a beacon alone is public randomness (run \`contribute\` first)`,
    );
  }
  const prev = await checkLatest(opts.dir, t, log);
  const index = t.contributions.length + 1;
  const out = zkeyName(t, index);
  const hashHex = opts.hash.replace(/^0x/, "").toLowerCase();
  const name = opts.name ?? "final beacon";
  log.info(`beacon (2^${iterationsExp} sha256 rounds): ${path.basename(prev)} -> ${out}`);
  const res = await snarkjs.zKey.beacon(prev, path.join(opts.dir, out), name, hashHex, iterationsExp, snarkLogger(log));
  if (!(res instanceof Uint8Array)) throw new CeremonyError("snarkjs refused the beacon parameters");
  const c: Contribution = {
    index,
    type: "beacon",
    name,
    hash: hex(res),
    zkey: out,
    zkeySha256: await fileHash(path.join(opts.dir, out), "sha256"),
    beacon: { hash: hashHex, iterationsExp },
    at: new Date().toISOString(),
  };
  t.contributions.push(c);
  writeJson(transcriptPath(opts.dir), t);
  log.info(`beacon contribution hash ${c.hash}`);
  return c;
}

export interface VerifyResult {
  ok: boolean;
  problems: string[];
  /** Contribution hashes snarkjs reports from the zkey, in order. */
  hashes: string[];
}

/** snarkjs's full phase-2 check of the latest zkey (from the r1cs and the ptau) plus the transcript. */
export async function verify(opts: { dir: string; ptau?: string }, log: Log): Promise<VerifyResult> {
  const t = readTranscript(opts.dir);
  const problems: string[] = [];
  const zkey = await checkLatest(opts.dir, t, log);
  const ptau = opts.ptau ?? t.phase1.file;
  if (!existsSync(ptau)) throw new CeremonyError(`--ptau: the phase-1 file ${ptau} is not there (pass --ptau <file>)`);
  log.info(`checking the Powers of Tau is the one the ceremony started from (blake2b-512)`);
  const blake = await fileHash(ptau, "blake2b512", log);
  if (blake !== t.phase1.blake2b)
    problems.push(`--ptau ${ptau}: blake2b ${blake.slice(0, 16)}… is not the ceremony's ${t.phase1.blake2b.slice(0, 16)}…`);
  const r1cs = r1csOf(opts.dir, t);
  if ((await fileHash(r1cs, "sha256")) !== t.circuit.r1csSha256) problems.push(`${r1cs}: not the r1cs the ceremony started from`);
  const c = instance(t.circuit.name);
  if (sourcesHash(c) !== t.circuit.sourcesHash) {
    problems.push(`circuit sources of ${c.name} changed since init (sourcesHash differs): this ceremony is for the old circuit`);
  }
  const lines: string[] = [];
  let ok = false;
  if (problems.length === 0) {
    log.info(`snarkjs zkey verify ${path.basename(zkey)} (${t.contributions.length} contribution(s))`);
    ok = await snarkjs.zKey.verifyFromR1cs(r1cs, ptau, zkey, snarkLogger(log, lines));
    if (!ok) problems.push(`snarkjs: ${path.basename(zkey)} does not verify against the r1cs and the Powers of Tau`);
  }
  // Contribution hashes as snarkjs prints them (newest first): "contribution #i name:\n\t\t<hex words>".
  const hashes: string[] = [];
  for (const l of lines) {
    const m = /^contribution #(\d+) [^\n]*:\n([\s\S]+)$/.exec(l);
    if (m) hashes[Number(m[1]) - 1] = m[2].replace(/\s+/g, "");
  }
  if (ok) {
    const expected = t.contributions.map((x) => x.hash);
    if (hashes.length !== expected.length || hashes.some((h, i) => h !== expected[i])) {
      problems.push(
        `the zkey's contribution hashes [${hashes.join(", ")}] differ from the transcript's [${expected.join(", ")}]`,
      );
    }
    const circuitHash = lines.find((l) => l.startsWith("Circuit Hash:"));
    if (circuitHash !== undefined && circuitHash.replace(/^Circuit Hash:/, "").replace(/\s+/g, "") !== t.circuitHash) {
      problems.push("the zkey's circuit hash differs from the transcript's");
    }
  }
  return { ok: problems.length === 0, problems, hashes };
}

/** Why the ceremony's keys are still forgeable from public knowledge (empty when they are not). */
export function devReasons(t: Transcript): string[] {
  const reasons: string[] = [];
  if (t.phase1.development) reasons.push("phase 1 is a development Powers of Tau (public toxic waste)");
  if (!t.contributions.some((c) => c.type === "contribution")) reasons.push("phase 2 has no secret contribution");
  return reasons;
}

export function ceremonyProvenance(t: Transcript, keyId: string): KeyProvenance {
  const reasons = devReasons(t);
  const n = t.contributions.filter((c) => c.type === "contribution").length;
  const closing = t.contributions.some((c) => c.type === "beacon") ? " and a public beacon" : "";
  const phase1 = t.phase1.development
    ? "over a DEVELOPMENT Powers of Tau (INSECURE)"
    : `over Powers of Tau blake2b ${t.phase1.blake2b.slice(0, 16)} (${t.phase1.label.replace(/[^\x20-\x7e]|["\\]/g, "?").slice(0, 80)})`;
  const text =
    `${reasons.length > 0 ? "development (insecure) " : ""}phase-2 ceremony: ${n} contribution(s)${closing} ${phase1}; ` +
    `transcript sha256 ${keyId.slice(2)}` +
    (reasons.length > 0 ? `; anyone can forge proofs: ${reasons.join(", ")}` : "");
  return { devKeys: reasons.length > 0, keyId, text };
}

export interface ExportResult {
  transcript: string;
  keyId: string;
  zkey: string;
  vkey: string;
  verifier: string;
  devKeys: boolean;
}

export async function exportCeremony(opts: { dir: string; out: string; ptau?: string }, log: Log): Promise<ExportResult> {
  const v = await verify({ dir: opts.dir, ptau: opts.ptau }, log);
  if (!v.ok) throw new CeremonyError(`export refused, the ceremony does not verify:\n  ${v.problems.join("\n  ")}`);
  const t = readTranscript(opts.dir);
  if (!t.contributions.some((c) => c.type === "contribution")) {
    throw new CeremonyError("export refused: no secret contribution (run `contribute` at least once)");
  }
  if (!t.contributions.some((c) => c.type === "beacon")) {
    log.info("note: no closing beacon; the last contributor's randomness ends the ceremony");
  }
  mkdirSync(opts.out, { recursive: true });
  const c = instance(t.circuit.name);
  const zkey = path.join(opts.out, `${c.name}.zkey`);
  copyFileSync(path.join(opts.dir, latestZkey(t).zkey), zkey);
  const vkeyObj = await snarkjs.zKey.exportVerificationKey(zkey);
  const vkeyText = `${JSON.stringify(vkeyObj, null, 2)}\n`;
  const vkey = path.join(opts.out, `${c.name}.vkey.json`);
  writeFileSync(vkey, vkeyText);
  const verifier = path.join(opts.out, `${c.verifier}.sol`);
  const reasons = devReasons(t);
  const final: Transcript = {
    ...t,
    final: {
      zkeySha256: await fileHash(zkey, "sha256"),
      vkeySha256: createHash("sha256").update(vkeyText).digest("hex"),
      verifier: `${c.verifier}.sol`,
      devKeys: reasons.length > 0,
      reasons,
    },
  };
  const transcriptText = `${JSON.stringify(final, null, 2)}\n`;
  const transcript = path.join(opts.out, "transcript.json");
  writeFileSync(transcript, transcriptText);
  const keyId = `0x${createHash("sha256").update(transcriptText).digest("hex")}`;
  const template = readFileSync(path.join(ROOT, "node_modules", "snarkjs", "templates", "verifier_groth16.sol.ejs"), "utf8");
  const body = await snarkjs.zKey.exportSolidityVerifier(zkey, { groth16: template });
  const header = [
    ...verifierHeader(c, t.circuit.constraints, "tools/circuits/ceremony.ts (npm run ceremony -- export)"),
    `Phase-2 ceremony transcript: transcript.json, sha256 ${keyId.slice(2)}; verification key sha256 ${final.final!.vkeySha256}.`,
  ];
  writeFileSync(verifier, renderVerifierSource(body, c.verifier, header, ceremonyProvenance(t, keyId)));
  log.info(`wrote ${zkey}, ${vkey}, ${verifier}, ${transcript}`);
  log.info(`keyId (transcript sha256) ${keyId}${reasons.length > 0 ? ` - DEVELOPMENT keys: ${reasons.join(", ")}` : ""}`);
  return { transcript, keyId, zkey, vkey, verifier, devKeys: reasons.length > 0 };
}

// ---------------------------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------------------------

export const HELP = `Usage: npm run ceremony -- <command> [arguments] [options]

A Groth16 phase-2 ceremony over snarkjs for one circuit instance of circuits/circuits.json.
Development keys (npm run build:circuits) are forgeable by anyone; a network's keys come from here.

Commands:
  init <circuit> --ptau <file>  compile <circuit> and make the initial zkey from a PUBLIC prepared
                                Powers of Tau (a real phase-1 ceremony's file, e.g. the Perpetual
                                Powers of Tau prepared for phase 2, of a power >= the circuit's)
      --label TEXT              how the transcript names the ptau (e.g. "PSE ppot 0080 prepared 2^18")
      --force                   start over in a --dir that already has a ceremony
  contribute                    add a secret contribution (64 crypto-random bytes, mixed with
                                --entropy when given); the secret is discarded, the hash printed
      --name NAME               contributor's name in the transcript and the zkey
      --entropy TEXT            extra entropy of your own (keyboard mashing, dice, ...)
  beacon <hex> <iterations>     closing contribution from public randomness announced in advance
                                (e.g. a future block hash); <iterations> = n for 2^n sha256 rounds
                                (10..63)
      --name NAME
  verify                        full check: the ptau and r1cs are the ceremony's, snarkjs zkey
                                verify from r1cs + ptau, contribution hashes = the transcript's
      --ptau FILE               where the phase-1 file is now (default: the path given at init)
  export                        verify, then write to --out: <circuit>.zkey, <circuit>.vkey.json,
                                <Verifier>.sol (key provenance: devKeys(), keyId() = transcript
                                sha256, keyProvenance()) and transcript.json
      --out DIR                 (default <dir>/export)
      --ptau FILE

Common options:
  --dir DIR                     the ceremony's directory (default build/ceremony)
  --help                        this text

Contributors on other machines get the directory (transcript.json and the latest zkey), run
\`contribute --dir <it>\` and hand it back. A ceremony over a development ptau runs but exports
devKeys() = true. See docs/ceremony.md.`;

export async function main(argv: string[], log: Log = consoleLog()): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      dir: { type: "string", default: path.join("build", "ceremony") },
      ptau: { type: "string" },
      label: { type: "string" },
      name: { type: "string" },
      entropy: { type: "string" },
      out: { type: "string" },
      force: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const [command, ...args] = positionals;
  if (values.help || command === undefined || command === "help") {
    console.log(HELP);
    return command === undefined && !values.help ? 2 : 0;
  }
  const dir = values.dir!;
  const arity = (n: number, usage: string): void => {
    if (args.length !== n)
      throw new CeremonyUsageError(`${command}: expected ${usage}, got ${args.length === 0 ? "nothing" : args.join(" ")}`);
  };
  const only = (allowed: string[]): void => {
    for (const k of ["ptau", "label", "name", "entropy", "out", "force"] as const) {
      const given = k === "force" ? values.force : values[k] !== undefined;
      if (given && !allowed.includes(k)) throw new CeremonyUsageError(`${command}: --${k} does not apply (see --help)`);
    }
  };
  switch (command) {
    case "init":
      only(["ptau", "label", "force"]);
      arity(1, "<circuit>");
      if (values.ptau === undefined) throw new CeremonyUsageError("init: --ptau <prepared Powers of Tau file> is required");
      await init(args[0], { ptau: values.ptau, dir, label: values.label, force: values.force }, log);
      return 0;
    case "contribute":
      only(["name", "entropy"]);
      arity(0, "no arguments");
      await contribute({ dir, name: values.name, entropy: values.entropy }, log);
      return 0;
    case "beacon":
      only(["name"]);
      arity(2, "<hex> <iterations>");
      await beacon({ dir, hash: args[0], iterations: args[1], name: values.name }, log);
      return 0;
    case "verify": {
      only(["ptau"]);
      arity(0, "no arguments");
      const r = await verify({ dir, ptau: values.ptau }, log);
      const t = readTranscript(dir);
      for (const c of t.contributions) log.info(`#${c.index} ${c.type} "${c.name}": ${c.hash}`);
      for (const p of r.problems) log.info(`FAIL: ${p}`);
      log.info(r.ok ? `ceremony verifies (${t.contributions.length} contribution(s))` : "ceremony does NOT verify");
      const reasons = devReasons(t);
      if (reasons.length > 0) log.info(`keys would still be DEVELOPMENT keys: ${reasons.join(", ")}`);
      return r.ok ? 0 : 1;
    }
    case "export": {
      only(["out", "ptau"]);
      arity(0, "no arguments");
      const r = await exportCeremony({ dir, out: values.out ?? path.join(dir, "export"), ptau: values.ptau }, log);
      console.log(JSON.stringify(r, null, 2));
      return 0;
    }
    default:
      throw new CeremonyUsageError(
        `unknown command ${JSON.stringify(command)} (init, contribute, beacon, verify, export; --help)`,
      );
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then(
    async (code) => {
      const curve = (globalThis as { curve_bn128?: { terminate(): Promise<void> } | null }).curve_bn128;
      if (curve) await curve.terminate();
      process.exit(code);
    },
    (e: unknown) => {
      const usage = e instanceof CeremonyUsageError || (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS") === true;
      console.error(`ceremony: ${e instanceof Error ? e.message : String(e)}`);
      process.exit(usage ? 2 : 1);
    },
  );
}
