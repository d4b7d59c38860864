/**
 * The books of a reliability run, compared with what the devices hold:
 *  - every reading a device journaled is in the store exactly once, byte-for-byte the reading the
 *    device signed (lost, duplicated, altered and phantom readings are counted), and in particular
 *    every reading a device holds a receipt for;
 *  - every stored reading sits in exactly one batch at one index; batch ids are consecutive; each
 *    batch's root recomputed from its stored readings equals the store's and the chain's root;
 *  - on-chain `BatchCommitted` events name ids 1..N, each exactly once (never skipped, never twice);
 *  - every keeper stopped cleanly at the end (SIGTERM → exit code 0).
 */
import { readFileSync } from "node:fs";
import type { Fleet } from "../../firmware/simulator.js";
import type { Store, StoredReading } from "../../keepers/common/store/index.js";
import { fromWire, getPoseidon, hashReading, merkleRoot, type SignedReading } from "../../sdk/src/index.js";
import type { DataAvailability } from "../../types/typechain/index.js";
import type { Keeper } from "./env.js";

export interface Faults {
  brokerRestarts: number;
  dbRestarts: number;
  rpcOutages: number;
  rpcOutageMs: number;
  /** Keeper exits nobody asked for (restarted by the supervisor). */
  crashes: { keeper: string; code: number | null; signal: NodeJS.Signals | null; tail: string }[];
  /** Liveness problems seen during the run (no progress, integrity check). */
  stalls: string[];
}

export interface AuditInput {
  fleet: Fleet;
  acked: Map<string, number>;
  receipts: { stored: number; duplicate: number };
  store: Store;
  da: DataAvailability;
  keepers: Keeper[];
  exitCodes: Record<string, number | null>;
  faults: Faults;
  rpc: { requests: number; refused: number };
  seed: number;
  durationSec: number;
  db: string;
}

export interface Report {
  rows: [string, string | number][];
  violations: string[];
  notes: string[];
}

const key = (deviceId: bigint, seq: bigint) => `${deviceId}:${seq}`;

/** Parses a device journal: every reading it signed, and the receipts and refusals it holds. */
function readJournal(file: string): { readings: Map<bigint, SignedReading>; receipts: Set<bigint>; refused: Set<bigint> } {
  const readings = new Map<bigint, SignedReading>();
  const receipts = new Set<bigint>();
  const refused = new Set<bigint>();
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (line.length < 2) continue;
    const rest = line.slice(2);
    if (line[0] === "R") {
      const r = fromWire(rest);
      readings.set(r.seq, r);
    } else if (line[0] === "A") receipts.add(BigInt(rest));
    else if (line[0] === "X") refused.add(BigInt(rest.split(" ")[0]));
  }
  return { readings, receipts, refused };
}

export async function audit(i: AuditInput): Promise<Report> {
  const violations: string[] = [];
  const notes: string[] = [];
  const v = (cond: boolean, msg: string) => {
    if (!cond) violations.push(msg);
  };

  // ---------------------------------------------------------------- readings
  const rows = await i.store.allReadings();
  const byKey = new Map<string, StoredReading[]>();
  for (const r of rows) {
    const k = key(r.deviceId, r.seq);
    byKey.set(k, [...(byKey.get(k) ?? []), r]);
  }
  let recorded = 0;
  let journaled = 0;
  let ackedInJournal = 0;
  let refused = 0;
  let lost = 0;
  let lostAcked = 0;
  let altered = 0;
  const fleetKeys = new Set<string>();
  for (const d of i.fleet.devices) {
    const j = readJournal(d.opts.journalFile);
    recorded += d.stats.recorded;
    journaled += j.readings.size;
    ackedInJournal += j.receipts.size;
    refused += j.refused.size;
    v(
      j.readings.size === d.stats.recorded,
      `device ${d.deviceId}: journal holds ${j.readings.size} readings, device recorded ${d.stats.recorded} (journal compacted? raise its threshold)`,
    );
    // Sequence numbers are consecutive from 0: the device never skipped or reused one.
    for (let s = 0n; s < BigInt(d.stats.recorded); s++) {
      const k = key(d.deviceId, s);
      fleetKeys.add(k);
      const mine = j.readings.get(s);
      const stored = byKey.get(k) ?? [];
      if (stored.length === 0) {
        lost++;
        if (j.receipts.has(s) || i.acked.has(k)) {
          lostAcked++;
          violations.push(`LOST: ${k} has a receipt on the device but is not in the store`);
        } else if (!j.refused.has(s)) violations.push(`LOST: ${k} was recorded but is not in the store`);
      } else if (
        mine &&
        (stored[0].timestamp !== mine.timestamp || stored[0].value !== mine.value || stored[0].signature !== mine.signature)
      ) {
        altered++;
        violations.push(`ALTERED: ${k} stored differs from what the device signed`);
      }
    }
    for (const s of j.receipts) v(j.readings.has(s), `device ${d.deviceId}: receipt for seq ${s} it never recorded`);
  }
  const duplicated = rows.length - byKey.size;
  v(duplicated === 0, `DUPLICATED: ${duplicated} readings stored more than once`);
  const phantom = [...byKey.keys()].filter((k) => !fleetKeys.has(k)).length;
  v(phantom === 0, `PHANTOM: ${phantom} stored readings no device recorded`);
  v(refused === 0, `REFUSED: ${refused} honest readings were refused by the network`);
  v(i.fleet.pending === 0, `UNRESOLVED: ${i.fleet.pending} readings still without receipt`);
  const receiptsOnDevices = i.acked.size;

  // ---------------------------------------------------------------- batches
  const poseidon = await getPoseidon();
  const lastBatch = await i.store.lastBatchId();
  const batches = await i.store.listBatches(1n, 1_000_000);
  v(batches.length === Number(lastBatch), `store: ${batches.length} batch rows but last id ${lastBatch}`);
  batches.forEach((b, n) =>
    v(b.batchId === BigInt(n + 1), `store: batch ids not consecutive at ${b.batchId} (expected ${n + 1})`),
  );
  const unbatched = rows.filter((r) => r.batchId === null).length;
  v(unbatched === 0, `${unbatched} stored readings in no batch`);
  const inBatch = new Map<bigint, StoredReading[]>();
  for (const r of rows) if (r.batchId !== null) inBatch.set(r.batchId, [...(inBatch.get(r.batchId) ?? []), r]);
  let slotClashes = 0;
  let rootMismatches = 0;
  const storeRoots = new Map<bigint, bigint>();
  for (const b of batches) {
    storeRoots.set(b.batchId, b.root);
    const rs = (inBatch.get(b.batchId) ?? []).sort((x, y) => (x.batchIndex ?? 0) - (y.batchIndex ?? 0));
    const idx = rs.map((r) => r.batchIndex);
    if (rs.length !== b.leafCount || idx.some((x, n) => x !== n)) {
      slotClashes++;
      violations.push(`batch ${b.batchId}: leafCount ${b.leafCount} but readings at indexes [${idx.join(",")}]`);
    }
    const root = merkleRoot(
      poseidon,
      rs.map((r) => hashReading(poseidon, r)),
      b.depth,
    );
    if (root !== b.root) {
      rootMismatches++;
      violations.push(`batch ${b.batchId}: root recomputed from its stored readings differs from the sealed root`);
    }
  }

  // ---------------------------------------------------------------- chain
  const events = await i.da.queryFilter(i.da.filters.BatchCommitted());
  const commitsPerId = new Map<bigint, number>();
  for (const e of events) {
    const args = e.args;
    commitsPerId.set(args.batchId, (commitsPerId.get(args.batchId) ?? 0) + 1);
    const sr = storeRoots.get(args.batchId);
    if (sr === undefined) violations.push(`chain: batch ${args.batchId} committed but unknown to the store`);
    else if (sr !== args.root) {
      rootMismatches++;
      violations.push(`chain: batch ${args.batchId} committed with root ${args.root}, store has ${sr}`);
    }
  }
  const doubleCommitted = [...commitsPerId.values()].filter((n) => n > 1).length;
  v(doubleCommitted === 0, `DOUBLE-COMMITTED: ${doubleCommitted} batch ids committed more than once`);
  const nextId = BigInt(await i.da.nextBatchId());
  v(nextId === lastBatch + 1n, `chain nextBatchId ${nextId}, store's last batch ${lastBatch}`);
  for (let id = 1n; id <= lastBatch; id++) v(commitsPerId.has(id), `chain: batch ${id} never committed (skipped)`);

  // ---------------------------------------------------------------- processes
  for (const [name, code] of Object.entries(i.exitCodes)) v(code === 0, `${name}: exit code ${code} on SIGTERM (expected 0)`);
  for (const s of i.faults.stalls) violations.push(`LIVENESS: ${s}`);
  for (const c of i.faults.crashes)
    notes.push(
      `${c.keeper} exited on its own (code ${c.code}, signal ${c.signal}); last output:\n${c.tail.split("\n").slice(-6).join("\n")}`,
    );

  const kills = Object.fromEntries(i.keepers.map((k) => [k.name, k.kills]));
  const totalKills = i.keepers.reduce((s, k) => s + k.kills, 0);
  const out: [string, string | number][] = [
    ["seed / store / duration", `${i.seed} / ${i.db} / ${i.durationSec.toFixed(0)} s`],
    ["SIGKILLs total", totalKills],
    ...i.keepers.map((k): [string, number] => [`  SIGKILL ${k.name}`, kills[k.name]]),
    ["unplanned keeper exits (restarted)", i.faults.crashes.length],
    ["broker restarts", i.faults.brokerRestarts],
    ["database restarts", i.faults.dbRestarts],
    ["RPC outages (total ms, requests dropped)", `${i.faults.rpcOutages} (${i.faults.rpcOutageMs} ms, ${i.rpc.refused})`],
    ["readings recorded by devices", recorded],
    ["readings journaled", journaled],
    ["readings acknowledged (device receipts)", receiptsOnDevices],
    ["  receipts stored / duplicate", `${i.receipts.stored} / ${i.receipts.duplicate}`],
    ["readings stored", byKey.size],
    ["lost", lost],
    ["  of which acknowledged", lostAcked],
    ["duplicated", duplicated],
    ["altered / phantom / refused", `${altered} / ${phantom} / ${refused}`],
    ["batches sealed", Number(lastBatch)],
    ["batches committed on-chain (events)", events.length],
    ["double-committed", doubleCommitted],
    ["skipped or root mismatch / slot clashes", `${rootMismatches} / ${slotClashes}`],
  ];
  void ackedInJournal;
  return { rows: out, violations, notes };
}

export function printReport(r: Report): void {
  const w = Math.max(...r.rows.map(([k]) => k.length));
  const line = "-".repeat(w + 16);
  console.log(`\nReliability run\n${line}`);
  for (const [k, val] of r.rows) console.log(`${k.padEnd(w)}  ${String(val).padStart(12)}`);
  console.log(line);
  for (const n of r.notes) console.log(`note: ${n}`);
  if (r.violations.length === 0) console.log("RESULT: PASS (0 lost, 0 duplicated, 0 double-committed; books balance)");
  else {
    console.log(`RESULT: FAIL (${r.violations.length} violations)`);
    for (const x of r.violations.slice(0, 50)) console.log(`  - ${x}`);
    if (r.violations.length > 50) console.log(`  … ${r.violations.length - 50} more`);
  }
}
