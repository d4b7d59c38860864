/** Token amounts (18 decimals) as the demo prints them: grouped whole part, 6 decimals, exact (bigint). */
export function fmt(wei: bigint): string {
  const unit = 10n ** 18n;
  const whole = wei / unit;
  const frac = (wei % unit).toString().padStart(18, "0").slice(0, 6);
  return `${whole.toLocaleString("en-US")}.${frac}`;
}
