/**
 * Fixtures of the report tests: a real run directory made by `trainRun` (ridge only) on a tiny
 * synthetic lake — 3 USD pairs × 1 month with the planted signal, the lags family only, horizons
 * 15 and 30 — built once per test process and shared; and an HTML table reader (linkedom).
 * @module
 */
import { parseHTML } from "linkedom";
import { build } from "../../lib/data/build.ts";
import { LakeStore } from "../../lib/data/store.ts";
import { synthToStore } from "../../lib/data/synthToStore.ts";
import { buildFeatures } from "../../lib/features/build.ts";
import { lags } from "../../lib/features/lags.ts";
import { type RunSummary, trainRun } from "../../lib/eval/run.ts";
import type { PredictionBlock, ReportRow, RunArtifacts } from "../../lib/report/_run.ts";
import { rng } from "../eval/_fixture.ts";

/** Pairs and horizons of the fixture run. */
export const PAIRS = ["audusd", "nzdusd", "usdjpy"];
export const HORIZONS = [15, 30];

let fixture: Promise<{ root: string; runsDir: string; summary: RunSummary }> | undefined;

/** The shared fixture run (built on first use; removed by {@linkcode removeFixture}). */
export function fixtureRun(): Promise<{ root: string; runsDir: string; summary: RunSummary }> {
  fixture ??= (async () => {
    const root = await Deno.makeTempDir({ prefix: "bqx_report_" });
    const store = new LakeStore(`${root}/lake`);
    await synthToStore(store, {
      months: "2024-01",
      pairs: PAIRS,
      seed: 11,
      signal: true,
      silent: true,
    });
    await build(store, { silent: true, workers: 0 });
    await buildFeatures(store, { silent: true, workers: 0, families: [lags] });
    const runsDir = `${root}/runs`;
    const summary = await trainRun(store, {
      models: ["ridge"],
      pairs: PAIRS,
      horizons: HORIZONS,
      seed: 5,
      runsDir,
      silent: true,
    });
    return { root, runsDir, summary };
  })();
  return fixture;
}

/** Remove the fixture's temp directory (call from the file's last test). */
export async function removeFixture(): Promise<void> {
  if (!fixture) return;
  const { root } = await fixture;
  await Deno.remove(root, { recursive: true });
  fixture = undefined;
}

/** One parsed HTML table: caption, header texts, and rows of cells (text and data-value). */
export interface ParsedTable {
  caption: string;
  head: string[];
  rows: { text: string; value: string | null }[][];
  className: string;
}

/** Every `<table>` of an HTML document, parsed with linkedom. */
export function readTables(html: string): ParsedTable[] {
  const { document } = parseHTML(html) as unknown as { document: any };
  return [...document.querySelectorAll("table")].map((t: any) => ({
    caption: t.querySelector("caption")?.textContent ?? "",
    className: t.getAttribute("class") ?? "",
    head: [...t.querySelectorAll("thead th")].map((th: any) => th.textContent),
    rows: [...t.querySelectorAll("tbody tr")].map((tr: any) =>
      [...tr.querySelectorAll("td")].map((td: any) => ({
        text: td.textContent,
        value: td.getAttribute("data-value"),
      }))
    ),
  }));
}

/** A table's rows as records keyed by header text (cells as {text, value}). */
export function tableRecords(
  t: ParsedTable,
): Record<string, { text: string; value: string | null }>[] {
  return t.rows.map((r) => Object.fromEntries(t.head.map((h, j) => [h, r[j]])));
}

/**
 * An in-memory run (no training): 2 pairs × 2 horizons × 400 rows per pair, forecasters `model`
 * names plus the three baselines, seeded random metric rows and predictions (idx_open a random
 * walk). For page-shape and browser tests where the numbers need not come from a real fit.
 */
export function syntheticRun(
  seed: number,
  models: readonly string[] = ["ridge"],
): { run: RunArtifacts; predictions: PredictionBlock[] } {
  const { u, normal } = rng(seed);
  const names = [...models, "zero_change", "train_mean", "ridge_ar"];
  const pairs = ["eurusd", "usdjpy"], horizons = [15, 30], perPair = 400;
  const t0 = Date.UTC(2024, 0, 2);
  const rows: ReportRow[] = [];
  const predictions: PredictionBlock[] = [];
  for (const h of horizons) {
    const n = pairs.length * perPair;
    const ts = new Float64Array(n), y = new Float64Array(n), idxOpen = new Float64Array(n);
    const pair: string[] = [];
    for (let p = 0; p < pairs.length; p++) {
      let level = 100;
      for (let i = 0; i < perPair; i++) {
        const k = p * perPair + i;
        ts[k] = t0 + i * 60_000;
        pair.push(pairs[p]);
        level += 0.01 * normal();
        idxOpen[k] = level;
        y[k] = 0.01 * normal();
      }
    }
    const forecasts: Record<string, Float64Array> = {};
    for (const nm of names) forecasts[nm] = y.map((v) => 0.5 * v + 0.01 * normal());
    predictions.push({ horizon: h, ts, pair, y, idxOpen, forecasts, names });
    for (const nm of names) {
      rows.push({
        horizon: h,
        model: nm,
        kind: models.includes(nm) ? "model" : "baseline",
        n,
        r2: 0.1 * u() - 0.05,
        mae: 0.01 * u(),
        rmse: 0.01 * u(),
        mse: 1e-4 * u(),
        hitRate: nm === "zero_change" ? NaN : 0.5 + 0.04 * u(),
        hitN: n,
        dmVs: "ridge_ar",
        dmStat: normal(),
        dmP: u(),
        dmPBetter: u(),
        sharpe: normal(),
        btHitRate: 0.5 + 0.02 * normal(),
        btTrades: 10,
        btTotal: normal(),
        iterations: 0,
        fitSeconds: 0.1,
      });
    }
  }
  const run: RunArtifacts = {
    id: `synthetic-${seed}`,
    config: { kind: "split", pairs, models: [...models], horizons, seed },
    kind: "split",
    dataHash: "0".repeat(64),
    segments: {
      test: { start: t0, end: t0 + perPair * 60_000, rows: perPair * pairs.length },
    },
    rows,
    horizons,
  };
  return { run, predictions };
}
