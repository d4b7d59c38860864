/**
 * `npm run check:verifiers` — regenerates every committed verifier from its circuit in a
 * scratch directory and fails if any committed contracts/verifiers/*.sol differs (stale or
 * edited by hand), or if a verifier is committed for no manifest instance.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { parseArgs } from "node:util";
import os from "node:os";
import path from "node:path";
import { buildInstance } from "./build.js";
import { loadManifest, verifierPath, VERIFIERS_DIR } from "./manifest.js";
import { stderrLogger } from "./ptau.js";

const HELP = `Usage: npm run check:verifiers -- [--ci] [--only a,b]

Rebuilds each committed verifier from its circuit in a scratch directory and fails if the
committed contracts/verifiers/*.sol differs (stale or edited by hand).
  --ci      only the instances marked ci=true in circuits/circuits.json (fast)
  --only    only these instances`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { ci: { type: "boolean", default: false }, only: { type: "string" }, help: { type: "boolean", default: false } },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
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
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
