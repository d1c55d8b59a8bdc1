import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { bqxArrays } from "../../lib/data/bqx.ts";
import { withRateIndex } from "../../lib/data/rateIndex.ts";
import { ewmStd, targets } from "../../lib/data/targets.ts";
import { f64, randomBars, realBars } from "../_helpers.ts";

const HORIZONS = [15, 30, 45, 60, 75];

/** Direct weighted form of the EWMA variance (adjust=false, bias=true), O(t) per point. */
function bruteEwmStd(d: Float64Array, t: number, span: number): number {
  const a = 2 / (span + 1);
  let first = 0;
  while (Number.isNaN(d[first])) first++;
  if (t - first + 1 < span) return NaN;
  const w: number[] = [], x: number[] = [];
  for (let i = first; i <= t; i++) {
    w.push(i === first ? (1 - a) ** (t - first) : a * (1 - a) ** (t - i));
    x.push(d[i]);
  }
  const m = w.reduce((s, wi, k) => s + wi * x[k], 0);
  return Math.sqrt(w.reduce((s, wi, k) => s + wi * (x[k] - m) ** 2, 0));
}

function checkTargets(m1: pl.DataFrame, label: string, sample: number[]) {
  const idx = f64(m1, "rate_index");
  const ts = f64(m1, "ts_utc");
  const out = targets(m1);
  const n = idx.length;
  for (const h of HORIZONS) {
    const tg = f64(out, `target_${h}`), sc = f64(out, `target_${h}_scaled`);
    const dir = out.getColumn(`direction_${h}`).toArray() as (number | null)[];
    // w{h}_bqx_return straight from the SPEC formula
    const bq = (t: number) => {
      if (t < h) return [NaN, 0];
      let s = 0, l1 = 0;
      for (let i = 1; i <= h; i++) {
        const v = (idx[t - i] - idx[t]) / idx[t];
        s += v;
        l1 += Math.abs(v);
      }
      return [s, l1];
    };
    for (let t = 0; t < n; t++) {
      let gap = t + h >= n;
      for (let j = t + 1; !gap && j <= t + h; j++) gap = ts[j] - ts[j - 1] > 60_000;
      if (gap) {
        assert.ok(Number.isNaN(tg[t]), `${label} target_${h} at ${t} should be null`);
        assert.equal(dir[t], null);
        continue;
      }
      const [want, l1] = bq(t + h);
      assert.ok(
        Math.abs(tg[t] - want) <= 1e-12 * l1,
        `${label} target_${h} at ${t}: ${tg[t]} vs ${want}`,
      );
      const [now] = bq(t);
      if (Number.isNaN(now)) assert.equal(dir[t], null);
      else assert.equal(dir[t], Math.sign(want - now) || 0, `${label} direction_${h} at ${t}`);
    }
    // scaled: σ from the direct weighted formula on the change of w{h}_bqx_return
    const r = bqxArrays(idx, h).return;
    const d = new Float64Array(n).fill(NaN);
    for (let t = 1; t < n; t++) d[t] = r[t] - r[t - 1];
    for (const t of sample) {
      if (Number.isNaN(tg[t])) continue;
      const s = bruteEwmStd(d, t, 60);
      if (Number.isNaN(s) || s === 0) {
        assert.ok(Number.isNaN(sc[t]), `${label} scaled_${h} at ${t} should be null`);
        continue;
      }
      const want = (tg[t] - r[t]) / s;
      assert.ok(
        Math.abs(sc[t] - want) <= 1e-9 * Math.max(1, Math.abs(want)),
        `${label} scaled_${h} at ${t}: ${sc[t]} vs ${want}`,
      );
    }
  }
  return out;
}

Deno.test("targets() equal the SPEC formulas on a random walk, null across gaps and at the end", () => {
  // gaps: 3 missing minutes after row 500 (a step of 4 min: still a >1-minute step → null; the
  // lake only holds such steps for gaps of >= 5 minutes since shorter ones are filled), a weekend at 1500
  const m1 = withRateIndex(randomBars(2500, 5, { 500: 6, 1500: 2880 }));
  const out = checkTargets(m1, "random", [80, 140, 400, 520, 700, 1490, 1700, 2300]);
  // explicit spot checks of the null rules
  const t15 = out.getColumn("target_15").toArray();
  assert.equal(t15[2500 - 15], null); // t + h past the end
  assert.notEqual(t15[2500 - 16], null);
  assert.equal(t15[499 - 14], null); // window (t, t+15] contains the step into row 500
  assert.notEqual(t15[499 - 15], null);
});

Deno.test("targets() equal the SPEC formulas on real USDCAD bars (gappy)", () => {
  const bars = realBars("USDCAD", 6000);
  if (!bars) return;
  checkTargets(withRateIndex(bars), "USDCAD", [100, 1000, 2500, 4000, 5900]);
});

Deno.test("ewmStd() matches the direct weighted formula", () => {
  const d = new Float64Array(300).map((_, i) => (i < 3 ? NaN : Math.sin(i * 0.7) + 0.1 * (i % 5)));
  const s = ewmStd(d, { span: 20 });
  assert.ok(Number.isNaN(s[21])); // 19 defined values < span 20
  for (const t of [22, 23, 50, 299]) {
    const want = bruteEwmStd(d, t, 20);
    assert.ok(Math.abs(s[t] - want) < 1e-12, `t=${t}: ${s[t]} vs ${want}`);
  }
  assert.ok(Number.isNaN(s[10]));
});

Deno.test("targets() at t never move when bars after t+h change, and σ(t) uses bars <= t only", () => {
  const bars = randomBars(1500, 9);
  const base = targets(withRateIndex(bars));
  const t = 700, h = 75;
  const close = f64(bars, "close").slice();
  for (let i = t + h + 1; i < close.length; i++) close[i] *= 1.02;
  const pert = targets(withRateIndex(bars.withColumns(pl.Series("close", close))));
  for (const c of base.columns) {
    assert.deepEqual(
      pert.getColumn(c).slice(0, t + 1).toArray(),
      base.getColumn(c).slice(0, t + 1).toArray(),
      c,
    );
  }
  // perturbing t+1..: the raw target at t changes, σ(t) (hence scaled/target relation) does not
  const close2 = f64(bars, "close").slice();
  for (let i = t + 1; i < close2.length; i++) close2[i] *= 1 + 0.001 * Math.cos(i);
  const m2 = withRateIndex(bars.withColumns(pl.Series("close", close2)));
  const p2 = targets(m2);
  const r0 = bqxArrays(f64(withRateIndex(bars), "rate_index"), 15).return;
  const r2 = bqxArrays(f64(m2, "rate_index"), 15).return;
  const sig = (df: pl.DataFrame, r: Float64Array) =>
    (df.getColumn("target_15").get(t) - r[t]) / df.getColumn("target_15_scaled").get(t);
  assert.notEqual(p2.getColumn("target_15").get(t), base.getColumn("target_15").get(t));
  assert.ok(Math.abs(sig(p2, r2) / sig(base, r0) - 1) < 1e-9);
});

Deno.test("targets() fixed-window variant forecasts w{W} at every horizon", () => {
  const m1 = withRateIndex(randomBars(600, 2));
  const out = targets(m1, { horizons: [15], fixedWindow: 60 });
  const r60 = bqxArrays(f64(m1, "rate_index"), 60).return;
  assert.equal(out.getColumn("target_15").get(100), r60[115]);
});
