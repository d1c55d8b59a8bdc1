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
 *   eigenvalue λ1 (power iteration, warm-started from the previous row's eigenvector, stopped when
 *   the Rayleigh quotient moves < 1e-10 relative) and λ1/λ2 (λ2 by the same iteration on the
 *   deflated matrix A − λ1·v1·v1ᵀ; NaN when λ2 <= 1e-12·λ1, numerically rank one). Needs all 5
 *   sisters;
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
 * Computation: grid series are read from the market (market-wide ones are memoized once per
 * market); the 6×6 covariance slides over the grid in one pass (`rollingCovMatrix`) and the
 * eigenvalues are computed at the pair's own rows only (from `from` on). The power iteration's
 * warm start restarts from fixed vectors after an undefined row and at `from`, so a live tail
 * agrees with the batch value to the stopping tolerance. Without `ctx.market`, a market of the pair
 * alone is used (cross-pair columns NaN). Cost on the fixture (100k rows, all sisters present):
 * about 4 µs per row, two thirds of it the power iterations.
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
import { lag, rollingCovCorr, rollingMean, rollingZ } from "./_kernels.ts";
import type { Market } from "./_types.ts";
import {
  type Block,
  blockFamily,
  marketAvgCorr,
  marketDispersion,
  nans,
  needsAny,
  pick,
  powerTop,
  rollingCovMatrix,
  sisters,
  spec,
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
/**
 * Power-iteration stop: relative move of the Rayleigh quotient (values are stored as Float32,
 * ε ≈ 6e-8, so 1e-10 is ample and saves a third of the iterations of 1e-13).
 */
const EIG_TOL = 1e-10;
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
      const src = source(c.market), own = src.get(c.pair)!;
      sisters(c.pair).forEach((sis, k) => {
        if (!c.has(sis)) return;
        SISTER_WINDOWS.forEach((w, j) => {
          pick(
            c,
            rollingCovCorr(own, src.get(sis)!, w, c.gFrom).corr,
            cols[k * SISTER_WINDOWS.length + j],
          );
        });
      });
    },
  };
}

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
        `top eigenvalue of that covariance (power iteration)`,
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
  fill(c, cols) {
    const sis = sisters(c.pair);
    if (!sis.every((p) => c.has(p))) return;
    const xs = [c.pair, ...sis].map((p) => c.market.ret.get(p)!);
    const k = xs.length;
    const b = new Float64Array(k * k), scratch = new Float64Array(k);
    const v1 = new Float64Array(k), v2 = new Float64Array(k);
    COV_WINDOWS.forEach((w, wi) => {
      const [trace, eig1, ratio] = cols.slice(wi * 3, wi * 3 + 3);
      let t = c.from, warm = false;
      rollingCovMatrix(xs, w, c.gFrom, (g, a, _mean, ok) => {
        while (t < c.n && c.rows[t] < g) t++; // own rows inside the first window stay NaN
        if (t === c.n || c.rows[t] !== g) return; // a grid minute without an own bar
        const row = t++;
        let tr = 0;
        for (let i = 0; i < k; i++) {
          if (!ok[i]) {
            warm = false;
            return;
          }
          tr += a[i * k + i];
        }
        trace[row] = tr;
        if (!warm) initVectors(v1, v2);
        warm = true;
        const l1 = powerTop(a, k, v1, scratch, EIG_TOL);
        eig1[row] = l1;
        // deflate, restart v2 orthogonal to v1
        for (let i = 0; i < k; i++) {
          for (let j = 0; j < k; j++) b[i * k + j] = a[i * k + j] - l1 * v1[i] * v1[j];
        }
        orthonormalize(v2, v1);
        const l2 = powerTop(b, k, v2, scratch, EIG_TOL);
        ratio[row] = l1 > 0 && l2 > RANK_EPS * l1 ? l1 / l2 : NaN;
      });
    });
  },
};

/** Cold-start vectors: v1 = equal weights, v2 = a fixed contrast. */
function initVectors(v1: Float64Array, v2: Float64Array): void {
  const k = v1.length;
  for (let i = 0; i < k; i++) {
    v1[i] = 1 / Math.sqrt(k);
    v2[i] = Math.sin(1 + 2.3 * i); // fixed, not orthogonal to any natural direction
  }
}

/** v ← v − (v·u)u, normalized (u unit); falls back to a fixed contrast when v collapses. */
function orthonormalize(v: Float64Array, u: Float64Array): void {
  const k = v.length;
  for (let attempt = 0; attempt < 2; attempt++) {
    let d = 0;
    for (let i = 0; i < k; i++) d += v[i] * u[i];
    let nrm = 0;
    for (let i = 0; i < k; i++) {
      v[i] -= d * u[i];
      nrm += v[i] * v[i];
    }
    if (nrm > 1e-20) {
      nrm = Math.sqrt(nrm);
      for (let i = 0; i < k; i++) v[i] /= nrm;
      return;
    }
    for (let i = 0; i < k; i++) v[i] = Math.cos(0.7 + 1.9 * i);
  }
}

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
    COV_WINDOWS.forEach((w, i) => pick(c, marketAvgCorr(c.market, w), cols[i]));
    const disp = marketDispersion(c.market);
    DISPERSION_WINDOWS.forEach((w, i) =>
      pick(c, rollingMean(disp, w, c.gFrom), cols[COV_WINDOWS.length + i])
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
    const src = ws.map((w) => c.series.bqxW[w] ?? nans(n));
    // the slope z needs the slope over the 59 rows before `from`
    const lo = Math.max(0, c.from - (W60 - 1));
    const fullSlope = nans(n);
    for (let t = lo; t < n; t++) {
      let s0 = 0, s1 = 0, s2 = 0;
      for (let i = 0; i < m; i++) {
        const b = src[i][t] / ws[i];
        s0 += b;
        s1 += x[i] * b;
        s2 += p2[i] * b;
      }
      fullSlope[t] = s1 / sxx;
      if (t < c.from) continue;
      level[t] = s0 / m;
      slope[t] = s1 / sxx;
      curv[t] = s2 / spp;
      const a = src[0][t] / ws[0], z = src[m - 1][t] / ws[m - 1];
      inv[t] = a === a && z === z ? (a > z ? 1 : 0) : NaN;
    }
    slopeZ.set(rollingZ(fullSlope, W60, c.from).subarray(c.from), c.from);
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
    WINDOWS.slice(1).forEach((w, i) => {
      const bw = c.series.bqxW[w];
      if (!b15 || !bw) return; // a window the series does not carry stays NaN
      const o = rollingCovCorr(b15, bw, W60, c.from).corr;
      cols[i].set(o.subarray(c.from), c.from);
    });
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
    sisters(c.pair).slice(0, LEAD_SISTERS).forEach((sis, k) => {
      if (!c.has(sis)) return;
      const s = c.market.bqx.get(sis)!;
      LEADS.forEach((L, j) => {
        const lagged = lag(s, L, Math.max(0, c.gFrom - W60));
        pick(c, rollingCovCorr(own, lagged, W60, c.gFrom).corr, cols[k * LEADS.length + j]);
      });
    });
  },
};

const idxSisters = sisterCorr({
  domain: "idx",
  source: (m) => m.ret,
  start: RET0,
  what: "1-minute log returns",
});
const bqxSisters = sisterCorr({ domain: "bqx", source: (m) => m.bqx, start: BQX0, what: "BQX" });

/** The correlation family: 20 `idx_` and 25 `bqx_` columns (see the module doc). */
export const correlation = blockFamily(FAMILY, [
  idxSisters,
  covMetrics,
  marketWide,
  bqxSisters,
  termStructure,
  crossWindow,
  leadLag,
]);
