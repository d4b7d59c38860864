/**
 * Content-addressed long-term storage: a batch payload is written as `<dir>/sha256-<hex>.json`
 * where hex is the SHA-256 of its canonical bytes (sdk encodeBatchPayload). Writes are atomic
 * (temp file, fsync, rename) and idempotent (same payload → same name). Reads check the hash;
 * callers then check the root against the chain (verifyBatchPayload).
 */
import { createHash } from "node:crypto";
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import path from "node:path";
import { encodeBatchPayload, parseBatchPayload, type BatchPayload } from "../../sdk/src/index.js";

export function contentId(bytes: string | Uint8Array): string {
  return `sha256-${createHash("sha256").update(bytes).digest("hex")}`;
}

export function archivePath(dir: string, cid: string): string {
  if (!/^sha256-[0-9a-f]{64}$/.test(cid)) throw new Error(`not a content id: ${cid}`);
  return path.join(dir, `${cid}.json`);
}

/** Writes the payload (if not already there) and returns its content id. */
export function writeArchived(dir: string, p: BatchPayload): string {
  mkdirSync(dir, { recursive: true });
  const text = encodeBatchPayload(p);
  const cid = contentId(text);
  const file = archivePath(dir, cid);
  if (existsSync(file)) return cid;
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, "w", 0o644);
  writeSync(fd, text);
  fsyncSync(fd);
  closeSync(fd);
  renameSync(tmp, file);
  return cid;
}

/** Reads a payload back; throws if the bytes do not hash to `cid`. */
export function readArchived(dir: string, cid: string): BatchPayload {
  const text = readFileSync(archivePath(dir, cid), "utf8");
  const got = contentId(text);
  if (got !== cid) throw new Error(`archive ${cid} is corrupt (hashes to ${got})`);
  return parseBatchPayload(text);
}
