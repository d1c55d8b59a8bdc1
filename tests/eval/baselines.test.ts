import assert from "node:assert/strict";
import { ridgeAR, trainMean, zeroChange } from "../../lib/eval/baselines.ts";
import { close, normals } from "./_fixture.ts";

/** Solve a small dense system by Gaussian elimination with partial pivoting (independent path). */
function gaussSolve(a: number[][], b: number[]): number[] {
  const n = b.length, m = a.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[p][c])) p = r;
    [m[c], m[p]] = [m[p], m[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r][c] / m[c][c];
      for (let k = c; k <= n; k++) m[r][k] -= f * m[c][k];
    }
  }
  return m.map((row, i) => row[n] / row[i]);
}

/** An AR-like target with h-step overlap: a moving sum of h shocks (as target_h behaves). */
function arTarget(n: number, h: number, seed: number): Float64Array {
  const e = normals(n + h, seed), y = new Float64Array(n);
  let level = 0;
  for (let t = 0; t < n; t++) {
    level = 0.97 * level + 0.2 * e[t];
    let s = 0;
    for (let k = 1; k <= h; k++) s += e[t + k];
    y[t] = level + 0.1 * s; // the part known at t plus the future shocks
  }
  return y;
}

Deno.test("zeroChange() copies the current BQX, or gives 0 for scaled targets", () => {
  const cur = new Float32Array([0.25, NaN, -3]);
  const z = zeroChange(cur);
  assert.ok(z instanceof Float64Array);
  assert.deepEqual([...z], [0.25, NaN, -3]);
  assert.deepEqual([...zeroChange(cur, { scaled: true })], [0, NaN, 0]);
  cur[0] = 9;
  assert.equal(z[0], 0.25); // a copy, not a view
});

Deno.test("trainMean() averages the train rows only", () => {
  const y = [1, 2, NaN, 3, 100, 200];
  assert.deepEqual([...trainMean(y, { start: 1, end: 4 })], new Array(6).fill(2.5));
  assert.throws(
    () => trainMean([NaN, 1], { start: 0, end: 1 }),
    { message: "Expected non-NaN targets in the 1 train rows but found none" },
  );
  assert.throws(() => trainMean([1], { start: 0, end: 2 }), /train to be a row range/);
});

Deno.test("trainMean() and ridgeAR() take a dataset Segment's explicit rows (start/end in ms ignored)", () => {
  const y = [1, 2, NaN, 3, 100, 200];
  const seg = { name: "train", start: 1.7e12, end: 1.8e12, rows: new Int32Array([0, 3, 5]) };
  assert.equal(trainMean(y, seg)[0], (1 + 3 + 200) / 3);
  assert.throws(
    () => trainMean(y, { rows: [0, 6] }),
    { message: "Expected train.rows to hold row indices in [0, 6) but found 6 at 1" },
  );
  const h = 3, z = arTarget(600, h, 9);
  const even = (a: number, b: number) =>
    Int32Array.from({ length: (b - a) / 2 }, (_, k) => a + 2 * k);
  const byRows = ridgeAR(z, h, {
    train: { rows: even(0, 400) },
    valid: { rows: even(400, 600) },
    lambdas: [0.1],
  });
  // explicit rows are used as given (even rows only), so the fit differs from the full range
  const byRange = ridgeAR(z, h, {
    train: { start: 0, end: 400 },
    valid: { start: 400, end: 600 },
    lambdas: [0.1],
  });
  assert.equal(byRows.nTrain, 200 - Math.ceil(9 / 2)); // even rows ≥ 9 (the deepest lag 3h)
  assert.notEqual(byRows.coef[0], byRange.coef[0]);
});

Deno.test("ridgeAR() rejects a non-causal lag: target(t − j) with j < h is not known at t", () => {
  const y = arTarget(300, 15, 1);
  const seg = { train: { start: 0, end: 200 }, valid: { start: 200, end: 300 } };
  for (const bad of [0, 1, 14, 15.5, -3]) {
    assert.throws(
      () => ridgeAR(y, 15, { ...seg, lags: [15, bad] }),
      {
        name: "RangeError",
        message:
          `Expected every lag to be an integer >= h = 15 (target(t - j) is known at t only when j >= h) but found ${bad}`,
      },
    );
  }
  assert.deepEqual(ridgeAR(y, 15, seg).lags, [15, 16, 20, 30, 45]); // the default lags are causal
});

Deno.test("ridgeAR() forecast at t never reads targets of rows t − h + 1 … t", () => {
  const h = 15, y = arTarget(900, h, 2);
  const opts = {
    train: { start: 0, end: 500 },
    valid: { start: 500, end: 700 },
    lambdas: [0.01],
  };
  const base = ridgeAR(y, h, opts).forecast;
  for (const t of [720, 800, 899]) {
    const z = Float64Array.from(y);
    for (let j = 0; j < h; j++) z[t - j] = 1e6 * (j + 1); // corrupt what is still unknown at t
    const f = ridgeAR(z, h, opts).forecast;
    assert.equal(f[t], base[t], `row ${t}`);
    // … while t + 1 does read row t − h + 1
    if (t + 1 < y.length) assert.notEqual(f[t + 1], base[t + 1]);
  }
});

Deno.test("ridgeAR() with λ = 0 equals OLS on the raw lags (independent normal equations)", () => {
  const h = 5, y = arTarget(800, h, 3), lags = [5, 6, 10];
  const fit = ridgeAR(y, h, {
    train: { start: 0, end: 500 },
    valid: { start: 500, end: 800 },
    lags,
    lambdas: [0],
  });
  // brute force: X = [1, y(t−5), y(t−6), y(t−10)] over train rows with all lags present
  const rows: number[] = [];
  for (let t = 10; t < 500; t++) rows.push(t);
  const xtx = Array.from({ length: 4 }, () => new Array(4).fill(0)), xty = new Array(4).fill(0);
  for (const t of rows) {
    const x = [1, ...lags.map((j) => y[t - j])];
    for (let i = 0; i < 4; i++) {
      xty[i] += x[i] * y[t];
      for (let k = 0; k < 4; k++) xtx[i][k] += x[i] * x[k];
    }
  }
  const b = gaussSolve(xtx, xty);
  close(fit.intercept, b[0], 1e-9);
  fit.coef.forEach((c, k) => close(c, b[k + 1], 1e-9, `coef ${k}`));
  assert.equal(fit.nTrain, rows.length);
  for (const t of [10, 499, 650, 799]) {
    close(fit.forecast[t], b[0] + lags.reduce((s, j, k) => s + b[k + 1] * y[t - j], 0), 1e-9);
  }
  assert.ok(fit.forecast.slice(0, 10).every(Number.isNaN));
});

Deno.test("ridgeAR() with λ > 0 solves the standardized ridge system", () => {
  const h = 3, y = arTarget(400, h, 4), lags = [3, 4], lambda = 0.3;
  const fit = ridgeAR(y, h, {
    train: { start: 0, end: 300 },
    valid: { start: 300, end: 400 },
    lags,
    lambdas: [lambda],
  });
  const rows = Array.from({ length: 300 - 4 }, (_, i) => i + 4), n = rows.length;
  const col = (j: number) => rows.map((t) => y[t - j]);
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  const zs = lags.map((j) => {
    const c = col(j), m = mean(c), s = Math.sqrt(mean(c.map((v) => (v - m) ** 2)));
    return { z: c.map((v) => (v - m) / s), m, s };
  });
  const ys = rows.map((t) => y[t]), my = mean(ys);
  const a = zs.map((zi, i) =>
    zs.map((zk, k) => zi.z.reduce((s, v, r) => s + v * zk.z[r], 0) / n + (i === k ? lambda : 0))
  );
  const rhs = zs.map((zi) => zi.z.reduce((s, v, r) => s + v * (ys[r] - my), 0) / n);
  const beta = gaussSolve(a, rhs);
  beta.forEach((bk, k) => close(fit.coef[k], bk / zs[k].s, 1e-10));
  close(fit.intercept, my - beta.reduce((s, bk, k) => s + bk / zs[k].s * zs[k].m, 0), 1e-10);
});

Deno.test("ridgeAR() picks the λ with the lowest validation MSE and reports every MSE", () => {
  const h = 15, y = arTarget(1500, h, 5);
  const lambdas = [0, 0.01, 1, 100];
  const fit = ridgeAR(y, h, {
    train: { start: 0, end: 900 },
    valid: { start: 1000, end: 1300 },
    lambdas,
  });
  assert.equal(fit.validMse.length, 4);
  const best = fit.validMse.indexOf(Math.min(...fit.validMse));
  assert.equal(fit.lambda, lambdas[best]);
  // each reported MSE is reproducible from a fit with that single λ
  for (const [k, lambda] of lambdas.entries()) {
    const one = ridgeAR(y, h, {
      train: { start: 0, end: 900 },
      valid: { start: 1000, end: 1300 },
      lambdas: [lambda],
    });
    let sse = 0;
    for (let t = 1000; t < 1300; t++) sse += (y[t] - one.forecast[t]) ** 2;
    close(fit.validMse[k], sse / 300, 1e-12);
  }
  // the AR baseline beats the train mean on this persistent target
  const mean = trainMean(y, { start: 0, end: 900 })[0];
  let sMean = 0, sAr = 0;
  for (let t = 1300; t < 1500; t++) {
    sMean += (y[t] - mean) ** 2;
    sAr += (y[t] - fit.forecast[t]) ** 2;
  }
  assert.ok(sAr < 0.5 * sMean, `${sAr} vs ${sMean}`);
});

Deno.test("ridgeAR() skips NaN rows in fit and forecast, and a singular λ = 0", () => {
  const h = 2, y = arTarget(300, h, 6);
  y[100] = NaN;
  const fit = ridgeAR(y, h, {
    train: { start: 0, end: 200 },
    valid: { start: 200, end: 300 },
    lags: [2, 3],
  });
  // row 100 is missing as a target and as lag 2 of row 102 and lag 3 of row 103
  for (const t of [102, 103]) assert.ok(Number.isNaN(fit.forecast[t]));
  assert.ok(!Number.isNaN(fit.forecast[104]));
  assert.ok(!Number.isNaN(fit.forecast[100])); // row 100's forecast reads rows 98 and 97
  assert.equal(fit.nTrain, 200 - 3 - 3); // rows 3..199 minus 100, 102, 103
  // a constant lag column makes λ = 0 singular: skipped, λ > 0 still solves
  const flat = new Float64Array(300).fill(1);
  const f2 = ridgeAR(flat, 1, {
    train: { start: 0, end: 200 },
    valid: { start: 200, end: 300 },
    lags: [1],
    lambdas: [0, 1],
  });
  assert.ok(Number.isNaN(f2.validMse[0]));
  assert.equal(f2.lambda, 1);
  assert.equal(f2.forecast[250], 1);
});

Deno.test("ridgeAR() validates segments and grids", () => {
  const y = arTarget(100, 1, 7);
  const train = { start: 0, end: 50 }, valid = { start: 50, end: 100 };
  assert.throws(() => ridgeAR(y, 0, { train, valid }), /h to be an integer greater than 0/);
  assert.throws(() => ridgeAR(y, 1, { train, valid, lambdas: [-1] }), /lambdas/);
  assert.throws(() => ridgeAR(y, 1, { train, valid, lags: [] }), /at least one lag/);
  assert.throws(() => ridgeAR(y, 1, { train, valid: { start: 50, end: 101 } }), /valid/);
  assert.throws(() => ridgeAR(y, 1, { train: { start: 0, end: 3 }, valid }), /usable train rows/);
});

Deno.test("on SPEC targets: target_h(t − h) is today's BQX, and zero change scores direction_h", async () => {
  const { bqxArrays } = await import("../../lib/data/bqx.ts");
  const { targetArrays } = await import("../../lib/data/targets.ts");
  const { directionalAccuracy } = await import("../../lib/eval/metrics.ts");
  const n = 2000, z = normals(n, 8), idx = new Float64Array(n), ts = new Float64Array(n);
  let x = 100;
  for (let t = 0; t < n; t++) {
    idx[t] = x *= 1 + 2e-4 * z[t];
    ts[t] = Date.UTC(2024, 0, 2) + t * 60_000 + (t >= 1000 ? 10 * 60_000 : 0); // one 10-min gap
  }
  for (const h of [15, 60]) {
    const now = bqxArrays(idx, h).return, { target, direction } = targetArrays(now, ts, h);
    // the first causal lag of the ridge AR is exactly the current BQX (where both exist)
    for (let t = h; t < n; t++) {
      if (!Number.isNaN(target[t - h])) assert.equal(target[t - h], now[t]);
    }
    // a forecast of +1 change everywhere: hit rate = share of direction_h = +1 among non-zero
    const up = Float64Array.from(now, (v) => v + 1);
    const d = directionalAccuracy(target, up, now);
    let ups = 0, dirs = 0;
    for (const v of direction) {
      if (v === 1 || v === -1) dirs++;
      if (v === 1) ups++;
    }
    assert.equal(d.n, dirs);
    assert.equal(d.hits, ups);
    // and zero change has no direction at all: every row counts as a forecast zero
    const zc = directionalAccuracy(target, zeroChange(now), now);
    assert.equal(zc.n, 0);
    assert.equal(zc.forecastZeros, zc.zeros);
  }
});
