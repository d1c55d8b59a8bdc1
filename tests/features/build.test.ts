import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { build } from "../../lib/data/build.ts";
import { readTable } from "../../lib/data/lake.ts";
import { LakeStore } from "../../lib/data/store.ts";
import { synthToStore } from "../../lib/data/synthToStore.ts";
import { buildFeatures, loadSeries, mergeQuality } from "../../lib/features/build.ts";
import { computePair } from "../../lib/features/compute.ts";
import { buildMarket } from "../../lib/features/market.ts";
import { summarizeFeatureQuality } from "../../lib/features/quality.ts";
import { catalog, FAMILIES } from "../../lib/features/registry.ts";
import { pgTest } from "../_pg.ts";

const PAIRS6 = ["eurusd", "gbpusd", "usdjpy", "usdchf", "usdcad", "audusd"];

Deno.test("buildFeatures() stores the computed features (Float32, nulls) for a subset of pairs, idempotently", async () => {
  const root = await Deno.makeTempDir();
  const store = new LakeStore(root);
  await synthToStore(store, { months: "2024-01..2024-02", pairs: PAIRS6, seed: 9, silent: true });
  await build(store, { silent: true });
  const reps = await buildFeatures(store, { silent: true, workers: 2 });
  assert.deepEqual(reps.map((r) => r.pair), [...PAIRS6].sort());
  const specs = catalog("eurusd", { present: PAIRS6 });
  assert.ok(specs.length >= 700, `${specs.length} features`);
  assert.equal(reps[0].features, specs.length);

  // independent path: load series, build the market, compute in this thread
  const all = await Promise.all(PAIRS6.map((p) => loadSeries(store, p)));
  const market = buildMarket(all);
  const f = computePair(all[0], { families: FAMILIES, market });
  const stored = readTable(root, "features", "eurusd");
  assert.equal(stored.height, all[0].n);
  assert.deepEqual(stored.columns, ["ts_utc", ...f.specs.map((s) => s.name)]);
  assert.ok(stored.dtypes.slice(1).every((d) => d.equals(pl.Float32)));
  for (const j of [0, 100, 300, 500, f.specs.length - 1]) {
    const col = stored.getColumn(f.specs[j].name).toArray() as (number | null)[];
    for (const i of [0, 1000, all[0].n - 1]) {
      const want = f.columns[j][i];
      assert.equal(col[i], Number.isNaN(want) ? null : want, `${f.specs[j].name}[${i}]`);
    }
  }

  // quality: features needing pairs absent from the data are all-null and say so
  const q = mergeQuality(reps.map((r) => r.quality));
  const summary = summarizeFeatureQuality(q, specs, reps.length);
  for (const a of summary.allNull) {
    const spec = specs.find((s) => s.name === a.name)!;
    assert.ok(
      (spec.needs ?? []).some((p) => !PAIRS6.includes(p)),
      `${a.name} is all-null without a missing input`,
    );
  }
  assert.equal(summary.nonFinite.length, 0, JSON.stringify(summary.nonFinite.slice(0, 5)));

  const again = await buildFeatures(store, { silent: true, workers: 2 });
  assert.ok(again.every((r) => r.written === 0), "second build rewrote partitions");
});

pgTest(
  "buildFeatures() into PostgreSQL stores the same values as computed (776 real columns)",
  async (store) => {
    await synthToStore(store, {
      months: "2024-02",
      pairs: ["eurusd", "usdjpy"],
      seed: 4,
      silent: true,
    });
    await build(store, { silent: true, workers: 0 });
    const reps = await buildFeatures(store, { silent: true, workers: 0 });
    assert.deepEqual(reps.map((r) => [r.pair, r.written]), [["eurusd", 1], ["usdjpy", 1]]);
    const all = await Promise.all(["eurusd", "usdjpy"].map((p) => loadSeries(store, p)));
    const f = computePair(all[0], { families: FAMILIES, market: buildMarket(all) });
    const back = await store.readTable("features", "eurusd");
    assert.equal(back.width, f.specs.length + 1);
    for (const j of [0, 250, 500, f.specs.length - 1]) {
      const col = back.getColumn(f.specs[j].name).toArray() as (number | null)[];
      for (let i = 0; i < col.length; i += 499) {
        const want = f.columns[j][i];
        assert.equal(col[i], Number.isNaN(want) ? null : want, `${f.specs[j].name}[${i}]`);
      }
    }
  },
);
