import { expect } from "chai";
import { network } from "hardhat";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { auditRoles } from "../../scripts/lib/audit.js";
import { artifactVerifierKeys, assertDeployableKeys, isLocalChain } from "../../scripts/lib/provenance.js";
import { REWARD_VERIFIER } from "../../deploy/protocol.js";
import { deployProtocol, GENESIS_SUPPLY, TIMELOCK_DELAY, type ProtocolFixture } from "./fixture.js";

/** Hardhat's well-known first development key (public): only ever signs for the stub below. */
const DEV_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

const connection = await network.create();
const { networkHelpers } = connection;

describe("Protocol deployment — hand-over to the timelock", function () {
  const deployment = (): Promise<ProtocolFixture> => deployProtocol(connection);
  const load = (): Promise<ProtocolFixture> => networkHelpers.loadFixture(deployment);

  it("roles audit passes: every admin role and ownership is held by the timelock, none by the deployer", async function () {
    const f = await load();
    const report = await auditRoles(connection.ethers.provider, f.deployment);
    expect(report.violations).to.deep.equal([]);
    expect(report.ok).to.equal(true);
    expect(await f.timelock.getMinDelay()).to.equal(TIMELOCK_DELAY);
    expect(await f.paymaster.owner()).to.equal(await f.timelock.getAddress());
    expect(await f.token.totalSupply()).to.equal(GENESIS_SUPPLY);
    // The composition is wired: the paymaster sponsors the registry's device accounts only.
    expect(await f.paymaster.deviceDirectory()).to.equal(await f.registry.getAddress());
    expect(await f.registry.accountFactory()).to.equal(f.deployment.contracts.deviceAccountFactory.address);
    expect(await f.paymaster.claimTarget()).to.equal(await f.distributor.getAddress());
    expect(await f.paymaster.claimSelector()).to.equal(f.distributor.interface.getFunction("claim").selector);
    const verifier = await f.distributor.verifierFor(REWARD_VERIFIER.depth);
    expect([verifier.verifier, verifier.slots]).to.deep.equal([
      f.deployment.contracts.rewardVerifier.address,
      REWARD_VERIFIER.slots,
    ]);
    expect(await f.distributor.batches()).to.equal(await f.da.getAddress());
    // The DA's challenge window is bounded by the distributor's settlement delay from deployment on.
    expect(await f.da.batchConsumer()).to.equal(await f.distributor.getAddress());
    expect(await f.da.challengeWindow()).to.be.lessThan(await f.distributor.settlementDelay());
    expect(await f.distributor.directory()).to.equal(await f.registry.getAddress());
  });

  it("the development verifier artifact declares development keys; ceremony keys are required off local chains", async function () {
    const keys = await artifactVerifierKeys([REWARD_VERIFIER.contract]);
    expect(keys).to.have.length(1);
    expect(keys[0]).to.include({ name: "RewardRule16Verifier", devKeys: true, keyId: `0x${"00".repeat(32)}` });
    expect([isLocalChain(31337), isLocalChain(1337n), isLocalChain(1), isLocalChain(11155111n)]).to.deep.equal([
      true,
      true,
      false,
      false,
    ]);
    expect(() => assertDeployableKeys(31337n, keys)).not.to.throw();
    expect(() => assertDeployableKeys(11155111n, keys)).to.throw(
      /^refusing to deploy to chain 11155111 \(not a local development chain\): RewardRule16Verifier has development keys \(development \(insecure\): .*\): anyone can forge its proofs\. Nothing was sent\. To get keys a real network may use, run the phase-2 ceremony on a public Powers of Tau \(`npm run ceremony -- --help`, docs\/ceremony\.md\)/,
    );
    expect(() => assertDeployableKeys(1n, [{ name: "X", devKeys: false, keyId: "0x01", provenance: "ceremony" }])).not.to.throw();
    expect(() => assertDeployableKeys(1n, [{ name: "Old", devKeys: undefined }])).to.throw(
      /Old does not declare its key provenance/,
    );
  });

  it("attack: scripts/deploy.ts to a public chain id with development keys is refused before any transaction", async function () {
    // A JSON-RPC endpoint that says it is Sepolia (11155111) and records every method asked.
    const methods: string[] = [];
    const answers: Record<string, unknown> = {
      eth_chainId: "0xaa36a7",
      net_version: "11155111",
      eth_blockNumber: "0x10",
      eth_getTransactionCount: "0x0",
      eth_getBalance: "0xde0b6b3a7640000",
      eth_gasPrice: "0x3b9aca00",
      eth_maxPriorityFeePerGas: "0x3b9aca00",
      eth_accounts: [],
    };
    const server: Server = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        const one = (r: { id: unknown; method: string }) => {
          methods.push(r.method);
          return r.method in answers
            ? { jsonrpc: "2.0", id: r.id, result: answers[r.method] }
            : { jsonrpc: "2.0", id: r.id, error: { code: -32601, message: `stub: ${r.method} not served` } };
        };
        const parsed = JSON.parse(body) as { id: unknown; method: string } | { id: unknown; method: string }[];
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify(Array.isArray(parsed) ? parsed.map(one) : one(parsed)));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    const dir = mkdtempSync(path.join(tmpdir(), "depin-deploy-"));
    // The example parameters with addresses filled in (a zero guardian is refused on its own).
    const example = JSON.parse(readFileSync("deploy/parameters/sepolia.example.json", "utf8")) as {
      Protocol: Record<string, unknown>;
    };
    const params = path.join(dir, "sepolia.json");
    const filled: Record<string, unknown> = {
      ...example.Protocol,
      priceFeed: "0x" + "11".repeat(20),
      genesisHolder: "0x" + "22".repeat(20),
    };
    delete filled.guardian;
    writeFileSync(params, JSON.stringify({ Protocol: filled }));
    try {
      const bin = path.resolve("node_modules/.bin");
      const child = spawn(
        path.join(bin, "tsx"),
        ["scripts/deploy.ts", "--network", "sepolia", "--parameters", params, "--deployments", dir],
        {
          env: {
            ...process.env,
            PATH: `${bin}:${process.env.PATH ?? ""}`,
            SEPOLIA_RPC_URL: `http://127.0.0.1:${port}`,
            DEPLOYER_PRIVATE_KEY: DEV_KEY,
            NO_COLOR: "1",
          },
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      let out = "";
      child.stdout.on("data", (c: Buffer) => (out += c.toString()));
      child.stderr.on("data", (c: Buffer) => (out += c.toString()));
      const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
      expect(code, out).to.equal(1);
      expect(out).to.contain("refusing to deploy to chain 11155111 (not a local development chain)");
      expect(out).to.contain("RewardRule16Verifier has development keys");
      expect(out).to.contain("Nothing was sent");
      expect(out).to.contain("npm run ceremony");
      expect(methods).to.include("eth_chainId");
      expect(methods.filter((m) => /^eth_send/.test(m))).to.deep.equal([]);
      expect(existsSync(path.join(dir, "11155111.json"))).to.equal(false);
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
