/** The deployment record (deployments/<chainId>.json) lives in the shared module. */
export * from "../../sdk/src/config/deployment.js";
