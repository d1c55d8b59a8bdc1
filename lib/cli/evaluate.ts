/**
 * `deno task evaluate`: a walk-forward evaluation run ({@linkcode walkForwardRun}, SPEC §6) on the
 * lake — every fold refits the models and baselines per horizon; the out-of-sample forecasts are
 * pooled and scored like `deno task train`, written to `reports/runs/<id>/` (plus `folds.csv`).
 *
 * Flags: `--models ridge,gbdt,mlp --pairs eurusd,gbpusd|all --horizons 15,60 --lake data/lake
 * --train-days 60 --test-days 30 --step-days 7 --embargo 120 --valid-fraction 0.15 --anchored
 * --seed 7 --runs reports/runs --features a,b,c --rounds 200 --depth 6 --early-stopping 20
 * --epochs 10 --months 2024-01,2024-02 --spread default|0|1.2 --stride 1 --quiet`. Short data: shrink the
 * fold grid, e.g. `--train-days 20 --test-days 7 --step-days 7`.
 * @module
 */
import { openStore } from "../data/store.ts";
import { formatRunTable } from "../eval/run.ts";
import { walkForwardRun } from "../eval/walkForwardRun.ts";
import { intFlag, main, parseFlags } from "./_args.ts";
import { RUN_FLAGS, runOptionsFromFlags } from "./train.ts";

/** Parse a positive number flag. */
function numFlag(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!(Number.isFinite(n) && n > 0)) {
    throw new RangeError(`Invalid --${name} "${value}": expected a number > 0`);
  }
  return n;
}

if (import.meta.main) {
  await main(async () => {
    const f = parseFlags({
      ...RUN_FLAGS,
      "train-days": "string",
      "test-days": "string",
      "step-days": "string",
      embargo: "string",
      "valid-fraction": "string",
      anchored: "boolean",
    });
    const store = await openStore({ store: "lake", lake: f.lake ?? "data/lake" });
    try {
      const s = await walkForwardRun(store, {
        ...runOptionsFromFlags(f),
        trainDays: numFlag("train-days", f["train-days"], 60),
        testDays: numFlag("test-days", f["test-days"], 30),
        stepDays: numFlag("step-days", f["step-days"], 7),
        embargoMinutes: intFlag("embargo", f.embargo, 120),
        validFraction: numFlag("valid-fraction", f["valid-fraction"], 0.15),
        anchored: f.anchored ?? false,
      });
      const first = s.folds[0], last = s.folds[s.folds.length - 1];
      console.log(
        `walk-forward run ${s.id}: ${
          (s.config.pairs as string[]).join(",")
        }, ${s.config.featureCount} features, ${s.folds.length} folds, out-of-sample ${first.test.startIso} .. ${last.test.endIso}, ${
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
