/**
 * Faults of the settlement keepers, with real processes and the in-process chain:
 *  - the prover SIGKILLed mid-proof and restarted: every batch proven and settled exactly once;
 *  - the submitter SIGKILLed between send and receipt: the restart follows the journaled
 *    transaction (same nonce, same hash), no second settle is sent;
 *  - a slow settle is re-priced (fee bump, same nonce) and exactly one of its hashes is mined;
 *  - rejections: a tampered stored reading (root no longer matches the commitment) and a batch
 *    the circuit cannot hold (more earning devices than slots) are failed with a clear reason,
 *    not retried, and do not block the other batches.
 */
import { expect } from "chai";
import { Transaction } from "ethers";
import { spawnKeeper, waitFor } from "../../datapath/fixtures.js";
import { DAY, setup, SUBMITTER_KEY, type Fixture } from "./fixture.js";

const DEVICES = [11n, 22n, 33n, 44n, 55n];

/** One batch of `n` earning readings over `devices`. */
function batch(f: Fixture, devices: bigint[], n = 8) {
  return f.readings(
    Array.from({ length: n }, (_, i) => ({ deviceId: devices[i % devices.length], value: 150n, offset: BigInt(i) })),
  );
}

/** Submitter SIGKILLed after its settle reached the mempool; the transaction is mined while it is down. */
async function submitterCrashBetweenSendAndReceipt(f: Fixture): Promise<void> {
  await f.ingestAndCommit([batch(f, [11n, 22n])]);
  await f.networkHelpers.time.increase(DAY + 1n);
  const prover = await f.makeProver();
  expect(await prover.proveDue()).to.deep.equal([1n]);
  await prover.close();

  const sender = (await f.makeSubmitter()).tx!.address;
  const nonceBefore = await f.provider.getTransactionCount(sender, "latest");
  await f.conn.provider.request({ method: "evm_setAutomine", params: [false] });
  const flags = {
    store: f.storeUrl,
    "rpc-url": f.rpc.url,
    distributor: f.distributorAddress,
    "private-key": SUBMITTER_KEY,
    "poll-ms": 50,
    "metrics-port": -1,
    schedule: "* * * * * *",
  };
  const k = await spawnKeeper("submitter", flags);
  let sentHash = "";
  try {
    await waitFor(
      async () => {
        const j = await f.store.getTx("settle:1");
        if (!j) return false;
        sentHash = j.hashes[0];
        return (await f.provider.getTransaction(sentHash)) !== null; // in the node's mempool
      },
      60_000,
      "the settle transaction to be sent",
    );
    k.child.kill("SIGKILL");
    await k.exited;
  } finally {
    if (k.child.exitCode === null) k.child.kill("SIGKILL");
  }
  expect((await f.store.getTx("settle:1"))!.status).to.equal("pending");
  expect((await f.store.getProof(1n))!.status).to.equal("proven");
  // The transaction is mined while no submitter runs.
  await f.conn.provider.request({ method: "evm_mine", params: [] });
  await f.conn.provider.request({ method: "evm_setAutomine", params: [true] });

  const submitter = await f.makeSubmitter();
  try {
    expect(await submitter.submitPending()).to.deep.equal([1n]);
  } finally {
    await submitter.close();
  }
  const p = (await f.store.getProof(1n))!;
  expect(p.status).to.equal("settled");
  expect(p.settleTx).to.equal(sentHash);
  const j = (await f.store.getTx("settle:1"))!;
  expect(j.status).to.equal("mined");
  expect(j.hashes).to.deep.equal([sentHash]);
  expect(await f.provider.getTransactionCount(sender, "latest")).to.equal(nonceBefore + 1);
  expect(await f.settlements()).to.deep.equal([[1n, 6n]]); // 2 devices × 4 earning readings, capped at 3
}

describe("Settlement keepers under faults (SQLite, real processes)", function () {
  this.timeout(240_000);
  let f: Fixture;

  beforeEach(async () => {
    f = await setup("sqlite");
    await f.activate(DEVICES);
  });
  afterEach(async () => f.cleanup());

  it("prover SIGKILLed mid-proof, restarted: each batch proven once and settled exactly once", async () => {
    await f.ingestAndCommit([batch(f, [11n, 22n]), batch(f, [33n]), batch(f, [44n, 55n])]);
    await f.networkHelpers.time.increase(DAY + 1n);
    const flags = {
      store: f.storeUrl,
      "rpc-url": f.rpc.url,
      distributor: f.distributorAddress,
      workers: 1,
      "metrics-port": -1,
      schedule: "* * * * * *",
      progress: "on",
    };

    let k = await spawnKeeper("prover", flags);
    const dbg = process.env.DEPIN_TEST_LOGS
      ? setInterval(() => console.error("CHILD>", k.output().slice(-2000)), 5000)
      : undefined;
    try {
      // Kill while the first proof is running (its start is logged; a proof takes seconds).
      await waitFor(() => k.output().includes('"at":"Prover#proving"'), 60_000, "the prover to start proving");
      k.child.kill("SIGKILL");
      await k.exited;
      const before = (await Promise.all([1n, 2n, 3n].map((id) => f.store.getProof(id)))).filter((p) => p !== null);
      expect(before.length, "killed before every proof was stored").to.be.lessThan(3);

      k = await spawnKeeper("prover", flags);
      await waitFor(
        async () => (await f.store.listProofs("proven", 10)).length === 3,
        120_000,
        "three stored proofs after the restart",
      );
      k.child.kill("SIGTERM");
      expect(await k.exited).to.equal(0);
      expect(k.output()).to.match(/prover: batch \d+ proven/); // the progress line (forced on, no terminal)
    } finally {
      clearInterval(dbg);
      if (k.child.exitCode === null) k.child.kill("SIGKILL");
    }

    const submitter = await f.makeSubmitter();
    try {
      expect(await submitter.submitPending()).to.deep.equal([1n, 2n, 3n]);
      expect(await submitter.submitPending()).to.deep.equal([]);
    } finally {
      await submitter.close();
    }
    // A prover pass over the settled store proves nothing again.
    const prover = await f.makeProver();
    try {
      expect(await prover.proveDue()).to.deep.equal([]);
    } finally {
      await prover.close();
    }
    expect((await f.settlements()).map(([id]) => id)).to.deep.equal([1n, 2n, 3n]);
  });

  it("submitter SIGKILLed between send and receipt: the restart follows the same transaction, no second settle", async () => {
    await submitterCrashBetweenSendAndReceipt(f);
  });

  it("submitter SIGKILLed before its transaction was mined: the restart re-broadcasts the journaled one", async () => {
    await f.ingestAndCommit([batch(f, [11n, 22n])]);
    await f.networkHelpers.time.increase(DAY + 1n);
    const prover = await f.makeProver();
    await prover.proveDue();
    await prover.close();
    await f.conn.provider.request({ method: "evm_setAutomine", params: [false] });
    const flags = {
      store: f.storeUrl,
      "rpc-url": f.rpc.url,
      distributor: f.distributorAddress,
      "private-key": SUBMITTER_KEY,
      "poll-ms": 50,
      "metrics-port": -1,
      schedule: "* * * * * *",
    };
    const k = await spawnKeeper("submitter", flags);
    try {
      await waitFor(async () => (await f.store.getTx("settle:1")) !== null, 60_000, "the settle transaction to be journaled");
      k.child.kill("SIGKILL");
      await k.exited;
    } finally {
      if (k.child.exitCode === null) k.child.kill("SIGKILL");
    }
    const journaled = (await f.store.getTx("settle:1"))!;
    // Drop whatever reached the mempool: the restart must broadcast the journaled raw transaction.
    for (const h of journaled.hashes) await f.conn.provider.request({ method: "hardhat_dropTransaction", params: [h] });
    expect(await f.provider.getTransaction(journaled.hashes[0])).to.equal(null);

    const submitter = await f.makeSubmitter({ bumpAfterSec: 60 });
    try {
      const run = submitter.submitPending();
      await waitFor(async () => (await f.provider.getTransaction(journaled.hashes[0])) !== null, 30_000, "the re-broadcast");
      await f.conn.provider.request({ method: "evm_mine", params: [] });
      expect(await run).to.deep.equal([1n]);
    } finally {
      await f.conn.provider.request({ method: "evm_setAutomine", params: [true] });
      await submitter.close();
    }
    expect((await f.store.getProof(1n))!.settleTx).to.equal(journaled.hashes[0]);
    expect((await f.settlements()).length).to.equal(1);
  });

  it("a settle with no receipt is re-priced with the same nonce; one of its hashes is mined, once", async () => {
    await f.ingestAndCommit([batch(f, [11n, 22n])]);
    await f.networkHelpers.time.increase(DAY + 1n);
    const prover = await f.makeProver();
    await prover.proveDue();
    await prover.close();
    await f.conn.provider.request({ method: "evm_setAutomine", params: [false] });
    const submitter = await f.makeSubmitter({ bumpAfterSec: 1, bumpPercent: 125 });
    let firstFee = 0n;
    try {
      const run = submitter.submitPending();
      await waitFor(async () => (await f.store.getTx("settle:1")) !== null, 30_000, "the first send");
      const first = Transaction.from((await f.store.getTx("settle:1"))!.raw);
      firstFee = first.maxFeePerGas!;
      // A bump is journaled before its broadcast: wait until the replacement is in the mempool.
      await waitFor(
        async () => {
          const j = await f.store.getTx("settle:1");
          return (j?.hashes.length ?? 0) >= 2 && (await f.provider.getTransaction(j!.hashes[1])) !== null;
        },
        30_000,
        "a fee bump in the mempool",
      );
      await f.conn.provider.request({ method: "evm_mine", params: [] });
      expect(await run).to.deep.equal([1n]);
    } finally {
      await f.conn.provider.request({ method: "evm_setAutomine", params: [true] });
      await submitter.close();
    }
    const j = (await f.store.getTx("settle:1"))!;
    expect(j.hashes.length).to.be.greaterThanOrEqual(2);
    // A replacement (not the first, under-priced one) was mined; with the node's mempool
    // replacing by nonce, a later bump may land before the mining.
    expect(j.hashes.slice(1)).to.include(j.minedHash);
    const mined = (await f.provider.getTransaction(j.minedHash!))!;
    expect(mined.nonce).to.equal(Number(j.nonce));
    expect(mined.maxFeePerGas! >= (firstFee * 125n) / 100n).to.equal(true);
    // The replaced hash never made it on-chain.
    expect(await f.provider.getTransactionReceipt(j.hashes[0])).to.equal(null);
    expect(await f.settlements()).to.deep.equal([[1n, 6n]]);
  });

  it("rejects a batch whose stored readings were tampered with and one the circuit cannot hold; not retried, others settle", async () => {
    // Batch 1 honest; batch 2 tampered after commitment; batch 3 has 5 earning devices (4 slots),
    // sealed by a sequencer misconfigured with more devices per batch than the circuit's slots.
    await f.ingestAndCommit([batch(f, [11n, 22n]), batch(f, [33n]), batch(f, DEVICES, 10)], undefined, { maxDevices: 8 });
    await f.tamper("UPDATE readings SET value = value + 1 WHERE batch_id = 2 AND batch_index = 0");
    await f.networkHelpers.time.increase(DAY + 1n);
    const prover = await f.makeProver({ maxAttempts: 3 });
    try {
      expect(await prover.proveDue()).to.deep.equal([1n]);
      const tampered = (await f.store.getProof(2n))!;
      expect(tampered.status).to.equal("failed");
      expect(tampered.error).to.match(/^ROOT_MISMATCH: batch 2: the stored readings hash to root \d+, the chain committed \d+/);
      const crowded = (await f.store.getProof(3n))!;
      expect(crowded.status).to.equal("failed");
      expect(crowded.error).to.equal("RULE_UNPROVABLE: batch 3: TOO_MANY_DEVICES: 5 earning devices do not fit 4 device slots");
      // Not retried: further passes leave both rows as they are.
      expect(await prover.proveDue()).to.deep.equal([]);
      expect(await prover.proveDue()).to.deep.equal([]);
      for (const id of [2n, 3n]) {
        const p = (await f.store.getProof(id))!;
        expect(p.attempts).to.equal(1);
        expect(p.proof).to.equal(null);
      }
      const status = await prover.status();
      expect((status.failed as { batchId: string }[]).map((x) => x.batchId)).to.deep.equal(["2", "3"]);
      const metrics = await prover.registry.metrics();
      expect(metrics).to.match(/depin_prover_failures_total\{code="ROOT_MISMATCH"\} 1/);
      expect(metrics).to.match(/depin_prover_failures_total\{code="RULE_UNPROVABLE"\} 1/);
    } finally {
      await prover.close();
    }
    const submitter = await f.makeSubmitter();
    try {
      expect(await submitter.submitPending()).to.deep.equal([1n]);
    } finally {
      await submitter.close();
    }
    expect((await f.settlements()).map(([id]) => id)).to.deep.equal([1n]);
    // The honest batch's stored readings and proof were not changed by the failures around it.
    expect((await f.store.getProof(1n))!.status).to.equal("settled");
    expect(await f.store.batchReadings(1n)).to.have.length(8);
  });
});

describe("Settlement keepers under faults (PostgreSQL, real processes)", function () {
  this.timeout(240_000);
  let f: Fixture;

  beforeEach(async () => {
    f = await setup("postgres");
    await f.activate(DEVICES);
  });
  afterEach(async () => f.cleanup());

  it("submitter SIGKILLed between send and receipt: the restart follows the same transaction, no second settle", async () => {
    await submitterCrashBetweenSendAndReceipt(f);
  });
});
