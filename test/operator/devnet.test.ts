/**
 * README.md's "Run a network by hand: the devnet" block, run as a user runs it: `npm run devnet` in
 * the background, then every other line of the block in order, each as its own `npm run` process
 * (DAO approves a maker → maker makes and attests keys → owner binds and activates → devices
 * stream → batches are proven and settled with points → owner claims → tokens move).
 *
 * The only changes to the lines as written keep this test apart from whatever else runs on the
 * machine: free ports instead of :8545 / :1884 / :9101 (the tools follow DEPIN_RPC_URL), the devnet's
 * files and the key file in a temporary folder (DEPIN_DEPLOYMENT names the deployment record),
 * and `<id>` filled in from the propose command's output, as a user would copy it.
 */
import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Contract, JsonRpcProvider } from "ethers";
import { freePort } from "../../keepers/common/net.js";
import { devAccount, ROLES } from "../../scripts/devnet/run.js";
import { npmRun, ROOT } from "./npm.js";

/** The block's lines: [env assignments, npm script, its arguments]. */
function readmeDevnetBlock(): { env: Record<string, string>; script: string; args: string[]; line: string }[] {
  const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
  const start = readme.indexOf("### Run a network by hand: the devnet");
  const open = readme.indexOf("```bash", start) + "```bash".length;
  const block = readme.slice(open, readme.indexOf("```", open));
  return block
    .split("\n")
    .map((l) => l.replace(/#.*$/, "").trim())
    .filter((l) => l !== "")
    .map((line) => {
      const m = /^((?:[A-Z_]+=\S+\s+)*)npm run (\S+) -- (.*)$|^npm run (\S+)$/.exec(line);
      if (!m) throw new Error(`README devnet block: a line this test cannot run as written: ${line}`);
      const env = Object.fromEntries(
        (m[1] ?? "")
          .trim()
          .split(/\s+/)
          .filter(Boolean)
          .map((a) => a.split("=") as [string, string]),
      );
      return { env, script: m[2] ?? m[4], args: m[3] ? m[3].split(/\s+/) : [], line };
    });
}

describe("README devnet guide, role by role against `npm run devnet` (test/operator)", function () {
  let devnet: ChildProcess | undefined;
  let devnetOut = "";
  let work: string;

  after(async () => {
    if (devnet?.pid && devnet.exitCode === null) {
      const exited = new Promise((r) => devnet!.once("exit", r));
      process.kill(-devnet.pid, "SIGTERM"); // npm and the devnet under it: one process group
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
      if (devnet.exitCode === null) process.kill(-devnet.pid, "SIGKILL");
    }
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("DAO approves a maker, owner binds and activates, devices stream, batches settle with points, the owner claims and withdraws", async () => {
    const lines = readmeDevnetBlock();
    expect(lines[0].script, "the block starts the devnet").to.equal("devnet");
    work = mkdtempSync(path.join(tmpdir(), "operator-"));
    const [rpcPort, mqttPort, statusPort] = [await freePort(), await freePort(), await freePort()];
    const dataDir = path.join(work, "devnet");
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DEPIN_RPC_URL: `http://127.0.0.1:${rpcPort}`,
      DEPIN_DEPLOYMENT: path.join(work, "deployments", "31337.json"),
    };
    const substitute = (a: string) =>
      a
        .replace(/^mqtt:\/\/127\.0\.0\.1:1884$/, `mqtt://127.0.0.1:${mqttPort}`)
        .replace(/^http:\/\/127\.0\.0\.1:9101\/status$/, `http://127.0.0.1:${statusPort}/status`)
        .replace(/^keys\.json$/, path.join(work, "keys.json"))
        .replace(/^data\/devnet/, dataDir);

    // Terminal 1.
    devnet = spawn(
      "npm",
      [
        "run",
        "devnet",
        "--",
        ...lines[0].args,
        "--port",
        String(rpcPort),
        "--mqtt-port",
        String(mqttPort),
        "--status-port",
        String(statusPort),
        "--explorer-port",
        "0",
        "--data-dir",
        dataDir,
        "--deployments",
        path.join(work, "deployments"),
      ],
      { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"], detached: true },
    );
    devnet.stdout!.on("data", (c: Buffer) => (devnetOut += c.toString()));
    devnet.stderr!.on("data", (c: Buffer) => (devnetOut += c.toString()));
    const until = Date.now() + 8 * 60_000;
    while (!devnetOut.includes("devnet running")) {
      if (devnet.exitCode !== null || Date.now() > until) throw new Error(`the devnet did not start:\n${devnetOut}`);
      await new Promise((r) => setTimeout(r, 500));
    }

    // Terminal 2, line by line.
    let proposalId = "";
    const outputs: Record<string, string> = {};
    for (const l of lines.slice(1)) {
      const args = l.args.map((a) => (a === "<id>" ? proposalId : substitute(a)));
      const r = await npmRun([l.script, "--", ...args], { ...env, ...l.env });
      expect(r.code, `${l.line}\n${r.out}\n--- devnet ---\n${devnetOut.slice(-3000)}`).to.equal(0);
      outputs[`${l.script} ${l.args[0]}`] = r.out;
      if (l.script === "dao" && l.args[0] === "propose") proposalId = /"proposalId": "(\d+)"/.exec(r.out)![1];
    }

    // What the lines did, read back from the chain.
    const sim = JSON.parse(outputs["firmware simulate"].slice(outputs["firmware simulate"].indexOf("{"))) as {
      recorded: number;
      receipts: number;
      pending: number;
    };
    expect(sim.recorded).to.be.greaterThan(0);
    expect(sim.receipts, "every reading stored by the bridge").to.equal(sim.recorded);
    expect(outputs["owner claim"]).to.match(/claimed [1-9][0-9.]* tokens/);
    const provider = new JsonRpcProvider(env.DEPIN_RPC_URL, undefined, { staticNetwork: true });
    try {
      const record = JSON.parse(readFileSync(env.DEPIN_DEPLOYMENT!, "utf8")) as {
        contracts: Record<string, { address: string }>;
      };
      const token = new Contract(
        record.contracts.rewardToken.address,
        ["function balanceOf(address) view returns (uint256)"],
        provider,
      );
      const distributor = new Contract(
        record.contracts.rewardDistributor.address,
        [
          "function pointsOf(uint64 deviceId, uint64 epoch) view returns (uint256 points, bool claimed)",
          "function nextEpochToClose() view returns (uint64)",
        ],
        provider,
      );
      const owner = devAccount(ROLES.owner).address;
      const shown = ["owner claim", "owner devices", "owner withdraw"].map((k) => `$ ${k}\n${outputs[k]}`).join("\n");
      expect(await token.balanceOf(owner), `withdraw moved device 1's tokens to its owner\n${shown}`).to.be.greaterThan(0n);
      let points = 0n;
      for (let e = 0n; e < (await distributor.nextEpochToClose()); e++) points += (await distributor.pointsOf(1n, e))[0];
      expect(points, "device 1 earned points in closed epochs").to.be.greaterThan(0n);
    } finally {
      provider.destroy();
    }
  });
});
