/**
 * An LSTM regressor over the last N bars on tfjs (SPEC §7 "LSTM"): one LSTM layer (`units`) reads
 * the window oldest bar first, its last hidden state goes through dropout and a linear output;
 * mean-squared-error loss, Adam, early stopping on the validation windows, trained by the shared
 * loop of `train.ts` (nanoGPT style), which is what a row-only model cannot do: use how the features
 * moved over the window, not only their current values.
 *
 * Input: a feature {@linkcode Matrix} plus a window plan from `lib/dataset/sequences.ts`
 * ({@linkcode sequenceIndex}: which matrix row fills each slot), so memory stays at one batch of
 * windows — the windows are gathered per batch, never materialized. {@linkcode LstmModel.fitSequences}
 * / {@linkcode LstmModel.predictSequences} take that plan (a pooled dataset: `group: pairId`,
 * `ts`); the {@linkcode Model} methods `fit(x, y, valid)` / `predict(x)` treat the matrix rows as
 * one consecutive series (window of row r = rows r−steps+1 … r of the same matrix).
 *
 * Choices (as `mlp.ts`): columns standardized with mean/std of the train windows' own rows (their
 * last slot), NaN and padding slots → 0 after standardizing (= the train mean); the label is
 * standardized and predictions mapped back, losses are reported in label units; windows whose
 * label is NaN are dropped. Gate order in the kernel is i, f, g, o with the forget bias set to 1.
 * Randomness only from `seed` (Glorot kernels, dropout masks per step, shuffling), so the same seed
 * gives the same predictions on the same backend; weights saved as base64 Float32 in `model.json`,
 * so save → load → predict is bit-identical.
 *
 * The shared loop shuffles rows of a matrix; here its "rows" are window ids (a one-column Float32
 * matrix, exact up to 2^24 windows), and the train step gathers and standardizes those windows.
 *
 * @example
 * ```ts
 * import { LstmModel } from "./lstm.ts";
 * import { matrixFromColumns } from "./base.ts";
 * import assert from "node:assert/strict";
 * const a = Array.from({ length: 64 }, (_, i) => Math.sin(i / 3));
 * const x = matrixFromColumns(["a"], [a]);
 * const m = new LstmModel({ steps: 4, units: 4, epochs: 1, batchSize: 16, verbose: false });
 * const r = await m.fit(x, { y: Float32Array.from(a) });
 * assert.equal(r.iterations, 1);
 * assert.equal(m.predict(x).length, 64);
 * m.dispose();
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { gatherSequences, type SequenceIndex, sequenceIndex } from "../dataset/sequences.ts";
import { type FitReport, type Matrix, type Model, resolveConfig, type Target } from "./base.ts";
import { selectBackend } from "./backend.ts";
import { type EpochLog, type Trainable, type TrainLoopResult } from "./train.ts";
import {
  checkColumns,
  checkInt,
  checkTraining,
  type ColumnScaler,
  finiteRows,
  fitColumns,
  fitLabel,
  fitWithAdam,
  inBatches,
  type LabelScaler,
  loadVars,
  readModelJson,
  readVars,
  saveVars,
  standardizeInPlace,
  writeModelJson,
  writeVars,
} from "./_tf.ts";

/** LSTM options (one value per line, nanoGPT style). */
export const LSTM_DEFAULTS = {
  /** Window length N in bars (the row itself is the last slot). */
  steps: 30,
  /** LSTM hidden units. */
  units: 64,
  /** Dropout rate on the last hidden state while training. */
  dropout: 0.1,
  /** Adam step size. */
  learningRate: 1e-3,
  /** Windows per optimizer step (and per prediction batch ×4). */
  batchSize: 256,
  /** Maximum passes over the train windows. */
  epochs: 20,
  /** Stop after this many epochs without a validation improvement (0 = never). */
  earlyStoppingPatience: 3,
  /** Seed of weight init, dropout and shuffling. */
  seed: 0,
  /** Print one progress line per epoch to stderr. */
  verbose: true,
};
/** LSTM config. */
export type LstmConfig = typeof LSTM_DEFAULTS;

/** Column and label standardization fit on the train windows (saved in model.json). */
type Scaler = ColumnScaler & LabelScaler;

/** Windows `ids` of a plan as a smaller plan (for a shuffled batch). */
function subIndex(ix: SequenceIndex, ids: ArrayLike<number>): SequenceIndex {
  const { steps } = ix, n = ids.length;
  const source = new Int32Array(n * steps), valid = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const w = ids[k];
    source.set(ix.source.subarray(w * steps, (w + 1) * steps), k * steps);
    valid[k] = ix.valid[w];
  }
  return { rows: n, steps, source, valid, pad: ix.pad };
}

/** The one-column "matrix" of window ids the shared loop shuffles. */
const ids = (n: number) => Float32Array.from({ length: n }, (_, i) => i);

/** tfjs LSTM regressor over windows of bars. */
export class LstmModel implements Model {
  readonly type = "lstm";
  readonly config: LstmConfig;
  #scaler?: Scaler;
  /** [W (cols+units × 4·units), b (4·units), Wout (units × 1), bout (1)]. */
  #vars: tf.Variable[] = [];
  /** Optional per-epoch hook (e.g. memory checks); not part of the saved config. */
  onEpoch?: (log: EpochLog) => void;
  /** The last fit's loop result (epochs run, best epoch). */
  lastFit?: TrainLoopResult;

  constructor(overrides: Partial<LstmConfig> = {}) {
    this.config = resolveConfig("lstm", LSTM_DEFAULTS, overrides);
    const c = this.config;
    checkInt("lstm", "steps", c.steps);
    checkInt("lstm", "units", c.units);
    checkTraining("lstm", c);
  }

  /** Free the weight tensors. */
  dispose(): void {
    for (const v of this.#vars) v.dispose();
    this.#vars = [];
  }

  #init(cols: number): void {
    this.dispose();
    const { units, seed } = this.config;
    const k = tf.initializers.glorotUniform({ seed: seed * 1000 });
    const ko = tf.initializers.glorotUniform({ seed: seed * 1000 + 1 });
    // bias: zeros except the forget gate (second quarter), set to 1
    const b = new Float32Array(4 * units);
    b.fill(1, units, 2 * units);
    this.#vars = [
      tf.tidy(() => tf.variable(k.apply([cols + units, 4 * units]) as tf.Tensor)),
      tf.tidy(() => tf.variable(tf.tensor1d(b))),
      tf.tidy(() => tf.variable(ko.apply([units, 1]) as tf.Tensor)),
      tf.tidy(() => tf.variable(tf.zeros([1]))),
    ];
  }

  /** Standardized windows of a plan: `[n, steps, cols]` as a tensor. */
  #windows(x: Matrix, ix: SequenceIndex): tf.Tensor3D {
    const a = standardizeInPlace(this.#scaler!, gatherSequences(x, ix));
    return tf.tensor3d(a, [ix.rows, ix.steps, x.cols]);
  }

  /** Forward pass: `[n, steps, cols]` → `[n]` in standardized label units; `step` ≥ 0 = training. */
  #forward(x: tf.Tensor3D, step = -1): tf.Tensor1D {
    const c = this.config, [w, b, wo, bo] = this.#vars;
    const n = x.shape[0];
    let h: tf.Tensor2D = tf.zeros([n, c.units]), cell: tf.Tensor2D = tf.zeros([n, c.units]);
    for (const xt of tf.unstack(x, 1) as tf.Tensor2D[]) {
      const z = tf.add(tf.matMul(tf.concat([xt, h], 1), w as tf.Tensor2D), b);
      const [i, f, g, o] = tf.split(z, 4, 1) as tf.Tensor2D[];
      cell = tf.add(tf.mul(tf.sigmoid(f), cell), tf.mul(tf.sigmoid(i), tf.tanh(g)));
      h = tf.mul(tf.sigmoid(o), tf.tanh(cell));
    }
    if (step >= 0 && c.dropout > 0) {
      h = tf.dropout(h, c.dropout, undefined, `${c.seed}:${step}:0`) as tf.Tensor2D;
    }
    return tf.reshape(tf.add(tf.matMul(h, wo as tf.Tensor2D), bo), [-1]);
  }

  /** The Trainable adapter: loop "rows" are window ids of `train` / `valid` (losses in label units). */
  #trainable(
    opt: tf.Optimizer,
    train: { x: Matrix; ix: SequenceIndex },
    valid?: { x: Matrix; ix: SequenceIndex },
  ): Trainable {
    const ys2 = this.#scaler!.yScale ** 2, bs = this.config.batchSize * 4;
    return {
      trainStep: (wid, y, _w, step) => {
        const xt = this.#windows(train.x, subIndex(train.ix, wid));
        const loss = tf.tidy(() => {
          const yt = tf.tensor1d(y);
          return opt.minimize(
            () => tf.mean(tf.square(tf.sub(this.#forward(xt, step), yt))) as tf.Scalar,
            true,
            this.#vars,
          )!;
        });
        xt.dispose();
        const v = loss.dataSync()[0];
        loss.dispose();
        return v * ys2;
      },
      evalLoss: (wid, y) => {
        let num = 0;
        const sub = subIndex(valid!.ix, wid);
        inBatches(
          y.length,
          bs,
          (s, m) =>
            this.#forward(
              this.#windows(
                valid!.x,
                subIndex(sub, Int32Array.from({ length: m }, (_, k) => s + k)),
              ),
            ),
          (pv, s, m) => {
            for (let k = 0; k < m; k++) num += (pv[k] - y[s + k]) ** 2;
          },
        );
        return (num / y.length) * ys2;
      },
      getWeights: () => readVars(this.#vars),
      setWeights: (ws) => writeVars(this.#vars, ws),
    };
  }

  /**
   * Fit on windows: `index` plans one window per label (`y.y[w]` belongs to window w), read from
   * the rows of `x`; `valid` (own matrix and plan) drives early stopping.
   */
  async fitSequences(
    x: Matrix,
    index: SequenceIndex,
    y: Target,
    valid?: { x: Matrix; index: SequenceIndex; y: Target },
  ): Promise<FitReport> {
    const t0 = performance.now();
    const c = this.config;
    if (index.steps !== c.steps) {
      throw new RangeError(
        `Expected a sequence index of ${c.steps} steps but found ${index.steps}`,
      );
    }
    if (y.y.length !== index.rows) {
      throw new RangeError(
        `Expected ${index.rows} labels (one per window) but found ${y.y.length}`,
      );
    }
    if (valid) {
      if (valid.x.cols !== x.cols) {
        throw new RangeError(`Validation has ${valid.x.cols} columns, train has ${x.cols}`);
      }
      if (valid.index.steps !== c.steps || valid.y.y.length !== valid.index.rows) {
        throw new RangeError(
          `Validation plan has ${valid.index.steps} steps and ${valid.index.rows} windows for ${valid.y.y.length} labels`,
        );
      }
    }
    if (y.weight || valid?.y.weight) throw new RangeError("lstm does not take row weights");
    await selectBackend();
    const keep = finiteRows(y);
    if (!keep.length) throw new RangeError("Cannot fit lstm: no window has a finite label");
    const tr = subIndex(index, keep);
    // scaler over the train windows' own rows (their last slot)
    const own = Int32Array.from(
      { length: tr.rows },
      (_, w) => tr.source[w * c.steps + c.steps - 1],
    );
    const s: Scaler = { ...fitColumns(x, own), ...fitLabel(y.y, keep) };
    this.#scaler = s;
    const zy = (t: Target, k: Uint32Array) =>
      Float32Array.from(k, (i) => (t.y[i] - s.yMean) / s.yScale);
    const vKeep = valid ? finiteRows(valid.y) : undefined;
    const va = valid && vKeep!.length
      ? { x: valid.x, ix: subIndex(valid.index, vKeep!) }
      : undefined;
    this.#init(x.cols);
    const { loop, report } = fitWithAdam(c, t0, this.onEpoch, (opt) => ({
      model: this.#trainable(opt, { x, ix: tr }, va),
      cols: 1,
      xTrain: ids(tr.rows),
      yTrain: zy(y, keep),
      xValid: va ? ids(va.ix.rows) : undefined,
      yValid: va ? zy(valid!.y, vKeep!) : undefined,
    }));
    this.lastFit = loop;
    return report;
  }

  /** Predict one value per window of `index` (read from the rows of `x`). */
  predictSequences(x: Matrix, index: SequenceIndex): Float32Array {
    const s = this.#scaler;
    if (!s || !this.#vars.length) throw new Error("LstmModel.predict() before fit()");
    checkColumns("lstm", s, x);
    if (index.steps !== this.config.steps) {
      throw new RangeError(
        `Expected a sequence index of ${this.config.steps} steps but found ${index.steps}`,
      );
    }
    const out = new Float32Array(index.rows);
    inBatches(
      index.rows,
      this.config.batchSize * 4,
      (st, m) =>
        this.#forward(
          this.#windows(x, subIndex(index, Int32Array.from({ length: m }, (_, k) => st + k))),
        ),
      (pv, st, m) => {
        for (let k = 0; k < m; k++) out[st + k] = pv[k] * s.yScale + s.yMean;
      },
    );
    return out;
  }

  /** The windows ending at every row of `x`, the rows taken as one consecutive series. */
  seriesIndex(x: Matrix): SequenceIndex {
    return sequenceIndex(x, Int32Array.from({ length: x.rows }, (_, i) => i), {
      steps: this.config.steps,
    });
  }

  /** Model interface: the rows of `x` (and of `valid.x`) are one consecutive series each. */
  async fit(x: Matrix, y: Target, valid?: { x: Matrix; y: Target }): Promise<FitReport> {
    if (y.y.length !== x.rows) {
      throw new RangeError(`Expected ${x.rows} labels but found ${y.y.length}`);
    }
    return await this.fitSequences(
      x,
      this.seriesIndex(x),
      y,
      valid && { x: valid.x, index: this.seriesIndex(valid.x), y: valid.y },
    );
  }

  /** Model interface: one prediction per row, its window the rows before it in `x`. */
  predict(x: Matrix): Float32Array {
    return this.predictSequences(x, this.seriesIndex(x));
  }

  save(dir: string): void {
    if (!this.#scaler || !this.#vars.length) throw new Error("LstmModel.save() before fit()");
    writeModelJson(dir, {
      type: this.type,
      config: this.config,
      scaler: this.#scaler,
      weights: saveVars(this.#vars),
    });
  }

  /** Load a model saved by {@linkcode LstmModel.save} (on the current tfjs backend). */
  static load(dir: string): LstmModel {
    const j = readModelJson(dir, "lstm");
    const m = new LstmModel(j.config);
    m.#scaler = j.scaler;
    m.#vars = loadVars(j.weights);
    return m;
  }
}
