/**
 * Roles audit: who holds what across the deployed protocol, and whether any externally owned
 * account (EOA) keeps an admin-type role or an ownership.
 *
 * - AccessControl holders are enumerated from RoleGranted/RoleRevoked events since each
 *   contract's start block, then confirmed with hasRole() (events find candidates, state decides).
 * - Ownable owners (and Ownable2Step pending owners) are read with owner()/pendingOwner().
 * - An account is an EOA when it has no code, or only an EIP-7702 delegation designator
 *   (0xef0100‖address: a key still controls it).
 * - Admin-type = every role except the operational and pause-only ones below, plus ownership.
 *   Unknown role hashes count as admin-type (fail safe).
 * - Pause-only = a guardian's role that can pause and do nothing else (no unpause, mint, upgrade,
 *   grant or withdrawal): RewardEmission's GUARDIAN_ROLE, which also lets its holders pause the
 *   ClaimPaymaster. A guardian (a Safe, or even an EOA) may hold it; it is reported as such. The
 *   same role name on any other contract counts as admin-type.
 * - Key provenance: every verifier the RewardDistributor uses now (VerifierSet events confirmed
 *   with verifierFor) is asked devKeys()/keyId()/keyProvenance() (IVerifierKeyProvenance). On a
 *   chain that is not a local development chain, development keys (anyone can forge proofs) or
 *   a verifier that declares no provenance fail the audit.
 */
import { Contract, Interface, ZeroAddress, getAddress, id, type Provider } from "ethers";
import type { Deployment } from "./deployments.js";
import {
  CEREMONY_HINT,
  distributorVerifiers,
  isLocalChain,
  keysRefusal,
  readVerifierKeys,
  type VerifierKeys,
} from "./provenance.js";

/** Roles that carry no governance power: keeper permissions and the timelock's open executor. */
export const OPERATIONAL_ROLES = new Set(["OPERATOR_ROLE", "DISTRIBUTOR_ROLE", "EXECUTOR_ROLE"]);
/** Pause-only roles, by the contract's name in the deployment record. */
export const PAUSE_ONLY_ROLES: Readonly<Record<string, readonly string[]>> = { rewardEmission: ["GUARDIAN_ROLE"] };

const ACCESS_CONTROL = new Interface([
  "event RoleGranted(bytes32 indexed role, address indexed account, address indexed sender)",
  "event RoleRevoked(bytes32 indexed role, address indexed account, address indexed sender)",
  "function hasRole(bytes32 role, address account) view returns (bool)",
  "function supportsInterface(bytes4) view returns (bool)",
]);
const OWNABLE = new Interface(["function owner() view returns (address)", "function pendingOwner() view returns (address)"]);
const ROLE_NAMES = [
  "DEFAULT_ADMIN_ROLE",
  "MINTER_ROLE",
  "GUARDIAN_ROLE",
  "DISTRIBUTOR_ROLE",
  "OPERATOR_ROLE",
  "SEQUENCER_ADMIN_ROLE",
  "PROPOSER_ROLE",
  "CANCELLER_ROLE",
  "EXECUTOR_ROLE",
  "MAKER_GOVERNOR_ROLE",
  "DEVICE_GUARDIAN_ROLE",
  "UPGRADER_ROLE",
  "RULE_ADMIN_ROLE",
  "VERIFIER_ADMIN_ROLE",
];
const NAME_OF = new Map<string, string>(ROLE_NAMES.map((n) => [n === "DEFAULT_ADMIN_ROLE" ? "0x" + "00".repeat(32) : id(n), n]));

export type HolderKind = "contract" | "eoa" | "anyone";

export interface Holding {
  contract: string;
  /** Role name, role hash if unknown, or "owner" / "pendingOwner". */
  role: string;
  holder: string;
  /** The holder's name in the deployment, if it is one of its contracts. */
  holderName?: string;
  kind: HolderKind;
  adminType: boolean;
  /** A pause-only guardian role: allowed for any holder, reported as a guardian. */
  pauseOnly: boolean;
  violation: boolean;
}

export interface VerifierFinding extends VerifierKeys {
  /** Batch-tree depth the distributor uses this verifier for. */
  depth: number;
  slots: number;
  violation: boolean;
  /** Why it fails (development keys or no provenance on a non-local chain). */
  reason?: string;
}

export interface AuditReport {
  chainId: number;
  /** True on a local development chain (development keys allowed there). */
  localChain: boolean;
  holdings: Holding[];
  /** Holders of pause-only roles other than the deployment's own contracts (the guardians). */
  guardians: string[];
  violations: Holding[];
  verifiers: VerifierFinding[];
  ok: boolean;
}

export async function accountKind(provider: Provider, account: string): Promise<HolderKind> {
  if (account === ZeroAddress) return "anyone";
  const code = await provider.getCode(account);
  if (code === "0x" || (code.length === 48 && code.toLowerCase().startsWith("0xef0100"))) return "eoa";
  return "contract";
}

async function roleHolders(provider: Provider, address: string, fromBlock: number): Promise<[string, string][]> {
  const granted = ACCESS_CONTROL.getEvent("RoleGranted")!.topicHash;
  const revoked = ACCESS_CONTROL.getEvent("RoleRevoked")!.topicHash;
  const logs = await provider.getLogs({ address, fromBlock, toBlock: "latest", topics: [[granted, revoked]] });
  const candidates = new Map<string, [string, string]>();
  for (const log of logs) {
    const role = log.topics[1];
    const account = getAddress("0x" + log.topics[2].slice(26));
    candidates.set(`${role}:${account}`, [role, account]);
  }
  const ac = new Contract(address, ACCESS_CONTROL, provider);
  const held: [string, string][] = [];
  for (const [role, account] of candidates.values()) {
    if ((await ac.getFunction("hasRole").staticCall(role, account)) as boolean) held.push([role, account]);
  }
  return held;
}

async function tryCall(provider: Provider, address: string, fn: "owner" | "pendingOwner"): Promise<string | undefined> {
  try {
    const data = await provider.call({ to: address, data: OWNABLE.encodeFunctionData(fn) });
    if (data.length !== 66) return undefined;
    return getAddress(OWNABLE.decodeFunctionResult(fn, data)[0] as string);
  } catch {
    return undefined;
  }
}

export async function auditRoles(provider: Provider, deployment: Deployment): Promise<AuditReport> {
  const nameOfAddress = new Map(Object.entries(deployment.contracts).map(([n, c]) => [c.address, n]));
  const kinds = new Map<string, HolderKind>();
  const kindOf = async (a: string): Promise<HolderKind> => {
    if (!kinds.has(a)) kinds.set(a, await accountKind(provider, a));
    return kinds.get(a)!;
  };
  const holdings: Holding[] = [];
  const add = async (contract: string, role: string, holder: string, adminType: boolean, pauseOnly = false): Promise<void> => {
    const kind = await kindOf(holder);
    holdings.push({
      contract,
      role,
      holder,
      holderName: nameOfAddress.get(holder),
      kind,
      adminType,
      pauseOnly,
      violation: adminType && kind !== "contract",
    });
  };
  for (const [name, c] of Object.entries(deployment.contracts)) {
    for (const [role, account] of await roleHolders(provider, c.address, c.startBlock)) {
      const roleName = NAME_OF.get(role) ?? role;
      const pauseOnly = PAUSE_ONLY_ROLES[name]?.includes(roleName) ?? false;
      await add(name, roleName, account, !pauseOnly && !OPERATIONAL_ROLES.has(roleName), pauseOnly);
    }
    const owner = await tryCall(provider, c.address, "owner");
    if (owner !== undefined && owner !== ZeroAddress) await add(name, "owner", owner, true);
    const pending = await tryCall(provider, c.address, "pendingOwner");
    if (pending !== undefined && pending !== ZeroAddress) await add(name, "pendingOwner", pending, true);
  }
  const violations = holdings.filter((h) => h.violation);
  const guardians = [...new Set(holdings.filter((h) => h.pauseOnly && h.holderName === undefined).map((h) => h.holder))];
  const { chainId } = await provider.getNetwork();
  const verifiers: VerifierFinding[] = [];
  const distributor = deployment.contracts.rewardDistributor;
  if (distributor !== undefined) {
    for (const v of await distributorVerifiers(provider, distributor.address, distributor.startBlock)) {
      const keys = await readVerifierKeys(provider, nameOfAddress.get(v.verifier) ?? `verifier of depth ${v.depth}`, v.verifier);
      const reason = keysRefusal(keys, chainId);
      verifiers.push({ ...keys, depth: v.depth, slots: v.slots, violation: reason !== undefined, reason });
    }
  }
  return {
    chainId: Number(chainId),
    localChain: isLocalChain(chainId),
    holdings,
    guardians,
    violations,
    verifiers,
    ok: violations.length === 0 && verifiers.every((v) => !v.violation),
  };
}

export function formatAudit(report: AuditReport): string {
  const rows = report.holdings.map((h) => [
    h.violation ? "FAIL" : "ok",
    h.contract,
    h.role,
    h.holderName ? `${h.holderName} (${h.holder})` : h.holder,
    h.kind,
    h.pauseOnly ? "pause-only" : h.adminType ? "admin" : "operational",
  ]);
  const header = ["", "contract", "role", "holder", "kind", "power"];
  const widths = header.map((_, i) => Math.max(header[i].length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]): string =>
    r
      .map((c, i) => c.padEnd(widths[i]))
      .join("  ")
      .trimEnd();
  const keyLines = report.verifiers.map((v) => {
    const status = v.violation ? "FAIL" : v.devKeys === false ? "ok" : report.localChain ? "dev" : "ok";
    const what =
      v.devKeys === undefined
        ? "no key provenance declared"
        : `${v.devKeys ? "DEVELOPMENT keys" : "ceremony keys"}, keyId ${v.keyId}: ${v.provenance ?? ""}`;
    return `${status.padEnd(4)}  verifier depth ${v.depth} (${v.slots} slots) ${v.name} ${v.address ?? ""}: ${what}`;
  });
  const badKeys = report.verifiers.filter((v) => v.violation).length;
  const problems = [
    report.violations.length > 0 ? `${report.violations.length} admin holding(s) by externally owned accounts` : "",
    badKeys > 0
      ? `${badKeys} verifier(s) with development or undeclared keys on chain ${report.chainId} (not a local chain): ${CEREMONY_HINT}`
      : "",
  ].filter((p) => p !== "");
  const summary = report.ok
    ? `roles audit passed: no externally owned account holds an admin role (${report.holdings.length} holdings)` +
      (report.verifiers.some((v) => v.devKeys !== false) ? `; development keys allowed on local chain ${report.chainId}` : "")
    : `roles audit FAILED: ${problems.join("; ")}`;
  const keys = keyLines.length > 0 ? ["", "verifier keys:", ...keyLines] : [];
  const guardians =
    report.guardians.length === 0
      ? "guardian: none (only governance can pause)"
      : `guardian (pause only: cannot unpause, mint, upgrade, grant roles or move funds): ${report.guardians.join(", ")}`;
  return [line(header), ...rows.map(line), ...keys, "", guardians, summary].join("\n");
}
