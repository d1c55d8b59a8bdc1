/**
 * The build stage: for every pair in the store, recompute `rate_index` over the pair's whole m1
 * history (SPEC §2: base = first bar of the dataset, or the first bar at/after `baseDate`), then the
 * `bqx` (SPEC §3) and `targets` (SPEC §4) tables, written per pair-month. Rolling windows and targets
 * need neighbouring months, so a pair is computed on its full history, then split by month; months
 * whose content did not change are left untouched (the lake compares content hashes).
 * @module
 */
import pl from "nodejs-polars";
import { bqx } from "./bqx.ts";
import { withRateIndex } from "./rateIndex.ts";
import { HORIZONS, WINDOWS } from "./schema.ts";
import type { Store } from "./store.ts";
import { targets } from "./targets.ts";
import { progress } from "../progress.ts";

/** Options of {@linkcode buildPair} and {@linkcode build}. */
export interface BuildOptions {
  /** BQX windows. @default WINDOWS */
  windows?: readonly number[];
  /** Target horizons. @default HORIZONS */
  horizons?: readonly number[];
  /** Fixed-window target variant (SPEC §4). @default undefined: W = h */
  fixedWindow?: number;
  /** Rate-index base date. @default first bar */
  baseDate?: string;
  /** EWMA span of the scaled target's σ. @default 60 */
  span?: number;
}

/** The three tables of one pair. */
export interface PairTables {
  m1: pl.DataFrame;
  bqx: pl.DataFrame;
  targets: pl.DataFrame;
}

/**
 * Compute m1 (with a fresh rate_index), bqx and targets for one pair's bars, in memory.
 * The BQX return of each window is computed once and shared with the targets.
 * @param bars one pair's bars sorted by `ts_utc` (`close` required; `filled` kept if present)
 */
export function buildPair(bars: pl.DataFrame, options: BuildOptions = {}): PairTables {
  const { windows = WINDOWS, horizons = HORIZONS, fixedWindow, baseDate, span = 60 } = options;
  const m1 = withRateIndex(bars.drop(bars.columns.includes("rate_index") ? ["rate_index"] : []), {
    baseDate,
  });
  const returns = new Map<number, Float64Array>();
  return {
    m1,
    bqx: bqx(m1, { windows }, returns),
    targets: targets(m1, { horizons, fixedWindow, span }, returns),
  };
}

/** What {@linkcode build} did for one pair. */
export interface BuildReport {
  pair: string;
  rows: number;
  months: number;
  /** Partitions rewritten (all tables). */
  written: number;
  /** Partitions already identical. */
  unchanged: number;
  seconds: { read: number; compute: number; write: number };
}

/**
 * Build bqx and targets for every pair with m1 data in the store (or the given pairs).
 * @returns one report per pair
 */
export async function build(
  store: Store,
  options: BuildOptions & { pairs?: readonly string[]; silent?: boolean } = {},
): Promise<BuildReport[]> {
  const parts = await store.listPartitions("m1");
  const all = [...new Set(parts.map((p) => p.pair))].sort();
  const pairs = options.pairs ? all.filter((p) => options.pairs!.includes(p)) : all;
  if (pairs.length === 0) throw new Error(`No m1 data in ${store.kind} store ${store.location}: ingest or synth first`);
  const params = {
    windows: options.windows ?? WINDOWS,
    horizons: options.horizons ?? HORIZONS,
    fixedWindow: options.fixedWindow ?? null,
    baseDate: options.baseDate ?? null,
    span: options.span ?? 60,
  };
  const bar = progress("build", pairs.length, { unit: "pairs", silent: options.silent });
  const reports: BuildReport[] = [];
  for (const pair of pairs) {
    const t0 = performance.now();
    const bars = await store.readTable("m1", pair);
    const t1 = performance.now();
    const tables = buildPair(bars, options);
    const t2 = performance.now();
    let written = 0, unchanged = 0;
    for (const table of ["m1", "bqx", "targets"] as const) {
      const res = await store.writePartitions(table, pair, tables[table], { params });
      for (const r of res) r.status === "written" ? written++ : unchanged++;
    }
    const t3 = performance.now();
    reports.push({
      pair,
      rows: bars.height,
      months: parts.filter((p) => p.pair === pair).length,
      written,
      unchanged,
      seconds: { read: (t1 - t0) / 1e3, compute: (t2 - t1) / 1e3, write: (t3 - t2) / 1e3 },
    });
    bar.tick(1, pair);
  }
  bar.done();
  return reports;
}
