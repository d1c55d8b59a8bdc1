/**
 * The shared scoring of runs (`lib/eval/score.ts`) on hand cases: spread costs reduce the PnL by
 * exactly spread × |position changes| per pair, the split-conformal half-width is the right order
 * statistic, metric rows agree with metrics() and baselines with their definitions.
 * @module
 */
import assert from "node:assert/strict";
import {
  addForecast,
  baselineForecasts,
  conformalHalfWidth,
  emptyForecasts,
  type HorizonRows,
  scoreHorizon,
} from "../../lib/eval/score.ts";
import { backtest, spreadPipsToIndex } from "../../lib/eval/backtest.ts";
import { metrics } from "../../lib/eval/metrics.ts";

Deno.test("backtest() spread reduces the PnL by exactly spread × Σ|Δposition| (hand case)", () => {
  // decisions every bar: +, +, −, 0, − → positions 0, 1, 1, −1, 0, −1; the last bar has no next
  // open (no PnL, not counted): changes on the known bars 1 + 0 + 2 + 1 = 4
  const sig = [1, 1, -1, 0, -1, 0];
  const open = [100, 101, 103, 102, 104, 103];
  const gross = backtest(sig, open), net = backtest(sig, open, { spread: 0.25 });
  assert.deepEqual([...net.position], [0, 1, 1, -1, 0, -1]);
  assert.equal(net.turnover, 4);
  assert.equal(net.trades, 3);
  // gross: 0 + 1·2 + 1·(−1) + (−1)·2 + 0 = −1; costs: 0.25 · 4
  assert.equal(gross.total, -1);
  assert.equal(net.total, -1 - 0.25 * 4);
  assert.deepEqual([...net.cost].slice(0, 5), [0, 0.25, 0, 0.5, 0.25]);
});

Deno.test("scoreHorizon() charges each pair its own spread and recomputes metrics()", () => {
  // two pairs, 6 bars each; forecast sign flips drive positions (signal = −ŷ)
  const y = Float64Array.from([1, -1, 2, -2, 1, 0, 0.5, 0.5, -1, 1, -0.5, 0]);
  const yhat = Float64Array.from([-1, -1, 1, 0, 1, -1, 1, -1, 1, -1, 1, 1]);
  const rows: HorizonRows = {
    horizon: 1,
    y,
    current: new Float64Array(12),
    ts: Float64Array.from({ length: 12 }, (_, i) => (i % 6) * 60_000),
    pair: [...Array(6).fill("eurusd"), ...Array(6).fill("usdjpy")],
    opens: Float64Array.from([100, 101, 103, 102, 104, 103, 50, 51, 50, 52, 53, 52]),
    spread: { eurusd: 0.1, usdjpy: 0.3 },
    vol: new Int32Array(12),
    trend: new Int32Array(12),
  };
  const fc = emptyForecasts();
  addForecast(fc, "m", "model", yhat, new Float64Array(12).fill(1.5));
  addForecast(fc, "zero_change", "baseline", new Float64Array(12), new Float64Array(12).fill(1));
  const [m] = scoreHorizon(rows, fc);
  let cost = 0, turnover = 0;
  for (const [a, pair] of [[0, "eurusd"], [6, "usdjpy"]] as const) {
    const sig = Array.from(yhat.subarray(a, a + 6), (v) => -v);
    const bt = backtest(sig, rows.opens.subarray(a, a + 6));
    cost += rows.spread[pair] * bt.turnover;
    turnover += bt.turnover;
  }
  assert.equal(m.turnover, turnover);
  assert.ok(Math.abs(m.btTotalGross - m.btTotal - cost) < 1e-12);
  const ref = metrics(y, yhat, { current: 0 });
  assert.equal(m.r2, ref.r2);
  assert.equal(m.hitRate, ref.hitRate);
  // |y − ŷ| ≤ 1.5 on rows 0,1,2,4,5(1),6,7,9,10,11 → brute-force share
  const inside = y.filter((v, i) => Math.abs(v - yhat[i]) <= 1.5).length / 12;
  assert.equal(m.coverage80, inside);
  assert.equal(m.width80, 3);
  assert.equal(m.dmVs, "zero_change");
});

Deno.test("conformalHalfWidth() is the ⌈(n + 1)·level⌉-th smallest |residual|", () => {
  const res = [0.3, -2, 1.1, 0.7, -0.1, 5, 0.9, NaN, -1.4, 0.2];
  const y = Float64Array.from(res), zero = new Float64Array(res.length);
  const abs = res.filter((v) => !Number.isNaN(v)).map(Math.abs).sort((a, b) => a - b); // n = 9
  assert.equal(conformalHalfWidth(y, zero, 0.8), abs[Math.ceil(10 * 0.8) - 1]);
  assert.equal(conformalHalfWidth(y, zero, 0.5), abs[Math.ceil(10 * 0.5) - 1]);
  assert.equal(conformalHalfWidth(y, zero, 0.95), Infinity); // rank 10 > n
  assert.ok(Number.isNaN(conformalHalfWidth([1, 2], [0, 0])));
});

Deno.test("baselineForecasts() gives zero change, the train mean and a per-pair ridge AR", () => {
  // two pairs of 40 rows; y(t) = 0.8·y(t − 1) + small noise per pair, h = 1
  const n = 40;
  const y = new Float64Array(2 * n), cur = new Float64Array(2 * n);
  let s = 1;
  for (let p = 0; p < 2; p++) {
    let v = p ? -1 : 1;
    for (let i = 0; i < n; i++) {
      s = (s * 16807) % 2147483647;
      v = 0.8 * v + (s / 2147483647 - 0.5) * 0.01;
      y[p * n + i] = v;
      cur[p * n + i] = 7 + i;
    }
  }
  const pairId = Int32Array.from({ length: 2 * n }, (_, i) => (i < n ? 3 : 24));
  const ts = Float64Array.from({ length: 2 * n }, (_, i) => (i % n) * 60_000);
  const idx = (f: (i: number) => boolean) =>
    Int32Array.from({ length: 2 * n }, (_, i) => i).filter(f);
  const train = idx((i) => i % n < 25), valid = idx((i) => i % n >= 25 && i % n < 32);
  const test = idx((i) => i % n >= 32);
  const b = baselineForecasts({ pairId, ts }, y, cur, 1, { train, valid, test });
  assert.deepEqual([...b.zero_change.test], [...test].map((r) => cur[r]));
  const mean = [...train].reduce((a, r) => a + y[r], 0) / train.length;
  assert.ok(b.train_mean.test.every((v) => Math.abs(v - mean) < 1e-12));
  // AR(1)-like data: the ridge AR tracks 0.8·y(t − 1) closely on both pairs
  for (let i = 0; i < test.length; i++) {
    assert.ok(Math.abs(b.ridge_ar.test[i] - 0.8 * y[test[i] - 1]) < 0.02, `row ${test[i]}`);
  }
  assert.equal(b.ridge_ar.valid.length, valid.length);
  assert.ok(b.ridge_ar.valid.every(Number.isFinite));
  // spread conversion: 1 pip of USDJPY at close 110 with rate index 100 = 100 · 0.01 / 110
  assert.ok(Math.abs(spreadPipsToIndex(1, "usdjpy", 110, 100) - 1 / 110) < 1e-15);
});
