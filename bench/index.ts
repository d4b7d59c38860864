/**
 * `npm run bench [-- --json] [-- --quick] [-- --only name,name]`
 *
 * Runs every bench/<area>.bench.ts suite and prints one table of figures (or, with --json, one
 * JSON object of key → number on stdout). Progress goes to stderr.
 */
import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import type { BenchSuite, Figure } from "./types.js";

const HELP = `Usage: npm run bench -- [--json] [--quick] [--only suite1,suite2]

Prints the project's measured figures (throughput, constraints, proving time, gas).
  --json    print one JSON object { figureKey: number, ... } on stdout
  --quick   smaller problem sizes (smoke run)
  --only    run only the named suites (file names without .bench.ts)
  --help    this text`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      json: { type: "boolean", default: false },
      quick: { type: "boolean", default: false },
      only: { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const dir = path.dirname(fileURLToPath(import.meta.url));
  const only = values.only?.split(",").map((s) => s.trim());
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".bench.ts"))
    .filter((f) => !only || only.includes(f.replace(/\.bench\.ts$/, "")))
    .sort();
  if (files.length === 0) throw new Error(`no bench suites matched ${values.only ?? "*"}`);

  const log = (m: string): void => void process.stderr.write(`[bench] ${m}\n`);
  const figures: Figure[] = [];
  for (const file of files) {
    const mod = (await import(pathToFileURL(path.join(dir, file)).href)) as { default: BenchSuite };
    log(`running ${mod.default.name}`);
    const started = performance.now();
    figures.push(...(await mod.default.run({ quick: values.quick, log })));
    log(`${mod.default.name} done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }

  if (values.json) {
    console.log(JSON.stringify(Object.fromEntries(figures.map((f) => [f.key, f.value]))));
    return;
  }
  const fmt = (v: number): string =>
    Number.isInteger(v) ? v.toLocaleString("en-US") : v.toLocaleString("en-US", { maximumFractionDigits: 3 });
  const rows = figures.map((f) => [f.label, fmt(f.value), f.unit, f.note ?? ""]);
  const widths = [0, 1, 2, 3].map((i) =>
    Math.max(...rows.map((r) => r[i].length), ["figure", "value", "unit", "anchor / note"][i].length),
  );
  const line = (r: string[]): string => r.map((c, i) => (i === 1 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  ");
  console.log(line(["figure", "value", "unit", "anchor / note"]));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows) console.log(line(r));
}

// Suites leave servers, worker pools and snarkjs's curve threads behind; the figures are printed,
// so end the process instead of waiting for them.
main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
