/** Behaviour of the gradient-boosted trees model (issue 4 §3, §7). */
import assert from "node:assert/strict";
import { GbdtModel } from "../../lib/models/gbdt/gbdt.ts";
import { sliceRows, syntheticRegression } from "../../lib/models/gbdt/synthetic.ts";
import type { Matrix } from "../../lib/models/base.ts";
import { rng } from "../_helpers.ts";

const col = (values: ArrayLike<number>, name = "x"): Matrix => ({
  rows: values.length,
  cols: 1,
  data: Float32Array.from(values),
  names: [name],
});

function r2(pred: ArrayLike<number>, y: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < y.length; i++) m += y[i] / y.length;
  let ss = 0, st = 0;
  for (let i = 0; i < y.length; i++) ss += (pred[i] - y[i]) ** 2, st += (y[i] - m) ** 2;
  return 1 - ss / st;
}

/** Ordinary least squares with intercept (normal equations, Gaussian elimination). */
function linearFit(x: Matrix, y: Float32Array): (m: Matrix) => Float64Array {
  const p = x.cols + 1;
  const A = Array.from({ length: p }, () => new Float64Array(p + 1));
  for (let i = 0; i < x.rows; i++) {
    const row = [1, ...x.data.subarray(i * x.cols, (i + 1) * x.cols)];
    for (let a = 0; a < p; a++) {
      for (let b = 0; b < p; b++) A[a][b] += row[a] * row[b];
      A[a][p] += row[a] * y[i];
    }
  }
  for (let c = 0; c < p; c++) {
    for (let r = c + 1; r < p; r++) {
      const f = A[r][c] / A[c][c];
      for (let k = c; k <= p; k++) A[r][k] -= f * A[c][k];
    }
  }
  const beta = new Float64Array(p);
  for (let r = p - 1; r >= 0; r--) {
    let s = A[r][p];
    for (let k = r + 1; k < p; k++) s -= A[r][k] * beta[k];
    beta[r] = s / A[r][r];
  }
  return (m) =>
    Float64Array.from({ length: m.rows }, (_, i) => {
      let s = beta[0];
      for (let j = 0; j < m.cols; j++) s += beta[j + 1] * m.data[i * m.cols + j];
      return s;
    });
}

Deno.test("GbdtModel finds a step exactly with depth 1; leaf values are −G/(H+λ)·η", async () => {
  // x = 0, 1, …, 9; y = −1 for x ≤ 5, +3 above
  const xs = Array.from({ length: 10 }, (_, i) => i), ys = xs.map((v) => (v <= 5 ? -1 : 3));
  const lambda = 1, lr = 0.3;
  const m = new GbdtModel({ rounds: 1, maxDepth: 1, lambda, learningRate: lr, baseScore: 0 });
  const rep = await m.fit(col(xs), { y: Float32Array.from(ys) });
  assert.equal(rep.iterations, 1);
  const a = m.forestArrays;
  assert.deepEqual([...a.feature], [0, -1, -1]);
  assert.equal(a.threshold[0], 5); // split "x ≤ 5": the edge is the data value itself
  // g = ŷ − y = −y; left: 6 rows with y = −1 → G = 6, H = 6; right: 4 rows, y = 3 → G = −12, H = 4
  assert.equal(a.value[1], (-6 / (6 + lambda)) * lr);
  assert.equal(a.value[2], (12 / (4 + lambda)) * lr);
  // gain = G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ), G = −6, H = 10
  assert.ok(Math.abs(a.gain[0] - (36 / 7 + 144 / 5 - 36 / 11)) < 1e-12);
  const p = m.predict(col([5, 5.5, 9]));
  assert.deepEqual([...p], [
    Math.fround((-6 / 7) * lr),
    Math.fround((12 / 5) * lr),
    Math.fround((12 / 5) * lr),
  ]);
});

Deno.test("GbdtModel recovers a planted nonlinear signal far better than a linear fit", async () => {
  const { x, y } = syntheticRegression(5000, 8, { seed: 3, noise: 0.3 });
  const train = sliceRows(x, y, 0, 4000), test = sliceRows(x, y, 4000, 5000);
  const m = new GbdtModel({ rounds: 300, maxDepth: 4, learningRate: 0.2, earlyStoppingRounds: 0 });
  await m.fit(train.x, train.y);
  const treeR2 = r2(m.predict(test.x), test.y.y);
  const linR2 = r2(linearFit(train.x, train.y.y)(test.x), test.y.y);
  assert.ok(treeR2 > 0.75, `tree R² ${treeR2}`);
  assert.ok(linR2 < 0.2, `linear R² ${linR2}`);
  // importance points at the signal's features, not at the pure-noise f7
  const imp = m.featureImportance("totalGain");
  assert.ok(imp.f0 > 10 * imp.f7 && imp.f1 > 10 * imp.f7, JSON.stringify(imp));
  assert.ok(m.featureImportance("split").f0 >= 1);
});

Deno.test("GbdtModel early stopping stops after the patience and keeps the best round", async () => {
  // a tiny noisy train set with a high learning rate overfits quickly
  const { x, y } = syntheticRegression(700, 5, { seed: 9, noise: 1 });
  const train = sliceRows(x, y, 0, 200), valid = sliceRows(x, y, 200, 700);
  const patience = 10;
  const m = new GbdtModel({
    rounds: 400,
    maxDepth: 5,
    learningRate: 0.5,
    earlyStoppingRounds: patience,
  });
  const rep = await m.fit(train.x, train.y, valid);
  const v = rep.history!.map((h) => h.valid!);
  const best = v.indexOf(Math.min(...v));
  assert.ok(rep.history!.length < 400, "stopped early");
  assert.equal(rep.history!.length, best + patience + 1);
  assert.equal(rep.bestIteration, best);
  assert.equal(rep.iterations, best + 1);
  assert.equal(m.trees, best + 1);
  assert.equal(rep.validLoss, v[best]);
  // the kept model's validation MSE is the best round's
  const p = m.predict(valid.x);
  let mse = 0;
  for (let i = 0; i < p.length; i++) mse += (p[i] - valid.y.y[i]) ** 2 / p.length;
  assert.ok(Math.abs(mse - v[best]) < 1e-5 * v[best], `${mse} vs ${v[best]}`);
});

Deno.test("GbdtModel is reproducible from its seed; another seed with subsampling differs", async () => {
  const { x, y } = syntheticRegression(1500, 6, { seed: 4 });
  const cfg = {
    rounds: 30,
    maxDepth: 4,
    subsample: 0.7,
    colsampleBytree: 0.8,
    colsampleBynode: 0.7,
  };
  const fit = async (over: Record<string, unknown>) => {
    const m = new GbdtModel({ ...cfg, ...over });
    await m.fit(x, y);
    return m.predict(x);
  };
  const a = await fit({ seed: 1 }), b = await fit({ seed: 1 }), c = await fit({ seed: 2 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  // without any sampling the seed only moves the bin sample, which covers all rows here
  const d = await fit({ seed: 1, subsample: 1, colsampleBytree: 1, colsampleBynode: 1 });
  const e = await fit({ seed: 2, subsample: 1, colsampleBytree: 1, colsampleBynode: 1 });
  assert.deepEqual(d, e);
});

Deno.test("GbdtModel gives the same model on one thread and on two workers", async () => {
  const { x, y } = syntheticRegression(3000, 12, { seed: 6, missing: 0.05 });
  const fit = async (nThreads: number) => {
    const m = new GbdtModel({
      rounds: 15,
      maxDepth: 6,
      subsample: 0.8,
      nThreads,
      parallelMinCells: 0,
      rowMajorMinCells: 0,
    });
    const rep = await m.fit(x, y);
    return { rep, p: m.predict(x) };
  };
  const one = await fit(1), two = await fit(2);
  assert.equal(one.rep.threads, 1);
  assert.equal(two.rep.threads, 2);
  assert.deepEqual(two.p, one.p);
  assert.deepEqual(two.rep.history, one.rep.history);
});

Deno.test("GbdtModel save → load → predict is bit-identical", async () => {
  const { x, y } = syntheticRegression(1000, 5, { seed: 8, missing: 0.1 });
  const m = new GbdtModel({ rounds: 25, maxDepth: 5, growPolicy: "lossguide", maxLeaves: 20 });
  await m.fit(x, y);
  const dir = await Deno.makeTempDir({ prefix: "bqx-gbdt-test-" });
  try {
    m.save(dir);
    const meta = JSON.parse(Deno.readTextFileSync(`${dir}/model.json`));
    assert.equal(meta.type, "gbdt");
    assert.equal(meta.config.maxLeaves, 20);
    assert.equal(meta.seed, 1337);
    const l = GbdtModel.load(dir);
    assert.deepEqual(l.config, m.config);
    const p = m.predict(x), q = l.predict(x);
    assert.deepEqual(new Uint32Array(q.buffer), new Uint32Array(p.buffer));
    assert.deepEqual(l.featureImportance(), m.featureImportance());
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("GbdtModel routes missing values by the learned default direction", async () => {
  // y = 1 for x > 0.5; rows with x missing have y = 1 too → NaN must go right
  const r = rng(3);
  const n = 400;
  const xs = Array.from({ length: n }, (_, i) => (i % 5 === 0 ? NaN : r()));
  const ys = xs.map((v) => (Number.isNaN(v) || v > 0.5 ? 1 : 0));
  const m = new GbdtModel({ rounds: 60, maxDepth: 2, learningRate: 0.3, baseScore: 0, lambda: 0 });
  await m.fit(col(xs), { y: Float32Array.from(ys) });
  const [pNaN, pLow, pHigh] = m.predict(col([NaN, 0.1, 0.9]));
  assert.ok(
    Math.abs(pNaN - 1) < 0.01 && Math.abs(pLow) < 0.01 && Math.abs(pHigh - 1) < 0.01,
    `${[pNaN, pLow, pHigh]}`,
  );
  // flipped labels for the missing rows → NaN goes left
  const ys2 = xs.map((v) => (Number.isNaN(v) ? 0 : v > 0.5 ? 1 : 0));
  const m2 = new GbdtModel({ rounds: 60, maxDepth: 2, learningRate: 0.3, baseScore: 0, lambda: 0 });
  await m2.fit(col(xs), { y: Float32Array.from(ys2) });
  assert.ok(Math.abs(m2.predict(col([NaN]))[0]) < 0.01);
  // a feature never missing in training sends NaN to the heavier child: here x ≤ 0.8 (80 % of rows)
  const xs3 = Array.from({ length: 100 }, (_, i) => i / 100),
    ys3 = xs3.map((v) => (v > 0.795 ? 5 : 0));
  const m3 = new GbdtModel({ rounds: 1, maxDepth: 1, learningRate: 1, baseScore: 0, lambda: 0 });
  await m3.fit(col(xs3), { y: Float32Array.from(ys3) });
  assert.equal(m3.predict(col([NaN]))[0], m3.predict(col([0]))[0]);
});

Deno.test("GbdtModel with weights equals the model on duplicated rows", async () => {
  const { x, y } = syntheticRegression(300, 3, { seed: 12 });
  x.data.forEach((v, i) => (x.data[i] = Math.round(v * 2))); // ≤ 9 distinct values: edges equal in both
  const w = Float32Array.from({ length: 300 }, (_, i) => (i % 3 === 0 ? 2 : 1));
  const dupIdx = [...Array(300).keys()].flatMap((i) => (w[i] === 2 ? [i, i] : [i]));
  const dup = {
    x: {
      rows: dupIdx.length,
      cols: 3,
      data: Float32Array.from(dupIdx.flatMap((i) => [...x.data.subarray(i * 3, i * 3 + 3)])),
      names: x.names,
    },
    y: { y: Float32Array.from(dupIdx.map((i) => y.y[i])) },
  };
  const cfg = { rounds: 10, maxDepth: 3, minChildWeight: 3 };
  const a = new GbdtModel(cfg), b = new GbdtModel(cfg);
  await a.fit(x, { y: y.y, weight: w });
  await b.fit(dup.x, dup.y);
  const pa = a.predict(x), pb = b.predict(x);
  for (let i = 0; i < 300; i++) {
    assert.ok(Math.abs(pa[i] - pb[i]) < 1e-5, `row ${i}: ${pa[i]} vs ${pb[i]}`);
  }
});

Deno.test("GbdtModel rejects unknown options, bad values and mismatched columns", async () => {
  assert.throws(() => new GbdtModel({ depth: 3 } as never), /Unknown gbdt option "depth"/);
  assert.throws(() => new GbdtModel({ subsample: 0 }), /subsample = 0/);
  assert.throws(() => new GbdtModel({ maxDepth: 0 }), /unbounded trees/);
  assert.throws(() => new GbdtModel({ learningRate: "0.1" } as never), /expected a number/);
  const m = new GbdtModel({ rounds: 2 });
  assert.throws(() => m.predict(col([1])), /before fit/);
  await assert.rejects(
    () => m.fit(col([1, 2]), { y: Float32Array.of(1) }),
    /Expected 2 train labels/,
  );
  await assert.rejects(
    () => m.fit(col([1, 2]), { y: Float32Array.of(1, NaN) }),
    /Invalid train label at row 1/,
  );
  await m.fit(col([1, 2, 3]), { y: Float32Array.of(1, 2, 3) });
  assert.throws(() => m.predict(col([1], "z")), /Column 0 is "z"/);
});
