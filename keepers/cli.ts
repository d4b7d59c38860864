/**
 * Entry point of the keeper daemons (commands in keepers/main.ts):
 *
 *   npm run keeper -- <command> [--option value …]      (or npx tsx keepers/cli.ts …)
 *
 * The keepers need Node 22 (node:sqlite, Hardhat 3), which `npm install` puts in
 * node_modules/.bin; npm scripts and npx find it first on PATH. Run any other way (e.g.
 * node_modules/.bin/tsx directly, whose `#!/usr/bin/env node` picks the system's Node), an older
 * Node would fail on its first import with an unrelated-looking error: say what to do instead.
 */
const major = Number(process.versions.node.split(".")[0]);
if (major < 22) {
  console.error(
    `keepers: Node ${process.versions.node} is too old (22 or newer is needed). Run them through npm, which ` +
      "puts the project's Node 22 first on PATH: npm run keeper -- <command> …, or npx tsx keepers/cli.ts …",
  );
  process.exit(1);
}
await import("./main.js");
