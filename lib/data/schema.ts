/**
 * Column contracts shared by every stage (SPEC §2–4): the bar frame, the lake tables and the
 * BQX windows / target horizons. One place, so ingest, synth, lake and PostgreSQL agree.
 *
 * Bar frames (what ingest and synth produce, before the lake):
 * `ts_utc` Datetime("ms", "UTC") minute start, `open high low close` Float64 (bid),
 * `volume` Float64 (tick count, may be 0).
 * @module
 */
import pl from "nodejs-polars";

/** BQX windows W in bars (SPEC §3). */
export const WINDOWS = [15, 30, 45, 60, 75] as const;
/** Forecast horizons h in bars (SPEC §4). */
export const HORIZONS = [15, 30, 45, 60, 75] as const;
/** Gaps of up to this many missing minutes are forward-filled; gaps of 5 or more stay gaps (SPEC §2). */
export const MAX_FILL_MINUTES = 4;
/** Milliseconds per minute. */
export const MINUTE_MS = 60_000;

/** The timestamp dtype used everywhere. */
export const TS_DTYPE = pl.Datetime("ms", "UTC");

/** Columns of a raw bar frame. */
export const BAR_COLUMNS = ["ts_utc", "open", "high", "low", "close", "volume"] as const;
/** Columns of the lake `m1` table. */
export const M1_COLUMNS = [...BAR_COLUMNS, "filled", "rate_index"] as const;

/** Per-window BQX statistics (SPEC §3), in column order. */
export const BQX_STATS = ["return", "max", "min", "avg", "stdev", "endpoint"] as const;

/** Columns of the lake `bqx` table. */
export const BQX_COLUMNS: readonly string[] = [
  "ts_utc",
  ...WINDOWS.flatMap((w) => BQX_STATS.map((s) => `w${w}_bqx_${s}`)),
];

/** Columns of the lake `targets` table. */
export const TARGET_COLUMNS: readonly string[] = [
  "ts_utc",
  ...HORIZONS.flatMap((h) => [`target_${h}`, `target_${h}_scaled`, `direction_${h}`]),
];

/** The lake tables and their columns. */
export const TABLES = {
  m1: M1_COLUMNS as readonly string[],
  bqx: BQX_COLUMNS,
  targets: TARGET_COLUMNS,
} as const;
/** A lake table name. */
export type TableName = keyof typeof TABLES;

/** "YYYY-MM" of a UTC epoch-milliseconds instant. */
export function monthOf(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, "0")}`;
}

/**
 * Expand a month range "2024-01..2024-03" (or a single "2024-01") into its months.
 * @example
 * ```ts
 * import { monthRange } from "./schema.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(monthRange("2023-11..2024-02"), ["2023-11", "2023-12", "2024-01", "2024-02"]);
 * ```
 */
export function monthRange(spec: string): string[] {
  const [a, b = a] = spec.split("..");
  const re = /^(\d{4})-(\d{2})$/;
  const ma = re.exec(a.trim()), mb = re.exec(b.trim());
  if (!ma || !mb) {
    throw new RangeError(`Invalid months "${spec}": expected YYYY-MM or YYYY-MM..YYYY-MM`);
  }
  let y = +ma[1], m = +ma[2];
  const ye = +mb[1], me = +mb[2];
  if (m < 1 || m > 12 || me < 1 || me > 12) {
    throw new RangeError(`Invalid months "${spec}": month must be 01..12`);
  }
  const out: string[] = [];
  while (y < ye || (y === ye && m <= me)) {
    out.push(`${y}-${String(m).padStart(2, "0")}`);
    if (++m > 12) {
      m = 1;
      y++;
    }
  }
  if (out.length === 0) throw new RangeError(`Invalid months "${spec}": end is before start`);
  return out;
}

/** UTC epoch ms of the first instant of month "YYYY-MM". */
export function monthStartMs(month: string): number {
  const [y, m] = month.split("-").map(Number);
  return Date.UTC(y, m - 1, 1);
}
