/**
 * The feature build (issue 3): for every pair with bqx data in the store, compute all registered
 * families and write the wide `features` table (`ts_utc` + one Float32 column per feature, null for
 * undefined), partitioned by pair and month like the other tables.
 *
 * Cross-pair families read every pair of the same minute, so the build first loads all pairs'
 * series (close, BQX) and aligns them into one {@linkcode Market}; each worker does that once, then
 * builds whole pairs. Columns are converted to Float32 as each family finishes and frames are made
 * one month at a time, so peak memory is about one pair's Float32 matrix per worker.
 *
 * A per-feature quality summary (null fraction, min/max, constant columns, ±∞ produced) is returned
 * and written by the CLI under `reports/quality/features.{json,md}`.
 * @module
 */
import pl from "nodejs-polars";
import { createHash } from "node:crypto";
import { releaseNative } from "../data/_native.ts";
import {
  finishMonthsAsync,
  monthBounds,
  readManifest,
  stageMonths,
  type WriteResult,
} from "../data/lake.ts";
import {
  type ParquetColumn,
  parquetWritesIdle,
  releaseParquetStaging,
  writeParquetColumnsAsync,
} from "../data/parquetWriter.ts";
import { WINDOWS } from "../data/schema.ts";
import type { Store } from "../data/store.ts";
import { progress } from "../progress.ts";
import type { FeatureFamily, Market, PairSeries } from "./_types.ts";
import { computePair, type PairFeatures } from "./compute.ts";
import { buildMarket, type MarketSeries } from "./market.ts";
import { seriesFromFrames } from "./series.ts";

/** Read one pair's feature inputs from the store. */
export async function loadSeries(store: Store, pair: string): Promise<PairSeries> {
  const m1 = await store.readTable("m1", pair);
  const bqx = await store.readTable("bqx", pair, {
    columns: WINDOWS.map((w) => `w${w}_bqx_return`),
  });
  return seriesFromFrames(pair, m1, bqx);
}

/**
 * The light per-pair inputs of the market (times, rate index, BQX): a worker aligns all pairs from
 * these and loads a pair's full series only when it builds that pair, so memory holds one full
 * series, not 28.
 */
export async function loadMarketSeries(store: Store, pair: string): Promise<MarketSeries> {
  const m1 = await store.readTable("m1", pair, { columns: ["rate_index"] });
  const bqx = await store.readTable("bqx", pair, { columns: ["w15_bqx_return"] });
  const f = (df: pl.DataFrame, c: string) =>
    df.select(pl.col(c).cast(pl.Float64).fillNull(pl.lit(NaN))).getColumn(c)
      .toTypedArray() as Float64Array;
  return {
    pair,
    n: m1.height,
    ts: f(m1, "ts_utc"),
    close: f(m1, "rate_index"),
    bqx: f(bqx, "w15_bqx_return"),
  };
}

/** Rows a..b−1 of a pair's features as a polars frame: ts_utc + Float32 columns, NaN → null. */
export function featureFrame(
  ts: Float64Array,
  f: PairFeatures,
  a = 0,
  b = ts.length,
): pl.DataFrame {
  const cols: pl.Series[] = [
    pl.Series("ts_utc", ts.subarray(a, b)).cast(pl.Int64).cast(pl.Datetime("ms", "UTC")),
  ];
  for (let j = 0; j < f.specs.length; j++) {
    cols.push(pl.Series(f.specs[j].name, f.columns[j].subarray(a, b)));
  }
  const df = pl.DataFrame(cols);
  return df.withColumns(pl.col(pl.Float32).fillNan(null));
}

/**
 * SHA-256 of rows a..b−1 of a pair's features: names, timestamps and the Float32 column bytes
 * (the lake's idempotency key for the wide table; hashing the data in memory avoids reading the
 * written Parquet back).
 */
export function featureHash(ts: Float64Array, f: PairFeatures, a: number, b: number): string {
  const h = createHash("sha256");
  h.update(f.specs.map((s) => s.name).join(","));
  const t = ts.subarray(a, b);
  h.update(new Uint8Array(t.buffer, t.byteOffset, t.byteLength));
  for (const c of f.columns) {
    const v = c.subarray(a, b);
    h.update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  }
  return h.digest("hex");
}

let codeHash: string | undefined;
/**
 * SHA-256 of the feature engine's source (every `.ts` file of `lib/features/`), so a code change
 * invalidates stored features; "unversioned" when the sources cannot be read (not a file URL).
 */
export function featureCodeHash(): string {
  if (codeHash) return codeHash;
  const h = createHash("sha256");
  try {
    const dir = new URL(".", import.meta.url);
    const names = [...Deno.readDirSync(dir)].filter((e) => e.isFile && e.name.endsWith(".ts"))
      .map((e) => e.name).sort();
    for (const n of names) h.update(n).update(Deno.readTextFileSync(new URL(n, dir)));
    codeHash = h.digest("hex");
  } catch {
    codeHash = "unversioned";
  }
  return codeHash;
}

/**
 * The lake's idempotency key of a pair's feature months: SHA-256 of everything they are derived
 * from — the engine's code ({@linkcode featureCodeHash}), the families and feature count, and the
 * manifest hashes of every `m1` and `bqx` partition of the market's pairs — plus the pair and
 * month. Features are a deterministic function of these, so an equal key means equal bytes; it
 * costs a manifest read instead of hashing ~1 GB of output per pair. Any input change anywhere
 * in the market changes every key (features at month m depend on all earlier history and on the
 * other pairs), so the pair is rewritten as a whole.
 */
export function featureInputKey(
  root: string,
  pair: string,
  params: { families: string[]; features: number },
): (month: string) => string {
  const m = readManifest(root).partitions;
  const market = new Set(m.filter((p) => p.table === "bqx").map((p) => p.pair));
  const inputs = m.filter((p) => (p.table === "m1" || p.table === "bqx") && market.has(p.pair))
    .map((p) => `${p.table}/${p.pair}/${p.month}/${p.sha256}`).sort();
  const base = createHash("sha256").update(
    JSON.stringify({ code: featureCodeHash(), ...params, pair, inputs }),
  ).digest("hex");
  return (month) => createHash("sha256").update(`${base}/${month}`).digest("hex");
}

/** Per-feature statistics of one pair (summed over pairs by {@linkcode mergeQuality}). */
export interface FeatureQuality {
  name: string;
  family: string;
  rows: number;
  nulls: number;
  min: number;
  max: number;
  /** ±Infinity values the family produced (stored as null). */
  infinities: number;
  /** Pairs where the column is all null. */
  allNullPairs: string[];
  /** Pairs where the column is constant (one distinct non-null value). */
  constantPairs: string[];
}

/**
 * Quality of one pair's features (typed-array pass, no frames). Replaces any ±Infinity left in the
 * columns by NaN (null) and counts it, so it must run before the columns are stored.
 */
export function pairQuality(f: PairFeatures): FeatureQuality[] {
  if (f.stats) {
    const { nulls, min, max } = f.stats;
    return f.specs.map((spec, j) =>
      qualityRow(f.pair, spec, f.columns[j].length, nulls[j], min[j], max[j], f.infinities[j])
    );
  }
  return f.specs.map((spec, j) => {
    const a = f.columns[j];
    let nulls = 0, min = Infinity, max = -Infinity, inf = f.infinities[j];
    for (let i = 0; i < a.length; i++) {
      const v = a[i];
      if (v !== v) nulls++;
      else if (v === Infinity || v === -Infinity) {
        // a contract breach computePair did not scan for (`scan: false`): stored as null, counted
        a[i] = NaN;
        nulls++;
        inf++;
      } else {
        if (v < min) min = v;
        if (v > max) max = v;
      }
    }
    return qualityRow(f.pair, spec, a.length, nulls, min, max, inf);
  });
}

function qualityRow(
  pair: string,
  spec: { name: string; family: string },
  rows: number,
  nulls: number,
  min: number,
  max: number,
  infinities: number,
): FeatureQuality {
  const allNull = nulls === rows;
  return {
    name: spec.name,
    family: spec.family,
    rows,
    nulls,
    min: allNull ? NaN : min,
    max: allNull ? NaN : max,
    infinities,
    allNullPairs: allNull ? [pair] : [],
    constantPairs: !allNull && min === max ? [pair] : [],
  };
}

/** Merge per-pair quality rows (same feature names) into one row per feature. */
export function mergeQuality(parts: FeatureQuality[][]): FeatureQuality[] {
  const by = new Map<string, FeatureQuality>();
  for (const rows of parts) {
    for (const q of rows) {
      const m = by.get(q.name);
      if (!m) {
        by.set(q.name, {
          ...q,
          allNullPairs: [...q.allNullPairs],
          constantPairs: [...q.constantPairs],
        });
        continue;
      }
      m.rows += q.rows;
      m.nulls += q.nulls;
      m.min = Number.isNaN(m.min) ? q.min : Number.isNaN(q.min) ? m.min : Math.min(m.min, q.min);
      m.max = Number.isNaN(m.max) ? q.max : Number.isNaN(q.max) ? m.max : Math.max(m.max, q.max);
      m.infinities += q.infinities;
      m.allNullPairs.push(...q.allNullPairs);
      m.constantPairs.push(...q.constantPairs);
    }
  }
  return [...by.values()];
}

/** What {@linkcode buildFeaturesForPair} did. */
export interface FeatureBuildReport {
  pair: string;
  rows: number;
  features: number;
  months: number;
  written: number;
  unchanged: number;
  /**
   * compute / write; from a build worker also `init` (loading the market, first pair only),
   * `load` (the pair's series) and `wait` (the previous pair's commit, plus releasing memory).
   */
  seconds: { compute: number; write: number; init?: number; load?: number; wait?: number };
  familySeconds: Record<string, number>;
  quality: FeatureQuality[];
}

/** Options of {@linkcode buildFeaturesForPair}. */
export interface FeaturePairOptions {
  /**
   * Lake only: do not wait for the months to become durable and visible; hand the pending commit
   * (fsyncs off the JS thread, then renames and the manifest update) to this callback, which must
   * await it before the build is reported done. Written/unchanged counts are then those decided
   * before the commit (the commit re-checks under the lock). @default wait
   */
  deferCommit?: (committed: Promise<WriteResult[]>) => void;
}

/**
 * Compute and store one pair's features, month by month.
 * @param series the pair's full inputs
 * @param market every present pair aligned (see {@linkcode loadMarketSeries})
 */
export async function buildFeaturesForPair(
  store: Store,
  series: PairSeries,
  families: readonly FeatureFamily[],
  market: Market,
  options: FeaturePairOptions = {},
): Promise<FeatureBuildReport> {
  const pair = series.pair;
  const t0 = performance.now();
  // the quality figures are gathered while the columns are stored (one pass)
  const f = computePair(series, { families, market, reuse: true, stats: true });
  const quality = pairQuality(f);
  const t1 = performance.now();
  let written = 0, unchanged = 0;
  const bounds = monthBounds(series.ts);
  const params = { families: families.map((x) => x.name), features: f.specs.length };
  if (store.kind === "lake") {
    // the lake writes the wide Parquet straight from the typed arrays (parquetWriter.ts: ~2× the
    // speed of building polars frames and encoding them), one month per partition, bypassing
    // the page cache (direct I/O: the build writes ~33 GB it does not read back)
    const columns: ParquetColumn[] = [
      { name: "ts_utc", type: "timestamp_ms", data: series.ts, nullable: false },
      ...f.specs.map((spec, j) => ({
        name: spec.name,
        type: "float" as const,
        data: f.columns[j],
        lastNull: f.stats?.lastNull[j],
      })),
    ];
    const key = featureInputKey(store.location, pair, params);
    // the previous pair's writes ran during this pair's compute: let them finish (their staging
    // buffers are reused below)
    await parquetWritesIdle();
    const staged = stageMonths(
      store.location,
      "features",
      pair,
      bounds.map(([month, a, b]) => ({
        month,
        rows: b - a,
        firstMs: series.ts[a],
        lastMs: series.ts[b - 1],
        contentHash: key(month),
        hashOf: "inputs" as const,
        // encoded into an aligned buffer now (the columns are reused by the next pair), written
        // to disk asynchronously with direct I/O while the next pair computes
        encode: (path: string) => writeParquetColumnsAsync(path, columns, { start: a, end: b }),
      })),
      params,
    );
    // fsync + rename + manifest off the critical path: the caller may compute the next pair first
    const committed = finishMonthsAsync(staged);
    if (options.deferCommit) {
      committed.catch(() => {}); // the callback's owner awaits it; no unhandled-rejection alarm
      options.deferCommit(committed);
      for (const p of staged.parts) p.tmp ? written++ : unchanged++;
    } else {
      for (const r of await committed) r.status === "written" ? written++ : unchanged++;
    }
  } else {
    for (const [, a, b] of bounds) {
      const res = await store.writePartitions("features", pair, featureFrame(series.ts, f, a, b), {
        params,
        contentHash: featureHash(series.ts, f, a, b),
      });
      for (const r of res) r.status === "written" ? written++ : unchanged++;
      await releaseNative();
    }
  }
  const t2 = performance.now();
  return {
    pair,
    rows: series.n,
    features: f.specs.length,
    months: bounds.length,
    written,
    unchanged,
    seconds: { compute: (t1 - t0) / 1e3, write: (t2 - t1) / 1e3 },
    familySeconds: f.seconds,
    quality,
  };
}

/** Options of {@linkcode buildFeatures}. */
export interface BuildFeaturesOptions {
  /** Only these pairs (the market still holds every pair present). @default all with bqx */
  pairs?: readonly string[];
  /** Parallel workers, each building whole pairs. @default min(2, cores); 0 = this thread */
  workers?: number;
  /** No progress output. @default false */
  silent?: boolean;
  /** Families to run. @default the registry's FAMILIES (loaded lazily) */
  families?: readonly FeatureFamily[];
}

/** Build the features table for every pair with bqx data. */
export async function buildFeatures(
  store: Store,
  options: BuildFeaturesOptions = {},
): Promise<FeatureBuildReport[]> {
  const { workers = Math.min(2, navigator.hardwareConcurrency || 1), silent } = options;
  const present = [...new Set((await store.listPartitions("bqx")).map((p) => p.pair))].sort();
  const pairs = options.pairs ? present.filter((p) => options.pairs!.includes(p)) : present;
  if (pairs.length === 0) {
    throw new Error(`No bqx data in ${store.kind} store ${store.location}: run build first`);
  }
  const bar = progress("features", pairs.length, { unit: "pairs", silent });
  const reports = new Map<string, FeatureBuildReport>();
  const n = Math.min(workers, pairs.length);
  if (n <= 1 || options.families) {
    const families = options.families ?? (await import("./registry.ts")).FAMILIES;
    const light: MarketSeries[] = [];
    for (const p of present) light.push(await loadMarketSeries(store, p));
    const market = buildMarket(light);
    light.length = 0;
    for (const pair of pairs) {
      const series = await loadSeries(store, pair);
      reports.set(pair, await buildFeaturesForPair(store, series, families, market));
      bar.tick(1, pair);
      await releaseNative();
    }
    releaseParquetStaging(); // the staging buffers (~1 GB) are not needed after the build
  } else {
    // Each worker loads all series once (the market) and builds the pairs it is handed.
    const queue = [...pairs];
    const pool = Array.from(
      { length: n },
      () => new Worker(new URL("./_featureWorker.ts", import.meta.url).href, { type: "module" }),
    );
    try {
      await Promise.all(pool.map((w) =>
        new Promise<void>((resolve, reject) => {
          const next = () => {
            const pair = queue.shift();
            // no pair left: wait for the worker's last commit
            if (!pair) return w.postMessage({ store: store.reopen, flush: true });
            w.postMessage({ store: store.reopen, pair });
          };
          w.onmessage = (e: MessageEvent) => {
            if (e.data.error) return reject(new Error(e.data.error));
            if (e.data.flushed) return resolve();
            reports.set(e.data.report.pair, e.data.report);
            bar.tick(1, e.data.report.pair);
            next();
          };
          w.onerror = (e) => {
            e.preventDefault();
            reject(new Error(`Feature worker failed: ${e.message}`));
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
