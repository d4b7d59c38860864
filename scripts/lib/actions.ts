/**
 * Named governance actions: the human-readable vocabulary of proposals. A proposal file is
 *
 *   { "title": "Shorter DA retention",
 *     "description": "Why this change… (markdown)",
 *     "actions": [ { "action": "set retention window", "seconds": 604800 },
 *                  { "action": "add sequencer", "account": "0x…" } ] }
 *
 * Each action names its target contract by its deployment name (deployments/<chainId>.json) and
 * is encoded to one (target, value, calldata) call executed by the timelock. The DAO CLI, the
 * tests and anyone reviewing a proposal share this one table; `describeActions` renders what a
 * proposal will do, call by call, from its calldata.
 */
import { Interface, ZeroHash, getAddress, id, isHexString, type InterfaceAbi } from "ethers";
import {
  ClaimPaymaster__factory,
  DataAvailability__factory,
  DeviceAccountFactory__factory,
  DeviceRegistry__factory,
  DataCredits__factory,
  ProtocolGovernor__factory,
  ProtocolTimelock__factory,
  RewardDistributor__factory,
  RewardEmission__factory,
  RewardToken__factory,
} from "../../types/typechain/index.js";
import { contractAddress, type Deployment } from "./deployments.js";

export type ParamType = "address" | "uint" | "string" | "bytes" | "bytes32" | "role";

export interface ActionSpec {
  /** What the proposal file says ("set retention window"). */
  name: string;
  summary: string;
  /** Deployment name of the target, or "*" when the action's `contract` field names it. */
  contract: string;
  /** Function called on the target. */
  fn: string;
  /** The action's fields, in call-argument order. */
  params: [string, ParamType][];
  /** Shapes the coerced fields into the call's arguments (structs); default: as listed. */
  toArgs?: (fields: (string | bigint)[]) => unknown[];
}

export interface Call {
  target: string;
  value: bigint;
  data: string;
}

export class ActionError extends Error {
  override name = "ActionError";
}

/** Interfaces by deployment name; later layers add themselves here. */
export const INTERFACES: Record<string, Interface> = {
  rewardToken: RewardToken__factory.createInterface(),
  rewardEmission: RewardEmission__factory.createInterface(),
  dataCredits: DataCredits__factory.createInterface(),
  dataAvailability: DataAvailability__factory.createInterface(),
  claimPaymaster: ClaimPaymaster__factory.createInterface(),
  timelock: ProtocolTimelock__factory.createInterface(),
  governor: ProtocolGovernor__factory.createInterface(),
  deviceRegistry: DeviceRegistry__factory.createInterface(),
  deviceAccountFactory: DeviceAccountFactory__factory.createInterface(),
  rewardDistributor: RewardDistributor__factory.createInterface(),
};

export const ACTIONS: ActionSpec[] = [
  // Data availability
  {
    name: "set retention window",
    summary: "seconds DA payloads are served after commit",
    contract: "dataAvailability",
    fn: "setRetentionWindow",
    params: [["seconds", "uint"]],
  },
  {
    name: "set challenge window",
    summary: "seconds a DA batch can be challenged",
    contract: "dataAvailability",
    fn: "setChallengeWindow",
    params: [["seconds", "uint"]],
  },
  {
    name: "set batch consumer",
    summary: "contract settling DA batches (the distributor): the challenge window stays below its settlement delay",
    contract: "dataAvailability",
    fn: "setBatchConsumer",
    params: [["consumer", "address"]],
  },
  {
    name: "set unbonding delay",
    summary: "seconds between a sequencer's unbonding and withdrawal",
    contract: "dataAvailability",
    fn: "setUnbondingDelay",
    params: [["seconds", "uint"]],
  },
  {
    name: "set min bond",
    summary: "wei a sequencer must bond to commit",
    contract: "dataAvailability",
    fn: "setMinBond",
    params: [["amount", "uint"]],
  },
  {
    name: "set slash amount",
    summary: "wei slashed per invalidated batch",
    contract: "dataAvailability",
    fn: "setSlashAmount",
    params: [["amount", "uint"]],
  },
  {
    name: "add sequencer",
    summary: "admit an account to the sequencer set",
    contract: "dataAvailability",
    fn: "addSequencer",
    params: [["account", "address"]],
  },
  {
    name: "remove sequencer",
    summary: "remove an account from the sequencer set",
    contract: "dataAvailability",
    fn: "removeSequencer",
    params: [["account", "address"]],
  },
  {
    name: "withdraw slashed funds",
    summary: "send slashed bonds to an address",
    contract: "dataAvailability",
    fn: "withdrawSlashedFunds",
    params: [
      ["to", "address"],
      ["amount", "uint"],
    ],
  },
  // Emission
  {
    name: "add emission segment",
    summary: "new emission curve segment from an epoch on",
    contract: "rewardEmission",
    fn: "addSegment",
    params: [
      ["startEpoch", "uint"],
      ["initialEmission", "uint"],
      ["decayFactorBps", "uint"],
      ["decayPeriod", "uint"],
    ],
  },
  {
    name: "set mint breaker",
    summary: "most tokens minted in one wall-clock epoch (circuit breaker)",
    contract: "rewardEmission",
    fn: "setMaxMintPerEpoch",
    params: [["amount", "uint"]],
  },
  { name: "pause emission", summary: "stop minting", contract: "rewardEmission", fn: "pause", params: [] },
  { name: "unpause emission", summary: "resume minting", contract: "rewardEmission", fn: "unpause", params: [] },
  // Data credits
  {
    name: "set price feed",
    summary: "Chainlink token/USD feed used to price data credits",
    contract: "dataCredits",
    fn: "setPriceFeed",
    params: [["feed", "address"]],
  },
  {
    name: "set max price age",
    summary: "oldest accepted price, seconds",
    contract: "dataCredits",
    fn: "setMaxPriceAge",
    params: [["seconds", "uint"]],
  },
  {
    name: "set credit price",
    summary: "USD per data credit, 18 decimals",
    contract: "dataCredits",
    fn: "setUsdPerCredit",
    params: [["usdPerCredit", "uint"]],
  },
  // Paymaster
  {
    name: "set paymaster budget",
    summary: "wei of gas sponsored per epoch and per account per epoch",
    contract: "claimPaymaster",
    fn: "setBudgets",
    params: [
      ["epochBudget", "uint"],
      ["accountBudget", "uint"],
    ],
  },
  {
    name: "set paymaster device directory",
    summary: "device directory whose accounts the paymaster sponsors",
    contract: "claimPaymaster",
    fn: "setDeviceDirectory",
    params: [["directory", "address"]],
  },
  // Identity
  {
    name: "approve maker",
    summary: "let a device maker attest device keys",
    contract: "deviceRegistry",
    fn: "approveMaker",
    params: [
      ["maker", "address"],
      ["name", "string"],
    ],
  },
  {
    name: "revoke maker",
    summary: "withdraw a maker's approval",
    contract: "deviceRegistry",
    fn: "revokeMaker",
    params: [["maker", "address"]],
  },
  {
    name: "suspend device",
    summary: "suspend an active device",
    contract: "deviceRegistry",
    fn: "suspend",
    params: [["deviceId", "uint"]],
  },
  {
    name: "resume device",
    summary: "resume a suspended device",
    contract: "deviceRegistry",
    fn: "resume",
    params: [["deviceId", "uint"]],
  },
  // Reward settlement
  {
    name: "set reward range",
    summary: "reward rule from an epoch on: readings in [minValue, maxValue] earn a point, capped per batch",
    contract: "rewardDistributor",
    fn: "scheduleRule",
    params: [
      ["fromEpoch", "uint"],
      ["minValue", "uint"],
      ["maxValue", "uint"],
      ["capPerBatch", "uint"],
    ],
    toArgs: ([fromEpoch, minValue, maxValue, capPerBatch]) => [fromEpoch, [minValue, maxValue, capPerBatch]],
  },
  {
    name: "replace verifier",
    summary: "the Groth16 verifier for batches of a depth (4-ary tree levels: 2 = 16 readings, 4 = 256; a new circuit instance)",
    contract: "rewardDistributor",
    fn: "setVerifier",
    params: [
      ["depth", "uint"],
      ["verifier", "address"],
      ["slots", "uint"],
    ],
  },
  // Governance itself
  {
    name: "set timelock delay",
    summary: "seconds between queueing and executing",
    contract: "timelock",
    fn: "updateDelay",
    params: [["seconds", "uint"]],
  },
  {
    name: "set voting period",
    summary: "blocks voting stays open",
    contract: "governor",
    fn: "setVotingPeriod",
    params: [["blocks", "uint"]],
  },
  {
    name: "set quorum",
    summary: "quorum, percent of supply",
    contract: "governor",
    fn: "updateQuorumNumerator",
    params: [["percent", "uint"]],
  },
  // Any contract
  {
    name: "grant role",
    summary: "grant an AccessControl role (name or hash) on a contract",
    contract: "*",
    fn: "grantRole",
    params: [
      ["role", "role"],
      ["account", "address"],
    ],
  },
  {
    name: "revoke role",
    summary: "revoke an AccessControl role (name or hash) on a contract",
    contract: "*",
    fn: "revokeRole",
    params: [
      ["role", "role"],
      ["account", "address"],
    ],
  },
  {
    name: "upgrade",
    summary: "UUPS upgrade of a proxy to a validated implementation (optional call data)",
    contract: "*",
    fn: "upgradeToAndCall",
    params: [
      ["implementation", "address"],
      ["data", "bytes"],
    ],
  },
];

/** Registers more actions and interfaces (used by layers that join the deployment later). */
export function registerActions(specs: ActionSpec[], interfaces: Record<string, InterfaceAbi | Interface> = {}): void {
  for (const [name, abi] of Object.entries(interfaces)) {
    INTERFACES[name] = abi instanceof Interface ? abi : new Interface(abi);
  }
  for (const s of specs) {
    if (ACTIONS.some((a) => a.name === s.name)) throw new ActionError(`action "${s.name}" is already registered`);
    ACTIONS.push(s);
  }
}

export function actionSpec(name: string): ActionSpec {
  const spec = ACTIONS.find((a) => a.name === name.trim().toLowerCase());
  if (!spec) throw new ActionError(`unknown action "${name}"; known: ${ACTIONS.map((a) => a.name).join(", ")}`);
  return spec;
}

/** A role name ("MINTER_ROLE" = keccak256 of the name; DEFAULT_ADMIN_ROLE = 0x00…) or a hash. */
export function roleHash(value: string): string {
  if (value === "DEFAULT_ADMIN_ROLE") return ZeroHash;
  if (/^[A-Z0-9_]+_ROLE$/.test(value)) return id(value);
  if (isHexString(value, 32)) return value;
  throw new Error("must be a role name like MINTER_ROLE or a 32-byte hash");
}

function coerce(type: ParamType, value: unknown): string | bigint {
  switch (type) {
    case "address":
      if (typeof value !== "string" || !isHexString(value, 20)) throw new Error("must be an address (0x and 40 hex digits)");
      try {
        return getAddress(value);
      } catch {
        throw new Error("has a bad checksum (write it all lower-case or correctly checksummed)");
      }
    case "uint": {
      if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
      if (typeof value === "string" && /^(0|[1-9][0-9]*)$/.test(value)) return BigInt(value);
      throw new Error("must be an unsigned integer (a JSON number, or a decimal string for big values)");
    }
    case "string":
      if (typeof value !== "string") throw new Error("must be a string");
      return value;
    case "bytes":
      if (value === undefined) return "0x";
      if (typeof value !== "string" || !isHexString(value) || value.length % 2 !== 0) throw new Error("must be 0x-hex bytes");
      return value;
    case "bytes32":
      if (typeof value !== "string" || !isHexString(value, 32)) throw new Error("must be 32 bytes of 0x-hex");
      return value;
    case "role":
      if (typeof value !== "string") throw new Error("must be a role name or hash");
      return roleHash(value);
  }
}

/** One action of a proposal file → the timelock's call. The error names the action and field. */
export function encodeAction(raw: unknown, deployment: Deployment, index = 0): Call {
  if (typeof raw !== "object" || raw === null) throw new ActionError(`actions[${index}] must be an object`);
  const fields = raw as Record<string, unknown>;
  if (typeof fields.action !== "string") throw new ActionError(`actions[${index}].action must name an action`);
  let spec: ActionSpec;
  try {
    spec = actionSpec(fields.action);
  } catch (e) {
    throw new ActionError(`actions[${index}]: ${(e as Error).message}`);
  }
  const where = `actions[${index}] ("${spec.name}")`;
  let contractName = spec.contract;
  if (contractName === "*") {
    if (typeof fields.contract !== "string") throw new ActionError(`${where}: "contract" must name a deployed contract`);
    contractName = fields.contract;
  }
  const allowed = new Set(["action", ...spec.params.map(([n]) => n), ...(spec.contract === "*" ? ["contract"] : [])]);
  for (const k of Object.keys(fields)) {
    if (!allowed.has(k))
      throw new ActionError(`${where}: unknown field "${k}" (fields: ${[...allowed].slice(1).join(", ") || "none"})`);
  }
  const args = spec.params.map(([name, type]) => {
    try {
      return coerce(type, fields[name]);
    } catch (e) {
      throw new ActionError(`${where}: "${name}" ${(e as Error).message} (got ${JSON.stringify(fields[name])})`);
    }
  });
  const target = contractAddress(deployment, contractName);
  const iface = INTERFACES[contractName] ?? INTERFACES[baseName(contractName)];
  if (!iface?.getFunction(spec.fn)) throw new ActionError(`${where}: contract "${contractName}" has no ${spec.fn}()`);
  try {
    return { target, value: 0n, data: iface.encodeFunctionData(spec.fn, spec.toArgs ? spec.toArgs(args) : args) };
  } catch (e) {
    throw new ActionError(`${where}: ${(e as Error).message}`);
  }
}

function baseName(name: string): string {
  return name.replace(/Implementation$/, "");
}

export interface ProposalFile {
  title: string;
  description: string;
  actions: unknown[];
}

export function parseProposalFile(raw: unknown): ProposalFile {
  if (typeof raw !== "object" || raw === null) throw new ActionError("proposal file must be a JSON object");
  const r = raw as Record<string, unknown>;
  if (typeof r.title !== "string" || r.title.trim() === "")
    throw new ActionError('proposal file: "title" must be a non-empty string');
  if (r.description !== undefined && typeof r.description !== "string")
    throw new ActionError('proposal file: "description" must be a string');
  if (!Array.isArray(r.actions) || r.actions.length === 0)
    throw new ActionError('proposal file: "actions" must be a non-empty array');
  return { title: r.title, description: (r.description as string | undefined) ?? "", actions: r.actions };
}

/** The proposal's calls, ready for Governor.propose. */
export function encodeProposal(file: ProposalFile, deployment: Deployment): { calls: Call[]; description: string } {
  const calls = file.actions.map((a, i) => encodeAction(a, deployment, i));
  return { calls, description: `# ${file.title}\n\n${file.description}`.trimEnd() };
}

/** Renders calls as "contract.function(args)" lines, decoding with the known interfaces. */
export function describeCalls(calls: Call[], deployment: Deployment): string[] {
  const byAddress = new Map(Object.entries(deployment.contracts).map(([n, c]) => [c.address.toLowerCase(), n]));
  return calls.map((c) => {
    const name = byAddress.get(c.target.toLowerCase()) ?? c.target;
    const iface = INTERFACES[name];
    const parsed = iface?.parseTransaction({ data: c.data, value: c.value });
    if (!parsed) return `${name}: raw call ${c.data.slice(0, 10)}… value ${c.value}`;
    const args = parsed.args.map((a: unknown) => (typeof a === "bigint" ? a.toString() : String(a)));
    return `${name}.${parsed.name}(${args.join(", ")})${c.value > 0n ? ` value ${c.value}` : ""}`;
  });
}
