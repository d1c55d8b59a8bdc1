/**
 * Run feature families over one pair: collect every family's columns through a checked sink (each
 * column written once, exactly the names its `specs()` promised), and hand them back as Float32
 * arrays (the storage type, SPEC allows it: features are noisy statistics, 7 significant digits are
 * plenty, and it halves memory and disk). NaN stays NaN here; the frame builder turns it into null.
 *
 * @example
 * ```ts
 * import { computePair } from "./compute.ts";
 * import type { FeatureFamily } from "./_types.ts";
 * import assert from "node:assert/strict";
 * const double: FeatureFamily = {
 *   name: "double",
 *   specs: () => [{ name: "idx_double", family: "double", domain: "idx", scope: "primary", params: {}, warmup: 0 }],
 *   compute: (s, ctx, out) => { const o = out("idx_double"); for (let t = ctx.from; t < s.n; t++) o[t] = 2 * s.close[t]; },
 * };
 * const s = { pair: "eurusd", n: 2, close: new Float64Array([100, 101]) } as never;
 * const r = computePair(s, { families: [double] });
 * assert.deepEqual([...r.columns[0]], [200, 202]);
 * ```
 * @module
 */
import { PAIRS } from "../data/pairs.ts";
import type { FeatureFamily, FeatureSpec, Market, PairSeries } from "./_types.ts";

/** Options of {@linkcode computePair}. */
export interface ComputeOptions {
  /** Families to run, in order. */
  families: readonly FeatureFamily[];
  /** Aligned market for cross-sectional families. @default undefined */
  market?: Market;
  /** First row to compute (the live path passes n − 1). @default 0 */
  from?: number;
  /** Keep whole columns ("all") or only their last row ("last", the live path). @default "all" */
  keep?: "all" | "last";
  /**
   * Batch only: return the Float32 columns as views of buffers this module keeps and hands out
   * again on the next `reuse` call — valid until then. The feature build stores a pair before
   * computing the next, and reusing touched memory saves allocating and page-faulting ~1 GB per
   * pair. @default false (fresh arrays)
   */
  reuse?: boolean;
  /**
   * Replace ±Infinity (a family's contract breach) by NaN and count it per column. The feature
   * build passes false and lets its quality pass, which reads every value anyway, do it.
   * @default true
   */
  scan?: boolean;
  /**
   * Also gather per-column nulls and min/max while storing ({@linkcode PairFeatures.stats}; implies
   * the ±Infinity scan). @default false
   */
  stats?: boolean;
}

/** Columns of one pair, parallel to `specs` (length n, or 1 with `keep: "last"`). */
export interface PairFeatures {
  pair: string;
  specs: FeatureSpec[];
  columns: Float32Array[];
  /** Per column: ±Infinity values the family produced (stored as null; a contract breach; 0 when not scanned). */
  infinities: number[];
  /** Seconds per family. */
  seconds: Record<string, number>;
  /** With `keep: "last"`: the row vector itself (`columns[j]` is a view of element j). */
  row?: Float32Array;
  /**
   * Per column, with `stats: true`: nulls (±Infinity included), min and max of the stored values,
   * and the row of the last null (−1 when none; warm-up nulls come first, so the Parquet writer
   * need not look for nulls after it).
   */
  stats?: { nulls: number[]; min: number[]; max: number[]; lastNull: number[] };
}

/**
 * Store rows `off…` of a family's column into its Float32 storage `dst` (`src` may be `dst`
 * itself), replacing ±Infinity by NaN and counting it (`scan`), and with `stats` also counting
 * nulls and taking min/max of the stored values in the same pass (the quality report's figures,
 * without a second pass over ~8G values in a full build).
 */
function storeColumn(
  src: Float64Array | Float32Array,
  off: number,
  dst: Float32Array,
  scan: boolean,
  stats: boolean,
): { inf: number; nulls: number; min: number; max: number; lastNull: number } {
  const len = dst.length;
  let inf = 0, nulls = 0, min = Infinity, max = -Infinity, lastNull = -1;
  if (stats && src === dst) {
    // direct Float32 storage: read only (no write-back), ±Infinity (a contract breach) replaced
    for (let i = 0; i < len; i++) {
      const v = dst[i];
      if (v < min) min = v;
      if (v > max) max = v;
      if (v !== v) {
        nulls++;
        lastNull = i;
      }
    }
    if (min === -Infinity || max === Infinity) {
      min = Infinity;
      max = -Infinity;
      for (let i = 0; i < len; i++) {
        const v = dst[i];
        if (v === Infinity || v === -Infinity) {
          dst[i] = NaN;
          nulls++;
          inf++;
          lastNull = Math.max(lastNull, i);
        } else if (v === v) {
          if (v < min) min = v;
          if (v > max) max = v;
        }
      }
    }
  } else if (stats) {
    for (let i = 0; i < len; i++) {
      const v = src[off + i];
      if (v !== v) {
        dst[i] = NaN;
        nulls++;
        lastNull = i;
      } else if (v === Infinity || v === -Infinity) {
        dst[i] = NaN;
        nulls++;
        inf++;
        lastNull = i;
      } else {
        const w = Math.fround(v);
        dst[i] = w;
        if (w < min) min = w;
        if (w > max) max = w;
      }
    }
  } else if (scan) {
    for (let i = 0; i < len; i++) {
      const v = src[off + i];
      if (v === Infinity || v === -Infinity) {
        dst[i] = NaN;
        inf++;
      } else if (src !== dst) dst[i] = v;
    }
  } else if (src !== dst) dst.set(off ? src.subarray(off) : src);
  return { inf, nulls, min, max, lastNull };
}

/**
 * Live path: rows before `from` that are reset too. Families may read back a few rows of their own
 * columns before `from` (regression's 60-row residual statistics over 64-aligned fits: ≤ 123 rows);
 * a row a kernel skips (window too short or holding NaN) must read NaN there, not a stale value.
 */
const LIVE_BACKFILL = 128;

const scratchPool: Float64Array[] = [];
/** The k-th reusable column of length n (reallocated when n changes). */
function scratch(k: number, n: number): Float64Array {
  if (scratchPool[k]?.length !== n) scratchPool[k] = new Float64Array(n);
  return scratchPool[k];
}

/**
 * Batch sinks: Float64 columns handed to families, recycled once a family's columns are converted
 * (except arrays a family published in `ctx.shared` for a later family, which live until the pair
 * is done). Buffers keep their capacity and are handed out as `subarray(0, n)`.
 */
const sinkPool: Float64Array[] = [];
/**
 * Most Float64 sinks kept between families (~3 MB each on a year of bars): more than the widest
 * family holds at once (about 60 now that regression and lags write most of their columns as
 * Float32 directly), so after the first pair no sink is allocated again — fresh memory costs page
 * faults (sys time). The pool only ever holds sinks that were in use together.
 */
const SINK_POOL_MAX = 256;
/** Float32 outputs of {@linkcode ComputeOptions.reuse} calls. */
const outputPool: Float32Array[] = [];
let lastOutputs: Float32Array[] = [];

function fromPool<T extends Float64Array | Float32Array>(
  pool: T[],
  n: number,
  make: (n: number) => T,
): T {
  for (let i = pool.length - 1; i >= 0; i--) {
    if (pool[i].length >= n) {
      const b = pool[i];
      pool[i] = pool[pool.length - 1];
      pool.pop();
      return b.subarray(0, n) as T;
    }
  }
  // none is long enough: drop one too-short buffer (so the pool never outgrows the buffers in
  // use at once) and allocate with 2 % headroom, as the next pair is usually about as long
  pool.pop();
  return make(Math.ceil(n * 1.02)).subarray(0, n) as T;
}

/** The whole buffer behind a pooled view. */
function whole<T extends Float64Array | Float32Array>(a: T, ctor: new (b: ArrayBuffer) => T): T {
  return a.byteOffset === 0 && a.byteLength === a.buffer.byteLength
    ? a
    : new ctor(a.buffer as ArrayBuffer);
}

/** Typed arrays held in `shared` (directly or one object level deep). */
function sharedArrays(shared: Map<string, unknown>): Set<ArrayBufferLike> {
  const held = new Set<ArrayBufferLike>();
  for (const v of shared.values()) {
    if (ArrayBuffer.isView(v)) held.add(v.buffer);
    else if (v && typeof v === "object") {
      for (const w of Object.values(v)) if (ArrayBuffer.isView(w)) held.add(w.buffer);
    }
  }
  return held;
}

/** A family's specs for one pair and set of present pairs, with each name's index. */
interface FamilySpecs {
  specs: FeatureSpec[];
  index: Map<string, number>;
}
const specCache = new WeakMap<FeatureFamily, Map<string, FamilySpecs>>();
/** A family's specs for a pair and set of present pairs, built once (the live path asks every minute). */
function specsOf(fam: FeatureFamily, pair: string, present: readonly string[]): FamilySpecs {
  let m = specCache.get(fam);
  if (!m) specCache.set(fam, m = new Map());
  const key = `${pair}|${presentKey(present)}`;
  let s = m.get(key);
  if (!s) {
    const specs = fam.specs(pair, present);
    m.set(key, s = { specs, index: new Map(specs.map((x, j) => [x.name, j])) });
  }
  return s;
}

const presentKeys = new WeakMap<readonly string[], string>();
/** `present.join(",")`, once per array (the live path asks 15 families × 28 pairs a minute). */
function presentKey(present: readonly string[]): string {
  let k = presentKeys.get(present);
  if (k === undefined) presentKeys.set(present, k = present.join(","));
  return k;
}

/** Name lists already checked for duplicates (by the families' spec arrays, in order). */
const checkedLists = new WeakMap<readonly FeatureFamily[], Set<string>>();
/** Throw on a feature name used twice across families; each distinct list is checked once. */
function checkUnique(
  families: readonly FeatureFamily[],
  key: string,
  specs: readonly FeatureSpec[],
): void {
  let done = checkedLists.get(families);
  if (!done) checkedLists.set(families, done = new Set());
  if (done.has(key)) return;
  const seen = new Set<string>();
  for (const s of specs) {
    if (seen.has(s.name)) throw new Error(`Duplicate feature name ${s.name} (family ${s.family})`);
    seen.add(s.name);
  }
  done.add(key);
}

/** Compute every family for one pair. Throws naming the family when it breaks its contract. */
export function computePair(series: PairSeries, options: ComputeOptions): PairFeatures {
  const { families, market, from = 0, keep = "all", reuse = false, scan = true, stats = false } =
    options;
  const colStats = stats
    ? { nulls: [] as number[], min: [] as number[], max: [] as number[], lastNull: [] as number[] }
    : undefined;
  const batch = keep === "all";
  if (reuse && batch) {
    // the previous reuse call's outputs are free again
    for (const a of lastOutputs) outputPool.push(whole(a, Float32Array));
    lastOutputs = [];
  }
  const len = keep === "all" ? series.n : 1;
  let slot = 0; // live path: column k of this call reuses scratch array k
  const present: readonly string[] = market?.pairs ?? PAIRS;
  const specs: FeatureSpec[] = [];
  const columns: Float32Array[] = [];
  const infinities: number[] = [];
  const seconds: Record<string, number> = {};
  const shared = new Map<string, unknown>();
  // live ("last"): every column's single value lives in one row vector
  const row = batch ? undefined : new Float32Array(
    families.reduce((k, fam) => k + specsOf(fam, series.pair, present).specs.length, 0),
  );
  const kept: Float64Array[] = [];
  for (const fam of families) {
    const t0 = performance.now();
    const { specs: famSpecs, index } = specsOf(fam, series.pair, present);
    // the column written for spec j (Float64 sink or direct Float32 storage), by index
    const written: (Float64Array | undefined)[] = new Array(famSpecs.length);
    const written32: (Float32Array | undefined)[] = new Array(famSpecs.length);
    const stray: string[] = []; // names not in the family's specs
    let cursor = 0; // families mostly open their columns in specs() order: no hashing then
    const slotOf = (name: string): number => {
      const j = famSpecs[cursor]?.name === name ? cursor++ : index.get(name);
      if (j === undefined) stray.push(name);
      else if (written[j] || written32[j]) {
        throw new Error(`Family ${fam.name} wrote column ${name} twice`);
      }
      return j ?? -1;
    };
    const out32 = batch
      ? (name: string, filled = true) => {
        const j = slotOf(name);
        const f = reuse
          ? fromPool(outputPool, len, (n) => new Float32Array(n))
          : new Float32Array(len);
        if (filled) f.fill(NaN);
        if (j >= 0) written32[j] = f;
        return f;
      }
      : undefined;
    fam.compute(series, { from, market, shared, out32 }, (name) => {
      const j = slotOf(name);
      // Batch: a NaN-filled column (recycled). Live ("last"): columns reuse scratch arrays and only
      // the rows from `from − LIVE_BACKFILL` on are reset (earlier rows are never read).
      const a = batch
        ? fromPool(sinkPool, series.n, (n) => new Float64Array(n)).fill(NaN)
        : scratch(slot++, series.n);
      if (!batch) a.fill(NaN, Math.max(0, from - LIVE_BACKFILL));
      if (j >= 0) written[j] = a;
      return a;
    });
    if (stray.length) {
      throw new Error(`Family ${fam.name} wrote column(s) not in its specs: ${stray.join(", ")}`);
    }
    const done: Float64Array[] = [];
    for (let j = 0; j < famSpecs.length; j++) {
      const spec = famSpecs[j];
      const direct = written32[j];
      const a = direct ? undefined : written[j];
      if (!direct && !a) {
        throw new Error(`Family ${fam.name} did not write its column ${spec.name}`);
      }
      // live: a one-row view of the call's row vector (no buffer per column)
      const f = direct ??
        (!batch
          ? row!.subarray(columns.length, columns.length + 1)
          : reuse
          ? fromPool(outputPool, len, (n) => new Float32Array(n))
          : new Float32Array(len));
      const st = storeColumn(direct ?? a!, series.n - len, f, scan, stats);
      specs.push(spec);
      columns.push(f);
      infinities.push(st.inf);
      if (colStats) {
        colStats.nulls.push(st.nulls);
        colStats.min.push(st.min);
        colStats.max.push(st.max);
        colStats.lastNull.push(st.lastNull);
      }
      if (!direct && batch) done.push(a!);
    }
    if (batch) {
      const held = sharedArrays(shared);
      for (const a of done) {
        if (held.has(a.buffer)) kept.push(a);
        else if (sinkPool.length < SINK_POOL_MAX) sinkPool.push(whole(a, Float64Array));
      }
    }
    seconds[fam.name] = (performance.now() - t0) / 1e3;
    // (No forced gc per family: the sinks are recycled, so a family leaves little garbage; the
    // build collects once per pair. A forced full gc after each of 15 families cost ~6 worker-s.)
  }
  // arrays published in `shared` are free once the pair is done
  for (const a of kept) if (sinkPool.length < SINK_POOL_MAX) sinkPool.push(whole(a, Float64Array));
  if (reuse && batch) lastOutputs = columns;
  checkUnique(families, `${series.pair}|${presentKey(present)}`, specs);
  return { pair: series.pair, specs, columns, infinities, seconds, stats: colStats, row };
}
