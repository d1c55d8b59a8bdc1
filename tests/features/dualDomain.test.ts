import assert from "node:assert/strict";
import { dualDomain } from "../../lib/features/dualDomain.ts";
import type { PairSeries } from "../../lib/features/_types.ts";
import { rng } from "../_helpers.ts";
import { fixture, perturbAfter, runFamily } from "./_fixture.ts";

/** Run the family; `order` = the columns in write order. */
function run(s: PairSeries, from = 0) {
  const cols = runFamily(dualDomain, s, from);
  return { cols, order: [...cols.keys()] };
}

// --- brute-force references (direct loops over explicit windows) ----------------------------
const mean = (x: number[]) => x.reduce((a, b) => a + b, 0) / x.length;
const sd = (x: number[]) => {
  const m = mean(x);
  return Math.sqrt(x.reduce((a, b) => a + (b - m) ** 2, 0) / (x.length - 1));
};
const moment = (x: number[], k: number) => {
  const m = mean(x);
  return x.reduce((a, b) => a + (b - m) ** k, 0) / x.length;
};
const skew = (x: number[]) => moment(x, 3) / moment(x, 2) ** 1.5;
const kurt = (x: number[]) => moment(x, 4) / moment(x, 2) ** 2 - 3;
const corr = (x: number[], y: number[]) => {
  const mx = mean(x), my = mean(y);
  let sxy = 0, sxx = 0, syy = 0;
  x.forEach((v, i) => {
    sxy += (v - mx) * (y[i] - my);
    sxx += (v - mx) ** 2;
    syy += (y[i] - my) ** 2;
  });
  return sxy / Math.sqrt(sxx * syy);
};
/** Least squares of y on x: slope, r², residual of the last point over its standard error. */
const ols = (x: number[], y: number[]) => {
  const mx = mean(x), my = mean(y);
  let sxy = 0, sxx = 0;
  x.forEach((v, i) => ((sxy += (v - mx) * (y[i] - my)), (sxx += (v - mx) ** 2)));
  const b = sxy / sxx, a = my - b * mx;
  const e = y.map((v, i) => v - a - b * x[i]);
  const sse = e.reduce((s, v) => s + v * v, 0), sst = y.reduce((s, v) => s + (v - my) ** 2, 0);
  return { b, r2: 1 - sse / sst, z: e[e.length - 1] / Math.sqrt(sse / (x.length - 2)) };
};
const line = (y: number[]) => ols(y.map((_, i) => i), y);
const win = (f: (t: number) => number, t: number, w: number) =>
  Array.from({ length: w }, (_, i) => f(t - w + 1 + i));
const close = (a: number, b: number, rel = 1e-9, abs = 1e-15) =>
  Math.abs(a - b) <= Math.max(abs, rel * Math.max(Math.abs(a), Math.abs(b)));

const fx = fixture({ pairs: ["eurusd", "usdjpy"], rows: 3000, seed: 17 });
const eu = fx.series.get("eurusd")!;
const base = run(eu);
const rows = (() => {
  const r = rng(3);
  return [
    93,
    94,
    200,
    eu.n - 1,
    ...Array.from({ length: 20 }, () => 100 + Math.floor(r() * (eu.n - 101))),
  ];
})();
const c = (t: number) => eu.close[t], B = (t: number) => eu.bqx[t];
const r = (t: number) => Math.log(c(t) / c(t - 1)), dB = (t: number) => B(t) - B(t - 1);

Deno.test("dualDomain rate→BQX and BQX→rate regressions match a direct least-squares loop", () => {
  for (const t of rows) {
    const rb = ols(win(r, t, 30), win(dB, t, 30));
    const br = ols(win((u) => B(u - 1), t, 30), win(r, t, 30));
    const got = (k: string) => base.cols.get(`x_dual_${k}_30`)![t];
    assert.ok(close(got("rb_beta"), rb.b, 1e-8), `rb beta ${t}`);
    assert.ok(close(got("rb_r2"), rb.r2, 1e-8, 1e-12));
    assert.ok(
      close(got("rb_resid_z"), rb.z, 1e-6, 1e-9),
      `rb z ${t}: ${got("rb_resid_z")} vs ${rb.z}`,
    );
    assert.ok(close(got("br_beta"), br.b, 1e-8), `br beta ${t}`);
    assert.ok(close(got("br_r2"), br.r2, 1e-6, 1e-12), `br r2 ${t}`);
    assert.ok(close(got("br_resid_z"), br.z, 1e-6, 1e-9), `br z ${t}`);
  }
});

Deno.test("dualDomain linear-fit, volatility and moment comparisons match brute force", () => {
  for (const t of rows) {
    for (const w of [30, 60]) {
      const li = line(win(c, t, w)), lb = line(win(B, t, w));
      const ns = li.b / sd(win(c, t, w)) - lb.b / sd(win(B, t, w));
      assert.ok(
        close(base.cols.get(`x_dual_slope_diff_${w}`)![t], ns, 1e-7, 1e-10),
        `slope ${w} ${t}`,
      );
      assert.ok(
        close(base.cols.get(`x_dual_trend_r2_diff_${w}`)![t], li.r2 - lb.r2, 1e-6, 1e-9),
        `r2 ${w} ${t}`,
      );
      assert.ok(
        close(
          base.cols.get(`x_dual_vol_ratio_${w}`)![t],
          sd(win(dB, t, w)) / sd(win(r, t, w)),
          1e-8,
        ),
      );
    }
    const term = sd(win(r, t, 30)) / sd(win(r, t, 60)) - sd(win(dB, t, 30)) / sd(win(dB, t, 60));
    assert.ok(close(base.cols.get("x_dual_vol_term_diff_30_60")![t], term, 1e-7, 1e-10));
    assert.ok(
      close(
        base.cols.get("x_dual_skew_diff_60")![t],
        skew(win(r, t, 60)) - skew(win(dB, t, 60)),
        1e-6,
        1e-9,
      ),
    );
    assert.ok(
      close(
        base.cols.get("x_dual_kurt_diff_60")![t],
        kurt(win(r, t, 60)) - kurt(win(dB, t, 60)),
        1e-6,
        1e-9,
      ),
    );
  }
});

Deno.test("dualDomain cross-correlations at lags 0/1/5/15 match brute force", () => {
  for (const t of rows) {
    assert.ok(
      close(base.cols.get("x_dual_xcorr_lag0_60")![t], corr(win(r, t, 60), win(dB, t, 60)), 1e-9),
    );
    for (const k of [1, 5, 15]) {
      const a = corr(win((u) => r(u - k), t, 60), win(dB, t, 60));
      const b = corr(win((u) => dB(u - k), t, 60), win(r, t, 60));
      assert.ok(close(base.cols.get(`x_dual_xcorr_ret_lag${k}_60`)![t], a, 1e-9), `ret lag ${k}`);
      assert.ok(close(base.cols.get(`x_dual_xcorr_bqx_lag${k}_60`)![t], b, 1e-9), `bqx lag ${k}`);
    }
  }
});

Deno.test("dualDomain Bollinger comparisons match brute force", () => {
  const band = (f: (t: number) => number, t: number) => {
    const x = win(f, t, 20), m = mean(x), s = sd(x);
    return { pctb: (f(t) - (m - 2 * s)) / (4 * s), m, s };
  };
  const bwI = (t: number) => (4 * band(c, t).s) / band(c, t).m,
    bwB = (t: number) => 4 * band(B, t).s;
  const z = (f: (t: number) => number, t: number) => {
    const x = win(f, t, 60);
    return (f(t) - mean(x)) / sd(x);
  };
  let outside = 0;
  for (let t = 93; t < eu.n; t += t < 400 ? 1 : 37) {
    const i = band(c, t).pctb, b = band(B, t).pctb;
    const got = (k: string) => base.cols.get(`x_dual_${k}_20`)![t];
    assert.ok(close(got("pctb_diff"), i - b, 1e-8, 1e-10), `pctb ${t}`);
    assert.ok(close(got("pctb_mirror"), i + b - 1, 1e-8, 1e-10));
    assert.equal(got("pctb_same_side"), (i - 0.5) * (b - 0.5) > 0 ? 1 : 0);
    const both = (i < 0 || i > 1) && (b < 0 || b > 1);
    outside += both ? 1 : 0;
    assert.equal(got("band_break_agree"), both ? 1 : 0);
    assert.ok(close(got("bw_log_ratio"), Math.log(bwB(t) / bwI(t)), 1e-9));
    assert.ok(close(got("bw_z_diff"), z(bwI, t) - z(bwB, t), 1e-6, 1e-9), `bw z ${t}`);
  }
  assert.ok(outside > 0, "no joint band break exercised");
});

Deno.test("dualDomain specs() equal the columns written, in order, 28 x_ columns, warm-up exact", () => {
  const specs = dualDomain.specs("eurusd", ["eurusd"]);
  assert.equal(specs.length, 28);
  assert.equal(new Set(specs.map((s) => s.name)).size, 28);
  assert.deepEqual(base.order, specs.map((s) => s.name));
  for (const s of specs) {
    assert.ok(s.domain === "x" && s.scope === "primary" && /^x_dual_[a-z0-9_]+$/.test(s.name));
    const a = base.cols.get(s.name)!;
    // the first defined row is the declared warm-up, and every later row is finite
    assert.ok(Number.isNaN(a[s.warmup - 1]), `${s.name} defined before its warm-up ${s.warmup}`);
    for (let t = s.warmup; t < eu.n; t++) assert.ok(Number.isFinite(a[t]), `${s.name} at ${t}`);
  }
});

Deno.test("dualDomain is causal: perturbing the series after t leaves rows <= t bit-identical", () => {
  const rr = rng(8);
  for (let k = 0; k < 4; k++) {
    const cut = eu.ts[150 + Math.floor(rr() * (eu.n - 300))];
    const p = run(perturbAfter(eu, cut, 31 + k));
    let last = 0;
    while (last < eu.n && eu.ts[last] <= cut) last++;
    let moved = 0;
    for (const [name, a] of base.cols) {
      const b = p.cols.get(name)!;
      for (let t = 0; t < last; t++) {
        assert.ok(Object.is(a[t], b[t]), `${name} moved at ${t} <= cut`);
      }
      if (!Object.is(a[eu.n - 1], b[eu.n - 1])) moved++;
    }
    assert.ok(moved > 20, `only ${moved} moved`);
  }
});

Deno.test("dualDomain from = n − 1 gives the same last row as from = 0", () => {
  for (const from of [eu.n - 1, eu.n - 7]) {
    const p = run(eu, from);
    for (const [name, a] of base.cols) {
      for (let t = from; t < eu.n; t++) {
        const x = a[t], y = p.cols.get(name)![t];
        assert.ok(Object.is(x, y) || close(x, y, 1e-9, 0), `${name} at ${t}: ${x} vs ${y}`);
      }
    }
  }
});

Deno.test("dualDomain on flat prices and zero BQX gives finite-or-NaN values", () => {
  const n = 300, cl = new Float64Array(n).fill(100), z = new Float64Array(n);
  const s: PairSeries = {
    pair: "eurusd",
    n,
    ts: Float64Array.from({ length: n }, (_, i) => i * 60_000),
    open: cl,
    high: cl,
    low: cl,
    close: cl,
    volume: z,
    filled: new Uint8Array(n),
    bqx: z,
    bqxW: { 15: z },
  };
  const { cols } = run(s);
  for (const [name, a] of cols) {
    for (const v of a) assert.ok(Number.isFinite(v) || Number.isNaN(v), `${name} holds ${v}`);
  }
  assert.ok(Number.isNaN(cols.get("x_dual_rb_beta_30")![n - 1]));
  assert.ok(Number.isNaN(cols.get("x_dual_bw_log_ratio_20")![n - 1]));
});

Deno.test("dualDomain with NaN inside the series: windows holding one are NaN, later rows match brute force", () => {
  const cl = new Float64Array(eu.close), bq = new Float64Array(eu.bqx);
  cl[700] = NaN;
  bq[1200] = bq[1201] = NaN;
  const s: PairSeries = { ...eu, close: cl, bqx: bq, bqxW: { ...eu.bqxW, 15: bq } };
  const got = run(s).cols, tail = run(s, 1150).cols;
  const c2 = (t: number) => cl[t], B2 = (t: number) => bq[t];
  const r2 = (t: number) => Math.log(c2(t) / c2(t - 1)), d2 = (t: number) => B2(t) - B2(t - 1);
  const same = (a: number, b: number, rel: number, abs = 1e-12) =>
    (Number.isNaN(a) && Number.isNaN(b)) || close(a, b, rel, abs);
  const checks: [string, (t: number) => number, number][] = [
    ["x_dual_rb_beta_30", (t) => ols(win(r2, t, 30), win(d2, t, 30)).b, 1e-8],
    ["x_dual_br_r2_30", (t) => ols(win((u) => B2(u - 1), t, 30), win(r2, t, 30)).r2, 1e-6],
    [
      "x_dual_slope_diff_30",
      (t) =>
        line(win(c2, t, 30)).b / sd(win(c2, t, 30)) - line(win(B2, t, 30)).b / sd(win(B2, t, 30)),
      1e-7,
    ],
    ["x_dual_vol_ratio_60", (t) => sd(win(d2, t, 60)) / sd(win(r2, t, 60)), 1e-8],
    ["x_dual_skew_diff_60", (t) => skew(win(r2, t, 60)) - skew(win(d2, t, 60)), 1e-6],
    ["x_dual_xcorr_ret_lag5_60", (t) => corr(win((u) => r2(u - 5), t, 60), win(d2, t, 60)), 1e-9],
    ["x_dual_xcorr_bqx_lag15_60", (t) => corr(win((u) => d2(u - 15), t, 60), win(r2, t, 60)), 1e-9],
  ];
  let nan = 0, value = 0;
  for (let t = 650; t < 1400; t++) {
    for (const [name, f, rel] of checks) {
      const want = f(t), a = got.get(name)![t];
      assert.ok(same(a, want, rel), `${name} at ${t}: ${a} vs ${want}`);
      if (t >= 1150) assert.ok(same(tail.get(name)![t], a, 1e-9, 0), `${name} from 1150 at ${t}`);
      Number.isNaN(want) ? nan++ : value++;
    }
  }
  assert.ok(nan > 500 && value > 2000, `${nan} NaN, ${value} values`);
});
