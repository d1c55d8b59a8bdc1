/**
 * Private: read what a run directory holds (`lib/eval/run.ts` layout) for the report builders —
 * `config.json`, `metrics.json` (rows with null → NaN), `predictions.parquet` split per horizon
 * into typed arrays, and the optional artifacts a run may or may not have (`breakdown.json`, a
 * walk-forward run's `folds.csv` and `fold` column). Reports only read: nothing is recomputed
 * here, nothing is written.
 * @module
 */
import pl from "nodejs-polars";

/** One metric row as read back from metrics.json (known fields typed, extras kept). */
export interface ReportRow {
  horizon: number;
  model: string;
  kind: string;
  [field: string]: unknown;
}

/** A run directory's contents, as the reports use them. */
export interface RunArtifacts {
  /** Run id (directory name). */
  id: string;
  /** config.json (empty object when absent). */
  config: Record<string, unknown>;
  /** "split" (train run), "walkforward", or what config.json says. */
  kind: string;
  dataHash: string;
  /** Segment spans (train/valid/test), when recorded. */
  segments: Record<string, Record<string, unknown>>;
  /** metrics.json rows, nulls as NaN. */
  rows: ReportRow[];
  /** Horizons in row order. */
  horizons: number[];
  /** breakdown.json rows when present. */
  breakdown?: Record<string, unknown>[];
  /** folds.csv text when present. */
  foldsCsv?: string;
}

/** One horizon's test predictions (predictions.parquet rows of that horizon, in file order). */
export interface PredictionBlock {
  horizon: number;
  /** Epoch ms. */
  ts: Float64Array;
  pair: string[];
  y: Float64Array;
  /** Open on the rate-index scale (NaN where unknown). */
  idxOpen: Float64Array;
  /** Walk-forward fold per row, when the file has a `fold` column. */
  fold?: Float64Array;
  /** Forecast per forecaster (metrics.json model names that are columns). */
  forecasts: Record<string, Float64Array>;
  /** Forecaster names, in metrics.json order. */
  names: string[];
}

function readJson(path: string): unknown {
  return JSON.parse(Deno.readTextFileSync(path));
}

function readText(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}

function nullToNaN(o: Record<string, unknown>): void {
  for (const k of Object.keys(o)) if (o[k] === null) o[k] = NaN;
}

/**
 * Read a run directory.
 * @param dir the run directory (`reports/runs/<id>`)
 * @returns its artifacts; throws naming the file when metrics.json is missing or unreadable
 */
export function readRunArtifacts(dir: string): RunArtifacts {
  const id = dir.replace(/\/+$/, "").split("/").pop() ?? dir;
  let summary: Record<string, unknown>;
  try {
    summary = readJson(`${dir}/metrics.json`) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`Cannot read ${dir}/metrics.json: ${(e as Error).message}`);
  }
  const cfgText = readText(`${dir}/config.json`);
  const config = (cfgText ? JSON.parse(cfgText) : (summary.config ?? {})) as Record<
    string,
    unknown
  >;
  if (!Array.isArray(summary.rows)) {
    throw new Error(`Invalid ${dir}/metrics.json: expected a "rows" array`);
  }
  const rows = (summary.rows as Record<string, unknown>[]).map((r) => {
    const o = { ...r };
    nullToNaN(o);
    return o as ReportRow;
  });
  const bdText = readText(`${dir}/breakdown.json`);
  let breakdown: Record<string, unknown>[] | undefined;
  if (bdText) {
    const b = JSON.parse(bdText);
    if (Array.isArray(b)) {
      breakdown = b.map((r: Record<string, unknown>) => {
        const o = { ...r };
        nullToNaN(o);
        return o;
      });
    }
  }
  return {
    id: (summary.id as string) ?? (config.id as string) ?? id,
    config,
    kind: typeof config.kind === "string"
      ? config.kind
      : typeof summary.kind === "string"
      ? summary.kind
      : "split",
    dataHash: String(config.dataHash ?? summary.dataHash ?? ""),
    segments: (config.segments ?? summary.segments ?? {}) as Record<
      string,
      Record<string, unknown>
    >,
    rows,
    horizons: [...new Set(rows.map((r) => r.horizon))],
    breakdown,
    foldsCsv: readText(`${dir}/folds.csv`),
  };
}

function floats(frame: pl.DataFrame, c: string): Float64Array {
  return Float64Array.from(frame.getColumn(c).toArray() as (number | null)[], (v) => v ?? NaN);
}

/**
 * predictions.parquet split per horizon (file order kept: rows come in pair blocks, each in time
 * order, as the run scored them).
 * @param dir the run directory
 * @param names forecaster names to read (those that are columns)
 * @returns one block per horizon, or undefined when the file is absent
 */
export function readPredictions(
  dir: string,
  names: readonly string[],
): PredictionBlock[] | undefined {
  const path = `${dir}/predictions.parquet`;
  try {
    Deno.statSync(path);
  } catch {
    return undefined;
  }
  const frame = pl.readParquet(path);
  const cols = new Set(frame.columns);
  for (const c of ["ts_utc", "pair", "horizon", "y"]) {
    if (!cols.has(c)) throw new Error(`Invalid ${path}: no "${c}" column`);
  }
  const present = names.filter((n) => cols.has(n));
  const horizon = Float64Array.from(frame.getColumn("horizon").toArray() as number[], Number);
  const ts = Float64Array.from(
    frame.getColumn("ts_utc").cast(pl.Int64).toArray() as (number | bigint)[],
    Number,
  );
  const pair = frame.getColumn("pair").toArray() as string[];
  const y = floats(frame, "y");
  const idxOpen = cols.has("idx_open")
    ? floats(frame, "idx_open")
    : new Float64Array(y.length).fill(NaN);
  const fold = cols.has("fold") ? floats(frame, "fold") : undefined;
  const values = Object.fromEntries(present.map((n) => [n, floats(frame, n)]));
  const out: PredictionBlock[] = [];
  for (const h of [...new Set(horizon)]) {
    const rows: number[] = [];
    for (let i = 0; i < horizon.length; i++) if (horizon[i] === h) rows.push(i);
    const pick = (a: Float64Array) => Float64Array.from(rows, (i) => a[i]);
    out.push({
      horizon: h,
      ts: pick(ts),
      pair: rows.map((i) => pair[i]),
      y: pick(y),
      idxOpen: pick(idxOpen),
      fold: fold ? pick(fold) : undefined,
      forecasts: Object.fromEntries(present.map((n) => [n, pick(values[n])])),
      names: present,
    });
  }
  return out;
}
