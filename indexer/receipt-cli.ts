/**
 * `npm run receipt -- --device N --epoch E [--out file.json] [--verify]`: builds one device's
 * reward receipt for one closed epoch (docs/receipts.md), or with `--in FILE` verifies a receipt
 * someone handed you, trusting only the RPC endpoint (and the deployment record's distributor).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { JsonRpcProvider } from "ethers";
import {
  buildReceipt,
  localVerificationKeys,
  parseReceipt,
  ReceiptError,
  ReceiptVerifyError,
  verifyReceipt,
  type Receipt,
} from "./receipt.js";
import { openKeeperStore, storeReadings } from "./store-source.js";
import { REPO_ROOT } from "./settings.js";

const HELP = `Usage: npm run receipt -- --device N --epoch E [--out FILE] [--verify] [options]
       npm run receipt -- --in FILE [options]                  (verify a receipt)

Builds the reward receipt of one device for one closed epoch: every batch it earned in (root,
DA commit and settle transactions, Groth16 proof, public signals, the verifier's key), each of
its readings there (inclusion proof, signature, key, whether and why it earned under the rule
in force), its points, the epoch's totals and emission, the payout to the wei and the claim.
Format: docs/receipts.md. --verify (or --in) checks it trusting only the RPC endpoint: leaves
and roots recomputed, signatures checked, the proof verified with the key the on-chain verifier
holds, the payout recomputed; a wrong receipt fails naming the first wrong field.

  --device N          device id
  --epoch E           epoch number (closed)
  --out FILE          write the receipt there (default: print it); nothing is written on error
  --verify            verify the receipt after building it
  --in FILE           verify this receipt instead of building one
  --rpc-url URL       JSON-RPC endpoint (default http://127.0.0.1:8545)
  --deployment FILE   deployment record (default deployments/<chainId>.json): the distributor to
                      trust and the block to scan from
  --distributor ADDR  instead of --deployment: the RewardDistributor address
  --from-block N      with --distributor: first block to scan (default 0)
  --store URL         the keepers' store holding the batches' readings (sqlite:FILE or
                      postgres://…?schema=…; default sqlite:data/keepers.sqlite)
  --circuits DIR      built circuits with verification keys (default build/circuits)
  --json              print the verification result as JSON
  --help              this text

Exit codes: 0 done (and verified), 1 cannot build / verification failed, 2 usage.`;

class Usage extends Error {}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        device: { type: "string" },
        epoch: { type: "string" },
        out: { type: "string" },
        verify: { type: "boolean", default: false },
        in: { type: "string" },
        "rpc-url": { type: "string", default: "http://127.0.0.1:8545" },
        deployment: { type: "string" },
        distributor: { type: "string" },
        "from-block": { type: "string" },
        store: { type: "string", default: "sqlite:data/keepers.sqlite" },
        circuits: { type: "string", default: path.join(REPO_ROOT, "build", "circuits") },
        json: { type: "boolean", default: false },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (e) {
    throw new Usage((e as Error).message);
  }
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const uint = (name: string, v: string | undefined): bigint => {
    if (v === undefined || !/^\d+$/.test(v))
      throw new Usage(`--${name} must be a non-negative integer (got ${JSON.stringify(v ?? null)})`);
    return BigInt(v);
  };
  if (values.in === undefined) {
    uint("device", values.device);
    uint("epoch", values.epoch);
  }
  if (values.distributor !== undefined && !/^0x[0-9a-fA-F]{40}$/.test(values.distributor))
    throw new Usage(`--distributor: not an address`);
  const provider = new JsonRpcProvider(values["rpc-url"], undefined, { staticNetwork: true });
  try {
    const chainId = (await provider.getNetwork()).chainId;
    let distributor = values.distributor;
    let fromBlock = values["from-block"] ? Number(uint("from-block", values["from-block"])) : 0;
    if (!distributor) {
      const file = values.deployment ?? path.join("deployments", `${chainId}.json`);
      if (!existsSync(file)) throw new Usage(`no deployment record ${file}: give --deployment or --distributor`);
      const d = JSON.parse(readFileSync(file, "utf8")) as {
        chainId: number;
        contracts: Record<string, { address: string; startBlock: number }>;
      };
      if (BigInt(d.chainId) !== chainId)
        throw new Usage(`${file} is for chain ${d.chainId}, the RPC endpoint serves chain ${chainId}`);
      distributor = d.contracts.rewardDistributor.address;
      fromBlock = Math.min(d.contracts.rewardDistributor.startBlock, d.contracts.dataAvailability.startBlock);
    }
    let receipt: Receipt;
    if (values.in !== undefined) {
      receipt = parseReceipt(readFileSync(values.in, "utf8"));
    } else {
      const store = await openKeeperStore(values.store!);
      try {
        receipt = await buildReceipt({
          provider,
          distributor,
          fromBlock,
          readings: storeReadings(store),
          verificationKeys: localVerificationKeys(values.circuits!),
          deviceId: uint("device", values.device),
          epoch: uint("epoch", values.epoch),
        });
      } finally {
        await store.close();
      }
    }
    if (values.verify || values.in !== undefined) {
      const t0 = performance.now();
      const v = await verifyReceipt(receipt, { provider, distributor });
      const line = { ok: true, ...v, seconds: Number(((performance.now() - t0) / 1000).toFixed(3)) };
      if (values.json) console.error(JSON.stringify(line));
      else
        console.error(
          `verified: device ${v.device}, epoch ${v.epoch}: ${v.batches} batch(es), ${v.readings} reading(s), payout ${v.amount} wei — consistent with chain ${chainId}`,
        );
    }
    const text = JSON.stringify(receipt, null, 2) + "\n";
    if (values.in === undefined) {
      if (values.out) {
        writeFileSync(values.out, text);
        console.error(`wrote ${values.out}`);
      } else process.stdout.write(text);
    }
    return 0;
  } catch (e) {
    if (e instanceof Usage) throw e;
    if (e instanceof ReceiptVerifyError) {
      if (values.json) console.error(JSON.stringify({ ok: false, field: e.field, error: e.message }));
      console.error(`receipt verification FAILED at ${e.field}: ${e.message}`);
      return 1;
    }
    if (e instanceof ReceiptError) {
      console.error(`receipt: ${e.code}: ${e.message}`);
      return 1;
    }
    console.error(`receipt: ${(e as Error).message}`);
    return 1;
  } finally {
    provider.destroy();
  }
}

void main()
  .catch((e: unknown) => {
    if (e instanceof Usage) {
      console.error(`receipt: ${e.message}\n\n${HELP}`);
      return 2;
    }
    console.error(e);
    return 1;
  })
  // snarkjs keeps curve worker threads alive: exit explicitly.
  .then((code) => process.exit(code));
