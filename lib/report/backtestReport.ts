/**
 * The backtest report of one run (SPEC §6 trading view) as one self-contained HTML page: per
 * horizon and forecaster, the equity curve and drawdown, Sharpe, hit rate, trades, turnover and
 * drawdowns, recomputed from `predictions.parquet` + `idx_open` with `lib/eval/backtest.ts`
 * under the run's own convention (`lib/eval/score.ts`, `run.ts` module docs):
 *
 * - rows of a horizon in file order, cut into consecutive **pair blocks** (each time-ordered);
 *   blocks of fewer than 2 rows are skipped;
 * - signal = −ŷ (with window = horizon a positive BQX forecast says the index falls), sign
 *   sizing, one decision every h rows, filled at the next row's open on the rate-index scale;
 * - cost = the pair's spread in index points (`config.backtest.spreadIndexPoints[pair]`, 0 when
 *   the run recorded none) per unit of |Δposition|; "gross" = the same without cost;
 * - aggregation as the run: Sharpe = mean of the per-pair annualized Sharpe, hit rate pooled over
 *   pairs, totals / trades / turnover summed, max drawdown = the worst pair's.
 *
 * So the table's Sharpe, hit rate, trades and total equal `metrics.json` (the page says so, or
 * shows the difference when a run was scored otherwise). The portfolio curve adds every pair's
 * bar PnL at its time stamp (equal weight, one unit per pair); its max drawdown is reported as
 * "portfolio max DD". Charts are thinned for size (min/max per bucket, `charts.ts`), the numbers
 * are not.
 * @module
 */
import { backtest, type BacktestResult } from "../eval/backtest.ts";
import { drawdownChart, equityChart, type EquitySeries } from "./charts.ts";
import { escapeHtml, figure, keyValues, num, page } from "./_html.ts";
import { htmlTable } from "./tables.ts";
import type { PredictionBlock, ReportRow, RunArtifacts } from "./_run.ts";

/** Backtest figures of one forecaster on one horizon. */
export interface ForecasterBacktest {
  model: string;
  kind: string;
  /** Mean over pair blocks of the annualized net Sharpe. */
  sharpe: number;
  /** Same, before costs. */
  sharpeGross: number;
  /** Net PnL, index points, summed over pairs. */
  total: number;
  totalGross: number;
  /** Pooled hit rate (bars with a position and a move). */
  hitRate: number;
  hitBars: number;
  trades: number;
  /** Σ|Δposition| over pairs. */
  turnover: number;
  /** Worst pair's max drawdown (as metrics.json). */
  maxDrawdown: number;
  /** Max drawdown of the summed (portfolio) curve. */
  portfolioMaxDrawdown: number;
  /** Portfolio cumulative PnL over time (all bars of all pairs, time-sorted). */
  portfolio: { ts: Float64Array; cum: Float64Array };
  /** Per pair block: its cumulative net PnL. */
  pairs: { pair: string; ts: Float64Array; cum: Float64Array }[];
}

/** Options of {@linkcode backtestBlock}. */
export interface BacktestBlockOptions {
  /** Spread per pair in index points. @default {} (no cost) */
  spread?: Readonly<Record<string, number>>;
  /** Forecaster kinds (for the table). @default "model" */
  kinds?: Readonly<Record<string, string>>;
}

/** Consecutive runs of the same pair: [start, end). */
export function pairBlocks(pair: readonly string[]): [number, number][] {
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
 * Backtest every forecaster of one horizon's predictions (see the module doc).
 * @param block the horizon's rows (from predictions.parquet)
 * @param options spreads per pair, kinds
 * @returns one {@linkcode ForecasterBacktest} per forecaster, in the block's order
 * @example
 * ```ts
 * import { backtestBlock } from "./backtestReport.ts";
 * import assert from "node:assert/strict";
 * // one pair, h = 1: forecast −1 → long; opens rise by 1 each bar
 * const [r] = backtestBlock({
 *   horizon: 1, ts: Float64Array.of(0, 60e3, 120e3), pair: ["eurusd", "eurusd", "eurusd"],
 *   y: new Float64Array(3), idxOpen: Float64Array.of(100, 101, 102),
 *   forecasts: { ridge: Float64Array.of(-1, -1, -1) }, names: ["ridge"],
 * });
 * assert.equal(r.total, 1); // bar 0 flat, bar 1 long earns 102 − 101, bar 2 has no next open
 * assert.equal(r.trades, 1);
 * ```
 */
export function backtestBlock(
  block: PredictionBlock,
  options: BacktestBlockOptions = {},
): ForecasterBacktest[] {
  const { spread = {}, kinds = {} } = options;
  const h = block.horizon;
  const blocks = pairBlocks(block.pair).filter(([a, b]) => b - a >= 2);
  return block.names.map((name) => {
    const v = block.forecasts[name];
    const sharpes: number[] = [], grossSharpes: number[] = [];
    let hits = 0, hitBars = 0, trades = 0, total = 0, gross = 0, turnover = 0, maxDd = 0;
    const pairs: ForecasterBacktest["pairs"] = [];
    const evTs: number[] = [], evPnl: number[] = [];
    for (const [a, b] of blocks) {
      const sig = new Float64Array(b - a);
      for (let i = a; i < b; i++) sig[i - a] = -v[i];
      const op = block.idxOpen.subarray(a, b);
      const s = spread[block.pair[a]] ?? 0;
      const bt: BacktestResult = backtest(sig, op, { every: h, spread: s });
      const g = s > 0 ? backtest(sig, op, { every: h }) : bt;
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
      const ts = block.ts.subarray(a, b);
      pairs.push({ pair: block.pair[a], ts: ts.slice(), cum: bt.cumPnl });
      for (let i = 0; i < bt.pnl.length; i++) {
        if (bt.pnl[i] === bt.pnl[i]) {
          evTs.push(ts[i]);
          evPnl.push(bt.pnl[i]);
        }
      }
    }
    // portfolio: every pair's bar PnL at its stamp, time-sorted (stable), cumulated
    const order = Array.from(evTs, (_, i) => i).sort((i, j) => evTs[i] - evTs[j] || i - j);
    const pts = new Float64Array(order.length), cum = new Float64Array(order.length);
    let c = 0, peak = 0, pdd = 0;
    order.forEach((k, i) => {
      c += evPnl[k];
      pts[i] = evTs[k];
      cum[i] = c;
      if (c > peak) peak = c;
      if (peak - c > pdd) pdd = peak - c;
    });
    const mean = (a: number[]) => (a.length ? a.reduce((s, x) => s + x, 0) / a.length : NaN);
    return {
      model: name,
      kind: kinds[name] ?? "model",
      sharpe: mean(sharpes),
      sharpeGross: mean(grossSharpes),
      total,
      totalGross: gross,
      hitRate: hitBars ? hits / hitBars : NaN,
      hitBars,
      trades,
      turnover,
      maxDrawdown: maxDd,
      portfolioMaxDrawdown: pdd,
      portfolio: { ts: pts, cum },
      pairs,
    };
  });
}

/** Spread per pair in index points recorded in a run's config (empty = none). */
export function runSpreads(config: Record<string, unknown>): Record<string, number> {
  const bt = config.backtest as Record<string, unknown> | undefined;
  const s = bt?.spreadIndexPoints;
  if (!s || typeof s !== "object") return {};
  return Object.fromEntries(
    Object.entries(s as Record<string, unknown>).filter(([, v]) => typeof v === "number"),
  ) as Record<string, number>;
}

/** Options of {@linkcode backtestReport}. */
export interface BacktestReportOptions {
  /** Generation time printed in the page. @default new Date() */
  now?: Date;
  /** Test predictions per horizon (required for anything but the header). */
  predictions?: readonly PredictionBlock[];
}

/** The recomputed figures compared with metrics.json: largest relative difference. */
function agreement(results: ForecasterBacktest[], rows: readonly ReportRow[]): number {
  let worst = 0;
  const rel = (a: number, b: number) => {
    if (Number.isNaN(a) && Number.isNaN(b)) return 0;
    if (!Number.isFinite(a) || !Number.isFinite(b)) return Infinity;
    return Math.abs(a - b) / Math.max(1, Math.abs(b));
  };
  for (const r of results) {
    const m = rows.find((x) => x.model === r.model);
    if (!m) continue;
    const pairs: [number, unknown][] = [
      [r.sharpe, m.sharpe],
      [r.hitRate, m.btHitRate],
      [r.trades, m.btTrades],
      [r.total, m.btTotal],
    ];
    for (const [a, b] of pairs) if (typeof b === "number") worst = Math.max(worst, rel(a, b));
  }
  return worst;
}

const TABLE_COLUMNS = [
  { key: "model", label: "forecaster" },
  { key: "kind" },
  { key: "sharpe", label: "Sharpe", best: "max" as const },
  { key: "sharpeGross", label: "Sharpe gross", best: "max" as const },
  { key: "total", label: "PnL (net)", best: "max" as const },
  { key: "totalGross", label: "PnL gross", best: "max" as const },
  { key: "hitRate", label: "hit rate", best: "max" as const },
  { key: "hitBars", label: "hit bars", format: { kind: "int" as const } },
  { key: "trades", format: { kind: "int" as const } },
  { key: "turnover", best: "min" as const },
  { key: "maxDrawdown", label: "max DD (worst pair)", best: "min" as const },
  { key: "portfolioMaxDrawdown", label: "portfolio max DD", best: "min" as const },
];

/**
 * Build the backtest page of a run (see the module doc).
 * @param run the run's artifacts
 * @param options generation time, predictions
 * @returns the HTML and the per-horizon results
 */
export function backtestReport(
  run: RunArtifacts,
  options: BacktestReportOptions = {},
): { html: string; results: { horizon: number; forecasters: ForecasterBacktest[] }[] } {
  const { now = new Date(), predictions } = options;
  const spread = runSpreads(run.config);
  const bt = (run.config.backtest ?? {}) as Record<string, unknown>;
  const header = `<section id="setup"><h2>Setup</h2>${
    keyValues([
      ["run", run.id],
      ["kind", run.kind],
      ["data hash", run.dataHash || "–"],
      ["generated", now.toISOString()],
      ["signal", bt.signal ?? "−forecast"],
      ["sizing", bt.sizing ?? "sign"],
      ["decisions", `every ${bt.every ?? "h"} bars (non-overlapping holds)`],
      ["fill", bt.fill ?? "next row's open on the rate-index scale"],
      ["cost", Object.keys(spread).length ? spread : "none recorded (gross)"],
    ])
  }<p class="note">Recomputed from predictions.parquet with lib/eval/backtest.ts: per pair block, ` +
    `Sharpe annualized with 252 · 1440 bars a year, averaged over pairs; hit rate pooled; PnL in ` +
    `rate-index points (≈ % of the base-date rate), summed over pairs. The portfolio curve adds ` +
    `every pair's PnL at its time stamp (one unit per pair).</p></section>`;
  if (!predictions) {
    const html = page(
      `${header}<p class="note">No predictions.parquet in the run: no backtest.</p>`,
      { title: `Backtest report — run ${run.id}`, generatedAt: now },
    );
    return { html, results: [] };
  }
  const kinds = Object.fromEntries(run.rows.map((r) => [r.model, r.kind]));
  const results: { horizon: number; forecasters: ForecasterBacktest[] }[] = [];
  const sections = predictions.map((block) => {
    const res = backtestBlock(block, { spread, kinds });
    results.push({ horizon: block.horizon, forecasters: res });
    const rows = run.rows.filter((r) => r.horizon === block.horizon);
    const diff = agreement(res, rows);
    const check = diff <= 1e-9
      ? `<p class="note">Sharpe, hit rate, trades and PnL agree with metrics.json.</p>`
      : `<div class="flag">Recomputed figures differ from metrics.json (largest relative ` +
        `difference ${escapeHtml(diff.toExponential(2))}): the run scored its backtest ` +
        `differently (e.g. walk-forward folds); metrics.json stays the reference.</div>`;
    const table = htmlTable(res as unknown as Record<string, unknown>[], {
      columns: TABLE_COLUMNS,
      className: "backtest",
      rowClass: (r) => (r.kind === "baseline" ? "baseline" : undefined),
    });
    const equity: EquitySeries[] = res.map((r) => ({
      name: r.model,
      ts: r.portfolio.ts,
      value: r.portfolio.cum,
    }));
    const models = res.filter((r) => r.kind === "model");
    const best = models.reduce<ForecasterBacktest | undefined>((m, r) => {
      const mse = (x: ForecasterBacktest) => num(rows.find((q) => q.model === x.model)?.mse);
      return !m || mse(r) < mse(m) ? r : m;
    }, undefined);
    const seen = new Map<string, number>();
    const perPair: EquitySeries[] = (best?.pairs ?? []).map((p) => {
      const k = (seen.get(p.pair) ?? 0) + 1;
      seen.set(p.pair, k);
      return { name: k > 1 ? `${p.pair} (${k})` : p.pair, ts: p.ts, value: p.cum };
    });
    const h = block.horizon;
    return `<section id="h${h}"><h2>h = ${h}</h2>${table}${check}<div class="charts">${
      figure(`Portfolio equity, net (h = ${h})`, equityChart(equity, { width: 560 }))
    }${figure(`Portfolio drawdown (h = ${h})`, drawdownChart(equity, { width: 560 }))}${
      best
        ? figure(
          `Equity per pair, ${best.model} (best model by test MSE, h = ${h})`,
          equityChart(perPair, { width: 560, maxPoints: 300 }),
        )
        : ""
    }</div></section>`;
  });
  const nav = `<nav><a href="#setup">Setup</a>${
    predictions.map((b) => `<a href="#h${b.horizon}">h = ${b.horizon}</a>`).join("")
  }</nav>`;
  const html = page(`${nav}\n${header}\n${sections.join("\n")}`, {
    title: `Backtest report — run ${run.id}`,
    subtitle: `${run.kind} run · pairs ${
      (run.config.pairs as string[] | undefined)?.join(", ") ?? "?"
    } · horizons ${predictions.map((b) => b.horizon).join(", ")}`,
    generatedAt: now,
  });
  return { html, results };
}
