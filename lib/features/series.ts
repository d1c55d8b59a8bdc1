/**
 * Build a feature family's inputs ({@linkcode PairSeries}) from the lake tables of one pair:
 * `m1` (indexed OHLC from `rate_index` and the raw OHLC, volume, filled) and `bqx`
 * (`w{W}_bqx_return`). Indexed OHLC = price · rate_index / close, the same scale as the rate index.
 *
 * @example
 * ```ts
 * import pl from "nodejs-polars";
 * import { seriesFromFrames } from "./series.ts";
 * import assert from "node:assert/strict";
 * const m1 = pl.DataFrame({ ts_utc: [0, 60000], open: [1, 2], high: [1, 2.5], low: [1, 2], close: [1, 2],
 *   volume: [0, 3], filled: [false, true], rate_index: [100, 200] });
 * const bqx = pl.DataFrame({ ts_utc: [0, 60000], w15_bqx_return: [null, 0.5] });
 * const s = seriesFromFrames("eurusd", m1, bqx);
 * assert.equal(s.high[1], 250);
 * assert.ok(Number.isNaN(s.bqx[0]));
 * assert.equal(s.filled[1], 1);
 * ```
 * @module
 */
import pl from "nodejs-polars";
import { WINDOWS } from "../data/schema.ts";
import type { PairSeries } from "./_types.ts";

function f64(df: pl.DataFrame, col: string): Float64Array {
  return df.select(pl.col(col).cast(pl.Float64).fillNull(pl.lit(NaN))).getColumn(col)
    .toTypedArray() as Float64Array;
}

/**
 * PairSeries from one pair's m1 and bqx frames (same rows, sorted by ts_utc). bqx may hold only
 * some windows; missing ones are NaN.
 */
export function seriesFromFrames(pair: string, m1: pl.DataFrame, bqx: pl.DataFrame): PairSeries {
  if (m1.height !== bqx.height) {
    throw new Error(`Tables of ${pair} disagree: m1 has ${m1.height} rows, bqx ${bqx.height}`);
  }
  const n = m1.height;
  const close = f64(m1, "close"), idx = f64(m1, "rate_index");
  const scale = new Float64Array(n);
  for (let i = 0; i < n; i++) scale[i] = idx[i] / close[i];
  const indexed = (col: string) => {
    const a = f64(m1, col);
    for (let i = 0; i < n; i++) a[i] *= scale[i];
    return a;
  };
  const bqxW: Record<number, Float64Array> = {};
  for (const w of WINDOWS) {
    const c = `w${w}_bqx_return`;
    bqxW[w] = bqx.columns.includes(c) ? f64(bqx, c) : new Float64Array(n).fill(NaN);
  }
  const filledCol = m1.columns.includes("filled")
    ? f64(m1, "filled").map((v) => (v === 1 ? 1 : 0))
    : new Float64Array(n);
  return {
    pair,
    n,
    ts: f64(m1, "ts_utc"),
    open: indexed("open"),
    high: indexed("high"),
    low: indexed("low"),
    close: idx,
    volume: f64(m1, "volume"),
    filled: new Uint8Array(filledCol),
    bqx: bqxW[15],
    bqxW,
  };
}

/** Rows a..b−1 of a PairSeries (views, no copy): the live path's tail. */
export function sliceSeries(s: PairSeries, a: number, b = s.n): PairSeries {
  const bqxW: Record<number, Float64Array> = {};
  for (const [w, arr] of Object.entries(s.bqxW)) bqxW[Number(w)] = arr.subarray(a, b);
  return {
    pair: s.pair,
    n: b - a,
    ts: s.ts.subarray(a, b),
    open: s.open.subarray(a, b),
    high: s.high.subarray(a, b),
    low: s.low.subarray(a, b),
    close: s.close.subarray(a, b),
    volume: s.volume.subarray(a, b),
    filled: s.filled.subarray(a, b),
    bqx: s.bqx.subarray(a, b),
    bqxW,
  };
}
