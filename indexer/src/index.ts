/**
 * Indexing functions: every event of every protocol contract lands in `event`; the events that
 * change the protocol's state also update its tables (devices, batches, points, epochs, rules,
 * data-credit burns, proposals, votes, timelock operations). Handlers are registered from the
 * ABIs, so an event added to a contract is indexed without a change here.
 */
import { ponder } from "ponder:registry";
import * as schema from "ponder:schema";
import { decodeFunctionData, type Abi, type Hex } from "viem";
import { DEVICE_ACCOUNT, INDEXED_CONTRACTS, eventKeys, loadAbi } from "../contracts.js";
import { indexerSettings } from "../settings.js";
import { unpackDeviceWords } from "../../sdk/src/reward-receipt.js";

const DEVICE_STATUS = ["none", "provisioned", "bound", "active", "suspended", "decommissioned"] as const;

type Args = Record<string, unknown>;
interface Ev {
  args: Args;
  log: { logIndex: number; address: Hex };
  block: { number: bigint; hash: Hex; timestamp: bigint };
  transaction: { hash: Hex; input: Hex; to: Hex | null };
}
// Ponder's context, narrowed to what the handlers use (the ABIs are loaded at run time).
type Db = {
  insert: (t: unknown) => {
    values: (v: unknown) => Promise<unknown> & {
      onConflictDoNothing: () => Promise<unknown>;
      onConflictDoUpdate: (u: unknown) => Promise<unknown>;
    };
  };
  update: (t: unknown, key: unknown) => { set: (v: unknown) => Promise<unknown> };
  find: (t: unknown, key: unknown) => Promise<Record<string, unknown> | null>;
};
interface Ctx {
  db: Db;
}

const toJson = (v: unknown): unknown =>
  typeof v === "bigint"
    ? v.toString()
    : Array.isArray(v)
      ? v.map(toJson)
      : v && typeof v === "object"
        ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJson(x)]))
        : v;

const big = (v: unknown): bigint => BigInt(v as bigint | number);

const settings = indexerSettings();
const distributorAbi = loadAbi(
  settings.artifactsDir,
  INDEXED_CONTRACTS.find((c) => c.name === "RewardDistributor")!,
);

async function touchDevice(db: Db, id: bigint, at: bigint, set: Record<string, unknown>): Promise<void> {
  await db
    .insert(schema.device)
    .values({ id, status: "provisioned", updatedAt: at, ...set })
    .onConflictDoUpdate({ ...set, updatedAt: at });
}

/** State changes by `${contract}:${event name}`. */
const DOMAIN: Record<string, (e: Ev, db: Db) => Promise<void>> = {
  "DeviceRegistry:DeviceProvisioned": async (e, db) =>
    touchDevice(db, big(e.args.deviceId), e.block.timestamp, {
      status: "provisioned",
      maker: e.args.maker,
      keyId: e.args.keyId,
      provisionedAt: e.block.timestamp,
    }),
  "DeviceRegistry:DeviceBound": async (e, db) =>
    touchDevice(db, big(e.args.deviceId), e.block.timestamp, { status: "bound", owner: e.args.owner, keyId: e.args.keyId }),
  "DeviceRegistry:DeviceStatusChanged": async (e, db) =>
    touchDevice(db, big(e.args.deviceId), e.block.timestamp, { status: DEVICE_STATUS[Number(e.args.to)] ?? String(e.args.to) }),
  "DeviceRegistry:DeviceKeyRotated": async (e, db) =>
    touchDevice(db, big(e.args.deviceId), e.block.timestamp, { keyId: (e.args.newKeyId ?? e.args.keyId ?? null) as Hex | null }),
  "DeviceRegistry:DeviceReleased": async (e, db) =>
    touchDevice(db, big(e.args.deviceId), e.block.timestamp, { status: "provisioned", owner: null }),
  "DeviceRegistry:DeviceDocumentSet": async (e, db) =>
    touchDevice(db, big(e.args.deviceId), e.block.timestamp, { documentUri: e.args.uri }),
  "DeviceRegistry:Transfer": async (e, db) => {
    const zero = "0x0000000000000000000000000000000000000000";
    if (e.args.to === zero || e.args.from === zero) return; // bind / release have their own events
    await touchDevice(db, big(e.args.tokenId), e.block.timestamp, { owner: e.args.to });
  },
  "DeviceAccountFactory:DeviceAccountCreated": async (e, db) =>
    touchDevice(db, big(e.args.deviceId), e.block.timestamp, { account: e.args.account }),

  "DataAvailability:BatchCommitted": async (e, db) => {
    await db
      .insert(schema.batch)
      .values({
        id: big(e.args.batchId),
        epoch: big(e.args.epoch),
        root: big(e.args.root),
        leafCount: Number(e.args.leafCount),
        depth: Number(e.args.depth),
        sequencer: e.args.sequencer,
        uri: e.args.uri,
        commitTx: e.transaction.hash,
        committedAt: e.block.timestamp,
      })
      .onConflictDoNothing();
  },
  "DataAvailability:BatchInvalidated": async (e, db) => {
    if (await db.find(schema.batch, { id: big(e.args.batchId) }))
      await db.update(schema.batch, { id: big(e.args.batchId) }).set({ invalidatedAt: e.block.timestamp });
  },

  "RewardDistributor:BatchSettled": async (e, db) => {
    const batchId = big(e.args.batchId);
    const ep = big(e.args.epoch);
    const points = big(e.args.points);
    if (await db.find(schema.batch, { id: batchId }))
      await db
        .update(schema.batch, { id: batchId })
        .set({ settleTx: e.transaction.hash, settledAt: e.block.timestamp, ruleVersion: big(e.args.ruleVersion), points });
    await db
      .insert(schema.epoch)
      .values({ id: ep, settledPoints: points, batches: 1, closed: false, claimed: 0n })
      .onConflictDoUpdate((row: { settledPoints: bigint; batches: number }) => ({
        settledPoints: row.settledPoints + points,
        batches: row.batches + 1,
      }));
    // Per-device points are in settle()'s calldata (the event carries only the total). A settle
    // made through another contract is not decodable here: its points stay in the total only.
    let words: readonly bigint[] | undefined;
    try {
      const call = decodeFunctionData({ abi: distributorAbi as Abi, data: e.transaction.input });
      if (call.functionName === "settle" && big((call.args as unknown[])[0]) === batchId)
        words = (call.args as unknown[])[2] as readonly bigint[];
    } catch {
      words = undefined;
    }
    if (!words) {
      console.warn(
        JSON.stringify({
          at: "Indexer#BatchSettled",
          level: "warn",
          batchId: String(batchId),
          msg: "settle calldata not decodable",
        }),
      );
      return;
    }
    for (const { deviceId, points: p } of unpackDeviceWords(words)) {
      await db.insert(schema.batchPoints).values({ batchId, deviceId, epoch: ep, points: p }).onConflictDoNothing();
      await db
        .insert(schema.deviceEpoch)
        .values({ deviceId, epoch: ep, points: p, claimed: false })
        .onConflictDoUpdate((row: { points: bigint }) => ({ points: row.points + p }));
    }
  },
  "RewardDistributor:EpochClosed": async (e, db) => {
    const ep = big(e.args.epoch);
    const set = {
      closed: true,
      totalPoints: big(e.args.totalPoints),
      emission: big(e.args.emission),
      closeTx: e.transaction.hash,
      closedAt: e.block.timestamp,
    };
    await db
      .insert(schema.epoch)
      .values({ id: ep, settledPoints: 0n, batches: 0, claimed: 0n, ...set })
      .onConflictDoUpdate(set);
  },
  "RewardDistributor:RewardClaimed": async (e, db) => {
    const deviceId = big(e.args.deviceId);
    const ep = big(e.args.epoch);
    const amount = big(e.args.amount);
    const set = { claimed: true, amount, recipient: e.args.recipient, claimTx: e.transaction.hash };
    await db
      .insert(schema.deviceEpoch)
      .values({ deviceId, epoch: ep, points: big(e.args.points), ...set })
      .onConflictDoUpdate(set);
    if (await db.find(schema.epoch, { id: ep }))
      await db.update(schema.epoch, { id: ep }).set((row: { claimed: bigint }) => ({ claimed: row.claimed + amount }));
  },
  "RewardDistributor:RuleScheduled": async (e, db) => {
    const set = {
      fromEpoch: big(e.args.fromEpoch),
      minValue: big(e.args.minValue),
      maxValue: big(e.args.maxValue),
      capPerBatch: big(e.args.capPerBatch),
    };
    await db
      .insert(schema.ruleVersion)
      .values({ id: big(e.args.version), ...set })
      .onConflictDoUpdate(set);
  },
  "RewardEmission:EpochEmissionMinted": async (e, db) => {
    const ep = big(e.args.epoch);
    const minted = big(e.args.amount);
    await db
      .insert(schema.epoch)
      .values({ id: ep, settledPoints: 0n, batches: 0, closed: false, claimed: 0n, minted })
      .onConflictDoUpdate({ minted });
  },
  "DataCredits:CreditsSpent": async (e, db) => {
    await db
      .insert(schema.creditBurn)
      .values({
        id: `${e.block.number}-${e.log.logIndex}`,
        consumer: e.args.consumer,
        operator: e.args.operator,
        amount: big(e.args.amount),
        ref: e.args.ref,
        blockTime: e.block.timestamp,
        txHash: e.transaction.hash,
      })
      .onConflictDoNothing();
  },

  "Governor:ProposalCreated": async (e, db) => {
    await db
      .insert(schema.proposal)
      .values({
        id: big(e.args.proposalId),
        proposer: e.args.proposer,
        description: String(e.args.description),
        targets: toJson(e.args.targets),
        voteStart: big(e.args.voteStart),
        voteEnd: big(e.args.voteEnd),
        forVotes: 0n,
        againstVotes: 0n,
        abstainVotes: 0n,
        voters: 0,
        stage: "created",
        createdTx: e.transaction.hash,
      })
      .onConflictDoNothing();
  },
  "Governor:VoteCast": async (e, db) => castVote(e, db),
  "Governor:VoteCastWithParams": async (e, db) => castVote(e, db),
  "Governor:ProposalQueued": async (e, db) =>
    setProposal(db, e, { stage: "queued", eta: big(e.args.etaSeconds ?? e.args.eta), queuedTx: e.transaction.hash }),
  "Governor:ProposalExecuted": async (e, db) => setProposal(db, e, { stage: "executed", executedTx: e.transaction.hash }),
  "Governor:ProposalCanceled": async (e, db) => setProposal(db, e, { stage: "canceled", canceledTx: e.transaction.hash }),

  "Timelock:CallScheduled": async (e, db) => {
    await db
      .insert(schema.timelockOperation)
      .values({
        id: e.args.id,
        calls: 1,
        readyAt: e.block.timestamp + big(e.args.delay),
        stage: "scheduled",
        scheduledTx: e.transaction.hash,
      })
      .onConflictDoUpdate((row: { calls: number }) => ({ calls: row.calls + 1 }));
  },
  "Timelock:CallExecuted": async (e, db) => {
    if (await db.find(schema.timelockOperation, { id: e.args.id }))
      await db.update(schema.timelockOperation, { id: e.args.id }).set({ stage: "executed", executedTx: e.transaction.hash });
  },
  "Timelock:Cancelled": async (e, db) => {
    if (await db.find(schema.timelockOperation, { id: e.args.id }))
      await db.update(schema.timelockOperation, { id: e.args.id }).set({ stage: "canceled" });
  },
};

async function setProposal(db: Db, e: Ev, set: Record<string, unknown>): Promise<void> {
  const id = big(e.args.proposalId);
  if (await db.find(schema.proposal, { id })) await db.update(schema.proposal, { id }).set(set);
}

async function castVote(e: Ev, db: Db): Promise<void> {
  const proposalId = big(e.args.proposalId);
  const weight = big(e.args.weight);
  const support = Number(e.args.support);
  await db
    .insert(schema.vote)
    .values({ proposalId, voter: e.args.voter, support, weight, reason: String(e.args.reason ?? ""), txHash: e.transaction.hash })
    .onConflictDoNothing();
  const column = support === 1 ? "forVotes" : support === 0 ? "againstVotes" : "abstainVotes";
  if (await db.find(schema.proposal, { id: proposalId }))
    await db.update(schema.proposal, { id: proposalId }).set((row: Record<string, bigint | number>) => ({
      [column]: (row[column] as bigint) + weight,
      voters: (row.voters as number) + 1,
    }));
}

const on = ponder.on.bind(ponder) as unknown as (name: string, fn: (a: { event: Ev; context: Ctx }) => Promise<void>) => void;

const present = (c: { record: string; name: string }) =>
  c.name === DEVICE_ACCOUNT.name
    ? "deviceAccountFactory" in settings.deployment.contracts
    : c.record in settings.deployment.contracts;

for (const c of [...INDEXED_CONTRACTS, DEVICE_ACCOUNT].filter(present)) {
  for (const { key, event: abiEvent } of eventKeys(loadAbi(settings.artifactsDir, c))) {
    const domain = DOMAIN[`${c.name}:${abiEvent.name}`];
    on(`${c.name}:${key}`, async ({ event, context }) => {
      await context.db
        .insert(schema.event)
        .values({
          id: `${event.block.number}-${event.log.logIndex}`,
          contract: c.name,
          address: event.log.address,
          name: abiEvent.name,
          blockNumber: event.block.number,
          blockHash: event.block.hash,
          blockTime: event.block.timestamp,
          logIndex: event.log.logIndex,
          txHash: event.transaction.hash,
          args: toJson(event.args),
        })
        .onConflictDoNothing();
      if (domain) await domain(event, context.db);
    });
  }
}
