/**
 * Dual-domain family (SPEC §5 "dual-domain": 28 `x_` columns, scope primary): how the pair's rate
 * index and its BQX relate — rolling regressions of one on the other and side-by-side comparisons
 * of the same statistic in both domains. Why: BQX is a deterministic function of the index path, so
 * it is where they disagree (a trend in one and not the other, a vol regime shift in one domain, a
 * Bollinger break in one) that carries extra information. Only the pair's own series are used, so
 * windows count the pair's bars and no market is needed.
 *
 * Notation: r(t) = ln(idx(t)/idx(t−1)) (1-bar log return of the rate index `close`),
 * B(t) = w15_bqx_return (`series.bqx`), ΔB(t) = B(t) − B(t−1). Both domains go through one side
 * builder ({@linkcode side}), whose variants only set the level, its increment and the band-width
 * convention: idx side (level idx, increment r, bandwidth (upper − lower)/middle), bqx side (level
 * B, increment ΔB, bandwidth upper − lower = 4σ: B is already relative and centred near 0, dividing
 * by its mean would be meaningless).
 *
 * Columns:
 * - `x_dual_rb_{beta,r2,resid_z}_30`: rate→BQX, least squares of ΔB(t) on r(t) over 30 bars
 *   (contemporaneous: how much BQX moves per unit of return); `x_dual_br_{beta,r2,resid_z}_30`:
 *   BQX→rate, r(t) on B(t−1) (predictive: does the previous BQX explain the return — mean
 *   reversion). beta = cov/var(x), r² = corr², resid z = e(t)/s, e(t) = (y − ȳ) − beta·(x − x̄),
 *   s² = Σe²/(30 − 2) = (29·var(y)·(1 − r²))/28 (NaN when s = 0);
 * - `x_dual_slope_diff_{30,60}`: least-squares slope over w bars divided by the std over w (trend
 *   in σ per bar) of idx minus that of B; `x_dual_trend_r2_diff_{30,60}`: R² of the same line, idx
 *   minus B;
 * - `x_dual_vol_ratio_{30,60}` = std(ΔB)/std(r) over w; `x_dual_vol_term_diff_30_60` =
 *   std₃₀(r)/std₆₀(r) − std₃₀(ΔB)/std₆₀(ΔB) (a vol regime shift in one domain only);
 * - `x_dual_skew_diff_60`, `x_dual_kurt_diff_60`: skewness / excess kurtosis (population moments)
 *   of r minus those of ΔB over 60;
 * - `x_dual_xcorr_lag0_60` = corr(r(t), ΔB(t)); `x_dual_xcorr_ret_lag{1,5,15}_60` =
 *   corr(r(t−k), ΔB(t)); `x_dual_xcorr_bqx_lag{1,5,15}_60` = corr(ΔB(t−k), r(t)); over 60 bars;
 * - Bollinger (20 bars, ±2 sample σ): `x_dual_pctb_diff_20` = %B(idx) − %B(B);
 *   `x_dual_pctb_mirror_20` = %B(idx) + %B(B) − 1 (B mirrors idx by construction: 0 when they
 *   agree); `x_dual_pctb_same_side_20` = 1 when both sit on the same side of their middle band,
 *   else 0; `x_dual_band_break_agree_20` = 1 when both are outside their bands, else 0;
 *   `x_dual_bw_log_ratio_20` = ln(bandwidth(B)/bandwidth(idx)); `x_dual_bw_z_diff_20` = z-score over
 *   60 bars of bandwidth(idx) minus that of bandwidth(B).
 *
 * Warm-up counts the longest chain (B starts at row 15, ΔB at 16): e.g. a 60-bar correlation with
 * ΔB lagged 15 starts at 16 + 15 + 59. Flags and ratios are NaN where an input is.
 *
 * @example
 * ```ts
 * import { dualDomain } from "./dualDomain.ts";
 * import assert from "node:assert/strict";
 * // B moves by exactly 3·r each bar: the rate→BQX beta is 3 with R² 1
 * const n = 40, close = new Float64Array(n), bqx = new Float64Array(n);
 * for (let t = 0; t < n; t++) {
 *   close[t] = 100 * Math.exp(1e-3 * Math.sin(t * t));
 *   bqx[t] = 3 * Math.log(close[t] / 100);
 * }
 * const s = { pair: "eurusd", n, close, bqx } as never;
 * const cols = new Map<string, Float64Array>();
 * dualDomain.compute(s, { from: 0 }, (name) => {
 *   const a = new Float64Array(n).fill(NaN);
 *   cols.set(name, a);
 *   return a;
 * });
 * assert.ok(Math.abs(cols.get("x_dual_rb_beta_30")![n - 1] - 3) < 1e-9);
 * assert.ok(Math.abs(cols.get("x_dual_rb_r2_30")![n - 1] - 1) < 1e-9);
 * ```
 * @module
 */
import {
  diff,
  lag,
  logReturn,
  rollingCovCorr,
  rollingKurt,
  rollingMean,
  rollingSkew,
  rollingStd,
  rollingZ,
} from "./_kernels.ts";
import type { FeatureFamily, FeatureSpec } from "./_types.ts";
import { corrOf, nans, rollingCovMatrix, rollingLinFit, spec } from "./_crossSection.ts";

const FAMILY = "dualDomain";
/** Regression window. */
const REG_W = 30;
/** Windows of the linear-fit and vol comparisons. */
const WS = [30, 60] as const;
/** Window of the moments and cross-correlations. */
const W60 = 60;
/** Cross-correlation lags. */
const LAGS = [1, 5, 15];
/** Bollinger window, band width in σ, and the window of the bandwidth z. */
const BB_W = 20, BB_K = 2, BB_Z = 60;
/** First row of r, of B and of ΔB. */
const R0 = 1, B0 = 15, D0 = 16;
/** Longest chain of look-backs (rows before `from` that intermediates need). */
const LOOKBACK = 16 + 15 + W60 + BB_W + BB_Z;

/** Every column: name, warm-up, params, doc. */
const COLUMNS: readonly (readonly [string, number, FeatureSpec["params"], string])[] = [
  ["x_dual_rb_beta_30", D0 + REG_W - 1, { window: REG_W }, "beta of ΔBQX on the 1-bar log return"],
  ["x_dual_rb_r2_30", D0 + REG_W - 1, { window: REG_W }, "R² of ΔBQX on the 1-bar log return"],
  ["x_dual_rb_resid_z_30", D0 + REG_W - 1, { window: REG_W }, "residual z of ΔBQX on the return"],
  [
    "x_dual_br_beta_30",
    D0 + REG_W - 1,
    { window: REG_W },
    "beta of the return on the previous BQX",
  ],
  ["x_dual_br_r2_30", D0 + REG_W - 1, { window: REG_W }, "R² of the return on the previous BQX"],
  [
    "x_dual_br_resid_z_30",
    D0 + REG_W - 1,
    { window: REG_W },
    "residual z of the return on BQX(t−1)",
  ],
  ...WS.map((w) =>
    [
      `x_dual_slope_diff_${w}`,
      B0 + w - 1,
      { window: w },
      `normalized linear-fit slope over ${w}: idx minus BQX`,
    ] as const
  ),
  ...WS.map((w) =>
    [
      `x_dual_trend_r2_diff_${w}`,
      B0 + w - 1,
      { window: w },
      `linear-fit R² over ${w}: idx minus BQX`,
    ] as const
  ),
  ...WS.map((w) =>
    [
      `x_dual_vol_ratio_${w}`,
      D0 + w - 1,
      { window: w },
      `std of ΔBQX / std of returns over ${w}`,
    ] as const
  ),
  [
    "x_dual_vol_term_diff_30_60",
    D0 + 59,
    { short: 30, long: 60 },
    "std30/std60 of returns minus that of ΔBQX",
  ],
  ["x_dual_skew_diff_60", D0 + 59, { window: W60 }, "skewness of returns minus that of ΔBQX"],
  [
    "x_dual_kurt_diff_60",
    D0 + 59,
    { window: W60 },
    "excess kurtosis of returns minus that of ΔBQX",
  ],
  ["x_dual_xcorr_lag0_60", D0 + 59, { window: W60, lag: 0 }, "corr(r(t), ΔBQX(t))"],
  ...LAGS.map((k) =>
    [
      `x_dual_xcorr_ret_lag${k}_60`,
      Math.max(R0 + k, D0) + 59,
      { window: W60, lag: k },
      `corr(r(t−${k}), ΔBQX(t))`,
    ] as const
  ),
  ...LAGS.map((k) =>
    [
      `x_dual_xcorr_bqx_lag${k}_60`,
      D0 + k + 59,
      { window: W60, lag: k },
      `corr(ΔBQX(t−${k}), r(t))`,
    ] as const
  ),
  ["x_dual_pctb_diff_20", B0 + BB_W - 1, { window: BB_W, k: BB_K }, "%B of idx minus %B of BQX"],
  ["x_dual_pctb_mirror_20", B0 + BB_W - 1, { window: BB_W, k: BB_K }, "%B of idx + %B of BQX − 1"],
  [
    "x_dual_pctb_same_side_20",
    B0 + BB_W - 1,
    { window: BB_W, k: BB_K },
    "1 when idx and BQX sit on the same side of their middle band",
  ],
  [
    "x_dual_band_break_agree_20",
    B0 + BB_W - 1,
    { window: BB_W, k: BB_K },
    "1 when idx and BQX are both outside their bands",
  ],
  [
    "x_dual_bw_log_ratio_20",
    B0 + BB_W - 1,
    { window: BB_W, k: BB_K },
    "ln(bandwidth of BQX / bandwidth of idx)",
  ],
  [
    "x_dual_bw_z_diff_20",
    B0 + BB_W - 1 + BB_Z - 1,
    { window: BB_W, k: BB_K, zWindow: BB_Z },
    "z (60) of the idx bandwidth minus z of the BQX bandwidth",
  ],
];

/** One domain's statistics; the variants only set the level, its increment and the bandwidth. */
interface SideOptions {
  level: Float64Array;
  inc: Float64Array;
  /** Bandwidth (upper − lower)/middle (idx) or upper − lower (BQX). */
  relative: boolean;
}

/** Per-domain series used by the comparisons, computed from row `lo`. */
function side({ level, inc, relative }: SideOptions, lo: number) {
  const n = level.length;
  const fit = WS.map((w) => {
    const { slope, r2 } = rollingLinFit(level, w, lo);
    const sd = rollingStd(level, w, lo);
    for (let t = lo; t < n; t++) slope[t] = sd[t] > 0 ? slope[t] / sd[t] : NaN;
    return { slope, r2 };
  });
  const vol = WS.map((w) => rollingStd(inc, w, lo));
  const skew = rollingSkew(inc, W60, lo), kurt = rollingKurt(inc, W60, lo);
  const m = rollingMean(level, BB_W, lo), sd = rollingStd(level, BB_W, lo);
  const pctb = nans(n), bw = nans(n);
  for (let t = lo; t < n; t++) {
    const width = 2 * BB_K * sd[t];
    if (width > 0) pctb[t] = (level[t] - (m[t] - BB_K * sd[t])) / width;
    const b = relative ? (m[t] !== 0 ? width / m[t] : NaN) : width;
    bw[t] = b;
  }
  return { fit, vol, skew, kurt, pctb, bw };
}

/**
 * Rolling least squares of y on x over w rows from `lo`, from one pass of the 2×2 covariance:
 * beta = cov/var(x), r² = corr², residual z = e / sqrt((w−1)·var(y)·(1 − r²)/(w − 2)).
 */
function regress(x: Float64Array, y: Float64Array, w: number, lo: number) {
  const n = x.length;
  const beta = nans(n), r2 = nans(n), z = nans(n);
  rollingCovMatrix([x, y], w, lo, (t, cov, mean, ok) => {
    if (!ok[0] || !ok[1]) return;
    const vx = cov[0], cxy = cov[1], vy = cov[3];
    const b = vx > 0 ? cxy / vx : NaN;
    beta[t] = b;
    const r = corrOf(cov, 2, 0, 1, ok);
    r2[t] = r * r;
    const s2 = ((w - 1) * vy * (1 - r * r)) / (w - 2);
    z[t] = s2 > 0 ? (y[t] - mean[1] - b * (x[t] - mean[0])) / Math.sqrt(s2) : NaN;
  });
  return [beta, r2, z];
}

/** 1 / 0 flag, NaN when an input is NaN. */
function flag(a: number, b: number, f: (a: number, b: number) => boolean): number {
  return a === a && b === b ? (f(a, b) ? 1 : 0) : NaN;
}

/** The dual-domain family: 28 `x_` columns (see the module doc). */
export const dualDomain: FeatureFamily = {
  name: FAMILY,
  specs: () =>
    COLUMNS.map(([name, warmup, params, doc]) =>
      spec(FAMILY, name, "x", "primary", { ...params }, warmup, doc)
    ),
  compute(series, ctx, out) {
    const cols = COLUMNS.map(([name]) => out(name));
    const n = series.n, from = Math.max(0, ctx.from);
    if (from >= n) return;
    const lo = Math.max(0, from - LOOKBACK);
    const r = logReturn(series.close, 1, lo), B = series.bqx, dB = diff(B, 1, lo);
    const idx = side({ level: series.close, inc: r, relative: true }, lo);
    const bqx = side({ level: B, inc: dB, relative: false }, lo);
    const outs: Float64Array[] = [
      ...regress(r, dB, REG_W, lo),
      ...regress(lag(B, 1, lo), r, REG_W, lo),
    ];
    const cmp = (a: Float64Array, b: Float64Array, f: (x: number, y: number) => number) => {
      const o = nans(n);
      for (let t = from; t < n; t++) o[t] = f(a[t], b[t]);
      return o;
    };
    const ratio = (a: number, b: number) => (b > 0 ? a / b : NaN);
    const sub = (a: number, b: number) => a - b;
    for (let i = 0; i < WS.length; i++) outs.push(cmp(idx.fit[i].slope, bqx.fit[i].slope, sub));
    for (let i = 0; i < WS.length; i++) outs.push(cmp(idx.fit[i].r2, bqx.fit[i].r2, sub));
    for (let i = 0; i < WS.length; i++) outs.push(cmp(bqx.vol[i], idx.vol[i], ratio));
    outs.push(
      cmp(cmp(idx.vol[0], idx.vol[1], ratio), cmp(bqx.vol[0], bqx.vol[1], ratio), sub),
      cmp(idx.skew, bqx.skew, sub),
      cmp(idx.kurt, bqx.kurt, sub),
      rollingCovCorr(r, dB, W60, from).corr,
      ...LAGS.map((k) => rollingCovCorr(lag(r, k, lo), dB, W60, from).corr),
      ...LAGS.map((k) => rollingCovCorr(lag(dB, k, lo), r, W60, from).corr),
      cmp(idx.pctb, bqx.pctb, sub),
      cmp(idx.pctb, bqx.pctb, (a, b) => a + b - 1),
      cmp(idx.pctb, bqx.pctb, (a, b) => flag(a, b, (x, y) => (x - 0.5) * (y - 0.5) > 0)),
      cmp(idx.pctb, bqx.pctb, (a, b) => flag(a, b, (x, y) => (x < 0 || x > 1) && (y < 0 || y > 1))),
      cmp(bqx.bw, idx.bw, (a, b) => (a > 0 && b > 0 ? Math.log(a / b) : NaN)),
      cmp(rollingZ(idx.bw, BB_Z, from), rollingZ(bqx.bw, BB_Z, from), sub),
    );
    for (let j = 0; j < cols.length; j++) {
      cols[j].set(outs[j].subarray(from), from);
    }
  },
};
