import assert from "node:assert/strict";
import { lags } from "../../lib/features/lags.ts";
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
} from "./_fixture.ts";

const { series } = fixture({ pairs: ["eurusd", "usdjpy"] });
const S = series.get("eurusd")!;

Deno.test("lags computes hand-checked values: lag 1 is the previous row", () => {
  const s = flatSeries(20);
  s.close = Float64Array.from({ length: 20 }, (_, i) => 100 + i * i);
  s.bqx = Float64Array.from({ length: 20 }, (_, i) => (i < 15 ? NaN : i / 1000));
  const c = run(lags, s);
  assert.equal(c.get("idx_lag_1")![10], 100 + 81);
  assert.equal(c.get("idx_lag_3")![10], 100 + 49);
  assert.equal(c.get("ret_lag_1")![10], Math.log((100 + 81) / (100 + 64)));
  assert.equal(c.get("ret_lag_2")![10], Math.log((100 + 64) / (100 + 49)));
  assert.ok(Number.isNaN(c.get("ret_lag_1")![1])); // needs close(t−2)
  assert.equal(c.get("ret_lag_1")![2], Math.log(101 / 100));
  assert.equal(c.get("bqx_lag_2")![19], 0.017);
  assert.ok(Number.isNaN(c.get("bqx_lag_2")![16]));
  assert.ok(!c.has("ret_lag_0") && c.has("ret_lag_60") && !c.has("idx_lag_61"));
});

Deno.test("lags equal the source k rows back exactly on idx, bqx and ret of a random walk", () => {
  const c = run(lags, S);
  const ret = new Float64Array(S.n).fill(NaN);
  for (let t = 1; t < S.n; t++) ret[t] = Math.log(S.close[t] / S.close[t - 1]);
  for (const [dom, x] of [["idx", S.close], ["bqx", S.bqx], ["ret", ret]] as const) {
    for (let k = 1; k <= 60; k++) {
      const col = c.get(`${dom}_lag_${k}`)!;
      for (let t = 0; t < S.n; t++) {
        const want = t >= k ? x[t - k] : NaN;
        if (!Object.is(col[t], want)) {
          assert.fail(`${dom}_lag_${k} row ${t}: ${col[t]} vs ${want}`);
        }
      }
    }
  }
});

Deno.test("lags columns equal specs(), once each, finite or NaN, first defined at warmup", () => {
  const specs = lags.specs("eurusd", ["eurusd"]);
  const c = run(lags, S);
  assert.deepEqual([...c.keys()], specs.map((s) => s.name));
  assert.equal(new Set(specs.map((s) => s.name)).size, 180);
  for (const dom of ["idx", "bqx", "ret"]) {
    const mine = specs.filter((s) => s.domain === dom).map((s) => s.name);
    assert.deepEqual(mine, Array.from({ length: 60 }, (_, i) => `${dom}_lag_${i + 1}`));
  }
  for (const spec of specs) {
    assert.equal(spec.family, "lags");
    const col = c.get(spec.name)!;
    for (const v of col) assert.ok(Number.isFinite(v) || Number.isNaN(v), spec.name);
    assert.equal(col.findIndex((v) => !Number.isNaN(v)), spec.warmup, `${spec.name} warmup`);
  }
});

Deno.test("lags is causal: perturbing rows after a cut leaves rows <= cut bit-identical", () => {
  assertCausal(lags, S, [70, 1777, 4321, S.n - 2]);
});

Deno.test("lags from = n − 1 (and n − 37) reproduces the batch rows exactly", () => {
  assertFromMatches(lags, S, [S.n - 1, S.n - 37], 0);
});

Deno.test("lags on flat prices: levels repeat, returns are 0, never ±Infinity", () => {
  const s = flatSeries(100), c = run(lags, s);
  for (const [name, col] of c) {
    for (const v of col) assert.ok(Number.isFinite(v) || Number.isNaN(v), name);
    assert.equal(col[99], name.startsWith("idx") ? 100 : 0, name);
  }
});

Deno.test("lags on real EURUSD bars: finite or NaN, ret_lag_k(t) = ret_lag_1(t − k + 1)", () => {
  const raw = realBars("EURUSD", 60_000);
  if (!raw) return; // realBars printed why
  const { m1, bqx } = buildPair(gapFill(raw).frame);
  const s = seriesFromFrames("eurusd", m1, bqx), c = run(lags, s);
  for (const [name, col] of c) {
    for (const v of col) assert.ok(Number.isFinite(v) || Number.isNaN(v), name);
  }
  const r1 = c.get("ret_lag_1")!, r60 = c.get("ret_lag_60")!;
  for (let t = 61; t < s.n; t++) if (!Object.is(r60[t], r1[t - 59])) assert.fail(`row ${t}`);
});
