import assert from "node:assert/strict";
import {
  combine,
  fitRunEnsemble,
  fitStacked,
  fitWeights,
  StackedEnsemble,
  WeightedEnsemble,
} from "../../lib/models/ensemble.ts";
import type { RunModelContext, RunModelResult } from "../../lib/models/registry.ts";
import { RUN_MODEL_SPECS } from "../../lib/models/registry.ts";
import { rng } from "../_helpers.ts";

function normals(n: number, seed: number): Float64Array {
  const r = rng(seed);
  return Float64Array.from(
    { length: n },
    () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r()),
  );
}

const sse = (p: ArrayLike<number>, y: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (p[i] - y[i]) ** 2;
  return s;
};

Deno.test("fitWeights() recovers an exact convex combination", () => {
  const a = normals(200, 1), b = normals(200, 2);
  const y = a.map((v, i) => 0.3 * v + 0.7 * b[i]);
  const w = fitWeights([a, b], y);
  assert.ok(Math.abs(w[0] - 0.3) < 1e-9 && Math.abs(w[1] - 0.7) < 1e-9, `${w}`);
});

Deno.test("fitWeights() finds the simplex optimum of a grid search, zeroing a useless model", () => {
  // m0 = y + 0.5·e0, m1 = y + e1, m2 = 2·m0 − y = y + e0: unconstrained least squares would
  // take w2 = −1 (cancelling e0 exactly); on the simplex m2 only adds noise, so w2 = 0
  const n = 300, s = normals(n, 3), e0 = normals(n, 4), e1 = normals(n, 5);
  const y = s;
  const m0 = y.map((v, i) => v + 0.5 * e0[i]), m1 = y.map((v, i) => v + e1[i]);
  const m2 = m0.map((v, i) => 2 * v - y[i]);
  const w = fitWeights([m0, m1, m2], y);
  assert.equal(w[2], 0);
  assert.ok(Math.abs(w[0] + w[1] + w[2] - 1) < 1e-12);
  // no point of a 0.005 grid on the simplex does better
  const best = sse(combine([m0, m1, m2], w), y);
  for (let i = 0; i <= 200; i++) {
    for (let j = 0; i + j <= 200; j++) {
      const g = [i / 200, j / 200, (200 - i - j) / 200];
      assert.ok(sse(combine([m0, m1, m2], g), y) >= best - 1e-9, `grid ${g}`);
    }
  }
  // hand value of the 2-model optimum with independent errors: w0 ∝ 1/σ0², σ0² ≈ 0.25, σ1² ≈ 1
  assert.ok(Math.abs(w[0] - 0.8) < 0.05, `${w}`);
});

Deno.test("fitWeights() with inverseMse weighs models by 1 / MSE", () => {
  const y = [0, 0, 0, 0];
  const w = fitWeights([[1, -1, 1, -1], [2, 2, -2, -2], [0, 0, 0, 4]], y, { method: "inverseMse" });
  // MSEs 1, 4, 4 → 1, 0.25, 0.25 normalized by 1.5
  const want = [1 / 1.5, 0.25 / 1.5, 0.25 / 1.5];
  want.forEach((v, k) => assert.ok(Math.abs(w[k] - v) < 1e-12));
  assert.throws(() => fitWeights([[1]], [0], { method: "nope" as "simplex" }), /Invalid method/);
});

Deno.test("fitStacked() CV table equals a hand computation over time-ordered blocks", () => {
  // two "pairs" stacked: rows 0..59 and 60..119 share stamps, so row order ≠ time order
  const n = 60, min = 60_000;
  const ts = Float64Array.from({ length: 2 * n }, (_, i) => (i % n) * min);
  const p = normals(2 * n, 7), e = normals(2 * n, 8);
  const y = p.map((v, i) => 0.6 * v + e[i]);
  const lambdas = [0, 0.5, 4];
  const folds = 3, embargoMs = 2 * min;
  const fit = fitStacked([p], y, { lambdas, folds, ts, embargoMs });
  // independent: blocks of 40 rows in time order (ties by row), 1-D ridge in closed form
  // coef = Sxy / (Sxx · (1 + λ)) (λ per row on the standardized column), intercept = ȳ − coef · x̄
  const order = Array.from({ length: 2 * n }, (_, i) => i).sort((a, b) => ts[a] - ts[b] || a - b);
  for (const [li, lambda] of lambdas.entries()) {
    let se = 0;
    for (let f = 0; f < folds; f++) {
      const held = order.slice(f * 40, f * 40 + 40);
      const lo = ts[held[0]] - embargoMs, hi = ts[held[39]] + embargoMs;
      const tr = order.filter((i) => !held.includes(i) && (ts[i] < lo || ts[i] > hi));
      const mx = tr.reduce((s, i) => s + p[i], 0) / tr.length;
      const my = tr.reduce((s, i) => s + y[i], 0) / tr.length;
      let sxy = 0, sxx = 0;
      for (const i of tr) sxy += (p[i] - mx) * (y[i] - my), sxx += (p[i] - mx) ** 2;
      const c = sxy / (sxx * (1 + lambda)), b = my - c * mx;
      for (const i of held) se += (b + c * p[i] - y[i]) ** 2;
    }
    assert.ok(Math.abs(fit.cv[li].mse - se / (2 * n)) < 1e-8, `λ ${lambda}`);
  }
  const bestCv = Math.min(...fit.cv.map((r) => r.mse));
  assert.equal(fit.cv.find((r) => r.lambda === fit.lambda)!.mse, bestCv);
  // the final fit uses every row with the chosen λ
  const mx = p.reduce((s, v) => s + v, 0) / (2 * n), my = y.reduce((s, v) => s + v, 0) / (2 * n);
  let sxy = 0, sxx = 0;
  for (let i = 0; i < 2 * n; i++) sxy += (p[i] - mx) * (y[i] - my), sxx += (p[i] - mx) ** 2;
  assert.ok(Math.abs(fit.coef[0] - sxy / (sxx * (1 + fit.lambda))) < 1e-8);
});

Deno.test("fitStacked() shrinks hard when the base predictions are noise", () => {
  const y = normals(400, 11), a = normals(400, 12), b = normals(400, 13);
  const fit = fitStacked([a, b], y, { lambdas: [0, 0.01, 100] });
  assert.equal(fit.lambda, 100);
  assert.ok(Math.abs(fit.coef[0]) < 0.01 && Math.abs(fit.coef[1]) < 0.01);
});

Deno.test("WeightedEnsemble and StackedEnsemble predict identically after save / load", () => {
  const dir = Deno.makeTempDirSync({ prefix: "bqx_ens_" });
  try {
    const a = normals(100, 21), b = normals(100, 22);
    const y = a.map((v, i) => 0.5 * v + 0.2 * b[i] + 0.1);
    const w = WeightedEnsemble.fit(["a", "b"], [a, b], y);
    w.save(`${dir}/w`);
    assert.deepEqual(WeightedEnsemble.load(`${dir}/w`).predict([a, b]), w.predict([a, b]));
    const s = StackedEnsemble.fitOn(["a", "b"], [a, b], y, { folds: 4 });
    s.save(`${dir}/s`);
    const back = StackedEnsemble.load(`${dir}/s`);
    assert.deepEqual(back.predict([a, b]), s.predict([a, b]));
    assert.ok(Math.abs(s.fit.intercept - 0.1) < 1e-6 && Math.abs(s.fit.coef[0] - 0.5) < 1e-6);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

function fakeCtx(
  fitted: Record<string, RunModelResult>,
  yValid: Float64Array,
  overrides: Record<string, Record<string, unknown>> = {},
): RunModelContext {
  const nv = yValid.length;
  const y = new Float32Array(nv + 2);
  y.set(yValid);
  return {
    ds: { ts: Float64Array.from({ length: nv + 2 }, (_, i) => i * 60_000) },
    y,
    valid: Int32Array.from({ length: nv }, (_, i) => i),
    test: Int32Array.of(nv, nv + 1),
    overrides,
    fitted: new Map(Object.entries(fitted)),
  } as unknown as RunModelContext;
}

Deno.test("ensemble registry entries combine the earlier models and need two of them", async () => {
  const a = normals(80, 31), b = normals(80, 32);
  const y = Float64Array.from(a, (v, i) => Math.fround(0.25 * v + 0.75 * b[i]));
  const res = (valid: Float64Array, test: number[]): RunModelResult => ({
    valid,
    test: Float64Array.from(test),
    iterations: 1,
    save() {},
  });
  const fitted = {
    ridge: res(a, [1, 0]),
    gbdt: res(b, [0, 1]),
    ensemble_weighted: res(a, [9, 9]), // an earlier ensemble is not a base model
  };
  const out = await RUN_MODEL_SPECS.ensemble_weighted.fit(fakeCtx(fitted, y));
  const w = out.info!.weights as Record<string, number>;
  assert.deepEqual(Object.keys(w), ["ridge", "gbdt"]);
  assert.ok(Math.abs(w.ridge - 0.25) < 1e-6 && Math.abs(w.gbdt - 0.75) < 1e-6);
  assert.ok(Math.abs(out.test[0] - 0.25) < 1e-6 && Math.abs(out.test[1] - 0.75) < 1e-6);
  // 80 one-minute rows: a 2-minute embargo (the default 2 h would empty every fold)
  const ctx = fakeCtx(fitted, y, { ensemble_stacked: { embargoMs: 120_000, lambdas: [0] } });
  const st = await RUN_MODEL_SPECS.ensemble_stacked.fit(ctx);
  assert.equal(st.info!.lambda, 0);
  const coef = st.info!.coef as Record<string, number>;
  assert.ok(Math.abs(coef.ridge - 0.25) < 1e-6 && Math.abs(coef.gbdt - 0.75) < 1e-6);
  assert.throws(
    () => fitRunEnsemble(fakeCtx(fitted, y), "stacked"),
    /every CV fold lost its fit rows/,
  );
  assert.throws(
    () => fitRunEnsemble(fakeCtx({ ridge: fitted.ridge }, y), "stacked"),
    /needs at least 2 base models .* found 1 \(ridge\)/,
  );
});
