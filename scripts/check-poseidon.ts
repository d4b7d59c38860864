/**
 * Reproducible check of the two Poseidon contracts a deployment uses. They are circomlibjs
 * bytecode (deploy/poseidon.ts), generated and never written in Solidity, so a block explorer
 * cannot source-verify them; instead anyone can regenerate the bytecode from the pinned
 * circomlibjs and compare it with the code on chain:
 *
 *   npx tsx scripts/check-poseidon.ts --network sepolia        (npm run check:poseidon -- …)
 *
 * For each of DataAvailability.poseidon4()/poseidon5(): runs circomlibjs' creation code in an
 * eth_call (no transaction) to get the runtime code it deploys, and compares it byte for byte with
 * eth_getCode at the address. Exit 0 = both equal, 1 = a mismatch (or no deployment record).
 */
import { parseArgs } from "node:util";
import { Contract, keccak256 } from "ethers";
import { poseidonArtifact, type PoseidonArity } from "../deploy/poseidon.js";
import { connectTo } from "./lib/cli.js";
import { contractAddress, readDeployment } from "./lib/deployments.js";

const { values } = parseArgs({
  options: {
    network: { type: "string", default: "localhost" },
    "rpc-url": { type: "string" },
    deployments: { type: "string", default: "deployments" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log("Usage: npx tsx scripts/check-poseidon.ts [--network NAME] [--rpc-url URL] [--deployments DIR]");
  process.exit(0);
}
const connection = await connectTo(values.network!, values["rpc-url"]);
const provider = connection.ethers.provider;
const { chainId } = await provider.getNetwork();
const deployment = readDeployment(chainId, values.deployments);
const da = new Contract(
  contractAddress(deployment, "dataAvailability"),
  ["function poseidon4() view returns (address)", "function poseidon5() view returns (address)"],
  provider,
);
let ok = true;
for (const n of [4, 5] as PoseidonArity[]) {
  const address = (await da.getFunction(`poseidon${n}`)()) as string;
  const expected = await provider.call({ data: poseidonArtifact(n).bytecode });
  const onChain = await provider.getCode(address);
  const same = expected !== "0x" && expected.toLowerCase() === onChain.toLowerCase();
  ok &&= same;
  console.log(
    `PoseidonT${n + 1} at ${address}: ${same ? "matches" : "DIFFERS FROM"} circomlibjs createCode(${n}) (runtime keccak ${keccak256(onChain)}, expected ${keccak256(expected)})`,
  );
}
await connection.close();
process.exit(ok ? 0 : 1);
