/** Keeper options from a deployment record: in the shared module (sdk/src/config/deployment.ts). */
export { DEPLOYMENT_CONTRACTS, loadDeploymentFile, withDeployment } from "../../sdk/src/config/deployment.js";
