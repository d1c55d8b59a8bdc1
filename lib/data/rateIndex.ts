/**
 * Rate index (SPEC §2): `rate_index = 100 · close / close_base` (computed as (close / base) · 100 so
 * the base bar is exactly 100), where the base bar is the
 * pair's first bar of the dataset by default, or the first bar at or after a configured base date.
 * The same scaling applies to open/high/low where features need an indexed OHLC
 * ({@linkcode indexOhlc}). Pure polars expressions: vectorized, no per-row JS.
 *
 * @example
 * ```ts
 * import pl from "nodejs-polars";
 * import { withRateIndex } from "./rateIndex.ts";
 * import assert from "node:assert/strict";
 * const bars = pl.DataFrame({ ts_utc: [0, 60000], close: [1.25, 2.5] });
 * assert.deepEqual(withRateIndex(bars).getColumn("rate_index").toArray(), [100, 200]);
 * ```
 * @module
 */
import pl from "nodejs-polars";

/** Options of {@linkcode withRateIndex}. */
export interface RateIndexOptions {
  /** Base close; overrides `baseDate`. @default the close of the base bar */
  baseClose?: number;
  /** Base date (ISO or epoch ms): the first bar at or after it is the base. @default first bar */
  baseDate?: string | number;
}

/** The base close for a sorted bar frame. Throws when the base date is past the data. */
export function baseCloseOf(frame: pl.DataFrame, options: RateIndexOptions = {}): number {
  const { baseClose, baseDate } = options;
  if (baseClose !== undefined) {
    if (!(baseClose > 0) || !Number.isFinite(baseClose)) {
      throw new RangeError(`Invalid baseClose ${baseClose}: expected a finite price > 0`);
    }
    return baseClose;
  }
  if (frame.height === 0) throw new RangeError("Cannot index an empty frame");
  if (baseDate === undefined) return frame.getColumn("close").get(0) as number;
  const t = typeof baseDate === "number" ? baseDate : Date.parse(baseDate);
  if (!Number.isFinite(t)) {
    throw new RangeError(`Invalid baseDate "${baseDate}": expected an ISO date`);
  }
  const after = frame.filter(pl.col("ts_utc").cast(pl.Int64).gtEq(t));
  if (after.height === 0) {
    throw new RangeError(`Invalid baseDate "${baseDate}": no bar at or after it`);
  }
  return after.getColumn("close").get(0) as number;
}

/** Append `rate_index` (and keep everything else). */
export function withRateIndex(frame: pl.DataFrame, options: RateIndexOptions = {}): pl.DataFrame {
  const base = baseCloseOf(frame, options);
  return frame.withColumns(pl.col("close").div(base).mul(100).alias("rate_index"));
}

/** Indexed OHLC expressions `idx_open idx_high idx_low idx_close` for a given base close. */
export function indexOhlc(baseClose: number): pl.Expr[] {
  return ["open", "high", "low", "close"].map((c) =>
    pl.col(c).div(baseClose).mul(100).alias(`idx_${c}`)
  );
}
