/**
 * The baselines SPEC §6 reports beside every model ("skill = improvement over the best
 * baseline"): zero change (persistence), the train mean, and a ridge AR on the target's own
 * lags. Each returns a forecast for every row, aligned with the target array.
 *
 * - {@linkcode zeroChange}: forecast target_h(t) = w{h}_bqx_return(t) — "BQX will not move".
 *   For `target_h_scaled` (a change over σ) the same forecast is 0.
 * - {@linkcode trainMean}: the mean of the target over the train rows, for every row.
 * - {@linkcode ridgeAR}: ŷ(t) = a + Σ_j β_j·y(t − j) over lags j of the **realized target**.
 *   Causality: y(t − j) = target_h(t − j) is a function of idx(t − j … t − j + h), so it is known
 *   at t only when t − j + h ≤ t, i.e. **j ≥ h**. Lags j < h would read the future and are
 *   rejected with a RangeError (they cannot be requested). The first causal lag, j = h, is
 *   target_h(t − h) = w{h}_bqx_return(t), today's BQX: the AR nests persistence.
 *
 * Ridge AR details (choices): `y` is one pair's series in time order (a lag is "rows back" in
 * the array, so stacked pairs must be split first; segments may still be given as explicit row
 * indices, e.g. a `lib/dataset` `Segment`). Rows count bars, as every rolling window here (a
 * lag across a market gap is just an older bar; targets that span a gap are NaN already, SPEC
 * §4). Lag columns are standardized with train means/stds, the intercept is unpenalized, and the
 * objective is (1/n)·Σ(y − a − Xβ)² + λ‖β‖², solved in closed form by Cholesky of
 * XᵀX/n + λI — so λ is unit-free (comparable across targets and pairs). λ is the grid value with
 * the lowest validation MSE (first one on ties; a grid value whose system is singular, e.g. λ = 0
 * with collinear lags, is skipped); the model is fit on the train rows only (not refit on
 * train + valid). Rows with a NaN target or lag are left out of the fit and forecast NaN.
 *
 * @example
 * ```ts
 * import { zeroChange } from "./baselines.ts";
 * import assert from "node:assert/strict";
 * const bqxNow = new Float64Array([0.5, -1, NaN]);
 * assert.deepEqual([...zeroChange(bqxNow)], [0.5, -1, NaN]);
 * assert.deepEqual([...zeroChange(bqxNow, { scaled: true })], [0, 0, NaN]);
 * ```
 * @module
 */
import { type Numbers, positiveInt, rowIndices, type RowSet } from "./_series.ts";

/** Options of {@linkcode zeroChange}. */
export interface ZeroChangeOptions {
  /**
   * The target is a scaled change (`target_h_scaled`): forecast 0 instead of the level.
   * @default false
   */
  scaled?: boolean;
}

/**
 * Zero-change (persistence) forecast.
 * @param current w{h}_bqx_return(t), the current BQX of the target's window
 * @param options scaled target or not
 * @returns `current` copied (level targets) or 0 where `current` is known (scaled targets)
 * @example
 * ```ts
 * import { zeroChange } from "./baselines.ts";
 * import assert from "node:assert/strict";
 * assert.equal(zeroChange([2, 3])[1], 3);
 * ```
 */
export function zeroChange(current: Numbers, options: ZeroChangeOptions = {}): Float64Array {
  const { scaled = false } = options;
  const out = Float64Array.from(current);
  if (scaled) { for (let i = 0; i < out.length; i++) if (out[i] === out[i]) out[i] = 0; }
  return out;
}

/**
 * Train-mean forecast: the mean of y over the train rows (NaN skipped), for every row.
 * @param y the target, full length
 * @param train the train segment: rows [start, end), or explicit `rows` (a dataset `Segment`)
 * @returns a constant array of y's length
 * @example
 * ```ts
 * import { trainMean } from "./baselines.ts";
 * import assert from "node:assert/strict";
 * // train rows 0..2 = 1, NaN, 3 → 2; the test row (10) is not used
 * assert.deepEqual([...trainMean([1, NaN, 3, 10], { start: 0, end: 3 })], [2, 2, 2, 2]);
 * ```
 */
export function trainMean(y: Numbers, train: RowSet): Float64Array {
  const rows = rowIndices("train", train, y.length);
  let s = 0, n = 0;
  for (const i of rows) {
    if (y[i] === y[i]) {
      s += y[i];
      n++;
    }
  }
  if (n === 0) {
    throw new RangeError(
      `Expected non-NaN targets in the ${rows.length} train rows but found none`,
    );
  }
  return new Float64Array(y.length).fill(s / n);
}

/** Options of {@linkcode ridgeAR}. */
export interface RidgeAROptions {
  /** Train rows ([start, end) or explicit `rows`, e.g. a dataset `Segment`): the fit. */
  train: RowSet;
  /** Validation rows (as `train`): choose λ. */
  valid: RowSet;
  /**
   * Lags j (rows back) of the realized target, each an integer ≥ h.
   * @default [h, h+1, h+5, 2h, 3h]
   */
  lags?: readonly number[];
  /** Ridge penalties to try. @default [0, 1e-4, 1e-3, 1e-2, 0.1, 1, 10] */
  lambdas?: readonly number[];
}

/** A fitted ridge AR baseline. */
export interface RidgeARFit {
  /** ŷ for every row (NaN where a lag is NaN or before the first lag). */
  forecast: Float64Array;
  /** Lags used (sorted, unique). */
  lags: number[];
  /** The chosen penalty. */
  lambda: number;
  /** Intercept on the raw lags: ŷ = intercept + Σ coef·y(t − lag). */
  intercept: number;
  /** Coefficients on the raw (unstandardized) lags, in `lags` order. */
  coef: Float64Array;
  /** Validation MSE per grid λ (NaN where the system was singular). */
  validMse: Float64Array;
  /** Rows used in the fit and in the validation. */
  nTrain: number;
  nValid: number;
}

/** Default lags for horizon h: today's BQX (j = h), one bar before, 5 bars before, 2h, 3h. */
function defaultLags(h: number): number[] {
  return [h, h + 1, h + 5, 2 * h, 3 * h];
}

/** Rows of [start, end) whose target and lags are all non-NaN. */
function usableRows(y: Numbers, lags: number[], r: Int32Array): number[] {
  const rows: number[] = [];
  for (const t of r) {
    if (y[t] !== y[t]) continue;
    let ok = true;
    for (const j of lags) if (t - j < 0 || y[t - j] !== y[t - j]) ok = false;
    if (ok) rows.push(t);
  }
  return rows;
}

/** Solve A x = b for symmetric positive definite A (p × p, row-major); null if not SPD. */
function cholSolve(a: Float64Array, b: Float64Array, p: number): Float64Array | null {
  const l = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * p + j];
      for (let k = 0; k < j; k++) s -= l[i * p + k] * l[j * p + k];
      if (i === j) {
        if (!(s > 1e-12 * Math.max(1, a[i * p + i]))) return null;
        l[i * p + i] = Math.sqrt(s);
      } else l[i * p + j] = s / l[j * p + j];
    }
  }
  const z = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[i * p + k] * z[k];
    z[i] = s / l[i * p + i];
  }
  const x = new Float64Array(p);
  for (let i = p - 1; i >= 0; i--) {
    let s = z[i];
    for (let k = i + 1; k < p; k++) s -= l[k * p + i] * x[k];
    x[i] = s / l[i * p + i];
  }
  return x;
}

/**
 * Ridge AR baseline on the target's own causal lags, λ chosen on validation.
 * @param y the realized target (e.g. `target_15`, or its scaled version), full length
 * @param h the target's horizon in bars (lags below h are not known at t)
 * @param options train/valid segments, lags, λ grid
 * @returns the forecast for every row and the fitted model
 * @example
 * ```ts
 * import { ridgeAR } from "./baselines.ts";
 * import assert from "node:assert/strict";
 * // y(t) = 2·y(t−1) exactly (h = 1, lag 1): the fit recovers ŷ = 2·y(t−1)
 * const y = Float64Array.from({ length: 12 }, (_, t) => 2 ** (t % 6));
 * y[6] = NaN; // break the doubling between the two halves
 * const train = { start: 0, end: 6 }, valid = { start: 7, end: 12 };
 * const fit = ridgeAR(y, 1, { train, valid, lags: [1], lambdas: [0] });
 * assert.ok(Math.abs(fit.coef[0] - 2) < 1e-9 && Math.abs(fit.intercept) < 1e-9);
 * assert.ok(Math.abs(fit.forecast[9] - 2 * y[8]) < 1e-9);
 * // lag 2 < h = 3: target(t − 2) is not known at t yet
 * assert.throws(() => ridgeAR(y, 3, { train, valid, lags: [2] }), RangeError);
 * ```
 */
export function ridgeAR(y: Numbers, h: number, options: RidgeAROptions): RidgeARFit {
  positiveInt("h", h);
  const {
    train,
    valid,
    lags: lagsIn = defaultLags(h),
    lambdas = [0, 1e-4, 1e-3, 1e-2, 0.1, 1, 10],
  } = options;
  const n = y.length;
  const trainIdx = rowIndices("train", train, n), validIdx = rowIndices("valid", valid, n);
  for (const j of lagsIn) {
    if (!Number.isInteger(j) || j < h) {
      throw new RangeError(
        `Expected every lag to be an integer >= h = ${h} (target(t - j) is known at t only ` +
          `when j >= h) but found ${j}`,
      );
    }
  }
  if (lagsIn.length === 0) throw new RangeError("Expected at least one lag but found none");
  if (lambdas.length === 0 || lambdas.some((l) => !(l >= 0))) {
    throw new RangeError(`Expected lambdas to be numbers >= 0 but found [${lambdas.join(", ")}]`);
  }
  const lags = [...new Set(lagsIn)].sort((a, b) => a - b);
  const p = lags.length;
  const trainRows = usableRows(y, lags, trainIdx), validRows = usableRows(y, lags, validIdx);
  if (trainRows.length < 2) {
    throw new RangeError(
      `Expected at least 2 usable train rows (target and all lags known) but found ` +
        `${trainRows.length}`,
    );
  }
  if (validRows.length < 1) {
    throw new RangeError("Expected at least 1 usable validation row but found 0");
  }
  // standardize on train
  const nt = trainRows.length;
  const mu = new Float64Array(p), sd = new Float64Array(p);
  let my = 0;
  for (const t of trainRows) {
    my += y[t];
    for (let k = 0; k < p; k++) mu[k] += y[t - lags[k]];
  }
  my /= nt;
  for (let k = 0; k < p; k++) mu[k] /= nt;
  for (const t of trainRows) {
    for (let k = 0; k < p; k++) sd[k] += (y[t - lags[k]] - mu[k]) ** 2;
  }
  for (let k = 0; k < p; k++) sd[k] = Math.sqrt(sd[k] / nt) || 1; // a constant lag: β·0 anyway
  // moments XᵀX/n and Xᵀy/n of the centered, standardized lags
  const xx = new Float64Array(p * p), xy = new Float64Array(p), z = new Float64Array(p);
  for (const t of trainRows) {
    for (let k = 0; k < p; k++) z[k] = (y[t - lags[k]] - mu[k]) / sd[k];
    const yc = y[t] - my;
    for (let i = 0; i < p; i++) {
      xy[i] += z[i] * yc / nt;
      for (let j = 0; j < p; j++) xx[i * p + j] += z[i] * z[j] / nt;
    }
  }
  const predictRow = (beta: Float64Array, t: number) => {
    let s = my;
    for (let k = 0; k < p; k++) s += beta[k] * (y[t - lags[k]] - mu[k]) / sd[k];
    return s;
  };
  const validMse = new Float64Array(lambdas.length).fill(NaN);
  let best = -1, bestBeta: Float64Array | null = null;
  lambdas.forEach((lambda, li) => {
    const a = Float64Array.from(xx);
    for (let i = 0; i < p; i++) a[i * p + i] += lambda;
    const beta = cholSolve(a, xy, p);
    if (!beta) return;
    let sse = 0;
    for (const t of validRows) sse += (y[t] - predictRow(beta, t)) ** 2;
    validMse[li] = sse / validRows.length;
    if (best < 0 || validMse[li] < validMse[best]) {
      best = li;
      bestBeta = beta;
    }
  });
  if (!bestBeta) {
    throw new RangeError(
      `Expected a solvable ridge system for some lambda but every one in [${
        lambdas.join(", ")
      }] was singular`,
    );
  }
  const beta: Float64Array = bestBeta;
  const forecast = new Float64Array(n).fill(NaN);
  for (let t = lags[p - 1]; t < n; t++) {
    let ok = true;
    for (const j of lags) if (y[t - j] !== y[t - j]) ok = false;
    if (ok) forecast[t] = predictRow(beta, t);
  }
  const coef = new Float64Array(p);
  let intercept = my;
  for (let k = 0; k < p; k++) {
    coef[k] = beta[k] / sd[k];
    intercept -= coef[k] * mu[k];
  }
  return {
    forecast,
    lags,
    lambda: lambdas[best],
    intercept,
    coef,
    validMse,
    nTrain: nt,
    nValid: validRows.length,
  };
}
