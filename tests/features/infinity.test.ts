/**
 * ±Infinity from a family is a contract breach: it is stored as null and counted, either by
 * computePair's scan (default) or, in the build (`scan: false`), by the quality pass that runs
 * before anything is written.
 * @module
 */
import assert from "node:assert/strict";
import { computePair } from "../../lib/features/compute.ts";
import { pairQuality } from "../../lib/features/build.ts";
import type { FeatureFamily, PairSeries } from "../../lib/features/_types.ts";

const spec = (name: string) => ({
  name,
  family: "bad",
  domain: "idx" as const,
  scope: "primary" as const,
  params: {},
  warmup: 0,
});
/** Writes 1/x of the close (∞ where close = 0) and a lag-like copy through out32. */
const bad: FeatureFamily = {
  name: "bad",
  specs: () => [spec("idx_inv"), spec("idx_copy")],
  compute(s, ctx, out) {
    const o = out("idx_inv");
    for (let t = ctx.from; t < s.n; t++) o[t] = 1 / s.close[t];
    const c = ctx.out32?.("idx_copy") ?? out("idx_copy");
    c.set(s.close.map((v) => (v === 0 ? -Infinity : v)));
  },
};
const close = new Float64Array([2, 0, 4, NaN, 0, 8]);
const series = { pair: "eurusd", n: close.length, close } as unknown as PairSeries;

Deno.test("computePair() stores ±Infinity as NaN and counts it per column", () => {
  const r = computePair(series, { families: [bad] });
  assert.deepEqual([...r.columns[0]], [0.5, NaN, 0.25, NaN, NaN, 0.125]);
  assert.deepEqual([...r.columns[1]], [2, NaN, 4, NaN, NaN, 8]);
  assert.deepEqual(r.infinities, [2, 2]);
});

Deno.test("pairQuality() replaces and counts ±Infinity left by computePair({ scan: false })", () => {
  const r = computePair(series, { families: [bad], scan: false });
  assert.equal(r.columns[0][1], Infinity);
  assert.equal(r.columns[1][4], -Infinity);
  assert.deepEqual(r.infinities, [0, 0]);
  const q = pairQuality(r);
  assert.deepEqual([...r.columns[0]], [0.5, NaN, 0.25, NaN, NaN, 0.125]);
  assert.deepEqual([...r.columns[1]], [2, NaN, 4, NaN, NaN, 8]);
  assert.deepEqual(q.map((x) => [x.infinities, x.nulls, x.min, x.max]), [[2, 3, 0.125, 0.5], [
    2,
    3,
    2,
    8,
  ]]);
});

Deno.test("computePair({ stats: true }) gathers the same quality figures as pairQuality's own pass", () => {
  let seed = 7;
  const u = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const n = 5000;
  const c = Float64Array.from({ length: n }, () => {
    const r = u();
    return r < 0.05 ? 0 : r < 0.1 ? NaN : (u() - 0.5) * 1e3;
  });
  const s = { pair: "eurusd", n, close: c } as unknown as PairSeries;
  const fused = computePair(s, { families: [bad], stats: true });
  const plain = computePair(s, { families: [bad] });
  assert.ok(fused.stats);
  assert.deepEqual(pairQuality(fused), pairQuality(plain));
  for (let j = 0; j < 2; j++) assert.deepEqual([...fused.columns[j]], [...plain.columns[j]]);
  assert.ok(pairQuality(plain)[0].infinities > 100);
});

Deno.test("computePair({ stats: true }): lastNull is each column's last null; out32(name, false) storage is written whole by the family", () => {
  let seed = 11;
  const u = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const n = 3000;
  const c = Float64Array.from({ length: n }, (_, i) => {
    const r = u();
    return i < 40 ? NaN : r < 0.01 ? 0 : r < 0.02 ? NaN : (u() - 0.5) * 10;
  });
  const unfilled: FeatureFamily = {
    name: "unfilled",
    specs: () => [spec("idx_copy2")],
    compute(s, ctx, out) {
      const o32 = ctx.out32?.("idx_copy2", false);
      const o = o32 ?? out("idx_copy2");
      for (let t = 0; t < s.n; t++) o[t] = s.close[t] === 0 ? Infinity : s.close[t];
    },
  };
  const s = { pair: "eurusd", n, close: c } as unknown as PairSeries;
  // a recycled (dirty) Float32 buffer must not leak: run twice with reuse
  computePair(s, { families: [bad, unfilled], stats: true, reuse: true });
  const r = computePair(s, { families: [bad, unfilled], stats: true, reuse: true });
  const plain = computePair(s, { families: [bad, unfilled] });
  for (let j = 0; j < 3; j++) {
    assert.deepEqual([...r.columns[j]], [...plain.columns[j]], r.specs[j].name);
    let last = -1;
    for (let i = 0; i < n; i++) if (Number.isNaN(plain.columns[j][i])) last = i;
    assert.equal(r.stats!.lastNull[j], last, r.specs[j].name);
  }
  assert.deepEqual(pairQuality(r), pairQuality(plain));
  assert.ok(r.infinities[2] > 10);
});
