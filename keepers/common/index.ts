/**
 * Common daemon plumbing for every keeper (bridge, sequencer, da, storage, prover, submitter,
 * epoch). A new keeper:
 *
 *   export const myOptions = { store: opt.string("…", { default: "sqlite:data/depin.sqlite" }), rpcUrl: rpcUrlOption(), ...daemonOptions({ schedule: "*\/5 * * * * *", metricsPort: 9110 }) };
 *   class MyKeeper extends Service { init() { … } tick() { … idempotent … } status() { … } close() { … } }
 *   // register it in keepers/cli.ts COMMANDS; `run()` gives cron ticks without overlap, /metrics,
 *   // /status, JSON logs and a clean SIGTERM.
 *
 * Chain writes go through TxManager (one in-flight transaction per signer, retries on transport
 * errors, never on reverts). Shared state lives in the Store (openStore(url)).
 */
export * from "./options.js";
export * from "./log.js";
export * from "./http.js";
export * from "./service.js";
export * from "./tx.js";
export * from "./cli.js";
export * from "./store/index.js";
export * from "./net.js";
