import { expect } from "chai";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { checkParameters, ParameterError } from "../../deploy/schema.js";

const EXAMPLE = "deploy/parameters/sepolia.example.json";
const example = (): Record<string, unknown> =>
  (JSON.parse(readFileSync(EXAMPLE, "utf8")) as { Protocol: Record<string, unknown> }).Protocol;
/** The example with its placeholders filled in. */
const filled = (over: Record<string, unknown> = {}): { Protocol: Record<string, unknown> } => ({
  Protocol: {
    ...example(),
    priceFeed: "0x" + "11".repeat(20),
    genesisHolder: "0x" + "22".repeat(20),
    guardian: "0x" + "33".repeat(20),
    ...over,
  },
});
function problemsOf(json: unknown): string[] {
  try {
    checkParameters(json, "p.json");
  } catch (e) {
    expect(e).to.be.instanceOf(ParameterError);
    return (e as ParameterError).problems;
  }
  return [];
}

/** Runs scripts/deploy.ts with stdin not a terminal; resolves with the exit code and output. */
async function runDeploy(args: string[]): Promise<{ code: number | null; out: string }> {
  const bin = path.resolve("node_modules/.bin");
  const child = spawn(path.join(bin, "tsx"), ["scripts/deploy.ts", ...args], {
    env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ""}`, NO_COLOR: "1" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  child.stdin.end();
  let out = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr.on("data", (c: Buffer) => (out += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  return { code, out };
}

describe("deploy parameters — schema checked before any transaction", function () {
  it("attack: the example file as shipped is refused, naming every placeholder at once", function () {
    const problems = problemsOf(JSON.parse(readFileSync(EXAMPLE, "utf8")));
    expect(problems).to.have.length(3);
    expect(problems[0]).to.match(/^Protocol\.priceFeed: the zero address is a placeholder/);
    expect(problems[1]).to.match(/^Protocol\.genesisHolder: the zero address is a placeholder.*ERC20InvalidReceiver/);
    expect(problems[2]).to.match(/^Protocol\.guardian: the zero address is a placeholder/);
  });

  it("a filled example passes, with defaults for the fields left out", function () {
    const { module, values } = checkParameters(filled(), "p.json");
    expect(module).to.equal("Protocol");
    expect(values.priceFeed).to.equal("0x" + "11".repeat(20));
    expect(values.challengeWindow).to.equal(86_400n);
    expect(values.entryPoint).to.equal("0x4337084D9E255Ff0702461CF8895CE9E3b5Ff108");
  });

  it("the shipped local parameter files pass", function () {
    for (const f of ["deploy/parameters/localhost.json", "deploy/parameters/hardhat.json"]) {
      expect(checkParameters(JSON.parse(readFileSync(f, "utf8")), f).module).to.equal("DevProtocol");
    }
  });

  // One case per contract-side rule the schema mirrors: [override, expected message].
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ["RewardToken cap ≤ 2^208-1", { cap: `${1n << 208n}n` }, /^Protocol\.cap: .* out of range .*ERC20InvalidCap/],
    [
      "RewardToken genesisSupply ≤ cap",
      { cap: "10n", genesisSupply: "11n" },
      /^Protocol\.genesisSupply: 11 exceeds cap 10 .*ERC20ExceededCap/,
    ],
    ["RewardEmission epochLength > 0", { epochLength: 0 }, /^Protocol\.epochLength: 0 is out of range .*EmissionBadParameter/],
    ["RewardEmission decayPeriod > 0", { decayPeriod: 0 }, /^Protocol\.decayPeriod: 0 is out of range .*EmissionBadParameter/],
    ["RewardEmission decayFactorBps ≤ 10,000", { decayFactorBps: 10_001 }, /^Protocol\.decayFactorBps: 10001 is out of range/],
    ["DataCredits maxPriceAge > 0", { maxPriceAge: 0 }, /^Protocol\.maxPriceAge: 0 is out of range .*DataCreditsBadParameter/],
    [
      "DataCredits usdPerCredit > 0",
      { usdPerCredit: "0n" },
      /^Protocol\.usdPerCredit: 0 is out of range .*DataCreditsBadParameter/,
    ],
    ["DataAvailability challengeWindow > 0", { challengeWindow: 0 }, /^Protocol\.challengeWindow: 0 is out of range/],
    [
      "DataAvailability challengeWindow ≤ retentionWindow",
      { challengeWindow: 100, retentionWindow: 99, unbondingDelay: 100 },
      /^Protocol\.challengeWindow: 100 exceeds retentionWindow 99/,
    ],
    [
      "DataAvailability challengeWindow ≤ unbondingDelay",
      { challengeWindow: 100, unbondingDelay: 99 },
      /^Protocol\.challengeWindow: 100 exceeds unbondingDelay 99/,
    ],
    ["DataAvailability minBond > 0", { minBond: 0 }, /^Protocol\.minBond: 0 is out of range/],
    [
      "DataAvailability challengerRewardBps ≤ 10,000",
      { challengerRewardBps: 10_001 },
      /^Protocol\.challengerRewardBps: 10001 is out of range/,
    ],
    [
      "RewardDistributor settlementDelay > challengeWindow",
      { challengeWindow: 3600, settlementDelay: 3600 },
      /^Protocol\.settlementDelay: 3600 must exceed challengeWindow 3600 \(RewardDistributorSettlementDelayTooShort\)/,
    ],
    [
      "RewardDistributor ruleMinValue ≤ ruleMaxValue",
      { ruleMinValue: 5, ruleMaxValue: 4 },
      /^Protocol\.ruleMinValue: 5 exceeds ruleMaxValue 4 \(RewardDistributorBadRule\)/,
    ],
    [
      "ProtocolGovernor votingPeriod > 0",
      { votingPeriod: 0 },
      /^Protocol\.votingPeriod: 0 is out of range .*GovernorInvalidVotingPeriod/,
    ],
    [
      "ProtocolGovernor quorumNumerator ≤ 100",
      { quorumNumerator: 101 },
      /^Protocol\.quorumNumerator: 101 is out of range .*GovernorInvalidQuorumFraction/,
    ],
    [
      "ClaimPaymaster accountBudget ≤ epochBudget",
      { epochBudget: "1n", accountBudget: "2n" },
      /^Protocol\.accountBudget: 2 exceeds epochBudget 1/,
    ],
    [
      "ClaimPaymaster epoch clock within uint48",
      { genesisTime: Number((1n << 48n) - 10n), epochLength: 86_400 },
      /^Protocol\.genesisTime: genesisTime \+ epochLength - 1 = .* exceeds 2\^48-1/,
    ],
    ["uint16 encoding", { challengerRewardBps: 70_000 }, /^Protocol\.challengerRewardBps: 70000 is out of range \[0, 10000\]/],
    ["unknown parameter (typo)", { challengWindow: 10 }, /^Protocol\.challengWindow: unknown parameter/],
    [
      "non-integer",
      { firstEpoch: "330" },
      /^Protocol\.firstEpoch: expected uint64 as a JSON integer or a "123n" string, got "330"/,
    ],
    ["required field", { firstEpoch: undefined }, /^Protocol\.firstEpoch: required uint64 is missing/],
  ];
  for (const [rule, over, message] of cases) {
    it(`attack: refused before sending — ${rule}`, function () {
      const problems = problemsOf(filled(over));
      expect(problems, problems.join("\n")).to.have.length(1);
      expect(problems[0]).to.match(message);
    });
  }

  it("every bad field is listed at once", function () {
    const problems = problemsOf(
      filled({ priceFeed: "0x0000000000000000000000000000000000000000", votingPeriod: 0, quorumNumerator: 101 }),
    );
    expect(problems.map((p) => p.split(":")[0])).to.deep.equal([
      "Protocol.priceFeed",
      "Protocol.votingPeriod",
      "Protocol.quorumNumerator",
    ]);
  });

  it("scripts/deploy.ts exits 2 on the example file without starting Hardhat", async function () {
    const { code, out } = await runDeploy(["--network", "sepolia", "--parameters", EXAMPLE]);
    expect(code, out).to.equal(2);
    expect(out).to.contain("3 bad parameter(s), nothing was sent");
    expect(out).not.to.contain("building contracts");
  });
});

describe("scripts/deploy.ts — plan and confirmation", function () {
  it("attack: without a terminal and without --yes, the plan is printed and nothing is sent (exit 3)", async function () {
    const dir = mkdtempSync(path.join(tmpdir(), "depin-deploy-"));
    try {
      const { code, out } = await runDeploy([
        "--network",
        "hardhatMainnet",
        "--parameters",
        "deploy/parameters/hardhat.json",
        "--skip-estimate",
        "--deployments",
        dir,
        "--deployment-id",
        "test-no-tty",
      ]);
      expect(code, out).to.equal(3);
      expect(out).to.contain("PLAN: DevProtocol to hardhatMainnet (chain 31337)");
      expect(out).to.match(/contracts to deploy \(\d+\): .*RewardDistributor/);
      expect(out).to.contain("ClaimPaymasterTransferOwnershipToTimelock");
      expect(out).to.contain("refusing to send: stdin is not a terminal");
      expect(out).not.to.contain("deploying DevProtocol");
      expect(existsSync(path.join(dir, "31337.json"))).to.equal(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("--yes sends after the plan (with its gas rehearsal) and writes the deployment record", async function () {
    const dir = mkdtempSync(path.join(tmpdir(), "depin-deploy-"));
    const params = path.join(dir, "p.json");
    writeFileSync(params, readFileSync("deploy/parameters/hardhat.json"));
    try {
      const { code, out } = await runDeploy([
        "--network",
        "hardhatMainnet",
        "--parameters",
        params,
        "--yes",
        "--deployments",
        dir,
        "--deployment-id",
        "test-yes",
      ]);
      expect(code, out).to.equal(0);
      expect(out).to.match(/estimated gas: [0-9,]+ over \d+ transactions/);
      expect(out).to.contain("deploying DevProtocol");
      const record = JSON.parse(readFileSync(path.join(dir, "31337.json"), "utf8")) as { contracts: Record<string, unknown> };
      expect(record.contracts).to.have.property("rewardDistributor");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("--verify-only --dry-run prints the hardhat-verify (ignition verify) command for the deployment", async function () {
    const { code, out } = await runDeploy(["--verify-only", "--dry-run", "--network", "sepolia", "--deployment-id", "nope"]);
    expect(code, out).to.equal(2);
    expect(out).to.contain("no Ignition deployment nope");
  });
});

describe("scripts/deploy.ts — on a hardhat node: verify requests and the Poseidon bytecode check", function () {
  it("deploys over JSON-RPC, --verify-only --dry-run lists hardhat-verify's requests, check-poseidon matches circomlibjs", async function () {
    const bin = path.resolve("node_modules/.bin");
    const port = "8577";
    const node = spawn(path.join(bin, "hardhat"), ["node", "--hostname", "127.0.0.1", "--port", port], { stdio: "ignore" });
    const dir = mkdtempSync(path.join(tmpdir(), "depin-deploy-"));
    const id = `test-verify-${process.pid}`;
    try {
      const rpc = `http://127.0.0.1:${port}`;
      for (let i = 0; i < 60; i++) {
        const up = await fetch(rpc, {
          method: "POST",
          body: '{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}',
          headers: { "content-type": "application/json" },
        }).then(
          () => true,
          () => false,
        );
        if (up) break;
        await new Promise((r) => setTimeout(r, 1000));
      }
      const deployed = await runDeploy([
        "--network",
        "localhost",
        "--rpc-url",
        rpc,
        "--parameters",
        "deploy/parameters/localhost.json",
        "--yes",
        "--skip-estimate",
        "--deployments",
        dir,
        "--deployment-id",
        id,
      ]);
      expect(deployed.code, deployed.out).to.equal(0);
      const dry = await runDeploy(["--verify-only", "--dry-run", "--network", "localhost", "--deployment-id", id]);
      expect(dry.code, dry.out).to.equal(0);
      expect(dry.out).to.contain(`verify: npx hardhat ignition verify ${id} --network localhost`);
      expect(dry.out).to.match(
        /verify contracts\/rewards\/RewardDistributor\.sol:RewardDistributor at 0x[0-9a-fA-F]{40} with 7 constructor argument\(s\)/,
      );
      expect(dry.out).to.match(
        /verify contracts\/identity\/DeviceRegistry\.sol:DeviceRegistry at .* libraries \{"P256Verifier":"0x/,
      );
      expect(dry.out).to.match(/cannot verify circomlibjs\/poseidon_gencontract\.js#4:PoseidonT5 at 0x.*npm run check:poseidon/);
      const check = spawn(path.join(bin, "tsx"), ["scripts/check-poseidon.ts", "--rpc-url", rpc, "--deployments", dir], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      check.stdout.on("data", (c: Buffer) => (out += c.toString()));
      check.stderr.on("data", (c: Buffer) => (out += c.toString()));
      const code = await new Promise<number | null>((resolve) => check.once("exit", resolve));
      expect(code, out).to.equal(0);
      expect(out).to.match(/PoseidonT5 at 0x[0-9a-fA-F]{40}: matches circomlibjs createCode\(4\)/);
      expect(out).to.match(/PoseidonT6 at 0x[0-9a-fA-F]{40}: matches circomlibjs createCode\(5\)/);
    } finally {
      node.kill();
      rmSync(dir, { recursive: true, force: true });
      rmSync(path.join("deploy", "deployments", id), { recursive: true, force: true });
    }
  });
});

describe("hardhat.config.ts — verification and network variables", function () {
  it("hardhat-verify is loaded with Etherscan (ETHERSCAN_API_KEY) and Sourcify enabled", async function () {
    const { default: hre } = await import("hardhat");
    expect(hre.config.verify.etherscan.enabled).to.equal(true);
    expect(hre.config.verify.sourcify.enabled).to.equal(true);
    expect(JSON.stringify(hre.config.verify.etherscan.apiKey)).to.contain("ETHERSCAN_API_KEY");
    expect(JSON.stringify(hre.config.networks.sepolia)).to.contain("SEPOLIA_RPC_URL");
  });

  it("a missing SEPOLIA_RPC_URL is named with how to set it, and nothing is sent", async function () {
    const dir = mkdtempSync(path.join(tmpdir(), "depin-deploy-"));
    const params = path.join(dir, "sepolia.json");
    writeFileSync(params, JSON.stringify(filled()));
    const saved = process.env.SEPOLIA_RPC_URL;
    delete process.env.SEPOLIA_RPC_URL;
    try {
      const { code, out } = await runDeploy(["--network", "sepolia", "--parameters", params, "--deployments", dir]);
      expect(code, out).to.equal(1);
      expect(out).to.contain(
        "SEPOLIA_RPC_URL is not set. Set it in the Hardhat keystore (`npx hardhat keystore set SEPOLIA_RPC_URL`)",
      );
    } finally {
      if (saved !== undefined) process.env.SEPOLIA_RPC_URL = saved;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
