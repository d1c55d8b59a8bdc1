/**
 * Helpers shared by the tfjs networks of this folder (mlp, lstm, multiTask, autoencoder; never
 * re-exported): train-segment standardization of columns and labels, the finite-label row filter,
 * seeded Glorot-uniform dense weights, the hidden activations, batched inference, and weights as
 * base64 Float32 in `model.json` (so save → load → predict is bit-identical).
 *
 * Standardization (SPEC §6, scalers fit on train only): mean and population std per column over the
 * finite values of the kept rows (Welford, Float64), constant or empty columns get scale 1, and a
 * missing value becomes 0 after standardizing (= the train mean).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { atomicWrite } from "../data/lake.ts";
import { Buffer } from "node:buffer";
import type { FitReport, Matrix, Target } from "./base.ts";
import { type EpochLog, trainLoop, type TrainLoopOptions, type TrainLoopResult } from "./train.ts";

/** Column standardization fit on a train matrix. */
export interface ColumnScaler {
  names: string[];
  mean: number[];
  scale: number[];
}

/** Label standardization (mean, population std; 1 when constant). */
export interface LabelScaler {
  yMean: number;
  yScale: number;
}

/** Fit mean/std per column over the finite values of rows `keep` (all rows when undefined). */
export function fitColumns(x: Matrix, keep?: ArrayLike<number>): ColumnScaler {
  const { cols, data } = x;
  const mean = new Float64Array(cols), m2 = new Float64Array(cols), cnt = new Float64Array(cols);
  const n = keep ? keep.length : x.rows;
  for (let k = 0; k < n; k++) {
    const i = keep ? keep[k] : k;
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
  return { names: [...x.names], mean: [...mean], scale };
}

/** Fit mean/std of the labels `y[keep]` (all finite: pass {@linkcode finiteRows}). */
export function fitLabel(y: ArrayLike<number>, keep: ArrayLike<number>): LabelScaler {
  let ym = 0, ym2 = 0, yn = 0;
  for (let k = 0; k < keep.length; k++) {
    const yi = y[keep[k]], dy = yi - ym;
    ym += dy / ++yn;
    ym2 += dy * (yi - ym);
  }
  const ysd = yn > 1 ? Math.sqrt(ym2 / yn) : 0;
  return { yMean: ym, yScale: ysd > 0 ? ysd : 1 };
}

/** Standardized copy of the selected rows (all rows when `keep` is undefined); NaN → 0. */
export function standardize(s: ColumnScaler, x: Matrix, keep?: ArrayLike<number>): Float32Array {
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

/** Standardize a row-major block with `s.names.length` columns in place; NaN → 0. */
export function standardizeInPlace(s: ColumnScaler, a: Float32Array): Float32Array {
  const cols = s.names.length;
  for (let o = 0; o < a.length; o += cols) {
    for (let j = 0; j < cols; j++) {
      const v = a[o + j];
      a[o + j] = v === v ? (v - s.mean[j]) / s.scale[j] : 0;
    }
  }
  return a;
}

/** Throw unless `x` has the columns the scaler was fit on (count; names are reported). */
export function checkColumns(type: string, s: ColumnScaler, x: Matrix): void {
  if (x.cols !== s.names.length) {
    throw new RangeError(
      `${type}: expected ${s.names.length} columns (${
        s.names.slice(0, 3).join(", ")
      }, …) but found ${x.cols}`,
    );
  }
}

/** Rows with a finite label (and finite positive weight when weighted). */
export function finiteRows(y: Target): Uint32Array {
  const keep: number[] = [];
  for (let i = 0; i < y.y.length; i++) {
    const w = y.weight ? y.weight[i] : 1;
    if (y.y[i] === y.y[i] && w === w && w > 0) keep.push(i);
  }
  return Uint32Array.from(keep);
}

/** `a[keep]` as a new Float32Array. */
export const gather = (a: ArrayLike<number>, keep: ArrayLike<number>): Float32Array =>
  Float32Array.from(keep, (i) => a[i]);

/** The hidden activations every network here accepts. */
export const ACTIVATIONS = ["relu", "elu", "tanh", "sigmoid"] as const;
/** One activation name. */
export type Activation = typeof ACTIVATIONS[number];

/** Throw unless `name` is one of {@linkcode ACTIVATIONS}. */
export function checkActivation(type: string, name: string): void {
  if (!(ACTIVATIONS as readonly string[]).includes(name)) {
    throw new RangeError(
      `Invalid ${type} option activation = "${name}": expected one of ${ACTIVATIONS.join(", ")}`,
    );
  }
}

/** Apply a hidden activation by name. */
export function activate<T extends tf.Tensor>(name: string, h: T): T {
  return name === "relu"
    ? tf.relu(h)
    : name === "elu"
    ? tf.elu(h)
    : name === "tanh"
    ? tf.tanh(h)
    : tf.sigmoid(h);
}

/** Throw unless `v` is an integer ≥ `min` (message names the option and value). */
export function checkInt(type: string, name: string, v: number, min = 1): void {
  if (!Number.isInteger(v) || v < min) {
    throw new RangeError(`Invalid ${type} option ${name} = ${v}: expected integer >= ${min}`);
  }
}

/** Check the training options every network shares (messages name the option and value). */
export function checkTraining(
  type: string,
  c: {
    batchSize: number;
    epochs: number;
    earlyStoppingPatience: number;
    dropout: number;
    learningRate: number;
  },
): void {
  checkInt(type, "batchSize", c.batchSize);
  checkInt(type, "epochs", c.epochs);
  checkInt(type, "earlyStoppingPatience", c.earlyStoppingPatience, 0);
  if (!(c.dropout >= 0 && c.dropout < 1)) {
    throw new RangeError(`Invalid ${type} option dropout = ${c.dropout}: expected in [0, 1)`);
  }
  if (!(c.learningRate > 0)) {
    throw new RangeError(
      `Invalid ${type} option learningRate = ${c.learningRate}: expected > 0`,
    );
  }
}

/** Throw unless `sizes` is a non-empty array of positive integers. */
export function checkSizes(type: string, name: string, sizes: unknown, allowEmpty = false): void {
  if (!Array.isArray(sizes) || (!allowEmpty && !sizes.length)) {
    throw new RangeError(
      `Invalid ${type} option ${name} = ${JSON.stringify(sizes)}: expected a non-empty array`,
    );
  }
  for (const h of sizes) {
    if (!Number.isInteger(h) || h < 1) {
      throw new RangeError(`Invalid ${type} option ${name}: ${h} is not a positive integer`);
    }
  }
}

/**
 * Dense layers `sizes[0] → sizes[1] → …` as variables [W1, b1, W2, b2, …]: Glorot-uniform kernels
 * seeded `seedBase + layer`, zero biases (the initial tensors are freed, only the variables stay).
 */
export function denseVars(sizes: readonly number[], seedBase: number): tf.Variable[] {
  const vars: tf.Variable[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const init = tf.initializers.glorotUniform({ seed: seedBase + l });
    vars.push(tf.tidy(() => tf.variable(init.apply([sizes[l], sizes[l + 1]]) as tf.Tensor)));
    vars.push(tf.tidy(() => tf.variable(tf.zeros([sizes[l + 1]]))));
  }
  return vars;
}

/**
 * A dense stack over `vars` ([W, b] pairs): activation and (training only, `step` ≥ 0) dropout
 * after every layer but the last, which stays linear unless `lastLinear` is false (a shared trunk).
 * Dropout masks are seeded by `${seedKey}:${step}:${layer}`.
 */
export function denseForward(
  x: tf.Tensor2D,
  vars: readonly tf.Variable[],
  o: { activation: string; dropout: number; seedKey: string; step?: number; lastLinear?: boolean },
): tf.Tensor2D {
  const nl = vars.length / 2, step = o.step ?? -1;
  let h: tf.Tensor2D = x;
  for (let l = 0; l < nl; l++) {
    h = tf.add(tf.matMul(h, vars[2 * l] as tf.Tensor2D), vars[2 * l + 1]);
    if (l + 1 === nl && o.lastLinear !== false) break;
    h = activate(o.activation, h);
    if (step >= 0 && o.dropout > 0) {
      h = tf.dropout(h, o.dropout, undefined, `${o.seedKey}:${step}:${l}`) as tf.Tensor2D;
    }
  }
  return h;
}

/**
 * Run `forward` on row batches `[s, s + m)` of `n` rows and hand each batch's values to `take`
 * (tensors are freed batch by batch).
 */
export function inBatches(
  n: number,
  batch: number,
  forward: (start: number, m: number) => tf.Tensor,
  take: (values: Float32Array, start: number, m: number) => void,
): void {
  for (let s = 0; s < n; s += batch) {
    const m = Math.min(batch, n - s);
    const t = tf.tidy(() => forward(s, m));
    const v = t.dataSync() as Float32Array;
    t.dispose();
    take(v, s, m);
  }
}

/** Copies of the variables' values (a checkpoint in JS memory). */
export const readVars = (vars: readonly tf.Variable[]): Float32Array[] =>
  vars.map((v) => v.dataSync().slice() as Float32Array);

/** Overwrite the variables with values from {@linkcode readVars}. */
export function writeVars(vars: readonly tf.Variable[], ws: Float32Array[]): void {
  tf.tidy(() => vars.forEach((v, i) => v.assign(tf.tensor(ws[i], v.shape))));
}

/** Base64 of a Float32Array's bytes (little-endian as in memory). */
export function toBase64(a: Float32Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("base64");
}

/** The Float32Array of {@linkcode toBase64}. */
export function fromBase64(s: string): Float32Array {
  const b = Buffer.from(s, "base64");
  const out = new Float32Array(b.byteLength / 4);
  new Uint8Array(out.buffer).set(b);
  return out;
}

/** One saved weight tensor. */
export interface SavedWeight {
  shape: number[];
  data: string;
}

/** Variables as `{ shape, data: base64 }` for model.json. */
export const saveVars = (vars: readonly tf.Variable[]): SavedWeight[] =>
  vars.map((v) => ({ shape: v.shape, data: toBase64(v.dataSync() as Float32Array) }));

/** Variables back from {@linkcode saveVars}. */
export const loadVars = (ws: readonly SavedWeight[]): tf.Variable[] =>
  ws.map((w) => tf.tidy(() => tf.variable(tf.tensor(fromBase64(w.data), w.shape))));

/** Write `${dir}/model.json` (directory created, atomic): the type, config, scalers and weights. */
export function writeModelJson(
  dir: string,
  model: { type: string } & Record<string, unknown>,
): void {
  Deno.mkdirSync(dir, { recursive: true });
  atomicWrite(`${dir}/model.json`, JSON.stringify(model));
}

/** Read `${dir}/model.json` and check its type. */
export function readModelJson(dir: string, type: string): Record<string, any> {
  const j = JSON.parse(Deno.readTextFileSync(`${dir}/model.json`));
  if (j.type !== type) {
    throw new Error(`${dir}/model.json holds a ${j.type} model, expected ${type}`);
  }
  return j;
}

/** The training settings every network's config carries (checked by {@linkcode checkTraining}). */
export interface NetTraining {
  learningRate: number;
  epochs: number;
  batchSize: number;
  earlyStoppingPatience: number;
  seed: number;
  verbose: boolean;
}

/** What a network hands {@linkcode fitWithAdam}: its trainable and the standardized data. */
export type LoopData = Pick<
  TrainLoopOptions,
  "model" | "cols" | "xTrain" | "yTrain" | "wTrain" | "xValid" | "yValid" | "wValid"
>;

/**
 * Run the shared training loop with an Adam optimizer: `data(opt)` builds the network's trainable
 * (its step uses `opt`) and data; the config sets epochs, batch size, patience, seed and logging.
 * The optimizer is disposed afterwards. Returns the loop's result and the model's report (seconds
 * counted from `t0`, the start of the model's `fit`).
 */
export function fitWithAdam(
  c: NetTraining,
  t0: number,
  onEpoch: ((log: EpochLog) => void) | undefined,
  data: (opt: tf.Optimizer) => LoopData,
): { loop: TrainLoopResult; report: FitReport } {
  const opt = tf.train.adam(c.learningRate);
  try {
    const loop = trainLoop({
      ...data(opt),
      epochs: c.epochs,
      batchSize: c.batchSize,
      patience: c.earlyStoppingPatience,
      seed: c.seed,
      onEpoch,
      log: c.verbose ? undefined : () => {},
    });
    return {
      loop,
      report: {
        iterations: loop.bestEpoch,
        validLoss: loop.bestValid,
        history: loop.history,
        seconds: (performance.now() - t0) / 1e3,
      },
    };
  } finally {
    opt.dispose();
  }
}
