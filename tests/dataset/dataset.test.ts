import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { PAIRS } from "../../lib/data/pairs.ts";
import { HORIZONS } from "../../lib/data/schema.ts";
import {
  datasetFromFrames,
  loadDataset,
  loadPooled,
  take,
  usableRows,
} from "../../lib/dataset/dataset.ts";
import { segmentOf } from "../../lib/dataset/segment.ts";
import { split } from "../../lib/dataset/split.ts";
import { f64 } from "../_helpers.ts";
import { dropLake, fixtureLake, LAKE_PAIRS } from "./_fixture.ts";

/** Stamps (ms) of a table where the given columns are all non-null. */
function nonNullStamps(df: pl.DataFrame, cols: string[], mode: "any" | "all"): Set<number> {
  const ts = f64(df, "ts_utc");
  const vals = cols.map((c) => f64(df, c));
  const out = new Set<number>();
  for (let i = 0; i < ts.length; i++) {
    const ok = vals.map((v) => !Number.isNaN(v[i]));
    if (mode === "any" ? ok.some(Boolean) : ok.every(Boolean)) out.add(ts[i]);
  }
  return out;
}

Deno.test("loadDataset() row counts match the non-null targets of the join", async () => {
  const { store } = await fixtureLake();
  for (const pair of LAKE_PAIRS) {
    const tg = await store.readTable("targets", pair);
    const ft = await store.readTable("features", pair);
    const fts = new Set(f64(ft, "ts_utc"));
    for (const h of [15, 75]) {
      const ds = await loadDataset(store, pair, { targets: [`target_${h}`] });
      const want = [...nonNullStamps(tg, [`target_${h}`], "any")].filter((t) => fts.has(t));
      assert.ok(want.length < tg.height, "the fixture has null targets");
      assert.equal(ds.x.rows, want.length, `${pair} target_${h}`);
      assert.deepEqual([...ds.ts], want);
    }
    const targets = HORIZONS.map((h) => `target_${h}`);
    const any = await loadDataset(store, pair);
    assert.equal(any.x.rows, nonNullStamps(tg, targets, "any").size);
    const all = await loadDataset(store, pair, { require: "all" });
    assert.equal(all.x.rows, nonNullStamps(tg, targets, "all").size);
    const none = await loadDataset(store, pair, { require: "none" });
    assert.equal(none.x.rows, ft.height);
    // per horizon: usable rows = non-null target_h
    for (const h of HORIZONS) {
      assert.equal(
        usableRows(any, `target_${h}`).length,
        nonNullStamps(tg, [`target_${h}`], "any").size,
      );
    }
    assert.equal(any.x.cols, ft.width - 1);
    assert.deepEqual(any.x.names, ft.columns.slice(1));
  }
});

Deno.test("loadDataset() copies feature and target values (null → NaN, Float32)", async () => {
  const { store } = await fixtureLake();
  const ds = await loadDataset(store, "gbpusd", {
    features: ["bqx_stat_z_120", "t_hour", "idx_bb_pctb_20"],
    targets: ["target_30", "direction_30", "target_30_scaled"],
    require: "none",
  });
  const ft = await store.readTable("features", "gbpusd");
  const tg = await store.readTable("targets", "gbpusd");
  assert.deepEqual(ds.x.names, ["bqx_stat_z_120", "t_hour", "idx_bb_pctb_20"]);
  ds.x.names.forEach((name, j) => {
    const col = f64(ft, name);
    for (let i = 0; i < ds.x.rows; i += 997) {
      assert.ok(Object.is(ds.x.data[i * 3 + j], Math.fround(col[i])), `${name}[${i}]`);
    }
  });
  for (const t of ["target_30", "direction_30", "target_30_scaled"]) {
    const col = f64(tg, t);
    for (let i = 0; i < ds.x.rows; i += 991) assert.ok(Object.is(ds.y[t][i], Math.fround(col[i])));
  }
  assert.ok(Number.isNaN(ds.x.data[0]), "warm-up rows are NaN");
  assert.ok([...ds.y.direction_30].every((v) => Number.isNaN(v) || v === -1 || v === 0 || v === 1));
});

Deno.test("loadDataset() honours months and rejects unknown columns", async () => {
  const { store } = await fixtureLake();
  const jan = await loadDataset(store, "eurusd", { months: ["2024-01"], require: "none" });
  assert.ok(jan.ts[jan.ts.length - 1] < Date.UTC(2024, 1, 1));
  await assert.rejects(
    () => loadDataset(store, "eurusd", { features: ["idx_stat_mean_20", "nope"] }),
    /Cannot read features of eurusd/,
  );
  await assert.rejects(
    () => loadDataset(store, "eurusd", { targets: ["target_16"] }),
    /Cannot read targets of eurusd/,
  );
});

Deno.test("datasetFromFrames() inner-joins on ts_utc and keeps rows by their targets", () => {
  const ms = (m: number[]) =>
    pl.Series("ts_utc", m.map((v) => v * 60_000)).cast(pl.Datetime("ms", "UTC"));
  // features miss minute 3, targets miss minute 1
  const features = pl.DataFrame([ms([0, 1, 2, 4, 5]), pl.Series("f", [0, 1, 2, 4, 5], pl.Float32)]);
  const targets = pl.DataFrame([
    ms([0, 2, 3, 4, 5]),
    pl.Series("target_15", [1, null, 3, 4, null]),
    pl.Series("target_30", [1, 2, 3, null, null]),
  ]);
  const opts = { targets: ["target_15", "target_30"] };
  const count = (require: "any" | "all" | "none") =>
    [...datasetFromFrames("eurusd", features, targets, { ...opts, require }).ts].map((t) =>
      t / 60_000
    );
  assert.deepEqual(count("none"), [0, 2, 4, 5]);
  assert.deepEqual(count("any"), [0, 2, 4]);
  assert.deepEqual(count("all"), [0]);
  const ds = datasetFromFrames("eurusd", features, targets, opts);
  assert.deepEqual([...ds.x.data], [0, 2, 4]);
  assert.deepEqual([...ds.y.target_15], [1, NaN, 4]);
  assert.deepEqual([...usableRows(ds, "target_30")], [0, 1]);
  const dup = pl.DataFrame([ms([0, 0]), pl.Series("f", [1, 2])]);
  assert.throws(() => datasetFromFrames("eurusd", dup, targets, opts), /Duplicate ts_utc/);
});

Deno.test("loadPooled() stacks pairs in SPEC order with a pair_id column", async () => {
  const { store } = await fixtureLake();
  const pooled = await loadPooled(store, { targets: ["target_15", "target_60"] });
  const order = PAIRS.filter((p) => LAKE_PAIRS.includes(p));
  assert.deepEqual(pooled.pairs, order);
  assert.equal(pooled.x.names.at(-1), "pair_id");
  let offset = 0;
  for (const pair of order) {
    const one = await loadDataset(store, pair, { targets: ["target_15", "target_60"] });
    const n = one.x.rows, c = one.x.cols, C = pooled.x.cols;
    assert.equal(C, c + 1);
    const id = PAIRS.indexOf(pair);
    for (let i = 0; i < n; i += 101) {
      const r = offset + i;
      assert.equal(pooled.pair[r], pair);
      assert.equal(pooled.pairId[r], id);
      assert.equal(pooled.x.data[r * C + c], id);
      assert.deepEqual(
        pooled.x.data.subarray(r * C, r * C + c),
        one.x.data.subarray(i * c, i * c + c),
      );
      assert.ok(Object.is(pooled.y.target_60[r], one.y.target_60[i]));
      assert.equal(pooled.ts[r], one.ts[i]);
    }
    offset += n;
  }
  assert.equal(pooled.x.rows, offset);
  assert.equal(pooled.ts.length, offset);
  assert.equal(pooled.pair.length, offset);
  assert.equal(pooled.x.data.length, offset * pooled.x.cols);

  const two = await loadPooled(store, {
    pairs: ["usdjpy", "eurusd"],
    pairIdColumn: false,
    require: "none",
  });
  assert.deepEqual(two.pairs, ["eurusd", "usdjpy"]);
  assert.ok(!two.x.names.includes("pair_id"));
  await assert.rejects(() => loadPooled(store, { pairs: ["eurchf"] }), /No features for eurchf/);
});

Deno.test("a pooled dataset splits by time: all pairs share the boundaries; take() fetches rows", async () => {
  const { store } = await fixtureLake();
  const ds = await loadPooled(store);
  const s = split(ds.ts);
  for (const seg of [s.train, s.valid, s.test]) {
    for (const pair of ds.pairs) {
      const rows = [...seg.rows].filter((r) => ds.pair[r] === pair);
      assert.ok(rows.length > 0, `${seg.name} has ${pair}`);
      assert.ok(rows.every((r) => ds.ts[r] >= seg.start && ds.ts[r] < seg.end));
    }
    // the same span picks the same rows from a single pair's own dataset
    assert.deepEqual(segmentOf(ds.ts, seg).rows, seg.rows);
  }
  const train15 = usableRows(ds, "target_15", s.train.rows);
  const sub = take(ds, train15);
  assert.equal(sub.x.rows, train15.length);
  assert.ok(sub.y.target_15.every((v) => !Number.isNaN(v)));
  assert.deepEqual(sub.pairs, ds.pairs);
  assert.equal(sub.pair[sub.x.rows - 1], ds.pair[train15[train15.length - 1]]);
});

Deno.test("dataset fixture cleanup", async () => {
  await dropLake();
});
