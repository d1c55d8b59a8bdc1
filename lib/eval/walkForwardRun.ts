/**
 * Walk-forward evaluation run (SPEC §6 "rolling origin, 60 days train, 30 days test, 7-day step,
 * 2-hour embargo"): the registry models and the three baselines are refit on every fold and
 * horizon, their out-of-sample forecasts are concatenated and scored exactly like a single-split
 * run (`run.ts`, shared scoring in `score.ts`), and a versioned run directory is written in the
 * same layout.
 *
 * Per fold (`walkForward()` of `lib/dataset/walkForward.ts`, boundaries by wall-clock time, shared
 * by all pairs):
 * - **valid for early stopping / λ / conformal intervals** = the last `validFraction` (default
 *   15 %) of the fold's train span by time, `[vStart, trainEnd)`; the model-train rows are those
 *   before `vStart − embargo`, so an embargo separates them from valid as it separates train from
 *   test (the test embargo is purged from the train end by `walkForward`);
 * - **kept test rows**: folds overlap when step < test length, so each fold keeps only the first
 *   `step` days of its test window, and the newest fold keeps its whole window: every
 *   out-of-sample row is predicted exactly once, by the newest fold whose test window holds it
 *   (the freshest model), and the kept windows tile the tested span without gaps;
 * - models are fit on a sub-dataset holding the fold's rows only (`take`), so the standardizing
 *   scaler is fit on the fold's model-train rows and memory stays bounded by one fold; the
 *   baselines (ridge AR lags read the pair's full row history) run on the pooled dataset with
 *   the fold's row sets; volatility terciles and the trend flat band are cut on the fold's train
 *   rows.
 *
 * Artifacts (`reports/runs/<id>/`): `config.json` (kind `"walkforward"`, fold options, every
 * fold's train / valid / kept-test spans), `metrics.json` / `metrics.csv` (pooled out-of-sample
 * rows: the same `RunMetricRow`s as a split run), `breakdown.json` / `.csv`, `folds.csv` (per fold
 * × horizon × forecaster point metrics on the fold's kept rows), `predictions.parquet` (the split
 * run's columns plus `fold`), and `models/<name>_h<h>/` of the NEWEST fold only (older folds'
 * models are discarded to keep the run small; refit them from the config if needed).
 * @module
 */
import pl from "nodejs-polars";
import type { Store } from "../data/store.ts";
import { loadPooled, take, usableRows } from "../dataset/mod.ts";
import { Scaler } from "../dataset/scaler.ts";
import { walkForward } from "../dataset/walkForward.ts";
import type { Matrix } from "../models/base.ts";
import { RUN_DEFAULTS } from "../models/registry.ts";
import { progress } from "../progress.ts";
import { metrics } from "./metrics.ts";
import {
  addForecast,
  baselineForecasts,
  BASELINES,
  breakdownHorizon,
  type BreakdownRow,
  conformalHalfWidth,
  emptyForecasts,
  type HorizonRows,
  intervalOf,
  rowsToCsv,
  type RunMetricRow,
  scoreHorizon,
} from "./score.ts";
import {
  dataHash,
  fitModels,
  gather,
  groupCodes,
  loadSides,
  newRunDir,
  predictionColumns,
  runModelsAndHorizons,
  span,
  type SpanRecord,
  writeRunDir,
} from "./_runParts.ts";
import {
  backtestConfig,
  BREAKDOWN_CONFIG,
  groupColumns,
  MLP_RUN_DEFAULTS,
  strideRows,
  type TrainRunOptions,
} from "./run.ts";

const DAY_MS = 86_400_000;

/** Options of {@linkcode walkForwardRun}: a split run's, plus the fold grid. */
export interface WalkForwardRunOptions extends Omit<TrainRunOptions, "embargo"> {
  /** Train window of a fold in days. @default 60 */
  trainDays?: number;
  /** Test window of a fold in days. @default 30 */
  testDays?: number;
  /** Step between fold origins in days. @default 7 */
  stepDays?: number;
  /** Embargo (train → test, model-train → valid) in minutes. @default 120 */
  embargoMinutes?: number;
  /** Share of a fold's train span (its end) used as valid. @default 0.15 */
  validFraction?: number;
  /** Expanding train windows. @default false */
  anchored?: boolean;
  /** Keep a last fold whose test window is cut short by the end of the data. @default true */
  partial?: boolean;
}

/** One fold as recorded in config.json. */
export interface FoldRecord {
  index: number;
  train: SpanRecord;
  valid: SpanRecord;
  /** The kept (scored) test rows. */
  test: SpanRecord;
  partial: boolean;
}

/** One row of folds.csv. */
export interface FoldMetricRow {
  fold: number;
  horizon: number;
  model: string;
  kind: "model" | "baseline";
  n: number;
  r2: number;
  mae: number;
  rmse: number;
  hitRate: number;
  coverage80: number;
  iterations: number;
}

const FOLD_COLS: (keyof FoldMetricRow)[] = [
  "fold",
  "horizon",
  "model",
  "kind",
  "n",
  "r2",
  "mae",
  "rmse",
  "hitRate",
  "coverage80",
  "iterations",
];

/** What {@linkcode walkForwardRun} returns (and `metrics.json` holds). */
export interface WalkForwardSummary {
  id: string;
  dir: string;
  kind: "walkforward";
  config: Record<string, unknown>;
  dataHash: string;
  folds: FoldRecord[];
  rows: RunMetricRow[];
  foldRows: FoldMetricRow[];
  breakdown?: BreakdownRow[];
  seconds: number;
}

/** Out-of-sample pieces of one horizon, gathered fold by fold. */
interface Pieces {
  rows: Int32Array[];
  fold: Int32Array[];
  vol: Int32Array[];
  trend: Int32Array[];
  values: Record<string, Float64Array[]>;
  half: Record<string, Float64Array[]>;
  kind: Record<string, "model" | "baseline">;
  iterations: Record<string, number>;
  seconds: Record<string, number>;
}

function concat<T extends Int32Array | Float64Array>(parts: T[], make: (n: number) => T): T {
  const out = make(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p as never, o);
    o += p.length;
  }
  return out;
}

/**
 * Walk-forward train / evaluate / save; see the module doc.
 * @param store the lake or PostgreSQL store (with m1, bqx, targets and features)
 * @param options models, pairs, horizons, fold grid, seed, runs directory …
 * @returns the run summary (also in `<dir>/metrics.json`)
 */
export async function walkForwardRun(
  store: Store,
  options: WalkForwardRunOptions = {},
): Promise<WalkForwardSummary> {
  const t0 = performance.now();
  const { models, horizons } = runModelsAndHorizons(options);
  const {
    trainDays = 60,
    testDays = 30,
    stepDays = 7,
    embargoMinutes = 120,
    validFraction = 0.15,
    anchored = false,
    partial = true,
  } = options;
  if (!(validFraction > 0 && validFraction < 1)) {
    throw new RangeError(`Expected validFraction in (0, 1) but found ${validFraction}`);
  }
  if (!(embargoMinutes >= 76)) {
    throw new RangeError(
      `Expected embargoMinutes >= 76 (longest horizon + 1 bar) but found ${embargoMinutes}`,
    );
  }
  const seed = options.seed ?? 7;
  const runsDir = options.runsDir ?? "reports/runs";
  const gbdtCfg = { ...RUN_DEFAULTS.gbdt, ...options.gbdt, seed };
  const lambdas = [...(options.ridgeLambdas ?? [1e-4, 1e-3, 1e-2, 0.1, 1])];
  const log = (s: string) => options.silent || console.error(s);

  const ds = await loadPooled(store, {
    pairs: options.pairs,
    features: options.features,
    targets: horizons.map((h) => `target_${h}`),
    months: options.months,
  });
  const pairs = [...ds.pairs];
  const folds = walkForward(ds.ts, {
    trainDays,
    testDays,
    stepDays,
    embargoMinutes,
    anchored,
    partial,
  });
  const hash = await dataHash(store, pairs);
  const sides = await loadSides(store, ds, horizons, options.spreadPips);
  const embargoMs = embargoMinutes * 60_000, stepMs = Math.round(stepDays * DAY_MS);

  // fold row sets: model-train, valid, kept test (global dataset rows, ascending)
  const plan = folds.map((f, k) => {
    const vStart = f.train.end - Math.round(validFraction * (f.train.end - f.train.start));
    const fit = f.train.rows.filter((r) => ds.ts[r] < vStart - embargoMs);
    const valid = f.train.rows.filter((r) => ds.ts[r] >= vStart);
    const last = k === folds.length - 1;
    const keepEnd = last ? f.test.end : Math.min(f.test.end, f.test.start + stepMs);
    const test = f.test.rows.filter((r) => ds.ts[r] < keepEnd);
    return { fold: f, vStart, keepEnd, fit, valid, test };
  });
  const foldRecords: FoldRecord[] = plan.map((p) => ({
    index: p.fold.index,
    train: span(ds.ts, { start: p.fold.train.start, end: p.vStart - embargoMs, rows: p.fit }),
    valid: span(ds.ts, { start: p.vStart, end: p.fold.train.end, rows: p.valid }),
    test: span(ds.ts, { start: p.fold.test.start, end: p.keepEnd, rows: p.test }),
    partial: p.fold.partial,
  }));
  const config = {
    kind: "walkforward",
    models,
    pairs,
    horizons,
    seed,
    features: options.features ? [...options.features] : "all",
    featureCount: ds.x.cols,
    trainStride: options.trainStride ?? 1,
    gbdt: gbdtCfg,
    ridge: { lambdas, scaler: "standard (fold model-train rows only)" },
    walkForward: {
      trainDays,
      testDays,
      stepDays,
      embargoMinutes,
      validFraction,
      anchored,
      partial,
      valid: "last validFraction of each fold's train span, embargo before it",
      kept: "each fold's first stepDays of test (newest fold: all): one forecast per row",
    },
    folds: foldRecords,
    months: options.months ? [...options.months] : "all",
    target: "target_h (w{h}_bqx_return(t+h), window = horizon)",
    backtest: backtestConfig(sides),
    intervals: "split-conformal 80 % from each fold's valid |residuals| per forecaster",
    breakdown: { ...BREAKDOWN_CONFIG, cuts: "per fold, on the fold's train rows" },
    store: { kind: store.kind, location: store.location },
  };
  const { id, dir, tmpDir } = newRunDir(runsDir, config);
  const overrides: Record<string, Record<string, unknown>> = {
    ridge: { lambdas },
    gbdt: gbdtCfg,
    mlp: { ...MLP_RUN_DEFAULTS },
    ...options.modelOptions,
  };
  const pieces = new Map<number, Pieces>(horizons.map((h) => [h, {
    rows: [],
    fold: [],
    vol: [],
    trend: [],
    values: {},
    half: {},
    kind: {},
    iterations: {},
    seconds: {},
  }]));
  const foldRows: FoldMetricRow[] = [];
  const bar = progress(
    "walk-forward",
    plan.length * horizons.length * (models.length + 1),
    { silent: options.silent, unit: "fits" },
  );

  try {
    for (let k = 0; k < plan.length; k++) {
      const p = plan[k];
      const fk = p.fold.index;
      const newest = k === plan.length - 1;
      // the fold's sub-dataset: model-train ∪ valid ∪ kept test, ascending global rows
      const union = new Int32Array(p.fit.length + p.valid.length + p.test.length);
      union.set(p.fit, 0);
      union.set(p.valid, p.fit.length);
      union.set(p.test, p.fit.length + p.valid.length);
      union.sort();
      const sub = take(ds, union);
      const local = new Map<number, number>();
      union.forEach((r, i) => local.set(r, i));
      const toLocal = (rows: Int32Array) => rows.map((r) => local.get(r)!);
      const fitL = toLocal(p.fit);
      let scaledX: { x: Matrix; scaler: Scaler } | undefined;
      const scaled = () => {
        if (!scaledX) {
          const scaler = Scaler.fit(sub.x, {
            name: `fold${fk}/train`,
            start: p.fold.train.start,
            end: p.vStart - embargoMs,
            rows: fitL,
          });
          scaledX = { x: scaler.transform(sub.x), scaler };
        }
        return scaledX;
      };
      const groups = groupCodes(sides, p.fold.train.rows);
      const cache = new Map<string, unknown>();

      for (const h of horizons) {
        const target = `target_${h}`;
        const yAll = ds.y[target];
        const tr = strideRows(usableRows(ds, target, p.fit), options.trainStride);
        const va = usableRows(ds, target, p.valid);
        const te = usableRows(ds, target, p.test);
        if (tr.length === 0 || te.length === 0) {
          log(`fold ${fk} h${h}: no usable rows in train (${tr.length}) or test (${te.length})`);
          bar.tick(models.length + 1);
          continue;
        }
        const yVa = gather(yAll, va), yTe = gather(yAll, te);
        const fc = emptyForecasts();
        const fit = await fitModels(
          models,
          {
            ds: sub,
            scaled,
            horizon: h,
            horizons,
            y: sub.y[target],
            train: toLocal(tr),
            valid: toLocal(va),
            test: toLocal(te),
            segments: {
              train: toLocal(strideRows(p.fit, options.trainStride)),
              valid: toLocal(p.valid),
              test: toLocal(p.test),
            },
            seed,
            verbose: false,
            overrides,
            cache,
          },
          newest ? `${tmpDir}/models` : undefined,
          (name, res, secs) => {
            bar.tick(1, `fold ${fk} h${h} ${name} (${res.iterations} it, ${secs.toFixed(1)} s)`);
          },
        );
        for (const [name, res] of fit.results) {
          const q = conformalHalfWidth(yVa, res.valid);
          addForecast(
            fc,
            name,
            "model",
            res.test,
            new Float64Array(te.length).fill(q),
            res.iterations,
            fit.seconds[name],
          );
          res.dispose?.();
        }
        const cur = sides.current[`w${h}_bqx_return`];
        const base = baselineForecasts(ds, yAll, cur, h, { train: tr, valid: va, test: te });
        for (const name of BASELINES) {
          const q = conformalHalfWidth(yVa, base[name].valid);
          addForecast(fc, name, "baseline", base[name].test, new Float64Array(te.length).fill(q));
        }
        bar.tick(1, `fold ${fk} h${h} baselines`);

        // per-fold scores and the pieces for the pooled out-of-sample table
        const curTe = gather(cur, te);
        const pc = pieces.get(h)!;
        pc.rows.push(te);
        pc.fold.push(new Int32Array(te.length).fill(fk));
        pc.vol.push(Int32Array.from(te, (r) => groups.vol[r]));
        pc.trend.push(Int32Array.from(te, (r) => groups.trend[r]));
        for (const name of fc.names) {
          const v = fc.values[name];
          const [lo, hi] = intervalOf(v, fc.half80[name]);
          const m = metrics(yTe, v, { current: curTe, lo, hi });
          foldRows.push({
            fold: fk,
            horizon: h,
            model: name,
            kind: fc.kind[name],
            n: m.n,
            r2: m.r2,
            mae: m.mae,
            rmse: m.rmse,
            hitRate: m.hitRate,
            coverage80: m.coverage,
            iterations: fc.iterations[name],
          });
          (pc.values[name] ??= []).push(v);
          (pc.half[name] ??= []).push(fc.half80[name]);
          pc.kind[name] = fc.kind[name];
          pc.iterations[name] = (pc.iterations[name] ?? 0) + fc.iterations[name];
          pc.seconds[name] = (pc.seconds[name] ?? 0) + fc.seconds[name];
        }
      }
    }
    bar.done(`${plan.length} folds`);

    // pooled out-of-sample scoring, rows in pair blocks / time order (= global row order)
    const rows: RunMetricRow[] = [];
    const breakdown: BreakdownRow[] = [];
    const predFrames: pl.DataFrame[] = [];
    for (const h of horizons) {
      const pc = pieces.get(h)!;
      if (pc.rows.length === 0) continue;
      const all = concat(pc.rows, (n) => new Int32Array(n));
      const order = Int32Array.from(all.keys()).sort((a, b) => all[a] - all[b]);
      for (let i = 1; i < order.length; i++) {
        if (all[order[i]] === all[order[i - 1]]) {
          throw new Error(`Row ${all[order[i]]} is predicted by two folds`);
        }
      }
      const sorted = gather(all, order);
      const pick = <T extends Int32Array | Float64Array>(parts: T[], make: (n: number) => T) => {
        const a = concat(parts, make), out = make(a.length);
        for (let i = 0; i < order.length; i++) out[i] = a[order[i]];
        return out;
      };
      const fc = emptyForecasts();
      for (const name of Object.keys(pc.values)) {
        addForecast(
          fc,
          name,
          pc.kind[name],
          pick(pc.values[name], (n) => new Float64Array(n)),
          pick(pc.half[name], (n) => new Float64Array(n)),
          pc.iterations[name],
          pc.seconds[name],
        );
      }
      const target = `target_${h}`;
      const hr: HorizonRows = {
        horizon: h,
        y: gather(ds.y[target], sorted),
        current: gather(sides.current[`w${h}_bqx_return`], sorted),
        ts: gather(ds.ts, sorted),
        pair: Array.from(sorted, (r) => ds.pair[r]),
        opens: gather(sides.idxOpen, sorted),
        spread: sides.spread,
        vol: pick(pc.vol, (n) => new Int32Array(n)),
        trend: pick(pc.trend, (n) => new Int32Array(n)),
      };
      rows.push(...scoreHorizon(hr, fc));
      breakdown.push(...breakdownHorizon(hr, fc));
      predFrames.push(pl.DataFrame([
        ...predictionColumns(hr.ts, hr.pair, h, hr.y, hr.opens, fc.names, fc.values),
        ...groupColumns(hr.vol, hr.trend),
        pl.Series("fold", Array.from(pick(pc.fold, (n) => new Int32Array(n))), pl.Int32),
      ]));
    }
    if (rows.length === 0) throw new Error("No fold had usable train and test rows");

    const summary: WalkForwardSummary = {
      id,
      dir,
      kind: "walkforward",
      config,
      dataHash: hash,
      folds: foldRecords,
      rows,
      foldRows,
      seconds: (performance.now() - t0) / 1e3,
    };
    writeRunDir(tmpDir, dir, {
      config: { id, ...config, dataHash: hash },
      summary,
      rows,
      breakdown,
      predictions: predFrames,
      extra: { "folds.csv": rowsToCsv(foldRows, FOLD_COLS) },
    });
    summary.breakdown = breakdown;
    summary.seconds = (performance.now() - t0) / 1e3;
    return summary;
  } catch (e) {
    try {
      Deno.removeSync(tmpDir, { recursive: true });
    } catch { /* nothing to clean */ }
    throw e;
  }
}
