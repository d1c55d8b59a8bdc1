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
import { Buffer } from "node:buffer";
import { atomicWrite } from "../data/lake.ts";
import { type FitReport, type Matrix, type Model, resolveConfig, type Target } from "./base.ts";
import { selectBackend } from "./backend.ts";
import { type Trainable, trainLoop } from "./train.ts";

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

const ACTIVATIONS = ["relu", "elu", "tanh", "sigmoid"] as const;

/** Column and label standardization fit on the train segment. */
interface Scaler {
  names: string[];
  mean: number[];
  scale: number[];
  yMean: number;
  yScale: number;
}

function fitScaler(x: Matrix, keep: Uint32Array, y: Float32Array): Scaler {
  const { cols, data } = x;
  const mean = new Float64Array(cols), m2 = new Float64Array(cols), cnt = new Float64Array(cols);
  let ym = 0, ym2 = 0, yn = 0;
  for (const i of keep) {
    const yi = y[i], dy = yi - ym;
    ym += dy / ++yn;
    ym2 += dy * (yi - ym);
    for (let j = 0; j < cols; j++) {
      const v = data[i * cols + j];
      if (v !== v) continue;
      const c = ++cnt[j], d = v - mean[j];
      mean[j] += d / c;
      m2[j] += d * (v - mean[j]);
    }
  }
  const scale = Array.from(mean, (_, j) => {
    const sd = cnt[j] > 1 ? Math.sqrt(m2[j] / cnt[j]) : 0;
    return sd > 0 ? sd : 1;
  });
  const ysd = yn > 1 ? Math.sqrt(ym2 / yn) : 0;
  return { names: [...x.names], mean: [...mean], scale, yMean: ym, yScale: ysd > 0 ? ysd : 1 };
}

/** Standardized copy of the selected rows (all rows when `keep` is undefined); NaN → 0. */
function standardize(s: Scaler, x: Matrix, keep?: Uint32Array): Float32Array {
  const { cols, data } = x;
  const n = keep ? keep.length : x.rows;
  const out = new Float32Array(n * cols);
  for (let k = 0; k < n; k++) {
    const i = keep ? keep[k] : k;
    for (let j = 0; j < cols; j++) {
      const v = data[i * cols + j];
      out[k * cols + j] = v === v ? (v - s.mean[j]) / s.scale[j] : 0;
    }
  }
  return out;
}

/** Rows with a finite label (and finite positive weight when weighted). */
function finiteRows(y: Target): Uint32Array {
  const keep: number[] = [];
  for (let i = 0; i < y.y.length; i++) {
    const w = y.weight ? y.weight[i] : 1;
    if (y.y[i] === y.y[i] && w === w && w > 0) keep.push(i);
  }
  return Uint32Array.from(keep);
}

const gather = (a: Float32Array, keep: Uint32Array) => Float32Array.from(keep, (i) => a[i]);

/** Base64 of a Float32Array's bytes (little-endian as in memory). */
function toBase64(a: Float32Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("base64");
}
function fromBase64(s: string): Float32Array {
  const b = Buffer.from(s, "base64");
  const out = new Float32Array(b.byteLength / 4);
  new Uint8Array(out.buffer).set(b);
  return out;
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
    if (!Array.isArray(c.hidden) || !c.hidden.length) {
      throw new RangeError(
        `Invalid mlp option hidden = ${JSON.stringify(c.hidden)}: expected a non-empty array`,
      );
    }
    for (const h of c.hidden) {
      if (!Number.isInteger(h) || h < 1) {
        throw new RangeError(`Invalid mlp option hidden: ${h} is not a positive integer`);
      }
    }
    if (!(ACTIVATIONS as readonly string[]).includes(c.activation)) {
      throw new RangeError(
        `Invalid mlp option activation = "${c.activation}": expected one of ${
          ACTIVATIONS.join(", ")
        }`,
      );
    }
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
    const sizes = [cols, ...this.config.hidden, 1];
    for (let l = 0; l + 1 < sizes.length; l++) {
      const init = tf.initializers.glorotUniform({ seed: this.config.seed * 1000 + l });
      // variables survive tidy; the initial tensors do not leak
      this.#vars.push(
        tf.tidy(() => tf.variable(init.apply([sizes[l], sizes[l + 1]]) as tf.Tensor)),
      );
      this.#vars.push(tf.tidy(() => tf.variable(tf.zeros([sizes[l + 1]]))));
    }
  }

  /** Forward pass to a [n] prediction in standardized label units; `step` ≥ 0 = training. */
  #forward(x: tf.Tensor2D, step = -1): tf.Tensor1D {
    const c = this.config, nl = this.#vars.length / 2;
    let h: tf.Tensor2D = x;
    for (let l = 0; l < nl; l++) {
      h = tf.add(tf.matMul(h, this.#vars[2 * l] as tf.Tensor2D), this.#vars[2 * l + 1]);
      if (l + 1 === nl) break;
      h = c.activation === "relu"
        ? tf.relu(h)
        : c.activation === "elu"
        ? tf.elu(h)
        : c.activation === "tanh"
        ? tf.tanh(h)
        : tf.sigmoid(h);
      if (step >= 0 && c.dropout > 0) {
        h = tf.dropout(h, c.dropout, undefined, `${c.seed}:${step}:${l}`) as tf.Tensor2D;
      }
    }
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
        const n = y.length, bs = c.batchSize * 4;
        let num = 0, den = 0;
        for (let s = 0; s < n; s += bs) {
          const m = Math.min(bs, n - s);
          const p = tf.tidy(() =>
            this.#forward(tf.tensor2d(x.subarray(s * cols, (s + m) * cols), [m, cols]))
          );
          const pv = p.dataSync();
          p.dispose();
          for (let k = 0; k < m; k++) {
            const d = pv[k] - y[s + k], wk = w ? w[s + k] : 1;
            num += wk * d * d;
            den += wk;
          }
        }
        return (num / den) * ys2;
      },
      getWeights: () => this.#vars.map((v) => v.dataSync().slice() as Float32Array),
      setWeights: (ws) => {
        tf.tidy(() => this.#vars.forEach((v, i) => v.assign(tf.tensor(ws[i], v.shape))));
      },
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
    const opt = tf.train.adam(c.learningRate);
    try {
      const r = trainLoop({
        model: this.#trainable(opt, x.cols),
        cols: x.cols,
        xTrain: standardize(s, x, keep),
        yTrain: zy(y, keep),
        wTrain: y.weight ? gather(y.weight, keep) : undefined,
        xValid: valid && vKeep!.length ? standardize(s, valid.x, vKeep) : undefined,
        yValid: valid && vKeep!.length ? zy(valid.y, vKeep!) : undefined,
        wValid: valid?.y.weight ? gather(valid.y.weight, vKeep!) : undefined,
        epochs: c.epochs,
        batchSize: c.batchSize,
        patience: c.earlyStoppingPatience,
        seed: c.seed,
        onEpoch: this.onEpoch,
        log: c.verbose ? undefined : () => {},
      });
      this.lastFit = r;
      return {
        iterations: r.bestEpoch,
        validLoss: r.bestValid,
        history: r.history,
        seconds: (performance.now() - t0) / 1e3,
      };
    } finally {
      opt.dispose();
    }
  }

  /** Optional per-epoch hook (e.g. memory checks); not part of the saved config. */
  onEpoch?: (log: import("./train.ts").EpochLog) => void;
  /** The last fit's loop result (epochs run, best epoch). */
  lastFit?: import("./train.ts").TrainLoopResult;

  predict(x: Matrix): Float32Array {
    const s = this.#scaler;
    if (!s || !this.#vars.length) throw new Error("MlpModel.predict() before fit()");
    if (x.cols !== s.names.length) {
      throw new RangeError(
        `Expected ${s.names.length} columns (${
          s.names.slice(0, 3).join(", ")
        }, …) but found ${x.cols}`,
      );
    }
    const z = standardize(s, x), cols = x.cols, bs = this.config.batchSize * 4;
    const out = new Float32Array(x.rows);
    for (let st = 0; st < x.rows; st += bs) {
      const m = Math.min(bs, x.rows - st);
      const p = tf.tidy(() =>
        this.#forward(tf.tensor2d(z.subarray(st * cols, (st + m) * cols), [m, cols]))
      );
      const pv = p.dataSync();
      p.dispose();
      for (let k = 0; k < m; k++) out[st + k] = pv[k] * s.yScale + s.yMean;
    }
    return out;
  }

  save(dir: string): void {
    if (!this.#scaler || !this.#vars.length) throw new Error("MlpModel.save() before fit()");
    Deno.mkdirSync(dir, { recursive: true });
    atomicWrite(
      `${dir}/model.json`,
      JSON.stringify({
        type: this.type,
        config: this.config,
        scaler: this.#scaler,
        weights: this.#vars.map((v) => ({
          shape: v.shape,
          data: toBase64(v.dataSync() as Float32Array),
        })),
      }),
    );
  }

  /** Load a model saved by {@linkcode MlpModel.save} (on the current tfjs backend). */
  static load(dir: string): MlpModel {
    const j = JSON.parse(Deno.readTextFileSync(`${dir}/model.json`));
    if (j.type !== "mlp") {
      throw new Error(`${dir}/model.json holds a ${j.type} model, expected mlp`);
    }
    const m = new MlpModel(j.config);
    m.#scaler = j.scaler;
    m.#vars = (j.weights as { shape: number[]; data: string }[]).map((w) =>
      tf.tidy(() => tf.variable(tf.tensor(fromBase64(w.data), w.shape)))
    );
    return m;
  }
}
