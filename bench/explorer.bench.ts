import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium } from "@playwright/test";
import { freePort } from "../keepers/common/net.js";
import { bundleExplorer } from "../explorer/bundle.js";
import type { BenchSuite } from "./types.js";

/**
 * The explorer: the size of what a first visit downloads (app.js, its static chunks and CSS;
 * the lazily loaded verifier and map chunks are counted separately), and the network page's first
 * load in Debian's chromium against a local devnet (no devices) with its indexer: from navigation
 * to the page rendered with the API's and the chain's values, fresh browser context each time.
 */
const suite: BenchSuite = {
  name: "explorer",
  async run({ quick, log }) {
    const bundle = await bundleExplorer();
    const work = mkdtempSync(path.join(os.tmpdir(), "explorer-bench-"));
    const { startDevnet } = await import("../scripts/devnet/run.js");
    log("explorer: starting a devnet with its indexer and explorer");
    const devnet = await startDevnet({
      rpcPort: await freePort(),
      mqttPort: await freePort(),
      statusPort: await freePort(),
      devices: 0,
      intervalSec: 5,
      broker: "",
      db: "",
      dataDir: path.join(work, "devnet"),
      deployments: path.join(work, "deployments"),
      processes: false,
      verbose: false,
      explorerPort: 0,
      say: () => undefined,
    });
    const browser = await chromium.launch({
      executablePath: process.env.EXPLORER_CHROMIUM ?? "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
      ],
    });
    const times: number[] = [];
    try {
      for (let i = 0; i < (quick ? 3 : 7); i++) {
        const ctx = await browser.newContext();
        const page = await ctx.newPage();
        const t0 = performance.now();
        await page.goto(devnet.info.explorer!.url + "#/network");
        await page.waitForFunction(() => document.getElementById("main")?.getAttribute("aria-busy") === "false");
        times.push(performance.now() - t0);
        await ctx.close();
      }
    } finally {
      await browser.close();
      await devnet.stop();
      rmSync(work, { recursive: true, force: true });
    }
    times.sort((a, b) => a - b);
    return [
      {
        key: "explorerFirstLoadMs",
        label: "explorer network page, first load (median, local devnet)",
        value: Math.round(times[Math.floor(times.length / 2)]),
        unit: "ms",
        note: `chromium, fresh context each of ${times.length} loads; API + /rpc on this machine`,
      },
      {
        key: "explorerBundleKb",
        label: "explorer first-visit download (app.js, static chunks, CSS)",
        value: Math.round(bundle.initialBytes / 1024),
        unit: "kB",
        note: `minified, uncompressed; all chunks incl. lazy verifier (snarkjs) and map: ${Math.round(bundle.bytes / 1024)} kB`,
      },
    ];
  },
};

export default suite;
