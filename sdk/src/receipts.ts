/**
 * What the network sends back to a device. A device treats a reading as delivered only when a
 * receipt (status "stored" or "duplicate") or a rejection for its sequence number arrives — not on
 * the broker's PUBACK, which with an external broker only means the broker has it.
 *
 * One receipt message answers one reading, `{"seq":"5","status":"stored"}`, or every reading of
 * the device in one store transaction, `{"stored":["5","6"],"duplicate":["4"]}` (a device
 * replaying its backlog gets one message per batch, not one per reading). Devices accept both.
 */
import { keccak_256 } from "@noble/hashes/sha3";
import type { EncodingErrorCode } from "./errors.js";
import { verifyDigest } from "./signing.js";

/** Reasons the bridge refuses a reading, beyond the wire-format codes of EncodingError. */
export type BridgeRejectCode =
  | "WRONG_TOPIC"
  | "UNKNOWN_DEVICE"
  | "DEVICE_NOT_ACTIVE"
  | "KEY_REVOKED"
  | "KEY_NOT_YET_VALID"
  | "BAD_SIGNATURE"
  | "SEQ_REPLAYED"
  | "EQUIVOCATION"
  | "TIMESTAMP_IN_FUTURE"
  | "TIMESTAMP_STALE"
  | "DIRECTORY_UNAVAILABLE"
  | "STORE_UNAVAILABLE";

export type RejectCode = EncodingErrorCode | BridgeRejectCode;

/**
 * Rejections after which the device must not forget the reading (it re-sends it after a back-off).
 * `KEY_NOT_YET_VALID`: the reading is signed by a key whose rotation has not taken effect at the
 * reading's timestamp; the measurement is good and the device re-signs it with the key in force at
 * that timestamp (or keeps it until it has one). `DIRECTORY_UNAVAILABLE` / `STORE_UNAVAILABLE`:
 * transient (the bridge withholds the ack instead today, but a device must not drop a reading on
 * them). Every other code is final for the reading it answers, EQUIVOCATION included: the network
 * already holds another reading under that seq, so this one can never be stored.
 */
export const NON_FINAL_REJECT_CODES: ReadonlySet<RejectCode> = new Set<RejectCode>([
  "KEY_NOT_YET_VALID",
  "DIRECTORY_UNAVAILABLE",
  "STORE_UNAVAILABLE",
]);

/** True when a rejection with `code` ends the device's attempts to deliver that reading. */
export function isFinalRejection(code: RejectCode): boolean {
  return !NON_FINAL_REJECT_CODES.has(code);
}

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

/**
 * Authenticated answers. On an external broker anyone allowed to publish on a device's receipt
 * topic could tell it "stored" for a reading the network never got, and the device would forget
 * it. A bridge with an answer key appends a signature line to every receipt and rejection,
 * `<json>\n<0x r‖s‖v>`, over the topic and the exact JSON text (so an answer for one device cannot
 * be replayed to another, nor edited). A device that knows the bridge's address ignores answers
 * that do not carry a valid one; a device that does not know it reads the JSON and ignores the line.
 */
export function answerDigest(networkId: bigint, topic: string, body: string): Uint8Array {
  return keccak_256(new TextEncoder().encode(`DEPIN-ANSWER\n${networkId}\n${topic}\n${body}`));
}

/** The JSON text of an answer and its signature line, if any. */
export function splitAnswer(payload: string | Uint8Array): { body: string; signature: string | null } {
  const text = typeof payload === "string" ? payload : Buffer.from(payload).toString("utf8");
  const nl = text.lastIndexOf("\n");
  return nl < 0 ? { body: text, signature: null } : { body: text.slice(0, nl), signature: text.slice(nl + 1) };
}

/**
 * The JSON text of an answer received on `topic`. With `signer` (the bridge's secp256k1 address)
 * the answer must carry that signer's signature, else null; without it any signature line is
 * ignored.
 */
export function openAnswer(payload: string | Uint8Array, networkId: bigint, topic: string, signer?: string): string | null {
  const { body, signature } = splitAnswer(payload);
  if (signer === undefined) return body;
  if (signature === null || !/^0x[0-9a-fA-F]{130}$/.test(signature)) return null;
  return verifyDigest("secp256k1", signer, answerDigest(networkId, topic, body), signature) ? body : null;
}
