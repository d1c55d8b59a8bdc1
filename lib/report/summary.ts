/**
 * `summary.json`: the headline figures of one run per horizon — the best model (lowest test MSE
 * among the models, as `deno task runs` picks it) with its R², MSE, hit rate, Diebold–Mariano
 * statistic and p-values against the best baseline, Sharpe and backtest hit rate, and that best
 * baseline (the `dmVs` of the rows: the run's lowest-MSE baseline) with its own figures.
 *
 * Every number is **copied** from the run's `metrics.json` rows, never recomputed, so the summary
 * cannot disagree with the run (tests compare them field by field). NaN is written as null.
 *
 * @example
 * ```ts
 * import { headlines } from "./summary.ts";
 * import assert from "node:assert/strict";
 * const row = (model: string, kind: string, mse: number) => ({
 *   horizon: 15, model, kind, mse, r2: 1 - mse, dmVs: "train_mean", dmP: 0.01, sharpe: 1,
 * });
 * const [h] = headlines([
 *   row("ridge", "model", 0.5), row("gbdt", "model", 0.4), row("train_mean", "baseline", 0.9),
 * ]);
 * assert.equal(h.best?.model, "gbdt");
 * assert.equal(h.bestBaseline?.model, "train_mean");
 * assert.equal(h.beatsBaseline, true);
 * ```
 * @module
 */
import { jsonNaN, num } from "./_html.ts";

/** A metric row, as far as the summary reads it (metrics.json `rows[]`). */
export interface SummaryInputRow {
  horizon: number;
  model: string;
  kind: string;
  [field: string]: unknown;
}

/** Figures copied for the best model. */
export const MODEL_FIELDS = [
  "n",
  "r2",
  "mse",
  "mae",
  "hitRate",
  "dmStat",
  "dmP",
  "dmPBetter",
  "sharpe",
  "sharpeGross",
  "btHitRate",
  "coverage80",
] as const;

/** Figures copied for the best baseline. */
export const BASELINE_FIELDS = ["n", "r2", "mse", "mae", "hitRate", "sharpe"] as const;

/** One forecaster's headline figures (fields absent from metrics.json are left out). */
export interface Headline {
  model: string;
  [field: string]: number | string;
}

/** Headline of one horizon. */
export interface HorizonHeadline {
  horizon: number;
  /** Lowest-MSE model (null when the horizon has no model row with a finite MSE). */
  best: Headline | null;
  /** The baseline the DM test compared with. */
  bestBaseline: Headline | null;
  /** best.mse < bestBaseline.mse. */
  beatsBaseline: boolean;
  /** The DM one-sided p-value of best vs the baseline is below 0.05. */
  significant: boolean;
}

function pick(row: SummaryInputRow, fields: readonly string[]): Headline {
  const out: Headline = { model: row.model };
  for (const f of fields) {
    if (f in row) out[f] = num(row[f]);
  }
  if (typeof row.dmVs === "string" && fields.includes("dmP")) out.dmVs = row.dmVs;
  return out;
}

/**
 * Per horizon (in row order): best model and best baseline, figures copied from the rows.
 * @param rows metrics.json rows
 * @returns one headline per horizon
 */
export function headlines(rows: readonly SummaryInputRow[]): HorizonHeadline[] {
  const horizons = [...new Set(rows.map((r) => r.horizon))];
  return horizons.map((h) => {
    const hr = rows.filter((r) => r.horizon === h);
    let best: SummaryInputRow | undefined;
    for (const r of hr) {
      if (r.kind !== "model" || !Number.isFinite(num(r.mse))) continue;
      if (!best || num(r.mse) < num(best.mse)) best = r;
    }
    const vs = (best?.dmVs ?? hr.find((r) => typeof r.dmVs === "string")?.dmVs) as
      | string
      | undefined;
    let base = hr.find((r) => r.model === vs && r.kind === "baseline");
    if (!base) {
      for (const r of hr) {
        if (r.kind !== "baseline" || !Number.isFinite(num(r.mse))) continue;
        if (!base || num(r.mse) < num(base.mse)) base = r;
      }
    }
    const bestH = best ? pick(best, MODEL_FIELDS) : null;
    const baseH = base ? pick(base, BASELINE_FIELDS) : null;
    return {
      horizon: h,
      best: bestH,
      bestBaseline: baseH,
      beatsBaseline: !!(best && base && num(best.mse) < num(base.mse)),
      significant: !!(best && num(best.dmPBetter) < 0.05),
    };
  });
}

/** What summary.json holds. */
export interface ReportSummary {
  run: string;
  kind: string;
  dataHash: string;
  generatedAt: string;
  pairs: string[];
  models: string[];
  horizons: HorizonHeadline[];
  /** Leakage / calibration flags raised in the validation report (count per horizon). */
  flags: Record<string, number>;
}

/** Options of {@linkcode buildSummary}. */
export interface SummaryOptions {
  /** Generation time. @default new Date() */
  now?: Date;
  /** Flags per horizon (from the validation report). @default {} */
  flags?: Record<string, number>;
}

/**
 * The summary object of one run.
 * @param run id, kind, data hash, config (pairs, models) and metric rows
 * @param options generation time, flag counts
 * @returns the {@linkcode ReportSummary}
 */
export function buildSummary(
  run: {
    id: string;
    kind: string;
    dataHash: string;
    config: Record<string, unknown>;
    rows: readonly SummaryInputRow[];
  },
  options: SummaryOptions = {},
): ReportSummary {
  const { now = new Date(), flags = {} } = options;
  const strings = (v: unknown) => (Array.isArray(v) ? v.map(String) : []);
  return {
    run: run.id,
    kind: run.kind,
    dataHash: run.dataHash,
    generatedAt: now.toISOString(),
    pairs: strings(run.config.pairs),
    models: strings(run.config.models),
    horizons: headlines(run.rows),
    flags,
  };
}

/**
 * summary.json text: 2-space JSON, NaN as null, trailing newline.
 * @param summary from {@linkcode buildSummary}
 * @returns the file text
 */
export function summaryJson(summary: ReportSummary): string {
  return JSON.stringify(summary, jsonNaN, 2) + "\n";
}
