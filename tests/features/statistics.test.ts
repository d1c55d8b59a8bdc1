import assert from "node:assert/strict";
import { statistics } from "../../lib/features/statistics.ts";
import { buildPair } from "../../lib/data/build.ts";
import { gapFill } from "../../lib/data/gapFill.ts";
import { seriesFromFrames } from "../../lib/features/series.ts";
import { realBars } from "../_helpers.ts";
import {
  assertCausal,
  assertNaNWindows,
  fixture,
  flatSeries,
  runFamily as run,
  scaleOf,
} from "./_fixture.ts";

const WINDOWS = [20, 50, 120];
const STATS = ["mean", "std", "skew", "kurt", "min", "max", "range", "z"];
const { series } = fixture({ pairs: ["eurusd", "usdjpy"] });
const S = series.get("eurusd")!;

/** Literal definitions over rows t−w+1 … t (two-pass moments). */
function brute(x: Float64Array, t: number, w: number): Record<string, number> {
  let sum = 0, mn = Infinity, mx = -Infinity;
  for (let j = t - w + 1; j <= t; j++) {
    sum += x[j];
    mn = Math.min(mn, x[j]);
    mx = Math.max(mx, x[j]);
  }
  const mean = sum / w;
  let m2 = 0, m3 = 0, m4 = 0;
  for (let j = t - w + 1; j <= t; j++) {
    const d = x[j] - mean;
    m2 += d * d;
    m3 += d * d * d;
    m4 += d * d * d * d;
  }
  const std = Math.sqrt(m2 / (w - 1));
  m2 /= w;
  m3 /= w;
  m4 /= w;
  return {
    mean,
    std,
    skew: m3 / m2 ** 1.5,
    kurt: m4 / (m2 * m2) - 3,
    min: mn,
    max: mx,
    range: mx - mn,
    z: (x[t] - mean) / std,
  };
}

Deno.test("statistics computes a hand-checked window (one jump in 20 flat rows)", () => {
  // x = 100 + Bernoulli(p = 1/20): skew (1 − 2p)/√(pq), excess kurtosis (1 − 6pq)/(pq), q = 1 − p
  const n = 20, s = flatSeries(n);
  s.close = new Float64Array(n).fill(100);
  s.close[19] = 101;
  const c = run(statistics, s);
  const p = 0.05, q = p * (1 - p);
  const expect: Record<string, number> = {
    mean: 100.05,
    std: Math.sqrt(0.05), // Σ(x − x̄)² = 0.95, / 19
    skew: (1 - 2 * p) / Math.sqrt(q),
    kurt: (1 - 6 * q) / q, // Bernoulli excess kurtosis
    min: 100,
    max: 101,
    range: 1,
    z: 0.95 / Math.sqrt(0.05),
  };
  for (const [stat, v] of Object.entries(expect)) {
    const got = c.get(`idx_stat_${stat}_20`)![19];
    if (!(Math.abs(got - v) < 1e-9 * Math.max(1, Math.abs(v)))) {
      assert.fail(`${stat}: ${got} vs ${v}`);
    }
    if (!(Number.isNaN(c.get(`idx_stat_${stat}_20`)![18]))) assert.fail(`${stat} warm-up`);
  }
});

Deno.test("statistics matches the direct double loop on idx and bqx of a random walk", () => {
  const c = run(statistics, S);
  for (const [dom, x] of [["idx", S.close], ["bqx", S.bqx]] as const) {
    const lead = dom === "idx" ? 0 : 15;
    for (const w of WINDOWS) {
      // scale of each statistic: levels by max |x|, dispersion by the typical std, shapes by 1
      let maxAbs = 0, maxStd = 0;
      for (let t = lead; t < S.n; t++) maxAbs = Math.max(maxAbs, Math.abs(x[t]));
      const refs: Record<string, number>[] = [];
      for (let t = lead + w - 1; t < S.n; t++) {
        refs[t] = brute(x, t, w);
        maxStd = Math.max(maxStd, refs[t].std);
      }
      const tol: Record<string, number> = {
        mean: 1e-12 * maxAbs,
        min: 0,
        max: 0,
        range: 0,
        std: 1e-9 * maxStd,
        skew: 1e-8,
        kurt: 1e-8,
        z: 1e-8,
      };
      for (const stat of STATS) {
        const col = c.get(`${dom}_stat_${stat}_${w}`)!;
        for (let t = 0; t < S.n; t++) {
          if (t < lead + w - 1) {
            if (!Number.isNaN(col[t])) assert.fail(`${dom} ${stat} ${w} warm-up row ${t}`);
            continue;
          }
          const ref = refs[t][stat], err = Math.abs(col[t] - ref) / Math.max(1, Math.abs(ref));
          if (!(err <= tol[stat])) {
            assert.fail(`${dom}_stat_${stat}_${w} row ${t}: ${col[t]} vs ${ref}`);
          }
        }
      }
    }
  }
});

Deno.test("statistics columns equal specs(), once each, finite or NaN, first defined at warmup", () => {
  const specs = statistics.specs("eurusd", ["eurusd"]);
  const c = run(statistics, S);
  assert.deepEqual([...c.keys()], specs.map((s) => s.name));
  assert.equal(new Set(specs.map((s) => s.name)).size, 48);
  assert.equal(specs.filter((s) => s.domain === "idx").length, 24);
  assert.equal(specs.filter((s) => s.domain === "bqx").length, 24);
  for (const spec of specs) {
    assert.match(spec.name, /^(idx|bqx)_stat_[a-z]+_\d+$/);
    assert.equal(spec.family, "statistics");
    assert.equal(spec.scope, "primary");
    const col = c.get(spec.name)!;
    for (const v of col) assert.ok(Number.isFinite(v) || Number.isNaN(v), spec.name);
    assert.equal(col.findIndex((v) => !Number.isNaN(v)), spec.warmup, `${spec.name} warmup`);
  }
});

Deno.test("statistics is causal: perturbing rows after a cut leaves rows <= cut bit-identical", () => {
  assertCausal(statistics, S, [130, 1777, 4321, S.n - 2]);
});

Deno.test("statistics from = n − 1 (and n − 37) reproduces the batch rows", () => {
  const full = run(statistics, S);
  for (const from of [S.n - 1, S.n - 37]) {
    const tail = run(statistics, S, from);
    for (const [name, col] of full) {
      const exact = /_(min|max|range)_/.test(name);
      const scale = scaleOf(col);
      for (let t = from; t < S.n; t++) {
        const a = col[t], b = tail.get(name)![t];
        const ok = exact ? Object.is(a, b) : Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), scale);
        if (!ok) assert.fail(`${name} row ${t}: ${a} vs ${b}`);
      }
      for (let t = 0; t < from; t++) {
        if (!(Number.isNaN(tail.get(name)![t]))) assert.fail(`${name} ${t}`);
      }
    }
  }
});

Deno.test("statistics turns exactly the windows holding a NaN input into NaN", () => {
  assertNaNWindows(statistics, S, 3000);
});

Deno.test("statistics on flat prices: std 0, z/skew/kurt NaN, never ±Infinity", () => {
  const s = flatSeries(300), c = run(statistics, s);
  for (const [name, col] of c) {
    for (const v of col) assert.ok(Number.isFinite(v) || Number.isNaN(v), name);
  }
  for (const w of WINDOWS) {
    for (const dom of ["idx", "bqx"]) {
      const t = 299, level = dom === "idx" ? 100 : 0;
      assert.equal(c.get(`${dom}_stat_mean_${w}`)![t], level);
      assert.equal(c.get(`${dom}_stat_std_${w}`)![t], 0);
      assert.equal(c.get(`${dom}_stat_range_${w}`)![t], 0);
      for (const stat of ["z", "skew", "kurt"]) {
        if (!(Number.isNaN(c.get(`${dom}_stat_${stat}_${w}`)![t]))) {
          assert.fail(`${dom} ${stat} ${w}`);
        }
      }
    }
  }
  // a flat stretch inside a moving series: shapes NaN there, then defined again
  const m = flatSeries(400);
  m.close = Float64Array.from(
    { length: 400 },
    (_, i) => (i < 150 || i >= 200 ? 100 + Math.sin(i) : 100),
  );
  const cm = run(statistics, m);
  for (const t of [169, 190]) { // 169: the first window wholly inside the flat stretch
    assert.ok(Number.isNaN(cm.get("idx_stat_skew_20")![t]));
    assert.ok(Number.isNaN(cm.get("idx_stat_z_20")![t]));
    assert.equal(cm.get("idx_stat_std_20")![t], 0);
    assert.equal(cm.get("idx_stat_mean_20")![t], 100);
  }
  assert.ok(cm.get("idx_stat_std_20")![168] > 0);
  const b = brute(m.close, 260, 20);
  assert.ok(Math.abs(cm.get("idx_stat_skew_20")![260] - b.skew) < 1e-9);
});

Deno.test("statistics on real EURUSD bars: finite or NaN, std >= 0, min <= mean <= max", () => {
  const raw = realBars("EURUSD", 60_000);
  if (!raw) return; // realBars printed why
  const { m1, bqx } = buildPair(gapFill(raw).frame);
  const s = seriesFromFrames("eurusd", m1, bqx), c = run(statistics, s);
  for (const [name, col] of c) {
    for (const v of col) assert.ok(Number.isFinite(v) || Number.isNaN(v), name);
  }
  for (const dom of ["idx", "bqx"]) {
    for (const w of WINDOWS) {
      const mean = c.get(`${dom}_stat_mean_${w}`)!, std = c.get(`${dom}_stat_std_${w}`)!;
      const mn = c.get(`${dom}_stat_min_${w}`)!, mx = c.get(`${dom}_stat_max_${w}`)!;
      for (let t = 0; t < s.n; t++) {
        if (Number.isNaN(mean[t])) continue;
        const eps = 1e-12 * Math.max(1, Math.abs(mean[t]));
        assert.ok(
          std[t] >= 0 && mn[t] <= mean[t] + eps && mean[t] <= mx[t] + eps,
          `${dom} ${w} row ${t}`,
        );
      }
    }
  }
});
