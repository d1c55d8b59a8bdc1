/**
 * Tests of the tree core pieces: binning, histograms (direct, subtraction, row-major), split
 * search, tree growth, backends, forest storage.
 */
import assert from "node:assert/strict";
import { binMatrix, computeBinEdges, quantileEdges } from "../../lib/models/gbdt/binning.ts";
import {
  buildHistogram,
  buildHistogramRowMajor,
  histLayout,
  subtractHistogram,
  transposeBins,
} from "../../lib/models/gbdt/histogram.ts";
import { findBestSplit, newSplit } from "../../lib/models/gbdt/split.ts";
import { growTree, prepareData } from "../../lib/models/gbdt/tree.ts";
import { createBackend } from "../../lib/models/gbdt/backend.ts";
import { Forest } from "../../lib/models/gbdt/forest.ts";
import { rng } from "../_helpers.ts";

/** Brute-force edges by the documented definition, with plain JS sorting. */
function bruteEdges(values: number[], maxBins: number): number[] {
  const v = values.filter((x) => !Number.isNaN(x)).map((x) => (Object.is(x, -0) ? 0 : x)).sort((
    a,
    b,
  ) => a - b);
  const distinct = [...new Set(v)];
  let out: number[];
  if (distinct.length <= maxBins) out = distinct.slice(0, -1);
  else {
    out = [];
    for (let b = 1; b < maxBins; b++) {
      const e = v[Math.ceil((b * v.length) / maxBins) - 1];
      if (!out.length || e > out[out.length - 1]) out.push(e);
    }
    if (out[out.length - 1] === v[v.length - 1]) out.pop();
  }
  return [...out, Infinity];
}

/** A column with ties, a heavy tail, NaN, ±0 and ±∞. */
function awkwardColumn(n: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, (_, i) => {
    const u = r();
    if (i % 17 === 0) return NaN;
    if (i % 23 === 0) return Math.round(u * 5); // ties
    if (i % 101 === 0) return [-0, 0, Infinity, -Infinity][i % 4];
    return Math.exp(6 * u) * (u < 0.3 ? -1 : 1);
  });
}

Deno.test("computeBinEdges() equals a brute-force quantile computation", () => {
  const n = 5000, cols = 3;
  const columns = [
    awkwardColumn(n, 1),
    awkwardColumn(n, 2).map((v) => Math.round(v)),
    awkwardColumn(n, 3),
  ];
  const data = new Float32Array(n * cols);
  columns.forEach((c, j) => c.forEach((v, i) => (data[i * cols + j] = v)));
  const x = { rows: n, cols, data, names: ["a", "b", "c"] };
  for (const maxBins of [255, 16, 2]) {
    const e = computeBinEdges(x, { maxBins, sampleRows: n });
    for (let j = 0; j < cols; j++) {
      const got = [...e.edges.subarray(e.offsets[j], e.offsets[j + 1])];
      assert.deepEqual(
        got,
        bruteEdges([...columns[j]], maxBins),
        `column ${j}, maxBins ${maxBins}`,
      );
      assert.equal(e.counts[j], got.length);
    }
  }
});

Deno.test("quantileEdges() gives near-equal bin counts on continuous data", () => {
  const r = rng(5);
  const v = Float32Array.from({ length: 25500 }, () => r()).sort();
  const e = quantileEdges(v, 255);
  assert.equal(e.length, 255);
  const counts = new Array(255).fill(0);
  let b = 0;
  for (const x of v) {
    while (!(x <= e[b])) b++;
    counts[b]++;
  }
  assert.ok(
    Math.min(...counts) >= 99 && Math.max(...counts) <= 101,
    `${Math.min(...counts)}…${Math.max(...counts)}`,
  );
});

Deno.test("binMatrix() bins as 'first edge ≥ x', NaN to the missing code, on both search paths", () => {
  const n = 6000, cols = 2;
  const data = new Float32Array(n * cols);
  const a = awkwardColumn(n, 7), b = awkwardColumn(n, 8);
  for (let i = 0; i < n; i++) data[i * cols] = a[i], data[i * cols + 1] = b[i];
  const x = { rows: n, cols, data, names: ["a", "b"] };
  const edges = computeBinEdges(x, { maxBins: 40, sampleRows: 1000, seed: 3 }); // sampled: some values fall outside
  const bins = binMatrix(x, edges); // table path (≥ 4096 rows)
  for (let j = 0; j < cols; j++) {
    const e = edges.edges.subarray(edges.offsets[j], edges.offsets[j + 1]);
    for (let i = 0; i < n; i++) {
      const v = data[i * cols + j];
      const want = Number.isNaN(v) ? edges.counts[j] : e.findIndex((edge) => v <= edge);
      assert.equal(bins[j * n + i], want, `row ${i} col ${j} value ${v}`);
    }
  }
  // the small-input path (binary search) agrees row by row
  const head = { rows: 100, cols, data: data.slice(0, 100 * cols), names: x.names };
  const small = binMatrix(head, edges);
  for (let j = 0; j < cols; j++) {
    assert.deepEqual([...small.subarray(j * 100, (j + 1) * 100)], [
      ...bins.subarray(j * n, j * n + 100),
    ]);
  }
});

function randomProblem(n: number, f: number, seed: number, intGrad: boolean) {
  const r = rng(seed);
  const counts = Uint16Array.from({ length: f }, (_, j) => 1 + ((j * 37) % 255));
  const bins = new Uint8Array(n * f);
  for (let j = 0; j < f; j++) {
    for (let i = 0; i < n; i++) bins[j * n + i] = Math.floor(r() * (counts[j] + 1)); // includes missing code
  }
  const g = Float64Array.from(
    { length: n },
    () => (intGrad ? Math.round(r() * 20 - 10) : r() * 2 - 1),
  );
  const h = Float64Array.from({ length: n }, () => 0.5 + r());
  return { counts, bins, g, h };
}

Deno.test("buildHistogram() subtraction gives the same histogram as building the sibling directly", () => {
  const n = 3000, f = 7;
  const { counts, bins, g, h } = randomProblem(n, f, 11, true);
  const layout = histLayout(Int32Array.from({ length: f }, (_, j) => j), counts);
  const r = rng(12);
  const parent = Uint32Array.from({ length: n }, (_, i) => i).filter(() => r() < 0.8);
  const left = parent.filter(() => r() < 0.3), leftSet = new Set(left);
  const right = parent.filter((i) => !leftSet.has(i));
  for (const hh of [null, h.map(Math.round)]) { // integer sums are exact in any order
    const hp = new Float64Array(layout.size * 2), hl = hp.slice(), hr = hp.slice();
    buildHistogram(hp, layout, bins, n, parent, 0, parent.length, g, hh);
    buildHistogram(hl, layout, bins, n, left, 0, left.length, g, hh);
    buildHistogram(hr, layout, bins, n, right, 0, right.length, g, hh);
    subtractHistogram(hp, hl, layout.size);
    assert.deepEqual(hp, hr);
  }
  // real-valued gradients: equal up to rounding
  const { g: gf } = randomProblem(n, f, 13, false);
  const hp = new Float64Array(layout.size * 2), hl = hp.slice(), hr = hp.slice();
  buildHistogram(hp, layout, bins, n, parent, 0, parent.length, gf, h);
  buildHistogram(hl, layout, bins, n, left, 0, left.length, gf, h);
  buildHistogram(hr, layout, bins, n, right, 0, right.length, gf, h);
  subtractHistogram(hp, hl, layout.size);
  for (let i = 0; i < hp.length; i++) assert.ok(Math.abs(hp[i] - hr[i]) < 1e-9);
});

Deno.test("buildHistogram() equals a per-row brute force, and the row-major kernel equals it exactly", () => {
  const n = 999, f = 6;
  const { counts, bins, g, h } = randomProblem(n, f, 21, false);
  const features = Int32Array.of(0, 2, 3, 5, 1); // unordered subsets work too; 5 = 4 unrolled + 1
  const layout = histLayout(features, counts);
  const rows = Uint32Array.from({ length: n }, (_, i) => i).filter((i) => i % 3 !== 0);
  const want = new Float64Array(layout.size * 2);
  features.forEach((feat, i) => {
    for (const r of rows) {
      const s = layout.offsets[i] + bins[feat * n + r];
      want[2 * s] += g[r];
      want[2 * s + 1] += h[r];
    }
  });
  const col = new Float64Array(layout.size * 2), row = col.slice(), ident = col.slice();
  buildHistogram(col, layout, bins, n, rows, 0, rows.length, g, h);
  buildHistogramRowMajor(row, layout, transposeBins(bins, n, f), f, rows, 0, rows.length, g, h);
  assert.deepEqual(col, want);
  assert.deepEqual(row, want);
  buildHistogram(ident, layout, bins, n, null, 10, 20, g, null);
  assert.equal(
    ident.filter((_, i) => i % 2 === 1).reduce((a, b) => a + b, 0),
    10 * features.length,
  );
});

Deno.test("findBestSplit() finds the gain-maximizing threshold and default direction", () => {
  // one feature, bins 0..3 + missing; missing rows look like the high bins
  const layout = histLayout(Int32Array.of(0), Uint16Array.of(4));
  const G = [-3, -3, 4, 4, 5], H = [3, 3, 4, 4, 5];
  const hist = Float64Array.from(G.flatMap((gv, i) => [gv, H[i]]));
  const best = newSplit();
  const Gt = 7, Ht = 19, lambda = 1;
  findBestSplit(hist, layout, Gt, Ht, { lambda, minChildWeight: 1 }, null, best);
  const score = (g: number, h: number) => (g * g) / (h + lambda);
  assert.equal(best.bin, 1);
  assert.equal(best.defaultLeft, false);
  assert.ok(Math.abs(best.gain - (score(-6, 6) + score(13, 13) - score(Gt, Ht))) < 1e-12);
  // min child weight can forbid it: then the best allowed split is chosen
  const b2 = newSplit();
  findBestSplit(hist, layout, Gt, Ht, { lambda, minChildWeight: 7 }, null, b2);
  assert.ok(b2.HL >= 7 && Ht - b2.HL >= 7);
  // masked out: no split
  const b3 = newSplit();
  findBestSplit(hist, layout, Gt, Ht, { lambda, minChildWeight: 1 }, Uint8Array.of(0), b3);
  assert.equal(b3.feature, -1);
});

Deno.test("growTree() gives the same tree on one thread and on two workers", async () => {
  const n = 4000, f = 9;
  const { counts, bins, g } = randomProblem(n, f, 31, false);
  // plant structure so the tree is deep: gradient depends on bins of features 2 and 5
  for (let i = 0; i < n; i++) {
    g[i] += (bins[2 * n + i] > counts[2] / 2 ? 1 : -1) + (bins[5 * n + i] % 2 ? 0.5 : -0.5);
  }
  const grow = async (threads: number, policy: "depthwise" | "lossguide") => {
    const data = prepareData(bins, n, f, counts, threads > 1, transposeBins(bins, n, f));
    data.g.set(g);
    const backend = await createBackend(data, threads);
    try {
      return await growTree(backend, data, {
        rootRows: n,
        identity: true,
        unitHess: true,
        features: Int32Array.from({ length: f }, (_, j) => j),
      }, { maxDepth: 5, growPolicy: policy, maxLeaves: policy === "lossguide" ? 12 : 0 });
    } finally {
      backend.close();
    }
  };
  for (const policy of ["depthwise", "lossguide"] as const) {
    const one = await grow(1, policy), two = await grow(2, policy);
    assert.deepEqual(two, one);
    const leaves = one.feature.filter((v) => v < 0).length;
    if (policy === "lossguide") assert.equal(leaves, 12);
    else assert.ok(leaves > 12 && Math.max(...one.depth) === 5);
    // leaves' row ranges partition the root, and their sums add up to the root's
    let rowsInLeaves = 0, gSum = 0;
    for (let i = 0; i < one.nodes; i++) {
      if (one.feature[i] < 0) rowsInLeaves += one.end[i] - one.start[i], gSum += one.G[i];
    }
    assert.equal(rowsInLeaves, n);
    assert.ok(Math.abs(gSum - one.G[0]) < 1e-8);
  }
});

Deno.test("Forest.toBytes() / fromBytes() round-trip the arrays exactly", () => {
  const f = Forest.fromArrays({
    feature: Int32Array.of(1, -1, -1),
    threshold: Float32Array.of(0.25, 0, 0),
    bin: Uint8Array.of(3, 0, 0),
    defaultLeft: Uint8Array.of(1, 0, 0),
    left: Int32Array.of(1, -1, -1),
    value: Float64Array.of(0, Math.PI / 7, -1 / 3),
    gain: Float64Array.of(2.5, 0, 0),
    cover: Float64Array.of(10, 6, 4),
    treeStart: Int32Array.of(0, 3),
  }, 2);
  const g = Forest.fromBytes(f.toBytes(), 1, 3, 2);
  assert.deepEqual(g.arrays(), f.arrays());
  const x = { rows: 3, cols: 2, data: Float32Array.of(0, 0.25, 0, 0.5, 0, NaN), names: ["a", "b"] };
  assert.deepEqual([...g.predict(x, 1)], [
    ...Float32Array.of(1 + Math.PI / 7, 1 - 1 / 3, 1 + Math.PI / 7),
  ]);
  assert.throws(() => Forest.fromBytes(f.toBytes().subarray(1), 1, 3, 2), /truncated|extra/);
});
