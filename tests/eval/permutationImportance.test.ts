import assert from "node:assert/strict";
import { permutationImportance } from "../../lib/eval/permutationImportance.ts";
import { RidgeModel } from "../../lib/models/ridge.ts";
import type { Matrix } from "../../lib/models/base.ts";
import { rng } from "./_fixture.ts";

/** y = 2·signal + 0.5·weak + 0.5·ε; `noise` is independent of y. */
function problem(n: number, seed: number): { x: Matrix; y: Float64Array } {
  const { normal } = rng(seed);
  const data = new Float32Array(n * 3), y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = normal(), b = normal(), c = normal();
    data.set([a, b, c], i * 3);
    y[i] = 2 * a + 0.5 * c + 0.5 * normal();
  }
  return { x: { rows: n, cols: 3, data, names: ["signal", "noise", "weak"] }, y };
}

Deno.test("permutationImportance() credits the signal column and gives ≈ 0 to an unused one", async () => {
  const train = problem(2000, 1), held = problem(1000, 2);
  const m = new RidgeModel({ lambda: 0 });
  await m.fit(train.x, { y: Float32Array.from(train.y) });
  const before = held.x.data.slice();
  const imp = permutationImportance((x) => m.predict(x), held.x, held.y, {
    repeats: 10,
    seed: 3,
    verbose: false,
  });
  assert.deepEqual(held.x.data, before, "the input matrix is left unchanged");
  const [sig, noise, weak] = imp.columns;
  assert.deepEqual(imp.columns.map((c) => c.name), ["signal", "noise", "weak"]);
  // for a linear model ŷ = b·x + …, shuffling x adds b²·mean((x − x_π)²) ≈ 2·b²·Var(x) to the MSE
  const b = m.coefficients(),
    v = (j: number) => {
      let s = 0, s2 = 0;
      for (let i = 0; i < held.x.rows; i++) {
        s += held.x.data[i * 3 + j], s2 += held.x.data[i * 3 + j] ** 2;
      }
      return s2 / held.x.rows - (s / held.x.rows) ** 2;
    };
  // coefficients are per standardized train column: b_raw = b / sd_train ≈ b (unit-variance data)
  const expectSig = 2 * b.signal ** 2 * v(0);
  assert.ok(Math.abs(sig.mean - expectSig) < 0.1 * expectSig, `${sig.mean} vs ${expectSig}`);
  assert.ok(Math.abs(noise.mean) < 0.01 * sig.mean, `noise ${noise.mean} ± ${noise.std}`);
  assert.ok(weak.mean > 10 * Math.abs(noise.mean) && weak.mean < sig.mean);
  assert.ok(sig.std > 0 && sig.repeats.length === 10);
  // the baseline loss ≈ the noise variance 0.25
  assert.ok(Math.abs(imp.baseline - 0.25) < 0.03, `${imp.baseline}`);
});

Deno.test("permutationImportance() repeats with a seed and per column", () => {
  const { x, y } = problem(300, 5);
  const predict = (m: Matrix) =>
    Float64Array.from({ length: m.rows }, (_, i) => 2 * m.data[i * 3] + 0.1 * m.data[i * 3 + 1]);
  const o = { repeats: 4, seed: 9, verbose: false };
  const a = permutationImportance(predict, x, y, o);
  const b = permutationImportance(predict, x, y, o);
  assert.deepEqual(a, b);
  // asking for one column gives that column's numbers unchanged
  const only = permutationImportance(predict, x, y, { ...o, columns: ["noise"] });
  assert.deepEqual(only.columns, [a.columns[1]]);
  const c = permutationImportance(predict, x, y, { ...o, seed: 10 });
  assert.notDeepEqual(c.columns[0].repeats, a.columns[0].repeats);
  assert.equal(a.columns[2].mean, 0); // never read by predict: exactly 0
  assert.throws(
    () => permutationImportance(predict, x, y, { columns: ["zz"] }),
    /Unknown column "zz"/,
  );
});

Deno.test("permutationImportance() skips rows with a NaN label and supports mae", () => {
  const x: Matrix = { rows: 4, cols: 1, data: Float32Array.of(1, 2, 3, 4), names: ["a"] };
  const y = [1, 2, NaN, 4];
  const imp = permutationImportance((m) => m.data, x, y, {
    loss: "mae",
    repeats: 2,
    verbose: false,
  });
  assert.equal(imp.rows, 3);
  assert.equal(imp.baseline, 0);
  // any permutation of (1,2,3,4) scored on rows 0,1,3 with MAE: increase = mean |y − x_π|
  for (const r of imp.columns[0].repeats) assert.ok(r >= 0 && r <= 3);
});
