/** One measured or computed figure printed by `npm run bench`. */
export interface Figure {
  /** Stable key used in `--json` output, camelCase (e.g. `ingestRatio`). */
  key: string;
  /** Human-readable label for the table. */
  label: string;
  value: number;
  /** Unit shown in the table ("s", "gas", "readings/s", "ratio", ...). */
  unit: string;
  /** What the figure is compared to, or how it was obtained (shown in the table). */
  note?: string;
}

export interface BenchContext {
  /** `--quick`: smaller sizes, for a smoke run. */
  quick: boolean;
  /** Progress output goes to stderr so `--json` stdout stays one JSON object. */
  log(message: string): void;
}

/** A bench module: bench/<area>.bench.ts default-exports one of these. */
export interface BenchSuite {
  name: string;
  run(ctx: BenchContext): Promise<Figure[]>;
}
