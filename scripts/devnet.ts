/**
 * `npm run devnet` — a local network that stays up: chain with 1 s blocks, the protocol deployed,
 * every keeper, the embedded broker, optionally a simulated fleet. The README's role guides run
 * against it as written. See scripts/devnet/run.ts and README "Run a network by hand".
 */
import { parseArgs } from "node:util";
import { buildFirst } from "./lib/build.js";
import { FlagError, intFlag, urlFlag } from "./lib/flags.js";
import { quietSkippedTicks } from "./lib/quiet.js";

const HELP = `Usage: npm run devnet -- [options]

Starts a local DePIN network and keeps it running until Ctrl-C (SIGINT/SIGTERM):
  - a Hardhat chain (id 31337, the development accounts) on JSON-RPC, a block every second,
    so chain time follows the clock: nothing to mine or fast-forward by hand;
  - the protocol deployed by scripts/deploy.ts (as npm run deploy:local), recorded in
    deployments/31337.json; a first proposal adds the devnet's sequencer, which bonds;
  - every keeper: bridge (embedded MQTT broker), sequencer, DA, prover, submitter, epoch;
  - with --devices N: a maker approved by proposal, N devices made with the identity CLI,
    bound and activated by the owner account, streaming readings.
Timing: 60 s epochs, 10 s DA challenge window, 30 s settlement delay, 10-block votes, 10 s
timelock; rule: values 100..200 earn, at most 3 points per device per batch.

Options:
  --port N          JSON-RPC port (default 8545)
  --mqtt-port N     embedded broker port (default 1884: clear of a Mosquitto on 1883)
  --status-port N   the bridge's /status and /metrics port (default 9101); devices read the
                    network's topic root and the bridge's answer address there
  --devices N       simulated devices the devnet onboards and streams itself (0..64, default 0:
                    follow the README to onboard your own)
  --interval S      seconds between two readings of a simulated device (1..3600, default 5)
  --broker URL      an external MQTT broker (mqtt://host:port) instead of the embedded one
  --db URL          PostgreSQL (postgres://user@host:port/db) instead of SQLite; a schema
                    devnet_<pid> that is dropped at the end
  --data-dir DIR    the devnet's files, wiped at start (default data/devnet)
  --deployments D   where the deployment record is written (default deployments)
  --processes       one keepers/cli.ts process per keeper instead of this process
  --explorer-port N the explorer's port (default 8088; 0 = a free port); it starts the network
                    API (indexer) too
  --no-explorer     no explorer and no indexer
  --verbose         keepers' JSON logs and the deploy output on stderr
  --help            this text

Accounts (development mnemonic; account index = --from N of the ops/dao/owner CLIs):
  0 deployer and voter, 1 maker, 2 owner, 3 sequencer (DA keeper), 4 submitter, 5 epoch keeper.
The endpoints are printed at start and written to <data-dir>/devnet.json.`;

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: "string" },
        "mqtt-port": { type: "string" },
        "status-port": { type: "string" },
        devices: { type: "string" },
        interval: { type: "string" },
        broker: { type: "string" },
        db: { type: "string" },
        "data-dir": { type: "string", default: "data/devnet" },
        deployments: { type: "string", default: "deployments" },
        processes: { type: "boolean", default: false },
        "explorer-port": { type: "string" },
        "no-explorer": { type: "boolean", default: false },
        verbose: { type: "boolean", default: false },
        help: { type: "boolean", default: false },
      },
      strict: true,
    }));
  } catch (e) {
    throw new FlagError((e as Error).message);
  }
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const opts = {
    rpcPort: intFlag("port", values.port, 8545, 1, 65535),
    mqttPort: intFlag("mqtt-port", values["mqtt-port"], 1884, 1, 65535),
    statusPort: intFlag("status-port", values["status-port"], 9101, 1, 65535),
    devices: intFlag("devices", values.devices, 0, 0, 64),
    intervalSec: intFlag("interval", values.interval, 5, 1, 3600),
    broker: urlFlag("broker", values.broker, ["mqtt:", "mqtts:", "tcp:", "ws:", "wss:"]),
    db: urlFlag("db", values.db, ["postgres:", "postgresql:"]),
    dataDir: values["data-dir"],
    deployments: values.deployments,
    processes: values.processes,
    explorerPort: values["no-explorer"] ? -1 : intFlag("explorer-port", values["explorer-port"], 8088, 0, 65535),
    verbose: values.verbose,
    say: (l: string) => console.log(l),
  };
  // Built and loaded after the flags are checked: --help and a bad flag answer at once.
  buildFirst("devnet");
  if (!values.verbose) quietSkippedTicks();
  const { startDevnet, DevnetError } = await import("./devnet/run.js");
  let devnet;
  try {
    devnet = await startDevnet(opts);
  } catch (e) {
    if (e instanceof DevnetError) {
      console.error(`devnet: ${e.message}`);
      return 1;
    }
    throw e;
  }
  const i = devnet.info;
  const rpcEnv = i.rpcUrl === "http://127.0.0.1:8545" ? "" : `export DEPIN_RPC_URL=${i.rpcUrl}   # tools default to :8545\n  `;
  console.log(`
=================== devnet running (Ctrl-C stops it) ===================
EXPLORER     ${i.explorer ? i.explorer.url : "off (--no-explorer)"}${i.explorer ? `   (network API ${i.explorer.api})` : ""}
JSON-RPC     ${i.rpcUrl}   (chain ${i.chainId}, a block every second)
MQTT         ${i.mqttUrl}   topic root ${i.topicRoot}
bridge       answers signed by ${i.bridgeAddress ?? "nobody (unsigned)"}: give devices --bridge-address ${i.bridgeAddress ?? ""}
deployment   ${i.deployment}
store        ${i.store}
keepers      ${Object.entries(i.keepers)
    .map(([k, v]) => `${k} ${v}`)
    .join("\n             ")}
accounts     ${Object.entries(i.accounts)
    .map(([role, a]) => `${a.index} ${role.padEnd(10)} ${a.address}`)
    .join("\n             ")}
devices      ${i.devices ? `${i.devices.ids.join(", ")} (key file ${i.devices.keyFile})` : "none: onboard them as README.md shows"}
In another terminal:
  ${rpcEnv}npm run ops -- sequencer --from 3
  npm run owner -- devices --owner ${i.accounts.owner.address}
=========================================================================`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  console.log("[devnet] stopping…");
  await devnet.stop();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof FlagError) {
      console.error(`devnet: ${e.message}\nRun with --help for the options.`);
      process.exit(2);
    }
    console.error(`[devnet] failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exit(1);
  },
);
