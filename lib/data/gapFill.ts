/**
 * Gap filling (SPEC §2): a gap of 1 to {@linkcode MAX_FILL_MINUTES} missing minutes inside a session
 * is forward-filled with the previous close as open = high = low = close, volume 0 and
 * `filled = true`; a gap of 5 missing minutes or more (which includes every weekend and holiday)
 * stays a gap, so rolling windows that count bars never silently span a closed market.
 *
 * "Missing minutes" of a gap = (next stamp − stamp) / 1 min − 1: bars at 22:00 and 22:04 have a
 * 3-minute gap (22:01, 22:02, 22:03), filled; 22:00 and 22:06 have a 5-minute gap, kept.
 * (`schema.ts` words its comment as "this many missing minutes or more stays a gap"; the constant is
 * the largest gap that is filled, as its name says and SPEC "shorter than 5 minutes" means.)
 *
 * Vectorized: the bars before each fillable gap are found with one diff and filter; the k-th fill
 * row of every gap comes from one more filter (`missing >= k`), k = 1..maxFill; then one concat and
 * sort. Gap statistics by size bucket come from the same diff with a group-by.
 *
 * @example
 * ```ts
 * import pl from "nodejs-polars";
 * import { gapFill } from "./gapFill.ts";
 * import assert from "node:assert/strict";
 * const bars = pl.DataFrame({
 *   ts_utc: [0, 4 * 60000], open: [1, 2], high: [1, 2], low: [1, 2], close: [1.5, 2], volume: [3, 4],
 * }).withColumns(pl.col("ts_utc").cast(pl.Datetime("ms", "UTC")));
 * const { frame: out, stats } = gapFill(bars);
 * assert.equal(out.height, 5);
 * assert.deepEqual(out.getColumn("close").toArray(), [1.5, 1.5, 1.5, 1.5, 2]);
 * assert.equal(stats.filledBars, 3);
 * ```
 * @module
 */
import pl from "nodejs-polars";
import { BAR_COLUMNS, MAX_FILL_MINUTES, MINUTE_MS, TS_DTYPE } from "./schema.ts";

/** One size class of gaps. */
export interface GapBucket {
  /** e.g. "1-4 min". */
  label: string;
  /** Smallest and largest missing minutes in the class (max null = unbounded). */
  minMinutes: number;
  maxMinutes: number | null;
  /** Number of gaps. */
  gaps: number;
  /** Minutes missing in those gaps. */
  missingMinutes: number;
  /** Whether gaps of this class are forward-filled. */
  filled: boolean;
}

/** Gap statistics of one bar series. */
export interface GapStats {
  /** By size: 1–4 (filled), 5–15, 16–60, 61 min–1 day, > 1 day. */
  buckets: GapBucket[];
  /** Rows added by the fill. */
  filledBars: number;
  /** The longest gap: the bars around it (ISO) and its missing minutes. */
  largest: { after: string; before: string; missingMinutes: number } | null;
}

/** Bucket bounds in missing minutes. */
export const GAP_BUCKETS: readonly { label: string; min: number; max: number | null }[] = [
  { label: `1-${MAX_FILL_MINUTES} min`, min: 1, max: MAX_FILL_MINUTES },
  { label: `${MAX_FILL_MINUTES + 1}-15 min`, min: MAX_FILL_MINUTES + 1, max: 15 },
  { label: "16-60 min", min: 16, max: 60 },
  { label: "61 min-1 day", min: 61, max: 1440 },
  { label: "> 1 day", min: 1441, max: null },
];

/** Options of {@linkcode gapFill}. */
export interface GapFillOptions {
  /** Largest gap (missing minutes) that is filled. @default MAX_FILL_MINUTES (4) */
  maxFill?: number;
}

/** What {@linkcode gapFill} returns. */
export interface GapFillResult {
  /** `ts_utc open high low close volume filled`, sorted by `ts_utc`. */
  frame: pl.DataFrame;
  stats: GapStats;
}

const MS = pl.col("ts_utc").cast(pl.Int64);
/** Missing minutes between a bar and the next one (null on the last bar). */
const MISSING = MS.shift(-1).sub(MS).div(MINUTE_MS).cast(pl.Int64).sub(1);

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(".000Z", "Z");
}

/**
 * Gap statistics by size bucket, without filling.
 * @param bars sorted bars with `ts_utc` on whole minutes
 */
export function gapStats(bars: pl.DataFrame, options: GapFillOptions = {}): GapStats {
  const { maxFill = MAX_FILL_MINUTES } = options;
  const gaps = bars.select(MS.alias("ms"), MISSING.alias("missing")).filter(
    pl.col("missing").gt(0),
  );
  let bucketOf: pl.Then | pl.ChainedThen | undefined;
  GAP_BUCKETS.forEach((b, i) => {
    const cond = b.max === null ? pl.lit(true) : pl.col("missing").ltEq(b.max);
    bucketOf = bucketOf ? bucketOf.when(cond).then(pl.lit(i)) : pl.when(cond).then(pl.lit(i));
  });
  const counts = gaps.height === 0 ? [] : gaps
    .withColumns(bucketOf!.otherwise(pl.lit(GAP_BUCKETS.length - 1)).alias("bucket"))
    .groupBy("bucket")
    .agg(pl.len().alias("gaps"), pl.col("missing").sum().alias("missing"))
    .toRecords() as { bucket: number; gaps: number; missing: number }[];
  const buckets = GAP_BUCKETS.map((b, i) => {
    const hit = counts.find((c) => Number(c.bucket) === i);
    return {
      label: b.label,
      minMinutes: b.min,
      maxMinutes: b.max,
      gaps: hit ? Number(hit.gaps) : 0,
      missingMinutes: hit ? Number(hit.missing) : 0,
      filled: b.max !== null && b.max <= maxFill,
    };
  });
  let largest: GapStats["largest"] = null;
  if (gaps.height > 0) {
    const top = gaps.sort("missing", true).head(1).toRecords()[0] as {
      ms: number;
      missing: number;
    };
    const m = Number(top.missing);
    largest = {
      after: iso(Number(top.ms)),
      before: iso(Number(top.ms) + (m + 1) * MINUTE_MS),
      missingMinutes: m,
    };
  }
  return { buckets, filledBars: 0, largest };
}

/**
 * Forward-fill gaps of 1..maxFill missing minutes; longer gaps stay.
 * @param bars `ts_utc` (strictly increasing, whole minutes) and `open high low close volume`;
 *   other columns are dropped
 * @returns the filled bars with `filled` and the gap statistics of the input
 * @throws RangeError when `ts_utc` is not strictly increasing on whole minutes
 */
export function gapFill(bars: pl.DataFrame, options: GapFillOptions = {}): GapFillResult {
  const { maxFill = MAX_FILL_MINUTES } = options;
  if (!Number.isInteger(maxFill) || maxFill < 0) {
    throw new RangeError(`Invalid maxFill ${maxFill}: expected an integer >= 0`);
  }
  const base = bars.select(...BAR_COLUMNS);
  const bad = base.select(
    MS.shift(-1).sub(MS).ltEq(0).or(MS.modulo(MINUTE_MS).neq(0)).fillNull(false).sum().alias("n"),
  ).getColumn("n").get(0) as number;
  if (bad > 0) {
    throw new RangeError(
      `Invalid bars for gapFill: ${bad} row(s) not strictly increasing on whole minutes, expected validated bars`,
    );
  }
  const stats = gapStats(base, { maxFill });
  const starts = base
    .select(MS.alias("ms"), pl.col("close"), MISSING.alias("missing"))
    .filter(pl.col("missing").gtEq(1).and(pl.col("missing").ltEq(maxFill)));
  const fills: pl.DataFrame[] = [];
  for (let k = 1; k <= maxFill; k++) {
    const rows = starts.filter(pl.col("missing").gtEq(k));
    if (rows.height === 0) break;
    fills.push(rows.select(
      pl.col("ms").add(k * MINUTE_MS).cast(TS_DTYPE).alias("ts_utc"),
      pl.col("close").alias("open"),
      pl.col("close").alias("high"),
      pl.col("close").alias("low"),
      pl.col("close"),
      pl.lit(0).cast(pl.Float64).alias("volume"),
      pl.lit(true).alias("filled"),
    ));
  }
  const real = base.withColumns(
    pl.col("ts_utc").cast(TS_DTYPE),
    ...["open", "high", "low", "close", "volume"].map((c) => pl.col(c).cast(pl.Float64)),
    pl.lit(false).alias("filled"),
  );
  const filledBars = fills.reduce((n, f) => n + f.height, 0);
  const out = filledBars === 0
    ? real
    : pl.concat([real, ...fills], { how: "vertical" }).sort("ts_utc");
  return { frame: out, stats: { ...stats, filledBars } };
}
