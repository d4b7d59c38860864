/** The circuit manifest (circuits/circuits.json) lives in the shared module. */
export * from "../../sdk/src/config/circuits.js";
