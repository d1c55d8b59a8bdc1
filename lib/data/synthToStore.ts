/**
 * Write the synthetic market into a store, month by month, as `m1` partitions: the generated bars
 * go through the same gap filling as real data (SPEC §2) and get `rate_index` on the pair's first
 * generated bar. Streaming keeps memory at one month of all pairs.
 * @module
 */
import pl from "nodejs-polars";
import { releaseNative } from "./_native.ts";
import { gapFill } from "./gapFill.ts";
import { withRateIndex } from "./rateIndex.ts";
import type { Store } from "./store.ts";
import { synthMonths, type SynthOptions } from "./synth.ts";
import { progress } from "../progress.ts";
import { monthRange } from "./schema.ts";

/** What {@linkcode synthToStore} wrote. */
export interface SynthWriteReport {
  months: string[];
  pairs: string[];
  rows: number;
  filled: number;
  seconds: number;
}

/** Generate the synthetic market and store it as m1. */
export async function synthToStore(
  store: Store,
  options: SynthOptions & { silent?: boolean },
): Promise<SynthWriteReport> {
  const t0 = performance.now();
  const months = typeof options.months === "string"
    ? monthRange(options.months)
    : [...options.months];
  const bar = progress("synth", months.length, { unit: "months", silent: options.silent });
  const base = new Map<string, number>();
  let rows = 0, filled = 0;
  let pairs: string[] = [];
  for (const { month, bars } of synthMonths(options)) {
    pairs = [...bars.keys()];
    for (const [pair, raw] of bars) {
      if (raw.height === 0) continue;
      const f = gapFill(raw).frame;
      if (!base.has(pair)) base.set(pair, f.getColumn("close").get(0) as number);
      const m1 = withRateIndex(f, { baseClose: base.get(pair)! });
      rows += m1.height;
      filled += m1.filter(pl.col("filled")).height;
      await store.writePartitions("m1", pair, m1, {
        params: { source: "synth", seed: options.seed ?? null, signal: options.signal ?? false },
      });
    }
    bar.tick(1, month);
    await releaseNative();
  }
  const seconds = bar.done(`${rows.toLocaleString("en-US")} bars`);
  return { months, pairs, rows, filled, seconds: seconds || (performance.now() - t0) / 1e3 };
}
