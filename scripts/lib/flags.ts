/**
 * Flag checks of the long-running commands (demo, devnet): a bad value is a FlagError naming the
 * flag and what it must be; the command prints it with exit code 2 before anything starts.
 */
export class FlagError extends Error {
  override name = "FlagError";
}

/** An integer flag in min..max; `fallback` when absent. */
export function intFlag(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min || n > max)
    throw new FlagError(`--${name} must be an integer in ${min}..${max} (got "${raw}")`);
  return n;
}

/** A URL flag with one of `schemes` (e.g. "mqtt:"); "" when absent. */
export function urlFlag(name: string, raw: string | undefined, schemes: string[]): string {
  if (raw === undefined) return "";
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new FlagError(`--${name} must be a URL (${schemes.map((s) => `${s}//…`).join(" or ")}), got "${raw}"`);
  }
  if (!schemes.includes(u.protocol)) throw new FlagError(`--${name} must use ${schemes.join(" or ")}, got "${u.protocol}"`);
  return raw;
}
