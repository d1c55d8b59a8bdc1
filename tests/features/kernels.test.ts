import assert from "node:assert/strict";
import {
  diff,
  ema,
  lag,
  rollingCovCorr,
  rollingKurt,
  rollingMax,
  rollingMean,
  rollingMin,
  rollingSkew,
  rollingStd,
  rollingSum,
  rollingZ,
  safeDiv,
  wilder,
} from "../../lib/features/_kernels.ts";
import { rng } from "../_helpers.ts";

function walk(n: number, seed: number, withNaN = true): Float64Array {
  const r = rng(seed);
  const x = new Float64Array(n);
  let v = 100;
  for (let i = 0; i < n; i++) {
    v += (r() - 0.5) * 0.1;
    x[i] = v;
  }
  if (withNaN) x[Math.floor(n / 2)] = NaN; // a hole in the middle
  return x;
}

/** Direct window statistics from the textbook formulas. */
function brute(x: Float64Array, t: number, w: number) {
  const v = Array.from(x.subarray(t - w + 1, t + 1));
  if (t < w - 1 || v.some(Number.isNaN)) return null;
  const mean = v.reduce((a, b) => a + b, 0) / w;
  const m2 = v.reduce((a, b) => a + (b - mean) ** 2, 0) / w;
  const m3 = v.reduce((a, b) => a + (b - mean) ** 3, 0) / w;
  const m4 = v.reduce((a, b) => a + (b - mean) ** 4, 0) / w;
  return {
    sum: v.reduce((a, b) => a + b, 0),
    mean,
    std: Math.sqrt((m2 * w) / (w - 1)),
    skew: m3 / m2 ** 1.5,
    kurt: m4 / (m2 * m2) - 3,
    max: Math.max(...v),
    min: Math.min(...v),
  };
}

function close(a: number, b: number, tol: number, msg: string) {
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${msg}: ${a} vs ${b}`);
}

Deno.test("rolling kernels equal the direct formulas, NaN windows stay NaN", () => {
  const x = walk(3000, 7);
  for (const w of [5, 20, 120]) {
    const k = {
      sum: rollingSum(x, w),
      mean: rollingMean(x, w),
      std: rollingStd(x, w),
      skew: rollingSkew(x, w),
      kurt: rollingKurt(x, w),
      max: rollingMax(x, w),
      min: rollingMin(x, w),
      z: rollingZ(x, w),
    };
    for (let t = 0; t < x.length; t++) {
      const b = brute(x, t, w);
      if (!b) {
        for (const [name, arr] of Object.entries(k)) {
          assert.ok(Number.isNaN(arr[t]), `${name} w${w} t${t} NaN`);
        }
        continue;
      }
      close(k.sum[t], b.sum, 1e-12, `sum w${w} t${t}`);
      close(k.mean[t], b.mean, 1e-12, `mean w${w} t${t}`);
      close(k.std[t], b.std, 1e-8, `std w${w} t${t}`);
      close(k.skew[t], b.skew, 1e-6, `skew w${w} t${t}`);
      close(k.kurt[t], b.kurt, 1e-6, `kurt w${w} t${t}`);
      assert.equal(k.max[t], b.max);
      assert.equal(k.min[t], b.min);
      close(k.z[t], (x[t] - b.mean) / b.std, 1e-7, `z w${w} t${t}`);
    }
  }
});

Deno.test("rollingCovCorr() equals the direct covariance and correlation", () => {
  const x = walk(800, 1, false), y = walk(800, 2, false);
  for (let i = 0; i < 800; i++) y[i] += 0.3 * x[i];
  const { cov, corr } = rollingCovCorr(x, y, 60);
  for (const t of [59, 60, 300, 799]) {
    const a = Array.from(x.subarray(t - 59, t + 1)), b = Array.from(y.subarray(t - 59, t + 1));
    const ma = a.reduce((s, v) => s + v, 0) / 60, mb = b.reduce((s, v) => s + v, 0) / 60;
    const c = a.reduce((s, v, i) => s + (v - ma) * (b[i] - mb), 0);
    const va = a.reduce((s, v) => s + (v - ma) ** 2, 0),
      vb = b.reduce((s, v) => s + (v - mb) ** 2, 0);
    close(cov[t], c / 59, 1e-9, `cov t${t}`);
    close(corr[t], c / Math.sqrt(va * vb), 1e-9, `corr t${t}`);
  }
  assert.ok(Number.isNaN(cov[58]));
});

Deno.test("ema() and wilder() follow the SMA-seeded textbook recursions", () => {
  const x = new Float64Array([NaN, 2, 4, 6, 8, 10]);
  const e = ema(x, 3); // α = 0.5, seed = mean(2, 4, 6) = 4 at t = 3
  assert.ok(Number.isNaN(e[2]));
  assert.equal(e[3], 4);
  assert.equal(e[4], 4 + 0.5 * (8 - 4));
  assert.equal(e[5], 6 + 0.5 * (10 - 6));
  const w = wilder(x, 2); // seed mean(2, 4) = 3 at t = 2, then s += (x − s)/2
  assert.equal(w[2], 3);
  assert.equal(w[3], 4.5);
  assert.equal(w[4], 6.25);
});

Deno.test("kernels compute only rows >= from, equal to the full run there", () => {
  const x = walk(2000, 3, false);
  const n = x.length;
  for (
    const f of [rollingMean, rollingStd, rollingSkew, rollingKurt, rollingMax, rollingMin, rollingZ]
  ) {
    const full = f(x, 50), last = f(x, 50, n - 1);
    assert.ok(Number.isNaN(last[n - 2]), `${f.name} leaves earlier rows NaN`);
    close(last[n - 1], full[n - 1], 1e-9, `${f.name} last row`);
  }
  assert.equal(lag(x, 3, n - 1)[n - 1], x[n - 4]);
  assert.equal(diff(x, 2)[10], x[10] - x[8]);
});

Deno.test("safeDiv() gives NaN, not Infinity, on a zero denominator", () => {
  const r = safeDiv(new Float64Array([1, 0, 2]), new Float64Array([0, 0, 4]));
  assert.ok(Number.isNaN(r[0]) && Number.isNaN(r[1]));
  assert.equal(r[2], 0.5);
});

Deno.test("kernels name the bad window in their error", () => {
  assert.throws(
    () => rollingStd(new Float64Array(3), 1),
    /Expected window to be an integer >= 2 but found 1/,
  );
});
