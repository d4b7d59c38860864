import { EncodingError } from "./errors.js";
import { merkleCapacity } from "./merkle.js";
import { leafInputs } from "./poseidon.js";
import type { SignedReading } from "./reading.js";

/** Witness input of circuits/src/batch_root.circom BatchRoot(DEPTH): the batch's readings in
 * slot order, empty slots zero-filled (their leaves are forced to 0 by the circuit). DEPTH counts
 * 4-ary levels: 4^DEPTH slots. */
export interface BatchRootInput {
  count: string;
  deviceId: string[];
  seq: string[];
  timestamp: string[];
  value: string[];
  sigHash: string[];
  [signal: string]: string | string[];
}

export function batchRootInput(readings: SignedReading[], depth: number): BatchRootInput {
  const n = merkleCapacity(depth);
  if (readings.length > n) {
    throw new EncodingError("BAD_MERKLE_INPUT", `${readings.length} readings exceed the circuit capacity ${n}`);
  }
  const cols = [[], [], [], [], []] as string[][];
  for (let i = 0; i < n; i++) {
    const fields = i < readings.length ? leafInputs(readings[i]) : [0n, 0n, 0n, 0n, 0n];
    fields.forEach((f, j) => cols[j].push(f.toString()));
  }
  return {
    count: readings.length.toString(),
    deviceId: cols[0],
    seq: cols[1],
    timestamp: cols[2],
    value: cols[3],
    sigHash: cols[4],
  };
}
