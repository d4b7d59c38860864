/**
 * Device-owner CLI: your devices and what they earned, claim everything claimable, move tokens
 * out of a device account.
 *
 *   npm run owner -- devices [--owner 0x… | --from N] [--epochs N] [--json]
 *   npm run owner -- claim   [--from N] [--devices 1,2] [--epochs N] [--dry-run]
 *   npm run owner -- withdraw --device ID --to 0x… [--amount WEI] [--from N]
 *
 * Read-only commands need no key (--owner names the owner); commands that send take the
 * signer from the network's accounts (--from: index or address; keys in the Hardhat keystore).
 */
import { formatUnits, isAddress } from "ethers";
import { UsageError, connect, deploymentOf, required, runCli, signer, toJson, type Command } from "./lib/cli.js";
import { contractAddress } from "./lib/deployments.js";
import { claimAll, earnings, ownedDevices, tokenBalance, withdrawFromAccount, type Earning } from "./lib/owner.js";

const EPOCHS_HELP = "  --epochs N       how many of the last closed epochs to scan (default 30)";

function epochsBack(args: Record<string, string | boolean | undefined>): bigint {
  const raw = typeof args.epochs === "string" ? args.epochs : "30";
  if (!/^\d{1,6}$/.test(raw) || BigInt(raw) === 0n) throw new UsageError(`--epochs must be a positive integer (got ${raw})`);
  return BigInt(raw);
}

function deviceList(args: Record<string, string | boolean | undefined>): bigint[] | undefined {
  if (typeof args.devices !== "string") return undefined;
  const parts = args.devices.split(",").map((s) => s.trim());
  if (parts.some((p) => !/^\d{1,20}$/.test(p)))
    throw new UsageError(`--devices must be device ids separated by commas (got ${args.devices})`);
  return parts.map(BigInt);
}

/** Connection, deployment, the owner's devices and their earnings over the last `--epochs` closed epochs. */
async function load(
  connection: Awaited<ReturnType<typeof connect>>,
  args: Record<string, string | boolean | undefined>,
  owner: string,
) {
  const provider = connection.ethers.provider;
  const d = await deploymentOf(connection, args);
  const registry = contractAddress(d, "deviceRegistry");
  const distributor = contractAddress(d, "rewardDistributor");
  const token = contractAddress(d, "rewardToken");
  let devices = await ownedDevices(registry, provider, owner, d.contracts.deviceRegistry.startBlock);
  const only = deviceList(args);
  if (only) {
    const missing = only.filter((id) => !devices.some((x) => x.deviceId === id));
    if (missing.length) throw new UsageError(`--devices ${missing.join(",")}: not held by ${owner}`);
    devices = devices.filter((x) => only.includes(x.deviceId));
  }
  const { ethers } = connection;
  const next = BigInt(await (await ethers.getContractAt("RewardDistributor", distributor)).nextEpochToClose());
  const back = epochsBack(args);
  const from = next > back ? next - back : 0n;
  const earned = await earnings(
    distributor,
    provider,
    devices.map((x) => x.deviceId),
    from,
  );
  return { provider, distributor, token, devices, earned, from, next };
}

const devicesCmd: Command = {
  name: "devices",
  summary: "your devices: status, reward account, its balance, points and claimable tokens per closed epoch",
  usage: `Usage: npm run owner -- devices [--owner 0x… | --from N] [--epochs N] [--json]

  --owner ADDR     the owner to show (no key needed); default: the --from account
  --from N|ADDR    the signer whose devices to show (default 0)
${EPOCHS_HELP}
  --json           machine-readable output`,
  options: { owner: { type: "string" }, from: { type: "string" }, epochs: { type: "string" }, json: { type: "boolean" } },
  async run(args) {
    if (typeof args.owner === "string" && !isAddress(args.owner))
      throw new UsageError(`--owner is not an address (${args.owner})`);
    const connection = await connect(args, { readOnly: typeof args.owner === "string" });
    const owner = typeof args.owner === "string" ? args.owner : (await signer(connection, args.from)).address;
    const { provider, token, devices, earned, from, next } = await load(connection, args, owner);
    const rows = [];
    for (const dv of devices) {
      const mine = earned.filter((e) => e.deviceId === dv.deviceId);
      rows.push({
        ...dv,
        accountBalance: await tokenBalance(token, provider, dv.recipient),
        claimable: mine.reduce((s, e) => s + e.claimable, 0n),
        epochs: mine,
      });
    }
    if (args.json) {
      console.log(toJson({ owner, epochsScanned: [from, next], devices: rows }));
      return 0;
    }
    console.log(`owner ${owner}: ${devices.length} device(s); closed epochs ${from}..${next - 1n} scanned`);
    for (const r of rows) {
      console.log(
        `  device ${r.deviceId}  ${r.status.padEnd(14)} account ${r.recipient}  balance ${formatUnits(r.accountBalance, 18)}  claimable ${formatUnits(r.claimable, 18)}`,
      );
      for (const e of r.epochs)
        console.log(
          `      epoch ${e.epoch}: ${e.points} points, ${e.claimed ? "claimed" : `${formatUnits(e.claimable, 18)} to claim`}`,
        );
    }
    return 0;
  },
};

const claimCmd: Command = {
  name: "claim",
  summary: "claim every claimable epoch of your Active devices in one transaction (paid to each device's account)",
  usage: `Usage: npm run owner -- claim [--from N] [--devices 1,2] [--epochs N] [--wait [--timeout S]] [--dry-run]

Claims, for each of your devices (or --devices), every closed epoch in the scanned range that
has unclaimed points. The tokens go to each device's reward account; move them out with
\`npm run owner -- withdraw\`. Suspended or decommissioned devices cannot claim (listed, skipped).
  --from N|ADDR    the owner's account (index or address; default 0)
  --devices LIST   only these device ids (comma-separated)
${EPOCHS_HELP}
  --wait           if nothing is claimable yet, wait until an epoch with points closes (progress on stdout)
  --timeout S      give up waiting after S seconds (default 600; exit 1)
  --dry-run        show what would be claimed, send nothing`,
  options: {
    from: { type: "string" },
    devices: { type: "string" },
    epochs: { type: "string" },
    wait: { type: "boolean" },
    timeout: { type: "string" },
    "dry-run": { type: "boolean" },
  },
  async run(args) {
    const rawTimeout = typeof args.timeout === "string" ? args.timeout : "600";
    if (!/^[1-9][0-9]{0,6}$/.test(rawTimeout)) throw new UsageError(`--timeout must be a number of seconds (got ${rawTimeout})`);
    const until = Date.now() + Number(rawTimeout) * 1000;
    const connection = await connect(args);
    const me = await signer(connection, args.from);
    let lastSaid = 0;
    for (;;) {
      const { distributor, devices, earned, next } = await load(connection, args, me.address);
      const active = new Set(devices.filter((d) => d.status === "Active").map((d) => d.deviceId));
      for (const d of devices)
        if (!active.has(d.deviceId) && earned.some((e) => e.deviceId === d.deviceId && e.claimable > 0n))
          console.log(`device ${d.deviceId} is ${d.status}: its rewards cannot be claimed until it is Active again`);
      const todo: Earning[] = earned.filter((e) => active.has(e.deviceId) && e.claimable > 0n);
      if (todo.length > 0) return claimNow(distributor, me, todo, args["dry-run"] === true);
      if (!args.wait) {
        console.log("nothing to claim");
        return 0;
      }
      if (Date.now() > until) {
        console.error(`nothing to claim after ${rawTimeout} s (next epoch to close: ${next})`);
        return 1;
      }
      if (Date.now() - lastSaid >= 10_000) {
        const pending = await pendingPoints(
          connection,
          devices.map((d) => d.deviceId),
          next,
        );
        console.log(
          `waiting for epoch ${next} to close: ${pending} point(s) of your ${devices.length} device(s) settled in it so far`,
        );
        lastSaid = Date.now();
      }
      await new Promise((r) => setTimeout(r, 2000));
    }
  },
};

/** Points `devices` have been credited in the open epoch `epoch` (settled batches so far). */
async function pendingPoints(connection: Awaited<ReturnType<typeof connect>>, devices: bigint[], epoch: bigint): Promise<bigint> {
  const d = await deploymentOf(connection, {});
  const distributor = await connection.ethers.getContractAt("RewardDistributor", contractAddress(d, "rewardDistributor"));
  let sum = 0n;
  for (const id of devices) sum += (await distributor.pointsOf(id, epoch))[0];
  return sum;
}

async function claimNow(
  distributor: string,
  me: Awaited<ReturnType<typeof signer>>,
  todo: Earning[],
  dryRun: boolean,
): Promise<number> {
  const total = todo.reduce((s, e) => s + e.claimable, 0n);
  console.log(`${todo.length} device-epoch(s), ${formatUnits(total, 18)} tokens`);
  if (dryRun) return 0;
  const r = await claimAll(distributor, me, todo);
  console.log(`claimed ${formatUnits(r!.paid, 18)} tokens in ${r!.receipt.hash} (gas ${r!.receipt.gasUsed})`);
  return 0;
}

const withdrawCmd: Command = {
  name: "withdraw",
  summary: "move reward tokens out of a device's account (you control it as the device's holder)",
  usage: `Usage: npm run owner -- withdraw --device ID --to 0x… [--amount WEI] [--from N]

  --device ID      the device whose account pays
  --to ADDR        receiver
  --amount WEI     amount in the token's smallest unit (default: the whole balance)
  --from N|ADDR    the device's holder (index or address; default 0)`,
  options: { device: { type: "string" }, to: { type: "string" }, amount: { type: "string" }, from: { type: "string" } },
  async run(args) {
    const id = required(args, "device");
    const to = required(args, "to");
    if (!/^\d{1,20}$/.test(id)) throw new UsageError(`--device must be a device id (got ${id})`);
    if (!isAddress(to)) throw new UsageError(`--to is not an address (${to})`);
    if (typeof args.amount === "string" && !/^\d{1,78}$/.test(args.amount))
      throw new UsageError(`--amount must be an integer (got ${args.amount})`);
    const connection = await connect(args);
    const me = await signer(connection, args.from);
    const d = await deploymentOf(connection, args);
    const registry = await connection.ethers.getContractAt("DeviceRegistry", contractAddress(d, "deviceRegistry"));
    const token = contractAddress(d, "rewardToken");
    const account = await registry.rewardRecipient(BigInt(id));
    const balance = await tokenBalance(token, connection.ethers.provider, account);
    const amount = typeof args.amount === "string" ? BigInt(args.amount) : balance;
    if (amount === 0n) {
      console.log(`device ${id}'s account ${account} holds no tokens`);
      return 0;
    }
    if (amount > balance) throw new UsageError(`--amount ${amount} exceeds the account's balance ${balance}`);
    const factory = contractAddress(d, "deviceAccountFactory");
    const { receipt, created } = await withdrawFromAccount(account, token, me, to, amount, factory, BigInt(id));
    if (created) console.log(`created device ${id}'s account ${account} (it had received tokens before it existed)`);
    console.log(`moved ${formatUnits(amount, 18)} tokens from ${account} to ${to} in ${receipt.hash}`);
    return 0;
  },
};

process.exit(
  await runCli(
    "scripts/owner.ts",
    "Device-owner tools: devices and earnings, claims, device-account withdrawals.",
    [devicesCmd, claimCmd, withdrawCmd],
    process.argv.slice(2),
  ),
);
