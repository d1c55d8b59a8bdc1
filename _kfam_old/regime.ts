/**
 * Event / regime family (SPEC §5 "event / regime", 26 `x_` columns, scope primary): what state the
 * pair is in — jumps, the volatility regime and the trend regime — from the rate index `close`
 * (and `high`/`low` for the range volatility). Why: forecast skill and the right model differ
 * between calm and volatile, trending and ranging markets (SPEC §6 breaks metrics down by
 * volatility tercile and trend state); these columns let a model condition on it.
 *
 * r(t) = ln(close(t)/close(t−1)), the 1-bar log return (NaN at row 0). Columns:
 * - jumps: σ₋(t) = sample std (n − 1) of r over the 60 bars t−60..t−1, EXCLUDING the current bar
 *   (a jump must not inflate its own yardstick); `x_jump_z` = r(t)/σ₋(t) (NaN when σ₋ = 0),
 *   `x_jump_2p5` / `x_jump_3` = 1 when |z| > 2.5 / > 3, else 0 (NaN where z is);
 *   `x_jump_count_20` / `_60` = number of 2.5σ jumps in the last 20 / 60 bars (NaN when a flag in
 *   the window is); `x_bars_since_jump` = bars since the latest 2.5σ jump, 0 on a jump bar,
 *   censored at 240 (choice: a bounded look-back keeps the value identical on the live path's
 *   tail; NaN flags count as no jump);
 * - volatility: `x_rvol_20` / `_60` = std (n − 1) of r over 20 / 60 bars (per bar, not
 *   annualized); `x_vol_regime_20` / `_60` = tercile 0/1/2 of rvol within the trailing 1440-row
 *   window (the current value included; ranked by mid-rank percentile q = (#below + (#equal − 1)/2)
 *   / (1440 − 1), tercile 0 when q < 1/3, 1 when q < 2/3, else 2; NaN when the window holds a NaN or
 *   is flat — {@linkcode rollingRank}); `x_vol_pctile_20` = that q itself; `x_vol_z_20` = z-score of
 *   rvol_20 over the same 1440 rows; `x_ewma_vol_30` = sqrt of the EMA (span 30, α = 2/31) of r²
 *   (zero-mean RiskMetrics form, seeded with the mean of the first 30 r² — the `ema` kernel's
 *   seeding); `x_vol_ratio_20_60` = rvol_20/rvol_60 (NaN when rvol_60 = 0);
 *   `x_vol_expansion` = 1 when that ratio > 1.25, `x_vol_compression` = 1 when < 0.8 (choice of
 *   thresholds); `x_range_vol_20` = Parkinson volatility sqrt(mean(ln(high/low)²)/(4 ln 2)) over 20;
 * - trend: a least-squares line of close on the row number over 20 / 60 bars (via the rolling
 *   covariance/correlation of close with the row index): `x_trend_r2_{w}` = R² (= corr², NaN on a
 *   flat window), `x_trend_sign_{w}` = sign of the slope (−1/0/1), `x_trend_regime_{w}` = the slope
 *   sign when R² ≥ 0.5 else 0 (choice: "trending" = a line explains half the variance);
 *   `x_trend_consistency_{w}` = share of up bars (r > 0) over w bars; `x_trend_efficiency_20` =
 *   Kaufman's efficiency ratio |close(t) − close(t−20)| / Σ|Δclose| over 20 bars (NaN when flat).
 *
 * All windows are trailing and count rows. `warmup` counts the longest chain (e.g. the 1440-row
 * regime of rvol_60 needs 60 + 1439 rows). The live path needs at most 1500 rows of history.
 *
 * @example
 * ```ts
 * import { regime } from "./regime.ts";
 * import assert from "node:assert/strict";
 * // close doubles then halves: r = ln 2, −ln 2, ln 2, … → one up bar in two
 * const n = 25, close = new Float64Array(n);
 * for (let t = 0; t < n; t++) close[t] = t % 2 ? 200 : 100;
 * const s = { n, close, high: close, low: close } as never;
 * const cols = new Map<string, Float64Array>();
 * regime.compute(s, { from: 0 }, (name) => {
 *   const a = new Float64Array(n).fill(NaN);
 *   cols.set(name, a);
 *   return a;
 * });
 * // 20 returns t = 5..24 alternate, 10 of them up (odd t)
 * assert.equal(cols.get("x_trend_consistency_20")![24], 0.5);
 * // efficiency: |close(24) − close(4)| = 0 over a path of 20 · 100
 * assert.equal(cols.get("x_trend_efficiency_20")![24], 0);
 * assert.ok(Number.isNaN(cols.get("x_jump_z")![24])); // σ₋ needs 60 bars
 * ```
 * @module
 */
import type { FeatureFamily, FeatureSpec } from "./_types.ts";
import {
  ema,
  logReturn,
  rollingCovCorr,
  rollingMean,
  rollingStd,
  rollingSum,
  rollingZ,
} from "./_kernels.ts";

/** Bars of the trailing σ that jumps are measured against (excluding the current bar). */
const JUMP_SIGMA_W = 60;
/** Cap of `x_bars_since_jump`. */
const SINCE_CAP = 240;
/** Rows of the trailing window the volatility terciles, percentile and z are taken in. */
const REGIME_W = 1440;
/** Longest look-back of any column (rows): intermediates start this far before `from`. */
const LOOKBACK = 60 + REGIME_W;

/** Column names in output order, with warm-up, params and doc. */
const COLUMNS: readonly [string, number, FeatureSpec["params"], string][] = [
  ["x_jump_z", 61, { window: 60 }, "1-bar log return / std of the 60 previous returns"],
  ["x_jump_2p5", 61, { window: 60, k: 2.5 }, "1 when |x_jump_z| > 2.5"],
  ["x_jump_3", 61, { window: 60, k: 3 }, "1 when |x_jump_z| > 3"],
  ["x_jump_count_20", 80, { window: 20, k: 2.5 }, "2.5σ jumps over the last 20 bars"],
  ["x_jump_count_60", 120, { window: 60, k: 2.5 }, "2.5σ jumps over the last 60 bars"],
  [
    "x_bars_since_jump",
    61 + SINCE_CAP,
    { cap: SINCE_CAP, k: 2.5 },
    "bars since the last 2.5σ jump, capped at 240",
  ],
  ["x_rvol_20", 20, { window: 20 }, "std of 1-bar log returns over 20 bars"],
  ["x_rvol_60", 60, { window: 60 }, "std of 1-bar log returns over 60 bars"],
  [
    "x_vol_regime_20",
    20 + REGIME_W - 1,
    { window: 20, rank: REGIME_W },
    "tercile 0/1/2 of rvol_20 in the last 1440 rows",
  ],
  [
    "x_vol_regime_60",
    60 + REGIME_W - 1,
    { window: 60, rank: REGIME_W },
    "tercile 0/1/2 of rvol_60 in the last 1440 rows",
  ],
  [
    "x_vol_pctile_20",
    20 + REGIME_W - 1,
    { window: 20, rank: REGIME_W },
    "mid-rank percentile of rvol_20 in the last 1440 rows",
  ],
  [
    "x_vol_z_20",
    20 + REGIME_W - 1,
    { window: 20, rank: REGIME_W },
    "z-score of rvol_20 over the last 1440 rows",
  ],
  ["x_ewma_vol_30", 30, { span: 30 }, "sqrt of the EMA (span 30) of squared 1-bar log returns"],
  ["x_vol_ratio_20_60", 60, { short: 20, long: 60 }, "rvol_20 / rvol_60"],
  ["x_vol_expansion", 60, { short: 20, long: 60, above: 1.25 }, "1 when rvol_20 / rvol_60 > 1.25"],
  ["x_vol_compression", 60, { short: 20, long: 60, below: 0.8 }, "1 when rvol_20 / rvol_60 < 0.8"],
  ["x_range_vol_20", 19, { window: 20 }, "Parkinson high/low volatility over 20 bars"],
  ["x_trend_r2_20", 19, { window: 20 }, "R² of a line fitted to close over 20 bars"],
  ["x_trend_r2_60", 59, { window: 60 }, "R² of a line fitted to close over 60 bars"],
  ["x_trend_sign_20", 19, { window: 20 }, "sign of the fitted slope over 20 bars"],
  ["x_trend_sign_60", 59, { window: 60 }, "sign of the fitted slope over 60 bars"],
  [
    "x_trend_regime_20",
    19,
    { window: 20, r2: 0.5 },
    "slope sign when R² ≥ 0.5 over 20 bars, else 0",
  ],
  [
    "x_trend_regime_60",
    59,
    { window: 60, r2: 0.5 },
    "slope sign when R² ≥ 0.5 over 60 bars, else 0",
  ],
  ["x_trend_consistency_20", 20, { window: 20 }, "share of up bars over 20 bars"],
  ["x_trend_consistency_60", 60, { window: 60 }, "share of up bars over 60 bars"],
  ["x_trend_efficiency_20", 20, { window: 20 }, "|net change| / path length over 20 bars"],
];

/**
 * Trailing mid-rank percentile and tercile of x(t) among x(t−w+1..t) (the current value
 * included): q = (#below + (#equal − 1)/2) / (w − 1) ∈ [0, 1], tercile = 0 when q < 1/3, 1 when
 * q < 2/3, else 2 (decided in integers, no rounding at the edges). NaN while fewer than w rows,
 * when the window holds a NaN, or when it is flat (every value equal: no terciles). O(log n) per row:
 * the values are ranked once (radix sort), then a Fenwick tree counts the window's ranks (the
 * ranking of later values is only a data structure: counts are taken over the window's rows
 * alone, so the result at t depends on rows <= t only). Candidate for `_kernels.ts`.
 *
 * @param x Input series.
 * @param w Window (rows, >= 2).
 * @param from First row to compute.
 * @returns `pct` (q) and `tercile` (0/1/2), NaN where undefined.
 */
export function rollingRank(
  x: Float64Array,
  w: number,
  from = 0,
): { pct: Float64Array; tercile: Float64Array } {
  if (!Number.isInteger(w) || w < 2) {
    throw new RangeError(`Expected window to be an integer >= 2 but found ${w}`);
  }
  const n = x.length;
  const pct = new Float64Array(n).fill(NaN), tercile = new Float64Array(n).fill(NaN);
  const start = Math.max(from, w - 1);
  if (start >= n) return { pct, tercile };
  const lo = start - w + 1, m = n - lo;
  const { rank, u } = denseRanks(x.subarray(lo));
  // Fenwick tree of counts by rank (for "#below") and plain counts per rank (for "#equal")
  const bit = new Int32Array(u + 1), count = new Int32Array(u + 1);
  let nan = 0;
  const d = 2 * (w - 1);
  for (let i = 0; i < m; i++) {
    const ri = rank[i];
    if (ri) {
      count[ri]++;
      for (let k = ri; k <= u; k += k & -k) bit[k]++;
    } else nan++;
    if (i >= w) {
      const ro = rank[i - w];
      if (ro) {
        count[ro]--;
        for (let k = ro; k <= u; k += k & -k) bit[k]--;
      } else nan--;
    }
    if (i < w - 1 || nan > 0) continue; // warm-up of the first window, or a NaN inside
    let less = 0;
    for (let k = ri - 1; k > 0; k -= k & -k) less += bit[k];
    const eq = count[ri];
    if (eq === w) continue; // flat window
    const a = 2 * less + eq - 1; // 2 · mid-rank, an integer
    const t = lo + i;
    pct[t] = a / d;
    tercile[t] = 3 * a < d ? 0 : 3 * a < 2 * d ? 1 : 2;
  }
  return { pct, tercile };
}

/**
 * Dense ranks 1..u of the values (equal values share a rank, NaN gets 0), by an LSD radix sort of
 * the IEEE-754 bit patterns made order-preserving (flip the sign bit of positives, every bit of
 * negatives; −0 and +0 end up adjacent and share a rank): O(n), about 5× faster than a comparison
 * sort plus a binary search per value.
 */
function denseRanks(x: Float64Array): { rank: Int32Array; u: number } {
  const m = x.length;
  const bits = new Uint32Array(m * 2); // [low word, high word] per value (little-endian)
  bits.set(new Uint32Array(x.buffer, x.byteOffset, m * 2));
  let idx = new Uint32Array(m), tmp = new Uint32Array(m);
  let k = 0;
  for (let i = 0; i < m; i++) {
    if (x[i] !== x[i]) continue;
    const hi = bits[2 * i + 1];
    if (hi & 0x80000000) {
      bits[2 * i + 1] = ~hi >>> 0;
      bits[2 * i] = ~bits[2 * i] >>> 0;
    } else bits[2 * i + 1] = (hi | 0x80000000) >>> 0;
    idx[k++] = i;
  }
  const count = new Int32Array(65536);
  for (let pass = 0; pass < 4; pass++) {
    const word = pass >> 1, shift = (pass & 1) * 16;
    count.fill(0);
    for (let j = 0; j < k; j++) count[(bits[2 * idx[j] + word] >>> shift) & 0xffff]++;
    let used = 0;
    for (let b = 0; b < 65536 && used < 2; b++) if (count[b]) used++;
    if (used < 2) continue; // this digit is the same for every value
    let sum = 0;
    for (let b = 0; b < 65536; b++) {
      const c = count[b];
      count[b] = sum;
      sum += c;
    }
    for (let j = 0; j < k; j++) {
      const i = idx[j];
      tmp[count[(bits[2 * i + word] >>> shift) & 0xffff]++] = i;
    }
    [idx, tmp] = [tmp, idx];
  }
  const rank = new Int32Array(m);
  let u = 0, prev = NaN;
  for (let j = 0; j < k; j++) {
    const v = x[idx[j]];
    if (j === 0 || v !== prev) {
      u++;
      prev = v;
    }
    rank[idx[j]] = u;
  }
  return { rank, u };
}

/** The event / regime family: 26 `x_` columns (SPEC §5). */
export const regime: FeatureFamily = {
  name: "regime",
  specs: (): FeatureSpec[] =>
    COLUMNS.map(([name, warmup, params, doc]) => ({
      name,
      family: "regime",
      domain: "x",
      scope: "primary",
      params: { source: "close", ...params },
      warmup,
      doc,
    })),
  compute(series, ctx, out) {
    const { n, close, high, low } = series;
    const from = ctx.from, f0 = Math.max(0, from - LOOKBACK);
    const col = Object.fromEntries(COLUMNS.map(([name]) => [name, out(name)]));

    // jumps against the std of the 60 previous returns
    const r = logReturn(close, 1, f0);
    const sd60 = rollingStd(r, JUMP_SIGMA_W, f0);
    const jz = col.x_jump_z, j25 = col.x_jump_2p5, j3 = col.x_jump_3;
    // flags are needed SINCE_CAP + 59 rows before `from` (counts, bars since): a scratch copy
    const flag = new Float64Array(n).fill(NaN);
    for (let t = Math.max(f0, 1); t < n; t++) {
      const s = sd60[t - 1];
      const z = s > 0 ? r[t] / s : NaN;
      if (z !== z) continue;
      const a = Math.abs(z);
      flag[t] = a > 2.5 ? 1 : 0;
      if (t >= from) {
        jz[t] = z;
        j25[t] = flag[t];
        j3[t] = a > 3 ? 1 : 0;
      }
    }
    const c20 = rollingSum(flag, 20, from), c60 = rollingSum(flag, 60, from);
    const since = col.x_bars_since_jump;
    let last = -Infinity;
    for (let t = Math.max(f0, from - SINCE_CAP); t < n; t++) {
      if (flag[t] === 1) last = t;
      if (t >= from && t >= 61 + SINCE_CAP) since[t] = Math.min(t - last, SINCE_CAP);
    }

    // volatility
    const v20 = rollingStd(r, 20, f0), v60 = rollingStd(r, 60, f0);
    const rk20 = rollingRank(v20, REGIME_W, from), rk60 = rollingRank(v60, REGIME_W, from);
    const vz = rollingZ(v20, REGIME_W, from);
    const r2 = new Float64Array(n).fill(NaN);
    for (let t = Math.max(f0, 1); t < n; t++) r2[t] = r[t] * r[t];
    const ew = ema(r2, 30, f0);
    const hl = new Float64Array(n).fill(NaN);
    for (let t = f0; t < n; t++) {
      const q = Math.log(high[t] / low[t]);
      hl[t] = q * q;
    }
    const pk = rollingMean(hl, 20, from);
    const k4 = 1 / (4 * Math.LN2);
    const rowNo = new Float64Array(n);
    for (let t = 0; t < n; t++) rowNo[t] = t;
    const fit20 = rollingCovCorr(rowNo, close, 20, from),
      fit60 = rollingCovCorr(rowNo, close, 60, from);
    const up = new Float64Array(n).fill(NaN);
    for (let t = Math.max(f0, 1); t < n; t++) up[t] = r[t] !== r[t] ? NaN : r[t] > 0 ? 1 : 0;
    const cons20 = rollingMean(up, 20, from), cons60 = rollingMean(up, 60, from);
    const absd = new Float64Array(n).fill(NaN);
    for (let t = Math.max(f0, 1); t < n; t++) absd[t] = Math.abs(close[t] - close[t - 1]);
    const path = rollingSum(absd, 20, from);

    const trend = (fit: { cov: Float64Array; corr: Float64Array }, w: number) => {
      const cr2 = col[`x_trend_r2_${w}`], sg = col[`x_trend_sign_${w}`];
      const rg = col[`x_trend_regime_${w}`];
      for (let t = from; t < n; t++) {
        const cv = fit.cov[t];
        if (cv !== cv) continue;
        const rr = fit.corr[t] * fit.corr[t]; // NaN on a flat window
        const s = cv > 0 ? 1 : cv < 0 ? -1 : 0;
        cr2[t] = rr;
        sg[t] = s;
        rg[t] = rr >= 0.5 ? s : 0;
      }
    };
    trend(fit20, 20);
    trend(fit60, 60);

    const copy = (name: string, src: Float64Array) => col[name].set(src.subarray(from), from);
    copy("x_jump_count_20", c20);
    copy("x_jump_count_60", c60);
    copy("x_rvol_20", v20);
    copy("x_rvol_60", v60);
    copy("x_vol_regime_20", rk20.tercile);
    copy("x_vol_regime_60", rk60.tercile);
    copy("x_vol_pctile_20", rk20.pct);
    copy("x_vol_z_20", vz);
    copy("x_trend_consistency_20", cons20);
    copy("x_trend_consistency_60", cons60);
    const ewv = col.x_ewma_vol_30, ratio = col.x_vol_ratio_20_60, rangeVol = col.x_range_vol_20;
    const expansion = col.x_vol_expansion, compression = col.x_vol_compression;
    const efficiency = col.x_trend_efficiency_20;
    for (let t = from; t < n; t++) {
      ewv[t] = Math.sqrt(ew[t]);
      const q = v60[t] !== 0 ? v20[t] / v60[t] : NaN;
      ratio[t] = q;
      expansion[t] = q !== q ? NaN : q > 1.25 ? 1 : 0;
      compression[t] = q !== q ? NaN : q < 0.8 ? 1 : 0;
      rangeVol[t] = Math.sqrt(pk[t] * k4);
      const p = path[t];
      efficiency[t] = t >= 20 && p !== 0 ? Math.abs(close[t] - close[t - 20]) / p : NaN;
    }
  },
};
