/**
 * Compiles one generated verifier source with the project's compiler (the npm `solc` wasm build,
 * the settings of hardhat.config.ts: optimizer on, 200 runs, EVM prague), outside Hardhat: for
 * verifiers that are not in contracts/ (a ceremony's export) and for comparing a deployed
 * verifier's code with the code its source compiles to.
 */
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

export interface CompiledVerifier {
  abi: unknown[];
  /** Creation code, 0x-prefixed. */
  bytecode: string;
  /** Runtime code, 0x-prefixed. */
  deployedBytecode: string;
}

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string }[];
  contracts?: Record<
    string,
    Record<string, { abi: unknown[]; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }>
  >;
}

export function compileVerifier(source: string, contractName: string, fileName = `${contractName}.sol`): CompiledVerifier {
  const solc = require("solc") as { compile(input: string): string };
  const input = {
    language: "Solidity",
    sources: { [fileName]: { content: source } },
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: "prague",
      outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
    },
  };
  const out = JSON.parse(solc.compile(JSON.stringify(input))) as SolcOutput;
  const errors = (out.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length > 0) throw new Error(`solc: ${fileName}:\n${errors.map((e) => e.formattedMessage).join("\n")}`);
  const c = out.contracts?.[fileName]?.[contractName];
  if (!c) throw new Error(`solc: ${fileName} has no contract ${contractName}`);
  return { abi: c.abi, bytecode: `0x${c.evm.bytecode.object}`, deployedBytecode: `0x${c.evm.deployedBytecode.object}` };
}

/**
 * Runtime code without the trailing CBOR metadata (its length is the last two bytes): two
 * compilations of the same source under different file names differ only there.
 */
export function stripMetadata(code: string): string {
  const hex = code.replace(/^0x/, "").toLowerCase();
  if (hex.length < 4) return hex;
  const len = parseInt(hex.slice(-4), 16);
  const cut = hex.length - 4 - 2 * len;
  return cut > 0 ? hex.slice(0, cut) : hex;
}
