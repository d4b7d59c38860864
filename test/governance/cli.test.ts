/**
 * The operator and DAO CLIs against a real `hardhat node` (started here on a free port, bound to
 * 127.0.0.1): one-command deployment from a clean state, status, roles audit, and a proposal
 * taken from a file through delegate → propose → vote (direct and signed) → queue → execute;
 * refusals come back as sentences with a non-zero exit code.
 */
import { expect } from "chai";
import { id } from "ethers";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseDeployment } from "../../scripts/lib/deployments.js";
import { freePort } from "../../keepers/common/net.js";

const BIN = path.resolve("node_modules/.bin");
const ENV = { ...process.env, PATH: `${BIN}:${process.env.PATH ?? ""}`, FORCE_COLOR: "0", NO_COLOR: "1" };

interface Run {
  code: number | null;
  out: string;
  err: string;
}

describe("DAO and operator CLIs on hardhat node", function () {
  let node: ChildProcess | undefined;
  let url = "";
  let dir = "";
  let deploymentId = "";

  const run = (script: string, ...args: string[]): Run => {
    const r = spawnSync(path.join(BIN, "tsx"), [script, ...args], { env: ENV, encoding: "utf8", timeout: 180_000 });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const common = (): string[] => ["--network", "localhost", "--rpc-url", url, "--deployments", dir];
  const dao = (...args: string[]): Run => run("scripts/dao.ts", args[0], ...common(), ...args.slice(1));
  const ops = (...args: string[]): Run => run("scripts/ops.ts", args[0], ...common(), ...args.slice(1));
  // One connection per call (no keep-alive: the node closes idle sockets while a CLI runs).
  const rpc = (method: string, params: unknown[] = []): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const req = request(url, { method: "POST", agent: false, headers: { "content-type": "application/json" } }, (res) => {
        let text = "";
        res.on("data", (c: Buffer) => (text += c.toString()));
        res.on("end", () => {
          const body = JSON.parse(text) as { result?: unknown; error?: { message: string } };
          if (body.error) reject(new Error(body.error.message));
          else resolve(body.result);
        });
      });
      req.on("error", reject);
      req.end(JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }));
    });

  before(async function () {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    dir = mkdtempSync(path.join(tmpdir(), "depin-cli-"));
    deploymentId = `cli-test-${port}`;
    node = spawn(path.join(BIN, "hardhat"), ["node", "--hostname", "127.0.0.1", "--port", String(port)], {
      env: ENV,
      stdio: ["ignore", "pipe", "ignore"],
    });
    await new Promise<void>((resolve, reject) => {
      let log = "";
      const timer = setTimeout(() => reject(new Error(`hardhat node did not start:\n${log}`)), 120_000);
      node!.stdout!.on("data", (chunk: Buffer) => {
        log += chunk.toString();
        if (log.includes("Started HTTP")) {
          clearTimeout(timer);
          resolve();
        }
      });
      node!.once("exit", (code) => reject(new Error(`hardhat node exited (${code}):\n${log}`)));
    });
  });

  after(function () {
    node?.kill("SIGTERM");
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (deploymentId) rmSync(path.join("deploy", "deployments", deploymentId), { recursive: true, force: true });
  });

  it("every command answers --help", function () {
    for (const [script, cmds] of [
      [
        "scripts/dao.ts",
        ["actions", "delegate", "propose", "state", "vote", "vote-by-sig", "queue", "execute", "prepare-upgrade"],
      ],
      ["scripts/ops.ts", ["status", "roles-audit", "sequencer", "bond", "unbond", "withdraw-bond"]],
      ["scripts/owner.ts", ["devices", "claim", "withdraw"]],
    ] as const) {
      const top = run(script, "--help");
      expect(top.code, top.err).to.equal(0);
      for (const c of cmds) {
        expect(top.out).to.contain(c);
        const r = run(script, c, "--help");
        expect(r.code, `${script} ${c} --help: ${r.err}`).to.equal(0);
        expect(r.out).to.match(/^Usage: /);
      }
    }
    const deployHelp = run("scripts/deploy.ts", "--help");
    expect(deployHelp.code).to.equal(0);
    expect(deployHelp.out).to.contain("--reset");
  });

  it("deploy refuses a zero guardian by name before touching the chain (omit the key for no guardian)", function () {
    const params = JSON.parse(readFileSync("deploy/parameters/localhost.json", "utf8")) as {
      DevProtocol: Record<string, unknown>;
    };
    params.DevProtocol.guardian = "0x0000000000000000000000000000000000000000";
    const file = path.join(dir, "zero-guardian.json");
    writeFileSync(file, JSON.stringify(params));
    const r = run("scripts/deploy.ts", "--network", "localhost", "--rpc-url", url, "--parameters", file, "--deployments", dir);
    expect(r.code).to.equal(2);
    expect(r.err).to.contain(`${file}: 1 bad parameter(s), nothing was sent`);
    expect(r.err).to.contain("DevProtocol.guardian: the zero address is a placeholder, not a value");
    rmSync(file);
  });

  it("deploys from a clean state in one command; re-running changes nothing; the roles audit passes", function () {
    const first = run(
      "scripts/deploy.ts",
      "--network",
      "localhost",
      "--rpc-url",
      url,
      "--deployments",
      dir,
      "--deployment-id",
      deploymentId,
      "--yes",
      "--skip-estimate",
    );
    expect(first.code, first.err + first.out).to.equal(0);
    const record = parseDeployment(JSON.parse(readFileSync(path.join(dir, "31337.json"), "utf8")) as unknown);
    expect(record.module).to.equal("DevProtocol");
    expect(Object.keys(record.contracts)).to.include.members(["governor", "timelock", "rewardToken", "dataAvailability"]);
    const again = run(
      "scripts/deploy.ts",
      "--network",
      "localhost",
      "--rpc-url",
      url,
      "--deployments",
      dir,
      "--deployment-id",
      deploymentId,
      "--yes",
      "--skip-estimate",
    );
    expect(again.code, again.err).to.equal(0);
    expect(again.out).to.contain("Nothing new to deploy");
    expect(parseDeployment(JSON.parse(readFileSync(path.join(dir, "31337.json"), "utf8")) as unknown)).to.deep.equal(record);

    const status = ops("status");
    expect(status.code, status.err).to.equal(0);
    expect(status.out).to.match(/timelockDelaySeconds\s+60/);
    const audit = ops("roles-audit");
    expect(audit.code, audit.err).to.equal(0);
    expect(audit.out).to.contain("roles audit passed");
    // localhost.json names a development account as the pause-only guardian.
    expect(audit.out).to.match(
      /ok\s+rewardEmission\s+GUARDIAN_ROLE\s+0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc\s+eoa\s+pause-only/,
    );

    // Role tools on the fresh deployment: an account governance has not made a sequencer is told
    // so by name (not a raw selector), read-only views need no key, an owner without devices has
    // nothing to claim.
    const seq = ops("sequencer", "--from", "3");
    expect(seq.code, seq.err).to.equal(0);
    expect(seq.out).to.contain("NOT in the sequencer set").and.to.contain("can commit now: no");
    const bond = ops("bond", "--amount", "1", "--from", "3");
    expect(bond.code).to.equal(1);
    expect(bond.err).to.match(/refused: DataAvailabilityNotSequencer\(account=0x[0-9a-fA-F]{40}\): .*governance adds sequencers/);
    const badAmount = ops("bond", "--amount", "lots");
    expect(badAmount.code).to.equal(2);
    expect(badAmount.err).to.contain("--amount must be an ETH amount");
    const owner = (...a: string[]) => run("scripts/owner.ts", a[0], ...common(), ...a.slice(1));
    const devices = owner("devices", "--owner", "0x000000000000000000000000000000000000dEaD");
    expect(devices.code, devices.err).to.equal(0);
    expect(devices.out).to.contain("0 device(s)");
    const claim = owner("claim", "--from", "2");
    expect(claim.code, claim.err).to.equal(0);
    expect(claim.out).to.contain("nothing to claim");
  });

  it("a proposal file goes through delegate, propose, vote, signed vote, queue and execute", async function () {
    const file = path.join(dir, "proposal.json");
    writeFileSync(
      file,
      JSON.stringify({
        title: "Retention 3 days",
        description: "Export after 3 days.",
        actions: [{ action: "set retention window", seconds: 259_200 }],
      }),
    );
    // Voter 1 gets tokens from the genesis holder (account 0) through the node.
    const accounts = (await rpc("eth_accounts")) as string[];
    const record = parseDeployment(JSON.parse(readFileSync(path.join(dir, "31337.json"), "utf8")) as unknown);
    const transfer = "0xa9059cbb" + accounts[1].slice(2).padStart(64, "0") + (10n ** 24n).toString(16).padStart(64, "0");
    await rpc("eth_sendTransaction", [{ from: accounts[0], to: record.contracts.rewardToken.address, data: transfer }]);
    expect(dao("delegate", "--from", "0").code).to.equal(0);
    expect(dao("delegate", "--from", "1").code).to.equal(0);

    const bad = path.join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ title: "x", actions: [{ action: "set retention window", seconds: "soon" }] }));
    const refused = dao("propose", "--file", bad);
    expect(refused.code).to.equal(1);
    expect(refused.err).to.contain('actions[0] ("set retention window"): "seconds" must be an unsigned integer');

    const proposed = dao("propose", "--file", file, "--from", "0");
    expect(proposed.code, proposed.err).to.equal(0);
    expect(proposed.out).to.contain("dataAvailability.setRetentionWindow(259200)");
    const id = /"proposalId": "([0-9]+)"/.exec(proposed.out)![1];

    const early = dao("vote", "--id", id, "--support", "for");
    expect(early.code).to.equal(1);
    expect(early.err).to.contain("refused: GovernorUnexpectedProposalState(");
    expect(early.err).to.contain("the proposal is Pending; this step needs it Active");
    await rpc("hardhat_mine", ["0x2"]);
    const voted = dao("vote", "--id", id, "--support", "for", "--reason", "storage keeper is live", "--from", "0");
    expect(voted.code, voted.err).to.equal(0);
    const signed = path.join(dir, "vote.json");
    expect(dao("vote-by-sig", "sign", "--id", id, "--support", "against", "--from", "1", "--out", signed).code).to.equal(0);
    const relayed = dao("vote-by-sig", "submit", "--in", signed, "--from", "2");
    expect(relayed.code, relayed.err).to.equal(0);
    expect(relayed.out).to.contain(`relayed the vote of ${accounts[1]}`.slice(0, 30));
    expect(relayed.out).to.contain("with weight 1000000000000000000000000");

    const notYet = dao("queue", "--id", id);
    expect(notYet.err).to.contain("the proposal is Active; this step needs it Succeeded");
    await rpc("hardhat_mine", ["0x40"]);
    expect(dao("queue", "--id", id).code).to.equal(0);
    const tooEarly = dao("execute", "--id", id);
    expect(tooEarly.code).to.equal(1);
    expect(tooEarly.err).to.contain("the timelock operation is not ready");
    await rpc("evm_increaseTime", [61]);
    await rpc("hardhat_mine", ["0x1"]);
    expect(dao("execute", "--id", id).code).to.equal(0);
    const state = dao("state", "--id", id);
    expect(state.out).to.match(/: Executed/);
    expect(state.out).to.contain("votes: for 9000000000000000000000000, against 1000000000000000000000000, abstain 0");
  });

  it("the roles audit fails once an EOA holds an admin role", async function () {
    const record = parseDeployment(JSON.parse(readFileSync(path.join(dir, "31337.json"), "utf8")) as unknown);
    const timelock = record.contracts.timelock.address;
    const accounts = (await rpc("eth_accounts")) as string[];
    await rpc("hardhat_impersonateAccount", [timelock]);
    await rpc("hardhat_setBalance", [timelock, "0xde0b6b3a7640000"]);
    // grantRole(SEQUENCER_ADMIN_ROLE, accounts[3]) on the DA, sent as the timelock.
    const role = id("SEQUENCER_ADMIN_ROLE");
    const data = "0x2f2ff15d" + role.slice(2) + accounts[3].slice(2).padStart(64, "0");
    await rpc("eth_sendTransaction", [{ from: timelock, to: record.contracts.dataAvailability.address, data }]);
    const audit = ops("roles-audit");
    expect(audit.code).to.equal(1);
    expect(audit.out).to.match(/FAIL\s+dataAvailability\s+SEQUENCER_ADMIN_ROLE\s+0x/i);
    expect(audit.out).to.contain("roles audit FAILED: 1 admin holding(s) by externally owned accounts");
  });
});
