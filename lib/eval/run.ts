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
 *   no spread (gross). The test rows of a pair are consecutive usable minutes; where a row is
 *   missing the next row's open stands in for "next bar" (documented approximation). Sharpe is
 *   the mean over pairs of the per-pair annualized Sharpe; the hit rate is pooled over pairs.
 *
 * Artifacts (all written into a hidden temp directory that is renamed into place at the end, each
 * file through an atomic write): `config.json` (resolved config, seed, data hash = sha256 of the
 * manifest entries used, segment spans), `metrics.json` / `metrics.csv` (one row per horizon ×
 * forecaster, baselines included), `predictions.parquet` (ts_utc, pair, horizon, y, idx_open = the bar's open on the
 * rate-index scale for backtests, one column per forecaster, test rows only) and `models/<name>_h<h>/` (ridge also stores `scaler.json`).
 * @module
 */
import pl from "nodejs-polars";
import { createHash } from "node:crypto";
import { atomicWrite, commitTemp, readManifest, tempPathFor } from "../data/lake.ts";
import type { Store } from "../data/store.ts";
import { loadPooled, type PooledDataset, split, usableRows } from "../dataset/mod.ts";
import { Scaler } from "../dataset/scaler.ts";
import type { Matrix } from "../models/base.ts";
import {
  RUN_DEFAULTS,
  RUN_MODEL_SPECS,
  runModelNames,
  type RunModelResult,
} from "../models/registry.ts";

/** MLP settings for runs (the model's own defaults, fewer epochs; early stopping on valid). */
export const MLP_RUN_DEFAULTS = RUN_DEFAULTS.mlp;
import { metrics } from "./metrics.ts";
import { ridgeAR, trainMean } from "./baselines.ts";
import { dieboldMariano } from "./dieboldMariano.ts";
import { backtest } from "./backtest.ts";

/** Model names understood by {@linkcode trainRun} (the registry's). */
export const RUN_MODELS: readonly string[] = runModelNames();
/** Baseline names, in report order. */
export const BASELINES = ["zero_change", "train_mean", "ridge_ar"] as const;

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
}

/** One row of metrics.json / metrics.csv (test segment). */
export interface RunMetricRow {
  horizon: number;
  model: string;
  kind: "model" | "baseline";
  n: number;
  r2: number;
  mae: number;
  rmse: number;
  mse: number;
  hitRate: number;
  hitN: number;
  /** The best baseline the DM test compares with. */
  dmVs: string;
  dmStat: number;
  /** Two-sided DM p-value. */
  dmP: number;
  /** One-sided p-value, H₁: this forecaster beats the best baseline. */
  dmPBetter: number;
  sharpe: number;
  btHitRate: number;
  btTrades: number;
  btTotal: number;
  /** Rounds (gbdt) / 0 (ridge, baselines). */
  iterations: number;
  fitSeconds: number;
}

/** A segment span as recorded. */
export interface SpanRecord {
  start: number;
  end: number;
  startIso: string;
  endIso: string;
  rows: number;
}

/** What {@linkcode trainRun} returns (and `metrics.json` holds). */
export interface RunSummary {
  id: string;
  dir: string;
  config: Record<string, unknown>;
  dataHash: string;
  segments: { train: SpanRecord; valid: SpanRecord; test: SpanRecord };
  rows: RunMetricRow[];
  seconds: number;
}

const GBDT_RUN_DEFAULTS = RUN_DEFAULTS.gbdt;
const METRIC_COLS: (keyof RunMetricRow)[] = [
  "horizon",
  "model",
  "kind",
  "n",
  "r2",
  "mae",
  "rmse",
  "mse",
  "hitRate",
  "hitN",
  "dmVs",
  "dmStat",
  "dmP",
  "dmPBetter",
  "sharpe",
  "btHitRate",
  "btTrades",
  "btTotal",
  "iterations",
  "fitSeconds",
];

function sha256(s: string): string {
  return createHash("sha256").update(s).digest("hex");
}

function span(ts: Float64Array, seg: { start: number; end: number; rows: Int32Array }): SpanRecord {
  // the recorded span is that of the rows actually present
  let lo = Infinity, hi = -Infinity;
  for (const r of seg.rows) {
    if (ts[r] < lo) lo = ts[r];
    if (ts[r] > hi) hi = ts[r];
  }
  const start = seg.rows.length ? lo : seg.start, end = seg.rows.length ? hi + 60_000 : seg.end;
  return {
    start,
    end,
    startIso: new Date(start).toISOString(),
    endIso: new Date(end).toISOString(),
    rows: seg.rows.length,
  };
}

function gather(a: ArrayLike<number>, rows: ArrayLike<number>): Float64Array {
  const out = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = a[rows[i]];
  return out;
}

/** sha256 over the manifest entries (or partition infos) of the tables and pairs used. */
async function dataHash(store: Store, pairs: readonly string[]): Promise<string> {
  const tables = ["features", "targets", "bqx", "m1"];
  let entries: unknown[];
  if (store.kind === "lake") {
    entries = readManifest(store.location).partitions
      .filter((p) => tables.includes(p.table) && pairs.includes(p.pair))
      .map((p) => ({
        table: p.table,
        pair: p.pair,
        month: p.month,
        rows: p.rows,
        sha256: p.sha256,
      }));
  } else {
    entries = [];
    for (const t of tables) {
      entries.push(...(await store.listPartitions(t)).filter((p) => pairs.includes(p.pair)));
    }
  }
  const key = (e: unknown) => JSON.stringify(e);
  entries.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  return sha256(JSON.stringify(entries));
}

/** Per row of the dataset: a column of another per-pair table joined on (pair, ts). */
async function alignColumns(
  store: Store,
  ds: PooledDataset,
  table: string,
  columns: readonly string[],
  derive: (frame: pl.DataFrame) => Record<string, Float64Array>,
): Promise<Record<string, Float64Array>> {
  const n = ds.ts.length;
  const out: Record<string, Float64Array> = {};
  let keys: string[] | undefined;
  for (const pair of ds.pairs) {
    const frame = await store.readTable(table, pair, { columns });
    const ts = Float64Array.from(
      frame.getColumn("ts_utc").cast(pl.Int64).toArray() as (number | bigint)[],
      Number,
    );
    const cols = derive(frame);
    keys ??= Object.keys(cols);
    for (const k of keys) out[k] ??= new Float64Array(n).fill(NaN);
    const at = new Map<number, number>();
    for (let i = 0; i < ts.length; i++) at.set(ts[i], i);
    for (let r = 0; r < n; r++) {
      if (ds.pair[r] !== pair) continue;
      const i = at.get(ds.ts[r]);
      if (i === undefined) continue;
      for (const k of keys) out[k][r] = cols[k][i];
    }
  }
  return out;
}

function num(frame: pl.DataFrame, c: string): Float64Array {
  return Float64Array.from(frame.getColumn(c).toArray() as (number | null)[], (v) => v ?? NaN);
}

/** The forecaster table of one horizon, on its test rows. */
interface Forecasts {
  names: string[];
  kind: Record<string, "model" | "baseline">;
  values: Record<string, Float64Array>;
  iterations: Record<string, number>;
  seconds: Record<string, number>;
}

/**
 * Train, evaluate and save one run; see the module doc.
 * @param store the lake or PostgreSQL store (with m1, bqx, targets and features)
 * @param options models, pairs, horizons, seed, runs directory, features, gbdt overrides
 * @returns the run summary (also in `<dir>/metrics.json`)
 */
export async function trainRun(store: Store, options: TrainRunOptions = {}): Promise<RunSummary> {
  const t0 = performance.now();
  const models = [...(options.models ?? ["ridge", "gbdt"])];
  for (const m of models) {
    if (!(m in RUN_MODEL_SPECS)) {
      throw new RangeError(`Unknown model "${m}": expected one of ${runModelNames().join(", ")}`);
    }
  }
  const horizons = [...(options.horizons ?? [15])];
  for (const h of horizons) {
    if (![15, 30, 45, 60, 75].includes(h)) {
      throw new RangeError(`Invalid horizon ${h}: expected one of 15, 30, 45, 60, 75`);
    }
  }
  const seed = options.seed ?? 7;
  const runsDir = options.runsDir ?? "reports/runs";
  const embargo = options.embargo ?? 120;
  const gbdtCfg = { ...GBDT_RUN_DEFAULTS, ...options.gbdt, seed };
  const lambdas = [...(options.ridgeLambdas ?? [1e-4, 1e-3, 1e-2, 0.1, 1])];
  const log = (s: string) => options.silent || console.error(s);

  const ds = await loadPooled(store, {
    pairs: options.pairs,
    features: options.features,
    targets: horizons.map((h) => `target_${h}`),
    months: options.months,
  });
  const pairs = [...ds.pairs];
  const seg = split(ds.ts, { embargo });
  const segments = {
    train: span(ds.ts, seg.train),
    valid: span(ds.ts, seg.valid),
    test: span(ds.ts, seg.test),
  };
  const hash = await dataHash(store, pairs);
  const config = {
    models,
    pairs,
    horizons,
    seed,
    features: options.features ? [...options.features] : "all",
    featureCount: ds.x.cols,
    gbdt: gbdtCfg,
    ridge: { lambdas, scaler: "standard (train only)" },
    split: { fractions: { train: 0.7, valid: 0.15, test: 0.15 }, embargo },
    months: options.months ? [...options.months] : "all",
    target: "target_h (w{h}_bqx_return(t+h), window = horizon)",
    backtest: {
      signal:
        "-forecast (target_h depends on idx(t..t+h) only: a positive forecast says the index falls)",
      sizing: "sign",
      every: "h",
      fill: "next row's open on the rate-index scale (open/close*rate_index)",
      spread: 0,
    },
    store: { kind: store.kind, location: store.location },
  };
  const configHash = sha256(JSON.stringify(config)).slice(0, 8);
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  let id = `${stamp}-${configHash}`;
  for (let k = 2; exists(`${runsDir}/${id}`); k++) id = `${stamp}-${configHash}-${k}`;
  const dir = `${runsDir}/${id}`;
  const tmpDir = `${runsDir}/.${id}.${Deno.pid}.tmp`;
  Deno.mkdirSync(`${tmpDir}/models`, { recursive: true });

  // side tables aligned on (pair, ts): current BQX per horizon, index opens
  const bqxCols = horizons.map((h) => `w${h}_bqx_return`);
  const current = await alignColumns(
    store,
    ds,
    "bqx",
    bqxCols,
    (f) => Object.fromEntries(bqxCols.map((c) => [c, num(f, c)])),
  );
  const opens = (await alignColumns(store, ds, "m1", ["open", "close", "rate_index"], (f) => {
    const o = num(f, "open"), c = num(f, "close"), ri = num(f, "rate_index");
    return { idx_open: o.map((v, i) => (v / c[i]) * ri[i]) };
  })).idx_open;

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

  const rows: RunMetricRow[] = [];
  const predFrames: pl.DataFrame[] = [];
  try {
    for (const h of horizons) {
      const target = `target_${h}`;
      const yAll = ds.y[target];
      const tr = usableRows(ds, target, seg.train.rows);
      const va = usableRows(ds, target, seg.valid.rows);
      const te = usableRows(ds, target, seg.test.rows);
      if (tr.length === 0 || te.length === 0) {
        throw new Error(`No usable ${target} rows in train (${tr.length}) or test (${te.length})`);
      }
      const yTe = gather(yAll, te);
      const cur = gather(current[`w${h}_bqx_return`], te);
      const fc: Forecasts = { names: [], kind: {}, values: {}, iterations: {}, seconds: {} };
      const add = (name: string, kind: "model" | "baseline", v: Float64Array, it = 0, s = 0) => {
        fc.names.push(name);
        fc.kind[name] = kind;
        fc.values[name] = v;
        fc.iterations[name] = it;
        fc.seconds[name] = s;
      };

      const fitted = new Map<string, RunModelResult>();
      for (const name of models) {
        const t1 = performance.now();
        const res = await RUN_MODEL_SPECS[name].fit({
          ds,
          x: ds.x,
          scaled,
          horizon: h,
          horizons,
          y: yAll,
          train: tr,
          valid: va,
          test: te,
          seed,
          verbose: !options.silent,
          overrides,
          fitted,
          cache,
        });
        fitted.set(name, res);
        res.save(`${tmpDir}/models/${name}_h${h}`);
        if (res.info) modelInfo[`${name}_h${h}`] = res.info;
        const secs = (performance.now() - t1) / 1e3;
        add(name, "model", res.test, res.iterations, secs);
        log(`h${h} ${name}: ${res.iterations} iterations, ${secs.toFixed(1)} s`);
      }
      for (const res of fitted.values()) res.dispose?.();

      // baselines
      add("zero_change", "baseline", cur.slice());
      const tm = trainMean(yAll, { rows: tr });
      add("train_mean", "baseline", gather(tm, te));
      const ar = new Float64Array(te.length).fill(NaN);
      {
        const pos = new Map<number, number>();
        te.forEach((r, i) => pos.set(r, i));
        let a = 0;
        while (a < ds.ts.length) {
          let b = a;
          while (b < ds.ts.length && ds.pairId[b] === ds.pairId[a]) b++;
          const local = (s: Int32Array) => ({
            rows: s.filter((r) => r >= a && r < b).map((r) => r - a),
          });
          const lt = local(tr), lv = local(va), le = local(te);
          if (lt.rows.length > 0 && le.rows.length > 0) {
            const fit = ridgeAR(yAll.subarray(a, b), h, {
              train: lt,
              valid: lv.rows.length ? lv : lt,
            });
            for (const r of le.rows) ar[pos.get(r + a)!] = fit.forecast[r];
          }
          a = b;
        }
      }
      add("ridge_ar", "baseline", ar);

      // scores
      const mse = (v: Float64Array) => {
        const m = metrics(yTe, v);
        return m.rmse * m.rmse;
      };
      let best = "";
      for (const name of BASELINES) {
        if (!best || mse(fc.values[name]) < mse(fc.values[best])) best = name;
      }
      const errBest = yTe.map((y, i) => y - fc.values[best][i]);
      const tePair = Array.from(te, (r) => ds.pairId[r]);
      for (const name of fc.names) {
        const v = fc.values[name];
        const m = metrics(yTe, v, { current: cur });
        const dm = dieboldMariano(yTe.map((y, i) => y - v[i]), errBest, { h });
        // backtest per pair
        const sharpes: number[] = [];
        let hits = 0, hitBars = 0, trades = 0, total = 0;
        let a = 0;
        while (a < te.length) {
          let b = a;
          while (b < te.length && tePair[b] === tePair[a]) b++;
          const sig = new Float64Array(b - a), op = new Float64Array(b - a);
          for (let i = a; i < b; i++) {
            sig[i - a] = -v[i];
            op[i - a] = opens[te[i]];
          }
          if (b - a >= 2) {
            const bt = backtest(sig, op, { every: h });
            if (Number.isFinite(bt.sharpe)) sharpes.push(bt.sharpe);
            if (bt.hitBars > 0) {
              hits += bt.hitRate * bt.hitBars;
              hitBars += bt.hitBars;
            }
            trades += bt.trades;
            total += bt.total;
          }
          a = b;
        }
        rows.push({
          horizon: h,
          model: name,
          kind: fc.kind[name],
          n: m.n,
          r2: m.r2,
          mae: m.mae,
          rmse: m.rmse,
          mse: m.rmse * m.rmse,
          hitRate: m.hitRate,
          hitN: m.hitN,
          dmVs: best,
          dmStat: dm.statistic,
          dmP: dm.pValue,
          dmPBetter: dm.pModelBetter,
          sharpe: sharpes.length ? sharpes.reduce((s, x) => s + x, 0) / sharpes.length : NaN,
          btHitRate: hitBars ? hits / hitBars : NaN,
          btTrades: trades,
          btTotal: total,
          iterations: fc.iterations[name],
          fitSeconds: fc.seconds[name],
        });
      }
      const cols: pl.Series[] = [
        pl.Series("ts_utc", Array.from(te, (r) => ds.ts[r])).cast(pl.Datetime("ms", "UTC")),
        pl.Series("pair", Array.from(te, (r) => ds.pair[r]), pl.Utf8),
        pl.Series("horizon", new Array(te.length).fill(h), pl.Int32),
        pl.Series("y", Array.from(yTe), pl.Float64),
        pl.Series("idx_open", Array.from(te, (r) => opens[r]), pl.Float64),
        ...fc.names.map((nm) => pl.Series(nm, Array.from(fc.values[nm]), pl.Float64)),
      ];
      predFrames.push(pl.DataFrame(cols));
    }

    // artifacts
    if (Object.keys(modelInfo).length) (config as Record<string, unknown>).modelInfo = modelInfo;
    const summary: RunSummary = {
      id,
      dir,
      config,
      dataHash: hash,
      segments,
      rows,
      seconds: (performance.now() - t0) / 1e3,
    };
    atomicWrite(
      `${tmpDir}/config.json`,
      JSON.stringify({ id, ...config, dataHash: hash, segments }, null, 2),
    );
    atomicWrite(`${tmpDir}/metrics.json`, JSON.stringify(summary, jsonNaN, 2));
    atomicWrite(`${tmpDir}/metrics.csv`, toCsv(rows));
    const pred = pl.concat(predFrames, { how: "vertical" });
    const tmp = tempPathFor(`${tmpDir}/predictions.parquet`);
    pred.writeParquet(tmp, { compression: "lz4" });
    commitTemp(tmp, `${tmpDir}/predictions.parquet`);
    Deno.renameSync(tmpDir, dir);
    summary.seconds = (performance.now() - t0) / 1e3;
    return summary;
  } catch (e) {
    try {
      Deno.removeSync(tmpDir, { recursive: true });
    } catch { /* nothing to clean */ }
    throw e;
  }
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** JSON replacer: NaN / ±∞ → null. */
function jsonNaN(_k: string, v: unknown): unknown {
  return typeof v === "number" && !Number.isFinite(v) ? null : v;
}

/** metrics.csv text (NaN as empty). */
export function toCsv(rows: readonly RunMetricRow[]): string {
  const lines = [METRIC_COLS.join(",")];
  for (const r of rows) {
    lines.push(
      METRIC_COLS.map((c) => {
        const v = r[c];
        return typeof v === "number" ? (Number.isFinite(v) ? String(v) : "") : String(v);
      }).join(","),
    );
  }
  return lines.join("\n") + "\n";
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

/** A fixed-width table of a run's rows (models and baselines per horizon). */
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
    "Sharpe",
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
    f(r.sharpe, 2),
  ]);
  const all = [head, ...body];
  const w = head.map((_, j) => Math.max(...all.map((r) => r[j].length)));
  return all.map((r) => r.map((c, j) => c.padEnd(w[j])).join("  ")).join("\n");
}
