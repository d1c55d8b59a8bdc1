/**
 * Trading view of a forecast (SPEC §6): a position decided at bar t, filled at the **open of bar
 * t + 1** (never at t's close), held until the next decision; PnL in rate-index points from
 * open-to-open moves, minus a per-pair spread per unit of position traded.
 *
 * Timing, bar by bar, over one pair's bars in time order (t = 0 … n − 1; a forecast at t uses
 * bars ≤ t):
 *
 *     target(t)   = size(signal(t)) on a decision bar, else target(t − 1)   (0 before the first)
 *     position(t) = target(t − 1), position(0) = 0       — held from open(t) to open(t + 1)
 *     cost(t)     = spread · |position(t) − position(t − 1)|                 (position(−1) = 0)
 *     pnl(t)      = position(t) · (open(t + 1) − open(t)) − cost(t)
 *
 * so the signal of bar t first earns the move open(t + 1) → open(t + 2). pnl(n − 1) is NaN (the
 * next open is not in the data), as is any bar whose open or next open is NaN; totals, turnover
 * and statistics cover the bars with a known PnL, and `cumPnl` carries over NaN bars. The
 * position left open at the end is not closed (no exit cost).
 *
 * - **Signal**: positive = long the rate index. The caller maps a forecast to it (for a BQX
 *   target the change ŷ − w{h}_bqx_return(t) says where BQX goes, and a rising BQX means the
 *   index falls below its recent path, so a long-index signal is usually −(ŷ − current)).
 * - **Sizing**: `"sign"` → ±1 (0 when |signal| ≤ threshold or NaN); `"scaled"` →
 *   clip(signal / scale, −maxPosition, maxPosition), also 0 inside the threshold.
 * - **Cadence**: a decision every `every` bars (1 = every bar, h = non-overlapping holds of h
 *   bars), on bars t with t ≡ offset (mod every). A NaN signal on a decision bar goes flat
 *   (`missing: "flat"`) or keeps the position (`"hold"`).
 * - **Cost**: `spread` in index points per unit traded (entering a long from flat costs 1·spread,
 *   flipping long→short 2·spread); see {@linkcode spreadToIndexPoints}.
 * - **Sharpe** (annualized) = mean(pnl) / std(pnl) · √barsPerYear over the known bars, flat bars
 *   included, std with n − 1. Default barsPerYear = 252 · 1440 = 362 880 (trading days × minutes;
 *   SPEC §8 counts ~370k bars per pair-year); {@linkcode measuredBarsPerYear} gives the data's own
 *   rate. PnL is in index points (≈ % of the base-date rate), not compounded returns.
 * - **Max drawdown**: largest fall of cumPnl below its running peak (the peak starts at 0),
 *   reported positive. **Turnover**: Σ|Δposition| in position units. **Hit rate**: among bars
 *   with a position and a non-zero move, the share where position·move > 0 (before costs).
 *
 * @example
 * ```ts
 * import { backtest } from "./backtest.ts";
 * import assert from "node:assert/strict";
 * // signal at bar 0 (+) is filled at open(1) = 101 and earns open(2) − open(1) = +2
 * const r = backtest([1, 1, -1, 0, 0], [100, 101, 103, 102, 104], { spread: 0.5 });
 * assert.deepEqual([...r.position], [0, 1, 1, -1, 0]);
 * // pnl: 0; 1·2 − 0.5; 1·(−1); −1·2 − 2·0.5; NaN (no next open)
 * assert.deepEqual([...r.pnl], [0, 1.5, -1, -3, NaN]);
 * assert.equal(r.total, -2.5);
 * ```
 * @module
 */
import { nonNegative, type Numbers, positiveInt, sameLength } from "./_series.ts";

/** Default bars per year: 252 trading days × 1440 minutes. */
export const BARS_PER_YEAR = 252 * 1440;

/** Options of {@linkcode backtest}. */
export interface BacktestOptions {
  /** Position from the signal's sign (±1) or scaled and clipped. @default "sign" */
  sizing?: "sign" | "scaled";
  /** Scaled sizing: position = signal / scale before clipping. @default 1 */
  scale?: number;
  /** Scaled sizing: |position| ≤ maxPosition. @default 1 */
  maxPosition?: number;
  /** |signal| ≤ threshold → flat. @default 0 */
  threshold?: number;
  /** Decide every `every` bars (1 = every bar; h for h-bar holds). @default 1 */
  every?: number;
  /** Decision bars are t ≡ offset (mod every). @default 0 */
  offset?: number;
  /** NaN signal on a decision bar: go flat or keep the position. @default "flat" */
  missing?: "flat" | "hold";
  /** Cost per unit of |Δposition|, in index points (the pair's spread). @default 0 */
  spread?: number;
  /** Annualization of the per-bar Sharpe. @default 362880 (252 · 1440) */
  barsPerYear?: number;
}

/** Result of {@linkcode backtest}: per-bar series (length n) and summary statistics. */
export interface BacktestResult {
  /** Position held from open(t) to open(t + 1). */
  position: Float64Array;
  /** Net PnL of bar t in index points (NaN where the next open is unknown). */
  pnl: Float64Array;
  /** Cost charged on bar t. */
  cost: Float64Array;
  /** Running sum of the known pnl. */
  cumPnl: Float64Array;
  /** Σ pnl. */
  total: number;
  /** Annualized Sharpe ratio (NaN when the PnL has no variance). */
  sharpe: number;
  /** Largest drop of cumPnl below its running peak (≥ 0). */
  maxDrawdown: number;
  /** Σ|Δposition|. */
  turnover: number;
  /** Bars where the position changed. */
  trades: number;
  /** Share of bars with position · move > 0 among bars with a position and a move. */
  hitRate: number;
  /** Bars counted in hitRate. */
  hitBars: number;
  /** Bars with a known PnL. */
  bars: number;
  /** The annualization used. */
  barsPerYear: number;
}

/**
 * Backtest a signal with next-open fills.
 * @param signal forecast-derived signal decided at bar t (positive = long the rate index)
 * @param open open of each bar on the rate-index scale (same length)
 * @param options sizing, cadence, cost, annualization
 * @returns per-bar position/pnl/cost/cumPnl and the summary statistics
 * @example
 * ```ts
 * import { backtest } from "./backtest.ts";
 * import assert from "node:assert/strict";
 * // decide every 2 bars: bar 1's signal is ignored, the position from bar 0 is held 2 bars
 * const r = backtest([1, -1, -1, 0, 0], [100, 101, 102, 103, 104], { every: 2 });
 * assert.deepEqual([...r.position], [0, 1, 1, -1, -1]);
 * assert.equal(r.turnover, 3);
 * ```
 */
export function backtest(
  signal: Numbers,
  open: Numbers,
  options: BacktestOptions = {},
): BacktestResult {
  const {
    sizing = "sign",
    scale = 1,
    maxPosition = 1,
    threshold = 0,
    every = 1,
    offset = 0,
    missing = "flat",
    spread = 0,
    barsPerYear = BARS_PER_YEAR,
  } = options;
  sameLength("signal", signal, "open", open);
  positiveInt("every", every);
  nonNegative("spread", spread);
  nonNegative("threshold", threshold);
  nonNegative("maxPosition", maxPosition);
  if (!Number.isInteger(offset) || offset < 0) {
    throw new RangeError(`Expected offset to be an integer >= 0 but found ${offset}`);
  }
  if (!(scale > 0)) throw new RangeError(`Expected scale to be > 0 but found ${scale}`);
  if (!(barsPerYear > 0)) {
    throw new RangeError(`Expected barsPerYear to be > 0 but found ${barsPerYear}`);
  }
  if (sizing !== "sign" && sizing !== "scaled") {
    throw new RangeError(`Expected sizing to be "sign" or "scaled" but found ${sizing}`);
  }
  if (missing !== "flat" && missing !== "hold") {
    throw new RangeError(`Expected missing to be "flat" or "hold" but found ${missing}`);
  }
  const size = (s: number) => {
    if (!(Math.abs(s) > threshold)) return 0; // NaN too
    if (sizing === "sign") return s > 0 ? 1 : -1;
    return Math.max(-maxPosition, Math.min(maxPosition, s / scale));
  };
  const n = signal.length;
  const position = new Float64Array(n), pnl = new Float64Array(n), cost = new Float64Array(n);
  const cumPnl = new Float64Array(n);
  let target = 0, prev = 0, cum = 0, peak = 0, maxDd = 0;
  let bars = 0, sum = 0, sumSq = 0, turnover = 0, trades = 0, hits = 0, hitBars = 0;
  const phase = offset % every;
  for (let t = 0; t < n; t++) {
    const pos = target; // decided at t − 1 (or earlier), filled at open(t)
    position[t] = pos;
    const move = t + 1 < n ? open[t + 1] - open[t] : NaN;
    const dPos = Math.abs(pos - prev);
    cost[t] = spread * dPos;
    if (move === move) {
      const p = pos * move - cost[t];
      pnl[t] = p;
      bars++;
      sum += p;
      sumSq += p * p;
      cum += p;
      turnover += dPos;
      if (dPos > 0) trades++;
      if (pos !== 0 && move !== 0) {
        hitBars++;
        if (pos * move > 0) hits++;
      }
      if (cum > peak) peak = cum;
      if (peak - cum > maxDd) maxDd = peak - cum;
    } else pnl[t] = NaN;
    cumPnl[t] = cum;
    prev = pos;
    // decision at the close of t, for the fill at open(t + 1)
    if (t % every === phase) {
      const s = signal[t];
      if (s === s || missing === "flat") target = size(s);
    }
  }
  const mean = bars > 0 ? sum / bars : NaN;
  const variance = bars > 1 ? Math.max(0, (sumSq - bars * mean * mean) / (bars - 1)) : NaN;
  const sd = Math.sqrt(variance);
  return {
    position,
    pnl,
    cost,
    cumPnl,
    total: sum,
    sharpe: sd > 0 ? (mean / sd) * Math.sqrt(barsPerYear) : NaN,
    maxDrawdown: maxDd,
    turnover,
    trades,
    hitRate: hitBars > 0 ? hits / hitBars : NaN,
    hitBars,
    bars,
    barsPerYear,
  };
}

/**
 * Bars per year measured from the data: (rows − 1) / (span in Julian years of 365.25 days).
 * Weekend closures are inside the span, so this is the data's own annual bar rate.
 * @param tsMs bar start times, epoch milliseconds
 * @returns bars per year (NaN for fewer than 2 bars or a zero span)
 * @example
 * ```ts
 * import { measuredBarsPerYear } from "./backtest.ts";
 * import assert from "node:assert/strict";
 * // one bar a day for a (Julian) year
 * const ts = Float64Array.from({ length: 366 }, (_, i) => i * 86_400_000 * 365.25 / 365);
 * assert.ok(Math.abs(measuredBarsPerYear(ts) - 365) < 1e-9);
 * ```
 */
export function measuredBarsPerYear(tsMs: Numbers): number {
  const n = tsMs.length;
  if (n < 2) return NaN;
  const years = (tsMs[n - 1] - tsMs[0]) / (365.25 * 86_400_000);
  return years > 0 ? (n - 1) / years : NaN;
}

/**
 * A spread in price units expressed in rate-index points: the index is 100 · close / base close
 * (SPEC §2), so a price difference Δ is 100 · Δ / base close points.
 * @param spread the pair's bid–ask spread in price units (e.g. 0.0001 for 1 EURUSD pip)
 * @param baseClose the close at the pair's index base bar
 * @returns the spread in index points
 * @example
 * ```ts
 * import { spreadToIndexPoints } from "./backtest.ts";
 * import assert from "node:assert/strict";
 * assert.ok(Math.abs(spreadToIndexPoints(0.0001, 1.25) - 0.008) < 1e-15);
 * ```
 */
export function spreadToIndexPoints(spread: number, baseClose: number): number {
  nonNegative("spread", spread);
  if (!(baseClose > 0)) throw new RangeError(`Expected baseClose to be > 0 but found ${baseClose}`);
  return 100 * spread / baseClose;
}

/**
 * Default bid–ask spreads in pips per pair (the data carries bid bars only, SPEC §2, so the cost
 * is an assumption): typical retail ECN averages over a day — USD majors 0.8–1.5, EUR/GBP/JPY
 * crosses 1.2–2.0, the rest 1.6–3.2 (GBPNZD widest). Used by runs for the net backtest.
 */
export const DEFAULT_SPREAD_PIPS: Readonly<Record<string, number>> = {
  eurusd: 0.8,
  usdjpy: 0.9,
  audusd: 1.0,
  gbpusd: 1.2,
  usdchf: 1.3,
  usdcad: 1.4,
  nzdusd: 1.5,
  eurgbp: 1.2,
  eurjpy: 1.4,
  eurchf: 1.6,
  euraud: 2.0,
  eurcad: 2.2,
  eurnzd: 2.8,
  gbpjpy: 2.0,
  gbpchf: 2.4,
  gbpaud: 2.4,
  gbpcad: 2.6,
  gbpnzd: 3.2,
  audjpy: 1.6,
  audnzd: 2.2,
  audcad: 1.8,
  audchf: 2.0,
  nzdjpy: 2.0,
  nzdcad: 2.4,
  nzdchf: 2.4,
  cadjpy: 1.8,
  cadchf: 2.2,
  chfjpy: 2.2,
};

/**
 * One pip in price units: 0.01 for JPY-quoted pairs, 0.0001 otherwise.
 * @param pair canonical pair name (lower case, e.g. "usdjpy")
 * @returns the pip size
 * @example
 * ```ts
 * import { pipSize } from "./backtest.ts";
 * import assert from "node:assert/strict";
 * assert.equal(pipSize("usdjpy"), 0.01);
 * assert.equal(pipSize("eurusd"), 0.0001);
 * ```
 */
export function pipSize(pair: string): number {
  return pair.toLowerCase().endsWith("jpy") ? 0.01 : 0.0001;
}

/**
 * A spread in pips in rate-index points at one bar (SPEC §6: spread / close · rate_index, which is
 * the same at every bar of the pair since rate_index / close = 100 / base close).
 * @param pips the spread in pips
 * @param pair canonical pair name (for the pip size)
 * @param close a bar's close (price units)
 * @param rateIndex the same bar's rate index
 * @returns the spread in index points
 * @example
 * ```ts
 * import { spreadPipsToIndex } from "./backtest.ts";
 * import assert from "node:assert/strict";
 * // 1 pip of EURUSD at close 1.25 with index 100 (base close 1.25): 100 · 0.0001 / 1.25
 * assert.ok(Math.abs(spreadPipsToIndex(1, "eurusd", 1.25, 100) - 0.008) < 1e-15);
 * ```
 */
export function spreadPipsToIndex(
  pips: number,
  pair: string,
  close: number,
  rateIndex: number,
): number {
  nonNegative("pips", pips);
  if (!(close > 0)) throw new RangeError(`Expected close to be > 0 but found ${close}`);
  return (pips * pipSize(pair)) / close * rateIndex;
}
