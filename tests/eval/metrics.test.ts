import assert from "node:assert/strict";
import {
  coverage,
  directionalAccuracy,
  mae,
  metrics,
  metricsBy,
  r2,
  rmse,
} from "../../lib/eval/metrics.ts";
import { close, normals, rng } from "./_fixture.ts";

/** Random y/ŷ with ~10 % NaN in each. */
function data(n: number, seed: number) {
  const y = normals(n, seed), yhat = normals(n, seed + 1), { u } = rng(seed + 2);
  for (let i = 0; i < n; i++) {
    yhat[i] = 0.5 * y[i] + 0.5 * yhat[i];
    if (u() < 0.1) y[i] = NaN;
    if (u() < 0.1) yhat[i] = NaN;
  }
  return { y, yhat };
}

/** Brute force: filter pairs, then the textbook formulas on plain arrays. */
function reference(y: ArrayLike<number>, yhat: ArrayLike<number>, mean?: number) {
  const p: [number, number][] = [];
  for (let i = 0; i < y.length; i++) {
    if (!Number.isNaN(y[i]) && !Number.isNaN(yhat[i])) p.push([y[i], yhat[i]]);
  }
  const m = mean ?? p.reduce((s, [a]) => s + a, 0) / p.length;
  const sse = p.reduce((s, [a, b]) => s + (a - b) ** 2, 0);
  const sst = p.reduce((s, [a]) => s + (a - m) ** 2, 0);
  return {
    n: p.length,
    r2: 1 - sse / sst,
    mae: p.reduce((s, [a, b]) => s + Math.abs(a - b), 0) / p.length,
    rmse: Math.sqrt(sse / p.length),
  };
}

Deno.test("r2(), mae(), rmse() match brute force and count NaN rows", () => {
  const { y, yhat } = data(500, 7);
  const ref = reference(y, yhat);
  let skipped = 0;
  for (let i = 0; i < y.length; i++) if (Number.isNaN(y[i]) || Number.isNaN(yhat[i])) skipped++;
  assert.ok(skipped > 50);
  for (const s of [r2(y, yhat), mae(y, yhat), rmse(y, yhat)]) {
    assert.equal(s.n, ref.n);
    assert.equal(s.skipped, skipped);
  }
  close(r2(y, yhat).value, ref.r2);
  close(mae(y, yhat).value, ref.mae);
  close(rmse(y, yhat).value, ref.rmse);
});

Deno.test("r2() uses the evaluated rows' mean, or the given benchmark mean", () => {
  // y = 1..4, ŷ = y + 1: SSE = 4; around ȳ = 2.5 SST = 5 → 0.2; around a train mean 0: SST = 30
  const y = [1, 2, 3, 4], yhat = [2, 3, 4, 5];
  close(r2(y, yhat).value, 1 - 4 / 5);
  close(r2(y, yhat, { mean: 0 }).value, 1 - 4 / 30);
  const { y: ry, yhat: rh } = data(200, 3);
  close(r2(ry, rh, { mean: 0.3 }).value, reference(ry, rh, 0.3).r2);
});

Deno.test("r2() is NaN for a constant y and for no usable rows; negative when worse than the mean", () => {
  assert.ok(Number.isNaN(r2([2, 2, 2], [1, 2, 3]).value));
  assert.ok(Number.isNaN(r2([NaN, 1], [1, NaN]).value));
  assert.equal(r2([NaN, 1], [1, NaN]).n, 0);
  assert.ok(r2([1, 2, 3], [3, 2, 1]).value < 0); // SSE 8 vs SST 2 → −3
  close(r2([1, 2, 3], [3, 2, 1]).value, -3);
});

Deno.test("mae() and rmse() let Infinity through (not treated as missing)", () => {
  assert.equal(mae([0, 1], [Infinity, 1]).value, Infinity);
  assert.equal(rmse([0, 1], [Infinity, 1]).n, 2);
});

Deno.test("metrics() throws on mismatched lengths with the argument named", () => {
  assert.throws(
    () => metrics([1, 2], [1]),
    { name: "RangeError", message: "Expected yhat to have the length of y (2) but found 1" },
  );
  assert.throws(() => directionalAccuracy([1], [1], [1, 2]), /current/);
  assert.throws(() => metrics([1], [1], { lo: [0] }), /both lo and hi/);
});

Deno.test("directionalAccuracy() equals agreement with SPEC direction_h labels", () => {
  // target_h and the current BQX: direction_h = sign(target − current) (SPEC §4)
  const n = 400, { u } = rng(11);
  const cur = normals(n, 12), y = new Float64Array(n), yhat = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const r = u();
    y[i] = r < 0.05 ? cur[i] : cur[i] + (u() - 0.5); // 5 % exact zero changes
    yhat[i] = r > 0.95 ? cur[i] : cur[i] + (u() - 0.5);
    if (r > 0.5 && r < 0.55) y[i] = NaN;
    if (r > 0.6 && r < 0.62) cur[i] = NaN;
  }
  let hits = 0, used = 0, zeros = 0, skipped = 0, rz = 0, fz = 0;
  for (let i = 0; i < n; i++) {
    if ([y[i], yhat[i], cur[i]].some(Number.isNaN)) {
      skipped++;
      continue;
    }
    const dir = Math.sign(y[i] - cur[i]), fdir = Math.sign(yhat[i] - cur[i]);
    if (dir === 0) rz++;
    if (fdir === 0) fz++;
    if (dir === 0 || fdir === 0) {
      zeros++;
      continue;
    }
    used++;
    if (dir === fdir) hits++;
  }
  const d = directionalAccuracy(y, yhat, cur);
  assert.deepEqual(
    [d.hits, d.n, d.zeros, d.skipped, d.realizedZeros, d.forecastZeros],
    [hits, used, zeros, skipped, rz, fz],
  );
  assert.ok(zeros > 10 && skipped > 10);
  close(d.value, hits / used);
});

Deno.test("directionalAccuracy() with current 0 scores change targets; tolerance widens the zero band", () => {
  const y = [0.5, -0.5, 0.01, 2], yhat = [1, -1, 1, -0.005];
  const d = directionalAccuracy(y, yhat, 0);
  assert.deepEqual([d.hits, d.n, d.zeros], [3, 4, 0]);
  const t = directionalAccuracy(y, yhat, 0, { tolerance: 0.02 });
  // rows 2 (realized 0.01) and 3 (forecast −0.005) lose their direction
  assert.deepEqual([t.hits, t.n, t.zeros, t.realizedZeros, t.forecastZeros], [2, 2, 2, 1, 1]);
  assert.throws(() => directionalAccuracy(y, yhat, 0, { tolerance: -1 }), /tolerance/);
});

Deno.test("coverage() counts below/above/crossed and skips NaN", () => {
  const y = [0, 5, -5, 1, NaN, 0.5], lo = [-1, -1, -1, 2, 0, 0.5], hi = [1, 1, 1, 1, 1, NaN];
  const c = coverage(y, lo, hi);
  // rows: 0 inside; 1 above; 2 below; 3 crossed (lo 2 > hi 1), y = 1 < lo → below; 4, 5 skipped
  assert.deepEqual([c.n, c.skipped, c.below, c.above, c.crossed], [4, 2, 2, 1, 1]);
  assert.equal(c.value, 1 / 4);
  assert.equal(c.meanWidth, (2 + 2 + 2 - 1) / 4);
});

Deno.test("coverage() of a normal's central 90 % interval is near 0.9", () => {
  const y = normals(20_000, 5), n = y.length;
  const c = coverage(y, new Float64Array(n).fill(-1.6448536), new Float64Array(n).fill(1.6448536));
  assert.ok(Math.abs(c.value - 0.9) < 0.01, `${c.value}`);
});

Deno.test("metrics() gathers every metric and leaves unasked ones NaN", () => {
  const { y, yhat } = data(300, 21);
  const m = metrics(y, yhat);
  const ref = reference(y, yhat);
  close(m.r2, ref.r2);
  close(m.mae, ref.mae);
  close(m.rmse, ref.rmse);
  assert.equal(m.n, ref.n);
  assert.ok(Number.isNaN(m.hitRate) && Number.isNaN(m.coverage));
  assert.equal(m.hitN, 0);
  const lo = y.map((v) => v - 1), hi = yhat.map((v) => v + 1);
  const full = metrics(y, yhat, { current: 0, lo, hi });
  assert.equal(full.hitRate, directionalAccuracy(y, yhat, 0).value);
  assert.equal(full.coverage, coverage(y, lo, hi).value);
});

Deno.test("metricsBy() with codes equals metrics() on each filtered subset", () => {
  const { y, yhat } = data(600, 31);
  const cur = normals(600, 33), { u } = rng(34);
  const codes = Int32Array.from({ length: 600 }, () => Math.floor(u() * 4) - 1); // −1..2
  const by = metricsBy(y, yhat, { codes, labels: ["a", "b", "c"] }, { current: cur });
  assert.deepEqual(by.map((g) => g.group), ["a", "b", "c"]);
  by.forEach((g, k) => {
    const idx = [...codes.keys()].filter((i) => codes[i] === k);
    const sub = (a: Float64Array) => idx.map((i) => a[i]);
    const want = metrics(sub(y), sub(yhat), { current: sub(cur) });
    assert.equal(g.rows, idx.length);
    assert.deepEqual({ ...g, group: undefined, rows: undefined }, {
      ...want,
      group: undefined,
      rows: undefined,
    });
  });
  // rows with code −1 are in no group
  const total = by.reduce((s, g) => s + g.rows, 0);
  assert.equal(total, codes.filter((c) => c >= 0).length);
});

Deno.test("metricsBy() accepts per-row labels (first-seen order) and overlapping masks", () => {
  const y = [1, 2, 3, 4, 5], yhat = [1, 2, 4, 4, 7];
  const byLabel = metricsBy(y, yhat, ["x", "y", "x", "y", "z"]);
  assert.deepEqual(byLabel.map((g) => [g.group, g.rows, g.mae]), [
    ["x", 2, 0.5],
    ["y", 2, 0],
    ["z", 1, 2],
  ]);
  const byMask = metricsBy(y, yhat, {
    london: [1, 1, 1, 0, 0],
    newyork: [0, 0, 1, 1, 1], // row 2 in both
  });
  assert.deepEqual(byMask.map((g) => [g.group, g.rows, g.mae]), [
    ["london", 3, 1 / 3],
    ["newyork", 3, 1],
  ]);
});

Deno.test("metricsBy() reports empty groups with n = 0 and rejects out-of-range codes", () => {
  const by = metricsBy([1, 2], [1, 2], { codes: new Int32Array([0, 0]), labels: ["a", "b"] });
  assert.equal(by[1].n, 0);
  assert.ok(Number.isNaN(by[1].mae));
  assert.throws(
    () => metricsBy([1], [1], { codes: new Int32Array([3]), labels: ["a"] }),
    { message: "Expected group codes below 1 but found 3 at row 0" },
  );
});
