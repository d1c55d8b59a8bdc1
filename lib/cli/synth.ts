/**
 * `deno task synth --months 2024-01..2024-03 --pairs all --seed 7 --lake data/lake [--signal on|off]
 * [--store lake|pg --pg-url …]`: generate the embedded synthetic market (SPEC §1–2) into the
 * store's `m1` table. The planted signal is off by default ("realistic"); `--signal on` plants the
 * documented lead–lag and prints its theoretical best R² per horizon.
 * @module
 */
import { resolvePairs } from "../data/pairs.ts";
import { HORIZONS } from "../data/schema.ts";
import { openStore } from "../data/store.ts";
import { plantedR2 } from "../data/synth.ts";
import { synthToStore } from "../data/synthToStore.ts";
import { intFlag, main, parseFlags } from "./_args.ts";

if (import.meta.main) {
  await main(async () => {
    const f = parseFlags({
      months: "string",
      pairs: "string",
      seed: "string",
      lake: "string",
      store: "string",
      "pg-url": "string",
      signal: "string",
    });
    if (f.signal && !["on", "off"].includes(f.signal)) {
      throw new RangeError(`Invalid --signal "${f.signal}": expected on or off`);
    }
    const signal = f.signal === "on";
    const store = await openStore({
      store: f.store as "lake" | "pg",
      lake: f.lake,
      pgUrl: f["pg-url"],
    });
    try {
      const r = await synthToStore(store, {
        months: f.months ?? "2024-01..2024-03",
        pairs: resolvePairs(f.pairs ?? "all"),
        seed: intFlag("seed", f.seed, 7),
        signal,
      });
      console.log(
        `synth: ${r.pairs.length} pairs × ${r.months.length} months = ${
          r.rows.toLocaleString("en-US")
        } bars ` +
          `(${r.filled} filled) in ${r.seconds.toFixed(1)}s (${
            (r.rows / r.seconds / 1e6).toFixed(2)
          }M bars/s) → ${store.kind} ${store.location}`,
      );
      if (signal) {
        const th = plantedR2();
        console.log("planted signal: theoretical best R² per horizon (pair: h15 h30 h45 h60 h75)");
        for (const p of r.pairs) {
          console.log(
            `  ${p}: ${HORIZONS.map((h) => (th[p][h] * 100).toFixed(2) + "%").join(" ")}`,
          );
        }
      }
    } finally {
      await store.close();
    }
  });
}
