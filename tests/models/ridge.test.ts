import assert from "node:assert/strict";
import { matrixFromColumns } from "../../lib/models/base.ts";
import { RidgeModel } from "../../lib/models/ridge.ts";
import { rng } from "../_helpers.ts";

function data(n: number, seed: number) {
  const r = rng(seed);
  const a = new Float64Array(n), b = new Float64Array(n), c = new Float64Array(n).fill(5);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a[i] = r() * 2 - 1;
    b[i] = r() * 4 + 0.5 * a[i];
    y[i] = 1 + 2 * a[i] - 3 * b[i] + (r() - 0.5) * 0.1;
  }
  return { x: matrixFromColumns(["a", "b", "const"], [a, b, c]), y };
}

/** OLS in raw space by Gaussian elimination on [1, a, b] (independent of the model's code path). */
function ols(x: { rows: number; cols: number; data: Float32Array }, y: Float32Array): number[] {
  const k = 3, A = Array.from({ length: k }, () => new Array(k + 1).fill(0));
  for (let i = 0; i < x.rows; i++) {
    const v = [1, x.data[i * x.cols], x.data[i * x.cols + 1]];
    for (let p = 0; p < k; p++) {
      for (let q = 0; q < k; q++) A[p][q] += v[p] * v[q];
      A[p][k] += v[p] * y[i];
    }
  }
  for (let p = 0; p < k; p++) {
    for (let r = p + 1; r < k; r++) {
      const f = A[r][p] / A[p][p];
      for (let q = p; q <= k; q++) A[r][q] -= f * A[p][q];
    }
  }
  const s = new Array(k).fill(0);
  for (let p = k - 1; p >= 0; p--) {
    let t = A[p][k];
    for (let q = p + 1; q < k; q++) t -= A[p][q] * s[q];
    s[p] = t / A[p][p];
  }
  return s;
}

Deno.test("RidgeModel with lambda 0 equals ordinary least squares; constant column gets 0", async () => {
  const { x, y } = data(2000, 1);
  const m = new RidgeModel({ lambda: 0 });
  await m.fit(x, { y });
  const [b0, ba, bb] = ols(x, y);
  const p = m.predict(x);
  for (const i of [0, 17, 1999]) {
    const want = b0 + ba * x.data[i * 3] + bb * x.data[i * 3 + 1];
    assert.ok(Math.abs(p[i] - want) < 1e-4, `row ${i}: ${p[i]} vs ${want}`);
  }
  assert.equal(m.coefficients().const, 0);
});

Deno.test("RidgeModel shrinks with lambda and picks lambda on validation", async () => {
  const { x, y } = data(2000, 2);
  const v = data(500, 3);
  const small = new RidgeModel({ lambda: 0 }), big = new RidgeModel({ lambda: 10 });
  await small.fit(x, { y });
  await big.fit(x, { y });
  assert.ok(Math.abs(big.coefficients().a) < Math.abs(small.coefficients().a));
  const grid = new RidgeModel({ lambdas: [100, 1e-6, 10] });
  const rep = await grid.fit(x, { y }, { x: v.x, y: { y: v.y } });
  assert.equal(rep.history?.length, 3);
  assert.ok(rep.validLoss! < 0.01, `valid MSE ${rep.validLoss}`);
  assert.ok(Math.abs(grid.coefficients().a - small.coefficients().a) < 1e-3);
});

Deno.test("RidgeModel imputes NaN with the train mean and skips NaN labels", async () => {
  const { x, y } = data(500, 4);
  x.data[10 * 3] = NaN;
  y[20] = NaN;
  const m = new RidgeModel({ lambda: 0 });
  await m.fit(x, { y });
  const p = m.predict(x);
  assert.ok(Number.isFinite(p[10]) && Number.isFinite(p[20]));
});

Deno.test("RidgeModel save → load → predict is bit-identical", async () => {
  const { x, y } = data(300, 5);
  const m = new RidgeModel({ lambda: 0.01 });
  await m.fit(x, { y });
  const dir = await Deno.makeTempDir();
  m.save(dir);
  const back = RidgeModel.load(dir);
  assert.deepEqual([...back.predict(x)], [...m.predict(x)]);
  assert.deepEqual(back.config, m.config);
});

Deno.test("RidgeModel rejects unknown options and a wrong column count", async () => {
  assert.throws(() => new RidgeModel({ lambdaa: 1 } as never), /Unknown ridge option "lambdaa"/);
  const { x, y } = data(50, 6);
  const m = new RidgeModel();
  await m.fit(x, { y });
  assert.throws(() => m.predict(matrixFromColumns(["a"], [[1]])), /Expected 3 columns/);
});
