/**
 * Cross-pair family (SPEC §5 "cross-pair": 44 `x_` columns): what the pair's neighbours, its
 * triangle, the USD factor and the 8 currencies are doing. Why: a pair's move is the difference of
 * two currency moves; sisters lead or confirm it, triangular parity deviations mean-revert, and
 * one common USD factor drives the majors.
 *
 * Inputs: the aligned market (`ctx.market`, as-of on the union minute grid); windows count grid
 * minutes; ℓ = ln(idx/100) is the log rate index and r its 1-minute change (0 on stale minutes).
 * Fixed choices (`_crossSection.ts`): sisters = the 5 most liquid pairs sharing a currency, named
 * by rank (`sis1` … `sis5`, the pair is in `params.sister`, so every pair has the same names);
 * triangle = through the most liquid other currency. A column whose inputs are absent lists them in
 * `needs` and is NaN.
 *
 * Columns:
 * - sisters (covariant, 20 + 2). Of the combinations SPEC lists (returns lag 1/5/15, vol 30,
 *   corr 60, beta 60) × 5 sisters, per sister: `x_sis{k}_ret_{1,5,15}` = the sister's log return
 *   over the last 1 / 5 / 15 grid minutes (ℓ(g) − ℓ(g−k), known at t), `x_sis{k}_vol_30` = std of
 *   its 1-minute returns over 30. Correlation and beta are taken once against the oriented sister
 *   basket b = mean_k o_k·r_k (o_k = +1 when the shared currency sits on the same side, else −1;
 *   per-sister correlations are already in the correlation family): `x_sis_basket_corr_60`,
 *   `x_sis_basket_beta_60` = cov(r, b)/var(b) over 60 (NaN when b is flat). The basket needs all 5;
 * - triangle (triangulation, 4 + 4). For A/B through X with legs L1 (A–X) and L2 (X–B) and signs
 *   s1, s2 (log A/B = s1·log L1 + s2·log L2): the residual e = ℓ_AB − s1·ℓ_L1 − s2·ℓ_L2 (log
 *   parity deviation relative to the base bar, where every index is 100) →
 *   `x_tri_idx_level` = e, `_z_20` = z-score of e over 20, `_chg_5` = e(g) − e(g−5), `_vol_30` = std
 *   of its 1-minute changes over 30. The BQX variant is the same builder on
 *   e = BQX_AB − s1·BQX_L1 − s2·BQX_L2 (first-order parity: BQX ≈ −Σ k·log-returns is linear in
 *   log prices) → `x_tri_bqx_level`, `_z_20`, `_chg_5`, `_vol_30`;
 * - USD factor (secondary, 6): first principal component of the present USD pairs' oriented
 *   returns (USD strength positive), loadings re-estimated daily from the previous 1440 grid
 *   minutes (see `usdFactor` in `_crossSection.ts`: causal, reproduced by a live tail, applied with
 *   the current loadings to every component so a re-estimate makes no jump in the statistics):
 *   `x_usd_factor_level`, `_chg_5`, `_chg_15`, `_vol_30` (std of the factor's 1-minute return),
 *   `_z_60` (z of the level), `_trend_20` (least-squares slope of the level per grid minute).
 *   NaN until the first estimate (at most 2880 grid minutes: 1440 to estimate, then the next UTC
 *   day start);
 * - currency strength (secondary, 8): `x_strength_{eur,gbp,aud,nzd,usd,cad,chf,jpy}` = the
 *   average 60-minute log return of the currency against the other side, over the present pairs
 *   holding it (choice: a 60-minute change rather than a cumulated level — stationary, comparable
 *   across currencies, and the same on a live tail). NaN when no pair of the currency is present.
 *
 * Market-wide series (log levels, sister volatilities, strength, USD factor) are memoized per
 * market, shared by all pairs and computed lazily over the grid rows asked for (the whole grid in
 * batch, the last window on the live path); pair-specific series (basket, triangle residual) are
 * computed from the first grid row the pair's rows need, so the live path costs O(window) per
 * column. Without `ctx.market` a market of the pair alone is used. Every column is reproduced
 * exactly by the live path's tail (no cumulated state: levels are log rate indexes, loadings are
 * re-estimated from a fixed window by a cold-started iteration).
 *
 * @example
 * ```ts
 * import { crossPair } from "./crossPair.ts";
 * import { buildMarket } from "./market.ts";
 * import assert from "node:assert/strict";
 * // eurusd falls 2 % (log) at the last minute, usdjpy rises 4 %: USD strength over 60 = mean(2 %, 4 %)
 * const n = 61, ts = Float64Array.from({ length: n }, (_, i) => i * 60_000);
 * const mk = (pair: string, last: number) => {
 *   const close = new Float64Array(n).fill(100);
 *   close[n - 1] = 100 * Math.exp(last);
 *   const bqx = new Float64Array(n);
 *   return { pair, n, ts, open: close, high: close, low: close, close, volume: bqx, filled: new Uint8Array(n), bqx, bqxW: { 15: bqx } };
 * };
 * const eu = mk("eurusd", -0.02), uj = mk("usdjpy", 0.04);
 * const cols = new Map<string, Float64Array>();
 * crossPair.compute(eu, { from: 0, market: buildMarket([eu, uj]) }, (name) => {
 *   const a = new Float64Array(n).fill(NaN);
 *   cols.set(name, a);
 *   return a;
 * });
 * assert.ok(Math.abs(cols.get("x_strength_usd")![n - 1] - 0.03) < 1e-12);
 * assert.ok(Math.abs(cols.get("x_strength_eur")![n - 1] + 0.02) < 1e-12);
 * ```
 * @module
 */
import { CURRENCIES, type Currency } from "../data/pairs.ts";
import { diff, rollingStd, rollingZ } from "./_kernels.ts";
import type { Market } from "./_types.ts";
import {
  type Block,
  blockFamily,
  corrStar,
  currencyStrength,
  logLevel,
  needsAny,
  orientation,
  pairsOf,
  PCA_WINDOW,
  pick,
  retVol,
  sisters,
  spec,
  STRENGTH_WINDOW,
  triangle,
  USD_PAIRS,
  usdFactor,
} from "./_crossSection.ts";

const FAMILY = "crossPair";
/** Horizons (grid minutes) of the sister returns. */
const RET_LAGS = [1, 5, 15];
/** Window of the sister volatility and of the triangle residual's volatility. */
const VOL_W = 30;
/** Window of the basket correlation and beta. */
const BASKET_W = 60;
/** Triangle residual windows. */
const TRI_Z = 20, TRI_CHG = 5;
/** Bound on the first defined USD-factor row (estimate window, then up to a day to the next UTC day start). */
const USD_WARMUP = 2 * PCA_WINDOW;

/** Sister returns and volatility. */
const sisterStats: Block = {
  specs: (pair, present) =>
    sisters(pair).flatMap((sis, k) => {
      const needs = present.includes(sis) ? undefined : [sis];
      const p = { sister: sis, rank: k + 1, grid: true };
      return [
        ...RET_LAGS.map((L) =>
          spec(
            FAMILY,
            `x_sis${k + 1}_ret_${L}`,
            "x",
            "covariant",
            { ...p, window: L },
            L,
            `log return of sister ${k + 1} (${sis}) over the last ${L} grid minutes`,
            needs,
          )
        ),
        spec(
          FAMILY,
          `x_sis${k + 1}_vol_${VOL_W}`,
          "x",
          "covariant",
          { ...p, window: VOL_W },
          VOL_W,
          `std of sister ${k + 1} (${sis}) 1-minute log returns over ${VOL_W} grid minutes`,
          needs,
        ),
      ];
    }),
  fill(c, cols) {
    const per = RET_LAGS.length + 1, maxLag = Math.max(...RET_LAGS), rows = c.rows;
    sisters(c.pair).forEach((sis, k) => {
      if (!c.has(sis)) return;
      const l = logLevel(c.market, sis, c.gNeed && Math.max(0, c.gNeed - maxLag));
      RET_LAGS.forEach((L, j) => {
        const col = cols[k * per + j];
        for (let t = c.from; t < c.n; t++) {
          const g = rows[t];
          if (g >= L) col[t] = l[g] - l[g - L];
        }
      });
      pick(c, retVol(c.market, sis, VOL_W, c.gNeed), cols[k * per + RET_LAGS.length]);
    });
  },
};

/** Correlation and beta of the pair's returns on the oriented sister basket. */
const basket: Block = {
  specs: (pair, present) => {
    const sis = sisters(pair), needs = sis.filter((p) => !present.includes(p));
    const p = { window: BASKET_W, sisters: sis.join(","), grid: true };
    return [
      spec(
        FAMILY,
        `x_sis_basket_corr_${BASKET_W}`,
        "x",
        "covariant",
        p,
        BASKET_W,
        `correlation of the pair's returns with the oriented mean of its sisters' over ${BASKET_W}`,
        needs,
      ),
      spec(
        FAMILY,
        `x_sis_basket_beta_${BASKET_W}`,
        "x",
        "covariant",
        p,
        BASKET_W,
        `beta of the pair's returns on the oriented sister basket over ${BASKET_W}`,
        needs,
      ),
    ];
  },
  fill(c, cols) {
    const sis = sisters(c.pair);
    if (!sis.every((p) => c.has(p))) return;
    // the basket on the grid rows the windows read (a grid-length array, filled from lo)
    const G = c.market.ts.length, b = new Float64Array(G);
    const lo = Math.max(0, c.gFrom - BASKET_W), hi = c.rows[c.n - 1] + 1;
    for (const p of sis) {
      const o = orientation(c.pair, p) / sis.length, r = c.market.ret.get(p)!;
      for (let g = lo; g < hi; g++) b[g] += o * r[g];
    }
    const own = c.market.ret.get(c.pair)!;
    corrStar(own, [b], 0, BASKET_W, c.rows, c.from, c.n, [cols[0]], [cols[1]]);
  },
};

/** Options of the triangle builder: only the source and the prefix differ. */
interface TriangleOptions {
  domain: "idx" | "bqx";
  /** The grid series whose parity residual is taken (rows gNeed.. at least). */
  source: (m: Market, pair: string, gNeed: number) => Float64Array;
  /** First defined grid row of the source. */
  start: number;
  what: string;
}

/** Triangular parity residual: level, z 20, change 5, vol 30. */
function triangleResidual({ domain, source, start, what }: TriangleOptions): Block {
  const name = (s: string) => `x_tri_${domain}_${s}`;
  return {
    specs: (pair, present) => {
      const tri = triangle(pair);
      const needs = tri.legs.filter((p) => !present.includes(p));
      const p = { via: tri.via, legs: tri.legs.join(","), signs: tri.signs.join(","), grid: true };
      return [
        spec(
          FAMILY,
          name("level"),
          "x",
          "triangulation",
          p,
          start,
          `${what} parity residual through ${tri.via.toUpperCase()}`,
          needs,
        ),
        spec(
          FAMILY,
          name(`z_${TRI_Z}`),
          "x",
          "triangulation",
          { ...p, window: TRI_Z },
          start + TRI_Z - 1,
          `z-score of the ${what} parity residual over ${TRI_Z}`,
          needs,
        ),
        spec(
          FAMILY,
          name(`chg_${TRI_CHG}`),
          "x",
          "triangulation",
          { ...p, window: TRI_CHG },
          start + TRI_CHG,
          `change of the ${what} parity residual over ${TRI_CHG}`,
          needs,
        ),
        spec(
          FAMILY,
          name(`vol_${VOL_W}`),
          "x",
          "triangulation",
          { ...p, window: VOL_W },
          start + VOL_W,
          `std of 1-minute changes of the ${what} parity residual over ${VOL_W}`,
          needs,
        ),
      ];
    },
    fill(c, cols) {
      const tri = triangle(c.pair);
      if (!tri.legs.every((p) => c.has(p))) return;
      // the residual on grid rows lo..hi−1 (local index g − lo): the longest look-back is VOL_W
      const lo = Math.max(0, c.gFrom - VOL_W), hi = c.rows[c.n - 1] + 1;
      const need = c.gNeed && lo;
      const a = source(c.market, c.pair, need);
      const l1 = source(c.market, tri.legs[0], need), l2 = source(c.market, tri.legs[1], need);
      const [s1, s2] = tri.signs;
      const e = new Float64Array(hi - lo);
      for (let g = lo; g < hi; g++) e[g - lo] = a[g] - s1 * l1[g] - s2 * l2[g];
      // grid row g < w has no full window: local rows keep that bound (lo = 0, or lo >= w)
      const at = c.gFrom - lo;
      const z = rollingZ(e, TRI_Z, at), chg = diff(e, TRI_CHG, at);
      const vol = rollingStd(diff(e, 1, Math.max(0, at - VOL_W)), VOL_W, at);
      const [lev, zc, cc, vc] = cols;
      for (let t = c.from; t < c.n; t++) {
        const i = c.rows[t] - lo;
        lev[t] = e[i];
        zc[t] = z[i];
        cc[t] = chg[i];
        vc[t] = vol[i];
      }
    },
  };
}

/** The USD factor's six statistics. */
const usdBlock: Block = {
  specs: (_pair, present) => {
    const needs = needsAny(USD_PAIRS, present);
    const p = { pca: PCA_WINDOW, refresh: "utc-day", grid: true };
    const row = (s: string, params: Record<string, number>, doc: string) =>
      spec(
        FAMILY,
        `x_usd_factor_${s}`,
        "x",
        "secondary",
        { ...p, ...params },
        USD_WARMUP,
        doc,
        needs,
      );
    return [
      row("level", {}, "USD factor (PC1 of USD pairs) level under the current loadings"),
      row("chg_5", { window: 5 }, "USD factor change over 5 grid minutes"),
      row("chg_15", { window: 15 }, "USD factor change over 15 grid minutes"),
      row("vol_30", { window: 30 }, "std of the USD factor's 1-minute return over 30"),
      row("z_60", { window: 60 }, "z-score of the USD factor level over 60"),
      row("trend_20", { window: 20 }, "least-squares slope of the USD factor level over 20"),
    ];
  },
  fill(c, cols) {
    if (!USD_PAIRS.some((p) => c.has(p))) return;
    const f = usdFactor(c.market, c.gNeed);
    [f.level, f.chg5, f.chg15, f.vol30, f.z60, f.trend20].forEach((x, i) => pick(c, x, cols[i]));
  },
};

/** Strength of each of the 8 currencies. */
const strength: Block = {
  specs: (_pair, present) =>
    CURRENCIES.map((cur) =>
      spec(
        FAMILY,
        `x_strength_${cur}`,
        "x",
        "secondary",
        { currency: cur, window: STRENGTH_WINDOW, grid: true },
        STRENGTH_WINDOW,
        `average ${STRENGTH_WINDOW}-minute log return of ${cur.toUpperCase()} against the present pairs holding it`,
        needsAny(pairsOf(cur).map((x) => x.pair), present),
      )
    ),
  fill(c, cols) {
    CURRENCIES.forEach((cur: Currency, i) =>
      pick(c, currencyStrength(c.market, cur, STRENGTH_WINDOW, c.gNeed), cols[i])
    );
  },
};

/** The cross-pair family: 44 `x_` columns (see the module doc). */
export const crossPair = blockFamily(FAMILY, [
  sisterStats,
  basket,
  triangleResidual({
    domain: "idx",
    source: (m, p, gNeed) => logLevel(m, p, gNeed),
    start: 0,
    what: "log-price",
  }),
  triangleResidual({ domain: "bqx", source: (m, p) => m.bqx.get(p)!, start: 15, what: "BQX" }),
  usdBlock,
  strength,
]);
