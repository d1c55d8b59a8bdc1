import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { bqx } from "../../lib/data/bqx.ts";
import { build, buildPair } from "../../lib/data/build.ts";
import { readManifest, readTable } from "../../lib/data/lake.ts";
import { LakeStore } from "../../lib/data/store.ts";
import { synthToStore } from "../../lib/data/synthToStore.ts";
import { targets } from "../../lib/data/targets.ts";
import { withRateIndex } from "../../lib/data/rateIndex.ts";

Deno.test("build() with 2 workers stores the same bqx/targets as the in-memory functions, idempotently", async () => {
  const root = await Deno.makeTempDir();
  const store = new LakeStore(root);
  await synthToStore(store, {
    months: "2024-01..2024-02",
    pairs: ["eurusd", "usdjpy", "eurjpy"],
    seed: 3,
    silent: true,
  });
  const reps = await build(store, { workers: 2, silent: true });
  assert.deepEqual(reps.map((r) => r.pair), ["eurjpy", "eurusd", "usdjpy"]);
  for (const pair of ["eurusd", "usdjpy", "eurjpy"]) {
    const m1 = readTable(root, "m1", pair);
    // independent path: rate index from the first close, then bqx()/targets() directly
    const want = withRateIndex(m1.drop("rate_index"));
    assert.ok(readTable(root, "bqx", pair).frameEqual(bqx(want), true), `${pair} bqx`);
    assert.ok(readTable(root, "targets", pair).frameEqual(targets(want), true), `${pair} targets`);
  }
  const parts = readManifest(root).partitions;
  assert.equal(parts.length, 3 * 3 * 2); // tables × pairs × months
  // a second build changes nothing
  const again = await build(store, { workers: 2, silent: true });
  assert.ok(again.every((r) => r.written === 0 && r.unchanged === 4), JSON.stringify(again));
  assert.deepEqual(readManifest(root).partitions, parts);
});

Deno.test("buildPair() honours a base date and the fixed-window variant", async () => {
  const root = await Deno.makeTempDir();
  const store = new LakeStore(root);
  await synthToStore(store, { months: "2024-03", pairs: ["gbpusd"], seed: 1, silent: true });
  const bars = readTable(root, "m1", "gbpusd");
  const t = bars.getColumn("ts_utc").cast(pl.Float64).get(5000) as number;
  const out = buildPair(bars, {
    baseDate: new Date(t).toISOString(),
    fixedWindow: 60,
    horizons: [15],
  });
  assert.equal(out.m1.getColumn("rate_index").get(5000), 100);
  assert.deepEqual(out.targets.columns, [
    "ts_utc",
    "target_15",
    "target_15_scaled",
    "direction_15",
  ]);
  const ts = out.m1.getColumn("ts_utc").cast(pl.Float64).toTypedArray();
  const i = 3000;
  assert.equal(ts[i + 15] - ts[i], 15 * 60_000); // no gap in between
  assert.equal(
    out.targets.getColumn("target_15").get(i),
    out.bqx.getColumn("w60_bqx_return").get(i + 15),
  );
});

Deno.test("build() names the store when there is nothing to build", async () => {
  const root = await Deno.makeTempDir();
  await assert.rejects(
    () => build(new LakeStore(root), { silent: true }),
    /No m1 data in lake store .*: ingest or synth first/,
  );
});
