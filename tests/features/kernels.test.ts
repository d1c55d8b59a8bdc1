import assert from "node:assert/strict";
import {
  diff,
  ema,
  emaInto,
  emaManyInto,
  lag,
  rollingCovCorr,
  rollingCovCorrInto,
  rollingExtremeInto,
  rollingKurt,
  rollingMax,
  rollingMean,
  rollingMeanInto,
  rollingMin,
  rollingMomentsInto,
  rollingRank,
  rollingRankInto,
  rollingSkew,
  rollingStd,
  rollingStdInto,
  rollingSum,
  rollingSumInto,
  rollingVar,
  rollingZ,
  rollingZInto,
  safeDiv,
  wilder,
  wilderInto,
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

Deno.test("long windows (re-anchored every w rows) still equal the direct formulas", () => {
  const x = walk(4000, 11);
  for (const w of [65, 300, 1440]) {
    const k = { mean: rollingMean(x, w), std: rollingStd(x, w), z: rollingZ(x, w) };
    for (let t = w - 1; t < x.length; t += 7) {
      const b = brute(x, t, w);
      if (!b) {
        assert.ok(Number.isNaN(k.mean[t]) && Number.isNaN(k.std[t]), `w${w} t${t} NaN`);
        continue;
      }
      close(k.mean[t], b.mean, 1e-12, `mean w${w} t${t}`);
      close(k.std[t], b.std, 1e-8, `std w${w} t${t}`);
      close(k.z[t], (x[t] - b.mean) / b.std, 1e-7, `z w${w} t${t}`);
    }
  }
});

Deno.test("…Into kernels and the fused moments give the allocating kernels' values, rows from.. only", () => {
  const x = walk(1500, 5), y = walk(1500, 6);
  y[700] = NaN;
  const n = x.length;
  for (const from of [0, 1, 333, n - 1]) {
    for (const w of [2, 20, 90]) {
      const sum = new Float64Array(n).fill(7), mean = new Float64Array(n).fill(7);
      const vr = new Float64Array(n).fill(7), std = new Float64Array(n).fill(7);
      const z = new Float64Array(n).fill(7);
      rollingMomentsInto(x, w, from, { sum, mean, variance: vr, std, z });
      const want = {
        sum: rollingSum(x, w, from),
        mean: rollingMean(x, w, from),
        variance: rollingVar(x, w, from),
        std: rollingStd(x, w, from),
        z: rollingZ(x, w, from),
      };
      const got = { sum, mean, variance: vr, std, z };
      for (const [name, a] of Object.entries(got)) {
        const b = want[name as keyof typeof want];
        for (let t = 0; t < n; t++) {
          if (t < from) assert.equal(a[t], 7, `${name} w${w} from ${from}: row ${t} untouched`);
          else {assert.ok(
              Object.is(a[t], b[t]),
              `${name} w${w} from ${from} t${t}: ${a[t]} vs ${b[t]}`,
            );}
        }
      }
      // single-output forms
      const one = new Float64Array(n).fill(7);
      for (
        const [f, b] of [
          [rollingSumInto, want.sum],
          [rollingMeanInto, want.mean],
          [rollingStdInto, want.std],
          [rollingZInto, want.z],
        ] as const
      ) {
        f(x, w, from, one);
        for (let t = from; t < n; t++) assert.ok(Object.is(one[t], b[t]), `${f.name} t${t}`);
      }
      // extremes and covariance / correlation
      for (const kind of ["max", "min"] as const) {
        const e = new Float64Array(n).fill(7);
        rollingExtremeInto(y, w, kind, from, e);
        const b = kind === "max" ? rollingMax(y, w, from) : rollingMin(y, w, from);
        for (let t = 0; t < n; t++) {
          assert.ok(Object.is(e[t], t < from ? 7 : b[t]), `${kind} w${w} from ${from} t${t}`);
        }
      }
      const cov = new Float64Array(n).fill(7), corr = new Float64Array(n).fill(7);
      rollingCovCorrInto(x, y, w, from, cov, corr);
      const cc = rollingCovCorr(x, y, w, from);
      for (let t = from; t < n; t++) {
        assert.ok(Object.is(cov[t], cc.cov[t]) && Object.is(corr[t], cc.corr[t]), `cov t${t}`);
      }
      assert.ok(from === 0 || cov[from - 1] === 7);
    }
  }
  // the direct path (a few rows) and the block path give the same extremes
  for (const w of [3, 50]) {
    const all = rollingMax(y, w), part = new Float64Array(n);
    for (let t = w; t < n; t += 37) {
      rollingExtremeInto(y.subarray(0, t + 1), w, "max", t, part);
      assert.ok(Object.is(part[t], all[t]), `max w${w} t${t}`);
    }
  }
});

Deno.test("emaManyInto() / emaInto() / wilderInto() equal ema() and wilder() bit for bit", () => {
  const x = walk(3000, 9);
  x[0] = NaN;
  x[7] = NaN; // inside the seeds
  const spans = [5, 10, 20, 50, 100, 200, 3];
  for (const from of [0, 150, 2999]) {
    const outs = spans.map(() => new Float64Array(x.length).fill(7));
    emaManyInto(x, spans, from, outs);
    spans.forEach((s, i) => {
      const want = ema(x, s), one = new Float64Array(x.length).fill(7);
      emaInto(x, s, from, one);
      for (let t = 0; t < x.length; t++) {
        const w = t < from ? 7 : want[t];
        assert.ok(Object.is(outs[i][t], w), `span ${s} from ${from} t${t}: ${outs[i][t]} vs ${w}`);
        assert.ok(Object.is(one[t], w), `emaInto span ${s} t${t}`);
      }
    });
    const wl = wilder(x, 14), one = new Float64Array(x.length).fill(7);
    wilderInto(x, 14, from, one);
    for (let t = from; t < x.length; t++) assert.ok(Object.is(one[t], wl[t]));
  }
});

Deno.test("rollingRank() equals direct counts across chunks, with ties, ±0, NaN and from", () => {
  const r = rng(17);
  const n = 12_000;
  // a mix of a few repeated integers and continuous values: long runs of equal high words
  // (values within ~1e-9 of 1) and short ones (2 + 1e-3 · u: ~6 values per high word)
  const x = new Float64Array(n).map((_, i) =>
    i % 3 === 0
      ? Math.round(r() * 6) - 3
      : i % 3 === 1
      ? 1 + (r() - 0.5) * 1e-9 * (i % 5)
      : 2 + r() * 1e-3
  );
  x[5000] = NaN;
  [x[7000], x[7001], x[7002]] = [-0, 0, -1e300];
  const direct = (t: number, w: number): [number, number] => {
    if (t < w - 1) return [NaN, NaN];
    let less = 0, eq = 0;
    for (let j = t - w + 1; j <= t; j++) {
      if (Number.isNaN(x[j])) return [NaN, NaN];
      if (x[j] < x[t]) less++;
      else if (x[j] === x[t]) eq++;
    }
    if (eq === w || Number.isNaN(x[t])) return [NaN, NaN];
    const a = 2 * less + eq - 1, d = 2 * (w - 1);
    return [a / d, 3 * a < d ? 0 : 3 * a < 2 * d ? 1 : 2];
  };
  for (const w of [2, 40, 1440]) {
    for (const from of [0, 8191, n - 10]) {
      const { pct, tercile } = rollingRank(x, w, from);
      for (let t = from; t < n; t += t < 9000 ? 13 : 1) {
        const [q, g] = direct(t, w);
        assert.ok(Object.is(pct[t], q) && Object.is(tercile[t], g), `w${w} from ${from} t${t}`);
      }
      if (from > 0) assert.ok(Number.isNaN(pct[from - 1]));
    }
  }
  // flat windows have no terciles; one output may be skipped
  const flat = new Float64Array(3000).fill(2.5), ter = new Float64Array(3000).fill(7);
  rollingRankInto(flat, 100, 0, null, ter);
  assert.ok(ter.every(Number.isNaN));
});
