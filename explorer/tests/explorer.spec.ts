/**
 * The explorer in a real browser (Debian's chromium) on a real network: the test starts
 * `npm run devnet` (in-process chain with 1 s blocks, every keeper as its own process, four
 * simulated devices, the indexer and the explorer) on free ports, waits for a settled and closed
 * epoch with real Groth16 proofs, and then checks, page by page, what a person sees against what
 * the chain says: values, navigation, Verify (a real proof verifies; a tampered receipt from the
 * API is refused), a Claim from the page through an injected EIP-1193 wallet moves the balance,
 * a vote from the page is counted, and a stopped keeper shows its stage as stalled.
 * EXPLORER_SCREENSHOTS=1 writes docs/explorer/<page>.png.
 */
import { expect, test, type Page } from "@playwright/test";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Contract, JsonRpcProvider, Wallet, type TransactionRequest } from "ethers";
import { freePort } from "../../keepers/common/net.js";
import { formatUnitsExact } from "../web/exact.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const SHOTS = process.env.EXPLORER_SCREENSHOTS === "1" ? path.join(ROOT, "docs", "explorer") : null;
const DEV_KEYS = {
  // Hardhat's development accounts 0 (deployer, holds the votes) and 2 (device owner).
  deployer: "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
  owner: "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
};

interface Info {
  rpcUrl: string;
  chainId: number;
  deployment: string;
  keeperPids: Record<string, number>;
  explorer: { url: string; api: string };
  accounts: Record<string, { address: string }>;
}

let devnet: ChildProcess;
let out = "";
let work: string;
let info: Info;
let provider: JsonRpcProvider;
let contracts: Record<string, string>;
/** Which development key the injected wallet signs with. */
let walletKey = DEV_KEYS.owner;

test.describe.configure({ mode: "serial" });

async function ready(page: Page) {
  await expect(page.locator("#main")).toHaveAttribute("aria-busy", "false", { timeout: 60_000 });
}

async function shot(page: Page, name: string) {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  await page.waitForTimeout(300);
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

async function api<T>(p: string): Promise<T> {
  const r = await fetch(`${info.explorer.api}${p}`);
  return (await r.json()) as T;
}

/** An EIP-1193 provider in the page whose accounts and signatures live in the test (Node). */
async function injectWallet(page: Page) {
  await page.exposeFunction("__testWallet", async (method: string, params: unknown[]) => {
    const w = new Wallet(walletKey, provider);
    switch (method) {
      case "eth_requestAccounts":
      case "eth_accounts":
        return [w.address];
      case "eth_chainId":
        return "0x" + info.chainId.toString(16);
      case "eth_sendTransaction": {
        const tx = params[0] as { to: string; data?: string; value?: string; gas?: string };
        const sent = await w.sendTransaction({
          to: tx.to,
          data: tx.data,
          value: tx.value ? BigInt(tx.value) : 0n,
          gasLimit: tx.gas ? BigInt(tx.gas) : undefined,
        } satisfies TransactionRequest);
        return sent.hash;
      }
      default:
        return provider.send(method, params);
    }
  });
  await page.addInitScript(() => {
    const call = (window as unknown as { __testWallet: (m: string, p: unknown[]) => Promise<unknown> }).__testWallet;
    (window as unknown as { ethereum: unknown }).ethereum = {
      request: ({ method, params }: { method: string; params?: unknown[] }) => call(method, params ?? []),
      on: () => undefined,
      removeListener: () => undefined,
    };
  });
}

test.beforeAll(async () => {
  test.setTimeout(300_000);
  work = mkdtempSync(path.join(os.tmpdir(), "explorer-test-"));
  const [rpc, mqtt, status, explorer] = [await freePort(), await freePort(), await freePort(), await freePort()];
  devnet = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "scripts/devnet.ts",
      "--devices",
      "4",
      "--interval",
      "2",
      "--processes",
      "--port",
      String(rpc),
      "--mqtt-port",
      String(mqtt),
      "--status-port",
      String(status),
      "--explorer-port",
      String(explorer),
      "--data-dir",
      path.join(work, "devnet"),
      "--deployments",
      path.join(work, "deployments"),
    ],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  devnet.stdout!.on("data", (c: Buffer) => (out += c.toString()));
  devnet.stderr!.on("data", (c: Buffer) => (out += c.toString()));
  const until = Date.now() + 480_000; // a loaded 2-core machine: deploy, proposal, keepers, indexer
  while (!out.includes("devnet running")) {
    if (devnet.exitCode !== null || Date.now() > until) throw new Error(`the devnet did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  info = JSON.parse(readFileSync(path.join(work, "devnet", "devnet.json"), "utf8")) as Info;
  provider = new JsonRpcProvider(info.rpcUrl, info.chainId, { staticNetwork: true, cacheTimeout: -1 });
  contracts = Object.fromEntries(
    Object.entries(
      (JSON.parse(readFileSync(info.deployment, "utf8")) as { contracts: Record<string, { address: string }> }).contracts,
    ).map(([k, v]) => [k, v.address]),
  );
});

test.afterAll(async () => {
  provider?.destroy();
  if (devnet && devnet.exitCode === null) {
    const exited = new Promise((r) => devnet.once("exit", r));
    process.kill(-devnet.pid!, "SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
    if (devnet.exitCode === null) process.kill(-devnet.pid!, "SIGKILL");
  }
  if (work) rmSync(work, { recursive: true, force: true });
});

test("network page shows the chain, the pipeline and every keeper healthy", async ({ page }) => {
  await page.goto(info.explorer.url);
  await ready(page);
  await expect(page.locator(".card", { hasText: "chain" }).locator(".value")).toHaveText(String(info.chainId));
  await expect(page.locator(".card", { hasText: "devices" }).first().locator(".value")).toHaveText("4");
  await expect(page.locator("[data-testid=funnel] .stage")).toHaveCount(6);
  for (const k of ["bridge", "sequencer", "da", "prover", "submitter", "epoch"])
    await expect(page.locator(`[data-keeper=${k}]`)).toHaveText("ok", { timeout: 20_000 });
  await expect(page.locator("[data-testid=funnel] .stalled")).toHaveCount(0);
  // Readings/s appears once the page has sampled twice.
  await expect(page.locator(".card", { hasText: "readings/s" }).locator(".value")).toHaveText(/^\d+\.\d\d$/, { timeout: 15_000 });
  await shot(page, "network");
});

test("navigation and the devices, batches and epochs pages show the chain's values", async ({ page }) => {
  const registry = new Contract(
    contracts.deviceRegistry,
    [
      "function deviceInfo(uint256) view returns ((address owner, uint8 status, uint32 keyCount, uint40 statusSince))",
      "function rewardRecipient(uint256) view returns (address)",
    ],
    provider,
  );
  await page.goto(info.explorer.url + "#/network");
  await ready(page);
  await page.click("nav >> text=Devices");
  await ready(page);
  await expect(page).toHaveURL(/#\/devices$/);
  const rows = page.locator("[data-testid=devices] tbody tr");
  await expect(rows).toHaveCount(4);
  await expect(page.locator("svg.hexmap polygon")).toHaveCount(4);
  // Search and filter.
  await page.fill("input[name=q]", "3");
  await page.press("input[name=q]", "Enter");
  await ready(page);
  await expect(rows).toHaveCount(1);
  await page.selectOption("select[name=status]", "suspended");
  await ready(page);
  await expect(rows).toHaveCount(0);
  // A search the API cannot take is refused with a reason, shown on the page.
  expect((await fetch(`${info.explorer.url}api/v1/devices?q=%27%3Bdrop`)).status).toBe(400);
  await page.goto(info.explorer.url + "#/devices?q=zz%27");
  await ready(page);
  await expect(page.locator("[role=alert]")).toContainText("BAD_QUERY");
  await page.goto(info.explorer.url + "#/devices");
  await ready(page);
  await shot(page, "devices");
  await page.click("[data-testid=devices] >> a >> text=1");
  await ready(page);
  await expect(page).toHaveURL(/#\/device\/1$/);
  const chainInfo = (await registry.deviceInfo(1n)) as { owner: string; status: bigint };
  await expect(page.locator("[data-testid=facts]")).toContainText("active");
  expect(chainInfo.status).toBe(3n);
  await expect(page.locator("[data-testid=facts]")).toContainText(chainInfo.owner.toLowerCase());
  await expect(page.locator("[data-testid=account]")).toHaveText((await registry.rewardRecipient(1n)) as string);
  await expect(page.locator("[data-testid=did]")).toContainText(`did:depin:${info.chainId}:1`);

  // Batches: a settled batch's root is the DataAvailability commitment's.
  await page.click("nav >> text=Batches");
  await ready(page);
  // The page shows the batches as they are when it loads: on a loaded machine the first settlement
  // may still be on its way (challenge window, proving), so reload until one is settled.
  const settled = page.locator("[data-testid=batches] tbody tr", { hasText: "settled" });
  for (let tries = 0; (await settled.count()) === 0; tries++) {
    if (tries > 60) throw new Error("no batch settled within 5 min");
    await page.waitForTimeout(5000);
    await page.reload();
    await ready(page);
  }
  await settled.first().locator("a").first().click();
  await ready(page);
  const batchId = BigInt(/#\/batch\/(\d+)/.exec(page.url())![1]);
  const da = new Contract(
    contracts.dataAvailability,
    [
      "function getBatch(uint256) view returns ((uint256 root, uint32 leafCount, uint8 depth, uint64 epoch, uint64 committedAt, address sequencer, uint8 status))",
    ],
    provider,
  );
  const b = (await da.getBatch(batchId)) as { root: bigint; leafCount: bigint };
  await expect(page.locator("[data-testid=facts]")).toContainText(b.root.toString());
  await expect(page.locator("[data-testid=facts]")).toContainText("settled");
});

test("earnings: Verify checks a real proof in the browser and refuses a tampered receipt; Claim moves the balance", async ({
  page,
}) => {
  // Wait for a closed epoch in which device 1 earned (real proofs, settled, closed).
  type Dev = { epochs: { epoch: string; payout: string | null; claimed: boolean }[] };
  let epoch: string | undefined;
  const until = Date.now() + 420_000; // epoch end + settlement delay + the prover's backlog on a loaded machine
  while (!epoch) {
    epoch = (await api<Dev>("/v1/devices/1")).epochs.find((e) => e.payout !== null && BigInt(e.payout) > 0n && !e.claimed)?.epoch;
    if (!epoch) {
      if (Date.now() > until) throw new Error(`no closed epoch with earnings for device 1:\n${out.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
  const distributor = new Contract(
    contracts.rewardDistributor,
    [
      "function claimable(uint64, uint64) view returns (uint256)",
      "function epochInfo(uint64) view returns ((uint256 totalPoints, uint256 emission) totals, bool closed)",
    ],
    provider,
  );
  const token = new Contract(contracts.rewardToken, ["function balanceOf(address) view returns (uint256)"], provider);
  const registry = new Contract(contracts.deviceRegistry, ["function rewardRecipient(uint256) view returns (address)"], provider);
  const account = (await registry.rewardRecipient(1n)) as string;
  const claimable = (await distributor.claimable(1n, BigInt(epoch))) as bigint;
  expect(claimable > 2n ** 53n).toBe(true);

  walletKey = DEV_KEYS.owner;
  await injectWallet(page);
  await page.goto(info.explorer.url + "#/device/1");
  await ready(page);
  // The claimable amount is shown to the wei (above 2^53).
  const row = page.locator("[data-testid=earnings] tbody tr", { has: page.locator(`button.verify[data-epoch="${epoch}"]`) });
  await expect(row).toContainText(formatUnitsExact(claimable));
  await row.locator("button.verify").click();
  await expect(row.locator(".verdict")).toContainText("verified against the chain", { timeout: 90_000 });
  await shot(page, "device");

  // A receipt the API altered (one proof coordinate) is refused: the page checks the chain.
  await page.route("**/api/v1/receipts/**", async (route) => {
    const res = await route.fetch();
    const r = (await res.json()) as { batches: { proof: { a: string[] } }[] };
    r.batches[0].proof.a[0] = (BigInt(r.batches[0].proof.a[0]) + 1n).toString();
    await route.fulfill({ response: res, json: r });
  });
  await page.reload();
  await ready(page);
  await row.locator("button.verify").click();
  await expect(row.locator(".verdict")).toContainText("refused", { timeout: 90_000 });
  await expect(row.locator(".verdict")).toContainText("batches[0].proof.a[0]");
  await page.unroute("**/api/v1/receipts/**");

  // Claim through the injected wallet: the device account's balance moves by exactly the payout.
  const before = (await token.balanceOf(account)) as bigint;
  await row.locator("button.claim").click();
  await expect(page.locator("[data-testid=device-msg]")).toContainText("claimed in block", { timeout: 60_000 });
  const after = (await token.balanceOf(account)) as bigint;
  expect(after - before).toBe(claimable);
  await expect(page.locator("[data-testid=device-msg]")).toContainText(formatUnitsExact(after));
  expect((await distributor.claimable(1n, BigInt(epoch))) as bigint).toBe(0n);

  // Epochs: emission shown and summed exactly (every amount is above 2^53 wei).
  await page.click("nav >> text=Epochs");
  await ready(page);
  const epochs = await api<{ id: string; closed: boolean }[]>("/v1/epochs");
  let sum = 0n;
  for (const e of epochs.filter((x) => x.closed))
    sum += ((await distributor.epochInfo(BigInt(e.id))) as [{ emission: bigint }, boolean])[0].emission;
  await expect(page.locator("[data-testid=total-emission]")).toHaveText(formatUnitsExact(sum));
  await shot(page, "epochs");
  await page.click(`[data-testid=epochs] >> a >> text="${epoch}"`);
  await ready(page);
  const [totals] = (await distributor.epochInfo(BigInt(epoch))) as [{ emission: bigint }, boolean];
  await expect(page.locator("[data-testid=emission]")).toHaveText(`${formatUnitsExact(totals.emission)} tokens`);
  await page.click("nav >> text=Batches");
  await ready(page);
  await shot(page, "batches");
});

test("governance: a vote cast from the page is counted on chain", async ({ page }) => {
  const deployer = new Wallet(DEV_KEYS.deployer, provider);
  const governor = new Contract(
    contracts.governor,
    [
      "function propose(address[] targets, uint256[] values, bytes[] calldatas, string description) returns (uint256)",
      "function hashProposal(address[] targets, uint256[] values, bytes[] calldatas, bytes32 descriptionHash) view returns (uint256)",
      "function state(uint256) view returns (uint8)",
      "function proposalVotes(uint256) view returns (uint256 againstVotes, uint256 forVotes, uint256 abstainVotes)",
      "function proposalSnapshot(uint256) view returns (uint256)",
      "function hasVoted(uint256, address) view returns (bool)",
      "function getVotes(address, uint256) view returns (uint256)",
    ],
    deployer,
  );
  // Markup in chain data (a proposal description anyone can write) is shown as text, never run.
  const description = `Explorer test <img src=x onerror="window.__xss=1"> (${Date.now()})`;
  const args = [[contracts.rewardToken], [0n], ["0x"]] as const;
  await (await governor.propose(...args, description)).wait();
  const { id: descHash } = await import("ethers");
  const id = (await governor.hashProposal(...args, descHash(description))) as bigint;
  while (Number(await governor.state(id)) !== 1) await new Promise((r) => setTimeout(r, 500));

  walletKey = DEV_KEYS.deployer;
  await injectWallet(page);
  await page.goto(info.explorer.url + "#/governance");
  await ready(page);
  const card = page.locator(`section[data-proposal="${id}"]`);
  await expect(card.locator(".pid")).toHaveText(id.toString()); // a uint256 id, exact
  await expect(card.locator("[data-testid=state]")).toHaveText("Active");
  await expect(card.locator("h3")).toContainText('<img src=x onerror="window.__xss=1">');
  expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  await card.locator("button.vote-for").click();
  await expect(page.locator("[data-testid=gov-msg]")).toContainText("vote counted", { timeout: 60_000 });
  expect(await governor.hasVoted(id, deployer.address)).toBe(true);
  const [, forVotes] = (await governor.proposalVotes(id)) as [bigint, bigint, bigint];
  const weight = (await governor.getVotes(deployer.address, await governor.proposalSnapshot(id))) as bigint;
  expect(forVotes).toBe(weight);
  await page.reload();
  await ready(page);
  await expect(card.locator("[data-testid=for]")).toHaveText(formatUnitsExact(forVotes));
  await shot(page, "governance");
});

test("a stopped keeper shows as stalled", async ({ page }) => {
  process.kill(info.keeperPids.prover, "SIGTERM");
  await page.goto(info.explorer.url + "#/network");
  await ready(page);
  await expect(page.locator("[data-keeper=prover]")).toContainText("stalled", { timeout: 30_000 });
  await expect(page.locator('[data-stage="prove"]')).toHaveClass(/stalled/);
  await expect(page.locator('[data-stage="prove"]')).toContainText("STALLED");
  await expect(page.locator('[data-stage="commit"]')).not.toHaveClass(/stalled/);
  await shot(page, "network-stalled");
});
