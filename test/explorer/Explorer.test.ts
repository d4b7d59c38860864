/**
 * Runs the explorer's browser tests (`npm run test:explorer`: Playwright driving Debian's
 * chromium against a devnet it starts; explorer/tests/explorer.spec.ts) as part of `npm test`.
 * About 2 minutes here. Needs /usr/bin/chromium (`apt-get install -y chromium`; .ci/run installs it).
 */
import { expect } from "chai";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";

describe("Explorer in a real browser (Playwright + chromium, on a devnet)", function () {
  this.timeout(1_600_000);

  it("every page shows the chain's values; Verify, Claim, vote and a stalled keeper work from the page", async () => {
    const chromium = process.env.EXPLORER_CHROMIUM ?? "/usr/bin/chromium";
    if (!existsSync(chromium))
      throw new Error(`${chromium} is missing: install Debian's chromium (apt-get install -y chromium) or set EXPLORER_CHROMIUM`);
    const { code, out } = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(path.resolve("node_modules", ".bin", "playwright"), ["test", "-c", "explorer/playwright.config.ts"], {
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, EXPLORER_SCREENSHOTS: process.env.EXPLORER_SCREENSHOTS ?? "" },
      });
      let out = "";
      child.stdout.on("data", (c: Buffer) => (out += c.toString()));
      child.stderr.on("data", (c: Buffer) => (out += c.toString()));
      const timer = setTimeout(() => child.kill("SIGTERM"), 1_500_000); // under the mocha timeout; ~2–4 min normally
      child.on("exit", (code) => {
        clearTimeout(timer);
        resolve({ code, out });
      });
    });
    expect(code, out).to.equal(0);
    expect(out).to.match(/5 passed/);
  });
});
