import assert from "node:assert/strict";
import type { PairSeries } from "../../lib/features/_types.ts";
import { sliceSeries } from "../../lib/features/series.ts";
import { volume } from "../../lib/features/volume.ts";
import { assertCausal, fixture, runFamily as run } from "./_fixture.ts";

function near(a: number, b: number, tol: number, msg: string) {
  if (Number.isNaN(b)) return assert.ok(Number.isNaN(a), `${msg}: ${a} vs NaN`);
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${msg}: ${a} vs ${b}`);
}

// ---- textbook references, one window at a time ----------------------------------------------
/** x[t−w+1..t] as a plain array, or null before w rows or when it holds a NaN. */
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
function corr(x: number[], y: number[]): number {
  const mx = mean(x), my = mean(y);
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < x.length; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : NaN;
}
/** Least-squares slope of y on 0..w−1. */
function slope(y: number[]): number {
  const w = y.length, mx = (w - 1) / 2, my = mean(y);
  let num = 0, den = 0;
  for (let i = 0; i < w; i++) {
    num += (i - mx) * (y[i] - my);
    den += (i - mx) ** 2;
  }
  return num / den;
}
/** Tercile of x[t] in x[t−w+1..t] by mid-rank, NaN when flat. */
function tercile(x: ArrayLike<number>, t: number, w: number): number {
  const v = win(x, t, w);
  if (!v) return NaN;
  let less = 0, eq = 0;
  for (const y of v) {
    if (y < x[t]) less++;
    else if (y === x[t]) eq++;
  }
  if (eq === w) return NaN;
  const q = (less + (eq - 1) / 2) / (w - 1);
  return q < 1 / 3 ? 0 : q < 2 / 3 ? 1 : 2;
}
const z = (x: ArrayLike<number>, t: number, w: number) => {
  const v = win(x, t, w);
  if (!v) return NaN;
  const s = sd(v);
  return s > 0 ? (x[t] - mean(v)) / s : NaN;
};
const div = (a: number, b: number) => (b !== 0 ? a / b : NaN);

/** Every column of the family at row t, from the definitions in the module doc. */
function reference(s: PairSeries, t: number): Map<string, number> {
  const v = s.volume, c = s.close;
  const ref = new Map<string, number>();
  const ret = Array.from({ length: s.n }, (_, i) => (i ? Math.log(c[i] / c[i - 1]) : NaN));
  const w20 = win(v, t, 20), w60 = win(v, t, 60);
  const m20 = w20 ? mean(w20) : NaN, m60 = w60 ? mean(w60) : NaN;
  ref.set("idx_vol_level", v[t]);
  ref.set("idx_vol_sma_20", m20);
  ref.set("idx_vol_std_20", w20 ? sd(w20) : NaN);
  const spike = (i: number) => {
    const zi = z(v, i, 20);
    return Number.isNaN(zi) ? NaN : zi > 2 ? 1 : 0;
  };
  ref.set("idx_vol_z_20", z(v, t, 20));
  ref.set("idx_vol_ratio_20", div(v[t], m20));
  ref.set("idx_vol_spike_20", spike(t));
  const sp = t >= 59 ? Array.from({ length: 60 }, (_, k) => spike(t - 59 + k)) : null;
  ref.set(
    "idx_vol_spike_count_60",
    sp && !sp.some(Number.isNaN) ? sp.reduce((a, b) => a + b) : NaN,
  );
  ref.set("idx_vol_sma_60", m60);
  ref.set("idx_vol_ratio_20_60", div(m20, m60));
  ref.set("idx_vol_slope_20", w20 ? slope(w20) : NaN);
  ref.set("idx_vol_slope_60", w60 ? slope(w60) : NaN);
  ref.set("idx_vol_regime_1440", tercile(v, t, 1440));
  for (const w of [20, 60]) {
    let num = 0, den = 0;
    for (let i = t - w + 1; i <= t; i++) {
      num += ((s.high[i] + s.low[i] + s.close[i]) / 3) * v[i];
      den += v[i];
    }
    const vw = t >= w - 1 ? div(num, den) : NaN;
    ref.set(`idx_vol_vwap_${w}`, vw);
    ref.set(`idx_vol_vwap_dist_${w}`, c[t] - vw);
  }
  for (const w of [20, 60]) {
    let obv = NaN, tot = 0;
    if (t >= w) {
      obv = 0;
      for (let i = t - w + 1; i <= t; i++) {
        obv += Math.sign(ret[i]) * v[i];
        tot += v[i];
      }
    }
    ref.set(`idx_vol_obv_${w}`, obv);
    if (w === 20) ref.set("idx_vol_flow_20", div(obv, tot));
  }
  const sources: [string, ArrayLike<number>, number[]][] = [
    ["idx", c, ret],
    ["bqx", s.bqx, Array.from({ length: s.n }, (_, i) => (i ? s.bqx[i] - s.bqx[i - 1] : NaN))],
  ];
  for (const [p, level, chg] of sources) {
    for (const w of [20, 60]) {
      const a = win(v, t, w), l = win(level, t, w), d = win(chg, t, w);
      ref.set(`${p}_vol_corr_${w}`, a && l ? corr(a, l) : NaN);
      ref.set(`${p}_vol_chg_corr_${w}`, a && d ? corr(a, d) : NaN);
    }
    for (
      const [name, hit] of [["surge", (x: number) => x > 1], [
        "drop",
        (x: number) => x < -1,
      ]] as const
    ) {
      let val = NaN;
      if (t >= 59) {
        const zs = Array.from({ length: 60 }, (_, k) => z(level, t - 59 + k, 60));
        if (!zs.some(Number.isNaN)) {
          let sum = 0, cnt = 0;
          zs.forEach((zk, k) => {
            if (hit(zk)) {
              sum += v[t - 59 + k];
              cnt++;
            }
          });
          val = div(sum, cnt);
        }
      }
      ref.set(`${p}_vol_${name}_mean_60`, val);
    }
    const l = win(level, t, 20);
    const sg = l && w20 ? Math.sign(slope(l)) * Math.sign(slope(w20)) : NaN;
    ref.set(`${p}_vol_confirm_20`, Number.isNaN(sg) ? NaN : sg > 0 ? 1 : 0);
    ref.set(`${p}_vol_diverge_20`, Number.isNaN(sg) ? NaN : sg < 0 ? 1 : 0);
  }
  return ref;
}

const { series } = fixture({ pairs: ["eurusd"], rows: 3200 });
const S = series.get("eurusd")!;

Deno.test("volume.specs() lists 27 idx_vol_ + 8 bqx_vol_ columns, the ones compute() writes", () => {
  const specs = volume.specs("eurusd", ["eurusd"]);
  const names = specs.map((s) => s.name);
  assert.equal(new Set(names).size, names.length);
  assert.equal(specs.filter((s) => s.domain === "idx" && s.name.startsWith("idx_vol_")).length, 27);
  assert.equal(specs.filter((s) => s.domain === "bqx" && s.name.startsWith("bqx_vol_")).length, 8);
  assert.equal(specs.length, 35);
  assert.ok(
    specs.every((s) =>
      s.family === "volume" && s.scope === "primary" && /^[a-z0-9_]+$/.test(s.name)
    ),
  );
  assert.ok(!names.some((n) => n.includes("spread")), "no spread column in the data");
  const cols = run(volume, S);
  assert.deepEqual([...cols.keys()], names);
  // warm-up: defined from `warmup` on (the fixture has volume and no flat windows) …
  for (const sp of specs) {
    const a = cols.get(sp.name)!;
    for (let t = 0; t < S.n; t++) {
      assert.ok(!Number.isFinite(a[t]) ? Number.isNaN(a[t]) : true, `${sp.name} ±∞`);
    }
    if (/surge|drop/.test(sp.name)) continue; // NaN whenever no row of the 60 qualifies
    for (let t = sp.warmup; t < S.n; t++) {
      assert.ok(Number.isFinite(a[t]), `${sp.name} NaN at ${t} >= warmup ${sp.warmup}`);
    }
    // … and not before (the warm-up is tight)
    assert.ok(
      Number.isNaN(a[sp.warmup - 1] ?? NaN),
      `${sp.name} defined before warmup ${sp.warmup}`,
    );
  }
});

Deno.test("volume.compute() equals the textbook definitions on every kind of column", () => {
  const cols = run(volume, S);
  // every row for the short windows, a stride for the long regime window
  const rows = [...Array(S.n).keys()].filter((t) => t < 200 || t % 7 === 0 || t > S.n - 20);
  for (const t of rows) {
    for (const [name, want] of reference(S, t)) {
      near(cols.get(name)![t], want, 1e-9, `${name} row ${t}`);
    }
  }
});

Deno.test("volume.compute() at rows <= cut ignores every later bar (bit-identical)", () => {
  assertCausal(volume, S, [400, 1500, 2011, 2903], { offsetMs: 7 * 60_000, requireMove: true });
});

Deno.test("volume.compute() with from = n − 1, and on a warm-up-long tail, gives the batch row", () => {
  const base = run(volume, S);
  const last = run(volume, S, S.n - 1);
  const need = Math.max(...volume.specs("eurusd", ["eurusd"]).map((s) => s.warmup));
  const tail = sliceSeries(S, S.n - need - 1);
  const live = run(volume, tail, tail.n - 1);
  for (const [name, a] of base) {
    near(last.get(name)![S.n - 1], a[S.n - 1], 1e-9, `${name} from n−1`);
    near(live.get(name)![tail.n - 1], a[S.n - 1], 1e-9, `${name} on a ${need + 1}-row tail`);
  }
  // a middle `from` fills exactly rows from..n−1
  const mid = run(volume, S, 2000);
  for (const [name, a] of base) {
    for (let t = 0; t < 2000; t++) assert.ok(Number.isNaN(mid.get(name)![t]));
    for (let t = 2000; t < S.n; t++) {
      near(mid.get(name)![t], a[t], 1e-9, `${name} from 2000 row ${t}`);
    }
  }
});

Deno.test("volume.compute() with zero volume or flat prices gives only finite values or NaN", () => {
  const zero: PairSeries = { ...S, volume: new Float64Array(S.n) };
  const flat100 = new Float64Array(S.n).fill(100);
  const flat: PairSeries = {
    ...S,
    open: flat100,
    high: flat100,
    low: flat100,
    close: flat100,
    bqx: new Float64Array(S.n).map((_, i) => (i < 15 ? NaN : 0)),
  };
  for (
    const [label, s] of [["zero volume", zero], ["flat prices", flat], ["both", {
      ...flat,
      volume: zero.volume,
    }]] as const
  ) {
    const cols = run(volume, s);
    for (const [name, a] of cols) {
      for (let t = 0; t < s.n; t++) {
        assert.ok(Number.isFinite(a[t]) || Number.isNaN(a[t]), `${label}: ${name} ${a[t]}`);
      }
    }
    // real data has volume 0 everywhere: ratios are NaN (0/0), sums and slopes 0
    if (label !== "flat prices") {
      const t = s.n - 1;
      assert.ok(Number.isNaN(cols.get("idx_vol_z_20")![t]));
      assert.ok(Number.isNaN(cols.get("idx_vol_vwap_20")![t]));
      assert.ok(Number.isNaN(cols.get("idx_vol_flow_20")![t]));
      assert.ok(Number.isNaN(cols.get("idx_vol_regime_1440")![t]));
      assert.ok(Number.isNaN(cols.get("bqx_vol_corr_60")![t]));
      assert.equal(cols.get("idx_vol_obv_60")![t], 0);
      assert.equal(cols.get("idx_vol_slope_20")![t], 0);
      assert.equal(cols.get("idx_vol_confirm_20")![t], 0);
    }
  }
});

Deno.test("volume.compute() volume tercile matches a hand case with ties", () => {
  // 1440 rows 0, 1, …, 1439 then a repeated value: rank is decided by the mid-rank of the ties
  const n = 1442, v = new Float64Array(n);
  for (let t = 0; t < 1440; t++) v[t] = t;
  v[1440] = 1000; // among 1..1439 plus itself: 999 below, 2 equal → q = (999 + 0.5)/1439 ≈ 0.695 → 2
  v[1441] = 480; // in 2..1440: 478 below (2..479), 2 equal (480, 480) → q = 478.5/1439 ≈ 0.3325 → 0
  const p = new Float64Array(n).fill(100);
  const s = {
    n,
    ts: new Float64Array(n),
    open: p,
    high: p,
    low: p,
    close: p,
    volume: v,
    bqx: p,
  } as never;
  const reg = run(volume, s).get("idx_vol_regime_1440")!;
  assert.ok(Number.isNaN(reg[1438]));
  assert.equal(reg[1439], 2); // the maximum
  assert.equal(reg[1440], 2);
  assert.equal(reg[1441], 0);
});
