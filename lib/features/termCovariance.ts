/**
 * Term-covariance family (SPEC §5 "term covariance", 23 idx + 23 bqx columns): how the terms of
 * the rolling quadratic fit move together. Why: a bend that trades off against the drift
 * (negative quad–lin covariance) reads differently from one that adds to it, and the co-movement
 * of the drift across horizons says whether short and long trends agree.
 *
 * Columns, each a rolling sample covariance (n − 1) over the last 60 rows of the term series (a
 * private one-pass helper with the `_kernels.ts` conventions), the terms being exactly those of
 * the regression family (`quadratic_term` = a2·x_end², `linear_term` = a1·x_end,
 * `constant_term` = a0 of the fit over W ∈ {60, 90, 150, 240, 390, 630}, from the same kernel
 * `rollingQuadFit` of `_quadFit.ts`, not recomputed another way):
 * - per window (18): `{idx|bqx}_tcov_{W}_quad_lin`, `_quad_const`, `_lin_const`;
 * - cross-window (5, choice: adjacent windows): `{idx|bqx}_tcov_lin_{W}_{W'}` = cov of
 *   linear_term(W) and linear_term(W') for W' the next longer window.
 *
 * Sources as in the regression family: idx = `series.close`, bqx = `series.bqx` (w15_bqx_return,
 * 15 rows of warm-up of its own). Warm-up of a column = source warm-up + W − 1 (the longer window
 * for a cross-window column) + 59. A NaN anywhere in the 60 rows (or in any fit window behind them) gives NaN.
 * Covariances are in the squared units of the source (index points², BQX²): no normalization.
 *
 * @example
 * ```ts
 * import { termCovariance } from "./termCovariance.ts";
 * import assert from "node:assert/strict";
 * // y = t²: the window starting at row s is (x + s)², so a1 = 2s, a0 = s² and, at row 118 (first
 * // defined), s = 0..59: cov(linear_term, constant_term) = 2·59·cov(s, s²) = 2·59·17995
 * const n = 119, close = new Float64Array(n), bqx = new Float64Array(n).fill(NaN);
 * for (let t = 0; t < n; t++) close[t] = t * t;
 * const cols = new Map<string, Float64Array>();
 * termCovariance.compute({ pair: "eurusd", n, close, bqx } as never, { from: 0 }, (name) => {
 *   const a = new Float64Array(n).fill(NaN);
 *   cols.set(name, a);
 *   return a;
 * });
 * assert.ok(Number.isNaN(cols.get("idx_tcov_60_lin_const")![117]));
 * assert.ok(Math.abs(cols.get("idx_tcov_60_lin_const")![118] / (2 * 59 * 17995) - 1) < 1e-9);
 * ```
 * @module
 */
import type { FeatureFamily, FeatureSpec, PairSeries, Sink } from "./_types.ts";
import { REANCHOR } from "./_kernels.ts";
import { REG_SOURCES, REG_WINDOWS, type RegSource, rollingQuadFit, rollStart } from "./_quadFit.ts";
import { termsKey } from "./regression.ts";

/** Rows of the rolling covariances. */
const COV_W = 60;

type Term = "quadTerm" | "linTerm" | "a0";
/** Per-window pairs: column suffix and the two terms. */
const PAIRS: readonly [string, Term, Term][] = [
  ["quad_lin", "quadTerm", "linTerm"],
  ["quad_const", "quadTerm", "a0"],
  ["lin_const", "linTerm", "a0"],
];
const LABEL: Record<Term, string> = {
  quadTerm: "quadratic_term",
  linTerm: "linear_term",
  a0: "constant_term",
};

function specsOf(v: RegSource): FeatureSpec[] {
  const base = {
    family: "termCovariance",
    domain: v.domain,
    scope: "primary" as const,
  };
  const specs: FeatureSpec[] = [];
  for (const w of REG_WINDOWS) {
    for (const [suffix, a, b] of PAIRS) {
      specs.push({
        ...base,
        name: `${v.domain}_tcov_${w}_${suffix}`,
        params: { source: v.source, window: w, cov: COV_W, terms: suffix },
        warmup: v.sourceWarmup + w - 1 + COV_W - 1,
        doc: `cov over ${COV_W} rows of ${LABEL[a]} and ${LABEL[b]} (fit window ${w})`,
      });
    }
  }
  for (let i = 0; i + 1 < REG_WINDOWS.length; i++) {
    const w = REG_WINDOWS[i], w2 = REG_WINDOWS[i + 1];
    specs.push({
      ...base,
      name: `${v.domain}_tcov_lin_${w}_${w2}`,
      params: { source: v.source, window: w, other: w2, cov: COV_W, terms: "lin_lin" },
      warmup: v.sourceWarmup + w2 - 1 + COV_W - 1,
      doc: `cov over ${COV_W} rows of linear_term(${w}) and linear_term(${w2})`,
    });
  }
  return specs;
}

/**
 * Trailing sample covariances (n − 1) over w rows of the pairs (x, y), (x, z), (y, z), written
 * into `xy`, `xz`, `yz` (NaN-filled) for rows from..n−1; NaN when a window holds a NaN in any of
 * the three. With `z` and its outputs omitted, the covariance of x and y alone. One pass over sums
 * of deviations from anchors, recomputed directly at every multiple of REANCHOR and after a NaN
 * window (the `_kernels.ts` convention, aligned so values do not depend on `from`).
 * Private: `rollingCovCorr` of `_kernels.ts` gives the same covariances one pair per pass, with a
 * correlation and two NaN-prefix arrays each, which costs more than this family's whole budget.
 */
function rollingCovs(
  w: number,
  from: number,
  x: Float64Array,
  y: Float64Array,
  xy: Float64Array,
  z?: Float64Array,
  xz?: Float64Array,
  yz?: Float64Array,
): void {
  const n = x.length, start = rollStart(from, w), iw = 1 / w, iw1 = 1 / (w - 1);
  const zz = z ?? y; // two-series case: z aliases y, its sums are simply not written
  let lastNan = -1;
  for (let j = start - w + 1; j < start; j++) {
    if (x[j] !== x[j] || y[j] !== y[j] || zz[j] !== zz[j]) lastNan = j;
  }
  let cx = 0, cy = 0, cz = 0, sx = 0, sy = 0, sz = 0, sxy = 0, sxz = 0, syz = 0, live = false;
  for (let t = start; t < n; t++) {
    const xt = x[t], yt = y[t], zt = zz[t];
    if (xt !== xt || yt !== yt || zt !== zt) lastNan = t;
    if (lastNan > t - w) {
      live = false;
      continue;
    }
    if (!live || t % REANCHOR === 0) {
      cx = xt;
      cy = yt;
      cz = zt;
      sx =
        sy =
        sz =
        sxy =
        sxz =
        syz =
          0;
      for (let j = t - w + 1; j <= t; j++) {
        const a = x[j] - cx, b = y[j] - cy, d = zz[j] - cz;
        sx += a;
        sy += b;
        sz += d;
        sxy += a * b;
        sxz += a * d;
        syz += b * d;
      }
      live = true;
    } else {
      const a = xt - cx, b = yt - cy, d = zt - cz;
      const ao = x[t - w] - cx, bo = y[t - w] - cy, dO = zz[t - w] - cz;
      sx += a - ao;
      sy += b - bo;
      sz += d - dO;
      sxy += a * b - ao * bo;
      sxz += a * d - ao * dO;
      syz += b * d - bo * dO;
    }
    if (t < from) continue;
    xy[t] = (sxy - sx * sy * iw) * iw1;
    if (xz) xz[t] = (sxz - sx * sz * iw) * iw1;
    if (yz) yz[t] = (syz - sy * sz * iw) * iw1;
  }
}

function computeOf(
  v: RegSource,
  s: PairSeries,
  from: number,
  out: Sink,
  scratch: Scratch,
  shared?: Map<string, unknown>,
): void {
  const y = v.get(s);
  // open every column in specs() order
  const win = REG_WINDOWS.map((w) =>
    PAIRS.map(([suffix]) => out(`${v.domain}_tcov_${w}_${suffix}`))
  );
  const cross = REG_WINDOWS.slice(1).map((w2, i) =>
    out(`${v.domain}_tcov_lin_${REG_WINDOWS[i]}_${w2}`)
  );
  // the covariances read the last 60 term values: fit from 59 rows before where they start
  const fitFrom = rollStart(from, COV_W) - (COV_W - 1);
  let { lin, prevLin } = scratch;
  const { quad, cons } = scratch;
  let before: Float64Array | undefined; // previous window's linear term
  REG_WINDOWS.forEach((w, i) => {
    // the regression family's terms: published by it when it ran in the same call (same kernel,
    // same rows, so identical values), else fitted here with the same kernel
    let t = shared?.get(termsKey(v.domain, w, fitFrom)) as
      | { quad: Float64Array; lin: Float64Array; cons: Float64Array }
      | undefined;
    if (!t) {
      quad.fill(NaN);
      lin.fill(NaN);
      cons.fill(NaN);
      rollingQuadFit(y, w, fitFrom, { quadTerm: quad, linTerm: lin, a0: cons });
      t = { quad, lin, cons };
      [prevLin, lin] = [lin, prevLin]; // keep this window's linear term for the next cross term
    }
    const [ql, qc, lc] = win[i];
    rollingCovs(COV_W, from, t.quad, t.lin, ql, t.cons, qc, lc);
    if (before) rollingCovs(COV_W, from, before, t.lin, cross[i - 1]);
    before = t.lin;
  });
  scratch.lin = lin;
  scratch.prevLin = prevLin;
}

/** Term arrays reused across windows and domains (fresh arrays cost more than refilling). */
interface Scratch {
  quad: Float64Array;
  lin: Float64Array;
  prevLin: Float64Array;
  cons: Float64Array;
}

/** The term-covariance family: 23 idx + 23 bqx columns (SPEC §5). */
export const termCovariance: FeatureFamily = {
  name: "termCovariance",
  specs: () => REG_SOURCES.flatMap(specsOf),
  compute(series, ctx, out) {
    const nan = () => new Float64Array(series.n);
    const scratch: Scratch = { quad: nan(), lin: nan(), prevLin: nan(), cons: nan() };
    for (const v of REG_SOURCES) computeOf(v, series, ctx.from, out, scratch, ctx.shared);
  },
};
