/**
 * Ingest stage (SPEC §2): raw M1 files → validated, gap-filled, rate-indexed `m1` partitions in the
 * store, plus a data-quality summary per pair.
 *
 * Steps: resolve the input (one file, or every `*.csv[.gz]`, `*.txt[.gz]`, `*.parquet` of a
 * directory, sorted by name) and the pair of each file (`pair` option, else the file name) → read
 * ({@linkcode readBars}) and validate ({@linkcode validate}) **every** file → per pair, order the
 * files by their first bar and refuse overlapping files → forward-fill short gaps
 * ({@linkcode gapFill}) → `rate_index` → write. Nothing is written before every file has passed,
 * so bad input leaves the lake untouched (and no report is written).
 *
 * Rate-index base: the earliest bar (at or after `baseDate`, when given) among the stored m1 months
 * that this run does not replace and the new data; so re-ingesting a later month keeps the pair's
 * original base. When the new data starts earlier than what is stored, the new first bar becomes
 * the base and the stored months keep their old base until the `build` stage recomputes
 * `rate_index` for the whole pair (a note is printed).
 *
 * Merging: months present in the input replace those stored months wholesale (atomic per
 * partition, see `lake.ts`); other stored months stay. Identical data re-ingested is reported
 * "unchanged" and no partition file is rewritten.
 *
 * @example
 * ```ts
 * import { ingest } from "./ingest.ts";
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/EURUSD.csv`,
 *   "ts_utc,open,high,low,close,volume\n2018-01-02T00:00:00Z,1.2,1.3,1.1,1.25,0\n" +
 *   "2018-01-02T00:02:00Z,1.25,1.3,1.2,1.3,0\n");
 * const [q] = await ingest({ from: `${dir}/EURUSD.csv`, lake: `${dir}/lake`, progress: () => {} });
 * assert.equal(q.rowsOut, 3); // one filled minute
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @module
 */
import { releaseNative } from "./_native.ts";
import { readValidated } from "./readValidated.ts";
import pl from "nodejs-polars";
import { type BarFormat, DataError, type HistDataTz } from "./readBars.ts";
import type { Policy, ValidationReport } from "./validate.ts";
import { gapFill } from "./gapFill.ts";
import { type QualitySummary, qualitySummary, writeQualityReports } from "./quality.ts";
import { pairFromFileName, parsePair } from "./pairs.ts";
import { BAR_COLUMNS, monthOf } from "./schema.ts";
import { withRateIndex } from "./rateIndex.ts";
import { openStore, type Store } from "./store.ts";

/** Options of {@linkcode ingest}. */
export interface IngestOptions {
  /** A file, or a directory whose matching files are all ingested. */
  from: string;
  /** Input format. @default "auto" */
  format?: BarFormat;
  /** Lake root (store "lake"). @default "data/lake" */
  lake?: string;
  /** Store kind. @default "lake" */
  store?: "lake" | "pg";
  /** PostgreSQL URL (store "pg"). @default Deno.env BQX_PG_URL */
  pgUrl?: string;
  /** Pair of every input file. @default taken from each file name */
  pair?: string;
  /** HistData time zone. @default "america/new_york" */
  tz?: HistDataTz;
  /** Policy for invalid rows. @default "reject" */
  onInvalid?: Policy;
  /** Rate-index base date (ISO): the first bar at or after it is the base. @default first bar */
  baseDate?: string;
  /** Progress sink, one line per call. @default a line on stderr (nothing when `silent`) */
  progress?: (line: string) => void;
  /** No progress lines. @default false */
  silent?: boolean;
  /** Reports root: when set, the summaries are also written to `<reports>/quality/`. @default none */
  reports?: string;
}

/** File names ingest picks up from a directory. */
export const INPUT_PATTERN = /\.(csv|txt|parquet)(\.gz)?$/i;

/**
 * The files to ingest: the path itself, or the matching files of a directory sorted by name.
 * @throws Error when the path does not exist or a directory holds no input file
 */
export function resolveInputs(from: string): string[] {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(from);
  } catch {
    throw new DataError(`Input not found: ${from}, expected a file or a directory`, {
      file: from,
      reason: "not_found",
    });
  }
  if (info.isFile) return [from];
  const dir = from.replace(/\/+$/, "");
  const files = [...Deno.readDirSync(dir)]
    .filter((e) => e.isFile && INPUT_PATTERN.test(e.name))
    .map((e) => `${dir}/${e.name}`)
    .sort();
  if (files.length === 0) {
    throw new DataError(
      `No input files in ${from}: expected *.csv, *.csv.gz, *.txt, *.txt.gz or *.parquet`,
      {
        file: from,
        reason: "not_found",
      },
    );
  }
  return files;
}

/** The pair of a file: the option when given, else found in the file name. */
export function pairOfFile(file: string, pair?: string): string {
  if (pair !== undefined) {
    try {
      return parsePair(pair);
    } catch {
      throw new DataError(
        `Unknown pair "${pair}" for ${file}: expected one of the 28 pairs (eurusd, gbpusd, …)`,
        {
          file,
          field: "pair",
          value: pair,
          expected: "one of the 28 pairs",
          reason: "unknown_pair",
        },
      );
    }
  }
  const p = pairFromFileName(file);
  if (!p) {
    const name = file.split("/").pop();
    throw new DataError(
      `Unknown pair for ${file}: file name "${name}" names none of the 28 pairs, expected e.g. EURUSD.csv.gz or --pair`,
      { file, field: "pair", value: name, expected: "one of the 28 pairs", reason: "unknown_pair" },
    );
  }
  return p;
}

interface Loaded {
  file: string;
  format: string;
  seconds: number;
  bars: pl.DataFrame;
  report: ValidationReport;
}

function isoOf(ms: number): string {
  return new Date(ms).toISOString().replace(".000Z", "Z");
}

/** Epoch ms of row i (via Float64: nodejs-polars' Int64 Series.get truncates to 32 bits). */
function msAt(df: pl.DataFrame, i: number): number {
  return df.getColumn("ts_utc").cast(pl.Int64).cast(pl.Float64).get(i) as number;
}

/** Order one pair's files by first bar; throw when two overlap. */
function orderFiles(pair: string, loaded: Loaded[]): Loaded[] {
  const withRows = loaded.filter((l) => l.bars.height > 0);
  const sorted = [...withRows].sort((a, b) => msAt(a.bars, 0) - msAt(b.bars, 0));
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1], cur = sorted[i];
    const prevLast = msAt(prev.bars, prev.bars.height - 1);
    const first = msAt(cur.bars, 0);
    if (first <= prevLast) {
      const line = Number(cur.bars.getColumn("line").get(0));
      throw new DataError(
        `Overlapping files for ${pair} at ${cur.file}:${line}: ts_utc = ${
          isoOf(first)
        }, expected a time after ${isoOf(prevLast)} (the last bar of ${prev.file})`,
        {
          file: cur.file,
          line,
          field: "ts_utc",
          value: isoOf(first),
          expected: `after ${isoOf(prevLast)}`,
          reason: "overlapping_files",
        },
      );
    }
  }
  return sorted;
}

/** "YYYY-MM" of every month that holds a bar (vectorized; a handful of values come back). */
function monthsOf(bars: pl.DataFrame): string[] {
  const t = pl.col("ts_utc");
  const keys = bars.select(t.dt.year().mul(100).add(t.dt.month()).unique().alias("k"))
    .getColumn("k").toArray() as number[];
  return keys.map((k) => `${Math.floor(k / 100)}-${String(k % 100).padStart(2, "0")}`).sort();
}

/** A rate-index base bar and where it came from. */
interface Base {
  ts: number;
  close: number;
  source: "stored" | "input";
  /** Stored months this run keeps (does not replace). */
  keptStored: number;
}

/** The rate-index base: earliest bar (>= baseDate) among kept stored months and the new bars. */
async function findBase(
  store: Store,
  pair: string,
  bars: pl.DataFrame,
  baseDate: string | undefined,
): Promise<Base> {
  const t = baseDate === undefined ? -Infinity : Date.parse(baseDate);
  const newMonths = new Set(monthsOf(bars));
  const after = Number.isFinite(t) ? bars.filter(pl.col("ts_utc").cast(pl.Int64).gtEq(t)) : bars;
  let best: Omit<Base, "keptStored"> | undefined = after.height
    ? { ts: msAt(after, 0), close: after.getColumn("close").get(0) as number, source: "input" }
    : undefined;
  const kept = (await store.listPartitions("m1", pair))
    .map((p) => p.month)
    .filter((m) => !newMonths.has(m))
    .sort();
  const minMonth = Number.isFinite(t) ? monthOf(t) : "";
  for (const month of kept.filter((m) => m >= minMonth)) {
    if (best && month > monthOf(best.ts)) break;
    const df = await store.readTable("m1", pair, { months: [month], columns: ["close"] });
    const hit = Number.isFinite(t) ? df.filter(pl.col("ts_utc").cast(pl.Int64).gtEq(t)) : df;
    if (hit.height === 0) continue;
    const ts = msAt(hit, 0);
    if (!best || ts < best.ts) {
      best = { ts, close: hit.getColumn("close").get(0) as number, source: "stored" };
    }
    break;
  }
  if (!best) {
    throw new RangeError(
      `Invalid baseDate "${baseDate}": no ${pair} bar at or after it, expected a date within the data`,
    );
  }
  return { ...best, keptStored: kept.length };
}

/**
 * Run the ingest stage.
 * @param options input, store and policies
 * @returns one quality summary per pair (in pair order), with what the store did per month
 * @throws DataError on bad input (nothing written), RangeError on bad options
 */
export async function ingest(options: IngestOptions): Promise<QualitySummary[]> {
  const {
    from,
    format = "auto",
    lake = "data/lake",
    store: storeKind = "lake",
    pgUrl,
    pair,
    tz = "america/new_york",
    onInvalid = "reject",
    baseDate,
    silent = false,
    progress = silent ? () => {} : (line: string) => console.error(line),
    reports,
  } = options;
  if (baseDate !== undefined && Number.isNaN(Date.parse(baseDate))) {
    throw new RangeError(`Invalid baseDate "${baseDate}": expected an ISO date like 2018-01-01`);
  }
  // Fail fast on everything that needs no data: inputs, pairs, store.
  const files = resolveInputs(from);
  const pairs = files.map((f) => pairOfFile(f, pair));
  const store = await openStore({ store: storeKind, lake, pgUrl });
  try {
    // 1. Read and validate every file before anything is written.
    const byPair = new Map<string, Loaded[]>();
    let done = 0;
    const loaded = await readValidated(files, {
      format,
      tz,
      onInvalid,
      onFile: ({ file, format: fmt, seconds, report }, i) => {
        const droppedN = Object.values(report.dropped).reduce((s, n) => s + (n ?? 0), 0);
        const repairedN = Object.values(report.repaired).reduce((s, n) => s + (n ?? 0), 0);
        const counts = [
          `${report.rowsIn} rows`,
          `${report.rowsOut} valid`,
          ...(droppedN ? [`${droppedN} dropped`] : []),
          ...(repairedN ? [`${repairedN} repaired`] : []),
        ].join(", ");
        progress(
          `[${++done}/${files.length}] ${file} (${fmt}, ${pairs[i]}): ${counts} in ${
            seconds.toFixed(2)
          } s`,
        );
      },
    });
    loaded.forEach((l, i) => {
      const list = byPair.get(pairs[i]) ?? [];
      list.push(l);
      byPair.set(pairs[i], list);
    });
    await releaseNative();

    // 2. Per pair: order files, fill gaps, index.
    const prepared: { pair: string; frame: pl.DataFrame; summary: QualitySummary }[] = [];
    for (const p of [...byPair.keys()].sort()) {
      const loaded = byPair.get(p)!;
      const ordered = orderFiles(p, loaded);
      const parts = (ordered.length ? ordered : loaded.slice(0, 1)).map((l) =>
        l.bars.select(...BAR_COLUMNS)
      );
      const joined = parts.length === 1 ? parts[0] : pl.concat(parts, { how: "vertical" });
      const { frame: filled, stats } = gapFill(joined);
      const summary = qualitySummary({
        pair: p,
        bars: filled,
        gaps: stats,
        validations: loaded.map((l) => l.report),
        files: loaded.map((l) => ({ file: l.file, format: l.format, seconds: l.seconds })),
      });
      summary.settings = { format, tz, onInvalid, baseDate: baseDate ?? null, store: storeKind };
      let frame = filled;
      if (filled.height > 0) {
        const b = await findBase(store, p, filled, baseDate);
        summary.rateIndexBase = { ts: isoOf(b.ts), close: b.close, source: b.source };
        if (b.source === "input" && b.keptStored > 0) {
          progress(
            `note: ${p} rate_index base is now the new bar at ${
              isoOf(b.ts)
            }; the ${b.keptStored} ` +
              `stored month(s) not replaced keep their old base until build`,
          );
        }
        frame = withRateIndex(filled, { baseClose: b.close });
      } else {
        progress(`note: ${p} has no valid rows; nothing to write`);
      }
      prepared.push({ pair: p, frame, summary });
      await releaseNative();
    }

    // 3. Write (every file has passed).
    for (const { pair: p, frame, summary } of prepared) {
      if (frame.height === 0) {
        summary.partitions = [];
        continue;
      }
      const results = await store.writePartitions("m1", p, frame, {
        params: {
          stage: "ingest",
          source: summary.files.map((f) => f.file.split("/").pop()),
          tz,
          on_invalid: onInvalid,
          base_close: summary.rateIndexBase?.close,
          base_ts: summary.rateIndexBase?.ts,
        },
      });
      summary.partitions = results.map(({ month, rows, status }) => ({ month, rows, status }));
      await releaseNative();
      const w = results.filter((r) => r.status === "written").length;
      progress(
        `${p}: ${frame.height} rows in ${results.length} month(s): ${w} written, ${
          results.length - w
        } unchanged`,
      );
    }
    const summaries = prepared.map((x) => x.summary);
    if (reports !== undefined) writeQualityReports(summaries, { dir: reports });
    return summaries;
  } finally {
    await store.close();
  }
}
