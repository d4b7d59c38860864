import { readFileSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import {
  assertUpgradeSafe,
  getContractVersion,
  getStorageLayout,
  getStorageUpgradeErrors,
  makeNamespacedInput,
  solcInputOutputDecoder,
  trySanitizeNatSpec,
  validate,
  type SolcInput,
  type SolcOutput,
  type StorageLayout,
  type ValidationOptions,
} from "@openzeppelin/upgrades-core";

/**
 * Upgrade-safety validation with the engine behind @openzeppelin/hardhat-upgrades
 * (`validateImplementation` / `validateUpgrade`), run directly on Hardhat's build info. The
 * plugin's own API needs it registered in hardhat.config.ts (it writes its validations cache from
 * a build hook); until then this helper does the same steps: validate the compiler output, with
 * the ERC-7201 namespaces recompiled as plain storage so their layout is compared member by member.
 */
export interface LayoutCheck {
  assertUpgradeSafe(contract: string): void;
  upgradeErrors(from: string, to: string): string[];
  layout(contract: string): StorageLayout;
}

const require = createRequire(import.meta.url);

function latestBuildInfoWith(source: string): { input: SolcInput; output: SolcOutput; version: string } {
  const dir = path.resolve("artifacts/build-info");
  const candidates = readdirSync(dir)
    .filter((f) => f.endsWith(".json") && !f.endsWith(".output.json"))
    .map((f) => path.join(dir, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  for (const file of candidates) {
    const info = JSON.parse(readFileSync(file, "utf8")) as { solcVersion: string; input: SolcInput };
    if (!(source in info.input.sources)) continue;
    const out = JSON.parse(readFileSync(file.replace(/\.json$/, ".output.json"), "utf8")) as { output: SolcOutput };
    return { input: info.input, output: out.output, version: info.solcVersion };
  }
  throw new Error(`no build info contains ${source}; run npx hardhat build`);
}

export async function layoutCheck(source: string, opts: ValidationOptions): Promise<LayoutCheck> {
  const { input, output, version } = latestBuildInfoWith(source);
  const solc = require("solc") as { compile(input: string): string };
  let namespacedInput = makeNamespacedInput(input, output, version);
  namespacedInput = await trySanitizeNatSpec(namespacedInput, version);
  const namespacedOutput = JSON.parse(solc.compile(JSON.stringify(namespacedInput))) as SolcOutput & {
    errors?: { severity: string; formattedMessage: string }[];
  };
  const errors = (namespacedOutput.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length > 0) throw new Error(errors.map((e) => e.formattedMessage).join("\n"));
  const runData = validate(output, solcInputOutputDecoder(input, output), version, input, namespacedOutput);
  const data = [runData];
  return {
    assertUpgradeSafe: (contract) => assertUpgradeSafe(data, getContractVersion(runData, contract), opts),
    layout: (contract) => getStorageLayout(data, getContractVersion(runData, contract)),
    upgradeErrors: (from, to) =>
      getStorageUpgradeErrors(
        getStorageLayout(data, getContractVersion(runData, from)),
        getStorageLayout(data, getContractVersion(runData, to)),
        opts,
      ).map((e) => JSON.stringify(e)),
  };
}
