/**
 * Runs end to end on one small synthetic lake with the planted USD-factor signal (shared by every
 * test of this file, built once, ~10 s): two months of the seven USD pairs (the market) and of
 * nzdjpy and nzdchf, two strong crosses whose loadings have the same sign (theoretical R² 9 % and
 * 10 % at h15 with the default strength), planted at strength 3 so that the three models clear
 * the ridge-AR baseline (which feeds on the same persistent signal) by a wide margin on ~80k
 * train rows; features: the lags and crossPair families, of which the runs use 97 columns (BQX
 * and return lags, currency strengths, USD factor, sister returns).
 *
 * - trainRun: ridge, GBDT and the MLP each beat the best baseline at h15 with a one-sided
 *   Diebold–Mariano p < 0.05 (recomputed from predictions.parquet); breakdown rows equal
 *   metrics() on the filtered prediction rows; coverage80 recomputed from the conformal width.
 * - trainRun: the weighted and stacked ensembles (of ridge + GBDT), the multi-task net, the
 *   autoencoder + ridge and the LSTM (small networks on every 4th train row) each beat the best
 *   baseline at h15 with a one-sided DM p < 0.05; the ensemble weights lie on the simplex.
 * - walkForwardRun: folds never train on a row at/after test start − embargo, valid sits after
 *   model-train + embargo, out-of-sample rows are unique and tile the kept spans; metrics rows
 *   are a recomputation of the pooled predictions; folds.csv per-fold rows match.
 * @module
 */
import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { build } from "../../lib/data/build.ts";
import { LakeStore } from "../../lib/data/store.ts";
import { synthToStore } from "../../lib/data/synthToStore.ts";
import { buildFeatures } from "../../lib/features/build.ts";
import { crossPair } from "../../lib/features/crossPair.ts";
import { lags } from "../../lib/features/lags.ts";
import { trainRun } from "../../lib/eval/run.ts";
import { walkForwardRun } from "../../lib/eval/walkForwardRun.ts";
import { dieboldMariano } from "../../lib/eval/dieboldMariano.ts";
import { metrics } from "../../lib/eval/metrics.ts";
import { SESSION_BLOCKS, sessionGroups } from "../../lib/eval/groups.ts";
import type { BreakdownRow } from "../../lib/eval/score.ts";

const USD = ["eurusd", "gbpusd", "audusd", "nzdusd", "usdcad", "usdchf", "usdjpy"];
const PAIRS = ["nzdjpy", "nzdchf"];
const FEATURES = [
  ...Array.from({ length: 60 }, (_, i) => `bqx_lag_${i + 1}`),
  ...Array.from({ length: 15 }, (_, i) => `ret_lag_${i + 1}`),
  ...["usd", "nzd", "jpy", "chf"].map((c) => `x_strength_${c}`),
  ...["level", "chg_5", "chg_15"].map((k) => `x_usd_factor_${k}`),
  ...[1, 2, 3, 4, 5].flatMap((k) => [1, 5, 15].map((w) => `x_sis${k}_ret_${w}`)),
];
const MIN = 60_000, DAY = 86_400_000;

let fixture: Promise<{ root: string; store: LakeStore }> | undefined;
/** The shared lake (built on first use, removed by the last test). */
function lake(): Promise<{ root: string; store: LakeStore }> {
  fixture ??= (async () => {
    const root = await Deno.makeTempDir({ prefix: "bqx_wf_" });
    const store = new LakeStore(`${root}/lake`);
    await synthToStore(store, {
      months: "2024-01..2024-02",
      pairs: [...USD, ...PAIRS],
      seed: 11,
      signal: { strength: 3 },
      silent: true,
    });
    await build(store, { silent: true, workers: 0 });
    await buildFeatures(store, {
      silent: true,
      workers: 0,
      families: [lags, crossPair],
      pairs: PAIRS,
    });
    return { root, store };
  })();
  return fixture;
}

function col(df: pl.DataFrame, c: string): Float64Array {
  return Float64Array.from(df.getColumn(c).toArray() as (number | null)[], (v) => v ?? NaN);
}

const close = (a: number, b: number, tol = 1e-9) =>
  (Number.isNaN(a) && Number.isNaN(b)) || Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));

Deno.test("trainRun() on the planted signal: ridge, gbdt and mlp beat the best baseline (DM p < 0.05)", async () => {
  const { root, store } = await lake();
  const common = {
    pairs: PAIRS,
    features: FEATURES,
    horizons: [15],
    seed: 5,
    runsDir: `${root}/runs`,
    silent: true,
  };
  const s = await trainRun(store, {
    ...common,
    models: ["ridge", "gbdt"],
    gbdt: { rounds: 100, maxDepth: 4, earlyStoppingRounds: 20, learningRate: 0.1 },
  });
  // the MLP on every 4th train row (tfjs on wasm is the slow part)
  const sm = await trainRun(store, {
    ...common,
    models: ["mlp"],
    modelOptions: { mlp: { epochs: 3 } },
    trainStride: 4,
  });
  const pred = pl.readParquet(`${s.dir}/predictions.parquet`);
  const mlpPred = pl.readParquet(`${sm.dir}/predictions.parquet`);
  assert.deepEqual(mlpPred.getColumn("y").toArray(), pred.getColumn("y").toArray());
  const y = col(pred, "y");
  const base = s.rows.find((r) => r.kind === "baseline" && r.model === r.dmVs)!;
  const err = (m: string) => col(m === "mlp" ? mlpPred : pred, m).map((v, i) => y[i] - v);
  for (const m of ["ridge", "gbdt", "mlp"]) {
    const row = [...s.rows, ...sm.rows].find((r) => r.model === m)!;
    const dm = dieboldMariano(err(m), err(base.model), { h: 15 });
    console.log(
      `${m}: R2 ${row.r2.toFixed(4)} vs ${base.model} ${base.r2.toFixed(4)}, DM p(better) ${
        dm.pModelBetter.toExponential(2)
      }, coverage80 ${row.coverage80.toFixed(3)}, Sharpe net ${row.sharpe.toFixed(2)} gross ${
        row.sharpeGross.toFixed(2)
      }`,
    );
    assert.ok(close(row.dmPBetter, dm.pModelBetter), `${m} dmPBetter recomputed`);
    assert.ok(dm.pModelBetter < 0.05, `${m} beats ${base.model}: p = ${dm.pModelBetter}`);
    assert.ok(row.r2 > base.r2, `${m} R² above the best baseline's`);
    // coverage80: share of y inside ŷ ± width80/2
    const v = col(m === "mlp" ? mlpPred : pred, m), half = row.width80 / 2;
    let inside = 0;
    for (let i = 0; i < y.length; i++) if (Math.abs(y[i] - v[i]) <= half) inside++;
    assert.ok(close(row.coverage80, inside / y.length, 1e-12), `${m} coverage80`);
    // (no band around 0.8 is asserted: the market's volatility changes between valid and test,
    // so residuals are not exchangeable; the run reports what it gets)
    // net = gross − costs: costs are positive when the strategy trades
    assert.ok(row.turnover > 0 && row.btTotal < row.btTotalGross, `${m} costs charged`);
  }

  // breakdown rows = metrics() on the filtered prediction rows
  const bd = JSON.parse(Deno.readTextFileSync(`${s.dir}/breakdown.json`)) as BreakdownRow[];
  const ts = Float64Array.from(
    pred.getColumn("ts_utc").cast(pl.Int64).toArray() as (number | bigint)[],
    Number,
  );
  const labels: Record<string, string[]> = {
    pair: pred.getColumn("pair").toArray() as string[],
    session: Array.from(sessionGroups(ts).codes, (c) => SESSION_BLOCKS[c]),
    vol: pred.getColumn("vol_tercile").toArray() as string[],
    trend: pred.getColumn("trend_state").toArray() as string[],
  };
  const cur = col(pred, "zero_change");
  let checked = 0;
  for (const r of bd) {
    if (r.model !== "ridge" && r.model !== "zero_change") continue;
    const keep = labels[r.by].map((l) => l === r.group);
    const pick = (a: Float64Array) => a.filter((_, i) => keep[i]);
    const m = metrics(pick(y), pick(col(pred, r.model)), { current: pick(cur) });
    assert.equal(r.rows, keep.filter(Boolean).length, `${r.by}/${r.group} rows`);
    assert.equal(r.n, m.n);
    for (const k of ["r2", "mae", "rmse", "hitRate"] as const) {
      assert.ok(close(r[k] ?? NaN, m[k]), `${r.model} ${r.by}/${r.group} ${k}: ${r[k]} vs ${m[k]}`);
    }
    checked++;
  }
  assert.equal(checked, 2 * (PAIRS.length + 6 + 3 + 3));
});

Deno.test("trainRun() on the planted signal: ensembles, multitask, ae_ridge and lstm beat the best baseline (DM p < 0.05)", async () => {
  const { root, store } = await lake();
  const common = {
    pairs: PAIRS,
    features: FEATURES,
    horizons: [15],
    seed: 5,
    runsDir: `${root}/runs`,
    silent: true,
  };
  // ensembles of ridge + gbdt (weights / meta-ridge fit on the valid predictions only)
  const se = await trainRun(store, {
    ...common,
    models: ["ridge", "gbdt", "ensemble_weighted", "ensemble_stacked"],
    gbdt: { rounds: 60, maxDepth: 4, earlyStoppingRounds: 20, learningRate: 0.1 },
  });
  // the networks on a thinned train segment (tfjs on wasm is the slow part)
  const sn = await trainRun(store, {
    ...common,
    models: ["multitask", "ae_ridge", "lstm"],
    modelOptions: {
      multitask: { hidden: [64, 32], epochs: 8 },
      ae_ridge: { hidden: [64], bottleneck: 32, epochs: 4 },
      lstm: { steps: 5, units: 32, epochs: 8 },
    },
    trainStride: 4,
  });
  for (
    const [s, names] of [[se, ["ensemble_weighted", "ensemble_stacked"]], [sn, [
      "multitask",
      "ae_ridge",
      "lstm",
    ]]] as const
  ) {
    const pred = pl.readParquet(`${s.dir}/predictions.parquet`);
    const y = col(pred, "y");
    const base = s.rows.find((r) => r.kind === "baseline" && r.model === r.dmVs)!;
    const err = (m: string) => col(pred, m).map((v, i) => y[i] - v);
    for (const m of names) {
      const row = s.rows.find((r) => r.model === m)!;
      const dm = dieboldMariano(err(m), err(base.model), { h: 15 });
      console.log(
        `${m}: R2 ${row.r2.toFixed(4)} vs ${base.model} ${base.r2.toFixed(4)}, DM p(better) ${
          dm.pModelBetter.toExponential(2)
        }`,
      );
      assert.ok(close(row.dmPBetter, dm.pModelBetter), `${m} dmPBetter recomputed`);
      assert.ok(dm.pModelBetter < 0.05, `${m} beats ${base.model}: p = ${dm.pModelBetter}`);
    }
  }
  // the weighted ensemble's weights lie on the simplex and are recorded in the config
  const cfg = JSON.parse(Deno.readTextFileSync(`${se.dir}/config.json`));
  const info = cfg.modelInfo?.ensemble_weighted_h15 as { weights?: Record<string, number> };
  const w = Object.values(info?.weights ?? {});
  assert.equal(w.length, 2, JSON.stringify(cfg.modelInfo));
  assert.ok(w.every((v) => v >= 0) && Math.abs(w.reduce((a, b) => a + b, 0) - 1) < 1e-9);
});

Deno.test("walkForwardRun() folds respect the embargo, rows are unique, scores are recomputable", async () => {
  const { root, store } = await lake();
  const embargo = 120;
  const s = await walkForwardRun(store, {
    models: ["ridge"],
    pairs: PAIRS,
    features: FEATURES,
    horizons: [15, 30],
    trainDays: 14,
    testDays: 10,
    stepDays: 7,
    embargoMinutes: embargo,
    seed: 3,
    runsDir: `${root}/runs`,
    silent: true,
  });
  assert.ok(s.folds.length >= 3, `${s.folds.length} folds`);
  const config = JSON.parse(Deno.readTextFileSync(`${s.dir}/config.json`));
  assert.equal(config.kind, "walkforward");
  assert.equal(config.folds.length, s.folds.length);
  for (const f of ["metrics.csv", "breakdown.csv", "folds.csv", "predictions.parquet"]) {
    assert.ok(Deno.statSync(`${s.dir}/${f}`).size > 0, f);
  }
  // spans: model-train ends ≥ embargo before valid; valid ends ≥ embargo before test;
  // kept test windows tile forward without overlap
  for (let k = 0; k < s.folds.length; k++) {
    const f = s.folds[k];
    assert.ok(f.train.end + embargo * MIN <= f.valid.start + MIN, `fold ${f.index} train/valid`);
    assert.ok(f.valid.end + embargo * MIN <= f.test.start + MIN, `fold ${f.index} valid/test`);
    assert.ok(f.train.start >= f.test.start - 14 * DAY, `fold ${f.index} rolling window`);
    if (k > 0) assert.ok(s.folds[k - 1].test.end <= f.test.start, "kept tests do not overlap");
  }
  const pred = pl.readParquet(`${s.dir}/predictions.parquet`);
  assert.ok(pred.columns.includes("fold"));
  const ts = Float64Array.from(
    pred.getColumn("ts_utc").cast(pl.Int64).toArray() as (number | bigint)[],
    Number,
  );
  const fold = pred.getColumn("fold").toArray() as number[];
  const pair = pred.getColumn("pair").toArray() as string[];
  const hz = pred.getColumn("horizon").toArray() as number[];
  const seen = new Set<string>();
  for (let i = 0; i < ts.length; i++) {
    const key = `${hz[i]}|${pair[i]}|${ts[i]}`;
    assert.ok(!seen.has(key), `row ${key} predicted once`);
    seen.add(key);
    // the row lies in its fold's kept test span, after that fold's train and valid
    const f = s.folds.find((x) => x.index === fold[i])!;
    assert.ok(ts[i] >= f.test.start && ts[i] < f.test.end, `row in fold ${fold[i]} test span`);
    assert.ok(f.valid.end + embargo * MIN <= ts[i] + MIN, "no train/valid row within the embargo");
  }
  // metrics rows recomputed from the pooled predictions
  const folds = Deno.readTextFileSync(`${s.dir}/folds.csv`).trim().split("\n").map((l) =>
    l.split(",")
  );
  const head = folds[0];
  for (const r of s.rows) {
    const part = pred.filter(pl.col("horizon").eq(r.horizon));
    const y = col(part, "y"), v = col(part, r.model);
    const m = metrics(y, v);
    assert.equal(r.n, m.n);
    assert.ok(close(r.r2, m.r2) && close(r.rmse, m.rmse), `${r.model} h${r.horizon}`);
    // the per-fold rows of folds.csv: rows add up to the pooled n
    const nFolds = folds.slice(1).filter((l) =>
      l[head.indexOf("horizon")] === String(r.horizon) && l[head.indexOf("model")] === r.model
    ).reduce((a, l) => a + Number(l[head.indexOf("n")]), 0);
    assert.equal(nFolds, r.n, `${r.model} h${r.horizon} fold rows`);
  }
  await Deno.remove(root, { recursive: true });
});
