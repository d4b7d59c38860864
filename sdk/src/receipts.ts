/**
 * What the network sends back to a device. A device treats a reading as delivered only when a
 * receipt (status "stored" or "duplicate") or a rejection for its sequence number arrives — not on
 * the broker's PUBACK, which with an external broker only means the broker has it.
 *
 * One receipt message answers one reading, `{"seq":"5","status":"stored"}`, or every reading of
 * the device in one store transaction, `{"stored":["5","6"],"duplicate":["4"]}` (a device
 * replaying its backlog gets one message per batch, not one per reading). Devices accept both.
 */
import type { EncodingErrorCode } from "./errors.js";

/** Reasons the bridge refuses a reading, beyond the wire-format codes of EncodingError. */
export type BridgeRejectCode =
  | "WRONG_TOPIC"
  | "UNKNOWN_DEVICE"
  | "DEVICE_NOT_ACTIVE"
  | "KEY_REVOKED"
  | "BAD_SIGNATURE"
  | "SEQ_REPLAYED"
  | "EQUIVOCATION"
  | "TIMESTAMP_IN_FUTURE"
  | "TIMESTAMP_STALE"
  | "DIRECTORY_UNAVAILABLE"
  | "STORE_UNAVAILABLE";

export type RejectCode = EncodingErrorCode | BridgeRejectCode;

export interface Receipt {
  /** Sequence number of the reading (decimal string). */
  seq: string;
  /** stored: newly stored; duplicate: already stored earlier with the same payload. */
  status: "stored" | "duplicate";
}

export interface Rejection {
  code: RejectCode;
  message: string;
  /** Sequence number when the payload could be parsed that far (decimal string). */
  seq?: string;
}

export function encodeReceipt(r: Receipt): string {
  return JSON.stringify(r);
}

/** One receipt message for several readings of one device (the single form when there is one). */
export function encodeReceipts(rs: readonly Receipt[]): string {
  if (rs.length === 1) return encodeReceipt(rs[0]);
  const stored: string[] = [];
  const duplicate: string[] = [];
  for (const r of rs) (r.status === "stored" ? stored : duplicate).push(r.seq);
  return JSON.stringify(duplicate.length === 0 ? { stored } : stored.length === 0 ? { duplicate } : { stored, duplicate });
}

export function encodeRejection(r: Rejection): string {
  return JSON.stringify(r);
}

function parseObject(payload: string | Uint8Array): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(typeof payload === "string" ? payload : Buffer.from(payload).toString("utf8"));
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export function parseReceipt(payload: string | Uint8Array): Receipt | null {
  const o = parseObject(payload);
  if (!o || typeof o.seq !== "string" || (o.status !== "stored" && o.status !== "duplicate")) return null;
  return { seq: o.seq, status: o.status };
}

const SEQ = /^(0|[1-9]\d{0,19})$/;

/** Every receipt in a message of either form, or null if the message is not a well-formed receipt. */
export function parseReceipts(payload: string | Uint8Array): Receipt[] | null {
  const o = parseObject(payload);
  if (!o) return null;
  if ("seq" in o) {
    const r = parseReceipt(payload);
    return r ? [r] : null;
  }
  const out: Receipt[] = [];
  let lists = 0;
  for (const [key, value] of Object.entries(o)) {
    if ((key !== "stored" && key !== "duplicate") || !Array.isArray(value)) return null;
    lists++;
    for (const seq of value) {
      if (typeof seq !== "string" || !SEQ.test(seq)) return null;
      out.push({ seq, status: key });
    }
  }
  return lists > 0 ? out : null;
}

export function parseRejection(payload: string | Uint8Array): Rejection | null {
  const o = parseObject(payload);
  if (!o || typeof o.code !== "string" || typeof o.message !== "string") return null;
  return { code: o.code as RejectCode, message: o.message, seq: typeof o.seq === "string" ? o.seq : undefined };
}
