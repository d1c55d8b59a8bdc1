/**
 * Feature-test fixtures: a small synthetic market (seeded) turned into PairSeries through the real
 * data layer (synth → gap fill → rate index → BQX), plus the aligned Market, and a perturbation
 * helper for causality checks.
 * @module
 */
import assert from "node:assert/strict";
import { gapFill } from "../../lib/data/gapFill.ts";
import { buildPair } from "../../lib/data/build.ts";
import { synthMarket } from "../../lib/data/synth.ts";
import type { FeatureFamily, Market, PairSeries } from "../../lib/features/_types.ts";
import { buildMarket } from "../../lib/features/market.ts";
import { seriesFromFrames } from "../../lib/features/series.ts";

/** Options of {@linkcode fixture}. */
export interface FixtureOptions {
  /** @default ["eurusd", "gbpusd", "usdjpy", "eurjpy", "eurgbp", "gbpjpy"] */
  pairs?: string[];
  /** @default "2024-01" */
  months?: string;
  /** @default 5 */
  seed?: number;
  /** Keep only the first `rows` bars of each pair (speed). @default 6000 */
  rows?: number;
}

/** PairSeries per pair and the aligned market. */
export function fixture(
  options: FixtureOptions = {},
): { series: Map<string, PairSeries>; market: Market } {
  const {
    pairs = ["eurusd", "gbpusd", "usdjpy", "eurjpy", "eurgbp", "gbpjpy"],
    months = "2024-01",
    seed = 5,
    rows = 6000,
  } = options;
  const bars = synthMarket({ months, pairs, seed, signal: false });
  const series = new Map<string, PairSeries>();
  for (const [pair, raw] of bars) {
    const { m1, bqx } = buildPair(gapFill(raw.head(rows)).frame);
    series.set(pair, seriesFromFrames(pair, m1, bqx));
  }
  return { series, market: buildMarket([...series.values()]) };
}

/**
 * A copy of the series where every row with ts > tCut has perturbed prices, volume and BQX
 * (multiplicative noise on OHLC keeping high >= low), for causality tests.
 */
export function perturbAfter(s: PairSeries, tCut: number, seed = 1): PairSeries {
  let a = seed >>> 0;
  const rnd = () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const cp = (x: Float64Array) => new Float64Array(x);
  const out: PairSeries = {
    ...s,
    open: cp(s.open),
    high: cp(s.high),
    low: cp(s.low),
    close: cp(s.close),
    volume: cp(s.volume),
    bqx: cp(s.bqx),
    bqxW: Object.fromEntries(Object.entries(s.bqxW).map(([k, v]) => [k, cp(v)])),
  };
  for (let i = 0; i < s.n; i++) {
    if (s.ts[i] <= tCut) continue;
    const f = 1 + (rnd() - 0.5) * 0.02;
    out.open[i] *= f;
    out.close[i] *= 1 + (rnd() - 0.5) * 0.02;
    out.high[i] = Math.max(out.open[i], out.close[i], out.high[i] * f) + rnd() * 0.01;
    out.low[i] = Math.min(out.open[i], out.close[i], out.low[i] * f) - rnd() * 0.01;
    out.volume[i] = Math.round(rnd() * 50);
    for (const arr of [out.bqx, ...Object.values(out.bqxW)]) arr[i] = (rnd() - 0.5) * 0.01;
  }
  out.bqx = out.bqxW[15];
  return out;
}

/** Runs a family, refusing duplicate columns. */
export function runFamily(
  fam: FeatureFamily,
  s: PairSeries,
  from = 0,
  market?: Market,
): Map<string, Float64Array> {
  const cols = new Map<string, Float64Array>(); // insertion order = write order
  fam.compute(s, { from, market }, (name) => {
    if (cols.has(name)) assert.fail(`duplicate column ${name}`);
    const a = new Float64Array(s.n).fill(NaN);
    cols.set(name, a);
    return a;
  });
  return cols;
}

/** Largest |value| of a column, NaN ignored. */
export function scaleOf(col: Float64Array): number {
  let m = 0;
  for (const v of col) if (Math.abs(v) > m) m = Math.abs(v);
  return m;
}

/** A flat market: every price 100, volume 0, BQX 0 once defined. */
export function flatSeries(n: number): PairSeries {
  const c = new Float64Array(n).fill(100), bqx = new Float64Array(n).fill(0).fill(NaN, 0, 15);
  return {
    pair: "eurusd",
    n,
    ts: Float64Array.from({ length: n }, (_, i) => i * 60_000),
    open: c,
    high: c,
    low: c,
    close: c,
    volume: new Float64Array(n),
    filled: new Uint8Array(n),
    bqx,
    bqxW: { 15: bqx },
  };
}

/** Every column at rows <= cut is bit-identical after perturbAfter(s, ts[cut]) (own-pair families). */
export function assertCausal(
  fam: FeatureFamily,
  s: PairSeries,
  cuts: number[],
  options: { offsetMs?: number; requireMove?: boolean } = {},
): void {
  const { offsetMs = 0, requireMove = false } = options;
  const base = runFamily(fam, s);
  for (const i of cuts) {
    // the cut may fall between rows (offsetMs), e.g. inside a 5- or 15-minute bucket
    const cut = s.ts[i] + offsetMs;
    const p = runFamily(fam, perturbAfter(s, cut, i));
    let last = 0;
    while (last < s.n && s.ts[last] <= cut) last++;
    let moved = false;
    for (const [name, col] of base) {
      const q = p.get(name)!;
      for (let t = 0; t < last; t++) {
        if (!Object.is(col[t], q[t])) {
          assert.fail(`${name} row ${t} <= cut ${i}: ${col[t]} → ${q[t]}`);
        }
      }
      moved ||= !Object.is(col[s.n - 1], q[s.n - 1]);
    }
    if (requireMove) assert.ok(moved, `the perturbation after cut ${i} shows in the last row`);
  }
}

/** a ≈ b within tol relative (floor 1e-3), or both NaN. */
export function near(a: number, b: number, tol: number, msg: string): void {
  if (Number.isNaN(b)) return assert.ok(Number.isNaN(a), `${msg}: ${a} vs NaN`);
  assert.ok(Math.abs(a - b) <= tol * Math.max(1e-3, Math.abs(b)), `${msg}: ${a} vs ${b}`);
}

/**
 * compute() with each `from` fills rows >= from equal to the batch run (bit-identical when tol = 0,
 * else within tol relative to the column's scale) and leaves earlier rows NaN.
 */
export function assertFromMatches(
  fam: FeatureFamily,
  s: PairSeries,
  froms: number[],
  tol: number,
): void {
  const full = runFamily(fam, s);
  for (const from of froms) {
    const tail = runFamily(fam, s, from);
    for (const [name, col] of full) {
      const t2 = tail.get(name)!, scale = scaleOf(col);
      for (let t = from; t < s.n; t++) {
        const a = col[t], b = t2[t];
        const ok = tol === 0
          ? Object.is(a, b)
          : Math.abs(a - b) <= tol * Math.max(Math.abs(a), scale);
        if (!ok) assert.fail(`${name} row ${t}: ${b} vs batch ${a}`);
      }
      for (let t = 0; t < from; t++) if (!Number.isNaN(t2[t])) assert.fail(`${name} ${t}`);
    }
  }
}

/**
 * With one NaN close at row `at`, exactly the idx_ windows holding it (rows at..at+w−1, w = the
 * column name's last number) are NaN; every other row is unchanged (to 1e-9 of the column scale).
 */
export function assertNaNWindows(fam: FeatureFamily, s: PairSeries, at: number): void {
  const base = runFamily(fam, s);
  const holed = { ...s, close: new Float64Array(s.close) };
  holed.close[at] = NaN;
  const c = runFamily(fam, holed);
  for (const [name, col] of c) {
    if (!name.startsWith("idx_")) continue;
    const w = Number(name.split("_").at(-1)), ref = base.get(name)!, scale = scaleOf(ref);
    for (let t = at - 100; t < at + 400; t++) {
      const ok = t >= at && t < at + w
        ? Number.isNaN(col[t])
        : Math.abs(col[t] - ref[t]) <= 1e-9 * Math.max(1, scale);
      if (!ok) assert.fail(`${name} row ${t}: ${col[t]} vs ${ref[t]}`);
    }
  }
}
