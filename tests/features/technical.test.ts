import assert from "node:assert/strict";
import { technical } from "../../lib/features/technical.ts";
import type { PairSeries } from "../../lib/features/_types.ts";
import { buildPair } from "../../lib/data/build.ts";
import { gapFill } from "../../lib/data/gapFill.ts";
import { seriesFromFrames } from "../../lib/features/series.ts";
import { realBars } from "../_helpers.ts";
import { assertCausal, fixture, flatSeries, runFamily as run, scaleOf } from "./_fixture.ts";

const { series } = fixture({ pairs: ["eurusd", "usdjpy"] });
const S = series.get("eurusd")!;

/** A series from closes, with high = close + up, low = close − down (BQX NaN). */
function fromCloses(c: number[], up = 0, down = 0): PairSeries {
  const s = flatSeries(c.length), close = new Float64Array(c);
  return {
    ...s,
    open: close,
    close,
    high: close.map((v) => v + up),
    low: close.map((v) => v - down),
    bqx: new Float64Array(c.length).fill(NaN),
  };
}

// ---------------------------------------------------------------------------------------------
// Textbook references: plain loops from the published definitions (no kernels).

const nan = (n: number) => new Float64Array(n).fill(NaN);

/** Moving average seeded with the simple mean of the first `span` defined values, weight α. */
function refSmooth(x: Float64Array, span: number, alpha: number): Float64Array {
  const o = nan(x.length);
  let first = 0;
  while (first < x.length && Number.isNaN(x[first])) first++;
  if (first + span > x.length) return o;
  let sum = 0;
  for (let j = first; j < first + span; j++) sum += x[j];
  let prev = sum / span;
  o[first + span - 1] = prev;
  for (let t = first + span; t < x.length; t++) {
    prev = prev + alpha * (x[t] - prev);
    o[t] = prev;
  }
  return o;
}
const refEma = (x: Float64Array, span: number) => refSmooth(x, span, 2 / (span + 1));

/** Wilder's RSI: first averages = simple means of the first n changes, then (prev·(n−1) + x)/n. */
function refRsi(c: Float64Array, n: number): Float64Array {
  const o = nan(c.length);
  let f = 1;
  while (f < c.length && (Number.isNaN(c[f]) || Number.isNaN(c[f - 1]))) f++;
  let ag = 0, al = 0;
  for (let t = f; t < c.length; t++) {
    const d = c[t] - c[t - 1], g = Math.max(d, 0), l = Math.max(-d, 0);
    if (t < f + n) {
      ag += g / n;
      al += l / n;
      if (t < f + n - 1) continue;
    } else {
      ag = (ag * (n - 1) + g) / n;
      al = (al * (n - 1) + l) / n;
    }
    o[t] = ag === 0 && al === 0 ? NaN : al === 0 ? 100 : 100 - 100 / (1 + ag / al);
  }
  return o;
}

/** Everything else, written from the definitions row by row. */
function refAll(h: Float64Array, l: Float64Array, c: Float64Array, level: boolean) {
  const n = c.length;
  const r: Record<string, Float64Array> = {};
  r.rsi_14 = refRsi(c, 14);
  r.rsi_21 = refRsi(c, 21);
  const e12 = refEma(c, 12), e26 = refEma(c, 26), line = nan(n);
  for (let t = 0; t < n; t++) line[t] = e12[t] - e26[t];
  r.macd_line = line;
  r.macd_signal = refEma(line, 9);
  r.macd_hist = line.map((v, t) => v - r.macd_signal[t]);
  const hh = nan(n), ll = nan(n);
  for (let t = 13; t < n; t++) {
    let a = -Infinity, b = Infinity;
    for (let j = t - 13; j <= t; j++) {
      a = Math.max(a, h[j]);
      b = Math.min(b, l[j]);
    }
    hh[t] = a;
    ll[t] = b;
  }
  r.stoch_k_14 = c.map((v, t) => (hh[t] > ll[t] ? (100 * (v - ll[t])) / (hh[t] - ll[t]) : NaN));
  r.stoch_d_3 = nan(n);
  for (let t = 2; t < n; t++) {
    r.stoch_d_3[t] = (r.stoch_k_14[t] + r.stoch_k_14[t - 1] + r.stoch_k_14[t - 2]) / 3;
  }
  r.willr_14 = c.map((v, t) => (hh[t] > ll[t] ? (-100 * (hh[t] - v)) / (hh[t] - ll[t]) : NaN));
  const tp = c.map((v, t) => (h[t] + l[t] + v) / 3);
  r.cci_20 = nan(n);
  for (let t = 19; t < n; t++) {
    let s = 0;
    for (let j = t - 19; j <= t; j++) s += tp[j];
    const m = s / 20;
    let md = 0;
    for (let j = t - 19; j <= t; j++) md += Math.abs(tp[j] - m) / 20;
    r.cci_20[t] = md > 1e-12 * Math.abs(m) + 1e-300 ? (tp[t] - m) / (0.015 * md) : NaN;
  }
  r.roc_12 = nan(n);
  for (let t = 12; t < n; t++) {
    r.roc_12[t] = level ? ((c[t] - c[t - 12]) / c[t - 12]) * 100 : c[t] - c[t - 12];
  }
  // Wilder's directional system with his running sums (S ← S − S/14 + x), seeded by a 14-row sum
  const tr = nan(n), pdm = nan(n), mdm = nan(n);
  for (let t = 1; t < n; t++) {
    tr[t] = Math.max(h[t] - l[t], Math.abs(h[t] - c[t - 1]), Math.abs(l[t] - c[t - 1]));
    const up = h[t] - h[t - 1], down = l[t - 1] - l[t];
    if (Number.isNaN(up) || Number.isNaN(down)) continue; // before the source is defined
    pdm[t] = up > down && up > 0 ? up : 0;
    mdm[t] = down > up && down > 0 ? down : 0;
  }
  const wsum = (x: Float64Array) => {
    const o = nan(n);
    let f = 0;
    while (f < n && Number.isNaN(x[f])) f++;
    let s = 0;
    for (let t = f; t < n; t++) {
      s = t < f + 14 ? s + x[t] : s - s / 14 + x[t];
      if (t >= f + 13) o[t] = s;
    }
    return o;
  };
  const str = wsum(tr), spdm = wsum(pdm), smdm = wsum(mdm);
  r.plus_di_14 = spdm.map((v, t) => (str[t] > 0 ? (100 * v) / str[t] : NaN));
  r.minus_di_14 = smdm.map((v, t) => (str[t] > 0 ? (100 * v) / str[t] : NaN));
  const dx = r.plus_di_14.map((p, t) => {
    const m = r.minus_di_14[t];
    return p + m > 0 ? (100 * Math.abs(p - m)) / (p + m) : NaN;
  });
  r.adx_14 = refSmooth(dx, 14, 1 / 14);
  r.atr_14 = refSmooth(tr, 14, 1 / 14);
  r.atr_pct_14 = nan(n);
  for (let t = 0; t < n; t++) {
    let base = c[t];
    if (!level) {
      base = 0;
      for (let j = t - 13; j <= t; j++) base += Math.abs(c[j]) / 14;
    }
    r.atr_pct_14[t] = base !== 0 ? (100 * r.atr_14[t]) / base : NaN;
  }
  return r;
}

// ---------------------------------------------------------------------------------------------

Deno.test("technical RSI 14 reproduces StockCharts' published Wilder RSI table", () => {
  // ChartSchool "Relative Strength Index" worksheet: closes and RSI 14 from the 15th close on
  const closes = [
    44.3389,
    44.0902,
    44.1497,
    43.6124,
    44.2778,
    44.8264,
    45.0955,
    45.4245,
    45.8433,
    46.0826,
    45.8931,
    46.0328,
    45.6140,
    46.2820,
    46.2820,
    46.0028,
    46.0328,
    46.4116,
    46.2222,
    45.6427,
    46.2130,
    46.2530,
    45.7126,
    46.4538,
    45.7834,
    45.3522,
    44.0288,
    44.1783,
    44.2181,
    44.5672,
    43.4205,
    42.6628,
    43.1314,
  ];
  const published = [
    70.53,
    66.32,
    66.55,
    69.41,
    66.36,
    57.97,
    62.93,
    63.26,
    56.06,
    62.38,
    54.71,
    50.42,
    39.99,
    41.46,
    41.87,
    45.46,
    37.30,
    33.08,
    37.77,
  ];
  const rsi = run(technical, fromCloses(closes)).get("idx_rsi_14")!;
  for (let t = 0; t < 14; t++) assert.ok(Number.isNaN(rsi[t]));
  // the sheet rounds its intermediate averages: the first rows agree to rounding, later ≤ 0.03
  for (let i = 0; i < published.length; i++) {
    const tol = i < 5 ? 0.005 : 0.03;
    if (!(Math.abs(rsi[14 + i] - published[i]) <= tol)) {
      assert.fail(`row ${14 + i}: ${rsi[14 + i]}`);
    }
  }
});

Deno.test("technical computes hand-checked RSI, MACD, stochastic, %R, CCI, ROC, ATR, DI, ADX", () => {
  const near = (a: number, b: number, what: string) =>
    assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
  // RSI: 10 rises then 4 falls of 1 → 100·10/14; one more rise → AG = 144/196, AL = 52/196
  const r = run(
    technical,
    fromCloses([...Array.from({ length: 11 }, (_, i) => 100 + i), 109, 108, 107, 106, 107]),
  );
  near(r.get("idx_rsi_14")![14], 1000 / 14, "rsi 14");
  near(r.get("idx_rsi_14")![15], (100 * 144) / 196, "rsi 15");
  // a straight line c = t: each SMA-seeded EMA lags by (span − 1)/2, so MACD = 12.5 − 5.5 = 7
  const line = run(technical, fromCloses(Array.from({ length: 60 }, (_, i) => 100 + i), 0.5, 0.5));
  near(line.get("idx_macd_line")![25], 7, "macd line");
  near(line.get("idx_macd_signal")![33], 7, "macd signal");
  near(line.get("idx_macd_hist")![59], 0, "macd hist");
  assert.ok(Number.isNaN(line.get("idx_macd_signal")![32]));
  // the same line with bars of range 1: HH = c + 0.5, LL = c − 13.5 → %K = 100·13.5/14
  near(line.get("idx_stoch_k_14")![13], (100 * 13.5) / 14, "%K");
  near(line.get("idx_stoch_d_3")![15], (100 * 13.5) / 14, "%D");
  near(line.get("idx_willr_14")![13], (-100 * 0.5) / 14, "%R");
  // TP = c: SMA20 = c − 9.5, mean |deviation| = 5 → CCI = 9.5 / (0.015 · 5)
  near(line.get("idx_cci_20")![19], 9.5 / 0.075, "cci");
  near(line.get("idx_roc_12")![12], 100 * (112 / 100 - 1), "roc");
  // TR = max(1, |H − C₋₁| = 1.5, |L − C₋₁| = 0.5) = 1.5; +DM = 1, −DM = 0 → +DI = 66.67, DX 100
  near(line.get("idx_atr_14")![14], 1.5, "atr");
  near(line.get("idx_atr_pct_14")![14], 150 / 114, "atr%");
  near(line.get("idx_plus_di_14")![14], 100 / 1.5, "+di");
  near(line.get("idx_minus_di_14")![14], 0, "-di");
  near(line.get("idx_adx_14")![27], 100, "adx");
  assert.ok(Number.isNaN(line.get("idx_adx_14")![26]));
});

Deno.test("technical matches the textbook loops on idx and bqx of a random walk", () => {
  const c = run(technical, S);
  const domains = [
    ["idx", refAll(S.high, S.low, S.close, true)],
    ["bqx", refAll(S.bqx, S.bqx, S.bqx, false)],
  ] as const;
  for (const [dom, ref] of domains) {
    for (const [stem, want] of Object.entries(ref)) {
      const got = c.get(`${dom}_${stem}`)!, scale = scaleOf(want);
      if (!got) assert.fail(`${dom}_${stem} missing`);
      for (let t = 0; t < S.n; t++) {
        const a = got[t], b = want[t];
        if (Number.isNaN(b)) {
          if (!Number.isNaN(a)) assert.fail(`${dom}_${stem} row ${t}: ${a} vs NaN`);
          continue;
        }
        if (!(Math.abs(a - b) <= 1e-9 * scale)) {
          assert.fail(`${dom}_${stem} row ${t}: ${a} vs ${b}`);
        }
      }
    }
  }
});

Deno.test("technical columns equal specs(), once each, finite or NaN, first defined at warmup", () => {
  const specs = technical.specs("eurusd", ["eurusd"]);
  const c = run(technical, S);
  assert.deepEqual([...c.keys()], specs.map((s) => s.name));
  assert.equal(new Set(specs.map((s) => s.name)).size, 30);
  assert.equal(specs.filter((s) => s.domain === "idx").length, 15);
  assert.equal(specs.filter((s) => s.domain === "bqx").length, 15);
  for (const spec of specs) {
    assert.match(spec.name, /^(idx|bqx)_[a-z]+(_[a-z]+)*(_\d+)?$/);
    assert.equal(spec.family, "technical");
    const col = c.get(spec.name)!;
    for (const v of col) assert.ok(Number.isFinite(v) || Number.isNaN(v), spec.name);
    assert.equal(col.findIndex((v) => !Number.isNaN(v)), spec.warmup, `${spec.name} warmup`);
  }
});

Deno.test("technical is causal: perturbing rows after a cut leaves rows <= cut bit-identical", () => {
  assertCausal(technical, S, [40, 1777, 4321, S.n - 2]);
});

Deno.test("technical from = n − 1 (and n − 37) reproduces the batch rows", () => {
  const full = run(technical, S);
  for (const from of [S.n - 1, S.n - 37]) {
    const tail = run(technical, S, from);
    for (const [name, col] of full) {
      const scale = scaleOf(col);
      for (let t = from; t < S.n; t++) {
        const a = col[t], b = tail.get(name)![t];
        // windowed outputs from rolling max/min and recursive ones (always run from row 0) are
        // exact; those on a rolling mean are within the running sums' rounding
        if (
          /_(rsi|macd|stoch_k|willr|roc|adx|plus_di|minus_di|atr)_?/.test(name) &&
          !/atr_pct/.test(name)
        ) {
          if (!Object.is(a, b)) assert.fail(`${name} row ${t}: ${a} vs ${b}`);
        } else if (!(Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), scale))) {
          assert.fail(`${name} row ${t}: ${a} vs ${b}`);
        }
      }
    }
  }
});

Deno.test("technical on flat prices: 0/0 indicators NaN, the rest finite, never ±Infinity", () => {
  const s = flatSeries(200), c = run(technical, s);
  for (const [name, col] of c) {
    for (const v of col) assert.ok(Number.isFinite(v) || Number.isNaN(v), name);
  }
  const t = 199;
  for (const dom of ["idx", "bqx"]) {
    for (
      const stem of [
        "rsi_14",
        "rsi_21",
        "stoch_k_14",
        "stoch_d_3",
        "cci_20",
        "willr_14",
        "adx_14",
        "plus_di_14",
        "minus_di_14",
      ]
    ) {
      if (!(Number.isNaN(c.get(`${dom}_${stem}`)![t]))) assert.fail(`${dom}_${stem}`);
    }
    for (const stem of ["macd_line", "macd_signal", "macd_hist", "roc_12", "atr_14"]) {
      assert.equal(c.get(`${dom}_${stem}`)![t], 0, `${dom}_${stem}`);
    }
  }
  assert.equal(c.get("idx_atr_pct_14")![t], 0);
  assert.ok(Number.isNaN(c.get("bqx_atr_pct_14")![t])); // mean |bqx| = 0
});

Deno.test("technical bounds hold on real EURUSD bars (RSI, %K, %D, DI, ADX in [0, 100], %R in [−100, 0])", () => {
  const raw = realBars("EURUSD");
  if (!raw) return; // realBars printed why
  const { m1, bqx } = buildPair(gapFill(raw).frame);
  const s = seriesFromFrames("eurusd", m1, bqx), c = run(technical, s);
  const bounds: Record<string, [number, number]> = {
    rsi_14: [0, 100],
    rsi_21: [0, 100],
    stoch_k_14: [0, 100],
    stoch_d_3: [0, 100],
    adx_14: [0, 100],
    plus_di_14: [0, 100],
    minus_di_14: [0, 100],
    willr_14: [-100, 0],
    atr_14: [0, Infinity],
  };
  for (const [name, col] of c) {
    const b = bounds[name.slice(4)];
    let defined = 0;
    for (let t = 0; t < s.n; t++) {
      const v = col[t];
      if (!(Number.isFinite(v) || Number.isNaN(v))) assert.fail(`${name} row ${t}: ${v}`);
      if (Number.isNaN(v)) continue;
      defined++;
      if (b && !(v >= b[0] && v <= b[1])) assert.fail(`${name} row ${t}: ${v}`);
    }
    if (!(defined > s.n * 0.9)) assert.fail(`${name}: only ${defined} of ${s.n} rows defined`);
  }
});
