/**
 * The run's model registry: how each named model of `deno task train --models …` is fit on one
 * horizon of a pooled dataset and scored. A run ({@linkcode ../eval/run.ts}) calls, per horizon and
 * per requested name, `RUN_MODEL_SPECS[name].fit(ctx)` and records the test predictions; models
 * that need more than a plain row matrix (sequence windows, all horizons at once, other models'
 * validation predictions) take it from the context, so a new model is one entry here and the run
 * loop never changes.
 *
 * Contract: `fit` uses labels of `ctx.train` (and `ctx.valid` for early stopping / λ / weights)
 * only, never of `ctx.test`; it returns predictions for the valid and test rows in the order of
 * `ctx.valid` / `ctx.test`, and a `save(dir)` that writes everything needed to predict again.
 * @module
 */
import type { PooledDataset } from "../dataset/dataset.ts";
import type { Scaler } from "../dataset/scaler.ts";
import { atomicWrite } from "../data/lake.ts";
import type { Matrix, Model } from "./base.ts";
import { RidgeModel } from "./ridge.ts";
import { GbdtModel } from "./gbdt/mod.ts";
import { MlpModel } from "./mlp.ts";
import { fitRunEnsemble } from "./ensemble.ts";
import { fitAeRidgeRun, fitLstmRun, fitMultiTaskRun } from "./_netRuns.ts";

/** Everything a model may use to fit one horizon of a run. */
export interface RunModelContext {
  ds: PooledDataset;
  /** The dataset's feature matrix (raw, NaN = missing). */
  x: Matrix;
  /** Lazily built: `x` standardized with a scaler fit on the train segment only. */
  scaled(): { x: Matrix; scaler: Scaler };
  /** This horizon (minutes) and all of the run's horizons. */
  horizon: number;
  horizons: readonly number[];
  /** The label column of this horizon over all dataset rows (NaN = none). */
  y: Float32Array | Float64Array;
  /** Usable rows (non-null label) of each segment, ascending dataset row indices. */
  train: Int32Array;
  valid: Int32Array;
  test: Int32Array;
  /** All rows of each segment (labelled or not), when the run provides them (multi-task, AE). */
  segments?: { train: Int32Array; valid: Int32Array; test: Int32Array };
  seed: number;
  verbose: boolean;
  /** Per-model overrides from the run options, e.g. `{ gbdt: { rounds: 50 } }`. */
  overrides: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** Results of the models already fit on this horizon (in `--models` order), for ensembles. */
  fitted: ReadonlyMap<string, RunModelResult>;
  /** Run-wide scratch shared across horizons (e.g. a multi-task net fit once for all). */
  cache: Map<string, unknown>;
}

/** What fitting one model on one horizon gives back. */
export interface RunModelResult {
  /** Predictions on `ctx.valid` rows (same order). */
  valid: Float64Array;
  /** Predictions on `ctx.test` rows (same order). */
  test: Float64Array;
  /** Rounds / epochs used (0 when not iterative). */
  iterations: number;
  /** Write the fitted model (and any preprocessing it needs) into `dir` (created). */
  save(dir: string): void;
  /** Free native memory (tfjs tensors) once saved; the run calls it at the end of the horizon. */
  dispose?(): void;
  /** Optional extra figures for the run's config (e.g. chosen λ, ensemble weights). */
  info?: Record<string, unknown>;
}

/** One registered model. */
export interface RunModelSpec {
  name: string;
  description: string;
  fit(ctx: RunModelContext): Promise<RunModelResult>;
}

/** Rows of a matrix (copy). */
export function rowsOf(x: Matrix, rows: ArrayLike<number>): Matrix {
  const { cols } = x;
  const out = new Float32Array(rows.length * cols);
  for (let i = 0; i < rows.length; i++) {
    out.set(x.data.subarray(rows[i] * cols, rows[i] * cols + cols), i * cols);
  }
  return { rows: rows.length, cols, data: out, names: x.names };
}

/** Labels of some rows as Float32. */
export function labelsOf(y: ArrayLike<number>, rows: ArrayLike<number>): Float32Array {
  const out = new Float32Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = y[rows[i]];
  return out;
}

/**
 * Fit a plain row model (train rows, valid for early stopping) and predict valid and test: the
 * shared path of every model that takes one feature row per prediction.
 */
export async function fitRowModel(
  ctx: RunModelContext,
  model: Model,
  x: Matrix,
  extraSave?: (dir: string) => void,
): Promise<RunModelResult> {
  const valid = ctx.valid.length
    ? { x: rowsOf(x, ctx.valid), y: { y: labelsOf(ctx.y, ctx.valid) } }
    : undefined;
  const rep = await model.fit(rowsOf(x, ctx.train), { y: labelsOf(ctx.y, ctx.train) }, valid);
  const predValid = valid ? Float64Array.from(model.predict(valid.x)) : new Float64Array(0);
  const predTest = Float64Array.from(model.predict(rowsOf(x, ctx.test)));
  return {
    valid: predValid,
    test: predTest,
    iterations: rep.iterations,
    save(dir) {
      model.save(dir);
      extraSave?.(dir);
    },
  };
}

/** Default run settings of the built-in models (small: a run trains every horizon). */
export const RUN_DEFAULTS = {
  ridge: { lambdas: [1e-4, 1e-3, 1e-2, 0.1, 1] as number[] },
  gbdt: { rounds: 200, maxDepth: 6, earlyStoppingRounds: 20 },
  mlp: { epochs: 10, earlyStoppingPatience: 3 },
};

/** The registry; add a model by adding an entry. */
export const RUN_MODEL_SPECS: Record<string, RunModelSpec> = {
  ridge: {
    name: "ridge",
    description: "closed-form ridge on train-standardized features, λ chosen on valid",
    async fit(ctx) {
      const { x, scaler } = ctx.scaled();
      const cfg = { ...RUN_DEFAULTS.ridge, ...ctx.overrides.ridge, seed: ctx.seed };
      const model = new RidgeModel(cfg);
      return await fitRowModel(
        ctx,
        model,
        x,
        (dir) => atomicWrite(`${dir}/scaler.json`, JSON.stringify(scaler.toJSON())),
      );
    },
  },
  gbdt: {
    name: "gbdt",
    description:
      "histogram gradient-boosted trees (TypeScript, 2 workers), early stopping on valid",
    async fit(ctx) {
      const cfg = { ...RUN_DEFAULTS.gbdt, ...ctx.overrides.gbdt, seed: ctx.seed };
      return await fitRowModel(ctx, new GbdtModel(cfg), ctx.x);
    },
  },
  mlp: {
    name: "mlp",
    description: "3-layer MLP on tfjs (standardizes on train), early stopping on valid",
    async fit(ctx) {
      const cfg = {
        ...RUN_DEFAULTS.mlp,
        ...ctx.overrides.mlp,
        seed: ctx.seed,
        verbose: ctx.verbose,
      };
      const model = new MlpModel(cfg);
      return { ...(await fitRowModel(ctx, model, ctx.x)), dispose: () => model.dispose() };
    },
  },
  ensemble_weighted: {
    name: "ensemble_weighted",
    description:
      "weights ≥ 0 summing to 1 on the earlier models, least squares on their valid predictions",
    fit: (ctx) => Promise.resolve(fitRunEnsemble(ctx, "weighted")),
  },
  ensemble_stacked: {
    name: "ensemble_stacked",
    description: "ridge meta-model on the earlier models' valid predictions, λ by time-ordered CV",
    fit: (ctx) => Promise.resolve(fitRunEnsemble(ctx, "stacked")),
  },
  lstm: {
    name: "lstm",
    description: "LSTM over the last 30 bars of the same pair (tfjs), early stopping on valid",
    fit: (ctx) => fitLstmRun(ctx),
  },
  multitask: {
    name: "multitask",
    description: "shared trunk + one head per run horizon, SPEC-weighted masked loss, fit once",
    fit: (ctx) => fitMultiTaskRun(ctx),
  },
  ae_ridge: {
    name: "ae_ridge",
    description: "ridge on 64-d autoencoder codes (AE fit once on train rows of all pairs)",
    fit: (ctx) => fitAeRidgeRun(ctx, RUN_DEFAULTS.ridge.lambdas),
  },
};

/** Registered model names, in registry order. */
export function runModelNames(): string[] {
  return Object.keys(RUN_MODEL_SPECS);
}
