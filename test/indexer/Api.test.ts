/**
 * The network API on a populated network: the demo's (scripts/demo/run.ts) — the whole protocol
 * deployed with the DevProtocol module, devices bound through the real registry, readings over
 * MQTT, batches committed, Groth16 proofs settled on-chain, an epoch closed, claims (one through a
 * sponsored UserOperation that deploys the device's account), two executed governance proposals.
 * The indexer (`npm run indexer`, a child process) runs against it with the keepers' store and
 * their /status pages; every REST view is checked value by value against the chain and the store,
 * once when the epoch has just closed (nothing claimed) and once at the end (claimed, second
 * proposal). Then the DA keeper is stopped and readings keep coming: the API shows the keeper down
 * and the sealed batch waiting for its commitment. Bad input gets a clear JSON error.
 */
import { expect } from "chai";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { JsonRpcProvider } from "ethers";
import { runDemo, type DemoNetwork } from "../../scripts/demo/run.js";
import { openStore, type Store } from "../../keepers/common/store/index.js";
import { deviceDid, payoutOf, signReading } from "../../sdk/src/index.js";
import { verifyReceipt, type Receipt } from "../../indexer/receipt.js";
import {
  DataAvailability__factory,
  DeviceAccountFactory__factory,
  DeviceRegistry__factory,
  ProtocolGovernor__factory,
  ProtocolTimelock__factory,
  RewardDistributor__factory,
} from "../../types/typechain/index.js";
import { startIndexer, until, type IndexerProcess } from "./harness.js";

const DEVICES = 5;
const STATUS = ["none", "provisioned", "bound", "active", "suspended", "decommissioned"];
const STALL_SECONDS = 2;

interface ApiDevice {
  id: string;
  status: string;
  owner: string | null;
  account: string | null;
  did: string;
  lastReading: { seq: string; timestamp: string; value: string; batchId: string | null } | null;
  epochs: {
    epoch: string;
    points: string;
    payout: string | null;
    claimable: string | null;
    claimed: boolean;
    claimedAmount: string | null;
    claimTx: string | null;
  }[];
}
interface ApiBatch {
  batchId: string;
  epoch: string;
  root: string;
  leafCount: number;
  stage: string;
  times: {
    firstReadingMs: number | null;
    sealedMs: number | null;
    committed: string | null;
    final: string | null;
    provenMs: number | null;
    settled: string | null;
  };
  commitTx: string | null;
  settleTx: string | null;
  proofStatus: string | null;
  points: string | null;
}
interface ApiEpoch {
  id: string;
  settledPoints: string;
  batches: number | string[];
  closed: boolean;
  totalPoints: string | null;
  emission: string | null;
  minted: string | null;
  claimed: string;
  devices?: { deviceId: string; points: string; claimed: boolean }[];
}
interface ApiKeeper {
  url: string;
  name: string | null;
  ok: boolean;
  state: string;
}
interface ApiNetwork {
  chainId: number;
  devices: Record<string, number>;
  readings: { total: number } | null;
  batches: { committed: number; invalidated: number; settled: number; sealedNotCommitted: number | null };
  proofs: Record<string, number>;
  epochs: { epoch: string; points: string; emission: string | null; closed: boolean }[];
  keepers: ApiKeeper[];
  stalls: { stage: string; batchId?: string; keeper?: string; message: string }[];
}
interface ApiProposals {
  proposals: {
    id: string;
    stage: string;
    forVotes: string;
    againstVotes: string;
    abstainVotes: string;
    voters: number;
    eta: string | null;
    votes: { voter: string; support: number; weight: string }[];
    timelockOperation: { id: string; stage: string; state: string; readyAt: string } | null;
  }[];
  timelock: { id: string; stage: string; state: string }[];
}

describe("Network API on a populated network (real devices, proofs, claims, proposals)", function () {
  this.timeout(300_000);
  let ix: IndexerProcess | undefined;
  let store: Store | undefined;
  let proxy: { url: string; hits: () => number; close: () => Promise<void> } | undefined;
  const dir = mkdtempSync(path.join(os.tmpdir(), "api-"));
  after(async () => {
    await ix?.kill("SIGKILL");
    await store?.close();
    await proxy?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("every view agrees with the chain and the store; a stopped keeper and a stalled stage show; bad ids get clear errors", async () => {
    const seen: string[] = [];
    const inspect = async (net: DemoNetwork): Promise<void> => {
      const provider = new JsonRpcProvider(net.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
      try {
        const record = JSON.parse(readFileSync(net.deploymentFile, "utf8")) as { contracts: Record<string, { address: string }> };
        const at = (name: string) => record.contracts[name].address;
        const c = {
          registry: DeviceRegistry__factory.connect(at("deviceRegistry"), provider),
          factory: DeviceAccountFactory__factory.connect(at("deviceAccountFactory"), provider),
          da: DataAvailability__factory.connect(at("dataAvailability"), provider),
          distributor: RewardDistributor__factory.connect(at("rewardDistributor"), provider),
          governor: ProtocolGovernor__factory.connect(at("governor"), provider),
        };
        if (net.stage === "closed") {
          store = openStore(net.storeUrl);
          await store.init();
          // The bridge's /status through a counting proxy: API callers must not drive keeper calls.
          const bridge = net.keepers.find((k) => k.name === "bridge")!;
          proxy = await countingProxy(bridge.status);
          const statusUrls = net.keepers.map((k) => (k.name === "bridge" ? proxy!.url : k.status));
          ix = await startIndexer({
            deployment: net.deploymentFile,
            rpcUrl: net.rpcUrl,
            data: path.join(dir, "pglite"),
            schema: "api",
            extra: [
              ...["--store", net.storeUrl, "--stall-seconds", String(STALL_SECONDS)],
              ...["--keeper-status", statusUrls.join(",")],
            ],
          });
        }
        await checkNetwork(net, c, provider);
        seen.push(net.stage);
        if (net.stage === "final") await checkStall(net);
      } finally {
        provider.destroy();
      }
    };

    await runDemo({
      devices: DEVICES,
      readings: 4,
      owners: 2,
      intervalMs: 100,
      broker: "",
      db: "",
      verbose: false,
      processes: false,
      receiptDir: dir,
      say: process.env.DEPIN_TEST_LOGS ? (l) => console.error(l) : () => undefined,
      inspect,
    });
    expect(seen).to.deep.equal(["closed", "final"]);
  });

  it("npm run indexer: a bad --rpc-lanes or --stall-seconds is refused naming the flag (exit 2, nothing started)", async () => {
    const run = (args: string[]) =>
      new Promise<{ code: number | null; err: string }>((resolve) => {
        const c = spawn(path.resolve("node_modules", ".bin", "tsx"), ["indexer/cli.ts", ...args], {
          stdio: ["ignore", "ignore", "pipe"],
        });
        let err = "";
        c.stderr.on("data", (d: Buffer) => (err += d.toString()));
        c.on("close", (code) => resolve({ code, err }));
      });
    const deployment = path.join(dir, "record.json");
    writeFileSync(deployment, JSON.stringify({ chainId: 31337, contracts: {} }));
    for (const [flag, value] of [
      ["--rpc-lanes", "0"],
      ["--rpc-lanes", "65"],
      ["--stall-seconds", "0"],
      ["--stall-seconds", "1.5"],
    ]) {
      const r = await run(["--deployment", deployment, flag, value]);
      expect([r.code, r.err], `${flag} ${value}`).to.deep.equal([2, r.err]);
      expect(r.err).to.include(`${flag} must be`);
    }
  });

  const api = async <T>(u: string): Promise<{ status: number; body: T }> => {
    const res = await fetch(`http://127.0.0.1:${ix!.port}${u}`);
    return { status: res.status, body: (await res.json()) as T };
  };
  const ok = async <T>(u: string): Promise<T> => {
    const r = await api<T>(u);
    expect(r.status, `${u}: ${JSON.stringify(r.body)}`).to.equal(200);
    return r.body;
  };

  async function checkNetwork(
    net: DemoNetwork,
    c: {
      registry: ReturnType<typeof DeviceRegistry__factory.connect>;
      factory: ReturnType<typeof DeviceAccountFactory__factory.connect>;
      da: ReturnType<typeof DataAvailability__factory.connect>;
      distributor: ReturnType<typeof RewardDistributor__factory.connect>;
      governor: ReturnType<typeof ProtocolGovernor__factory.connect>;
    },
    provider: JsonRpcProvider,
  ): Promise<void> {
    const final = net.stage === "final";
    const [totals, closed] = await c.distributor.epochInfo(net.epoch);
    expect(closed).to.equal(true);
    const claims = await c.distributor.queryFilter(c.distributor.filters.RewardClaimed());
    const claimedSum = claims.reduce((a, e) => a + e.args.amount, 0n);
    const proposalIds = (await c.governor.queryFilter(c.governor.filters.ProposalCreated())).map((e) => e.args.proposalId);
    expect(proposalIds).to.have.length(final ? 2 : 1);

    // Caught up: the epoch is closed with what was claimed, every proposal is indexed.
    const p = ix!;
    await until(
      async () => {
        try {
          const e = await api<ApiEpoch>(`/v1/epochs/${net.epoch}`);
          const props = await api<ApiProposals>("/v1/proposals");
          return (
            e.status === 200 &&
            e.body.closed &&
            e.body.claimed === claimedSum.toString() &&
            props.body.proposals.filter((x) => x.stage === "executed").length === proposalIds.length
          );
        } catch {
          return false;
        }
      },
      150_000,
      `the indexer to catch up (${net.stage})`,
      p.log,
    );

    // ------------------------------------------------------------ /v1/network
    const n = await ok<ApiNetwork>("/v1/network");
    const batchCount = Number(await store!.lastBatchId());
    expect(Number((await c.da.nextBatchId()) - 1n)).to.equal(batchCount);
    expect(n.chainId).to.equal(Number(net.chainId));
    expect(n.devices).to.deep.equal({ active: Number(await c.registry.deviceCount(3)) });
    expect(n.devices.active).to.equal(DEVICES);
    expect(n.readings?.total).to.equal(await store!.countReadings());
    expect(n.batches).to.deep.equal({ committed: 0, invalidated: 0, settled: batchCount, sealedNotCommitted: 0 });
    expect(n.proofs.settled).to.equal(batchCount);
    const e0 = n.epochs.find((e) => e.epoch === String(net.epoch))!;
    expect(e0).to.deep.equal({
      epoch: String(net.epoch),
      points: totals.totalPoints.toString(),
      emission: totals.emission.toString(),
      closed: true,
    });
    expect(n.keepers.map((k) => [k.name, k.ok, k.state])).to.deep.equal(net.keepers.map((k) => [k.name, true, "ok"]));
    expect(n.stalls, JSON.stringify(n.stalls)).to.deep.equal([]);

    // ------------------------------------------------------------ /v1/devices/{id}
    for (let d = 1n; d <= BigInt(DEVICES); d++) {
      const v = await ok<ApiDevice>(`/v1/devices/${d}`);
      const info = await c.registry.deviceInfo(d);
      expect(v.status, `device ${d}`).to.equal(STATUS[Number(info.status)]);
      expect(v.owner?.toLowerCase()).to.equal(info.owner.toLowerCase());
      expect(v.did).to.equal(deviceDid(net.chainId, d));
      // The account is shown once deployed (the sponsored claim deploys one by its initCode).
      const account = await c.factory.accountAddress(d);
      const deployed = (await provider.getCode(account)) !== "0x";
      expect(v.account?.toLowerCase() ?? null, `device ${d} account`).to.equal(deployed ? account.toLowerCase() : null);
      const lastSeq = await store!.lastSeq(d);
      const last = await store!.getReading(d, lastSeq!);
      expect(v.lastReading).to.deep.include({
        seq: last!.seq.toString(),
        timestamp: last!.timestamp.toString(),
        value: last!.value.toString(),
      });
      const [points, claimedOnChain] = await c.distributor.pointsOf(d, net.epoch);
      const row = v.epochs.find((x) => x.epoch === String(net.epoch));
      if (points === 0n) {
        expect(row).to.equal(undefined);
        continue;
      }
      const payout = payoutOf(points, totals.emission, totals.totalPoints);
      const claim = claims.find((e) => e.args.deviceId === d && e.args.epoch === net.epoch);
      expect(claimedOnChain).to.equal(final);
      expect(row, `device ${d} epoch row`).to.deep.equal({
        epoch: String(net.epoch),
        points: points.toString(),
        payout: payout.toString(),
        claimable: claimedOnChain ? "0" : payout.toString(),
        claimed: claimedOnChain,
        claimedAmount: claim ? claim.args.amount.toString() : null,
        claimTx: claim ? claim.transactionHash : null,
      });
      if (claim) expect(claim.args.amount).to.equal(payout);
    }
    if (final) {
      const accounts = await Promise.all(
        Array.from({ length: DEVICES }, (_, i) => ok<ApiDevice>(`/v1/devices/${i + 1}`).then((v) => v.account)),
      );
      expect(accounts.filter(Boolean), "the sponsored claim deployed one device account").to.have.length(1);
    }

    // ------------------------------------------------------------ /v1/batches/{id}
    for (let b = 1n; b <= BigInt(batchCount); b++) {
      const v = await ok<ApiBatch>(`/v1/batches/${b}`);
      const onChain = await c.da.getBatch(b);
      const sealed = await store!.getBatch(b);
      const readings = await store!.batchReadings(b);
      const proof = await store!.getProof(b);
      const settledEv = (await c.distributor.queryFilter(c.distributor.filters.BatchSettled(b)))[0];
      const committedEv = (await c.da.queryFilter(c.da.filters.BatchCommitted(b)))[0];
      const settledBlock = await provider.getBlock(settledEv.blockNumber);
      expect(v).to.deep.include({
        batchId: b.toString(),
        epoch: onChain.epoch.toString(),
        root: onChain.root.toString(),
        leafCount: Number(onChain.leafCount),
        stage: "settled",
        commitTx: committedEv.transactionHash,
        settleTx: settledEv.transactionHash,
        proofStatus: "settled",
        points: settledEv.args.points.toString(),
      });
      expect(v.times).to.deep.equal({
        firstReadingMs: Math.min(...readings.map((r) => r.receivedAt)),
        sealedMs: sealed!.createdAt,
        committed: onChain.committedAt.toString(),
        final: (await c.da.challengeDeadline(b)).toString(),
        provenMs: proof!.updatedAt,
        settled: settledBlock!.timestamp.toString(),
      });
      // Stage order: off-chain times on the keepers' clock, on-chain times on the chain's.
      const t = v.times;
      expect(t.firstReadingMs!).to.be.at.most(t.sealedMs!);
      expect(t.sealedMs!).to.be.at.most(t.provenMs!);
      expect(BigInt(t.committed!) < BigInt(t.final!)).to.equal(true);
      expect(BigInt(t.final!) <= BigInt(t.settled!)).to.equal(true);
    }

    // ------------------------------------------------------------ /v1/epochs
    const list = await ok<ApiEpoch[]>("/v1/epochs");
    const e = await ok<ApiEpoch>(`/v1/epochs/${net.epoch}`);
    expect(list.find((x) => x.id === String(net.epoch))).to.deep.include({ closed: true, claimed: claimedSum.toString() });
    expect(e).to.deep.include({
      closed: true,
      totalPoints: totals.totalPoints.toString(),
      emission: totals.emission.toString(),
      minted: totals.emission.toString(),
      settledPoints: totals.totalPoints.toString(),
      claimed: claimedSum.toString(),
    });
    expect(e.batches).to.deep.equal(Array.from({ length: batchCount }, (_, i) => String(i + 1)));
    expect(e.devices!.reduce((a, x) => a + BigInt(x.points), 0n)).to.equal(totals.totalPoints);
    for (const x of e.devices!) expect(x.claimed).to.equal(final);

    // ------------------------------------------------------------ /v1/proposals
    const props = await ok<ApiProposals>("/v1/proposals");
    expect(props.proposals.map((x) => x.id).sort()).to.deep.equal(proposalIds.map(String).sort());
    for (const x of props.proposals) {
      const votes = await c.governor.proposalVotes(x.id);
      expect(x, `proposal ${x.id}`).to.deep.include({
        stage: "executed",
        forVotes: votes.forVotes.toString(),
        againstVotes: votes.againstVotes.toString(),
        abstainVotes: votes.abstainVotes.toString(),
        voters: 1,
        eta: (await c.governor.proposalEta(x.id)).toString(),
      });
      expect(Number(await c.governor.state(x.id))).to.equal(7); // Executed
      const cast = (await c.governor.queryFilter(c.governor.filters.VoteCast(undefined))).filter(
        (v) => v.args.proposalId === BigInt(x.id),
      );
      expect(x.votes.map((v) => [v.voter.toLowerCase(), v.support, v.weight])).to.deep.equal(
        cast.map((v) => [v.args.voter.toLowerCase(), Number(v.args.support), v.args.weight.toString()]),
      );
      // Its timelock operation: scheduled in the queue transaction, ready at the eta, executed.
      expect(x.timelockOperation, `proposal ${x.id}'s timelock operation`).to.deep.include({
        stage: "executed",
        state: "executed",
        readyAt: x.eta,
      });
    }
    // Every timelock operation, with its stage as the timelock's events and its own state say.
    const tl = ProtocolTimelock__factory.connect(await c.governor.timelock(), provider);
    const scheduled = await tl.queryFilter(tl.filters.CallScheduled());
    const ids = [...new Set(scheduled.map((x) => x.args.id))];
    expect(props.timelock.map((o) => o.id).sort()).to.deep.equal(ids.sort());
    for (const o of props.timelock) {
      const state = (await tl.isOperationDone(o.id)) ? "executed" : (await tl.isOperationReady(o.id)) ? "ready" : "waiting";
      expect(o.state, `timelock operation ${o.id}`).to.equal(state);
    }

    // ------------------------------------------------------------ receipts
    const best = e.devices!.find((x) => BigInt(x.points) > 0n)!;
    const r = await ok<Receipt>(`/v1/receipts/${best.deviceId}/${net.epoch}`);
    expect(r.payout.claimed).to.equal(final);
    const verified = await verifyReceipt(r, { provider, distributor: await c.distributor.getAddress() });
    expect(verified.amount).to.equal(payoutOf(BigInt(best.points), totals.emission, totals.totalPoints).toString());

    // ------------------------------------------------------------ bad input
    const errors: [string, number, string][] = [
      ["/v1/devices/999", 404, "UNKNOWN_DEVICE"],
      ["/v1/devices/abc", 400, "BAD_DEVICE_ID"],
      ["/v1/devices/-1", 400, "BAD_DEVICE_ID"],
      ["/v1/devices/0x1", 400, "BAD_DEVICE_ID"],
      ["/v1/devices/1.5", 400, "BAD_DEVICE_ID"],
      ["/v1/devices/123456789012345678901", 400, "BAD_DEVICE_ID"],
      ["/v1/batches/999", 404, "UNKNOWN_BATCH"],
      ["/v1/batches/x", 400, "BAD_BATCH_ID"],
      ["/v1/epochs/999999", 404, "UNKNOWN_EPOCH"],
      ["/v1/epochs/e1", 400, "BAD_EPOCH"],
      [`/v1/receipts/999/${net.epoch}`, 404, "UNKNOWN_DEVICE"],
      [`/v1/receipts/${best.deviceId}/${net.epoch + 1n}`, 409, "EPOCH_NOT_CLOSED"],
      [`/v1/receipts/${best.deviceId}/100000`, 404, "UNKNOWN_EPOCH"],
      [`/v1/receipts/x/${net.epoch}`, 400, "BAD_REQUEST"],
      ["/v1/nothing-here", 404, "NOT_FOUND"],
    ];
    for (const [u, status, code] of errors) {
      const res = await api<{ error: { code: string; message: string } }>(u);
      expect([res.status, res.body.error?.code], u).to.deep.equal([status, code]);
      expect(res.body.error.message, u).to.be.a("string").and.not.equal("");
    }
  }

  /** An HTTP proxy to `target` that counts the requests it forwards. */
  async function countingProxy(target: string): Promise<{ url: string; hits: () => number; close: () => Promise<void> }> {
    let hits = 0;
    const server = http.createServer((req, res) => {
      hits++;
      void fetch(target).then(
        async (r) => {
          res.writeHead(r.status, { "content-type": "application/json" });
          res.end(await r.text());
        },
        () => {
          res.writeHead(502);
          res.end();
        },
      );
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    return {
      url: `http://127.0.0.1:${port}/status`,
      hits: () => hits,
      close: () => new Promise((r) => server.close(() => r())),
    };
  }

  /** DA keeper stopped, readings still arriving: the keeper is down and the sealed batch waits. */
  async function checkStall(net: DemoNetwork): Promise<void> {
    const before = await store!.lastBatchId();
    await net.stopKeeper("da");
    // Two readings of device 1 arrive (stored as the bridge stores them); the sequencer seals them.
    const now = BigInt(net.chainClock());
    const epoch = (now - net.genesisTime) / net.epochLength;
    const seq = (await store!.lastSeq(1n))! + 1n;
    await store!.insertReadings(
      [0n, 1n].map((k) => ({
        ...signReading(net.chainId, net.keys[0], { deviceId: 1n, seq: seq + k, timestamp: now, value: 400n }),
        epoch,
      })),
    );
    const p = ix!;
    await until(async () => (await store!.lastBatchId()) > before, 30_000, "the sequencer to seal the new readings", p.log);
    const batchId = (before + 1n).toString();
    let n: ApiNetwork | undefined;
    await until(
      async () => {
        n = await ok<ApiNetwork>("/v1/network");
        return n.stalls.some((s) => s.stage === "commit" && s.batchId === batchId);
      },
      30_000,
      "the API to report the uncommitted batch",
      p.log,
    );
    const da = n!.keepers.find((k) => k.url === net.keepers.find((x) => x.name === "da")!.status)!;
    // 50 callers at once: the keepers' pages are asked at most once per second, not once per call.
    const hits = proxy!.hits();
    const t0 = Date.now();
    await Promise.all(Array.from({ length: 50 }, () => ok<ApiNetwork>("/v1/network")));
    expect(proxy!.hits() - hits).to.be.at.most(Math.ceil((Date.now() - t0) / 1000) + 1);
    expect(da).to.deep.include({ ok: false, state: "unreachable" });
    expect(n!.keepers.filter((k) => k.ok)).to.have.length(net.keepers.length - 1);
    expect(n!.batches.sealedNotCommitted).to.equal(1);
    expect(n!.stalls.map((s) => s.stage).sort()).to.deep.equal(["commit", "keeper"]);
    expect(n!.stalls.find((s) => s.stage === "commit")!.message).to.match(
      new RegExp(`batch ${batchId} sealed \\d+ s ago, not committed on-chain \\(DA keeper\\)`),
    );
    const b = await ok<ApiBatch>(`/v1/batches/${batchId}`);
    expect(b.stage).to.equal("sealed");
    expect(b.times.committed).to.equal(null);
    expect(b.times.sealedMs).to.equal((await store!.getBatch(BigInt(batchId)))!.createdAt);
    const d1 = await ok<ApiDevice>("/v1/devices/1");
    expect(d1.lastReading).to.deep.include({ seq: (seq + 1n).toString(), value: "400", batchId });
  }
});
