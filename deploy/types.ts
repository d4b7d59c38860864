/** Shared argument types of the deployment builders (deploy/modules/*.ts). */
import type { AccountRuntimeValue, ContractFuture, ModuleParameterRuntimeValue } from "@nomicfoundation/ignition-core";

/** An address given to a builder: a literal, a parameter, an account, or a contract future. */
export type AddressArg =
  | string
  | ModuleParameterRuntimeValue<string>
  | ModuleParameterRuntimeValue<AccountRuntimeValue>
  | AccountRuntimeValue
  | ContractFuture<string>;
