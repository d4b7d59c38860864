/**
 * The device's on-disk journal: the persisted monotonic sequence counter and the store-and-
 * forward queue in one append-only file. Lines:
 *   R <wire json>      a signed reading (its seq becomes the counter's high-water mark); a
 *                      later R line for a pending seq re-signs it (same seq, time and value)
 *   A <seq>            the network's receipt for seq (delivered)
 *   X <seq> <code>     the network refused seq (final; kept for the operator's log)
 * On open, replaying the file gives the counter and every reading still waiting for a receipt.
 * A reading is appended (and, with `fsync`, flushed) BEFORE it is published, so a crash or power
 * cut never loses a reading or reuses a sequence number. `compact()` rewrites the file with only
 * the pending readings and the counter.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { fromWire, toWire, type SignedReading } from "../sdk/src/index.js";

export class Journal {
  private fd: number;
  private lines = 0;
  /** Highest sequence number ever signed (the persisted counter). */
  lastSeq: bigint | null = null;
  /** Readings without receipt or rejection, in sequence order. */
  readonly pending = new Map<bigint, SignedReading>();

  constructor(
    private readonly file: string,
    private readonly opts: { fsync: boolean } = { fsync: true },
  ) {
    if (existsSync(file)) this.replay(readFileSync(file, "utf8"));
    this.fd = openSync(file, "a", 0o600);
  }

  private replay(text: string): void {
    for (const line of text.split("\n")) {
      if (line.length === 0) continue;
      this.lines++;
      const tag = line[0];
      const rest = line.slice(2);
      if (tag === "R") {
        let r: SignedReading;
        try {
          r = fromWire(rest);
        } catch {
          continue; // a torn last line after a crash: the reading was never published
        }
        this.pending.set(r.seq, r);
        if (this.lastSeq === null || r.seq > this.lastSeq) this.lastSeq = r.seq;
      } else if (tag === "C") {
        const s = BigInt(rest);
        if (this.lastSeq === null || s > this.lastSeq) this.lastSeq = s;
      } else if (tag === "A" || tag === "X") {
        this.pending.delete(BigInt(rest.split(" ")[0]));
      }
    }
  }

  private append(line: string): void {
    writeSync(this.fd, line + "\n");
    if (this.opts.fsync) fsyncSync(this.fd);
    this.lines++;
  }

  /** The next sequence number (not yet persisted until `record`). */
  nextSeq(): bigint {
    return this.lastSeq === null ? 0n : this.lastSeq + 1n;
  }

  record(r: SignedReading): void {
    if (this.lastSeq !== null && r.seq <= this.lastSeq) throw new Error(`sequence number ${r.seq} is not above ${this.lastSeq}`);
    this.append(`R ${toWire(r)}`);
    this.lastSeq = r.seq;
    this.pending.set(r.seq, r);
  }

  /**
   * Replaces the signature of pending reading `r.seq` (same device, time and value): a reading
   * refused as signed by a key not yet valid, re-signed with the key in force at its timestamp.
   */
  resign(r: SignedReading): void {
    const old = this.pending.get(r.seq);
    if (!old) throw new Error(`sequence number ${r.seq} is not pending`);
    if (old.deviceId !== r.deviceId || old.timestamp !== r.timestamp || old.value !== r.value)
      throw new Error(`re-signed reading ${r.seq} differs from the journaled one`);
    this.append(`R ${toWire(r)}`);
    this.pending.set(r.seq, r);
  }

  delivered(seq: bigint): boolean {
    if (!this.pending.delete(seq)) return false;
    this.append(`A ${seq}`);
    return true;
  }

  refused(seq: bigint, code: string): boolean {
    if (!this.pending.delete(seq)) return false;
    this.append(`X ${seq} ${code}`);
    return true;
  }

  /** Rewrites the journal with only the counter and the pending readings. */
  compact(): void {
    const tmp = `${this.file}.tmp`;
    const fd = openSync(tmp, "w", 0o600);
    if (this.lastSeq !== null) writeSync(fd, `C ${this.lastSeq}\n`);
    for (const r of [...this.pending.values()].sort((a, b) => (a.seq < b.seq ? -1 : 1))) writeSync(fd, `R ${toWire(r)}\n`);
    fsyncSync(fd);
    closeSync(fd);
    closeSync(this.fd);
    renameSync(tmp, this.file);
    this.fd = openSync(this.file, "a", 0o600);
    this.lines = this.pending.size + 1;
  }

  get lineCount(): number {
    return this.lines;
  }

  close(): void {
    closeSync(this.fd);
  }
}
