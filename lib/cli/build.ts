/**
 * `deno task build [--lake data/lake] [--store lake|pg] [--pg-url …] [--pairs all] [--base-date …]
 * [--fixed-window W] [--skip-features] [--reports reports]`: recompute rate_index, bqx and targets
 * for every pair/month in the store, then the features table (SPEC §5) and its quality report.
 * @module
 */
import { build } from "../data/build.ts";
import { resolvePairs } from "../data/pairs.ts";
import { openStore } from "../data/store.ts";
import { intFlag, main, parseFlags } from "./_args.ts";
import { runFeatureBuild } from "./features.ts";

if (import.meta.main) {
  await main(async () => {
    const f = parseFlags({
      lake: "string",
      store: "string",
      "pg-url": "string",
      pairs: "string",
      "base-date": "string",
      "fixed-window": "string",
      "skip-features": "boolean",
      reports: "string",
    });
    const store = await openStore({
      store: f.store as "lake" | "pg",
      lake: f.lake,
      pgUrl: f["pg-url"],
    });
    try {
      const t0 = performance.now();
      const reports = await build(store, {
        pairs: f.pairs ? resolvePairs(f.pairs) : undefined,
        baseDate: f["base-date"],
        fixedWindow: f["fixed-window"] ? intFlag("fixed-window", f["fixed-window"], 0) : undefined,
      });
      const rows = reports.reduce((s, r) => s + r.rows, 0);
      const compute = reports.reduce((s, r) => s + r.seconds.compute, 0);
      const written = reports.reduce((s, r) => s + r.written, 0);
      const unchanged = reports.reduce((s, r) => s + r.unchanged, 0);
      console.log(
        `built ${reports.length} pairs, ${rows.toLocaleString("en-US")} rows in ${
          ((performance.now() - t0) / 1e3).toFixed(1)
        }s ` +
          `(compute ${
            (rows / compute / 1e6).toFixed(1)
          }M rows/s); partitions written ${written}, unchanged ${unchanged} → ${store.kind} ${store.location}`,
      );
    } finally {
      await store.close();
    }
    if (!f["skip-features"]) await runFeatureBuild(f);
  });
}
