/**
 * `deno task train`: one versioned training / evaluation run ({@linkcode trainRun}) on the lake —
 * models and baselines per horizon on the test segment, written to `reports/runs/<id>/`.
 *
 * Flags: `--models ridge,gbdt --pairs eurusd,gbpusd|all --horizons 15,60 --lake data/lake
 * --seed 7 --runs reports/runs --features a,b,c --rounds 200 --depth 6 --early-stopping 20
 * --months 2024-01,2024-02 --epochs 10 --spread default|0|1.2 --stride 1 --quiet` (`--spread`: backtest
 * spread in pips for every pair, `default` = the per-pair `DEFAULT_SPREAD_PIPS`, 0 = no costs;
 * `--select 200`: keep about 200 features chosen on the train segment, see `selectFeatures`).
 * @module
 */
import { resolvePairs } from "../data/pairs.ts";
import { openStore } from "../data/store.ts";
import { formatRunTable, trainRun, type TrainRunOptions } from "../eval/run.ts";
import { intFlag, main, parseFlags } from "./_args.ts";

const list = (s: string | undefined) => s?.split(",").map((x) => x.trim()).filter(Boolean);

/** Flags every run task takes (`train`, `evaluate`). */
export const RUN_FLAGS = {
  models: "string",
  pairs: "string",
  horizons: "string",
  lake: "string",
  seed: "string",
  runs: "string",
  features: "string",
  rounds: "string",
  depth: "string",
  "early-stopping": "string",
  months: "string",
  epochs: "string",
  spread: "string",
  stride: "string",
  quiet: "boolean",
} as const;

/** The run options {@linkcode RUN_FLAGS} set (defaults as documented in the module doc). */
export function runOptionsFromFlags(
  f: { [K in keyof typeof RUN_FLAGS]?: (typeof RUN_FLAGS)[K] extends "boolean" ? boolean : string },
): TrainRunOptions {
  return {
    models: list(f.models) ?? ["ridge", "gbdt"],
    pairs: f.pairs && f.pairs !== "all" ? resolvePairs(f.pairs) : undefined,
    horizons: (list(f.horizons) ?? ["15"]).map((h) => intFlag("horizons", h, 15)),
    seed: intFlag("seed", f.seed, 7),
    runsDir: f.runs ?? "reports/runs",
    features: list(f.features),
    months: list(f.months),
    gbdt: {
      rounds: intFlag("rounds", f.rounds, 200),
      maxDepth: intFlag("depth", f.depth, 6),
      earlyStoppingRounds: intFlag("early-stopping", f["early-stopping"], 20),
    },
    modelOptions: f.epochs ? { mlp: { epochs: intFlag("epochs", f.epochs, 10) } } : undefined,
    spreadPips: spreadFlag(f.spread),
    trainStride: intFlag("stride", f.stride, 1),
    silent: f.quiet ?? false,
  };
}

/** `--spread`: undefined / "default" → per-pair defaults, else one spread in pips (≥ 0). */
export function spreadFlag(value: string | undefined): number | undefined {
  if (value === undefined || value === "default") return undefined;
  const n = Number(value);
  if (!(Number.isFinite(n) && n >= 0)) {
    throw new RangeError(`Invalid --spread "${value}": expected default or a number of pips >= 0`);
  }
  return n;
}

if (import.meta.main) {
  await main(async () => {
    const f = parseFlags({ ...RUN_FLAGS, select: "string" });
    const store = await openStore({ store: "lake", lake: f.lake ?? "data/lake" });
    try {
      const s = await trainRun(store, {
        ...runOptionsFromFlags(f),
        select: f.select === undefined ? undefined : intFlag("select", f.select, 200),
      });
      const seg = s.segments;
      console.log(
        `run ${s.id}: ${
          (s.config.pairs as string[]).join(",")
        }, ${s.config.featureCount} features, ` +
          `test ${seg.test.startIso} .. ${seg.test.endIso} (${seg.test.rows} rows), ${
            s.seconds.toFixed(1)
          } s`,
      );
      console.log(formatRunTable(s.rows));
      console.log(`run dir: ${s.dir}`);
    } finally {
      await store.close();
    }
  });
}
