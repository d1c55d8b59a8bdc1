/**
 * A dense autoencoder on tfjs for feature embeddings (SPEC §7 "autoencoder embeddings (shared
 * across pairs, 64-d)"): encoder layers → a linear `bottleneck`-d code → decoder layers (the
 * encoder mirrored) → a linear reconstruction, trained on the mean squared reconstruction error of
 * the train-standardized features. Fit on the pooled rows of all pairs, one encoder serves every
 * pair, and {@linkcode AutoencoderModel.encode} turns any feature matrix into `ae_00 … ae_63`
 * columns that a downstream model (ridge, GBDT…) takes as features.
 *
 * Choices (as `mlp.ts`): columns standardized with mean/std of the train matrix (constant columns
 * scale 1), NaN → 0 after standardizing (= the train mean), and that 0 is also what the decoder
 * must reconstruct; losses are in standardized units (1 = a column's train variance). Randomness
 * only from `seed` (Glorot kernels, dropout masks, shuffling); weights saved as base64 Float32, so
 * save → load → encode is bit-identical. The shared loop of `train.ts` needs a label per row; it
 * gets zeros and the step ignores them (the target is the row itself).
 *
 * @example
 * ```ts
 * import { AutoencoderModel } from "./autoencoder.ts";
 * import { matrixFromColumns } from "./base.ts";
 * import assert from "node:assert/strict";
 * const a = Array.from({ length: 64 }, (_, i) => Math.sin(i));
 * const x = matrixFromColumns(["a", "b"], [a, a.map((v) => 2 * v)]);
 * const ae = new AutoencoderModel({ hidden: [8], bottleneck: 2, epochs: 1, verbose: false });
 * await ae.fit(x);
 * assert.deepEqual(ae.encode(x).names, ["ae_00", "ae_01"]);
 * ae.dispose();
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type FitReport, type Matrix, resolveConfig } from "./base.ts";
import { selectBackend } from "./backend.ts";
import { type EpochLog, type Trainable, type TrainLoopResult } from "./train.ts";
import {
  checkActivation,
  checkColumns,
  checkInt,
  checkSizes,
  checkTraining,
  type ColumnScaler,
  denseForward,
  denseVars,
  fitColumns,
  fitWithAdam,
  inBatches,
  loadVars,
  readModelJson,
  readVars,
  saveVars,
  standardize,
  writeModelJson,
  writeVars,
} from "./_tf.ts";

/** Autoencoder options (one value per line, nanoGPT style). */
export const AUTOENCODER_DEFAULTS = {
  /** Encoder hidden layers, input side first (the decoder mirrors them); [] = linear. */
  hidden: [256] as number[],
  /** Code size (the embedding columns). */
  bottleneck: 64,
  /** Hidden activation: relu | elu | tanh | sigmoid. */
  activation: "relu",
  /** Dropout rate after each hidden layer while training. */
  dropout: 0,
  /** Adam step size. */
  learningRate: 1e-3,
  /** Rows per optimizer step (and per encoding batch ×4). */
  batchSize: 1024,
  /** Maximum passes over the train rows. */
  epochs: 20,
  /** Stop after this many epochs without a validation improvement (0 = never). */
  earlyStoppingPatience: 3,
  /** Seed of weight init, dropout and shuffling. */
  seed: 0,
  /** Print one progress line per epoch to stderr. */
  verbose: true,
};
/** Autoencoder config. */
export type AutoencoderConfig = typeof AUTOENCODER_DEFAULTS;

/** Embedding column names: `ae_00 … ae_{k−1}` (two digits, more when k > 100). */
export function embeddingNames(k: number): string[] {
  const w = Math.max(2, String(k - 1).length);
  return Array.from({ length: k }, (_, i) => `ae_${String(i).padStart(w, "0")}`);
}

/** Dense autoencoder; `encode` gives the bottleneck as feature columns. */
export class AutoencoderModel {
  readonly type = "autoencoder";
  readonly config: AutoencoderConfig;
  #scaler?: ColumnScaler;
  #encoder: tf.Variable[] = [];
  #decoder: tf.Variable[] = [];
  /** Optional per-epoch hook; not part of the saved config. */
  onEpoch?: (log: EpochLog) => void;
  /** The last fit's loop result. */
  lastFit?: TrainLoopResult;

  constructor(overrides: Partial<AutoencoderConfig> = {}) {
    this.config = resolveConfig("autoencoder", AUTOENCODER_DEFAULTS, overrides);
    const c = this.config;
    checkSizes("autoencoder", "hidden", c.hidden, true);
    checkInt("autoencoder", "bottleneck", c.bottleneck);
    checkActivation("autoencoder", c.activation);
    checkTraining("autoencoder", c);
  }

  /** Free the weight tensors. */
  dispose(): void {
    for (const v of [...this.#encoder, ...this.#decoder]) v.dispose();
    this.#encoder = [];
    this.#decoder = [];
  }

  get #vars(): tf.Variable[] {
    return [...this.#encoder, ...this.#decoder];
  }

  #init(cols: number): void {
    this.dispose();
    const c = this.config;
    const enc = [cols, ...c.hidden, c.bottleneck];
    this.#encoder = denseVars(enc, c.seed * 1000);
    this.#decoder = denseVars([...enc].reverse(), c.seed * 1000 + enc.length);
  }

  #encode(x: tf.Tensor2D, step = -1): tf.Tensor2D {
    const c = this.config;
    return denseForward(x, this.#encoder, {
      activation: c.activation,
      dropout: c.dropout,
      seedKey: `${c.seed}:e`,
      step,
    });
  }

  #decode(z: tf.Tensor2D, step = -1): tf.Tensor2D {
    const c = this.config;
    return denseForward(z, this.#decoder, {
      activation: c.activation,
      dropout: c.dropout,
      seedKey: `${c.seed}:d`,
      step,
    });
  }

  #trainable(opt: tf.Optimizer, cols: number): Trainable {
    const mse = (x: Float32Array, n: number) =>
      tf.tidy(() => {
        const xt = tf.tensor2d(x, [n, cols]);
        return tf.mean(tf.square(tf.sub(this.#decode(this.#encode(xt)), xt)));
      });
    return {
      trainStep: (x, y, _w, step) => {
        const n = y.length;
        const loss = tf.tidy(() => {
          const xt = tf.tensor2d(x, [n, cols]);
          return opt.minimize(
            () =>
              tf.mean(
                tf.square(tf.sub(this.#decode(this.#encode(xt, step), step), xt)),
              ) as tf.Scalar,
            true,
            this.#vars,
          )!;
        });
        const v = loss.dataSync()[0];
        loss.dispose();
        return v;
      },
      evalLoss: (x, y) => {
        let sum = 0;
        inBatches(
          y.length,
          this.config.batchSize * 4,
          (s, m) => tf.mul(mse(x.subarray(s * cols, (s + m) * cols), m), m),
          (v) => (sum += v[0]),
        );
        return sum / y.length;
      },
      getWeights: () => readVars(this.#vars),
      setWeights: (ws) => writeVars(this.#vars, ws),
    };
  }

  /** Fit on the rows of `x` (e.g. the pooled train rows of all pairs); `valid` for early stopping. */
  async fit(x: Matrix, valid?: Matrix): Promise<FitReport> {
    const t0 = performance.now();
    const c = this.config;
    if (!x.rows) throw new RangeError("Cannot fit autoencoder on 0 rows");
    if (valid && valid.cols !== x.cols) {
      throw new RangeError(`Validation has ${valid.cols} columns, train has ${x.cols}`);
    }
    await selectBackend();
    const s = fitColumns(x);
    this.#scaler = s;
    this.#init(x.cols);
    const hasValid = !!valid && valid.rows > 0;
    const { loop, report } = fitWithAdam(c, t0, this.onEpoch, (opt) => ({
      model: this.#trainable(opt, x.cols),
      cols: x.cols,
      xTrain: standardize(s, x),
      yTrain: new Float32Array(x.rows),
      xValid: hasValid ? standardize(s, valid!) : undefined,
      yValid: hasValid ? new Float32Array(valid!.rows) : undefined,
    }));
    this.lastFit = loop;
    return report;
  }

  #map(x: Matrix, width: number, f: (z: tf.Tensor2D) => tf.Tensor2D): Float32Array {
    const s = this.#scaler;
    if (!s || !this.#encoder.length) throw new Error("AutoencoderModel used before fit()");
    checkColumns("autoencoder", s, x);
    const z = standardize(s, x), cols = x.cols;
    const out = new Float32Array(x.rows * width);
    inBatches(
      x.rows,
      this.config.batchSize * 4,
      (st, m) => f(tf.tensor2d(z.subarray(st * cols, (st + m) * cols), [m, cols])),
      (v, st) => out.set(v, st * width),
    );
    return out;
  }

  /** The codes of the rows of `x`: a `rows × bottleneck` matrix with columns `ae_00…`. */
  encode(x: Matrix): Matrix {
    const k = this.config.bottleneck;
    return {
      rows: x.rows,
      cols: k,
      data: this.#map(x, k, (t) => this.#encode(t)),
      names: embeddingNames(k),
    };
  }

  /** The reconstruction of the rows of `x`, in standardized units (NaN → 0 in the input). */
  reconstruct(x: Matrix): Matrix {
    return {
      rows: x.rows,
      cols: x.cols,
      data: this.#map(x, x.cols, (t) => this.#decode(this.#encode(t))),
      names: x.names,
    };
  }

  /** `x` standardized as the network sees it (the reconstruction's target). */
  standardized(x: Matrix): Matrix {
    if (!this.#scaler) throw new Error("AutoencoderModel used before fit()");
    checkColumns("autoencoder", this.#scaler, x);
    return { rows: x.rows, cols: x.cols, data: standardize(this.#scaler, x), names: x.names };
  }

  /** Write `model.json` (config, scaler, weights) into `dir`. */
  save(dir: string): void {
    if (!this.#scaler || !this.#encoder.length) {
      throw new Error("AutoencoderModel.save() before fit()");
    }
    writeModelJson(dir, {
      type: this.type,
      config: this.config,
      scaler: this.#scaler,
      encoder: saveVars(this.#encoder),
      decoder: saveVars(this.#decoder),
    });
  }

  /** Load a model saved by {@linkcode AutoencoderModel.save} (on the current tfjs backend). */
  static load(dir: string): AutoencoderModel {
    const j = readModelJson(dir, "autoencoder");
    const m = new AutoencoderModel(j.config);
    m.#scaler = j.scaler;
    m.#encoder = loadVars(j.encoder);
    m.#decoder = loadVars(j.decoder);
    return m;
  }
}
