/**
 * CLI of the ingest stage: raw M1 files → validated, gap-filled `m1` partitions + quality reports.
 *
 * ```sh
 * deno run -A lib/cli/ingest.ts --from <file|dir> [--format histdata|csv|parquet|auto]
 *   [--lake data/lake] [--store lake|pg] [--pg-url URL] [--pair eurusd]
 *   [--tz america/new_york|utc-5] [--on-invalid reject|drop|repair] [--base-date 2018-01-01]
 *   [--reports reports]
 * ```
 *
 * Prints the quality summary on stdout, progress on stderr, and writes
 * `<reports>/quality/<pair>.{json,md}`. Bad input or a bad flag exits non-zero (1: bad input,
 * 2: bad usage) with only the error message, no stack trace (set `BQX_DEBUG=1` for one); the lake is
 * untouched then, since nothing is written before every file has passed.
 * @module
 */
import { parseArgs } from "node:util";
import { ingest } from "../data/ingest.ts";
import { renderQuality } from "../data/quality.ts";
import type { BarFormat, HistDataTz } from "../data/readBars.ts";
import type { Policy } from "../data/validate.ts";

const USAGE =
  `Usage: deno run -A lib/cli/ingest.ts --from <file|dir> [--format histdata|csv|parquet|auto]
  [--lake data/lake] [--store lake|pg] [--pg-url URL] [--pair eurusd]
  [--tz america/new_york|utc-5] [--on-invalid reject|drop|repair] [--base-date YYYY-MM-DD]
  [--reports reports]`;

const OPTIONS = {
  from: { type: "string" },
  format: { type: "string", default: "auto" },
  lake: { type: "string", default: "data/lake" },
  store: { type: "string", default: "lake" },
  "pg-url": { type: "string" },
  pair: { type: "string" },
  tz: { type: "string", default: "america/new_york" },
  "on-invalid": { type: "string", default: "reject" },
  "base-date": { type: "string" },
  reports: { type: "string", default: "reports" },
  help: { type: "boolean", short: "h" },
} as const;

class UsageError extends Error {}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) {
    throw new UsageError(`Invalid --${flag} "${value}": expected one of ${allowed.join(", ")}`);
  }
  return value as T;
}

function parse(args: string[]) {
  let values;
  try {
    ({ values } = parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (e) {
    const msg = (e as Error).message;
    const flag = /'([^']+)'/.exec(msg)?.[1];
    const code = (e as { code?: string }).code;
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
      throw new UsageError(
        `Unknown flag ${flag}: expected one of ${
          Object.keys(OPTIONS).map((k) => `--${k}`).join(", ")
        }`,
      );
    }
    if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") {
      throw new UsageError(
        `Unexpected argument ${flag}: expected flags only, e.g. --from data/raw`,
      );
    }
    throw new UsageError(msg.split("\n")[0].replace(/\.$/, ""));
  }
  return values;
}

/** Run the CLI; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  try {
    const v = parse(args);
    if (v.help) {
      console.log(USAGE);
      return 0;
    }
    if (!v.from) throw new UsageError(`Missing --from: expected a file or a directory\n${USAGE}`);
    const t0 = performance.now();
    const summaries = await ingest({
      from: v.from,
      format: oneOf<BarFormat>("format", v.format!, ["histdata", "csv", "parquet", "auto"]),
      lake: v.lake,
      store: oneOf("store", v.store!, ["lake", "pg"] as const),
      pgUrl: v["pg-url"],
      pair: v.pair,
      tz: oneOf<HistDataTz>("tz", v.tz!, ["america/new_york", "utc-5"]),
      onInvalid: oneOf<Policy>("on-invalid", v["on-invalid"]!, ["reject", "drop", "repair"]),
      baseDate: v["base-date"],
      reports: v.reports,
    });
    const seconds = (performance.now() - t0) / 1000;
    const rowsIn = summaries.reduce((s, q) => s + q.rowsIn, 0);
    console.log(renderQuality(summaries));
    const paths = summaries.map((q) => `${v.reports}/quality/${q.pair}.md`);
    console.log(
      `\n${rowsIn} rows read in ${seconds.toFixed(2)} s (${
        Math.round(rowsIn / seconds)
      } rows/s); reports: ${paths.join(", ")}`,
    );
    return 0;
  } catch (e) {
    if (Deno.env.get("BQX_DEBUG")) console.error(e);
    else console.error((e as Error).message);
    return e instanceof UsageError ? 2 : 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
