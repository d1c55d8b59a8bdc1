/**
 * `deno task features --list [--family regression,technical] [--json] [--pair eurusd]
 * [--present eurusd,gbpusd,…]`: print the feature catalog (name, family, domain, scope, warm-up,
 * parameters; `--json` for machine use).
 *
 * `deno task features [--lake data/lake] [--store lake|pg --pg-url …] [--pairs …] [--reports reports]`:
 * build the `features` table for every pair with bqx data (run `deno task build` first; it also
 * builds features unless `--skip-features`), print counts, time and cells/s, and write the feature
 * quality report.
 * @module
 */
import { resolvePairs } from "../data/pairs.ts";
import { openStore } from "../data/store.ts";
import { buildFeatures, mergeQuality } from "../features/build.ts";
import { summarizeFeatureQuality, writeFeatureQuality } from "../features/quality.ts";
import { catalog } from "../features/registry.ts";
import { intFlag, main, parseFlags } from "./_args.ts";
import { peakRssMiB } from "./bench.ts";

/** Run the feature build on a store and print/write its report. */
export async function runFeatureBuild(
  f: {
    store?: string;
    lake?: string;
    "pg-url"?: string;
    pairs?: string;
    reports?: string;
    workers?: string;
  },
): Promise<void> {
  const store = await openStore({
    store: f.store as "lake" | "pg",
    lake: f.lake,
    pgUrl: f["pg-url"],
  });
  try {
    const t0 = performance.now();
    const reps = await buildFeatures(store, {
      pairs: f.pairs ? resolvePairs(f.pairs) : undefined,
      workers: f.workers === undefined ? undefined : intFlag("workers", f.workers, 2),
    });
    const wall = (performance.now() - t0) / 1e3;
    const rows = reps.reduce((s, r) => s + r.rows, 0);
    const feats = reps[0]?.features ?? 0;
    const q = mergeQuality(reps.map((r) => r.quality));
    const present = reps.map((r) => r.pair);
    const summary = summarizeFeatureQuality(q, catalog(present[0], { present }), reps.length);
    const paths = writeFeatureQuality(f.reports ?? "reports", q, summary);
    console.log(
      `features: ${reps.length} pairs × ${feats} features, ${
        rows.toLocaleString("en-US")
      } rows in ${wall.toFixed(1)}s (${
        (rows * feats / wall / 1e6).toFixed(0)
      }M cells/s); partitions written ${reps.reduce((s, r) => s + r.written, 0)}, unchanged ${
        reps.reduce((s, r) => s + r.unchanged, 0)
      }`,
    );
    const sum = (k: keyof (typeof reps)[number]["seconds"]) =>
      reps.reduce((a, r) => a + (r.seconds[k] ?? 0), 0);
    const fam: Record<string, number> = {};
    for (const r of reps) {
      for (const [k, v] of Object.entries(r.familySeconds)) fam[k] = (fam[k] ?? 0) + v;
    }
    console.log(
      `worker time: compute ${sum("compute").toFixed(1)} s, write ${
        sum("write").toFixed(1)
      } s, market init ${sum("init").toFixed(1)} s, series load ${
        sum("load").toFixed(1)
      } s, commit wait + release ${sum("wait").toFixed(1)} s; by family: ` +
        Object.entries(fam).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v.toFixed(1)}`)
          .join(", "),
    );
    console.log(
      `peak RSS ${(peakRssMiB() / 1024).toFixed(2)} GiB (VmHWM of this process, workers included)`,
    );
    console.log(
      `quality: mean null ${
        (summary.meanNullFraction * 100).toFixed(2)
      }%, all-null ${summary.allNull.length}, ` +
        `constant ${summary.constant.length}, ±∞ ${summary.nonFinite.length} → ${paths[1]}`,
    );
  } finally {
    await store.close();
  }
}

if (import.meta.main) {
  await main(async () => {
    const f = parseFlags({
      list: "boolean",
      family: "string",
      json: "boolean",
      pair: "string",
      present: "string",
      lake: "string",
      store: "string",
      "pg-url": "string",
      pairs: "string",
      reports: "string",
      workers: "string",
    });
    if (!f.list) return await runFeatureBuild(f);
    const pair = resolvePairs(f.pair ?? "eurusd")[0];
    const specs = catalog(pair, {
      present: f.present ? resolvePairs(f.present) : undefined,
      families: f.family?.split(",").map((s) => s.trim()),
    });
    if (f.json) return console.log(JSON.stringify(specs, null, 1));
    const by = new Map<string, number>();
    for (const s of specs) by.set(s.family, (by.get(s.family) ?? 0) + 1);
    for (const s of specs) {
      console.log(
        `${s.name.padEnd(34)} ${s.family.padEnd(16)} ${s.domain.padEnd(4)} ${
          s.scope.padEnd(13)
        } warm-up ${String(s.warmup).padStart(5)}  ${JSON.stringify(s.params)}${
          s.needs?.length ? "  needs " + s.needs.join(",") : ""
        }`,
      );
    }
    console.log(
      `\n${specs.length} features for ${pair}: ` +
        [...by].map(([k, v]) => `${k} ${v}`).join(", "),
    );
  });
}
