/**
 * Correlation family (SPEC §5 "correlation": 20 `idx_` + 25 `bqx_` columns): how the pair moves
 * with its sister pairs and the market, and the shape of its BQX term structure. Why: co-movement
 * and its breakdowns carry information a single pair's history cannot (a pair decoupling from its
 * sisters, a market-wide correlation spike, a BQX curve that inverts).
 *
 * Inputs: the aligned market (`ctx.market`, as-of on the union minute grid) for cross-pair columns;
 * the pair's own `bqxW` for the term structure. Windows of cross-pair columns count **grid
 * minutes**; own-pair columns count the pair's bars. Sisters are the fixed table of
 * `_crossSection.ts` (5 most liquid pairs sharing a currency; eurusd → usdjpy, gbpusd, audusd,
 * usdcad, usdchf); columns name them by rank (`sis1` … `sis5`, the pair is in `params.sister`) so
 * every pair has the same column names. A column whose sister is absent lists it in `needs` and is
 * NaN. Correlations are Pearson over the trailing window (NaN when a side is flat).
 *
 * idx side (20), source = 1-minute grid log returns r:
 * - `idx_corr_sis{k}_{20,60}` (covariant): corr(r_pair, r_sister) over 20 / 60 grid minutes;
 * - `idx_cov_trace_{w}`, `idx_cov_eig1_{w}`, `idx_cov_eig_ratio_{w}`, w ∈ {60, 240} (covariant;
 *   60 from SPEC, 240 chosen for a steadier 6×6 estimate): the sample covariance matrix (n − 1) of
 *   the returns of the pair and its 5 sisters over w grid minutes; its trace (total variance), top
 *   eigenvalue λ1 and λ1/λ2 (NaN when λ2 <= 1e-12·λ1, numerically rank one), to about 1e-14
 *   relative (Householder tridiagonalization, then Laguerre's method on the characteristic
 *   polynomial: `topTwoEigen` in `_crossSection.ts`). Needs all 5 sisters;
 * - `idx_avg_corr_{60,240}` (tertiary): mean pairwise correlation of all present pairs' returns;
 * - `idx_dispersion_{20,60}` (tertiary): rolling mean over 20 / 60 grid minutes of the
 *   cross-sectional std (n − 1) of all present pairs' 1-minute returns.
 *
 * bqx side (25), source = BQX (w15_bqx_return):
 * - `bqx_corr_sis{k}_{20,60}` (covariant): the same builder as the idx sister correlations with
 *   the BQX levels as source (BQX is already a stationary momentum; its levels are correlated);
 * - term structure (primary, own bars), on the per-bar BQX b_W = w{W}_bqx_return / W (the mean
 *   relative deviation of the last W index values from the current one; without it the sum grows
 *   with W and hides the shape), W ∈ {15, 30, 45, 60, 75}, x = W − 45:
 *   `bqx_term_level` = mean b_W; `bqx_term_slope` = least-squares slope of b_W on W (per bar);
 *   `bqx_term_curvature` = coefficient of the orthogonal quadratic (x² − 450) in the least-squares
 *   fit; `bqx_term_inverted` = 1 when b_15 > b_75 (short above long), else 0;
 *   `bqx_term_slope_z_60` = z-score of the slope over 60 bars;
 * - `bqx_corr_w15_w{30,45,60,75}_60` (primary): cross-window correlations of w15 with the longer
 *   windows' BQX over 60 bars;
 * - `bqx_corr_sis{1,2}_lag{1,5,15}_60` (covariant): lead–lag, corr(BQX_pair(t), BQX_sister(t − k))
 *   over 60 grid minutes, for the two first sisters.
 *
 * Warm-up (first defined row, counted on the grid for grid columns, an upper bound in own bars):
 * returns start at row 1, BQX at row 15.
 * The `idx_` and `bqx_` sister blocks are one builder (`sisterCorr()`) whose variants set only the
 * source and prefix; the other blocks differ by SPEC (each side has its own content).
 *
 * Computation: one pass per kernel from the first row asked for (`from`; the live path computes
 * O(window) per column), no intermediate full-length arrays. Grid series are read from the
 * market at the pair's own rows; market-wide ones (average correlation, dispersion) are memoized
 * per market and computed lazily over the grid rows asked for (all of them in batch, once). The
 * two 6×6 covariances (60 and 240) slide together over the grid and also give the 60-minute idx
 * sister correlations; their eigenvalues are computed at the pair's own rows, the Laguerre
 * iteration started from the previous row's eigenvalues plus the change of the matrix (Weyl's
 * bound) — the result is the same root to rounding, so a live tail matches the batch row. The 6
 * USD majors are each other's sisters: their covariance metrics are one grid series memoized per
 * market. Without `ctx.market`, a market of the pair alone is used (cross-pair columns NaN). Cost
 * on the fixture (120k rows, 28 pairs, batch): about 1.3 µs per row, half of it the eigenvalues.
 *
 * @example
 * ```ts
 * import { correlation } from "./correlation.ts";
 * import { buildMarket } from "./market.ts";
 * import assert from "node:assert/strict";
 * // gbpusd (sister 2 of eurusd) moves exactly twice as much as eurusd: correlation 1
 * const n = 30, ts = Float64Array.from({ length: n }, (_, i) => i * 60_000);
 * const mk = (pair: string, k: number) => {
 *   const close = Float64Array.from({ length: n }, (_, i) => 100 * Math.exp(k * 1e-3 * Math.sin(i * i)));
 *   const bqx = new Float64Array(n);
 *   return { pair, n, ts, open: close, high: close, low: close, close, volume: bqx, filled: new Uint8Array(n), bqx, bqxW: { 15: bqx } };
 * };
 * const eu = mk("eurusd", 1), gu = mk("gbpusd", 2);
 * const cols = new Map<string, Float64Array>();
 * correlation.compute(eu, { from: 0, market: buildMarket([eu, gu]) }, (name) => {
 *   const a = new Float64Array(n).fill(NaN);
 *   cols.set(name, a);
 *   return a;
 * });
 * assert.ok(Math.abs(cols.get("idx_corr_sis2_20")![n - 1] - 1) < 1e-12);
 * assert.ok(Number.isNaN(cols.get("idx_corr_sis1_20")![n - 1])); // usdjpy absent
 * ```
 * @module
 */
import { PAIRS } from "../data/pairs.ts";
import { WINDOWS } from "../data/schema.ts";
import type { Market } from "./_types.ts";
import { memo } from "./market.ts";
import {
  type Block,
  blockFamily,
  corrPair2,
  corrStar,
  dispersionMean,
  type EigenScratch,
  eigenScratch,
  lazyGrid,
  marketAvgCorrs,
  N_SISTERS,
  nans,
  needsAny,
  pick,
  rollingCovsAt,
  sisters,
  spec,
  topTwoEigen,
} from "./_crossSection.ts";

const FAMILY = "correlation";
/** Windows (grid minutes) of the sister correlations. */
const SISTER_WINDOWS = [20, 60];
/** Windows (grid minutes) of the covariance-matrix metrics and the average correlation. */
const COV_WINDOWS = [60, 240];
/** Windows (grid minutes) of the smoothed dispersion. */
const DISPERSION_WINDOWS = [20, 60];
/** Window of the BQX cross-window and lead–lag correlations, and of the slope z. */
const W60 = 60;
/** Sisters and lags of the lead–lag correlations. */
const LEAD_SISTERS = 2, LEADS = [1, 5, 15];
/** First defined row of the grid returns and of BQX (w15). */
const RET0 = 1, BQX0 = 15;
/** λ2 below this share of λ1 is numerically zero (ratio NaN). */
const RANK_EPS = 1e-12;

/** Options of the sister-correlation builder: only the source and the prefix differ. */
interface SisterCorrOptions {
  domain: "idx" | "bqx";
  source: (m: Market) => Map<string, Float64Array>;
  /** First defined grid row of the source. */
  start: number;
  what: string;
}

/** Rolling correlation of the pair's source with each sister's, over each window. */
function sisterCorr({ domain, source, start, what }: SisterCorrOptions): Block {
  return {
    specs: (pair, present) =>
      sisters(pair).flatMap((sis, k) =>
        SISTER_WINDOWS.map((w) =>
          spec(
            FAMILY,
            `${domain}_corr_sis${k + 1}_${w}`,
            domain,
            "covariant",
            { window: w, sister: sis, rank: k + 1, grid: true },
            start + w - 1,
            `correlation of ${what} with sister ${k + 1} (${sis}) over ${w} grid minutes`,
            present.includes(sis) ? undefined : [sis],
          )
        )
      ),
    fill(c, cols) {
      const src = source(c.market), own = src.get(c.pair)!, [w0, w1] = SISTER_WINDOWS;
      sisters(c.pair).forEach((sis, k) => {
        if (!c.has(sis)) return;
        const o = k * SISTER_WINDOWS.length;
        corrPair2(own, src.get(sis)!, 0, w0, w1, c.rows, c.from, c.n, cols[o], cols[o + 1]);
      });
    },
  };
}

const idxSisters = sisterCorr({
  domain: "idx",
  source: (m) => m.ret,
  start: RET0,
  what: "1-minute log returns",
});
const bqxSisters = sisterCorr({ domain: "bqx", source: (m) => m.bqx, start: BQX0, what: "BQX" });

/** Trace, λ1 and λ1/λ2 of the 6×6 return covariance of the pair and its sisters. */
const covMetrics: Block = {
  specs: (pair, present) => {
    const sis = sisters(pair), needs = sis.filter((p) => !present.includes(p));
    const params = (w: number) => ({ window: w, pairs: [pair, ...sis].join(","), grid: true });
    return COV_WINDOWS.flatMap((w) => [
      spec(
        FAMILY,
        `idx_cov_trace_${w}`,
        "idx",
        "covariant",
        params(w),
        RET0 + w - 1,
        `trace of the return covariance of the pair and its 5 sisters over ${w} grid minutes`,
        needs,
      ),
      spec(
        FAMILY,
        `idx_cov_eig1_${w}`,
        "idx",
        "covariant",
        params(w),
        RET0 + w - 1,
        `top eigenvalue of that covariance`,
        needs,
      ),
      spec(
        FAMILY,
        `idx_cov_eig_ratio_${w}`,
        "idx",
        "covariant",
        params(w),
        RET0 + w - 1,
        `λ1/λ2 of that covariance`,
        needs,
      ),
    ]);
  },
  fill() {
    // filled with the idx sister correlations (idxSistersCov): one pass over both
  },
};

/**
 * Trace, λ1 and λ1/λ2 of each covariance window at row t into metric[3q..3q+2][t] (nothing when a
 * series of the window is not ok). `ws` holds one warm-started eigen scratch per window.
 */
function writeMetrics(
  covs: readonly Float64Array[],
  oks: readonly Uint8Array[],
  ws: EigenScratch[],
  ev: Float64Array,
  metric: Float64Array[],
  t: number,
): void {
  for (let q = 0; q < covs.length; q++) {
    const a = covs[q], ok = oks[q], k = ok.length;
    let tr = 0, all = true;
    for (let i = 0; i < k; i++) {
      all &&= ok[i] === 1;
      tr += a[i * k + i];
    }
    if (!all) {
      ws[q].warm = false;
      continue;
    }
    metric[q * 3][t] = tr;
    topTwoEigen(a, ws[q], ev, true);
    const l1 = ev[0], l2 = ev[1];
    metric[q * 3 + 1][t] = l1;
    metric[q * 3 + 2][t] = l1 > 0 && l2 > RANK_EPS * l1 ? l1 / l2 : NaN;
  }
}

/** How many present pairs have each set {pair, 5 sisters} (all present), keyed by the sorted set. */
function covSets(m: Market): Map<string, number> {
  return memo(m, "corr:covsets", () => {
    const count = new Map<string, number>(), present = new Set(m.pairs);
    for (const p of m.pairs) {
      const set = [p, ...sisters(p)];
      if (!set.every((x) => present.has(x))) continue;
      const key = set.sort().join(",");
      count.set(key, (count.get(key) ?? 0) + 1);
    }
    return count;
  });
}

/**
 * The covariance metrics of a set of pairs shared by several pairs (the 6 USD majors are each
 * other's sisters): computed once per market on the grid, in the set's sorted order (the
 * eigenvalues do not depend on it), lazily from gNeed.
 */
function sharedCovMetrics(m: Market, set: readonly string[], gNeed: number): Float64Array[] {
  return lazyGrid(
    m,
    `corr:covmetrics:${set.join(",")}`,
    gNeed,
    (G) => COV_WINDOWS.flatMap(() => [nans(G), nans(G), nans(G)]),
    (metric, a, b) => {
      const xs = set.map((p) => m.ret.get(p)!), ev = new Float64Array(2);
      const ws = COV_WINDOWS.map(() => eigenScratch(xs.length));
      rollingCovsAt(xs, COV_WINDOWS, null, a, b, (t, covs, oks) => {
        writeMetrics(covs, oks, ws, ev, metric, t);
      });
    },
  );
}

/**
 * The idx sister correlations and the covariance metrics in one pass: with every sister present,
 * the 6×6 covariances over 60 and 240 grid minutes slide together, the 60-minute sister
 * correlations are read off the first one, and the eigenvalues of both are taken at each own row
 * (warm-started from the row before). A set of pairs shared with another present pair takes its
 * metrics from a grid series memoized per market instead.
 */
const idxSistersCov: Block = {
  specs: (pair, present) => [
    ...idxSisters.specs(pair, present),
    ...covMetrics.specs(pair, present),
  ],
  fill(c, cols) {
    const nSis = N_SISTERS * SISTER_WINDOWS.length, sisCols = cols.slice(0, nSis);
    const metric = cols.slice(nSis);
    const sis = sisters(c.pair);
    if (!sis.every((p) => c.has(p))) return idxSisters.fill(c, sisCols);
    const set = [c.pair, ...sis].sort();
    if (covSets(c.market).get(set.join(","))! > 1) {
      idxSisters.fill(c, sisCols);
      const grid = sharedCovMetrics(c.market, set, c.gNeed);
      metric.forEach((col, i) => pick(c, grid[i], col));
      return;
    }
    const xs = [c.pair, ...sis].map((p) => c.market.ret.get(p)!), own = xs[0], k = xs.length;
    // sister correlations over the windows that are not a covariance window
    SISTER_WINDOWS.forEach((w, j) => {
      if (COV_WINDOWS.includes(w)) return;
      const outs = sis.map((_, i) => sisCols[i * SISTER_WINDOWS.length + j]);
      corrStar(own, xs.slice(1), 0, w, c.rows, c.from, c.n, outs);
    });
    // and over those that are: off the covariance
    const viaCov = SISTER_WINDOWS.map((w) => COV_WINDOWS.indexOf(w));
    const ev = new Float64Array(2), ws = COV_WINDOWS.map(() => eigenScratch(k));
    rollingCovsAt(xs, COV_WINDOWS, c.rows, c.from, c.n, (t, covs, oks) => {
      for (let j = 0; j < viaCov.length; j++) {
        const q = viaCov[j];
        if (q < 0) continue;
        const a = covs[q], ok = oks[q], va = a[0];
        if (!ok[0] || !(va > 0)) continue;
        for (let i = 1; i < k; i++) {
          const vb = a[i * k + i];
          if (!ok[i] || !(vb > 0)) continue;
          const r = a[i * k] / Math.sqrt(va * vb);
          sisCols[(i - 1) * SISTER_WINDOWS.length + j][t] = r > 1 ? 1 : r < -1 ? -1 : r;
        }
      }
      writeMetrics(covs, oks, ws, ev, metric, t);
    });
  },
};

/** Market-wide: average pairwise correlation and return dispersion. */
const marketWide: Block = {
  specs: (_pair, present) => {
    // defined from two present pairs on; with fewer, every absent pair is what it needs
    const needs = needsAny(PAIRS, present, 2);
    return [
      ...COV_WINDOWS.map((w) =>
        spec(
          FAMILY,
          `idx_avg_corr_${w}`,
          "idx",
          "tertiary",
          { window: w, grid: true },
          RET0 + w - 1,
          `mean pairwise return correlation of all present pairs over ${w} grid minutes`,
          needs,
        )
      ),
      ...DISPERSION_WINDOWS.map((w) =>
        spec(
          FAMILY,
          `idx_dispersion_${w}`,
          "idx",
          "tertiary",
          { window: w, grid: true },
          RET0 + w - 1,
          `mean over ${w} grid minutes of the cross-sectional std of 1-minute returns`,
          needs,
        )
      ),
    ];
  },
  fill(c, cols) {
    if (c.market.pairs.length < 2) return;
    const avg = marketAvgCorrs(c.market, COV_WINDOWS, c.gNeed);
    COV_WINDOWS.forEach((_, i) => pick(c, avg[i], cols[i]));
    DISPERSION_WINDOWS.forEach((w, i) =>
      pick(c, dispersionMean(c.market, w, c.gNeed), cols[COV_WINDOWS.length + i])
    );
  },
};

/** BQX term structure across windows (own bars). */
const termStructure: Block = {
  specs: () => {
    const w = Math.max(...WINDOWS);
    const p = { windows: WINDOWS.join(","), perBar: true };
    return [
      spec(FAMILY, "bqx_term_level", "bqx", "primary", p, w, "mean over W of w{W}_bqx_return / W"),
      spec(
        FAMILY,
        "bqx_term_slope",
        "bqx",
        "primary",
        p,
        w,
        "least-squares slope of w{W}_bqx_return / W on W",
      ),
      spec(
        FAMILY,
        "bqx_term_curvature",
        "bqx",
        "primary",
        p,
        w,
        "quadratic coefficient (orthogonal basis) of w{W}_bqx_return / W on W",
      ),
      spec(
        FAMILY,
        "bqx_term_inverted",
        "bqx",
        "primary",
        p,
        w,
        "1 when w15_bqx_return/15 > w75_bqx_return/75, else 0",
      ),
      spec(
        FAMILY,
        `bqx_term_slope_z_${W60}`,
        "bqx",
        "primary",
        { ...p, window: W60 },
        w + W60 - 1,
        `z-score of the term slope over ${W60} bars`,
      ),
    ];
  },
  fill(c, cols) {
    const [level, slope, curv, inv, slopeZ] = cols;
    const n = c.n, ws = WINDOWS, m = ws.length;
    const mw = ws.reduce((s, w) => s + w, 0) / m;
    const x = ws.map((w) => w - mw);
    const x2m = x.reduce((s, v) => s + v * v, 0) / m;
    const p2 = x.map((v) => v * v - x2m);
    const sxx = x.reduce((s, v) => s + v * v, 0), spp = p2.reduce((s, v) => s + v * v, 0);
    // per-window weights of the level, slope and curvature (b_W = w{W}_bqx_return / W folded in)
    const lw = Float64Array.from(ws, (w) => 1 / (m * w));
    const sw = Float64Array.from(ws, (w, i) => x[i] / (sxx * w));
    const cw = Float64Array.from(ws, (w, i) => p2[i] / (spp * w));
    // the slope z needs the slope over the 59 rows before `from`
    const lo = Math.max(0, c.from - (W60 - 1));
    const none = new Float64Array(n - lo).fill(NaN);
    const src = ws.map((w) => c.series.bqxW[w]?.subarray(lo) ?? none);
    const first = src[0], last = src[m - 1], w0 = ws[0], wl = ws[m - 1];
    // slope z over 60 rows: running sums of deviations from an anchor, NaN counted
    const sl = new Float64Array(n - lo);
    let c0 = 0, z1 = 0, z2 = 0, nz = 0, k = 0;
    for (let t = lo; t < n; t++) {
      const i = t - lo;
      let s0 = 0, s1 = 0, s2 = 0;
      for (let j = 0; j < m; j++) {
        const v = src[j][i];
        s0 += lw[j] * v;
        s1 += sw[j] * v;
        s2 += cw[j] * v;
      }
      sl[i] = s1;
      if (t < c.from) continue;
      level[t] = s0;
      slope[t] = s1;
      curv[t] = s2;
      const a = first[i] / w0, z = last[i] / wl;
      inv[t] = a === a && z === z ? (a > z ? 1 : 0) : NaN;
      if (t < W60 - 1) continue;
      if (k === 0) {
        c0 = s1 === s1 ? s1 : 0;
        z1 = z2 = nz = 0;
        for (let h = i - W60 + 1; h <= i; h++) {
          const v = sl[h];
          if (v !== v) nz++;
          else {
            const u = v - c0;
            z1 += u;
            z2 += u * u;
          }
        }
      } else {
        const v = sl[i], vo = sl[i - W60];
        if (v !== v) nz++;
        else {
          const u = v - c0;
          z1 += u;
          z2 += u * u;
        }
        if (vo !== vo) nz--;
        else {
          const u = vo - c0;
          z1 -= u;
          z2 -= u * u;
        }
      }
      if (++k === 64) k = 0;
      if (nz !== 0) continue;
      const vr = (z2 - (z1 * z1) / W60) / (W60 - 1);
      slopeZ[t] = vr > 0 ? (s1 - c0 - z1 / W60) / Math.sqrt(vr) : NaN;
    }
  },
};

/** Correlation of w15 with the longer windows' BQX (own bars). */
const crossWindow: Block = {
  specs: () =>
    WINDOWS.slice(1).map((w) =>
      spec(
        FAMILY,
        `bqx_corr_w15_w${w}_${W60}`,
        "bqx",
        "primary",
        { window: W60, with: w },
        w + W60 - 1,
        `correlation of w15_bqx_return with w${w}_bqx_return over ${W60} bars`,
      )
    ),
  fill(c, cols) {
    const b15 = c.series.bqxW[15];
    if (!b15) return;
    // a window the series does not carry stays NaN
    const ks = WINDOWS.slice(1).map((w, i) => (c.series.bqxW[w] ? i : -1)).filter((i) => i >= 0);
    const ys = ks.map((i) => c.series.bqxW[WINDOWS[i + 1]]);
    corrStar(b15, ys, 0, W60, null, c.from, c.n, ks.map((i) => cols[i]));
  },
};

/** Lead–lag: the pair's BQX against its first sisters' lagged BQX (grid). */
const leadLag: Block = {
  specs: (pair, present) =>
    sisters(pair).slice(0, LEAD_SISTERS).flatMap((sis, k) =>
      LEADS.map((L) =>
        spec(
          FAMILY,
          `bqx_corr_sis${k + 1}_lag${L}_${W60}`,
          "bqx",
          "covariant",
          { window: W60, lag: L, sister: sis, rank: k + 1, grid: true },
          BQX0 + L + W60 - 1,
          `correlation of BQX with sister ${
            k + 1
          } (${sis}) BQX ${L} grid minutes earlier, over ${W60}`,
          present.includes(sis) ? undefined : [sis],
        )
      )
    ),
  fill(c, cols) {
    const own = c.market.bqx.get(c.pair)!;
    const lead = sisters(c.pair).slice(0, LEAD_SISTERS);
    const ks = lead.map((sis, k) => (c.has(sis) ? k : -1)).filter((k) => k >= 0);
    const ys = ks.map((k) => c.market.bqx.get(lead[k])!);
    LEADS.forEach((L, j) => {
      const outs = ks.map((k) => cols[k * LEADS.length + j]);
      corrStar(own, ys, L, W60, c.rows, c.from, c.n, outs);
    });
  },
};

/** The correlation family: 20 `idx_` and 25 `bqx_` columns (see the module doc). */
export const correlation = blockFamily(FAMILY, [
  idxSistersCov,
  marketWide,
  bqxSisters,
  termStructure,
  crossWindow,
  leadLag,
]);
