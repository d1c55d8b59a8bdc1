/**
 * Families that write some columns straight into Float32 storage (`ctx.out32`, batch only) must
 * store exactly what the Float64 sink path stores: the same values rounded once to Float32. The
 * reference runs each family through `runFamily` (sinks only, no out32) and rounds with
 * Math.fround; the batch path is computePair with reuse and stats, as the feature build runs it.
 * @module
 */
import assert from "node:assert/strict";
import { computePair } from "../../lib/features/compute.ts";
import { FAMILIES } from "../../lib/features/registry.ts";
import { fixture, runFamily } from "./_fixture.ts";

Deno.test("out32 columns (lags, regression, statistics, time, bollinger, dualDomain, fibonacci) equal the Float64 sink path rounded to Float32, bit for bit", () => {
  const { series, market } = fixture({ rows: 3000 });
  const s = series.get("eurusd")!;
  const names = [
    "lags",
    "regression",
    "statistics",
    "time",
    "bollinger",
    "dualDomain",
    "fibonacci",
  ];
  const fams = FAMILIES.filter((f) => names.includes(f.name));
  assert.equal(fams.length, names.length);
  // twice with reuse: the second call gets recycled (dirty) Float32 storage
  computePair(s, { families: fams, market, reuse: true, stats: true });
  const batch = computePair(s, { families: fams, market, reuse: true, stats: true });
  const want = new Map<string, Float64Array>();
  for (const fam of fams) for (const [k, v] of runFamily(fam, s, 0, market)) want.set(k, v);
  assert.equal(batch.specs.length, want.size);
  let checked = 0;
  for (let j = 0; j < batch.specs.length; j++) {
    const name = batch.specs[j].name, got = batch.columns[j], ref = want.get(name)!;
    for (let i = 0; i < s.n; i++) {
      const w = Math.fround(ref[i]);
      if (Number.isNaN(w)) assert.ok(Number.isNaN(got[i]), `${name}[${i}] want NaN got ${got[i]}`);
      else assert.ok(Object.is(got[i], w), `${name}[${i}] want ${w} got ${got[i]}`);
    }
    checked++;
  }
  assert.equal(checked, 180 + 180 + 48 + 20 + 20 + 28 + 20);
});
