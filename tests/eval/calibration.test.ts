import assert from "node:assert/strict";
import { leakageFlags } from "../../lib/eval/calibration.ts";

Deno.test("leakageFlags() leaves credible scores alone and flags the implausible ones", () => {
  const r = leakageFlags([
    { horizon: 15, hitRate: 0.525, r2: 0.008, n: 50_000 },
    { horizon: 30, hitRate: 0.58, r2: 0.01, n: 50_000 },
    { horizon: 45, hitRate: 0.51, r2: 0.12, n: 50_000 },
    { horizon: 60, hitRate: 0.7, r2: 0.4, n: 50_000 },
  ]);
  assert.deepEqual(r.audited, [15, 30, 45, 60]);
  assert.deepEqual(r.flags.map((f) => [f.horizon, f.metric]), [
    [30, "hit_rate"],
    [45, "r2"],
    [60, "hit_rate"],
    [60, "r2"],
  ]);
  assert.equal(r.flags[0].threshold, 0.55);
  assert.match(r.flags[0].reason, /h = 30: directional accuracy 58\.0 % > 55\.0 %/);
  assert.match(r.flags[1].reason, /leakage.*label balance.*costs/);
  assert.deepEqual(r.skipped, []);
});

Deno.test("leakageFlags() thresholds are strict and configurable", () => {
  const at = [{ horizon: 15, hitRate: 0.55, r2: 0.05 }];
  assert.equal(leakageFlags(at).flags.length, 0);
  assert.equal(leakageFlags(at, { maxHitRate: 0.54, maxR2: 0.02 }).flags.length, 2);
});

Deno.test("leakageFlags() flags a reliably inverted sign unless one-sided", () => {
  const s = [{ horizon: 15, hitRate: 0.4, r2: -0.01 }];
  const two = leakageFlags(s);
  assert.equal(two.flags.length, 1);
  assert.equal(two.flags[0].threshold, 1 - 0.55);
  assert.match(two.flags[0].reason, /inverted sign/);
  assert.equal(leakageFlags(s, { twoSided: false }).flags.length, 0);
});

Deno.test("leakageFlags() skips overlapping targets and small samples, and NaN scores raise nothing", () => {
  const r = leakageFlags([
    { horizon: 15, hitRate: 0.9, r2: 0.8, window: 60 },
    { horizon: 60, hitRate: 0.9, r2: 0.8, window: 60 },
    { horizon: 75, hitRate: 0.9, r2: 0.8, n: 200 },
    { horizon: 30, hitRate: NaN, r2: NaN },
  ]);
  assert.deepEqual(r.skipped.map((s) => s.horizon), [15, 75]);
  assert.match(r.skipped[0].reason, /overlapping target \(W = 60 > h = 15\)/);
  assert.match(r.skipped[1].reason, /only 200 rows/);
  assert.deepEqual(r.audited, [60, 30]); // W = h = 60 is the SPEC target, not overlapping
  assert.equal(r.flags.length, 2);
  assert.throws(() => leakageFlags([], { maxHitRate: 0.4 }), /maxHitRate/);
});
