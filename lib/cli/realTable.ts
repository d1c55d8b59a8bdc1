/**
 * The real-data result table (issue 4 acceptance): ingest `../shared/data/fx-m1/` (the 6 USD
 * majors of 2018, HistData M1) into a separate lake (`data/lake-real`), build rate index / BQX /
 * targets / features there, then train ridge, GBDT and the MLP beside the three baselines on all
 * 6 pairs and all 5 horizons (`trainRun`, chronological 70/15/15 split, embargo 120), print the
 * table and save it to `reports/real/<run id>.txt` (the run dir goes under `reports/runs/`).
 * Exits 0 with a message when the data directory is absent.
 *
 * Sizing (documented choices; the pooled 776-column matrix would be 6 × 370k rows × 776 × 4 B ≈
 * 6.9 GB, and tfjs on wasm trains ~2k rows/s here):
 * - columns: the 261-column subset {@linkcode REAL_FEATURES} = the statistics, bollinger,
 *   technical, crossPair, dualDomain, regime, multiResolution and time families plus `ret_lag_1…15`
 *   (the 180 raw idx/bqx lags, the 180 regression columns, the 46 term-covariance, correlation
 *   and fibonacci columns and the 35 volume columns are left out; volume is 0 in this data) →
 *   2.24M rows × 262 × 4 B ≈ 2.3 GB pooled;
 * - all 12 months; models fit on every 20th usable train row (`trainStride`, ~78k rows per
 *   horizon: neighbouring minutes are near duplicates), valid and test stay whole (test ≈ the
 *   last 15 % of the stamps, ~336k rows);
 * - GBDT ≤ 100 rounds (early stopping 20 on valid), MLP 2 epochs; spread = DEFAULT_SPREAD_PIPS.
 *
 * Flags: `--from ../shared/data/fx-m1/ --lake data/lake-real --skip-build --stride 20 --epochs 2
 * --rounds 100 --horizons 15,30,45,60,75 --months …`. Ingest and build run as their own
 * `deno task` processes (the build peaks near 6 GB for these 6 pairs).
 * @module
 */
import { openStore } from "../data/store.ts";
import { atomicWrite } from "../data/lake.ts";
import { formatRunTable, trainRun } from "../eval/run.ts";
import { catalog } from "../features/registry.ts";
import { intFlag, main, parseFlags } from "./_args.ts";

/** The 261 feature columns of the real-data table (see the module doc). */
export const REAL_FEATURES: readonly string[] = [
  ...catalog("eurusd", {
    families: [
      "statistics",
      "bollinger",
      "technical",
      "crossPair",
      "dualDomain",
      "regime",
      "multiResolution",
      "time",
    ],
  }).map((c) => c.name),
  ...Array.from({ length: 15 }, (_, i) => `ret_lag_${i + 1}`),
];

async function task(args: string[]): Promise<void> {
  const deno = Deno.execPath();
  const cmd = new Deno.Command(deno, {
    args: ["task", ...args],
    stdout: "inherit",
    stderr: "inherit",
  });
  const { code } = await cmd.output();
  if (code !== 0) throw new Error(`deno task ${args.join(" ")} exited with ${code}`);
}

if (import.meta.main) {
  await main(async () => {
    const f = parseFlags({
      from: "string",
      lake: "string",
      "skip-build": "boolean",
      stride: "string",
      epochs: "string",
      rounds: "string",
      horizons: "string",
      months: "string",
      reports: "string",
    });
    const from = f.from ?? "../shared/data/fx-m1/";
    const lake = f.lake ?? "data/lake-real";
    const reports = f.reports ?? "reports";
    try {
      Deno.statSync(from);
    } catch {
      console.log(`skip: real data directory ${from} is absent`);
      return;
    }
    if (!f["skip-build"]) {
      await task(["ingest", "--from", from, "--lake", lake]);
      await task(["build", "--lake", lake, "--reports", `${reports}/real`]);
    }
    const store = await openStore({ store: "lake", lake });
    try {
      const horizons = (f.horizons ?? "15,30,45,60,75").split(",").map((h) =>
        intFlag("horizons", h, 15)
      );
      const s = await trainRun(store, {
        models: ["ridge", "gbdt", "mlp"],
        horizons,
        features: REAL_FEATURES,
        months: f.months?.split(","),
        trainStride: intFlag("stride", f.stride, 20),
        gbdt: { rounds: intFlag("rounds", f.rounds, 100), earlyStoppingRounds: 20 },
        modelOptions: { mlp: { epochs: intFlag("epochs", f.epochs, 2) } },
        runsDir: `${reports}/runs`,
      });
      const seg = s.segments;
      const text = [
        `real data (${
          (s.config.pairs as string[]).join(", ")
        }), run ${s.id}, ${s.config.featureCount} features, train stride ${s.config.trainStride}`,
        `train ${seg.train.startIso} .. ${seg.train.endIso} (${seg.train.rows} rows), test ${seg.test.startIso} .. ${seg.test.endIso} (${seg.test.rows} rows), ${
          s.seconds.toFixed(0)
        } s`,
        formatRunTable(s.rows),
        "",
      ].join("\n");
      console.log(text);
      atomicWrite(`${reports}/real/${s.id}.txt`, text);
      console.log(`table → ${reports}/real/${s.id}.txt, run dir ${s.dir}`);
    } finally {
      await store.close();
    }
  });
}
