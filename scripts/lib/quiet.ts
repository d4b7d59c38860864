/**
 * node-cron warns on stderr each time a keeper's tick is skipped because the previous one still
 * runs (a Groth16 proof takes seconds; the keepers schedule with noOverlap on purpose), or a tick
 * fired late because proving kept the CPU busy. In the demo and the devnet both are expected, not warnings, and
 * would bury the progress lines: those two node-cron messages only are dropped (--verbose keeps them).
 */
export function quietSkippedTicks(): void {
  const warn = console.warn.bind(console);
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === "string" && /new execution blocked by overlap prevention|missed execution at/.test(args[0])) return;
    warn(...args);
  };
}
