/**
 * Shared machinery of the cross-sectional families (`correlation`, `crossPair`, `dualDomain`,
 * SPEC §5): the fixed choice of sister pairs and triangles, the market-wide grid series computed
 * once per build (currency strength, USD factor, average pairwise correlation, dispersion), a
 * rolling linear fit, a one-pass rolling covariance matrix, power iteration, and the small "block"
 * scaffold that keeps `specs()` and `compute()` in step. Private to `lib/features/` (never
 * re-exported). `rollingLinFit` and `rollingCovMatrix` are candidates for `_kernels.ts`.
 *
 * Choices SPEC leaves open, written down once here:
 * - **Liquidity order** of the currencies: USD, EUR, JPY, GBP, AUD, CAD, CHF, NZD (the BIS
 *   Triennial Survey turnover ranking of our 8). Pairs are ranked by the rank of their more liquid
 *   currency, then of the other: eurusd, usdjpy, gbpusd, audusd, usdcad, usdchf, nzdusd, eurjpy,
 *   eurgbp, … ({@linkcode PAIRS_BY_LIQUIDITY}), close to the BIS pair ranking.
 * - **Sisters** of a pair: the first 5 pairs in that order that share one currency with it
 *   ({@linkcode sisters}). A fixed table, never chosen from data, so the columns are the same
 *   whatever pairs are present. Every USD major gets the other USD majors (eurusd → usdjpy,
 *   gbpusd, audusd, usdcad, usdchf), so the real data's 6 majors have all their sisters.
 * - **Triangle** of a pair A/B: through the most liquid third currency X (USD for crosses, EUR for
 *   USD pairs, JPY for eurusd): log(A/B) = log(A/X) + log(X/B) ({@linkcode triangle}).
 * - **Orientation** of a sister: +1 when the shared currency sits on the same side (base/base or
 *   quote/quote), else −1, so oriented returns co-move with the pair through the shared leg.
 * - **Grid windows** count grid minutes (the union minute grid of the market), not the pair's own
 *   bars; own-pair columns count the pair's bars (SPEC §2). A pair's grid returns are 0 on
 *   minutes where it has no bar (stale, as-of alignment).
 * - Log levels are ℓ = ln(idx / 100), the log rate index: log price relative to the base bar.
 *
 * @example
 * ```ts
 * import { sisters, triangle } from "./_crossSection.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(sisters("eurusd"), ["usdjpy", "gbpusd", "audusd", "usdcad", "usdchf"]);
 * assert.deepEqual(triangle("eurgbp").legs, ["eurusd", "gbpusd"]); // EUR/GBP = EUR/USD · USD/GBP
 * assert.deepEqual(triangle("eurgbp").signs, [1, -1]);
 * ```
 * @module
 */
import { CURRENCIES, type Currency, legs, PAIRS } from "../data/pairs.ts";
import { nanPrefix, REANCHOR, rollingMean } from "./_kernels.ts";
import type {
  Domain,
  FamilyContext,
  FeatureFamily,
  FeatureSpec,
  Market,
  PairSeries,
  Scope,
  Sink,
} from "./_types.ts";
import { buildMarket, memo } from "./market.ts";

/** Currencies by FX turnover (BIS Triennial Survey), most liquid first. */
export const LIQUIDITY: readonly Currency[] = [
  "usd",
  "eur",
  "jpy",
  "gbp",
  "aud",
  "cad",
  "chf",
  "nzd",
];

function liq(c: Currency): number {
  return LIQUIDITY.indexOf(c);
}

/** The 28 pairs by liquidity: rank of the more liquid currency, then of the other. */
export const PAIRS_BY_LIQUIDITY: readonly string[] = [...PAIRS].sort((a, b) => {
  const ka = legs(a).map(liq).sort((x, y) => x - y), kb = legs(b).map(liq).sort((x, y) => x - y);
  return ka[0] - kb[0] || ka[1] - kb[1];
});

/** Number of sister pairs per pair. */
export const N_SISTERS = 5;

/** The pair made of two currencies (SPEC order decides the base). */
export function pairOf(a: Currency, b: Currency): string {
  return CURRENCIES.indexOf(a) < CURRENCIES.indexOf(b) ? a + b : b + a;
}

/** The 5 sister pairs of `pair`: the most liquid pairs sharing exactly one currency with it. */
export function sisters(pair: string): string[] {
  const [b, q] = legs(pair);
  return PAIRS_BY_LIQUIDITY.filter((p) => {
    if (p === pair) return false;
    const l = legs(p);
    return l.includes(b) || l.includes(q);
  }).slice(0, N_SISTERS);
}

/** +1 when `pair` and `other` hold their shared currency on the same side, −1 otherwise. */
export function orientation(pair: string, other: string): 1 | -1 {
  const [b, q] = legs(pair), [ob, oq] = legs(other);
  if (b === ob || q === oq) return 1;
  if (b === oq || q === ob) return -1;
  throw new RangeError(`Expected pairs sharing one currency but found ${pair} and ${other}`);
}

/** A pair's triangle: log(pair) ≈ signs[0]·log(legs[0]) + signs[1]·log(legs[1]). */
export interface Triangle {
  via: Currency;
  legs: [string, string];
  signs: [1 | -1, 1 | -1];
}

/** The triangle of `pair` A/B through the most liquid other currency X. */
export function triangle(pair: string): Triangle {
  const [a, b] = legs(pair);
  const x = LIQUIDITY.find((c) => c !== a && c !== b)!;
  const l1 = pairOf(a, x), l2 = pairOf(x, b);
  return { via: x, legs: [l1, l2], signs: [l1.startsWith(a) ? 1 : -1, l2.startsWith(x) ? 1 : -1] };
}

/** Pairs holding currency `c`, SPEC order, with the sign making them "c against the other". */
export function pairsOf(c: Currency): { pair: string; sign: 1 | -1 }[] {
  return PAIRS.filter((p) => legs(p).includes(c)).map((p) => ({
    pair: p,
    sign: legs(p)[0] === c ? 1 : -1,
  }));
}

/**
 * `needs` of a column computed from whichever of `candidates` are present (at least `min`):
 * undefined when enough are present (no single absence nulls it), else every candidate absent.
 */
export function needsAny(
  candidates: readonly string[],
  present: readonly string[],
  min = 1,
): string[] | undefined {
  const have = candidates.filter((p) => present.includes(p)).length;
  return have >= min ? undefined : candidates.filter((p) => !present.includes(p));
}

// ---------------------------------------------------------------------------------------------
// block scaffold

/** What a block's fill sees. */
export interface XContext {
  series: PairSeries;
  pair: string;
  n: number;
  /** First own row to fill. */
  from: number;
  market: Market;
  /** Grid index of each own row. */
  rows: Int32Array;
  /** Grid index of own row `from` (grid kernels start there). */
  gFrom: number;
  /** Whether a pair is present in the market. */
  has(pair: string): boolean;
}

/** A group of columns computed together: `fill` receives its columns in `specs` order. */
export interface Block {
  specs(pair: string, present: readonly string[]): FeatureSpec[];
  fill(c: XContext, cols: Float64Array[]): void;
}

/** One catalog row. */
export function spec(
  family: string,
  name: string,
  domain: Domain,
  scope: Scope,
  params: FeatureSpec["params"],
  warmup: number,
  doc: string,
  needs?: string[],
): FeatureSpec {
  const s: FeatureSpec = { name, family, domain, scope, params, warmup, doc };
  if (needs && needs.length) s.needs = needs;
  return s;
}

/**
 * A family made of blocks: specs = the blocks' specs in order; compute registers every column
 * through `out` in that order, then lets each block fill its own. Without `ctx.market` a market of
 * the pair alone is built (cross-pair columns then stay NaN).
 */
export function blockFamily(name: string, blocks: readonly Block[]): FeatureFamily {
  return {
    name,
    specs: (pair, present) => blocks.flatMap((b) => b.specs(pair, present)),
    compute(series: PairSeries, ctx: FamilyContext, out: Sink): void {
      const market = ctx.market ?? buildMarket([series]);
      const rows = market.rows.get(series.pair);
      if (!rows || rows.length !== series.n) {
        throw new Error(
          `Market rows of ${series.pair} (${
            rows?.length ?? "absent"
          }) do not match its series (${series.n})`,
        );
      }
      const present = new Set(market.pairs);
      const from = Math.max(0, ctx.from);
      const c: XContext = {
        series,
        pair: series.pair,
        n: series.n,
        from,
        market,
        rows,
        gFrom: from < series.n ? rows[from] : market.ts.length,
        has: (p) => present.has(p),
      };
      for (const b of blocks) {
        const cols = b.specs(series.pair, market.pairs).map((s) => out(s.name));
        if (from < series.n) b.fill(c, cols);
      }
    },
  };
}

/** Copy a grid series into an own-row column at rows from..n−1. */
export function pick(c: XContext, grid: Float64Array, col: Float64Array): void {
  for (let t = c.from; t < c.n; t++) col[t] = grid[c.rows[t]];
}

// ---------------------------------------------------------------------------------------------
// small numerics

/** NaN-filled Float64Array. */
export function nans(n: number): Float64Array {
  return new Float64Array(n).fill(NaN);
}

/**
 * Rolling least-squares line of y on x = 0..w−1 over the trailing w rows: `slope` (per row) and
 * `r2` (NaN on a flat window). O(1) per row: running sums of deviations from an anchor, recomputed
 * directly every REANCHOR rows (as in _kernels.ts). Candidate for `_kernels.ts`.
 */
export function rollingLinFit(
  y: Float64Array,
  w: number,
  from = 0,
): { slope: Float64Array; r2: Float64Array } {
  if (!Number.isInteger(w) || w < 2) {
    throw new RangeError(`Expected window to be an integer >= 2 but found ${w}`);
  }
  const n = y.length;
  const slope = nans(n), r2 = nans(n);
  const nan = nanPrefix(y);
  const sxx = (w * (w * w - 1)) / 12, xm = (w - 1) / 2;
  let c = 0, s1 = 0, s2 = 0, tk = 0, k = 0;
  for (let t = Math.max(from, w - 1); t < n; t++) {
    if (nan[t + 1] - nan[t + 1 - w] > 0) {
      k = 0;
      continue;
    }
    if (k === 0) {
      c = y[t];
      s1 = s2 = tk = 0;
      for (let j = 0; j < w; j++) {
        const u = y[t - w + 1 + j] - c;
        s1 += u;
        s2 += u * u;
        tk += j * u;
      }
    } else {
      // T(t) = Σ_j j·u(t−w+1+j) = T(t−1) + w·u(t) − S(t)
      const u = y[t] - c, uo = y[t - w] - c;
      s1 += u - uo;
      s2 += u * u - uo * uo;
      tk += w * u - s1;
    }
    if (++k === REANCHOR) k = 0;
    const sxy = tk - xm * s1;
    slope[t] = sxy / sxx;
    const syy = s2 - (s1 * s1) / w;
    r2[t] = syy > 0 ? Math.min(1, Math.max(0, (sxy * sxy) / (sxx * syy))) : NaN;
  }
  return { slope, r2 };
}

/**
 * Rolling sample covariance matrix (n − 1) and means of k series over the trailing w rows, in one
 * pass: running sums of deviations from per-series anchors, recomputed directly every REANCHOR
 * rows (as in _kernels.ts), so k series cost k(k+1)/2 products per row instead of k(k+1)/2 kernel
 * calls. NaN counts as missing: `ok[i]` = 1 when series i has no NaN in the window; entries
 * involving a series that is not ok are meaningless (a NaN is read as 0 so the others slide on,
 * and pairwise results equal those of `rollingCovCorr` on the two series). Calls
 * `emit(t, cov, mean, ok)` (row-major k×k, reused buffers) at rows t = max(start, w − 1)..n−1.
 * Candidate for `_kernels.ts`.
 */
export function rollingCovMatrix(
  xs: readonly Float64Array[],
  w: number,
  start: number,
  emit: (t: number, cov: Float64Array, mean: Float64Array, ok: Uint8Array) => void,
): void {
  if (!Number.isInteger(w) || w < 2) {
    throw new RangeError(`Expected window to be an integer >= 2 but found ${w}`);
  }
  const k = xs.length;
  if (k === 0) return;
  const n = xs[0].length;
  const nan = xs.map(nanPrefix);
  const cov = new Float64Array(k * k), mean = new Float64Array(k), ok = new Uint8Array(k);
  const c = new Float64Array(k), s = new Float64Array(k), p = new Float64Array(k * k);
  const u = new Float64Array(k), uo = new Float64Array(k);
  let kk = 0;
  for (let t = Math.max(start, w - 1); t < n; t++) {
    if (kk === 0) {
      for (let i = 0; i < k; i++) {
        const v = xs[i][t];
        c[i] = v === v ? v : 0;
      }
      s.fill(0);
      p.fill(0);
      for (let j = t - w + 1; j <= t; j++) {
        for (let i = 0; i < k; i++) {
          const v = xs[i][j];
          u[i] = (v === v ? v : 0) - c[i];
          s[i] += u[i];
        }
        for (let a = 0; a < k; a++) {
          const ua = u[a];
          for (let b = a; b < k; b++) p[a * k + b] += ua * u[b];
        }
      }
    } else {
      for (let i = 0; i < k; i++) {
        const v = xs[i][t], vo = xs[i][t - w];
        u[i] = (v === v ? v : 0) - c[i];
        uo[i] = (vo === vo ? vo : 0) - c[i];
        s[i] += u[i] - uo[i];
      }
      for (let a = 0; a < k; a++) {
        const ua = u[a], oa = uo[a];
        for (let b = a; b < k; b++) p[a * k + b] += ua * u[b] - oa * uo[b];
      }
    }
    if (++kk === REANCHOR) kk = 0;
    for (let a = 0; a < k; a++) {
      ok[a] = nan[a][t + 1] - nan[a][t + 1 - w] === 0 ? 1 : 0;
      mean[a] = c[a] + s[a] / w;
      for (let b = a; b < k; b++) {
        cov[a * k + b] = cov[b * k + a] = (p[a * k + b] - (s[a] * s[b]) / w) / (w - 1);
      }
    }
    emit(t, cov, mean, ok);
  }
}

/** Correlation from a covariance matrix entry; NaN when a side is flat or not ok. */
export function corrOf(cov: Float64Array, k: number, a: number, b: number, ok: Uint8Array): number {
  const va = cov[a * k + a], vb = cov[b * k + b];
  if (!ok[a] || !ok[b] || !(va > 0) || !(vb > 0)) return NaN;
  const r = cov[a * k + b] / Math.sqrt(va * vb);
  return r > 1 ? 1 : r < -1 ? -1 : r;
}

/**
 * Largest eigenvalue of the symmetric positive semi-definite k×k matrix `a` (row-major) by power
 * iteration from the unit vector `v` (overwritten with the eigenvector; pass the previous row's
 * for a warm start). Stops when the Rayleigh quotient moves by less than `tol` relative. `w` is
 * scratch of length k. Returns 0 for the zero matrix.
 */
export function powerTop(
  a: Float64Array,
  k: number,
  v: Float64Array,
  w: Float64Array,
  tol = 1e-13,
  maxIter = 2000,
): number {
  let lam = NaN, restarted = false;
  for (let it = 0; it < maxIter; it++) {
    let rq = 0, nrm = 0;
    for (let i = 0; i < k; i++) {
      let s = 0;
      for (let j = 0; j < k; j++) s += a[i * k + j] * v[j];
      w[i] = s;
      rq += v[i] * s;
      nrm += s * s;
    }
    if (!(nrm > 0)) {
      // v in the null space: restart once from the largest diagonal's axis, else the matrix is 0
      let best = -1, bi = 0;
      for (let i = 0; i < k; i++) if (a[i * k + i] > best) (best = a[i * k + i]), (bi = i);
      if (restarted || !(best > 0)) return 0;
      restarted = true;
      v.fill(0);
      v[bi] = 1;
      continue;
    }
    nrm = Math.sqrt(nrm);
    for (let i = 0; i < k; i++) v[i] = w[i] / nrm;
    if (Math.abs(rq - lam) <= tol * Math.abs(rq)) return rq;
    lam = rq;
  }
  return lam;
}

// ---------------------------------------------------------------------------------------------
// market-wide grid series (memoized per market)

/** ln(idx / 100) of a present pair on the grid. */
export function logLevel(m: Market, pair: string): Float64Array {
  return memo(m, `xsec:log:${pair}`, () => {
    const c = m.close.get(pair)!;
    const out = new Float64Array(c.length);
    for (let g = 0; g < c.length; g++) out[g] = Math.log(c[g] / 100);
    return out;
  });
}

/** Window (grid minutes) of the currency-strength change. */
export const STRENGTH_WINDOW = 60;

/**
 * Currency strength of `c` on the grid: the average w-minute log return of c against the other
 * currency over the present pairs holding c (a pair counts where both ends of the window are
 * defined): S(g) = mean_p sign_p · (ℓ_p(g) − ℓ_p(g − w)). NaN when no pair counts.
 */
export function currencyStrength(m: Market, c: Currency, w = STRENGTH_WINDOW): Float64Array {
  return memo(m, `xsec:strength:${c}:${w}`, () => {
    const G = m.ts.length;
    const sum = new Float64Array(G), cnt = new Float64Array(G);
    for (const { pair, sign } of pairsOf(c)) {
      if (!m.close.has(pair)) continue;
      const l = logLevel(m, pair);
      for (let g = w; g < G; g++) {
        const d = l[g] - l[g - w];
        if (d === d) {
          sum[g] += sign * d;
          cnt[g]++;
        }
      }
    }
    const out = nans(G);
    for (let g = 0; g < G; g++) if (cnt[g] > 0) out[g] = sum[g] / cnt[g];
    return out;
  });
}

/** The 7 USD pairs, SPEC order. */
export const USD_PAIRS: readonly string[] = PAIRS.filter((p) => legs(p).includes("usd"));
/** Grid minutes of the USD-factor loading estimate. */
export const PCA_WINDOW = 1440;
/** Least complete rows for an estimate (else the previous loadings stay). */
const PCA_MIN_ROWS = 720;
/** Windows of the USD-factor statistics. */
export const USD_WINDOWS = { chg: [5, 15], vol: 30, z: 60, trend: 20 } as const;

/** USD-factor grid series (see crossPair's module doc). */
export interface UsdFactor {
  level: Float64Array;
  chg5: Float64Array;
  chg15: Float64Array;
  vol30: Float64Array;
  z60: Float64Array;
  trend20: Float64Array;
  /** Per grid row, the loadings (row-major grid × pairs.length), NaN before the first estimate. */
  weights: Float64Array;
  /** USD pairs used, and their signs (+1 when USD is the base). */
  pairs: string[];
  signs: number[];
}

/**
 * First principal component of the present USD pairs' oriented 1-minute returns (sign +1 for
 * usdXXX, −1 for XXXusd, so each is "USD against X"). Loadings are re-estimated at the first grid
 * minute of every UTC day from the covariance of the previous {@linkcode PCA_WINDOW} grid minutes
 * (rows where every USD pair has a return; at least 720 of them, else the previous loadings stay),
 * by power iteration from the equal-weight vector until it moves < 1e-14 (cold start: the same inputs give the same
 * loadings, so a live tail reproduces them), signed so that their sum is positive (USD strength)
 * and scaled to Σ|w| = 1 (a weighted average of oriented returns). They apply from that minute on;
 * NaN before the first estimate.
 *
 * Every statistic uses the loadings of the current minute applied to the component series (so a
 * daily re-estimate never makes a jump in them): level = Σ wᵢ sᵢ ℓᵢ(g); change k = Σ wᵢ sᵢ (ℓᵢ(g) −
 * ℓᵢ(g−k)); trend 20 = Σ wᵢ sᵢ · slope of ℓᵢ over 20 grid minutes; vol 30 = sqrt(wᵀ C₃₀ w), C₃₀ the
 * sample covariance of oriented returns over 30 minutes (= the std of the factor return); z 60 =
 * (level − Σ wᵢ sᵢ mean₆₀ ℓᵢ) / sqrt(wᵀ L₆₀ w), L₆₀ the covariance of the oriented levels.
 */
export function usdFactor(m: Market): UsdFactor {
  return memo(m, "xsec:usd", () => {
    const G = m.ts.length;
    const pairs = USD_PAIRS.filter((p) => m.close.has(p));
    const k = pairs.length;
    const signs = pairs.map((p) => (p.startsWith("usd") ? 1 : -1));
    const rets = pairs.map((p, i) => {
      const r = m.ret.get(p)!, o = new Float64Array(G);
      for (let g = 0; g < G; g++) o[g] = signs[i] * r[g];
      return o;
    });
    const levels = pairs.map((p, i) => {
      const l = logLevel(m, p), o = new Float64Array(G);
      for (let g = 0; g < G; g++) o[g] = signs[i] * l[g];
      return o;
    });
    // loadings per grid row
    const W = nans(G * Math.max(k, 1));
    const cur = new Float64Array(k).fill(NaN);
    const cov = new Float64Array(k * k), mean = new Float64Array(k);
    const v = new Float64Array(k), scratch = new Float64Array(k);
    for (let g = 0; g < G; g++) {
      const newDay = g >= PCA_WINDOW &&
        Math.floor(m.ts[g] / 86_400_000) !== Math.floor(m.ts[g - 1] / 86_400_000);
      if (newDay && k > 0 && estimate(rets, g - PCA_WINDOW, g, cov, mean, v, scratch)) cur.set(v);
      W.set(cur, g * k);
    }
    const level = nans(G), chg5 = nans(G), chg15 = nans(G), trend20 = nans(G);
    const vol30 = nans(G), z60 = nans(G);
    const var30 = new Float64Array(G), var60 = new Float64Array(G), mean60 = new Float64Array(G);
    if (k === 0) {
      return { level, chg5, chg15, vol30, z60, trend20, weights: W, pairs, signs };
    }
    level.fill(0);
    chg5.fill(0);
    chg15.fill(0);
    trend20.fill(0);
    for (let i = 0; i < k; i++) {
      const l = levels[i];
      const sl = rollingLinFit(l, USD_WINDOWS.trend).slope;
      const mu = rollingMean(l, USD_WINDOWS.z);
      for (let g = 0; g < G; g++) {
        const wi = W[g * k + i];
        level[g] += wi * l[g];
        chg5[g] += g >= 5 ? wi * (l[g] - l[g - 5]) : NaN;
        chg15[g] += g >= 15 ? wi * (l[g] - l[g - 15]) : NaN;
        trend20[g] += wi * sl[g];
        mean60[g] += wi * mu[g];
      }
    }
    // wᵀ C w with the current loadings, C the rolling covariance of returns (30) / levels (60)
    const quad = (xs: Float64Array[], win: number, acc: Float64Array) => {
      acc.fill(NaN);
      rollingCovMatrix(xs, win, 0, (g, cov, _mean, ok) => {
        let q = 0;
        for (let i = 0; i < k; i++) {
          if (!ok[i]) return;
          const wi = W[g * k + i];
          for (let j = 0; j < k; j++) q += wi * W[g * k + j] * cov[i * k + j];
        }
        acc[g] = q;
      });
    };
    quad(rets, USD_WINDOWS.vol, var30);
    quad(levels, USD_WINDOWS.z, var60);
    for (let g = 0; g < G; g++) {
      vol30[g] = var30[g] >= 0 ? Math.sqrt(var30[g]) : var30[g] < 0 ? 0 : NaN;
      z60[g] = var60[g] > 0 ? (level[g] - mean60[g]) / Math.sqrt(var60[g]) : NaN;
    }
    return { level, chg5, chg15, vol30, z60, trend20, weights: W, pairs, signs };
  });
}

/** PC1 loadings from rows a..b−1 of the oriented returns into v; false when too few rows. */
function estimate(
  rets: Float64Array[],
  a: number,
  b: number,
  cov: Float64Array,
  mean: Float64Array,
  v: Float64Array,
  scratch: Float64Array,
): boolean {
  const k = rets.length;
  let rowsOk = 0;
  mean.fill(0);
  cov.fill(0);
  for (let g = a; g < b; g++) {
    let ok = true;
    for (let i = 0; i < k && ok; i++) ok = rets[i][g] === rets[i][g];
    if (!ok) continue;
    rowsOk++;
    for (let i = 0; i < k; i++) mean[i] += rets[i][g];
  }
  if (rowsOk < PCA_MIN_ROWS) return false;
  for (let i = 0; i < k; i++) mean[i] /= rowsOk;
  for (let g = a; g < b; g++) {
    let ok = true;
    for (let i = 0; i < k && ok; i++) ok = rets[i][g] === rets[i][g];
    if (!ok) continue;
    for (let i = 0; i < k; i++) {
      const di = rets[i][g] - mean[i];
      for (let j = i; j < k; j++) cov[i * k + j] += di * (rets[j][g] - mean[j]);
    }
  }
  for (let i = 0; i < k; i++) {
    for (let j = i; j < k; j++) cov[j * k + i] = cov[i * k + j] /= rowsOk - 1;
  }
  // power iteration to a converged vector (once a day: cost is nil)
  v.fill(1 / Math.sqrt(k));
  let moved = Infinity;
  for (let it = 0; it < 20_000 && moved > 1e-14; it++) {
    let nrm = 0;
    for (let i = 0; i < k; i++) {
      let s = 0;
      for (let j = 0; j < k; j++) s += cov[i * k + j] * v[j];
      scratch[i] = s;
      nrm += s * s;
    }
    if (!(nrm > 0)) return false;
    nrm = Math.sqrt(nrm);
    moved = 0;
    for (let i = 0; i < k; i++) {
      const x = scratch[i] / nrm;
      moved = Math.max(moved, Math.abs(x - v[i]));
      v[i] = x;
    }
  }
  let sum = 0, abs = 0;
  for (let i = 0; i < k; i++) {
    sum += v[i];
    abs += Math.abs(v[i]);
  }
  const s = (sum < 0 ? -1 : 1) / abs;
  for (let i = 0; i < k; i++) v[i] *= s;
  return true;
}

/**
 * Market-wide average pairwise correlation: the mean, over every two present pairs, of the
 * rolling correlation of their 1-minute grid returns over w grid minutes (NaN correlations, e.g. a
 * flat pair, are left out; NaN when none is defined).
 */
export function marketAvgCorr(m: Market, w: number): Float64Array {
  return memo(m, `xsec:avgcorr:${w}`, () => {
    const G = m.ts.length, xs = m.pairs.map((p) => m.ret.get(p)!), k = xs.length;
    const out = nans(G);
    rollingCovMatrix(xs, w, 0, (g, cov, _mean, ok) => {
      let sum = 0, cnt = 0;
      for (let i = 0; i < k; i++) {
        for (let j = i + 1; j < k; j++) {
          const r = corrOf(cov, k, i, j, ok);
          if (r === r) {
            sum += r;
            cnt++;
          }
        }
      }
      if (cnt > 0) out[g] = sum / cnt;
    });
    return out;
  });
}

/**
 * Cross-sectional dispersion of the present pairs' 1-minute grid log returns: their sample
 * standard deviation (n − 1) at each minute, NaN where fewer than 2 are defined.
 */
export function marketDispersion(m: Market): Float64Array {
  return memo(m, "xsec:dispersion", () => {
    const G = m.ts.length;
    const s1 = new Float64Array(G), cnt = new Float64Array(G);
    const rets = m.pairs.map((p) => m.ret.get(p)!);
    for (const r of rets) {
      for (let g = 0; g < G; g++) {
        if (r[g] === r[g]) {
          s1[g] += r[g];
          cnt[g]++;
        }
      }
    }
    const ss = new Float64Array(G);
    for (const r of rets) {
      for (let g = 0; g < G; g++) {
        if (r[g] === r[g]) {
          const d = r[g] - s1[g] / cnt[g];
          ss[g] += d * d;
        }
      }
    }
    const out = nans(G);
    for (let g = 0; g < G; g++) if (cnt[g] >= 2) out[g] = Math.sqrt(ss[g] / (cnt[g] - 1));
    return out;
  });
}
