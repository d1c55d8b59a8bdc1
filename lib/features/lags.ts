/**
 * Lagged values (SPEC §5, family "lags"): the rate index, BQX and the 1-row log return of the
 * rate index, each 1 … 60 rows back — 180 columns: `idx_lag_{1..60}`, `bqx_lag_{1..60}`,
 * `ret_lag_{1..60}`.
 *
 * Why: the recent path itself, so that models without memory (ridge, trees) see it.
 *
 * Choices SPEC leaves open:
 * - lag k at row t is the source at row t − k: `idx_lag_1` = idx(t−1), never the current row
 *   (lag 0 is the source itself, which other families and the base columns already carry);
 * - `ret` = ln(close(t) / close(t−1)) of the indexed close over consecutive rows of the pair (rows,
 *   not minutes: a return may span a gap, SPEC §2), so `ret_lag_1` = ln(close(t−1)/close(t−2)) and
 *   `ret_lag_k` is first defined at row k + 1; the `ret_` columns have domain "ret";
 * - `bqx_` lags read `w15_bqx_return`, NaN for t < 15 (warm-up 15 + k);
 * - each column is one contiguous copy of the source shifted by k rows (no per-row work).
 *
 * @example
 * ```ts
 * import { lags } from "./lags.ts";
 * import type { PairSeries } from "./_types.ts";
 * import assert from "node:assert/strict";
 * const n = 4, close = new Float64Array([100, 101, 102, 104]);
 * const s = { pair: "eurusd", n, close, bqx: new Float64Array(n).fill(NaN) } as PairSeries;
 * const cols = new Map<string, Float64Array>();
 * lags.compute(s, { from: 0 }, (name) => {
 *   const a = new Float64Array(n).fill(NaN);
 *   cols.set(name, a);
 *   return a;
 * });
 * assert.equal(cols.get("idx_lag_1")![3], 102);
 * assert.equal(cols.get("ret_lag_1")![3], Math.log(102 / 101)); // the previous row's return
 * assert.ok(Number.isNaN(cols.get("ret_lag_2")![2]));
 * ```
 * @module
 */
import type { Domain, FeatureFamily, FeatureSpec, PairSeries } from "./_types.ts";

/** Largest lag, in rows. */
const MAX_LAG = 60;
/** w15_bqx_return(t) is defined for t ≥ 15 (SPEC §3). */
const BQX_LEAD = 15;

/** One domain: variants only set the source array and the prefix. */
interface Variant {
  domain: Domain;
  /** Rows before the source itself is defined. */
  lead: number;
  /** Human name of the source (catalog). */
  label: string;
  /** The source rows `start … n−1`, and the row its element 0 holds (0 or `start`). */
  source(s: PairSeries, start: number): [Float64Array, number];
}

/**
 * ln(close(t)/close(t−1)) for rows t = start..n−1 (NaN at row 0), stored from index 0: element
 * i holds row start + i (only the rows a lag reads are computed).
 */
function logReturns(close: Float64Array, start: number): Float64Array {
  const n = close.length, r = new Float64Array(Math.max(0, n - start));
  for (let t = start; t < n; t++) r[t - start] = t > 0 ? Math.log(close[t] / close[t - 1]) : NaN;
  return r;
}

const VARIANTS: readonly Variant[] = [
  { domain: "idx", lead: 0, label: "rate index", source: (s) => [s.close, 0] },
  { domain: "bqx", lead: BQX_LEAD, label: "w15_bqx_return", source: (s) => [s.bqx, 0] },
  {
    domain: "ret",
    lead: 1,
    label: "1-row log return of the rate index",
    source: (s, a) => [logReturns(s.close, a), a],
  },
];

function columns(v: Variant): FeatureSpec[] {
  return Array.from({ length: MAX_LAG }, (_, i) => ({
    name: `${v.domain}_lag_${i + 1}`,
    family: "lags",
    domain: v.domain,
    scope: "primary" as const,
    params: { lag: i + 1, source: v.label },
    warmup: v.lead + i + 1,
    doc: `${v.label} ${i + 1} row${i ? "s" : ""} back`,
  }));
}

/** Column names per variant, lag-major (index k − 1). */
const NAMES = VARIANTS.map((v) =>
  Array.from({ length: MAX_LAG }, (_, i) => `${v.domain}_lag_${i + 1}`)
);

/** The family: 60 lags each of idx, bqx and ret. */
export const lags: FeatureFamily = {
  name: "lags",
  specs: () => VARIANTS.flatMap(columns),
  compute(series, ctx, out) {
    const n = series.n, from = Math.max(0, ctx.from);
    VARIANTS.forEach((v, i) => {
      const [x, off] = v.source(series, Math.max(0, from - MAX_LAG));
      for (let k = 1; k <= MAX_LAG; k++) {
        // batch: straight into Float32 storage (a lag is a copy; nothing reads it back), every
        // row written here (the warm-up rows NaN), so the storage need not be NaN-filled first
        const o32 = ctx.out32?.(NAMES[i][k - 1], false);
        const o = o32 ?? out(NAMES[i][k - 1]);
        const a = Math.max(from, k);
        o32?.fill(NaN, 0, a);
        if (n - a > 8) o.set(x.subarray(a - k - off, n - k - off), a);
        else for (let t = a; t < n; t++) o[t] = x[t - k - off];
      }
    });
  },
};
