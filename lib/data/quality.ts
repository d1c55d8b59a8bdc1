/**
 * Data-quality summary per pair (SPEC §2: "violations are reported … and logged"): rows read, kept
 * and written, the span, gaps by size, filled bars, dropped / repaired rows by reason with
 * `file:line` examples, flat bars (high == low) and the zero-volume share. A plain JSON-able
 * object, a text rendering for the terminal, and a writer that stores JSON + Markdown under
 * `<reports>/quality/<pair>.{json,md}` through {@linkcode atomicWrite} (the latest ingest of a pair
 * replaces its report).
 *
 * Flat bars and the zero-volume share are counted on real bars only (filled bars are flat with
 * volume 0 by construction); HistData M1 carries no volume, so its zero-volume share is 100 %.
 *
 * @example
 * ```ts
 * import pl from "nodejs-polars";
 * import { gapFill } from "./gapFill.ts";
 * import { qualitySummary, renderQuality } from "./quality.ts";
 * import assert from "node:assert/strict";
 * const raw = pl.DataFrame({
 *   ts_utc: [0, 3 * 60000], open: [1, 1], high: [1, 1.2], low: [1, 0.9], close: [1, 1.1], volume: [0, 5],
 * }).withColumns(pl.col("ts_utc").cast(pl.Datetime("ms", "UTC")));
 * const { frame, stats } = gapFill(raw);
 * const q = qualitySummary({ pair: "eurusd", bars: frame, gaps: stats, validations: [] });
 * assert.equal(q.filledBars, 2);
 * assert.equal(q.flatBars, 1);
 * assert.match(renderQuality(q), /eurusd/);
 * ```
 * @module
 */
import pl from "nodejs-polars";
import { atomicWrite } from "./lake.ts";
import type { GapBucket, GapStats } from "./gapFill.ts";
import type { Reason, ValidationReport } from "./validate.ts";

/** One input file's part of a summary. */
export interface FileQuality {
  file: string;
  format?: string;
  rowsIn: number;
  rowsOut: number;
  /** Read + validate time. */
  seconds?: number;
}

/** The summary of one pair. */
export interface QualitySummary {
  pair: string;
  files: FileQuality[];
  /** Data rows read (blank lines excluded). */
  rowsIn: number;
  /** Rows that passed validation (after drop / repair). */
  rowsValid: number;
  /** Rows after gap filling (what is written). */
  rowsOut: number;
  /** First and last `ts_utc` (ISO, whole seconds). */
  first: string | null;
  last: string | null;
  gaps: GapBucket[];
  largestGap: GapStats["largest"];
  filledBars: number;
  dropped: Partial<Record<Reason, number>>;
  repaired: Partial<Record<Reason, number>>;
  examples: Partial<Record<Reason, string[]>>;
  /** Real bars with high == low, and their share of real bars. */
  flatBars: number;
  flatShare: number;
  /** Share of real bars with volume 0. */
  zeroVolumeShare: number;
  /** Set by ingest: the policies and time zone used. */
  settings?: Record<string, unknown>;
  /** Set by ingest: the rate-index base. */
  rateIndexBase?: { ts: string; close: number; source: "stored" | "input" };
  /** Set by ingest: what the store did per month. */
  partitions?: { month: string; rows: number; status: string }[];
}

/** Input of {@linkcode qualitySummary}. */
export interface QualityInput {
  pair: string;
  /** Bars after gap filling (`filled` column; without it every bar counts as real). */
  bars: pl.DataFrame;
  gaps: GapStats;
  /** One report per file, in file order. */
  validations: ValidationReport[];
  /** Extra per-file facts (format, seconds), matched by file name. */
  files?: { file: string; format?: string; seconds?: number }[];
}

function iso(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  const d = v instanceof Date ? v : new Date(Number(v));
  return d.toISOString().replace(".000Z", "Z");
}

function addCounts(into: Partial<Record<Reason, number>>, from: Partial<Record<Reason, number>>) {
  for (const [k, v] of Object.entries(from) as [Reason, number][]) into[k] = (into[k] ?? 0) + v;
}

/**
 * Summarize one pair.
 * @param input filled bars, gap statistics and the validation reports of its files
 * @returns a JSON-able summary
 */
export function qualitySummary(input: QualityInput): QualitySummary {
  const { pair, bars, gaps, validations, files = [] } = input;
  const real = bars.columns.includes("filled") ? bars.filter(pl.col("filled").not()) : bars;
  const agg = real.select(
    pl.col("high").eq(pl.col("low")).sum().alias("flat"),
    pl.col("volume").eq(0).sum().alias("zero"),
  ).toRecords()[0] as { flat: number; zero: number };
  const n = real.height;
  const dropped: Partial<Record<Reason, number>> = {};
  const repaired: Partial<Record<Reason, number>> = {};
  const examples: Partial<Record<Reason, string[]>> = {};
  for (const v of validations) {
    addCounts(dropped, v.dropped);
    addCounts(repaired, v.repaired);
    for (const [k, list] of Object.entries(v.examples) as [Reason, string[]][]) {
      const have = examples[k] ??= [];
      for (const e of list) if (have.length < 5) have.push(e);
    }
  }
  // Float64, not Int64: nodejs-polars' Int64 Series.get truncates to 32 bits.
  const ts = bars.getColumn("ts_utc").cast(pl.Int64).cast(pl.Float64);
  return {
    pair,
    files: validations.map((v) => {
      const extra = files.find((f) => f.file === v.file) ?? { file: v.file };
      return { ...extra, file: v.file, rowsIn: v.rowsIn, rowsOut: v.rowsOut };
    }),
    rowsIn: validations.reduce((s, v) => s + v.rowsIn, 0),
    rowsValid: validations.reduce((s, v) => s + v.rowsOut, 0),
    rowsOut: bars.height,
    first: bars.height ? iso(ts.get(0)) : null,
    last: bars.height ? iso(ts.get(bars.height - 1)) : null,
    gaps: gaps.buckets,
    largestGap: gaps.largest,
    filledBars: gaps.filledBars,
    dropped,
    repaired,
    examples,
    flatBars: Number(agg.flat),
    flatShare: n ? Number(agg.flat) / n : 0,
    zeroVolumeShare: n ? Number(agg.zero) / n : 0,
  };
}

const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
const base = (f: string) => f.split(/[\\/]/).pop() ?? f;

function countsLine(c: Partial<Record<Reason, number>>): string {
  const e = Object.entries(c);
  return e.length ? e.map(([k, v]) => `${k} ${v}`).join(", ") : "none";
}

/** Terminal rendering of one or more summaries. */
export function renderQuality(summaries: QualitySummary | QualitySummary[]): string {
  const list = Array.isArray(summaries) ? summaries : [summaries];
  const out: string[] = [];
  for (const s of list) {
    out.push(
      `${s.pair}  ${
        s.files.map((f) => `${base(f.file)}${f.format ? ` (${f.format})` : ""}`).join(", ")
      }`,
    );
    out.push(
      `  rows       ${s.rowsIn} read, ${s.rowsValid} valid, ${s.rowsOut} out (${s.filledBars} filled)`,
    );
    out.push(`  span       ${s.first ?? "-"} .. ${s.last ?? "-"}`);
    out.push(
      `  gaps       ${
        s.gaps.map((g) =>
          `${g.label}: ${g.gaps}${
            g.gaps ? ` (${g.missingMinutes} min${g.filled ? ", filled" : ""})` : ""
          }`
        )
          .join(" | ")
      }`,
    );
    if (s.largestGap) {
      out.push(
        `  largest    ${s.largestGap.after} -> ${s.largestGap.before} (${s.largestGap.missingMinutes} min missing)`,
      );
    }
    out.push(`  dropped    ${countsLine(s.dropped)}`);
    out.push(`  repaired   ${countsLine(s.repaired)}`);
    for (const [k, ex] of Object.entries(s.examples)) {
      for (const e of ex.slice(0, 3)) out.push(`    ${k}: ${e}`);
    }
    out.push(
      `  flat bars  ${s.flatBars} (${pct(s.flatShare)}), zero volume ${pct(s.zeroVolumeShare)}`,
    );
    if (s.rateIndexBase) {
      out.push(
        `  base       close ${s.rateIndexBase.close} at ${s.rateIndexBase.ts} (${s.rateIndexBase.source})`,
      );
    }
    if (s.partitions) {
      const w = s.partitions.filter((p) => p.status === "written").length;
      out.push(
        `  store      ${s.partitions.length} month(s): ${w} written, ${
          s.partitions.length - w
        } unchanged`,
      );
    }
  }
  return out.join("\n");
}

/** Markdown rendering of one summary. */
export function renderQualityMarkdown(s: QualitySummary): string {
  const lines = [
    `# Data quality: ${s.pair}`,
    "",
    `Files: ${s.files.map((f) => `\`${base(f.file)}\``).join(", ")}`,
    "",
    "| measure | value |",
    "|---|---|",
    `| rows read | ${s.rowsIn} |`,
    `| rows valid | ${s.rowsValid} |`,
    `| rows out (incl. filled) | ${s.rowsOut} |`,
    `| filled bars | ${s.filledBars} |`,
    `| first ts_utc | ${s.first ?? "-"} |`,
    `| last ts_utc | ${s.last ?? "-"} |`,
    `| flat bars (high == low) | ${s.flatBars} (${pct(s.flatShare)}) |`,
    `| zero-volume share | ${pct(s.zeroVolumeShare)} |`,
  ];
  if (s.rateIndexBase) {
    lines.push(
      `| rate_index base | ${s.rateIndexBase.close} at ${s.rateIndexBase.ts} (${s.rateIndexBase.source}) |`,
    );
  }
  lines.push(
    "",
    "## Gaps (missing minutes)",
    "",
    "| size | gaps | minutes missing | filled |",
    "|---|---|---|---|",
  );
  for (const g of s.gaps) {
    lines.push(`| ${g.label} | ${g.gaps} | ${g.missingMinutes} | ${g.filled ? "yes" : "no"} |`);
  }
  if (s.largestGap) {
    lines.push(
      "",
      `Largest gap: ${s.largestGap.after} → ${s.largestGap.before} (${s.largestGap.missingMinutes} min).`,
    );
  }
  lines.push("", "## Invalid rows", "");
  const reasons = [...new Set([...Object.keys(s.dropped), ...Object.keys(s.repaired)])] as Reason[];
  if (reasons.length === 0) lines.push("None.");
  else {
    lines.push("| reason | dropped | repaired | examples |", "|---|---|---|---|");
    for (const r of reasons) {
      const ex = (s.examples[r] ?? []).map((e) => `\`${e.replaceAll("|", "\\|")}\``).join("<br>");
      lines.push(`| ${r} | ${s.dropped[r] ?? 0} | ${s.repaired[r] ?? 0} | ${ex} |`);
    }
  }
  lines.push(
    "",
    "## Files",
    "",
    "| file | format | rows read | rows valid | seconds |",
    "|---|---|---|---|---|",
  );
  for (const f of s.files) {
    lines.push(
      `| ${base(f.file)} | ${f.format ?? ""} | ${f.rowsIn} | ${f.rowsOut} | ${
        f.seconds?.toFixed(2) ?? ""
      } |`,
    );
  }
  if (s.partitions) {
    lines.push("", "## Store", "", "| month | rows | status |", "|---|---|---|");
    for (const p of s.partitions) lines.push(`| ${p.month} | ${p.rows} | ${p.status} |`);
  }
  return lines.join("\n") + "\n";
}

/** Options of {@linkcode writeQualityReports}. */
export interface WriteQualityOptions {
  /** Reports root; files go to `<dir>/quality/`. @default "reports" */
  dir?: string;
}

/**
 * Store each summary as `<dir>/quality/<pair>.json` and `.md`, atomically.
 * @returns the paths written
 */
export function writeQualityReports(
  summaries: QualitySummary[],
  options: WriteQualityOptions = {},
): string[] {
  const { dir = "reports" } = options;
  const paths: string[] = [];
  for (const s of summaries) {
    const stem = `${dir}/quality/${s.pair}`;
    atomicWrite(`${stem}.json`, JSON.stringify(s, null, 1) + "\n");
    atomicWrite(`${stem}.md`, renderQualityMarkdown(s));
    paths.push(`${stem}.json`, `${stem}.md`);
  }
  return paths;
}
