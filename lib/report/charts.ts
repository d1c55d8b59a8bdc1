/**
 * Report charts: Observable Plot rendered server-side (a `linkedom` document stands in for the
 * browser's) to **SVG strings**, so the same markup goes inline into the self-contained HTML
 * reports and into notebooks (`display` it as `text/html` or `image/svg+xml`).
 *
 * - {@linkcode chartSvg} renders any Plot specification; the named charts below are thin
 *   factories over it, Plot style: required data positional, an options object with defaults.
 *   Every chart returns one `<svg xmlns="http://www.w3.org/2000/svg" …>` element as a string
 *   (no `<figure>` wrapper: series are named by labels at the end of their lines instead of an
 *   HTML legend, and titles belong to the caller).
 * - {@linkcode metricByHorizonChart}: one metric (R², hit rate, Sharpe …) per forecaster, one
 *   panel per horizon; bars (default) or dots; models and baselines in two colours.
 * - {@linkcode foldMetricChart}: a metric across walk-forward folds, one line per forecaster.
 * - {@linkcode equityChart}: cumulative PnL over time, one line per series (forecaster or pair).
 * - {@linkcode drawdownChart}: the fall of each equity series below its running peak (the peak
 *   starts at 0, as `lib/eval/backtest.ts` measures max drawdown).
 * - {@linkcode calibrationChart} with {@linkcode calibrationBins}: mean realized vs mean predicted
 *   value by forecast decile, against the y = x diagonal.
 * - {@linkcode errorHistogramChart} with {@linkcode histogram}: the distribution of forecast
 *   errors, one panel per forecaster on shared bins.
 *
 * **Deterministic**: the same input gives the same string — a fresh document per chart, no
 * clip paths, markers or patterns by default (Plot numbers those from a global counter; any that a
 * caller's spec creates are renumbered per chart), time scales in UTC, and long series thinned by
 * a fixed min/max-per-bucket rule ({@linkcode decimate}) rather than sampling.
 *
 * @example
 * ```ts
 * import { metricByHorizonChart } from "./charts.ts";
 * import assert from "node:assert/strict";
 * const svg = metricByHorizonChart([
 *   { horizon: 15, model: "ridge", kind: "model", value: 0.012 },
 *   { horizon: 15, model: "zero_change", kind: "baseline", value: -0.3 },
 * ], { label: "R²" });
 * assert.ok(svg.startsWith("<svg"));
 * assert.equal(svg.match(/<rect /g)?.length, 2);
 * ```
 * @module
 */
import * as Plot from "@observablehq/plot";
import { parseHTML } from "linkedom";

const SVG_NS = "http://www.w3.org/2000/svg";
/** Colour of models and of baselines in {@linkcode metricByHorizonChart}. */
export const KIND_COLORS = { model: "#4269d0", baseline: "#9aa5b1" } as const;

/**
 * Render a Plot specification to an SVG (or, when the spec asks for a title, caption or legend,
 * a `<figure>`) string, deterministically; see the module doc.
 * @param spec Plot options (`document` is supplied)
 * @returns the markup
 * @example
 * ```ts
 * import * as Plot from "@observablehq/plot";
 * import { chartSvg } from "./charts.ts";
 * import assert from "node:assert/strict";
 * const a = chartSvg({ marks: [Plot.lineY([1, 3, 2])] });
 * assert.equal(a, chartSvg({ marks: [Plot.lineY([1, 3, 2])] }));
 * assert.match(a, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
 * ```
 */
export function chartSvg(spec: Plot.PlotOptions): string {
  const { document } = parseHTML(
    "<!DOCTYPE html><html><head></head><body></body></html>",
  ) as unknown as { document: unknown };
  const node = Plot.plot({ ...spec, document: document as never }) as unknown as {
    outerHTML: string;
    tagName: string;
    setAttribute(k: string, v: string): void;
    querySelectorAll(s: string): ArrayLike<{ setAttribute(k: string, v: string): void }>;
  };
  if (node.tagName.toLowerCase() === "svg") node.setAttribute("xmlns", SVG_NS);
  else for (const s of Array.from(node.querySelectorAll("svg"))) s.setAttribute("xmlns", SVG_NS);
  let html = node.outerHTML;
  // put xmlns first (linkedom appends it); renumber counter-based ids per chart
  html = html.replace(
    /^<svg ((?:[^>]*?) )?xmlns="[^"]*"/,
    (_m, rest) => `<svg xmlns="${SVG_NS}" ${rest ?? ""}`.replace(/ +$/, ""),
  );
  const ids = new Map<string, string>();
  return html.replace(/plot-(clip|marker|pattern)-\d+/g, (m, kind) => {
    if (!ids.has(m)) ids.set(m, `plot-${kind}-c${ids.size + 1}`);
    return ids.get(m)!;
  });
}

/** Size options shared by the charts. */
export interface ChartSizeOptions {
  /** Width in px. @default 640 */
  width?: number;
  /** Height in px. @default chart-specific */
  height?: number;
}

/** One bar of {@linkcode metricByHorizonChart}. */
export interface MetricPoint {
  horizon: number;
  /** Forecaster name. */
  model: string;
  /** "model" or "baseline" (colour). @default "model" */
  kind?: string;
  /** The metric (NaN / ±∞ are left out). */
  value: number;
}

/** Options of {@linkcode metricByHorizonChart}. */
export interface MetricChartOptions extends ChartSizeOptions {
  /** Y-axis label. @default "value" */
  label?: string;
  /** Bars from 0 or dots. @default "bar" */
  mark?: "bar" | "dot";
}

/**
 * A metric per forecaster, one panel per horizon (Plot `fx` facets); models blue, baselines grey.
 * @param points one per horizon × forecaster
 * @param options label, bar or dot, size
 * @returns SVG markup with one `<rect>` (bars) or `<circle>` (dots) per finite point
 */
export function metricByHorizonChart(
  points: readonly MetricPoint[],
  options: MetricChartOptions = {},
): string {
  const { label = "value", mark = "bar", width = 640, height = 260 } = options;
  const data = points.filter((p) => Number.isFinite(p.value)).map((p) => ({
    ...p,
    kind: p.kind ?? "model",
  }));
  const models = [...new Set(points.map((p) => p.model))];
  const channels = {
    fx: "horizon",
    x: "model",
    y: "value",
  } as const;
  return chartSvg({
    width,
    height,
    marginBottom: 70,
    marginLeft: 56,
    fx: { label: "horizon (bars)", tickFormat: (h: number) => `h${h}` },
    x: { domain: models, label: null, tickRotate: -35 },
    y: { label, grid: true },
    color: { domain: ["model", "baseline"], range: [KIND_COLORS.model, KIND_COLORS.baseline] },
    marks: [
      Plot.ruleY([0], { stroke: "#888" }),
      mark === "bar"
        ? Plot.barY(data, { ...channels, fill: "kind" })
        : Plot.dot(data, { ...channels, fill: "kind", r: 4 }),
    ],
  });
}

/**
 * A metric across walk-forward folds: one line with dots per forecaster, labelled at its end.
 * @param points fold number, forecaster, value (NaN left out)
 * @param options label, size
 * @returns SVG markup with one `<circle>` per finite point
 */
export function foldMetricChart(
  points: readonly { fold: number; model: string; value: number }[],
  options: ChartSizeOptions & { label?: string } = {},
): string {
  const { label = "value", width = 640, height = 260 } = options;
  const data = points.filter((p) => Number.isFinite(p.value) && Number.isFinite(p.fold));
  const names = [...new Set(points.map((p) => p.model))];
  const folds = [...new Set(data.map((p) => p.fold))].sort((a, b) => a - b);
  const longest = names.reduce((m, s) => Math.max(m, s.length), 0);
  return chartSvg({
    width,
    height,
    marginLeft: 56,
    marginRight: Math.min(200, 14 + 6.5 * longest),
    x: { label: "fold", tickFormat: "d", ticks: folds.length <= 12 ? folds : undefined },
    y: { label, grid: true },
    color: { domain: names, type: "ordinal" },
    marks: [
      Plot.ruleY([0], { stroke: "#888" }),
      Plot.lineY(data, { x: "fold", y: "value", z: "model", stroke: "model", sort: "fold" }),
      Plot.dot(data, { x: "fold", y: "value", fill: "model", r: 2.5 }),
      Plot.text(
        data,
        Plot.selectLast({
          x: "fold",
          y: "value",
          z: "model",
          text: "model",
          fill: "model",
          dx: 6,
          textAnchor: "start",
        }),
      ),
    ],
  });
}

/** A time series of {@linkcode equityChart} / {@linkcode drawdownChart}. */
export interface EquitySeries {
  /** Series label (forecaster or pair). */
  name: string;
  /** Epoch milliseconds, ascending. */
  ts: ArrayLike<number>;
  /** Cumulative PnL at each time. */
  value: ArrayLike<number>;
}

/** Options of {@linkcode equityChart} and {@linkcode drawdownChart}. */
export interface EquityChartOptions extends ChartSizeOptions {
  /** Y-axis label. @default "cumulative PnL (index points)" / "drawdown (index points)" */
  label?: string;
  /** Thin each series to about this many points ({@linkcode decimate}). @default 800 */
  maxPoints?: number;
}

/**
 * Indices that keep the shape of a long series: the series is cut into ⌈maxPoints / 2⌉
 * equal-count buckets and each keeps its minimum and maximum (in time order), plus the first
 * and last points. NaN values are skipped. Deterministic.
 * @param value the series
 * @param maxPoints about how many points to keep
 * @returns ascending indices
 * @example
 * ```ts
 * import { decimate } from "./charts.ts";
 * import assert from "node:assert/strict";
 * const v = Float64Array.from({ length: 1000 }, (_, i) => (i === 437 ? -50 : Math.sin(i / 50)));
 * const keep = decimate(v, 40);
 * assert.ok(keep.length <= 42 && keep.includes(437) && keep[0] === 0 && keep.at(-1) === 999);
 * ```
 */
export function decimate(value: ArrayLike<number>, maxPoints: number): number[] {
  const n = value.length;
  const finite: number[] = [];
  for (let i = 0; i < n; i++) if (Number.isFinite(value[i])) finite.push(i);
  if (finite.length <= maxPoints) return finite;
  const buckets = Math.max(1, Math.ceil(maxPoints / 2));
  const keep = new Set<number>([finite[0], finite[finite.length - 1]]);
  for (let b = 0; b < buckets; b++) {
    const lo = Math.floor((b * finite.length) / buckets);
    const hi = Math.floor(((b + 1) * finite.length) / buckets);
    let iMin = -1, iMax = -1;
    for (let k = lo; k < hi; k++) {
      const i = finite[k];
      if (iMin < 0 || value[i] < value[iMin]) iMin = i;
      if (iMax < 0 || value[i] > value[iMax]) iMax = i;
    }
    if (iMin >= 0) keep.add(iMin).add(iMax);
  }
  return [...keep].sort((a, b) => a - b);
}

function seriesRows(series: readonly EquitySeries[], maxPoints: number) {
  const rows: { name: string; t: Date; v: number }[] = [];
  for (const s of series) {
    if (s.ts.length !== s.value.length) {
      throw new RangeError(
        `Expected ts and value of series "${s.name}" to have the same length but found ${s.ts.length} and ${s.value.length}`,
      );
    }
    for (const i of decimate(s.value, maxPoints)) {
      rows.push({ name: s.name, t: new Date(s.ts[i]), v: s.value[i] });
    }
  }
  return rows;
}

function linesWithLabels(
  rows: { name: string; t: Date; v: number }[],
  names: string[],
  label: string,
  width: number,
  height: number,
): string {
  const longest = names.reduce((m, s) => Math.max(m, s.length), 0);
  return chartSvg({
    width,
    height,
    marginLeft: 56,
    marginRight: Math.min(200, 14 + 6.5 * longest),
    x: { type: "utc", label: null },
    y: { label, grid: true },
    color: { domain: names, type: "ordinal" },
    marks: [
      Plot.ruleY([0], { stroke: "#888" }),
      Plot.lineY(rows, { x: "t", y: "v", z: "name", stroke: "name", strokeWidth: 1.4 }),
      Plot.text(
        rows,
        Plot.selectLast({
          x: "t",
          y: "v",
          z: "name",
          text: "name",
          fill: "name",
          dx: 4,
          textAnchor: "start",
        }),
      ),
    ],
  });
}

/**
 * Cumulative PnL over time, one line per series, each labelled at its end.
 * @param series name, times and cumulative values per line
 * @param options label, thinning, size
 * @returns SVG markup with one `<path>` per non-empty series in its line group
 */
export function equityChart(
  series: readonly EquitySeries[],
  options: EquityChartOptions = {},
): string {
  const {
    label = "cumulative PnL (index points)",
    maxPoints = 800,
    width = 640,
    height = 300,
  } = options;
  const rows = seriesRows(series, maxPoints);
  return linesWithLabels(rows, series.map((s) => s.name), label, width, height);
}

/**
 * Drawdown of a cumulative series: value − running peak, the peak starting at 0 (≤ 0).
 * @param value cumulative PnL
 * @returns the drawdown at each point (NaN where the value is NaN)
 * @example
 * ```ts
 * import { drawdown } from "./charts.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual([...drawdown([-1, 2, 1, 3, 0])], [-1, 0, -1, 0, -3]);
 * ```
 */
export function drawdown(value: ArrayLike<number>): Float64Array {
  const out = new Float64Array(value.length);
  let peak = 0;
  for (let i = 0; i < value.length; i++) {
    const v = value[i];
    if (!Number.isFinite(v)) {
      out[i] = NaN;
      continue;
    }
    if (v > peak) peak = v;
    out[i] = v - peak;
  }
  return out;
}

/**
 * Drawdown over time ({@linkcode drawdown} of each equity series), one line per series.
 * @param series name, times and cumulative values per line
 * @param options label, thinning, size
 * @returns SVG markup with one `<path>` per non-empty series in its line group
 */
export function drawdownChart(
  series: readonly EquitySeries[],
  options: EquityChartOptions = {},
): string {
  const { label = "drawdown (index points)", maxPoints = 800, width = 640, height = 220 } = options;
  const dd = series.map((s) => ({ name: s.name, ts: s.ts, value: drawdown(s.value) }));
  return linesWithLabels(
    seriesRows(dd, maxPoints),
    series.map((s) => s.name),
    label,
    width,
    height,
  );
}

/** One point of {@linkcode calibrationChart}. */
export interface CalibrationPoint {
  /** Forecaster. */
  name: string;
  /** Bin number 0 … bins − 1 (ascending forecast). */
  bin: number;
  /** Mean forecast in the bin. */
  predicted: number;
  /** Mean realized value in the bin. */
  realized: number;
  /** Rows in the bin. */
  n: number;
}

/**
 * Equal-count bins of the forecast (deciles by default): rows with finite y and ŷ sorted by ŷ
 * (ties by row order), row of rank k in bin ⌊k · bins / n⌋; per bin the mean ŷ and mean y.
 * @param y realized values
 * @param yhat forecasts (same length)
 * @param options bins (@default 10), the series name (@default "")
 * @returns one point per non-empty bin
 * @example
 * ```ts
 * import { calibrationBins } from "./charts.ts";
 * import assert from "node:assert/strict";
 * const b = calibrationBins([1, 2, 3, 4], [40, 10, 30, 20], { bins: 2 });
 * assert.deepEqual(b.map((p) => [p.predicted, p.realized, p.n]), [[15, 3, 2], [35, 2, 2]]);
 * ```
 */
export function calibrationBins(
  y: ArrayLike<number>,
  yhat: ArrayLike<number>,
  options: { bins?: number; name?: string } = {},
): CalibrationPoint[] {
  const { bins = 10, name = "" } = options;
  if (!Number.isInteger(bins) || bins < 1) {
    throw new RangeError(`Expected bins to be an integer >= 1 but found ${bins}`);
  }
  if (y.length !== yhat.length) {
    throw new RangeError(
      `Expected y and yhat to have the same length but found ${y.length} and ${yhat.length}`,
    );
  }
  const idx: number[] = [];
  for (let i = 0; i < y.length; i++) {
    if (Number.isFinite(y[i]) && Number.isFinite(yhat[i])) idx.push(i);
  }
  idx.sort((a, b) => yhat[a] - yhat[b] || a - b);
  const n = idx.length;
  const sp = new Float64Array(bins), sr = new Float64Array(bins), cnt = new Float64Array(bins);
  for (let k = 0; k < n; k++) {
    const b = Math.floor((k * bins) / n), i = idx[k];
    sp[b] += yhat[i];
    sr[b] += y[i];
    cnt[b]++;
  }
  const out: CalibrationPoint[] = [];
  for (let b = 0; b < bins; b++) {
    if (cnt[b] > 0) {
      out.push({ name, bin: b, predicted: sp[b] / cnt[b], realized: sr[b] / cnt[b], n: cnt[b] });
    }
  }
  return out;
}

/**
 * Mean realized vs mean predicted per forecast bin, one line of dots per forecaster, with the
 * y = x diagonal (dashed) over the common range.
 * @param points from {@linkcode calibrationBins}, for one or more forecasters
 * @param options label, size
 * @returns SVG markup with one `<circle>` per finite point
 */
export function calibrationChart(
  points: readonly CalibrationPoint[],
  options: ChartSizeOptions & { label?: string } = {},
): string {
  const { width = 640, height = 360, label = "target" } = options;
  const data = points.filter((p) => Number.isFinite(p.predicted) && Number.isFinite(p.realized));
  const names = [...new Set(points.map((p) => p.name))];
  let lo = Infinity, hi = -Infinity;
  for (const p of data) {
    lo = Math.min(lo, p.predicted, p.realized);
    hi = Math.max(hi, p.predicted, p.realized);
  }
  const diag = Number.isFinite(lo) ? [{ x: lo, y: lo }, { x: hi, y: hi }] : [];
  const longest = names.reduce((m, s) => Math.max(m, s.length), 0);
  return chartSvg({
    width,
    height,
    marginLeft: 60,
    marginRight: Math.min(200, 14 + 6.5 * longest),
    x: { label: `mean predicted ${label}`, grid: true },
    y: { label: `mean realized ${label}`, grid: true },
    color: { domain: names, type: "ordinal" },
    marks: [
      Plot.lineY(diag, { x: "x", y: "y", stroke: "#999", strokeDasharray: "4,3" }),
      Plot.lineY(data, { x: "predicted", y: "realized", z: "name", stroke: "name", sort: "bin" }),
      Plot.dot(data, { x: "predicted", y: "realized", fill: "name", r: 3 }),
      Plot.text(
        data,
        Plot.selectLast({
          x: "predicted",
          y: "realized",
          z: "name",
          text: "name",
          fill: "name",
          dx: 6,
          textAnchor: "start",
        }),
      ),
    ],
  });
}

/** Result of {@linkcode histogram}. */
export interface Histogram {
  /** Bin edges, length bins + 1. */
  edges: Float64Array;
  /** Count per bin. */
  counts: Float64Array;
  /** Finite values counted. */
  n: number;
}

/**
 * Counts on `bins` equal-width bins over [lo, hi]; values outside are counted in the first or
 * last bin (clamped), NaN skipped.
 * @param values the sample
 * @param options bins, lo, hi (@default the sample's min and max)
 * @returns edges, counts, n
 * @example
 * ```ts
 * import { histogram } from "./charts.ts";
 * import assert from "node:assert/strict";
 * const h = histogram([0, 0.5, 1, 2, 9, NaN], { bins: 2, lo: 0, hi: 2 });
 * assert.deepEqual([...h.counts], [2, 3]); // 9 clamps into the last bin
 * assert.equal(h.n, 5);
 * ```
 */
export function histogram(
  values: ArrayLike<number>,
  options: { bins?: number; lo?: number; hi?: number } = {},
): Histogram {
  const { bins = 40 } = options;
  if (!Number.isInteger(bins) || bins < 1) {
    throw new RangeError(`Expected bins to be an integer >= 1 but found ${bins}`);
  }
  let lo = options.lo ?? Infinity, hi = options.hi ?? -Infinity;
  if (options.lo === undefined || options.hi === undefined) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (!Number.isFinite(v)) continue;
      if (options.lo === undefined && v < lo) lo = v;
      if (options.hi === undefined && v > hi) hi = v;
    }
  }
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) lo = hi = 0;
  if (hi <= lo) hi = lo + 1;
  const edges = Float64Array.from({ length: bins + 1 }, (_, k) => lo + ((hi - lo) * k) / bins);
  const counts = new Float64Array(bins);
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    const b = Math.min(bins - 1, Math.max(0, Math.floor(((v - lo) / (hi - lo)) * bins)));
    counts[b]++;
    n++;
  }
  return { edges, counts, n };
}

/** Options of {@linkcode errorHistogramChart}. */
export interface ErrorHistogramOptions extends ChartSizeOptions {
  /** Bins. @default 40 */
  bins?: number;
  /** Shared range = the [clip, 1 − clip] quantiles of all errors; tails clamp. @default 0.005 */
  clip?: number;
  /** X-axis label. @default "error (y − ŷ)" */
  label?: string;
}

function quantileSorted(s: Float64Array, p: number): number {
  if (s.length === 0) return NaN;
  const h = (s.length - 1) * p, i = Math.floor(h);
  return i + 1 < s.length ? s[i] + (h - i) * (s[i + 1] - s[i]) : s[i];
}

/**
 * The error distribution of each forecaster, one panel (row) per forecaster on shared bins;
 * bar height = share of that forecaster's rows.
 * @param groups name and errors per forecaster
 * @param options bins, tail clip, label, size
 * @returns SVG markup with one `<rect>` per bin with a non-zero count
 */
export function errorHistogramChart(
  groups: readonly { name: string; values: ArrayLike<number> }[],
  options: ErrorHistogramOptions = {},
): string {
  const { bins = 40, clip = 0.005, label = "error (y − ŷ)", width = 640 } = options;
  const pooled: number[] = [];
  for (const g of groups) {
    for (let i = 0; i < g.values.length; i++) {
      if (Number.isFinite(g.values[i])) pooled.push(g.values[i]);
    }
  }
  const sorted = Float64Array.from(pooled).sort();
  const lo = quantileSorted(sorted, clip), hi = quantileSorted(sorted, 1 - clip);
  const rows: { name: string; x1: number; x2: number; share: number }[] = [];
  for (const g of groups) {
    const h = histogram(g.values, { bins, lo, hi });
    for (let b = 0; b < bins; b++) {
      if (h.counts[b] > 0) {
        rows.push({ name: g.name, x1: h.edges[b], x2: h.edges[b + 1], share: h.counts[b] / h.n });
      }
    }
  }
  const names = groups.map((g) => g.name);
  return chartSvg({
    width,
    height: options.height ?? 40 + 80 * Math.max(1, names.length),
    marginLeft: 56,
    marginRight: 110,
    x: { label },
    y: { label: "share", grid: true },
    fy: { domain: names, label: null },
    color: { domain: names, type: "ordinal" },
    marks: [
      Plot.rectY(rows, { x1: "x1", x2: "x2", y: "share", fy: "name", fill: "name", inset: 0.3 }),
      Plot.ruleY([0], { stroke: "#888" }),
    ],
  });
}
