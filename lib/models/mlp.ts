/**
 * A multilayer perceptron regressor on tfjs (SPEC §7 "MLP"), the network half of nanoGPT's
 * model.py / train.py split (the loop is `train.ts`): `hidden` dense layers (default 256-128-64)
 * with an activation and dropout, a linear output, mean-squared-error loss (row-weighted when the
 * target has weights), Adam, and an optional L2 penalty `weightDecay · Σ‖W‖²` on the kernels.
 *
 * Choices: columns are standardized with mean/std fit on the train matrix (constant columns get
 * scale 1) and missing values become 0 after standardizing (= the train mean); the label is
 * standardized too and predictions mapped back, while reported losses are MSE in label units;
 * rows whose label is NaN are dropped. Randomness comes only from `seed`: Glorot-uniform kernels
 * (seed + layer), per-step dropout masks (seeded by seed/step/layer) and the shuffling PRNG, so the
 * same seed gives the same predictions on the same backend. The backend is chosen once by
 * {@linkcode selectBackend} (`BQX_TF_BACKEND` overrides). Saved as `model.json` with the config,
 * scaler and the weights as base64 Float32, so save → load → predict is bit-identical.
 *
 * @example
 * ```ts
 * import { MlpModel } from "./mlp.ts";
 * import { matrixFromColumns } from "./base.ts";
 * import assert from "node:assert/strict";
 * const a = Array.from({ length: 256 }, (_, i) => i / 128 - 1);
 * const x = matrixFromColumns(["a"], [a]);
 * const m = new MlpModel({ hidden: [16], epochs: 2, batchSize: 64, verbose: false });
 * const r = await m.fit(x, { y: Float32Array.from(a, (v) => v * v) });
 * assert.equal(r.iterations, 2);
 * assert.equal(m.predict(x).length, 256);
 * m.dispose();
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type FitReport, type Matrix, type Model, resolveConfig, type Target } from "./base.ts";
import { selectBackend } from "./backend.ts";
import { type Trainable } from "./train.ts";
import {
  checkActivation,
  checkColumns,
  checkSizes,
  type ColumnScaler,
  denseForward,
  denseVars,
  finiteRows,
  fitColumns,
  fitLabel,
  fitWithAdam,
  gather,
  inBatches,
  type LabelScaler,
  loadVars,
  readModelJson,
  readVars,
  saveVars,
  standardize,
  writeModelJson,
  writeVars,
} from "./_tf.ts";

/** MLP options (one value per line, nanoGPT style). */
export const MLP_DEFAULTS = {
  /** Units of each hidden layer, input to output. */
  hidden: [256, 128, 64] as number[],
  /** Hidden activation: relu | elu | tanh | sigmoid. */
  activation: "relu",
  /** Dropout rate after each hidden layer while training. */
  dropout: 0.1,
  /** Adam step size. */
  learningRate: 1e-3,
  /** Rows per optimizer step (and per prediction batch ×4). */
  batchSize: 1024,
  /** Maximum passes over the train rows. */
  epochs: 20,
  /** Stop after this many epochs without a validation improvement (0 = never). */
  earlyStoppingPatience: 3,
  /** L2 penalty on kernels, added to the loss. */
  weightDecay: 0,
  /** Seed of weight init, dropout and shuffling. */
  seed: 0,
  /** Print one progress line per epoch to stderr. */
  verbose: true,
};
/** MLP config. */
export type MlpConfig = typeof MLP_DEFAULTS;

/** Column and label standardization fit on the train segment (saved in model.json). */
type Scaler = ColumnScaler & LabelScaler;

function fitScaler(x: Matrix, keep: Uint32Array, y: Float32Array): Scaler {
  return { ...fitColumns(x, keep), ...fitLabel(y, keep) };
}

/** tfjs MLP regressor. */
export class MlpModel implements Model {
  readonly type = "mlp";
  readonly config: MlpConfig;
  #scaler?: Scaler;
  /** [W1, b1, W2, b2, …, Wout, bout]. */
  #vars: tf.Variable[] = [];

  constructor(overrides: Partial<MlpConfig> = {}) {
    this.config = resolveConfig("mlp", MLP_DEFAULTS, overrides);
    const c = this.config;
    checkSizes("mlp", "hidden", c.hidden);
    checkActivation("mlp", c.activation);
    if (!(c.dropout >= 0 && c.dropout < 1)) {
      throw new RangeError(`Invalid mlp option dropout = ${c.dropout}: expected in [0, 1)`);
    }
    if (!(c.learningRate > 0)) {
      throw new RangeError(`Invalid mlp option learningRate = ${c.learningRate}: expected > 0`);
    }
    if (!Number.isInteger(c.batchSize) || c.batchSize < 1) {
      throw new RangeError(`Invalid mlp option batchSize = ${c.batchSize}: expected integer >= 1`);
    }
    if (!Number.isInteger(c.epochs) || c.epochs < 1) {
      throw new RangeError(`Invalid mlp option epochs = ${c.epochs}: expected integer >= 1`);
    }
    if (!(c.earlyStoppingPatience >= 0)) {
      throw new RangeError(`Invalid mlp option earlyStoppingPatience = ${c.earlyStoppingPatience}`);
    }
    if (!(c.weightDecay >= 0)) {
      throw new RangeError(`Invalid mlp option weightDecay = ${c.weightDecay}: expected >= 0`);
    }
  }

  /** Free the weight tensors. */
  dispose(): void {
    for (const v of this.#vars) v.dispose();
    this.#vars = [];
  }

  #init(cols: number): void {
    this.dispose();
    this.#vars = denseVars([cols, ...this.config.hidden, 1], this.config.seed * 1000);
  }

  /** Forward pass to a [n] prediction in standardized label units; `step` ≥ 0 = training. */
  #forward(x: tf.Tensor2D, step = -1): tf.Tensor1D {
    const c = this.config;
    const h = denseForward(x, this.#vars, {
      activation: c.activation,
      dropout: c.dropout,
      seedKey: `${c.seed}`,
      step,
    });
    return tf.reshape(h, [-1]);
  }

  /** The Trainable adapter for train.ts (losses in label units). */
  #trainable(opt: tf.Optimizer, cols: number): Trainable {
    const c = this.config, ys2 = this.#scaler!.yScale ** 2;
    const kernels = () => this.#vars.filter((_, i) => i % 2 === 0);
    const sse = (p: tf.Tensor1D, y: tf.Tensor1D, w?: tf.Tensor1D) => {
      const sq = tf.square(tf.sub(p, y));
      return w ? tf.div(tf.sum(tf.mul(sq, w)), tf.sum(w)) : tf.mean(sq);
    };
    return {
      trainStep: (x, y, w, step) => {
        const loss = tf.tidy(() => {
          const xt = tf.tensor2d(x, [y.length, cols]), yt = tf.tensor1d(y);
          const wt = w ? tf.tensor1d(w) : undefined;
          return opt.minimize(
            () => {
              let l = sse(this.#forward(xt, step), yt, wt) as tf.Scalar;
              if (c.weightDecay > 0) {
                for (const k of kernels()) {
                  l = tf.add(l, tf.mul(c.weightDecay, tf.sum(tf.square(k))));
                }
              }
              return l;
            },
            true,
            this.#vars,
          )!;
        });
        const v = loss.dataSync()[0];
        loss.dispose();
        return v * ys2;
      },
      evalLoss: (x, y, w) => {
        let num = 0, den = 0;
        inBatches(
          y.length,
          c.batchSize * 4,
          (s, m) => this.#forward(tf.tensor2d(x.subarray(s * cols, (s + m) * cols), [m, cols])),
          (pv, s, m) => {
            for (let k = 0; k < m; k++) {
              const d = pv[k] - y[s + k], wk = w ? w[s + k] : 1;
              num += wk * d * d;
              den += wk;
            }
          },
        );
        return (num / den) * ys2;
      },
      getWeights: () => readVars(this.#vars),
      setWeights: (ws) => writeVars(this.#vars, ws),
    };
  }

  async fit(x: Matrix, y: Target, valid?: { x: Matrix; y: Target }): Promise<FitReport> {
    const t0 = performance.now();
    const c = this.config;
    if (y.y.length !== x.rows) {
      throw new RangeError(`Expected ${x.rows} labels but found ${y.y.length}`);
    }
    if (valid && valid.x.cols !== x.cols) {
      throw new RangeError(`Validation has ${valid.x.cols} columns, train has ${x.cols}`);
    }
    await selectBackend();
    const keep = finiteRows(y);
    if (!keep.length) throw new RangeError("Cannot fit mlp: no row has a finite label");
    const s = fitScaler(x, keep, y.y);
    this.#scaler = s;
    const zy = (t: Target, k: Uint32Array) =>
      Float32Array.from(k, (i) => (t.y[i] - s.yMean) / s.yScale);
    const vKeep = valid ? finiteRows(valid.y) : undefined;
    this.#init(x.cols);
    const { loop, report } = fitWithAdam(c, t0, this.onEpoch, (opt) => ({
      model: this.#trainable(opt, x.cols),
      cols: x.cols,
      xTrain: standardize(s, x, keep),
      yTrain: zy(y, keep),
      wTrain: y.weight ? gather(y.weight, keep) : undefined,
      xValid: valid && vKeep!.length ? standardize(s, valid.x, vKeep) : undefined,
      yValid: valid && vKeep!.length ? zy(valid.y, vKeep!) : undefined,
      wValid: valid?.y.weight ? gather(valid.y.weight, vKeep!) : undefined,
    }));
    this.lastFit = loop;
    return report;
  }

  /** Optional per-epoch hook (e.g. memory checks); not part of the saved config. */
  onEpoch?: (log: import("./train.ts").EpochLog) => void;
  /** The last fit's loop result (epochs run, best epoch). */
  lastFit?: import("./train.ts").TrainLoopResult;

  predict(x: Matrix): Float32Array {
    const s = this.#scaler;
    if (!s || !this.#vars.length) throw new Error("MlpModel.predict() before fit()");
    checkColumns("mlp", s, x);
    const z = standardize(s, x), cols = x.cols;
    const out = new Float32Array(x.rows);
    inBatches(
      x.rows,
      this.config.batchSize * 4,
      (st, m) => this.#forward(tf.tensor2d(z.subarray(st * cols, (st + m) * cols), [m, cols])),
      (pv, st, m) => {
        for (let k = 0; k < m; k++) out[st + k] = pv[k] * s.yScale + s.yMean;
      },
    );
    return out;
  }

  save(dir: string): void {
    if (!this.#scaler || !this.#vars.length) throw new Error("MlpModel.save() before fit()");
    writeModelJson(dir, {
      type: this.type,
      config: this.config,
      scaler: this.#scaler,
      weights: saveVars(this.#vars),
    });
  }

  /** Load a model saved by {@linkcode MlpModel.save} (on the current tfjs backend). */
  static load(dir: string): MlpModel {
    const j = readModelJson(dir, "mlp");
    const m = new MlpModel(j.config);
    m.#scaler = j.scaler;
    m.#vars = loadVars(j.weights);
    return m;
  }
}
