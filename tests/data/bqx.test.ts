import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { bqx, bqxArrays } from "../../lib/data/bqx.ts";
import { withRateIndex } from "../../lib/data/rateIndex.ts";
import { f64, randomBars, realBars } from "../_helpers.ts";

const WINDOWS = [15, 30, 45, 60, 75];

/** Literal SPEC §3 double loop; returns value and the L1 magnitude of its terms. */
function bruteReturn(idx: Float64Array, t: number, W: number): [number, number] {
  let s = 0, l1 = 0;
  for (let i = 1; i <= W; i++) {
    const d = (idx[t - i] - idx[t]) / idx[t];
    s += d;
    l1 += Math.abs(d);
  }
  return [s, l1];
}

function bruteStats(idx: Float64Array, t: number, W: number) {
  let mx = -Infinity, mn = Infinity, sum = 0;
  for (let j = t - W + 1; j <= t; j++) {
    mx = Math.max(mx, idx[j]);
    mn = Math.min(mn, idx[j]);
    sum += idx[j];
  }
  const avg = sum / W;
  let ss = 0;
  for (let j = t - W + 1; j <= t; j++) ss += (idx[j] - avg) ** 2;
  return { max: mx, min: mn, avg, stdev: Math.sqrt(ss / (W - 1)), endpoint: idx[t - W] };
}

function checkAgainstBrute(idx: Float64Array, frame: pl.DataFrame, label: string) {
  for (const W of WINDOWS) {
    const ret = f64(frame, `w${W}_bqx_return`);
    const cols = Object.fromEntries(
      ["max", "min", "avg", "stdev", "endpoint"].map((s) => [s, f64(frame, `w${W}_bqx_${s}`)]),
    );
    for (let t = 0; t < W; t++) assert.ok(Number.isNaN(ret[t]), `${label} w${W} warm-up at ${t}`);
    let worst = 0;
    for (let t = W; t < idx.length; t++) {
      const [b, l1] = bruteReturn(idx, t, W);
      const err = Math.abs(ret[t] - b) / Math.max(l1, Number.MIN_VALUE);
      if (err > worst) worst = err;
      const s = bruteStats(idx, t, W);
      for (const k of ["max", "min", "endpoint"] as const) assert.equal(cols[k][t], s[k]);
      assert.ok(Math.abs(cols.avg[t] - s.avg) <= 1e-12 * s.avg, `${label} w${W} avg at ${t}`);
      assert.ok(
        Math.abs(cols.stdev[t] - s.stdev) <= 1e-12 * Math.max(s.stdev, 1e-9 * s.avg),
        `${label} w${W} stdev at ${t}: ${cols.stdev[t]} vs ${s.stdev}`,
      );
    }
    assert.ok(worst <= 1e-12, `${label} w${W} worst relative error ${worst}`);
  }
}

Deno.test("bqx() equals the SPEC double loop on a random walk (1e-12 relative)", () => {
  const m1 = withRateIndex(randomBars(5000, 3, { 1000: 7, 3000: 2880 }));
  checkAgainstBrute(f64(m1, "rate_index"), bqx(m1), "random");
});

Deno.test("bqx() equals the SPEC double loop on real EURUSD bars", () => {
  const bars = realBars("EURUSD", 20000);
  if (!bars) return;
  const m1 = withRateIndex(bars);
  checkAgainstBrute(f64(m1, "rate_index"), bqx(m1), "EURUSD");
});

Deno.test("bqxArrays() matches a hand-computed case", () => {
  const idx = new Float64Array([100, 102, 101, 99]);
  const a = bqxArrays(idx, 3);
  // t = 3: ((101−99) + (102−99) + (100−99)) / 99 = 6/99
  assert.ok(Math.abs(a.return[3] - 6 / 99) < 1e-16);
  assert.equal(a.max[3], 102);
  assert.equal(a.min[3], 99);
  assert.equal(a.endpoint[3], 100);
  assert.ok(Math.abs(a.avg[3] - 302 / 3) < 1e-12);
  assert.ok(
    Math.abs(
      a.stdev[3] -
        Math.sqrt(((102 - 302 / 3) ** 2 + (101 - 302 / 3) ** 2 + (99 - 302 / 3) ** 2) / 2),
    ) < 1e-12,
  );
  assert.ok(Number.isNaN(a.return[2]));
});

Deno.test("bqxArrays() rejects a window below 2", () => {
  assert.throws(
    () => bqxArrays(new Float64Array(10), 1),
    /Expected window to be an integer >= 2 but found 1/,
  );
});

Deno.test("bqx() is causal: perturbing bars after t leaves every value at <= t bit-identical", () => {
  const bars = randomBars(3000, 11);
  const base = bqx(withRateIndex(bars));
  for (const t of [200, 1499, 2800]) {
    const close = f64(bars, "close").slice();
    for (let i = t + 1; i < close.length; i++) close[i] *= 1 + 0.01 * Math.sin(i);
    const pert = bqx(withRateIndex(bars.withColumns(pl.Series("close", close))));
    const a = base.slice(0, t + 1), b = pert.slice(0, t + 1);
    for (const c of base.columns) {
      assert.deepEqual(b.getColumn(c).toArray(), a.getColumn(c).toArray(), `${c} moved at <= ${t}`);
    }
    // and the perturbation is visible after t (the test can fail)
    assert.notDeepEqual(
      pert.getColumn("w15_bqx_return").get(t + 20),
      base.getColumn("w15_bqx_return").get(t + 20),
    );
  }
});
