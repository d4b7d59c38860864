/**
 * The indexer's tables. `event` holds every event of every protocol contract (decoded arguments
 * as JSON, one row per log); the other tables are views of the protocol built from those events
 * for the network API (indexer/src/api). Ponder keeps them reorg-safe (rows of orphaned blocks
 * are reverted) and resumes from its checkpoint after a crash.
 */
import { index, onchainTable, primaryKey } from "ponder";

/** Every log of every indexed contract: `${blockNumber}-${logIndex}` is unique per chain. */
export const event = onchainTable(
  "event",
  (t) => ({
    id: t.text().primaryKey(),
    contract: t.text().notNull(),
    address: t.hex().notNull(),
    name: t.text().notNull(),
    blockNumber: t.bigint().notNull(),
    blockHash: t.hex().notNull(),
    blockTime: t.bigint().notNull(),
    logIndex: t.integer().notNull(),
    txHash: t.hex().notNull(),
    args: t.json().notNull(),
  }),
  (t) => ({ byName: index().on(t.contract, t.name), byBlock: index().on(t.blockNumber) }),
);

export const device = onchainTable("device", (t) => ({
  id: t.bigint().primaryKey(),
  status: t.text().notNull(),
  maker: t.hex(),
  owner: t.hex(),
  keyId: t.hex(),
  account: t.hex(),
  documentUri: t.text(),
  provisionedAt: t.bigint(),
  updatedAt: t.bigint().notNull(),
}));

export const batch = onchainTable(
  "batch",
  (t) => ({
    id: t.bigint().primaryKey(),
    epoch: t.bigint().notNull(),
    root: t.bigint().notNull(),
    leafCount: t.integer().notNull(),
    depth: t.integer().notNull(),
    sequencer: t.hex().notNull(),
    uri: t.text().notNull(),
    commitTx: t.hex().notNull(),
    committedAt: t.bigint().notNull(),
    invalidatedAt: t.bigint(),
    settleTx: t.hex(),
    settledAt: t.bigint(),
    ruleVersion: t.bigint(),
    points: t.bigint(),
  }),
  (t) => ({ byEpoch: index().on(t.epoch) }),
);

/** Points a device earned in one settled batch (from settle()'s device words). */
export const batchPoints = onchainTable(
  "batch_points",
  (t) => ({
    batchId: t.bigint().notNull(),
    deviceId: t.bigint().notNull(),
    epoch: t.bigint().notNull(),
    points: t.bigint().notNull(),
  }),
  (t) => ({ pk: primaryKey({ columns: [t.batchId, t.deviceId] }), byDevice: index().on(t.deviceId, t.epoch) }),
);

/** A device's points, claim and payout in one epoch. */
export const deviceEpoch = onchainTable(
  "device_epoch",
  (t) => ({
    deviceId: t.bigint().notNull(),
    epoch: t.bigint().notNull(),
    points: t.bigint().notNull(),
    claimed: t.boolean().notNull(),
    amount: t.bigint(),
    recipient: t.hex(),
    claimTx: t.hex(),
  }),
  (t) => ({ pk: primaryKey({ columns: [t.deviceId, t.epoch] }), byEpoch: index().on(t.epoch) }),
);

export const epoch = onchainTable("epoch", (t) => ({
  id: t.bigint().primaryKey(),
  settledPoints: t.bigint().notNull(),
  batches: t.integer().notNull(),
  closed: t.boolean().notNull(),
  totalPoints: t.bigint(),
  emission: t.bigint(),
  minted: t.bigint(),
  closeTx: t.hex(),
  closedAt: t.bigint(),
  claimed: t.bigint().notNull(),
}));

export const ruleVersion = onchainTable("rule_version", (t) => ({
  id: t.bigint().primaryKey(),
  fromEpoch: t.bigint().notNull(),
  minValue: t.bigint().notNull(),
  maxValue: t.bigint().notNull(),
  capPerBatch: t.bigint().notNull(),
}));

export const creditBurn = onchainTable("credit_burn", (t) => ({
  id: t.text().primaryKey(),
  consumer: t.hex().notNull(),
  operator: t.hex().notNull(),
  amount: t.bigint().notNull(),
  ref: t.hex().notNull(),
  blockTime: t.bigint().notNull(),
  txHash: t.hex().notNull(),
}));

export const proposal = onchainTable("proposal", (t) => ({
  id: t.bigint().primaryKey(),
  proposer: t.hex().notNull(),
  description: t.text().notNull(),
  targets: t.json().notNull(),
  voteStart: t.bigint().notNull(),
  voteEnd: t.bigint().notNull(),
  forVotes: t.bigint().notNull(),
  againstVotes: t.bigint().notNull(),
  abstainVotes: t.bigint().notNull(),
  voters: t.integer().notNull(),
  /** created | queued | executed | canceled (the Governor's live state also depends on time: see the API). */
  stage: t.text().notNull(),
  eta: t.bigint(),
  createdTx: t.hex().notNull(),
  queuedTx: t.hex(),
  executedTx: t.hex(),
  canceledTx: t.hex(),
}));

export const vote = onchainTable(
  "vote",
  (t) => ({
    proposalId: t.bigint().notNull(),
    voter: t.hex().notNull(),
    support: t.integer().notNull(),
    weight: t.bigint().notNull(),
    reason: t.text().notNull(),
    txHash: t.hex().notNull(),
  }),
  (t) => ({ pk: primaryKey({ columns: [t.proposalId, t.voter] }) }),
);

/** Timelock operations (CallScheduled / CallExecuted / Cancelled), one row per operation id. */
export const timelockOperation = onchainTable("timelock_operation", (t) => ({
  id: t.hex().primaryKey(),
  calls: t.integer().notNull(),
  readyAt: t.bigint().notNull(),
  /** scheduled | executed | canceled */
  stage: t.text().notNull(),
  scheduledTx: t.hex().notNull(),
  executedTx: t.hex(),
}));
