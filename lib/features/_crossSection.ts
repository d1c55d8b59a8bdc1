/**
 * Shared machinery of the cross-sectional families (`correlation`, `crossPair`, `dualDomain`,
 * SPEC §5): the fixed choice of sister pairs and triangles, the market-wide grid series memoized
 * per market and computed lazily over the grid rows asked for ({@linkcode lazyGrid}: currency
 * strength, USD factor, average pairwise correlation, dispersion, return volatility), a rolling
 * linear fit, one-pass rolling correlations and covariance matrices that write straight into a
 * pair's columns, the two top eigenvalues of a covariance matrix, and the small "block" scaffold
 * that keeps `specs()` and `compute()` in step. Private to `lib/features/` (never re-exported).
 * `rollingLinFit`, `corrPair` and `rollingCovsAt` are candidates for `_kernels.ts`.
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
import { nanPrefix, REANCHOR, rollingMean, rollingStd, rollingZ } from "./_kernels.ts";
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
import { buildMarket } from "./market.ts";

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

const sisterMemo = new Map<string, readonly string[]>();

/** The 5 sister pairs of `pair`: the most liquid pairs sharing exactly one currency with it. */
export function sisters(pair: string): string[] {
  let v = sisterMemo.get(pair);
  if (!v) {
    const [b, q] = legs(pair);
    v = PAIRS_BY_LIQUIDITY.filter((p) => {
      if (p === pair) return false;
      const l = legs(p);
      return l.includes(b) || l.includes(q);
    }).slice(0, N_SISTERS);
    sisterMemo.set(pair, v);
  }
  return v.slice();
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

const triangleMemo = new Map<string, Triangle>();

/** The triangle of `pair` A/B through the most liquid other currency X. */
export function triangle(pair: string): Triangle {
  let v = triangleMemo.get(pair);
  if (!v) {
    const [a, b] = legs(pair);
    const x = LIQUIDITY.find((c) => c !== a && c !== b)!;
    const l1 = pairOf(a, x), l2 = pairOf(x, b);
    v = { via: x, legs: [l1, l2], signs: [l1.startsWith(a) ? 1 : -1, l2.startsWith(x) ? 1 : -1] };
    triangleMemo.set(pair, v);
  }
  return { via: v.via, legs: [...v.legs], signs: [...v.signs] };
}

/** Pairs holding currency `c`, SPEC order, with the sign making them "c against the other". */
export function pairsOf(c: Currency): { pair: string; sign: 1 | -1 }[] {
  return PAIRS.filter((p) => p.startsWith(c) || p.endsWith(c)).map((p) => ({
    pair: p,
    sign: p.startsWith(c) ? 1 : -1,
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
  /**
   * First grid row the memoized market-wide series must cover: 0 in batch (`from` = 0: computed
   * once, whole, per market), else `gFrom` (the live path: only the rows this call reads).
   */
  gNeed: number;
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
 * the pair alone is built (cross-pair columns then stay NaN). The specs (and each block's column
 * names) are cached by (pair, present pairs): the live path asks for them once a minute per pair.
 */
export function blockFamily(name: string, blocks: readonly Block[]): FeatureFamily {
  const names = new Map<string, string[][]>();
  const blockNames = (pair: string, present: readonly string[]) => {
    const key = `${pair}|${present.join(",")}`;
    let v = names.get(key);
    if (!v) {
      if (names.size > 256) names.clear();
      v = blocks.map((b) => b.specs(pair, present).map((s) => s.name));
      names.set(key, v);
    }
    return v;
  };
  const all = new Map<string, FeatureSpec[]>();
  return {
    name,
    specs: (pair, present) => {
      const key = `${pair}|${present.join(",")}`;
      let v = all.get(key);
      if (!v) {
        if (all.size > 256) all.clear();
        v = blocks.flatMap((b) => b.specs(pair, present));
        all.set(key, v);
      }
      return v.slice();
    },
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
      const gFrom = from < series.n ? rows[from] : market.ts.length;
      const c: XContext = {
        series,
        pair: series.pair,
        n: series.n,
        from,
        market,
        rows,
        gFrom,
        gNeed: from === 0 ? 0 : gFrom,
        has: (p) => present.has(p),
      };
      const bn = blockNames(series.pair, market.pairs);
      blocks.forEach((b, i) => {
        const cols = bn[i].map((s) => out(s));
        if (from < series.n) b.fill(c, cols);
      });
    },
  };
}

/** Copy a grid series into an own-row column at rows from..n−1. */
export function pick(c: XContext, grid: Float64Array, col: Float64Array): void {
  const rows = c.rows;
  for (let t = c.from; t < c.n; t++) col[t] = grid[rows[t]];
}

// ---------------------------------------------------------------------------------------------
// small numerics

/** NaN-filled Float64Array. */
export function nans(n: number): Float64Array {
  return new Float64Array(n).fill(NaN);
}

/** Rows between direct recomputations of running sums in this module's kernels (at least). */
const RESUM = 64;
/**
 * Grid rows per call of a chunked kernel: a function called once with a long loop only gets V8's
 * on-stack-replacement code, markedly slower than the fully optimized code of a function called
 * many times, so the long passes run in chunks with their running sums carried in a state array.
 */
const CHUNK_ROWS = 2048;

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
 * Rolling Pearson correlations of one series with several: corr(x(g), ys[j](g − lag)) over the
 * trailing w rows g, written to `outs[j][t]` at rows t = from..n−1 where g = rows[t] (grid
 * series read at a pair's own rows) or g = t when `rows` is null; with `betas`, `betas[j][t]` =
 * cov(x, y_j)/var(y_j) (NaN when y_j is flat). See {@linkcode corrPair}.
 */
export function corrStar(
  x: Float64Array,
  ys: readonly Float64Array[],
  lag: number,
  w: number,
  rows: Int32Array | null,
  from: number,
  n: number,
  outs: readonly Float64Array[],
  betas?: readonly Float64Array[],
): void {
  for (let j = 0; j < ys.length; j++) {
    corrPair(x, ys[j], lag, w, rows, from, n, outs[j], betas ? betas[j] : null);
  }
}

/**
 * Rolling Pearson correlation corr(x(g), y(g − lag)) over the trailing w rows g, written to
 * `out[t]` at rows t = from..n−1 where g = rows[t] (a grid series read at a pair's own rows) or
 * g = t when `rows` is null; with `beta`, beta[t] = cov/var(y) (NaN when y is flat). One pass over
 * g from the first row written, no allocation: sums of deviations from anchors slide in O(1) and
 * are recomputed directly every max(64, w) rows; a NaN is counted (and adds nothing), and a window
 * holding one (or reaching before row 0) yields no value (the column keeps its NaN). Correlation
 * is NaN when a side is flat (no change in the window: tracked exactly, not read off the sums),
 * clamped to [−1, 1]: the values of `rollingCovCorr` (which can leave a rounding residue there).
 */
export function corrPair(
  x: Float64Array,
  y: Float64Array,
  lag: number,
  w: number,
  rows: Int32Array | null,
  from: number,
  n: number,
  out: Float64Array,
  beta: Float64Array | null = null,
): void {
  const first = w - 1 + lag;
  let t = from;
  if (rows) {
    while (t < n && rows[t] < first) t++;
  } else if (t < first) t = first;
  if (t >= n) return;
  const g0 = rows ? rows[t] : t, gEnd = rows ? rows[n - 1] : n - 1;
  // state: anchors and sums (cx sx sxx nx cy sy syy sxy ny), rows to the next direct
  // recomputation, last change of x and of y (see corrPairChunk)
  const st = new Float64Array(12);
  st[10] = lastChange(x, g0, w);
  st[11] = lastChange(y, g0 - lag, w);
  for (let a = g0; a <= gEnd && t < n; a += CHUNK_ROWS) {
    t = corrPairChunk(
      x,
      y,
      lag,
      w,
      rows,
      n,
      out,
      beta,
      st,
      a,
      Math.min(gEnd + 1, a + CHUNK_ROWS),
      t,
    );
  }
}

/** Grid rows ga..gb−1 of {@linkcode corrPair} (chunked: {@linkcode CHUNK_ROWS}); the next row t. */
function corrPairChunk(
  x: Float64Array,
  y: Float64Array,
  lag: number,
  w: number,
  rows: Int32Array | null,
  n: number,
  out: Float64Array,
  beta: Float64Array | null,
  st: Float64Array,
  ga: number,
  gb: number,
  t: number,
): number {
  const R = Math.max(RESUM, w), iw = 1 / w;
  let cx = st[0], sx = st[1], sxx = st[2], nx = st[3] | 0, cy = st[4], sy = st[5], syy = st[6];
  let sxy = st[7], ny = st[8] | 0, k = st[9] | 0, lx = st[10], ly = st[11];
  let next = rows ? rows[t] : t;
  for (let g = ga; g < gb; g++) {
    if (x[g] !== x[g - 1]) lx = g;
    if (y[g - lag] !== y[g - lag - 1]) ly = g - lag;
    if (k === 0) {
      const x0 = x[g], y0 = y[g - lag];
      cx = x0 === x0 ? x0 : 0;
      cy = y0 === y0 ? y0 : 0;
      sx =
        sxx =
        sy =
        syy =
        sxy =
          0;
      nx = ny = 0;
      for (let h = g - w + 1; h <= g; h++) {
        const xv = x[h], yv = y[h - lag];
        let a = 0, b = 0;
        if (xv !== xv) nx++;
        else a = xv - cx;
        if (yv !== yv) ny++;
        else b = yv - cy;
        sx += a;
        sxx += a * a;
        sy += b;
        syy += b * b;
        sxy += a * b;
      }
    } else {
      const xi = x[g], xo = x[g - w], yi = y[g - lag], yo = y[g - w - lag];
      let a = 0, ao = 0, b = 0, bo = 0;
      if (xi !== xi) nx++;
      else a = xi - cx;
      if (xo !== xo) nx--;
      else ao = xo - cx;
      if (yi !== yi) ny++;
      else b = yi - cy;
      if (yo !== yo) ny--;
      else bo = yo - cy;
      sx += a - ao;
      sxx += a * a - ao * ao;
      sy += b - bo;
      syy += b * b - bo * bo;
      sxy += a * b - ao * bo;
    }
    if (++k === R) k = 0;
    if (g !== next) continue;
    if (nx === 0 && ny === 0) {
      // a flat side (no change in the window) has exactly 0 variance, whatever the sums left
      const fx = lx <= g - w + 1, fy = ly <= g - lag - w + 1;
      const cxy = fx || fy ? 0 : sxy - sx * sy * iw;
      const vx = fx ? 0 : sxx - sx * sx * iw, vy = fy ? 0 : syy - sy * sy * iw;
      if (vx > 0 && vy > 0) {
        const r = cxy / Math.sqrt(vx * vy);
        out[t] = r > 1 ? 1 : r < -1 ? -1 : r;
      }
      if (beta) beta[t] = vy > 0 ? cxy / vy : NaN;
    }
    if (++t >= n) break;
    next = rows ? rows[t] : t;
  }
  st[0] = cx;
  st[1] = sx;
  st[2] = sxx;
  st[3] = nx;
  st[4] = cy;
  st[5] = sy;
  st[6] = syy;
  st[7] = sxy;
  st[8] = ny;
  st[9] = k;
  st[10] = lx;
  st[11] = ly;
  return t;
}

/**
 * The last index h in [i − w + 2, i] where x changes (x[h] !== x[h − 1], NaN counts as a change),
 * else i − w + 1: the window x[i − w + 1..i] is flat when the result is <= i − w + 1 (a window
 * reaching before row 0 never reads as flat). Kernels then track it in O(1) per row: sliding sums
 * of a flat window keep a rounding residue of the values that left, and a flat side must read as
 * exactly 0 variance.
 */
function lastChange(x: Float64Array, i: number, w: number): number {
  const lo = Math.max(1, i - w + 2);
  for (let h = i; h >= lo; h--) if (x[h] !== x[h - 1]) return h;
  return lo - 1;
}

/**
 * {@linkcode corrPair} over two windows w0 <= w1 in one pass (the row entering is shared), into
 * out0 and out1.
 */
export function corrPair2(
  x: Float64Array,
  y: Float64Array,
  lag: number,
  w0: number,
  w1: number,
  rows: Int32Array | null,
  from: number,
  n: number,
  out0: Float64Array,
  out1: Float64Array,
): void {
  const first = w0 - 1 + lag;
  let t = from;
  if (rows) {
    while (t < n && rows[t] < first) t++;
  } else if (t < first) t = first;
  if (t >= n) return;
  const g0 = rows ? rows[t] : t, gEnd = rows ? rows[n - 1] : n - 1;
  // state (see corrPair2Chunk): anchors, rows to the next direct recomputation, last changes, sums
  const st = new Float64Array(19);
  st[3] = lastChange(x, g0, w1);
  st[4] = lastChange(y, g0 - lag, w1);
  for (let a = g0; a <= gEnd && t < n; a += CHUNK_ROWS) {
    const b = Math.min(gEnd + 1, a + CHUNK_ROWS);
    t = corrPair2Chunk(x, y, lag, w0, w1, rows, n, out0, out1, st, a, b, t);
  }
}

/**
 * Grid rows ga..gb−1 of {@linkcode corrPair2} (chunked: {@linkcode CHUNK_ROWS}); the next row t.
 */
function corrPair2Chunk(
  x: Float64Array,
  y: Float64Array,
  lag: number,
  w0: number,
  w1: number,
  rows: Int32Array | null,
  n: number,
  out0: Float64Array,
  out1: Float64Array,
  st: Float64Array,
  ga: number,
  gb: number,
  t: number,
): number {
  const R = Math.max(RESUM, w1), iw0 = 1 / w0, iw1 = 1 / w1;
  let cx = st[0],
    cy = st[1],
    k = st[2] | 0,
    lx = st[3],
    ly = st[4],
    sx0 = st[5],
    sxx0 = st[6],
    sy0 = st[7],
    syy0 = st[8],
    sxy0 = st[9],
    nx0 = st[10] | 0,
    ny0 = st[11] | 0,
    sx1 = st[12],
    sxx1 = st[13],
    sy1 = st[14],
    syy1 = st[15],
    sxy1 = st[16],
    nx1 = st[17] | 0,
    ny1 = st[18] | 0;
  let next = rows ? rows[t] : t;
  for (let g = ga; g < gb; g++) {
    if (x[g] !== x[g - 1]) lx = g;
    if (y[g - lag] !== y[g - lag - 1]) ly = g - lag;
    if (k === 0) {
      const x0 = x[g], y0 = y[g - lag];
      cx = x0 === x0 ? x0 : 0;
      cy = y0 === y0 ? y0 : 0;
      sx0 =
        sxx0 =
        sy0 =
        syy0 =
        sxy0 =
        sx1 =
        sxx1 =
        sy1 =
        syy1 =
        sxy1 =
          0;
      nx0 = ny0 = 0;
      // rows h < lag (y before row 0) count as NaN on both sides of the long window
      nx1 = ny1 = Math.max(0, w1 - 1 + lag - g);
      for (let h = Math.max(lag, g - w1 + 1); h <= g; h++) {
        const xv = x[h], yv = y[h - lag], in0 = h > g - w0;
        let a = 0, b = 0;
        if (xv !== xv) {
          nx1++;
          if (in0) nx0++;
        } else a = xv - cx;
        if (yv !== yv) {
          ny1++;
          if (in0) ny0++;
        } else b = yv - cy;
        const aa = a * a, bb = b * b, ab = a * b;
        sx1 += a;
        sxx1 += aa;
        sy1 += b;
        syy1 += bb;
        sxy1 += ab;
        if (in0) {
          sx0 += a;
          sxx0 += aa;
          sy0 += b;
          syy0 += bb;
          sxy0 += ab;
        }
      }
    } else {
      const xi = x[g], yi = y[g - lag];
      let a = 0, b = 0;
      if (xi !== xi) {
        nx0++;
        nx1++;
      } else a = xi - cx;
      if (yi !== yi) {
        ny0++;
        ny1++;
      } else b = yi - cy;
      const aa = a * a, bb = b * b, ab = a * b;
      // leaving the short window (always inside the data)
      const x0 = x[g - w0], y0 = y[g - w0 - lag];
      let ao = 0, bo = 0;
      if (x0 !== x0) nx0--;
      else ao = x0 - cx;
      if (y0 !== y0) ny0--;
      else bo = y0 - cy;
      sx0 += a - ao;
      sxx0 += aa - ao * ao;
      sy0 += b - bo;
      syy0 += bb - bo * bo;
      sxy0 += ab - ao * bo;
      // leaving the long window (rows h < lag count as NaN on both sides)
      const h1 = g - w1;
      let a1 = 0, b1 = 0;
      if (h1 < lag) {
        nx1--;
        ny1--;
      } else {
        const xv = x[h1], yv = y[h1 - lag];
        if (xv !== xv) nx1--;
        else a1 = xv - cx;
        if (yv !== yv) ny1--;
        else b1 = yv - cy;
      }
      sx1 += a - a1;
      sxx1 += aa - a1 * a1;
      sy1 += b - b1;
      syy1 += bb - b1 * b1;
      sxy1 += ab - a1 * b1;
    }
    if (++k === R) k = 0;
    if (g !== next) continue;
    if (nx0 === 0 && ny0 === 0) {
      const fx = lx <= g - w0 + 1, fy = ly <= g - lag - w0 + 1;
      const cxy = fx || fy ? 0 : sxy0 - sx0 * sy0 * iw0;
      const vx = fx ? 0 : sxx0 - sx0 * sx0 * iw0, vy = fy ? 0 : syy0 - sy0 * sy0 * iw0;
      if (vx > 0 && vy > 0) {
        const r = cxy / Math.sqrt(vx * vy);
        out0[t] = r > 1 ? 1 : r < -1 ? -1 : r;
      }
    }
    if (nx1 === 0 && ny1 === 0) {
      const fx = lx <= g - w1 + 1, fy = ly <= g - lag - w1 + 1;
      const cxy = fx || fy ? 0 : sxy1 - sx1 * sy1 * iw1;
      const vx = fx ? 0 : sxx1 - sx1 * sx1 * iw1, vy = fy ? 0 : syy1 - sy1 * sy1 * iw1;
      if (vx > 0 && vy > 0) {
        const r = cxy / Math.sqrt(vx * vy);
        out1[t] = r > 1 ? 1 : r < -1 ? -1 : r;
      }
    }
    if (++t >= n) break;
    next = rows ? rows[t] : t;
  }
  st[0] = cx;
  st[1] = cy;
  st[2] = k;
  st[3] = lx;
  st[4] = ly;
  st[5] = sx0;
  st[6] = sxx0;
  st[7] = sy0;
  st[8] = syy0;
  st[9] = sxy0;
  st[10] = nx0;
  st[11] = ny0;
  st[12] = sx1;
  st[13] = sxx1;
  st[14] = sy1;
  st[15] = syy1;
  st[16] = sxy1;
  st[17] = nx1;
  st[18] = ny1;
  return t;
}

/**
 * Rolling sample covariance matrices (n − 1) of k series over each trailing window of `ws`,
 * handed to `emit(t, covs, oks)` (row-major k×k per window, reused buffers; only the lower
 * triangle i >= j is guaranteed, 6 series over 2 windows take an unrolled path) at rows t = from..n−1
 * where g = rows[t] (or g = t when `rows` is null) and g >= min(ws) − 1. One pass from the first
 * row emitted, the windows sharing the products of the row entering: running sums of deviations
 * from per-series anchors, recomputed directly every max(64, max(ws)) rows. A NaN is counted (and
 * adds nothing), rows before 0 count as NaN: `oks[w][i]` = 1 when series i has no NaN in that
 * window (entries involving a series that is not ok are meaningless; pairwise results equal those
 * of `rollingCovCorr`).
 */
export function rollingCovsAt(
  xs: readonly Float64Array[],
  ws: readonly number[],
  rows: Int32Array | null,
  from: number,
  n: number,
  emit: (t: number, covs: readonly Float64Array[], oks: readonly Uint8Array[]) => void,
): void {
  const k = xs.length, nw = ws.length;
  if (k === 0 || nw === 0 || from >= n) return;
  if (k === 6 && nw === 2) return rollingCovs6x2(xs, ws, rows, from, n, emit);
  const wMin = Math.min(...ws), wMax = Math.max(...ws);
  let t = from;
  if (rows) {
    while (t < n && rows[t] < wMin - 1) t++;
  } else if (t < wMin - 1) t = wMin - 1;
  if (t >= n) return;
  const g0 = rows ? rows[t] : t, gEnd = rows ? rows[n - 1] : n - 1;
  const kk2 = k * k;
  const covs = ws.map(() => new Float64Array(kk2)), oks = ws.map(() => new Uint8Array(k));
  const c = new Float64Array(k), u = new Float64Array(k), nan = new Uint8Array(k);
  const s = new Float64Array(nw * k), p = new Float64Array(nw * kk2), nn = new Int32Array(nw * k);
  const uo = new Float64Array(nw * k);
  const R = Math.max(RESUM, wMax);
  let kk = 0, next = g0;
  for (let g = g0; g <= gEnd; g++) {
    if (kk === 0) {
      for (let i = 0; i < k; i++) {
        const v = xs[i][g];
        c[i] = v === v ? v : 0;
      }
      s.fill(0);
      p.fill(0);
      nn.fill(0);
      for (let q = 0; q < nw; q++) {
        const w = ws[q];
        if (w > g + 1) { for (let i = 0; i < k; i++) nn[q * k + i] = w - g - 1; // rows before 0
         }
      }
      for (let h = Math.max(0, g - wMax + 1); h <= g; h++) {
        for (let i = 0; i < k; i++) {
          const v = xs[i][h];
          if (v !== v) {
            nan[i] = 1;
            u[i] = 0;
          } else {
            nan[i] = 0;
            u[i] = v - c[i];
          }
        }
        for (let q = 0; q < nw; q++) {
          if (h <= g - ws[q]) continue;
          const so = q * k, po = q * kk2;
          for (let a = 0; a < k; a++) {
            const ua = u[a];
            s[so + a] += ua;
            nn[so + a] += nan[a];
            for (let b = a; b < k; b++) p[po + a * k + b] += ua * u[b];
          }
        }
      }
    } else {
      for (let i = 0; i < k; i++) {
        const v = xs[i][g];
        let a = 0;
        if (v !== v) {
          for (let q = 0; q < nw; q++) nn[q * k + i]++;
        } else a = v - c[i];
        u[i] = a;
      }
      for (let q = 0; q < nw; q++) {
        const go = g - ws[q], so = q * k, po = q * kk2;
        for (let i = 0; i < k; i++) {
          let ao = 0;
          if (go < 0) nn[so + i]--; // a row before 0 leaves
          else {
            const vo = xs[i][go];
            if (vo !== vo) nn[so + i]--;
            else ao = vo - c[i];
          }
          uo[so + i] = ao;
          s[so + i] += u[i] - ao;
        }
        for (let a = 0; a < k; a++) {
          const ua = u[a], oa = uo[so + a], row = po + a * k;
          for (let b = a; b < k; b++) p[row + b] += ua * u[b] - oa * uo[so + b];
        }
      }
    }
    if (++kk === R) kk = 0;
    if (g !== next) continue;
    for (let q = 0; q < nw; q++) {
      const w = ws[q], so = q * k, po = q * kk2, cov = covs[q], ok = oks[q];
      for (let a = 0; a < k; a++) {
        ok[a] = nn[so + a] === 0 ? 1 : 0;
        const sa = s[so + a] / w;
        for (let b = a; b < k; b++) {
          cov[a * k + b] = cov[b * k + a] = (p[po + a * k + b] - sa * s[so + b]) / (w - 1);
        }
      }
    }
    emit(t, covs, oks);
    if (++t >= n) break;
    next = rows ? rows[t] : t;
  }
}

/**
 * {@linkcode rollingCovsAt} for 6 series and 2 windows, unrolled (generated code: the running
 * sums live in locals; the direct recomputation is the generic one) and chunked (see
 * {@linkcode CHUNK_ROWS}). Writes the lower triangle (i >= j, row-major 6×6) of each covariance;
 * a series flat in the window (no change) has its row and column exactly 0.
 */
function rollingCovs6x2(
  xs: readonly Float64Array[],
  ws: readonly number[],
  rows: Int32Array | null,
  from: number,
  n: number,
  emit: (t: number, covs: readonly Float64Array[], oks: readonly Uint8Array[]) => void,
): void {
  const wMin = Math.min(ws[0], ws[1]);
  let t = from;
  if (rows) {
    while (t < n && rows[t] < wMin - 1) t++;
  } else if (t < wMin - 1) t = wMin - 1;
  if (t >= n) return;
  const g0 = rows ? rows[t] : t, gEnd = rows ? rows[n - 1] : n - 1;
  const cov0 = new Float64Array(36), cov1 = new Float64Array(36);
  const ok0 = new Uint8Array(6), ok1 = new Uint8Array(6);
  // running sums (the order of covSums6x2), the rows left before a direct recomputation, and
  // the last row where each series changed (a flat series has exactly 0 variance)
  const state = new Float64Array(79);
  state[73] = lastChange(xs[0], g0, Math.max(ws[0], ws[1]));
  state[74] = lastChange(xs[1], g0, Math.max(ws[0], ws[1]));
  state[75] = lastChange(xs[2], g0, Math.max(ws[0], ws[1]));
  state[76] = lastChange(xs[3], g0, Math.max(ws[0], ws[1]));
  state[77] = lastChange(xs[4], g0, Math.max(ws[0], ws[1]));
  state[78] = lastChange(xs[5], g0, Math.max(ws[0], ws[1]));
  for (let a = g0; a <= gEnd && t < n; a += CHUNK_ROWS) {
    t = covs6x2Chunk(
      xs,
      ws,
      rows,
      n,
      emit,
      cov0,
      cov1,
      ok0,
      ok1,
      state,
      a,
      Math.min(gEnd + 1, a + CHUNK_ROWS),
      t,
    );
  }
}

/** Grid rows a..b−1 of {@linkcode rollingCovs6x2}; returns the next own row to emit. */
function covs6x2Chunk(
  xs: readonly Float64Array[],
  ws: readonly number[],
  rows: Int32Array | null,
  n: number,
  emit: (t: number, covs: readonly Float64Array[], oks: readonly Uint8Array[]) => void,
  cov0: Float64Array,
  cov1: Float64Array,
  ok0: Uint8Array,
  ok1: Uint8Array,
  state: Float64Array,
  a: number,
  b: number,
  t: number,
): number {
  const w0 = ws[0], w1 = ws[1], covs = [cov0, cov1], oks = [ok0, ok1];
  const R = Math.max(RESUM, w0, w1), st = new Float64Array(72);
  const x0 = xs[0], x1 = xs[1], x2 = xs[2], x3 = xs[3], x4 = xs[4], x5 = xs[5];
  let c0 = state[0],
    c1 = state[1],
    c2 = state[2],
    c3 = state[3],
    c4 = state[4],
    c5 = state[5],
    s0_0 = state[6],
    s0_1 = state[7],
    s0_2 = state[8],
    s0_3 = state[9],
    s0_4 = state[10],
    s0_5 = state[11],
    s1_0 = state[12],
    s1_1 = state[13],
    s1_2 = state[14],
    s1_3 = state[15],
    s1_4 = state[16],
    s1_5 = state[17],
    n0_0 = state[18] | 0,
    n0_1 = state[19] | 0,
    n0_2 = state[20] | 0,
    n0_3 = state[21] | 0,
    n0_4 = state[22] | 0,
    n0_5 = state[23] | 0,
    n1_0 = state[24] | 0,
    n1_1 = state[25] | 0,
    n1_2 = state[26] | 0,
    n1_3 = state[27] | 0,
    n1_4 = state[28] | 0,
    n1_5 = state[29] | 0,
    p0_00 = state[30],
    p0_10 = state[31],
    p0_11 = state[32],
    p0_20 = state[33],
    p0_21 = state[34],
    p0_22 = state[35],
    p0_30 = state[36],
    p0_31 = state[37],
    p0_32 = state[38],
    p0_33 = state[39],
    p0_40 = state[40],
    p0_41 = state[41],
    p0_42 = state[42],
    p0_43 = state[43],
    p0_44 = state[44],
    p0_50 = state[45],
    p0_51 = state[46],
    p0_52 = state[47],
    p0_53 = state[48],
    p0_54 = state[49],
    p0_55 = state[50],
    p1_00 = state[51],
    p1_10 = state[52],
    p1_11 = state[53],
    p1_20 = state[54],
    p1_21 = state[55],
    p1_22 = state[56],
    p1_30 = state[57],
    p1_31 = state[58],
    p1_32 = state[59],
    p1_33 = state[60],
    p1_40 = state[61],
    p1_41 = state[62],
    p1_42 = state[63],
    p1_43 = state[64],
    p1_44 = state[65],
    p1_50 = state[66],
    p1_51 = state[67],
    p1_52 = state[68],
    p1_53 = state[69],
    p1_54 = state[70],
    p1_55 = state[71];
  let kk = state[72] | 0, next = rows ? rows[t] : t;
  let lc0 = state[73],
    lc1 = state[74],
    lc2 = state[75],
    lc3 = state[76],
    lc4 = state[77],
    lc5 = state[78];
  for (let g = a; g < b; g++) {
    if (x0[g] !== x0[g - 1]) lc0 = g;
    if (x1[g] !== x1[g - 1]) lc1 = g;
    if (x2[g] !== x2[g - 1]) lc2 = g;
    if (x3[g] !== x3[g - 1]) lc3 = g;
    if (x4[g] !== x4[g - 1]) lc4 = g;
    if (x5[g] !== x5[g - 1]) lc5 = g;
    if (kk === 0) {
      covSums6x2(xs, w0, w1, g, st);
      c0 = st[0];
      c1 = st[1];
      c2 = st[2];
      c3 = st[3];
      c4 = st[4];
      c5 = st[5];
      s0_0 = st[6];
      s0_1 = st[7];
      s0_2 = st[8];
      s0_3 = st[9];
      s0_4 = st[10];
      s0_5 = st[11];
      s1_0 = st[12];
      s1_1 = st[13];
      s1_2 = st[14];
      s1_3 = st[15];
      s1_4 = st[16];
      s1_5 = st[17];
      n0_0 = st[18] | 0;
      n0_1 = st[19] | 0;
      n0_2 = st[20] | 0;
      n0_3 = st[21] | 0;
      n0_4 = st[22] | 0;
      n0_5 = st[23] | 0;
      n1_0 = st[24] | 0;
      n1_1 = st[25] | 0;
      n1_2 = st[26] | 0;
      n1_3 = st[27] | 0;
      n1_4 = st[28] | 0;
      n1_5 = st[29] | 0;
      p0_00 = st[30];
      p0_10 = st[31];
      p0_11 = st[32];
      p0_20 = st[33];
      p0_21 = st[34];
      p0_22 = st[35];
      p0_30 = st[36];
      p0_31 = st[37];
      p0_32 = st[38];
      p0_33 = st[39];
      p0_40 = st[40];
      p0_41 = st[41];
      p0_42 = st[42];
      p0_43 = st[43];
      p0_44 = st[44];
      p0_50 = st[45];
      p0_51 = st[46];
      p0_52 = st[47];
      p0_53 = st[48];
      p0_54 = st[49];
      p0_55 = st[50];
      p1_00 = st[51];
      p1_10 = st[52];
      p1_11 = st[53];
      p1_20 = st[54];
      p1_21 = st[55];
      p1_22 = st[56];
      p1_30 = st[57];
      p1_31 = st[58];
      p1_32 = st[59];
      p1_33 = st[60];
      p1_40 = st[61];
      p1_41 = st[62];
      p1_42 = st[63];
      p1_43 = st[64];
      p1_44 = st[65];
      p1_50 = st[66];
      p1_51 = st[67];
      p1_52 = st[68];
      p1_53 = st[69];
      p1_54 = st[70];
      p1_55 = st[71];
    } else {
      const q0 = g - w0, q1 = g - w1;
      let u0 = x0[g], a0 = q0 >= 0 ? x0[q0] : NaN, b0 = q1 >= 0 ? x0[q1] : NaN;
      if (u0 !== u0) {
        u0 = 0;
        n0_0++;
        n1_0++;
      } else u0 -= c0;
      if (a0 !== a0) {
        a0 = 0;
        n0_0--;
      } else a0 -= c0;
      if (b0 !== b0) {
        b0 = 0;
        n1_0--;
      } else b0 -= c0;
      s0_0 += u0 - a0;
      s1_0 += u0 - b0;
      let u1 = x1[g], a1 = q0 >= 0 ? x1[q0] : NaN, b1 = q1 >= 0 ? x1[q1] : NaN;
      if (u1 !== u1) {
        u1 = 0;
        n0_1++;
        n1_1++;
      } else u1 -= c1;
      if (a1 !== a1) {
        a1 = 0;
        n0_1--;
      } else a1 -= c1;
      if (b1 !== b1) {
        b1 = 0;
        n1_1--;
      } else b1 -= c1;
      s0_1 += u1 - a1;
      s1_1 += u1 - b1;
      let u2 = x2[g], a2 = q0 >= 0 ? x2[q0] : NaN, b2 = q1 >= 0 ? x2[q1] : NaN;
      if (u2 !== u2) {
        u2 = 0;
        n0_2++;
        n1_2++;
      } else u2 -= c2;
      if (a2 !== a2) {
        a2 = 0;
        n0_2--;
      } else a2 -= c2;
      if (b2 !== b2) {
        b2 = 0;
        n1_2--;
      } else b2 -= c2;
      s0_2 += u2 - a2;
      s1_2 += u2 - b2;
      let u3 = x3[g], a3 = q0 >= 0 ? x3[q0] : NaN, b3 = q1 >= 0 ? x3[q1] : NaN;
      if (u3 !== u3) {
        u3 = 0;
        n0_3++;
        n1_3++;
      } else u3 -= c3;
      if (a3 !== a3) {
        a3 = 0;
        n0_3--;
      } else a3 -= c3;
      if (b3 !== b3) {
        b3 = 0;
        n1_3--;
      } else b3 -= c3;
      s0_3 += u3 - a3;
      s1_3 += u3 - b3;
      let u4 = x4[g], a4 = q0 >= 0 ? x4[q0] : NaN, b4 = q1 >= 0 ? x4[q1] : NaN;
      if (u4 !== u4) {
        u4 = 0;
        n0_4++;
        n1_4++;
      } else u4 -= c4;
      if (a4 !== a4) {
        a4 = 0;
        n0_4--;
      } else a4 -= c4;
      if (b4 !== b4) {
        b4 = 0;
        n1_4--;
      } else b4 -= c4;
      s0_4 += u4 - a4;
      s1_4 += u4 - b4;
      let u5 = x5[g], a5 = q0 >= 0 ? x5[q0] : NaN, b5 = q1 >= 0 ? x5[q1] : NaN;
      if (u5 !== u5) {
        u5 = 0;
        n0_5++;
        n1_5++;
      } else u5 -= c5;
      if (a5 !== a5) {
        a5 = 0;
        n0_5--;
      } else a5 -= c5;
      if (b5 !== b5) {
        b5 = 0;
        n1_5--;
      } else b5 -= c5;
      s0_5 += u5 - a5;
      s1_5 += u5 - b5;
      const e00 = u0 * u0;
      p0_00 += e00 - a0 * a0;
      p1_00 += e00 - b0 * b0;
      const e10 = u1 * u0;
      p0_10 += e10 - a1 * a0;
      p1_10 += e10 - b1 * b0;
      const e11 = u1 * u1;
      p0_11 += e11 - a1 * a1;
      p1_11 += e11 - b1 * b1;
      const e20 = u2 * u0;
      p0_20 += e20 - a2 * a0;
      p1_20 += e20 - b2 * b0;
      const e21 = u2 * u1;
      p0_21 += e21 - a2 * a1;
      p1_21 += e21 - b2 * b1;
      const e22 = u2 * u2;
      p0_22 += e22 - a2 * a2;
      p1_22 += e22 - b2 * b2;
      const e30 = u3 * u0;
      p0_30 += e30 - a3 * a0;
      p1_30 += e30 - b3 * b0;
      const e31 = u3 * u1;
      p0_31 += e31 - a3 * a1;
      p1_31 += e31 - b3 * b1;
      const e32 = u3 * u2;
      p0_32 += e32 - a3 * a2;
      p1_32 += e32 - b3 * b2;
      const e33 = u3 * u3;
      p0_33 += e33 - a3 * a3;
      p1_33 += e33 - b3 * b3;
      const e40 = u4 * u0;
      p0_40 += e40 - a4 * a0;
      p1_40 += e40 - b4 * b0;
      const e41 = u4 * u1;
      p0_41 += e41 - a4 * a1;
      p1_41 += e41 - b4 * b1;
      const e42 = u4 * u2;
      p0_42 += e42 - a4 * a2;
      p1_42 += e42 - b4 * b2;
      const e43 = u4 * u3;
      p0_43 += e43 - a4 * a3;
      p1_43 += e43 - b4 * b3;
      const e44 = u4 * u4;
      p0_44 += e44 - a4 * a4;
      p1_44 += e44 - b4 * b4;
      const e50 = u5 * u0;
      p0_50 += e50 - a5 * a0;
      p1_50 += e50 - b5 * b0;
      const e51 = u5 * u1;
      p0_51 += e51 - a5 * a1;
      p1_51 += e51 - b5 * b1;
      const e52 = u5 * u2;
      p0_52 += e52 - a5 * a2;
      p1_52 += e52 - b5 * b2;
      const e53 = u5 * u3;
      p0_53 += e53 - a5 * a3;
      p1_53 += e53 - b5 * b3;
      const e54 = u5 * u4;
      p0_54 += e54 - a5 * a4;
      p1_54 += e54 - b5 * b4;
      const e55 = u5 * u5;
      p0_55 += e55 - a5 * a5;
      p1_55 += e55 - b5 * b5;
    }
    if (++kk === R) kk = 0;
    if (g !== next) continue;
    ok0[0] = n0_0 === 0 ? 1 : 0;
    ok0[1] = n0_1 === 0 ? 1 : 0;
    ok0[2] = n0_2 === 0 ? 1 : 0;
    ok0[3] = n0_3 === 0 ? 1 : 0;
    ok0[4] = n0_4 === 0 ? 1 : 0;
    ok0[5] = n0_5 === 0 ? 1 : 0;
    {
      const iw = 1 / w0, iv = 1 / (w0 - 1), f = g - w0 + 1;
      const m0 = lc0 <= f ? 0 : iv,
        m1 = lc1 <= f ? 0 : iv,
        m2 = lc2 <= f ? 0 : iv,
        m3 = lc3 <= f ? 0 : iv,
        m4 = lc4 <= f ? 0 : iv,
        m5 = lc5 <= f ? 0 : iv;
      cov0[0] = m0 ? (p0_00 - s0_0 * s0_0 * iw) * iv : 0;
      cov0[6] = (m1 && m0) ? (p0_10 - s0_1 * s0_0 * iw) * iv : 0;
      cov0[7] = m1 ? (p0_11 - s0_1 * s0_1 * iw) * iv : 0;
      cov0[12] = (m2 && m0) ? (p0_20 - s0_2 * s0_0 * iw) * iv : 0;
      cov0[13] = (m2 && m1) ? (p0_21 - s0_2 * s0_1 * iw) * iv : 0;
      cov0[14] = m2 ? (p0_22 - s0_2 * s0_2 * iw) * iv : 0;
      cov0[18] = (m3 && m0) ? (p0_30 - s0_3 * s0_0 * iw) * iv : 0;
      cov0[19] = (m3 && m1) ? (p0_31 - s0_3 * s0_1 * iw) * iv : 0;
      cov0[20] = (m3 && m2) ? (p0_32 - s0_3 * s0_2 * iw) * iv : 0;
      cov0[21] = m3 ? (p0_33 - s0_3 * s0_3 * iw) * iv : 0;
      cov0[24] = (m4 && m0) ? (p0_40 - s0_4 * s0_0 * iw) * iv : 0;
      cov0[25] = (m4 && m1) ? (p0_41 - s0_4 * s0_1 * iw) * iv : 0;
      cov0[26] = (m4 && m2) ? (p0_42 - s0_4 * s0_2 * iw) * iv : 0;
      cov0[27] = (m4 && m3) ? (p0_43 - s0_4 * s0_3 * iw) * iv : 0;
      cov0[28] = m4 ? (p0_44 - s0_4 * s0_4 * iw) * iv : 0;
      cov0[30] = (m5 && m0) ? (p0_50 - s0_5 * s0_0 * iw) * iv : 0;
      cov0[31] = (m5 && m1) ? (p0_51 - s0_5 * s0_1 * iw) * iv : 0;
      cov0[32] = (m5 && m2) ? (p0_52 - s0_5 * s0_2 * iw) * iv : 0;
      cov0[33] = (m5 && m3) ? (p0_53 - s0_5 * s0_3 * iw) * iv : 0;
      cov0[34] = (m5 && m4) ? (p0_54 - s0_5 * s0_4 * iw) * iv : 0;
      cov0[35] = m5 ? (p0_55 - s0_5 * s0_5 * iw) * iv : 0;
    }
    ok1[0] = n1_0 === 0 ? 1 : 0;
    ok1[1] = n1_1 === 0 ? 1 : 0;
    ok1[2] = n1_2 === 0 ? 1 : 0;
    ok1[3] = n1_3 === 0 ? 1 : 0;
    ok1[4] = n1_4 === 0 ? 1 : 0;
    ok1[5] = n1_5 === 0 ? 1 : 0;
    {
      const iw = 1 / w1, iv = 1 / (w1 - 1), f = g - w1 + 1;
      const m0 = lc0 <= f ? 0 : iv,
        m1 = lc1 <= f ? 0 : iv,
        m2 = lc2 <= f ? 0 : iv,
        m3 = lc3 <= f ? 0 : iv,
        m4 = lc4 <= f ? 0 : iv,
        m5 = lc5 <= f ? 0 : iv;
      cov1[0] = m0 ? (p1_00 - s1_0 * s1_0 * iw) * iv : 0;
      cov1[6] = (m1 && m0) ? (p1_10 - s1_1 * s1_0 * iw) * iv : 0;
      cov1[7] = m1 ? (p1_11 - s1_1 * s1_1 * iw) * iv : 0;
      cov1[12] = (m2 && m0) ? (p1_20 - s1_2 * s1_0 * iw) * iv : 0;
      cov1[13] = (m2 && m1) ? (p1_21 - s1_2 * s1_1 * iw) * iv : 0;
      cov1[14] = m2 ? (p1_22 - s1_2 * s1_2 * iw) * iv : 0;
      cov1[18] = (m3 && m0) ? (p1_30 - s1_3 * s1_0 * iw) * iv : 0;
      cov1[19] = (m3 && m1) ? (p1_31 - s1_3 * s1_1 * iw) * iv : 0;
      cov1[20] = (m3 && m2) ? (p1_32 - s1_3 * s1_2 * iw) * iv : 0;
      cov1[21] = m3 ? (p1_33 - s1_3 * s1_3 * iw) * iv : 0;
      cov1[24] = (m4 && m0) ? (p1_40 - s1_4 * s1_0 * iw) * iv : 0;
      cov1[25] = (m4 && m1) ? (p1_41 - s1_4 * s1_1 * iw) * iv : 0;
      cov1[26] = (m4 && m2) ? (p1_42 - s1_4 * s1_2 * iw) * iv : 0;
      cov1[27] = (m4 && m3) ? (p1_43 - s1_4 * s1_3 * iw) * iv : 0;
      cov1[28] = m4 ? (p1_44 - s1_4 * s1_4 * iw) * iv : 0;
      cov1[30] = (m5 && m0) ? (p1_50 - s1_5 * s1_0 * iw) * iv : 0;
      cov1[31] = (m5 && m1) ? (p1_51 - s1_5 * s1_1 * iw) * iv : 0;
      cov1[32] = (m5 && m2) ? (p1_52 - s1_5 * s1_2 * iw) * iv : 0;
      cov1[33] = (m5 && m3) ? (p1_53 - s1_5 * s1_3 * iw) * iv : 0;
      cov1[34] = (m5 && m4) ? (p1_54 - s1_5 * s1_4 * iw) * iv : 0;
      cov1[35] = m5 ? (p1_55 - s1_5 * s1_5 * iw) * iv : 0;
    }
    emit(t, covs, oks);
    if (++t >= n) break;
    next = rows ? rows[t] : t;
  }
  state[0] = c0;
  state[1] = c1;
  state[2] = c2;
  state[3] = c3;
  state[4] = c4;
  state[5] = c5;
  state[6] = s0_0;
  state[7] = s0_1;
  state[8] = s0_2;
  state[9] = s0_3;
  state[10] = s0_4;
  state[11] = s0_5;
  state[12] = s1_0;
  state[13] = s1_1;
  state[14] = s1_2;
  state[15] = s1_3;
  state[16] = s1_4;
  state[17] = s1_5;
  state[18] = n0_0;
  state[19] = n0_1;
  state[20] = n0_2;
  state[21] = n0_3;
  state[22] = n0_4;
  state[23] = n0_5;
  state[24] = n1_0;
  state[25] = n1_1;
  state[26] = n1_2;
  state[27] = n1_3;
  state[28] = n1_4;
  state[29] = n1_5;
  state[30] = p0_00;
  state[31] = p0_10;
  state[32] = p0_11;
  state[33] = p0_20;
  state[34] = p0_21;
  state[35] = p0_22;
  state[36] = p0_30;
  state[37] = p0_31;
  state[38] = p0_32;
  state[39] = p0_33;
  state[40] = p0_40;
  state[41] = p0_41;
  state[42] = p0_42;
  state[43] = p0_43;
  state[44] = p0_44;
  state[45] = p0_50;
  state[46] = p0_51;
  state[47] = p0_52;
  state[48] = p0_53;
  state[49] = p0_54;
  state[50] = p0_55;
  state[51] = p1_00;
  state[52] = p1_10;
  state[53] = p1_11;
  state[54] = p1_20;
  state[55] = p1_21;
  state[56] = p1_22;
  state[57] = p1_30;
  state[58] = p1_31;
  state[59] = p1_32;
  state[60] = p1_33;
  state[61] = p1_40;
  state[62] = p1_41;
  state[63] = p1_42;
  state[64] = p1_43;
  state[65] = p1_44;
  state[66] = p1_50;
  state[67] = p1_51;
  state[68] = p1_52;
  state[69] = p1_53;
  state[70] = p1_54;
  state[71] = p1_55;
  state[72] = kk;
  state[73] = lc0;
  state[74] = lc1;
  state[75] = lc2;
  state[76] = lc3;
  state[77] = lc4;
  state[78] = lc5;
  return t;
}

/** Direct sums of {@linkcode rollingCovs6x2} at row g into st (anchors, sums, NaN counts, products). */
function covSums6x2(
  xs: readonly Float64Array[],
  w0: number,
  w1: number,
  g: number,
  st: Float64Array,
): void {
  st.fill(0);
  for (let i = 0; i < 6; i++) {
    const v = xs[i][g];
    st[i] = v === v ? v : 0;
    st[6 + i] = 0;
    st[18 + i] = Math.max(0, w0 - g - 1);
    st[24 + i] = Math.max(0, w1 - g - 1);
  }
  const u = new Float64Array(6), nan = new Uint8Array(6), wMax = Math.max(w0, w1);
  for (let h = Math.max(0, g - wMax + 1); h <= g; h++) {
    for (let i = 0; i < 6; i++) {
      const v = xs[i][h];
      nan[i] = v !== v ? 1 : 0;
      u[i] = v !== v ? 0 : v - st[i];
    }
    for (let q = 0; q < 2; q++) {
      if (h <= g - (q === 0 ? w0 : w1)) continue;
      let m = 30 + q * 21;
      for (let i = 0; i < 6; i++) {
        st[6 + q * 6 + i] += u[i];
        st[18 + q * 6 + i] += nan[i];
        for (let j = 0; j <= i; j++) st[m++] += u[i] * u[j];
      }
    }
  }
}

/** Scratch (and warm-start state) of {@linkcode topTwoEigen} for k×k matrices. */
export interface EigenScratch {
  k: number;
  z: Float64Array;
  d: Float64Array;
  e: Float64Array;
  v: Float64Array;
  p: Float64Array;
  /** The previous matrix (lower triangle) and its two eigenvalues, when `warm`. */
  prev: Float64Array;
  l1: number;
  l2: number;
  warm: boolean;
}

/** Scratch buffers for {@linkcode topTwoEigen}. */
export function eigenScratch(k: number): EigenScratch {
  return {
    k,
    z: new Float64Array(k * k),
    d: new Float64Array(k),
    e: new Float64Array(k + 1),
    v: new Float64Array(k),
    p: new Float64Array(k),
    prev: new Float64Array(k * k),
    l1: NaN,
    l2: NaN,
    warm: false,
  };
}

/**
 * {@linkcode topTwoEigen} started from the previous call's eigenvalues when `ws.warm` (the caller
 * clears it when a row is skipped): by Weyl's inequality λᵢ(A) <= λᵢ(A′) + ‖A − A′‖_F, so the
 * previous values plus the (Frobenius) change of the matrix are upper bounds, usually within a
 * few percent, where Laguerre needs one step less. The result is the same root to rounding
 * (convergence is to full precision either way). Reads and keeps the lower triangle only (k = 6;
 * other sizes run cold).
 */
function topTwoWarm(a: Float64Array, ws: EigenScratch, out: Float64Array): void {
  if (ws.k === 6) return topTwoEigen6(a, out, ws);
  topTwoEigen(a, ws, out);
}

/**
 * The two largest eigenvalues λ1 >= λ2 of the symmetric positive semi-definite k×k matrix `a`
 * (row-major, k >= 2, only read; k = 6 reads the lower triangle) into out[0], out[1], to about
 * 1e-14 relative. The matrix, scaled by its trace, is brought to tridiagonal form by Householder
 * reflections, then Laguerre's method runs on its characteristic polynomial (three-term recurrence
 * for p, p′, p″) — for a polynomial with real roots it converges cubically and monotonically from
 * above to the largest root: from the smaller of the Gershgorin bound and the trace to λ1, then on
 * p/(x − λ1) from above λ2 (trace − λ1, or λ1 + 1e-3·trace) to λ2. A Sturm count checks that λ1,
 * λ2 and λ3 are at least 1e-4·trace apart; a cluster (where Laguerre slows down and the deflation
 * loses digits) is resolved by bisection. Cold (the default), the same matrix always gives the
 * same values; `warm` starts from the previous call's values in `ws` ({@linkcode topTwoWarm}),
 * which gives the same roots to rounding. The zero matrix gives 0, 0.
 */
export function topTwoEigen(
  a: Float64Array,
  ws: EigenScratch,
  out: Float64Array,
  warm = false,
): void {
  if (warm) return topTwoWarm(a, ws, out);
  if (ws.k === 6) return topTwoEigen6(a, out, null);
  const { k, z, d, e, v, p } = ws;
  let tr = 0;
  for (let i = 0; i < k; i++) tr += Math.abs(a[i * k + i]);
  if (!(tr > 0)) {
    out[0] = out[1] = 0;
    return;
  }
  const inv = 1 / tr;
  for (let i = 0; i < k * k; i++) z[i] = a[i] * inv;
  // Householder: column c, rows c+1..k−1 → e[c+1] (subdiagonal coupling c and c+1)
  for (let c = 0; c < k - 2; c++) {
    d[c] = z[c * k + c];
    let s2 = 0;
    for (let i = c + 2; i < k; i++) s2 += z[i * k + c] * z[i * k + c];
    const x0 = z[(c + 1) * k + c];
    if (s2 === 0) {
      e[c + 1] = x0;
      continue;
    }
    const al2 = s2 + x0 * x0, al = x0 > 0 ? -Math.sqrt(al2) : Math.sqrt(al2);
    e[c + 1] = al;
    const h = al2 - x0 * al; // vᵀv / 2
    v[c + 1] = x0 - al;
    for (let i = c + 2; i < k; i++) v[i] = z[i * k + c];
    let vp = 0;
    for (let i = c + 1; i < k; i++) {
      let sm = 0;
      for (let j = c + 1; j < k; j++) sm += z[i * k + j] * v[j];
      sm /= h;
      p[i] = sm;
      vp += v[i] * sm;
    }
    const K = vp / (2 * h);
    for (let i = c + 1; i < k; i++) p[i] -= K * v[i];
    for (let i = c + 1; i < k; i++) {
      const vi = v[i], wi = p[i];
      for (let j = c + 1; j <= i; j++) {
        const val = z[i * k + j] - vi * p[j] - wi * v[j];
        z[i * k + j] = val;
        z[j * k + i] = val;
      }
    }
  }
  d[k - 2] = z[(k - 2) * k + k - 2];
  d[k - 1] = z[(k - 1) * k + k - 1];
  e[k - 1] = z[(k - 1) * k + k - 2];
  e[0] = e[k] = 0;
  let ub = -Infinity, trace = 0;
  for (let i = 0; i < k; i++) {
    const b = d[i] + Math.abs(e[i]) + Math.abs(e[i + 1]);
    if (b > ub) ub = b;
    trace += d[i];
  }
  let l1 = laguerreTop(d, e, k, Math.min(ub, trace), NaN);
  // start λ2 well clear of λ1 (near it, p/(x − λ1) loses its digits): below λ1 at trace − λ1
  // when that bound is, else just above λ1
  const rest = trace - l1;
  let l2 = laguerreTop(d, e, k, rest < l1 - DEFLATE_GAP ? rest : l1 + DEFLATE_GAP, l1);
  // guard: λ1, λ2 and λ3 at least CLUSTER apart (λ2 then is the second eigenvalue and both are
  // to full precision); else bisection on Sturm counts
  if (l1 - l2 < CLUSTER || above(d, e, k, l2 - CLUSTER) !== 2) {
    let lo = Infinity;
    for (let i = 0; i < k; i++) lo = Math.min(lo, d[i] - Math.abs(e[i]) - Math.abs(e[i + 1]));
    l1 = bisectTop(d, e, k, 1, lo, ub);
    l2 = bisectTop(d, e, k, 2, lo, l1);
  }
  out[0] = l1 * tr;
  out[1] = l2 * tr;
}

/** Distance (trace = 1) kept from λ1 when starting the deflated iteration for λ2. */
const DEFLATE_GAP = 1e-3;
/**
 * Eigenvalues closer than this (trace = 1) make a cluster, where Laguerre's convergence is linear
 * and deflation loses digits: the two top eigenvalues are then found by bisection.
 */
const CLUSTER = 1e-4;
/**
 * Laguerre stops after a step below this (relative) that is also below 1e-3 of the step before
 * (convergence is then cubic: the error left is of the order of the step's cube; near a cluster of
 * roots it is linear, and the iteration goes on down to 1e-13).
 */
const LAGUERRE_TOL = 1e-6;

/** Number of eigenvalues of the tridiagonal matrix (d, e) above x (Sturm count, LDLᵀ pivots). */
function above(d: Float64Array, e: Float64Array, k: number, x: number): number {
  let below = 0, q = d[0] - x;
  for (let i = 0;; i++) {
    if (q === 0) q = -1e-300;
    if (q < 0) below++;
    if (i === k - 1) break;
    q = d[i + 1] - x - (e[i + 1] * e[i + 1]) / q;
  }
  return k - below;
}

/**
 * The `kth` largest eigenvalue of the tridiagonal matrix (d, e), in [lo, hi], by bisection on
 * Sturm counts to rounding (the fallback of clustered eigenvalues: slow, rare).
 */
function bisectTop(
  d: Float64Array,
  e: Float64Array,
  k: number,
  kth: number,
  lo: number,
  hi: number,
): number {
  for (let it = 0; it < 200; it++) {
    const mid = 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi) break;
    if (above(d, e, k, mid) >= kth) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

/**
 * {@linkcode topTwoEigen} for k = 6 (the pair and its 5 sisters), unrolled: the matrix lives
 * in locals (generated code: the same Householder steps and Laguerre iteration). Reads the lower
 * triangle. With `ws`, starts from its warm state (see {@linkcode topTwoWarm}) and updates it.
 */
function topTwoEigen6(a: Float64Array, out: Float64Array, ws: EigenScratch | null): void {
  const r00 = a[0],
    r10 = a[6],
    r11 = a[7],
    r20 = a[12],
    r21 = a[13],
    r22 = a[14],
    r30 = a[18],
    r31 = a[19],
    r32 = a[20],
    r33 = a[21],
    r40 = a[24],
    r41 = a[25],
    r42 = a[26],
    r43 = a[27],
    r44 = a[28],
    r50 = a[30],
    r51 = a[31],
    r52 = a[32],
    r53 = a[33],
    r54 = a[34],
    r55 = a[35];
  let h1 = NaN, h2 = NaN;
  if (ws !== null) {
    // warm start: Weyl's bound from the previous matrix (kept in ws.prev)
    const q = ws.prev;
    if (ws.warm) {
      const f00 = r00 - q[0];
      const f10 = r10 - q[6];
      const f11 = r11 - q[7];
      const f20 = r20 - q[12];
      const f21 = r21 - q[13];
      const f22 = r22 - q[14];
      const f30 = r30 - q[18];
      const f31 = r31 - q[19];
      const f32 = r32 - q[20];
      const f33 = r33 - q[21];
      const f40 = r40 - q[24];
      const f41 = r41 - q[25];
      const f42 = r42 - q[26];
      const f43 = r43 - q[27];
      const f44 = r44 - q[28];
      const f50 = r50 - q[30];
      const f51 = r51 - q[31];
      const f52 = r52 - q[32];
      const f53 = r53 - q[33];
      const f54 = r54 - q[34];
      const f55 = r55 - q[35];
      const f = Math.sqrt(
        f00 * f00 + 2 * f10 * f10 + f11 * f11 + 2 * f20 * f20 + 2 * f21 * f21 + f22 * f22 +
          2 * f30 * f30 + 2 * f31 * f31 + 2 * f32 * f32 + f33 * f33 + 2 * f40 * f40 +
          2 * f41 * f41 + 2 * f42 * f42 + 2 * f43 * f43 + f44 * f44 + 2 * f50 * f50 +
          2 * f51 * f51 + 2 * f52 * f52 + 2 * f53 * f53 + 2 * f54 * f54 + f55 * f55,
      );
      h1 = ws.l1 + f;
      h2 = ws.l2 + f;
    }
    q[0] = r00;
    q[6] = r10;
    q[7] = r11;
    q[12] = r20;
    q[13] = r21;
    q[14] = r22;
    q[18] = r30;
    q[19] = r31;
    q[20] = r32;
    q[21] = r33;
    q[24] = r40;
    q[25] = r41;
    q[26] = r42;
    q[27] = r43;
    q[28] = r44;
    q[30] = r50;
    q[31] = r51;
    q[32] = r52;
    q[33] = r53;
    q[34] = r54;
    q[35] = r55;
  }
  const tr = Math.abs(r00) + Math.abs(r11) + Math.abs(r22) + Math.abs(r33) + Math.abs(r44) +
    Math.abs(r55);
  if (!(tr > 0)) {
    out[0] = out[1] = 0;
    if (ws !== null) {
      ws.l1 = ws.l2 = 0;
      ws.warm = true;
    }
    return;
  }
  const inv = 1 / tr;
  const a00 = r00 * inv,
    a10 = r10 * inv,
    a20 = r20 * inv,
    a30 = r30 * inv,
    a40 = r40 * inv,
    a50 = r50 * inv;
  let a11 = r11 * inv,
    a21 = r21 * inv,
    a22 = r22 * inv,
    a31 = r31 * inv,
    a32 = r32 * inv,
    a33 = r33 * inv,
    a41 = r41 * inv,
    a42 = r42 * inv,
    a43 = r43 * inv,
    a44 = r44 * inv,
    a51 = r51 * inv,
    a52 = r52 * inv,
    a53 = r53 * inv,
    a54 = r54 * inv,
    a55 = r55 * inv;
  let d0 = 0, d1 = 0, d2 = 0, d3 = 0, d4 = 0, d5 = 0, e1 = 0, e2 = 0, e3 = 0, e4 = 0, e5 = 0;
  // column 0
  d0 = a00;
  {
    const s2 = a20 * a20 + a30 * a30 + a40 * a40 + a50 * a50;
    const x0 = a10;
    if (s2 === 0) {
      e1 = x0;
    } else {
      const al2 = s2 + x0 * x0, al = x0 > 0 ? -Math.sqrt(al2) : Math.sqrt(al2);
      e1 = al;
      const ih = 1 / (al2 - x0 * al);
      const v0 = x0 - al;
      const p1 = (a11 * v0 + a21 * a20 + a31 * a30 + a41 * a40 + a51 * a50) * ih;
      const p2 = (a21 * v0 + a22 * a20 + a32 * a30 + a42 * a40 + a52 * a50) * ih;
      const p3 = (a31 * v0 + a32 * a20 + a33 * a30 + a43 * a40 + a53 * a50) * ih;
      const p4 = (a41 * v0 + a42 * a20 + a43 * a30 + a44 * a40 + a54 * a50) * ih;
      const p5 = (a51 * v0 + a52 * a20 + a53 * a30 + a54 * a40 + a55 * a50) * ih;
      const kk = (v0 * p1 + a20 * p2 + a30 * p3 + a40 * p4 + a50 * p5) * 0.5 * ih;
      const w1 = p1 - kk * v0;
      const w2 = p2 - kk * a20;
      const w3 = p3 - kk * a30;
      const w4 = p4 - kk * a40;
      const w5 = p5 - kk * a50;
      a11 -= v0 * w1 + w1 * v0;
      a21 -= a20 * w1 + w2 * v0;
      a22 -= a20 * w2 + w2 * a20;
      a31 -= a30 * w1 + w3 * v0;
      a32 -= a30 * w2 + w3 * a20;
      a33 -= a30 * w3 + w3 * a30;
      a41 -= a40 * w1 + w4 * v0;
      a42 -= a40 * w2 + w4 * a20;
      a43 -= a40 * w3 + w4 * a30;
      a44 -= a40 * w4 + w4 * a40;
      a51 -= a50 * w1 + w5 * v0;
      a52 -= a50 * w2 + w5 * a20;
      a53 -= a50 * w3 + w5 * a30;
      a54 -= a50 * w4 + w5 * a40;
      a55 -= a50 * w5 + w5 * a50;
    }
  }
  // column 1
  d1 = a11;
  {
    const s2 = a31 * a31 + a41 * a41 + a51 * a51;
    const x0 = a21;
    if (s2 === 0) {
      e2 = x0;
    } else {
      const al2 = s2 + x0 * x0, al = x0 > 0 ? -Math.sqrt(al2) : Math.sqrt(al2);
      e2 = al;
      const ih = 1 / (al2 - x0 * al);
      const v0 = x0 - al;
      const p2 = (a22 * v0 + a32 * a31 + a42 * a41 + a52 * a51) * ih;
      const p3 = (a32 * v0 + a33 * a31 + a43 * a41 + a53 * a51) * ih;
      const p4 = (a42 * v0 + a43 * a31 + a44 * a41 + a54 * a51) * ih;
      const p5 = (a52 * v0 + a53 * a31 + a54 * a41 + a55 * a51) * ih;
      const kk = (v0 * p2 + a31 * p3 + a41 * p4 + a51 * p5) * 0.5 * ih;
      const w2 = p2 - kk * v0;
      const w3 = p3 - kk * a31;
      const w4 = p4 - kk * a41;
      const w5 = p5 - kk * a51;
      a22 -= v0 * w2 + w2 * v0;
      a32 -= a31 * w2 + w3 * v0;
      a33 -= a31 * w3 + w3 * a31;
      a42 -= a41 * w2 + w4 * v0;
      a43 -= a41 * w3 + w4 * a31;
      a44 -= a41 * w4 + w4 * a41;
      a52 -= a51 * w2 + w5 * v0;
      a53 -= a51 * w3 + w5 * a31;
      a54 -= a51 * w4 + w5 * a41;
      a55 -= a51 * w5 + w5 * a51;
    }
  }
  // column 2
  d2 = a22;
  {
    const s2 = a42 * a42 + a52 * a52;
    const x0 = a32;
    if (s2 === 0) {
      e3 = x0;
    } else {
      const al2 = s2 + x0 * x0, al = x0 > 0 ? -Math.sqrt(al2) : Math.sqrt(al2);
      e3 = al;
      const ih = 1 / (al2 - x0 * al);
      const v0 = x0 - al;
      const p3 = (a33 * v0 + a43 * a42 + a53 * a52) * ih;
      const p4 = (a43 * v0 + a44 * a42 + a54 * a52) * ih;
      const p5 = (a53 * v0 + a54 * a42 + a55 * a52) * ih;
      const kk = (v0 * p3 + a42 * p4 + a52 * p5) * 0.5 * ih;
      const w3 = p3 - kk * v0;
      const w4 = p4 - kk * a42;
      const w5 = p5 - kk * a52;
      a33 -= v0 * w3 + w3 * v0;
      a43 -= a42 * w3 + w4 * v0;
      a44 -= a42 * w4 + w4 * a42;
      a53 -= a52 * w3 + w5 * v0;
      a54 -= a52 * w4 + w5 * a42;
      a55 -= a52 * w5 + w5 * a52;
    }
  }
  // column 3
  d3 = a33;
  {
    const s2 = a53 * a53;
    const x0 = a43;
    if (s2 === 0) {
      e4 = x0;
    } else {
      const al2 = s2 + x0 * x0, al = x0 > 0 ? -Math.sqrt(al2) : Math.sqrt(al2);
      e4 = al;
      const ih = 1 / (al2 - x0 * al);
      const v0 = x0 - al;
      const p4 = (a44 * v0 + a54 * a53) * ih;
      const p5 = (a54 * v0 + a55 * a53) * ih;
      const kk = (v0 * p4 + a53 * p5) * 0.5 * ih;
      const w4 = p4 - kk * v0;
      const w5 = p5 - kk * a53;
      a44 -= v0 * w4 + w4 * v0;
      a54 -= a53 * w4 + w5 * v0;
      a55 -= a53 * w5 + w5 * a53;
    }
  }
  d4 = a44;
  d5 = a55;
  e5 = a54;
  const b1 = e1 * e1, b2 = e2 * e2, b3 = e3 * e3, b4 = e4 * e4, b5 = e5 * e5;
  const f1 = Math.abs(e1),
    f2 = Math.abs(e2),
    f3 = Math.abs(e3),
    f4 = Math.abs(e4),
    f5 = Math.abs(e5);
  const ub = Math.max(d0 + f1, d1 + f1 + f2, d2 + f2 + f3, d3 + f3 + f4, d4 + f4 + f5, d5 + f5);
  const trace = d0 + d1 + d2 + d3 + d4 + d5;
  // starts: upper bounds (Gershgorin, trace, and the caller's hints h1, h2 — NaN when none)
  let x1 = ub < trace ? ub : trace;
  if (h1 * inv < x1) x1 = h1 * inv;
  let l1 = laguerre6(d0, d1, d2, d3, d4, d5, b1, b2, b3, b4, b5, x1, NaN);
  const rest = trace - l1;
  let x2 = rest < l1 - DEFLATE_GAP ? rest : l1 + DEFLATE_GAP;
  if (h2 * inv < l1 - DEFLATE_GAP && h2 * inv < x2) x2 = h2 * inv;
  let l2 = laguerre6(d0, d1, d2, d3, d4, d5, b1, b2, b3, b4, b5, x2, l1);
  // guard: λ1, λ2 and λ3 at least CLUSTER apart, else bisection (see topTwoEigen)
  if (l1 - l2 < CLUSTER || above6(d0, d1, d2, d3, d4, d5, b1, b2, b3, b4, b5, l2 - CLUSTER) !== 2) {
    const d = new Float64Array([d0, d1, d2, d3, d4, d5]);
    const e = new Float64Array([0, e1, e2, e3, e4, e5, 0]);
    const lo = Math.min(d0 - f1, d1 - f1 - f2, d2 - f2 - f3, d3 - f3 - f4, d4 - f4 - f5, d5 - f5);
    l1 = bisectTop(d, e, 6, 1, lo, ub);
    l2 = bisectTop(d, e, 6, 2, lo, l1);
  }
  out[0] = l1 * tr;
  out[1] = l2 * tr;
  if (ws !== null) {
    ws.l1 = out[0];
    ws.l2 = out[1];
    ws.warm = true;
  }
}

/** {@linkcode laguerreTop} for k = 6 (b = squared subdiagonal), unrolled. */
function laguerre6(
  d0: number,
  d1: number,
  d2: number,
  d3: number,
  d4: number,
  d5: number,
  b1: number,
  b2: number,
  b3: number,
  b4: number,
  b5: number,
  x: number,
  defl: number,
): number {
  const deg = defl === defl ? 5 : 6;
  let last = Infinity;
  for (let it = 0; it < 64; it++) {
    let p0 = 1, p1 = d0 - x, q0 = 0, q1 = -1, r0 = 0, r1 = 0, ax = 0, p2 = 0, q2 = 0, r2 = 0;
    ax = d1 - x;
    p2 = ax * p1 - b1 * p0;
    q2 = ax * q1 - b1 * q0 - p1;
    r2 = ax * r1 - b1 * r0 - 2 * q1;
    p0 = p1;
    p1 = p2;
    q0 = q1;
    q1 = q2;
    r0 = r1;
    r1 = r2;
    ax = d2 - x;
    p2 = ax * p1 - b2 * p0;
    q2 = ax * q1 - b2 * q0 - p1;
    r2 = ax * r1 - b2 * r0 - 2 * q1;
    p0 = p1;
    p1 = p2;
    q0 = q1;
    q1 = q2;
    r0 = r1;
    r1 = r2;
    ax = d3 - x;
    p2 = ax * p1 - b3 * p0;
    q2 = ax * q1 - b3 * q0 - p1;
    r2 = ax * r1 - b3 * r0 - 2 * q1;
    p0 = p1;
    p1 = p2;
    q0 = q1;
    q1 = q2;
    r0 = r1;
    r1 = r2;
    ax = d4 - x;
    p2 = ax * p1 - b4 * p0;
    q2 = ax * q1 - b4 * q0 - p1;
    r2 = ax * r1 - b4 * r0 - 2 * q1;
    p0 = p1;
    p1 = p2;
    q0 = q1;
    q1 = q2;
    r0 = r1;
    r1 = r2;
    ax = d5 - x;
    p2 = ax * p1 - b5 * p0;
    q2 = ax * q1 - b5 * q0 - p1;
    r2 = ax * r1 - b5 * r0 - 2 * q1;
    if (p2 === 0) return x; // a root
    const ip = 1 / p2;
    let G = q2 * ip, H = G * G - r2 * ip;
    if (deg === 5) {
      const u = 1 / (x - defl);
      G -= u;
      H -= u * u;
    }
    const disc = (deg - 1) * (deg * H - G * G);
    const sq = disc > 0 ? Math.sqrt(disc) : 0;
    const den = G >= 0 ? G + sq : G - sq;
    if (den === 0 || den !== den) return x;
    const step = deg / den;
    x -= step;
    const s = Math.abs(step);
    if (s <= 1e-13 * Math.abs(x) || (s <= LAGUERRE_TOL * Math.abs(x) && s <= 1e-3 * last)) return x;
    last = s;
  }
  return x;
}

/** {@linkcode above} for k = 6, unrolled. */
function above6(
  d0: number,
  d1: number,
  d2: number,
  d3: number,
  d4: number,
  d5: number,
  b1: number,
  b2: number,
  b3: number,
  b4: number,
  b5: number,
  x: number,
): number {
  let q = d0 - x, below = 0;
  if (q === 0) q = -1e-300;
  if (q < 0) below++;
  q = d1 - x - b1 / q;
  if (q === 0) q = -1e-300;
  if (q < 0) below++;
  q = d2 - x - b2 / q;
  if (q === 0) q = -1e-300;
  if (q < 0) below++;
  q = d3 - x - b3 / q;
  if (q === 0) q = -1e-300;
  if (q < 0) below++;
  q = d4 - x - b4 / q;
  if (q === 0) q = -1e-300;
  if (q < 0) below++;
  q = d5 - x - b5 / q;
  if (q === 0) q = -1e-300;
  if (q < 0) below++;
  return 6 - below;
}

/**
 * Largest root, from x, of the characteristic polynomial det(T − xI) of the tridiagonal matrix
 * (diagonal d, subdiagonal e[1..k−1]), deflated by the root `defl` unless it is NaN. Laguerre
 * steps until {@linkcode LAGUERRE_TOL}.
 */
function laguerreTop(d: Float64Array, e: Float64Array, k: number, x: number, defl: number): number {
  const deg = defl === defl ? k - 1 : k;
  let last = Infinity;
  for (let it = 0; it < 64; it++) {
    let p0 = 1, p1 = d[0] - x, q0 = 0, q1 = -1, r0 = 0, r1 = 0;
    for (let i = 1; i < k; i++) {
      const b2 = e[i] * e[i], ax = d[i] - x;
      const p2 = ax * p1 - b2 * p0;
      const q2 = ax * q1 - b2 * q0 - p1;
      const r2 = ax * r1 - b2 * r0 - 2 * q1;
      p0 = p1;
      p1 = p2;
      q0 = q1;
      q1 = q2;
      r0 = r1;
      r1 = r2;
    }
    if (p1 === 0) return x; // a root
    const ip = 1 / p1;
    let G = q1 * ip, H = G * G - r1 * ip;
    if (deg !== k) {
      const u = 1 / (x - defl);
      G -= u;
      H -= u * u;
    }
    const disc = (deg - 1) * (deg * H - G * G);
    const sq = disc > 0 ? Math.sqrt(disc) : 0;
    const den = G >= 0 ? G + sq : G - sq;
    if (den === 0 || den !== den) return x;
    const step = deg / den;
    x -= step;
    const s = Math.abs(step);
    if (s <= 1e-13 * Math.abs(x) || (s <= LAGUERRE_TOL * Math.abs(x) && s <= 1e-3 * last)) return x;
    last = s;
  }
  return x;
}

// ---------------------------------------------------------------------------------------------
// market-wide grid series (memoized per market, computed lazily over the grid rows asked for)

interface Lazy<T> {
  /** Rows lo..G−1 are computed. */
  lo: number;
  value: T;
}

/**
 * A market-wide grid series (or group of series) memoized per market and computed lazily: rows
 * `gNeed`..G−1 are guaranteed on return. `fill(value, a, b)` computes rows a..b−1 (a fresh pass:
 * windowed series start with a direct sum at a). Batch callers pass 0 (the whole grid, once); the
 * live path passes the grid row of its newest row, so only the few rows it reads are computed.
 */
export function lazyGrid<T>(
  m: Market,
  key: string,
  gNeed: number,
  init: (G: number) => T,
  fill: (value: T, a: number, b: number) => void,
): T {
  const G = m.ts.length;
  let e = m.cache.get(key) as Lazy<T> | undefined;
  if (!e) {
    e = { lo: G, value: init(G) };
    m.cache.set(key, e);
  }
  const a = Math.max(0, Math.min(gNeed, G));
  if (a < e.lo) {
    fill(e.value, a, e.lo);
    e.lo = a;
  }
  return e.value;
}

/** Rows a..b−1 of a windowed kernel `f` applied to x, written into out (x read from a − w + 1). */
function windowed(
  x: Float64Array,
  w: number,
  a: number,
  b: number,
  out: Float64Array,
  f: (x: Float64Array, w: number, from: number) => Float64Array,
): void {
  const lo = Math.max(0, a - w + 1);
  const r = f(x.subarray(lo, b), w, a - lo);
  out.set(r.subarray(a - lo), a);
}

/** ln(idx / 100) of a present pair on the grid (rows gNeed.. at least). */
export function logLevel(m: Market, pair: string, gNeed = 0): Float64Array {
  return lazyGrid(m, `xsec:log:${pair}`, gNeed, nans, (out, a, b) => {
    const c = m.close.get(pair)!;
    for (let g = a; g < b; g++) out[g] = Math.log(c[g] / 100);
  });
}

/** Sample std (n − 1) of a present pair's 1-minute grid returns over w grid minutes. */
export function retVol(m: Market, pair: string, w: number, gNeed = 0): Float64Array {
  return lazyGrid(m, `xsec:vol:${pair}:${w}`, gNeed, nans, (out, a, b) => {
    windowed(m.ret.get(pair)!, w, a, b, out, rollingStd);
  });
}

/** Window (grid minutes) of the currency-strength change. */
export const STRENGTH_WINDOW = 60;

/**
 * Currency strength of `c` on the grid: the average w-minute log return of c against the other
 * currency over the present pairs holding c (a pair counts where both ends of the window are
 * defined): S(g) = mean_p sign_p · (ℓ_p(g) − ℓ_p(g − w)). NaN when no pair counts.
 */
export function currencyStrength(
  m: Market,
  c: Currency,
  w = STRENGTH_WINDOW,
  gNeed = 0,
): Float64Array {
  return lazyGrid(m, `xsec:strength:${c}:${w}`, gNeed, nans, (out, a, b) => {
    const g0 = Math.max(a, w);
    if (g0 >= b) return;
    const sum = new Float64Array(b - g0), cnt = new Float64Array(b - g0);
    for (const { pair, sign } of pairsOf(c)) {
      if (!m.close.has(pair)) continue;
      const l = logLevel(m, pair, g0 - w);
      for (let g = g0; g < b; g++) {
        const d = l[g] - l[g - w];
        if (d === d) {
          sum[g - g0] += sign * d;
          cnt[g - g0]++;
        }
      }
    }
    for (let g = g0; g < b; g++) if (cnt[g - g0] > 0) out[g] = sum[g - g0] / cnt[g - g0];
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
 * by power iteration from the equal-weight vector until it moves < 1e-14 (cold start: the same
 * inputs give the same loadings, so a live tail reproduces them), signed so that their sum is
 * positive (USD strength) and scaled to Σ|w| = 1 (a weighted average of oriented returns). They
 * apply from that minute on; NaN before the first estimate.
 *
 * Every statistic uses the loadings of the current minute applied to the component series (so a
 * daily re-estimate never makes a jump in them): level = Σ wᵢ sᵢ ℓᵢ(g); change k = Σ wᵢ sᵢ (ℓᵢ(g) −
 * ℓᵢ(g−k)); trend 20 = Σ wᵢ sᵢ · slope of ℓᵢ over 20 grid minutes; vol 30 = sqrt(wᵀ C₃₀ w), C₃₀ the
 * sample covariance of oriented returns over 30 minutes (= the std of the factor return); z 60 =
 * (level − Σ wᵢ sᵢ mean₆₀ ℓᵢ) / sqrt(wᵀ L₆₀ w), L₆₀ the covariance of the oriented levels.
 * Computed as such: while the loadings stay, these are the rolling statistics of the factor
 * series F(h) = Σ wᵢ sᵢ ℓᵢ(h) and f(h) = Σ wᵢ sᵢ rᵢ(h) taken with the current loadings (O(k) per
 * grid row; each re-estimate restarts the windows from a direct sum).
 */
export function usdFactor(m: Market, gNeed = 0): UsdFactor {
  return lazyGrid(m, "xsec:usd", gNeed, (G) => {
    const pairs = USD_PAIRS.filter((p) => m.close.has(p));
    const signs = pairs.map((p) => (p.startsWith("usd") ? 1 : -1));
    return {
      level: nans(G),
      chg5: nans(G),
      chg15: nans(G),
      vol30: nans(G),
      z60: nans(G),
      trend20: nans(G),
      weights: nans(G * Math.max(pairs.length, 1)),
      pairs,
      signs,
    };
  }, (f, a, b) => fillUsd(m, f, a, b));
}

/** Rows a..b−1 of the USD factor. */
function fillUsd(m: Market, f: UsdFactor, a: number, b: number): void {
  const k = f.pairs.length;
  if (k === 0) return;
  const ts = m.ts;
  const rets = f.pairs.map((p) => m.ret.get(p)!);
  const est = new Float64Array(k), cov = new Float64Array(k * k), mean = new Float64Array(k);
  const scratch = new Float64Array(k);
  const dayStart = (g: number) =>
    g >= PCA_WINDOW && Math.floor(ts[g] / 86_400_000) !== Math.floor(ts[g - 1] / 86_400_000);
  const tryEstimate = (g: number) =>
    estimate(rets, f.signs, g - PCA_WINDOW, g, cov, mean, est, scratch);
  // the loadings in effect at row a: the latest successful estimate at or before it
  let cur: Float64Array | null = null;
  for (let g = a; g >= PCA_WINDOW; g--) {
    if (dayStart(g) && tryEstimate(g)) {
      cur = est.slice();
      break;
    }
  }
  let s = a;
  for (let g = a + 1; g < b; g++) {
    if (dayStart(g) && tryEstimate(g)) {
      if (cur) usdSegment(m, f, s, g, cur);
      cur = est.slice();
      s = g;
    }
  }
  if (cur) usdSegment(m, f, s, b, cur);
}

/** Rows s..e−1 of the USD factor under the loadings w (constant there). */
function usdSegment(m: Market, f: UsdFactor, s: number, e: number, w: Float64Array): void {
  const k = f.pairs.length;
  for (let g = s; g < e; g++) f.weights.set(w, g * k);
  const lo = Math.max(0, s - (USD_WINDOWS.z - 1));
  const u = f.pairs.map((_, i) => w[i] * f.signs[i]);
  const ls = f.pairs.map((p) => logLevel(m, p, lo)), rs = f.pairs.map((p) => m.ret.get(p)!);
  const len = e - lo, F = new Float64Array(len), r = new Float64Array(len);
  for (let h = lo; h < e; h++) {
    let x = 0, y = 0;
    for (let i = 0; i < k; i++) {
      x += u[i] * ls[i][h];
      y += u[i] * rs[i][h];
    }
    F[h - lo] = x;
    r[h - lo] = y;
  }
  const at = s - lo;
  const vol = rollingStd(r, USD_WINDOWS.vol, at), z = rollingZ(F, USD_WINDOWS.z, at);
  const tr = rollingLinFit(F, USD_WINDOWS.trend, at).slope;
  for (let g = s; g < e; g++) {
    const i = g - lo, x = F[i];
    f.level[g] = x;
    f.chg5[g] = g >= 5 ? x - F[i - 5] : NaN;
    f.chg15[g] = g >= 15 ? x - F[i - 15] : NaN;
    f.vol30[g] = vol[i];
    f.z60[g] = z[i];
    f.trend20[g] = tr[i];
  }
}

/**
 * PC1 loadings from rows a..b−1 of the oriented returns (signs · rets) into v; false when too few
 * rows (v is then left as it was).
 */
function estimate(
  rets: Float64Array[],
  signs: readonly number[],
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
    for (let i = 0; i < k; i++) mean[i] += signs[i] * rets[i][g];
  }
  if (rowsOk < PCA_MIN_ROWS) return false;
  for (let i = 0; i < k; i++) mean[i] /= rowsOk;
  for (let g = a; g < b; g++) {
    let ok = true;
    for (let i = 0; i < k && ok; i++) ok = rets[i][g] === rets[i][g];
    if (!ok) continue;
    for (let i = 0; i < k; i++) {
      const di = signs[i] * rets[i][g] - mean[i];
      for (let j = i; j < k; j++) cov[i * k + j] += di * (signs[j] * rets[j][g] - mean[j]);
    }
  }
  for (let i = 0; i < k; i++) {
    for (let j = i; j < k; j++) cov[j * k + i] = cov[i * k + j] /= rowsOk - 1;
  }
  // power iteration to a converged vector (once a day: cost is nil)
  const x = new Float64Array(k).fill(1 / Math.sqrt(k));
  let moved = Infinity;
  for (let it = 0; it < 20_000 && moved > 1e-14; it++) {
    let nrm = 0;
    for (let i = 0; i < k; i++) {
      let s = 0;
      for (let j = 0; j < k; j++) s += cov[i * k + j] * x[j];
      scratch[i] = s;
      nrm += s * s;
    }
    if (!(nrm > 0)) return false;
    nrm = Math.sqrt(nrm);
    moved = 0;
    for (let i = 0; i < k; i++) {
      const y = scratch[i] / nrm;
      moved = Math.max(moved, Math.abs(y - x[i]));
      x[i] = y;
    }
  }
  let sum = 0, abs = 0;
  for (let i = 0; i < k; i++) {
    sum += x[i];
    abs += Math.abs(x[i]);
  }
  const s = (sum < 0 ? -1 : 1) / abs;
  for (let i = 0; i < k; i++) v[i] = x[i] * s;
  return true;
}

/**
 * Market-wide average pairwise correlation over each window of `ws`: the mean, over every two
 * present pairs, of the rolling correlation of their 1-minute grid returns over w grid minutes
 * (NaN correlations, e.g. a flat pair, are left out; NaN when none is defined).
 *
 * Computed without forming the correlations: with V the pairs defined in the window (no NaN, not
 * flat), zᵢ = 1/σᵢ and C the window's covariance, Σ_{i<j∈V} r_ij = Σ_{i<j∈V} zᵢ zⱼ C_ij — one
 * sweep of the k(k−1)/2 running cross sums per grid row, which slide in O(k²) (all windows in the
 * same sweep).
 */
export function marketAvgCorrs(
  m: Market,
  ws: readonly number[],
  gNeed = 0,
): Float64Array[] {
  return lazyGrid(m, `xsec:avgcorr:${ws.join(",")}`, gNeed, (G) => ws.map(() => nans(G)), (
    outs,
    a,
    b,
  ) => avgCorrRows(m.pairs.map((p) => m.ret.get(p)!), ws, a, b, outs));
}

/** Rows a..b−1 of the average pairwise correlation of xs over each window (two at most). */
function avgCorrRows(
  xs: Float64Array[],
  ws: readonly number[],
  a: number,
  b: number,
  outs: Float64Array[],
) {
  const k = xs.length, nw = ws.length;
  if (k < 2 || nw === 0) return;
  if (nw > 2) {
    ws.forEach((w, i) => avgCorrRows(xs, [w], a, b, [outs[i]]));
    return;
  }
  const w0 = ws[0], w1 = ws[nw - 1], two = nw === 2;
  const wMin = Math.min(w0, w1), wMax = Math.max(w0, w1);
  const g0 = Math.max(a, wMin - 1);
  if (g0 >= b) return;
  const c = new Float64Array(k), u = new Float64Array(k);
  // per window: sums, NaN counts (rows before 0 count), cross sums, row leaving, 1/σ
  const s0 = new Float64Array(k), s1 = new Float64Array(k);
  const n0 = new Int32Array(k), n1 = new Int32Array(k);
  const p0 = new Float64Array(k * k), p1 = new Float64Array(k * k);
  const o0 = new Float64Array(k), o1 = new Float64Array(k);
  const z0 = new Float64Array(k + 1), z1 = new Float64Array(k + 1);
  const st: AvgCorrState = {
    xs,
    k,
    w0,
    w1,
    two,
    wMax,
    c,
    u,
    s0,
    s1,
    n0,
    n1,
    p0,
    p1,
    o0,
    o1,
    z0,
    z1,
    outs,
    lc: Float64Array.from(xs, (x) => lastChange(x, g0, wMax)),
    R: Math.max(RESUM, 4 * wMax),
    kk: 0,
  };
  for (let g = g0; g < b; g += CHUNK_ROWS) avgCorrChunk(st, g, Math.min(b, g + CHUNK_ROWS));
}

/** The running state of {@linkcode avgCorrRows} (see there). */
interface AvgCorrState {
  xs: Float64Array[];
  k: number;
  w0: number;
  w1: number;
  two: boolean;
  wMax: number;
  c: Float64Array;
  u: Float64Array;
  s0: Float64Array;
  s1: Float64Array;
  n0: Int32Array;
  n1: Int32Array;
  p0: Float64Array;
  p1: Float64Array;
  o0: Float64Array;
  o1: Float64Array;
  z0: Float64Array;
  z1: Float64Array;
  outs: Float64Array[];
  /** Last grid row where each series changed (a flat series is left out). */
  lc: Float64Array;
  /** Rows between direct recomputations, and rows left before the next. */
  R: number;
  kk: number;
}

/** Rows a..b−1 of {@linkcode avgCorrRows} (chunked: see {@linkcode CHUNK_ROWS}). */
function avgCorrChunk(st: AvgCorrState, a: number, b: number): void {
  const { xs, k, w0, w1, two, wMax, c, u, s0, s1, n0, n1, p0, p1, o0, o1, z0, z1, outs, R } = st;
  const lc = st.lc;
  let kk = st.kk;
  for (let g = a; g < b; g++) {
    for (let i = 0; i < k; i++) if (xs[i][g] !== xs[i][g - 1]) lc[i] = g;
    if (kk === 0) {
      for (let i = 0; i < k; i++) {
        const v = xs[i][g];
        c[i] = v === v ? v : 0;
      }
      s0.fill(0);
      s1.fill(0);
      p0.fill(0);
      p1.fill(0);
      n0.fill(Math.max(0, w0 - g - 1));
      n1.fill(Math.max(0, w1 - g - 1));
      for (let h = Math.max(0, g - wMax + 1); h <= g; h++) {
        const in0 = h > g - w0, in1 = two && h > g - w1;
        for (let i = 0; i < k; i++) {
          const v = xs[i][h];
          if (v !== v) {
            u[i] = 0;
            if (in0) n0[i]++;
            if (in1) n1[i]++;
          } else u[i] = v - c[i];
        }
        for (let i = 0; i < k; i++) {
          const ui = u[i], row = i * k;
          if (in0) {
            s0[i] += ui;
            for (let j = i; j < k; j++) p0[row + j] += ui * u[j];
          }
          if (in1) {
            s1[i] += ui;
            for (let j = i; j < k; j++) p1[row + j] += ui * u[j];
          }
        }
      }
    } else {
      const q0 = g - w0, q1 = g - w1;
      for (let i = 0; i < k; i++) {
        const x = xs[i], v = x[g];
        let e = 0;
        if (v !== v) {
          n0[i]++;
          n1[i]++;
        } else e = v - c[i];
        u[i] = e;
        let l0 = 0, l1 = 0;
        const v0 = q0 >= 0 ? x[q0] : NaN;
        if (v0 !== v0) n0[i]--;
        else l0 = v0 - c[i];
        o0[i] = l0;
        s0[i] += e - l0;
        if (two) {
          const v1 = q1 >= 0 ? x[q1] : NaN;
          if (v1 !== v1) n1[i]--;
          else l1 = v1 - c[i];
          o1[i] = l1;
          s1[i] += e - l1;
        }
      }
      for (let i = 0; i < k; i++) {
        const ui = u[i], a0 = o0[i], row = i * k;
        if (two) {
          const a1 = o1[i];
          for (let j = i; j < k; j++) {
            const e = ui * u[j];
            p0[row + j] += e - a0 * o0[j];
            p1[row + j] += e - a1 * o1[j];
          }
        } else for (let j = i; j < k; j++) p0[row + j] += ui * u[j] - a0 * o0[j];
      }
    }
    if (++kk === R) kk = 0;
    const m0 = avgCorrZ(k, w0, s0, n0, p0, z0, lc, g);
    const m1 = two ? avgCorrZ(k, w1, s1, n1, p1, z1, lc, g) : 0;
    if (m0 < 2 && m1 < 2) continue;
    // Σ_{i<j} zᵢ zⱼ P_ij of both windows in one sweep
    let sum0 = 0, sum1 = 0;
    for (let i = 0; i < k - 1; i++) {
      const row = i * k;
      let acc0 = 0, acc1 = 0;
      if (two) {
        for (let j = i + 1; j < k; j++) {
          acc0 += z0[j] * p0[row + j];
          acc1 += z1[j] * p1[row + j];
        }
      } else for (let j = i + 1; j < k; j++) acc0 += z0[j] * p0[row + j];
      sum0 += z0[i] * acc0;
      sum1 += z1[i] * acc1;
    }
    if (m0 >= 2) outs[0][g] = (sum0 - z0[k]) / ((m0 * (m0 - 1)) / 2);
    if (m1 >= 2) outs[1][g] = (sum1 - z1[k]) / ((m1 * (m1 - 1)) / 2);
  }
  st.kk = kk;
}

/**
 * 1/σ of each series defined in the window (no NaN, not flat: it changed after row g − w + 1;
 * else 0) into z[0..k−1], and the mean correction Σ_{i<j} zᵢ sᵢ zⱼ sⱼ / w into z[k]; returns how
 * many are defined.
 */
function avgCorrZ(
  k: number,
  w: number,
  s: Float64Array,
  nn: Int32Array,
  p: Float64Array,
  z: Float64Array,
  lc: Float64Array,
  g: number,
): number {
  let mv = 0, q1 = 0, q2 = 0;
  const iw = 1 / w, f = g - w + 1;
  for (let i = 0; i < k; i++) {
    const vi = p[i * k + i] - s[i] * s[i] * iw;
    if (nn[i] === 0 && vi > 0 && lc[i] > f) {
      const zi = 1 / Math.sqrt(vi), q = zi * s[i];
      z[i] = zi;
      q1 += q;
      q2 += q * q;
      mv++;
    } else z[i] = 0;
  }
  z[k] = (q1 * q1 - q2) / (2 * w);
  return mv;
}

/**
 * Cross-sectional dispersion of the present pairs' 1-minute grid log returns: their sample
 * standard deviation (n − 1) at each minute, NaN where fewer than 2 are defined.
 */
export function marketDispersion(m: Market, gNeed = 0): Float64Array {
  return lazyGrid(m, "xsec:dispersion", gNeed, nans, (out, a, b) => {
    const rets = m.pairs.map((p) => m.ret.get(p)!);
    for (let g = a; g < b; g++) {
      let s1 = 0, cnt = 0;
      for (const r of rets) {
        const v = r[g];
        if (v === v) {
          s1 += v;
          cnt++;
        }
      }
      if (cnt < 2) continue;
      const mu = s1 / cnt;
      let ss = 0;
      for (const r of rets) {
        const v = r[g];
        if (v === v) ss += (v - mu) * (v - mu);
      }
      out[g] = Math.sqrt(ss / (cnt - 1));
    }
  });
}

/** Rolling mean over w grid minutes of {@linkcode marketDispersion}. */
export function dispersionMean(m: Market, w: number, gNeed = 0): Float64Array {
  return lazyGrid(m, `xsec:dispersion:mean:${w}`, gNeed, nans, (out, a, b) => {
    windowed(marketDispersion(m, Math.max(0, a - w + 1)), w, a, b, out, rollingMean);
  });
}
