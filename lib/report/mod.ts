/**
 * Report layer (SPEC §6): Observable Plot charts rendered to SVG strings, escaped HTML tables,
 * the self-contained validation and backtest pages of a run, its `summary.json`, and the writer
 * behind `deno task report`. Charts and tables are plain strings, usable in notebooks as they are.
 *
 * @example
 * ```ts
 * import { htmlTable, metricByHorizonChart } from "./mod.ts";
 * import assert from "node:assert/strict";
 * assert.ok(metricByHorizonChart([{ horizon: 15, model: "ridge", value: 0.01 }]).startsWith("<svg"));
 * assert.ok(htmlTable([{ a: 1 }]).startsWith("<table>"));
 * ```
 * @module
 */
export * from "./charts.ts";
export * from "./tables.ts";
export * from "./summary.ts";
export * from "./validationReport.ts";
export * from "./backtestReport.ts";
export * from "./generate.ts";
export * from "./display.ts";
export * from "./demo.ts";
// reading a run directory back (metrics, predictions) is public: notebooks and reports both do it
export { readPredictions, readRunArtifacts } from "./_run.ts";
export type { PredictionBlock, RunArtifacts } from "./_run.ts";
