/**
 * One versioned training / evaluation run (SPEC §6): load the pooled dataset, split it
 * chronologically (70/15/15, embargo 120), and per horizon fit each model on train (valid for
 * early stopping / λ), score it and the three baselines on the TEST segment, and write
 * `reports/runs/<id>/` atomically.
 *
 * Per horizon h (target `target_h`):
 * - rows: those with a non-null `target_h` in each segment ({@linkcode usableRows});
 * - ridge: a {@linkcode Scaler} fit on train rows only, then {@linkcode RidgeModel} with a λ grid
 *   chosen on valid; gbdt: {@linkcode GbdtModel} on raw features with early stopping on valid; mlp:
 *   {@linkcode MlpModel} (standardizes on train itself; 10 epochs, early stopping on valid);
 * - baselines: zero change = `w{h}_bqx_return(t)` read from the `bqx` table and joined on the
 *   dataset's (pair, ts); train mean; ridge AR on the target's own causal lags (per pair, lags in
 *   rows of the pair's block, λ on valid);
 * - test metrics: R², MAE, RMSE, directional accuracy vs the current BQX, Diebold–Mariano (squared
 *   loss, h − 1 Bartlett lags, HLN) of every forecaster against the best baseline (lowest test
 *   MSE), and a backtest: per pair, signal = −ŷ (with window = horizon, `target_h` ≈
 *   −Σ_{k=1..h} k·r(t+k) depends on idx(t … t+h) only, so a positive forecast says the index will
 *   fall; −(ŷ − current) would mix in the past move held in the current BQX), sign sizing, one
 *   decision every h bars (non-overlapping holds),
 *   filled at the next bar's open on the rate-index scale (`open / close · rate_index` from `m1`),
 *   the pair's spread charged per position change (`DEFAULT_SPREAD_PIPS`, `spreadPips: 0` = gross
 *   only; net and gross PnL and Sharpe, max drawdown, turnover are recorded). The test rows of a pair are consecutive usable minutes; where a row is
 *   missing the next row's open stands in for "next bar" (documented approximation). Sharpe is
 *   the mean over pairs of the per-pair annualized Sharpe; the hit rate is pooled over pairs.
 *
 * - 80 % intervals: split-conformal from each forecaster's VALID residuals (`coverage80`,
 *   `width80` on test); breakdown per pair, session block, volatility tercile and trend state
 *   (cut points fit on train; measures in `_runParts.ts`). Scoring lives in `score.ts`, shared
 *   with the walk-forward run (`walkForwardRun.ts`).
 *
 * Artifacts (all written into a hidden temp directory that is renamed into place at the end, each
 * file through an atomic write): `config.json` (resolved config, seed, data hash = sha256 of the
 * manifest entries used, segment spans), `metrics.json` / `metrics.csv` (one row per horizon ×
 * forecaster, baselines included), `breakdown.json` / `breakdown.csv` (per horizon × forecaster ×
 * group), `predictions.parquet` (ts_utc, pair, horizon, y, idx_open = the bar's open on the
 * rate-index scale for backtests, one column per forecaster, test rows only) and `models/<name>_h<h>/` (ridge also stores `scaler.json`).
 * @module
 */
import pl from "nodejs-polars";
import type { Store } from "../data/store.ts";
import { loadPooled, split, usableRows } from "../dataset/mod.ts";
import { Scaler } from "../dataset/scaler.ts";
import { selectFeatures } from "../dataset/featureSelection.ts";
import { select } from "../dataset/selection.ts";
import type { Matrix } from "../models/base.ts";
import { RUN_DEFAULTS, runModelNames } from "../models/registry.ts";

/** MLP settings for runs (the model's own defaults, fewer epochs; early stopping on valid). */
export const MLP_RUN_DEFAULTS = RUN_DEFAULTS.mlp;
import {
  addForecast,
  baselineForecasts,
  BASELINES,
  breakdownHorizon,
  type BreakdownRow,
  conformalHalfWidth,
  emptyForecasts,
  METRIC_COLS,
  rowsToCsv,
  type RunMetricRow,
  scoreHorizon,
  TREND_LABELS,
  VOL_LABELS,
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

export { BASELINES, type RunMetricRow, type SpanRecord };

/** Model names understood by {@linkcode trainRun} (the registry's). */
export const RUN_MODELS: readonly string[] = runModelNames();

/** GBDT overrides of a run (small by default). */
export interface RunGbdtOptions {
  rounds?: number;
  maxDepth?: number;
  earlyStoppingRounds?: number;
  learningRate?: number;
  nThreads?: number;
}

/** Options of {@linkcode trainRun}. */
export interface TrainRunOptions {
  /** @default ["ridge", "gbdt"] */
  models?: readonly string[];
  /** Pairs to pool. @default every pair with features */
  pairs?: readonly string[];
  /** @default [15] */
  horizons?: readonly number[];
  /** @default 7 */
  seed?: number;
  /** @default "reports/runs" */
  runsDir?: string;
  /** Feature columns. @default all */
  features?: readonly string[];
  /** @default { rounds: 200, maxDepth: 6, earlyStoppingRounds: 20 } */
  gbdt?: RunGbdtOptions;
  /** Ridge λ grid (chosen on valid). @default [1e-4, 1e-3, 1e-2, 0.1, 1] */
  ridgeLambdas?: readonly number[];
  /** Embargo in bars. @default 120 */
  embargo?: number;
  /** Only these months. @default all */
  months?: readonly string[];
  /** Print progress lines. @default false */
  silent?: boolean;
  /** Per-model option overrides by registry name, e.g. `{ mlp: { epochs: 3 } }`. */
  modelOptions?: Record<string, Record<string, unknown>>;
  /**
   * Backtest spread in pips: one value for every pair (0 = no costs) or per pair.
   * @default DEFAULT_SPREAD_PIPS (lib/eval/backtest.ts)
   */
  spreadPips?: number | Readonly<Record<string, number>>;
  /**
   * Fit on every k-th usable train row only (neighbouring minutes are near duplicates; valid and
   * test stay whole), to bound time and memory on long data.
   * @default 1
   */
  trainStride?: number;
  /**
   * Select about this many feature columns before fitting (SPEC §7: GBDT gain ranking on the train
   * segment, top 300, |ρ| > 0.95 pruning; `selectFeatures`), once per run on the FIRST horizon's
   * target, keeping `pair_id`; every model then sees the selected columns. Recorded in config.json.
   * @default off (all columns)
   */
  select?: number;
}

/** Every k-th row of a row set (k = 1: all). */
export function strideRows(rows: Int32Array, k = 1): Int32Array {
  if (!(Number.isInteger(k) && k >= 1)) {
    throw new RangeError(`Expected trainStride to be an integer >= 1 but found ${k}`);
  }
  return k === 1 ? rows : rows.filter((_, i) => i % k === 0);
}

/** What {@linkcode trainRun} returns (and `metrics.json` holds). */
export interface RunSummary {
  id: string;
  dir: string;
  config: Record<string, unknown>;
  dataHash: string;
  segments: { train: SpanRecord; valid: SpanRecord; test: SpanRecord };
  rows: RunMetricRow[];
  /** Per horizon × forecaster × group (also in `breakdown.json`). */
  breakdown?: BreakdownRow[];
  seconds: number;
}

const GBDT_RUN_DEFAULTS = RUN_DEFAULTS.gbdt;

/**
 * Train, evaluate and save one run; see the module doc.
 * @param store the lake or PostgreSQL store (with m1, bqx, targets and features)
 * @param options models, pairs, horizons, seed, runs directory, features, gbdt overrides
 * @returns the run summary (also in `<dir>/metrics.json`)
 */
export async function trainRun(store: Store, options: TrainRunOptions = {}): Promise<RunSummary> {
  const t0 = performance.now();
  const { models, horizons } = runModelsAndHorizons(options);
  const seed = options.seed ?? 7;
  const runsDir = options.runsDir ?? "reports/runs";
  const embargo = options.embargo ?? 120;
  const gbdtCfg = { ...GBDT_RUN_DEFAULTS, ...options.gbdt, seed };
  const lambdas = [...(options.ridgeLambdas ?? [1e-4, 1e-3, 1e-2, 0.1, 1])];
  const log = (s: string) => options.silent || console.error(s);

  const loaded = await loadPooled(store, {
    pairs: options.pairs,
    features: options.features,
    targets: horizons.map((h) => `target_${h}`),
    months: options.months,
  });
  // --select N: columns learned on the train segment once (first horizon's target), then used by all
  const selection = options.select
    ? await selectFeatures(
      loaded.x,
      loaded.y[`target_${horizons[0]}`],
      split(loaded.ts, { embargo }).train,
      { target: options.select, seed, always: ["pair_id"] },
    )
    : undefined;
  if (selection) log(`selected ${selection.names.length} of ${loaded.x.cols} features`);
  const ds = selection ? { ...loaded, x: select(loaded.x, selection.names) } : loaded;
  const pairs = [...ds.pairs];
  const seg = split(ds.ts, { embargo });
  const segments = {
    train: span(ds.ts, seg.train),
    valid: span(ds.ts, seg.valid),
    test: span(ds.ts, seg.test),
  };
  const hash = await dataHash(store, pairs);
  // side tables aligned on (pair, ts): current BQX per horizon, index opens, breakdown measures
  const sides = await loadSides(store, ds, horizons, options.spreadPips);
  const config = {
    models,
    pairs,
    horizons,
    seed,
    features: options.features ? [...options.features] : "all",
    featureCount: ds.x.cols,
    selection: selection
      ? {
        method: "gbdt total-gain rank on train, top 300, |rho| > 0.95 pruning, cut to target",
        target: selection.target,
        horizon: horizons[0],
        from: loaded.x.cols,
        fitOn: selection.fitOn,
        kept: selection.names,
        importance: selection.importance,
        dropped: selection.dropped,
      }
      : "off",
    gbdt: gbdtCfg,
    ridge: { lambdas, scaler: "standard (train only)" },
    split: { fractions: { train: 0.7, valid: 0.15, test: 0.15 }, embargo },
    trainStride: options.trainStride ?? 1,
    months: options.months ? [...options.months] : "all",
    target: "target_h (w{h}_bqx_return(t+h), window = horizon)",
    backtest: backtestConfig(sides),
    intervals: "split-conformal 80 % from valid |residuals| per forecaster",
    breakdown: BREAKDOWN_CONFIG,
    store: { kind: store.kind, location: store.location },
  };
  const { id, dir, tmpDir } = newRunDir(runsDir, config);

  let scaledX: { x: Matrix; scaler: Scaler } | undefined;
  const scaled = () => {
    if (!scaledX) {
      const scaler = Scaler.fit(ds.x, seg.train);
      scaledX = { x: scaler.transform(ds.x), scaler };
    }
    return scaledX;
  };
  const overrides: Record<string, Record<string, unknown>> = {
    ridge: { lambdas },
    gbdt: gbdtCfg,
    mlp: { ...MLP_RUN_DEFAULTS },
    ...options.modelOptions,
  };
  const cache = new Map<string, unknown>();
  const modelInfo: Record<string, unknown> = {};
  const groups = groupCodes(sides, seg.train.rows);

  const rows: RunMetricRow[] = [];
  const breakdown: BreakdownRow[] = [];
  const predFrames: pl.DataFrame[] = [];
  try {
    for (const h of horizons) {
      const target = `target_${h}`;
      const yAll = ds.y[target];
      const tr = strideRows(usableRows(ds, target, seg.train.rows), options.trainStride);
      const va = usableRows(ds, target, seg.valid.rows);
      const te = usableRows(ds, target, seg.test.rows);
      if (tr.length === 0 || te.length === 0) {
        throw new Error(`No usable ${target} rows in train (${tr.length}) or test (${te.length})`);
      }
      const cur = sides.current[`w${h}_bqx_return`];
      const yVa = gather(yAll, va), yTe = gather(yAll, te);
      const fc = emptyForecasts();
      const fit = await fitModels(
        models,
        {
          ds,
          scaled,
          horizon: h,
          horizons,
          y: yAll,
          train: tr,
          valid: va,
          test: te,
          segments: {
            train: strideRows(seg.train.rows, options.trainStride),
            valid: seg.valid.rows,
            test: seg.test.rows,
          },
          seed,
          verbose: !options.silent,
          overrides,
          cache,
        },
        `${tmpDir}/models`,
        (name, res, secs) => {
          if (res.info) modelInfo[`${name}_h${h}`] = res.info;
          log(`h${h} ${name}: ${res.iterations} iterations, ${secs.toFixed(1)} s`);
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
      const base = baselineForecasts(ds, yAll, cur, h, { train: tr, valid: va, test: te });
      for (const name of BASELINES) {
        const q = conformalHalfWidth(yVa, base[name].valid);
        addForecast(fc, name, "baseline", base[name].test, new Float64Array(te.length).fill(q));
      }

      const scoredRows = {
        horizon: h,
        y: yTe,
        current: gather(cur, te),
        ts: gather(ds.ts, te),
        pair: Array.from(te, (r) => ds.pair[r]),
        opens: gather(sides.idxOpen, te),
        spread: sides.spread,
        vol: Int32Array.from(te, (r) => groups.vol[r]),
        trend: Int32Array.from(te, (r) => groups.trend[r]),
      };
      rows.push(...scoreHorizon(scoredRows, fc));
      breakdown.push(...breakdownHorizon(scoredRows, fc));
      predFrames.push(pl.DataFrame([
        ...predictionColumns(
          scoredRows.ts,
          scoredRows.pair,
          h,
          yTe,
          scoredRows.opens,
          fc.names,
          fc.values,
        ),
        ...groupColumns(scoredRows.vol, scoredRows.trend),
      ]));
    }

    // artifacts
    if (Object.keys(modelInfo).length) (config as Record<string, unknown>).modelInfo = modelInfo;
    (config as Record<string, unknown>).groupCuts = {
      volTerciles: groups.volCuts,
      trendFlat: groups.trendFlat,
    };
    const summary: RunSummary = {
      id,
      dir,
      config,
      dataHash: hash,
      segments,
      rows,
      seconds: (performance.now() - t0) / 1e3,
    };
    writeRunDir(tmpDir, dir, {
      config: { id, kind: "split", ...config, dataHash: hash, segments },
      summary,
      rows,
      breakdown,
      predictions: predFrames,
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

/** How the breakdown groups are made (recorded in config.json). */
export const BREAKDOWN_CONFIG = {
  by: ["pair", "session", "vol", "trend"],
  session: "exclusive UTC blocks (groups.ts sessionGroups)",
  vol: "terciles (cut on train rows) of the EWMA (span 60) of |1-bar log return of close|",
  trend: "log(idx(t)/idx(t-60 rows)); flat = |trend| <= its train 1/3 quantile",
};

/** The backtest part of a run's config. */
export function backtestConfig(
  sides: { spread: Record<string, number>; spreadPips: Record<string, number> },
) {
  return {
    signal:
      "-forecast (target_h depends on idx(t..t+h) only: a positive forecast says the index falls)",
    sizing: "sign",
    every: "h",
    fill: "next row's open on the rate-index scale (open/close*rate_index)",
    spreadPips: sides.spreadPips,
    spreadIndexPoints: sides.spread,
    cost: "spread (index points) per unit of |position change|",
  };
}

/** `vol_tercile` and `trend_state` label columns of predictions.parquet. */
export function groupColumns(vol: Int32Array, trend: Int32Array): pl.Series[] {
  return [
    pl.Series("vol_tercile", Array.from(vol, (c) => (c < 0 ? null : VOL_LABELS[c])), pl.Utf8),
    pl.Series("trend_state", Array.from(trend, (c) => (c < 0 ? null : TREND_LABELS[c])), pl.Utf8),
  ];
}

/** metrics.csv text (NaN as empty). */
export function toCsv(rows: readonly RunMetricRow[]): string {
  return rowsToCsv(rows, METRIC_COLS);
}

/** Read a run's metrics.json back (nulls → NaN). */
export function readRun(dir: string): RunSummary {
  const s = JSON.parse(Deno.readTextFileSync(`${dir}/metrics.json`)) as RunSummary;
  for (const r of s.rows) {
    for (const c of METRIC_COLS) {
      if ((r as unknown as Record<string, unknown>)[c] === null) {
        (r as unknown as Record<string, unknown>)[c] = NaN;
      }
    }
  }
  return s;
}

/**
 * A fixed-width table of a run's rows (models and baselines per horizon): R², MAE, RMSE, hit rate,
 * the two-sided DM p-value against the best baseline, 80 % interval coverage, and the annualized
 * Sharpe net of spread costs and gross.
 */
export function formatRunTable(rows: readonly RunMetricRow[]): string {
  const head = [
    "h",
    "forecaster",
    "kind",
    "n",
    "R2",
    "MAE",
    "RMSE",
    "hit",
    "DM vs",
    "DM p",
    "cov80",
    "Sharpe",
    "gross",
  ];
  const f = (v: number, d = 4) => (Number.isFinite(v) ? v.toFixed(d) : "-");
  const body = rows.map((r) => [
    String(r.horizon),
    r.model,
    r.kind,
    String(r.n),
    f(r.r2),
    f(r.mae, 3),
    f(r.rmse, 3),
    f(r.hitRate, 3),
    r.dmVs,
    f(r.dmP, 4),
    f(r.coverage80, 3),
    f(r.sharpe, 2),
    f(r.sharpeGross, 2),
  ]);
  const all = [head, ...body];
  const w = head.map((_, j) => Math.max(...all.map((r) => r[j].length)));
  return all.map((r) => r.map((c, j) => c.padEnd(w[j])).join("  ")).join("\n");
}
