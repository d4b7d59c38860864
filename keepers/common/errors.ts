/**
 * Reverts by name: every custom error of the compiled contracts (artifacts/, read once) decoded
 * with its argument names, plus a sentence of what to do where one is known. Used by the keepers'
 * logs and the operator CLIs, so nobody has to look up a raw selector such as 0x96debc43.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ErrorFragment, Interface, type ErrorDescription } from "ethers";

/** Governor proposal states, in the contract's enum order. */
export const PROPOSAL_STATES = [
  "Pending",
  "Active",
  "Canceled",
  "Defeated",
  "Succeeded",
  "Queued",
  "Expired",
  "Executed",
] as const;

function statesOf(bitmap: unknown): string {
  const b = BigInt(String(bitmap));
  return PROPOSAL_STATES.filter((_, i) => (b >> BigInt(i)) & 1n).join(" or ");
}

/** What to do about an error, where the kit knows (keyed by error name); a function reads its arguments. */
const HINTS: Readonly<Record<string, string | ((args: readonly unknown[]) => string)>> = {
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
  GovernorUnexpectedProposalState: (a) =>
    `the proposal is ${PROPOSAL_STATES[Number(a[1])]}; this step needs it ${statesOf(a[2])}`,
  GovernorAlreadyCastVote: (a) => `${String(a[0])} has already voted on this proposal`,
  GovernorInsufficientProposerVotes: (a) =>
    `${String(a[0])} has ${String(a[1])} votes at the last block; proposing needs ${String(a[2])} (delegate first?)`,
  GovernorRestrictedProposer: (a) =>
    `the description reserves this proposal for another proposer (#proposer= suffix); ${String(a[0])} cannot submit it`,
  GovernorInvalidSignature: (a) =>
    `the vote signature is not ${String(a[0])}'s for this proposal, choice, reason and nonce (already used?)`,
  GovernorNonexistentProposal: (a) => `no proposal ${String(a[0])} on this governor`,
  TimelockUnexpectedOperationState: "the timelock operation is not ready: queue it first, and wait until its executable time",
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

/** A custom-error revert decoded against every compiled contract's errors. */
export interface DecodedRevert {
  name: string;
  /** Argument values in order. */
  args: unknown[];
  /** Argument values by name (as strings), e.g. for structured logs. */
  named: Record<string, string>;
  /** Argument types in order (empty when decoded from a node's message only). */
  types: string[];
}

/**
 * The one revert decoder of the kit (keepers and CLIs): the revert data wherever ethers or Hardhat
 * put it, decoded with every custom error of the compiled contracts; without data, the
 * `custom error 'Name(args)'` a node may write in its message. Undefined if `e` is none of these.
 */
export function decodeRevert(e: unknown, iface: Interface = errorInterface()): DecodedRevert | undefined {
  const data = revertData(e);
  let parsed: ErrorDescription | null = null;
  if (data) {
    try {
      parsed = iface.parseError(data);
    } catch {
      parsed = null;
    }
  }
  if (parsed) {
    const names = parsed.fragment.inputs.map((p, i) => p.name || `arg${i}`);
    const args = [...parsed.args] as unknown[];
    return {
      name: parsed.name,
      args,
      named: Object.fromEntries(names.map((n, i) => [n, String(args[i])])),
      types: parsed.fragment.inputs.map((p) => p.type),
    };
  }
  const m = /custom error '(\w+)\((.*)\)'/.exec((e as { message?: string } | null)?.message ?? "");
  if (!m) return undefined;
  const args = m[2] === "" ? [] : m[2].split(", ").map((a) => a.replace(/^"|"$/g, ""));
  return { name: m[1], args, named: Object.fromEntries(args.map((a, i) => [`arg${i}`, a])), types: [] };
}

/** "Name(arg=value, …): what to do" for a custom-error revert, or undefined if `e` is none the kit knows. */
export function describeRevert(e: unknown, iface: Interface = errorInterface()): string | undefined {
  const d = decodeRevert(e, iface);
  if (!d) return undefined;
  const args = Object.keys(d.named).map((n, i) => formatArg(d.name, d.types[i] ?? "", n, d.args[i]));
  const hint = HINTS[d.name];
  const text = typeof hint === "function" ? hint(d.args) : hint;
  return `${d.name}(${args.join(", ")})${text ? `: ${text}` : ""}`;
}
