/**
 * The deployment's last step: every admin role and every ownership in the protocol moves to the
 * timelock, and the deploying account keeps nothing.
 *
 * - AccessControl contracts: each governed role is granted to the timelock, then renounced by the
 *   deployer (renounces wait for every grant, so DEFAULT_ADMIN_ROLE is dropped last); roles the
 *   deployer only held temporarily (e.g. MINTER_ROLE for the genesis mint) are just renounced.
 * - Ownable2Step contracts: ownership is transferred to the timelock and accepted *by the
 *   timelock* in the same deployment: the timelock was created with a zero delay and the deployer
 *   as bootstrap admin, so the deployer proposes and executes one batch
 *   [acceptOwnership() of each contract, updateDelay(timelockDelay)], then renounces its proposer
 *   and admin roles on the timelock. After this the timelock's delay is the governed one and only
 *   the governor can propose to it.
 *
 * - Guardian: each contract's `guardianRoles` (pause-only roles, e.g. RewardEmission's
 *   GUARDIAN_ROLE) are also granted to `guardian` before the deployer drops its roles. A guardian
 *   left at its default, the deployer, ends with nothing: the deployer renounces those roles too.
 *
 * scripts/ops.ts `roles-audit` checks the result on-chain.
 */
import type { ArgumentType, CallableContractFuture, Future, IgnitionModuleBuilder } from "@nomicfoundation/ignition-core";
import { ZeroHash, id } from "ethers";
import { PROPOSER_ROLE } from "./modules/Governance.js";

export interface GovernedAccessControl {
  /** Short name used in future ids ("DataAvailability"). */
  name: string;
  contract: CallableContractFuture<string>;
  /** Roles granted to the timelock and renounced by the deployer: [name, role hash]. */
  roles: [string, string][];
  /**
   * Pause-only roles also granted to the guardian (they must be in `roles` too, so the timelock
   * holds them and the deployer renounces them).
   */
  guardianRoles?: [string, string][];
  /** Roles the deployer renounces without granting them to anyone (temporary roles). */
  renounceOnly?: [string, string][];
  /** Futures that must run before the deployer drops its roles here (e.g. a genesis mint). */
  after?: Future[];
}

export interface HandoverInputs {
  timelock: CallableContractFuture<string>;
  /** Futures that need the timelock's bootstrap admin (e.g. granting the governor its roles). */
  timelockSetup: Future[];
  accessControl: GovernedAccessControl[];
  /** Ownable2Step contracts; `after`: the deployer's last owner calls, made before the transfer. */
  ownable2Step: { name: string; contract: CallableContractFuture<string>; after?: Future[] }[];
  timelockDelay: ArgumentType;
  /** The pause-only guardian (e.g. a Safe); the deployer when there is none (it renounces). */
  guardian: ArgumentType;
}

export const HANDOVER_SALT = id("depin.deploy.handover");

export function buildHandover(m: IgnitionModuleBuilder, inputs: HandoverInputs) {
  const deployer = m.getAccount(0);
  const { timelock } = inputs;
  const done: Future[] = [];

  for (const c of inputs.accessControl) {
    const grants = c.roles.map(([roleName, role]) =>
      m.call(c.contract, "grantRole", [role, timelock], { id: `${c.name}Grant${roleName}ToTimelock` }),
    );
    for (const [roleName, role] of c.guardianRoles ?? []) {
      if (!c.roles.some(([, r]) => r === role)) throw new Error(`${c.name}: guardian role ${roleName} is not in roles`);
      grants.push(m.call(c.contract, "grantRole", [role, inputs.guardian], { id: `${c.name}Grant${roleName}ToGuardian` }));
    }
    const all = [...c.roles, ...(c.renounceOnly ?? [])];
    // DEFAULT_ADMIN_ROLE last: it administers the others.
    all.sort(([a], [b]) => Number(a === "DEFAULT_ADMIN_ROLE") - Number(b === "DEFAULT_ADMIN_ROLE"));
    let previous: Future[] = [...grants, ...(c.after ?? [])];
    for (const [roleName, role] of all) {
      const renounce = m.call(c.contract, "renounceRole", [role, deployer], {
        id: `${c.name}Renounce${roleName}`,
        after: previous,
      });
      previous = [renounce];
      done.push(renounce);
    }
  }

  // The timelock accepts Ownable2Step ownerships and raises its delay in one batch, proposed and
  // executed by the deployer while the delay is still zero.
  const proposer = m.call(timelock, "grantRole", [PROPOSER_ROLE, deployer], {
    id: "TimelockBootstrapProposer",
    after: inputs.timelockSetup,
  });
  const transfers = inputs.ownable2Step.map((o) =>
    m.call(o.contract, "transferOwnership", [timelock], {
      id: `${o.name}TransferOwnershipToTimelock`,
      after: o.after ?? [],
    }),
  );
  const targets: ArgumentType[] = [...inputs.ownable2Step.map((o) => o.contract), timelock];
  const payloads: ArgumentType[] = [
    ...inputs.ownable2Step.map((o) =>
      m.encodeFunctionCall(o.contract, "acceptOwnership", [], { id: `${o.name}AcceptOwnershipCall` }),
    ),
    m.encodeFunctionCall(timelock, "updateDelay", [inputs.timelockDelay], { id: "TimelockUpdateDelayCall" }),
  ];
  const values = targets.map(() => 0n);
  const schedule = m.call(timelock, "scheduleBatch", [targets, values, payloads, ZeroHash, HANDOVER_SALT, 0n], {
    id: "TimelockBootstrapSchedule",
    after: [proposer, ...transfers],
  });
  const execute = m.call(timelock, "executeBatch", [targets, values, payloads, ZeroHash, HANDOVER_SALT], {
    id: "TimelockBootstrapExecute",
    after: [schedule],
  });
  const renounceProposer = m.call(timelock, "renounceRole", [PROPOSER_ROLE, deployer], {
    id: "TimelockRenounceBootstrapProposer",
    after: [execute],
  });
  const renounceAdmin = m.call(timelock, "renounceRole", [ZeroHash, deployer], {
    id: "TimelockRenounceBootstrapAdmin",
    after: [renounceProposer, ...inputs.timelockSetup, ...done],
  });
  return { handedOver: renounceAdmin };
}
