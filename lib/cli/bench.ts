/**
 * `deno task bench [--months 2024-01..2024-12] [--pairs all] [--only synth,ingest,build]`: data-layer
 * throughput. Prints, per stage, rows, wall time, rows/s and peak RSS (Linux VmHWM, reset between
 * stages through /proc/self/clear_refs). Targets (issue 2): synth 28 pairs × 12 months < 60 s;
 * ingest CSV.gz ≥ 1M rows/s; BQX+targets ≥ 5M rows/s. Works in a temp dir; nothing is kept.
 * @module
 */
import pl from "nodejs-polars";
import { releaseNative } from "../data/_native.ts";
import { bqxArrays } from "../data/bqx.ts";
import { build, buildPair } from "../data/build.ts";
import { WINDOWS } from "../data/schema.ts";
import { gapCounts, targetArrays } from "../data/targets.ts";
import { ingest } from "../data/ingest.ts";
import { resolvePairs } from "../data/pairs.ts";
import { LakeStore } from "../data/store.ts";
import { synthToStore } from "../data/synthToStore.ts";
import { main, parseFlags } from "./_args.ts";

/** Peak resident set size in MiB since the last reset (Linux), or NaN elsewhere. */
export function peakRssMiB(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(Deno.readTextFileSync("/proc/self/status"));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Reset the peak-RSS counter (Linux ≥ 4.0); silently does nothing elsewhere. */
export function resetPeakRss(): void {
  try {
    Deno.writeTextFileSync("/proc/self/clear_refs", "5");
  } catch { /* not Linux */ }
}

function line(stage: string, rows: number, seconds: number, extra = ""): void {
  console.log(
    `${stage.padEnd(22)} ${rows.toLocaleString("en-US").padStart(12)} rows  ${
      seconds.toFixed(2).padStart(7)
    } s  ` +
      `${(rows / seconds / 1e6).toFixed(2).padStart(6)} M rows/s  peak RSS ${
        peakRssMiB().toFixed(0).padStart(6)
      } MiB${extra ? "  " + extra : ""}`,
  );
}

if (import.meta.main) {
  await main(async () => {
    const f = parseFlags({ months: "string", pairs: "string", only: "string" });
    const months = f.months ?? "2024-01..2024-12";
    const pairs = resolvePairs(f.pairs ?? "all");
    const only = new Set((f.only ?? "synth,ingest,build").split(","));
    const dir = await Deno.makeTempDir({ prefix: "bqx-bench-" });
    const silent = !Deno.stderr.isTerminal();
    try {
      console.log(
        `BQX ML data benchmarks — ${pairs.length} pairs, months ${months}, ${navigator.hardwareConcurrency} cores`,
      );
      const lake = new LakeStore(`${dir}/lake`);
      if (only.has("synth") || only.has("build")) {
        resetPeakRss();
        const r = await synthToStore(lake, { months, pairs, seed: 7, signal: false, silent });
        line("synth → lake", r.rows, r.seconds, `(target < 60 s for 28 pairs × 12 months)`);
      }
      if (only.has("build")) {
        // In memory, one core: kernels alone (typed arrays), then whole tables (kernels + polars frames).
        resetPeakRss();
        let rows = 0, kernel = 0, tables = 0;
        for (const pair of pairs) {
          const m1 = await lake.readTable("m1", pair);
          const idx = m1.getColumn("rate_index").toTypedArray() as Float64Array;
          const ts = m1.getColumn("ts_utc").cast(pl.Float64).toTypedArray() as Float64Array;
          let t0 = performance.now();
          const gaps = gapCounts(ts);
          for (const w of WINDOWS) targetArrays(bqxArrays(idx, w).return, ts, w, { gaps });
          kernel += performance.now() - t0;
          t0 = performance.now();
          buildPair(m1);
          tables += performance.now() - t0;
          rows += m1.height;
          await releaseNative();
        }
        line(
          "BQX+targets kernels",
          rows,
          kernel / 1e3,
          "(1 core, typed arrays; target ≥ 5M rows/s)",
        );
        line("BQX+targets tables", rows, tables / 1e3, "(1 core, kernels + polars frames)");
        resetPeakRss();
        const t0 = performance.now();
        const reps = await build(lake, { silent });
        const wall = (performance.now() - t0) / 1e3;
        line(
          "build read+compute+write",
          rows,
          wall,
          `(${Math.min(2, navigator.hardwareConcurrency)} workers, Parquet lz4)`,
        );
        const sum = (k: "read" | "compute" | "write") => reps.reduce((s, r) => s + r.seconds[k], 0);
        console.log(
          `  worker time: read ${sum("read").toFixed(1)} s, compute ${
            sum("compute").toFixed(1)
          } s, write ${sum("write").toFixed(1)} s`,
        );
      }
      if (only.has("ingest")) {
        const real = new URL("../../../shared/data/fx-m1/", import.meta.url).pathname;
        let from = real;
        try {
          Deno.statSync(real);
        } catch {
          console.log(`ingest: ${real} is absent; skipping the real CSV.gz ingest benchmark`);
          from = "";
        }
        if (from) {
          resetPeakRss();
          const t0 = performance.now();
          const q = await ingest({
            from,
            lake: `${dir}/ingest-lake`,
            silent,
            reports: `${dir}/reports`,
          });
          const wall = (performance.now() - t0) / 1e3;
          const rows = q.reduce((s, x) => s + x.rowsIn, 0);
          line(
            "ingest CSV.gz (real)",
            rows,
            wall,
            "(target ≥ 1M rows/s; incl. validate, fill, write)",
          );
        }
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
