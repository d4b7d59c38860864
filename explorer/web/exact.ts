/**
 * Exact numbers for the page. Every integer the API or the chain gives (token amounts in wei,
 * proposal ids, points) is kept as a bigint: JSON numbers beyond 2^53 are re-read from their
 * source text, decimal strings stay strings until formatted, and sums are bigint sums. Never
 * `Number(x)` on an amount (the dashboard bug where 2^53 + 1 shows as 2^53).
 */

type Reviver = (this: unknown, key: string, value: unknown, context?: { source?: string }) => unknown;

/** JSON.parse that keeps integers above 2^53 exact (as bigint), from their source text. */
export function parseExact(text: string): unknown {
  const reviver: Reviver = (_k, v, ctx) =>
    typeof v === "number" && Number.isInteger(v) && !Number.isSafeInteger(v) && ctx?.source && /^-?\d+$/.test(ctx.source)
      ? BigInt(ctx.source)
      : v;
  return JSON.parse(text, reviver as (this: unknown, key: string, value: unknown) => unknown);
}

/** A decimal string, number or bigint as a bigint (throws on anything else: never rounds). */
export function big(v: unknown): bigint {
  if (typeof v === "bigint") return v;
  if (typeof v === "number") {
    if (!Number.isSafeInteger(v)) throw new Error(`inexact integer ${v}`);
    return BigInt(v);
  }
  if (typeof v === "string" && /^-?\d+$/.test(v)) return BigInt(v);
  throw new Error(`not an integer: ${JSON.stringify(v)}`);
}

/** Sum of integers, exact. */
export const sumExact = (xs: unknown[]): bigint => xs.reduce<bigint>((a, x) => a + big(x), 0n);

/** Groups digits with thin spaces: 12 345 678. */
export function groupDigits(v: bigint | string): string {
  const s = typeof v === "bigint" ? v.toString() : v;
  const neg = s.startsWith("-");
  const d = neg ? s.slice(1) : s;
  return (neg ? "-" : "") + d.replace(/\B(?=(\d{3})+(?!\d))/g, "\u202f");
}

/** wei → token units with every significant decimal (no rounding): 1234.000000000000000001. */
export function formatUnitsExact(v: unknown, decimals = 18): string {
  const x = big(v);
  const neg = x < 0n;
  const a = neg ? -x : x;
  const base = 10n ** BigInt(decimals);
  const whole = a / base;
  const frac = (a % base).toString().padStart(decimals, "0").replace(/0+$/, "");
  return `${neg ? "-" : ""}${groupDigits(whole)}${frac ? "." + frac : ""}`;
}

/** For charts only (they plot floats): token units as a float. Labels always use formatUnitsExact. */
export function toFloatUnits(v: unknown, decimals = 18): number {
  const x = big(v);
  const base = 10n ** BigInt(decimals);
  return Number(x / base) + Number(x % base) / Number(base);
}
