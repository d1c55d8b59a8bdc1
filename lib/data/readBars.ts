/**
 * Read one file of 1-minute bars into a bar frame (SPEC §2 "Real inputs to accept"), keeping the
 * 1-based source line of every row so that later checks can name `file:line`.
 *
 * Formats:
 * - `histdata`: HistData generic ASCII M1, `YYYYMMDD HHMMSS;open;high;low;close;volume`, no header.
 * - `csv`: header `ts_utc,open,high,low,close,volume` (names trimmed, any case, extra columns
 *   ignored), `ts_utc` ISO-8601 UTC (`2018-01-01T22:00:00Z`, `2018-01-01 22:00:00`, optional
 *   fraction, optional `Z` / `+00:00`).
 * - `parquet`: the same columns; `ts_utc` a datetime (naive = UTC) or an ISO string.
 * - `auto` (default): Parquet by magic bytes, else the first text line decides (HistData stamp vs a
 *   header naming `ts_utc`). gzip is detected by magic bytes, whatever the extension.
 *
 * HistData time zone. Real HistData files follow New York wall-clock time (EST in winter, EDT in
 * summer; see `shared/data/fx-m1/SOURCE.md`), so the default `tz: "america/new_york"` reads each raw
 * stamp as `America/New_York` local time through the IANA database and converts it to UTC;
 * `tz: "utc-5"` applies the documented-but-wrong fixed UTC−5 instead. Around the DST switches:
 * - A stamp that does not exist (the spring-forward hour, e.g. `20180311 023000`) becomes a
 *   `nonexistent_time` issue; the default policy turns it into an error naming `file:line`.
 * - A stamp that exists twice (the fall-back hour, e.g. `20181104 013000`) is resolved by row order
 *   (`ambiguous: "order"`, the default): rows of that hour are EDT (the earlier instant) until the
 *   clock is seen going back inside the hour (a row whose local stamp is before an earlier row's),
 *   and EST (the later instant) from then on. So `01:59, 01:00, 01:01` reads
 *   05:59Z, 06:00Z, 06:01Z, and a lone `01:30` reads EDT (05:30Z). `ambiguous: "raise"` turns every
 *   such stamp into an `ambiguous_time` issue instead.
 *
 * Nothing is thrown for a bad row here: unparsable fields become null in `bars` and one row per bad
 * field goes to `issues` (line, field, raw value, reason, expected), all found with vectorized
 * polars filters. {@linkcode validate} then applies the reject / drop / repair policy. Structural
 * problems (unknown format, missing column, a file polars cannot tokenize) throw a
 * {@linkcode DataError} at once. Blank lines are skipped but still counted in line numbers; for
 * Parquet the "line" is the 1-based row number.
 *
 * @example
 * ```ts
 * import { parseBars } from "./readBars.ts";
 * import assert from "node:assert/strict";
 * const text = "20180311 015900;1.2;1.3;1.1;1.25;0\n20180311 030000;1.25;1.3;1.2;1.3;0\n";
 * const { bars } = parseBars(new TextEncoder().encode(text), "EURUSD.csv");
 * const ts = (bars.getColumn("ts_utc").toArray() as unknown as Date[]).map((d) => d.toISOString());
 * assert.deepEqual(ts, ["2018-03-11T06:59:00.000Z", "2018-03-11T07:00:00.000Z"]);
 * ```
 * @module
 */
import pl from "nodejs-polars";
import { Buffer } from "node:buffer";
import { gunzipSync } from "node:zlib";
import { strptimeExact } from "./_polars.ts";
import { BAR_COLUMNS, TS_DTYPE } from "./schema.ts";

/** An input problem that names where it is: file, line, field, value and what was expected. */
export class DataError extends Error {
  /** File as given (path or display name). */
  readonly file: string;
  /** 1-based source line (Parquet: row), or undefined for file-level problems. */
  readonly line?: number;
  /** Column concerned, when there is one. */
  readonly field?: string;
  /** Offending value as text. */
  readonly value?: string;
  /** What was expected instead. */
  readonly expected?: string;
  /** Machine-readable class, e.g. "high_below_low", "missing_column". */
  readonly reason: string;
  constructor(
    message: string,
    detail: {
      file: string;
      line?: number;
      field?: string;
      value?: string;
      expected?: string;
      reason: string;
    },
  ) {
    super(message);
    this.name = "DataError";
    this.file = detail.file;
    this.line = detail.line;
    this.field = detail.field;
    this.value = detail.value;
    this.expected = detail.expected;
    this.reason = detail.reason;
  }
}

/** Input formats; `auto` sniffs. */
export type BarFormat = "histdata" | "csv" | "parquet" | "auto";
/** How HistData stamps are read: New York wall clock (EST/EDT) or fixed UTC−5. */
export type HistDataTz = "america/new_york" | "utc-5";

/** Options of {@linkcode readBars} / {@linkcode parseBars}. */
export interface ReadBarsOptions {
  /** Input format. @default "auto" */
  format?: BarFormat;
  /** Time zone of HistData stamps (ignored for csv / parquet, which are UTC). @default "america/new_york" */
  tz?: HistDataTz;
  /** Fall-back-hour stamps: resolve by row order, or report each as an issue. @default "order" */
  ambiguous?: "order" | "raise";
}

/** What {@linkcode readBars} returns. */
export interface ReadResult {
  /** The file as named in messages. */
  file: string;
  /** The format actually read. */
  format: "histdata" | "csv" | "parquet";
  /**
   * `line` UInt32 (1-based source line), `ts_utc` Datetime("ms","UTC"), `open high low close
   * volume` Float64, in file order; a field that did not parse is null (see `issues`).
   */
  bars: pl.DataFrame;
  /** One row per unparsable field: `line`, `field`, `value` (raw text), `reason`, `expected`. */
  issues: pl.DataFrame;
}

/** The header a CSV must carry. */
export const CSV_HEADER = BAR_COLUMNS.join(",");
/** The HistData line layout. */
export const HISTDATA_LAYOUT = "YYYYMMDD HHMMSS;open;high;low;close;volume";

const PRICE_FIELDS = ["open", "high", "low", "close", "volume"] as const;
const ISO_EXPECTED = "an ISO-8601 UTC timestamp like 2018-01-01T22:00:00Z";
const HISTDATA_TS_EXPECTED = "a HistData stamp YYYYMMDD HHMMSS";
const NUMBER_EXPECTED = "a decimal number";

const TZ_NAMES: Record<HistDataTz, string> = {
  "america/new_york": "America/New_York",
  "utc-5": "Etc/GMT+5", // POSIX sign: Etc/GMT+5 is UTC−5 all year
};

/** Empty issues frame with the right schema. */
function emptyIssues(): pl.DataFrame {
  return pl.DataFrame({
    line: pl.Series("line", [], pl.UInt32),
    field: pl.Series("field", [], pl.Utf8),
    value: pl.Series("value", [], pl.Utf8),
    reason: pl.Series("reason", [], pl.Utf8),
    expected: pl.Series("expected", [], pl.Utf8),
  });
}

/** Rows of `df` where `bad` holds, as issue rows. */
function issuesWhere(
  df: pl.DataFrame,
  bad: pl.Expr,
  field: string,
  raw: pl.Expr,
  reason: string,
  expected: string,
): pl.DataFrame {
  return df.filter(bad).select(
    pl.col("line"),
    pl.lit(field).alias("field"),
    raw.cast(pl.Utf8).fillNull("").alias("value"),
    pl.lit(reason).alias("reason"),
    pl.lit(expected).alias("expected"),
  );
}

function concatIssues(parts: pl.DataFrame[]): pl.DataFrame {
  const nonEmpty = parts.filter((p) => p.height > 0);
  if (nonEmpty.length === 0) return emptyIssues();
  return pl.concat(nonEmpty, { how: "vertical" }).sort("line");
}

/**
 * Numbers: non-strict cast into `__<field>` columns (materialized once); a raw value that is null
 * or does not parse is an issue.
 */
function parseNumbers(stage: pl.DataFrame): { stage: pl.DataFrame; issues: pl.DataFrame[] } {
  const out = stage.withColumns(
    ...PRICE_FIELDS.map((c) => pl.col(c).cast(pl.Float64, false).alias(`__${c}`)),
  );
  const anyNull = pl.anyHorizontal(PRICE_FIELDS.map((c) => pl.col(`__${c}`).isNull()));
  const bad = out.filter(anyNull);
  const issues = bad.height === 0 ? [] : PRICE_FIELDS.map((c) =>
    issuesWhere(
      bad,
      pl.col(`__${c}`).isNull(),
      c,
      pl.col(c),
      "unparsable_number",
      NUMBER_EXPECTED,
    )
  );
  return { stage: out, issues };
}

/** The final bar columns from a parse stage. */
function finalColumns(): pl.Expr[] {
  return [
    pl.col("line").cast(pl.UInt32),
    pl.col("__utc").alias("ts_utc"),
    ...PRICE_FIELDS.map((c) => pl.col(`__${c}`).alias(c)),
  ];
}

/**
 * Parse ISO-8601 UTC strings of column `ts_utc` into a naive `__naive` column; exact match required
 * (the plain strptime accepts trailing junk).
 */
function parseIsoUtc(raw: pl.DataFrame): pl.DataFrame {
  const col = pl.col("ts_utc");
  const fast = strptimeExact(col, "%Y-%m-%dT%H:%M:%SZ");
  // Fast path for the common form; the general one only when some stamp needs it.
  const stage = raw.withColumns(fast.alias("__naive"));
  const misses = stage.select(pl.col("__naive").isNull().and(col.isNotNull()).sum().alias("n"))
    .getColumn("n").get(0) as number;
  if (misses === 0) return stage;
  const norm = col.str.strip().str.replace("(Z|\\+00:00)$", "").str.replace("T", " ");
  const general = pl.when(
    norm.str.contains("^\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?$"),
  )
    .then(norm.str.strptime(pl.Datetime("ms"), "%Y-%m-%d %H:%M:%S%.f"))
    .otherwise(pl.lit(null)).cast(pl.Datetime("ms"));
  return raw.withColumns(general.alias("__naive"));
}

/** Ensure the CSV / Parquet columns exist; throw naming the first missing one. */
function requireColumns(columns: string[], file: string, found: string): void {
  for (const c of BAR_COLUMNS) {
    if (!columns.includes(c)) {
      throw new DataError(
        `Missing column "${c}" in ${file}:1: found ${found}, expected header ${CSV_HEADER}`,
        { file, line: 1, field: c, value: found, expected: CSV_HEADER, reason: "missing_column" },
      );
    }
  }
}

/** Frames with `line`, raw columns, blank rows removed. */
function withLines(df: pl.DataFrame, firstLine: number): pl.DataFrame {
  const withLine = df.withRowIndex("line", firstLine);
  const anyValue = pl.anyHorizontal(BAR_COLUMNS.map((c) => pl.col(c).isNotNull()));
  return withLine.filter(anyValue);
}

function readText(bytes: Uint8Array, file: string, sep: string, hasHeader: boolean): pl.DataFrame {
  try {
    return pl.readCSV(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
      hasHeader,
      sep,
      inferSchemaLength: 0,
      truncateRaggedLines: true,
    });
  } catch (e) {
    throw new DataError(
      `Cannot tokenize ${file}: ${(e as Error).message.split("\n")[0]}, expected ${
        hasHeader ? `CSV with header ${CSV_HEADER}` : HISTDATA_LAYOUT
      }`,
      { file, reason: "unreadable" },
    );
  }
}

function parseHistData(
  bytes: Uint8Array,
  file: string,
  tz: HistDataTz,
  ambiguous: "order" | "raise",
): ReadResult {
  let df = readText(bytes, file, ";", false);
  if (df.width < BAR_COLUMNS.length) {
    const missing = BAR_COLUMNS[df.width];
    throw new DataError(
      `Missing column "${missing}" in ${file}:1: found ${df.width} field(s), expected ${HISTDATA_LAYOUT}`,
      {
        file,
        line: 1,
        field: missing,
        value: `${df.width} fields`,
        expected: HISTDATA_LAYOUT,
        reason: "missing_column",
      },
    );
  }
  df = df.select(...BAR_COLUMNS.map((c, i) => pl.col(`column_${i + 1}`).alias(c)));
  const raw = withLines(df, 1);
  const t = pl.col("ts_utc");
  const naive = strptimeExact(t, "%Y%m%d %H%M%S");
  const zone = TZ_NAMES[tz];
  const toUtc = (amb: pl.Expr | string) =>
    pl.col("__naive").dt.replaceTimeZone(zone, amb as string, "null").dt.convertTimeZone("UTC")
      .cast(TS_DTYPE);
  const parsed = parseNumbers(raw.withColumns(naive.alias("__naive")));
  const numIssues = parsed.issues;
  let stage = parsed.stage.withColumns(toUtc("null").alias("__utc"));
  const unparsable = issuesWhere(
    stage,
    pl.col("__naive").isNull(),
    "ts_utc",
    t,
    "unparsable_timestamp",
    HISTDATA_TS_EXPECTED,
  );
  const problem = pl.col("__naive").isNotNull().and(pl.col("__utc").isNull());
  const nProblem = stage.select(problem.sum().alias("n")).getColumn("n").get(0) as number;
  const tzIssues: pl.DataFrame[] = [];
  if (nProblem > 0) {
    // Nonexistent or ambiguous local stamps (DST switches): rare, so the slower path runs only here.
    const earliest = toUtc("earliest");
    const latest = toUtc("latest");
    stage = stage.withColumns(
      earliest.alias("__e"),
      latest.alias("__l"),
      pl.col("__naive").cast(pl.Int64).alias("__n"),
    );
    const isAmb = pl.col("__e").isNotNull().and(pl.col("__e").neq(pl.col("__l")));
    stage = stage.withColumns(
      isAmb.and(pl.col("__n").lt(pl.col("__n").cumMax().forwardFill().shift(1))).fillNull(false)
        .alias("__back"),
    );
    const afterFold = pl.col("__back").cast(pl.Int32).cumSum().over(
      pl.col("__naive").cast(pl.Date),
    ).gt(0);
    if (ambiguous === "order") {
      stage = stage.withColumns(
        pl.when(isAmb.and(afterFold)).then(pl.col("__l"))
          .when(isAmb).then(pl.col("__e"))
          .otherwise(pl.col("__utc")).alias("__utc"),
      );
    } else {
      tzIssues.push(issuesWhere(
        stage,
        isAmb,
        "ts_utc",
        t,
        "ambiguous_time",
        `a local time that occurs once in ${zone} (the fall-back hour repeats)`,
      ));
    }
    tzIssues.push(issuesWhere(
      stage,
      pl.col("__naive").isNotNull().and(pl.col("__e").isNull()),
      "ts_utc",
      t,
      "nonexistent_time",
      `a local time that exists in ${zone} (the spring-forward hour is skipped)`,
    ));
  }
  return {
    file,
    format: "histdata",
    bars: stage.select(...finalColumns()),
    issues: concatIssues([unparsable, ...tzIssues, ...numIssues]),
  };
}

function normalizeHeader(df: pl.DataFrame): pl.DataFrame {
  const seen = new Set<string>();
  const renames: Record<string, string> = {};
  for (const c of df.columns) {
    const n = c.trim().toLowerCase();
    if (n !== c && !seen.has(n) && !df.columns.includes(n)) renames[c] = n;
    seen.add(n);
  }
  return Object.keys(renames).length ? df.rename(renames) : df;
}

function fromColumns(df: pl.DataFrame, file: string, format: "csv" | "parquet", firstLine: number) {
  const raw = withLines(df.select(...BAR_COLUMNS), firstLine);
  const tsType = raw.getColumn("ts_utc").dtype as pl.DataType & {
    variant: string;
    timeZone?: string;
  };
  let stage: pl.DataFrame;
  const t = pl.col("ts_utc");
  if (tsType.variant === "String" || tsType.variant === "Utf8") {
    stage = parseIsoUtc(raw).withColumns(
      pl.col("__naive").dt.replaceTimeZone("UTC").cast(TS_DTYPE).alias("__utc"),
    );
  } else if (tsType.variant === "Datetime") {
    const tz = tsType.timeZone;
    stage = raw.withColumns(
      (tz ? t.dt.convertTimeZone("UTC") : t.dt.replaceTimeZone("UTC")).cast(TS_DTYPE).alias(
        "__utc",
      ),
    );
  } else {
    throw new DataError(
      `Unsupported ts_utc type in ${file}:1: found ${tsType}, expected a datetime or ${ISO_EXPECTED}`,
      {
        file,
        line: 1,
        field: "ts_utc",
        value: String(tsType),
        expected: ISO_EXPECTED,
        reason: "unsupported_type",
      },
    );
  }
  const parsed = parseNumbers(stage);
  stage = parsed.stage;
  const numIssues = parsed.issues;
  const tsIssues = issuesWhere(
    stage,
    pl.col("__utc").isNull(),
    "ts_utc",
    t,
    "unparsable_timestamp",
    ISO_EXPECTED,
  );
  const bars = stage.select(...finalColumns());
  return { file, format, bars, issues: concatIssues([tsIssues, ...numIssues]) };
}

function parseCsv(bytes: Uint8Array, file: string): ReadResult {
  const df = normalizeHeader(readText(bytes, file, ",", true));
  requireColumns(df.columns, file, `header "${df.columns.join(",")}"`);
  return fromColumns(df, file, "csv", 2);
}

function parseParquet(bytes: Uint8Array, file: string): ReadResult {
  let df: pl.DataFrame;
  try {
    df = pl.readParquet(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    throw new DataError(`Cannot read Parquet ${file}: ${(e as Error).message.split("\n")[0]}`, {
      file,
      reason: "unreadable",
    });
  }
  df = normalizeHeader(df);
  requireColumns(df.columns, file, `columns "${df.columns.join(",")}"`);
  return fromColumns(df, file, "parquet", 1);
}

function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}
function isParquet(b: Uint8Array): boolean {
  return b.length >= 4 && b[0] === 0x50 && b[1] === 0x41 && b[2] === 0x52 && b[3] === 0x31;
}

/** First non-empty text line (at most 500 bytes are decoded). */
function firstLine(b: Uint8Array): string {
  const text = new TextDecoder().decode(b.subarray(0, 500));
  return text.split(/\r?\n/).find((l) => l.trim() !== "") ?? "";
}

/**
 * Detect the format of (decompressed) bytes: Parquet magic, a HistData stamp, or a CSV header
 * naming `ts_utc`. Throws a {@linkcode DataError} quoting the first line otherwise.
 */
export function sniffFormat(bytes: Uint8Array, file: string): "histdata" | "csv" | "parquet" {
  if (isParquet(bytes)) return "parquet";
  const line = firstLine(bytes);
  if (/^\s*\d{8} \d{6};/.test(line)) return "histdata";
  if (line.split(",").some((h) => h.trim().toLowerCase() === "ts_utc")) return "csv";
  throw new DataError(
    `Unknown format of ${file}:1: first line "${
      line.slice(0, 80)
    }", expected ${HISTDATA_LAYOUT} or a CSV header ${CSV_HEADER} or Parquet`,
    { file, line: 1, value: line.slice(0, 80), expected: CSV_HEADER, reason: "unknown_format" },
  );
}

/**
 * Parse bytes already in memory (plain or gzip). `file` names the source in messages.
 * @param bytes file content
 * @param file name used in messages and issues
 * @returns bars with source lines, and the parse issues
 */
export function parseBars(
  bytes: Uint8Array,
  file: string,
  options: ReadBarsOptions = {},
): ReadResult {
  const { format = "auto", tz = "america/new_york", ambiguous = "order" } = options;
  if (!(tz in TZ_NAMES)) {
    throw new RangeError(`Invalid tz "${tz}": expected "america/new_york" or "utc-5"`);
  }
  if (!["histdata", "csv", "parquet", "auto"].includes(format)) {
    throw new RangeError(`Invalid format "${format}": expected histdata, csv, parquet or auto`);
  }
  let data = bytes;
  if (isGzip(data)) {
    try {
      data = new Uint8Array(gunzipSync(data));
    } catch (e) {
      throw new DataError(`Cannot gunzip ${file}: ${(e as Error).message}`, {
        file,
        reason: "unreadable",
      });
    }
  }
  if (!isParquet(data) && firstLine(data) === "" && new TextDecoder().decode(data).trim() === "") {
    throw new DataError(
      `Empty file ${file}: expected ${HISTDATA_LAYOUT} lines or a CSV header ${CSV_HEADER} and rows`,
      { file, reason: "empty_file", expected: CSV_HEADER },
    );
  }
  const fmt = format === "auto" ? sniffFormat(data, file) : format;
  if (fmt === "parquet") return parseParquet(data, file);
  if (fmt === "csv") return parseCsv(data, file);
  return parseHistData(data, file, tz, ambiguous);
}

/**
 * Read one file (optionally gzip-compressed) into a bar frame with source lines.
 * @param path file path; it also names the file in messages
 * @returns bars (`line`, `ts_utc`, OHLCV; unparsable fields null) and the parse issues
 */
export function readBars(path: string, options: ReadBarsOptions = {}): ReadResult {
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(path);
  } catch (e) {
    throw new DataError(`Cannot read ${path}: ${(e as Error).message}`, {
      file: path,
      reason: "unreadable",
    });
  }
  return parseBars(bytes, path, options);
}
