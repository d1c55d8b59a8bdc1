/**
 * `deno task pipeline`: the main job on the embedded default market.
 * synth (28 pairs, 3 months, planted signal on) → build (rate index, BQX, targets) → features
 * (the ~800-column table and its quality report) → models → summary
 * (rows per pair, BQX statistics, target coverage, planted-signal R², time per stage), printed and
 * written to `reports/pipeline/summary.json`.
 *
 * The models stage is a `trainRun` (ridge, GBDT, MLP beside the three baselines, 70/15/15 split,
 * run dir under `reports/runs/`), sized to stay under ~2 minutes on 2 cores
 * ({@linkcode PIPELINE_MODEL_DEFAULTS}): the 4 pairs with the strongest planted signal
 * (`plantedR2` at h15: gbpnzd 11.8 %, nzdchf 9.8 %, gbpcad 9.3 %, nzdjpy 9.1 %) that are present,
 * horizons 15 and 60, a 119-column subset (BQX lags 1–60, return lags 1–15, the 44 crossPair
 * columns: currency strengths, USD factor, sister returns — where the planted USD-factor signal
 * lives), every 8th train row (`trainStride`), GBDT 100 rounds, MLP 3 epochs. Pooled matrix:
 * 4 pairs × 3 months ≈ 370k rows × 120 × 4 B ≈ 0.18 GB (all 776 columns would be 1.1 GB).
 *
 * Flags: `--months 2024-01..2024-03 --pairs all --seed 7 --lake data/lake --signal on|off
 * --reports reports --skip-models`.
 * @module
 */
import pl from "nodejs-polars";
import { atomicWrite } from "../data/lake.ts";
import { build } from "../data/build.ts";
import { resolvePairs } from "../data/pairs.ts";
import { HORIZONS } from "../data/schema.ts";
import { LakeStore } from "../data/store.ts";
import { plantedR2 } from "../data/synth.ts";
import { synthToStore } from "../data/synthToStore.ts";
import { intFlag, main, parseFlags } from "./_args.ts";
import { buildFeatures, mergeQuality } from "../features/build.ts";
import { summarizeFeatureQuality, writeFeatureQuality } from "../features/quality.ts";
import { catalog } from "../features/registry.ts";
import { formatRunTable, type RunMetricRow, trainRun } from "../eval/run.ts";

/** The models stage's settings (see the module doc). */
export const PIPELINE_MODEL_DEFAULTS = {
  pairs: ["gbpnzd", "nzdchf", "gbpcad", "nzdjpy"],
  horizons: [15, 60],
  models: ["ridge", "gbdt", "mlp"],
  features: [
    ...Array.from({ length: 60 }, (_, i) => `bqx_lag_${i + 1}`),
    ...Array.from({ length: 15 }, (_, i) => `ret_lag_${i + 1}`),
  ],
  /** Families added whole to `features`. */
  families: ["crossPair"],
  trainStride: 8,
  gbdt: { rounds: 100, maxDepth: 6, earlyStoppingRounds: 20 },
  mlp: { epochs: 3 },
};

/** Options of {@linkcode pipeline}. */
export interface PipelineOptions {
  /** @default "2024-01..2024-03" */
  months?: string;
  /** @default "all" */
  pairs?: string;
  /** @default 7 */
  seed?: number;
  /** @default "data/lake" */
  lake?: string;
  /** Planted signal on (demo). @default true */
  signal?: boolean;
  /** @default "reports" */
  reports?: string;
  /** Skip the models stage. @default false */
  skipModels?: boolean;
  silent?: boolean;
}

/** Per-pair line of the summary. */
export interface PairSummary {
  pair: string;
  rows: number;
  filled: number;
  w15_mean: number;
  w15_std: number;
  w60_mean: number;
  w60_std: number;
  /** Share of rows with a non-null target, per horizon. */
  coverage: Record<string, number>;
}

/** Run the pipeline; returns the summary object that is also written to disk. */
export async function pipeline(options: PipelineOptions = {}) {
  const {
    months = "2024-01..2024-03",
    pairs = "all",
    seed = 7,
    lake = "data/lake",
    signal = true,
    reports = "reports",
    skipModels = false,
    silent = false,
  } = options;
  const store = new LakeStore(lake);
  const stage: Record<string, number> = {};
  let t = performance.now();
  const sw = await synthToStore(store, {
    months,
    pairs: resolvePairs(pairs),
    seed,
    signal,
    silent,
  });
  stage.synth = (performance.now() - t) / 1e3;
  t = performance.now();
  const built = await build(store, { pairs: sw.pairs, silent });
  stage.build = (performance.now() - t) / 1e3;
  t = performance.now();
  const feats = await buildFeatures(store, { pairs: sw.pairs, silent });
  stage.features = (performance.now() - t) / 1e3;
  const fq = mergeQuality(feats.map((r) => r.quality));
  const fSummary = summarizeFeatureQuality(
    fq,
    catalog(sw.pairs[0], { present: sw.pairs }),
    feats.length,
  );
  writeFeatureQuality(reports, fq, fSummary);
  let models: { runDir: string; pairs: string[]; rows: RunMetricRow[] } | null = null;
  if (!skipModels) {
    t = performance.now();
    const d = PIPELINE_MODEL_DEFAULTS;
    let mPairs = d.pairs.filter((p) => sw.pairs.includes(p));
    if (mPairs.length === 0) mPairs = sw.pairs.slice(0, 4);
    const features = [
      ...d.features,
      ...catalog(mPairs[0], { present: sw.pairs, families: d.families }).map((c) => c.name),
    ];
    const run = await trainRun(store, {
      models: d.models,
      pairs: mPairs,
      horizons: d.horizons,
      seed,
      runsDir: `${reports}/runs`,
      features,
      trainStride: d.trainStride,
      gbdt: d.gbdt,
      modelOptions: { mlp: d.mlp },
      silent,
    });
    models = { runDir: run.dir, pairs: mPairs, rows: run.rows };
    stage.models = (performance.now() - t) / 1e3;
  }
  t = performance.now();
  const perPair: PairSummary[] = [];
  for (const pair of sw.pairs) {
    const m1 = await store.readTable("m1", pair, { columns: ["filled"] });
    const bq = await store.readTable("bqx", pair, {
      columns: ["w15_bqx_return", "w60_bqx_return"],
    });
    const tg = await store.readTable("targets", pair, {
      columns: HORIZONS.map((h) => `target_${h}`),
    });
    const s = bq.select(
      pl.col("w15_bqx_return").mean().alias("a"),
      pl.col("w15_bqx_return").std().alias("b"),
      pl.col("w60_bqx_return").mean().alias("c"),
      pl.col("w60_bqx_return").std().alias("d"),
    ).row(0) as number[];
    const cov = tg.select(
      ...HORIZONS.map((h) => pl.col(`target_${h}`).isNotNull().mean().alias(`${h}`)),
    )
      .row(0) as number[];
    perPair.push({
      pair,
      rows: m1.height,
      filled: m1.filter(pl.col("filled")).height,
      w15_mean: s[0],
      w15_std: s[1],
      w60_mean: s[2],
      w60_std: s[3],
      coverage: Object.fromEntries(HORIZONS.map((h, i) => [`${h}`, cov[i]])),
    });
  }
  const theory = signal ? plantedR2(typeof signal === "object" ? signal : undefined) : null;
  stage.summary = (performance.now() - t) / 1e3;
  const rows = perPair.reduce((s, p) => s + p.rows, 0);
  const summary = {
    generated_at: new Date().toISOString(),
    config: { months, pairs: sw.pairs, seed, signal, lake },
    rows,
    stage_seconds: stage,
    build_compute_rows_per_s: rows / built.reduce((s, b) => s + b.seconds.compute, 0),
    features: {
      count: feats[0]?.features ?? 0,
      seconds: stage.features,
      cells_per_s: (feats.reduce((s, r) => s + r.rows, 0) * (feats[0]?.features ?? 0)) /
        stage.features,
      mean_null_fraction: fSummary.meanNullFraction,
      all_null: fSummary.allNull.length,
      constant: fSummary.constant.length,
    },
    models,
    planted_r2_mean: theory
      ? Object.fromEntries(HORIZONS.map((h) => [
        `${h}`,
        sw.pairs.reduce((s, p) => s + theory[p][h], 0) / sw.pairs.length,
      ]))
      : null,
    pairs: perPair,
  };
  atomicWrite(`${reports}/pipeline/summary.json`, JSON.stringify(summary, null, 1) + "\n");
  return summary;
}

function fmt(x: number, d = 6): string {
  return Number.isFinite(x) ? x.toFixed(d) : "—";
}

if (import.meta.main) {
  await main(async () => {
    const f = parseFlags({
      months: "string",
      pairs: "string",
      seed: "string",
      lake: "string",
      signal: "string",
      reports: "string",
      "skip-models": "boolean",
    });
    if (f.signal && !["on", "off"].includes(f.signal)) {
      throw new RangeError(`Invalid --signal "${f.signal}": expected on or off`);
    }
    const s = await pipeline({
      months: f.months,
      pairs: f.pairs,
      seed: intFlag("seed", f.seed, 7),
      lake: f.lake,
      signal: f.signal !== "off",
      reports: f.reports,
      skipModels: f["skip-models"] ?? false,
    });
    console.log(
      `\nBQX ML pipeline — ${s.config.pairs.length} pairs, ${s.config.months}, seed ${s.config.seed}, signal ${
        s.config.signal ? "on" : "off"
      }`,
    );
    console.log(
      "pair     rows      filled  w15 mean    w15 std     w60 mean    w60 std     target coverage h15/h75",
    );
    for (const p of s.pairs) {
      console.log(
        `${p.pair}  ${String(p.rows).padStart(8)}  ${String(p.filled).padStart(6)}  ${
          fmt(p.w15_mean).padStart(10)
        }  ${fmt(p.w15_std).padStart(10)}  ${fmt(p.w60_mean).padStart(10)}  ${
          fmt(p.w60_std).padStart(10)
        }  ${(p.coverage["15"] * 100).toFixed(2)}% / ${(p.coverage["75"] * 100).toFixed(2)}%`,
      );
    }
    if (s.planted_r2_mean) {
      console.log(
        "planted signal, theoretical best R² (mean over pairs): " +
          Object.entries(s.planted_r2_mean).map(([h, r]) => `h${h} ${(r * 100).toFixed(2)}%`).join(
            "  ",
          ),
      );
    }
    console.log(
      `features: ${s.features.count} per pair, built in ${s.features.seconds.toFixed(1)}s ` +
        `(${(s.features.cells_per_s / 1e6).toFixed(0)}M cells/s), mean null ${
          (s.features.mean_null_fraction * 100).toFixed(1)
        }% (warm-up), all-null ${s.features.all_null}, constant ${s.features.constant}`,
    );
    if (s.models) {
      console.log(
        `models (${s.models.pairs.join(", ")}; ${s.models.runDir}), test segment, ` +
          "DM vs the best baseline, Sharpe net of spread:",
      );
      console.log(formatRunTable(s.models.rows));
    }
    console.log(
      `rows ${s.rows.toLocaleString("en-US")}; time per stage: ` +
        Object.entries(s.stage_seconds).map(([k, v]) => `${k} ${v.toFixed(1)}s`).join(", ") +
        `; BQX+targets ${(s.build_compute_rows_per_s / 1e6).toFixed(1)}M rows/s; summary → ${
          f.reports ?? "reports"
        }/pipeline/summary.json`,
    );
  });
}
