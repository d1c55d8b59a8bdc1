/**
 * Volume family (SPEC §5 "volume / spread", 27 `idx_vol_*` + 8 `bqx_vol_*` columns, scope
 * primary): the tick volume itself (level, averages, spikes, trend, regime), volume-weighted price
 * (VWAP) and signed volume (OBV-like flow), and how volume moves with the rate index and with
 * BQX. Why: moves on rising participation tend to persist, moves on thin volume tend to fade; a
 * volume spike marks news.
 *
 * **No spread features**: the M1 data (SPEC §2) carries bid OHLC and a tick count, no ask or spread
 * column, so SPEC's "spread features only where the data has a spread" yields none (the family is
 * named `volume`). **Zero volume**: volume may be 0 (filled bars) and in the shared real data it is
 * 0 everywhere; every column is then 0 or NaN, never ±∞ — ratios and normalizations with a zero
 * denominator are NaN (0/0 → NaN), a z-score of a flat window is NaN, a flat 1440-row window has no
 * terciles (NaN), slopes and OBV sums of zeros are 0. On the shared real data (372,606 EURUSD
 * bars of 2018) 19 columns are therefore all NaN and 16 constant 0: the feature-quality report
 * flags them and a selector should drop them; they carry information only where ticks are counted.
 *
 * Volume-only columns (19, idx side: they describe the pair's own bars), v = `series.volume`:
 * - `idx_vol_level` = v; `idx_vol_sma_20`, `idx_vol_std_20` (n − 1), `idx_vol_z_20`;
 *   `idx_vol_ratio_20` = v / sma_20; `idx_vol_sma_60`; `idx_vol_ratio_20_60` = sma_20 / sma_60;
 * - spikes: `idx_vol_spike_20` = 1 when z_20 > 2 else 0 (NaN where z is);
 *   `idx_vol_spike_count_60` = spikes over the last 60 rows;
 * - trend: `idx_vol_slope_20` / `_60` = least-squares slope of v on the row number (ticks per bar),
 *   O(1) per row as cov(row, v)/var(row);
 * - regime: `idx_vol_regime_1440` = tercile 0/1/2 of v within the trailing 1440 rows, current row
 *   included, by mid-rank percentile (ties share their middle rank; see `rollingRank` in
 *   `_kernels.ts`, the same rule as the volatility regime);
 * - VWAP approximation: `idx_vol_vwap_{20,60}` = Σ typical·v / Σ v over w rows, typical =
 *   (high + low + close)/3 (indexed OHLC); `idx_vol_vwap_dist_{20,60}` = close − vwap in index
 *   points (the index is 100-based, so ≈ percent);
 * - on-balance volume: `idx_vol_obv_{20,60}` = Σ sign(r)·v over w rows (r = 1-bar log return),
 *   `idx_vol_flow_20` = obv_20 / Σ v ∈ [−1, 1]. Choice: OBV over a trailing window, not the
 *   cumulative sum since the first bar — a cumulative depends on where the history starts, so the
 *   live path's tail could not reproduce it, and it is not stationary.
 *
 * Volume against a source (8 per domain, ONE builder; the variants only set the arrays): level L
 * and change D = idx: close and its 1-bar log return; bqx: `w15_bqx_return` and its 1-bar
 * difference (NaN for the first 15 rows, hence 15 more rows of warm-up):
 * - `{p}_vol_corr_{20,60}` = corr(v, L); `{p}_vol_chg_corr_{20,60}` = corr(v, D) (NaN when either
 *   side is flat — always with zero volume);
 * - `{p}_vol_surge_mean_60` / `{p}_vol_drop_mean_60` = mean v over the rows of the last 60 where
 *   z_60(L) > 1 / < −1 (z over 60 rows of L; NaN when no such row, or while a z is undefined);
 * - `{p}_vol_confirm_20` / `{p}_vol_diverge_20` = 1 when the 20-row slopes of L and of v have the
 *   same / opposite strict sign, else 0 (both 0 when either slope is 0).
 *
 * @example
 * ```ts
 * import { volume } from "./volume.ts";
 * import assert from "node:assert/strict";
 * // 20 bars, flat price 100, volume 1, 2, …, 20: sma_20 = 10.5, slope 1 tick per bar, VWAP = 100
 * const n = 20, flat = new Float64Array(n).fill(100), vol = new Float64Array(n);
 * for (let t = 0; t < n; t++) vol[t] = t + 1;
 * const s = { n, open: flat, high: flat, low: flat, close: flat, volume: vol,
 *   bqx: new Float64Array(n).fill(NaN) } as never;
 * const cols = new Map<string, Float64Array>();
 * volume.compute(s, { from: 0 }, (name) => {
 *   const a = new Float64Array(n).fill(NaN);
 *   cols.set(name, a);
 *   return a;
 * });
 * assert.equal(cols.get("idx_vol_sma_20")![19], 10.5);
 * assert.ok(Math.abs(cols.get("idx_vol_slope_20")![19] - 1) < 1e-12);
 * assert.equal(cols.get("idx_vol_vwap_dist_20")![19], 0);
 * assert.ok(Number.isNaN(cols.get("idx_vol_corr_20")![19])); // flat price: no correlation
 * ```
 * @module
 */
import type { Domain, FeatureFamily, FeatureSpec, PairSeries } from "./_types.ts";
import {
  rollingCovCorrInto,
  rollingMomentsInto,
  rollingRankInto,
  rollingSumInto,
  rollingZInto,
} from "./_kernels.ts";

/** Trailing window of the volume regime (rows). */
const REGIME_W = 1440;
/** One domain of the volume-vs-source columns: its arrays and its own warm-up. */
interface Variant {
  domain: Domain;
  source: string;
  lead: number;
  level: (s: PairSeries) => Float64Array;
  /** The 1-bar change of the level: log return (`true`) or difference. */
  logChange: boolean;
}

const VARIANTS: readonly Variant[] = [
  { domain: "idx", source: "close", lead: 0, level: (s) => s.close, logChange: true },
  {
    domain: "bqx",
    source: "w15_bqx_return",
    lead: 15, // w15_bqx_return is NaN for t < 15 (SPEC §3)
    level: (s) => s.bqx,
    logChange: false,
  },
];

type Col = [name: string, warmup: number, params: FeatureSpec["params"], doc: string];

/** The 19 volume-only columns (idx side). */
const OWN: readonly Col[] = [
  ["idx_vol_level", 0, {}, "tick volume"],
  ["idx_vol_sma_20", 19, { window: 20 }, "mean volume over 20 rows"],
  ["idx_vol_std_20", 19, { window: 20 }, "std of volume over 20 rows"],
  ["idx_vol_z_20", 19, { window: 20 }, "z-score of volume over 20 rows"],
  ["idx_vol_ratio_20", 19, { window: 20 }, "volume / its 20-row mean"],
  ["idx_vol_spike_20", 19, { window: 20, z: 2 }, "1 when the 20-row volume z > 2"],
  [
    "idx_vol_spike_count_60",
    78,
    { window: 20, count: 60, z: 2 },
    "volume spikes over the last 60 rows",
  ],
  ["idx_vol_sma_60", 59, { window: 60 }, "mean volume over 60 rows"],
  ["idx_vol_ratio_20_60", 59, { short: 20, long: 60 }, "20-row / 60-row mean volume"],
  ["idx_vol_slope_20", 19, { window: 20 }, "least-squares slope of volume over 20 rows"],
  ["idx_vol_slope_60", 59, { window: 60 }, "least-squares slope of volume over 60 rows"],
  [
    "idx_vol_regime_1440",
    REGIME_W - 1,
    { rank: REGIME_W },
    "volume tercile 0/1/2 in the last 1440 rows",
  ],
  ["idx_vol_vwap_20", 19, { window: 20 }, "Σ typical·volume / Σ volume over 20 rows"],
  ["idx_vol_vwap_60", 59, { window: 60 }, "Σ typical·volume / Σ volume over 60 rows"],
  ["idx_vol_vwap_dist_20", 19, { window: 20 }, "close − vwap_20 (index points)"],
  ["idx_vol_vwap_dist_60", 59, { window: 60 }, "close − vwap_60 (index points)"],
  ["idx_vol_obv_20", 20, { window: 20 }, "Σ sign(return)·volume over 20 rows"],
  ["idx_vol_obv_60", 60, { window: 60 }, "Σ sign(return)·volume over 60 rows"],
  ["idx_vol_flow_20", 20, { window: 20 }, "obv_20 / Σ volume over 20 rows"],
];

/** The 8 volume-vs-source columns of one domain. */
function sourceCols(v: Variant): Col[] {
  const p = v.domain, l = v.lead, src = { source: v.source };
  return [
    [`${p}_vol_corr_20`, l + 19, { ...src, window: 20 }, `corr(volume, ${v.source}) over 20 rows`],
    [`${p}_vol_corr_60`, l + 59, { ...src, window: 60 }, `corr(volume, ${v.source}) over 60 rows`],
    [
      `${p}_vol_chg_corr_20`,
      l + 20,
      { ...src, window: 20 },
      `corr(volume, 1-bar change of ${v.source}) over 20 rows`,
    ],
    [
      `${p}_vol_chg_corr_60`,
      l + 60,
      { ...src, window: 60 },
      `corr(volume, 1-bar change of ${v.source}) over 60 rows`,
    ],
    [
      `${p}_vol_surge_mean_60`,
      l + 118,
      { ...src, window: 60, z: 1 },
      `mean volume over the last 60 rows where z_60(${v.source}) > 1`,
    ],
    [
      `${p}_vol_drop_mean_60`,
      l + 118,
      { ...src, window: 60, z: -1 },
      `mean volume over the last 60 rows where z_60(${v.source}) < −1`,
    ],
    [
      `${p}_vol_confirm_20`,
      l + 19,
      { ...src, window: 20 },
      `1 when the 20-row slopes of ${v.source} and volume share a sign`,
    ],
    [
      `${p}_vol_diverge_20`,
      l + 19,
      { ...src, window: 20 },
      `1 when the 20-row slopes of ${v.source} and volume have opposite signs`,
    ],
  ];
}

const COLUMNS: readonly Col[] = [...OWN, ...VARIANTS.flatMap(sourceCols)];

/**
 * Inputs of one compute() call, as views from row `base` on: every column reads at most
 * {@linkcode REGIME_W} rows back, so with `base` = from − 1440 the live path (from = n − 1) works on
 * 1441 rows whatever the tail, and batch (from = 0) on the whole series. Windowed kernels are
 * shift-invariant (row numbers enter only through covariances), so a view gives the batch values.
 */
interface Frame {
  /** Rows of the views. */
  m: number;
  /** First row to fill, relative to the views. */
  f: number;
  v: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  /** Row numbers 0..m−1 (the x of the least-squares slopes). */
  rows: Float64Array;
  /** cov(row, volume) over 20 rows: the volume slope, shared by the confirmation flags. */
  cov20: Float64Array;
  /** Reusable scratch columns of length m. */
  scratch: (k: number) => Float64Array;
}

/** The volume-only columns. */
function computeOwn(fr: Frame, col: (name: string) => Float64Array): void {
  const { m, f, v, high, low, close, rows, cov20, scratch } = fr;
  const c = Object.fromEntries(OWN.map(([name]) => [name, col(name)]));
  const sma20 = c.idx_vol_sma_20, sd20 = c.idx_vol_std_20, z20 = c.idx_vol_z_20;
  const spike = c.idx_vol_spike_20, spikes = c.idx_vol_spike_count_60;
  // z_20 and spikes are needed 59 rows before `f` (the 60-row spike count): computed there in
  // the output columns, whose rows before `f` are blanked again below
  const zf = Math.max(0, f - 59);
  const v20 = scratch(0), v60 = scratch(1);
  rollingMomentsInto(v, 20, zf, { sum: v20, mean: sma20, std: sd20, z: z20 });
  for (let t = zf; t < m; t++) spike[t] = z20[t] !== z20[t] ? NaN : z20[t] > 2 ? 1 : 0;
  rollingSumInto(spike, 60, f, spikes);
  for (const a of [sma20, sd20, z20, spike]) a.fill(NaN, zf, f);
  const sma60 = c.idx_vol_sma_60;
  rollingMomentsInto(v, 60, f, { sum: v60, mean: sma60 });
  const slope20 = c.idx_vol_slope_20, slope60 = c.idx_vol_slope_60;
  rollingCovCorrInto(rows, v, 60, f, slope60, null);
  rollingRankInto(v, REGIME_W, f, null, c.idx_vol_regime_1440);
  // typical·volume and signed volume from 59 rows before `f` (row 0 of a view with base > 0 is
  // never read: f = 1440 there)
  const tv = scratch(2), sv = scratch(3);
  for (let t = zf; t < m; t++) {
    tv[t] = ((high[t] + low[t] + close[t]) / 3) * v[t];
    const r = t > 0 ? Math.log(close[t] / close[t - 1]) : NaN;
    sv[t] = r !== r ? NaN : r > 0 ? v[t] : r < 0 ? -v[t] : 0;
  }
  const tv20 = scratch(4), tv60 = scratch(5);
  rollingSumInto(tv, 20, f, tv20);
  rollingSumInto(tv, 60, f, tv60);
  const obv20 = c.idx_vol_obv_20;
  rollingSumInto(sv, 20, f, obv20);
  rollingSumInto(sv, 60, f, c.idx_vol_obv_60);
  c.idx_vol_level.set(v.subarray(f), f);
  const k20 = 12 / (20 * 21), k60 = 12 / (60 * 61); // 1 / var(0..w−1), n − 1 form
  const ratio20 = c.idx_vol_ratio_20, ratio2060 = c.idx_vol_ratio_20_60;
  const vw20 = c.idx_vol_vwap_20, vw60 = c.idx_vol_vwap_60;
  const dist20 = c.idx_vol_vwap_dist_20, dist60 = c.idx_vol_vwap_dist_60, flow = c.idx_vol_flow_20;
  for (let t = f; t < m; t++) {
    const m20 = sma20[t], m60 = sma60[t];
    ratio20[t] = m20 !== 0 ? v[t] / m20 : NaN;
    ratio2060[t] = m60 !== 0 ? m20 / m60 : NaN;
    slope20[t] = cov20[t] * k20;
    slope60[t] *= k60;
    const s20 = v20[t], s60 = v60[t];
    const w20 = s20 !== 0 ? tv20[t] / s20 : NaN, w60 = s60 !== 0 ? tv60[t] / s60 : NaN;
    vw20[t] = w20;
    vw60[t] = w60;
    dist20[t] = close[t] - w20;
    dist60[t] = close[t] - w60;
    const fl = s20 !== 0 ? obv20[t] / s20 : NaN; // |Σ sign·v| <= Σ v: the clamp only catches rounding
    flow[t] = fl > 1 ? 1 : fl < -1 ? -1 : fl;
  }
}

/** The 8 volume-vs-source columns of one variant (`level` viewed like the frame's arrays). */
function computeSource(
  variant: Variant,
  fr: Frame,
  level: Float64Array,
  col: (name: string) => Float64Array,
): void {
  const { m, f, v, rows, cov20, scratch } = fr;
  const [corr20, corr60, chg20, chg60, surge, drop, confirm, diverge] = sourceCols(variant).map((
    [name],
  ) => col(name));
  // the 1-bar change, from 60 rows before `f` (the 60-row correlation)
  const change = scratch(0);
  for (let t = Math.max(0, f - 60); t < m; t++) {
    change[t] = t === 0
      ? NaN
      : variant.logChange
      ? Math.log(level[t] / level[t - 1])
      : level[t] - level[t - 1];
  }
  rollingCovCorrInto(v, level, 20, f, null, corr20);
  rollingCovCorrInto(v, level, 60, f, null, corr60);
  rollingCovCorrInto(v, change, 20, f, null, chg20);
  rollingCovCorrInto(v, change, 60, f, null, chg60);
  // surges / drops: masked volume and counts, summed over 60 rows (exact counts)
  const zf = Math.max(0, f - 59), z = scratch(1);
  rollingZInto(level, 60, zf, z);
  const upV = scratch(2), upN = scratch(3), dnV = scratch(4), dnN = scratch(5);
  for (let t = zf; t < m; t++) {
    const zt = z[t];
    if (zt !== zt) {
      upV[t] =
        upN[t] =
        dnV[t] =
        dnN[t] =
          NaN;
      continue;
    }
    const u = zt > 1 ? 1 : 0, d = zt < -1 ? 1 : 0;
    upN[t] = u;
    upV[t] = u ? v[t] : 0;
    dnN[t] = d;
    dnV[t] = d ? v[t] : 0;
  }
  const su = scratch(6), nu = scratch(7), sd = scratch(8), nd = scratch(9), sl = scratch(10);
  rollingSumInto(upV, 60, f, su);
  rollingSumInto(upN, 60, f, nu);
  rollingSumInto(dnV, 60, f, sd);
  rollingSumInto(dnN, 60, f, nd);
  rollingCovCorrInto(rows, level, 20, f, sl, null);
  for (let t = f; t < m; t++) {
    surge[t] = nu[t] > 0 ? su[t] / nu[t] : NaN;
    drop[t] = nd[t] > 0 ? sd[t] / nd[t] : NaN;
    const a = sl[t], b = cov20[t];
    if (a !== a || b !== b) continue;
    const prod = Math.sign(a) * Math.sign(b);
    confirm[t] = prod > 0 ? 1 : 0;
    diverge[t] = prod < 0 ? 1 : 0;
  }
}

/** The volume family: 27 idx + 8 bqx columns (SPEC §5 "volume / spread", no spread columns). */
export const volume: FeatureFamily = {
  name: "volume",
  specs: (): FeatureSpec[] =>
    COLUMNS.map(([name, warmup, params, doc]) => ({
      name,
      family: "volume",
      domain: name.startsWith("bqx_") ? "bqx" : "idx",
      scope: "primary",
      params: { source: "volume", ...params },
      warmup,
      doc,
    })),
  compute(series, ctx, out) {
    const n = series.n, from = Math.max(0, ctx.from);
    const base = Math.min(Math.max(0, from - REGIME_W), n), m = n - base;
    const view = (a: Float64Array) => a.subarray(base);
    const col = (name: string) => out(name).subarray(base);
    const rows = new Float64Array(m);
    for (let t = 0; t < m; t++) rows[t] = t;
    const pool: Float64Array[] = [];
    const fr: Frame = {
      m,
      f: from - base,
      v: view(series.volume),
      high: view(series.high),
      low: view(series.low),
      close: view(series.close),
      rows,
      cov20: new Float64Array(m),
      scratch: (k) => (pool[k] ??= new Float64Array(m)),
    };
    rollingCovCorrInto(rows, fr.v, 20, fr.f, fr.cov20, null);
    computeOwn(fr, col);
    for (const v of VARIANTS) computeSource(v, fr, view(v.level(series)), col);
  },
};
