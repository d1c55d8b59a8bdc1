/**
 * Bar validity (SPEC §2) with an explicit policy per violation class: every price finite and > 0,
 * `low <= min(open, close)`, `high >= max(open, close)`, `high >= low`, volume finite and >= 0,
 * `ts_utc` on a whole minute and strictly increasing (no duplicate, never backwards).
 *
 * Policies (`onInvalid`, per class overridable with `policies`):
 * - `reject` (default): throw a {@linkcode DataError} for the earliest bad line, naming
 *   `file:line`, the field, the value and what was expected.
 * - `drop`: drop the row; counted by reason, the first few `file:line` kept as examples.
 * - `repair`: fix what can be fixed and drop the rest. Repairable: `ohlc_inconsistent` (high / low
 *   widened to include open and close; counted in `repaired`) and `duplicate_row` (an exact repeat
 *   of an earlier row, same stamp and OHLCV: the repeat is removed and counted in `dropped`, since a
 *   copy carries nothing). Never repairable, so dropped under `repair`: unparsable or missing
 *   fields, DST-invalid local stamps, non-finite or non-positive prices, invalid volume, high below
 *   low (a corrupt row, not a rounding slip), off-minute stamps, a duplicate stamp with different
 *   values, and time going backwards. Asking `policies` for `repair` on one of those is an error.
 *
 * Each row counts once, under its first violation in {@linkcode REASONS} order; so
 * `rowsOut = rowsIn − Σ dropped`. Sequence checks run on the rows that passed the row checks:
 * a row is `time_backwards` when its stamp is before the latest stamp seen so far (so the output is
 * strictly increasing even after a jump forward), `duplicate_timestamp` when equal to it.
 * All checks are polars expressions over the whole frame; JS touches only the few rows reported.
 * Clean input (the usual case) costs one pass: a single count of every flag, then an early return.
 * Nulls without a parse issue (a frame built in memory) count as unparsable.
 *
 * @example
 * ```ts
 * import pl from "nodejs-polars";
 * import { validate } from "./validate.ts";
 * import assert from "node:assert/strict";
 * const bars = pl.DataFrame({
 *   line: [1, 2], ts_utc: [0, 60000], open: [1, 1], high: [1.1, 0.9], low: [0.9, 0.8],
 *   close: [1, 1], volume: [0, 0],
 * }).withColumns(pl.col("ts_utc").cast(pl.Datetime("ms", "UTC")));
 * const { bars: out, report } = validate({ file: "x.csv", bars }, { onInvalid: "repair" });
 * assert.equal(out.getColumn("high").get(1), 1);
 * assert.deepEqual(report.repaired, { ohlc_inconsistent: 1 });
 * ```
 * @module
 */
import pl from "nodejs-polars";
import { DataError } from "./readBars.ts";

export { DataError } from "./readBars.ts";

/** Violation classes, in the order a row is classified (first match wins). */
export const REASONS = [
  "unparsable_timestamp",
  "nonexistent_time",
  "ambiguous_time",
  "unparsable_number",
  "non_finite_price",
  "non_positive_price",
  "invalid_volume",
  "high_below_low",
  "ohlc_inconsistent",
  "not_whole_minute",
  "duplicate_row",
  "duplicate_timestamp",
  "time_backwards",
] as const;
/** One violation class. */
export type Reason = typeof REASONS[number];
/** Classes that `repair` can fix. */
export const REPAIRABLE: readonly Reason[] = ["ohlc_inconsistent", "duplicate_row"];
/** What to do with a violating row. */
export type Policy = "reject" | "drop" | "repair";
/** Valid policy names. */
export const POLICIES: readonly Policy[] = ["reject", "drop", "repair"];

/** The first words of an error message, per class. */
const TITLES: Record<Reason, string> = {
  unparsable_timestamp: "Unparsable timestamp",
  nonexistent_time: "Nonexistent local time",
  ambiguous_time: "Ambiguous local time",
  unparsable_number: "Unparsable number",
  non_finite_price: "Non-finite price",
  non_positive_price: "Non-positive price",
  invalid_volume: "Invalid volume",
  high_below_low: "High below low",
  ohlc_inconsistent: "Inconsistent OHLC",
  not_whole_minute: "Timestamp not on a whole minute",
  duplicate_row: "Duplicated timestamp",
  duplicate_timestamp: "Duplicated timestamp",
  time_backwards: "Time going backwards",
};

const PARSE_REASONS: readonly Reason[] = REASONS.slice(0, 4);
const PRICES = ["open", "high", "low", "close"] as const;
const BAR_FIELDS = ["ts_utc", "open", "high", "low", "close", "volume"] as const;

/** Options of {@linkcode validate}. */
export interface ValidateOptions {
  /** Policy for every class. @default "reject" */
  onInvalid?: Policy;
  /** Per-class overrides of `onInvalid`. @default {} */
  policies?: Partial<Record<Reason, Policy>>;
  /** Examples kept per reason. @default 5 */
  maxExamples?: number;
}

/** Input of {@linkcode validate}: what {@linkcode readBars} returns (issues optional). */
export interface ValidateInput {
  /** File name used in messages. */
  file: string;
  /** `line`, `ts_utc` Datetime("ms","UTC"), `open high low close volume` Float64. */
  bars: pl.DataFrame;
  /** Parse issues (`line field value reason expected`). @default none */
  issues?: pl.DataFrame;
}

/** Counts and examples of what validation did to one file. */
export interface ValidationReport {
  file: string;
  /** Data rows read (blank lines excluded). */
  rowsIn: number;
  /** Rows kept. */
  rowsOut: number;
  /** Dropped rows by reason. */
  dropped: Partial<Record<Reason, number>>;
  /** Repaired (kept, modified) rows by reason. */
  repaired: Partial<Record<Reason, number>>;
  /** Up to `maxExamples` per reason: "file:line: field = value, expected …". */
  examples: Partial<Record<Reason, string[]>>;
}

/** What {@linkcode validate} returns. */
export interface ValidateResult {
  /** Valid rows in file order (strictly increasing `ts_utc`), columns as in the input. */
  bars: pl.DataFrame;
  report: ValidationReport;
}

/** Resolve the policy of every class; throws on an impossible `repair`. */
export function resolvePolicies(
  onInvalid: Policy = "reject",
  policies: Partial<Record<Reason, Policy>> = {},
): Record<Reason, Policy> {
  if (!POLICIES.includes(onInvalid)) {
    throw new RangeError(`Invalid onInvalid "${onInvalid}": expected reject, drop or repair`);
  }
  const out = {} as Record<Reason, Policy>;
  for (const r of REASONS) {
    const explicit = policies[r];
    if (explicit !== undefined) {
      if (!POLICIES.includes(explicit)) {
        throw new RangeError(
          `Invalid policy "${explicit}" for ${r}: expected reject, drop or repair`,
        );
      }
      if (explicit === "repair" && !REPAIRABLE.includes(r)) {
        throw new RangeError(
          `Invalid policy "repair" for ${r}: expected reject or drop (only ${
            REPAIRABLE.join(", ")
          } can be repaired)`,
        );
      }
      out[r] = explicit;
    } else {
      out[r] = onInvalid === "repair" && !REPAIRABLE.includes(r) ? "drop" : onInvalid;
    }
  }
  for (const r of Object.keys(policies)) {
    if (!(REASONS as readonly string[]).includes(r)) {
      throw new RangeError(`Unknown violation class "${r}": expected one of ${REASONS.join(", ")}`);
    }
  }
  return out;
}

const isTrue = (e: pl.Expr) => e.fillNull(false);

/** `when(c1).then(v1).when(c2).then(v2)…otherwise(other)` from a list of cases. */
function firstMatch(cases: [pl.Expr, pl.Expr][], other: pl.Expr): pl.Expr {
  const [[c0, v0], ...rest] = cases;
  let chain: pl.Then | pl.ChainedThen = pl.when(c0).then(v0);
  for (const [c, v] of rest) chain = chain.when(c).then(v);
  return chain.otherwise(other);
}

/** Row-level flags, null-safe (rows with parse issues have nulls). */
function rowFlags(): Record<string, pl.Expr> {
  const c = (n: string) => pl.col(n);
  return {
    // Nulls without a recorded parse issue (frames built in memory) count as unparsable.
    unparsable_timestamp: c("ts_utc").isNull(),
    unparsable_number: pl.anyHorizontal(
      ["open", "high", "low", "close", "volume"].map((p) => c(p).isNull()),
    ),
    non_finite_price: isTrue(pl.anyHorizontal(PRICES.map((p) => c(p).isFinite().not()))),
    non_positive_price: isTrue(pl.anyHorizontal(PRICES.map((p) => c(p).ltEq(0)))),
    invalid_volume: isTrue(c("volume").lt(0).or(c("volume").isFinite().not())),
    high_below_low: isTrue(c("high").lt(c("low"))),
    ohlc_inconsistent: isTrue(
      c("low").gt(pl.minHorizontal([c("open"), c("close")]))
        .or(c("high").lt(pl.maxHorizontal([c("open"), c("close")]))),
    ),
    not_whole_minute: isTrue(c("ts_utc").cast(pl.Int64).modulo(60_000).neq(0)),
  };
}

type Row = Record<string, unknown>;

function iso(v: unknown): string {
  if (v instanceof Date) return v.toISOString().replace(".000Z", "Z");
  if (typeof v === "number" || typeof v === "bigint") {
    return new Date(Number(v)).toISOString().replace(".000Z", "Z");
  }
  return String(v);
}

function num(v: unknown): string {
  return v === null || v === undefined ? "(missing)" : String(v);
}

/** Field, value and expectation of one violating row. */
function describe(reason: Reason, row: Row, other?: { line: number; ts: unknown }) {
  const f = (name: string) => row[name] as number;
  switch (reason) {
    case "unparsable_timestamp":
    case "nonexistent_time":
    case "ambiguous_time":
    case "unparsable_number":
      if (row.__field === null || row.__field === undefined) {
        const field = BAR_FIELDS.find((k) => row[k] === null || row[k] === undefined) ?? "ts_utc";
        return { field, value: '""', expected: "a value" };
      }
      return {
        field: String(row.__field),
        value: JSON.stringify(String(row.__value ?? "")),
        expected: String(row.__expected),
      };
    case "non_finite_price": {
      const field = PRICES.find((p) => !Number.isFinite(f(p)))!;
      return { field, value: num(f(field)), expected: "a finite price > 0" };
    }
    case "non_positive_price": {
      const field = PRICES.find((p) => f(p) <= 0)!;
      return { field, value: num(f(field)), expected: "a price > 0" };
    }
    case "invalid_volume":
      return { field: "volume", value: num(f("volume")), expected: "a finite volume >= 0" };
    case "high_below_low":
      return { field: "high", value: num(f("high")), expected: `>= low (${f("low")})` };
    case "ohlc_inconsistent": {
      const lo = Math.min(f("open"), f("close"));
      if (f("low") > lo) {
        return { field: "low", value: num(f("low")), expected: `<= min(open, close) = ${lo}` };
      }
      const hi = Math.max(f("open"), f("close"));
      return { field: "high", value: num(f("high")), expected: `>= max(open, close) = ${hi}` };
    }
    case "not_whole_minute":
      return {
        field: "ts_utc",
        value: iso(row.ts_utc),
        expected: "a whole minute (seconds and milliseconds 0)",
      };
    case "duplicate_row":
      return {
        field: "ts_utc",
        value: iso(row.ts_utc),
        expected: `a new minute (the row repeats line ${other?.line} exactly)`,
      };
    case "duplicate_timestamp":
    case "time_backwards":
      return {
        field: "ts_utc",
        value: iso(row.ts_utc),
        expected: `a time after ${iso(other?.ts)} (line ${other?.line})`,
      };
  }
}

/**
 * Check bars against SPEC §2 and apply the policies.
 * @param input file name, bars (with `line`) and parse issues
 * @returns the valid rows and a report of what was dropped / repaired
 * @throws DataError for the earliest violation whose policy is `reject`
 */
export function validate(input: ValidateInput, options: ValidateOptions = {}): ValidateResult {
  const { onInvalid = "reject", policies = {}, maxExamples = 5 } = options;
  const policy = resolvePolicies(onInvalid, policies);
  const { file, issues } = input;
  const inColumns = input.bars.columns;
  for (const c of ["line", ...BAR_FIELDS]) {
    if (!inColumns.includes(c)) {
      throw new DataError(
        `Missing column "${c}" in ${file}: expected columns line,${BAR_FIELDS.join(",")}`,
        {
          file,
          field: c,
          expected: BAR_FIELDS.join(","),
          reason: "missing_column",
        },
      );
    }
  }
  let df = input.bars;
  const rowsIn = df.height;

  // 0. Fast path: no parse issue, no row flag, every stamp after the previous one.
  if (!issues || issues.height === 0) {
    const flags = rowFlags();
    const ms = pl.col("ts_utc").cast(pl.Int64);
    const anyBad = pl.anyHorizontal([...Object.values(flags), isTrue(ms.ltEq(ms.shift(1)))]);
    const nBad = df.select(anyBad.sum().alias("n")).getColumn("n").get(0) as number;
    if (nBad === 0) {
      return {
        bars: df,
        report: { file, rowsIn, rowsOut: rowsIn, dropped: {}, repaired: {}, examples: {} },
      };
    }
  }

  // 1. Parse issues: first issue per line, by class order then field order.
  if (issues && issues.height > 0) {
    const prio = pl.DataFrame({
      reason: [...PARSE_REASONS],
      __prio: PARSE_REASONS.map((_, i) => i),
    });
    const first = issues.withRowIndex("__i")
      .join(prio, { on: "reason", how: "left" })
      .sort(["line", "__prio", "__i"])
      .unique({ subset: "line", keep: "first", maintainOrder: true })
      .select(
        pl.col("line").cast(pl.UInt32),
        pl.col("reason").alias("__parse"),
        pl.col("field").alias("__field"),
        pl.col("value").alias("__value"),
        pl.col("expected").alias("__expected"),
      );
    df = df.join(first, { on: "line", how: "left" }).sort("line");
  } else {
    df = df.withColumns(
      ...["__parse", "__field", "__value", "__expected"].map((c) =>
        pl.lit(null).cast(pl.Utf8).alias(c)
      ),
    );
  }

  // 2. Row checks: the first non-repair violation names the row; repairs are flagged apart.
  const flags = rowFlags();
  const cases: [pl.Expr, pl.Expr][] = [[pl.col("__parse").isNotNull(), pl.col("__parse")]];
  for (const r of REASONS) {
    if (r in flags && policy[r] !== "repair") cases.push([flags[r], pl.lit(r)]);
  }
  const repairOhlc = policy.ohlc_inconsistent === "repair"
    ? flags.ohlc_inconsistent
    : pl.lit(false);
  df = df.withColumns(
    firstMatch(cases, pl.lit(null).cast(pl.Utf8)).alias("__reason"),
    repairOhlc.alias("__repair"),
  );
  const rowBad = df.filter(pl.col("__reason").isNotNull());
  let kept = df.filter(pl.col("__reason").isNull()).withColumns(
    pl.when(pl.col("__repair"))
      .then(pl.maxHorizontal([pl.col("high"), pl.col("open"), pl.col("close")]))
      .otherwise(pl.col("high")).alias("high"),
    pl.when(pl.col("__repair"))
      .then(pl.minHorizontal([pl.col("low"), pl.col("open"), pl.col("close")]))
      .otherwise(pl.col("low")).alias("low"),
  );

  // 3. Sequence checks on the rows that passed: exact repeats, then the running maximum.
  // Exact repeats are only possible among repeated stamps: hash 6 columns only when there are some.
  const anyRepeat = (kept.select(pl.col("ts_utc").isDuplicated().sum().alias("n")).getColumn("n")
    .get(0) as number) > 0;
  kept = anyRepeat
    ? kept.withColumns(pl.col("line").min().over("ts_utc", ...PRICES, "volume").alias("__first"))
    : kept.withColumns(pl.col("line").alias("__first"));
  kept = kept.withColumns(pl.col("__first").neq(pl.col("line")).alias("__dup_row"));
  const dupRows = kept.filter(pl.col("__dup_row")).withColumns(
    pl.lit("duplicate_row").alias("__reason"),
  );
  kept = kept.filter(pl.col("__dup_row").not());
  const prevMax = pl.col("ts_utc").cast(pl.Int64).cumMax().shift(1);
  kept = kept.withColumns(prevMax.alias("__prev_max")).withColumns(
    pl.when(pl.col("ts_utc").cast(pl.Int64).eq(pl.col("__prev_max"))).then(
      pl.lit("duplicate_timestamp"),
    )
      .when(pl.col("ts_utc").cast(pl.Int64).lt(pl.col("__prev_max"))).then(pl.lit("time_backwards"))
      .otherwise(pl.lit(null).cast(pl.Utf8)).alias("__reason"),
  );
  const seqBad = kept.filter(pl.col("__reason").isNotNull());

  /** Line and stamp of the earlier row a sequence violation collides with. */
  const otherOf = (reason: Reason, row: Row): { line: number; ts: unknown } | undefined => {
    if (reason === "duplicate_row") return { line: Number(row.__first), ts: row.ts_utc };
    if (reason !== "duplicate_timestamp" && reason !== "time_backwards") return undefined;
    const target = Number(row.__prev_max);
    const hit = kept.filter(
      pl.col("line").lt(Number(row.line)).and(pl.col("ts_utc").cast(pl.Int64).eq(target)),
    ).head(1);
    return { line: Number(hit.getColumn("line").get(0)), ts: target };
  };
  const render = (reason: Reason, row: Row) => {
    const d = describe(reason, row, otherOf(reason, row));
    return { ...d, line: Number(row.line) };
  };

  // 4. Reject: the earliest violating line among classes whose policy is reject.
  const rejectSet = REASONS.filter((r) => policy[r] === "reject");
  if (rejectSet.length) {
    const isRejected = isTrue(
      pl.anyHorizontal(rejectSet.map((r) => pl.col("__reason").eq(pl.lit(r)))),
    );
    const candidates = [rowBad, dupRows, seqBad]
      .map((f) => f.filter(isRejected).sort("line").head(1))
      .filter((f) => f.height > 0);
    if (candidates.length) {
      const best = candidates
        .map((f) => f.toRecords()[0] as Row)
        .sort((a, b) => Number(a.line) - Number(b.line))[0];
      const reason = best.__reason as Reason;
      const d = render(reason, best);
      throw new DataError(
        `${TITLES[reason]} at ${file}:${d.line}: ${d.field} = ${d.value}, expected ${d.expected}`,
        { file, line: d.line, field: d.field, value: d.value, expected: d.expected, reason },
      );
    }
  }

  // 5. Count and keep examples.
  const dropped: Partial<Record<Reason, number>> = {};
  const repaired: Partial<Record<Reason, number>> = {};
  const examples: Partial<Record<Reason, string[]>> = {};
  const addExamples = (reason: Reason, rows: pl.DataFrame) => {
    const list = examples[reason] ??= [];
    for (const row of rows.head(Math.max(0, maxExamples - list.length)).toRecords() as Row[]) {
      const d = render(reason, row);
      list.push(`${file}:${d.line}: ${d.field} = ${d.value}, expected ${d.expected}`);
    }
  };
  for (const bad of [rowBad, dupRows, seqBad]) {
    if (bad.height === 0) continue;
    const counts = bad.groupBy("__reason").agg(pl.len().alias("n")).toRecords() as Row[];
    for (const { __reason, n } of counts) {
      const r = __reason as Reason;
      dropped[r] = (dropped[r] ?? 0) + Number(n);
    }
    for (const r of REASONS) {
      if (dropped[r]) addExamples(r, bad.filter(pl.col("__reason").eq(pl.lit(r))).sort("line"));
    }
  }
  const fixed = kept.filter(pl.col("__reason").isNull().and(pl.col("__repair")));
  if (fixed.height) {
    repaired.ohlc_inconsistent = fixed.height;
    // The example shows the row as read, before widening.
    addExamples(
      "ohlc_inconsistent",
      df.join(fixed.select("line").head(maxExamples), { on: "line", how: "semi" }).sort("line"),
    );
  }

  const bars = kept.filter(pl.col("__reason").isNull()).select(...inColumns);
  const ordered: typeof dropped = {};
  for (const r of REASONS) if (dropped[r]) ordered[r] = dropped[r];
  return {
    bars,
    report: { file, rowsIn, rowsOut: bars.height, dropped: ordered, repaired, examples },
  };
}
