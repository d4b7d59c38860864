/**
 * Deploys the whole protocol with Hardhat Ignition and writes deployments/<chainId>.json.
 *
 *   npx hardhat node --hostname 127.0.0.1 --port 8545        # terminal 1
 *   npm run deploy:local                                     # terminal 2
 *   npm run deploy -- --network sepolia --verify             # a real network (docs/deploy.md)
 *
 * Before sending anything it checks the parameter file against deploy/schema.ts (every bad field
 * listed at once, exit 2), the verifiers' key provenance (off local chains), what only the chain
 * can tell (code at priceFeed/entryPoint, the deployer's balance), then prints the plan
 * (contracts, role hand-over, gas and cost estimated by a rehearsal on an in-process chain) and
 * asks for confirmation on a terminal (`--yes` skips it; without a terminal it refuses, exit 3).
 *
 * Deterministic (same module, parameters and deployer → same transactions) and resumable: the
 * Ignition journal in deploy/deployments/chain-<id>/ lets a re-run continue where an interrupted
 * one stopped, and a re-run of a finished deployment changes nothing.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline/promises";
import { parseArgs } from "node:util";
import { formatEther, formatUnits } from "ethers";
import { checkParameters, ParameterError, type CheckedParameters } from "../deploy/schema.js";
// scripts/lib/cli.js, deployments.js and provenance.js (which needs the generated typechain
// factories) are imported after the build below, so a fresh clone without artifacts works.

const HELP = `Usage: npx tsx scripts/deploy.ts [options]       (npm run deploy -- [options])

Deploys the protocol (Ignition module chosen by the parameters file's top-level key:
"DevProtocol" = with local mocks, for hardhat/localhost; "Protocol" = real dependencies),
hands every role to the timelock (and the pause-only GUARDIAN_ROLE to the parameters' optional
"guardian", e.g. a Safe), and writes deployments/<chainId>.json. Runbook: docs/deploy.md.

Before any transaction: the parameters are checked against deploy/schema.ts (every bad field
listed, exit 2); on any chain but a local development chain (chain id 31337 or 1337) the
verifiers' key provenance is checked (development keys are refused: run the phase-2 ceremony,
docs/ceremony.md); code at priceFeed/entryPoint and the deployer's balance are checked (exit 2);
then the plan is printed (contracts, role hand-over, estimated gas and cost) and confirmed.

  --network NAME      network from hardhat.config.ts (default localhost = 127.0.0.1:8545);
                      sepolia reads SEPOLIA_RPC_URL and DEPLOYER_PRIVATE_KEY (keystore or env)
  --rpc-url URL       override the network's JSON-RPC URL (e.g. a node on another port)
  --parameters FILE   parameter file (default deploy/parameters/<network>.json)
  --deployments DIR   where to write <chainId>.json (default deployments)
  --deployment-id ID  Ignition deployment id (default chain-<chainId>; journal in deploy/deployments/ID)
  --yes               send without asking (required when stdin is not a terminal)
  --check             check the parameters (and the chain, if reachable) and print the plan; send nothing
  --skip-estimate     no gas rehearsal in the plan (faster; the plan shows no gas/cost)
  --verify            after deploying (or for an existing deployment: with --verify-only), verify
                      every contract's source on the block explorer (hardhat-verify, ETHERSCAN_API_KEY)
  --verify-only       do not deploy: verify the deployment recorded in the Ignition journal
  --dry-run           with --verify-only: print the verify command, send nothing
  --reset             development chains only (chain id 31337/1337): discard the Ignition
                      journal first, e.g. after restarting \`hardhat node\`
  --help              this text

Exit codes: 0 done, 1 error or refused (development keys, journal of another chain),
2 bad parameters, 3 not confirmed (declined, or no terminal and no --yes).`;

/** Gas of the transactions a rehearsal sent, excluding the local stand-ins for external contracts. */
interface Estimate {
  gas: bigint;
  transactions: number;
}

/** Functions whose calls move roles or ownership (the hand-over, shown in the plan). */
const HANDOVER_FUNCTIONS = new Set([
  "grantRole",
  "renounceRole",
  "transferOwnership",
  "acceptOwnership",
  "updateDelay",
  "schedule",
  "execute",
  "scheduleBatch",
  "executeBatch",
]);

interface PlanFuture {
  type: string;
  id: string;
  contractName?: string;
  functionName?: string;
}

/** Every future of an Ignition module and its submodules. */
function futuresOf(module: { futures: Set<PlanFuture>; submodules: Set<unknown> }): PlanFuture[] {
  const out: PlanFuture[] = [...module.futures];
  for (const sub of module.submodules) out.push(...futuresOf(sub as typeof module));
  return out;
}

export function describePlan(module: { futures: Set<PlanFuture>; submodules: Set<unknown> }): {
  deployments: string[];
  handover: string[];
  calls: string[];
} {
  const all = futuresOf(module);
  const deployments = all
    .filter((f) => /DEPLOYMENT$/.test(f.type))
    .map((f) =>
      f.contractName && f.contractName !== f.id.split("#")[1] ? `${f.id.split("#")[1]} (${f.contractName})` : f.id.split("#")[1],
    );
  const calls = all.filter((f) => f.type === "CONTRACT_CALL");
  return {
    deployments,
    handover: calls.filter((f) => HANDOVER_FUNCTIONS.has(f.functionName ?? "")).map((f) => f.id.split("#")[1]),
    calls: calls.filter((f) => !HANDOVER_FUNCTIONS.has(f.functionName ?? "")).map((f) => f.id.split("#")[1]),
  };
}

function fail(code: number, message: string): never {
  throw Object.assign(new Error(message), { exitCode: code });
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      network: { type: "string", default: "localhost" },
      "rpc-url": { type: "string" },
      parameters: { type: "string" },
      deployments: { type: "string", default: "deployments" },
      "deployment-id": { type: "string" },
      yes: { type: "boolean", default: false },
      check: { type: "boolean", default: false },
      "skip-estimate": { type: "boolean", default: false },
      verify: { type: "boolean", default: false },
      "verify-only": { type: "boolean", default: false },
      "dry-run": { type: "boolean", default: false },
      reset: { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const networkName = values.network!;
  if (values["verify-only"]) return verifyOnly(networkName, values["deployment-id"], values["dry-run"]!, values["rpc-url"]);

  const parametersFile = values.parameters ?? path.join("deploy", "parameters", `${networkName}.json`);
  if (!existsSync(parametersFile)) {
    fail(
      2,
      `--parameters: ${parametersFile} does not exist (copy deploy/parameters/sepolia.example.json and fill it in: docs/deploy.md)`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(parametersFile, "utf8"));
  } catch (e) {
    fail(2, `${parametersFile}: not JSON (${(e as Error).message})`);
  }
  // Offline schema check first: a bad file is refused before Hardhat starts or the RPC is asked.
  const checked: CheckedParameters = checkParameters(json, parametersFile);
  const moduleName = checked.module;

  // Artifacts must exist and match the sources (a fresh clone has none): build, incrementally.
  console.log("building contracts (npx hardhat build --quiet)…");
  const built = spawnSync(path.resolve("node_modules/.bin/hardhat"), ["build", "--quiet"], { stdio: "inherit" });
  if (built.status !== 0) fail(1, "`npx hardhat build` failed: fix the compile errors above; nothing was sent");

  // Loaded after argument checks, so `--help` and usage errors answer without starting Hardhat.
  const [
    { default: hre },
    { default: DevProtocolModule },
    { default: ProtocolModule },
    { REWARD_VERIFIER },
    { connectTo },
    { recordDeployment, writeDeployment },
    { artifactVerifierKeys, assertDeployableKeys, isLocalChain },
  ] = await Promise.all([
    import("hardhat"),
    import("../deploy/modules/DevProtocol.js"),
    import("../deploy/modules/Protocol.js"),
    import("../deploy/protocol.js"),
    import("./lib/cli.js"),
    import("./lib/deployments.js"),
    import("./lib/provenance.js"),
  ]);
  const MODULES = { DevProtocol: DevProtocolModule, Protocol: ProtocolModule };

  const connection = await connectTo(networkName, values["rpc-url"]);
  const provider = connection.ethers.provider;
  const { chainId } = await provider.getNetwork();
  if (moduleName === "DevProtocol" && !isLocalChain(chainId)) {
    fail(
      2,
      `${parametersFile}: DevProtocol (local mocks) is for development chains only; chain ${chainId} needs a "Protocol" file`,
    );
  }
  const deploymentId = values["deployment-id"] ?? `chain-${chainId}`;
  const journal = path.join(hre.config.paths.ignition, "deployments", deploymentId);
  if (values.reset) {
    if (!isLocalChain(chainId)) fail(1, `--reset is for development chains only (chain ${chainId})`);
    if (!values.check) rmSync(journal, { recursive: true, force: true });
  } else if (existsSync(path.join(journal, "deployed_addresses.json"))) {
    // A journal from an earlier chain (a restarted dev node) would be replayed against nothing.
    const recorded = JSON.parse(readFileSync(path.join(journal, "deployed_addresses.json"), "utf8")) as Record<string, string>;
    const first = Object.values(recorded)[0];
    if (first !== undefined && (await provider.getCode(first)) === "0x") {
      fail(1, `${journal} records contracts this chain does not have (restarted node?): re-run with --reset`);
    }
  }

  // Development keys (anyone can forge proofs) never go to a chain that is not local: checked on
  // the exact artifacts the module deploys, before any transaction is sent.
  if (!isLocalChain(chainId)) {
    const keys = await artifactVerifierKeys([REWARD_VERIFIER.contract]);
    assertDeployableKeys(chainId, keys);
    for (const k of keys) console.log(`${k.name}: ceremony keys, keyId ${k.keyId} (${k.provenance})`);
  }

  const [deployerSigner] = await connection.ethers.getSigners();
  if (deployerSigner === undefined) fail(1, `network ${networkName} has no account: set DEPLOYER_PRIVATE_KEY (docs/deploy.md)`);
  const deployer = deployerSigner.address;
  const params = checkParameters(json, parametersFile, deployer).values;

  // What only the chain can tell: the external contracts exist, the deployer can pay the deposit.
  const problems: string[] = [];
  for (const name of ["priceFeed", "entryPoint"]) {
    const a = params[name];
    if (moduleName === "Protocol" && typeof a === "string" && (await provider.getCode(a)) === "0x") {
      problems.push(`${moduleName}.${name}: no contract at ${a} on chain ${chainId}`);
    }
  }
  const balance = await provider.getBalance(deployer);
  const deposit = (params.deposit as bigint | undefined) ?? 0n;
  if (balance < deposit)
    problems.push(`${moduleName}.deposit: ${formatEther(deposit)} ETH exceeds the deployer's balance ${formatEther(balance)}`);
  if (problems.length > 0) throw new ParameterError(parametersFile, problems);

  // The plan.
  const plan = describePlan(MODULES[moduleName] as unknown as Parameters<typeof describePlan>[0]);
  console.log(`\nPLAN: ${moduleName} to ${networkName} (chain ${chainId}) from ${deployer}, parameters ${parametersFile}`);
  if (existsSync(journal)) console.log(`  resuming Ignition deployment ${deploymentId} (already-done steps are skipped)`);
  console.log(`  contracts to deploy (${plan.deployments.length}): ${plan.deployments.join(", ")}`);
  console.log(`  wiring calls (${plan.calls.length}): ${plan.calls.join(", ")}`);
  console.log(
    `  role hand-over (${plan.handover.length}): every admin role and ownership to the timelock, the deployer renounces its own:`,
  );
  for (const h of plan.handover) console.log(`    ${h}`);
  console.log(`  guardian (pause-only GUARDIAN_ROLE): ${params.guardian ?? "none (the timelock alone can pause)"}`);
  console.log(
    `  genesis: ${formatEther((params.genesisSupply as bigint | undefined) ?? 0n)} tokens (the initial votes) to ${params.genesisHolder as string}`,
  );
  if (params.genesisHolder === deployer && !isLocalChain(chainId)) {
    console.log(
      "  WARNING: genesisHolder is the deployer: it would keep every vote. Name a Safe or distributor (docs/deploy.md).",
    );
  }
  let estimate: Estimate | undefined;
  if (!values["skip-estimate"]) {
    estimate = await rehearse(hre, checked);
    const fee = await provider.getFeeData().catch(() => undefined);
    const perGas = fee?.maxFeePerGas ?? fee?.gasPrice ?? undefined;
    const cost =
      perGas !== undefined && perGas !== null
        ? ` ≈ ${formatEther(estimate.gas * perGas)} ETH at ${formatUnits(perGas, "gwei")} gwei`
        : " (the RPC gave no fee)";
    console.log(`  estimated gas: ${estimate.gas.toLocaleString("en-US")} over ${estimate.transactions} transactions${cost}`);
    if (perGas !== undefined && perGas !== null && balance < estimate.gas * perGas + deposit) {
      console.log(`  WARNING: the deployer's balance ${formatEther(balance)} ETH is below the estimated cost + deposit`);
    }
  }
  if (values.check) {
    console.log("\n--check: nothing was sent.");
    return 0;
  }
  if (!values.yes) {
    if (!process.stdin.isTTY) {
      fail(
        3,
        "refusing to send: stdin is not a terminal, so nobody confirmed the plan above. Re-run with --yes once it is right. Nothing was sent.",
      );
    }
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    const answer = await rl.question(`\nSend these transactions to ${networkName} (chain ${chainId})? Type "yes" to continue: `);
    rl.close();
    if (answer.trim().toLowerCase() !== "yes") fail(3, "not confirmed. Nothing was sent.");
  }

  console.log(`deploying ${moduleName} to ${networkName} (chain ${chainId}) with ${parametersFile}`);
  const result = await connection.ignition.deploy(MODULES[moduleName], {
    parameters: parametersFile,
    deploymentId,
    displayUi: true,
  });
  const deployment = await recordDeployment(provider, { network: networkName, module: moduleName }, result);
  const file = writeDeployment(deployment, values.deployments);
  console.log(`wrote ${file} (${Object.keys(deployment.contracts).length} contracts)`);
  console.log("check it: npm run ops -- roles-audit --network " + networkName);
  if (values.verify) return verifyOnly(networkName, deploymentId, false, values["rpc-url"]);
  console.log(`verify the sources: npm run deploy -- --verify-only --network ${networkName} --deployment-id ${deploymentId}`);
  return 0;
}

/**
 * Deploys the same composition on a fresh in-process chain (the external dependencies replaced by
 * the local stand-ins DevProtocol deploys) and sums the gas of its transactions, minus those
 * stand-ins. Also a rehearsal: a revert here is a revert there, before anything was sent.
 */
async function rehearse(hre: typeof import("hardhat").default, checked: CheckedParameters): Promise<Estimate> {
  const { default: DevProtocolModule } = await import("../deploy/modules/DevProtocol.js");
  const {
    priceFeed: _p,
    entryPoint: _e,
    ...rest
  } = Object.fromEntries(Object.entries(checked.values).map(([k, v]) => [k, v])) as Record<string, bigint | string>;
  const local = await hre.network.create({ network: "hardhatMainnet" });
  const result = await local.ignition.deploy(DevProtocolModule, {
    parameters: { DevProtocol: rest },
    displayUi: false,
  });
  const standIns = new Set(
    [await result.priceFeed.getAddress(), await result.entryPoint.getAddress()].map((a) => a.toLowerCase()),
  );
  const latest = await local.ethers.provider.getBlockNumber();
  let gas = 0n;
  let transactions = 0;
  for (let n = 1; n <= latest; n++) {
    const block = await local.ethers.provider.getBlock(n, true);
    for (const tx of block?.prefetchedTransactions ?? []) {
      const receipt = await local.ethers.provider.getTransactionReceipt(tx.hash);
      if (receipt === null) continue;
      if (receipt.contractAddress !== null && standIns.has(receipt.contractAddress.toLowerCase())) continue;
      gas += receipt.gasUsed;
      transactions++;
    }
  }
  await local.close();
  return { gas, transactions };
}

/**
 * Source verification of every contract in an Ignition deployment with hardhat-verify
 * (`npx hardhat ignition verify <id> --network <name>`; explorer keys in hardhat.config.ts).
 * The two Poseidon contracts are circomlibjs bytecode without Solidity source: they cannot be
 * source-verified; `npm run check:poseidon` proves them instead (docs/deploy.md).
 */
export function verifyCommand(networkName: string, deploymentId: string): string[] {
  return ["hardhat", "ignition", "verify", deploymentId, "--network", networkName];
}

async function verifyOnly(networkName: string, id: string | undefined, dryRun: boolean, rpcUrl?: string): Promise<number> {
  if (id === undefined) fail(2, "--verify-only needs --deployment-id (e.g. chain-11155111: see deploy/deployments/)");
  if (rpcUrl !== undefined) fail(2, "--verify-only uses the network's configured URL; --rpc-url is not supported here");
  const journal = path.join("deploy", "deployments", id);
  if (!existsSync(journal)) fail(2, `no Ignition deployment ${id} (${journal} does not exist)`);
  const args = verifyCommand(networkName, id);
  console.log(`verify: npx ${args.join(" ")}`);
  if (dryRun) {
    // The requests hardhat-verify would send, read from the journal as `ignition verify` does.
    const { getVerificationInformation } = await import("@nomicfoundation/ignition-core");
    for await (const info of getVerificationInformation(path.resolve(journal))) {
      if (typeof info === "string" || info.contract.startsWith("circomlibjs/")) {
        const name = typeof info === "string" ? info : `${info.contract} at ${info.address}`;
        console.log(`  cannot verify ${name}: no Solidity source (circomlibjs bytecode: npm run check:poseidon)`);
        continue;
      }
      const libs = Object.keys(info.libraries).length > 0 ? ` libraries ${JSON.stringify(info.libraries)}` : "";
      console.log(
        `  verify ${info.contract} at ${info.address} with ${info.constructorArgs.length} constructor argument(s)${libs}`,
      );
    }
    console.log("--dry-run: nothing was sent.");
    return 0;
  }
  // `ignition verify` also tries the two Poseidon contracts and reports them as failed (exit 1):
  // they have no source; `npm run check:poseidon` is their check (docs/deploy.md).
  const run = spawnSync(path.resolve("node_modules/.bin/hardhat"), args.slice(1), { stdio: "inherit" });
  return run.status ?? 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    // A network's URL or key not configured (Hardhat's HHE7): say which, and how to set it.
    const missing = e instanceof Error ? /(?:Configuration Variable|Key) "([A-Z0-9_]+)" not found/.exec(e.message) : null;
    if (missing) {
      console.error(
        `error: ${missing[1]} is not set. Set it in the Hardhat keystore (\`npx hardhat keystore set ${missing[1]}\`) or the environment (\`export ${missing[1]}=…\`): docs/deploy.md "Configure the network". Nothing was sent.`,
      );
      process.exit(1);
    }
    console.error(e instanceof Error ? `${e.name === "Error" ? "error" : e.name}: ${e.message}` : e);
    process.exit(e instanceof ParameterError ? 2 : ((e as { exitCode?: number }).exitCode ?? 1));
  },
);
