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
import type { FeatureFamily, FeatureSpec } from "./_types.ts";
import { spec } from "./_crossSection.ts";

const FAMILY = "dualDomain";
// The windows below are fixed by SPEC; the one-pass computation (dualPass, resum) is written out
// for exactly these (20, 30, 60, lags 1/5/15): changing one means changing it there too.
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
/**
 * Rows read before the first row of the pass: the longest window (60) of a series lagged by 15
 * whose increment reads one row more, plus margin. The pass starts BB_Z − 1 rows before `from`
 * (the bandwidth z reads 60 bandwidths).
 */
const PAD = 80;
/** Rows between direct recomputations of the running sums. */
const RESUM = 128;
/** Reciprocals of the window lengths (and of w − 1, w − 2) used by the pass. */
const I20 = 1 / 20,
  I19 = 1 / 19,
  I30 = 1 / 30,
  I29 = 1 / 29,
  I28 = 1 / 28,
  I60 = 1 / 60,
  I59 = 1 / 59;
/** Rows per call of dualChunk. */
const CHUNK = 2048;
/** Number of running sums and anchors of the pass (see resum). */
const STATE = 60;
const [L1, L2, L3] = LAGS;

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

/** 1 / 0 flag, NaN when an input is NaN. */
function flag(a: number, b: number, f: boolean): number {
  return a === a && b === b ? (f ? 1 : 0) : NaN;
}

/** Pearson correlation from centred sums; NaN when a side is flat. */
function corrOf(cxy: number, vx: number, vy: number): number {
  if (!(vx > 0) || !(vy > 0)) return NaN;
  const r = cxy / Math.sqrt(vx * vy);
  return r > 1 ? 1 : r < -1 ? -1 : r;
}

/** a / b, NaN unless b > 0. */
function ratio(a: number, b: number): number {
  return b > 0 ? a / b : NaN;
}

/** Population skewness from raw power sums over 60 rows; NaN when flat. */
function skewOf(s1: number, s2: number, s3: number): number {
  const m = s1 * I60, e2 = s2 * I60;
  const m2 = e2 - m * m, m3 = s3 * I60 - 3 * m * e2 + 2 * m * m * m;
  return m2 > 1e-300 ? m3 / (m2 * Math.sqrt(m2)) : NaN;
}

/** Population excess kurtosis from raw power sums over 60 rows; NaN when flat. */
function kurtOf(s1: number, s2: number, s3: number, s4: number): number {
  const m = s1 * I60, e2 = s2 * I60, e3 = s3 * I60, e4 = s4 * I60;
  const m2 = e2 - m * m;
  const m4 = e4 - 4 * m * e3 + 6 * m * m * e2 - 3 * m * m * m * m;
  return m2 > 1e-300 ? m4 / (m2 * m2) - 3 : NaN;
}

/**
 * Direct sums over the windows ending at local row i (the bandwidth sums over i−59..i−1: row i
 * is added by the caller), anchors reset, into S (STATE values, in the order written at the end).
 */
function resum(
  X: Float64Array,
  B: Float64Array,
  r: Float64Array,
  d: Float64Array,
  bwX: Float64Array,
  bwB: Float64Array,
  i: number,
  S: Float64Array,
): void {
  let cX = 0,
    cB = 0,
    cWX = 0,
    cWB = 0,
    x20a = 0,
    x20b = 0,
    x30a = 0,
    x30b = 0,
    x30t = 0,
    x60a = 0,
    x60b = 0,
    x60t = 0,
    b20a = 0,
    b20b = 0,
    b30a = 0,
    b30b = 0,
    b30t = 0,
    b60a = 0,
    b60b = 0,
    b60t = 0,
    nx20 = 0,
    nx30 = 0,
    nx60 = 0,
    nb20 = 0,
    nb30 = 0,
    nb60 = 0,
    l30a = 0,
    l30b = 0,
    nl30 = 0,
    r30a = 0,
    r30b = 0,
    nr30 = 0,
    r60a = 0,
    r60b = 0,
    r60c = 0,
    r60d = 0,
    nr60 = 0,
    d30a = 0,
    d30b = 0,
    nd30 = 0,
    d60a = 0,
    d60b = 0,
    d60c = 0,
    d60d = 0,
    nd60 = 0,
    rb30 = 0,
    br30 = 0,
    x0 = 0,
    xr1 = 0,
    xr2 = 0,
    xr3 = 0,
    xd1 = 0,
    xd2 = 0,
    xd3 = 0,
    wxa = 0,
    wxb = 0,
    nwx = 0,
    wba = 0,
    wbb = 0,
    nwb = 0;
  const xi = X[i], bi = B[i];
  cX = xi === xi ? xi : 0;
  cB = bi === bi ? bi : 0;
  for (let q = 0; q < W60; q++) {
    const j = i - W60 + 1 + q, in30 = q >= 30, in20 = q >= 40;
    const xv = X[j], bv = B[j], rv = r[j], dv = d[j], lv = B[j - 1];
    if (xv !== xv) {
      nx60++;
      if (in30) nx30++;
      if (in20) nx20++;
    } else {
      const u = xv - cX, u2 = u * u;
      x60a += u;
      x60b += u2;
      x60t += q * u;
      if (in30) {
        x30a += u;
        x30b += u2;
        x30t += (q - 30) * u;
      }
      if (in20) {
        x20a += u;
        x20b += u2;
      }
    }
    if (bv !== bv) {
      nb60++;
      if (in30) nb30++;
      if (in20) nb20++;
    } else {
      const u = bv - cB, u2 = u * u;
      b60a += u;
      b60b += u2;
      b60t += q * u;
      if (in30) {
        b30a += u;
        b30b += u2;
        b30t += (q - 30) * u;
      }
      if (in20) {
        b20a += u;
        b20b += u2;
      }
    }
    const rOk = rv === rv, dOk = dv === dv, rr = rOk ? rv : 0, dd = dOk ? dv : 0;
    if (!rOk) {
      nr60++;
      if (in30) nr30++;
    }
    if (!dOk) {
      nd60++;
      if (in30) nd30++;
    }
    const r2 = rr * rr, d2 = dd * dd;
    r60a += rr;
    r60b += r2;
    r60c += r2 * rr;
    r60d += r2 * r2;
    d60a += dd;
    d60b += d2;
    d60c += d2 * dd;
    d60d += d2 * d2;
    x0 += rr * dd;
    const ra = r[j - L1], rb = r[j - L2], rc = r[j - L3];
    const da = d[j - L1], db = d[j - L2], dc = d[j - L3];
    if (dOk) {
      if (ra === ra) xr1 += ra * dd;
      if (rb === rb) xr2 += rb * dd;
      if (rc === rc) xr3 += rc * dd;
    }
    if (rOk) {
      if (da === da) xd1 += da * rr;
      if (db === db) xd2 += db * rr;
      if (dc === dc) xd3 += dc * rr;
    }
    if (in30) {
      r30a += rr;
      r30b += r2;
      d30a += dd;
      d30b += d2;
      rb30 += rr * dd;
      if (lv !== lv) nl30++;
      else {
        const u = lv - cB;
        l30a += u;
        l30b += u * u;
        br30 += u * rr;
      }
    }
  }
  const wx0 = bwX[i - 1], wb0 = bwB[i - 1];
  cWX = wx0 === wx0 ? wx0 : 0;
  cWB = wb0 === wb0 ? wb0 : 0;
  for (let j = i - BB_Z + 1; j < i; j++) {
    const a = bwX[j], b = bwB[j];
    if (a !== a) nwx++;
    else {
      const u = a - cWX;
      wxa += u;
      wxb += u * u;
    }
    if (b !== b) nwb++;
    else {
      const u = b - cWB;
      wba += u;
      wbb += u * u;
    }
  }
  S[0] = cX;
  S[1] = cB;
  S[2] = cWX;
  S[3] = cWB;
  S[4] = x20a;
  S[5] = x20b;
  S[6] = x30a;
  S[7] = x30b;
  S[8] = x30t;
  S[9] = x60a;
  S[10] = x60b;
  S[11] = x60t;
  S[12] = b20a;
  S[13] = b20b;
  S[14] = b30a;
  S[15] = b30b;
  S[16] = b30t;
  S[17] = b60a;
  S[18] = b60b;
  S[19] = b60t;
  S[20] = nx20;
  S[21] = nx30;
  S[22] = nx60;
  S[23] = nb20;
  S[24] = nb30;
  S[25] = nb60;
  S[26] = l30a;
  S[27] = l30b;
  S[28] = nl30;
  S[29] = r30a;
  S[30] = r30b;
  S[31] = nr30;
  S[32] = r60a;
  S[33] = r60b;
  S[34] = r60c;
  S[35] = r60d;
  S[36] = nr60;
  S[37] = d30a;
  S[38] = d30b;
  S[39] = nd30;
  S[40] = d60a;
  S[41] = d60b;
  S[42] = d60c;
  S[43] = d60d;
  S[44] = nd60;
  S[45] = rb30;
  S[46] = br30;
  S[47] = x0;
  S[48] = xr1;
  S[49] = xr2;
  S[50] = xr3;
  S[51] = xd1;
  S[52] = xd2;
  S[53] = xd3;
  S[54] = wxa;
  S[55] = wxb;
  S[56] = nwx;
  S[57] = wba;
  S[58] = wbb;
  S[59] = nwb;
}

/**
 * The dual-domain family: 28 `x_` columns (see the module doc).
 *
 * Computation: one pass over the rows (from BB_Z − 1 rows before `from`, the bandwidth z reads
 * that many bandwidths), sliding every window sum at once in O(1) per row — levels (idx, B, and B
 * lagged 1) as sums of deviations from an anchor (plus the index-weighted sum of the linear fit),
 * r and ΔB as raw power sums (their mean is far below their spread) so that a window sum taken at
 * t − k serves the lag-k correlations at t (kept in a 16-row ring), and the cross sums of each
 * correlation and regression. Every sum is recomputed directly every 128 rows (anchors reset).
 * A NaN is counted (windows holding one give NaN) and adds nothing; rows before 0 read as NaN.
 */
export const dualDomain: FeatureFamily = {
  name: FAMILY,
  specs: () =>
    COLUMNS.map(([name, warmup, params, doc]) =>
      spec(FAMILY, name, "x", "primary", { ...params }, warmup, doc)
    ),
  compute(series, ctx, out) {
    // every column is written once (never read back): Float32 storage in the batch build
    const cols = COLUMNS.map(([name]) => ctx.out32?.(name) ?? out(name));
    const n = series.n, from = Math.max(0, ctx.from);
    if (from >= n) return;
    const t0 = Math.max(0, from - (BB_Z - 1));
    // local arrays: index i ↔ row base + i, NaN before row 0
    const base = t0 - PAD, len = n - base;
    const X = new Float64Array(len), B = new Float64Array(len);
    const r = new Float64Array(len), d = new Float64Array(len);
    const close = series.close, bqx = series.bqx;
    for (let i = 0; i < len; i++) {
      const t = base + i;
      if (t < 0) {
        X[i] =
          B[i] =
          r[i] =
          d[i] =
            NaN;
        continue;
      }
      X[i] = close[t];
      B[i] = bqx[t];
      r[i] = t >= 1 ? Math.log(close[t] / close[t - 1]) : NaN;
      d[i] = t >= 1 ? bqx[t] - bqx[t - 1] : NaN;
    }
    dualPass(X, B, r, d, base, from, cols);
  },
};

/**
 * The pass of {@linkcode dualDomain} over local rows PAD..len−1 (row t = base + i), writing rows
 * >= from of the 28 columns: X, B are the levels, r, d their increments (NaN before row 0). Runs
 * in chunks of CHUNK rows ({@linkcode dualChunk}, the running sums carried in a state array): a
 * function called once with a long loop only gets V8's on-stack-replacement code, about twice
 * slower here than the fully optimized code a function called many times gets.
 */
function dualPass(
  X: Float64Array,
  B: Float64Array,
  r: Float64Array,
  d: Float64Array,
  base: number,
  from: number,
  cols: (Float64Array | Float32Array)[],
): void {
  const len = X.length;
  const bw = new Float64Array(2 * len).fill(NaN);
  // ring of the r and ΔB 60-row sums (s1, s2, NaN count) of the last 16 rows, for the lags;
  // the state of the pass (running sums, then the rows left before a direct recomputation)
  const ring = new Float64Array(6 * 16), state = new Float64Array(STATE + 1);
  ring.fill(1, 32, 48);
  ring.fill(1, 80, 96);
  for (let i0 = PAD; i0 < len; i0 += CHUNK) {
    dualChunk(X, B, r, d, bw, ring, state, base, from, cols, i0, Math.min(len, i0 + CHUNK));
  }
}

/** Rows i0..i1−1 of {@linkcode dualPass}. */
function dualChunk(
  X: Float64Array,
  B: Float64Array,
  r: Float64Array,
  d: Float64Array,
  bw: Float64Array,
  ring: Float64Array,
  state: Float64Array,
  base: number,
  from: number,
  cols: (Float64Array | Float32Array)[],
  i0: number,
  i1: number,
): void {
  const len = X.length, bwX = bw.subarray(0, len), bwB = bw.subarray(len);
  const hr1 = ring.subarray(0, 16), hr2 = ring.subarray(16, 32), hrn = ring.subarray(32, 48);
  const hd1 = ring.subarray(48, 64), hd2 = ring.subarray(64, 80), hdn = ring.subarray(80, 96);
  const [o0, o1, o2, o3, o4, o5, o6, o7, o8, o9, o10, o11, o12, o13] = cols;
  const [o14, o15, o16, o17, o18, o19, o20, o21, o22, o23, o24, o25, o26, o27] = cols.slice(14);
  const SXX30 = (30 * (30 * 30 - 1)) / 12, SXX60 = (60 * (60 * 60 - 1)) / 12;
  // the running sums (see resum for their order), and the direct recomputation's scratch
  let cX = state[0],
    cB = state[1],
    cWX = state[2],
    cWB = state[3],
    x20a = state[4],
    x20b = state[5],
    x30a = state[6],
    x30b = state[7],
    x30t = state[8],
    x60a = state[9],
    x60b = state[10],
    x60t = state[11],
    b20a = state[12],
    b20b = state[13],
    b30a = state[14],
    b30b = state[15],
    b30t = state[16],
    b60a = state[17],
    b60b = state[18],
    b60t = state[19],
    nx20 = state[20] | 0,
    nx30 = state[21] | 0,
    nx60 = state[22] | 0,
    nb20 = state[23] | 0,
    nb30 = state[24] | 0,
    nb60 = state[25] | 0,
    l30a = state[26],
    l30b = state[27],
    nl30 = state[28] | 0,
    r30a = state[29],
    r30b = state[30],
    nr30 = state[31] | 0,
    r60a = state[32],
    r60b = state[33],
    r60c = state[34],
    r60d = state[35],
    nr60 = state[36] | 0,
    d30a = state[37],
    d30b = state[38],
    nd30 = state[39] | 0,
    d60a = state[40],
    d60b = state[41],
    d60c = state[42],
    d60d = state[43],
    nd60 = state[44] | 0,
    rb30 = state[45],
    br30 = state[46],
    x0 = state[47],
    xr1 = state[48],
    xr2 = state[49],
    xr3 = state[50],
    xd1 = state[51],
    xd2 = state[52],
    xd3 = state[53],
    wxa = state[54],
    wxb = state[55],
    nwx = state[56] | 0,
    wba = state[57],
    wbb = state[58],
    nwb = state[59] | 0;
  let k = state[STATE] | 0;
  const S = new Float64Array(STATE);

  for (let i = i0; i < i1; i++) {
    const t = base + i;
    if (k === 0) {
      resum(X, B, r, d, bwX, bwB, i, S);
      cX = S[0];
      cB = S[1];
      cWX = S[2];
      cWB = S[3];
      x20a = S[4];
      x20b = S[5];
      x30a = S[6];
      x30b = S[7];
      x30t = S[8];
      x60a = S[9];
      x60b = S[10];
      x60t = S[11];
      b20a = S[12];
      b20b = S[13];
      b30a = S[14];
      b30b = S[15];
      b30t = S[16];
      b60a = S[17];
      b60b = S[18];
      b60t = S[19];
      nx20 = S[20] | 0;
      nx30 = S[21] | 0;
      nx60 = S[22] | 0;
      nb20 = S[23] | 0;
      nb30 = S[24] | 0;
      nb60 = S[25] | 0;
      l30a = S[26];
      l30b = S[27];
      nl30 = S[28] | 0;
      r30a = S[29];
      r30b = S[30];
      nr30 = S[31] | 0;
      r60a = S[32];
      r60b = S[33];
      r60c = S[34];
      r60d = S[35];
      nr60 = S[36] | 0;
      d30a = S[37];
      d30b = S[38];
      nd30 = S[39] | 0;
      d60a = S[40];
      d60b = S[41];
      d60c = S[42];
      d60d = S[43];
      nd60 = S[44] | 0;
      rb30 = S[45];
      br30 = S[46];
      x0 = S[47];
      xr1 = S[48];
      xr2 = S[49];
      xr3 = S[50];
      xd1 = S[51];
      xd2 = S[52];
      xd3 = S[53];
      wxa = S[54];
      wxb = S[55];
      nwx = S[56] | 0;
      wba = S[57];
      wbb = S[58];
      nwb = S[59] | 0;
    } else {
      // slide the level windows: in = row i, out = i − w
      let v = X[i];
      let u = 0;
      if (v !== v) {
        nx20++;
        nx30++;
        nx60++;
      } else u = v - cX;
      let u2 = u * u;
      v = X[i - 20];
      if (v !== v) nx20--;
      else {
        const o20 = v - cX;
        x20a -= o20;
        x20b -= o20 * o20;
      }
      x20a += u;
      x20b += u2;
      v = X[i - 30];
      let uo = 0;
      if (v !== v) nx30--;
      else uo = v - cX;
      x30a += u - uo;
      x30b += u2 - uo * uo;
      x30t += 30 * u - x30a;
      v = X[i - 60];
      uo = 0;
      if (v !== v) nx60--;
      else uo = v - cX;
      x60a += u - uo;
      x60b += u2 - uo * uo;
      x60t += 60 * u - x60a;

      v = B[i];
      u = 0;
      if (v !== v) {
        nb20++;
        nb30++;
        nb60++;
      } else u = v - cB;
      u2 = u * u;
      v = B[i - 20];
      if (v !== v) nb20--;
      else {
        const o20 = v - cB;
        b20a -= o20;
        b20b -= o20 * o20;
      }
      b20a += u;
      b20b += u2;
      v = B[i - 30];
      uo = 0;
      if (v !== v) nb30--;
      else uo = v - cB;
      b30a += u - uo;
      b30b += u2 - uo * uo;
      b30t += 30 * u - b30a;
      v = B[i - 60];
      uo = 0;
      if (v !== v) nb60--;
      else uo = v - cB;
      b60a += u - uo;
      b60b += u2 - uo * uo;
      b60t += 60 * u - b60a;

      // r and ΔB: raw sums; cross sums
      const rv = r[i], dv = d[i], ro = r[i - 60], dq = d[i - 60];
      const rOk = rv === rv, dOk = dv === dv, roOk = ro === ro, dqOk = dq === dq;
      const rr = rOk ? rv : 0, dd = dOk ? dv : 0, rro = roOk ? ro : 0, ddo = dqOk ? dq : 0;
      if (!rOk) {
        nr60++;
        nr30++;
      }
      if (!roOk) nr60--;
      if (!dOk) {
        nd60++;
        nd30++;
      }
      if (!dqOk) nd60--;
      const r2 = rr * rr, ro2 = rro * rro, d2 = dd * dd, do2 = ddo * ddo;
      r60a += rr - rro;
      r60b += r2 - ro2;
      r60c += r2 * rr - ro2 * rro;
      r60d += r2 * r2 - ro2 * ro2;
      d60a += dd - ddo;
      d60b += d2 - do2;
      d60c += d2 * dd - do2 * ddo;
      d60d += d2 * d2 - do2 * do2;
      x0 += rr * dd - rro * ddo;
      // lagged cross sums: entering (i − k, i), leaving (i − 60 − k, i − 60)
      let a = r[i - L1];
      if (a === a) xr1 += a * dd;
      a = r[i - 60 - L1];
      if (a === a) xr1 -= a * ddo;
      a = r[i - L2];
      if (a === a) xr2 += a * dd;
      a = r[i - 60 - L2];
      if (a === a) xr2 -= a * ddo;
      a = r[i - L3];
      if (a === a) xr3 += a * dd;
      a = r[i - 60 - L3];
      if (a === a) xr3 -= a * ddo;
      a = d[i - L1];
      if (a === a) xd1 += a * rr;
      a = d[i - 60 - L1];
      if (a === a) xd1 -= a * rro;
      a = d[i - L2];
      if (a === a) xd2 += a * rr;
      a = d[i - 60 - L2];
      if (a === a) xd2 -= a * rro;
      a = d[i - L3];
      if (a === a) xd3 += a * rr;
      a = d[i - 60 - L3];
      if (a === a) xd3 -= a * rro;
      // 30-row windows of r, ΔB, r·ΔB, B(t−1)
      const r30 = r[i - 30], d30 = d[i - 30];
      const r3 = r30 === r30 ? r30 : 0, d3 = d30 === d30 ? d30 : 0;
      if (r30 !== r30) nr30--;
      if (d30 !== d30) nd30--;
      r30a += rr - r3;
      r30b += r2 - r3 * r3;
      d30a += dd - d3;
      d30b += d2 - d3 * d3;
      rb30 += rr * dd - r3 * d3;
      const li = B[i - 1], lo = B[i - 31];
      let ul = 0, ulo = 0;
      if (li !== li) nl30++;
      else ul = li - cB;
      if (lo !== lo) nl30--;
      else ulo = lo - cB;
      l30a += ul - ulo;
      l30b += ul * ul - ulo * ulo;
      br30 += ul * rr - ulo * r3;
      // bandwidth windows: drop row i − 60 (row i is added below)
      const wo = bwX[i - BB_Z], wq = bwB[i - BB_Z];
      if (wo !== wo) nwx--;
      else {
        const e = wo - cWX;
        wxa -= e;
        wxb -= e * e;
      }
      if (wq !== wq) nwb--;
      else {
        const e = wq - cWB;
        wba -= e;
        wbb -= e * e;
      }
    }
    if (++k === RESUM) k = 0;

    // Bollinger (20) of both levels, this row's bandwidths into their 60-row windows
    const xi = X[i], bi = B[i];
    let pX = NaN, pB = NaN, wX = NaN, wB = NaN;
    if (nx20 === 0) {
      const v = (x20b - x20a * x20a * I20) * I19, sd = v > 0 ? Math.sqrt(v) : 0;
      const m = cX + x20a * I20, width = 2 * BB_K * sd;
      if (width > 0) pX = (xi - (m - BB_K * sd)) / width;
      wX = m !== 0 ? width / m : NaN;
    }
    if (nb20 === 0) {
      const v = (b20b - b20a * b20a * I20) * I19, sd = v > 0 ? Math.sqrt(v) : 0;
      const m = cB + b20a * I20, width = 2 * BB_K * sd;
      if (width > 0) pB = (bi - (m - BB_K * sd)) / width;
      wB = width;
    }
    bwX[i] = wX;
    bwB[i] = wB;
    if (wX !== wX) nwx++;
    else {
      const e = wX - cWX;
      wxa += e;
      wxb += e * e;
    }
    if (wB !== wB) nwb++;
    else {
      const e = wB - cWB;
      wba += e;
      wbb += e * e;
    }
    const h = t & 15;
    hr1[h] = r60a;
    hr2[h] = r60b;
    hrn[h] = nr60;
    hd1[h] = d60a;
    hd2[h] = d60b;
    hdn[h] = nd60;
    if (t < from) continue;

    // regressions over 30: ΔB on r, r on B(t−1)
    const vr30 = r30b - r30a * r30a * I30;
    if (nr30 === 0 && nd30 === 0) {
      const vy = d30b - d30a * d30a * I30;
      const cxy = rb30 - r30a * d30a * I30, b = vr30 > 0 ? cxy / vr30 : NaN;
      const rc = corrOf(cxy, vr30, vy), s2 = vy * (1 - rc * rc) * I28;
      o0[t] = b;
      o1[t] = rc * rc;
      o2[t] = s2 > 0 ? (d[i] - d30a * I30 - b * (r[i] - r30a * I30)) / Math.sqrt(s2) : NaN;
    }
    if (nl30 === 0 && nr30 === 0) {
      const vx = l30b - l30a * l30a * I30;
      const cxy = br30 - l30a * r30a * I30, b = vx > 0 ? cxy / vx : NaN;
      const rc = corrOf(cxy, vx, vr30), s2 = vr30 * (1 - rc * rc) * I28;
      o3[t] = b;
      o4[t] = rc * rc;
      o5[t] = s2 > 0 ? (r[i] - r30a * I30 - b * (B[i - 1] - cB - l30a * I30)) / Math.sqrt(s2) : NaN;
    }
    // linear fits over 30 and 60: slope / σ (σ² = centred sum / (w − 1)), R²
    if (nx30 === 0 && nb30 === 0) {
      const sX = x30t - 14.5 * x30a, yX = x30b - x30a * x30a * I30;
      const sB = b30t - 14.5 * b30a, yB = b30b - b30a * b30a * I30;
      o6[t] = (yX > 0 ? sX / (SXX30 * Math.sqrt(yX * I29)) : NaN) -
        (yB > 0 ? sB / (SXX30 * Math.sqrt(yB * I29)) : NaN);
      o8[t] = (yX > 0 ? Math.min(1, Math.max(0, (sX * sX) / (SXX30 * yX))) : NaN) -
        (yB > 0 ? Math.min(1, Math.max(0, (sB * sB) / (SXX30 * yB))) : NaN);
    }
    if (nx60 === 0 && nb60 === 0) {
      const sX = x60t - 29.5 * x60a, yX = x60b - x60a * x60a * I60;
      const sB = b60t - 29.5 * b60a, yB = b60b - b60a * b60a * I60;
      o7[t] = (yX > 0 ? sX / (SXX60 * Math.sqrt(yX * I59)) : NaN) -
        (yB > 0 ? sB / (SXX60 * Math.sqrt(yB * I59)) : NaN);
      o9[t] = (yX > 0 ? Math.min(1, Math.max(0, (sX * sX) / (SXX60 * yX))) : NaN) -
        (yB > 0 ? Math.min(1, Math.max(0, (sB * sB) / (SXX60 * yB))) : NaN);
    }
    // volatility ratios and term structure, moments
    const vd = d60b - d60a * d60a * I60, vr = r60b - r60a * r60a * I60;
    const v30r = nr30 === 0 ? (vr30 > 0 ? Math.sqrt(vr30 * I29) : 0) : NaN;
    const vd30 = d30b - d30a * d30a * I30;
    const v30d = nd30 === 0 ? (vd30 > 0 ? Math.sqrt(vd30 * I29) : 0) : NaN;
    const v60r = nr60 === 0 ? (vr > 0 ? Math.sqrt(vr * I59) : 0) : NaN;
    const v60d = nd60 === 0 ? (vd > 0 ? Math.sqrt(vd * I59) : 0) : NaN;
    o10[t] = ratio(v30d, v30r);
    o11[t] = ratio(v60d, v60r);
    o12[t] = ratio(v30r, v60r) - ratio(v30d, v60d);
    if (nr60 === 0 && nd60 === 0) {
      o13[t] = skewOf(r60a, r60b, r60c) - skewOf(d60a, d60b, d60c);
      o14[t] = kurtOf(r60a, r60b, r60c, r60d) - kurtOf(d60a, d60b, d60c, d60d);
      o15[t] = corrOf(x0 - r60a * d60a * I60, vr, vd);
    }
    // lagged cross-correlations: the lagged side's window sums are those of row t − k
    {
      const hk = (t - L1) & 15;
      if (nd60 === 0 && hrn[hk] === 0) {
        const s1 = hr1[hk];
        o16[t] = corrOf(xr1 - s1 * d60a * I60, hr2[hk] - s1 * s1 * I60, vd);
      }
      if (nr60 === 0 && hdn[hk] === 0) {
        const s1 = hd1[hk];
        o19[t] = corrOf(xd1 - s1 * r60a * I60, hd2[hk] - s1 * s1 * I60, vr);
      }
    }
    {
      const hk = (t - L2) & 15;
      if (nd60 === 0 && hrn[hk] === 0) {
        const s1 = hr1[hk];
        o17[t] = corrOf(xr2 - s1 * d60a * I60, hr2[hk] - s1 * s1 * I60, vd);
      }
      if (nr60 === 0 && hdn[hk] === 0) {
        const s1 = hd1[hk];
        o20[t] = corrOf(xd2 - s1 * r60a * I60, hd2[hk] - s1 * s1 * I60, vr);
      }
    }
    {
      const hk = (t - L3) & 15;
      if (nd60 === 0 && hrn[hk] === 0) {
        const s1 = hr1[hk];
        o18[t] = corrOf(xr3 - s1 * d60a * I60, hr2[hk] - s1 * s1 * I60, vd);
      }
      if (nr60 === 0 && hdn[hk] === 0) {
        const s1 = hd1[hk];
        o21[t] = corrOf(xd3 - s1 * r60a * I60, hd2[hk] - s1 * s1 * I60, vr);
      }
    }
    // Bollinger comparisons
    o22[t] = pX - pB;
    o23[t] = pX + pB - 1;
    o24[t] = flag(pX, pB, (pX - 0.5) * (pB - 0.5) > 0);
    o25[t] = flag(pX, pB, (pX < 0 || pX > 1) && (pB < 0 || pB > 1));
    o26[t] = wB > 0 && wX > 0 ? Math.log(wB / wX) : NaN;
    let zX = NaN, zB = NaN;
    if (nwx === 0) {
      const v = (wxb - wxa * wxa * I60) * I59;
      if (v > 0) zX = (wX - cWX - wxa * I60) / Math.sqrt(v);
    }
    if (nwb === 0) {
      const v = (wbb - wba * wba * I60) * I59;
      if (v > 0) zB = (wB - cWB - wba * I60) / Math.sqrt(v);
    }
    o27[t] = zX - zB;
  }
  state[0] = cX;
  state[1] = cB;
  state[2] = cWX;
  state[3] = cWB;
  state[4] = x20a;
  state[5] = x20b;
  state[6] = x30a;
  state[7] = x30b;
  state[8] = x30t;
  state[9] = x60a;
  state[10] = x60b;
  state[11] = x60t;
  state[12] = b20a;
  state[13] = b20b;
  state[14] = b30a;
  state[15] = b30b;
  state[16] = b30t;
  state[17] = b60a;
  state[18] = b60b;
  state[19] = b60t;
  state[20] = nx20;
  state[21] = nx30;
  state[22] = nx60;
  state[23] = nb20;
  state[24] = nb30;
  state[25] = nb60;
  state[26] = l30a;
  state[27] = l30b;
  state[28] = nl30;
  state[29] = r30a;
  state[30] = r30b;
  state[31] = nr30;
  state[32] = r60a;
  state[33] = r60b;
  state[34] = r60c;
  state[35] = r60d;
  state[36] = nr60;
  state[37] = d30a;
  state[38] = d30b;
  state[39] = nd30;
  state[40] = d60a;
  state[41] = d60b;
  state[42] = d60c;
  state[43] = d60d;
  state[44] = nd60;
  state[45] = rb30;
  state[46] = br30;
  state[47] = x0;
  state[48] = xr1;
  state[49] = xr2;
  state[50] = xr3;
  state[51] = xd1;
  state[52] = xd2;
  state[53] = xd3;
  state[54] = wxa;
  state[55] = wxb;
  state[56] = nwx;
  state[57] = wba;
  state[58] = wbb;
  state[59] = nwb;
  state[STATE] = k;
}
