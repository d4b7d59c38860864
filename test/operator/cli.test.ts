/**
 * The operator's first contact with each tool: --help answers at once (no build, no chain), a bad
 * flag or a taken port is refused by name, and read-only commands on a real network's config never
 * ask for its private key.
 */
import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { network } from "hardhat";
import { rpcEndpoint } from "../../keepers/common/net.js";
import { npmRun } from "./npm.js";

describe("operator CLIs: help, bad flags, taken ports, read-only commands (test/operator)", () => {
  it("devnet, demo, ops bond, owner claim, keeper watcher: --help exits 0 before any build", async () => {
    for (const [args, expected] of [
      [["devnet", "--", "--help"], "Usage: npm run devnet"],
      [["demo", "--", "--help"], "Usage: npm run demo"],
      [["ops", "--", "bond", "--help"], "Usage:"],
      [["owner", "--", "claim", "--help"], "--wait"],
      [["keeper", "--", "watcher", "--help"], "watcher"],
    ] as const) {
      const r = await npmRun([...args]);
      expect(r.code, `${args.join(" ")}\n${r.out}`).to.equal(0);
      expect(r.out).to.include(expected);
      expect(r.out, "no build before --help").to.not.match(/\[circuits\]|Compiled \d+ Solidity/);
    }
  });

  it("devnet: a bad flag exits 2 naming it; a taken port exits 1 naming the port and the flag", async () => {
    const bad = await npmRun(["devnet", "--", "--devices", "many"]);
    expect(bad.code).to.equal(2);
    expect(bad.out).to.include('devnet: --devices must be an integer in 0..64 (got "many")');
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const taken = await npmRun([
        "devnet",
        "--",
        "--port",
        String(port),
        "--data-dir",
        mkdtempSync(path.join(tmpdir(), "devnet-")),
      ]);
      expect(taken.code, taken.out).to.equal(1);
      expect(taken.out).to.include(
        `devnet: port 127.0.0.1:${port} is in use (another node or broker?): stop it, or give --port <free port>`,
      );
    } finally {
      server.close();
    }
  });

  it("read-only ops status on a network whose config needs DEPLOYER_PRIVATE_KEY runs without it", async () => {
    const conn = await network.create();
    const rpc = await rpcEndpoint(conn.provider);
    const dir = mkdtempSync(path.join(tmpdir(), "readonly-"));
    try {
      const record = path.join(dir, "31337.json");
      writeFileSync(
        record,
        JSON.stringify({
          version: 1,
          chainId: 31337,
          network: "sepolia",
          module: "Protocol",
          contracts: { governor: { address: "0x5FbDB2315678afecb367f032d93F642f64180aa3", startBlock: 0 } },
        }),
      );
      const env: NodeJS.ProcessEnv = { ...process.env, SEPOLIA_RPC_URL: rpc.url, DEPIN_DEPLOYMENT: record };
      delete env.DEPLOYER_PRIVATE_KEY;
      // Read-only: connects and reads the record (which lacks the rest of the protocol: refused by name).
      const status = await npmRun(["ops", "--", "status", "--network", "sepolia", "--json"], env);
      expect(status.out).to.not.include("DEPLOYER_PRIVATE_KEY");
      expect(status.out).to.include('has no contract "timelock"');
      // A command that signs still needs the key, and says which.
      const signing = await npmRun(["ops", "--", "sequencer", "--network", "sepolia"], env);
      expect(signing.code).to.equal(1);
      expect(signing.out).to.include("DEPLOYER_PRIVATE_KEY"); // not found in the keystore or the environment
    } finally {
      await rpc.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
