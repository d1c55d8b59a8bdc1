/**
 * A multi-task network on tfjs (SPEC §7 "multi-task network"): a shared trunk of dense layers and
 * one linear head per horizon (15/30/45/60/75), trained on the horizon-weighted loss
 *
 *   L = Σ_h w_h · MSE_h,   w = 0.10 / 0.15 / 0.20 / 0.25 / 0.30 (configurable),
 *
 * where MSE_h is the mean over the rows that HAVE a label for h (a missing label contributes 0 to
 * its head, a head with no label in a batch contributes 0): the horizons share what they can learn
 * about the market and the longer ones, harder and more useful, weigh more.
 *
 * Choices (as `mlp.ts`): columns standardized on the train matrix, NaN → 0 after standardizing;
 * each head's label standardized with its own train mean/std, so MSE_h and L — the loss minimized
 * and reported in the history — are in units of each horizon's train variance (in raw units the
 * 75-minute head would dominate whatever the weights). Rows without any label are dropped; a head
 * without any train label is allowed (it stays at its initial weights).
 * Randomness only from `seed`; weights saved as base64 Float32, so save → load → predict is
 * bit-identical. The shared loop of `train.ts` shuffles rows; its label is each row's position,
 * from which the step reads the row's labels and mask.
 *
 * {@linkcode MultiTaskModel.forHorizon} gives a {@linkcode Model} view of one head, so the network
 * plugs into a run like any single-horizon model.
 *
 * @example
 * ```ts
 * import { MultiTaskModel } from "./multiTask.ts";
 * import { matrixFromColumns } from "./base.ts";
 * import assert from "node:assert/strict";
 * const a = Array.from({ length: 128 }, (_, i) => i / 64 - 1);
 * const x = matrixFromColumns(["a"], [a]);
 * const m = new MultiTaskModel({ horizons: [15, 30], weights: [0.4, 0.6], hidden: [8], epochs: 1, verbose: false });
 * await m.fitMulti(x, [Float32Array.from(a), Float32Array.from(a, (v) => -v)]);
 * const [p15, p30] = m.predictMulti(x);
 * assert.equal(p15.length, 128);
 * assert.deepEqual(m.forHorizon(30).predict(x), p30);
 * m.dispose();
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type FitReport, type Matrix, type Model, resolveConfig, type Target } from "./base.ts";
import { selectBackend } from "./backend.ts";
import { type EpochLog, type Trainable, type TrainLoopResult } from "./train.ts";
import {
  checkActivation,
  checkColumns,
  checkSizes,
  checkTraining,
  type ColumnScaler,
  denseForward,
  denseVars,
  fitColumns,
  fitLabel,
  fitWithAdam,
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

/** Multi-task options (one value per line, nanoGPT style). */
export const MULTITASK_DEFAULTS = {
  /** Horizons (minutes), one head each, in the order of the label arrays. */
  horizons: [15, 30, 45, 60, 75] as number[],
  /** Loss weight of each head (SPEC §7: 0.10/0.15/0.20/0.25/0.30). */
  weights: [0.10, 0.15, 0.20, 0.25, 0.30] as number[],
  /** Units of each shared trunk layer, input to output. */
  hidden: [256, 128] as number[],
  /** Trunk activation: relu | elu | tanh | sigmoid. */
  activation: "relu",
  /** Dropout rate after each trunk layer while training. */
  dropout: 0.1,
  /** Adam step size. */
  learningRate: 1e-3,
  /** Rows per optimizer step (and per prediction batch ×4). */
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
/** Multi-task config. */
export type MultiTaskConfig = typeof MULTITASK_DEFAULTS;

/** Column scaler plus one label scaler per head (saved in model.json). */
interface Scalers {
  x: ColumnScaler;
  y: LabelScaler[];
}

/**
 * The masked horizon-weighted loss Σ_h w_h · Σ_i m_ih (p_ih − y_ih)² / Σ_i m_ih on `[n, H]`
 * tensors (`mask` 1 where the label exists, 0 elsewhere; `y` may hold anything finite where the
 * mask is 0); a head without any label contributes 0. This is the loss the network minimizes.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { maskedWeightedMse } from "./multiTask.ts";
 * import assert from "node:assert/strict";
 * const p = tf.tensor2d([[1, 0], [3, 2]]), y = tf.tensor2d([[0, 0], [1, 5]]);
 * const m = tf.tensor2d([[1, 0], [1, 1]]);
 * // head 0: (1 + 4) / 2 = 2.5; head 1: 9 / 1 = 9 → 0.5·2.5 + 0.25·9
 * assert.equal(maskedWeightedMse(p, y, m, [0.5, 0.25]).dataSync()[0], 3.5);
 * ```
 */
export function maskedWeightedMse(
  pred: tf.Tensor2D,
  y: tf.Tensor2D,
  mask: tf.Tensor2D,
  weights: readonly number[],
): tf.Scalar {
  return tf.tidy(() => {
    const sse = tf.sum(tf.mul(tf.square(tf.sub(pred, y)), mask), 0);
    const cnt = tf.maximum(tf.sum(mask, 0), 1);
    return tf.sum(tf.mul(tf.div(sse, cnt), tf.tensor1d(weights as number[]))) as tf.Scalar;
  });
}

/** Standardized labels `[n, H]` (0 where missing) and their mask, for rows `keep`. */
function labelBlock(
  ys: readonly Float32Array[],
  keep: ArrayLike<number>,
  s: readonly LabelScaler[],
): { y: Float32Array; mask: Float32Array } {
  const H = ys.length, n = keep.length;
  const y = new Float32Array(n * H), mask = new Float32Array(n * H);
  for (let k = 0; k < n; k++) {
    for (let h = 0; h < H; h++) {
      const v = ys[h][keep[k]];
      if (v !== v) continue;
      y[k * H + h] = (v - s[h].yMean) / s[h].yScale;
      mask[k * H + h] = 1;
    }
  }
  return { y, mask };
}

/** Rows with at least one finite label. */
function labelledRows(ys: readonly Float32Array[]): Uint32Array {
  const keep: number[] = [];
  for (let i = 0; i < ys[0].length; i++) {
    if (ys.some((y) => y[i] === y[i])) keep.push(i);
  }
  return Uint32Array.from(keep);
}

/** Shared-trunk multi-horizon network. */
export class MultiTaskModel {
  readonly type = "multitask";
  readonly config: MultiTaskConfig;
  #scalers?: Scalers;
  /** Trunk [W1, b1, …] then heads as one [last, H] kernel and [H] bias (= H linear heads). */
  #trunk: tf.Variable[] = [];
  #heads: tf.Variable[] = [];
  /** Optional per-epoch hook; not part of the saved config. */
  onEpoch?: (log: EpochLog) => void;
  /** The last fit's loop result. */
  lastFit?: TrainLoopResult;

  constructor(overrides: Partial<MultiTaskConfig> = {}) {
    this.config = resolveConfig("multitask", MULTITASK_DEFAULTS, overrides);
    const c = this.config;
    checkSizes("multitask", "horizons", c.horizons);
    if (new Set(c.horizons).size !== c.horizons.length) {
      throw new RangeError(`Invalid multitask option horizons = ${c.horizons}: repeated horizon`);
    }
    if (
      !Array.isArray(c.weights) || c.weights.length !== c.horizons.length ||
      c.weights.some((w) => !(w >= 0)) || !c.weights.some((w) => w > 0)
    ) {
      throw new RangeError(
        `Invalid multitask option weights = ${
          JSON.stringify(c.weights)
        }: expected ${c.horizons.length} values >= 0, not all 0`,
      );
    }
    checkSizes("multitask", "hidden", c.hidden);
    checkActivation("multitask", c.activation);
    checkTraining("multitask", c);
  }

  /** Free the weight tensors. */
  dispose(): void {
    for (const v of [...this.#trunk, ...this.#heads]) v.dispose();
    this.#trunk = [];
    this.#heads = [];
  }

  get #vars(): tf.Variable[] {
    return [...this.#trunk, ...this.#heads];
  }

  #init(cols: number): void {
    this.dispose();
    const c = this.config, sizes = [cols, ...c.hidden];
    this.#trunk = denseVars(sizes, c.seed * 1000);
    this.#heads = denseVars([sizes.at(-1)!, c.horizons.length], c.seed * 1000 + sizes.length);
  }

  /** Forward pass: `[n, cols]` → `[n, H]` in standardized label units; `step` ≥ 0 = training. */
  #forward(x: tf.Tensor2D, step = -1): tf.Tensor2D {
    const c = this.config;
    const h = denseForward(x, this.#trunk, {
      activation: c.activation,
      dropout: c.dropout,
      seedKey: `${c.seed}`,
      step,
      lastLinear: false,
    });
    return tf.add(tf.matMul(h, this.#heads[0] as tf.Tensor2D), this.#heads[1]);
  }

  #trainable(
    opt: tf.Optimizer,
    cols: number,
    train: { y: Float32Array; mask: Float32Array },
    valid?: { y: Float32Array; mask: Float32Array },
  ): Trainable {
    const c = this.config, H = c.horizons.length;
    // the loop's label is the row's position in the block: gather its labels and mask
    const pick = (b: { y: Float32Array; mask: Float32Array }, pos: Float32Array) => {
      const y = new Float32Array(pos.length * H), m = new Float32Array(pos.length * H);
      for (let k = 0; k < pos.length; k++) {
        y.set(b.y.subarray(pos[k] * H, pos[k] * H + H), k * H);
        m.set(b.mask.subarray(pos[k] * H, pos[k] * H + H), k * H);
      }
      return { y, m };
    };
    return {
      trainStep: (x, pos, _w, step) => {
        const { y, m } = pick(train, pos);
        const n = pos.length;
        const loss = tf.tidy(() => {
          const xt = tf.tensor2d(x, [n, cols]);
          const yt = tf.tensor2d(y, [n, H]), mt = tf.tensor2d(m, [n, H]);
          return opt.minimize(
            () => maskedWeightedMse(this.#forward(xt, step), yt, mt, c.weights),
            true,
            this.#vars,
          )!;
        });
        const v = loss.dataSync()[0];
        loss.dispose();
        return v;
      },
      evalLoss: (x, pos) => {
        const sse = new Float64Array(H), cnt = new Float64Array(H);
        inBatches(
          pos.length,
          c.batchSize * 4,
          (s, m) => this.#forward(tf.tensor2d(x.subarray(s * cols, (s + m) * cols), [m, cols])),
          (pv, s, m) => {
            for (let k = 0; k < m; k++) {
              const r = pos[s + k] * H;
              for (let h = 0; h < H; h++) {
                if (!valid!.mask[r + h]) continue;
                sse[h] += (pv[k * H + h] - valid!.y[r + h]) ** 2;
                cnt[h]++;
              }
            }
          },
        );
        let l = 0;
        for (let h = 0; h < H; h++) l += cnt[h] ? (c.weights[h] * sse[h]) / cnt[h] : 0;
        return l;
      },
      getWeights: () => readVars(this.#vars),
      setWeights: (ws) => writeVars(this.#vars, ws),
    };
  }

  /**
   * Fit all heads: `ys[k]` holds the labels of horizon `config.horizons[k]` for every row of `x`
   * (NaN = missing, masked out of that head's loss); `valid` drives early stopping on the same
   * weighted loss.
   */
  async fitMulti(
    x: Matrix,
    ys: readonly Float32Array[],
    valid?: { x: Matrix; ys: readonly Float32Array[] },
  ): Promise<FitReport> {
    const t0 = performance.now();
    const c = this.config, H = c.horizons.length;
    const check = (what: string, m: Matrix, l: readonly Float32Array[]) => {
      if (l.length !== H) {
        throw new RangeError(
          `Expected ${H} ${what} label arrays (one per horizon) but found ${l.length}`,
        );
      }
      l.forEach((y, k) => {
        if (y.length !== m.rows) {
          throw new RangeError(
            `Expected ${m.rows} ${what} labels for horizon ${c.horizons[k]} but found ${y.length}`,
          );
        }
      });
    };
    check("train", x, ys);
    if (valid) {
      check("valid", valid.x, valid.ys);
      if (valid.x.cols !== x.cols) {
        throw new RangeError(`Validation has ${valid.x.cols} columns, train has ${x.cols}`);
      }
    }
    await selectBackend();
    const keep = labelledRows(ys);
    if (!keep.length) throw new RangeError("Cannot fit multitask: no row has a finite label");
    // a head without any label keeps mean 0 / scale 1 and gets no gradient (its loss term is 0)
    const yScalers = ys.map((y) => fitLabel(y, keep.filter((i) => y[i] === y[i])));
    const s: Scalers = { x: fitColumns(x, keep), y: yScalers };
    this.#scalers = s;
    const vKeep = valid ? labelledRows(valid.ys) : undefined;
    const hasValid = !!valid && vKeep!.length > 0;
    const pos = (n: number) => Float32Array.from({ length: n }, (_, i) => i);
    this.#init(x.cols);
    const { loop, report } = fitWithAdam(c, t0, this.onEpoch, (opt) => ({
      model: this.#trainable(
        opt,
        x.cols,
        labelBlock(ys, keep, s.y),
        hasValid ? labelBlock(valid!.ys, vKeep!, s.y) : undefined,
      ),
      cols: x.cols,
      xTrain: standardize(s.x, x, keep),
      yTrain: pos(keep.length),
      xValid: hasValid ? standardize(s.x, valid!.x, vKeep) : undefined,
      yValid: hasValid ? pos(vKeep!.length) : undefined,
    }));
    this.lastFit = loop;
    return report;
  }

  /** One prediction array per head, in `config.horizons` order, in label units. */
  predictMulti(x: Matrix): Float32Array[] {
    const s = this.#scalers;
    if (!s || !this.#trunk.length) throw new Error("MultiTaskModel.predict() before fit()");
    checkColumns("multitask", s.x, x);
    const H = this.config.horizons.length, cols = x.cols;
    const z = standardize(s.x, x);
    const out = Array.from({ length: H }, () => new Float32Array(x.rows));
    inBatches(
      x.rows,
      this.config.batchSize * 4,
      (st, m) => this.#forward(tf.tensor2d(z.subarray(st * cols, (st + m) * cols), [m, cols])),
      (pv, st, m) => {
        for (let k = 0; k < m; k++) {
          for (let h = 0; h < H; h++) {
            out[h][st + k] = pv[k * H + h] * s.y[h].yScale + s.y[h].yMean;
          }
        }
      },
    );
    return out;
  }

  /** The label standardization of each head (train mean/std), in `config.horizons` order. */
  get labelScalers(): readonly LabelScaler[] {
    if (!this.#scalers) throw new Error("MultiTaskModel.labelScalers before fit()");
    return this.#scalers.y;
  }

  /** A {@linkcode Model} view of the head of horizon `h` (shares this network's weights). */
  forHorizon(h: number): MultiTaskHead {
    const k = this.config.horizons.indexOf(h);
    if (k < 0) {
      throw new RangeError(
        `No multitask head for horizon ${h}: expected one of ${this.config.horizons.join(", ")}`,
      );
    }
    return new MultiTaskHead(this, h);
  }

  #body(extra: Record<string, unknown> = {}) {
    return {
      type: this.type,
      config: this.config,
      ...extra,
      scalers: this.#scalers,
      trunk: saveVars(this.#trunk),
      heads: saveVars(this.#heads),
    };
  }

  /** Write `model.json` (config, scalers, weights) into `dir`; `head` marks a view's horizon. */
  save(dir: string, head?: number): void {
    if (!this.#scalers || !this.#trunk.length) {
      throw new Error("MultiTaskModel.save() before fit()");
    }
    writeModelJson(dir, this.#body(head === undefined ? {} : { head }));
  }

  /** Load a model saved by {@linkcode MultiTaskModel.save} (on the current tfjs backend). */
  static load(dir: string): MultiTaskModel {
    const j = readModelJson(dir, "multitask");
    const m = new MultiTaskModel(j.config);
    m.#scalers = j.scalers;
    m.#trunk = loadVars(j.trunk);
    m.#heads = loadVars(j.heads);
    return m;
  }

  /** Load a head view saved by {@linkcode MultiTaskHead.save}. */
  static loadHead(dir: string): MultiTaskHead {
    const j = readModelJson(dir, "multitask");
    if (typeof j.head !== "number") throw new Error(`${dir}/model.json is not a head view`);
    return MultiTaskModel.load(dir).forHorizon(j.head);
  }
}

/**
 * One head of a {@linkcode MultiTaskModel} as a {@linkcode Model}: `predict` is that head's
 * output; `fit(x, y)` trains the whole network with only this head labelled (the others masked
 * out), i.e. single-task training through the same code; `save` writes the whole network plus the
 * head's horizon.
 */
export class MultiTaskHead implements Model {
  readonly type = "multitask";
  constructor(readonly model: MultiTaskModel, readonly horizon: number) {}

  get config(): Readonly<Record<string, unknown>> {
    return { ...this.model.config, head: this.horizon };
  }

  #labels(n: number, y: Target): Float32Array[] {
    if (y.weight) throw new RangeError("multitask does not take row weights");
    return this.model.config.horizons.map((h) =>
      h === this.horizon ? y.y : new Float32Array(n).fill(NaN)
    );
  }

  fit(x: Matrix, y: Target, valid?: { x: Matrix; y: Target }): Promise<FitReport> {
    return this.model.fitMulti(
      x,
      this.#labels(x.rows, y),
      valid && { x: valid.x, ys: this.#labels(valid.x.rows, valid.y) },
    );
  }

  predict(x: Matrix): Float32Array {
    return this.model.predictMulti(x)[this.model.config.horizons.indexOf(this.horizon)];
  }

  save(dir: string): void {
    this.model.save(dir, this.horizon);
  }
}
