/**
 * trainRun end to end on a tiny lake: 3 USD pairs × 1 month of the synthetic market with the
 * planted USD-factor signal, a few cheap feature families (lags, statistics, crossPair), ridge +
 * a small gbdt at two horizons. Checks the artifacts, recomputes the metrics from
 * predictions.parquet independently, checks the segment spans, and that ridge beats zero change.
 * @module
 */
import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { build } from "../../lib/data/build.ts";
import { LakeStore } from "../../lib/data/store.ts";
import { synthToStore } from "../../lib/data/synthToStore.ts";
import { buildFeatures } from "../../lib/features/build.ts";
import { lags } from "../../lib/features/lags.ts";
import { statistics } from "../../lib/features/statistics.ts";
import { crossPair } from "../../lib/features/crossPair.ts";
import { readRun, trainRun } from "../../lib/eval/run.ts";
import { dieboldMariano } from "../../lib/eval/dieboldMariano.ts";

const PAIRS = ["audusd", "nzdusd", "usdjpy"];
const HS = [15, 30];

Deno.test("trainRun() writes a complete, self-consistent run and ridge finds the planted signal", async () => {
  const root = await Deno.makeTempDir({ prefix: "bqx_run_" });
  try {
    const store = new LakeStore(`${root}/lake`);
    await synthToStore(store, {
      months: "2024-01",
      pairs: PAIRS,
      seed: 7,
      signal: true,
      silent: true,
    });
    await build(store, { silent: true, workers: 0 });
    await buildFeatures(store, {
      silent: true,
      workers: 0,
      families: [lags, statistics, crossPair],
    });
    const runsDir = `${root}/runs`;
    const s = await trainRun(store, {
      models: ["ridge", "gbdt"],
      pairs: PAIRS,
      horizons: HS,
      seed: 3,
      runsDir,
      gbdt: { rounds: 30, maxDepth: 3, earlyStoppingRounds: 10 },
      silent: true,
    });
    // artifacts
    assert.equal(s.dir, `${runsDir}/${s.id}`);
    assert.match(s.id, /^\d{8}T\d{6}Z-[0-9a-f]{8}$/);
    for (const f of ["config.json", "metrics.json", "metrics.csv", "predictions.parquet"]) {
      assert.ok(Deno.statSync(`${s.dir}/${f}`).size > 0, f);
    }
    for (const h of HS) {
      for (const m of ["ridge", "gbdt"]) {
        assert.ok(Deno.statSync(`${s.dir}/models/${m}_h${h}/model.json`).isFile, `${m}_h${h}`);
      }
      assert.ok(Deno.statSync(`${s.dir}/models/ridge_h${h}/scaler.json`).isFile);
    }
    const leftovers = [...Deno.readDirSync(runsDir)].map((e) => e.name);
    assert.deepEqual(leftovers, [s.id], "no temp dirs left behind");
    const config = JSON.parse(Deno.readTextFileSync(`${s.dir}/config.json`));
    assert.equal(config.seed, 3);
    assert.match(config.dataHash, /^[0-9a-f]{64}$/);
    assert.deepEqual(config.pairs, PAIRS);

    // metrics.json rows = a recomputation from predictions.parquet
    const run = readRun(s.dir);
    assert.equal(run.rows.length, HS.length * 5);
    const csv = Deno.readTextFileSync(`${s.dir}/metrics.csv`).trim().split("\n");
    assert.equal(csv.length, run.rows.length + 1);
    const pred = pl.readParquet(`${s.dir}/predictions.parquet`);
    for (
      const c of [
        "ts_utc",
        "pair",
        "horizon",
        "y",
        "ridge",
        "gbdt",
        "zero_change",
        "train_mean",
        "ridge_ar",
      ]
    ) {
      assert.ok(pred.columns.includes(c), c);
    }
    for (const r of run.rows) {
      const part = pred.filter(pl.col("horizon").eq(r.horizon));
      const y = part.getColumn("y").toArray() as number[];
      const f = part.getColumn(r.model).toArray() as (number | null)[];
      const keep = y.map((_, i) =>
        f[i] !== null && Number.isFinite(f[i]!) && Number.isFinite(y[i])
      );
      const ys = y.filter((_, i) => keep[i]), fs = f.filter((_, i) => keep[i]) as number[];
      const n = ys.length;
      const mean = ys.reduce((a, b) => a + b, 0) / n;
      let sse = 0, sst = 0, sae = 0;
      for (let i = 0; i < n; i++) {
        sse += (ys[i] - fs[i]) ** 2;
        sst += (ys[i] - mean) ** 2;
        sae += Math.abs(ys[i] - fs[i]);
      }
      assert.equal(r.n, n, `${r.model} h${r.horizon} n`);
      const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
      assert.ok(
        close(r.r2, 1 - sse / sst),
        `${r.model} h${r.horizon} r2 ${r.r2} vs ${1 - sse / sst}`,
      );
      assert.ok(close(r.mae, sae / n), `${r.model} h${r.horizon} mae`);
      assert.ok(close(r.rmse, Math.sqrt(sse / n)), `${r.model} h${r.horizon} rmse`);
    }

    // segments do not overlap and are in order, with the embargo between them
    const { train, valid, test } = run.segments;
    assert.ok(train.rows > 0 && valid.rows > 0 && test.rows > 0);
    assert.ok(train.end + 120 * 60_000 <= valid.start, "train/valid embargo");
    assert.ok(valid.end + 120 * 60_000 <= test.start, "valid/test embargo");
    const predTs = pred.getColumn("ts_utc").cast(pl.Int64).toArray().map(Number);
    assert.ok(predTs.every((t) => t >= test.start && t < test.end), "predictions are test rows");

    // skill: ridge beats zero change with a significant DM test on at least one horizon
    const skill = HS.map((h) => {
      const get = (m: string) => run.rows.find((r) => r.horizon === h && r.model === m)!;
      const part = pred.filter(pl.col("horizon").eq(h));
      const y = part.getColumn("y").toArray() as number[];
      const err = (m: string) =>
        (part.getColumn(m).toArray() as (number | null)[]).map((v, i) => y[i] - (v ?? NaN));
      const dmZero = dieboldMariano(err("ridge"), err("zero_change"), { h });
      return {
        h,
        ridge: get("ridge"),
        zero: get("zero_change"),
        gbdt: get("gbdt"),
        ar: get("ridge_ar"),
        dmZero,
      };
    });
    console.log(
      skill.map((k) =>
        `h${k.h}: ridge R2 ${k.ridge.r2.toFixed(4)} (DM p ${
          k.ridge.dmP.toExponential(2)
        } vs ${k.ridge.dmVs}), ` +
        `gbdt R2 ${k.gbdt.r2.toFixed(4)}, ridge-AR R2 ${k.ar.r2.toFixed(4)}, ` +
        `zero-change R2 ${k.zero.r2.toFixed(4)} (ridge vs zero change DM ${
          k.dmZero.statistic.toFixed(2)
        }, p ${k.dmZero.pValue.toExponential(2)})`
      ).join("\n"),
    );
    assert.ok(
      skill.some((k) => k.ridge.r2 > k.zero.r2 && k.dmZero.statistic < 0 && k.dmZero.pValue < 0.05),
      "ridge should beat zero change on the planted signal",
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
