/**
 * Browser tests of the explorer (`npm run test:explorer`): Debian's chromium (/usr/bin/chromium;
 * Playwright's own browser download is not reachable here), headless, a fresh profile per launch,
 * against a devnet the test starts on free ports. See explorer/tests/explorer.spec.ts.
 */
import { defineConfig } from "@playwright/test";

export default defineConfig({
  testDir: "tests",
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 600_000,
  reporter: [["list"]],
  outputDir: "../data/playwright",
  use: {
    browserName: "chromium",
    headless: true,
    viewport: { width: 1200, height: 900 },
    launchOptions: {
      executablePath: process.env.EXPLORER_CHROMIUM ?? "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
      ],
    },
    trace: "off",
  },
});
