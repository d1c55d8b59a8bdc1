import assert from "node:assert/strict";
import { PAIRS } from "../../lib/data/pairs.ts";
import { correlation } from "../../lib/features/correlation.ts";
import {
  corrPair,
  corrPair2,
  dispersionMean,
  eigenScratch,
  marketAvgCorrs,
  sisters,
  topTwoEigen,
} from "../../lib/features/_crossSection.ts";
import type { Market, PairSeries } from "../../lib/features/_types.ts";
import { buildMarket } from "../../lib/features/market.ts";
import { rng } from "../_helpers.ts";
import { fixture, perturbAfter, runFamily } from "./_fixture.ts";

const MAJORS = ["eurusd", "gbpusd", "usdjpy", "usdchf", "usdcad", "audusd"];

/** Run the family; `order` = the columns in write order. */
function run(s: PairSeries, market: Market | undefined, from = 0) {
  const cols = runFamily(correlation, s, from, market);
  return { cols, order: [...cols.keys()] };
}

// --- brute-force references -----------------------------------------------------------------
function corr(x: ArrayLike<number>, y: ArrayLike<number>, a: number, b: number): number {
  let mx = 0, my = 0;
  const w = b - a + 1;
  for (let i = a; i <= b; i++) (mx += x[i]), (my += y[i]);
  mx /= w;
  my /= w;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = a; i <= b; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}
function cov(x: ArrayLike<number>, y: ArrayLike<number>, a: number, b: number): number {
  let mx = 0, my = 0;
  const w = b - a + 1;
  for (let i = a; i <= b; i++) (mx += x[i]), (my += y[i]);
  mx /= w;
  my /= w;
  let s = 0;
  for (let i = a; i <= b; i++) s += (x[i] - mx) * (y[i] - my);
  return s / (w - 1);
}
/** Cyclic Jacobi: all eigenvalues of a symmetric matrix, descending. */
function jacobiEigen(m: number[][]): number[] {
  const n = m.length, a = m.map((r) => [...r]);
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
      }
    }
  }
  return a.map((r, i) => r[i]).sort((x, y) => y - x);
}
const close = (a: number, b: number, rel = 1e-9) =>
  Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b), 1e-300);

const major = fixture({ pairs: MAJORS, rows: 6000, seed: 7 });
const eu = major.series.get("eurusd")!;
const euRun = run(eu, major.market);
const rows = major.market.rows.get("eurusd")!;
const pickRows = (() => {
  const r = rng(42);
  return [
    300,
    301,
    999,
    eu.n - 1,
    ...Array.from({ length: 12 }, () => 300 + Math.floor(r() * (eu.n - 301))),
  ];
})();

Deno.test("correlation sister correlations match a brute-force loop on the grid (idx and bqx)", () => {
  const m = major.market;
  sisters("eurusd").forEach((sis, k) => {
    for (const w of [20, 60]) {
      for (const t of pickRows) {
        const g = rows[t];
        const gotR = euRun.cols.get(`idx_corr_sis${k + 1}_${w}`)![t];
        assert.ok(
          close(gotR, corr(m.ret.get("eurusd")!, m.ret.get(sis)!, g - w + 1, g), 1e-9),
          `idx ${sis} ${w} ${t}`,
        );
        const gotB = euRun.cols.get(`bqx_corr_sis${k + 1}_${w}`)![t];
        assert.ok(
          close(gotB, corr(m.bqx.get("eurusd")!, m.bqx.get(sis)!, g - w + 1, g), 1e-9),
          `bqx ${sis} ${w} ${t}`,
        );
      }
    }
  });
});

Deno.test("correlation covariance metrics match a Jacobi eigen-decomposition of the 6×6 covariance", () => {
  const m = major.market;
  const xs = ["eurusd", ...sisters("eurusd")].map((p) => m.ret.get(p)!);
  for (const w of [60, 240]) {
    for (const t of pickRows) {
      const g = rows[t];
      const A = xs.map((x) => xs.map((y) => cov(x, y, g - w + 1, g)));
      const ev = jacobiEigen(A);
      const trace = A.reduce((s, r, i) => s + r[i], 0);
      assert.ok(close(euRun.cols.get(`idx_cov_trace_${w}`)![t], trace, 1e-9));
      assert.ok(close(euRun.cols.get(`idx_cov_eig1_${w}`)![t], ev[0], 1e-8), `λ1 ${w} ${t}`);
      assert.ok(
        close(euRun.cols.get(`idx_cov_eig_ratio_${w}`)![t], ev[0] / ev[1], 1e-6),
        `ratio ${w} ${t}`,
      );
    }
  }
});

Deno.test("correlation market-wide average correlation and dispersion match brute force", () => {
  const m = major.market, P = m.pairs;
  for (const t of pickRows) {
    const g = rows[t];
    for (const w of [60, 240]) {
      let s = 0, c = 0;
      for (let i = 0; i < P.length; i++) {
        for (let j = i + 1; j < P.length; j++) {
          s += corr(m.ret.get(P[i])!, m.ret.get(P[j])!, g - w + 1, g);
          c++;
        }
      }
      assert.ok(close(euRun.cols.get(`idx_avg_corr_${w}`)![t], s / c, 1e-9));
    }
    for (const w of [20, 60]) {
      let acc = 0;
      for (let h = g - w + 1; h <= g; h++) {
        const r = P.map((p) => m.ret.get(p)![h]);
        const mu = r.reduce((a, b) => a + b, 0) / r.length;
        acc += Math.sqrt(r.reduce((a, b) => a + (b - mu) ** 2, 0) / (r.length - 1));
      }
      assert.ok(close(euRun.cols.get(`idx_dispersion_${w}`)![t], acc / w, 1e-9));
    }
  }
});

Deno.test("correlation BQX term structure, cross-window and lead–lag correlations match brute force", () => {
  const m = major.market, W = [15, 30, 45, 60, 75];
  const perBar = (t: number) => W.map((w) => eu.bqxW[w][t] / w);
  const fitAt = (t: number) => {
    // least squares of b on [1, W, W²] by normal equations → slope at the mean and curvature
    const b = perBar(t), x = W.map((w) => w - 45);
    const slope = x.reduce((s, v, i) => s + v * b[i], 0) / x.reduce((s, v) => s + v * v, 0);
    // quadratic coefficient via a direct 3×3 solve
    const X = x.map((v) => [1, v, v * v]);
    const XtX = [0, 1, 2].map((i) => [0, 1, 2].map((j) => X.reduce((s, r) => s + r[i] * r[j], 0)));
    const Xty = [0, 1, 2].map((i) => X.reduce((s, r, k) => s + r[i] * b[k], 0));
    const sol = solve3(XtX, Xty);
    return { slope, curv: sol[2], level: b.reduce((s, v) => s + v, 0) / 5 };
  };
  for (const t of pickRows) {
    const f = fitAt(t);
    assert.ok(close(euRun.cols.get("bqx_term_level")![t], f.level, 1e-9));
    assert.ok(close(euRun.cols.get("bqx_term_slope")![t], f.slope, 1e-9));
    assert.ok(close(euRun.cols.get("bqx_term_curvature")![t], f.curv, 1e-6));
    const b = perBar(t);
    assert.equal(euRun.cols.get("bqx_term_inverted")![t], b[0] > b[4] ? 1 : 0);
    // z of the slope over 60 own bars
    const sl = Array.from({ length: 60 }, (_, i) => fitAt(t - 59 + i).slope);
    const mu = sl.reduce((a, v) => a + v, 0) / 60;
    const sd = Math.sqrt(sl.reduce((a, v) => a + (v - mu) ** 2, 0) / 59);
    assert.ok(close(euRun.cols.get("bqx_term_slope_z_60")![t], (sl[59] - mu) / sd, 1e-6));
    for (const w of [30, 45, 60, 75]) {
      assert.ok(
        close(
          euRun.cols.get(`bqx_corr_w15_w${w}_60`)![t],
          corr(eu.bqxW[15], eu.bqxW[w], t - 59, t),
          1e-9,
        ),
      );
    }
    const g = rows[t], own = m.bqx.get("eurusd")!;
    sisters("eurusd").slice(0, 2).forEach((sis, k) => {
      const s = m.bqx.get(sis)!;
      for (const L of [1, 5, 15]) {
        const shifted = Array.from({ length: own.length }, (_, h) => (h >= L ? s[h - L] : NaN));
        const got = euRun.cols.get(`bqx_corr_sis${k + 1}_lag${L}_60`)![t];
        assert.ok(close(got, corr(own, shifted, g - 59, g), 1e-9), `lead-lag ${sis} ${L}`);
      }
    });
  }
});

function solve3(A: number[][], y: number[]): number[] {
  const M = A.map((r, i) => [...r, y[i]]);
  for (let c = 0; c < 3; c++) {
    let p = c;
    for (let r = c + 1; r < 3; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
    [M[c], M[p]] = [M[p], M[c]];
    for (let r = 0; r < 3; r++) {
      if (r === c) continue;
      const f = M[r][c] / M[c][c];
      for (let k = c; k < 4; k++) M[r][k] -= f * M[c][k];
    }
  }
  return M.map((r, i) => r[3] / r[i]);
}

Deno.test("correlation specs() equal the columns written, in order, no duplicates, 20 idx + 25 bqx", () => {
  for (const pair of ["eurusd", "eurgbp", "nzdjpy"]) {
    const specs = correlation.specs(pair, PAIRS);
    assert.equal(specs.filter((s) => s.domain === "idx").length, 20);
    assert.equal(specs.filter((s) => s.domain === "bqx").length, 25);
    assert.equal(new Set(specs.map((s) => s.name)).size, specs.length);
    for (const s of specs) {
      assert.match(s.name, /^(idx|bqx)_[a-z0-9_]+$/);
      assert.equal(s.family, "correlation");
    }
  }
  // the names are the same for every pair and whatever is present
  assert.deepEqual(
    correlation.specs("eurusd", PAIRS).map((s) => s.name),
    correlation.specs("chfjpy", ["chfjpy"]).map((s) => s.name),
  );
  const specs = correlation.specs("eurusd", major.market.pairs);
  assert.deepEqual(euRun.order, specs.map((s) => s.name));
  for (const [name, a] of euRun.cols) {
    for (const v of a) assert.ok(Number.isFinite(v) || Number.isNaN(v), `${name} holds ${v}`);
  }
});

/** Columns with `needs` are all NaN (and need absent pairs), the others finite from warm-up on. */
function checkSubset(pair: string, s: PairSeries, m: Market) {
  const { cols } = run(s, m);
  const specs = correlation.specs(pair, m.pairs);
  for (const sp of specs) {
    const a = cols.get(sp.name)!;
    if (sp.needs) {
      assert.ok(a.every((v) => Number.isNaN(v)), `${sp.name} of ${pair} should be NaN`);
      assert.ok(sp.needs.every((p) => !m.pairs.includes(p)));
    } else {
      for (let t = sp.warmup; t < s.n; t++) {
        assert.ok(Number.isFinite(a[t]), `${sp.name} of ${pair} at ${t}`);
      }
    }
  }
  return specs;
}

Deno.test("correlation with only the 6 USD majors: every major has all its sisters, every column defined after warm-up", () => {
  assert.deepEqual(major.market.pairs, PAIRS.filter((p) => MAJORS.includes(p)));
  for (const pair of MAJORS) {
    const specs = checkSubset(pair, major.series.get(pair)!, major.market);
    assert.ok(specs.every((x) => !x.needs), `${pair} needs ${specs.find((x) => x.needs)?.needs}`);
  }
});

Deno.test("correlation of a cross beside the majors: columns needing absent pairs are NaN, the rest defined", () => {
  // eurjpy's sisters: eurusd, usdjpy, eurgbp, euraud, eurcad → the last three are absent
  const all = fixture({ pairs: [...MAJORS, "eurjpy"], rows: 3000, seed: 3 });
  const m = all.market;
  const specs = checkSubset("eurjpy", all.series.get("eurjpy")!, m);
  const needing = specs.filter((x) => x.needs?.length).map((x) => x.name);
  // 3 absent sisters × 2 windows × 2 domains + the 6 covariance metrics
  assert.equal(needing.length, 18, needing.join(" "));
});

Deno.test("correlation is causal: perturbing every pair after t leaves rows <= t bit-identical", () => {
  const r = rng(9);
  const all = [...major.series.values()];
  for (let k = 0; k < 3; k++) {
    const cut = eu.ts[400 + Math.floor(r() * (eu.n - 800))];
    const pm = buildMarket(all.map((s, i) => perturbAfter(s, cut, 10 + i + 7 * k)));
    for (const pair of ["eurusd", "usdchf"]) {
      const s = major.series.get(pair)!;
      const base = pair === "eurusd" ? euRun : run(s, major.market);
      const pert = run(perturbAfter(s, cut, 10 + MAJORS.indexOf(pair) + 7 * k), pm);
      let last = 0;
      while (last < s.n && s.ts[last] <= cut) last++;
      let moved = 0;
      for (const [name, a] of base.cols) {
        const b = pert.cols.get(name)!;
        for (let t = 0; t < last; t++) {
          assert.ok(Object.is(a[t], b[t]), `${name} moved at ${t} <= cut`);
        }
        if (!Object.is(a[s.n - 1], b[s.n - 1])) moved++;
      }
      assert.ok(moved > 30, `only ${moved} columns moved after the cut`);
    }
  }
});

Deno.test("correlation from = n − 1 gives the same last row as from = 0", () => {
  // a fresh market so nothing is shared through the memo
  const m2 = buildMarket([...major.series.values()]);
  const last = run(eu, m2, eu.n - 1);
  for (const [name, a] of euRun.cols) {
    const x = a[eu.n - 1], y = last.cols.get(name)![eu.n - 1];
    assert.ok(Object.is(x, y) || close(x, y, 1e-9), `${name}: ${x} vs ${y}`);
  }
});

Deno.test("correlation on flat prices and zero BQX gives finite-or-NaN values", () => {
  const n = 400, ts = Float64Array.from({ length: n }, (_, i) => i * 60_000);
  const flat = MAJORS.map((pair) => {
    const c = new Float64Array(n).fill(100), z = new Float64Array(n);
    const bqxW = { 15: z, 30: z, 45: z, 60: z, 75: z };
    return {
      pair,
      n,
      ts,
      open: c,
      high: c,
      low: c,
      close: c,
      volume: z,
      filled: new Uint8Array(n),
      bqx: z,
      bqxW,
    };
  });
  const m = buildMarket(flat);
  const { cols } = run(flat[0], m);
  for (const [name, a] of cols) {
    for (const v of a) assert.ok(Number.isFinite(v) || Number.isNaN(v), `${name} holds ${v}`);
  }
  assert.equal(cols.get("idx_cov_trace_60")![n - 1], 0);
  assert.ok(Number.isNaN(cols.get("idx_cov_eig_ratio_60")![n - 1]));
  assert.ok(Number.isNaN(cols.get("idx_corr_sis1_20")![n - 1]));
});

Deno.test("correlation without a market computes own-pair columns and leaves cross-pair ones NaN", () => {
  const { cols } = run(eu, undefined);
  assert.ok(Number.isFinite(cols.get("bqx_term_slope")![eu.n - 1]));
  assert.ok(Number.isNaN(cols.get("idx_corr_sis1_20")![eu.n - 1]));
  assert.ok(Number.isNaN(cols.get("idx_avg_corr_60")![eu.n - 1]));
});

// --- the computation paths and kernels behind the columns ---------------------------------------

Deno.test("correlation covariance metrics of a pair with a sister set of its own match Jacobi (per-pair path)", () => {
  // nzdusd's set {nzdusd, eurusd, usdjpy, gbpusd, audusd, usdcad} is shared with no other pair here
  // (the majors share theirs and read it from a grid memo): both paths against brute force
  const fx = fixture({ pairs: [...MAJORS, "nzdusd"], rows: 3000, seed: 19 });
  const m = fx.market;
  for (const pair of ["nzdusd", "usdcad"]) {
    const s = fx.series.get(pair)!, rows = m.rows.get(pair)!, { cols } = run(s, m);
    const xs = [pair, ...sisters(pair)].map((p) => m.ret.get(p)!);
    const r = rng(5);
    // the first rows with a full 240-minute window of returns (grid row 0 has none), and more
    const sample = [rows.indexOf(240), rows.indexOf(241), s.n - 1];
    for (let i = 0; i < 8; i++) sample.push(260 + Math.floor(r() * (s.n - 261)));
    for (const t of sample.filter((x) => x >= 0)) {
      const g = rows[t];
      for (const w of [60, 240]) {
        const A = xs.map((x) => xs.map((y) => cov(x, y, g - w + 1, g)));
        const ev = jacobiEigen(A);
        const tr = A.reduce((a, row, i) => a + row[i], 0);
        assert.ok(close(cols.get(`idx_cov_trace_${w}`)![t], tr, 1e-9), `${pair} trace ${w} ${t}`);
        assert.ok(close(cols.get(`idx_cov_eig1_${w}`)![t], ev[0], 1e-9), `${pair} λ1 ${w} ${t}`);
        assert.ok(
          close(cols.get(`idx_cov_eig_ratio_${w}`)![t], ev[0] / ev[1], 1e-8),
          `${pair} ratio ${w} ${t}`,
        );
      }
      sisters(pair).forEach((sis, k) => {
        for (const w of [20, 60]) {
          const want = corr(m.ret.get(pair)!, m.ret.get(sis)!, g - w + 1, g);
          assert.ok(
            close(cols.get(`idx_corr_sis${k + 1}_${w}`)![t], want, 1e-9),
            `${pair} ${sis} ${w}`,
          );
        }
      });
    }
  }
});

Deno.test("topTwoEigen matches Jacobi on degenerate and clustered matrices, cold and warm-started", () => {
  const r = rng(31);
  const rotate = (lam: number[]) => {
    // Q diag(lam) Qᵀ with a random orthogonal Q (Gram–Schmidt)
    const n = lam.length, Q: number[][] = [];
    for (let i = 0; i < n; i++) {
      let v = Array.from({ length: n }, () => r() - 0.5);
      for (const q of Q) {
        const d = v.reduce((s, x, j) => s + x * q[j], 0);
        v = v.map((x, j) => x - d * q[j]);
      }
      const nr = Math.hypot(...v);
      Q.push(v.map((x) => x / nr));
    }
    return Array.from(
      { length: n },
      (_, i) =>
        Array.from({ length: n }, (_, j) => Q.reduce((s, q, k) => s + q[i] * lam[k] * q[j], 0)),
    );
  };
  const cases: number[][][] = [
    rotate([1, 0, 0, 0, 0, 0]), // rank one
    rotate([1, 0.5, 0, 0, 0, 0]), // rank two
    rotate([1, 1, 1, 1, 1, 1].map((x) => x + 1e-7 * (r() - 0.5))), // a tight cluster
    rotate([2, 1 + 1e-9, 1, 0.5, 0.1, 0]), // λ2 ≈ λ3
    rotate([3, 2.9999999, 1, 0.5, 0.1, 0.01]), // λ1 ≈ λ2
    [[4, 0, 0, 0, 0, 0], [0, 3, 0, 0, 0, 0], [0, 0, 2, 0, 0, 0], [0, 0, 0, 1, 0, 0], [
      0,
      0,
      0,
      0,
      1,
      0,
    ], [0, 0, 0, 0, 0, 1]],
    ...Array.from({ length: 40 }, () => rotate(Array.from({ length: 6 }, () => r() ** 3))),
  ];
  for (const k of [6, 5]) {
    const ws = eigenScratch(k), out = new Float64Array(2);
    for (const [i, full] of cases.entries()) {
      const M = full.slice(0, k).map((row) => row.slice(0, k)).map((row) =>
        row.map((x) => x * 1e-8)
      );
      const a = Float64Array.from(M.flat());
      const J = jacobiEigen(M);
      for (const warm of [false, true, true]) {
        topTwoEigen(a, ws, out, warm);
        const scale = Math.max(J[0], 1e-300);
        assert.ok(
          Math.abs(out[0] - J[0]) <= 1e-12 * scale,
          `k=${k} case ${i} warm ${warm} λ1 ${out[0]} vs ${J[0]}`,
        );
        assert.ok(
          Math.abs(out[1] - J[1]) <= 1e-12 * scale,
          `k=${k} case ${i} warm ${warm} λ2 ${out[1]} vs ${J[1]}`,
        );
      }
    }
    topTwoEigen(new Float64Array(k * k), ws, out);
    assert.deepEqual([...out], [0, 0]);
  }
});

Deno.test("corrPair / corrPair2 with lags, NaN and own rows match a brute-force loop", () => {
  const r = rng(8), n = 500;
  const x = Float64Array.from({ length: n }, () => r() - 0.5);
  const y = Float64Array.from({ length: n }, (_, i) => 0.3 * x[i] + r() - 0.5);
  for (const i of [40, 41, 200, 333]) x[i] = NaN;
  for (const i of [3, 120, 121, 450]) y[i] = NaN;
  // own rows: every other grid row, some gaps
  const rows = Int32Array.from({ length: 200 }, (_, t) => 2 * t + (t > 100 ? 1 : 0));
  const brute = (g: number, w: number, lag: number) => {
    if (g - w + 1 - lag < 0) return NaN;
    const a: number[] = [], b: number[] = [];
    for (let h = g - w + 1; h <= g; h++) (a.push(x[h]), b.push(y[h - lag]));
    if ([...a, ...b].some(Number.isNaN)) return NaN;
    return corr(a, b, 0, w - 1);
  };
  for (const lag of [0, 1, 5]) {
    for (const from of [0, 150, 199]) {
      const o0 = new Float64Array(200).fill(NaN), o1 = new Float64Array(200).fill(NaN);
      const p0 = new Float64Array(200).fill(NaN);
      corrPair2(x, y, lag, 20, 60, rows, from, 200, o0, o1);
      corrPair(x, y, lag, 20, rows, from, 200, p0);
      for (let t = 0; t < 200; t++) {
        const w20 = t < from ? NaN : brute(rows[t], 20, lag),
          w60 = t < from ? NaN : brute(rows[t], 60, lag);
        for (const [got, want] of [[o0[t], w20], [p0[t], w20], [o1[t], w60]]) {
          assert.ok(
            (Number.isNaN(got) && Number.isNaN(want)) || close(got, want, 1e-9),
            `lag ${lag} from ${from} t ${t}: ${got} vs ${want}`,
          );
        }
      }
    }
  }
});

Deno.test("market-wide series computed lazily from a late grid row equal the whole-grid computation", () => {
  const full = buildMarket([...major.series.values()]),
    lazy = buildMarket([...major.series.values()]);
  const G = full.ts.length;
  for (const g0 of [G - 1, G - 300, 1000]) {
    const a = marketAvgCorrs(full, [60, 240]), b = marketAvgCorrs(lazy, [60, 240], g0);
    for (let i = 0; i < 2; i++) {
      for (let g = g0; g < G; g++) {
        assert.ok(close(a[i][g], b[i][g], 1e-9), `avg corr ${i} at ${g}`);
      }
    }
    for (const w of [20, 60]) {
      const x = dispersionMean(full, w), y = dispersionMean(lazy, w, g0);
      for (let g = g0; g < G; g++) assert.ok(close(x[g], y[g], 1e-9), `dispersion ${w} at ${g}`);
    }
  }
  // rows below what was asked for stay NaN until asked for
  const late = buildMarket([...major.series.values()]);
  assert.ok(Number.isNaN(marketAvgCorrs(late, [60, 240], G - 5)[0][G - 6]));
  assert.ok(!Number.isNaN(marketAvgCorrs(late, [60, 240], G - 5)[0][G - 5]));
});
