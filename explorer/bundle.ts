/**
 * Bundles the explorer's page (explorer/web) with esbuild, in memory: one ES module for the
 * pages, lazily loaded chunks (receipt verification with snarkjs and Poseidon, the hexagon map
 * with h3-js), uPlot's stylesheet. Browser-only: node built-ins the shared receipt code imports
 * for its file helpers (never called in the page) resolve to empty stand-ins.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const HERE = path.dirname(fileURLToPath(import.meta.url));

export interface BundleFile {
  type: string;
  body: Uint8Array;
}

const nodeStandIns: esbuild.Plugin = {
  name: "node-stand-ins",
  setup(b) {
    b.onResolve({ filter: /^(node:)?(fs|path|assert|os|crypto|url|worker_threads|readline)$/ }, (a) => ({
      path: a.path,
      namespace: "stand-in",
    }));
    b.onLoad({ filter: /.*/, namespace: "stand-in" }, (a) => ({
      loader: "js",
      contents: /assert$/.test(a.path)
        ? "export default function assert(c, m) { if (!c) throw new Error(m || 'assertion failed'); }"
        : "export default {}; export const readdirSync = () => [], readFileSync = () => '', existsSync = () => false, join = (...p) => p.join('/');",
    }));
  },
};

/** Builds the page; returns path → file (paths start with "/"), and the total size in bytes. */
export async function bundleExplorer(): Promise<{ files: Map<string, BundleFile>; bytes: number; initialBytes: number }> {
  const r = await esbuild.build({
    entryPoints: { app: path.join(HERE, "web", "main.ts") },
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    write: false,
    outdir: "/",
    entryNames: "[name]",
    chunkNames: "chunk-[hash]",
    metafile: true,
    logLevel: "silent",
    plugins: [nodeStandIns],
    define: { global: "globalThis", "process.env.NODE_DEBUG": "false" },
    inject: [path.join(HERE, "web", "buffer-shim.ts")],
    loader: { ".css": "css" },
  });
  const files = new Map<string, BundleFile>();
  let bytes = 0;
  for (const f of r.outputFiles) {
    const rel = "/" + path.relative("/", f.path);
    files.set(rel, { type: rel.endsWith(".css") ? "text/css" : "text/javascript", body: f.contents });
    bytes += f.contents.byteLength;
  }
  // What the first page load fetches: app.js and its static imports (not the lazy chunks).
  const out = r.metafile.outputs;
  const seen = new Set<string>();
  const walk = (p: string) => {
    if (seen.has(p) || !out[p]) return;
    seen.add(p);
    for (const i of out[p].imports) if (i.kind === "import-statement") walk(i.path);
  };
  const appKey = Object.keys(out).find((k) => k.endsWith("app.js"))!;
  walk(appKey);
  const cssKey = Object.keys(out).find((k) => k.endsWith("app.css"));
  if (cssKey) seen.add(cssKey);
  const initialBytes = [...seen].reduce((n, k) => n + out[k].bytes, 0);
  return { files, bytes, initialBytes };
}
