import assert from "node:assert/strict";
import { fibonacci } from "../../lib/features/fibonacci.ts";
import { buildPair } from "../../lib/data/build.ts";
import { gapFill } from "../../lib/data/gapFill.ts";
import { seriesFromFrames } from "../../lib/features/series.ts";
import { realBars } from "../_helpers.ts";
import {
  assertCausal,
  assertFromMatches,
  fixture,
  flatSeries,
  runFamily as run,
  scaleOf,
} from "./_fixture.ts";

const { series } = fixture({ pairs: ["eurusd", "usdjpy"] });
const S = series.get("eurusd")!;

const LEVELS: Record<string, (h: number, l: number, c: number) => number> = {
  fib_236: (h, l) => h - 0.236 * (h - l),
  fib_382: (h, l) => h - 0.382 * (h - l),
  fib_500: (h, l) => h - 0.5 * (h - l),
  fib_618: (h, l) => h - 0.618 * (h - l),
  fib_ext_1272: (h, l) => l + 1.272 * (h - l),
  fib_ext_1618: (h, l) => l + 1.618 * (h - l),
  fib_dist_382: (h, l, c) => (h > l ? (c - (h - 0.382 * (h - l))) / (h - l) : NaN),
  fib_dist_618: (h, l, c) => (h > l ? (c - (h - 0.618 * (h - l))) / (h - l) : NaN),
  fib_high: (h) => h,
  fib_low: (_h, l) => l,
};

Deno.test("fibonacci computes hand-checked levels (range 100 … 110, close 104)", () => {
  const n = 100, s = flatSeries(n);
  s.close = new Float64Array(n).fill(104);
  s.high = new Float64Array(n).fill(105);
  s.low = new Float64Array(n).fill(101);
  s.high[10] = 110; // the range high, 89 rows back
  s.low[0] = 100; // the range low, 99 rows back: the first full window
  const c = run(fibonacci, s), t = 99;
  const want: Record<string, number> = {
    fib_236: 107.64,
    fib_382: 106.18,
    fib_500: 105,
    fib_618: 103.82,
    fib_ext_1272: 112.72,
    fib_ext_1618: 116.18,
    fib_dist_382: (104 - 106.18) / 10,
    fib_dist_618: (104 - 103.82) / 10,
    fib_high: 110,
    fib_low: 100,
  };
  for (const [stem, v] of Object.entries(want)) {
    const got = c.get(`idx_${stem}`)!;
    if (!(Math.abs(got[t] - v) < 1e-12 * 120)) assert.fail(`${stem}: ${got[t]} vs ${v}`);
    if (!Number.isNaN(got[t - 1])) assert.fail(`${stem} warm-up`);
  }
});

Deno.test("fibonacci matches the direct double loop on idx and bqx of a random walk", () => {
  const c = run(fibonacci, S);
  for (
    const [dom, h, l, x] of [["idx", S.high, S.low, S.close], ["bqx", S.bqx, S.bqx, S.bqx]] as const
  ) {
    const first = (dom === "idx" ? 0 : 15) + 99;
    for (const [stem, f] of Object.entries(LEVELS)) {
      const col = c.get(`${dom}_${stem}`)!, scale = scaleOf(col);
      for (let t = 0; t < S.n; t++) {
        if (t < first) {
          if (!Number.isNaN(col[t])) assert.fail(`${dom}_${stem} warm-up row ${t}`);
          continue;
        }
        let hi = -Infinity, lo = Infinity;
        for (let j = t - 99; j <= t; j++) {
          hi = Math.max(hi, h[j]);
          lo = Math.min(lo, l[j]);
        }
        const want = f(hi, lo, x[t]);
        assert.ok(
          Math.abs(col[t] - want) <= 1e-12 * scale,
          `${dom}_${stem} row ${t}: ${col[t]} vs ${want}`,
        );
      }
    }
  }
});

Deno.test("fibonacci columns equal specs(), once each, finite or NaN, first defined at warmup", () => {
  const specs = fibonacci.specs("eurusd", ["eurusd"]);
  const c = run(fibonacci, S);
  assert.deepEqual([...c.keys()], specs.map((s) => s.name));
  assert.equal(new Set(specs.map((s) => s.name)).size, 20);
  assert.deepEqual(
    specs.filter((s) => s.domain === "idx").map((s) => s.name.slice(4)),
    Object.keys(LEVELS),
  );
  assert.equal(specs.filter((s) => s.domain === "bqx").length, 10);
  for (const spec of specs) {
    assert.equal(spec.family, "fibonacci");
    const col = c.get(spec.name)!;
    for (const v of col) assert.ok(Number.isFinite(v) || Number.isNaN(v), spec.name);
    assert.equal(col.findIndex((v) => !Number.isNaN(v)), spec.warmup, `${spec.name} warmup`);
  }
});

Deno.test("fibonacci is causal: perturbing rows after a cut leaves rows <= cut bit-identical", () => {
  assertCausal(fibonacci, S, [150, 1777, 4321, S.n - 2]);
});

Deno.test("fibonacci from = n − 1 (and n − 37) reproduces the batch rows exactly", () => {
  assertFromMatches(fibonacci, S, [S.n - 1, S.n - 37], 0);
});

Deno.test("fibonacci on flat prices: levels equal the price, distances NaN, never ±Infinity", () => {
  const s = flatSeries(200), c = run(fibonacci, s);
  for (const [name, col] of c) {
    for (const v of col) assert.ok(Number.isFinite(v) || Number.isNaN(v), name);
  }
  for (const [dom, level] of [["idx", 100], ["bqx", 0]] as const) {
    for (const stem of Object.keys(LEVELS)) {
      const v = c.get(`${dom}_${stem}`)![199];
      if (stem.startsWith("fib_dist")) assert.ok(Number.isNaN(v), `${dom}_${stem}`);
      else assert.equal(v, level, `${dom}_${stem}`);
    }
  }
});

Deno.test("fibonacci on real EURUSD bars: low <= 61.8 <= 50 <= 38.2 <= 23.6 <= high <= extensions", () => {
  const raw = realBars("EURUSD", 60_000);
  if (!raw) return; // realBars printed why
  const { m1, bqx } = buildPair(gapFill(raw).frame);
  const s = seriesFromFrames("eurusd", m1, bqx), c = run(fibonacci, s);
  for (const [name, col] of c) {
    for (const v of col) assert.ok(Number.isFinite(v) || Number.isNaN(v), name);
  }
  for (const dom of ["idx", "bqx"]) {
    const order = ["low", "618", "500", "382", "236", "high", "ext_1272", "ext_1618"]
      .map((k) => c.get(`${dom}_fib_${k}`)!);
    for (let t = 0; t < s.n; t++) {
      if (Number.isNaN(order[0][t])) continue;
      for (let i = 1; i < order.length; i++) {
        assert.ok(
          order[i - 1][t] <= order[i][t] + 1e-12 * Math.abs(order[i][t]),
          `${dom} row ${t} level ${i}`,
        );
      }
    }
  }
});
