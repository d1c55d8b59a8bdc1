/**
 * Plumbing shared by the run kinds (`run.ts` single split, `walkForwardRun.ts`), never
 * re-exported: the data hash, side tables aligned on the dataset's (pair, ts) — current BQX per
 * horizon, opens on the rate-index scale, the causal volatility and trend measures of the
 * breakdown, the per-pair spread in index points — fitting the registry models of one horizon,
 * the predictions frame, and the versioned run directory (hidden temp dir renamed into place).
 *
 * Breakdown measures (both known at t, computed over the pair's whole m1 series, then aligned):
 * - volatility = EWMA (span 60, α = 2/61, seeded with the first |r|) of |r|, r = the 1-bar log
 *   return of close; terciles are cut on the TRAIN rows only (`volatilityTerciles`);
 * - trend = log(rate_index(t) / rate_index(t − 60 rows)); flat band = the 1/3 quantile of |trend|
 *   over the train rows, so about a third of train rows are `flat`.
 * @module
 */
import pl from "nodejs-polars";
import { createHash } from "node:crypto";
import { atomicWrite, commitTemp, readManifest, tempPathFor } from "../data/lake.ts";
import type { Store } from "../data/store.ts";
import type { PooledDataset } from "../dataset/dataset.ts";
import type { Scaler } from "../dataset/scaler.ts";
import type { Matrix } from "../models/base.ts";
import { RUN_MODEL_SPECS, runModelNames, type RunModelResult } from "../models/registry.ts";
import { DEFAULT_SPREAD_PIPS, spreadPipsToIndex } from "./backtest.ts";
import { trendGroups, volatilityTerciles } from "./groups.ts";
import { quantileSorted } from "./_series.ts";
import {
  BREAKDOWN_COLS,
  type BreakdownRow,
  METRIC_COLS,
  rowsToCsv,
  type RunMetricRow,
} from "./score.ts";

/** sha256 hex of a string. */
export function sha256(s: string): string {
  return createHash("sha256").update(s).digest("hex");
}

/** A segment span as recorded. */
export interface SpanRecord {
  start: number;
  end: number;
  startIso: string;
  endIso: string;
  rows: number;
}

/** The span of the rows actually present (the segment's bounds when empty). */
export function span(
  ts: Float64Array,
  seg: { start: number; end: number; rows: ArrayLike<number> },
): SpanRecord {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < seg.rows.length; i++) {
    const t = ts[seg.rows[i]];
    if (t < lo) lo = t;
    if (t > hi) hi = t;
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

/** Values of `a` at `rows`. */
export function gather(a: ArrayLike<number>, rows: ArrayLike<number>): Float64Array {
  const out = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = a[rows[i]];
  return out;
}

/** sha256 over the manifest entries (or partition infos) of the tables and pairs used. */
export async function dataHash(store: Store, pairs: readonly string[]): Promise<string> {
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

function num(frame: pl.DataFrame, c: string): Float64Array {
  return Float64Array.from(frame.getColumn(c).toArray() as (number | null)[], (v) => v ?? NaN);
}

/** Per row of the dataset: columns derived from another per-pair table, joined on (pair, ts). */
async function alignColumns(
  store: Store,
  ds: PooledDataset,
  table: string,
  columns: readonly string[],
  derive: (frame: pl.DataFrame, pair: string) => Record<string, Float64Array>,
  perPair?: (frame: pl.DataFrame, pair: string) => void,
): Promise<Record<string, Float64Array>> {
  const n = ds.ts.length;
  const out: Record<string, Float64Array> = {};
  let keys: string[] | undefined;
  for (const pair of ds.pairs) {
    const frame = await store.readTable(table, pair, { columns });
    perPair?.(frame, pair);
    const ts = Float64Array.from(
      frame.getColumn("ts_utc").cast(pl.Int64).toArray() as (number | bigint)[],
      Number,
    );
    const cols = derive(frame, pair);
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

/** Side series of a run, one value per dataset row (NaN where absent). */
export interface RunSides {
  /** `w{h}_bqx_return` per horizon. */
  current: Record<string, Float64Array>;
  /** Bar open on the rate-index scale. */
  idxOpen: Float64Array;
  /** Causal volatility measure (module doc). */
  vol: Float64Array;
  /** Causal trend measure (module doc). */
  trend: Float64Array;
  /** Spread per pair in index points. */
  spread: Record<string, number>;
  /** Spread per pair in pips, as used. */
  spreadPips: Record<string, number>;
}

/**
 * Read the side tables of a run (bqx, m1) aligned on the dataset rows.
 * @param spreadPips one spread in pips for every pair, or per pair (missing pairs take
 *   {@linkcode DEFAULT_SPREAD_PIPS}); 0 = no costs
 */
export async function loadSides(
  store: Store,
  ds: PooledDataset,
  horizons: readonly number[],
  spreadPips: number | Readonly<Record<string, number>> = DEFAULT_SPREAD_PIPS,
): Promise<RunSides> {
  const bqxCols = horizons.map((h) => `w${h}_bqx_return`);
  const current = await alignColumns(
    store,
    ds,
    "bqx",
    bqxCols,
    (f) => Object.fromEntries(bqxCols.map((c) => [c, num(f, c)])),
  );
  const spread: Record<string, number> = {}, pips: Record<string, number> = {};
  const m1 = await alignColumns(store, ds, "m1", ["open", "close", "rate_index"], (f, pair) => {
    const o = num(f, "open"), c = num(f, "close"), ri = num(f, "rate_index");
    const n = c.length;
    const vol = new Float64Array(n).fill(NaN), trend = new Float64Array(n).fill(NaN);
    const alpha = 2 / 61;
    let ew = NaN;
    for (let i = 1; i < n; i++) {
      const r = Math.abs(Math.log(c[i] / c[i - 1]));
      if (r === r) ew = ew === ew ? alpha * r + (1 - alpha) * ew : r;
      vol[i] = ew;
      if (i >= 60) trend[i] = Math.log(ri[i] / ri[i - 60]);
    }
    const p = typeof spreadPips === "number"
      ? spreadPips
      : spreadPips[pair] ?? DEFAULT_SPREAD_PIPS[pair] ?? 0;
    pips[pair] = p;
    let k = 0;
    while (k < n && !(c[k] > 0 && ri[k] > 0)) k++;
    spread[pair] = k < n ? spreadPipsToIndex(p, pair, c[k], ri[k]) : 0;
    return { idx_open: o.map((v, i) => (v / c[i]) * ri[i]), vol, trend };
  });
  return {
    current,
    idxOpen: m1.idx_open,
    vol: m1.vol,
    trend: m1.trend,
    spread,
    spreadPips: pips,
  };
}

/** Group codes of every dataset row, with cut points fit on the given train rows. */
export interface GroupCodes {
  vol: Int32Array;
  trend: Int32Array;
  volCuts: [number, number];
  trendFlat: number;
}

/** Volatility terciles and trend states of every dataset row, fit on `train` rows only. */
export function groupCodes(sides: RunSides, train: Int32Array): GroupCodes {
  let volCuts: [number, number] = [NaN, NaN];
  let vol: Int32Array;
  try {
    const g = volatilityTerciles(sides.vol, { rows: train });
    vol = g.codes;
    volCuts = g.cuts;
  } catch {
    vol = new Int32Array(sides.vol.length).fill(-1); // no volatility known on train
  }
  const abs: number[] = [];
  for (const r of train) {
    const v = Math.abs(sides.trend[r]);
    if (v === v) abs.push(v);
  }
  const flat = abs.length ? quantileSorted(Float64Array.from(abs).sort(), 1 / 3) : 0;
  return { vol, trend: trendGroups(sides.trend, { flat }).codes, volCuts, trendFlat: flat };
}

/** What fitting the requested models on one horizon gives back. */
export interface FittedModels {
  results: Map<string, RunModelResult>;
  seconds: Record<string, number>;
}

/**
 * Fit every requested registry model on one horizon (train rows, valid for early stopping) and
 * save each into `saveDir/<name>_h<h>` when given. `dispose()` of the results is the caller's.
 */
export async function fitModels(
  models: readonly string[],
  ctx: {
    ds: PooledDataset;
    scaled: () => { x: Matrix; scaler: Scaler };
    horizon: number;
    horizons: readonly number[];
    y: Float32Array | Float64Array;
    train: Int32Array;
    valid: Int32Array;
    test: Int32Array;
    /** All rows of each segment (labelled for any horizon or not), for multi-horizon models. */
    segments?: { train: Int32Array; valid: Int32Array; test: Int32Array };
    seed: number;
    verbose: boolean;
    overrides: Record<string, Record<string, unknown>>;
    cache: Map<string, unknown>;
  },
  saveDir?: string,
  onModel?: (name: string, res: RunModelResult, seconds: number) => void,
): Promise<FittedModels> {
  const fitted = new Map<string, RunModelResult>();
  const seconds: Record<string, number> = {};
  for (const name of models) {
    const t1 = performance.now();
    const res = await RUN_MODEL_SPECS[name].fit({ ...ctx, x: ctx.ds.x, fitted });
    fitted.set(name, res);
    if (saveDir) res.save(`${saveDir}/${name}_h${ctx.horizon}`);
    seconds[name] = (performance.now() - t1) / 1e3;
    onModel?.(name, res, seconds[name]);
  }
  return { results: fitted, seconds };
}

/** Does a path exist. */
export function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** JSON replacer: NaN / ±∞ → null. */
export function jsonNaN(_k: string, v: unknown): unknown {
  return typeof v === "number" && !Number.isFinite(v) ? null : v;
}

/** A new run id (`<UTC stamp>-<config hash>[-k]`), its final dir and its hidden temp dir. */
export function newRunDir(
  runsDir: string,
  config: unknown,
): { id: string; dir: string; tmpDir: string } {
  const configHash = sha256(JSON.stringify(config)).slice(0, 8);
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  let id = `${stamp}-${configHash}`;
  for (let k = 2; exists(`${runsDir}/${id}`); k++) id = `${stamp}-${configHash}-${k}`;
  const tmpDir = `${runsDir}/.${id}.${Deno.pid}.tmp`;
  Deno.mkdirSync(`${tmpDir}/models`, { recursive: true });
  return { id, dir: `${runsDir}/${id}`, tmpDir };
}

/** The prediction columns shared by both run kinds. */
export function predictionColumns(
  ts: ArrayLike<number>,
  pair: readonly string[],
  h: number,
  y: Float64Array,
  idxOpen: ArrayLike<number>,
  names: readonly string[],
  values: Record<string, Float64Array>,
): pl.Series[] {
  return [
    pl.Series("ts_utc", Array.from(ts)).cast(pl.Datetime("ms", "UTC")),
    pl.Series("pair", [...pair], pl.Utf8),
    pl.Series("horizon", new Array(y.length).fill(h), pl.Int32),
    pl.Series("y", Array.from(y), pl.Float64),
    pl.Series("idx_open", Array.from(idxOpen), pl.Float64),
    ...names.map((nm) => pl.Series(nm, Array.from(values[nm]), pl.Float64)),
  ];
}

/**
 * Write the common artifacts into the temp dir (config.json, metrics.json/csv, breakdown.json/csv,
 * predictions.parquet), then rename the temp dir into place.
 */
export function writeRunDir(
  tmpDir: string,
  dir: string,
  parts: {
    config: Record<string, unknown>;
    summary: object;
    rows: readonly RunMetricRow[];
    breakdown: readonly BreakdownRow[];
    predictions: pl.DataFrame[];
    extra?: Record<string, string>;
  },
): void {
  atomicWrite(`${tmpDir}/config.json`, JSON.stringify(parts.config, jsonNaN, 2));
  atomicWrite(`${tmpDir}/metrics.json`, JSON.stringify(parts.summary, jsonNaN, 2));
  atomicWrite(`${tmpDir}/metrics.csv`, rowsToCsv(parts.rows, METRIC_COLS));
  atomicWrite(`${tmpDir}/breakdown.json`, JSON.stringify(parts.breakdown, jsonNaN, 1));
  atomicWrite(`${tmpDir}/breakdown.csv`, rowsToCsv(parts.breakdown, BREAKDOWN_COLS));
  for (const [name, text] of Object.entries(parts.extra ?? {})) {
    atomicWrite(`${tmpDir}/${name}`, text);
  }
  const pred = pl.concat(parts.predictions, { how: "vertical" });
  const tmp = tempPathFor(`${tmpDir}/predictions.parquet`);
  pred.writeParquet(tmp, { compression: "lz4" });
  commitTemp(tmp, `${tmpDir}/predictions.parquet`);
  Deno.renameSync(tmpDir, dir);
}

/**
 * A run's models and horizons (default ridge + GBDT at h15), checked: an unknown model or a
 * horizon other than 15, 30, 45, 60, 75 is a RangeError naming it and what was expected.
 */
export function runModelsAndHorizons(
  o: { models?: readonly string[]; horizons?: readonly number[] },
): { models: string[]; horizons: number[] } {
  const models = [...(o.models ?? ["ridge", "gbdt"])];
  for (const m of models) {
    if (!(m in RUN_MODEL_SPECS)) {
      throw new RangeError(`Unknown model "${m}": expected one of ${runModelNames().join(", ")}`);
    }
  }
  const horizons = [...(o.horizons ?? [15])];
  for (const h of horizons) {
    if (![15, 30, 45, 60, 75].includes(h)) {
      throw new RangeError(`Invalid horizon ${h}: expected one of 15, 30, 45, 60, 75`);
    }
  }
  return { models, horizons };
}
