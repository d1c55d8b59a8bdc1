import assert from "node:assert/strict";
import type { PairSeries } from "../../lib/features/_types.ts";
import { multiResolution } from "../../lib/features/multiResolution.ts";
import { sliceSeries } from "../../lib/features/series.ts";
import { fixture, near, perturbAfter, runFamily as run } from "./_fixture.ts";

const MIN = 60_000;

/** A series from explicit minutes (offsets from 2024-01-01 00:00 UTC) and closes; OHLC around it. */
function bars(minutes: number[], close: number[], spread = 0.01): PairSeries {
  const n = minutes.length;
  const ts = new Float64Array(minutes.map((m) => Date.UTC(2024, 0, 1) + m * MIN));
  const c = new Float64Array(close);
  const o = new Float64Array(n).map((_, i) => (i ? close[i - 1] : close[0]));
  const h = new Float64Array(n).map((_, i) => Math.max(o[i], c[i]) + spread * ((i % 3) + 1));
  const l = new Float64Array(n).map((_, i) => Math.min(o[i], c[i]) - spread * ((i % 2) + 1));
  return { n, ts, open: o, high: h, low: l, close: c } as PairSeries;
}

/**
 * The reference: buckets grouped from the whole series (a different construction from the
 * module's single pass), then at row t the buckets before t's and the partial one from its
 * minutes <= t, every statistic by its textbook formula.
 */
function reference(s: PairSeries): Map<string, Float64Array> {
  const n = s.n, out = new Map<string, Float64Array>();
  const col = (name: string) => {
    const a = new Float64Array(n).fill(NaN);
    out.set(name, a);
    return a;
  };
  const moms: Float64Array[] = [];
  for (const R of [5, 15]) {
    const id = (t: number) => Math.floor(s.ts[t] / (R * MIN));
    // complete buckets: [first row, last row] per distinct id, in order
    const groups: { first: number; last: number }[] = [];
    const g = new Int32Array(n);
    for (let t = 0; t < n; t++) {
      if (t === 0 || id(t) !== id(t - 1)) groups.push({ first: t, last: t });
      groups[groups.length - 1].last = t;
      g[t] = groups.length - 1;
    }
    const hi = (a: number, b: number) => Math.max(...Array.from(s.high.subarray(a, b + 1)));
    const lo = (a: number, b: number) => Math.min(...Array.from(s.low.subarray(a, b + 1)));
    const C = (j: number) => (j >= 0 ? s.close[groups[j].last] : NaN);
    const c = Object.fromEntries(
      [
        "ret",
        "ret_last",
        "mom_12",
        "rsi_12",
        "vol_12",
        "range_12",
        "range_pos_12",
        "z_12",
        "sma_dist_12",
        "bqx_3",
        "body",
        "hl_pos",
        "progress",
      ]
        .map((k) => [k, col(`x_m${R}_${k}`)]),
    );
    for (let t = 0; t < n; t++) {
      const j = g[t], first = groups[j].first, x = s.close[t];
      // the closes of buckets j−12 … j with the partial close at t
      const closes = Array.from({ length: 13 }, (_, k) => (k === 12 ? x : C(j - 12 + k)));
      c.ret[t] = Math.log(x / C(j - 1));
      c.ret_last[t] = Math.log(C(j - 1) / C(j - 2));
      c.mom_12[t] = Math.log(x / C(j - 12));
      if (j >= 12) {
        let up = 0, all = 0;
        const lr: number[] = [];
        for (let k = 1; k <= 12; k++) {
          const d = closes[k] - closes[k - 1];
          up += Math.max(d, 0);
          all += Math.abs(d);
          lr.push(Math.log(closes[k] / closes[k - 1]));
        }
        c.rsi_12[t] = all > 0 ? (100 * up) / all : NaN;
        const m = lr.reduce((a, b) => a + b) / 12;
        c.vol_12[t] = Math.sqrt(lr.reduce((a, b) => a + (b - m) ** 2, 0) / 11);
      }
      if (j >= 11) {
        const H = Math.max(hi(groups[j - 11].first, t)), L = lo(groups[j - 11].first, t);
        c.range_12[t] = Math.log(H / L);
        c.range_pos_12[t] = H > L ? Math.min(1, Math.max(0, (x - L) / (H - L))) : NaN;
        const last12 = closes.slice(1);
        const m = last12.reduce((a, b) => a + b) / 12;
        const sd = Math.sqrt(last12.reduce((a, b) => a + (b - m) ** 2, 0) / 11);
        c.z_12[t] = sd > 0 ? (x - m) / sd : NaN;
        c.sma_dist_12[t] = x / m - 1;
      }
      c.bqx_3[t] = ((C(j - 1) - x) + (C(j - 2) - x) + (C(j - 3) - x)) / x;
      const H = hi(first, t), L = lo(first, t);
      c.body[t] = H > L ? Math.min(1, Math.max(-1, (x - s.open[first]) / (H - L))) : NaN;
      c.hl_pos[t] = H > L ? Math.min(1, Math.max(0, (x - L) / (H - L))) : NaN;
      c.progress[t] = (((s.ts[t] / MIN) % R) + 1) / R;
    }
    moms.push(c.mom_12);
  }
  const names = [
    "x_mtf_agree_1m_5m",
    "x_mtf_agree_1m_15m",
    "x_mtf_agree_5m_15m",
    "x_mtf_agree_all",
  ];
  const [a15, a115, a515, all] = names.map(col);
  for (let t = 12; t < n; t++) {
    const s1 = Math.sign(Math.log(s.close[t] / s.close[t - 12]));
    const [s5, s15] = [Math.sign(moms[0][t]), Math.sign(moms[1][t])];
    const same = (p: number, q: number) => (p !== 0 && p === q ? 1 : 0);
    if (!Number.isNaN(s5)) a15[t] = same(s1, s5);
    if (!Number.isNaN(s15)) {
      a115[t] = same(s1, s15);
      a515[t] = same(s5, s15);
      all[t] = same(s1, s5) && same(s5, s15) ? 1 : 0;
    }
  }
  return out;
}

const { series } = fixture({ pairs: ["eurusd"], rows: 3000 });
const S = series.get("eurusd")!;
/** Rows whose minute of the hour is m (cuts inside a 5- and a 15-minute bucket). */
const atMinute = (m: number) =>
  [...Array(S.n).keys()].filter((t) => new Date(S.ts[t]).getUTCMinutes() === m);

Deno.test("multiResolution.specs() lists 30 x_ columns, the ones compute() writes, finite or NaN", () => {
  const specs = multiResolution.specs("eurusd", ["eurusd"]);
  const names = specs.map((s) => s.name);
  assert.equal(specs.length, 30);
  assert.equal(new Set(names).size, 30);
  assert.ok(
    specs.every((s) => s.domain === "x" && s.scope === "primary" && s.family === "multiResolution"),
  );
  assert.ok(names.every((n) => /^x_[a-z0-9_]+$/.test(n)));
  const cols = run(multiResolution, S);
  assert.deepEqual([...cols.keys()], names);
  for (const sp of specs) {
    const a = cols.get(sp.name)!;
    for (let t = 0; t < S.n; t++) {
      assert.ok(Number.isFinite(a[t]) || Number.isNaN(a[t]), `${sp.name} ±∞`);
    }
    for (let t = sp.warmup; t < S.n; t++) {
      assert.ok(Number.isFinite(a[t]), `${sp.name} NaN at ${t}`);
    }
  }
});

Deno.test("multiResolution.compute() equals bucket statistics built from whole-series groups", () => {
  const cols = run(multiResolution, S);
  const ref = reference(S);
  assert.deepEqual([...ref.keys()], [...cols.keys()]);
  for (const [name, want] of ref) {
    const got = cols.get(name)!;
    for (let t = 0; t < S.n; t++) near(got[t], want[t], 1e-9, `${name} row ${t}`);
  }
});

Deno.test("multiResolution.compute() hand case: the partial bucket uses only minutes <= t", () => {
  // 24 minutes, close 100 + minute, OHLC around it (helper `bars`)
  const m = [...Array(24).keys()], s = bars(m, m.map((k) => 100 + k));
  const c = run(multiResolution, s);
  // 00:07: 5m bucket 00:05 holds minutes 5, 6, 7 so far
  const t = 7,
    hi = Math.max(s.high[5], s.high[6], s.high[7]),
    lo = Math.min(s.low[5], s.low[6], s.low[7]);
  assert.equal(c.get("x_m5_ret")![t], Math.log(107 / 104));
  near(c.get("x_m5_body")![t], (107 - s.open[5]) / (hi - lo), 1e-12, "body");
  near(c.get("x_m5_hl_pos")![t], (107 - lo) / (hi - lo), 1e-12, "hl_pos");
  assert.equal(c.get("x_m5_progress")![t], 3 / 5);
  assert.equal(c.get("x_m5_ret_last")![t], NaN); // only one complete bucket
  // 00:22: 15m bucket 00:15 holds minutes 15..22; the complete one closed at 00:14 (114)
  assert.equal(c.get("x_m15_ret")![22], Math.log(122 / 114));
  assert.equal(c.get("x_m15_progress")![22], 8 / 15);
  // bqx over the last three complete 5m closes at 00:22: 119 (00:15), 114 (00:10), 109 (00:05)
  near(c.get("x_m5_bqx_3")![22], (119 - 122 + 114 - 122 + 109 - 122) / 122, 1e-12, "bqx_3");
});

Deno.test("multiResolution.compute() counts buckets that exist: gaps make no empty buckets", () => {
  // minutes 0..4 (bucket 0), 12 (bucket 2), 31..33 (bucket 6): bucket 1 and 3..5 do not exist
  const s = bars([0, 1, 2, 3, 4, 12, 31, 32, 33], [100, 101, 102, 103, 104, 110, 120, 121, 122]);
  const c = run(multiResolution, s);
  assert.equal(c.get("x_m5_ret")![5], Math.log(110 / 104)); // the previous bucket is 00:00
  assert.equal(c.get("x_m5_ret_last")![7], Math.log(110 / 104)); // last complete = 00:10 bucket
  assert.equal(c.get("x_m5_bqx_3")![8], (110 - 122 + 104 - 122 + NaN) / 122); // only two before
  assert.equal(c.get("x_m5_progress")![5], 3 / 5); // minute 12 is the 3rd of 00:10–00:14
  assert.equal(c.get("x_m15_ret")![8], Math.log(122 / 110)); // 15m: buckets 00:00, 00:30
});

Deno.test("multiResolution.compute() at rows <= cut ignores later minutes, cuts inside buckets", () => {
  const base = run(multiResolution, S);
  // :07 is inside a 5m bucket (:05–:09) and a 15m one (:00–:14); :22 likewise
  const cuts = [atMinute(7)[3], atMinute(22)[10], atMinute(7)[30], atMinute(22)[45]];
  for (const i of cuts) {
    const cut = S.ts[i];
    const p = run(multiResolution, perturbAfter(S, cut, i));
    let moved = false;
    for (const [name, a] of base) {
      const b = p.get(name)!;
      for (let t = 0; t <= i; t++) {
        assert.ok(Object.is(a[t], b[t]), `${name} row ${t} <= cut ${i}: ${a[t]} → ${b[t]}`);
      }
      moved ||= !Object.is(a[i + 1], b[i + 1]);
    }
    assert.ok(moved, "the next minute, in the same bucket, moved");
  }
});

Deno.test("multiResolution.compute() with from = n − 1, and on a warm-up-long tail, is bit-identical", () => {
  const base = run(multiResolution, S);
  const need = Math.max(...multiResolution.specs("eurusd", ["eurusd"]).map((s) => s.warmup));
  assert.equal(need, 180);
  // tails ending at every minute of an hour: the tail's first bucket is cut at every phase
  for (let end = 2500; end < 2560; end++) {
    const tail = sliceSeries(S, end - need, end + 1);
    const live = run(multiResolution, tail, tail.n - 1);
    const last = run(multiResolution, sliceSeries(S, 0, end + 1), end);
    for (const [name, a] of base) {
      assert.ok(Object.is(live.get(name)![tail.n - 1], a[end]), `${name} tail at ${end}`);
      assert.ok(Object.is(last.get(name)![end], a[end]), `${name} from n−1 at ${end}`);
    }
  }
  const mid = run(multiResolution, S, 2000);
  for (const [name, a] of base) {
    for (let t = 0; t < 2000; t++) assert.ok(Number.isNaN(mid.get(name)![t]));
    for (let t = 2000; t < S.n; t++) {
      assert.ok(Object.is(mid.get(name)![t], a[t]), `${name} from 2000 row ${t}`);
    }
  }
});

Deno.test("multiResolution.compute() with flat prices or zero volume gives only finite values or NaN", () => {
  const flat100 = new Float64Array(S.n).fill(100);
  const flat = { ...S, open: flat100, high: flat100, low: flat100, close: flat100 };
  for (const s of [flat, { ...S, volume: new Float64Array(S.n) }]) {
    for (const [name, a] of run(multiResolution, s)) {
      for (let t = 0; t < s.n; t++) {
        assert.ok(Number.isFinite(a[t]) || Number.isNaN(a[t]), `${name} ${a[t]}`);
      }
    }
  }
  const c = run(multiResolution, flat), t = S.n - 1;
  assert.equal(c.get("x_m15_vol_12")![t], 0);
  assert.ok(Number.isNaN(c.get("x_m15_rsi_12")![t])); // no change at all: 0/0
  assert.ok(Number.isNaN(c.get("x_m5_z_12")![t]));
  assert.equal(c.get("x_mtf_agree_all")![t], 0); // no momentum sign to agree on
});
