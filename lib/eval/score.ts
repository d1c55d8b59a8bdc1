/**
 * Scoring of one horizon's out-of-sample forecasts, shared by the single-split run (`run.ts`) and
 * the walk-forward run (`walkForwardRun.ts`) so both write the same metric rows (SPEC §6):
 *
 * - **baselines** ({@linkcode baselineForecasts}): zero change (`w{h}_bqx_return(t)`), the train
 *   mean, and the ridge AR on the target's own causal lags, fit per pair on the pair's rows of the
 *   pooled dataset (lags in rows of the pair's block, λ on valid), each with its valid and test
 *   predictions;
 * - **intervals** ({@linkcode conformalHalfWidth}): split-conformal 80 % intervals ŷ ± q with q the
 *   ⌈(n + 1) · 0.8⌉-th smallest |residual| on the VALID rows of the same fit (per forecaster; n =
 *   valid rows with a prediction), so coverage on test is ≥ 80 % when residuals are exchangeable;
 *   NaN when valid has fewer than 4 rows;
 * - **metric rows** ({@linkcode scoreHorizon}): R², MAE, RMSE, directional accuracy vs the current
 *   BQX, coverage and mean width of the 80 % interval, Diebold–Mariano (squared loss, h − 1
 *   Bartlett lags, HLN) of every forecaster against the best baseline (lowest test MSE), and the
 *   backtest: per pair (rows must come in pair blocks, time-ordered), signal = −ŷ (a positive
 *   BQX forecast says the index falls, see `run.ts`), sign sizing, a decision every h bars, filled
 *   at the next row's open on the rate-index scale, the pair's spread (index points) charged per
 *   unit of |Δposition|. Aggregation over pairs: `sharpe` / `sharpeGross` = mean of the per-pair
 *   annualized Sharpe (net / before costs), `btTotal` / `btTotalGross` / `turnover` / `btTrades`
 *   = sums, `maxDrawdown` = the worst pair's (net), `btHitRate` pooled;
 * - **breakdown** ({@linkcode breakdownHorizon}): the same point metrics per group — pair,
 *   session block (`sessionGroups`), volatility tercile and trend state (codes passed in, fit by
 *   the caller on train rows).
 * @module
 */
import type { PooledDataset } from "../dataset/dataset.ts";
import { ridgeAR, trainMean } from "./baselines.ts";
import { backtest } from "./backtest.ts";
import { dieboldMariano } from "./dieboldMariano.ts";
import { type Grouping, metrics, metricsBy } from "./metrics.ts";
import { sessionGroups } from "./groups.ts";

/** Baseline names, in report order. */
export const BASELINES = ["zero_change", "train_mean", "ridge_ar"] as const;

/** Nominal level of the conformal intervals. */
export const INTERVAL_LEVEL = 0.8;

/** One row of metrics.json / metrics.csv (test segment or pooled out-of-sample rows). */
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
  /** Share of test rows inside the split-conformal 80 % interval. */
  coverage80: number;
  /** Mean width of that interval (2q). */
  width80: number;
  /** The best baseline the DM test compares with. */
  dmVs: string;
  dmStat: number;
  /** Two-sided DM p-value. */
  dmP: number;
  /** One-sided p-value, H₁: this forecaster beats the best baseline. */
  dmPBetter: number;
  /** Annualized Sharpe after spread costs (mean over pairs). */
  sharpe: number;
  /** Annualized Sharpe before costs (mean over pairs). */
  sharpeGross: number;
  btHitRate: number;
  btTrades: number;
  /** Net PnL in index points, summed over pairs. */
  btTotal: number;
  /** Gross PnL (before costs), summed over pairs. */
  btTotalGross: number;
  /** Largest drawdown of net cumulative PnL, worst pair. */
  maxDrawdown: number;
  /** Σ|Δposition| over pairs. */
  turnover: number;
  /** Rounds (gbdt) / epochs (mlp) / 0 (ridge, baselines). */
  iterations: number;
  fitSeconds: number;
}

/** Columns of metrics.csv, in order. */
export const METRIC_COLS: (keyof RunMetricRow)[] = [
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
  "coverage80",
  "width80",
  "dmVs",
  "dmStat",
  "dmP",
  "dmPBetter",
  "sharpe",
  "sharpeGross",
  "btHitRate",
  "btTrades",
  "btTotal",
  "btTotalGross",
  "maxDrawdown",
  "turnover",
  "iterations",
  "fitSeconds",
];

/** The forecaster table of one horizon on its scored rows. */
export interface HorizonForecasts {
  names: string[];
  kind: Record<string, "model" | "baseline">;
  /** Point forecasts per scored row. */
  values: Record<string, Float64Array>;
  /** Half-width of the 80 % interval per scored row (NaN = none). */
  half80: Record<string, Float64Array>;
  iterations: Record<string, number>;
  seconds: Record<string, number>;
}

/** An empty {@linkcode HorizonForecasts}. */
export function emptyForecasts(): HorizonForecasts {
  return { names: [], kind: {}, values: {}, half80: {}, iterations: {}, seconds: {} };
}

/** Append one forecaster to a table. */
export function addForecast(
  fc: HorizonForecasts,
  name: string,
  kind: "model" | "baseline",
  values: Float64Array,
  half80: Float64Array,
  iterations = 0,
  seconds = 0,
): void {
  if (!fc.names.includes(name)) fc.names.push(name);
  fc.kind[name] = kind;
  fc.values[name] = values;
  fc.half80[name] = half80;
  fc.iterations[name] = iterations;
  fc.seconds[name] = seconds;
}

/** The scored rows of one horizon, with what the backtest and the breakdown need. */
export interface HorizonRows {
  horizon: number;
  /** Realized target. */
  y: Float64Array;
  /** w{h}_bqx_return(t) (directional accuracy, zero change). */
  current: Float64Array;
  /** Row stamps, epoch ms. */
  ts: Float64Array;
  /** Each row's pair; rows come in pair blocks, each in time order. */
  pair: readonly string[];
  /** Open on the rate-index scale. */
  opens: Float64Array;
  /** Spread per pair in index points (0 = gross only). */
  spread: Readonly<Record<string, number>>;
  /** Volatility tercile codes (0 low, 1 mid, 2 high, −1 none). */
  vol: Int32Array;
  /** Trend state codes (0 down, 1 flat, 2 up, −1 none). */
  trend: Int32Array;
}

/**
 * Split-conformal half-width: the ⌈(n + 1)·level⌉-th smallest |y − ŷ| over the rows where both are
 * known (n of them); Infinity when that rank exceeds n, NaN with fewer than 4 rows.
 * @param y realized values (valid rows)
 * @param yhat predictions (same rows)
 * @param level nominal coverage @default 0.8
 * @returns the half-width q of ŷ ± q
 * @example
 * ```ts
 * import { conformalHalfWidth } from "./score.ts";
 * import assert from "node:assert/strict";
 * // |residuals| 1..9 (n = 9): rank ⌈10 · 0.8⌉ = 8 → 8
 * const y = Float64Array.from({ length: 9 }, (_, i) => i + 1);
 * assert.equal(conformalHalfWidth(y, new Float64Array(9)), 8);
 * ```
 */
export function conformalHalfWidth(
  y: ArrayLike<number>,
  yhat: ArrayLike<number>,
  level = INTERVAL_LEVEL,
): number {
  if (!(level > 0 && level < 1)) {
    throw new RangeError(`Expected level in (0, 1) but found ${level}`);
  }
  const r: number[] = [];
  for (let i = 0; i < y.length; i++) {
    const e = Math.abs(y[i] - yhat[i]);
    if (e === e) r.push(e);
  }
  if (r.length < 4) return NaN;
  const k = Math.ceil((r.length + 1) * level);
  if (k > r.length) return Infinity;
  return Float64Array.from(r).sort()[k - 1];
}

function gather(a: ArrayLike<number>, rows: ArrayLike<number>): Float64Array {
  const out = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = a[rows[i]];
  return out;
}

/** Valid and test predictions of one baseline. */
export interface BaselinePrediction {
  valid: Float64Array;
  test: Float64Array;
}

/**
 * The three baselines on one horizon of a pooled dataset (rows = global dataset indices).
 * @param ds the pooled dataset (pair blocks in time order)
 * @param y the target over all dataset rows
 * @param current w{h}_bqx_return(t) over all dataset rows
 * @param h the horizon in bars
 * @param seg usable train / valid / test rows (ascending)
 * @returns per baseline name its valid and test predictions
 */
export function baselineForecasts(
  ds: Pick<PooledDataset, "pairId" | "ts">,
  y: ArrayLike<number>,
  current: ArrayLike<number>,
  h: number,
  seg: { train: Int32Array; valid: Int32Array; test: Int32Array },
): Record<(typeof BASELINES)[number], BaselinePrediction> {
  const { train: tr, valid: va, test: te } = seg;
  const tm = trainMean(y, { rows: tr });
  const ar = { valid: new Float64Array(va.length).fill(NaN), test: new Float64Array(te.length) };
  ar.test.fill(NaN);
  const posV = new Map<number, number>(), posT = new Map<number, number>();
  va.forEach((r, i) => posV.set(r, i));
  te.forEach((r, i) => posT.set(r, i));
  const n = ds.ts.length;
  let a = 0;
  while (a < n) {
    let b = a;
    while (b < n && ds.pairId[b] === ds.pairId[a]) b++;
    const local = (s: Int32Array) => s.filter((r) => r >= a && r < b).map((r) => r - a);
    const lt = local(tr), lv = local(va), le = local(te);
    if (lt.length > 0 && (le.length > 0 || lv.length > 0)) {
      const yPair = Float64Array.from({ length: b - a }, (_, i) => y[a + i]);
      const fit = ridgeAR(yPair, h, { train: { rows: lt }, valid: { rows: lv.length ? lv : lt } });
      for (const r of le) ar.test[posT.get(r + a)!] = fit.forecast[r];
      for (const r of lv) ar.valid[posV.get(r + a)!] = fit.forecast[r];
    }
    a = b;
  }
  return {
    zero_change: { valid: gather(current, va), test: gather(current, te) },
    train_mean: { valid: gather(tm, va), test: gather(tm, te) },
    ridge_ar: ar,
  };
}

function mse(y: Float64Array, v: Float64Array): number {
  const m = metrics(y, v);
  return m.rmse * m.rmse;
}

/** The baseline with the lowest MSE on the scored rows. */
export function bestBaseline(rows: HorizonRows, fc: HorizonForecasts): string {
  let best = "";
  for (const name of BASELINES) {
    if (!(name in fc.values)) continue;
    if (!best || mse(rows.y, fc.values[name]) < mse(rows.y, fc.values[best])) best = name;
  }
  return best;
}

/** Lower / upper bounds ŷ ∓ q (NaN where q is NaN). */
export function intervalOf(v: Float64Array, half: Float64Array): [Float64Array, Float64Array] {
  return [v.map((x, i) => x - half[i]), v.map((x, i) => x + half[i])];
}

/** Pair blocks [a, b) of consecutive rows. */
function pairBlocks(pair: readonly string[]): [number, number][] {
  const out: [number, number][] = [];
  let a = 0;
  while (a < pair.length) {
    let b = a;
    while (b < pair.length && pair[b] === pair[a]) b++;
    out.push([a, b]);
    a = b;
  }
  return out;
}

/**
 * Metric rows of every forecaster of one horizon (see the module doc).
 * @param rows the scored rows
 * @param fc the forecasters on those rows (baselines included)
 * @returns one {@linkcode RunMetricRow} per forecaster, in `fc.names` order
 */
export function scoreHorizon(rows: HorizonRows, fc: HorizonForecasts): RunMetricRow[] {
  const h = rows.horizon, yTe = rows.y;
  const best = bestBaseline(rows, fc);
  const errBest = yTe.map((y, i) => y - fc.values[best][i]);
  const blocks = pairBlocks(rows.pair);
  const out: RunMetricRow[] = [];
  for (const name of fc.names) {
    const v = fc.values[name];
    const [lo, hi] = intervalOf(v, fc.half80[name]);
    const m = metrics(yTe, v, { current: rows.current, lo, hi });
    let width = 0, wn = 0;
    for (let i = 0; i < v.length; i++) {
      const w = hi[i] - lo[i];
      if (w === w && yTe[i] === yTe[i]) {
        width += w;
        wn++;
      }
    }
    const dm = dieboldMariano(yTe.map((y, i) => y - v[i]), errBest, { h });
    const sharpes: number[] = [], grossSharpes: number[] = [];
    let hits = 0, hitBars = 0, trades = 0, total = 0, gross = 0, turnover = 0, maxDd = 0;
    for (const [a, b] of blocks) {
      if (b - a < 2) continue;
      const sig = new Float64Array(b - a), op = rows.opens.subarray(a, b);
      for (let i = a; i < b; i++) sig[i - a] = -v[i];
      const spread = rows.spread[rows.pair[a]] ?? 0;
      const bt = backtest(sig, op, { every: h, spread });
      const g = spread > 0 ? backtest(sig, op, { every: h }) : bt;
      if (Number.isFinite(bt.sharpe)) sharpes.push(bt.sharpe);
      if (Number.isFinite(g.sharpe)) grossSharpes.push(g.sharpe);
      if (bt.hitBars > 0) {
        hits += bt.hitRate * bt.hitBars;
        hitBars += bt.hitBars;
      }
      trades += bt.trades;
      total += bt.total;
      gross += g.total;
      turnover += bt.turnover;
      if (bt.maxDrawdown > maxDd) maxDd = bt.maxDrawdown;
    }
    const mean = (a: number[]) => (a.length ? a.reduce((s, x) => s + x, 0) / a.length : NaN);
    out.push({
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
      coverage80: m.coverage,
      width80: wn ? width / wn : NaN,
      dmVs: best,
      dmStat: dm.statistic,
      dmP: dm.pValue,
      dmPBetter: dm.pModelBetter,
      sharpe: mean(sharpes),
      sharpeGross: mean(grossSharpes),
      btHitRate: hitBars ? hits / hitBars : NaN,
      btTrades: trades,
      btTotal: total,
      btTotalGross: gross,
      maxDrawdown: maxDd,
      turnover,
      iterations: fc.iterations[name],
      fitSeconds: fc.seconds[name],
    });
  }
  return out;
}

/** One row of breakdown.json / breakdown.csv. */
export interface BreakdownRow {
  horizon: number;
  model: string;
  kind: "model" | "baseline";
  /** "pair" | "session" | "vol" | "trend". */
  by: string;
  group: string;
  /** Rows of the group before skipping NaN. */
  rows: number;
  n: number;
  r2: number;
  mae: number;
  rmse: number;
  hitRate: number;
  hitN: number;
  coverage80: number;
}

/** Columns of breakdown.csv, in order. */
export const BREAKDOWN_COLS: (keyof BreakdownRow)[] = [
  "horizon",
  "model",
  "kind",
  "by",
  "group",
  "rows",
  "n",
  "r2",
  "mae",
  "rmse",
  "hitRate",
  "hitN",
  "coverage80",
];

/** Labels of the volatility tercile and trend codes. */
export const VOL_LABELS = ["low", "mid", "high"] as const;
export const TREND_LABELS = ["down", "flat", "up"] as const;

/** The four groupings of the breakdown on a horizon's scored rows. */
export function groupingsOf(rows: HorizonRows): Record<string, Grouping | readonly string[]> {
  return {
    pair: rows.pair,
    session: sessionGroups(rows.ts),
    vol: { codes: rows.vol, labels: VOL_LABELS },
    trend: { codes: rows.trend, labels: TREND_LABELS },
  };
}

/**
 * Per-group metrics of every forecaster of one horizon: pair, session block, volatility tercile,
 * trend state (each group's R² around its own mean).
 * @param rows the scored rows
 * @param fc the forecasters on those rows
 * @returns one row per forecaster × grouping × group
 */
export function breakdownHorizon(rows: HorizonRows, fc: HorizonForecasts): BreakdownRow[] {
  const out: BreakdownRow[] = [];
  const groupings = groupingsOf(rows);
  for (const name of fc.names) {
    const v = fc.values[name];
    const [lo, hi] = intervalOf(v, fc.half80[name]);
    for (const [by, g] of Object.entries(groupings)) {
      for (const r of metricsBy(rows.y, v, g, { current: rows.current, lo, hi })) {
        out.push({
          horizon: rows.horizon,
          model: name,
          kind: fc.kind[name],
          by,
          group: r.group,
          rows: r.rows,
          n: r.n,
          r2: r.r2,
          mae: r.mae,
          rmse: r.rmse,
          hitRate: r.hitRate,
          hitN: r.hitN,
          coverage80: r.coverage,
        });
      }
    }
  }
  return out;
}

/**
 * CSV text of rows with the given columns (NaN / ±∞ as empty).
 * @param rows the records
 * @param cols the columns, in order
 * @returns the CSV text with a header line
 * @example
 * ```ts
 * import { rowsToCsv } from "./score.ts";
 * import assert from "node:assert/strict";
 * assert.equal(rowsToCsv([{ a: 1, b: NaN }], ["a", "b"]), "a,b\n1,\n");
 * ```
 */
export function rowsToCsv<T>(rows: readonly T[], cols: readonly (keyof T)[]): string {
  const lines = [cols.join(",")];
  for (const r of rows) {
    lines.push(
      cols.map((c) => {
        const v = r[c] as unknown;
        return typeof v === "number" ? (Number.isFinite(v) ? String(v) : "") : String(v);
      }).join(","),
    );
  }
  return lines.join("\n") + "\n";
}
