export { parseArgv } from "../../sdk/src/config/argv.js";
