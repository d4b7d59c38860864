/**
 * The deployment parameter file's schema, checked by scripts/deploy.ts BEFORE any transaction.
 *
 * Every field the protocol modules read (deploy/protocol.ts and deploy/modules/*.ts) is listed
 * with its Solidity type, whether it is required, its default, and the rule the contract enforces
 * on it, so that a file that passes cannot revert mid-deploy for a parameter reason. The
 * contract-side rules mirrored here (the revert each one prevents is named in `rule`):
 *
 *   RewardToken      cap ≤ 2^208-1 (ERC20InvalidCap); genesisSupply ≤ cap (ERC20ExceededCap);
 *                    genesisHolder ≠ 0 (ERC20InvalidReceiver)
 *   RewardEmission   epochLength > 0, decayPeriod > 0, decayFactorBps ≤ 10,000 (EmissionBadParameter)
 *   DataCredits      priceFeed ≠ 0, maxPriceAge > 0, usdPerCredit > 0 (DataCreditsBadParameter)
 *   DataAvailability 0 < challengeWindow ≤ retentionWindow, ≤ unbondingDelay; minBond > 0;
 *                    challengerRewardBps ≤ 10,000 (DataAvailabilityBadParameter)
 *   RewardDistributor settlementDelay > challengeWindow (RewardDistributorSettlementDelayTooShort,
 *                    and DataAvailabilityChallengeWindowTooLong in setBatchConsumer);
 *                    ruleMinValue ≤ ruleMaxValue (RewardDistributorBadRule)
 *   ProtocolGovernor votingPeriod > 0 (GovernorInvalidVotingPeriod); quorumNumerator ≤ 100
 *                    (GovernorInvalidQuorumFraction)
 *   ClaimPaymaster   accountBudget ≤ epochBudget; genesisTime + epochLength - 1 ≤ 2^48-1
 *                    (PaymasterBadParameter)
 *   every uintN      fits its Solidity type (ABI encoding fails otherwise)
 *
 * Checks that need the chain (code at priceFeed/entryPoint, the deployer's balance for `deposit`
 * and gas) are in scripts/deploy.ts (`onlineChecks`).
 *
 * Values: JSON numbers (safe integers) or Ignition's bigint strings ("1000n"); addresses as
 * 0x strings; a field left out takes its default.
 */
import { getAddress, isAddress } from "ethers";

export const MODULE_NAMES = ["DevProtocol", "Protocol"] as const;
export type ModuleName = (typeof MODULE_NAMES)[number];

type Kind =
  | { type: "uint"; bits: number; min?: bigint; max?: bigint }
  | { type: "int"; bits: number }
  | { type: "address" }
  | { type: "string" }
  | { type: "bytes4" };

export interface FieldSpec {
  name: string;
  kind: Kind;
  /** Required (no default): the module cannot be built without it. */
  required?: boolean;
  /** Default used by the module when the field is absent (documentation; "deployer" = account 0). */
  default?: string;
  /** Only for this module (both when absent). */
  only?: ModuleName;
  /** What it is, and the contract rule that bounds it. */
  doc: string;
}

const DAY = 86_400n;
const TOKEN = 10n ** 18n;
export const UINT48_MAX = (1n << 48n) - 1n;
export const VOTES_MAX = (1n << 208n) - 1n;

export const FIELDS: FieldSpec[] = [
  // External dependencies (Protocol) / mocks (DevProtocol).
  {
    name: "priceFeed",
    kind: { type: "address" },
    required: true,
    only: "Protocol",
    doc: "Chainlink token/USD AggregatorV3 feed; ≠ 0 (DataCreditsBadParameter)",
  },
  {
    name: "entryPoint",
    kind: { type: "address" },
    only: "Protocol",
    default: "0x4337084D9E255Ff0702461CF8895CE9E3b5Ff108",
    doc: "ERC-4337 EntryPoint v0.8; ≠ 0, must have code (ClaimPaymaster checks its interface)",
  },
  { name: "decimals", kind: { type: "uint", bits: 8 }, only: "DevProtocol", default: "8", doc: "mock price feed decimals" },
  {
    name: "answer",
    kind: { type: "int", bits: 256 },
    only: "DevProtocol",
    default: "5000000",
    doc: "mock price (0.05 USD at 8 decimals)",
  },
  // Token and genesis allocation.
  { name: "name", kind: { type: "string" }, default: "DePIN Reward", doc: "token name" },
  { name: "symbol", kind: { type: "string" }, default: "DPR", doc: "token symbol" },
  {
    name: "cap",
    kind: { type: "uint", bits: 256, max: VOTES_MAX },
    default: `${1_000_000_000n * TOKEN}`,
    doc: "hard supply cap, wei; ≤ 2^208-1 (ERC20InvalidCap)",
  },
  {
    name: "genesisHolder",
    kind: { type: "address" },
    default: "deployer",
    doc: "receives the genesis tokens = the initial votes (a Safe or distributor, not the deployer); ≠ 0 (ERC20InvalidReceiver)",
  },
  {
    name: "genesisSupply",
    kind: { type: "uint", bits: 256 },
    default: "0",
    doc: "tokens (wei) minted to genesisHolder; ≤ cap (ERC20ExceededCap)",
  },
  // Emission.
  {
    name: "genesisTime",
    kind: { type: "uint", bits: 64, max: UINT48_MAX },
    required: true,
    doc: "unix time epoch 0 starts; genesisTime + epochLength - 1 ≤ 2^48-1 (PaymasterBadParameter)",
  },
  {
    name: "epochLength",
    kind: { type: "uint", bits: 64, min: 1n },
    default: `${DAY}`,
    doc: "seconds per epoch; > 0 (EmissionBadParameter)",
  },
  {
    name: "initialEmission",
    kind: { type: "uint", bits: 128 },
    default: `${100_000n * TOKEN}`,
    doc: "tokens (wei) per epoch at epoch 0",
  },
  {
    name: "decayFactorBps",
    kind: { type: "uint", bits: 16, max: 10_000n },
    default: "9900",
    doc: "emission multiplier per decay period; ≤ 10,000 (EmissionBadParameter)",
  },
  {
    name: "decayPeriod",
    kind: { type: "uint", bits: 32, min: 1n },
    default: "30",
    doc: "epochs per decay step; > 0 (EmissionBadParameter)",
  },
  {
    name: "maxMintPerEpoch",
    kind: { type: "uint", bits: 256 },
    default: `${300_000n * TOKEN}`,
    doc: "circuit breaker: most minted per wall-clock epoch",
  },
  // Data credits.
  {
    name: "maxPriceAge",
    kind: { type: "uint", bits: 256, min: 1n },
    default: "3600",
    doc: "oldest accepted price, seconds; > 0 (DataCreditsBadParameter)",
  },
  {
    name: "usdPerCredit",
    kind: { type: "uint", bits: 256, min: 1n },
    default: `${10n ** 15n}`,
    doc: "USD (18 decimals) per data credit; > 0 (DataCreditsBadParameter)",
  },
  // Data availability.
  {
    name: "challengeWindow",
    kind: { type: "uint", bits: 64, min: 1n },
    default: `${DAY}`,
    doc: "seconds a batch can be challenged; > 0, ≤ retentionWindow, ≤ unbondingDelay (DataAvailabilityBadParameter)",
  },
  {
    name: "retentionWindow",
    kind: { type: "uint", bits: 64, min: 1n },
    default: `${30n * DAY}`,
    doc: "seconds payloads are served; ≥ challengeWindow",
  },
  {
    name: "unbondingDelay",
    kind: { type: "uint", bits: 64, min: 1n },
    default: `${7n * DAY}`,
    doc: "seconds between startUnbonding and withdrawBond; ≥ challengeWindow",
  },
  {
    name: "minBond",
    kind: { type: "uint", bits: 256, min: 1n },
    default: `${TOKEN}`,
    doc: "wei a sequencer bonds; > 0 (DataAvailabilityBadParameter)",
  },
  { name: "slashAmount", kind: { type: "uint", bits: 256 }, default: `${TOKEN}`, doc: "wei slashed per invalidated batch" },
  {
    name: "challengerRewardBps",
    kind: { type: "uint", bits: 16, max: 10_000n },
    default: "5000",
    doc: "challenger's share of a slash; ≤ 10,000 (DataAvailabilityBadParameter)",
  },
  // Settlement.
  { name: "firstEpoch", kind: { type: "uint", bits: 64 }, required: true, doc: "first epoch the distributor pays" },
  {
    name: "settlementDelay",
    kind: { type: "uint", bits: 64 },
    default: `${2n * DAY}`,
    doc: "seconds after an epoch ends before it closes; > challengeWindow (RewardDistributorSettlementDelayTooShort)",
  },
  {
    name: "ruleMinValue",
    kind: { type: "uint", bits: 32 },
    default: "0",
    doc: "reward rule v0: lowest rewarded reading value; ≤ ruleMaxValue (RewardDistributorBadRule)",
  },
  {
    name: "ruleMaxValue",
    kind: { type: "uint", bits: 32 },
    default: "4294967295",
    doc: "reward rule v0: highest rewarded reading value",
  },
  {
    name: "ruleCapPerBatch",
    kind: { type: "uint", bits: 32 },
    default: "16",
    doc: "reward rule v0: most readings rewarded per device per batch",
  },
  // Claim paymaster.
  {
    name: "executeSelector",
    kind: { type: "bytes4" },
    default: "0xb61d27f6",
    doc: "device account's execute(address,uint256,bytes) selector",
  },
  { name: "epochBudget", kind: { type: "uint", bits: 256 }, default: `${TOKEN}`, doc: "wei of gas sponsored per epoch" },
  {
    name: "accountBudget",
    kind: { type: "uint", bits: 256 },
    default: `${10n ** 16n}`,
    doc: "wei of gas sponsored per account per epoch; ≤ epochBudget (PaymasterBadParameter)",
  },
  {
    name: "deposit",
    kind: { type: "uint", bits: 256 },
    default: "0",
    doc: "wei the deployer deposits into the EntryPoint for the paymaster (must be in its balance)",
  },
  // Governance.
  { name: "governorName", kind: { type: "string" }, default: "DePIN Governor", doc: "EIP-712 name of the governor" },
  { name: "votingDelay", kind: { type: "uint", bits: 48 }, default: "7200", doc: "blocks between proposing and voting" },
  {
    name: "votingPeriod",
    kind: { type: "uint", bits: 32, min: 1n },
    default: "50400",
    doc: "blocks voting stays open; > 0 (GovernorInvalidVotingPeriod)",
  },
  {
    name: "proposalThreshold",
    kind: { type: "uint", bits: 256 },
    default: `${100_000n * TOKEN}`,
    doc: "votes (wei) needed to propose",
  },
  {
    name: "quorumNumerator",
    kind: { type: "uint", bits: 256, max: 100n },
    default: "4",
    doc: "quorum, percent of supply; ≤ 100 (GovernorInvalidQuorumFraction)",
  },
  {
    name: "lateQuorumVoteExtension",
    kind: { type: "uint", bits: 48 },
    default: "14400",
    doc: "blocks voting stays open after a late quorum",
  },
  {
    name: "timelockDelay",
    kind: { type: "uint", bits: 256 },
    default: `${2n * DAY}`,
    doc: "seconds between queueing and executing",
  },
  { name: "guardian", kind: { type: "address" }, default: "none", doc: "pause-only guardian (a Safe); ≠ 0 (omit it for none)" },
];

/** A checked file: the module it deploys and its values (bigints / checksummed addresses / strings). */
export interface CheckedParameters {
  module: ModuleName;
  values: Record<string, bigint | string>;
}

export class ParameterError extends Error {
  override name = "ParameterError";
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: ${problems.length} bad parameter(s), nothing was sent:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

function parseInteger(raw: unknown): bigint | undefined {
  if (typeof raw === "number") return Number.isSafeInteger(raw) ? BigInt(raw) : undefined;
  if (typeof raw === "string" && /^-?[0-9]+n$/.test(raw)) return BigInt(raw.slice(0, -1));
  return undefined;
}

const typeName = (k: Kind): string => (k.type === "uint" || k.type === "int" ? `${k.type}${k.bits}` : k.type);

/**
 * Checks a parsed parameter file. Returns the checked values, or throws ParameterError listing
 * EVERY bad field at once. `deployer` (when known) stands for defaults that name account 0.
 */
export function checkParameters(json: unknown, file = "parameters", deployer?: string): CheckedParameters {
  const problems: string[] = [];
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw new ParameterError(file, ["must be a JSON object"]);
  const keys = Object.keys(json);
  const names = keys.filter((k): k is ModuleName => (MODULE_NAMES as readonly string[]).includes(k));
  const stray = keys.filter((k) => !(MODULE_NAMES as readonly string[]).includes(k));
  if (names.length !== 1 || stray.length > 0) {
    throw new ParameterError(file, [
      `must have exactly one top-level key, ${MODULE_NAMES.join(" or ")} (got ${keys.map((k) => JSON.stringify(k)).join(", ") || "none"})`,
    ]);
  }
  const module = names[0];
  const raw = (json as Record<string, unknown>)[module];
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw new ParameterError(file, [`${module} must be an object`]);
  const given = raw as Record<string, unknown>;
  const fields = FIELDS.filter((f) => f.only === undefined || f.only === module);
  const known = new Set(fields.map((f) => f.name));
  for (const k of Object.keys(given)) {
    if (!known.has(k)) problems.push(`${module}.${k}: unknown parameter (a typo? see docs/deploy.md "Parameter reference")`);
  }

  const values: Record<string, bigint | string> = {};
  for (const f of fields) {
    const at = `${module}.${f.name}`;
    const v = given[f.name];
    if (v === undefined) {
      if (f.required) problems.push(`${at}: required ${typeName(f.kind)} is missing (${f.doc})`);
      else if (f.default === "deployer") {
        if (deployer !== undefined) values[f.name] = deployer;
      } else if (f.default !== undefined && f.default !== "none") {
        values[f.name] = f.kind.type === "uint" || f.kind.type === "int" ? BigInt(f.default) : f.default;
      }
      continue;
    }
    const k = f.kind;
    if (k.type === "address") {
      if (typeof v !== "string" || !isAddress(v)) problems.push(`${at}: expected an address, got ${JSON.stringify(v)}`);
      else if (BigInt(v) === 0n) problems.push(`${at}: the zero address is a placeholder, not a value (${f.doc})`);
      else values[f.name] = getAddress(v.toLowerCase());
    } else if (k.type === "string") {
      if (typeof v !== "string" || v.length === 0) problems.push(`${at}: expected a non-empty string, got ${JSON.stringify(v)}`);
      else values[f.name] = v;
    } else if (k.type === "bytes4") {
      if (typeof v !== "string" || !/^0x[0-9a-fA-F]{8}$/.test(v))
        problems.push(`${at}: expected bytes4 (0x + 8 hex digits), got ${JSON.stringify(v)}`);
      else values[f.name] = v.toLowerCase();
    } else {
      const n = parseInteger(v);
      const lo = k.type === "int" ? -(1n << BigInt(k.bits - 1)) : (k.min ?? 0n);
      const typeMax = k.type === "int" ? (1n << BigInt(k.bits - 1)) - 1n : (1n << BigInt(k.bits)) - 1n;
      const hi = k.type === "uint" && k.max !== undefined && k.max < typeMax ? k.max : typeMax;
      if (n === undefined) {
        problems.push(`${at}: expected ${typeName(k)} as a JSON integer or a "123n" string, got ${JSON.stringify(v)}`);
      } else if (n < lo || n > hi) {
        problems.push(`${at}: ${n} is out of range [${lo}, ${hi}] (${typeName(k)}; ${f.doc})`);
      } else values[f.name] = n;
    }
  }

  // Cross-field rules (each mirrors a constructor/initializer check), evaluated on the values the
  // modules will use (given or default); skipped when a field is already reported bad.
  const num = (name: string): bigint | undefined => (typeof values[name] === "bigint" ? (values[name] as bigint) : undefined);
  const rule = (names: string[], ok: (...v: bigint[]) => boolean, message: (...v: bigint[]) => string): void => {
    const vs = names.map(num);
    if (vs.some((x) => x === undefined)) return;
    const bs = vs as bigint[];
    if (!ok(...bs)) problems.push(message(...bs));
  };
  rule(
    ["genesisSupply", "cap"],
    (s, c) => s <= c,
    (s, c) => `${module}.genesisSupply: ${s} exceeds cap ${c} (RewardToken: ERC20ExceededCap)`,
  );
  rule(
    ["challengeWindow", "retentionWindow"],
    (c, r) => c <= r,
    (c, r) => `${module}.challengeWindow: ${c} exceeds retentionWindow ${r} (DataAvailabilityBadParameter("challengeWindow"))`,
  );
  rule(
    ["challengeWindow", "unbondingDelay"],
    (c, u) => c <= u,
    (c, u) => `${module}.challengeWindow: ${c} exceeds unbondingDelay ${u} (DataAvailabilityBadParameter("challengeWindow"))`,
  );
  rule(
    ["settlementDelay", "challengeWindow"],
    (s, c) => s > c,
    (s, c) => `${module}.settlementDelay: ${s} must exceed challengeWindow ${c} (RewardDistributorSettlementDelayTooShort)`,
  );
  rule(
    ["ruleMinValue", "ruleMaxValue"],
    (lo, hi) => lo <= hi,
    (lo, hi) => `${module}.ruleMinValue: ${lo} exceeds ruleMaxValue ${hi} (RewardDistributorBadRule)`,
  );
  rule(
    ["accountBudget", "epochBudget"],
    (a, e) => a <= e,
    (a, e) => `${module}.accountBudget: ${a} exceeds epochBudget ${e} (PaymasterBadParameter("accountBudget"))`,
  );
  rule(
    ["genesisTime", "epochLength"],
    (g, l) => g + l - 1n <= UINT48_MAX,
    (g, l) =>
      `${module}.genesisTime: genesisTime + epochLength - 1 = ${g + l - 1n} exceeds 2^48-1 (PaymasterBadParameter("epochClock"))`,
  );

  if (problems.length > 0) throw new ParameterError(file, problems);
  return { module, values };
}
