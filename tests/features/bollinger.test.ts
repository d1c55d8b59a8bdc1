import assert from "node:assert/strict";
import { bollinger } from "../../lib/features/bollinger.ts";
import { buildPair } from "../../lib/data/build.ts";
import { gapFill } from "../../lib/data/gapFill.ts";
import { seriesFromFrames } from "../../lib/features/series.ts";
import { realBars } from "../_helpers.ts";
import {
  assertCausal,
  assertFromMatches,
  assertNaNWindows,
  fixture,
  flatSeries,
  runFamily as run,
} from "./_fixture.ts";

const WINDOWS = [20, 50];
const OUTPUTS = ["upper", "middle", "lower", "bandwidth", "pctb"];
const { series } = fixture({ pairs: ["eurusd", "usdjpy"] });
const S = series.get("eurusd")!;

/** Textbook bands over rows t−w+1 … t: mean ± 2 · sample std. */
function brute(x: Float64Array, t: number, w: number, relative: boolean): Record<string, number> {
  let sum = 0;
  for (let j = t - w + 1; j <= t; j++) sum += x[j];
  const mean = sum / w;
  let ss = 0;
  for (let j = t - w + 1; j <= t; j++) ss += (x[j] - mean) ** 2;
  const sd = Math.sqrt(ss / (w - 1)), upper = mean + 2 * sd, lower = mean - 2 * sd;
  return {
    upper,
    middle: mean,
    lower,
    bandwidth: relative ? (upper - lower) / mean : upper - lower,
    pctb: (x[t] - lower) / (upper - lower),
  };
}

Deno.test("bollinger computes hand-checked bands on both domains", () => {
  // 20 rows alternating 99, 101 (idx) and −0.001, 0.001 (bqx): mean 100 / 0, sample σ = √(20/19)
  const n = 35, s = flatSeries(n);
  s.close = Float64Array.from({ length: n }, (_, i) => (i % 2 ? 101 : 99));
  s.bqx = Float64Array.from({ length: n }, (_, i) => (i < 15 ? NaN : i % 2 ? 1e-3 : -1e-3));
  const c = run(bollinger, s);
  const sd = Math.sqrt(20 / 19), t = 34; // x[34] = 99
  const near = (a: number, b: number) => Math.abs(a - b) < 1e-12 * Math.max(1, Math.abs(b));
  assert.ok(near(c.get("idx_bb_middle_20")![t], 100));
  assert.ok(near(c.get("idx_bb_upper_20")![t], 100 + 2 * sd));
  assert.ok(near(c.get("idx_bb_lower_20")![t], 100 - 2 * sd));
  assert.ok(near(c.get("idx_bb_bandwidth_20")![t], (4 * sd) / 100));
  assert.ok(near(c.get("idx_bb_pctb_20")![t], (99 - 100 + 2 * sd) / (4 * sd)));
  // BQX: middle 0, bandwidth is the plain width 4σ (σ = 1e-3 · √(20/19))
  assert.ok(Math.abs(c.get("bqx_bb_middle_20")![t]) < 1e-18);
  assert.ok(Math.abs(c.get("bqx_bb_bandwidth_20")![t] - 4e-3 * sd) < 1e-15);
  assert.ok(Math.abs(c.get("bqx_bb_pctb_20")![t] - (-1e-3 + 2e-3 * sd) / (4e-3 * sd)) < 1e-12);
  assert.ok(Number.isNaN(c.get("bqx_bb_upper_20")![33])); // 15 + 19 = 34 is the first row
});

Deno.test("bollinger matches the textbook double loop on idx and bqx of a random walk", () => {
  const c = run(bollinger, S);
  for (const [dom, x, relative] of [["idx", S.close, true], ["bqx", S.bqx, false]] as const) {
    const lead = dom === "idx" ? 0 : 15;
    for (const w of WINDOWS) {
      const refs: Record<string, number>[] = [];
      for (let t = lead + w - 1; t < S.n; t++) refs[t] = brute(x, t, w, relative);
      for (const o of OUTPUTS) {
        const col = c.get(`${dom}_bb_${o}_${w}`)!;
        let scale = 0;
        for (let t = lead + w - 1; t < S.n; t++) scale = Math.max(scale, Math.abs(refs[t][o]));
        // levels to 1e-12 of their size; %B is O(1) and inherits σ's relative error
        const tol = o === "pctb" ? 1e-8 : 1e-10 * scale;
        for (let t = 0; t < S.n; t++) {
          if (t < lead + w - 1) {
            if (!Number.isNaN(col[t])) assert.fail(`${dom} ${o} ${w} warm-up row ${t}`);
            continue;
          }
          const ref = refs[t][o];
          assert.ok(
            Math.abs(col[t] - ref) <= tol,
            `${dom}_bb_${o}_${w} row ${t}: ${col[t]} vs ${ref}`,
          );
        }
      }
    }
  }
});

Deno.test("bollinger columns equal specs(), once each, finite or NaN, first defined at warmup", () => {
  const specs = bollinger.specs("eurusd", ["eurusd"]);
  const c = run(bollinger, S);
  assert.deepEqual([...c.keys()], specs.map((s) => s.name));
  assert.equal(new Set(specs.map((s) => s.name)).size, 20);
  assert.equal(specs.filter((s) => s.domain === "idx").length, 10);
  assert.equal(specs.filter((s) => s.domain === "bqx").length, 10);
  for (const spec of specs) {
    assert.match(spec.name, /^(idx|bqx)_bb_(upper|middle|lower|bandwidth|pctb)_(20|50)$/);
    assert.equal(spec.family, "bollinger");
    const col = c.get(spec.name)!;
    for (const v of col) assert.ok(Number.isFinite(v) || Number.isNaN(v), spec.name);
    assert.equal(col.findIndex((v) => !Number.isNaN(v)), spec.warmup, `${spec.name} warmup`);
  }
});

Deno.test("bollinger is causal: perturbing rows after a cut leaves rows <= cut bit-identical", () => {
  assertCausal(bollinger, S, [60, 1777, 4321, S.n - 2]);
});

Deno.test("bollinger from = n − 1 (and n − 37) reproduces the batch rows", () => {
  assertFromMatches(bollinger, S, [S.n - 1, S.n - 37], 1e-9);
});

Deno.test("bollinger turns exactly the windows holding a NaN input into NaN", () => {
  assertNaNWindows(bollinger, S, 3000);
});

Deno.test("bollinger on flat prices: bands collapse, bandwidth 0, %B NaN, never ±Infinity", () => {
  const s = flatSeries(300), c = run(bollinger, s);
  for (const [name, col] of c) {
    for (const v of col) assert.ok(Number.isFinite(v) || Number.isNaN(v), name);
  }
  for (const w of WINDOWS) {
    for (const [dom, level] of [["idx", 100], ["bqx", 0]] as const) {
      for (const o of ["upper", "middle", "lower"]) {
        assert.equal(c.get(`${dom}_bb_${o}_${w}`)![299], level, `${dom} ${o} ${w}`);
      }
      assert.equal(c.get(`${dom}_bb_bandwidth_${w}`)![299], 0);
      assert.ok(Number.isNaN(c.get(`${dom}_bb_pctb_${w}`)![299]));
    }
  }
  // a flat stretch after movement: exactly collapsed bands, whatever the running sums carried
  const m = flatSeries(300);
  m.close = Float64Array.from({ length: 300 }, (_, i) => (i < 150 ? 100 + Math.sin(i) : 100.5));
  const cm = run(bollinger, m);
  for (const t of [169, 200]) { // 169: the first window wholly inside the flat stretch
    assert.equal(cm.get("idx_bb_upper_20")![t], 100.5);
    assert.equal(cm.get("idx_bb_lower_20")![t], 100.5);
    assert.ok(Number.isNaN(cm.get("idx_bb_pctb_20")![t]));
  }
  assert.ok(cm.get("idx_bb_upper_20")![168] > 100.5); // still holds one moving value
});

Deno.test("bollinger on real EURUSD bars: finite or NaN, lower <= middle <= upper", () => {
  const raw = realBars("EURUSD", 60_000);
  if (!raw) return; // realBars printed why
  const { m1, bqx } = buildPair(gapFill(raw).frame);
  const s = seriesFromFrames("eurusd", m1, bqx), c = run(bollinger, s);
  for (const [name, col] of c) {
    for (const v of col) assert.ok(Number.isFinite(v) || Number.isNaN(v), name);
  }
  for (const dom of ["idx", "bqx"]) {
    for (const w of WINDOWS) {
      const up = c.get(`${dom}_bb_upper_${w}`)!, mid = c.get(`${dom}_bb_middle_${w}`)!;
      const lo = c.get(`${dom}_bb_lower_${w}`)!, bw = c.get(`${dom}_bb_bandwidth_${w}`)!;
      for (let t = 0; t < s.n; t++) {
        if (Number.isNaN(mid[t])) continue;
        if (!(lo[t] <= mid[t] && mid[t] <= up[t] && bw[t] >= 0)) {
          assert.fail(`${dom} ${w} row ${t}`);
        }
      }
    }
  }
});
