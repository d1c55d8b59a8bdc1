import assert from "node:assert/strict";
import type { Matrix } from "../../lib/models/base.ts";
import type { Segment } from "../../lib/dataset/segment.ts";
import { pruneCorrelated, select } from "../../lib/dataset/selection.ts";
import { rng } from "../_helpers.ts";

const N = 2000;
const TRAIN: Segment = {
  name: "train",
  start: 0,
  end: 1,
  rows: Int32Array.from({ length: 1400 }, (_, i) => i),
};

/**
 * a; b = a + small noise (ρ ≈ 0.99); c independent; d = −a (ρ = −1); e = 2c + noise (ρ ≈ 0.98);
 * f constant; g = c with a third of the values missing; h = a + large noise (ρ ≈ 0.7).
 */
function correlatedSet(seed = 1): Matrix {
  const r = rng(seed);
  const g = () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
  const names = ["a", "b", "c", "d", "e", "f", "g", "h"];
  const data = new Float32Array(N * names.length);
  for (let i = 0; i < N; i++) {
    const a = g(), c = g();
    const row = [a, a + 0.1 * g(), c, -a, 2 * c + 0.3 * g(), 5, i % 3 === 0 ? NaN : c, a + g()];
    data.set(row, i * names.length);
  }
  return { rows: N, cols: names.length, data, names };
}

Deno.test("pruneCorrelated() keeps the earlier column of each correlated group", () => {
  const s = pruneCorrelated(correlatedSet(), TRAIN);
  assert.deepEqual(s.names, ["a", "c", "h"]);
  const why = Object.fromEntries(s.dropped.map((d) => [d.name, [d.reason, d.by ?? null]]));
  assert.deepEqual(why, {
    b: ["correlated", "a"],
    d: ["correlated", "a"],
    e: ["correlated", "c"],
    f: ["constant", null],
    g: ["correlated", "c"],
  });
  assert.ok(Math.abs(s.dropped.find((d) => d.name === "d")!.rho! + 1) < 1e-6);
  assert.equal(s.forInfer, true);
  assert.deepEqual(s.fitOn, { name: "train", start: 0, end: 1, rows: 1400 });
});

Deno.test("pruneCorrelated() keeps the higher-importance column given a ranking or scores", () => {
  const x = correlatedSet();
  const ranked = pruneCorrelated(x, TRAIN, { importance: ["e", "b"] });
  // e and b go first: a (≈ b) and c, g (≈ e) and d (≈ −b) are dropped; kept in matrix order
  assert.deepEqual(ranked.names, ["b", "e", "h"]);
  assert.equal(ranked.dropped.find((d) => d.name === "a")!.by, "b");
  assert.equal(ranked.dropped.find((d) => d.name === "c")!.by, "e");
  const scored = pruneCorrelated(x, TRAIN, { importance: { a: 0.1, b: 0.5, g: 0.9 } });
  assert.deepEqual(scored.names, ["b", "g", "h"]);
  assert.equal(scored.dropped.find((d) => d.name === "c")!.by, "g");
  // a lower threshold also drops h (ρ ≈ 0.7 with a)
  assert.deepEqual(pruneCorrelated(x, TRAIN, { threshold: 0.5 }).names, ["a", "c"]);
});

Deno.test("pruneCorrelated() fits on train only", () => {
  const x = correlatedSet();
  const base = pruneCorrelated(x, TRAIN);
  // outside train, make b a copy of c and h a copy of a: nothing changes
  const y = { ...x, data: x.data.slice() };
  for (let i = 1400; i < N; i++) {
    y.data[i * 8 + 1] = y.data[i * 8 + 2];
    y.data[i * 8 + 7] = y.data[i * 8];
  }
  assert.deepEqual(pruneCorrelated(y, TRAIN), base);
  // inside train, it does
  for (let i = 0; i < 1400; i++) y.data[i * 8 + 7] = y.data[i * 8];
  assert.deepEqual(pruneCorrelated(y, TRAIN).names, ["a", "c"]);
});

Deno.test("pruneCorrelated() subsampling keeps the same answer on a clear-cut set", () => {
  const x = correlatedSet(7);
  assert.deepEqual(pruneCorrelated(x, TRAIN, { maxRows: 300 }).names, ["a", "c", "h"]);
});

Deno.test("select() projects a matrix onto named columns and rejects unknown ones", () => {
  const x = correlatedSet();
  const s = pruneCorrelated(x, TRAIN);
  const p = select(x, s.names);
  assert.deepEqual(p.names, ["a", "c", "h"]);
  assert.equal(p.cols, 3);
  for (const i of [0, 999, N - 1]) {
    assert.deepEqual([...p.data.slice(i * 3, i * 3 + 3)], [0, 2, 7].map((j) => x.data[i * 8 + j]));
  }
  assert.throws(() => select(x, ["a", "zz"]), {
    name: "RangeError",
    message: 'Unknown column "zz": the matrix has 8 columns',
  });
});
