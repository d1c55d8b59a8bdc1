/**
 * Ridge regression in closed form (SPEC §7 "Linear (ridge)"): minimise ‖y − Xβ − b‖² + λ‖β‖² on
 * standardized columns, solved by Cholesky on the (cols × cols) normal equations accumulated in one
 * pass over the rows (Float64 accumulation, so 10M rows × 200 columns stays exact enough and fits
 * in memory as 200² doubles).
 *
 * Choices: columns are standardized with mean/std fit on the train matrix (constant columns get
 * scale 1 and coefficient 0); missing values (NaN) are imputed with the train mean, i.e. contribute
 * 0 after standardization; the intercept is not penalized; `lambda` is per row (the penalty is
 * λ · rows, so its meaning does not change with the sample size). With a validation set and a
 * `lambdas` grid, λ is the grid value with the lowest validation MSE.
 *
 * @example
 * ```ts
 * import { RidgeModel } from "./ridge.ts";
 * import { matrixFromColumns } from "./base.ts";
 * import assert from "node:assert/strict";
 * const x = matrixFromColumns(["a"], [[0, 1, 2, 3]]);
 * const m = new RidgeModel({ lambda: 0 });
 * await m.fit(x, { y: new Float32Array([1, 3, 5, 7]) });
 * assert.ok(Math.abs(m.predict(x)[3] - 7) < 1e-5);
 * ```
 * @module
 */
import { atomicWrite } from "../data/lake.ts";
import { type FitReport, type Matrix, type Model, resolveConfig, type Target } from "./base.ts";

/** Ridge options. */
export const RIDGE_DEFAULTS = {
  /** Penalty per row on standardized coefficients. */
  lambda: 1e-3,
  /** Grid searched on the validation set when one is given ([] = use `lambda`). */
  lambdas: [] as number[],
  /** Unused (closed form); kept so every model carries a seed. */
  seed: 0,
};
/** Ridge config. */
export type RidgeConfig = typeof RIDGE_DEFAULTS;

/** Fitted parameters. */
interface RidgeState {
  names: string[];
  mean: number[];
  scale: number[];
  beta: number[];
  intercept: number;
  lambda: number;
}

function cholSolve(a: Float64Array, b: Float64Array, n: number): Float64Array | undefined {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
      if (i === j) {
        if (!(s > 0)) return undefined;
        l[i * n + i] = Math.sqrt(s);
      } else l[i * n + j] = s / l[j * n + j];
    }
  }
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[i * n + k] * z[k];
    z[i] = s / l[i * n + i];
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = z[i];
    for (let k = i + 1; k < n; k++) s -= l[k * n + i] * x[k];
    x[i] = s / l[i * n + i];
  }
  return x;
}

/** Closed-form ridge regression. */
export class RidgeModel implements Model {
  readonly type = "ridge";
  readonly config: RidgeConfig;
  #state?: RidgeState;

  constructor(overrides: Partial<RidgeConfig> = {}) {
    this.config = resolveConfig("ridge", RIDGE_DEFAULTS, overrides);
    if (!(this.config.lambda >= 0)) {
      throw new RangeError(`Invalid ridge option lambda = ${this.config.lambda}: expected >= 0`);
    }
  }

  fit(x: Matrix, y: Target, valid?: { x: Matrix; y: Target }): Promise<FitReport> {
    const t0 = performance.now();
    const { rows, cols, data } = x;
    if (y.y.length !== rows) {
      throw new RangeError(`Expected ${rows} labels but found ${y.y.length}`);
    }
    // pass 1: column means / std over finite values, rows with a finite label
    const mean = new Float64Array(cols), m2 = new Float64Array(cols), cnt = new Float64Array(cols);
    let ym = 0, yn = 0;
    for (let i = 0; i < rows; i++) {
      const yi = y.y[i];
      if (yi !== yi) continue;
      ym += yi;
      yn++;
      for (let j = 0; j < cols; j++) {
        const v = data[i * cols + j];
        if (v !== v) continue;
        const c = ++cnt[j], d = v - mean[j];
        mean[j] += d / c;
        m2[j] += d * (v - mean[j]);
      }
    }
    if (yn === 0) throw new RangeError("Cannot fit ridge: no row has a finite label");
    ym /= yn;
    const scale = new Float64Array(cols);
    for (let j = 0; j < cols; j++) {
      const sd = cnt[j] > 1 ? Math.sqrt(m2[j] / cnt[j]) : 0;
      scale[j] = sd > 0 ? sd : 0; // 0 marks a constant column (coefficient 0)
    }
    // pass 2: X'X and X'y on standardized values, centered label
    const xtx = new Float64Array(cols * cols), xty = new Float64Array(cols);
    const z = new Float64Array(cols);
    for (let i = 0; i < rows; i++) {
      const yi = y.y[i];
      if (yi !== yi) continue;
      for (let j = 0; j < cols; j++) {
        const v = data[i * cols + j];
        z[j] = v === v && scale[j] > 0 ? (v - mean[j]) / scale[j] : 0;
      }
      const yc = yi - ym;
      for (let j = 0; j < cols; j++) {
        const zj = z[j];
        if (zj === 0) continue;
        xty[j] += zj * yc;
        const row = j * cols;
        for (let k = 0; k <= j; k++) xtx[row + k] += zj * z[k];
      }
    }
    for (let j = 0; j < cols; j++) {
      for (let k = 0; k < j; k++) xtx[k * cols + j] = xtx[j * cols + k];
    }
    const solve = (lambda: number) => {
      const a = xtx.slice();
      for (let j = 0; j < cols; j++) a[j * cols + j] += scale[j] > 0 ? lambda * yn : 1;
      const b = cholSolve(a, xty, cols);
      if (!b) {
        throw new Error(
          `Cannot fit ridge with lambda = ${lambda}: normal equations not positive definite`,
        );
      }
      return b;
    };
    const state = (beta: Float64Array, lambda: number): RidgeState => ({
      names: [...x.names],
      mean: [...mean],
      scale: [...scale],
      beta: [...beta],
      intercept: ym,
      lambda,
    });
    const history: { train: number; valid?: number }[] = [];
    let best: { s: RidgeState; v: number } | undefined;
    const grid = valid && this.config.lambdas.length ? this.config.lambdas : [this.config.lambda];
    for (const lambda of grid) {
      this.#state = state(solve(lambda), lambda);
      if (valid) {
        const p = this.predict(valid.x);
        let se = 0, n = 0;
        for (let i = 0; i < p.length; i++) {
          const d = p[i] - valid.y.y[i];
          if (d === d) {
            se += d * d;
            n++;
          }
        }
        const v = se / Math.max(1, n);
        history.push({ train: NaN, valid: v });
        if (!best || v < best.v) best = { s: this.#state, v };
      }
    }
    if (best) this.#state = best.s;
    return Promise.resolve({
      iterations: 1,
      validLoss: best?.v,
      history: history.length ? history : undefined,
      seconds: (performance.now() - t0) / 1e3,
    });
  }

  predict(x: Matrix): Float32Array {
    const s = this.#state;
    if (!s) throw new Error("RidgeModel.predict() before fit()");
    if (x.cols !== s.names.length) {
      throw new RangeError(
        `Expected ${s.names.length} columns (${
          s.names.slice(0, 3).join(", ")
        }, …) but found ${x.cols}`,
      );
    }
    const out = new Float32Array(x.rows);
    const { cols, data } = x;
    for (let i = 0; i < x.rows; i++) {
      let p = s.intercept;
      for (let j = 0; j < cols; j++) {
        const v = data[i * cols + j];
        if (v === v && s.scale[j] > 0) p += s.beta[j] * (v - s.mean[j]) / s.scale[j];
      }
      out[i] = p;
    }
    return out;
  }

  /** Coefficients on the standardized scale, by column name. */
  coefficients(): Record<string, number> {
    const s = this.#state;
    if (!s) throw new Error("RidgeModel.coefficients() before fit()");
    return Object.fromEntries(s.names.map((n, j) => [n, s.beta[j]]));
  }

  save(dir: string): void {
    if (!this.#state) throw new Error("RidgeModel.save() before fit()");
    // JSON numbers round-trip exactly (shortest representation), so load → predict is bit-identical
    atomicWrite(
      `${dir}/model.json`,
      JSON.stringify({ type: this.type, config: this.config, state: this.#state }),
    );
  }

  /** Load a model saved by {@linkcode RidgeModel.save}. */
  static load(dir: string): RidgeModel {
    const j = JSON.parse(Deno.readTextFileSync(`${dir}/model.json`));
    if (j.type !== "ridge") {
      throw new Error(`${dir}/model.json holds a ${j.type} model, expected ridge`);
    }
    const m = new RidgeModel(j.config);
    m.#state = j.state;
    return m;
  }
}
