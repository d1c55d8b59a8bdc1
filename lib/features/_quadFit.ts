/**
 * Rolling quadratic least squares (SPEC §5 "regression"): for every row t, the fit
 * y ≈ a2·x² + a1·x + a0 over rows t−w+1..t with x = 0..w−1 (the newest row at x_end = w−1), and
 * what the regression and term-covariance families read from it (terms, fit, residual, r², RMSE,
 * one-bar-ahead prediction, window std, std-normalized terms, apex location). Shared by
 * `regression.ts` and `termCovariance.ts` so both see the very same terms.
 *
 * Method, O(1) per row:
 * - The fit is solved through the discrete orthogonal polynomials of the uniform grid,
 *   p0 = 1, p1 = u, p2 = u² − k with u = x − (w−1)/2 and k = (w²−1)/12; they are orthogonal over
 *   x = 0..w−1 with Σp1² = w(w²−1)/12 and Σp2² = w(w²−1)(w²−4)/180, so each coefficient is an
 *   independent projection b_i = Σ p_i·y / Σ p_i² (no ill-conditioned 3×3 inverse at w = 630).
 *   Then a2 = b2, a1 = b1 − 2·b2·m, a0 = b0 − b1·m + b2·(m² − k) (m = (w−1)/2), and
 *   SSE = Σ(y−ȳ)² − b1²Σp1² − b2²Σp2².
 * - The sums Σd, Σu·d, Σu²·d, Σd² of d = y − c (c an anchor value, the newest y at the last
 *   recomputation) slide in O(1): dropping the oldest row and shifting u by −1 is
 *   S2' = S2 − 2·S1 + S0, S1' = S1 − S0 (after removing the old row), then the new row enters at
 *   u = m. They are recomputed directly (and the anchor reset) at every row t with
 *   t % {@linkcode REANCHOR} = 0 and after every gap, so rounding never drifts and the value at a
 *   row depends only on the rows since the last aligned recomputation: a call with any `from` gives
 *   bit-identical values to a call with `from = 0` (the kernel rolls forward from the aligned row
 *   at or before `from`, at most 63 extra O(1) steps). A tail of the series (the live path) has
 *   another row alignment and agrees with the full series to ~1e-12 relative.
 * - Accuracy (tests): the fit agrees with a direct normal-equation solve to ~1e-12 of the window's
 *   std at w = 60 and 630. Cost: ~15–40 ns per row and window on the reference 2-core machine,
 *   dominated by stores into the output arrays and the few divisions and square roots, which are
 *   only taken for the outputs asked for.
 *
 * Conventions: a window holding a NaN yields NaN in every output (strict, like `_kernels.ts`);
 * rows before `from` (and warm-up rows t < w−1) are left as they are (NaN when allocated here).
 * A flat window (Σ(y−ȳ)² ≤ 1e-12·Σd², i.e. zero up to rounding) has b1 = b2 = 0, SSE = 0,
 * std = 0 and r² = NaN (0/0). r² is clamped to [0, 1], SSE to ≥ 0; std is the sample std (n−1).
 *
 * @example
 * ```ts
 * import { rollingQuadFit } from "./_quadFit.ts";
 * import assert from "node:assert/strict";
 * // y = x² − 2x + 5 over the window x = 0..3 ending at the last row: a2 = 1, a1 = −2, a0 = 5
 * const y = new Float64Array([5, 4, 5, 8]);
 * const f = rollingQuadFit(y, 4);
 * assert.ok(Number.isNaN(f.a2[2]));
 * assert.ok(Math.abs(f.a2[3] - 1) < 1e-12 && Math.abs(f.a1[3] + 2) < 1e-12);
 * assert.ok(Math.abs(f.a0[3] - 5) < 1e-12 && Math.abs(f.residual[3]) < 1e-12);
 * assert.ok(Math.abs(f.prediction[3] - 13) < 1e-12); // 16 − 8 + 5 at x = 4
 * ```
 * @module
 */
import { REANCHOR } from "./_kernels.ts";
import type { Domain, PairSeries } from "./_types.ts";

/** Fit windows (rows) of the regression and term-covariance families, SPEC §5. */
export const REG_WINDOWS = [60, 90, 150, 240, 390, 630] as const;

/** One domain of the two families: its source series and the source's own warm-up. */
export interface RegSource {
  domain: Domain;
  /** Source column, for the catalog's params. */
  source: string;
  /** Leading NaN rows of the source. */
  sourceWarmup: number;
  get: (s: PairSeries) => Float64Array;
}

/** idx = rate index (`series.close`); bqx = `series.bqx` (w15_bqx_return, NaN for t < 15). */
export const REG_SOURCES: readonly RegSource[] = [
  { domain: "idx", source: "close", sourceWarmup: 0, get: (s) => s.close },
  { domain: "bqx", source: "w15_bqx_return", sourceWarmup: 15, get: (s) => s.bqx },
];

/** Per-row outputs of {@linkcode rollingQuadFit}, each of the input's length. */
export interface QuadFit {
  /** Constant coefficient a0 (the fit at x = 0, the oldest row of the window). */
  a0: Float64Array;
  /** Linear coefficient a1 (the fit's slope at x = 0). */
  a1: Float64Array;
  /** Quadratic coefficient a2. */
  a2: Float64Array;
  /** a2·x_end² (x_end = w − 1): SPEC's `quadratic_term`. */
  quadTerm: Float64Array;
  /** a1·x_end: SPEC's `linear_term`. */
  linTerm: Float64Array;
  /** Fitted value at the newest row (x = w − 1) = quadTerm + linTerm + a0. */
  fit: Float64Array;
  /** y_end − fit. */
  residual: Float64Array;
  /** The fit extrapolated one row ahead (x = w). */
  prediction: Float64Array;
  /** 1 − SSE / SST in [0, 1]; NaN for a flat window. */
  r2: Float64Array;
  /** sqrt(SSE / w). */
  rmse: Float64Array;
  /** Sample standard deviation (n − 1) of y over the window (0 when flat). */
  std: Float64Array;
  /** quadTerm / std (NaN when std = 0). */
  quadNorm: Float64Array;
  /** linTerm / std (NaN when std = 0). */
  linNorm: Float64Array;
  /**
   * Vertex x* = −a1 / (2·a2) relative to the newest row in window lengths, (x* − x_end) / w,
   * clamped to [−{@linkcode APEX_CLAMP}, {@linkcode APEX_CLAMP}]; NaN when std = 0 or
   * |quadNorm| < {@linkcode APEX_MIN_CURVATURE} (a2 indistinguishable from rounding).
   */
  apex: Float64Array;
}

/**
 * Arrays {@linkcode rollingQuadFit} may fill: Float64, or Float32 storage for outputs nothing reads
 * back (the feature build's direct columns; the same values, rounded once).
 */
export type QuadFitInto = { [K in keyof QuadFit]?: Float64Array | Float32Array };

/** Apex bound, in window lengths from the newest row. */
export const APEX_CLAMP = 2;
/** |quadNorm| below which the apex is undefined (NaN). */
export const APEX_MIN_CURVATURE = 1e-9;

const FIELDS: readonly (keyof QuadFit)[] = [
  "a0",
  "a1",
  "a2",
  "quadTerm",
  "linTerm",
  "fit",
  "residual",
  "prediction",
  "r2",
  "rmse",
  "std",
  "quadNorm",
  "linNorm",
  "apex",
];

/**
 * Where a rolling pass of window w asked for rows `from..` starts: the aligned recomputation row
 * (a multiple of {@linkcode REANCHOR}) at or before max(from, w − 1), or the first full window.
 * A pass that recomputes its sums directly there, at every multiple of REANCHOR and after every
 * NaN window gives bit-identical values whatever `from` is.
 */
export function rollStart(from: number, w: number): number {
  const lo = Math.max(from, w - 1);
  return Math.max(w - 1, lo - (lo % REANCHOR));
}

/**
 * Rolling quadratic least-squares fit over the trailing w rows.
 *
 * Without `into`, every output is allocated (NaN-filled) and returned. With `into`, only the
 * arrays it holds are written (each of y's length and NaN-filled, e.g. the output columns
 * themselves: memory traffic, not arithmetic, is this kernel's cost) and `into` is returned.
 * Rows whose window holds a NaN are not written (they keep their NaN).
 * @param y series, oldest first (NaN = missing)
 * @param w window, an integer >= 3
 * @param from first row to fill (rows before it are not written)
 * @param into the outputs wanted, as arrays to fill
 * @returns the per-row fit, see {@linkcode QuadFit}
 */
export function rollingQuadFit<T extends QuadFitInto = QuadFit>(
  y: Float64Array,
  w: number,
  from = 0,
  into?: T,
): T {
  if (!Number.isInteger(w) || w < 3) {
    throw new RangeError(`Expected window to be an integer >= 3 but found ${w}`);
  }
  const n = y.length;
  const r: QuadFitInto = into ?? {};
  if (!into) { for (const f of FIELDS) r[f] = new Float64Array(n).fill(NaN); }
  for (const f of FIELDS) {
    const a = r[f];
    if (a && a.length !== n) {
      throw new RangeError(`Expected into.${f} to have length ${n} but found ${a.length}`);
    }
  }
  const { a0, a1, a2, quadTerm, linTerm, fit, residual, prediction, r2, rmse, std } = r;
  const { quadNorm, linNorm, apex } = r;
  const wantFitStats = !!(r2 || rmse), wantNorm = !!(quadNorm || linNorm || apex);

  const m = (w - 1) / 2, mm = m * m, k = (w * w - 1) / 12, xe = w - 1;
  const iw = 1 / w;
  const iD1 = 12 / (w * (w * w - 1)), iD2 = 180 / (w * (w * w - 1) * (w * w - 4));
  const iw1 = 1 / (w - 1);
  const cEnd = mm - k, cNext = (m + 1) * (m + 1) - k; // p2 at the end and one row ahead
  const lo = Math.max(from, w - 1);
  // start at the aligned recomputation row at or before `from` so values do not depend on `from`
  const start = rollStart(from, w);
  // last NaN at or before the current row (−1: none); the window is clean when lastNan <= t − w
  let lastNan = -1;
  for (let j = start - w + 1; j < start; j++) if (y[j] !== y[j]) lastNan = j;
  let c = 0, s0 = 0, s1 = 0, s2 = 0, q = 0, live = false;
  for (let t = start; t < n; t++) {
    if (y[t] !== y[t]) lastNan = t;
    if (lastNan > t - w) {
      live = false;
      continue;
    }
    if (!live || t % REANCHOR === 0) {
      c = y[t];
      s0 =
        s1 =
        s2 =
        q =
          0;
      const j0 = t - w + 1;
      for (let j = 0; j < w; j++) {
        const d = y[j0 + j] - c, u = j - m, ud = u * d;
        s0 += d;
        s1 += ud;
        s2 += u * ud;
        q += d * d;
      }
      live = true;
    } else {
      const dOut = y[t - w] - c, dIn = y[t] - c;
      // remove the oldest row (u = −m), shift u by −1, add the newest at u = m
      const t0 = s0 - dOut, t1 = s1 + m * dOut, t2 = s2 - mm * dOut;
      s2 = t2 - 2 * t1 + t0 + mm * dIn;
      s1 = t1 - t0 + m * dIn;
      s0 = t0 + dIn;
      q += dIn * dIn - dOut * dOut;
    }
    if (t < lo) continue;

    // divisions and square roots dominate the cost: only those of the wanted outputs are taken
    const b0 = s0 * iw, sst = q - s0 * b0;
    const flat = !(sst > 1e-12 * q);
    let b1 = 0, b2 = 0, p2 = 0;
    if (!flat) {
      p2 = s2 - k * s0;
      b1 = s1 * iD1;
      b2 = p2 * iD2;
    }
    const aa1 = b1 - 2 * b2 * m;
    const fitDev = b0 + b1 * m + b2 * cEnd;
    const qt = b2 * xe * xe, lt = aa1 * xe;
    if (a2) a2[t] = b2;
    if (a1) a1[t] = aa1;
    if (a0) a0[t] = c + (b0 - b1 * m + b2 * (mm - k));
    if (quadTerm) quadTerm[t] = qt;
    if (linTerm) linTerm[t] = lt;
    if (fit) fit[t] = c + fitDev;
    if (residual) residual[t] = y[t] - c - fitDev;
    if (prediction) prediction[t] = c + (b0 + b1 * (m + 1) + b2 * cNext);
    if (wantFitStats) {
      let rr = NaN, sse = 0;
      if (!flat) {
        const expl = s1 * b1 + p2 * b2;
        sse = sst - expl;
        if (sse < 0) sse = 0;
        rr = expl / sst;
        if (rr > 1) rr = 1;
        else if (rr < 0) rr = 0;
      }
      if (r2) r2[t] = rr;
      if (rmse) rmse[t] = Math.sqrt(sse * iw);
    }
    if (std) std[t] = flat ? 0 : Math.sqrt(sst * iw1);
    if (wantNorm) {
      let qn = NaN, ln = NaN, ap = NaN;
      if (!flat) {
        const isd = Math.sqrt((w - 1) / sst); // 1 / std
        qn = qt * isd;
        ln = lt * isd;
        if (apex && (qn >= APEX_MIN_CURVATURE || qn <= -APEX_MIN_CURVATURE)) {
          ap = (-b1 / (2 * b2) - m) * iw; // (u* − u_end) / w, u_end = m
          if (ap > APEX_CLAMP) ap = APEX_CLAMP;
          else if (ap < -APEX_CLAMP) ap = -APEX_CLAMP;
        }
      }
      if (quadNorm) quadNorm[t] = qn;
      if (linNorm) linNorm[t] = ln;
      if (apex) apex[t] = ap;
    }
  }
  return r as T;
}
