// Post-install step: makes a plain `npm install` on Node 20 leave a working Hardhat 3 project.
//
// Hardhat 3 needs Node >= 22.13. The `node` devDependency puts a Node 22 binary at
// node_modules/.bin/node, and npm scripts put that folder first on PATH. But EDR's native
// binding (an optional dependency with `engines: >=22`) is skipped when npm itself runs
// under Node 20. We detect that and run `npm install` once more with Node 22 first on PATH,
// which adds the binding without changing package-lock.json.
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";

const GUARD = "DEPIN_POSTINSTALL_REENTRY";
const root = process.cwd();
const bin = path.join(root, "node_modules", ".bin");

function edrLoads() {
  const probe = spawnSync(path.join(bin, "node"), ["-e", "require('@nomicfoundation/edr')"], { cwd: root, stdio: "pipe" });
  return probe.status === 0;
}

if (process.env[GUARD]) process.exit(0);

const require = createRequire(import.meta.url);
try {
  require.resolve("node/package.json", { paths: [root] });
} catch {
  console.error("[postinstall] the `node` devDependency is missing; run `npm install` again");
  process.exit(1);
}

if (edrLoads()) {
  console.log("[postinstall] Node 22 toolchain ready (EDR native binding present)");
  process.exit(0);
}

console.log("[postinstall] EDR native binding was skipped under an older Node; reinstalling under Node 22");
const env = { ...process.env, [GUARD]: "1", PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}` };
const npmCli = process.env.npm_execpath;
const cmd = npmCli ? path.join(bin, "node") : "npm";
const args = npmCli ? [npmCli, "install", "--no-audit", "--no-fund"] : ["install", "--no-audit", "--no-fund"];
const res = spawnSync(cmd, args, { cwd: root, env, stdio: "inherit" });
if (res.status !== 0 || !edrLoads()) {
  console.error("[postinstall] could not install EDR's native binding under Node 22");
  process.exit(1);
}
console.log("[postinstall] Node 22 toolchain ready");
