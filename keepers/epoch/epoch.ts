/**
 * The epoch keeper: closes reward epochs as soon as the RewardDistributor allows, with the same
 * semantics as Chainlink Automation (checkUpkeep says whether and which epoch; closeEpoch
 * re-validates on-chain). Idempotent: the journal key "closeEpoch:<n>" and nextEpochToClose()
 * make a restart follow a close already sent instead of sending it again, and a close by
 * someone else (RewardDistributorEpochNotNext) is success.
 */
import { AbiCoder, JsonRpcProvider, Wallet, type Contract, type ContractRunner } from "ethers";
import { Counter, Gauge } from "prom-client";
import { silentLogger, type Logger } from "../common/log.js";
import { daemonOptions, opt, type OptionValues, rpcUrlOption, storeOption } from "../common/options.js";
import { bindStoreToChain } from "../common/chain.js";
import { decodeDistributorError, distributorInterface, rewardDistributor } from "../common/rewards.js";
import { Service } from "../common/service.js";
import { openStore, type Store } from "../common/store/index.js";
import {
  DurableTxManager,
  durableTxOptionsFrom,
  isRevert,
  TxDroppedError,
  TxRevertedError,
  txOptionSpecs,
} from "../common/tx.js";
import { Leadership, leaseOption } from "../common/scaleout.js";

export const epochOptions = {
  store: storeOption("store holding the transaction journal"),
  rpcUrl: rpcUrlOption(),
  distributor: opt.string("RewardDistributor address", { pattern: /^0x[0-9a-fA-F]{40}$/ }),
  privateKey: opt.string("key of the account that sends closeEpoch() (any funded account)", {
    secret: true,
    pattern: /^0x[0-9a-fA-F]{64}$/,
    default: "",
  }),
  ...txOptionSpecs,
  pollMs: opt.int("receipt polling interval (ms)", { default: 1000, min: 10 }),
  maxClosesPerTick: opt.int("epochs closed per tick at most", { default: 24, min: 1 }),
  dryRun: opt.bool("log which epoch would be closed, send nothing"),
  ...leaseOption(),
  ...daemonOptions({ schedule: "*/30 * * * * *", metricsPort: 9107 }),
};
export type EpochOptions = OptionValues<typeof epochOptions>;

export class EpochKeeper extends Service {
  store!: Store;
  distributor!: Contract;
  tx?: DurableTxManager;
  /** Only the leader among instances on one store closes epochs. */
  leadership!: Leadership;
  private readonly closed: Counter;
  private readonly nextGauge: Gauge;
  nextEpoch: bigint | null = null;

  constructor(
    readonly opts: EpochOptions,
    private readonly deps: { store?: Store; provider?: JsonRpcProvider; log?: Logger } = {},
  ) {
    super("epoch", deps.log ?? silentLogger);
    this.closed = new Counter({
      name: "depin_epoch_closed_total",
      help: "epochs closed by this keeper",
      registers: [this.registry],
    });
    this.nextGauge = new Gauge({ name: "depin_epoch_next_to_close", help: "next epoch to close", registers: [this.registry] });
  }

  async init(): Promise<void> {
    if (!this.opts.privateKey && !this.opts.dryRun) throw new Error("invalid option --private-key: is required unless --dry-run");
    this.store = this.deps.store ?? openStore(this.opts.store);
    await this.store.init();
    let provider = this.deps.provider;
    if (!provider) {
      provider = await this.connectChain(this.opts.rpcUrl, { pollingInterval: this.opts.pollMs });
      await bindStoreToChain(this.store, provider, { rewardDistributor: this.opts.distributor });
    }
    let runner: ContractRunner = provider;
    if (this.opts.privateKey) {
      const wallet = new Wallet(this.opts.privateKey, provider);
      this.tx = new DurableTxManager(this.log, this.store, wallet, durableTxOptionsFrom(this.opts, this.opts.pollMs));
      runner = wallet;
    }
    this.distributor = rewardDistributor(this.opts.distributor, runner);
    this.leadership = new Leadership(this.store, "epoch", this.opts.leaseMs, this.log, "EpochKeeper", this.registry);
  }

  async tick(): Promise<void> {
    await this.closeDue();
  }

  /** Closes every closable epoch (in order, up to maxClosesPerTick); returns the epochs closed. */
  async closeDue(): Promise<bigint[]> {
    const done: bigint[] = [];
    if (!(await this.leadership.check())) return done;
    if (this.tx && !this.opts.dryRun) await this.tx.resume();
    for (let i = 0; i < this.opts.maxClosesPerTick; i++) {
      if (i > 0 && !(await this.leadership.check())) break;
      const [needed, data] = (await this.distributor.checkUpkeep("0x")) as [boolean, string];
      const [epoch] = AbiCoder.defaultAbiCoder().decode(["uint64"], data) as unknown as [bigint];
      this.nextEpoch = epoch;
      this.nextGauge.set(Number(epoch));
      if (!needed) break;
      if (this.opts.dryRun || !this.tx) {
        this.log.info("EpochKeeper#dryRun", { epoch });
        break;
      }
      try {
        const out = await this.tx.send(
          `closeEpoch:${epoch}`,
          { to: this.opts.distributor, data: distributorInterface.encodeFunctionData("closeEpoch", [epoch]) },
          {
            alreadyDone: async () => BigInt(await this.distributor.nextEpochToClose()) > epoch,
          },
        );
        if (out.status === "mined") this.closed.inc();
        const info = (await this.distributor.epochInfo(epoch)) as { totals: { totalPoints: bigint; emission: bigint } };
        this.log.info("EpochKeeper#closed", {
          epoch,
          by: out.status === "mined" ? "us" : "other",
          tx: out.status === "mined" ? out.receipt.hash : null,
          totalPoints: info.totals.totalPoints,
          emission: info.totals.emission,
        });
        done.push(epoch);
      } catch (e) {
        if (!(e instanceof TxRevertedError || e instanceof TxDroppedError || isRevert(e))) throw e;
        if (BigInt(await this.distributor.nextEpochToClose()) > epoch) {
          this.log.info("EpochKeeper#closed", { epoch, by: "other" });
          continue;
        }
        const d = decodeDistributorError(e);
        this.log.warn("EpochKeeper#reverted", {
          epoch,
          error: d ? `${d.name}(${d.args.map(String).join(", ")})` : (e as Error).message,
        });
        break;
      }
    }
    return done;
  }

  status(): Record<string, unknown> {
    return {
      service: "epoch",
      from: this.tx?.address ?? null,
      nextEpochToClose: this.nextEpoch?.toString() ?? null,
      dryRun: this.opts.dryRun,
      ...this.leadership?.status(),
    };
  }

  async close(): Promise<void> {
    await this.store?.close();
  }
}
