/**
 * The model-ready dataset (Qlib's handler `fetch` → dataset): one pair's `features` and `targets`
 * tables inner-joined on `ts_utc`, as a Float32 feature {@linkcode Matrix} (NaN for null) plus one
 * Float32Array per target (NaN for null, SPEC §4), and a pooled variant stacking several pairs.
 *
 * Rows: the inner join keeps minutes present in both tables, then `require` decides which rows stay
 * by their targets — "any" (default: usable for at least one chosen target), "all", or "none"
 * (keep every joined row, e.g. for inference). A row is usable for horizon h only where `target_h`
 * is non-null: ask {@linkcode usableRows} per target (it intersects with a segment's rows).
 *
 * Pooled (`loadPooled`): pairs in SPEC order, each block sorted by time, one after the other; the
 * matrix gains a last column `pair_id` = index of the pair in SPEC §1 order (eurgbp = 0 …
 * chfjpy = 27), and `pair` / `pairId` give each row's pair. Split and walk-forward cut pooled rows
 * by TIME, so all pairs share the boundaries. The pooled buffers are sized from the store's
 * partition row counts (an upper bound) and filled pair by pair, so peak memory is about the
 * final matrix plus one pair's frame.
 * @module
 */
import pl from "nodejs-polars";
import { releaseNative } from "../data/_native.ts";
import { PAIRS } from "../data/pairs.ts";
import { HORIZONS } from "../data/schema.ts";
import type { Store } from "../data/store.ts";
import type { Matrix } from "../models/base.ts";

/** One pair's rows. */
export interface PairDataset {
  /** Canonical pair name. */
  pair: string;
  /** Row stamps, epoch ms UTC, strictly increasing. */
  ts: Float64Array;
  /** Features, row-major Float32, NaN = null. */
  x: Matrix;
  /** Per target name, Float32 values, NaN = null. */
  y: Record<string, Float32Array>;
}

/** Several pairs stacked (pairs in SPEC order, each block in time order). */
export interface PooledDataset {
  /** The pairs included, SPEC order. */
  pairs: readonly string[];
  /** Each row's pair. */
  pair: readonly string[];
  /** Each row's pair index in SPEC §1 order (= the `pair_id` column). */
  pairId: Int32Array;
  /** Row stamps, epoch ms UTC (ascending within each pair's block). */
  ts: Float64Array;
  /** Features (+ `pair_id` last unless turned off), row-major Float32, NaN = null. */
  x: Matrix;
  /** Per target name, Float32 values, NaN = null. */
  y: Record<string, Float32Array>;
}

/** Which joined rows are kept, by the nullness of the chosen targets. */
export type RequireTargets = "any" | "all" | "none";

/** Options of {@linkcode loadDataset} and {@linkcode datasetFromFrames}. */
export interface DatasetOptions {
  /** Feature columns, in this order. @default every column of the features table */
  features?: readonly string[];
  /** Target columns (any of `TARGET_COLUMNS`). @default target_15 … target_75 */
  targets?: readonly string[];
  /** Keep rows where any / all / none of the targets must be non-null. @default "any" */
  require?: RequireTargets;
  /** Only these months ("YYYY-MM"). @default all stored */
  months?: readonly string[];
}

/** Options of {@linkcode loadPooled}. */
export interface PooledOptions extends DatasetOptions {
  /** Pairs to stack (put in SPEC order). @default every pair with a features table */
  pairs?: readonly string[];
  /** Append the `pair_id` column to the matrix. @default true */
  pairIdColumn?: boolean;
}

/** The default targets: `target_{h}` for every horizon. */
export const DEFAULT_TARGETS: readonly string[] = HORIZONS.map((h) => `target_${h}`);

/**
 * A pair's dataset from its features and targets frames (both with `ts_utc`, as the lake stores
 * them, or integer epoch ms): inner join on `ts_utc`, keep rows per `require`, convert.
 * @param pair canonical pair name
 * @param features `ts_utc` + feature columns
 * @param targets `ts_utc` + target columns
 * @example
 * ```ts
 * import pl from "nodejs-polars";
 * import { datasetFromFrames } from "./dataset.ts";
 * import assert from "node:assert/strict";
 * const features = pl.DataFrame({ ts_utc: [0, 60_000, 120_000], f: [1, null, 3] });
 * const targets = pl.DataFrame({ ts_utc: [60_000, 120_000, 180_000], target_15: [0.5, null, 2] });
 * const ds = datasetFromFrames("eurusd", features, targets, { targets: ["target_15"] });
 * // joined minutes 60_000 and 120_000; only 60_000 has a target
 * assert.deepEqual([...ds.ts], [60_000]);
 * assert.ok(Number.isNaN(ds.x.data[0]));
 * assert.deepEqual([...ds.y.target_15], [0.5]);
 * ```
 */
export function datasetFromFrames(
  pair: string,
  features: pl.DataFrame,
  targets: pl.DataFrame,
  options: DatasetOptions = {},
): PairDataset {
  const { targets: tnames = DEFAULT_TARGETS, require = "any" } = options;
  const fnames = options.features ?? features.columns.filter((c) => c !== "ts_utc");
  const joined = joinFrames(pair, features, targets, fnames, tnames, require);
  const n = joined.height, cols = fnames.length;
  const out = allocate(n, cols, tnames, false);
  fill(joined, fnames, tnames, out, 0, cols);
  return { pair, ts: out.ts, x: { rows: n, cols, data: out.data, names: [...fnames] }, y: out.y };
}

/**
 * Load one pair's dataset from a store (`features` ⋈ `targets` on `ts_utc`).
 * @param store the lake or PostgreSQL store
 * @param pair canonical pair name
 * @example
 * ```ts
 * import pl from "nodejs-polars";
 * import { LakeStore } from "../data/store.ts";
 * import { TARGET_COLUMNS } from "../data/schema.ts";
 * import { loadDataset } from "./dataset.ts";
 * import assert from "node:assert/strict";
 * const root = await Deno.makeTempDir();
 * const store = new LakeStore(root);
 * const ts = pl.Series("ts_utc", [0, 60_000, 120_000]).cast(pl.Datetime("ms", "UTC"));
 * const f = pl.DataFrame([ts, pl.Series("f", [1, 2, 3], pl.Float32)]);
 * const t = pl.DataFrame([ts, ...TARGET_COLUMNS.slice(1).map((c) => pl.Series(c, [1, 2, null]))]);
 * await store.writePartitions("features", "eurusd", f);
 * await store.writePartitions("targets", "eurusd", t);
 * const ds = await loadDataset(store, "eurusd");
 * assert.equal(ds.x.rows, 2); // the last minute has no target
 * assert.deepEqual(Object.keys(ds.y), ["target_15", "target_30", "target_45", "target_60", "target_75"]);
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export async function loadDataset(
  store: Store,
  pair: string,
  options: DatasetOptions = {},
): Promise<PairDataset> {
  const { features, targets } = await readFrames(store, pair, options);
  return datasetFromFrames(pair, features, targets, options);
}

/**
 * Load several pairs stacked into one dataset with a `pair_id` column (see the module doc).
 * @param store the lake or PostgreSQL store
 * @example
 * ```ts
 * import pl from "nodejs-polars";
 * import { LakeStore } from "../data/store.ts";
 * import { TARGET_COLUMNS } from "../data/schema.ts";
 * import { loadPooled } from "./dataset.ts";
 * import assert from "node:assert/strict";
 * const root = await Deno.makeTempDir();
 * const store = new LakeStore(root);
 * const ts = pl.Series("ts_utc", [0, 60_000]).cast(pl.Datetime("ms", "UTC"));
 * for (const pair of ["usdjpy", "eurusd"]) {
 *   await store.writePartitions("features", pair, pl.DataFrame([ts, pl.Series("f", [1, 2])]));
 *   const t = pl.DataFrame([ts, ...TARGET_COLUMNS.slice(1).map((c) => pl.Series(c, [1, 2]))]);
 *   await store.writePartitions("targets", pair, t);
 * }
 * const ds = await loadPooled(store);
 * assert.deepEqual(ds.pairs, ["eurusd", "usdjpy"]); // SPEC order
 * assert.deepEqual(ds.x.names, ["f", "pair_id"]);
 * assert.deepEqual([...ds.pairId], [3, 3, 24, 24]);
 * assert.deepEqual([...ds.x.data], [1, 3, 2, 3, 1, 24, 2, 24]);
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export async function loadPooled(
  store: Store,
  options: PooledOptions = {},
): Promise<PooledDataset> {
  const { targets: tnames = DEFAULT_TARGETS, require = "any", pairIdColumn = true, months } =
    options;
  const parts = await store.listPartitions("features");
  const stored = new Set(parts.map((p) => p.pair));
  const want = options.pairs ? [...new Set(options.pairs)] : [...stored];
  for (const p of want) {
    if (!PAIRS.includes(p)) throw new RangeError(`Unknown pair "${p}": expected one of SPEC §1`);
    if (!stored.has(p)) {
      throw new Error(`No features for ${p} in ${store.kind} store ${store.location}`);
    }
  }
  const pairs = PAIRS.filter((p) => want.includes(p));
  if (pairs.length === 0) {
    throw new Error(`No features in ${store.kind} store ${store.location}: build features first`);
  }
  // capacity: stored rows (the join and `require` only remove rows)
  let capacity = 0;
  for (const p of parts) {
    if (pairs.includes(p.pair) && (!months || months.includes(p.month))) capacity += p.rows;
  }
  let fnames = options.features;
  let cols = 0;
  let out: Buffers | undefined;
  const rowPair: string[] = [];
  let n = 0;
  for (const pair of pairs) {
    const frames = await readFrames(store, pair, { ...options, features: fnames });
    if (!fnames) fnames = frames.features.columns.filter((c) => c !== "ts_utc");
    const joined = joinFrames(pair, frames.features, frames.targets, fnames, tnames, require);
    const h = joined.height; // a native call: read it once
    cols = fnames.length + (pairIdColumn ? 1 : 0);
    out ??= allocate(capacity, cols, tnames, true);
    if (n + h > out.ts.length) out = grow(out, n + h, cols, tnames);
    fill(joined, fnames, tnames, out, n, cols);
    const id = PAIRS.indexOf(pair);
    for (let i = n; i < n + h; i++) {
      out.pairId![i] = id;
      if (pairIdColumn) out.data[i * cols + cols - 1] = id;
      rowPair.push(pair);
    }
    n += h;
    await releaseNative();
  }
  const fin = trim(out!, n, cols, tnames);
  return {
    pairs,
    pair: rowPair,
    pairId: fin.pairId!,
    ts: fin.ts,
    x: {
      rows: n,
      cols,
      data: fin.data,
      names: pairIdColumn ? [...fnames!, "pair_id"] : [...fnames!],
    },
    y: fin.y,
  };
}

/**
 * Rows usable for one target: its value is non-null (non-NaN), optionally within a segment's rows.
 * @param ds a pair or pooled dataset
 * @param target a target name of `ds.y`
 * @param rows restrict to these rows (e.g. `split(…).train.rows`) @default all rows
 * @example
 * ```ts
 * import { usableRows } from "./dataset.ts";
 * import assert from "node:assert/strict";
 * const y = { target_15: new Float32Array([1, NaN, 3, 4]) };
 * const ds = { pair: "eurusd", ts: new Float64Array(4), x: { rows: 4, cols: 0, data: new Float32Array(), names: [] }, y };
 * assert.deepEqual([...usableRows(ds, "target_15")], [0, 2, 3]);
 * assert.deepEqual([...usableRows(ds, "target_15", new Int32Array([1, 2]))], [2]);
 * ```
 */
export function usableRows(
  ds: PairDataset | PooledDataset,
  target: string,
  rows?: ArrayLike<number>,
): Int32Array {
  const y = ds.y[target];
  if (!y) {
    throw new RangeError(
      `Unknown target "${target}": the dataset has ${Object.keys(ds.y).join(", ")}`,
    );
  }
  const n = rows ? rows.length : y.length;
  const out = new Int32Array(n);
  let k = 0;
  for (let i = 0; i < n; i++) {
    const r = rows ? rows[i] : i;
    if (y[r] === y[r]) out[k++] = r;
  }
  return out.slice(0, k);
}

/**
 * The sub-dataset of the given rows, in that order (copies): what a model fits or predicts on.
 * @param ds a pair or pooled dataset
 * @param rows row indices, e.g. a segment's rows or {@linkcode usableRows}
 * @example
 * ```ts
 * import { take } from "./dataset.ts";
 * import assert from "node:assert/strict";
 * const x = { rows: 3, cols: 2, names: ["a", "b"], data: new Float32Array([1, 2, 3, 4, 5, 6]) };
 * const ds = { pair: "eurusd", ts: new Float64Array([0, 1, 2]), x, y: { t: new Float32Array([7, 8, 9]) } };
 * const sub = take(ds, new Int32Array([2, 0]));
 * assert.deepEqual([...sub.x.data], [5, 6, 1, 2]);
 * assert.deepEqual([...sub.y.t], [9, 7]);
 * ```
 */
export function take<D extends PairDataset | PooledDataset>(ds: D, rows: ArrayLike<number>): D {
  const { cols, data, names } = ds.x;
  const n = rows.length;
  const out = new Float32Array(n * cols);
  const ts = new Float64Array(n);
  const y: Record<string, Float32Array> = {};
  for (const k of Object.keys(ds.y)) y[k] = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    if (!(r >= 0 && r < ds.x.rows)) {
      throw new RangeError(`Expected rows in 0..${ds.x.rows - 1} but found ${r} at ${i}`);
    }
    out.set(data.subarray(r * cols, r * cols + cols), i * cols);
    ts[i] = ds.ts[r];
    for (const k in y) y[k][i] = ds.y[k][r];
  }
  const x: Matrix = { rows: n, cols, data: out, names };
  if ("pairs" in ds) {
    const pairId = new Int32Array(n);
    const pair: string[] = new Array(n);
    for (let i = 0; i < n; i++) {
      pairId[i] = ds.pairId[rows[i]];
      pair[i] = ds.pair[rows[i]];
    }
    return { pairs: ds.pairs, pair, pairId, ts, x, y } as unknown as D;
  }
  return { pair: (ds as PairDataset).pair, ts, x, y } as unknown as D;
}

// ---------------------------------------------------------------------------------------------

interface Buffers {
  ts: Float64Array;
  data: Float32Array;
  y: Record<string, Float32Array>;
  pairId?: Int32Array;
}

async function readFrames(
  store: Store,
  pair: string,
  options: DatasetOptions,
): Promise<{ features: pl.DataFrame; targets: pl.DataFrame }> {
  const { months, features: fnames, targets: tnames = DEFAULT_TARGETS } = options;
  const read = async (table: string, columns?: readonly string[]) => {
    try {
      return await store.readTable(table, pair, { months, columns });
    } catch (e) {
      const what = columns
        ? ` (columns ${columns.slice(0, 5).join(", ")}${columns.length > 5 ? ", …" : ""})`
        : "";
      throw new Error(`Cannot read ${table} of ${pair}${what}: ${(e as Error).message}`);
    }
  };
  return { features: await read("features", fnames), targets: await read("targets", tnames) };
}

/** Normalize ts_utc to Int64 epoch ms. */
function msColumn(df: pl.DataFrame): pl.Expr {
  const dt = df.getColumn("ts_utc").dtype;
  const c = pl.col("ts_utc");
  return (dt.equals(pl.Datetime("ms", "UTC")) || String(dt).startsWith("Datetime")
    ? c.cast(pl.Datetime("ms", "UTC")).cast(pl.Int64)
    : c.cast(pl.Int64)).alias("ts_utc");
}

function joinFrames(
  pair: string,
  features: pl.DataFrame,
  targets: pl.DataFrame,
  fnames: readonly string[],
  tnames: readonly string[],
  require: RequireTargets,
): pl.DataFrame {
  if (require !== "any" && require !== "all" && require !== "none") {
    throw new RangeError(`Invalid require "${require}": expected "any", "all" or "none"`);
  }
  if (tnames.length === 0 && require !== "none") {
    throw new RangeError(`Expected at least one target with require "${require}" but found none`);
  }
  for (
    const [df, names, what] of [[features, fnames, "feature"], [targets, tnames, "target"]] as const
  ) {
    if (!df.columns.includes("ts_utc")) {
      throw new Error(`Missing ts_utc in the ${what}s of ${pair}`);
    }
    const have = new Set(df.columns);
    const missing = names.filter((c) => !have.has(c));
    if (missing.length) {
      throw new RangeError(
        `Unknown ${what} column(s) ${missing.slice(0, 5).join(", ")} for ${pair}`,
      );
    }
  }
  const clash = fnames.find((f) => tnames.includes(f));
  if (clash) throw new RangeError(`Column "${clash}" is both a feature and a target`);
  const f = features.select(msColumn(features), ...fnames);
  const t = targets.select(msColumn(targets), ...tnames);
  let joined = f.join(t, { on: "ts_utc", how: "inner" }).sort("ts_utc");
  if (require !== "none") {
    const ok = tnames.map((c) =>
      pl.col(c).cast(pl.Float64).isNotNull().and(pl.col(c).cast(pl.Float64).isNotNan())
    );
    const keep = ok.reduce((a, b) => (require === "any" ? a.or(b) : a.and(b)));
    joined = joined.filter(keep);
  }
  const ts = joined.getColumn("ts_utc").cast(pl.Float64).toTypedArray() as Float64Array;
  for (let i = 1; i < ts.length; i++) {
    if (!(ts[i] > ts[i - 1])) {
      throw new Error(`Duplicate ts_utc ${new Date(ts[i]).toISOString()} in the tables of ${pair}`);
    }
  }
  return joined;
}

function allocate(n: number, cols: number, tnames: readonly string[], pooled: boolean): Buffers {
  const y: Record<string, Float32Array> = {};
  for (const t of tnames) y[t] = new Float32Array(n);
  return {
    ts: new Float64Array(n),
    data: new Float32Array(n * cols),
    y,
    ...(pooled ? { pairId: new Int32Array(n) } : {}),
  };
}

function grow(b: Buffers, need: number, cols: number, tnames: readonly string[]): Buffers {
  const cap = Math.max(need, Math.ceil(b.ts.length * 1.5));
  const g = allocate(cap, cols, tnames, b.pairId !== undefined);
  g.ts.set(b.ts);
  g.data.set(b.data);
  for (const t of tnames) g.y[t].set(b.y[t]);
  if (b.pairId) g.pairId!.set(b.pairId);
  return g;
}

/** Cut buffers to n rows: a view when little is wasted, else a compact copy. */
function trim(b: Buffers, n: number, cols: number, tnames: readonly string[]): Buffers {
  const cap = b.ts.length;
  if (n === cap) return b;
  const view = cap - n <= cap * 0.05;
  const cut = <T extends Float32Array | Float64Array | Int32Array>(a: T, len: number): T =>
    (view ? a.subarray(0, len) : a.slice(0, len)) as T;
  const y: Record<string, Float32Array> = {};
  for (const t of tnames) y[t] = cut(b.y[t], n);
  return {
    ts: cut(b.ts, n),
    data: cut(b.data, n * cols),
    y,
    ...(b.pairId ? { pairId: cut(b.pairId, n) } : {}),
  };
}

/** Write a joined frame's rows into the buffers from row `offset` (row stride `cols`). */
function fill(
  joined: pl.DataFrame,
  fnames: readonly string[],
  tnames: readonly string[],
  out: Buffers,
  offset: number,
  cols: number,
): void {
  const n = joined.height;
  out.ts.set(joined.getColumn("ts_utc").cast(pl.Float64).toTypedArray() as Float64Array, offset);
  const nan32 = pl.lit(NaN).cast(pl.Float32);
  const f32 = (c: string) =>
    joined.select(pl.col(c).cast(pl.Float32).fillNull(nan32)).getColumn(c)
      .toTypedArray() as Float32Array;
  const data = out.data;
  for (let j = 0; j < fnames.length; j++) {
    const v = f32(fnames[j]);
    let o = offset * cols + j;
    for (let i = 0; i < n; i++, o += cols) data[o] = v[i];
  }
  for (const t of tnames) out.y[t].set(f32(t), offset);
}
