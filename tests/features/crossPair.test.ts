import assert from "node:assert/strict";
import { CURRENCIES, PAIRS } from "../../lib/data/pairs.ts";
import { crossPair } from "../../lib/features/crossPair.ts";
import {
  currencyStrength,
  orientation,
  retVol,
  sisters,
  STRENGTH_WINDOW,
  triangle,
  usdFactor,
} from "../../lib/features/_crossSection.ts";
import type { Market, PairSeries } from "../../lib/features/_types.ts";
import { buildMarket } from "../../lib/features/market.ts";
import { rng } from "../_helpers.ts";
import { fixture, perturbAfter, runFamily } from "./_fixture.ts";

const MAJORS = ["eurusd", "gbpusd", "usdjpy", "usdchf", "usdcad", "audusd"];
const USD = ["eurusd", "gbpusd", "audusd", "nzdusd", "usdcad", "usdchf", "usdjpy"];

/** Run the family; `order` = the columns in write order. */
function run(s: PairSeries, market: Market | undefined, from = 0) {
  const cols = runFamily(crossPair, s, from, market);
  return { cols, order: [...cols.keys()] };
}

// --- brute-force references -----------------------------------------------------------------
const mean = (x: number[]) => x.reduce((a, b) => a + b, 0) / x.length;
const sd = (x: number[]) => {
  const m = mean(x);
  return Math.sqrt(x.reduce((a, b) => a + (b - m) ** 2, 0) / (x.length - 1));
};
const covOf = (x: number[], y: number[]) => {
  const mx = mean(x), my = mean(y);
  return x.reduce((a, v, i) => a + (v - mx) * (y[i] - my), 0) / (x.length - 1);
};
const win = (a: ArrayLike<number>, g: number, w: number) =>
  Array.from({ length: w }, (_, i) => a[g - w + 1 + i]);
const olsSlope = (y: number[]) => {
  const xm = (y.length - 1) / 2, ym = mean(y);
  let sxy = 0, sxx = 0;
  y.forEach((v, i) => ((sxy += (i - xm) * (v - ym)), (sxx += (i - xm) ** 2)));
  return sxy / sxx;
};
/** Cyclic Jacobi: eigenvalues and eigenvectors (columns of V) of a symmetric matrix. */
function jacobi(m: number[][]): { values: number[]; vectors: number[][] } {
  const n = m.length, a = m.map((r) => [...r]);
  const v: number[][] = m.map((_, i) => m.map((_, j) => (i === j ? 1 : 0)));
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p][q] ** 2;
    if (off < 1e-40) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        if (a[p][q] === 0) continue;
        const theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k][p], akq = a[k][q];
          a[k][p] = c * akp - s * akq;
          a[k][q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p][k], aqk = a[q][k];
          a[p][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k][p], vkq = v[k][q];
          v[k][p] = c * vkp - s * vkq;
          v[k][q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { values: a.map((r, i) => r[i]), vectors: v };
}
const close = (a: number, b: number, rel = 1e-9, abs = 0) =>
  Math.abs(a - b) <= Math.max(abs, rel * Math.max(Math.abs(a), Math.abs(b), 1e-300));

/** A hand-made series: closes given, BQX given (defaults 0). */
function mk(pair: string, close: number[], bqx?: number[], t0 = 0): PairSeries {
  const n = close.length, c = Float64Array.from(close);
  const b = bqx ? Float64Array.from(bqx) : new Float64Array(n);
  return {
    pair,
    n,
    ts: Float64Array.from({ length: n }, (_, i) => t0 + i * 60_000),
    open: c,
    high: c,
    low: c,
    close: c,
    volume: new Float64Array(n),
    filled: new Uint8Array(n),
    bqx: b,
    bqxW: { 15: b },
  };
}

const fx = fixture({ pairs: [...MAJORS, "eurjpy", "eurgbp"], rows: 6000, seed: 13 });
const m = fx.market;
const runs = new Map(["eurusd", "eurgbp", "usdjpy"].map((p) => [p, run(fx.series.get(p)!, m)]));
const sample = (n: number) => {
  const r = rng(77);
  return [
    200,
    1439,
    1440,
    1441,
    2880,
    n - 1,
    ...Array.from({ length: 10 }, () => 200 + Math.floor(r() * (n - 201))),
  ];
};

Deno.test("crossPair sister returns, volatility and basket correlation/beta match brute force", () => {
  const s = fx.series.get("eurusd")!, rows = m.rows.get("eurusd")!, { cols } = runs.get("eurusd")!;
  const sis = sisters("eurusd");
  for (const t of sample(s.n)) {
    const g = rows[t];
    sis.forEach((p, k) => {
      const c = m.close.get(p)!;
      for (const L of [1, 5, 15]) {
        assert.ok(
          close(cols.get(`x_sis${k + 1}_ret_${L}`)![t], Math.log(c[g] / c[g - L]), 1e-9, 1e-15),
        );
      }
      assert.ok(close(cols.get(`x_sis${k + 1}_vol_30`)![t], sd(win(m.ret.get(p)!, g, 30)), 1e-9));
    });
    const basket = Array.from(
      { length: 60 },
      (_, i) => mean(sis.map((p) => orientation("eurusd", p) * m.ret.get(p)![g - 59 + i])),
    );
    const own = win(m.ret.get("eurusd")!, g, 60);
    const cv = covOf(own, basket);
    assert.ok(close(cols.get("x_sis_basket_corr_60")![t], cv / (sd(own) * sd(basket)), 1e-9));
    assert.ok(close(cols.get("x_sis_basket_beta_60")![t], cv / sd(basket) ** 2, 1e-9));
  }
  // orientation: usdjpy holds USD as base, eurusd as quote
  assert.equal(orientation("eurusd", "usdjpy"), -1);
  assert.equal(orientation("eurusd", "gbpusd"), 1);
});

Deno.test("crossPair triangular parity residual by hand (log price and BQX)", () => {
  // EUR/GBP through USD: e = ln(eurgbp/100) − ln(eurusd/100) + ln(gbpusd/100)
  const eu = [100, 101, 102, 101.5], gu = [100, 100.5, 99, 99.5], eg = [100, 100.4, 103.2, 102.2];
  const be = [0, 0.1, 0.2, 0.3], bg = [0, 0.05, -0.1, 0.4], bx = [0, 0.02, 0.5, 0.6];
  const mkt = buildMarket([mk("eurusd", eu, be), mk("gbpusd", gu, bg), mk("eurgbp", eg, bx)]);
  const { cols } = run(mk("eurgbp", eg, bx), mkt);
  for (let t = 0; t < 4; t++) {
    const want = Math.log(eg[t] / 100) - Math.log(eu[t] / 100) + Math.log(gu[t] / 100);
    assert.ok(close(cols.get("x_tri_idx_level")![t], want, 1e-12, 1e-15), `t=${t}`);
    assert.ok(close(cols.get("x_tri_bqx_level")![t], bx[t] - be[t] + bg[t], 1e-12, 1e-15));
  }
  assert.deepEqual(triangle("eurgbp"), { via: "usd", legs: ["eurusd", "gbpusd"], signs: [1, -1] });
  assert.deepEqual(triangle("usdjpy"), { via: "eur", legs: ["eurusd", "eurjpy"], signs: [-1, 1] });
  assert.deepEqual(triangle("eurusd"), { via: "jpy", legs: ["eurjpy", "usdjpy"], signs: [1, -1] });
});

Deno.test("crossPair triangle z, change and volatility match brute force on the fixture", () => {
  for (const pair of ["eurgbp", "usdjpy"]) {
    const s = fx.series.get(pair)!, rows = m.rows.get(pair)!, { cols } = runs.get(pair)!;
    const tri = triangle(pair);
    for (const [dom, src, log] of [["idx", m.close, true], ["bqx", m.bqx, false]] as const) {
      const v = (p: string, g: number) => (log ? Math.log(src.get(p)![g] / 100) : src.get(p)![g]);
      const e = (g: number) =>
        v(pair, g) - tri.signs[0] * v(tri.legs[0], g) - tri.signs[1] * v(tri.legs[1], g);
      for (const t of sample(s.n)) {
        const g = rows[t];
        const w20 = Array.from({ length: 20 }, (_, i) => e(g - 19 + i));
        assert.ok(close(cols.get(`x_tri_${dom}_level`)![t], e(g), 1e-9, 1e-15));
        assert.ok(
          close(cols.get(`x_tri_${dom}_z_20`)![t], (e(g) - mean(w20)) / sd(w20), 1e-7),
          `${pair} ${dom} z ${t}`,
        );
        assert.ok(close(cols.get(`x_tri_${dom}_chg_5`)![t], e(g) - e(g - 5), 1e-7, 1e-15));
        const d = Array.from({ length: 30 }, (_, i) => e(g - 29 + i) - e(g - 30 + i));
        assert.ok(
          close(cols.get(`x_tri_${dom}_vol_30`)![t], sd(d), 1e-7),
          `${pair} ${dom} vol ${t}`,
        );
      }
    }
  }
});

Deno.test("crossPair currency strength on a hand case", () => {
  // eurusd, usdjpy, eurjpy over 61 minutes; only the last minute moves
  const n = 61, flat = (last: number) => [...new Array(n - 1).fill(100), 100 * Math.exp(last)];
  const series = [mk("eurusd", flat(0.01)), mk("usdjpy", flat(0.03)), mk("eurjpy", flat(0.05))];
  const { cols } = run(series[0], buildMarket(series));
  const at = (c: string) => cols.get(`x_strength_${c}`)![n - 1];
  assert.ok(close(at("eur"), (0.01 + 0.05) / 2, 1e-12)); // EUR up against USD and JPY
  assert.ok(close(at("usd"), (-0.01 + 0.03) / 2, 1e-12));
  assert.ok(close(at("jpy"), (-0.03 - 0.05) / 2, 1e-12));
  for (const c of ["gbp", "aud", "nzd", "cad", "chf"]) assert.ok(Number.isNaN(at(c)), c);
  assert.ok(Number.isNaN(cols.get("x_strength_eur")![59])); // 60-minute window not full
  const specs = crossPair.specs("eurusd", ["eurusd", "usdjpy", "eurjpy"]);
  assert.equal(specs.find((s) => s.name === "x_strength_eur")!.needs, undefined);
  assert.equal(specs.find((s) => s.name === "x_strength_nzd")!.needs!.length, 7);
});

Deno.test("crossPair USD factor: PCA loadings and every statistic match a brute-force Jacobi PCA", () => {
  const s = fx.series.get("eurgbp")!, rows = m.rows.get("eurgbp")!, { cols } = runs.get("eurgbp")!;
  const usd = USD.filter((p) => m.pairs.includes(p)),
    sg = usd.map((p) => (p.startsWith("usd") ? 1 : -1));
  const day = (g: number) => Math.floor(m.ts[g] / 86_400_000);
  const loadings = (g: number) => {
    let g0 = g;
    while (g0 > 0 && day(g0 - 1) === day(g)) g0--;
    if (g0 < 1440) return undefined;
    // rows of the previous 1440 grid minutes where every USD pair has a return
    const ok = win(m.ts, g0 - 1, 1440).map((_, j) =>
      usd.every((p) => !Number.isNaN(m.ret.get(p)![g0 - 1440 + j]))
    );
    const R = usd.map((p, i) =>
      win(m.ret.get(p)!, g0 - 1, 1440).map((v) => sg[i] * v).filter((_, j) => ok[j])
    );
    const C = R.map((x) => R.map((y) => covOf(x, y)));
    const { values, vectors } = jacobi(C);
    const top = values.indexOf(Math.max(...values));
    let v = vectors.map((r) => r[top]);
    const sum = v.reduce((a, b) => a + b, 0), abs = v.reduce((a, b) => a + Math.abs(b), 0);
    v = v.map((x) => (sum < 0 ? -x : x) / abs);
    return v;
  };
  let checked = 0;
  for (const t of sample(s.n)) {
    const g = rows[t], w = loadings(g);
    if (!w) {
      assert.ok(Number.isNaN(cols.get("x_usd_factor_level")![t]));
      continue;
    }
    const F = (h: number) =>
      usd.reduce((a, p, i) => a + w[i] * sg[i] * Math.log(m.close.get(p)![h] / 100), 0);
    const f = (h: number) => usd.reduce((a, p, i) => a + w[i] * sg[i] * m.ret.get(p)![h], 0);
    const got = (k: string) => cols.get(`x_usd_factor_${k}`)![t];
    assert.ok(close(got("level"), F(g), 1e-9, 1e-15), `level ${t}: ${got("level")} vs ${F(g)}`);
    assert.ok(close(got("chg_5"), F(g) - F(g - 5), 1e-8, 1e-15));
    assert.ok(close(got("chg_15"), F(g) - F(g - 15), 1e-8, 1e-15));
    assert.ok(close(got("vol_30"), sd(Array.from({ length: 30 }, (_, i) => f(g - 29 + i))), 1e-8));
    const L60 = Array.from({ length: 60 }, (_, i) => F(g - 59 + i));
    assert.ok(close(got("z_60"), (F(g) - mean(L60)) / sd(L60), 1e-7), `z ${t}`);
    assert.ok(close(got("trend_20"), olsSlope(L60.slice(40)), 1e-7, 1e-15), `trend ${t}`);
    checked++;
  }
  assert.ok(checked >= 8);
  // USD strength sign: oriented USD returns load positively
  assert.ok(cols.get("x_usd_factor_level")!.some((v) => v === v));
});

Deno.test("crossPair specs() equal the columns written, in order, 44 x_ columns, same names for every pair", () => {
  for (const pair of ["eurusd", "eurgbp", "nzdjpy"]) {
    const specs = crossPair.specs(pair, PAIRS);
    assert.equal(specs.length, 44);
    assert.ok(specs.every((s) => s.domain === "x" && /^x_[a-z0-9_]+$/.test(s.name) && !s.needs));
    assert.equal(new Set(specs.map((s) => s.name)).size, 44);
  }
  assert.deepEqual(
    crossPair.specs("eurusd", PAIRS).map((s) => s.name),
    crossPair.specs("chfjpy", ["chfjpy"]).map((s) => s.name),
  );
  assert.deepEqual(
    CURRENCIES.map((c) => `x_strength_${c}`),
    crossPair.specs("eurusd", PAIRS).slice(-8).map((s) => s.name),
  );
  const { cols, order } = runs.get("eurusd")!;
  assert.deepEqual(order, crossPair.specs("eurusd", m.pairs).map((s) => s.name));
  for (const [name, a] of cols) {
    for (const v of a) assert.ok(Number.isFinite(v) || Number.isNaN(v), `${name} holds ${v}`);
  }
});

Deno.test("crossPair with only the 6 USD majors: columns needing absent pairs are NaN, the rest defined after warm-up", () => {
  const mj = fixture({ pairs: MAJORS, rows: 4000, seed: 21 });
  for (const pair of MAJORS) {
    const s = mj.series.get(pair)!, { cols } = run(s, mj.market);
    const specs = crossPair.specs(pair, mj.market.pairs);
    const needing = specs.filter((x) => x.needs).map((x) => x.name);
    // the triangle needs a cross; NZD has no pair among the majors
    assert.deepEqual(needing, [
      ...["level", "z_20", "chg_5", "vol_30"].map((k) => `x_tri_idx_${k}`),
      ...["level", "z_20", "chg_5", "vol_30"].map((k) => `x_tri_bqx_${k}`),
      "x_strength_nzd",
    ]);
    for (const sp of specs) {
      const a = cols.get(sp.name)!;
      if (sp.needs) assert.ok(a.every((v) => Number.isNaN(v)), `${sp.name} of ${pair}`);
      else {for (let t = sp.warmup; t < s.n; t++) {
          assert.ok(Number.isFinite(a[t]), `${sp.name} of ${pair} at ${t}`);
        }}
    }
  }
});

Deno.test("crossPair is causal: perturbing every pair after t leaves rows <= t bit-identical", () => {
  const r = rng(5);
  const all = [...fx.series.values()];
  const ref = fx.series.get("eurusd")!;
  // one cut before the first USD-factor estimate, one inside a day, one just before a day start
  const cuts = [ref.ts[1000], ref.ts[2000 + Math.floor(r() * 800)], ref.ts[2879]];
  for (const [k, cut] of cuts.entries()) {
    const pert = all.map((s, i) => perturbAfter(s, cut, 50 + i + 9 * k));
    const pm = buildMarket(pert);
    for (const pair of ["eurusd", "eurgbp", "usdjpy"]) {
      const s = fx.series.get(pair)!, base = runs.get(pair)!;
      const p = run(pert[all.indexOf(s)], pm);
      let last = 0;
      while (last < s.n && s.ts[last] <= cut) last++;
      let moved = 0;
      for (const [name, a] of base.cols) {
        const b = p.cols.get(name)!;
        for (let t = 0; t < last; t++) {
          assert.ok(Object.is(a[t], b[t]), `${name} of ${pair} moved at ${t} <= cut`);
        }
        if (!Object.is(a[s.n - 1], b[s.n - 1])) moved++;
      }
      assert.ok(moved > 20, `${pair}: only ${moved} columns moved`);
    }
  }
});

Deno.test("crossPair from = n − 1 gives the same last row as from = 0", () => {
  const m2 = buildMarket([...fx.series.values()]);
  for (const pair of ["eurusd", "eurgbp"]) {
    const s = fx.series.get(pair)!, last = run(s, m2, s.n - 1);
    for (const [name, a] of runs.get(pair)!.cols) {
      const x = a[s.n - 1], y = last.cols.get(name)![s.n - 1];
      assert.ok(Object.is(x, y) || close(x, y, 1e-9), `${name}: ${x} vs ${y}`);
    }
  }
});

Deno.test("crossPair on flat prices and zero BQX gives finite-or-NaN values", () => {
  const n = 3000, pairs = [...MAJORS, "eurjpy", "eurgbp"];
  const series = pairs.map((p) => mk(p, new Array(n).fill(100)));
  const mkt = buildMarket(series);
  for (const s of series) {
    const { cols } = run(s, mkt);
    for (const [name, a] of cols) {
      for (const v of a) assert.ok(Number.isFinite(v) || Number.isNaN(v), `${name} holds ${v}`);
    }
  }
});

Deno.test("crossPair market-wide series computed lazily from a late grid row equal the whole-grid ones", () => {
  const all = [...fx.series.values()];
  const full = buildMarket(all), G = full.ts.length;
  const fu = usdFactor(full);
  // late rows (live path), and an extension to earlier rows of the same memo
  const lazy = buildMarket(all);
  for (const g0 of [G - 1, G - 200, 2000, 0]) {
    const lu = usdFactor(lazy, g0);
    for (const k of ["level", "chg5", "chg15", "vol30", "z60", "trend20"] as const) {
      for (let g = g0; g < G; g++) {
        const a = fu[k][g], b = lu[k][g];
        assert.ok(
          Object.is(a, b) || close(a, b, 1e-9, 1e-15),
          `${k} at ${g} (from ${g0}): ${a} vs ${b}`,
        );
      }
    }
    for (const c of CURRENCIES) {
      const a = currencyStrength(full, c), b = currencyStrength(lazy, c, STRENGTH_WINDOW, g0);
      for (let g = g0; g < G; g++) {
        assert.ok(Object.is(a[g], b[g]) || close(a[g], b[g], 1e-12, 1e-15));
      }
    }
    for (const p of full.pairs) {
      const a = retVol(full, p, 30), b = retVol(lazy, p, 30, g0);
      for (let g = g0; g < G; g++) {
        assert.ok(Object.is(a[g], b[g]) || close(a[g], b[g], 1e-9), `vol ${p} ${g}`);
      }
    }
  }
  // a fresh market asked for its last row computes nothing earlier
  const late = buildMarket(all);
  assert.ok(Number.isNaN(usdFactor(late, G - 1).level[G - 2]));
  assert.ok(Number.isFinite(usdFactor(late, G - 1).level[G - 1]));
});
