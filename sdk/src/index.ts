export * from "./errors.js";
export * from "./field.js";
export * from "./hex.js";
export * from "./reading.js";
export * from "./poseidon.js";
export * from "./merkle.js";
export * from "./signing.js";
export * from "./identity.js";
