/**
 * The build stage: for every pair in the store, recompute `rate_index` over the pair's whole m1
 * history (SPEC §2: base = first bar of the dataset, or the first bar at/after `baseDate`), then the
 * `bqx` (SPEC §3) and `targets` (SPEC §4) tables, written per pair-month. Rolling windows and targets
 * need neighbouring months, so a pair is computed on its full history, then split by month; months
 * whose content did not change are left untouched (the lake compares content hashes).
 * @module
 */
import pl from "nodejs-polars";
import { releaseNative } from "./_native.ts";
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

/** Build one pair in a store: read m1, compute, write the three tables. */
export async function buildStoredPair(
  store: Store,
  pair: string,
  options: BuildOptions = {},
): Promise<BuildReport> {
  const params = {
    windows: options.windows ?? WINDOWS,
    horizons: options.horizons ?? HORIZONS,
    fixedWindow: options.fixedWindow ?? null,
    baseDate: options.baseDate ?? null,
    span: options.span ?? 60,
  };
  const t0 = performance.now();
  const bars = await store.readTable("m1", pair);
  const t1 = performance.now();
  const tables = buildPair(bars, options);
  const t2 = performance.now();
  let written = 0, unchanged = 0, months = 0;
  // m1 is rewritten only when its rate_index moved (new base date or earlier data).
  const m1Same = sameValues(bars, tables.m1, "rate_index");
  for (const table of ["m1", "bqx", "targets"] as const) {
    if (table === "m1" && m1Same) continue;
    const res = await store.writePartitions(table, pair, tables[table], { params });
    months = res.length;
    for (const r of res) r.status === "written" ? written++ : unchanged++;
  }
  const t3 = performance.now();
  return {
    pair,
    rows: bars.height,
    months,
    written,
    unchanged,
    seconds: { read: (t1 - t0) / 1e3, compute: (t2 - t1) / 1e3, write: (t3 - t2) / 1e3 },
  };
}

/** Whether column `col` of two frames holds bit-identical float values (false if absent). */
function sameValues(a: pl.DataFrame, b: pl.DataFrame, col: string): boolean {
  if (!a.columns.includes(col) || !b.columns.includes(col) || a.height !== b.height) return false;
  const x = a.getColumn(col).cast(pl.Float64).toTypedArray() as Float64Array;
  const y = b.getColumn(col).cast(pl.Float64).toTypedArray() as Float64Array;
  for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return false;
  return true;
}

/** Options of {@linkcode build}. */
export interface BuildAllOptions extends BuildOptions {
  /** Only these pairs. @default every pair with m1 data */
  pairs?: readonly string[];
  /** Parallel workers (each builds whole pairs). @default min(2, cores); 0 = in this thread */
  workers?: number;
  /** No progress output. @default false */
  silent?: boolean;
}

/**
 * Build bqx and targets for every pair with m1 data in the store (or the given pairs), pairs spread
 * over Web Workers (both cores of the reference machine); each worker reopens the store, and the
 * lake serializes manifest updates with a lock file.
 * @returns one report per pair, in pair order
 */
export async function build(store: Store, options: BuildAllOptions = {}): Promise<BuildReport[]> {
  const {
    pairs: only,
    workers = Math.min(2, navigator.hardwareConcurrency || 1),
    silent,
    ...opts
  } = options;
  const parts = await store.listPartitions("m1");
  const all = [...new Set(parts.map((p) => p.pair))].sort();
  const pairs = only ? all.filter((p) => only.includes(p)) : all;
  if (pairs.length === 0) {
    throw new Error(`No m1 data in ${store.kind} store ${store.location}: ingest or synth first`);
  }
  const bar = progress("build", pairs.length, { unit: "pairs", silent });
  const reports = new Map<string, BuildReport>();
  const n = Math.min(workers, pairs.length);
  if (n <= 1) {
    for (const pair of pairs) {
      reports.set(pair, await buildStoredPair(store, pair, opts));
      bar.tick(1, pair);
      await releaseNative();
    }
  } else {
    const queue = [...pairs];
    const pool = Array.from(
      { length: n },
      () => new Worker(new URL("./_buildWorker.ts", import.meta.url).href, { type: "module" }),
    );
    try {
      await Promise.all(pool.map((w) =>
        new Promise<void>((resolve, reject) => {
          const next = () => {
            const pair = queue.shift();
            if (!pair) return resolve();
            w.postMessage({ store: store.reopen, pair, options: opts });
          };
          w.onmessage = (e: MessageEvent) => {
            if (e.data.error) return reject(new Error(e.data.error));
            reports.set(e.data.report.pair, e.data.report);
            bar.tick(1, e.data.report.pair);
            next();
          };
          w.onerror = (e) => {
            e.preventDefault();
            reject(new Error(`Build worker failed: ${e.message}`));
          };
          next();
        })
      ));
    } finally {
      for (const w of pool) w.terminate();
    }
  }
  bar.done();
  return pairs.map((p) => reports.get(p)!);
}
