export function bytesToHex(bytes: Uint8Array): `0x${string}` {
  return `0x${Buffer.from(bytes).toString("hex")}`;
}

export function hexToBytes(hex: string): Uint8Array {
  const body = hex.startsWith("0x") ? hex.slice(2) : hex;
  return Uint8Array.from(Buffer.from(body, "hex"));
}

export function bigIntToBytes32(v: bigint): Uint8Array {
  return hexToBytes(v.toString(16).padStart(64, "0"));
}
