/**
 * lib/report/charts.ts: mark counts per chart, deterministic SVG strings, escaped labels, and the
 * data helpers (decimate, drawdown, calibrationBins, histogram) against brute-force references.
 * @module
 */
import assert from "node:assert/strict";
import * as Plot from "@observablehq/plot";
import { parseHTML } from "linkedom";
import {
  calibrationBins,
  calibrationChart,
  chartSvg,
  decimate,
  drawdown,
  drawdownChart,
  equityChart,
  errorHistogramChart,
  histogram,
  metricByHorizonChart,
} from "../../lib/report/charts.ts";
import { normals, rng } from "../eval/_fixture.ts";

/** Elements `tag` inside the mark group(s) with aria-label `label`. */
function marks(svg: string, label: string, tag: string): number {
  const { document } = parseHTML(`<!DOCTYPE html><html><body>${svg}</body></html>`) as unknown as {
    document: any;
  };
  let n = 0;
  for (const g of document.querySelectorAll(`g[aria-label="${label}"]`)) {
    n += g.querySelectorAll(tag).length;
  }
  return n;
}

function series(seed: number, n: number, name: string) {
  const steps = normals(n, seed);
  let c = 0;
  return {
    name,
    ts: Float64Array.from({ length: n }, (_, i) => Date.UTC(2024, 0, 2) + i * 60_000),
    value: steps.map((s) => (c += s)),
  };
}

Deno.test("metricByHorizonChart() draws one bar per finite point, or one dot", () => {
  const pts = [15, 30, 60].flatMap((h) =>
    ["ridge", "gbdt", "zero_change"].map((m, j) => ({
      horizon: h,
      model: m,
      kind: j === 2 ? "baseline" : "model",
      value: h === 60 && m === "gbdt" ? NaN : h / 1000 - j / 100,
    }))
  );
  const bars = metricByHorizonChart(pts, { label: "R²" });
  assert.equal(marks(bars, "bar", "rect"), 8); // 9 points, one NaN
  assert.equal(marks(bars, "fx-axis tick label", "text"), 3);
  const dots = metricByHorizonChart(pts, { mark: "dot" });
  assert.equal(marks(dots, "dot", "circle"), 8);
  assert.equal(marks(dots, "bar", "rect"), 0);
});

Deno.test("charts are deterministic: the same input gives the same SVG string", () => {
  const s = [series(1, 3000, "ridge"), series(2, 3000, "gbdt")];
  assert.equal(equityChart(s), equityChart(s));
  assert.equal(drawdownChart(s), drawdownChart(s));
  // clip paths are numbered by a global counter in Plot; chartSvg renumbers them per chart
  const spec = () => ({ marks: [Plot.lineY([1, 3, 2], { clip: true })] });
  const a = chartSvg(spec()), b = chartSvg(spec());
  assert.equal(a, b);
  assert.match(a, /plot-clip-c1/);
});

Deno.test("equityChart() and drawdownChart() draw one path per series, labelled and escaped", () => {
  const s = [series(3, 500, "ridge"), series(4, 500, "<b>&gbdt"), series(5, 0, "empty")];
  for (const svg of [equityChart(s), drawdownChart(s)]) {
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.equal(marks(svg, "line", "path"), 2);
    assert.equal(marks(svg, "text", "text"), 2); // end labels of the 2 non-empty series
    assert.ok(svg.includes("&lt;b&gt;&amp;gbdt"));
    assert.ok(!svg.includes("<b>"));
  }
});

Deno.test("decimate() keeps the ends and every bucket's extremes within the budget", () => {
  const { u } = rng(9);
  const v = Float64Array.from({ length: 10_000 }, () => u() - 0.5);
  v[5] = NaN;
  const keep = decimate(v, 300);
  assert.ok(keep.length <= 302, `${keep.length}`);
  assert.deepEqual(keep, [...keep].sort((a, b) => a - b));
  assert.equal(keep[0], 0);
  assert.equal(keep.at(-1), 9_999);
  assert.ok(!keep.includes(5));
  let iMin = 0, iMax = 0;
  v.forEach((x, i) => {
    if (x < v[iMin]) iMin = i;
    if (x > v[iMax]) iMax = i;
  });
  assert.ok(keep.includes(iMin) && keep.includes(iMax));
  assert.deepEqual(decimate([1, 2, 3], 10), [0, 1, 2]);
});

Deno.test("drawdown() equals value minus the running peak (peak from 0)", () => {
  const v = normals(1000, 4).map((x, i, a) => (i ? a[i - 1] : 0) + x);
  const dd = drawdown(v);
  for (let i = 0; i < v.length; i++) {
    const peak = Math.max(0, ...v.slice(0, i + 1));
    assert.equal(dd[i], v[i] - peak);
  }
});

Deno.test("calibrationBins() matches a brute-force decile split", () => {
  const y = normals(1003, 1), yhat = normals(1003, 2).map((x, i) => x + 0.5 * y[i]);
  yhat[7] = NaN;
  const bins = calibrationBins(y, yhat, { bins: 10, name: "m" });
  const pairs = [...y].map((v, i) => [yhat[i], v]).filter(([f]) => Number.isFinite(f))
    .sort((a, b) => a[0] - b[0]);
  assert.equal(bins.length, 10);
  let start = 0;
  for (let b = 0; b < 10; b++) {
    const end = Math.ceil(((b + 1) * pairs.length) / 10);
    const part = pairs.slice(start, end);
    const mean = (k: number) => part.reduce((s, p) => s + p[k], 0) / part.length;
    assert.equal(bins[b].n, part.length);
    assert.ok(Math.abs(bins[b].predicted - mean(0)) < 1e-12);
    assert.ok(Math.abs(bins[b].realized - mean(1)) < 1e-12);
    start = end;
  }
  const svg = calibrationChart([...bins, ...calibrationBins(y, y, { name: "oracle" })]);
  assert.equal(marks(svg, "dot", "circle"), 20);
});

Deno.test("histogram() and errorHistogramChart() count like a brute-force binning", () => {
  const a = normals(2000, 6), b = normals(1500, 7).map((x) => 2 * x);
  const h = histogram(a, { bins: 8, lo: -2, hi: 2 });
  const ref = new Array(8).fill(0);
  for (const x of a) ref[Math.min(7, Math.max(0, Math.floor(((x + 2) / 4) * 8)))]++;
  assert.deepEqual([...h.counts], ref);
  assert.equal(h.n, 2000);
  const svg = errorHistogramChart([{ name: "a", values: a }, { name: "b", values: b }], {
    bins: 30,
    clip: 0,
  });
  // clip 0: range = pooled min..max, so the non-empty bins of each group are the rects
  const all = [...a, ...b], lo = Math.min(...all), hi = Math.max(...all);
  const nonEmpty = (v: Float64Array) =>
    histogram(v, { bins: 30, lo, hi }).counts.filter((c) => c > 0).length;
  assert.equal(marks(svg, "rect", "rect"), nonEmpty(a) + nonEmpty(b));
});
