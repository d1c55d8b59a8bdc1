import assert from "node:assert/strict";
import type { PairSeries } from "../../lib/features/_types.ts";
import { regime, rollingRank } from "../../lib/features/regime.ts";
import { sliceSeries } from "../../lib/features/series.ts";
import { rng } from "../_helpers.ts";
import { assertCausal, fixture, near, runFamily as run } from "./_fixture.ts";

// ---- textbook references --------------------------------------------------------------------
function win(x: ArrayLike<number>, t: number, w: number): number[] | null {
  if (t - w + 1 < 0) return null;
  const v = Array.from({ length: w }, (_, k) => x[t - w + 1 + k]);
  return v.some(Number.isNaN) ? null : v;
}
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const sd = (v: number[]) => {
  const m = mean(v);
  return Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1));
};
function tercile(x: ArrayLike<number>, t: number, w: number): [number, number] {
  const v = win(x, t, w);
  if (!v) return [NaN, NaN];
  let less = 0, eq = 0;
  for (const y of v) {
    if (y < x[t]) less++;
    else if (y === x[t]) eq++;
  }
  if (eq === w) return [NaN, NaN];
  const q = (less + (eq - 1) / 2) / (w - 1);
  return [q, q < 1 / 3 ? 0 : q < 2 / 3 ? 1 : 2];
}
/** Line fit of y on 0..w−1: R² (1 − SSE/SST) and slope. */
function line(y: number[]): [number, number] {
  const w = y.length, mx = (w - 1) / 2, my = mean(y);
  let sxy = 0, sxx = 0, sst = 0;
  for (let i = 0; i < w; i++) {
    sxy += (i - mx) * (y[i] - my);
    sxx += (i - mx) ** 2;
    sst += (y[i] - my) ** 2;
  }
  const b = sxy / sxx;
  let sse = 0;
  for (let i = 0; i < w; i++) sse += (y[i] - my - b * (i - mx)) ** 2;
  return [sst > 0 ? 1 - sse / sst : NaN, b];
}

/** Every column at every row, from the module doc's definitions (rank/z columns use the family's
 * own rvol_20/60 columns as input, so ties are the family's). */
function reference(s: PairSeries, own: Map<string, Float64Array>): Map<string, Float64Array> {
  const n = s.n, c = s.close;
  const out = new Map<string, Float64Array>();
  const col = (name: string) => {
    const a = new Float64Array(n).fill(NaN);
    out.set(name, a);
    return a;
  };
  const r = Array.from({ length: n }, (_, i) => (i ? Math.log(c[i] / c[i - 1]) : NaN));
  const jz = col("x_jump_z"), j25 = col("x_jump_2p5"), j3 = col("x_jump_3");
  for (let t = 61; t < n; t++) {
    const s60 = sd(win(r, t - 1, 60)!);
    if (!(s60 > 0)) continue;
    jz[t] = r[t] / s60;
    j25[t] = Math.abs(jz[t]) > 2.5 ? 1 : 0;
    j3[t] = Math.abs(jz[t]) > 3 ? 1 : 0;
  }
  for (const w of [20, 60]) {
    const a = col(`x_jump_count_${w}`);
    for (let t = 0; t < n; t++) {
      const v = win(j25, t, w);
      if (v) a[t] = v.reduce((x, y) => x + y, 0);
    }
  }
  const since = col("x_bars_since_jump");
  for (let t = 301; t < n; t++) {
    let k = 0;
    while (k < 240 && j25[t - k] !== 1) k++;
    since[t] = k;
  }
  for (const w of [20, 60]) {
    const a = col(`x_rvol_${w}`);
    for (let t = 0; t < n; t++) {
      const v = win(r, t, w);
      if (v) a[t] = sd(v);
    }
  }
  const rv20 = own.get("x_rvol_20")!, rv60 = own.get("x_rvol_60")!;
  const g20 = col("x_vol_regime_20"), g60 = col("x_vol_regime_60");
  const p20 = col("x_vol_pctile_20"), vz = col("x_vol_z_20");
  for (let t = 0; t < n; t++) {
    [p20[t], g20[t]] = tercile(rv20, t, 1440);
    g60[t] = tercile(rv60, t, 1440)[1];
    const v = win(rv20, t, 1440);
    if (v && sd(v) > 0) vz[t] = (rv20[t] - mean(v)) / sd(v);
  }
  const ew = col("x_ewma_vol_30");
  let e = 0;
  for (let t = 1; t < n; t++) {
    if (t < 30) e += r[t] ** 2;
    else if (t === 30) e = (e + r[t] ** 2) / 30;
    else e += (2 / 31) * (r[t] ** 2 - e);
    if (t >= 30) ew[t] = Math.sqrt(e);
  }
  const ratio = col("x_vol_ratio_20_60"),
    ex = col("x_vol_expansion"),
    cp = col("x_vol_compression");
  const rvr20 = out.get("x_rvol_20")!, rvr60 = out.get("x_rvol_60")!;
  for (let t = 60; t < n; t++) {
    ratio[t] = rvr60[t] > 0 ? rvr20[t] / rvr60[t] : NaN;
    if (Number.isNaN(ratio[t])) continue;
    ex[t] = ratio[t] > 1.25 ? 1 : 0;
    cp[t] = ratio[t] < 0.8 ? 1 : 0;
  }
  const pk = col("x_range_vol_20");
  for (let t = 19; t < n; t++) {
    let q = 0;
    for (let i = t - 19; i <= t; i++) q += Math.log(s.high[i] / s.low[i]) ** 2;
    pk[t] = Math.sqrt(q / 20 / (4 * Math.LN2));
  }
  for (const w of [20, 60]) {
    const r2 = col(`x_trend_r2_${w}`),
      sg = col(`x_trend_sign_${w}`),
      rg = col(`x_trend_regime_${w}`);
    for (let t = w - 1; t < n; t++) {
      const [q, b] = line(win(c, t, w)!);
      r2[t] = q;
      sg[t] = Math.sign(b) || 0;
      rg[t] = q >= 0.5 ? sg[t] : 0;
    }
  }
  for (const w of [20, 60]) {
    const a = col(`x_trend_consistency_${w}`);
    for (let t = w; t < n; t++) a[t] = win(r, t, w)!.filter((x) => x > 0).length / w;
  }
  const ef = col("x_trend_efficiency_20");
  for (let t = 20; t < n; t++) {
    let p = 0;
    for (let i = t - 19; i <= t; i++) p += Math.abs(c[i] - c[i - 1]);
    ef[t] = p > 0 ? Math.abs(c[t] - c[t - 20]) / p : NaN;
  }
  return out;
}

const { series } = fixture({ pairs: ["eurusd"], rows: 3200 });
const S = series.get("eurusd")!;

Deno.test("regime.specs() lists 26 x_ columns, the ones compute() writes, finite or NaN", () => {
  const specs = regime.specs("eurusd", ["eurusd"]);
  const names = specs.map((s) => s.name);
  assert.equal(specs.length, 26);
  assert.equal(new Set(names).size, 26);
  assert.ok(specs.every((s) => s.domain === "x" && s.scope === "primary" && s.family === "regime"));
  assert.ok(names.every((n) => /^x_[a-z0-9_]+$/.test(n)));
  const cols = run(regime, S);
  assert.deepEqual([...cols.keys()], names);
  for (const sp of specs) {
    const a = cols.get(sp.name)!;
    for (let t = 0; t < S.n; t++) {
      assert.ok(Number.isFinite(a[t]) || Number.isNaN(a[t]), `${sp.name} ±∞`);
    }
    for (let t = sp.warmup; t < S.n; t++) {
      assert.ok(Number.isFinite(a[t]), `${sp.name} NaN at ${t}`);
    }
    assert.ok(Number.isNaN(a[sp.warmup - 1]), `${sp.name} defined before warmup ${sp.warmup}`);
  }
});

Deno.test("regime.compute() equals the textbook definitions on every column", () => {
  const cols = run(regime, S);
  const ref = reference(S, cols);
  assert.deepEqual([...ref.keys()].sort(), [...cols.keys()].sort());
  for (const [name, want] of ref) {
    const got = cols.get(name)!;
    for (let t = 0; t < S.n; t++) near(got[t], want[t], 1e-9, `${name} row ${t}`);
  }
  // the fixture exercises every state
  for (const v of [0, 1, 2]) assert.ok(cols.get("x_vol_regime_20")!.includes(v));
  assert.ok(cols.get("x_jump_3")!.includes(1));
  assert.ok(
    cols.get("x_trend_regime_60")!.includes(-1) && cols.get("x_trend_regime_60")!.includes(1),
  );
});

Deno.test("regime.compute() hand case: a 10σ jump on a calm zig-zag", () => {
  // returns +a, −a, +a, … (|z| ≈ 1, no jumps), then +10a at row 350
  const n = 400, a = 1e-4, close = new Float64Array(n);
  let x = Math.log(100);
  for (let t = 0; t < n; t++) {
    if (t > 0) x += t === 350 ? 10 * a : t % 2 ? a : -a;
    close[t] = Math.exp(x);
  }
  const s = { n, close, high: close, low: close } as never;
  const cols = run(regime, s);
  const j3 = cols.get("x_jump_3")!, since = cols.get("x_bars_since_jump")!;
  assert.equal(j3.slice(61, 350).reduce((p, q) => p + q, 0), 0);
  assert.equal(j3[350], 1);
  assert.equal(cols.get("x_jump_2p5")![350], 1);
  // σ₋ at 350 = std of 60 returns ±a (30 each, n − 1) = a·√(60/59)
  near(cols.get("x_jump_z")![350], 10 / Math.sqrt(60 / 59), 1e-6, "jump z");
  assert.equal(since[349], 240); // censored: no jump in the last 240 bars
  assert.equal(since[350], 0);
  assert.equal(since[361], 11);
  assert.equal(cols.get("x_jump_count_20")![361], 1);
  assert.equal(cols.get("x_jump_count_60")![399], 1);
  assert.ok(Number.isNaN(since[300])); // warm-up 61 + 240
});

Deno.test("rollingRank() hand case: ranks, ties, flat and NaN windows", () => {
  const x = new Float64Array([5, 1, 3, 3, 3, 3, NaN, 2, 4, 6]);
  const { pct, tercile: ter } = rollingRank(x, 3);
  // [5, 1, 3]: 3 has 1 below, 1 equal → q = 1/2 → 1
  assert.equal(pct[2], 0.5);
  assert.equal(ter[2], 1);
  // [1, 3, 3]: 3 has 1 below, 2 equal → q = (1 + 0.5)/2 = 0.75 → 2
  assert.equal(pct[3], 0.75);
  assert.equal(ter[3], 2);
  assert.ok(Number.isNaN(pct[4]) && Number.isNaN(pct[5])); // [3, 3, 3] is flat
  for (const t of [6, 7, 8]) assert.ok(Number.isNaN(ter[t])); // a NaN in the window
  assert.equal(ter[9], 2); // [2, 4, 6]
  assert.equal(pct[9], 1);
  assert.throws(() => rollingRank(x, 1), /Expected window to be an integer >= 2 but found 1/);
  // random data (ties, negatives, ±0, a NaN) against the brute force, with and without from
  const r = rng(3);
  const y = new Float64Array(600).map(
    () => (r() < 0.5 ? Math.round(r() * 20) - 10 : (r() - 0.5) * 1e-3),
  );
  y[350] = NaN;
  [y[420], y[421], y[422]] = [-0, 0, -1e300];
  for (const from of [0, 300]) {
    const part = rollingRank(y, 50, from);
    for (let t = 0; t < 600; t++) {
      const [q, g] = t >= from ? tercile(y, t, 50) : [NaN, NaN];
      assert.ok(Object.is(part.pct[t], q) && Object.is(part.tercile[t], g), `from ${from} t ${t}`);
    }
  }
});

Deno.test("regime.compute() at rows <= cut ignores every later bar (bit-identical)", () => {
  assertCausal(regime, S, [300, 1500, 2011, 2903], { offsetMs: 7 * 60_000, requireMove: true });
});

Deno.test("regime.compute() with from = n − 1, and on a warm-up-long tail, gives the batch row", () => {
  const base = run(regime, S);
  const last = run(regime, S, S.n - 1);
  const need = Math.max(...regime.specs("eurusd", ["eurusd"]).map((s) => s.warmup));
  const tail = sliceSeries(S, S.n - need - 1);
  const live = run(regime, tail, tail.n - 1);
  for (const [name, a] of base) {
    near(last.get(name)![S.n - 1], a[S.n - 1], 1e-9, `${name} from n−1`);
    near(live.get(name)![tail.n - 1], a[S.n - 1], 1e-9, `${name} on a ${need + 1}-row tail`);
  }
  const mid = run(regime, S, 2000);
  for (const [name, a] of base) {
    for (let t = 0; t < 2000; t++) assert.ok(Number.isNaN(mid.get(name)![t]));
    for (let t = 2000; t < S.n; t++) {
      near(mid.get(name)![t], a[t], 1e-9, `${name} from 2000 row ${t}`);
    }
  }
});

Deno.test("regime.compute() with flat prices or zero volume gives only finite values or NaN", () => {
  const flat100 = new Float64Array(S.n).fill(100);
  const flat = { ...S, open: flat100, high: flat100, low: flat100, close: flat100 };
  const zero = { ...S, volume: new Float64Array(S.n) };
  for (const s of [flat, zero]) {
    const cols = run(regime, s);
    for (const [name, a] of cols) {
      for (let t = 0; t < s.n; t++) {
        assert.ok(Number.isFinite(a[t]) || Number.isNaN(a[t]), `${name} ${a[t]}`);
      }
    }
  }
  const cols = run(regime, flat), t = S.n - 1;
  assert.ok(Number.isNaN(cols.get("x_jump_z")![t])); // σ = 0: no yardstick
  assert.ok(Number.isNaN(cols.get("x_vol_regime_20")![t])); // a flat window has no terciles
  assert.equal(cols.get("x_rvol_20")![t], 0);
  assert.equal(cols.get("x_trend_regime_20")![t], 0);
  assert.equal(cols.get("x_bars_since_jump")![t], 240);
});
