import assert from "node:assert/strict";
import { dieboldMariano } from "../../lib/eval/dieboldMariano.ts";
import { close, normals } from "./_fixture.ts";

/** ln Γ(k/2) for a positive integer k, exactly by recursion from Γ(½) = √π and Γ(1) = 1. */
function lnGammaHalf(k: number): number {
  let s = k % 2 ? 0.5 * Math.log(Math.PI) : 0;
  for (let x = k % 2 ? 0.5 : 1; x < k / 2 - 1e-9; x++) s += Math.log(x);
  return s;
}

/** P(T > t), t ≥ 0, by Simpson integration of the t density (independent of the library's beta). */
function tUpperSimpson(t: number, df: number): number {
  const c = Math.exp(lnGammaHalf(df + 1) - lnGammaHalf(df) - 0.5 * Math.log(df * Math.PI));
  const f = (x: number) => c * (1 + x * x / df) ** (-(df + 1) / 2);
  const m = 4000, step = t / m;
  let s = f(0) + f(t);
  for (let i = 1; i < m; i++) s += f(i * step) * (i % 2 ? 4 : 2);
  return 0.5 - s * step / 3;
}

/** DM with HLN by explicit loops: autocovariances written out term by term. */
function dmByHand(e1: number[], e2: number[], h: number, bartlett: boolean) {
  const n = e1.length, d: number[] = [];
  for (let t = 0; t < n; t++) d.push(e1[t] * e1[t] - e2[t] * e2[t]);
  let mean = 0;
  for (let t = 0; t < n; t++) mean += d[t] / n;
  let lrv = 0;
  for (let k = 0; k < h; k++) {
    let g = 0;
    for (let t = k; t < n; t++) g += (d[t] - mean) * (d[t - k] - mean);
    g /= n;
    const w = k === 0 ? 1 : 2 * (bartlett ? 1 - k / h : 1);
    lrv += w * g;
  }
  const dm = mean / Math.sqrt(lrv / n);
  return { stat: dm * Math.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n), lrv, mean };
}

/** The deterministic series behind the golden values below. */
function sines() {
  const e1: number[] = [], e2: number[] = [];
  for (let t = 0; t < 40; t++) {
    e1.push(Math.sin(0.7 * t) + 0.3 * Math.cos(1.3 * t));
    e2.push(1.1 * Math.sin(0.7 * t + 0.2) + 0.25 * Math.cos(2.1 * t) + 0.15);
  }
  return { e1, e2 };
}

Deno.test("dieboldMariano() matches a 5-row example worked by hand (h = 2, absolute loss)", () => {
  // d = |e1| − |e2| = [1, −1, 2, 0, −1], d̄ = 0.2, centered [0.8, −1.2, 1.8, −0.2, −1.2]
  // γ0 = (0.64 + 1.44 + 3.24 + 0.04 + 1.44)/5 = 1.36
  // γ1 = (0.8·−1.2 + −1.2·1.8 + 1.8·−0.2 + −0.2·−1.2)/5 = −3.24/5 = −0.648
  const e1 = [2, 0, -3, 1, 1], e2 = [1, -1, 1, 1, 2];
  const bart = dieboldMariano(e1, e2, { h: 2, loss: "absolute" });
  close(bart.meanLossDiff, 0.2);
  close(bart.longRunVariance, 1.36 + 2 * 0.5 * -0.648); // Bartlett w1 = 1 − 1/2 → 0.712
  // DM = 0.2/√(0.712/5); HLN factor √((5 + 1 − 4 + 2/5)/5) = √0.48
  close(bart.statistic, 0.2 / Math.sqrt(0.712 / 5) * Math.sqrt(0.48));
  assert.equal(bart.df, 4);
  const unif = dieboldMariano(e1, e2, { h: 2, loss: "absolute", kernel: "uniform" });
  close(unif.longRunVariance, 1.36 - 2 * 0.648); // 0.064
  close(unif.statistic, 0.2 / Math.sqrt(0.064 / 5) * Math.sqrt(0.48));
});

Deno.test("dieboldMariano() matches explicit loops and a Simpson-integrated t tail on random errors", () => {
  const n = 250, a = normals(n, 1), b = normals(n, 2);
  const e1 = [...a].map((v, t) => v + 0.5 * (a[t - 1] ?? 0)); // MA(1) errors, h = 2-like
  const e2 = [...b].map((v) => 1.15 * v);
  for (const h of [1, 3, 10]) {
    for (const bartlett of [true, false]) {
      const r = dieboldMariano(e1, e2, { h, kernel: bartlett ? "bartlett" : "uniform" });
      const ref = dmByHand(e1, e2, h, bartlett);
      close(r.longRunVariance, ref.lrv, 1e-12);
      close(r.statistic, ref.stat, 1e-12);
      const upper = tUpperSimpson(Math.abs(ref.stat), n - 1);
      close(r.pValue, 2 * upper, 1e-9);
      close(r.pModelBetter, ref.stat < 0 ? upper : 1 - upper, 1e-9);
    }
  }
});

Deno.test("dieboldMariano() reproduces golden values computed with NumPy/SciPy (R dm.test formula)", () => {
  // python: d = e1²−e2², LRV with h−1 lags, HLN factor, scipy.stats.t(n−1); see the test source
  const { e1, e2 } = sines();
  const golden: [number, "squared" | "absolute", "uniform" | "bartlett", number[]][] = [
    [3, "squared", "uniform", [-2.0813632102391324, 0.044012979557158556, 0.022006489778579278]],
    [3, "squared", "bartlett", [-2.1038380393240979, 0.041891757776625176, 0.020945878888312588]],
    [3, "absolute", "bartlett", [
      -3.0580979584912056,
      0.0040128082878934726,
      0.0020064041439467363,
    ]],
    [1, "squared", "bartlett", [-2.1902969806424535, 0.034546899545970795, 0.017273449772985398]],
  ];
  for (const [h, loss, kernel, [stat, p2, p1]] of golden) {
    const r = dieboldMariano(e1, e2, { h, loss, kernel });
    close(r.statistic, stat, 1e-12, `${h} ${loss} ${kernel}`);
    close(r.pValue, p2, 1e-10);
    close(r.pModelBetter, p1, 1e-10);
  }
});

Deno.test("dieboldMariano() of identical errors is 0 with p = 1, not NaN", () => {
  const e = normals(50, 3);
  const r = dieboldMariano(e, e, { h: 5 });
  assert.equal(r.statistic, 0);
  assert.equal(r.pValue, 1);
  assert.equal(r.pModelBetter, 0.5);
  assert.equal(r.longRunVariance, 0);
  // |e| and −e have the same losses too
  assert.equal(dieboldMariano(e, e.map((v) => -v), { loss: "absolute" }).statistic, 0);
});

Deno.test("dieboldMariano() finds a clearly better forecast (p < 0.01) and swapping flips the sign", () => {
  const n = 400, noise = normals(n, 4), extra = normals(n, 5);
  const good = noise, bad = noise.map((v, i) => v + 0.8 * extra[i]);
  const r = dieboldMariano(good, bad, { h: 15 });
  assert.ok(r.statistic < 0);
  assert.ok(r.pValue < 0.01 && r.pModelBetter < 0.005, `${r.pValue}`);
  const s = dieboldMariano(bad, good, { h: 15 });
  close(s.statistic, -r.statistic, 1e-12);
  close(s.pValue, r.pValue, 1e-12);
  close(s.pModelBetter, 1 - r.pModelBetter, 1e-12);
});

Deno.test("dieboldMariano() under the null rejects at about the nominal rate", () => {
  // 400 independent pairs of equally good forecasts, h = 1: ~5 % of two-sided p < 0.05
  let rejections = 0;
  for (let k = 0; k < 400; k++) {
    const r = dieboldMariano(normals(60, 100 + 2 * k), normals(60, 101 + 2 * k));
    if (r.pValue < 0.05) rejections++;
  }
  assert.ok(rejections >= 8 && rejections <= 36, `${rejections} / 400`);
});

Deno.test("dieboldMariano() drops NaN rows, handles constant and tiny samples", () => {
  const r = dieboldMariano([1, NaN, 2, 3, 1], [0, 5, NaN, 1, 2]);
  assert.equal(r.n, 3);
  assert.equal(r.skipped, 2);
  close(r.statistic, dieboldMariano([1, 3, 1], [0, 1, 2]).statistic);
  // constant non-zero differential: the model is always worse by 1
  const c = dieboldMariano([1, 1, 1], [0, 0, 0]);
  assert.equal(c.statistic, Infinity);
  assert.equal(c.pValue, 0);
  assert.equal(c.pModelBetter, 1);
  const one = dieboldMariano([1], [2]);
  assert.ok(Number.isNaN(one.statistic) && one.n === 1 && one.meanLossDiff === -3);
});

Deno.test("dieboldMariano() without HLN uses the raw statistic and the normal", () => {
  const { e1, e2 } = sines();
  const raw = dieboldMariano(e1, e2, { h: 3, hln: false });
  const ref = dmByHand(e1, e2, 3, true);
  const factor = Math.sqrt((40 + 1 - 6 + 6 / 40) / 40);
  close(raw.statistic, ref.stat / factor, 1e-12);
  assert.equal(raw.df, Infinity);
  // two-sided normal p-value, by Simpson integration of the normal density
  const z = Math.abs(raw.statistic), m = 4000, step = z / m;
  const phi = (x: number) => Math.exp(-x * x / 2) / Math.sqrt(2 * Math.PI);
  let s = phi(0) + phi(z);
  for (let i = 1; i < m; i++) s += phi(i * step) * (i % 2 ? 4 : 2);
  close(raw.pValue, 2 * (0.5 - s * step / 3), 1e-10);
});

Deno.test("dieboldMariano() validates its options", () => {
  assert.throws(() => dieboldMariano([1, 2], [1]), /errorsBaseline to have the length/);
  assert.throws(() => dieboldMariano([1], [1], { h: 0 }), /h to be an integer/);
  assert.throws(() => dieboldMariano([1], [1], { loss: "huber" as never }), /loss/);
  assert.throws(() => dieboldMariano([1], [1], { kernel: "parzen" as never }), /kernel/);
});
