/**
 * Reverts by name: every custom error of the compiled contracts (artifacts/, read once) decoded
 * with its argument names, plus a sentence of what to do where one is known. Used by the keepers'
 * logs and the operator CLIs, so nobody has to look up a raw selector such as 0x96debc43.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ErrorFragment, Interface, type ErrorDescription } from "ethers";

/** What to do about an error, where the kit knows (keyed by error name). */
const HINTS: Readonly<Record<string, string>> = {
  DataAvailabilityNotSequencer: "this account is not in the sequencer set: governance adds sequencers (docs/governance.md)",
  DataAvailabilityNotBonded: "bond first: npm run ops -- bond --amount <ETH> (see npm run ops -- sequencer)",
  DataAvailabilityBondLocked:
    "each open batch keeps slashAmount of the bond at stake: bond more, or wait for open batches to become final",
  DataAvailabilityUnbonding: "the sequencer is unbonding: it cannot commit, and withdraws after the unbonding delay",
  DataAvailabilityUnexpectedBatchId: "another committer is ahead: the DA keeper re-reads nextBatchId() on its next tick",
  DataAvailabilityRootAlreadyCommitted:
    "this root is already committed under another batch id: the same readings cannot be committed twice",
  RewardDistributorBatchNotFinal: "the batch is still in its DA challenge window: settle after it ends",
  RewardDistributorEpochClosed: "the batch's epoch is already closed: its points can no longer be settled",
  RewardDistributorNothingToClaim: "this device earned no points in that epoch",
  RewardDistributorAlreadyClaimed: "already claimed",
  RewardDistributorEpochNotClosed: "the epoch is not closed yet: claims open after the epoch keeper closes it",
  RewardDistributorDeviceNotActive: "only Active devices are paid: activate the device (npm run identity -- activate)",
  RewardDistributorNotDeviceController: "only the device's holder or its device account may claim",
  DeviceRegistryInvalidTransition: "the device is not in a state that allows this step (see docs/identity.md for the lifecycle)",
  DeviceRegistryNotDeviceOwner: "only the device's holder may do this",
  PaymasterEpochOutOfRange: "that epoch cannot be sponsored (its window does not fit a UserOperation's time range)",
  EnforcedPause: "paused by the guardian or governance",
  AccessControlUnauthorizedAccount:
    "this account lacks the role: after hand-over only the timelock holds admin roles (propose it through governance)",
};

const DEVICE_STATUS = ["None", "Provisioned", "Bound", "Active", "Suspended", "Decommissioned"];
const BATCH_STATUS = ["None", "Committed", "Invalidated"];

let cached: Interface | undefined;

/** One Interface holding every custom error found under `artifactsDir` (deduplicated by selector). */
export function errorInterface(
  artifactsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../artifacts"),
): Interface {
  if (cached) return cached;
  const bySelector = new Map<string, unknown>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith(".json") && !name.endsWith(".dbg.json")) {
        let abi: unknown;
        try {
          abi = (JSON.parse(readFileSync(full, "utf8")) as { abi?: unknown }).abi;
        } catch {
          continue;
        }
        if (!Array.isArray(abi)) continue;
        for (const item of abi as { type?: string }[]) {
          if (item.type !== "error") continue;
          const f = ErrorFragment.from(item);
          if (!bySelector.has(f.selector)) bySelector.set(f.selector, item);
        }
      }
    }
  };
  if (existsSync(artifactsDir)) walk(artifactsDir);
  cached = new Interface([...bySelector.values()] as never);
  return cached;
}

/** The revert data inside an ethers / Hardhat error, wherever it sits. */
export function revertData(e: unknown): string | undefined {
  const seen = new Set<unknown>();
  const find = (x: unknown): string | undefined => {
    if (!x || typeof x !== "object" || seen.has(x)) return undefined;
    seen.add(x);
    const o = x as { data?: unknown; error?: unknown; info?: unknown; cause?: unknown };
    if (typeof o.data === "string" && /^0x[0-9a-fA-F]{8}/.test(o.data)) return o.data;
    return find(o.error) ?? find(o.info) ?? find(o.cause) ?? find(o.data);
  };
  return find(e);
}

/** Enum arguments (uint8 in the ABI) get their names: batch or device status by the error's name. */
function formatArg(error: string, type: string, name: string, v: unknown): string {
  if (type === "uint8" && /status|from|to/i.test(name)) {
    const n = Number(v);
    const names = /Batch/.test(error) ? BATCH_STATUS : DEVICE_STATUS;
    return `${name}=${n}${names[n] ? ` (${names[n]})` : ""}`;
  }
  return `${name}=${typeof v === "string" ? v : String(v)}`;
}

/** "Name(arg=value, …): what to do" for a custom-error revert, or undefined if `e` is none the kit knows. */
export function describeRevert(e: unknown, iface: Interface = errorInterface()): string | undefined {
  const data = revertData(e);
  let parsed: ErrorDescription | null = null;
  if (data) {
    try {
      parsed = iface.parseError(data);
    } catch {
      parsed = null;
    }
  }
  if (!parsed) return undefined;
  const args = parsed.fragment.inputs.map((p, i) => formatArg(parsed.name, p.type, p.name || `arg${i}`, parsed.args[i]));
  const hint = HINTS[parsed.name];
  return `${parsed.name}(${args.join(", ")})${hint ? `: ${hint}` : ""}`;
}
