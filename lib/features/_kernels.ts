/**
 * Typed-array kernels shared by the feature families: rolling windows, lags, EMAs, Wilder
 * smoothing, rolling covariance/correlation, rolling rank. All are trailing (the value at t reads
 * rows <= t), count rows not minutes (SPEC §2), and return a new Float64Array of the input's length.
 * Each windowed kernel also has an `…Into` form that writes rows `from..n−1` of a given array
 * (NaN where undefined, the other rows untouched): families fill their output columns directly
 * and fuse statistics (mean, std and z in one pass) instead of allocating intermediates.
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
 * Trailing sum (`mean` false) or mean over w rows into rows `from..n−1` of `o`: the running sum
 * s1 of deviations from the anchor c gives sum = c·w + s1, mean = c + s1/w.
 */
function sum1Into(x: Float64Array, w: number, from: number, o: Float64Array, mean: boolean): void {
  const n = x.length;
  const start = Math.max(from, w - 1);
  blank(o, from, Math.min(start, n));
  if (start >= n) return;
  const per = period(w);
  let lastNan = lastNanIn(x, start - w + 1, start), k = 0, c = 0, s1 = 0;
  for (let t = start; t < n; t++) {
    const xt = x[t];
    if (xt !== xt) lastNan = t;
    if (lastNan > t - w) {
      k = 0; // force a direct recomputation once the window is clean again
      o[t] = NaN;
      continue;
    }
    if (k === 0) {
      c = xt;
      s1 = 0;
      for (let j = t - w + 1; j <= t; j++) s1 += x[j] - c;
    } else s1 += (xt - c) - (x[t - w] - c);
    if (++k === per) k = 0;
    o[t] = mean ? c + s1 / w : c * w + s1;
  }
}

/** Trailing sum over w rows into rows `from..n−1` of `o`. */
export function rollingSumInto(x: Float64Array, w: number, from: number, o: Float64Array): void {
  checkWindow("window", w);
  sum1Into(x, w, from, o, false);
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
  sum1Into(x, w, from, o, true);
}

/** Trailing mean over w rows. */
export function rollingMean(x: Float64Array, w: number, from = 0): Float64Array {
  const out = nanArray(x.length);
  rollingMeanInto(x, w, from, out);
  return out;
}

/** Outputs of {@linkcode rollingMomentsInto}; each one optional. */
export interface MomentOutputs {
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
 * Trailing mean, sample variance, sample std and z-score over w rows (w >= 2) in one pass, into
 * rows `from..n−1` of the given outputs (each is optional). The same arithmetic as
 * {@linkcode rollingMean}, {@linkcode rollingVar}, {@linkcode rollingStd} and {@linkcode rollingZ}.
 */
export function rollingMomentsInto(
  x: Float64Array,
  w: number,
  from: number,
  outputs: MomentOutputs,
): void {
  checkWindow("window", w, 2);
  const mean = outputs.mean ?? null, vr = outputs.variance ?? null;
  const std = outputs.std ?? null, z = outputs.z ?? null;
  const n = x.length;
  const start = Math.max(from, w - 1);
  const end0 = Math.min(start, n);
  blank(mean, from, end0);
  blank(vr, from, end0);
  blank(std, from, end0);
  blank(z, from, end0);
  if (start >= n) return;
  const per = period(w);
  let lastNan = lastNanIn(x, start - w + 1, start), k = 0, c = 0, s1 = 0, s2 = 0;
  for (let t = start; t < n; t++) {
    const xt = x[t];
    if (xt !== xt) lastNan = t;
    if (lastNan > t - w) {
      k = 0;
      if (mean !== null) mean[t] = NaN;
      if (vr !== null) vr[t] = NaN;
      if (std !== null) std[t] = NaN;
      if (z !== null) z[t] = NaN;
      continue;
    }
    if (k === 0) {
      c = xt;
      s1 = s2 = 0;
      for (let j = t - w + 1; j <= t; j++) {
        const y = x[j] - c;
        s1 += y;
        s2 += y * y;
      }
    } else {
      const yi = xt - c, yo = x[t - w] - c;
      s1 += yi - yo;
      s2 += yi * yi - yo * yo;
    }
    if (++k === per) k = 0;
    const v = (s2 - (s1 * s1) / w) / (w - 1);
    if (mean !== null) mean[t] = c + s1 / w;
    if (vr !== null) vr[t] = v > 0 ? v : 0;
    if (std !== null) std[t] = Math.sqrt(v > 0 ? v : 0);
    if (z !== null) z[t] = v > 0 ? (xt - c - s1 / w) / Math.sqrt(v) : NaN;
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
  if (start >= n) return;
  const per = period(w);
  let lastNan = lastNanIn(x, start - w + 1, start);
  let k = 0, c = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0;
  for (let t = start; t < n; t++) {
    const xt = x[t];
    if (xt !== xt) lastNan = t;
    if (lastNan > t - w) {
      k = 0;
      o[t] = NaN;
      continue;
    }
    if (k === 0) {
      c = xt;
      s1 = s2 = s3 = s4 = 0;
      for (let j = t - w + 1; j <= t; j++) {
        const y = x[j] - c, y2 = y * y;
        s1 += y;
        s2 += y2;
        s3 += y2 * y;
        s4 += y2 * y2;
      }
    } else {
      const yi = xt - c, yo = x[t - w] - c, i2 = yi * yi, o2 = yo * yo;
      s1 += yi - yo;
      s2 += i2 - o2;
      s3 += i2 * yi - o2 * yo;
      s4 += i2 * i2 - o2 * o2;
    }
    if (++k === per) k = 0;
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
  const sign = kind === "max" ? 1 : -1;
  let lastNan = lastNanIn(x, start - w + 1, start);
  if (n - start <= 4) {
    for (let t = start; t < n; t++) {
      if (x[t] !== x[t]) lastNan = t;
      if (lastNan > t - w) {
        o[t] = NaN;
        continue;
      }
      let e = -Infinity;
      for (let j = t - w + 1; j <= t; j++) if (sign * x[j] > e) e = sign * x[j];
      o[t] = sign * e;
    }
    return;
  }
  // g = block prefix, h = block suffix extremes (blocks of w rows from s0); a NaN inside a block
  // only reaches windows that hold it
  const s0 = start - w + 1, m = n - s0;
  const g = new Float64Array(m), h = new Float64Array(m);
  for (let b = 0; b < m; b += w) {
    const e = Math.min(m, b + w);
    let a = sign * x[b + s0];
    g[b] = a;
    for (let i = b + 1; i < e; i++) {
      const v = sign * x[i + s0];
      if (v > a) a = v;
      g[i] = a;
    }
    a = sign * x[e - 1 + s0];
    h[e - 1] = a;
    for (let i = e - 2; i >= b; i--) {
      const v = sign * x[i + s0];
      if (v > a) a = v;
      h[i] = a;
    }
  }
  for (let t = start; t < n; t++) {
    if (x[t] !== x[t]) lastNan = t;
    if (lastNan > t - w) {
      o[t] = NaN;
      continue;
    }
    const a = h[t - w + 1 - s0], b = g[t - s0];
    o[t] = sign * (a > b ? a : b);
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
  if (start >= n) return;
  const per = period(w);
  let lastNan = Math.max(lastNanIn(x, start - w + 1, start), lastNanIn(y, start - w + 1, start));
  let cx = 0, cy = 0, sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0, k = 0;
  for (let t = start; t < n; t++) {
    const xt = x[t], yt = y[t];
    if (xt !== xt || yt !== yt) lastNan = t;
    if (lastNan > t - w) {
      k = 0;
      if (cov !== null) cov[t] = NaN;
      if (corr !== null) corr[t] = NaN;
      continue;
    }
    if (k === 0) {
      cx = xt;
      cy = yt;
      sx = sy = sxx = syy = sxy = 0;
      for (let j = t - w + 1; j <= t; j++) {
        const a = x[j] - cx, b = y[j] - cy;
        sx += a;
        sy += b;
        sxx += a * a;
        syy += b * b;
        sxy += a * b;
      }
    } else {
      const a = xt - cx, b = yt - cy, ao = x[t - w] - cx, bo = y[t - w] - cy;
      sx += a - ao;
      sy += b - bo;
      sxx += a * a - ao * ao;
      syy += b * b - bo * bo;
      sxy += a * b - ao * bo;
    }
    if (++k === per) k = 0;
    const cxy = sxy - (sx * sy) / w;
    if (cov !== null) cov[t] = cxy / (w - 1);
    if (corr !== null) {
      const vx = sxx - (sx * sx) / w, vy = syy - (sy * sy) / w;
      corr[t] = vx > 0 && vy > 0 ? Math.max(-1, Math.min(1, cxy / Math.sqrt(vx * vy))) : NaN;
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
 * cut into chunks; a chunk's values and the w − 1 before it are ranked (radix sort), and a
 * Fenwick tree over those local ranks counts the window's values while it slides: O(log w) per
 * row on a tree that stays in cache. Counts are taken over the window's rows alone, so the result
 * at t depends on rows <= t only.
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
  const bit = new Int32Array(cap + 1), count = new Int32Array(cap + 1);
  for (let a = start; a < n; a += chunk) {
    const b = Math.min(n, a + chunk), lo = a - w + 1, m = b - lo;
    const u = ranker.rank(x, lo, m);
    const rank = ranker.ranks;
    bit.fill(0, 0, u + 1);
    count.fill(0, 0, u + 1);
    let nan = 0;
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
      const eq = count[ri];
      if (eq === w) continue; // flat window
      let less = 0;
      for (let k = ri - 1; k > 0; k -= k & -k) less += bit[k];
      const q = 2 * less + eq - 1;
      const t = lo + i;
      if (pct !== null) pct[t] = q / d;
      if (tercile !== null) tercile[t] = 3 * q < d ? 0 : 3 * q < 2 * d ? 1 : 2;
    }
  }
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
 * Dense ranks 1..u of a run of values (equal values share a rank, NaN gets 0), by an LSD radix
 * sort of the IEEE-754 bit patterns made order-preserving (flip the sign bit of positives, every
 * bit of negatives; −0 and +0 end up adjacent and share a rank). Digits of 11/11/10 bits per 32-bit
 * word (histograms in L1), all six histograms in one pass, digits shared by every value skipped;
 * the keys travel with their indices so each pass reads sequentially. Buffers are reused.
 */
class Ranker {
  /** Ranks of the last run (valid for its first m entries). */
  readonly ranks: Int32Array;
  #hi: Uint32Array;
  #lo: Uint32Array;
  #idx: Uint32Array;
  #hi2: Uint32Array;
  #lo2: Uint32Array;
  #idx2: Uint32Array;
  #hist = new Int32Array(6 * 2048);

  constructor(cap: number) {
    this.ranks = new Int32Array(cap);
    this.#hi = new Uint32Array(cap);
    this.#lo = new Uint32Array(cap);
    this.#idx = new Uint32Array(cap);
    this.#hi2 = new Uint32Array(cap);
    this.#lo2 = new Uint32Array(cap);
    this.#idx2 = new Uint32Array(cap);
  }

  /** Rank x[lo..lo+m) into `ranks[0..m)`; returns u, the number of distinct values. */
  rank(x: Float64Array, lo: number, m: number): number {
    const words = new Uint32Array(x.buffer, x.byteOffset + lo * 8, m * 2);
    const ranks = this.ranks, hist = this.#hist;
    let hi = this.#hi, low = this.#lo, idx = this.#idx;
    let hi2 = this.#hi2, lo2 = this.#lo2, idx2 = this.#idx2;
    hist.fill(0);
    let k = 0;
    for (let i = 0; i < m; i++) {
      const v = x[lo + i];
      if (v !== v) {
        ranks[i] = 0;
        continue;
      }
      let h = words[2 * i + 1], l = words[2 * i];
      if (h & 0x80000000) {
        h = ~h >>> 0;
        l = ~l >>> 0;
      } else h = (h | 0x80000000) >>> 0;
      hi[k] = h;
      low[k] = l;
      idx[k] = i;
      k++;
      hist[l & 2047]++;
      hist[2048 + ((l >>> 11) & 2047)]++;
      hist[4096 + (l >>> 22)]++;
      hist[6144 + (h & 2047)]++;
      hist[8192 + ((h >>> 11) & 2047)]++;
      hist[10240 + (h >>> 22)]++;
    }
    for (let p = 0; p < 6; p++) {
      const base = p * 2048;
      let skip = false;
      for (let b = 0; b < 2048; b++) {
        const c = hist[base + b];
        if (c) {
          skip = c === k; // one digit for every value: nothing to sort
          break;
        }
      }
      if (skip) continue;
      let sum = 0;
      for (let b = 0; b < 2048; b++) {
        const c = hist[base + b];
        hist[base + b] = sum;
        sum += c;
      }
      const shift = (p % 3) * 11;
      if (p < 3) {
        for (let j = 0; j < k; j++) {
          const l = low[j], pos = hist[base + ((l >>> shift) & 2047)]++;
          hi2[pos] = hi[j];
          lo2[pos] = l;
          idx2[pos] = idx[j];
        }
      } else {
        for (let j = 0; j < k; j++) {
          const h = hi[j], pos = hist[base + ((h >>> shift) & 2047)]++;
          hi2[pos] = h;
          lo2[pos] = low[j];
          idx2[pos] = idx[j];
        }
      }
      [hi, hi2] = [hi2, hi];
      [low, lo2] = [lo2, low];
      [idx, idx2] = [idx2, idx];
    }
    let u = 0, prev = NaN;
    for (let j = 0; j < k; j++) {
      const i = idx[j], v = x[lo + i];
      if (v !== prev) {
        u++;
        prev = v;
      }
      ranks[i] = u;
    }
    return u;
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
