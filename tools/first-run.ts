/**
 * `npm run first-run` — how long a newcomer waits for the first `npm run demo`: a fresh clone of
 * this repository's HEAD in a temporary folder, with an empty npm cache (every package from the
 * registry) and an empty Powers-of-Tau cache, then the README's two set-up commands timed phase by
 * phase. Prints the phases and a last line `FIRST_RUN {"firstDemoSeconds": …}`.
 *
 *   npm run first-run                 # about 8 min on 2 cores
 *   npm run first-run -- --keep       # keep the clone (printed) for a look
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

const HELP = `Usage: npm run first-run [-- --keep]

Clones HEAD into a temporary folder and runs, as a newcomer would, with empty npm and
Powers-of-Tau caches: npm install, then npm run demo. Prints the seconds of each phase and
FIRST_RUN {"firstDemoSeconds": …, "installSeconds": …, "demoSeconds": …} (the README's figure).
  --keep   do not delete the clone and caches afterwards
  --help   this text`;

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, label: string): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let tail = "";
    const take = (c: Buffer) => {
      for (const line of c.toString().split("\n").filter(Boolean)) {
        // Progress: the set-up steps' own lines, prefixed with the phase and the time so far.
        console.log(`[first-run ${label} +${((performance.now() - started) / 1000).toFixed(0)}s] ${line}`);
        tail = (tail + line + "\n").slice(-4000);
      }
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolve((performance.now() - started) / 1000) : reject(new Error(`${label} exited ${code}:\n${tail}`)),
    );
  });
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { keep: { type: "boolean", default: false }, help: { type: "boolean" } } });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const work = mkdtempSync(path.join(tmpdir(), "depin-first-run-"));
  const clone = path.join(work, "depin-kit");
  // The machine's Node and npm (as a newcomer has them), not the project's Node 22 that npm
  // scripts put first on PATH: drop node_modules/.bin entries.
  const PATH = (process.env.PATH ?? "")
    .split(path.delimiter)
    .filter((d) => !d.includes("node_modules"))
    .join(path.delimiter);
  const env: NodeJS.ProcessEnv = {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("npm_") && !k.startsWith("DEPIN_"))),
    PATH,
    npm_config_cache: path.join(work, "npm-cache"),
    DEPIN_PTAU_DIR: path.join(work, "ptau-cache"),
  };
  try {
    console.log(`[first-run] cloning ${ROOT} (HEAD) into ${clone}; npm and ptau caches empty`);
    await run("git", ["clone", "--quiet", "--no-hardlinks", ROOT, clone], work, env, "clone");
    const installSeconds = await run("npm", ["install", "--no-audit", "--no-fund"], clone, env, "npm install");
    const demoSeconds = await run("npm", ["run", "demo"], clone, env, "npm run demo");
    const figures = {
      firstDemoSeconds: Math.round(installSeconds + demoSeconds),
      installSeconds: Math.round(installSeconds),
      demoSeconds: Math.round(demoSeconds),
    };
    console.log(`FIRST_RUN ${JSON.stringify(figures)}`);
    return 0;
  } finally {
    if (values.keep) console.log(`[first-run] kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`[first-run] failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
