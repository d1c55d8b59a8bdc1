import assert from "node:assert/strict";
import { movingAverages } from "../../lib/features/movingAverages.ts";
import { buildPair } from "../../lib/data/build.ts";
import { gapFill } from "../../lib/data/gapFill.ts";
import { seriesFromFrames } from "../../lib/features/series.ts";
import { realBars } from "../_helpers.ts";
import { assertCausal, fixture, flatSeries, runFamily as run, scaleOf } from "./_fixture.ts";

const { series } = fixture({ pairs: ["eurusd", "usdjpy"] });
const S = series.get("eurusd")!;

const WINDOWS = [5, 10, 20, 50, 100, 200];

/** SMA: mean of rows t−w+1 … t. */
function refSma(x: Float64Array, w: number): Float64Array {
  const o = new Float64Array(x.length).fill(NaN);
  for (let t = w - 1; t < x.length; t++) {
    let s = 0;
    for (let j = t - w + 1; j <= t; j++) s += x[j];
    o[t] = s / w;
  }
  return o;
}

/** EMA: the SMA of the first `span` defined values, then e ← e + (2/(span+1))·(x − e). */
function refEma(x: Float64Array, span: number): Float64Array {
  const o = new Float64Array(x.length).fill(NaN);
  let f = 0;
  while (f < x.length && Number.isNaN(x[f])) f++;
  if (f + span > x.length) return o;
  let e = 0;
  for (let j = f; j < f + span; j++) e += x[j] / span;
  o[f + span - 1] = e;
  const k = 2 / (span + 1);
  for (let t = f + span; t < x.length; t++) o[t] = e = x[t] * k + e * (1 - k);
  return o;
}

Deno.test("movingAverages computes hand-checked values: a straight line lags by (w − 1)/2", () => {
  // on x = t every SMA and every SMA-seeded EMA equals t − (w − 1)/2 once defined
  const n = 400, s = flatSeries(n);
  s.close = Float64Array.from({ length: n }, (_, i) => 100 + i);
  const c = run(movingAverages, s);
  for (const w of WINDOWS) {
    for (const kind of ["sma", "ema"]) {
      const col = c.get(`idx_${kind}_${w}`)!;
      if (!Number.isNaN(col[w - 2])) assert.fail(`${kind} ${w} warm-up`);
      for (const t of [w - 1, w + 7, n - 1]) {
        assert.ok(
          Math.abs(col[t] - (100 + t - (w - 1) / 2)) < 1e-9,
          `${kind} ${w} row ${t}: ${col[t]}`,
        );
      }
    }
  }
  // EMA 5 on 1, 2, 3, 4, 5, 11: seed 3, then 3 + (1/3)(11 − 3)
  const e = flatSeries(6);
  e.close = new Float64Array([1, 2, 3, 4, 5, 11]);
  assert.ok(Math.abs(run(movingAverages, e).get("idx_ema_5")![5] - (3 + 8 / 3)) < 1e-12);
});

Deno.test("movingAverages matches the textbook loops on idx and bqx of a random walk", () => {
  const c = run(movingAverages, S);
  for (const [dom, x] of [["idx", S.close], ["bqx", S.bqx]] as const) {
    const lead = dom === "idx" ? 0 : 15;
    for (const w of WINDOWS) {
      for (const [kind, want] of [["sma", refSma(x, w)], ["ema", refEma(x, w)]] as const) {
        const col = c.get(`${dom}_${kind}_${w}`)!, scale = scaleOf(want);
        for (let t = 0; t < S.n; t++) {
          if (t < lead + w - 1) {
            assert.ok(
              Number.isNaN(col[t]) && Number.isNaN(want[t]),
              `${dom} ${kind} ${w} row ${t}`,
            );
            continue;
          }
          assert.ok(
            Math.abs(col[t] - want[t]) <= 1e-12 * scale,
            `${dom}_${kind}_${w} row ${t}: ${col[t]} vs ${want[t]}`,
          );
        }
      }
    }
  }
});

Deno.test("movingAverages columns equal specs(), once each, finite or NaN, first defined at warmup", () => {
  const specs = movingAverages.specs("eurusd", ["eurusd"]);
  const c = run(movingAverages, S);
  assert.deepEqual([...c.keys()], specs.map((s) => s.name));
  assert.equal(new Set(specs.map((s) => s.name)).size, 24);
  assert.deepEqual(
    specs.filter((s) => s.domain === "idx").map((s) => s.name),
    ["sma", "ema"].flatMap((k) => WINDOWS.map((w) => `idx_${k}_${w}`)),
  );
  assert.equal(specs.filter((s) => s.domain === "bqx").length, 12);
  for (const spec of specs) {
    assert.equal(spec.family, "movingAverages");
    const col = c.get(spec.name)!;
    for (const v of col) assert.ok(Number.isFinite(v) || Number.isNaN(v), spec.name);
    assert.equal(col.findIndex((v) => !Number.isNaN(v)), spec.warmup, `${spec.name} warmup`);
  }
});

Deno.test("movingAverages is causal: perturbing rows after a cut leaves rows <= cut bit-identical", () => {
  assertCausal(movingAverages, S, [250, 1777, 4321, S.n - 2]);
});

Deno.test("movingAverages from = n − 1 (and n − 37) reproduces the batch rows", () => {
  const full = run(movingAverages, S);
  for (const from of [S.n - 1, S.n - 37]) {
    const tail = run(movingAverages, S, from);
    for (const [name, col] of full) {
      const scale = scaleOf(col);
      for (let t = from; t < S.n; t++) {
        const a = col[t], b = tail.get(name)![t];
        const ok = name.includes("_ema_") // recursive: always the whole series
          ? Object.is(a, b)
          : Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), scale);
        if (!ok) assert.fail(`${name} row ${t}: ${a} vs ${b}`);
      }
    }
  }
});

Deno.test("movingAverages: a NaN input blanks the SMA windows holding it, the EMA holds its value", () => {
  const base = run(movingAverages, S);
  const s = { ...S, close: new Float64Array(S.close) };
  s.close[3000] = NaN;
  const c = run(movingAverages, s);
  for (const [name, col] of c) {
    if (name.startsWith("idx_ema_")) {
      assert.equal(col[3000], col[2999], name); // ema(): a NaN row leaves the EMA unchanged
      continue;
    }
    if (!name.startsWith("idx_")) continue;
    const w = Number(name.split("_").at(-1)), ref = base.get(name)!, scale = scaleOf(ref);
    for (let t = 2900; t < 3400; t++) {
      const ok = t >= 3000 && t < 3000 + w
        ? Number.isNaN(col[t])
        : Math.abs(col[t] - ref[t]) <= 1e-9 * Math.max(1, scale);
      if (!ok) assert.fail(`${name} row ${t}: ${col[t]} vs ${ref[t]}`);
    }
  }
});

Deno.test("movingAverages on flat prices: every average equals the price, never ±Infinity", () => {
  const s = flatSeries(300), c = run(movingAverages, s);
  for (const [name, col] of c) {
    for (const v of col) assert.ok(Number.isFinite(v) || Number.isNaN(v), name);
    assert.equal(col[299], name.startsWith("idx") ? 100 : 0, name);
  }
});

Deno.test("movingAverages on real EURUSD bars: finite or NaN, within the window's range", () => {
  const raw = realBars("EURUSD", 60_000);
  if (!raw) return; // realBars printed why
  const { m1, bqx } = buildPair(gapFill(raw).frame);
  const s = seriesFromFrames("eurusd", m1, bqx), c = run(movingAverages, s);
  for (const [name, col] of c) {
    for (const v of col) assert.ok(Number.isFinite(v) || Number.isNaN(v), name);
  }
  // an SMA lies between the window's min and max (checked on idx, window 20)
  const sma = c.get("idx_sma_20")!;
  for (let t = 19; t < s.n; t++) {
    let lo = Infinity, hi = -Infinity;
    for (let j = t - 19; j <= t; j++) {
      lo = Math.min(lo, s.close[j]);
      hi = Math.max(hi, s.close[j]);
    }
    if (!(sma[t] >= lo - 1e-12 * hi && sma[t] <= hi + 1e-12 * hi)) assert.fail(`row ${t}`);
  }
});
