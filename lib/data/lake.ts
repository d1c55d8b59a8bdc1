/**
 * The lake: the embedded default store, Parquet partitions at
 * `<root>/<table>/pair=<pair>/month=<YYYY-MM>.parquet` plus `<root>/manifest.json`
 * (partition list, row counts, SHA-256 of each file, build parameters).
 *
 * Why Parquet per pair-month: it mirrors the original PostgreSQL layout (monthly range partitions
 * per pair, SPEC §8), lets a month be replaced on its own, and reads back columnar and typed.
 *
 * Every write is temp-file-then-rename (POSIX rename is atomic on one file system): a crash
 * mid-write leaves the previous partition and the previous manifest intact. A partition whose bytes
 * are identical to the stored one is left alone, so re-ingesting the same data is idempotent.
 * @module
 */
import pl from "nodejs-polars";
import { createHash } from "node:crypto";
import { monthOf, type TableName, TABLES } from "./schema.ts";

/** One stored partition as the manifest records it. */
export interface PartitionEntry {
  table: string;
  pair: string;
  month: string;
  /** Path relative to the lake root. */
  path: string;
  rows: number;
  /**
   * SHA-256 (hex) of the Parquet file, of the data when `hash_of` is "data", or of everything the
   * partition is derived from (inputs' hashes, code, parameters) when `hash_of` is "inputs".
   */
  sha256: string;
  /** What `sha256` covers: the file bytes (default), the raw column data, or the inputs. */
  hash_of?: "file" | "data" | "inputs";
  /** First and last `ts_utc` (ISO). */
  first: string | null;
  last: string | null;
  /** Parameters of the step that built it (source file, seed, base date…). */
  params: Record<string, unknown>;
  written_at: string;
}

/** The manifest file. */
export interface Manifest {
  version: 1;
  partitions: PartitionEntry[];
}

/** Relative path of a partition. */
export function partitionPath(table: string, pair: string, month: string): string {
  return `${table}/pair=${pair}/month=${month}.parquet`;
}

/** Read the manifest (an empty one when the lake does not exist yet). */
export function readManifest(root: string): Manifest {
  try {
    const m = JSON.parse(Deno.readTextFileSync(`${root}/manifest.json`));
    if (m?.version !== 1 || !Array.isArray(m.partitions)) {
      throw new Error(
        `Invalid manifest ${root}/manifest.json: expected {version: 1, partitions: [...]}`,
      );
    }
    return m;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { version: 1, partitions: [] };
    throw e;
  }
}

let tmpCounter = 0;
/** A fresh temp path beside `path` (same directory, so the final rename is atomic). */
export function tempPathFor(path: string): string {
  const dir = path.slice(0, path.lastIndexOf("/"));
  if (dir) Deno.mkdirSync(dir, { recursive: true });
  return `${path}.${Deno.pid}.${tmpCounter++}.tmp`;
}

/**
 * fsync an already written temp file (unless the caller already did: `synced`), then rename it
 * over `path`; removes the temp on failure.
 */
export function commitTemp(tmp: string, path: string, synced = false): void {
  try {
    if (!synced) {
      const f = Deno.openSync(tmp, { read: true, write: true });
      try {
        f.syncSync();
      } finally {
        f.close();
      }
    }
    Deno.renameSync(tmp, path);
  } catch (e) {
    try {
      Deno.removeSync(tmp);
    } catch { /* already gone */ }
    throw e;
  }
}

/** Write bytes to `path` atomically: a temp file in the same directory, fsync, then rename. */
export function atomicWrite(path: string, bytes: Uint8Array | string): void {
  const tmp = tempPathFor(path);
  try {
    const f = Deno.openSync(tmp, { write: true, create: true, truncate: true });
    try {
      const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
      let off = 0;
      while (off < data.length) off += f.writeSync(data.subarray(off));
      f.syncSync();
    } finally {
      f.close();
    }
    Deno.renameSync(tmp, path);
  } catch (e) {
    try {
      Deno.removeSync(tmp);
    } catch { /* already gone */ }
    throw e;
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function writeManifest(root: string, m: Manifest): void {
  m.partitions.sort((a, b) =>
    a.table.localeCompare(b.table) || a.pair.localeCompare(b.pair) || a.month.localeCompare(b.month)
  );
  atomicWrite(`${root}/manifest.json`, JSON.stringify(m, null, 1) + "\n");
}

function checkColumns(table: TableName, frame: pl.DataFrame): void {
  const want = TABLES[table];
  const have = frame.columns;
  const missing = want.filter((c) => !have.includes(c));
  if (missing.length) {
    throw new Error(`Cannot write table ${table}: missing column(s) ${missing.join(", ")}`);
  }
}

/**
 * Month runs of sorted epoch-ms stamps: `[month, start, end)` row ranges. One pass comparing numbers
 * with the next month's start (no Date object per row).
 * @example
 * ```ts
 * import { monthBounds } from "./lake.ts";
 * import assert from "node:assert/strict";
 * const ms = new Float64Array([Date.UTC(2024, 0, 31, 23), Date.UTC(2024, 1, 1), Date.UTC(2024, 1, 2)]);
 * assert.deepEqual(monthBounds(ms), [["2024-01", 0, 1], ["2024-02", 1, 3]]);
 * ```
 */
export function monthBounds(ms: Float64Array): [string, number, number][] {
  const bounds: [string, number, number][] = [];
  let start = 0;
  while (start < ms.length) {
    const month = monthOf(ms[start]);
    const [y, m] = month.split("-").map(Number);
    const end = Date.UTC(y, m, 1); // first instant of the next month
    let i = start + 1;
    while (i < ms.length && ms[i] < end) i++;
    bounds.push([month, start, i]);
    start = i;
  }
  return bounds;
}

/** Options of {@linkcode writePartitions}. */
export interface WriteOptions {
  /** Build parameters recorded in the manifest. @default {} */
  params?: Record<string, unknown>;
  /**
   * SHA-256 of the frame's raw data, computed by the caller (one-month frames only). When given,
   * it is the idempotency key: an identical stored partition is skipped before any encoding, and the
   * file is never read back for hashing (the wide features table uses it). @default file hash
   */
  contentHash?: string;
}

/** What a write did, per month. */
export interface WriteResult {
  month: string;
  rows: number;
  /** "written" (new or changed) or "unchanged" (identical bytes already stored). */
  status: "written" | "unchanged";
}

/**
 * Split a frame of one pair by UTC month of `ts_utc` and store each month, replacing that month's
 * partition atomically. Rows are stored sorted by `ts_utc`, with the table's columns in order.
 * @param root lake root directory
 * @param table "m1" | "bqx" | "targets" (or any extra table name whose columns are not checked)
 * @param pair canonical pair
 * @param frame rows of that pair, any months
 */
export function writePartitions(
  root: string,
  table: string,
  pair: string,
  frame: pl.DataFrame,
  options: WriteOptions = {},
): WriteResult[] {
  const { params = {}, contentHash } = options;
  if (table in TABLES) checkColumns(table as TableName, frame);
  const cols = table in TABLES ? [...TABLES[table as TableName]] : frame.columns;
  if (frame.height === 0) return [];
  // sort only when needed: re-sorting an already sorted wide frame copies every column
  const selected = frame.select(...cols);
  let ms = selected.getColumn("ts_utc").cast(pl.Float64).toTypedArray() as Float64Array;
  let ordered = true;
  for (let i = 1; i < ms.length && ordered; i++) ordered = ms[i - 1] <= ms[i];
  const sorted = ordered ? selected : selected.sort("ts_utc");
  if (!ordered) ms = sorted.getColumn("ts_utc").cast(pl.Float64).toTypedArray() as Float64Array;
  const bounds = monthBounds(ms);

  if (contentHash !== undefined && bounds.length !== 1) {
    throw new RangeError(
      `Invalid contentHash: the frame spans ${bounds.length} months, expected one`,
    );
  }
  // polars writes a file path several times faster than it fills a JS buffer
  return commitMonths(
    root,
    table,
    pair,
    bounds.map(([month, a, b]) => ({
      month,
      rows: b - a,
      firstMs: ms[a],
      lastMs: ms[b - 1],
      contentHash,
      encode: (path: string) => sorted.slice(a, b - a).writeParquet(path, { compression: "lz4" }),
    })),
    params,
  );
}

/** Whether a regular file exists at `path`. */
function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** One month to store: its rows' span and a function that writes the Parquet file to a path. */
export interface MonthPart {
  month: string;
  rows: number;
  firstMs: number;
  lastMs: number;
  /**
   * Write the partition file to `path` (a temp file beside the final one). It may finish the
   * write asynchronously (return a promise) once it no longer needs its inputs; such a part needs
   * a `contentHash` and is committed by {@linkcode finishMonthsAsync}, which awaits the write.
   */
  encode: (path: string) => void | Promise<unknown>;
  /** Caller's idempotency key; when absent the file's SHA-256 is used. */
  contentHash?: string;
  /** What `contentHash` covers. @default "data" */
  hashOf?: "data" | "inputs";
}

/** Month partitions encoded to temp files, not yet durable nor visible ({@linkcode stageMonths}). */
export interface StagedMonths {
  root: string;
  table: string;
  pair: string;
  params: Record<string, unknown>;
  parts: { part: MonthPart; rel: string; tmp: string; hash: string }[];
  /** Asynchronous encodes still writing (awaited by {@linkcode finishMonthsAsync}). */
  pending: Promise<unknown>[];
  /** Set once `pending` has been awaited. */
  settled?: boolean;
}

/**
 * Encode each month to a temp file (no fsync) and hash it, outside the lock; a part whose
 * `contentHash` matches the manifest is not even encoded. Nothing is visible until
 * {@linkcode finishMonths} / {@linkcode finishMonthsAsync}.
 */
export function stageMonths(
  root: string,
  table: string,
  pair: string,
  parts: readonly MonthPart[],
  params: Record<string, unknown> = {},
): StagedMonths {
  // the pre-check reads the manifest once (the authoritative compare is repeated under the lock)
  const before = readManifest(root).partitions.filter((p) => p.table === table && p.pair === pair);
  const stored = (month: string) => before.find((p) => p.month === month);
  const out: StagedMonths = { root, table, pair, params, parts: [], pending: [] };
  try {
    for (const part of parts) {
      const rel = partitionPath(table, pair, part.month);
      if (
        part.contentHash !== undefined && stored(part.month)?.sha256 === part.contentHash &&
        isFile(`${root}/${rel}`)
      ) {
        out.parts.push({ part, rel, tmp: "", hash: part.contentHash }); // unchanged: not encoded
        continue;
      }
      const tmp = tempPathFor(`${root}/${rel}`);
      out.parts.push({ part, rel, tmp, hash: "" });
      const done = part.encode(tmp);
      if (done instanceof Promise) {
        done.catch(() => {}); // awaited (and reported) by finishMonthsAsync
        out.pending.push(done);
        if (part.contentHash === undefined) {
          throw new Error(
            `${table}/${pair}/${part.month}: an asynchronous encode needs a contentHash`,
          );
        }
      }
      out.parts[out.parts.length - 1].hash = part.contentHash ?? sha256(Deno.readFileSync(tmp));
    }
  } catch (e) {
    discardStaged(out);
    throw e;
  }
  return out;
}

/**
 * Make staged months durable and visible: under the manifest lock, keep identical partitions,
 * fsync + rename the others (skipping the fsync when `synced`) and update the manifest.
 */
export function finishMonths(staged: StagedMonths, synced = false): WriteResult[] {
  const { root, table, pair, params } = staged;
  if (staged.pending.length && !staged.settled) {
    throw new Error(`${table}/${pair}: asynchronous writes pending, use finishMonthsAsync`);
  }
  return withManifestLock(root, () => {
    const manifest = readManifest(root);
    const results: WriteResult[] = [];
    for (const { part, rel, tmp, hash } of staged.parts) {
      const { month, rows } = part;
      const idx = manifest.partitions.findIndex((p) =>
        p.table === table && p.pair === pair && p.month === month
      );
      const prev = idx >= 0 ? manifest.partitions[idx] : undefined;
      const exists = isFile(`${root}/${rel}`);
      if (prev && prev.sha256 === hash && exists) {
        if (tmp) Deno.removeSync(tmp);
        results.push({ month, rows, status: "unchanged" });
        continue;
      }
      if (!tmp) {
        // the manifest matched before encoding but the file vanished meanwhile: encode now
        const t2 = tempPathFor(`${root}/${rel}`);
        if (part.encode(t2) instanceof Promise) {
          // its inputs may be gone by now (a feature build reuses them for the next pair)
          Deno.removeSync(t2);
          throw new Error(`${root}/${rel} vanished while being rebuilt: run the build again`);
        }
        commitTemp(t2, `${root}/${rel}`);
      } else commitTemp(tmp, `${root}/${rel}`, synced);
      const entry: PartitionEntry = {
        table,
        pair,
        month,
        path: rel,
        rows,
        sha256: hash,
        ...(part.contentHash !== undefined ? { hash_of: part.hashOf ?? "data" } : {}),
        first: new Date(part.firstMs).toISOString(),
        last: new Date(part.lastMs).toISOString(),
        params,
        written_at: new Date().toISOString(),
      };
      if (idx >= 0) manifest.partitions[idx] = entry;
      else manifest.partitions.push(entry);
      results.push({ month, rows, status: "written" });
    }
    if (results.some((r) => r.status === "written")) writeManifest(root, manifest);
    return results;
  });
}

/**
 * {@linkcode finishMonths} with the fsyncs done asynchronously first (off the JS thread), so a
 * caller can stage one pair, start this, and compute the next pair while the disk catches up.
 * On failure every temp file is removed.
 */
export async function finishMonthsAsync(staged: StagedMonths): Promise<WriteResult[]> {
  try {
    await Promise.all(staged.pending);
    staged.settled = true;
    await Promise.all(
      staged.parts.filter((p) => p.tmp).map(async ({ tmp }) => {
        const f = await Deno.open(tmp, { read: true, write: true });
        try {
          await f.sync();
        } finally {
          f.close();
        }
      }),
    );
  } catch (e) {
    discardStaged(staged);
    throw e;
  }
  return finishMonths(staged, true);
}

/**
 * Remove the temp files of staged months (after an error); again once any asynchronous write
 * still running has ended (it could recreate its file).
 */
export function discardStaged(staged: StagedMonths): void {
  if (staged.pending.length && !staged.settled) {
    staged.settled = true;
    Promise.allSettled(staged.pending).then(() => discardStaged(staged));
  }
  for (const { tmp } of staged.parts) {
    if (!tmp) continue;
    try {
      Deno.removeSync(tmp);
    } catch { /* gone */ }
  }
}

/**
 * Store month partitions: {@linkcode stageMonths} (encode and hash each to a temp file outside the
 * lock) then {@linkcode finishMonths} (under the manifest lock, keep identical partitions, fsync +
 * rename the others and update the manifest).
 */
export function commitMonths(
  root: string,
  table: string,
  pair: string,
  parts: readonly MonthPart[],
  params: Record<string, unknown> = {},
): WriteResult[] {
  const staged = stageMonths(root, table, pair, parts, params);
  try {
    return finishMonths(staged);
  } catch (e) {
    discardStaged(staged);
    throw e;
  }
}

/** A lock file older than this is considered abandoned by a crashed writer. */
const STALE_LOCK_MS = 120_000;

/**
 * Run `fn` holding `<root>/manifest.lock`, so concurrent writers (build workers, two CLIs) never
 * lose each other's manifest updates. The lock is an exclusively created file; a lock left by a
 * crashed process is taken over once it is older than two minutes.
 */
export function withManifestLock<T>(root: string, fn: () => T): T {
  Deno.mkdirSync(root, { recursive: true });
  const lock = `${root}/manifest.lock`;
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  for (let attempt = 0;; attempt++) {
    try {
      Deno.writeTextFileSync(lock, `${Deno.pid}\n`, { createNew: true });
      break;
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
      try {
        if (Date.now() - (Deno.statSync(lock).mtime?.getTime() ?? Date.now()) > STALE_LOCK_MS) {
          Deno.removeSync(lock);
          continue;
        }
      } catch { /* released meanwhile */ }
      Atomics.wait(sleeper, 0, 0, Math.min(50, 1 + attempt));
    }
  }
  try {
    return fn();
  } finally {
    Deno.removeSync(lock);
  }
}

/** Options of {@linkcode readTable}. */
export interface ReadOptions {
  /** Only these months ("YYYY-MM"); all stored months when omitted. */
  months?: readonly string[];
  /** Only these columns (plus `ts_utc`). */
  columns?: readonly string[];
}

/** The partitions stored for a table (and pair), from the manifest, sorted by month. */
export function listPartitions(root: string, table?: string, pair?: string): PartitionEntry[] {
  return readManifest(root).partitions.filter((p) =>
    (table === undefined || p.table === table) && (pair === undefined || p.pair === pair)
  );
}

/** Pairs with at least one partition of `table`. */
export function listPairs(root: string, table = "m1"): string[] {
  return [...new Set(listPartitions(root, table).map((p) => p.pair))].sort();
}

/**
 * Read one pair's table across months into one frame sorted by `ts_utc`.
 * Throws naming the table and pair when nothing is stored.
 */
export function readTable(
  root: string,
  table: string,
  pair: string,
  options: ReadOptions = {},
): pl.DataFrame {
  const { months, columns } = options;
  const parts = listPartitions(root, table, pair).filter((p) =>
    !months || months.includes(p.month)
  );
  if (parts.length === 0) {
    throw new Error(
      `No ${table} partitions for ${pair} in lake ${root}${
        months ? ` (months ${months.join(",")})` : ""
      }`,
    );
  }
  // only the asked columns are decoded (the bqx table has 25 value columns; the market reads one)
  const want = columns ? ["ts_utc", ...columns.filter((c) => c !== "ts_utc")] : undefined;
  const frames = parts.map((p) => {
    const path = `${root}/${p.path}`;
    if (!want) return pl.readParquet(path);
    try {
      return pl.readParquet(path, { columns: want }).select(...want);
    } catch (e) {
      throw new Error(
        `Cannot read column(s) ${want.join(", ")} of ${path}: ${(e as Error).message}`,
      );
    }
  });
  return (frames.length === 1 ? frames[0] : pl.concat(frames, { how: "vertical" })).sort("ts_utc");
}
