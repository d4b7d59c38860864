/**
 * What a fresh clone needs before the protocol can run: the CI circuit instances (built when
 * missing, with progress) and the compiled contracts with their typechain bindings. Commands
 * call it after their flags are checked, so `--help` and a bad flag answer at once.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export function buildFirst(who: string): void {
  const steps: [string, string[]][] = [
    ["circuits (only those missing)", ["--import", "tsx", path.join(ROOT, "tools/circuits/build.ts"), "--if-missing"]],
    ["contracts", [path.join(ROOT, "node_modules/hardhat/dist/src/cli.js"), "build", "--quiet"]],
  ];
  for (const [what, args] of steps) {
    // The contract build says nothing until it is done (a minute on a fresh clone): say what runs.
    console.error(`[${who}] building the ${what} (nothing to do when up to date; a first run takes a few minutes)…`);
    const r = spawnSync(process.execPath, args, { cwd: ROOT, stdio: "inherit" });
    if (r.status !== 0) throw new Error(`${who}: building the ${what} failed (exit ${r.status ?? r.signal})`);
  }
}
