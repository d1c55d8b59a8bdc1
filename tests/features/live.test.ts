import assert from "node:assert/strict";
import { PAIRS } from "../../lib/data/pairs.ts";
import { computePair } from "../../lib/features/compute.ts";
import { liveFeatures } from "../../lib/features/live.ts";
import { buildMarket } from "../../lib/features/market.ts";
import { FAMILIES } from "../../lib/features/registry.ts";
import { sliceSeries } from "../../lib/features/series.ts";
import { fixture } from "./_fixture.ts";

Deno.test("liveFeatures() returns the batch build's row for the newest minute, every pair", () => {
  const { series } = fixture({ pairs: [...PAIRS], rows: 5200, seed: 3 });
  const all = [...series.values()];
  const market = buildMarket(all);
  const ref = series.get("eurusd")!;
  for (const at of [ref.ts[5199], ref.ts[4700]]) {
    // history up to the newest minute `at`
    const hist = all.map((s) => {
      let k = 0;
      while (k < s.n && s.ts[k] <= at) k++;
      return sliceSeries(s, 0, k);
    });
    const live = liveFeatures(hist, { families: FAMILIES });
    assert.equal(live.length, 28);
    let exact = 0, total = 0;
    for (const v of live) {
      const s = series.get(v.pair)!;
      const row = s.ts.indexOf(v.ts);
      assert.ok(row >= 0 && v.ts <= at);
      const batch = computePair(s, { families: FAMILIES, market });
      assert.deepEqual(v.specs.map((x) => x.name), batch.specs.map((x) => x.name));
      for (let j = 0; j < batch.columns.length; j++) {
        const want = batch.columns[j][row], got = v.values[j];
        total++;
        if (Object.is(want, got)) {
          exact++;
          continue;
        }
        assert.ok(
          !Number.isNaN(want) && !Number.isNaN(got) &&
            Math.abs(got - want) <= 1e-6 * Math.max(1, Math.abs(want)),
          `${batch.specs[j].name} of ${v.pair}: live ${got} vs batch ${want}`,
        );
      }
    }
    assert.ok(exact / total > 0.95, `bit-identical share ${exact / total}`);
  }
});
