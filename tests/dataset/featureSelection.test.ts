import assert from "node:assert/strict";
import type { Matrix } from "../../lib/models/base.ts";
import type { Segment } from "../../lib/dataset/segment.ts";
import { selectFeatures } from "../../lib/dataset/featureSelection.ts";
import { rng } from "../_helpers.ts";

const N = 3000, TRAIN_N = 2000;

/**
 * s0…s4 carry the signal (y = Σ (5 − k)·s_k + s0·s1), d_k = s_k + small noise (ρ ≈ 0.995), n0…n29
 * are noise, `flat` is constant. After row 2000 (outside the train segment) y = 100·n0 instead.
 */
function dataset(seed = 1): { x: Matrix; y: Float32Array } {
  const r = rng(seed);
  const g = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const names = [
    ...Array.from({ length: 5 }, (_, k) => `s${k}`),
    ...Array.from({ length: 5 }, (_, k) => `d${k}`),
    ...Array.from({ length: 30 }, (_, k) => `n${k}`),
    "flat",
  ];
  const C = names.length, data = new Float32Array(N * C), y = new Float32Array(N);
  for (let i = 0; i < N; i++) {
    const s = Array.from({ length: 5 }, g);
    const row = [...s, ...s.map((v) => v + 0.1 * g()), ...Array.from({ length: 30 }, g), 3];
    data.set(row, i * C);
    y[i] = i < TRAIN_N
      ? s.reduce((a, v, k) => a + (5 - k) * v, 0) + s[0] * s[1] + 0.3 * g()
      : 100 * row[10];
  }
  return { x: { rows: N, cols: C, data, names }, y };
}

const TRAIN: Segment = {
  name: "train",
  start: 0,
  end: TRAIN_N,
  rows: Int32Array.from({ length: TRAIN_N }, (_, i) => i),
};

Deno.test("selectFeatures() keeps one of each duplicated signal pair and says why the rest went", async () => {
  const { x, y } = dataset();
  const s = await selectFeatures(x, y, TRAIN, { target: 5, topK: 12 });
  assert.equal(s.names.length, 5);
  for (let k = 0; k < 5; k++) {
    const pair = [`s${k}`, `d${k}`];
    const kept = pair.filter((n) => s.names.includes(n));
    assert.equal(kept.length, 1, `pair ${pair}: kept ${kept}`);
    const other = pair.find((n) => n !== kept[0])!;
    const d = s.dropped.find((e) => e.name === other)!;
    assert.equal(d.reason, "correlated");
    assert.equal(d.by, kept[0]);
    assert.ok(d.rho! > 0.95);
    // the more important of the two stays
    assert.ok(s.importance[kept[0]] >= d.importance);
  }
  // every column is either kept or dropped, once
  const all = [...s.names, ...s.dropped.map((d) => d.name)].sort();
  assert.deepEqual(all, [...x.names].sort());
  // outside the top 12: rank, with importances below every kept one
  const minKept = Math.min(...Object.values(s.importance));
  for (const d of s.dropped.filter((e) => e.reason === "rank")) {
    assert.ok(d.rank >= 12 && d.importance < minKept, d.name);
  }
  assert.equal(s.dropped.find((d) => d.name === "flat")!.importance, 0);
  assert.deepEqual(s.fitOn, { name: "train", start: 0, end: TRAIN_N, rows: TRAIN_N });
  assert.equal(s.forInfer, true);
  assert.equal(s.sampleRows, TRAIN_N);
});

Deno.test("selectFeatures() reads the train rows only", async () => {
  // after row 2000, y = 100·n0: a selection that peeked would rank n0 first
  const { x, y } = dataset(2);
  const a = await selectFeatures(x, y, TRAIN, { target: 8, topK: 20 });
  assert.ok(!a.names.includes("n0"));
  const trainOnly: Matrix = { ...x, rows: TRAIN_N, data: x.data.slice(0, TRAIN_N * x.cols) };
  const b = await selectFeatures(trainOnly, y.slice(0, TRAIN_N), TRAIN, { target: 8, topK: 20 });
  assert.deepEqual(a.names, b.names);
  assert.deepEqual(a.importance, b.importance);
  assert.deepEqual(a.dropped, b.dropped);
});

Deno.test("selectFeatures() cuts to the target by importance and keeps `always` columns", async () => {
  const { x, y } = dataset(3);
  const s = await selectFeatures(x, y, TRAIN, { target: 3, topK: 12, always: ["flat"] });
  assert.ok(s.names.includes("flat"));
  assert.equal(s.names.length, 3);
  const cut = s.dropped.filter((d) => d.reason === "count");
  assert.ok(cut.length > 0);
  const keptImp = s.names.filter((n) => n !== "flat").map((n) => s.importance[n]);
  for (const d of cut) assert.ok(d.importance <= Math.min(...keptImp), d.name);
  await assert.rejects(() => selectFeatures(x, y, TRAIN, { target: 10, topK: 5 }), /topK/);
});
