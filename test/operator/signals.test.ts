/**
 * An operator stops a keeper started with `npm run keeper -- …` the usual ways (Ctrl-C, a service
 * manager's SIGTERM to the process it started, i.e. npm): the keeper must stop with it. Before,
 * npm's shell died and left the keeper running, orphaned.
 */
import { expect } from "chai";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "../..");

/** Processes whose command line contains `marker`. */
function processesWith(marker: string): string[] {
  return execFileSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" })
    .split("\n")
    .filter((l) => l.includes(marker) && !l.includes(" ps -eo "));
}

/** A Node older than 22 on PATH outside node_modules (the machine's own), if any. */
function systemOldNode(): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (dir.includes("node_modules")) continue;
    const bin = path.join(dir, "node");
    try {
      const v = execFileSync(bin, ["--version"], { encoding: "utf8" }).trim();
      if (Number(v.slice(1).split(".")[0]) < 22) return bin;
    } catch {
      // not there
    }
  }
  return undefined;
}

describe("npm run keeper under a signal, and under the wrong Node (test/operator)", () => {
  it("run by the machine's older Node (node_modules/.bin/tsx directly), the keeper CLI says what to do (exit 1)", function () {
    const old = systemOldNode();
    if (!old) this.skip(); // this machine has no Node older than 22 outside node_modules
    let err: { status: number; stderr: string } | undefined;
    try {
      execFileSync(old!, [path.join(ROOT, "node_modules/tsx/dist/cli.mjs"), "keepers/cli.ts", "sequencer", "--help"], {
        cwd: ROOT,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      });
    } catch (e) {
      err = e as { status: number; stderr: string };
    }
    expect(err?.status).to.equal(1);
    expect(err?.stderr).to.match(/is too old \(22 or newer is needed\).*npm run keeper -- <command>/);
  });

  it("SIGTERM to npm stops the keeper it started: logged, no process left behind", async () => {
    const work = mkdtempSync(path.join(tmpdir(), "npm-signal-"));
    const store = path.join(work, "keeper.sqlite"); // unique: marks the keeper's processes
    try {
      const npm = spawn("npm", ["run", "keeper", "--", "sequencer", "--store", `sqlite:${store}`, "--metrics-port", "0"], {
        cwd: ROOT,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      npm.stdout.on("data", (c: Buffer) => (out += c.toString()));
      npm.stderr.on("data", (c: Buffer) => (out += c.toString()));
      const exited = new Promise<number | null>((r) => npm.on("exit", (code) => r(code)));
      const until = Date.now() + 120_000;
      while (!out.includes("Sequencer#start")) {
        if (Date.now() > until || npm.exitCode !== null) throw new Error(`the keeper did not start:\n${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(processesWith(store).length).to.be.greaterThan(0);
      npm.kill("SIGTERM"); // npm only, as a service manager or a terminal would
      await exited;
      const gone = Date.now() + 15_000;
      while (processesWith(store).length > 0 && Date.now() < gone) await new Promise((r) => setTimeout(r, 100));
      expect(processesWith(store), "processes left running").to.deep.equal([]);
      expect(out).to.include('"at":"Sequencer#signal","signal":"SIGTERM"');
    } finally {
      for (const l of processesWith(store)) process.kill(Number(l.trim().split(" ")[0]), "SIGKILL");
      rmSync(work, { recursive: true, force: true });
    }
  });
});
