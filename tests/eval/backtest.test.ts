import assert from "node:assert/strict";
import {
  backtest,
  type BacktestOptions,
  BARS_PER_YEAR,
  measuredBarsPerYear,
  spreadToIndexPoints,
} from "../../lib/eval/backtest.ts";
import { close, normals, rng } from "./_fixture.ts";

/** Random-walk opens around 100 and, separately, closes with an open–close gap. */
function bars(n: number, seed: number) {
  const z = normals(n, seed), g = normals(n, seed + 1);
  const open = new Float64Array(n), closeP = new Float64Array(n);
  let x = 100;
  for (let t = 0; t < n; t++) {
    open[t] = x;
    closeP[t] = x + 0.05 * z[t];
    x = closeP[t] + 0.02 * g[t]; // next open ≠ this close
  }
  return { open, closeP };
}

/**
 * Brute force in another shape: list the fills (decision at d → fill at open(d + 1)), then for
 * each bar find the last fill at or before it; statistics from their textbook definitions.
 */
function reference(signal: ArrayLike<number>, open: ArrayLike<number>, o: BacktestOptions) {
  const {
    sizing = "sign",
    scale = 1,
    maxPosition = 1,
    threshold = 0,
    every = 1,
    offset = 0,
    missing = "flat",
    spread = 0,
    barsPerYear = BARS_PER_YEAR,
  } = o;
  const n = open.length, fills: [number, number][] = [];
  let last = 0;
  for (let d = 0; d < n; d++) {
    if ((d - offset) % every !== 0 && (d - offset + every * n) % every !== 0) continue;
    const s = signal[d];
    let size: number;
    if (Number.isNaN(s)) size = missing === "flat" ? 0 : last;
    else if (Math.abs(s) <= threshold) size = 0;
    else if (sizing === "sign") size = Math.sign(s);
    else size = Math.min(maxPosition, Math.max(-maxPosition, s / scale));
    last = size;
    fills.push([d + 1, size]);
  }
  const pos = (t: number) => {
    let p = 0;
    for (const [f, s] of fills) if (f <= t) p = s;
    return p;
  };
  const pnl: number[] = [];
  for (let t = 0; t < n; t++) {
    const move = t + 1 < n ? open[t + 1] - open[t] : NaN;
    pnl.push(pos(t) * move - spread * Math.abs(pos(t) - (t > 0 ? pos(t - 1) : 0)));
  }
  const known = pnl.filter((v) => !Number.isNaN(v));
  const mean = known.reduce((s, v) => s + v, 0) / known.length;
  const sd = Math.sqrt(known.reduce((s, v) => s + (v - mean) ** 2, 0) / (known.length - 1));
  const cum: number[] = [];
  let c = 0;
  for (const v of pnl) cum.push(c += Number.isNaN(v) ? 0 : v);
  let dd = 0;
  for (let t = 0; t < n; t++) {
    for (let s = -1; s <= t; s++) dd = Math.max(dd, (s < 0 ? 0 : cum[s]) - cum[t]);
  }
  let hits = 0, hitBars = 0, turnover = 0;
  for (let t = 0; t + 1 < n; t++) {
    const m = open[t + 1] - open[t];
    turnover += Math.abs(pos(t) - (t > 0 ? pos(t - 1) : 0));
    if (pos(t) !== 0 && m !== 0) {
      hitBars++;
      if (Math.sign(pos(t)) === Math.sign(m)) hits++;
    }
  }
  return {
    position: Array.from({ length: n }, (_, t) => pos(t)),
    pnl,
    cum,
    total: known.reduce((s, v) => s + v, 0),
    sharpe: mean / sd * Math.sqrt(barsPerYear),
    dd,
    turnover,
    hitRate: hits / hitBars,
  };
}

function same(a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-12, what = "") {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) close(a[i], b[i], tol, `${what}[${i}]`);
}

Deno.test("backtest() matches a 5-bar example worked by hand", () => {
  // open 100 101 103 102 104; signals decided at the close of each bar, filled next open
  // bar 0: flat (nothing decided yet) → 0
  // bar 1: long 1 (from signal 0.4 at bar 0), move 103 − 101 = +2, entry cost 0.1 → 1.9
  // bar 2: long 1 (signal 3 at bar 1), move −1, no trade → −1
  // bar 3: short 1 (signal −2 at bar 2), move +2 → −2, flip cost 2·0.1 → −2.2
  // bar 4: flat (signal 0 at bar 3), next open unknown → NaN
  const r = backtest([0.4, 3, -2, 0, 5], [100, 101, 103, 102, 104], { spread: 0.1 });
  assert.deepEqual([...r.position], [0, 1, 1, -1, 0]);
  same(r.pnl, [0, 1.9, -1, -2.2, NaN]);
  same(r.cost, [0, 0.1, 0, 0.2, 0.1]);
  same(r.cumPnl, [0, 1.9, 0.9, -1.3, -1.3]);
  close(r.total, -1.3);
  close(r.maxDrawdown, 1.9 + 1.3); // peak 1.9 → −1.3
  assert.equal(r.turnover, 3);
  assert.equal(r.trades, 2);
  assert.equal(r.bars, 4);
  assert.equal(r.hitRate, 1 / 3); // bars 1 (+), 2 (−), 3 (−)
  const m = (0 + 1.9 - 1 - 2.2) / 4;
  const sd = Math.sqrt(((0 - m) ** 2 + (1.9 - m) ** 2 + (-1 - m) ** 2 + (-2.2 - m) ** 2) / 3);
  close(r.sharpe, m / sd * Math.sqrt(252 * 1440));
});

Deno.test("backtest() matches the brute-force fills for every cadence and sizing", () => {
  const n = 300, { open } = bars(n, 1), sig = normals(n, 3), { u } = rng(4);
  for (let i = 0; i < n; i++) if (u() < 0.05) sig[i] = NaN;
  const cases: BacktestOptions[] = [
    {},
    { spread: 0.003 },
    { every: 15, spread: 0.003 },
    { every: 7, offset: 3, missing: "hold" },
    { sizing: "scaled", scale: 0.8, maxPosition: 1.5, threshold: 0.2, spread: 0.01 },
    { sizing: "scaled", every: 5, barsPerYear: 1000 },
  ];
  for (const o of cases) {
    const r = backtest(sig, open, o), ref = reference(sig, open, o);
    const what = JSON.stringify(o);
    same(r.position, ref.position, 0, what);
    same(r.pnl, ref.pnl, 1e-12, what);
    same(r.cumPnl, ref.cum, 1e-9, what);
    close(r.total, ref.total, 1e-9, what);
    close(r.sharpe, ref.sharpe, 1e-9, what);
    close(r.maxDrawdown, ref.dd, 1e-9, what);
    close(r.turnover, ref.turnover, 1e-12, what);
    close(r.hitRate, ref.hitRate, 1e-12, what);
  }
});

Deno.test("backtest() pnl up to bar t is unchanged by signals from t on and opens after t + 1", () => {
  const n = 120, { open } = bars(n, 5), sig = normals(n, 6);
  const o: BacktestOptions = { spread: 0.002, every: 3 };
  const base = backtest(sig, open, o).pnl;
  for (const t of [0, 10, 59, 118]) {
    const s2 = Float64Array.from(sig), o2 = Float64Array.from(open);
    for (let k = t; k < n; k++) s2[k] = -1e3 * s2[k]; // any future (and current) signal
    for (let k = t + 2; k < n; k++) o2[k] = o2[k] + 50; // any later open
    const r = backtest(s2, o2, o).pnl;
    same(r.subarray(0, t + 1), base.subarray(0, t + 1), 0, `t ${t}`);
  }
});

Deno.test("backtest() earns a future return only through the next open's fill", () => {
  const n = 400, { open, closeP } = bars(n, 7);
  // (a) a forecast of the next close-to-close return (which a fill at t's close would capture)
  //     earns exactly what the position held from open(t + 1) to open(t + 2) makes
  const closeOracle = Float64Array.from(
    { length: n },
    (_, t) => (closeP[t + 1] ?? NaN) - closeP[t],
  );
  const a = backtest(closeOracle, open);
  let want = 0, ideal = 0;
  for (let t = 0; t + 2 < n; t++) {
    want += Math.sign(closeOracle[t]) * (open[t + 2] - open[t + 1]);
    ideal += Math.abs(closeP[t + 1] - closeP[t]);
  }
  close(a.total, want, 1e-9);
  assert.ok(a.total < ideal - 1, `${a.total} vs close-fill ideal ${ideal}`);
  // (b) shift the opens onto the closes (open(t + 1) = close(t), continuous bars): now the same
  //     oracle is exactly the held open-to-open move and earns every one of them
  const shifted = Float64Array.from({ length: n }, (_, t) => (t === 0 ? 100 : closeP[t - 1]));
  const b = backtest(closeOracle, shifted);
  let all = 0;
  for (let t = 1; t + 1 < n; t++) all += Math.abs(shifted[t + 1] - shifted[t]);
  close(b.total, all, 1e-9);
  // (c) the same-bar move open(t) → open(t + 1), "known" only to a lookahead backtest, does not
  //     pay: on alternating moves it loses every held bar
  const zig = Float64Array.from({ length: 50 }, (_, t) => 100 + (t % 2));
  const sameBar = Float64Array.from({ length: 50 }, (_, t) => (zig[t + 1] ?? NaN) - zig[t]);
  const c = backtest(sameBar, zig);
  assert.equal(c.total, -(50 - 2));
  assert.equal(c.hitRate, 0);
});

Deno.test("backtest() treats NaN signals as flat or hold, and validates options", () => {
  const open = [1, 2, 3, 4, 5];
  assert.deepEqual([...backtest([1, NaN, 1, 1, 1], open).position], [0, 1, 0, 1, 1]);
  assert.deepEqual([...backtest([1, NaN, 1, 1, 1], open, { missing: "hold" }).position], [
    0,
    1,
    1,
    1,
    1,
  ]);
  assert.throws(() => backtest([1], [1, 2]), /open to have the length of signal/);
  assert.throws(
    () => backtest([1], [1], { every: 0 }),
    { message: "Expected every to be an integer greater than 0 but found 0" },
  );
  assert.throws(() => backtest([1], [1], { spread: -1 }), /spread/);
  assert.throws(() => backtest([1], [1], { scale: 0 }), /scale/);
  assert.throws(() => backtest([1], [1], { sizing: "kelly" as never }), /sizing/);
  const flat = backtest([0, 0, 0], [1, 2, 3]);
  assert.ok(Number.isNaN(flat.sharpe) && Number.isNaN(flat.hitRate));
  assert.equal(flat.maxDrawdown, 0);
});

Deno.test("measuredBarsPerYear() and spreadToIndexPoints() follow their definitions", () => {
  // a 5-day trading week of minutes repeated: 7200 bars per 7 days
  const ts: number[] = [];
  for (let w = 0; w < 4; w++) {
    for (let i = 0; i < 7200; i++) ts.push(w * 7 * 86_400_000 + i * 60_000);
  }
  const span = (ts[ts.length - 1] - ts[0]) / (365.25 * 86_400_000);
  close(measuredBarsPerYear(ts), (ts.length - 1) / span);
  assert.ok(Number.isNaN(measuredBarsPerYear([1])));
  close(spreadToIndexPoints(0.02, 150), 100 * 0.02 / 150); // 2 USDJPY pips at 150
  assert.throws(() => spreadToIndexPoints(0.01, 0), /baseClose/);
});
