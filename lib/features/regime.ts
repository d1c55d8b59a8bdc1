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
  emaInto,
  rollingCovCorrInto,
  rollingMeanInto,
  rollingMomentsInto,
  rollingRankInto,
  rollingStdInto,
  rollingSumInto,
} from "./_kernels.ts";

/** The trailing rank kernel lives in `_kernels.ts` (shared with the volume regime). */
export { rollingRank } from "./_kernels.ts";

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
    const n = series.n, from = Math.max(0, ctx.from);
    // every column reads at most LOOKBACK rows back: work on views from `base` (the live path's
    // newest row costs ~1500 rows whatever the tail; batch: the whole series). Windowed kernels
    // are shift-invariant; the EMA of r² starts at `base` (its seed weighs (29/31)^1500 ≈ 1e-44).
    const base = Math.min(Math.max(0, from - LOOKBACK), n), m = n - base, f = from - base;
    const close = series.close.subarray(base), high = series.high.subarray(base);
    const low = series.low.subarray(base);
    const col: Record<string, Float64Array> = Object.fromEntries(
      COLUMNS.map(([name]) => [name, out(name).subarray(base)]),
    );
    const scratch = () => new Float64Array(m);

    // 1-bar log returns (row 0 of the series has none), their squares, up bars, |Δclose|
    const r = scratch(), r2 = scratch(), up = scratch(), absd = scratch();
    for (let t = 0; t < m; t++) {
      const prev = base + t > 0 ? series.close[base + t - 1] : NaN;
      const rt = Math.log(close[t] / prev);
      r[t] = rt;
      r2[t] = rt * rt;
      up[t] = rt !== rt ? NaN : rt > 0 ? 1 : 0;
      absd[t] = Math.abs(close[t] - prev);
    }

    // jumps against the std of the 60 previous returns (= rvol_60 one row back)
    const v20 = col.x_rvol_20, v60 = col.x_rvol_60;
    rollingStdInto(r, JUMP_SIGMA_W, 0, v60);
    const jz = col.x_jump_z, j25 = col.x_jump_2p5, j3 = col.x_jump_3;
    // flags are needed SINCE_CAP + 59 rows before `from` (counts, bars since): a scratch copy
    const flag = scratch().fill(NaN);
    for (let t = Math.max(1, f - SINCE_CAP); t < m; t++) {
      const sd = v60[t - 1];
      const z = sd > 0 ? r[t] / sd : NaN;
      if (z !== z) continue;
      const a = Math.abs(z);
      flag[t] = a > 2.5 ? 1 : 0;
      if (t >= f) {
        jz[t] = z;
        j25[t] = flag[t];
        j3[t] = a > 3 ? 1 : 0;
      }
    }
    rollingSumInto(flag, 20, f, col.x_jump_count_20);
    rollingSumInto(flag, 60, f, col.x_jump_count_60);
    const since = col.x_bars_since_jump;
    let last = -Infinity;
    for (let t = Math.max(0, f - SINCE_CAP); t < m; t++) {
      if (flag[t] === 1) last = t;
      if (t >= f && base + t >= 61 + SINCE_CAP) since[t] = Math.min(t - last, SINCE_CAP);
    }

    // volatility: rvol_60 above (rows before `f` feed the ranks and are blanked below)
    rollingStdInto(r, 20, 0, v20);
    rollingRankInto(v20, REGIME_W, f, col.x_vol_pctile_20, col.x_vol_regime_20);
    rollingRankInto(v60, REGIME_W, f, null, col.x_vol_regime_60);
    rollingMomentsInto(v20, REGIME_W, f, { z: col.x_vol_z_20 });
    const ew = scratch();
    emaInto(r2, 30, f, ew);
    const hl = scratch();
    for (let t = Math.max(0, f - 19); t < m; t++) {
      const q = Math.log(high[t] / low[t]);
      hl[t] = q * q;
    }
    const pk = scratch();
    rollingMeanInto(hl, 20, f, pk);
    const k4 = 1 / (4 * Math.LN2);

    // trend: a line of close on the row number (row numbers relative to `base`: covariances and
    // correlations do not see the shift)
    const rowNo = scratch();
    for (let t = 0; t < m; t++) rowNo[t] = t;
    const cov = scratch(), corr = scratch();
    for (const w of [20, 60]) {
      rollingCovCorrInto(rowNo, close, w, f, cov, corr);
      const cr2 = col[`x_trend_r2_${w}`], sg = col[`x_trend_sign_${w}`];
      const rg = col[`x_trend_regime_${w}`];
      for (let t = f; t < m; t++) {
        const cv = cov[t];
        if (cv !== cv) continue;
        const rr = corr[t] * corr[t]; // NaN on a flat window
        const s = cv > 0 ? 1 : cv < 0 ? -1 : 0;
        cr2[t] = rr;
        sg[t] = s;
        rg[t] = rr >= 0.5 ? s : 0;
      }
    }
    rollingMeanInto(up, 20, f, col.x_trend_consistency_20);
    rollingMeanInto(up, 60, f, col.x_trend_consistency_60);
    const path = scratch();
    rollingSumInto(absd, 20, f, path);

    const ewv = col.x_ewma_vol_30, ratio = col.x_vol_ratio_20_60, rangeVol = col.x_range_vol_20;
    const expansion = col.x_vol_expansion, compression = col.x_vol_compression;
    const efficiency = col.x_trend_efficiency_20;
    for (let t = f; t < m; t++) {
      ewv[t] = Math.sqrt(ew[t]);
      const q = v60[t] !== 0 ? v20[t] / v60[t] : NaN;
      ratio[t] = q;
      expansion[t] = q !== q ? NaN : q > 1.25 ? 1 : 0;
      compression[t] = q !== q ? NaN : q < 0.8 ? 1 : 0;
      rangeVol[t] = Math.sqrt(pk[t] * k4);
      const p = path[t];
      efficiency[t] = base + t >= 20 && p !== 0 ? Math.abs(close[t] - close[t - 20]) / p : NaN;
    }
    v20.fill(NaN, 0, f);
    v60.fill(NaN, 0, f);
  },
};
