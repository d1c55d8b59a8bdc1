/**
 * Build and write every report of one run (`deno task report`): `validation.html`,
 * `backtest.html` and `summary.json` under the output directory (default `reports/`), and the
 * same three files under the run's own `report/` folder (`reports/runs/<id>/report/`), so a run
 * directory carries the reports of its own numbers. Each file goes through `atomicWrite` (temp +
 * fsync + rename).
 *
 * Reproducible: for one run the files are byte-identical whatever the day, except the
 * generation time, which is injectable (`now`; the CLI takes `--now` or `SOURCE_DATE_EPOCH`).
 * The newest run is the one whose id (`<UTC stamp>-<config hash>`) sorts last; ids without the
 * stamp fall back to their metrics.json modification time.
 * @module
 */
import { atomicWrite } from "../data/lake.ts";
import { readPredictions, readRunArtifacts } from "./_run.ts";
import { validationReport } from "./validationReport.ts";
import { backtestReport } from "./backtestReport.ts";
import { type ReportSummary, summaryJson } from "./summary.ts";

/**
 * The newest run directory name under `runsDir` (see the module doc).
 * @param runsDir the runs directory
 * @returns the run id; throws naming the directory when there is none
 */
export function newestRun(runsDir: string): string {
  let names: string[];
  try {
    names = [...Deno.readDirSync(runsDir)]
      .filter((e) => e.isDirectory && !e.name.startsWith("."))
      .map((e) => e.name);
  } catch {
    throw new Error(`No runs directory ${runsDir}: run \`deno task train\` first`);
  }
  const key = (name: string): number => {
    const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z/.exec(name);
    if (m) return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
    try {
      return Deno.statSync(`${runsDir}/${name}/metrics.json`).mtime?.getTime() ?? -Infinity;
    } catch {
      return -Infinity;
    }
  };
  const usable = names.filter((n) => key(n) > -Infinity);
  if (!usable.length) throw new Error(`No runs with a metrics.json in ${runsDir}`);
  usable.sort((a, b) => key(a) - key(b) || (a < b ? -1 : a > b ? 1 : 0));
  return usable[usable.length - 1];
}

/** Options of {@linkcode writeReports}. */
export interface WriteReportsOptions {
  /** Runs directory. @default "reports/runs" */
  runsDir?: string;
  /** Run id. @default the newest ({@linkcode newestRun}) */
  run?: string;
  /** Output directory of the top-level copies. @default "reports" */
  out?: string;
  /** Generation time. @default new Date() */
  now?: Date;
  /** Also write `<runsDir>/<id>/report/`. @default true */
  perRun?: boolean;
}

/** What {@linkcode writeReports} wrote. */
export interface WrittenReports {
  run: string;
  files: string[];
  summary: ReportSummary;
}

/**
 * Build the validation and backtest pages and the summary of a run and write them.
 * @param options runs dir, run id, output dir, generation time, per-run copies
 * @returns the run id, the paths written and the summary
 */
export function writeReports(options: WriteReportsOptions = {}): WrittenReports {
  const { runsDir = "reports/runs", out = "reports", now = new Date(), perRun = true } = options;
  const id = options.run ?? newestRun(runsDir);
  const dir = `${runsDir}/${id}`;
  const run = readRunArtifacts(dir);
  const predictions = readPredictions(dir, [...new Set(run.rows.map((r) => r.model))]);
  const validation = validationReport(run, { now, predictions });
  const bt = backtestReport(run, { now, predictions });
  const texts: [string, string][] = [
    ["validation.html", validation.html],
    ["backtest.html", bt.html],
    ["summary.json", summaryJson(validation.summary)],
  ];
  const files: string[] = [];
  for (const target of perRun ? [out, `${dir}/report`] : [out]) {
    Deno.mkdirSync(target, { recursive: true });
    for (const [name, text] of texts) {
      atomicWrite(`${target}/${name}`, text);
      files.push(`${target}/${name}`);
    }
  }
  return { run: id, files, summary: validation.summary };
}

/**
 * The generation time from a `--now` value or `SOURCE_DATE_EPOCH` (seconds), else the clock.
 * @param flag an ISO-8601 instant or epoch milliseconds
 * @param sourceDateEpoch the environment variable's value
 * @returns the instant; throws naming the bad value
 * @example
 * ```ts
 * import { reportTime } from "./generate.ts";
 * import assert from "node:assert/strict";
 * assert.equal(reportTime(undefined, "86400").toISOString(), "1970-01-02T00:00:00.000Z");
 * assert.equal(reportTime("2024-05-01T00:00:00Z").getTime(), Date.UTC(2024, 4, 1));
 * ```
 */
export function reportTime(flag?: string, sourceDateEpoch?: string): Date {
  if (flag !== undefined) {
    const d = /^\d+$/.test(flag) ? new Date(Number(flag)) : new Date(flag);
    if (Number.isNaN(d.getTime())) {
      throw new RangeError(`Invalid --now "${flag}": expected an ISO-8601 time or epoch ms`);
    }
    return d;
  }
  if (sourceDateEpoch !== undefined && sourceDateEpoch !== "") {
    const s = Number(sourceDateEpoch);
    if (!Number.isFinite(s)) {
      throw new RangeError(
        `Invalid SOURCE_DATE_EPOCH "${sourceDateEpoch}": expected seconds since 1970`,
      );
    }
    return new Date(s * 1000);
  }
  return new Date();
}
