/**
 * Deploys the whole protocol with Hardhat Ignition and writes deployments/<chainId>.json.
 *
 *   npx hardhat node --hostname 127.0.0.1 --port 8545        # terminal 1
 *   npx tsx scripts/deploy.ts --network localhost            # terminal 2
 *
 * Deterministic (same module, parameters and deployer → same transactions) and resumable: the
 * Ignition journal in deploy/deployments/chain-<id>/ lets a re-run continue where an interrupted
 * one stopped, and a re-run of a finished deployment changes nothing.
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { ZeroAddress, isAddress } from "ethers";
import { connectTo } from "./lib/cli.js";
import { recordDeployment, writeDeployment } from "./lib/deployments.js";
import { artifactVerifierKeys, assertDeployableKeys, isLocalChain } from "./lib/provenance.js";

const HELP = `Usage: npx tsx scripts/deploy.ts [options]

Deploys the protocol (Ignition module chosen by the parameters file's top-level key:
"DevProtocol" = with local mocks, for hardhat/localhost; "Protocol" = real dependencies),
hands every role to the timelock (and the pause-only GUARDIAN_ROLE to the parameters' optional
"guardian", e.g. a Safe), and writes deployments/<chainId>.json.

On any chain but a local development chain (chain id 31337 or 1337) it first checks the key
provenance of the verifiers it would deploy (devKeys() of the compiled artifacts) and refuses,
before sending anything, verifiers built from development keys: run the phase-2 ceremony
(npm run ceremony, docs/ceremony.md) and export its verifier first.

  --network NAME      network from hardhat.config.ts (default localhost = 127.0.0.1:8545)
  --rpc-url URL       override the network's JSON-RPC URL (e.g. a node on another port)
  --parameters FILE   Ignition parameters (default deploy/parameters/<network>.json)
  --deployments DIR   where to write <chainId>.json (default deployments)
  --deployment-id ID  Ignition deployment id (default chain-<chainId>; journal in deploy/deployments/ID)
  --reset             development chains only (chain id 31337/1337): discard the Ignition
                      journal first, e.g. after restarting \`hardhat node\`
  --help              this text`;

const MODULE_NAMES = ["DevProtocol", "Protocol"] as const;
type ModuleName = (typeof MODULE_NAMES)[number];

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      network: { type: "string", default: "localhost" },
      "rpc-url": { type: "string" },
      parameters: { type: "string" },
      deployments: { type: "string", default: "deployments" },
      "deployment-id": { type: "string" },
      reset: { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const networkName = values.network!;
  const parametersFile = values.parameters ?? path.join("deploy", "parameters", `${networkName}.json`);
  if (!existsSync(parametersFile)) throw new Error(`--parameters: ${parametersFile} does not exist`);
  const parameters = JSON.parse(readFileSync(parametersFile, "utf8")) as Record<string, unknown>;
  const names = Object.keys(parameters).filter((k): k is ModuleName => (MODULE_NAMES as readonly string[]).includes(k));
  if (names.length !== 1) throw new Error(`${parametersFile} must have exactly one of the keys ${MODULE_NAMES.join(", ")}`);
  const moduleName = names[0];
  // An absent guardian means none; a zero one would be a role held by nobody, written by mistake.
  const guardian = (parameters[moduleName] as Record<string, unknown> | undefined)?.guardian;
  if (
    guardian !== undefined &&
    (typeof guardian !== "string" || !isAddress(guardian) || BigInt(guardian) === BigInt(ZeroAddress))
  ) {
    throw new Error(
      `${parametersFile}: ${moduleName}.guardian must be a non-zero address, e.g. a Safe (omit it for no guardian); got ${JSON.stringify(guardian)}`,
    );
  }
  // Loaded after argument checks, so `--help` and usage errors answer without starting Hardhat.
  const [{ default: hre }, { default: DevProtocolModule }, { default: ProtocolModule }, { REWARD_VERIFIER }] = await Promise.all([
    import("hardhat"),
    import("../deploy/modules/DevProtocol.js"),
    import("../deploy/modules/Protocol.js"),
    import("../deploy/protocol.js"),
  ]);
  const MODULES = { DevProtocol: DevProtocolModule, Protocol: ProtocolModule };

  const connection = await connectTo(networkName, values["rpc-url"]);
  const { chainId } = await connection.ethers.provider.getNetwork();
  const deploymentId = values["deployment-id"] ?? `chain-${chainId}`;
  const journal = path.join(hre.config.paths.ignition, "deployments", deploymentId);
  if (values.reset) {
    if (chainId !== 31337n && chainId !== 1337n) throw new Error(`--reset is for development chains only (chain ${chainId})`);
    rmSync(journal, { recursive: true, force: true });
  } else if (existsSync(path.join(journal, "deployed_addresses.json"))) {
    // A journal from an earlier chain (a restarted dev node) would be replayed against nothing.
    const recorded = JSON.parse(readFileSync(path.join(journal, "deployed_addresses.json"), "utf8")) as Record<string, string>;
    const first = Object.values(recorded)[0];
    if (first !== undefined && (await connection.ethers.provider.getCode(first)) === "0x") {
      throw new Error(`${journal} records contracts this chain does not have (restarted node?): re-run with --reset`);
    }
  }

  // Development keys (anyone can forge proofs) never go to a chain that is not local: checked on
  // the exact artifacts the module deploys, before any transaction is sent.
  if (!isLocalChain(chainId)) {
    const keys = await artifactVerifierKeys([REWARD_VERIFIER.contract]);
    assertDeployableKeys(chainId, keys);
    for (const k of keys) console.log(`${k.name}: ceremony keys, keyId ${k.keyId} (${k.provenance})`);
  }

  console.log(`deploying ${moduleName} to ${networkName} (chain ${chainId}) with ${parametersFile}`);
  const result = await connection.ignition.deploy(MODULES[moduleName], {
    parameters: parametersFile,
    deploymentId,
    displayUi: true,
  });
  const deployment = await recordDeployment(connection.ethers.provider, { network: networkName, module: moduleName }, result);
  const file = writeDeployment(deployment, values.deployments);
  console.log(`wrote ${file} (${Object.keys(deployment.contracts).length} contracts)`);
  console.log("check it: npx tsx scripts/ops.ts roles-audit --network " + networkName);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? `${e.name}: ${e.message}` : e);
    process.exit(1);
  },
);
