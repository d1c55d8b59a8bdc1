/**
 * The validation report of one run (SPEC §6) as one self-contained HTML page (inline CSS, charts
 * inlined as SVG, no scripts, no external resources): what was run (config, data hash, segment
 * spans or walk-forward folds, generation time), the headline per horizon, the test metrics of
 * every model **beside the baselines** per horizon, the Diebold–Mariano results against the best
 * baseline, the calibration / leakage audit, calibration and error-distribution charts from
 * `predictions.parquet`, and the breakdown by pair / session / volatility / trend when the run
 * wrote `breakdown.json`.
 *
 * Every number in the tables is read from the run's `metrics.json` / `breakdown.json` (reports
 * read, never retrain or rescore); the charts' bins are computed from `predictions.parquet`.
 *
 * **Leakage flags** use `leakageFlags` (`lib/eval/calibration.ts`): per forecaster, its hit rate
 * and R² per horizon, n = its hit-rate rows, target window = horizon unless the config records a
 * fixed window (`targetWindow` / `fixedWindow`). Caveat printed with them: the directional
 * accuracy is the sign of ŷ − w{h}(t) against y − w{h}(t); with window = horizon the target
 * w{h}(t + h) shares only idx(t) with w{h}(t), so the realized change is dominated by −w{h}(t),
 * which is known at t — even the train mean scores far above 50 %. Read a flag against the
 * baselines' hit rates (shown beside), and the backtest hit rate (decisions every h bars) as the
 * cleaner directional measure.
 * @module
 */
import { type LeakageFlag, leakageFlags } from "../eval/calibration.ts";
import {
  calibrationBins,
  calibrationChart,
  errorHistogramChart,
  foldMetricChart,
  metricByHorizonChart,
} from "./charts.ts";
import { escapeHtml, figure, formatNumber, isoTime, keyValues, num, page } from "./_html.ts";
import { htmlTable, parseCsv, recordKeys, type TableColumn } from "./tables.ts";
import type { PredictionBlock, ReportRow, RunArtifacts } from "./_run.ts";
import { buildSummary, type ReportSummary } from "./summary.ts";

/** Known metric columns of the per-horizon table, in order (others present are appended). */
export const METRIC_COLUMNS: readonly TableColumn[] = [
  { key: "model", label: "forecaster" },
  { key: "kind" },
  { key: "n", format: { kind: "int" } },
  { key: "r2", label: "R²", best: "max" },
  { key: "mae", label: "MAE", best: "min" },
  { key: "rmse", label: "RMSE", best: "min" },
  { key: "mse", label: "MSE", best: "min" },
  {
    key: "hitRate",
    label: "hit rate",
    best: "max",
    title: "sign(ŷ − w{h}(t)) = sign(y − w{h}(t))",
  },
  { key: "hitN", label: "hit n", format: { kind: "int" } },
  { key: "coverage80", label: "cover 80 %", title: "share of rows in the 80 % interval" },
  { key: "width80", label: "width 80 %" },
  {
    key: "sharpe",
    label: "Sharpe",
    best: "max",
    title: "annualized, net of spread, mean over pairs",
  },
  { key: "sharpeGross", label: "Sharpe gross", best: "max" },
  { key: "btHitRate", label: "bt hit", best: "max", title: "backtest hit rate, pooled over pairs" },
  { key: "iterations", label: "iter", format: { kind: "int" } },
];

/** Fields of a metrics row never shown in the metrics table (DM has its own; timing is noise). */
const HIDDEN = new Set([
  "horizon",
  "dmVs",
  "dmStat",
  "dmP",
  "dmPBetter",
  "btTrades",
  "btTotal",
  "btTotalGross",
  "maxDrawdown",
  "turnover",
  "fitSeconds",
]);

/** The metrics-table columns for these rows: known ones present, then extra numeric fields. */
export function metricColumns(rows: readonly ReportRow[]): TableColumn[] {
  const keys = recordKeys(rows as readonly Record<string, unknown>[]);
  const known = METRIC_COLUMNS.filter((c) => keys.includes(c.key));
  const knownKeys = new Set(METRIC_COLUMNS.map((c) => c.key));
  const extra = keys.filter((k) => !knownKeys.has(k) && !HIDDEN.has(k)).map((key) => ({ key }));
  return [...known, ...extra];
}

/** A flag with the forecaster it was raised for. */
export interface ForecasterFlag extends LeakageFlag {
  model: string;
  kind: string;
}

/** The audit of a run: flags raised and horizons skipped (per forecaster). */
export interface RunAudit {
  flags: ForecasterFlag[];
  skipped: { model: string; horizon: number; reason: string }[];
  /** Target window per horizon used for the audit. */
  window: (h: number) => number;
}

/**
 * SPEC §6 calibration audit of every forecaster of a run (see the module doc).
 * @param rows metrics.json rows
 * @param config config.json (a numeric `targetWindow` / `fixedWindow` marks a fixed window)
 * @returns flags and skipped horizons
 */
export function auditRun(
  rows: readonly ReportRow[],
  config: Record<string, unknown> = {},
): RunAudit {
  const fixed = num(config.targetWindow ?? config.fixedWindow);
  const window = (h: number) => (Number.isFinite(fixed) ? fixed : h);
  const flags: ForecasterFlag[] = [];
  const skipped: RunAudit["skipped"] = [];
  const models = [...new Set(rows.map((r) => r.model))];
  for (const model of models) {
    const mine = rows.filter((r) => r.model === model);
    const kind = mine[0].kind;
    const res = leakageFlags(
      mine.map((r) => ({
        horizon: r.horizon,
        hitRate: num(r.hitRate),
        r2: num(r.r2),
        window: window(r.horizon),
        n: Number.isFinite(num(r.hitN)) ? num(r.hitN) : num(r.n),
      })),
    );
    for (const f of res.flags) flags.push({ ...f, model, kind });
    for (const s of res.skipped) skipped.push({ model, ...s });
  }
  return { flags, skipped, window };
}

/** Options of {@linkcode validationReport}. */
export interface ValidationReportOptions {
  /** Generation time printed in the page. @default new Date() */
  now?: Date;
  /** Test predictions per horizon (charts); without them the chart sections say so. */
  predictions?: readonly PredictionBlock[];
  /** Calibration bins. @default 10 */
  bins?: number;
}

function verdict(r: ReportRow): string {
  if (r.model === r.dmVs) return "reference";
  const p1 = num(r.dmPBetter), p = num(r.dmP), s = num(r.dmStat);
  if (p1 < 0.05) return "better (5 %)";
  if (p < 0.05 && s > 0) return "worse (5 %)";
  if (!Number.isFinite(p)) return "–";
  return "no significant difference";
}

function segmentsSection(run: RunArtifacts): string {
  const segs = Object.entries(run.segments).filter(([, s]) => s && typeof s === "object");
  let out = "";
  if (segs.length) {
    out += htmlTable(
      segs.map(([name, s]) => ({
        segment: name,
        start: typeof s.startIso === "string" ? s.startIso : isoTime(num(s.start)),
        end: typeof s.endIso === "string" ? s.endIso : isoTime(num(s.end)),
        rows: num(s.rows),
      })),
      {
        caption: "Segments (end exclusive)",
        columns: [
          { key: "segment" },
          { key: "start" },
          { key: "end" },
          { key: "rows", format: { kind: "int" } },
        ],
      },
    );
  }
  const folds = run.config.folds;
  if (Array.isArray(folds) && folds.length) {
    const spanOf = (f: Record<string, unknown>, k: string) =>
      (f[k] ?? {}) as Record<string, unknown>;
    out += htmlTable(
      folds.map((f: Record<string, unknown>) => ({
        fold: num(f.index),
        trainStart: spanOf(f, "train").startIso,
        trainEnd: spanOf(f, "train").endIso,
        trainRows: num(spanOf(f, "train").rows),
        testStart: spanOf(f, "test").startIso,
        testEnd: spanOf(f, "test").endIso,
        testRows: num(spanOf(f, "test").rows),
        partial: f.partial,
      })),
      {
        caption: "Walk-forward folds (config.json; test = the kept, scored rows)",
        columns: [
          { key: "fold", format: { kind: "int" } },
          { key: "trainStart", label: "train start" },
          { key: "trainEnd", label: "train end" },
          { key: "trainRows", label: "train rows", format: { kind: "int" } },
          { key: "testStart", label: "test start" },
          { key: "testEnd", label: "test end" },
          { key: "testRows", label: "test rows", format: { kind: "int" } },
          { key: "partial" },
        ],
      },
    );
  }
  return out;
}

/** Per-fold metrics (folds.csv): R² by fold per forecaster, a chart and a table per horizon. */
function foldsSection(run: RunArtifacts): string {
  if (!run.foldsCsv) return "";
  const recs = parseCsv(run.foldsCsv);
  const shaped = recs.length > 0 &&
    ["fold", "horizon", "model", "r2"].every((k) => k in recs[0]);
  if (!shaped) {
    return `<section id="folds"><h2>Walk-forward folds</h2>${
      htmlTable(recs.slice(0, 500), { caption: "folds.csv (first 500 rows)" })
    }</section>`;
  }
  const parts = [...new Set(recs.map((r) => num(r.horizon)))].map((h) => {
    const rows = recs.filter((r) => r.horizon === h);
    const models = [...new Set(rows.map((r) => String(r.model)))];
    const foldIds = [...new Set(rows.map((r) => num(r.fold)))];
    const table = models.map((model) => {
      const rec: Record<string, unknown> = { model };
      for (const r of rows) if (String(r.model) === model) rec[`fold ${r.fold}`] = num(r.r2);
      return rec;
    });
    const points = rows.map((r) => ({
      fold: num(r.fold),
      model: String(r.model),
      value: num(r.r2),
    }));
    return `<h3>h = ${h}</h3>${
      figure(`Test R² per fold (h = ${h})`, foldMetricChart(points, { label: "R²" }))
    }${
      htmlTable(table, {
        caption: `R² per fold (h = ${h}); best forecaster per fold in bold`,
        columns: [
          { key: "model", label: "forecaster" },
          ...foldIds.map((f) => ({ key: `fold ${f}`, best: "max" as const })),
        ],
      })
    }`;
  }).join("\n");
  return `<section id="folds"><h2>Walk-forward folds (folds.csv)</h2><p class="note">Point ` +
    `metrics of every fold on its kept test rows; the pooled figures above are over all folds' ` +
    `rows.</p>${parts}</section>`;
}

function configSection(run: RunArtifacts, now: Date): string {
  const c = run.config;
  const entries: [string, unknown][] = [
    ["run", run.id],
    ["kind", run.kind],
    ["data hash", run.dataHash || "–"],
    ["generated", now.toISOString()],
  ];
  for (
    const k of ["pairs", "models", "horizons", "seed", "target", "split", "walkForward", "months"]
  ) {
    if (k in c) entries.push([k, c[k]]);
  }
  if ("featureCount" in c) {
    entries.push(["features", `${c.featureCount} (${JSON.stringify(c.features)})`]);
  }
  return `<section id="run"><h2>Run</h2>${keyValues(entries)}${segmentsSection(run)}` +
    `<details><summary>Full config.json</summary><pre>${
      escapeHtml(JSON.stringify(c, null, 2))
    }</pre></details></section>`;
}

function headlineSection(summary: ReportSummary): string {
  const recs = summary.horizons.map((h) => ({
    horizon: h.horizon,
    best: h.best?.model ?? "–",
    r2: num(h.best?.r2),
    dmVs: h.bestBaseline?.model ?? "–",
    dmP: num(h.best?.dmP),
    dmPBetter: num(h.best?.dmPBetter),
    sharpe: num(h.best?.sharpe),
    baseR2: num(h.bestBaseline?.r2),
    beats: h.beatsBaseline,
  }));
  return `<section id="headline"><h2>Headline</h2>${
    htmlTable(recs, {
      columns: [
        { key: "horizon", format: { kind: "int" } },
        { key: "best", label: "best model (test MSE)" },
        { key: "r2", label: "R²" },
        { key: "dmVs", label: "best baseline" },
        { key: "baseR2", label: "baseline R²" },
        { key: "beats", label: "lower MSE than baseline" },
        { key: "dmP", label: "DM p (two-sided)" },
        { key: "dmPBetter", label: "DM p (better)" },
        { key: "sharpe", label: "Sharpe" },
      ],
    })
  }</section>`;
}

function metricsSection(run: RunArtifacts): string {
  const cols = metricColumns(run.rows);
  const tables = run.horizons.map((h) => {
    const rows = run.rows.filter((r) => r.horizon === h);
    return `<h3 id="metrics-h${h}">h = ${h}</h3>` +
      htmlTable(rows as readonly Record<string, unknown>[], {
        columns: cols,
        className: "metrics",
        rowClass: (r) => (r.kind === "baseline" ? "baseline" : undefined),
      });
  }).join("\n");
  const points = (key: string) =>
    run.rows.map((r) => ({ horizon: r.horizon, model: r.model, kind: r.kind, value: num(r[key]) }));
  const charts = `<div class="charts">${
    figure("Test R² by horizon", metricByHorizonChart(points("r2"), { label: "R²" }))
  }${
    figure(
      "Directional accuracy by horizon",
      metricByHorizonChart(points("hitRate"), { label: "hit rate", mark: "dot" }),
    )
  }</div>`;
  return `<section id="metrics"><h2>Test metrics per horizon (models and baselines)</h2>` +
    `<p class="note">Best value per column in bold. Baseline rows in grey. Hit rate = share of ` +
    `rows where sign(ŷ − w{h}(t)) = sign(y − w{h}(t)); zero change has no direction (–).</p>` +
    `${tables}${charts}</section>`;
}

function dmSection(run: RunArtifacts): string {
  const tables = run.horizons.map((h) => {
    const rows = run.rows.filter((r) => r.horizon === h).map((r) => ({
      model: r.model,
      kind: r.kind,
      dmVs: r.dmVs,
      dmStat: num(r.dmStat),
      dmP: num(r.dmP),
      dmPBetter: num(r.dmPBetter),
      verdict: verdict(r),
    }));
    return `<h3>h = ${h}</h3>` + htmlTable(rows, {
      className: "dm",
      columns: [
        { key: "model", label: "forecaster" },
        { key: "kind" },
        { key: "dmVs", label: "vs (best baseline)" },
        { key: "dmStat", label: "DM statistic" },
        { key: "dmP", label: "p (two-sided)" },
        { key: "dmPBetter", label: "p (better)" },
        { key: "verdict" },
      ],
    });
  }).join("\n");
  return `<section id="dm"><h2>Diebold–Mariano tests</h2><p class="note">Squared-error loss ` +
    `against the best baseline (lowest test MSE), HAC variance with h − 1 lags and the HLN ` +
    `correction; negative statistic = lower loss than the baseline; "p (better)" is one-sided.` +
    `</p>${tables}</section>`;
}

function auditSection(run: RunArtifacts, audit: RunAudit): string {
  const hits = run.horizons.map((h) => {
    const rec: Record<string, unknown> = { horizon: h, window: audit.window(h) };
    for (const r of run.rows.filter((x) => x.horizon === h)) rec[r.model] = num(r.hitRate);
    return rec;
  });
  const flags = audit.flags.length
    ? audit.flags.map((f) =>
      `<div class="flag"><b>${escapeHtml(f.model)}</b> (${escapeHtml(f.kind)}): ${
        escapeHtml(f.reason)
      }</div>`
    ).join("")
    : `<div class="ok">No forecaster crosses the SPEC §6 thresholds (hit rate outside ` +
      `45–55 %, R² above 5 %) on an audited horizon.</div>`;
  const skipped = audit.skipped.length
    ? htmlTable(audit.skipped, {
      caption: "Not audited",
      columns: [{ key: "model", label: "forecaster" }, { key: "horizon" }, { key: "reason" }],
    })
    : "";
  return `<section id="audit"><h2>Calibration and leakage audit</h2>` +
    `<p class="note">SPEC §6: credible directional accuracy at these horizons is near 50.5–53 % ` +
    `and out-of-sample R² near 0–1 %; a non-overlapping target scored far above that (hit rate ` +
    `&gt; 55 %) is flagged for a leakage, label-balance and cost audit. <b>Window = horizon ` +
    `caveat:</b> the targets here are w{h}(t + h) with window = horizon (non-overlapping with ` +
    `w{h}(t) except idx(t)), and the hit rate scores the change from w{h}(t), which is known at ` +
    `t; that change is dominated by −w{h}(t), so even the train-mean baseline scores well above ` +
    `50 %. Compare a flagged model with the baselines' hit rates below, and with the backtest ` +
    `hit rate (one decision every h bars) in the backtest report.</p>${flags}${
      htmlTable(hits, { caption: "Hit rate per horizon and forecaster" })
    }${skipped}</section>`;
}

function chartsSection(
  predictions: readonly PredictionBlock[] | undefined,
  bins: number,
): string {
  if (!predictions) {
    return `<section id="calibration"><h2>Calibration and errors</h2><p class="note">` +
      `No predictions.parquet in the run: no calibration or error charts.</p></section>`;
  }
  const parts = predictions.map((b) => {
    const names = b.names.filter((n) => n !== "zero_change" || b.names.length === 1);
    const points = names.flatMap((n) => calibrationBins(b.y, b.forecasts[n], { bins, name: n }));
    const errors = b.names.map((n) => ({
      name: n,
      values: b.y.map((y, i) => y - b.forecasts[n][i]),
    }));
    return `<h3>h = ${b.horizon}</h3><div class="charts">${
      figure(
        `Mean realized vs mean predicted by forecast decile (h = ${b.horizon})`,
        calibrationChart(points, { label: `target_${b.horizon}`, width: 520 }),
      )
    }${
      figure(`Error distribution (h = ${b.horizon})`, errorHistogramChart(errors, { width: 520 }))
    }</div>`;
  }).join("\n");
  return `<section id="calibration"><h2>Calibration and errors</h2><p class="note">Forecast ` +
    `deciles (equal-count bins of ŷ) on the test rows; zero change is left out of the ` +
    `calibration chart (its forecast is the current BQX, not a forecast of the change). Error ` +
    `histograms share bins over the 0.5–99.5 % range of all errors; tails are clamped into the ` +
    `end bins.</p>${parts}</section>`;
}

const BREAKDOWN_METRICS = [
  { key: "r2", label: "R²", best: "max" as const },
  { key: "hitRate", label: "hit rate", best: "max" as const },
];

function breakdownSection(run: RunArtifacts): string {
  const b = run.breakdown;
  if (!b || b.length === 0) return "";
  const shaped = b.every((r) => "by" in r && "group" in r && "model" in r && "horizon" in r);
  if (!shaped) {
    return `<section id="breakdown"><h2>Breakdown</h2>${
      htmlTable(b.slice(0, 500), { caption: "breakdown.json (first 500 rows)" })
    }</section>`;
  }
  const horizons = [...new Set(b.map((r) => r.horizon as number))];
  const bys = [...new Set(b.map((r) => String(r.by)))];
  const parts: string[] = [];
  for (const h of horizons) {
    parts.push(`<h3>h = ${h}</h3>`);
    for (const by of bys) {
      const rows = b.filter((r) => r.horizon === h && String(r.by) === by);
      if (!rows.length) continue;
      const groups = [...new Set(rows.map((r) => String(r.group)))];
      const models = [...new Set(rows.map((r) => String(r.model)))];
      for (const m of BREAKDOWN_METRICS) {
        const recs = models.map((model) => {
          const rec: Record<string, unknown> = { model };
          for (const r of rows) if (String(r.model) === model) rec[String(r.group)] = num(r[m.key]);
          return rec;
        });
        parts.push(
          `${
            htmlTable(recs, {
              caption: `${m.label} by ${by} (h = ${h})`,
              columns: [
                { key: "model", label: "forecaster" },
                ...groups.map((g) => ({ key: g, best: m.best })),
              ],
            })
          }`,
        );
      }
    }
  }
  return `<section id="breakdown"><h2>Breakdown (breakdown.json)</h2><p class="note">Test ` +
    `metrics per group; R² around each group's own mean. Best forecaster per group in bold.</p>` +
    `${parts.join("\n")}</section>`;
}

/** What {@linkcode validationReport} returns. */
export interface ValidationPage {
  /** The page. */
  html: string;
  /** The summary built from the same rows (figures copied from metrics.json). */
  summary: ReportSummary;
  /** The leakage audit. */
  audit: RunAudit;
}

/**
 * Build the validation page of a run (see the module doc).
 * @param run the run's artifacts (`readRunArtifacts` in `_run.ts`; or any object of that shape)
 * @param options generation time, predictions for the charts, calibration bins
 * @returns the HTML, the summary and the audit
 */
export function validationReport(
  run: RunArtifacts,
  options: ValidationReportOptions = {},
): ValidationPage {
  const { now = new Date(), predictions, bins = 10 } = options;
  const audit = auditRun(run.rows, run.config);
  const flags: Record<string, number> = {};
  for (const h of run.horizons) {
    flags[String(h)] = audit.flags.filter((f) => f.horizon === h).length;
  }
  const summary = buildSummary(run, { now, flags });
  const nav = `<nav>${
    [
      ["run", "Run"],
      ["headline", "Headline"],
      ["metrics", "Metrics"],
      ["dm", "Diebold–Mariano"],
      ["audit", "Audit"],
      ["calibration", "Calibration"],
      ...(run.foldsCsv ? [["folds", "Folds"]] : []),
      ...(run.breakdown?.length ? [["breakdown", "Breakdown"]] : []),
    ].map(([id, t]) => `<a href="#${id}">${t}</a>`).join("")
  }</nav>`;
  const body = [
    nav,
    configSection(run, now),
    headlineSection(summary),
    metricsSection(run),
    dmSection(run),
    auditSection(run, audit),
    chartsSection(predictions, bins),
    foldsSection(run),
    breakdownSection(run),
  ].join("\n");
  const html = page(body, {
    title: `Validation report — run ${run.id}`,
    subtitle: `${run.kind} run · pairs ${
      (run.config.pairs as string[] | undefined)?.join(", ") ?? "?"
    } · horizons ${run.horizons.join(", ")} · ${formatNumber(run.rows.length)} metric rows`,
    generatedAt: now,
  });
  return { html, summary, audit };
}
