import assert from "node:assert/strict";
import { type QuadFit, REG_WINDOWS, rollingQuadFit } from "../../lib/features/_quadFit.ts";
import { regression } from "../../lib/features/regression.ts";
import type { PairSeries } from "../../lib/features/_types.ts";
import { sliceSeries } from "../../lib/features/series.ts";
import { fixture, perturbAfter, runFamily } from "./_fixture.ts";

// ---------------------------------------------------------------- independent references

/** Direct least squares of y over rows t−w+1..t, x = 0..w−1 (null when the window holds a NaN). */
interface Ref {
  a0: number;
  a1: number;
  a2: number;
  fit: number;
  residual: number;
  prediction: number;
  r2: number;
  rmse: number;
  std: number;
}

/** Solve the 3×3 system A·c = b by Gaussian elimination with partial pivoting. */
function solve3(A: number[][], b: number[]): number[] {
  const M = A.map((r, i) => [...r, b[i]]);
  for (let col = 0; col < 3; col++) {
    let p = col;
    for (let r = col + 1; r < 3; r++) if (Math.abs(M[r][col]) > Math.abs(M[p][col])) p = r;
    [M[col], M[p]] = [M[p], M[col]];
    for (let r = col + 1; r < 3; r++) {
      const f = M[r][col] / M[col][col];
      for (let k = col; k < 4; k++) M[r][k] -= f * M[col][k];
    }
  }
  const c = [0, 0, 0];
  for (let r = 2; r >= 0; r--) {
    let s = M[r][3];
    for (let k = r + 1; k < 3; k++) s -= M[r][k] * c[k];
    c[r] = s / M[r][r];
  }
  return c;
}

/**
 * Fit on centered and scaled coordinates (z = (x − m)/m ∈ [−1, 1], y minus its window mean) by the
 * normal equations, then mapped back to x = 0..w−1.
 */
function directFit(y: Float64Array, t: number, w: number): Ref | null {
  if (t < w - 1) return null;
  const m = (w - 1) / 2;
  let mean = 0;
  for (let j = t - w + 1; j <= t; j++) {
    if (Number.isNaN(y[j])) return null;
    mean += y[j];
  }
  mean /= w;
  const S = [0, 0, 0, 0, 0], B = [0, 0, 0];
  let sst = 0;
  for (let x = 0; x < w; x++) {
    const z = (x - m) / m, d = y[t - w + 1 + x] - mean;
    let p = 1;
    for (let k = 0; k < 5; k++) {
      S[k] += p;
      if (k < 3) B[k] += p * d;
      p *= z;
    }
    sst += d * d;
  }
  const [c0, c1, c2] = solve3([[S[0], S[1], S[2]], [S[1], S[2], S[3]], [S[2], S[3], S[4]]], B);
  const at = (x: number) => {
    const z = (x - m) / m;
    return c0 + c1 * z + c2 * z * z;
  };
  let sse = 0;
  for (let x = 0; x < w; x++) {
    const e = y[t - w + 1 + x] - mean - at(x);
    sse += e * e;
  }
  return {
    a2: c2 / (m * m),
    a1: c1 / m - (2 * c2) / m,
    a0: mean + c0 - c1 + c2,
    fit: mean + at(w - 1),
    residual: y[t] - mean - at(w - 1),
    prediction: mean + at(w),
    r2: sst > 0 ? 1 - sse / sst : NaN,
    rmse: Math.sqrt(sse / w),
    std: Math.sqrt(sst / (w - 1)),
  };
}

function directFits(y: Float64Array, w: number): (Ref | null)[] {
  return Array.from({ length: y.length }, (_, t) => directFit(y, t, w));
}

/** Direct mean, sample std, z over rows t−w+1..t (NaN when the window holds a NaN). */
function directStats(x: Float64Array, t: number, w: number): [number, number, number] {
  if (t < w - 1) return [NaN, NaN, NaN];
  let s = 0;
  for (let j = t - w + 1; j <= t; j++) s += x[j];
  const mu = s / w;
  let v = 0;
  for (let j = t - w + 1; j <= t; j++) v += (x[j] - mu) ** 2;
  const sd = Math.sqrt(v / (w - 1));
  return [mu, sd, sd > 0 ? (x[t] - mu) / sd : NaN];
}

function randomWalk(n: number, seed: number, level = 100, step = 0.02): Float64Array {
  let a = seed >>> 0;
  const rnd = () => {
    a = (a * 1664525 + 1013904223) >>> 0;
    return a / 4294967296 - 0.5;
  };
  const y = new Float64Array(n);
  let v = level;
  for (let i = 0; i < n; i++) y[i] = v += step * rnd();
  return y;
}

const run = (s: PairSeries, from = 0) => runFamily(regression, s, from);

/** |a − b| <= tol, or both NaN. */
function close(a: number, b: number, tol: number, what: string): void {
  if (Number.isNaN(b)) {
    assert.ok(Number.isNaN(a), `${what}: expected NaN, found ${a}`);
    return;
  }
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (tol ${tol})`);
}

const { series } = fixture();
const eurusd = series.get("eurusd")!;

// ---------------------------------------------------------------- kernel

function checkKernel(y: Float64Array, w: number, label: string): void {
  const f: QuadFit = rollingQuadFit(y, w);
  for (let t = 0; t < y.length; t++) {
    const r = directFit(y, t, w);
    const what = (k: string) => `${label} w=${w} t=${t} ${k}`;
    if (!r) {
      for (const k of ["a0", "a2", "fit", "residual", "r2", "rmse", "std"] as const) {
        assert.ok(Number.isNaN(f[k][t]), what(k));
      }
      continue;
    }
    const tol = 1e-8 * r.std; // relative to the data scale of the window
    const xe = w - 1;
    close(f.a2[t] * xe * xe, r.a2 * xe * xe, tol, what("a2·xe²"));
    close(f.quadTerm[t], r.a2 * xe * xe, tol, what("quadTerm"));
    close(f.a1[t] * xe, r.a1 * xe, tol, what("a1·xe"));
    close(f.linTerm[t], r.a1 * xe, tol, what("linTerm"));
    close(f.a0[t], r.a0, tol, what("a0"));
    close(f.fit[t], r.fit, tol, what("fit"));
    close(f.residual[t], r.residual, tol, what("residual"));
    close(f.prediction[t], r.prediction, tol, what("prediction"));
    close(f.rmse[t], r.rmse, tol, what("rmse"));
    close(f.std[t], r.std, tol, what("std"));
    close(f.r2[t], r.r2, 1e-8, what("r2"));
    close(f.quadNorm[t], (r.a2 * xe * xe) / r.std, 1e-8, what("quadNorm"));
    close(f.linNorm[t], (r.a1 * xe) / r.std, 1e-8, what("linNorm"));
    const qn = (r.a2 * xe * xe) / r.std;
    if (Math.abs(qn) > 1e-3) {
      const apex = Math.max(-2, Math.min(2, (-r.a1 / (2 * r.a2) - xe) / w));
      close(f.apex[t], apex, 1e-6, what("apex"));
    } else {
      assert.ok(Number.isNaN(f.apex[t]) || Math.abs(f.apex[t]) <= 2, what("apex"));
    }
  }
}

Deno.test("rollingQuadFit() matches a direct least-squares fit on a random walk", () => {
  const y = randomWalk(1400, 7);
  for (const w of [60, 630]) checkKernel(y, w, "walk");
});

Deno.test("rollingQuadFit() matches a direct least-squares fit on real-like idx and bqx", () => {
  const idx = eurusd.close.subarray(0, 1500), bqx = eurusd.bqx.subarray(0, 1500);
  for (const w of [60, 630]) {
    checkKernel(idx, w, "idx");
    checkKernel(bqx, w, "bqx");
  }
});

Deno.test("rollingQuadFit() yields NaN for windows holding a NaN and recovers after", () => {
  const y = randomWalk(400, 3);
  y[150] = NaN;
  const f = rollingQuadFit(y, 60);
  for (let t = 150; t < 209; t++) assert.ok(Number.isNaN(f.fit[t]), `t=${t}`);
  checkKernel(y, 60, "gap");
});

Deno.test("rollingQuadFit() recovers an exact parabola and handles a flat window", () => {
  const y = new Float64Array(100);
  for (let x = 0; x < 100; x++) y[x] = 3e-4 * (x - 40) ** 2 + 1.5;
  const f = rollingQuadFit(y, 90);
  for (let t = 89; t < 100; t++) {
    const x0 = t - 89; // the window's first row: y = 3e-4·(x + x0 − 40)² + 1.5
    assert.ok(Math.abs(f.a2[t] - 3e-4) < 1e-12);
    assert.ok(Math.abs(f.a1[t] - 6e-4 * (x0 - 40)) < 1e-11);
    assert.ok(Math.abs(f.residual[t]) < 1e-10 && f.r2[t] > 1 - 1e-12);
    assert.ok(Math.abs(f.prediction[t] - (3e-4 * (t + 1 - 40) ** 2 + 1.5)) < 1e-10);
    // apex at x = 40 − x0 in window coordinates: (40 − x0 − 89) / 90 = (40 − t) / 90 windows
    assert.ok(Math.abs(f.apex[t] - (40 - t) / 90) < 1e-9);
  }
  const flat = rollingQuadFit(new Float64Array(80).fill(1.25), 60);
  for (let t = 59; t < 80; t++) {
    assert.equal(flat.quadTerm[t], 0);
    assert.equal(flat.fit[t], 1.25);
    assert.equal(flat.rmse[t], 0);
    assert.equal(flat.std[t], 0);
    assert.ok(Number.isNaN(flat.r2[t]) && Number.isNaN(flat.quadNorm[t]));
    assert.ok(Number.isNaN(flat.apex[t]));
  }
  assert.throws(() => rollingQuadFit(y, 2), {
    message: "Expected window to be an integer >= 3 but found 2",
  });
});

Deno.test("rollingQuadFit() gives bit-identical values whatever from is", () => {
  const y = randomWalk(2000, 11);
  const all = rollingQuadFit(y, 150);
  for (const from of [149, 150, 700, 1023, 1024, 1999]) {
    const part = rollingQuadFit(y, 150, from);
    for (let t = from; t < 2000; t++) {
      for (const k of ["a0", "a1", "a2", "residual", "r2", "rmse", "apex"] as const) {
        assert.ok(Object.is(part[k][t], all[k][t]), `from=${from} t=${t} ${k}`);
      }
    }
  }
});

// ---------------------------------------------------------------- family

Deno.test("regression computes every column as the direct references do", () => {
  const s = eurusd;
  const cols = run(s);
  for (const [domain, y] of [["idx", s.close], ["bqx", s.bqx]] as const) {
    const refs = REG_WINDOWS.map((w) => directFits(y, w));
    REG_WINDOWS.forEach((w, i) => {
      const ref = refs[i], next = refs[(i + 1) % REG_WINDOWS.length];
      const w2 = REG_WINDOWS[(i + 1) % REG_WINDOWS.length];
      const xe = w - 1, x2 = w2 - 1;
      const col = (stat: string) => cols.get(`${domain}_reg_${w}_${stat}`)!;
      const residual = new Float64Array(s.n).fill(NaN);
      for (let t = 0; t < s.n; t++) if (ref[t]) residual[t] = ref[t]!.residual;
      for (let t = 0; t < s.n; t++) {
        const r = ref[t], g = next[t];
        const what = (k: string) => `${domain} w=${w} t=${t} ${k}`;
        if (!r) {
          for (const stat of ["quadratic_term", "r2", "prediction", "apex", "residual_z"]) {
            assert.ok(Number.isNaN(col(stat)[t]), what(stat));
          }
          continue;
        }
        const tol = 1e-8 * r.std;
        close(col("quadratic_term")[t], r.a2 * xe * xe, tol, what("quadratic_term"));
        close(col("linear_term")[t], r.a1 * xe, tol, what("linear_term"));
        close(col("constant_term")[t], r.a0, tol, what("constant_term"));
        close(col("residual")[t], r.residual, tol, what("residual"));
        close(col("r2")[t], r.r2, 1e-8, what("r2"));
        close(col("rmse")[t], r.rmse, tol, what("rmse"));
        close(col("prediction")[t], r.prediction, tol, what("prediction"));
        const qn = (r.a2 * xe * xe) / r.std;
        close(col("quadratic_norm")[t], qn, 1e-8, what("quadratic_norm"));
        close(col("linear_norm")[t], (r.a1 * xe) / r.std, 1e-8, what("linear_norm"));
        if (Math.abs(qn) > 1e-3) {
          const apex = Math.max(-2, Math.min(2, (-r.a1 / (2 * r.a2) - xe) / w));
          close(col("apex")[t], apex, 1e-6, what("apex"));
        }
        // residual statistics over the last 60 newest-row residuals
        const [mu, sd, z] = directStats(residual, t, 60);
        if (Number.isNaN(mu)) {
          assert.ok(Number.isNaN(col("residual_mean")[t]), what("residual_mean"));
        } else {
          close(col("residual_mean")[t], mu, 1e-8 * r.std, what("residual_mean"));
          close(col("residual_std")[t], sd, 1e-8 * r.std, what("residual_std"));
          close(col("residual_z")[t], z, 1e-6 * (1 + Math.abs(z)), what("residual_z"));
        }
        // cross-window
        const spread = col(`prediction_spread_${w2}`)[t], ratio = col(`linear_ratio_${w2}`)[t];
        if (!g) {
          assert.ok(Number.isNaN(spread) && Number.isNaN(ratio), what("cross"));
          continue;
        }
        close(spread, r.prediction - g.prediction, 1e-8 * (r.std + g.std), what("spread"));
        const den = g.a1 * x2;
        if (Math.abs(den) > 1e-3 * g.std) {
          const want = Math.max(-100, Math.min(100, (r.a1 * xe) / den));
          close(ratio, want, 1e-6 * (1 + Math.abs(want)), what("ratio"));
        }
      }
    });
  }
});

Deno.test("regression specs() match the columns written, with warm-ups, and no ±Infinity", () => {
  const specs = regression.specs("eurusd", ["eurusd"]);
  const cols = run(eurusd);
  assert.deepEqual(specs.map((s) => s.name), [...cols.keys()]);
  assert.equal(new Set(specs.map((s) => s.name)).size, specs.length);
  assert.equal(specs.filter((s) => s.domain === "idx").length, 90);
  assert.equal(specs.filter((s) => s.domain === "bqx").length, 90);
  for (const s of specs) {
    assert.match(s.name, /^(idx|bqx)_reg_\d+_[a-z0-9_]+$/);
    assert.equal(s.family, "regression");
    assert.equal(s.scope, "primary");
    const a = cols.get(s.name)!;
    for (const v of a) assert.ok(Number.isFinite(v) || Number.isNaN(v), s.name);
    // the warm-up is exactly the first defined row (the fixture has no gaps)
    let first = 0;
    while (first < a.length && Number.isNaN(a[first])) first++;
    assert.equal(first, s.warmup, s.name);
  }
  for (
    const name of ["idx_reg_60_quadratic_term", "bqx_reg_630_r2", "idx_reg_630_linear_ratio_60"]
  ) {
    assert.ok(cols.has(name), name);
  }
});

Deno.test("regression is causal: perturbing rows after a cut leaves rows <= cut unchanged", () => {
  const base = run(eurusd);
  for (const cut of [800, 2345, 4999]) {
    const tCut = eurusd.ts[cut];
    const cols = run(perturbAfter(eurusd, tCut, cut));
    for (const [name, a] of base) {
      const b = cols.get(name)!;
      for (let t = 0; t <= cut; t++) assert.ok(Object.is(a[t], b[t]), `${name} t=${t} cut=${cut}`);
    }
  }
});

Deno.test("regression with from = n − 1 gives the same last row as from = 0", () => {
  const n = eurusd.n, all = run(eurusd);
  const last = run(eurusd, n - 1);
  for (const [name, a] of all) {
    assert.ok(Object.is(last.get(name)![n - 1], a[n - 1]), name); // bit-identical
  }
  // the live path: a short tail (other row alignment), from = its last row: ~1e-9 relative
  const tail = sliceSeries(eurusd, n - 800);
  const live = run(tail, tail.n - 1);
  for (const [name, a] of all) {
    const v = live.get(name)![tail.n - 1], want = a[n - 1];
    close(v, want, 1e-9 * (1 + Math.abs(want)), name);
  }
});

Deno.test("regression on flat prices and zero volume gives finite values or NaN", () => {
  const n = 800;
  const flat = {
    ...sliceSeries(eurusd, 0, n),
    close: new Float64Array(n).fill(100),
    volume: new Float64Array(n),
    bqx: new Float64Array(n).map((_, i) => (i < 15 ? NaN : 0)),
  };
  const cols = run(flat);
  for (const [name, a] of cols) {
    for (const v of a) assert.ok(Number.isFinite(v) || Number.isNaN(v), name);
  }
  assert.equal(cols.get("idx_reg_60_quadratic_term")![700], 0);
  assert.equal(cols.get("idx_reg_630_prediction")![700], 100);
  assert.equal(cols.get("bqx_reg_60_rmse")![700], 0);
  assert.ok(Number.isNaN(cols.get("idx_reg_60_r2")![700]));
  assert.ok(Number.isNaN(cols.get("bqx_reg_90_residual_z")![700]));
  assert.ok(Number.isNaN(cols.get("idx_reg_60_linear_ratio_90")![700])); // 0 / 0
});
