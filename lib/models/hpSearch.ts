/**
 * Seeded random hyperparameter search with time-series cross-validation (SPEC §7 "hyperparameter
 * search with time-series CV"), for any model factory `(config) => Model`.
 *
 * Folds ({@linkcode timeSeriesFolds}) live inside the TRAIN segment only (valid and test stay
 * untouched for early stopping and the final score). Its distinct stamps (the union over pairs of
 * a pooled dataset, as `split()` counts them) are cut into `folds + 1` equal blocks; fold k
 * validates on block k + 1 and trains on the stamps before block k + 1 minus an `embargo` of
 * stamps purged from the train end (a label at the last train row reads up to h bars ahead, so
 * the embargo must exceed the longest horizon: 120 by default, as the run's split).
 * "expanding": every fold trains from the first stamp; "rolling": on a window as long as the first
 * fold's. No validation row is ever before or inside its fold's train span or embargo.
 * (Not `walkForward()`: it cuts whole days of wall-clock time, and `split()` cuts once; these
 * folds count distinct stamps like `split()`, so they fit a train segment of any length.)
 *
 * Trials: configuration i draws every parameter of the `space` in key order from one mulberry32
 * stream seeded by `seed`, merges it over `fixed`, fits a fresh model per fold and scores the
 * fold's validation MSE; the trial's loss is the mean over folds. The search stops at `maxTrials`
 * or when `maxSeconds` have passed (checked between trials; at least one trial runs). The same
 * seed gives the same configurations, and the same losses when the model is deterministic given
 * its config. By default the fold's validation rows are not given to `fit` (no early stopping on
 * the rows being scored); `earlyStopping: true` passes them, which is cheaper but optimistic.
 *
 * @example
 * ```ts
 * import { hpSearch, logUniform } from "./hpSearch.ts";
 * import { RidgeModel } from "./ridge.ts";
 * import assert from "node:assert/strict";
 * const n = 300, data = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
 * const x = { rows: n, cols: 1, data, names: ["a"] };
 * const y = { y: data.map((v) => 3 * v) };
 * const r = await hpSearch((c) => new RidgeModel(c), x, y, {
 *   space: { lambda: logUniform(1e-6, 10) }, maxTrials: 5, folds: 2, embargo: 5, verbose: false,
 * });
 * assert.equal(r.trials.length, 5);
 * assert.ok(r.best.config.lambda === Math.min(...r.trials.map((t) => t.config.lambda as number)));
 * ```
 * @module
 */
import type { Matrix, Model, Target } from "./base.ts";
import { mulberry32 } from "./train.ts";
import { progress } from "../progress.ts";

/** One searchable hyperparameter. */
export type Param =
  | { kind: "uniform"; low: number; high: number }
  | { kind: "logUniform"; low: number; high: number }
  | { kind: "int"; low: number; high: number; log: boolean }
  | { kind: "choice"; values: readonly unknown[] };

/** Name → distribution. */
export type SearchSpace = Readonly<Record<string, Param>>;

function range(kind: string, low: number, high: number, positive = false): void {
  if (!(Number.isFinite(low) && Number.isFinite(high) && low <= high)) {
    throw new RangeError(`Invalid ${kind}(${low}, ${high}): expected finite low <= high`);
  }
  if (positive && !(low > 0)) {
    throw new RangeError(`Invalid ${kind}(${low}, ${high}): expected low > 0`);
  }
}

/** Uniform on [low, high). */
export function uniform(low: number, high: number): Param {
  range("uniform", low, high);
  return { kind: "uniform", low, high };
}

/** Log-uniform on [low, high), low > 0 (for rates and penalties). */
export function logUniform(low: number, high: number): Param {
  range("logUniform", low, high, true);
  return { kind: "logUniform", low, high };
}

/** Integer uniform on [low, high] inclusive; `log: true` draws log-uniformly (low ≥ 1). */
export function int(low: number, high: number, options: { log?: boolean } = {}): Param {
  const { log = false } = options;
  if (!Number.isInteger(low) || !Number.isInteger(high)) {
    throw new RangeError(`Invalid int(${low}, ${high}): expected integers`);
  }
  range("int", low, high, log);
  return { kind: "int", low, high, log };
}

/** One of `values`, equally likely. */
export function choice(values: readonly unknown[]): Param {
  if (values.length === 0) throw new RangeError("Invalid choice([]): expected at least one value");
  return { kind: "choice", values };
}

/** Draw one value of `p` from a uniform [0, 1) source. */
export function sampleParam(p: Param, u: () => number): unknown {
  switch (p.kind) {
    case "uniform":
      return p.low + u() * (p.high - p.low);
    case "logUniform":
      return Math.exp(Math.log(p.low) + u() * (Math.log(p.high) - Math.log(p.low)));
    case "int": {
      if (p.log) {
        const v = Math.exp(Math.log(p.low) + u() * (Math.log(p.high + 1) - Math.log(p.low)));
        return Math.min(p.high, Math.floor(v));
      }
      return p.low + Math.floor(u() * (p.high - p.low + 1));
    }
    case "choice":
      return p.values[Math.floor(u() * p.values.length)];
    default:
      throw new RangeError(`Unknown parameter kind ${JSON.stringify(p)}`);
  }
}

/** Options of {@linkcode timeSeriesFolds}. */
export interface FoldOptions {
  /** Validation folds. @default 3 */
  folds?: number;
  /** Distinct stamps purged between a fold's train and its validation block. @default 120 */
  embargo?: number;
  /** "expanding" (train from the first stamp) or "rolling" (fixed-length window). @default "expanding" */
  mode?: "expanding" | "rolling";
}

/** One time-series CV fold (row indices ascending, stamps as given). */
export interface CvFold {
  train: Int32Array;
  valid: Int32Array;
  /** First and last stamp of the train rows, and of the validation rows. */
  trainSpan: [number, number];
  validSpan: [number, number];
  /** Distinct stamps purged between them. */
  embargo: number;
}

/**
 * Time-series CV folds over some rows (see the module doc).
 * @param ts stamp of every row of the dataset (e.g. epoch ms; any order, repeats across pairs)
 * @param rows the rows to fold (the train segment), ascending or not
 * @param options folds, embargo, mode
 * @returns the folds in time order
 * @example
 * ```ts
 * import { timeSeriesFolds } from "./hpSearch.ts";
 * import assert from "node:assert/strict";
 * const ts = Float64Array.from({ length: 100 }, (_, i) => i);
 * const f = timeSeriesFolds(ts, Int32Array.from(ts), { folds: 3, embargo: 5 });
 * // blocks of 25 stamps: fold 0 trains on 0..19 (20..24 purged) and validates on 25..49
 * assert.deepEqual([f[0].train.length, f[0].valid[0], f[0].valid.length], [20, 25, 25]);
 * assert.deepEqual(f[2].validSpan, [75, 99]);
 * ```
 */
export function timeSeriesFolds(
  ts: ArrayLike<number>,
  rows: ArrayLike<number>,
  options: FoldOptions = {},
): CvFold[] {
  const { folds = 3, embargo = 120, mode = "expanding" } = options;
  if (!(Number.isInteger(folds) && folds >= 1)) {
    throw new RangeError(`Expected folds to be an integer >= 1 but found ${folds}`);
  }
  if (!(Number.isInteger(embargo) && embargo >= 0)) {
    throw new RangeError(`Expected embargo to be an integer >= 0 but found ${embargo}`);
  }
  if (mode !== "expanding" && mode !== "rolling") {
    throw new RangeError(`Invalid mode "${mode}": expected "expanding" or "rolling"`);
  }
  const stamps = Float64Array.from(new Set(Array.from(rows, (r) => ts[r]))).sort();
  const U = stamps.length;
  const cut = (k: number) => Math.round((k * U) / (folds + 1)); // block k = [cut(k), cut(k+1))
  const firstTrain = cut(1) - embargo;
  if (firstTrain < 1 || cut(1) === cut(2)) {
    throw new RangeError(
      `Expected more than ${
        (folds + 1) * (embargo + 1)
      } distinct stamps for ${folds} folds with an embargo of ${embargo} but found ${U}`,
    );
  }
  // rows grouped by stamp position
  const pos = new Map<number, number>();
  stamps.forEach((s, i) => pos.set(s, i));
  const byStamp = Array.from(rows, (r) => ({ r, p: pos.get(ts[r])! }));
  const take = (lo: number, hi: number) =>
    Int32Array.from(byStamp.filter((e) => e.p >= lo && e.p < hi).map((e) => e.r)).sort();
  const out: CvFold[] = [];
  for (let k = 1; k <= folds; k++) {
    const vLo = cut(k), vHi = cut(k + 1), tHi = vLo - embargo;
    const tLo = mode === "expanding" ? 0 : Math.max(0, tHi - firstTrain);
    out.push({
      train: take(tLo, tHi),
      valid: take(vLo, vHi),
      trainSpan: [stamps[tLo], stamps[tHi - 1]],
      validSpan: [stamps[vLo], stamps[vHi - 1]],
      embargo,
    });
  }
  return out;
}

/** Options of {@linkcode hpSearch}. */
export interface HpSearchOptions extends FoldOptions {
  /** The parameters to search. */
  space: SearchSpace;
  /** Config values every trial shares (the sampled ones override them). @default {} */
  fixed?: Readonly<Record<string, unknown>>;
  /** Rows of `x` to search on (the train segment). @default every row */
  rows?: ArrayLike<number>;
  /** Row stamps of `x` (pooled rows share stamps). @default the row index */
  ts?: ArrayLike<number>;
  /** Maximum trials. @default 20 */
  maxTrials?: number;
  /** Stop starting trials after this many seconds. @default Infinity */
  maxSeconds?: number;
  /** Seed of the configurations. @default 0 */
  seed?: number;
  /** Give each fold's validation rows to `fit` (early stopping). @default false */
  earlyStopping?: boolean;
  /** Print one progress line per trial. @default true (quiet under BQX_QUIET=1) */
  verbose?: boolean;
}

/** One evaluated configuration. */
export interface Trial {
  index: number;
  /** The sampled parameters only. */
  params: Record<string, unknown>;
  /** `fixed` merged with `params`: what the factory received. */
  config: Record<string, unknown>;
  /** Validation MSE per fold. */
  foldLoss: number[];
  /** Mean of `foldLoss`. */
  loss: number;
  seconds: number;
}

/** What {@linkcode hpSearch} returns. */
export interface HpSearchResult {
  /** Every trial, in the order run. */
  trials: Trial[];
  /** The trial with the lowest loss (earliest on ties). */
  best: Trial;
  /** The folds used (row counts and spans). */
  folds: {
    train: number;
    valid: number;
    trainSpan: [number, number];
    validSpan: [number, number];
  }[];
  seconds: number;
}

function subMatrix(x: Matrix, rows: Int32Array): Matrix {
  const { cols } = x;
  const data = new Float32Array(rows.length * cols);
  for (let i = 0; i < rows.length; i++) {
    data.set(x.data.subarray(rows[i] * cols, rows[i] * cols + cols), i * cols);
  }
  return { rows: rows.length, cols, data, names: x.names };
}

function subTarget(y: Target, rows: Int32Array): Target {
  return {
    y: Float32Array.from(rows, (r) => y.y[r]),
    weight: y.weight ? Float32Array.from(rows, (r) => y.weight![r]) : undefined,
  };
}

/**
 * Random search over `space` with time-series CV (see the module doc).
 * @param factory builds a fresh model from a config
 * @param x the feature matrix (all rows; only `rows` are read)
 * @param y labels of every row of `x`
 * @param options space, budget, folds, seed
 * @returns the trials table and the best trial
 */
export async function hpSearch(
  factory: (config: Record<string, unknown>) => Model,
  x: Matrix,
  y: Target,
  options: HpSearchOptions,
): Promise<HpSearchResult> {
  const t0 = performance.now();
  const {
    space,
    fixed = {},
    maxTrials = 20,
    maxSeconds = Infinity,
    seed = 0,
    earlyStopping = false,
    verbose = true,
  } = options;
  if (!(Number.isInteger(maxTrials) && maxTrials >= 1)) {
    throw new RangeError(`Expected maxTrials to be an integer >= 1 but found ${maxTrials}`);
  }
  if (!(maxSeconds > 0)) throw new RangeError(`Expected maxSeconds > 0 but found ${maxSeconds}`);
  if (y.y.length !== x.rows) {
    throw new RangeError(`Expected ${x.rows} labels but found ${y.y.length}`);
  }
  const rows = options.rows ?? Int32Array.from({ length: x.rows }, (_, i) => i);
  const ts = options.ts ?? Float64Array.from({ length: x.rows }, (_, i) => i);
  if (ts.length !== x.rows) {
    throw new RangeError(`Expected ${x.rows} stamps but found ${ts.length}`);
  }
  // only rows with a finite label take part
  const usable = Int32Array.from(Array.from(rows).filter((r) => Number.isFinite(y.y[r])));
  const folds = timeSeriesFolds(ts, usable, options).map((f) => ({
    ...f,
    xTrain: subMatrix(x, f.train),
    yTrain: subTarget(y, f.train),
    xValid: subMatrix(x, f.valid),
    yValid: subTarget(y, f.valid),
  }));
  const u = mulberry32(seed);
  const keys = Object.keys(space);
  const bar = progress("hpSearch", maxTrials, {
    silent: !verbose || undefined,
    unit: "trials",
    every: 0,
  });
  const trials: Trial[] = [];
  let best: Trial | undefined;
  while (trials.length < maxTrials) {
    if (trials.length > 0 && (performance.now() - t0) / 1e3 >= maxSeconds) break;
    const t1 = performance.now();
    const params: Record<string, unknown> = {};
    for (const k of keys) params[k] = sampleParam(space[k], u);
    const config = { ...fixed, ...params };
    const foldLoss: number[] = [];
    for (const f of folds) {
      const model = factory(config);
      await model.fit(
        f.xTrain,
        f.yTrain,
        earlyStopping ? { x: f.xValid, y: f.yValid } : undefined,
      );
      const p = model.predict(f.xValid);
      let se = 0, n = 0;
      for (let i = 0; i < p.length; i++) {
        const d = p[i] - f.yValid.y[i];
        if (d === d) se += d * d, n++;
      }
      foldLoss.push(n ? se / n : NaN);
      (model as { dispose?: () => void }).dispose?.();
    }
    const loss = foldLoss.reduce((s, v) => s + v, 0) / foldLoss.length;
    const trial: Trial = {
      index: trials.length,
      params,
      config,
      foldLoss,
      loss,
      seconds: (performance.now() - t1) / 1e3,
    };
    trials.push(trial);
    if (!best || loss < best.loss || (Number.isNaN(best.loss) && !Number.isNaN(loss))) best = trial;
    const show = (v: unknown) => (typeof v === "number" ? Number(v.toPrecision(4)) : v);
    bar.tick(
      1,
      `trial ${trial.index}: loss ${loss.toPrecision(5)} (best ${
        best.loss.toPrecision(5)
      } #${best.index}) ` +
        JSON.stringify(Object.fromEntries(Object.entries(params).map(([k, v]) => [k, show(v)]))),
    );
  }
  bar.done(`best loss ${best!.loss.toPrecision(5)} at trial ${best!.index}`);
  return {
    trials,
    best: best!,
    folds: folds.map((f) => ({
      train: f.train.length,
      valid: f.valid.length,
      trainSpan: f.trainSpan,
      validSpan: f.validSpan,
    })),
    seconds: (performance.now() - t0) / 1e3,
  };
}
