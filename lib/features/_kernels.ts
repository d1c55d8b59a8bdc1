/**
 * Typed-array kernels shared by the feature families: rolling windows, lags, EMAs, Wilder
 * smoothing, rolling covariance/correlation, rolling rank. All are trailing (the value at t reads
 * rows <= t), count rows not minutes (SPEC §2), and return a new Float64Array of the input's length.
 * The windowed kernels also have `…Into` forms that write rows `from..n−1` of given arrays (NaN
 * where undefined, the other rows untouched): families fill their output columns directly and
 * fuse statistics ({@linkcode rollingMomentsInto}: sum, mean, variance, std and z in one pass;
 * {@linkcode emaManyInto}: several EMA chains side by side) instead of allocating intermediates.
 *
 * Conventions (Observable Plot's `window` with `anchor: "end"`, `strict: true`):
 * - a window with fewer than W rows, or holding a NaN, yields NaN (warm-up and gaps in inputs are
 *   NaN, never 0);
 * - `from`: only rows `from..n−1` are computed, the rest stay NaN (the live path computes the newest
 *   row from a short tail). A windowed kernel reads rows `from − w + 1 …` only, so it costs
 *   O(n − from + w): the newest row of a 4096-row tail costs one window. Batch callers leave it at 0;
 * - sums slide in O(1) per row on deviations from an anchor value that is reset, with a direct
 *   recomputation, every max({@linkcode REANCHOR}, w) rows (amortized O(1) per row for long
 *   windows too): no drift, no catastrophic cancellation of raw sums of squares. Results agree
 *   with the direct formula to ~1e-12 relative (tests);
 * - NaN inside a window is tracked by the index of the latest NaN (no prefix array per call).
 *
 * Sample statistics use n − 1 (std, var, cov); skew and kurtosis are the population moment ratios
 * (kurtosis is excess, 0 for a normal).
 *
 * @example
 * ```ts
 * import { rollingMean, ema } from "./_kernels.ts";
 * import assert from "node:assert/strict";
 * const x = new Float64Array([1, 2, 3, 4]);
 * assert.deepEqual([...rollingMean(x, 2)], [NaN, 1.5, 2.5, 3.5]);
 * // EMA seeded with the SMA of the first `span` values: α = 2/3 → 1.5, then 1.5 + (2/3)(3 − 1.5) = 2.5
 * assert.deepEqual([...ema(x, 2)].slice(1, 3), [1.5, 2.5]);
 * ```
 * @module
 */

/** Rows between direct recomputations of running sums (windows longer than this: w rows). */
export const REANCHOR = 64;

/** Rows between direct recomputations for a window of w rows: O(1) amortized per row. */
function period(w: number): number {
  return w > REANCHOR ? w : REANCHOR;
}

function nanArray(n: number): Float64Array {
  return new Float64Array(n).fill(NaN);
}

/** Prefix count of NaN: `c[i]` = number of NaN in x[0..i−1] (length n + 1). */
export function nanPrefix(x: Float64Array): Int32Array {
  const c = new Int32Array(x.length + 1);
  for (let i = 0; i < x.length; i++) c[i + 1] = c[i] + (x[i] !== x[i] ? 1 : 0);
  return c;
}

/** Index of the last NaN of x in rows [a, b) (a clamped to 0), or −1. */
function lastNanIn(x: Float64Array, a: number, b: number): number {
  for (let j = b - 1; j >= a && j >= 0; j--) if (x[j] !== x[j]) return j;
  return -1;
}

/** NaN into rows [a, b) of o (when o is given). */
function blank(o: Float64Array | null | undefined, a: number, b: number): void {
  if (a < 0) a = 0;
  if (o && a < b) o.fill(NaN, a, b);
}

function checkWindow(name: string, w: number, min = 1): void {
  if (!Number.isInteger(w) || w < min) {
    throw new RangeError(`Expected ${name} to be an integer >= ${min} but found ${w}`);
  }
}

/** x[t − k] (NaN for t < k). */
export function lag(x: Float64Array, k: number, from = 0): Float64Array {
  checkWindow("lag", k, 0);
  const out = nanArray(x.length);
  for (let t = Math.max(from, k); t < x.length; t++) out[t] = x[t - k];
  return out;
}

/** x[t] − x[t − k]. */
export function diff(x: Float64Array, k = 1, from = 0): Float64Array {
  checkWindow("lag", k, 1);
  const out = nanArray(x.length);
  for (let t = Math.max(from, k); t < x.length; t++) out[t] = x[t] - x[t - k];
  return out;
}

/** Simple return x[t] / x[t − k] − 1. */
export function pctChange(x: Float64Array, k = 1, from = 0): Float64Array {
  checkWindow("lag", k, 1);
  const out = nanArray(x.length);
  for (let t = Math.max(from, k); t < x.length; t++) out[t] = x[t] / x[t - k] - 1;
  return out;
}

/** Log return ln(x[t] / x[t − k]). */
export function logReturn(x: Float64Array, k = 1, from = 0): Float64Array {
  checkWindow("lag", k, 1);
  const out = nanArray(x.length);
  for (let t = Math.max(from, k); t < x.length; t++) out[t] = Math.log(x[t] / x[t - k]);
  return out;
}

/**
 * Trailing sum and/or mean over w rows into rows `from..n−1` of `sum` / `mean`: the running sum
 * s1 of deviations from the anchor c gives sum = c·w + s1, mean = c + s1/w.
 */
function sum1Into(
  x: Float64Array,
  w: number,
  from: number,
  sum: Float64Array | null,
  mean: Float64Array | null,
): void {
  const n = x.length;
  const start = Math.max(from, w - 1);
  blank(sum, from, Math.min(start, n));
  blank(mean, from, Math.min(start, n));
  const per = period(w);
  let lastNan = lastNanIn(x, start - w + 1, start);
  let t = start;
  while (t < n) {
    const xt = x[t];
    if (xt !== xt) lastNan = t;
    if (lastNan > t - w) {
      if (sum !== null) sum[t] = NaN;
      if (mean !== null) mean[t] = NaN;
      t++;
      continue;
    }
    // a clean window: direct sums, then slide until a NaN comes in or it is time to re-anchor
    const c = xt, end = Math.min(n, t + per);
    let s1 = 0;
    for (let j = t - w + 1; j <= t; j++) s1 += x[j] - c;
    for (;;) {
      if (sum !== null) sum[t] = c * w + s1;
      if (mean !== null) mean[t] = c + s1 / w;
      if (++t >= end) break;
      const xi = x[t];
      if (xi !== xi) break;
      s1 += (xi - c) - (x[t - w] - c);
    }
  }
}

/** Trailing sum over w rows into rows `from..n−1` of `o`. */
export function rollingSumInto(x: Float64Array, w: number, from: number, o: Float64Array): void {
  checkWindow("window", w);
  sum1Into(x, w, from, o, null);
}

/** Trailing sum over w rows. */
export function rollingSum(x: Float64Array, w: number, from = 0): Float64Array {
  const out = nanArray(x.length);
  rollingSumInto(x, w, from, out);
  return out;
}

/** Trailing mean over w rows into rows `from..n−1` of `o`. */
export function rollingMeanInto(x: Float64Array, w: number, from: number, o: Float64Array): void {
  checkWindow("window", w);
  sum1Into(x, w, from, null, o);
}

/** Trailing mean over w rows. */
export function rollingMean(x: Float64Array, w: number, from = 0): Float64Array {
  const out = nanArray(x.length);
  rollingMeanInto(x, w, from, out);
  return out;
}

/** Outputs of {@linkcode rollingMomentsInto}; each one optional. */
export interface MomentOutputs {
  /** Trailing sum. */
  sum?: Float64Array | null;
  /** Trailing mean. */
  mean?: Float64Array | null;
  /** Trailing sample variance (n − 1), clamped at 0. */
  variance?: Float64Array | null;
  /** Trailing sample standard deviation (n − 1). */
  std?: Float64Array | null;
  /** (x − mean) / std, NaN when std = 0. */
  z?: Float64Array | null;
}

/**
 * Trailing sum, mean, sample variance, sample std and z-score over w rows in one pass, into rows
 * `from..n−1` of the given outputs (each is optional; w >= 2 when a variance is asked for). The
 * same arithmetic as {@linkcode rollingSum}, {@linkcode rollingMean}, {@linkcode rollingVar},
 * {@linkcode rollingStd} and {@linkcode rollingZ}.
 */
export function rollingMomentsInto(
  x: Float64Array,
  w: number,
  from: number,
  outputs: MomentOutputs,
): void {
  const sum = outputs.sum ?? null, mean = outputs.mean ?? null, vr = outputs.variance ?? null;
  const std = outputs.std ?? null, z = outputs.z ?? null;
  if (vr === null && std === null && z === null) {
    checkWindow("window", w);
    return sum1Into(x, w, from, sum, mean);
  }
  checkWindow("window", w, 2);
  const n = x.length;
  const start = Math.max(from, w - 1);
  const end0 = Math.min(start, n);
  blank(sum, from, end0);
  blank(mean, from, end0);
  blank(vr, from, end0);
  blank(std, from, end0);
  blank(z, from, end0);
  const per = period(w);
  let lastNan = lastNanIn(x, start - w + 1, start);
  let t = start;
  while (t < n) {
    const xt = x[t];
    if (xt !== xt) lastNan = t;
    if (lastNan > t - w) {
      if (sum !== null) sum[t] = NaN;
      if (mean !== null) mean[t] = NaN;
      if (vr !== null) vr[t] = NaN;
      if (std !== null) std[t] = NaN;
      if (z !== null) z[t] = NaN;
      t++;
      continue;
    }
    const c = xt, end = Math.min(n, t + per);
    let s1 = 0, s2 = 0;
    for (let j = t - w + 1; j <= t; j++) {
      const y = x[j] - c;
      s1 += y;
      s2 += y * y;
    }
    for (;;) {
      const v = (s2 - (s1 * s1) / w) / (w - 1), mu = s1 / w;
      const sd = Math.sqrt(v > 0 ? v : 0);
      if (sum !== null) sum[t] = c * w + s1;
      if (mean !== null) mean[t] = c + mu;
      if (vr !== null) vr[t] = v > 0 ? v : 0;
      if (std !== null) std[t] = sd;
      if (z !== null) z[t] = v > 0 ? (x[t] - c - mu) / sd : NaN;
      if (++t >= end) break;
      const xi = x[t];
      if (xi !== xi) break;
      const yi = xi - c, yo = x[t - w] - c;
      s1 += yi - yo;
      s2 += yi * yi - yo * yo;
    }
  }
}

/** Trailing variance (n − 1) over w rows (w >= 2). */
export function rollingVar(x: Float64Array, w: number, from = 0): Float64Array {
  const out = nanArray(x.length);
  rollingMomentsInto(x, w, from, { variance: out });
  return out;
}

/** Trailing standard deviation (n − 1) over w rows (w >= 2) into rows `from..n−1` of `o`. */
export function rollingStdInto(x: Float64Array, w: number, from: number, o: Float64Array): void {
  rollingMomentsInto(x, w, from, { std: o });
}

/** Trailing standard deviation (n − 1) over w rows (w >= 2). */
export function rollingStd(x: Float64Array, w: number, from = 0): Float64Array {
  const out = nanArray(x.length);
  rollingMomentsInto(x, w, from, { std: out });
  return out;
}

/** (x − trailing mean) / trailing std over w rows into rows `from..n−1` of `o`. */
export function rollingZInto(x: Float64Array, w: number, from: number, o: Float64Array): void {
  rollingMomentsInto(x, w, from, { z: o });
}

/** (x − trailing mean) / trailing std over w rows; NaN when std = 0. */
export function rollingZ(x: Float64Array, w: number, from = 0): Float64Array {
  const out = nanArray(x.length);
  rollingMomentsInto(x, w, from, { z: out });
  return out;
}

/**
 * Trailing skewness (`order` 3) or excess kurtosis (`order` 4) into rows `from..n−1` of `o`, from
 * the power sums of deviations from the anchor.
 */
function shapeInto(x: Float64Array, w: number, from: number, o: Float64Array, order: 3 | 4): void {
  const n = x.length;
  const start = Math.max(from, w - 1);
  blank(o, from, Math.min(start, n));
  const per = period(w);
  let lastNan = lastNanIn(x, start - w + 1, start);
  let t = start;
  while (t < n) {
    const xt = x[t];
    if (xt !== xt) lastNan = t;
    if (lastNan > t - w) {
      o[t] = NaN;
      t++;
      continue;
    }
    const c = xt, end = Math.min(n, t + per);
    let s1 = 0, s2 = 0, s3 = 0, s4 = 0;
    for (let j = t - w + 1; j <= t; j++) {
      const y = x[j] - c, y2 = y * y;
      s1 += y;
      s2 += y2;
      s3 += y2 * y;
      s4 += y2 * y2;
    }
    for (;;) {
      if (order === 3) {
        const m = s1 / w;
        const m2 = s2 / w - m * m;
        const m3 = s3 / w - 3 * m * (s2 / w) + 2 * m * m * m;
        o[t] = m2 > 1e-300 ? m3 / (m2 * Math.sqrt(m2)) : NaN;
      } else {
        const m = s1 / w, e2 = s2 / w, e3 = s3 / w, e4 = s4 / w;
        const m2 = e2 - m * m;
        const m4 = e4 - 4 * m * e3 + 6 * m * m * e2 - 3 * m * m * m * m;
        o[t] = m2 > 1e-300 ? m4 / (m2 * m2) - 3 : NaN;
      }
      if (++t >= end) break;
      const xi = x[t];
      if (xi !== xi) break;
      const yi = xi - c, yo = x[t - w] - c, i2 = yi * yi, o2 = yo * yo;
      s1 += yi - yo;
      s2 += i2 - o2;
      s3 += i2 * yi - o2 * yo;
      s4 += i2 * i2 - o2 * o2;
    }
  }
}

/** Trailing skewness (population moments m3 / m2^1.5); NaN when flat. */
export function rollingSkew(x: Float64Array, w: number, from = 0): Float64Array {
  checkWindow("window", w, 3);
  const out = nanArray(x.length);
  shapeInto(x, w, from, out, 3);
  return out;
}

/** Trailing excess kurtosis (population m4 / m2² − 3); NaN when flat. */
export function rollingKurt(x: Float64Array, w: number, from = 0): Float64Array {
  checkWindow("window", w, 4);
  const out = nanArray(x.length);
  shapeInto(x, w, from, out, 4);
  return out;
}

/**
 * Trailing max (`kind` "max") or min over w rows into rows `from..n−1` of `o`; NaN if the window
 * holds a NaN. A few rows (the live path): direct; more: van Herk–Gil-Werman blocks over the rows
 * the outputs read.
 */
export function rollingExtremeInto(
  x: Float64Array,
  w: number,
  kind: "max" | "min",
  from: number,
  o: Float64Array,
): void {
  checkWindow("window", w);
  const n = x.length;
  const start = Math.max(from, w - 1);
  blank(o, from, Math.min(start, n));
  if (start >= n) return;
  let lastNan = lastNanIn(x, start - w + 1, start);
  const max = kind === "max";
  if (n - start <= 4) {
    for (let t = start; t < n; t++) {
      if (x[t] !== x[t]) lastNan = t;
      if (lastNan > t - w) {
        o[t] = NaN;
        continue;
      }
      let e = x[t - w + 1];
      if (max) { for (let j = t - w + 2; j <= t; j++) e = x[j] > e ? x[j] : e; }
      else for (let j = t - w + 2; j <= t; j++) e = x[j] < e ? x[j] : e;
      o[t] = e;
    }
    return;
  }
  // g = block prefix, h = block suffix extremes (blocks of w rows from s0); a NaN inside a block
  // only reaches windows that hold it. Ties keep the earlier value (±0 come out as in the data).
  const s0 = start - w + 1, m = n - s0;
  const g = new Float64Array(m), h = new Float64Array(m);
  if (max) vhgw(x, s0, m, w, g, h, true);
  else vhgw(x, s0, m, w, g, h, false);
  for (let t = start; t < n; t++) {
    if (x[t] !== x[t]) lastNan = t;
    if (lastNan > t - w) {
      o[t] = NaN;
      continue;
    }
    const a = h[t - w + 1 - s0], b = g[t - s0];
    o[t] = max ? (a > b ? a : b) : (a < b ? a : b); // ties: the later block (as before)
  }
}

/** Block prefix (g) and suffix (h) maxima (`max`) or minima of x[s0..s0+m) in blocks of w. */
function vhgw(
  x: Float64Array,
  s0: number,
  m: number,
  w: number,
  g: Float64Array,
  h: Float64Array,
  max: boolean,
): void {
  for (let b = 0; b < m; b += w) {
    const e = Math.min(m, b + w);
    let a = x[b + s0];
    g[b] = a;
    if (max) {
      for (let i = b + 1; i < e; i++) {
        const v = x[i + s0];
        if (v > a) a = v;
        g[i] = a;
      }
    } else {
      for (let i = b + 1; i < e; i++) {
        const v = x[i + s0];
        if (v < a) a = v;
        g[i] = a;
      }
    }
    a = x[e - 1 + s0];
    h[e - 1] = a;
    if (max) {
      for (let i = e - 2; i >= b; i--) {
        const v = x[i + s0];
        if (v > a) a = v;
        h[i] = a;
      }
    } else {
      for (let i = e - 2; i >= b; i--) {
        const v = x[i + s0];
        if (v < a) a = v;
        h[i] = a;
      }
    }
  }
}

/** Trailing max (`kind` "max") or min over w rows; NaN if the window holds a NaN. */
export function rollingExtreme(
  x: Float64Array,
  w: number,
  kind: "max" | "min",
  from = 0,
): Float64Array {
  const out = nanArray(x.length);
  rollingExtremeInto(x, w, kind, from, out);
  return out;
}

/** Trailing max over w rows. */
export function rollingMax(x: Float64Array, w: number, from = 0): Float64Array {
  return rollingExtreme(x, w, "max", from);
}

/** Trailing min over w rows. */
export function rollingMin(x: Float64Array, w: number, from = 0): Float64Array {
  return rollingExtreme(x, w, "min", from);
}

/**
 * Trailing covariance (n − 1) and correlation of x and y over w rows, one pass, into rows
 * `from..n−1` of `cov` and `corr` (either may be null). Correlation is NaN when either side is flat.
 */
export function rollingCovCorrInto(
  x: Float64Array,
  y: Float64Array,
  w: number,
  from: number,
  cov: Float64Array | null,
  corr: Float64Array | null,
): void {
  checkWindow("window", w, 2);
  const n = x.length;
  const start = Math.max(from, w - 1);
  blank(cov, from, Math.min(start, n));
  blank(corr, from, Math.min(start, n));
  const per = period(w);
  let lastNan = Math.max(lastNanIn(x, start - w + 1, start), lastNanIn(y, start - w + 1, start));
  let t = start;
  while (t < n) {
    const xt = x[t], yt = y[t];
    if (xt !== xt || yt !== yt) lastNan = t;
    if (lastNan > t - w) {
      if (cov !== null) cov[t] = NaN;
      if (corr !== null) corr[t] = NaN;
      t++;
      continue;
    }
    const cx = xt, cy = yt, end = Math.min(n, t + per);
    let sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
    for (let j = t - w + 1; j <= t; j++) {
      const a = x[j] - cx, b = y[j] - cy;
      sx += a;
      sy += b;
      sxx += a * a;
      syy += b * b;
      sxy += a * b;
    }
    for (;;) {
      const cxy = sxy - (sx * sy) / w;
      if (cov !== null) cov[t] = cxy / (w - 1);
      if (corr !== null) {
        const vx = sxx - (sx * sx) / w, vy = syy - (sy * sy) / w;
        if (vx > 0 && vy > 0) {
          const q = cxy / Math.sqrt(vx * vy);
          corr[t] = q > 1 ? 1 : q < -1 ? -1 : q;
        } else corr[t] = NaN;
      }
      if (++t >= end) break;
      const xi = x[t], yi = y[t];
      if (xi !== xi || yi !== yi) break;
      const a = xi - cx, b = yi - cy, ao = x[t - w] - cx, bo = y[t - w] - cy;
      sx += a - ao;
      sy += b - bo;
      sxx += a * a - ao * ao;
      syy += b * b - bo * bo;
      sxy += a * b - ao * bo;
    }
  }
}

/**
 * Trailing covariance (n − 1) and correlation of x and y over w rows, one pass. Correlation is NaN
 * when either side is flat.
 */
export function rollingCovCorr(
  x: Float64Array,
  y: Float64Array,
  w: number,
  from = 0,
): { cov: Float64Array; corr: Float64Array } {
  const n = x.length;
  const cov = nanArray(n), corr = nanArray(n);
  rollingCovCorrInto(x, y, w, from, cov, corr);
  return { cov, corr };
}

/**
 * Trailing mid-rank percentile and tercile of x(t) among x(t−w+1..t) (the current value
 * included): q = (#below + (#equal − 1)/2) / (w − 1) ∈ [0, 1], tercile = 0 when q < 1/3, 1 when
 * q < 2/3, else 2 (decided in integers, no rounding at the edges). NaN while fewer than w rows,
 * when the window holds a NaN, or when it is flat (every value equal: no terciles). Written into
 * rows `from..n−1` of `pct` / `tercile` (either may be null).
 *
 * A few rows (the live path): direct counts over each window, O(w) per row. More: the rows are
 * cut into chunks; a chunk's values and the w − 1 before it are sorted (radix sort), and the
 * window's values are kept as a bitset over those sorted positions under a binary tree of counts
 * (and a count per group of equal values): a row costs O(log w) fixed-length, branch-free steps on
 * arrays that stay in cache. Counts
 * are taken over the window's rows alone, so the result at t depends on rows <= t only.
 */
export function rollingRankInto(
  x: Float64Array,
  w: number,
  from: number,
  pct: Float64Array | null,
  tercile: Float64Array | null,
): void {
  checkWindow("window", w, 2);
  const n = x.length;
  const start = Math.max(from, w - 1);
  blank(pct, from, n);
  blank(tercile, from, n);
  if (start >= n) return;
  const d = 2 * (w - 1);
  if (n - start <= 16) {
    for (let t = start; t < n; t++) {
      const xt = x[t];
      if (xt !== xt) continue;
      let less = 0, eq = 0, bad = false;
      for (let j = t - w + 1; j <= t; j++) {
        const v = x[j];
        if (v < xt) less++;
        else if (v === xt) eq++;
        else if (v !== v) {
          bad = true;
          break;
        }
      }
      if (bad || eq === w) continue;
      const a = 2 * less + eq - 1; // 2 · mid-rank, an integer
      if (pct !== null) pct[t] = a / d;
      if (tercile !== null) tercile[t] = 3 * a < d ? 0 : 3 * a < 2 * d ? 1 : 2;
    }
    return;
  }
  const chunk = Math.max(4 * w, 8192);
  const cap = Math.min(n - start, chunk) + w - 1;
  const ranker = new Ranker(cap);
  const { pos, first } = ranker;
  // the window's values as a bitset over sorted positions (32 per word), under a complete binary
  // tree of counts over the words: insert / remove flip a bit and add ±1 along the word's path to
  // the root, "how many below p" adds the left siblings along that path (fixed-length loops, no
  // data-dependent branches) plus the bits of p's own word below p
  let depth = 0;
  while (32 << depth < cap) depth++;
  const leaves = 1 << depth;
  const bits = new Int32Array(leaves), tree = new Int32Array(2 * leaves);
  const eqc = new Int32Array(cap); // window count per group of equal values (by its first position)
  for (let a = start; a < n; a += chunk) {
    const b = Math.min(n, a + chunk), lo = a - w + 1, m = b - lo;
    ranker.rank(x, lo, m);
    bits.fill(0);
    tree.fill(0);
    eqc.fill(0);
    let nan = 0;
    for (let i = 0; i < m; i++) {
      const p = pos[i];
      if (p >= 0) {
        bits[p >>> 5] |= 1 << (p & 31);
        for (let k = leaves + (p >>> 5); k > 0; k >>= 1) tree[k]++;
        eqc[first[i]]++;
      } else nan++;
      if (i >= w) {
        const o = pos[i - w];
        if (o >= 0) {
          bits[o >>> 5] &= ~(1 << (o & 31));
          for (let k = leaves + (o >>> 5); k > 0; k >>= 1) tree[k]--;
          eqc[first[i - w]]--;
        } else nan--;
      }
      if (i < w - 1 || nan > 0) continue; // warm-up of the first window, or a NaN inside
      const g = first[i], eq = eqc[g];
      if (eq === w) continue; // flat window
      const r = g & 31;
      let less = r === 0 ? 0 : popcount(bits[g >>> 5] & ((1 << r) - 1));
      for (let k = leaves + (g >>> 5); k > 1; k >>= 1) less += tree[k ^ 1] & -(k & 1);
      const q = 2 * less + eq - 1;
      const t = lo + i;
      if (pct !== null) pct[t] = q / d;
      if (tercile !== null) tercile[t] = 3 * q < d ? 0 : 3 * q < 2 * d ? 1 : 2;
    }
  }
}

/** Set bits of a 32-bit integer. */
function popcount(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

/** {@linkcode rollingRankInto} into new arrays: `pct` (q) and `tercile` (0/1/2). */
export function rollingRank(
  x: Float64Array,
  w: number,
  from = 0,
): { pct: Float64Array; tercile: Float64Array } {
  const n = x.length;
  const pct = nanArray(n), tercile = nanArray(n);
  rollingRankInto(x, w, from, pct, tercile);
  return { pct, tercile };
}

/**
 * Sorted positions of a run of values: `pos[i]` = the place of value i in the sorted run (0..k−1,
 * unique; NaN gets −1), `first[i]` = the first position of its group of equal values. By an LSD radix sort of the IEEE-754 bit patterns made order-preserving (flip the
 * sign bit of positives, every bit of negatives; −0 is read as +0, so equal values have equal
 * keys): first on the high 32-bit word (sign, exponent, 20 mantissa bits: 11/11/10-bit digits,
 * histograms in L1, a digit shared by every value skipped; the high words travel with their
 * indices so each pass reads sequentially), then each run of equal high words on the low word
 * (insertion sort for short runs, the same radix passes for long ones). Buffers are reused.
 */
class Ranker {
  /** Sorted position per value of the last run (valid for its first m entries), −1 for NaN. */
  readonly pos: Int32Array;
  /** First sorted position of each value's group of equal values. */
  readonly first: Int32Array;
  #hi: Uint32Array;
  #lo: Uint32Array;
  #idx: Uint32Array;
  #hi2: Uint32Array;
  #lo2: Uint32Array;
  #idx2: Uint32Array;
  /** Low key word by original index (gathered into sorted order after the high-word passes). */
  #loAt: Uint32Array;
  #hist = new Int32Array(2048);

  constructor(cap: number) {
    this.pos = new Int32Array(cap);
    this.first = new Int32Array(cap);
    this.#hi = new Uint32Array(cap);
    this.#lo = new Uint32Array(cap);
    this.#idx = new Uint32Array(cap);
    this.#hi2 = new Uint32Array(cap);
    this.#lo2 = new Uint32Array(cap);
    this.#idx2 = new Uint32Array(cap);
    this.#loAt = new Uint32Array(cap);
  }

  /** Sort x[lo..lo+m) into `pos` and `first` [0..m); returns k, the count of non-NaN. */
  rank(x: Float64Array, lo: number, m: number): number {
    const words = new Uint32Array(x.buffer, x.byteOffset + lo * 8, m * 2);
    const { pos, first } = this;
    const loAt = this.#loAt;
    let k = 0;
    {
      const hi = this.#hi, idx = this.#idx;
      for (let i = 0; i < m; i++) {
        const v = x[lo + i];
        if (v !== v) {
          pos[i] = -1;
          continue;
        }
        let h = 0x80000000, l = 0; // ±0
        if (v !== 0) {
          h = words[2 * i + 1];
          l = words[2 * i];
          if (h & 0x80000000) {
            h = ~h >>> 0;
            l = ~l >>> 0;
          } else h = (h | 0x80000000) >>> 0;
        }
        hi[k] = h;
        idx[k] = i;
        loAt[i] = l;
        k++;
      }
    }
    this.#sortHi(k);
    const hi = this.#hi, low = this.#lo, idx = this.#idx;
    for (let j = 0; j < k; j++) low[j] = loAt[idx[j]];
    // runs of equal high words: order by the low word (stable)
    for (let j = 0; j < k;) {
      const h = hi[j];
      let e = j + 1;
      while (e < k && hi[e] === h) e++;
      if (e - j > 32) this.#sortLow(j, e);
      else if (e - j > 1) {
        for (let q = j + 1; q < e; q++) {
          const l = low[q], i = idx[q];
          let r = q - 1;
          while (r >= j && low[r] > l) {
            low[r + 1] = low[r];
            idx[r + 1] = idx[r];
            r--;
          }
          low[r + 1] = l;
          idx[r + 1] = i;
        }
      }
      j = e;
    }
    let g = 0;
    for (let j = 0; j < k; j++) {
      if (j > 0 && (hi[j] !== hi[j - 1] || low[j] !== low[j - 1])) g = j;
      const i = idx[j];
      pos[i] = j;
      first[i] = g;
    }
    return k;
  }

  /** Stable LSD radix sort of entries [0, k) (high word and index) by the high word. */
  #sortHi(k: number): void {
    const hist = this.#hist;
    for (let shift = 0; shift < 32; shift += 11) {
      const hi = this.#hi, idx = this.#idx, hi2 = this.#hi2, idx2 = this.#idx2;
      hist.fill(0);
      for (let j = 0; j < k; j++) hist[(hi[j] >>> shift) & 2047]++;
      if (k === 0 || hist[(hi[0] >>> shift) & 2047] === k) continue; // a digit shared by all
      let sum = 0;
      for (let d = 0; d < 2048; d++) {
        const c = hist[d];
        hist[d] = sum;
        sum += c;
      }
      for (let j = 0; j < k; j++) {
        const h = hi[j], p = hist[(h >>> shift) & 2047]++;
        hi2[p] = h;
        idx2[p] = idx[j];
      }
      this.#hi = hi2;
      this.#hi2 = hi;
      this.#idx = idx2;
      this.#idx2 = idx;
    }
  }

  /** Stable LSD radix sort of entries [a, b) (low word and index) by the low word. */
  #sortLow(a: number, b: number): void {
    const hist = this.#hist, low = this.#lo, idx = this.#idx;
    const lo2 = this.#lo2, idx2 = this.#idx2;
    for (let shift = 0; shift < 32; shift += 11) {
      hist.fill(0);
      for (let j = a; j < b; j++) hist[(low[j] >>> shift) & 2047]++;
      if (hist[(low[a] >>> shift) & 2047] === b - a) continue; // a digit shared by every value
      let sum = a;
      for (let d = 0; d < 2048; d++) {
        const c = hist[d];
        hist[d] = sum;
        sum += c;
      }
      for (let j = a; j < b; j++) {
        const l = low[j], p = hist[(l >>> shift) & 2047]++;
        lo2[p] = l;
        idx2[p] = idx[j];
      }
      low.set(lo2.subarray(a, b), a);
      idx.set(idx2.subarray(a, b), a);
    }
  }
}

/**
 * Exponential moving average, α = 2 / (span + 1), seeded with the simple mean of the first `span`
 * defined values (the TA-Lib convention; the seed's weight decays as (1−α)^t). NaN before the seed;
 * a NaN inside the series leaves the EMA unchanged for that row.
 */
export function ema(x: Float64Array, span: number, _from = 0): Float64Array {
  checkWindow("span", span);
  const out = nanArray(x.length);
  smoothInto(x, span, 2 / (span + 1), 0, out);
  return out;
}

/**
 * {@linkcode ema} into rows `from..n−1` of `o` (the recursion itself still runs from row 0: the
 * live path passes a tail long enough for the seed's weight to vanish).
 */
export function emaInto(x: Float64Array, span: number, from: number, o: Float64Array): void {
  checkWindow("span", span);
  smoothInto(x, span, 2 / (span + 1), from, o);
}

/**
 * Several EMAs of one series (spans in any order) into rows `from..n−1` of `outs` (one per span):
 * the {@linkcode ema} arithmetic, bit for bit, but three chains advance side by side per pass
 * (a recursion is latency-bound; independent chains overlap), and the seeds share one running sum
 * (every chain sums the same first defined values in the same order).
 */
export function emaManyInto(
  x: Float64Array,
  spans: readonly number[],
  from: number,
  outs: readonly Float64Array[],
): void {
  for (const s of spans) checkWindow("span", s);
  for (let i = 0; i < spans.length; i += 3) {
    const j = Math.min(i + 1, spans.length - 1), k = Math.min(i + 2, spans.length - 1);
    ema3(
      x,
      from,
      spans[i],
      spans[j],
      spans[k],
      outs[i],
      j > i ? outs[j] : null,
      k > j ? outs[k] : null,
    );
  }
}

/** Three SMA-seeded EMA chains of x side by side (outputs b / c may be null). */
function ema3(
  x: Float64Array,
  from: number,
  pa: number,
  pb: number,
  pc: number,
  oa: Float64Array,
  ob: Float64Array | null,
  oc: Float64Array | null,
): void {
  const n = x.length, pmax = Math.max(pa, pb, pc);
  const aa = 2 / (pa + 1), ab = 2 / (pb + 1), ac = 2 / (pc + 1);
  let s = 0, seen = 0, va = NaN, vb = NaN, vc = NaN, t = 0;
  // seeding: the shared running sum of the first defined values
  for (; t < n && seen < pmax; t++) {
    const xi = x[t];
    if (xi === xi) {
      s += xi;
      seen++;
      if (seen === pa) va = s / pa;
      else if (seen > pa) va += aa * (xi - va);
      if (seen === pb) vb = s / pb;
      else if (seen > pb) vb += ab * (xi - vb);
      if (seen === pc) vc = s / pc;
      else if (seen > pc) vc += ac * (xi - vc);
    }
    if (t < from) continue;
    oa[t] = va;
    if (ob !== null) ob[t] = vb;
    if (oc !== null) oc[t] = vc;
  }
  for (; t < from; t++) {
    const xi = x[t];
    if (xi === xi) {
      va += aa * (xi - va);
      vb += ab * (xi - vb);
      vc += ac * (xi - vc);
    }
  }
  for (; t < n; t++) {
    const xi = x[t];
    if (xi === xi) {
      va += aa * (xi - va);
      vb += ab * (xi - vb);
      vc += ac * (xi - vc);
    }
    oa[t] = va;
    if (ob !== null) ob[t] = vb;
    if (oc !== null) oc[t] = vc;
  }
}

/**
 * Wilder's smoothing (RSI, ATR, ADX): seeded with the mean of the first n defined values, then
 * s(t) = s(t−1) + (x(t) − s(t−1)) / n, i.e. an EMA with α = 1/n.
 */
export function wilder(x: Float64Array, n: number, _from = 0): Float64Array {
  checkWindow("period", n);
  const out = nanArray(x.length);
  smoothInto(x, n, 1 / n, 0, out);
  return out;
}

/** {@linkcode wilder} into rows `from..n−1` of `o` (the recursion runs from row 0). */
export function wilderInto(x: Float64Array, n: number, from: number, o: Float64Array): void {
  checkWindow("period", n);
  smoothInto(x, n, 1 / n, from, o);
}

/**
 * Recursive smoothing shared by ema() and wilder(): SMA seed over `seed` values, then α; rows
 * `from..` are written. Recursive kernels always run from the first row: the live path passes a
 * tail long enough for the seed's weight to vanish, so `from` does not shorten them.
 */
function smoothInto(x: Float64Array, seed: number, a: number, from: number, o: Float64Array): void {
  const n = x.length;
  let s = 0, seen = 0, v = NaN, t = 0;
  for (; t < n && seen < seed; t++) {
    const xi = x[t];
    if (t >= from) o[t] = NaN;
    if (xi !== xi) continue;
    s += xi;
    if (++seen === seed) {
      v = s / seed;
      if (t >= from) o[t] = v;
    }
  }
  for (; t < from; t++) {
    const xi = x[t];
    if (xi === xi) v += a * (xi - v);
  }
  for (; t < n; t++) {
    const xi = x[t];
    if (xi === xi) v += a * (xi - v);
    o[t] = v;
  }
}

/** Element-wise a / b with NaN where b = 0 or either side is NaN (no ±∞ storms). */
export function safeDiv(a: Float64Array, b: Float64Array, from = 0): Float64Array {
  const out = nanArray(a.length);
  for (let t = from; t < a.length; t++) {
    const d = b[t];
    out[t] = d !== 0 ? a[t] / d : NaN;
  }
  return out;
}
