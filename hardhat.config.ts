import { createRequire } from "node:module";
import hardhatToolboxMochaEthers from "@nomicfoundation/hardhat-toolbox-mocha-ethers";
import hardhatUpgrades from "@openzeppelin/hardhat-upgrades";
import { configVariable, defineConfig } from "hardhat/config";

// Offline compiler: the npm `solc` package's wasm build (no download; see TOOLCHAIN notes).
const require = createRequire(import.meta.url);
const SOLC_PATH = require.resolve("solc/soljson.js");
const SOLC_VERSION: string = (require("solc/package.json") as { version: string }).version;

const compiler = {
  version: SOLC_VERSION,
  path: SOLC_PATH,
  settings: {
    optimizer: { enabled: true, runs: 200 },
    evmVersion: "prague",
  },
};

export default defineConfig({
  plugins: [hardhatToolboxMochaEthers, hardhatUpgrades],
  solidity: {
    // `ignition deploy` builds with `production`; both profiles must be identical.
    profiles: { default: compiler, production: compiler },
    npmFilesToBuild: [
      "@account-abstraction/contracts/core/EntryPoint.sol",
      "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol",
    ],
  },
  paths: {
    sources: "contracts",
    tests: { mocha: "test", solidity: "contracts/test" },
    ignition: "deploy",
  },
  test: {
    mocha: {
      timeout: 600_000,
      // snarkjs keeps the bn128 curve's worker threads alive; release them so the run can exit.
      rootHooks: {
        async afterAll() {
          const curve = (globalThis as { curve_bn128?: { terminate(): Promise<void> } | null }).curve_bn128;
          if (curve) await curve.terminate();
          // A test that failed half-way may leave a keeper or broker it spawned running, which
          // keeps the run from exiting (CI then hangs until its time limit): name and stop them.
          const { execFileSync } = await import("node:child_process");
          let children: string[] = [];
          try {
            children = execFileSync("ps", ["-o", "pid=,args=", "--ppid", String(process.pid)], { encoding: "utf8" })
              .split("\n")
              .map((l) => l.trim())
              // (tsx's esbuild service is the test process's own and ends with it)
              .filter((l) => l !== "" && !l.includes(" ps -o ") && !l.includes("esbuild --service") && !l.includes("<defunct>"));
          } catch {
            // ps exits 1 when there are no children
          }
          for (const line of children) {
            console.error(`[test] stopping a process a test left running: ${line}`);
            try {
              process.kill(Number(line.split(" ")[0]), "SIGKILL");
            } catch {
              // already gone
            }
          }
        },
      },
    },
    solidity: { fuzz: { runs: 256 } },
  },
  networks: {
    hardhatMainnet: { type: "edr-simulated", chainType: "l1" },
    // DEPIN_RPC_URL moves every tool to another local node (e.g. `npm run devnet -- --port 8546`).
    localhost: { type: "http", chainType: "l1", url: process.env.DEPIN_RPC_URL || "http://127.0.0.1:8545" },
    // Any real network: keys and URLs come from the Hardhat keystore (`npx hardhat keystore set
    // DEPLOYER_PRIVATE_KEY`, `... set SEPOLIA_RPC_URL`) or the environment, never from this file.
    // Read only when the network is used; scripts/deploy.ts names the missing one (docs/deploy.md).
    sepolia: {
      type: "http",
      chainType: "l1",
      url: configVariable("SEPOLIA_RPC_URL"),
      accounts: [configVariable("DEPLOYER_PRIVATE_KEY")],
    },
  },
  // Source verification (hardhat-verify, part of the toolbox): `npm run deploy -- --verify` or
  // `npx hardhat ignition verify chain-<id> --network <name>`. Etherscan needs ETHERSCAN_API_KEY
  // (keystore or environment, read only when verifying); Sourcify needs no key.
  verify: {
    etherscan: { apiKey: configVariable("ETHERSCAN_API_KEY") },
    sourcify: { enabled: true },
  },
  typechain: { outDir: "types/typechain" },
});
