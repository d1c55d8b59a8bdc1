import assert from "node:assert/strict";
import type { Matrix, Target } from "../../lib/models/base.ts";
import { GbdtModel } from "../../lib/models/gbdt/gbdt.ts";
import {
  choice,
  hpSearch,
  int,
  logUniform,
  sampleParam,
  timeSeriesFolds,
  uniform,
} from "../../lib/models/hpSearch.ts";
import { RidgeModel } from "../../lib/models/ridge.ts";
import { rng } from "../_helpers.ts";

function gauss(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

/** y = sign(x0)·sign(x1) + 0.1·ε, plus 2 noise columns: additive stumps (depth 1) cannot fit it. */
function xorProblem(n: number, seed: number): { x: Matrix; y: Target } {
  const r = rng(seed);
  const cols = 4, data = new Float32Array(n * cols), y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < cols; j++) data[i * cols + j] = r() * 2 - 1;
    y[i] = Math.sign(data[i * cols]) * Math.sign(data[i * cols + 1]) + 0.1 * gauss(r);
  }
  return { x: { rows: n, cols, data, names: ["a", "b", "c", "d"] }, y: { y } };
}

Deno.test("hpSearch() repeats exactly with a seed and differs with another", async () => {
  const { x, y } = xorProblem(300, 1);
  const opts = {
    space: {
      maxDepth: int(1, 3),
      learningRate: logUniform(0.05, 0.5),
      subsample: choice([0.7, 1]),
    },
    fixed: { rounds: 10, maxBins: 16 },
    maxTrials: 4,
    folds: 2,
    embargo: 10,
    seed: 42,
    verbose: false,
  };
  const factory = (c: Record<string, unknown>) => new GbdtModel(c);
  const a = await hpSearch(factory, x, y, opts);
  const b = await hpSearch(factory, x, y, opts);
  const strip = (r: typeof a) =>
    r.trials.map(({ params, config, foldLoss, loss }) => ({ params, config, foldLoss, loss }));
  assert.deepEqual(strip(a), strip(b));
  assert.equal(a.trials.length, 4);
  assert.equal(a.trials[0].config.rounds, 10);
  const c = await hpSearch(factory, x, y, { ...opts, seed: 43 });
  assert.notDeepEqual(c.trials.map((t) => t.params), a.trials.map((t) => t.params));
  // best = lowest mean fold loss
  const min = Math.min(...a.trials.map((t) => t.loss));
  assert.equal(a.best.loss, min);
  a.trials.forEach((t) => assert.equal(t.loss, (t.foldLoss[0] + t.foldLoss[1]) / 2));
});

Deno.test("hpSearch() finds that GBDT depth matters on an interaction", async () => {
  const { x, y } = xorProblem(900, 2);
  const r = await hpSearch((c) => new GbdtModel(c), x, y, {
    space: { maxDepth: int(1, 4), learningRate: uniform(0.2, 0.4) },
    fixed: { rounds: 30, maxBins: 32, seed: 1 },
    maxTrials: 8,
    folds: 3,
    embargo: 20,
    seed: 7,
    verbose: false,
  });
  const depth1 = r.trials.filter((t) => t.params.maxDepth === 1);
  const deeper = r.trials.filter((t) => (t.params.maxDepth as number) >= 2);
  assert.ok(depth1.length > 0 && deeper.length > 0, "the seed should try both");
  assert.ok((r.best.params.maxDepth as number) >= 2);
  // stumps stay near Var(y) ≈ 1; depth ≥ 2 gets close to the noise
  for (const t of depth1) assert.ok(t.loss > 0.8, `depth 1 loss ${t.loss}`);
  assert.ok(r.best.loss < 0.2, `best ${r.best.loss}`);
});

Deno.test("hpSearch() picks a large ridge λ on a noisy, wide linear problem", async () => {
  // 40 features, 150 rows, small effects, strong noise: shrinkage wins
  const rr = rng(5);
  const n = 150, p = 40, data = new Float32Array(n * p), y = new Float32Array(n);
  const beta = Array.from({ length: p }, () => 0.1 * gauss(rr));
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < p; j++) s += beta[j] * (data[i * p + j] = gauss(rr));
    y[i] = s + 2 * gauss(rr);
  }
  const x = { rows: n, cols: p, data, names: Array.from({ length: p }, (_, j) => `f${j}`) };
  const res = await hpSearch((c) => new RidgeModel(c), x, { y }, {
    space: { lambda: logUniform(1e-5, 100) },
    maxTrials: 12,
    folds: 3,
    embargo: 0,
    seed: 3,
    verbose: false,
  });
  assert.ok((res.best.params.lambda as number) > 0.3, `best λ ${res.best.params.lambda}`);
  const smallest = res.trials.reduce((a, t) =>
    (t.params.lambda as number) < (a.params.lambda as number) ? t : a
  );
  assert.ok(smallest.loss > res.best.loss * 1.2);
});

Deno.test("timeSeriesFolds() never validates before or inside its train span and embargo", () => {
  // two pairs stacked, each with a weekend-like hole, stamps in minutes; fold only rows ≥ 20
  const stamps = [
    ...Array.from({ length: 300 }, (_, i) => i),
    ...Array.from({ length: 200 }, (_, i) => 400 + i),
  ];
  const ts = Float64Array.from([...stamps, ...stamps.filter((s) => s % 7 !== 0)]);
  const rows = Int32Array.from({ length: ts.length }, (_, i) => i).filter((r) => ts[r] >= 20);
  for (const mode of ["expanding", "rolling"] as const) {
    const folds = timeSeriesFolds(ts, rows, { folds: 4, embargo: 30, mode });
    assert.equal(folds.length, 4);
    const distinct = [...new Set(Array.from(rows, (r) => ts[r]))].sort((a, b) => a - b);
    let prevValidEnd = -Infinity;
    const trainLens: number[] = [];
    for (const f of folds) {
      const tr = Array.from(f.train, (r) => ts[r]), va = Array.from(f.valid, (r) => ts[r]);
      const trMax = Math.max(...tr), vaMin = Math.min(...va);
      assert.ok(trMax < vaMin, `${mode}: train ends ${trMax}, valid starts ${vaMin}`);
      // at least `embargo` distinct stamps purged strictly between them, none of them used
      const between = distinct.filter((s) => s > trMax && s < vaMin);
      assert.equal(between.length, 30);
      for (const r of [...f.train, ...f.valid]) assert.ok(ts[r] >= 20, "only the given rows");
      assert.ok(vaMin > prevValidEnd, "validation blocks move forward");
      prevValidEnd = Math.max(...va);
      trainLens.push(new Set(tr).size);
      if (mode === "expanding") assert.equal(Math.min(...tr), 20);
      // every row of a stamp goes with its stamp (pairs share boundaries)
      for (const s of new Set(va)) {
        assert.equal(
          va.filter((v) => v === s).length,
          Array.from(rows).filter((r) => ts[r] === s).length,
        );
      }
    }
    if (mode === "rolling") assert.ok(trainLens.every((l) => l === trainLens[0]), `${trainLens}`);
    else assert.ok(trainLens.every((l, i) => i === 0 || l > trainLens[i - 1]));
    // the last block ends at the last stamp
    assert.equal(prevValidEnd, distinct[distinct.length - 1]);
  }
  assert.throws(() => timeSeriesFolds(ts, rows, { folds: 4, embargo: 200 }), /distinct stamps/);
});

Deno.test("sampleParam() stays in range for every kind", () => {
  const u = rng(1);
  for (let i = 0; i < 500; i++) {
    const a = sampleParam(uniform(-1, 2), u) as number;
    const b = sampleParam(logUniform(1e-3, 10), u) as number;
    const c = sampleParam(int(2, 5), u) as number;
    const d = sampleParam(int(1, 64, { log: true }), u) as number;
    assert.ok(a >= -1 && a < 2 && b >= 1e-3 && b < 10);
    assert.ok(Number.isInteger(c) && c >= 2 && c <= 5 && Number.isInteger(d) && d >= 1 && d <= 64);
    assert.ok(["x", "y"].includes(sampleParam(choice(["x", "y"]), u) as string));
  }
  assert.throws(() => logUniform(0, 1), /low > 0/);
});
