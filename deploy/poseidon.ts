/**
 * On-chain Poseidon contracts, generated from circomlibjs (`poseidonContract.createCode(n)`):
 * the same parameters as the sdk's `getPoseidon()` and circomlib's circuits, so a root computed
 * in TypeScript verifies on-chain. The bytecode is generated, never hand-written or committed.
 *
 * `poseidonArtifact(n)` gives an Ignition/Hardhat-compatible artifact (ABI `poseidon(uint256[n])`
 * and `poseidon(bytes32[n])`), used as `m.contract(name, poseidonArtifact(n))` by
 * deploy/modules/DataAvailability.ts; `deployPoseidon(signer, n)` deploys one from a script.
 */
import type { Artifact } from "@nomicfoundation/ignition-core";
import { poseidonContract } from "circomlibjs";
import { ContractFactory, type BaseContract, type ContractRunner, type InterfaceAbi } from "ethers";

/** Input counts the protocol uses: 4 (nodes of the 4-ary batch tree) and 5 (reading leaves). */
export type PoseidonArity = 4 | 5;

/** Contract names: PoseidonT<n+1>, after the state width t = inputs + 1. */
export function poseidonContractName(n: PoseidonArity): string {
  return `PoseidonT${n + 1}`;
}

export function poseidonArtifact(n: PoseidonArity): Artifact {
  const bytecode = poseidonContract.createCode(n);
  if (!/^0x[0-9a-f]+$/i.test(bytecode)) throw new Error(`circomlibjs returned no bytecode for Poseidon(${n})`);
  return {
    _format: "hh-sol-artifact-1",
    contractName: poseidonContractName(n),
    sourceName: `circomlibjs/poseidon_gencontract.js#${n}`,
    abi: poseidonContract.generateABI(n) as Artifact["abi"],
    bytecode,
    deployedBytecode: "0x",
    linkReferences: {},
    deployedLinkReferences: {},
  };
}

/**
 * Deploys the Poseidon contract with `n` inputs from a script or keeper (outside Ignition) and
 * returns it once mined. `runner` must be able to send transactions (a signer).
 */
export async function deployPoseidon(runner: ContractRunner, n: PoseidonArity): Promise<BaseContract> {
  const artifact = poseidonArtifact(n);
  const factory = new ContractFactory(artifact.abi as InterfaceAbi, artifact.bytecode, runner);
  const contract = await factory.deploy();
  await contract.waitForDeployment();
  return contract;
}
