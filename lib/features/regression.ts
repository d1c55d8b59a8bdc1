/**
 * Regression family (SPEC §5 "regression", 90 idx + 90 bqx columns): a rolling quadratic fit
 * y = a2·x² + a1·x + a0 over the trailing W rows, x = 0..W−1 (newest row at x_end = W−1), for
 * W ∈ {60, 90, 150, 240, 390, 630}. Why: the shape of the recent path (level, drift, bend) and how
 * well a smooth curve explains it, at six horizons, on the rate index and on BQX.
 *
 * Fifteen columns per window and domain, named `{idx|bqx}_reg_{W}_{stat}`:
 * - `quadratic_term` = a2·x_end², `linear_term` = a1·x_end, `constant_term` = a0 (SPEC's
 *   term-based outputs; their sum is the fitted value at the newest row);
 * - `residual` = y_end − fit, `r2` = 1 − SSE/SST (NaN on a flat window), `rmse` = sqrt(SSE/W),
 *   `prediction` = the fit extrapolated one row ahead (x = W);
 * - normalized coefficients (choice): `quadratic_norm` = quadratic_term / σ and `linear_norm` =
 *   linear_term / σ, σ the sample std (n−1) of y over the window: the bend and the drift over the
 *   window in units of the window's own dispersion, comparable across pairs and domains; NaN when
 *   σ = 0;
 * - `apex` (choice): the vertex x* = −a1/(2·a2) relative to the newest row, in window lengths,
 *   (x* − x_end)/W: −1 = the window's start, 0 = now, > 0 = a turn the fit places ahead. NaN when
 *   σ = 0 or |quadratic_norm| < 1e-9 (no curvature beyond rounding: the sign of a2 is noise);
 *   otherwise clamped to [−2, 2] (an apex farther away only says "almost straight");
 * - `residual_mean`, `residual_std` (n−1), `residual_z` = (residual − mean)/std over the last 60
 *   rows of the newest-row residual series (so they need W − 1 + 59 rows of warm-up); z is NaN
 *   when std = 0;
 * - cross-window (choice), against the next longer window W' (the longest, 630, against the
 *   shortest, 60): `linear_ratio_{W'}` = linear_term(W) / linear_term(W'), NaN when the
 *   denominator is 0 and clamped to [−100, 100] (the denominator crosses zero; beyond ±100 the
 *   ratio only says "the longer window is flat"); `prediction_spread_{W'}` = prediction(W) −
 *   prediction(W').
 *
 * Sources: idx = `series.close` (rate index), bqx = `series.bqx` (w15_bqx_return, NaN for its first
 * 15 rows, hence 15 more rows of warm-up). A window holding a NaN gives NaN (strict). All columns
 * are scope "primary".
 *
 * Speed: the O(1)-per-row kernel of `_quadFit.ts` (orthogonal polynomials, anchored sliding sums,
 * direct recomputation every 64 rows) writes ten columns of each window straight into the output
 * arrays; the residual statistics take one more pass (a private mean/std/z helper, the
 * `_kernels.ts` convention in one pass), the cross-window columns one more. Values do not depend
 * on `ctx.from` (the rolling passes restart at aligned rows): the live path's last row is
 * bit-identical to the batch one.
 *
 * @example
 * ```ts
 * import { regression } from "./regression.ts";
 * import assert from "node:assert/strict";
 * // close on an exact parabola over 60 rows: y = 0.001·x² − 0.1·x + 100
 * const n = 60, close = new Float64Array(n), bqx = new Float64Array(n).fill(NaN);
 * for (let x = 0; x < n; x++) close[x] = 0.001 * x * x - 0.1 * x + 100;
 * const s = { pair: "eurusd", n, close, bqx } as never;
 * const cols = new Map<string, Float64Array>();
 * regression.compute(s, { from: 0 }, (name) => {
 *   const a = new Float64Array(n).fill(NaN);
 *   cols.set(name, a);
 *   return a;
 * });
 * // quadratic_term = a2·x_end² = 0.001·59² = 3.481; linear_term = −0.1·59 = −5.9
 * assert.ok(Math.abs(cols.get("idx_reg_60_quadratic_term")![59] - 3.481) < 1e-9);
 * assert.ok(Math.abs(cols.get("idx_reg_60_linear_term")![59] + 5.9) < 1e-9);
 * assert.ok(Number.isNaN(cols.get("bqx_reg_60_r2")![59]));
 * ```
 * @module
 */
import type { FeatureFamily, FeatureSpec, PairSeries, Sink } from "./_types.ts";
import { REANCHOR } from "./_kernels.ts";
import { REG_SOURCES, REG_WINDOWS, type RegSource, rollingQuadFit, rollStart } from "./_quadFit.ts";

/** Rows of the residual statistics. */
const RESID_W = 60;
const RATIO_CLAMP = 100;

/** The per-window statistics, in column order (the two cross-window ones come last). */
const STATS = [
  "quadratic_term",
  "linear_term",
  "constant_term",
  "residual",
  "r2",
  "rmse",
  "prediction",
  "quadratic_norm",
  "linear_norm",
  "apex",
  "residual_mean",
  "residual_std",
  "residual_z",
] as const;

const DOCS: Record<(typeof STATS)[number], string> = {
  quadratic_term: "a2·x_end² of the rolling quadratic fit",
  linear_term: "a1·x_end of the rolling quadratic fit",
  constant_term: "a0 of the rolling quadratic fit (fit at the window's oldest row)",
  residual: "newest value minus the fitted value",
  r2: "R² of the quadratic fit (NaN on a flat window)",
  rmse: "root mean squared residual of the fit over the window",
  prediction: "the fit extrapolated one row ahead",
  quadratic_norm: "quadratic_term / window std",
  linear_norm: "linear_term / window std",
  apex: "fit vertex relative to the newest row, in window lengths, clamped to ±2",
  residual_mean: "mean of the newest-row residual over 60 rows",
  residual_std: "std of the newest-row residual over 60 rows",
  residual_z: "z-score of the newest-row residual over 60 rows",
};

/** The longer window each window is compared with (the longest wraps to the shortest). */
function nextIndex(i: number): number {
  return (i + 1) % REG_WINDOWS.length;
}

function specsOf(v: RegSource): FeatureSpec[] {
  const specs: FeatureSpec[] = [];
  const spec = (name: string, params: FeatureSpec["params"], warmup: number, doc: string) =>
    specs.push({
      name,
      family: "regression",
      domain: v.domain,
      scope: "primary",
      params: { source: v.source, ...params },
      warmup,
      doc,
    });
  REG_WINDOWS.forEach((w, i) => {
    const base = v.sourceWarmup + w - 1;
    for (const stat of STATS) {
      const warm = stat.startsWith("residual_") ? base + RESID_W - 1 : base;
      spec(`${v.domain}_reg_${w}_${stat}`, { window: w, stat }, warm, DOCS[stat]);
    }
    const w2 = REG_WINDOWS[nextIndex(i)];
    const warm = v.sourceWarmup + Math.max(w, w2) - 1;
    spec(
      `${v.domain}_reg_${w}_linear_ratio_${w2}`,
      { window: w, other: w2, stat: "linear_ratio" },
      warm,
      `linear_term(${w}) / linear_term(${w2}), clamped to ±${RATIO_CLAMP}`,
    );
    spec(
      `${v.domain}_reg_${w}_prediction_spread_${w2}`,
      { window: w, other: w2, stat: "prediction_spread" },
      warm,
      `prediction(${w}) − prediction(${w2})`,
    );
  });
  return specs;
}

/**
 * Trailing mean, sample std (n − 1) and z-score of x over w rows in one pass, written into
 * `mean`, `sd`, `z` (NaN-filled) for rows from..n−1. Sums of deviations from an anchor slide in
 * O(1) and are recomputed directly at every multiple of REANCHOR and after a NaN window (the
 * `_kernels.ts` convention, aligned so values do not depend on `from`); z is NaN when std = 0.
 * Private: `rollingMean` + `rollingStd` of `_kernels.ts` give the same numbers in two passes with
 * two temporary arrays, which costs more than the arithmetic here.
 */
function rollingMeanStdZ(
  x: Float64Array | Float32Array,
  w: number,
  from: number,
  mean: Float64Array | Float32Array,
  sd: Float64Array | Float32Array,
  z: Float64Array | Float32Array,
): void {
  const n = x.length, start = rollStart(from, w), iw = 1 / w, iw1 = 1 / (w - 1);
  let lastNan = -1;
  for (let j = start - w + 1; j < start; j++) if (x[j] !== x[j]) lastNan = j;
  let c = 0, s1 = 0, s2 = 0, live = false;
  for (let t = start; t < n; t++) {
    if (x[t] !== x[t]) lastNan = t;
    if (lastNan > t - w) {
      live = false;
      continue;
    }
    if (!live || t % REANCHOR === 0) {
      c = x[t];
      s1 = s2 = 0;
      for (let j = t - w + 1; j <= t; j++) {
        const d = x[j] - c;
        s1 += d;
        s2 += d * d;
      }
      live = true;
    } else {
      const dIn = x[t] - c, dOut = x[t - w] - c;
      s1 += dIn - dOut;
      s2 += dIn * dIn - dOut * dOut;
    }
    if (t < from) continue;
    const mu = s1 * iw, v = (s2 - s1 * mu) * iw1, s = v > 0 ? Math.sqrt(v) : 0;
    mean[t] = c + mu;
    sd[t] = s;
    z[t] = s > 0 ? (x[t] - c - mu) / s : NaN;
  }
}

/**
 * Columns the family reads back (the residual statistics, the cross-window ratio and spread) or
 * publishes for term covariance: Float64 sinks. The others are written once, straight into their
 * Float32 storage in the batch build (`ctx.out32`: the same values, rounded once, half the
 * memory traffic and ~100 fewer Float64 sinks per pair).
 */
const READ_BACK = new Set<string>([
  "quadratic_term",
  "linear_term",
  "constant_term",
  "residual",
  "prediction",
]);

function computeOf(
  v: RegSource,
  s: PairSeries,
  from: number,
  out: Sink,
  out32: ((name: string) => Float32Array) | undefined,
  shared?: Map<string, unknown>,
): void {
  const n = s.n, y = v.get(s);
  // the residual statistics read the last 60 residuals: fit from 59 rows before where they start
  const fitFrom = rollStart(from, RESID_W) - (RESID_W - 1);
  const once = (name: string) => out32?.(name) ?? out(name);
  // open every column in specs() order; the fits write straight into theirs
  const cols = REG_WINDOWS.map((w, i) => {
    const c = {} as Record<
      (typeof STATS)[number] | "ratio" | "spread",
      Float64Array | Float32Array
    >;
    for (const stat of STATS) {
      const name = `${v.domain}_reg_${w}_${stat}`;
      c[stat] = READ_BACK.has(stat) ? out(name) : once(name);
    }
    const w2 = REG_WINDOWS[nextIndex(i)];
    c.ratio = once(`${v.domain}_reg_${w}_linear_ratio_${w2}`);
    c.spread = once(`${v.domain}_reg_${w}_prediction_spread_${w2}`);
    return c;
  });
  REG_WINDOWS.forEach((w, i) => {
    const c = cols[i];
    rollingQuadFit(y, w, fitFrom, {
      quadTerm: c.quadratic_term,
      linTerm: c.linear_term,
      a0: c.constant_term,
      residual: c.residual,
      r2: c.r2,
      rmse: c.rmse,
      prediction: c.prediction,
      quadNorm: c.quadratic_norm,
      linNorm: c.linear_norm,
      apex: c.apex,
    });
    rollingMeanStdZ(c.residual, RESID_W, from, c.residual_mean, c.residual_std, c.residual_z);
    // publish the fitted terms (rows fitFrom..n−1) for the term-covariance family
    shared?.set(termsKey(v.domain, w, fitFrom), {
      quad: c.quadratic_term,
      lin: c.linear_term,
      cons: c.constant_term,
    });
  });
  REG_WINDOWS.forEach((_w, i) => {
    const c = cols[i], g = cols[nextIndex(i)];
    const lin = c.linear_term, pred = c.prediction, lg = g.linear_term, pg = g.prediction;
    const ratio = c.ratio, spread = c.spread;
    for (let t = from; t < n; t++) {
      const den = lg[t];
      let r = den !== 0 ? lin[t] / den : NaN;
      if (r > RATIO_CLAMP) r = RATIO_CLAMP;
      else if (r < -RATIO_CLAMP) r = -RATIO_CLAMP;
      ratio[t] = r;
      spread[t] = pred[t] - pg[t];
    }
  });
}

/** Key of the fitted terms a regression window publishes in `ctx.shared`. */
export function termsKey(domain: string, w: number, fitFrom: number): string {
  return `quadfit:${domain}:${w}:${fitFrom}`;
}

/** The regression family: 90 idx + 90 bqx columns (SPEC §5). */
export const regression: FeatureFamily = {
  name: "regression",
  specs: () => REG_SOURCES.flatMap(specsOf),
  compute(series, ctx, out) {
    for (const v of REG_SOURCES) computeOf(v, series, ctx.from, out, ctx.out32, ctx.shared);
  },
};
