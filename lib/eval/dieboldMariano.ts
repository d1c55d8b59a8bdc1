/**
 * Diebold–Mariano test of equal predictive accuracy (Diebold & Mariano 1995) with the
 * Harvey–Leybourne–Newbold (1997) small-sample correction — SPEC §6 "skill = improvement over the
 * best baseline, with a Diebold–Mariano test".
 *
 * With model errors e₁, baseline errors e₂ and loss L (squared or absolute), the loss
 * differential is d_t = L(e₁_t) − L(e₂_t) (negative = the model is better). Then
 *
 *     d̄ = mean(d),  γ_k = (1/n) Σ_{t=k+1..n} (d_t − d̄)(d_{t−k} − d̄),
 *     LRV = γ₀ + 2 Σ_{k=1..h−1} w_k γ_k,           DM = d̄ / √(LRV / n),
 *     DM* = DM · √( (n + 1 − 2h + h(h−1)/n) / n ),  p from Student t with n − 1 df.
 *
 * h−1 autocovariance lags because h-step errors of non-overlapping information are MA(h−1).
 * Kernel (choice): Bartlett / Newey–West weights w_k = 1 − k/h by default, which keep LRV ≥ 0;
 * `kernel: "uniform"` (w_k = 1) is the original DM / HLN estimator, as in R's
 * `forecast::dm.test`, and can go negative in small samples (then the statistic is NaN).
 *
 * Edge cases: rows where either error is NaN are dropped (counted in `skipped`) and the rest are
 * treated as consecutive. If every d_t is equal, LRV = 0: identical losses (d ≡ 0) give
 * statistic 0 and p-values of 1 (two-sided) and 0.5 (one-sided) — no evidence either way; a
 * constant non-zero d gives ±Infinity (p 0 toward the winner). Fewer than 2 rows: NaN.
 *
 * @example
 * ```ts
 * import { dieboldMariano } from "./dieboldMariano.ts";
 * import assert from "node:assert/strict";
 * // d = e₁² − e₂² = [0, −3, 0, −3] → d̄ = −1.5, γ₀ = 2.25, h = 1: DM = −1.5/√(2.25/4) = −2,
 * // HLN factor √((4 + 1 − 2 + 0)/4) = √0.75
 * const r = dieboldMariano([1, 1, 1, 1], [1, 2, 1, 2]);
 * assert.ok(Math.abs(r.statistic + 2 * Math.sqrt(0.75)) < 1e-12);
 * assert.equal(r.df, 3);
 * assert.ok(r.pModelBetter < 0.5);
 * ```
 * @module
 */
import { type Numbers, positiveInt, sameLength } from "./_series.ts";
import { studentTUpper } from "./_distributions.ts";

/** Options of {@linkcode dieboldMariano}. */
export interface DieboldMarianoOptions {
  /** Forecast horizon h in bars: the LRV uses h − 1 autocovariance lags. @default 1 */
  h?: number;
  /** Loss applied to each error. @default "squared" */
  loss?: "squared" | "absolute";
  /**
   * Weights of the autocovariances: Bartlett (Newey–West) or uniform (original DM).
   * @default "bartlett"
   */
  kernel?: "bartlett" | "uniform";
  /**
   * Apply the Harvey–Leybourne–Newbold correction (t with n − 1 df); false = raw DM, normal.
   * @default true
   */
  hln?: boolean;
}

/** Result of {@linkcode dieboldMariano}. */
export interface DieboldMarianoResult {
  /** DM* (HLN-corrected) or DM; negative when the model's loss is lower. */
  statistic: number;
  /** Two-sided p-value, H₁: E[d] ≠ 0. */
  pValue: number;
  /** One-sided p-value, H₁: E[d] < 0 (the model is more accurate than the baseline). */
  pModelBetter: number;
  /** Mean loss differential d̄ = mean(L(e_model) − L(e_baseline)). */
  meanLossDiff: number;
  /** Long-run variance estimate of d. */
  longRunVariance: number;
  /** Rows used. */
  n: number;
  /** Rows dropped (an error was NaN). */
  skipped: number;
  /** Degrees of freedom of the t reference (n − 1; Infinity without HLN). */
  df: number;
  /** Horizon used. */
  h: number;
}

/**
 * Diebold–Mariano test of the model's errors against a baseline's.
 * @param errorsModel y − ŷ of the model
 * @param errorsBaseline y − ŷ of the baseline (same rows, same length)
 * @param options horizon, loss, kernel, HLN correction
 * @returns the statistic, two-sided and one-sided ("model better") p-values, n
 * @example
 * ```ts
 * import { dieboldMariano } from "./dieboldMariano.ts";
 * import assert from "node:assert/strict";
 * const e = [0.3, -1, 2, 0.5];
 * const same = dieboldMariano(e, e);
 * assert.equal(same.statistic, 0);
 * assert.equal(same.pValue, 1);
 * ```
 */
export function dieboldMariano(
  errorsModel: Numbers,
  errorsBaseline: Numbers,
  options: DieboldMarianoOptions = {},
): DieboldMarianoResult {
  const { h = 1, loss = "squared", kernel = "bartlett", hln = true } = options;
  sameLength("errorsModel", errorsModel, "errorsBaseline", errorsBaseline);
  positiveInt("h", h);
  if (loss !== "squared" && loss !== "absolute") {
    throw new RangeError(`Expected loss to be "squared" or "absolute" but found ${loss}`);
  }
  if (kernel !== "bartlett" && kernel !== "uniform") {
    throw new RangeError(`Expected kernel to be "bartlett" or "uniform" but found ${kernel}`);
  }
  const L = loss === "squared" ? (e: number) => e * e : Math.abs;
  const dl: number[] = [];
  for (let i = 0; i < errorsModel.length; i++) {
    const a = errorsModel[i], b = errorsBaseline[i];
    if (a !== a || b !== b) continue;
    dl.push(L(a) - L(b));
  }
  const n = dl.length, skipped = errorsModel.length - n;
  const df = hln ? n - 1 : Infinity;
  const base = { n, skipped, df, h };
  if (n < 2) {
    return {
      ...base,
      statistic: NaN,
      pValue: NaN,
      pModelBetter: NaN,
      meanLossDiff: n ? dl[0] : NaN,
      longRunVariance: NaN,
    };
  }
  const d = Float64Array.from(dl);
  let mean = 0;
  for (let t = 0; t < n; t++) mean += d[t];
  mean /= n;
  const c = d.map((v) => v - mean);
  const gamma = (k: number) => {
    let s = 0;
    for (let t = k; t < n; t++) s += c[t] * c[t - k];
    return s / n;
  };
  let lrv = gamma(0);
  for (let k = 1; k < Math.min(h, n); k++) {
    lrv += 2 * (kernel === "bartlett" ? 1 - k / h : 1) * gamma(k);
  }
  // every d_t exactly equal (identical errors give d ≡ 0): no variance, the mean alone decides
  const constant = d.every((v) => v === d[0]);
  let stat: number;
  if (constant) stat = d[0] === 0 ? 0 : d[0] > 0 ? Infinity : -Infinity;
  else if (!(lrv > 0)) stat = NaN;
  else {
    stat = mean / Math.sqrt(lrv / n);
    if (hln) stat *= Math.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n);
  }
  const upper = studentTUpper(Math.abs(stat), df); // P(T > |stat|)
  return {
    ...base,
    statistic: stat,
    pValue: Math.min(1, 2 * upper),
    pModelBetter: stat !== stat ? NaN : stat <= 0 ? upper : 1 - upper, // P(T ≤ stat)
    meanLossDiff: mean,
    longRunVariance: constant ? 0 : lrv,
  };
}
