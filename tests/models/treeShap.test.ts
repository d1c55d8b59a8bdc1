import assert from "node:assert/strict";
import type { Matrix } from "../../lib/models/base.ts";
import { Forest, type ForestArrays } from "../../lib/models/gbdt/forest.ts";
import { GbdtModel } from "../../lib/models/gbdt/gbdt.ts";
import { syntheticRegression } from "../../lib/models/gbdt/synthetic.ts";
import { shapImportance, treeShap } from "../../lib/models/gbdt/treeShap.ts";

/** Where row `off` of `data` goes at internal node n (the same rule as Forest.predict). */
function route(a: ForestArrays, n: number, data: Float32Array, off: number): number {
  const v = data[off + a.feature[n]], th = a.threshold[n];
  return a.left[n] + (v <= th ? 0 : v > th ? 1 : 1 - a.defaultLeft[n]);
}

/** Algorithm 1 of Lundberg et al.: E[tree | x_S] with cover-weighted averaging off S. */
function expectation(
  a: ForestArrays,
  n: number,
  S: number,
  data: Float32Array,
  off: number,
): number {
  const f = a.feature[n];
  if (f < 0) return a.value[n];
  if (S & (1 << f)) return expectation(a, route(a, n, data, off), S, data, off);
  const l = a.left[n];
  return (a.cover[l] * expectation(a, l, S, data, off) +
    a.cover[l + 1] * expectation(a, l + 1, S, data, off)) / a.cover[n];
}

/** Exact Shapley values of every feature by enumerating all 2^M subsets. */
function bruteShap(a: ForestArrays, base: number, x: Matrix, row: number): Float64Array {
  const M = x.cols, off = row * M;
  const trees = a.treeStart.length - 1;
  const v = (S: number) => {
    let s = base;
    for (let t = 0; t < trees; t++) s += expectation(a, a.treeStart[t], S, x.data, off);
    return s;
  };
  const fact = (k: number): number => (k <= 1 ? 1 : k * fact(k - 1));
  const val = new Float64Array(1 << M);
  for (let S = 0; S < 1 << M; S++) val[S] = v(S);
  const phi = new Float64Array(M);
  for (let i = 0; i < M; i++) {
    for (let S = 0; S < 1 << M; S++) {
      if (S & (1 << i)) continue;
      let k = 0;
      for (let j = 0; j < M; j++) if (S & (1 << j)) k++;
      phi[i] += (fact(k) * fact(M - k - 1) / fact(M)) * (val[S | (1 << i)] - val[S]);
    }
  }
  return phi;
}

async function smallModel() {
  // 6 features, 10 % missing, depth 4: splits repeat features along paths (the unwind branch)
  const { x, y } = syntheticRegression(600, 6, { seed: 11, missing: 0.1, noise: 0.2 });
  const m = new GbdtModel({ rounds: 12, maxDepth: 4, learningRate: 0.3, maxBins: 32, seed: 5 });
  await m.fit(x, y);
  return { m, x };
}

Deno.test("treeShap() is locally accurate: bias + Σ contributions = prediction", async () => {
  const { m, x } = await smallModel();
  const s = treeShap(m, x);
  const pred = m.predict(x);
  let worst = 0;
  for (let r = 0; r < x.rows; r++) {
    let sum = s.bias;
    for (let j = 0; j < x.cols; j++) sum += s.contributions[r * x.cols + j];
    worst = Math.max(worst, Math.abs(sum - pred[r]) / Math.max(1, Math.abs(pred[r])));
  }
  assert.ok(worst < 1e-6, `worst relative error ${worst}`); // pred is Float32
  // bias = the cover-weighted mean prediction over the training rows (squared error: ΣH = rows)
  const a = m.forestArrays;
  let e = m.baseScore;
  for (let t = 0; t < m.trees; t++) {
    const root = a.treeStart[t], end = a.treeStart[t + 1];
    for (let n = root; n < end; n++) {
      if (a.feature[n] < 0) e += a.value[n] * a.cover[n] / a.cover[root];
    }
  }
  assert.ok(Math.abs(s.bias - e) < 1e-9);
});

Deno.test("treeShap() equals brute-force Shapley values over all feature subsets", async () => {
  const { m, x } = await smallModel();
  const a = m.forestArrays;
  const s = treeShap(m, x);
  let repeated = false; // make sure some path splits twice on one feature
  for (let t = 0; t < m.trees && !repeated; t++) {
    const stack = [a.treeStart[t], 0];
    while (stack.length && !repeated) {
      const mask = stack.pop()!, n = stack.pop()!;
      const f = a.feature[n];
      if (f < 0) continue;
      if (mask & (1 << f)) repeated = true;
      stack.push(a.left[n], mask | (1 << f), a.left[n] + 1, mask | (1 << f));
    }
  }
  assert.ok(repeated, "the fixture should reuse a feature along a path");
  let nan = 0;
  for (let r = 0; r < 40; r++) {
    const phi = bruteShap(a, m.baseScore, x, r);
    for (let j = 0; j < x.cols; j++) {
      if (Number.isNaN(x.data[r * x.cols + j])) nan++;
      const got = s.contributions[r * x.cols + j];
      assert.ok(Math.abs(got - phi[j]) < 1e-9, `row ${r} feature ${j}: ${got} vs ${phi[j]}`);
    }
  }
  assert.ok(nan > 0, "some explained rows have missing values");
});

Deno.test("treeShap() sends missing values along each split's default direction", () => {
  // x0 ≤ 0.5 ? (x1 ≤ 0 ? 1 : 2) : 4, covers 10 = 6 (3 + 3) + 4
  const arrays = (defaultLeft: number) =>
    Forest.fromArrays({
      feature: Int32Array.of(0, 1, -1, -1, -1),
      threshold: Float32Array.of(0.5, 0, 0, 0, 0),
      bin: new Uint8Array(5),
      defaultLeft: Uint8Array.of(defaultLeft, 0, 0, 0, 0),
      left: Int32Array.of(1, 3, -1, -1, -1),
      value: Float64Array.of(0, 0, 4, 1, 2),
      gain: Float64Array.of(1, 1, 0, 0, 0),
      cover: Float64Array.of(10, 6, 4, 3, 3),
      treeStart: Int32Array.of(0, 5),
    }, 2).arrays();
  const x = (v: number) => ({ rows: 1, cols: 2, data: Float32Array.of(v, -1), names: ["a", "b"] });
  for (const dl of [1, 0]) {
    const model = { forestArrays: arrays(dl), baseScore: 0 };
    const miss = treeShap(model, x(NaN)).contributions;
    const same = treeShap(model, x(dl ? 0 : 1)).contributions;
    const other = treeShap(model, x(dl ? 1 : 0)).contributions;
    assert.deepEqual([...miss], [...same], `defaultLeft = ${dl}`);
    assert.notDeepEqual([...miss], [...other]);
  }
  // hand values, defaultLeft: x = (NaN → left, −1 → left): f = 1, E = 0.3·1 + 0.3·2 + 0.4·4 = 2.5
  // f({a}) = ½·1 + ½·2 = 1.5 (left subtree), f({b}) = 0.6·1 + 0.4·4 = 2.2 (b fixed at its branch)
  // φa = ½[(1.5 − 2.5) + (1 − 2.2)] = −1.1, φb = ½[(2.2 − 2.5) + (1 − 1.5)] = −0.4
  const s = treeShap({ forestArrays: arrays(1), baseScore: 0 }, x(NaN));
  assert.ok(Math.abs(s.bias - 2.5) < 1e-12);
  assert.ok(Math.abs(s.contributions[0] + 1.1) < 1e-12);
  assert.ok(Math.abs(s.contributions[1] + 0.4) < 1e-12);
});

Deno.test("shapImportance() ranks the signal features above the noise ones", async () => {
  // the generator's first 3 features (sin(π·f0) + f1·f2) plus 3 deterministic noise columns
  const { x, y } = syntheticRegression(800, 3, { seed: 3, noise: 0.1 });
  const cols = 6, data = new Float32Array(800 * cols);
  for (let r = 0; r < 800; r++) {
    for (let j = 0; j < cols; j++) {
      data[r * cols + j] = j < 3 ? x.data[r * 3 + j] : Math.sin(r * (j + 1) * 12.9898) * 2;
    }
  }
  const xx = { rows: 800, cols, data, names: ["f0", "f1", "f2", "n0", "n1", "n2"] };
  const m = new GbdtModel({ rounds: 30, maxDepth: 3, seed: 1 });
  await m.fit(xx, y);
  const imp = shapImportance(treeShap(m, xx));
  assert.deepEqual(imp.slice(0, 3).map((e) => e.name).sort(), ["f0", "f1", "f2"]);
  assert.ok(imp[3].value < 0.5 * imp[2].value, JSON.stringify(imp));
});
