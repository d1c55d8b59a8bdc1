/**
 * Fibonacci levels of the rate index and of BQX over a trailing 100-row range (SPEC §5, family
 * "fibonacci"): the 23.6 / 38.2 / 50 / 61.8 % retracements, the 127.2 / 161.8 % extensions, the
 * close's distance to the 38.2 and 61.8 levels, and the range high and low — 10 columns per domain:
 * `{p}_fib_236 {p}_fib_382 {p}_fib_500 {p}_fib_618 {p}_fib_ext_1272 {p}_fib_ext_1618
 * {p}_fib_dist_382 {p}_fib_dist_618 {p}_fib_high {p}_fib_low` (p = idx | bqx).
 *
 * Why: retracement levels of the recent swing are support/resistance lines many traders watch;
 * distances to them in units of the range are scale-free inputs for a model.
 *
 * Choices SPEC leaves open:
 * - the range covers rows t−99 … t (the current row included): high H = max of the highs, low L =
 *   min of the lows (rate index: indexed OHLC; BQX domain: the BQX series for both), R = H − L;
 * - direction: the swing is read as an up-move from L to H. A retracement of p sits p·R below the
 *   high (`fib_236` = H − 0.236·R … `fib_618` = H − 0.618·R) and an extension of e is measured from
 *   the low upward (`fib_ext_1272` = L + 1.272·R, above the high);
 * - `fib_dist_{382|618}` = (close − level) / R, signed (positive above the level); NaN when R = 0
 *   (flat window), where the levels themselves all equal the flat value;
 * - BQX domain: the source is `w15_bqx_return`, NaN for t < 15, so warm-up is 15 + 99 rows.
 *
 * @example
 * ```ts
 * import { fibonacci } from "./fibonacci.ts";
 * import type { PairSeries } from "./_types.ts";
 * import assert from "node:assert/strict";
 * // 100 rows rising from 100 to 199: H = 199, L = 100, R = 99; 38.2 % level = 199 − 0.382·99
 * const n = 100, close = Float64Array.from({ length: n }, (_, i) => 100 + i);
 * const s = { pair: "eurusd", n, close, high: close, low: close,
 *   bqx: new Float64Array(n).fill(NaN) } as PairSeries;
 * const cols = new Map<string, Float64Array>();
 * fibonacci.compute(s, { from: 0 }, (name) => {
 *   const a = new Float64Array(n).fill(NaN);
 *   cols.set(name, a);
 *   return a;
 * });
 * assert.ok(Math.abs(cols.get("idx_fib_382")![99] - 161.182) < 1e-9);
 * assert.ok(Math.abs(cols.get("idx_fib_dist_382")![99] - 0.382) < 1e-12); // close = H
 * ```
 * @module
 */
import type { Domain, FeatureFamily, FeatureSpec, PairSeries } from "./_types.ts";
import { rollingExtremeInto } from "./_kernels.ts";

/** Rows in the trailing range. */
const WINDOW = 100;
/** w15_bqx_return(t) is defined for t ≥ 15 (SPEC §3). */
const BQX_LEAD = 15;
/** Retracement fractions below the high. */
const RETRACE = [0.236, 0.382, 0.5, 0.618] as const;
/** Extension multiples of the range above the low. */
const EXTEND = [1.272, 1.618] as const;
/** Levels whose distance to the close is reported. */
const DIST = [0.382, 0.618] as const;

/** One domain: variants only set the source arrays and the prefix. */
interface Variant {
  domain: Domain;
  /** Rows before the source itself is defined. */
  lead: number;
  high(s: PairSeries): Float64Array;
  low(s: PairSeries): Float64Array;
  close(s: PairSeries): Float64Array;
}

const VARIANTS: readonly Variant[] = [
  { domain: "idx", lead: 0, high: (s) => s.high, low: (s) => s.low, close: (s) => s.close },
  { domain: "bqx", lead: BQX_LEAD, high: (s) => s.bqx, low: (s) => s.bqx, close: (s) => s.bqx },
];

/** "0.382" → "382", "1.272" → "1272", "0.5" → "500". */
const code = (f: number) => String(Math.round(f * 1000));

/** Column stems with their kind and level, in catalog order. */
const OUTPUTS: readonly { stem: string; kind: string; level?: number }[] = [
  ...RETRACE.map((f) => ({ stem: `fib_${code(f)}`, kind: "retracement", level: f })),
  ...EXTEND.map((f) => ({ stem: `fib_ext_${code(f)}`, kind: "extension", level: f })),
  ...DIST.map((f) => ({ stem: `fib_dist_${code(f)}`, kind: "distance", level: f })),
  { stem: "fib_high", kind: "high" },
  { stem: "fib_low", kind: "low" },
];

function columns(v: Variant): FeatureSpec[] {
  return OUTPUTS.map((o) => ({
    name: `${v.domain}_${o.stem}`,
    family: "fibonacci",
    domain: v.domain,
    scope: "primary" as const,
    params: {
      kind: o.kind,
      ...(o.level === undefined ? {} : { level: o.level }),
      window: WINDOW,
      source: v.domain === "idx" ? "rate_index_ohlc" : "w15_bqx_return",
    },
    warmup: v.lead + WINDOW - 1,
    doc: `Fibonacci ${o.kind}${
      o.level === undefined ? "" : ` ${o.level}`
    } over ${WINDOW} rows of the ${v.domain === "idx" ? "rate index" : "BQX series"}`,
  }));
}

/** The family: 10 columns per domain. */
export const fibonacci: FeatureFamily = {
  name: "fibonacci",
  specs: () => VARIANTS.flatMap(columns),
  compute(series, ctx, out) {
    const n = series.n, from = Math.min(Math.max(0, ctx.from), n);
    // the range reads WINDOW rows: views from `base` (the live path's newest row: 100 rows)
    const base = Math.max(0, from - WINDOW + 1), m = n - base, f = from - base;
    const hh = new Float64Array(m), ll = new Float64Array(m);
    for (const v of VARIANTS) {
      const c = v.close(series).subarray(base);
      rollingExtremeInto(v.high(series).subarray(base), WINDOW, "max", f, hh);
      rollingExtremeInto(v.low(series).subarray(base), WINDOW, "min", f, ll);
      const p = v.domain;
      // written once, never read back: Float32 storage in the batch build
      const col = (name: string) =>
        (ctx.out32?.(`${p}_${name}`) ?? out(`${p}_${name}`)).subarray(base);
      for (const r of RETRACE) {
        const o = col(`fib_${code(r)}`);
        for (let t = f; t < m; t++) o[t] = hh[t] - r * (hh[t] - ll[t]);
      }
      for (const e of EXTEND) {
        const o = col(`fib_ext_${code(e)}`);
        for (let t = f; t < m; t++) o[t] = ll[t] + e * (hh[t] - ll[t]);
      }
      for (const d of DIST) {
        const o = col(`fib_dist_${code(d)}`);
        for (let t = f; t < m; t++) {
          const r = hh[t] - ll[t];
          o[t] = r > 0 ? (c[t] - (hh[t] - d * r)) / r : NaN;
        }
      }
      col("fib_high").set(hh.subarray(f), f);
      col("fib_low").set(ll.subarray(f), f);
    }
  },
};
