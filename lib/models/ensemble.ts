/**
 * Weighted and stacked ensembles of fitted models (SPEC §7 "weighted and stacked ensembles"),
 * learned on the base models' VALIDATION predictions only (the base models saw train labels; the
 * test segment is never touched), as pure functions on prediction arrays plus two small classes
 * that predict and save / load as JSON.
 *
 * - **Weighted** ({@linkcode fitWeights}): `ŷ = Σ_k w_k · p_k` with w ≥ 0 and Σ w = 1. Method
 *   "simplex" (default) minimises the validation squared error over that simplex (non-negative
 *   least squares summing to 1): the exact optimum, found by solving the equality-constrained
 *   normal equations on every support set of models and keeping the best feasible one (2^K − 1
 *   small solves; K ≤ 12 base models). It gives a model weight 0 when it adds nothing, and can
 *   favour two correlated-but-different models over the single best. Method "inverseMse":
 *   `w_k ∝ 1 / MSE_k`, a cheap and stable alternative that never zeroes a model.
 * - **Stacked** ({@linkcode fitStacked}): a ridge meta-model `ŷ = b + Σ_k β_k · p_k` on the
 *   predictions (columns standardized on the fit rows, λ per row as in {@linkcode RidgeModel},
 *   intercept unpenalized, so λ → ∞ gives the validation mean). λ is chosen from a grid by
 *   time-ordered K-fold cross-validation on the validation rows: the rows are sorted by time and
 *   cut into K contiguous blocks; each block is predicted by a meta-model fit on the other blocks,
 *   minus an embargo on both sides of the held-out block (overlapping targets leak across a
 *   boundary otherwise). The chosen λ is then refit on all validation rows.
 *
 * Rows where the label or any base prediction is NaN are skipped when fitting; predicting a row
 * with a NaN base prediction gives NaN.
 *
 * @example
 * ```ts
 * import { fitWeights, WeightedEnsemble } from "./ensemble.ts";
 * import assert from "node:assert/strict";
 * const y = [1, 2, 3, 4], a = [1, 2, 3, 4], b = [4, 3, 2, 1];
 * const w = fitWeights([a, b], y);
 * assert.ok(Math.abs(w[0] - 1) < 1e-12 && Math.abs(w[1]) < 1e-12);
 * const e = new WeightedEnsemble(["a", "b"], [0.5, 0.5]);
 * assert.deepEqual([...e.predict([a, b])], [2.5, 2.5, 2.5, 2.5]);
 * ```
 * @module
 */
import { atomicWrite } from "../data/lake.ts";
import type { RunModelContext, RunModelResult } from "./registry.ts";

/** A set of base-model predictions: one array per model, all the same length. */
export type Predictions = readonly ArrayLike<number>[];

/** Options of {@linkcode fitWeights}. */
export interface WeightOptions {
  /** "simplex" (constrained least squares) or "inverseMse". @default "simplex" */
  method?: "simplex" | "inverseMse";
}

function checkPreds(preds: Predictions, n: number, what = "predictions"): void {
  if (preds.length === 0) throw new RangeError(`Expected at least one model's ${what} but found 0`);
  preds.forEach((p, k) => {
    if (p.length !== n) {
      throw new RangeError(`Expected ${n} ${what} of model ${k} but found ${p.length}`);
    }
  });
}

/** Row indices where y and every prediction are finite. */
function completeRows(
  preds: Predictions,
  y: ArrayLike<number>,
  rows?: ArrayLike<number>,
): Int32Array {
  const out: number[] = [];
  const n = rows ? rows.length : y.length;
  for (let k = 0; k < n; k++) {
    const i = rows ? rows[k] : k;
    if (!Number.isFinite(y[i])) continue;
    if (preds.every((p) => Number.isFinite(p[i]))) out.push(i);
  }
  return Int32Array.from(out);
}

/** Solve a dense n × n system by Gaussian elimination with partial pivoting; undefined if singular. */
function solve(a: Float64Array, b: Float64Array, n: number): Float64Array | undefined {
  const m = a.slice(), x = b.slice();
  let scale = 0;
  for (const v of m) scale = Math.max(scale, Math.abs(v));
  const eps = 1e-12 * (scale || 1);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r * n + c]) > Math.abs(m[p * n + c])) p = r;
    if (!(Math.abs(m[p * n + c]) > eps)) return undefined;
    if (p !== c) {
      for (let k = 0; k < n; k++) {
        const t = m[c * n + k];
        m[c * n + k] = m[p * n + k];
        m[p * n + k] = t;
      }
      const t = x[c];
      x[c] = x[p];
      x[p] = t;
    }
    for (let r = c + 1; r < n; r++) {
      const f = m[r * n + c] / m[c * n + c];
      if (f === 0) continue;
      for (let k = c; k < n; k++) m[r * n + k] -= f * m[c * n + k];
      x[r] -= f * x[c];
    }
  }
  for (let r = n - 1; r >= 0; r--) {
    let s = x[r];
    for (let k = r + 1; k < n; k++) s -= m[r * n + k] * x[k];
    x[r] = s / m[r * n + r];
  }
  return x;
}

/**
 * Ensemble weights from validation predictions (see the module doc for the two methods).
 * @param preds one prediction array per base model (validation rows)
 * @param y the validation labels
 * @param options method
 * @returns one weight per model, ≥ 0, summing to 1
 * @example
 * ```ts
 * import { fitWeights } from "./ensemble.ts";
 * import assert from "node:assert/strict";
 * // MSEs 1 and 4 → inverse-MSE weights 0.8 / 0.2
 * const w = fitWeights([[1, 1], [2, 2]], [0, 0], { method: "inverseMse" });
 * assert.ok(Math.abs(w[0] - 0.8) < 1e-12 && Math.abs(w[1] - 0.2) < 1e-12);
 * ```
 */
export function fitWeights(
  preds: Predictions,
  y: ArrayLike<number>,
  options: WeightOptions = {},
): Float64Array {
  const { method = "simplex" } = options;
  checkPreds(preds, y.length);
  const K = preds.length;
  const rows = completeRows(preds, y);
  if (rows.length === 0) throw new RangeError("Cannot fit ensemble weights: no complete row");
  if (method === "inverseMse") {
    const inv = preds.map((p) => {
      let se = 0;
      for (const i of rows) se += (p[i] - y[i]) ** 2;
      return rows.length / Math.max(se, 1e-300);
    });
    const s = inv.reduce((a, b) => a + b, 0);
    return Float64Array.from(inv, (v) => v / s);
  }
  if (method !== "simplex") {
    throw new RangeError(`Invalid method "${method}": expected "simplex" or "inverseMse"`);
  }
  if (K > 12) throw new RangeError(`Expected at most 12 base models for "simplex" but found ${K}`);
  // Gram matrix G = PᵀP, b = Pᵀy, yy = yᵀy (per row, so scales do not grow with n)
  const G = new Float64Array(K * K), b = new Float64Array(K);
  let yy = 0;
  for (const i of rows) {
    const yi = y[i];
    yy += yi * yi;
    for (let j = 0; j < K; j++) {
      const pj = preds[j][i];
      b[j] += pj * yi;
      for (let k = 0; k <= j; k++) G[j * K + k] += pj * preds[k][i];
    }
  }
  for (let j = 0; j < K; j++) for (let k = 0; k < j; k++) G[k * K + j] = G[j * K + k];
  const sse = (w: Float64Array) => {
    let s = yy;
    for (let j = 0; j < K; j++) {
      s -= 2 * w[j] * b[j];
      for (let k = 0; k < K; k++) s += w[j] * G[j * K + k] * w[k];
    }
    return s;
  };
  let best: Float64Array | undefined, bestSse = Infinity;
  for (let mask = 1; mask < 1 << K; mask++) {
    const idx: number[] = [];
    for (let j = 0; j < K; j++) if (mask & (1 << j)) idx.push(j);
    const m = idx.length, n = m + 1;
    // KKT system of min wᵀGw − 2bᵀw s.t. 1ᵀw = 1 on the support: [G 1; 1ᵀ 0][w; μ] = [b; 1]
    const A = new Float64Array(n * n), r = new Float64Array(n);
    idx.forEach((j, p) => {
      idx.forEach((k, q) => (A[p * n + q] = G[j * K + k]));
      A[p * n + m] = 1;
      A[m * n + p] = 1;
      r[p] = b[j];
    });
    r[m] = 1;
    const sol = solve(A, r, n);
    if (!sol) continue;
    const w = new Float64Array(K);
    let ok = true;
    idx.forEach((j, p) => {
      if (sol[p] < -1e-12) ok = false;
      w[j] = Math.max(0, sol[p]);
    });
    if (!ok) continue;
    const s = sse(w);
    if (!best || s < bestSse - 1e-12 * Math.max(1, Math.abs(bestSse))) {
      bestSse = s;
      best = w;
    }
  }
  if (!best) throw new Error("Cannot fit ensemble weights: every support set was singular");
  const total = best.reduce((a, v) => a + v, 0);
  return best.map((v) => v / total);
}

/**
 * `Σ_k w_k · p_k` per row.
 * @param preds one prediction array per model
 * @param weights one weight per model
 */
export function combine(preds: Predictions, weights: ArrayLike<number>): Float64Array {
  if (preds.length !== weights.length) {
    throw new RangeError(`Expected ${weights.length} prediction arrays but found ${preds.length}`);
  }
  const n = preds.length ? preds[0].length : 0;
  checkPreds(preds, n);
  const out = new Float64Array(n);
  for (let k = 0; k < preds.length; k++) {
    const p = preds[k], w = weights[k];
    for (let i = 0; i < n; i++) out[i] += w * p[i];
  }
  return out;
}

/** A weighted average of named base models. */
export class WeightedEnsemble {
  readonly type = "ensemble_weighted";
  /**
   * @param names the base models, in the order their predictions are passed
   * @param weights one weight per base model
   * @param method how the weights were fit (recorded)
   */
  constructor(
    readonly names: readonly string[],
    readonly weights: readonly number[],
    readonly method: string = "simplex",
  ) {
    if (names.length !== weights.length) {
      throw new RangeError(`Expected ${names.length} weights but found ${weights.length}`);
    }
  }

  /** Fit on validation predictions (see {@linkcode fitWeights}). */
  static fit(
    names: readonly string[],
    preds: Predictions,
    y: ArrayLike<number>,
    options: WeightOptions = {},
  ): WeightedEnsemble {
    const w = fitWeights(preds, y, options);
    return new WeightedEnsemble(names, [...w], options.method ?? "simplex");
  }

  /** Combine base predictions (in the order of `names`). */
  predict(preds: Predictions): Float64Array {
    return combine(preds, this.weights);
  }

  /** JSON-safe state. */
  toJSON(): { type: string; names: string[]; weights: number[]; method: string } {
    return {
      type: this.type,
      names: [...this.names],
      weights: [...this.weights],
      method: this.method,
    };
  }

  /** Inverse of {@linkcode WeightedEnsemble.toJSON}. */
  static fromJSON(j: { type: string; names: string[]; weights: number[]; method?: string }) {
    if (j.type !== "ensemble_weighted") {
      throw new TypeError(`Expected an ensemble_weighted model but found type "${j.type}"`);
    }
    return new WeightedEnsemble(j.names, j.weights, j.method);
  }

  /** Write `dir/model.json` (atomic). */
  save(dir: string): void {
    Deno.mkdirSync(dir, { recursive: true });
    atomicWrite(`${dir}/model.json`, JSON.stringify(this.toJSON(), null, 2) + "\n");
  }

  /** Load a model written by {@linkcode WeightedEnsemble.save}. */
  static load(dir: string): WeightedEnsemble {
    return WeightedEnsemble.fromJSON(JSON.parse(Deno.readTextFileSync(`${dir}/model.json`)));
  }
}

/** Options of {@linkcode fitStacked}. */
export interface StackOptions {
  /** λ grid (per row, on standardized predictions). @default [0, 1e-4, 1e-3, 1e-2, 0.1, 1, 10] */
  lambdas?: readonly number[];
  /** Time-ordered CV folds on the fit rows. @default 5 */
  folds?: number;
  /** Row stamps (epoch ms) for the time order and the embargo. @default row order, no embargo */
  ts?: ArrayLike<number>;
  /** Rows within this many ms of a held-out block are left out of its fit. @default 7200000 (2 h) */
  embargoMs?: number;
}

/** One λ of the CV table. */
export interface StackCvRow {
  lambda: number;
  /** Out-of-fold MSE over all blocks. */
  mse: number;
}

/** A fitted ridge meta-model on raw base predictions. */
export interface StackFit {
  /** One coefficient per base model (on the raw prediction scale). */
  coef: number[];
  intercept: number;
  /** The λ chosen by CV. */
  lambda: number;
  /** CV table, one row per λ of the grid. */
  cv: StackCvRow[];
  /** Rows fit on. */
  rows: number;
}

/** Ridge on standardized columns of `preds` over `rows`; coefficients returned on the raw scale. */
function ridgeFit(
  preds: Predictions,
  y: ArrayLike<number>,
  rows: ArrayLike<number>,
  lambda: number,
): { coef: Float64Array; intercept: number } {
  const K = preds.length, n = rows.length;
  const mean = new Float64Array(K), sd = new Float64Array(K);
  let ym = 0;
  for (let r = 0; r < n; r++) {
    const i = rows[r];
    ym += y[i];
    for (let k = 0; k < K; k++) mean[k] += preds[k][i];
  }
  ym /= n;
  for (let k = 0; k < K; k++) mean[k] /= n;
  for (let r = 0; r < n; r++) {
    for (let k = 0; k < K; k++) sd[k] += (preds[k][rows[r]] - mean[k]) ** 2;
  }
  for (let k = 0; k < K; k++) sd[k] = Math.sqrt(sd[k] / n);
  const A = new Float64Array(K * K), b = new Float64Array(K), z = new Float64Array(K);
  for (let r = 0; r < n; r++) {
    const i = rows[r];
    for (let k = 0; k < K; k++) z[k] = sd[k] > 0 ? (preds[k][i] - mean[k]) / sd[k] : 0;
    const yc = y[i] - ym;
    for (let j = 0; j < K; j++) {
      b[j] += z[j] * yc;
      for (let k = 0; k < K; k++) A[j * K + k] += z[j] * z[k];
    }
  }
  // constant columns get a unit diagonal (coefficient 0); a tiny jitter keeps λ = 0 solvable
  for (let k = 0; k < K; k++) A[k * K + k] += sd[k] > 0 ? lambda * n + 1e-10 * n : 1;
  const beta = solve(A, b, K) ?? new Float64Array(K);
  const coef = new Float64Array(K);
  let intercept = ym;
  for (let k = 0; k < K; k++) {
    coef[k] = sd[k] > 0 ? beta[k] / sd[k] : 0;
    intercept -= coef[k] * mean[k];
  }
  return { coef, intercept };
}

/**
 * Fit the stacked meta-model on validation predictions, λ by time-ordered K-fold CV.
 * @param preds one prediction array per base model (validation rows)
 * @param y the validation labels
 * @param options λ grid, folds, stamps and embargo
 * @returns coefficients, intercept, chosen λ and the CV table
 * @example
 * ```ts
 * import { fitStacked } from "./ensemble.ts";
 * import assert from "node:assert/strict";
 * // y = 2·a − 1 exactly: λ = 0 wins and recovers it
 * const a = Array.from({ length: 50 }, (_, i) => Math.sin(i)), y = a.map((v) => 2 * v - 1);
 * const s = fitStacked([a], y, { lambdas: [0, 1] });
 * assert.equal(s.lambda, 0);
 * assert.ok(Math.abs(s.coef[0] - 2) < 1e-6 && Math.abs(s.intercept + 1) < 1e-6);
 * ```
 */
export function fitStacked(
  preds: Predictions,
  y: ArrayLike<number>,
  options: StackOptions = {},
): StackFit {
  const {
    lambdas = [0, 1e-4, 1e-3, 1e-2, 0.1, 1, 10],
    folds = 5,
    ts,
    embargoMs = 2 * 3_600_000,
  } = options;
  checkPreds(preds, y.length);
  if (ts && ts.length !== y.length) {
    throw new RangeError(`Expected ${y.length} stamps (ts) but found ${ts.length}`);
  }
  if (!(Number.isInteger(folds) && folds >= 2)) {
    throw new RangeError(`Expected folds to be an integer >= 2 but found ${folds}`);
  }
  if (lambdas.length === 0 || lambdas.some((l) => !(l >= 0))) {
    throw new RangeError(`Expected a non-empty λ grid of values >= 0 but found [${lambdas}]`);
  }
  const rows = completeRows(preds, y);
  if (rows.length < 2 * folds) {
    throw new RangeError(
      `Cannot stack: ${rows.length} complete rows for ${folds} folds (need ${2 * folds})`,
    );
  }
  // time order (stable: ties keep row order), then K contiguous blocks
  const t = (i: number) => (ts ? ts[i] : i);
  const order = Array.from(rows).sort((a, b) => t(a) - t(b) || a - b);
  const gap = ts ? embargoMs : 0;
  const cv: StackCvRow[] = lambdas.map((lambda) => ({ lambda, mse: 0 }));
  let scored = 0;
  for (let f = 0; f < folds; f++) {
    const lo = Math.floor((f * order.length) / folds),
      hi = Math.floor(((f + 1) * order.length) / folds);
    const held = order.slice(lo, hi);
    const t0 = t(held[0]) - gap, t1 = t(held[held.length - 1]) + gap;
    const fitRows = order.filter((i, p) => (p < lo || p >= hi) && (t(i) < t0 || t(i) > t1));
    if (fitRows.length < 2) continue;
    scored += held.length;
    lambdas.forEach((lambda, li) => {
      const m = ridgeFit(preds, y, fitRows, lambda);
      for (const i of held) {
        let p = m.intercept;
        for (let k = 0; k < preds.length; k++) p += m.coef[k] * preds[k][i];
        cv[li].mse += (p - y[i]) ** 2;
      }
    });
  }
  if (scored === 0) {
    throw new RangeError(
      `Cannot stack: every CV fold lost its fit rows to the ${embargoMs} ms embargo`,
    );
  }
  for (const r of cv) r.mse /= scored;
  // lowest CV MSE; ties go to the larger λ (more shrinkage)
  let best = 0;
  cv.forEach((r, i) => {
    if (r.mse < cv[best].mse || (r.mse === cv[best].mse && r.lambda > cv[best].lambda)) best = i;
  });
  const lambda = cv[best].lambda;
  const m = ridgeFit(preds, y, rows, lambda);
  return { coef: [...m.coef], intercept: m.intercept, lambda, cv, rows: rows.length };
}

/** A ridge meta-model over named base models. */
export class StackedEnsemble {
  readonly type = "ensemble_stacked";
  /**
   * @param names the base models, in the order their predictions are passed
   * @param fit the meta-model (from {@linkcode fitStacked})
   */
  constructor(readonly names: readonly string[], readonly fit: StackFit) {
    if (names.length !== fit.coef.length) {
      throw new RangeError(`Expected ${names.length} coefficients but found ${fit.coef.length}`);
    }
  }

  /** Fit on validation predictions (see {@linkcode fitStacked}). */
  static fitOn(
    names: readonly string[],
    preds: Predictions,
    y: ArrayLike<number>,
    options: StackOptions = {},
  ): StackedEnsemble {
    return new StackedEnsemble(names, fitStacked(preds, y, options));
  }

  /** `b + Σ β_k p_k` per row (base predictions in the order of `names`). */
  predict(preds: Predictions): Float64Array {
    const out = combine(preds, this.fit.coef);
    for (let i = 0; i < out.length; i++) out[i] += this.fit.intercept;
    return out;
  }

  /** JSON-safe state. */
  toJSON(): { type: string; names: string[] } & StackFit {
    return { type: this.type, names: [...this.names], ...this.fit };
  }

  /** Inverse of {@linkcode StackedEnsemble.toJSON}. */
  static fromJSON(j: { type: string; names: string[] } & StackFit): StackedEnsemble {
    if (j.type !== "ensemble_stacked") {
      throw new TypeError(`Expected an ensemble_stacked model but found type "${j.type}"`);
    }
    const { coef, intercept, lambda, cv, rows } = j;
    return new StackedEnsemble(j.names, { coef, intercept, lambda, cv, rows });
  }

  /** Write `dir/model.json` (atomic). */
  save(dir: string): void {
    Deno.mkdirSync(dir, { recursive: true });
    atomicWrite(`${dir}/model.json`, JSON.stringify(this.toJSON(), null, 2) + "\n");
  }

  /** Load a model written by {@linkcode StackedEnsemble.save}. */
  static load(dir: string): StackedEnsemble {
    return StackedEnsemble.fromJSON(JSON.parse(Deno.readTextFileSync(`${dir}/model.json`)));
  }
}

/**
 * The run-registry glue of `ensemble_weighted` / `ensemble_stacked`: the base models are those fit
 * before on this horizon (`ctx.fitted`, in `--models` order), other ensembles excluded; weights /
 * the meta-model are fit on their validation predictions and applied to their test predictions.
 * Options come from `ctx.overrides[name]` (`method`; `lambdas`, `folds`, `embargoMs`).
 * @param ctx the run context of this horizon
 * @param kind which ensemble
 * @returns valid and test predictions, a saver, and the weights / λ for the run's config
 */
export function fitRunEnsemble(
  ctx: RunModelContext,
  kind: "weighted" | "stacked",
): RunModelResult {
  const name = `ensemble_${kind}`;
  const bases = [...ctx.fitted.keys()].filter((n) => !n.startsWith("ensemble_"));
  if (bases.length < 2) {
    throw new RangeError(
      `Model ${name} needs at least 2 base models listed before it in --models but found ${bases.length}` +
        (bases.length ? ` (${bases.join(", ")})` : ""),
    );
  }
  if (ctx.valid.length === 0) {
    throw new RangeError(`Model ${name} fits on the valid segment, which has no usable rows`);
  }
  const valid = bases.map((n) => ctx.fitted.get(n)!.valid);
  const test = bases.map((n) => ctx.fitted.get(n)!.test);
  const y = Float64Array.from(ctx.valid, (r) => ctx.y[r]);
  const o = (ctx.overrides[name] ?? {}) as Record<string, unknown>;
  if (kind === "weighted") {
    const e = WeightedEnsemble.fit(bases, valid, y, {
      method: o.method as WeightOptions["method"],
    });
    return {
      valid: e.predict(valid),
      test: e.predict(test),
      iterations: 0,
      save: (dir) => e.save(dir),
      info: {
        method: e.method,
        weights: Object.fromEntries(bases.map((n, k) => [n, e.weights[k]])),
      },
    };
  }
  const e = StackedEnsemble.fitOn(bases, valid, y, {
    lambdas: o.lambdas as number[] | undefined,
    folds: o.folds as number | undefined,
    embargoMs: o.embargoMs as number | undefined,
    ts: Float64Array.from(ctx.valid, (r) => ctx.ds.ts[r]),
  });
  return {
    valid: e.predict(valid),
    test: e.predict(test),
    iterations: 0,
    save: (dir) => e.save(dir),
    info: {
      lambda: e.fit.lambda,
      intercept: e.fit.intercept,
      coef: Object.fromEntries(bases.map((n, k) => [n, e.fit.coef[k]])),
    },
  };
}
