/**
 * Feature selection learned on one segment (SPEC §7: importance + |ρ| > 0.95 pruning, 730 → ~200):
 * `pruneCorrelated(x, split.train, { importance })` decides which columns to keep, and
 * `select(x, names)` projects any matrix onto them (at inference too).
 *
 * Greedy pruning: columns are visited by priority — the importance ranking when given (most
 * important first; unranked columns after, in matrix order), else matrix order (earlier first).
 * A column is kept unless its |Pearson ρ| with an already KEPT column exceeds the threshold; it is
 * then dropped and the record names that kept column (the first one met in priority order) and ρ.
 * A dropped column never causes another drop. So of two near-duplicates, the earlier or
 * more important one stays.
 *
 * ρ is computed on the fit rows only (subsampled evenly to `maxRows` for speed: the greedy scan
 * costs rows × columns × kept), over the rows where both columns are finite (pairwise-complete);
 * fewer than `minPeriods` common rows means "not correlated". Columns with no finite value, or
 * zero variance, on the fit rows carry no information and are dropped first (`empty`,
 * `constant`) unless `dropConstant: false`.
 * @module
 */
import type { Matrix } from "../models/base.ts";
import { fitSpan, type Fitted, type Segment } from "./segment.ts";

/** Options of {@linkcode pruneCorrelated}. */
export interface PruneOptions {
  /** Drop a column when |ρ| with a kept column exceeds this. @default 0.95 */
  threshold?: number;
  /**
   * Priority: column names most important first, or a score per name (higher = more important).
   * Unranked columns come after ranked ones, in matrix order. @default matrix order
   */
  importance?: readonly string[] | Readonly<Record<string, number>>;
  /** Fit rows used for ρ (an even subsample when there are more). @default 20000 */
  maxRows?: number;
  /** Common finite rows needed for ρ to count. @default 30 */
  minPeriods?: number;
  /** Drop empty and zero-variance columns. @default true */
  dropConstant?: boolean;
}

/** Why a column was dropped. */
export interface DroppedColumn {
  /** The dropped column. */
  name: string;
  /** Duplicate of a kept column, zero variance, or no finite value on the fit rows. */
  reason: "correlated" | "constant" | "empty";
  /** The kept column it duplicates (reason "correlated"). */
  by?: string;
  /** ρ with `by`. */
  rho?: number;
}

/** A fitted selection (JSON-safe): the kept columns and why the others went. */
export interface Selection extends Fitted {
  /** Step type. */
  kind: "selection";
  /** Kept column names, in matrix order. */
  names: string[];
  /** Dropped columns in visiting order, with reasons. */
  dropped: DroppedColumn[];
  /** The |ρ| threshold used. */
  threshold: number;
}

/**
 * Prune correlated columns, fitting on the rows of `on` only.
 * @param x the whole matrix (rows outside `on` are never read)
 * @param on the segment to fit on, usually `split(…).train`
 * @returns the selection: kept names (matrix order) and the dropped ones with reasons
 * @example
 * ```ts
 * import { pruneCorrelated } from "./selection.ts";
 * import assert from "node:assert/strict";
 * const a = [1, 2, 3, 4, 5, 6], b = [2, 4, 6, 8, 10, 13], c = [1, -1, 1, -1, 1, -1];
 * const data = new Float32Array(a.flatMap((v, i) => [v, b[i], c[i]]));
 * const x = { rows: 6, cols: 3, names: ["a", "b", "c"], data };
 * const on = { name: "train", start: 0, end: 6, rows: new Int32Array([0, 1, 2, 3, 4, 5]) };
 * assert.deepEqual(pruneCorrelated(x, on, { minPeriods: 3 }).names, ["a", "c"]);
 * // b ranked first: it stays and a goes
 * const s = pruneCorrelated(x, on, { minPeriods: 3, importance: ["b"] });
 * assert.deepEqual(s.names, ["b", "c"]);
 * assert.equal(s.dropped[0].by, "b");
 * ```
 */
export function pruneCorrelated(x: Matrix, on: Segment, options: PruneOptions = {}): Selection {
  const {
    threshold = 0.95,
    importance,
    maxRows = 20_000,
    minPeriods = 30,
    dropConstant = true,
  } = options;
  if (!(threshold >= 0 && threshold <= 1)) {
    throw new RangeError(`Expected threshold in [0, 1] but found ${threshold}`);
  }
  if (!(Number.isInteger(maxRows) && maxRows >= 2)) {
    throw new RangeError(`Expected maxRows to be an integer >= 2 but found ${maxRows}`);
  }
  const { cols, data, names } = x;
  // even subsample of the fit rows
  const all = on.rows;
  const m = Math.min(all.length, maxRows);
  const rows = new Int32Array(m);
  for (let k = 0; k < m; k++) rows[k] = all[Math.floor((k * all.length) / m)];
  for (const r of rows) {
    if (!(r >= 0 && r < x.rows)) {
      throw new RangeError(`Expected ${on.name} rows in 0..${x.rows - 1} but found ${r}`);
    }
  }
  // column-major Float64 copies of the sample
  const colv: Float64Array[] = [];
  const complete: boolean[] = [];
  const finite = new Int32Array(cols), variance = new Float64Array(cols);
  for (let j = 0; j < cols; j++) {
    const v = new Float64Array(m);
    let n = 0, mean = 0, m2 = 0;
    for (let k = 0; k < m; k++) {
      const e = data[rows[k] * cols + j];
      v[k] = e;
      if (Number.isFinite(e)) {
        n++;
        const d = e - mean;
        mean += d / n;
        m2 += d * (e - mean);
      } else v[k] = NaN;
    }
    finite[j] = n;
    variance[j] = n ? m2 / n : 0;
    complete[j] = n === m;
    if (variance[j] > 0) {
      // standardized (NaN kept): ρ of two complete columns is a dot product, and the one-pass
      // pairwise-complete sums below stay well conditioned whatever the column's level
      const sd = Math.sqrt(variance[j]);
      for (let k = 0; k < m; k++) v[k] = (v[k] - mean) / sd;
    }
    colv.push(v);
  }

  const priority = priorityOrder(names, importance);
  const kept: number[] = [];
  const dropped: DroppedColumn[] = [];
  for (const j of priority) {
    if (finite[j] === 0 && dropConstant) {
      dropped.push({ name: names[j], reason: "empty" });
      continue;
    }
    if (!(variance[j] > 0) && dropConstant) {
      dropped.push({ name: names[j], reason: "constant" });
      continue;
    }
    let hit = -1, rho = 0;
    for (const i of kept) {
      const r = corr(colv[i], colv[j], complete[i] && complete[j], minPeriods);
      if (Math.abs(r) > threshold) {
        hit = i;
        rho = r;
        break;
      }
    }
    if (hit >= 0) dropped.push({ name: names[j], reason: "correlated", by: names[hit], rho });
    else kept.push(j);
  }
  kept.sort((a, b) => a - b);
  return {
    kind: "selection",
    forInfer: true,
    fitOn: fitSpan(on),
    names: kept.map((j) => names[j]),
    dropped,
    threshold,
  };
}

/**
 * Project a matrix onto the named columns, in the order given (a new matrix).
 * @param x any matrix holding those columns
 * @param names the columns to keep (e.g. a selection's `names`)
 * @example
 * ```ts
 * import { select } from "./selection.ts";
 * import assert from "node:assert/strict";
 * const x = { rows: 2, cols: 3, names: ["a", "b", "c"], data: new Float32Array([1, 2, 3, 4, 5, 6]) };
 * const y = select(x, ["c", "a"]);
 * assert.deepEqual(y.names, ["c", "a"]);
 * assert.deepEqual([...y.data], [3, 1, 6, 4]);
 * ```
 */
export function select(x: Matrix, names: readonly string[]): Matrix {
  const at = new Map(x.names.map((n, j) => [n, j]));
  const src = names.map((n) => {
    const j = at.get(n);
    if (j === undefined) {
      throw new RangeError(`Unknown column "${n}": the matrix has ${x.cols} columns`);
    }
    return j;
  });
  const { rows, cols, data } = x;
  const k = src.length;
  const out = new Float32Array(rows * k);
  for (let i = 0; i < rows; i++) {
    const o = i * cols, p = i * k;
    for (let c = 0; c < k; c++) out[p + c] = data[o + src[c]];
  }
  return { rows, cols: k, data: out, names: [...names] };
}

/** Column indices by priority (see the module doc). */
function priorityOrder(
  names: readonly string[],
  importance: PruneOptions["importance"],
): number[] {
  const idx = names.map((_, j) => j);
  if (!importance) return idx;
  const rank = new Map<string, number>();
  if (Array.isArray(importance)) {
    (importance as readonly string[]).forEach((n, r) => {
      if (!rank.has(n)) rank.set(n, r);
    });
  } else {
    // higher score first; ties keep matrix order (stable sort below)
    const entries = Object.entries(importance as Record<string, number>)
      .filter(([, s]) => Number.isFinite(s));
    const pos = new Map(names.map((n, j) => [n, j]));
    entries.sort((a, b) => b[1] - a[1] || (pos.get(a[0]) ?? 0) - (pos.get(b[0]) ?? 0));
    entries.forEach(([n], r) => rank.set(n, r));
  }
  return idx.sort((a, b) =>
    (rank.get(names[a]) ?? Infinity) - (rank.get(names[b]) ?? Infinity) || a - b
  );
}

/**
 * Pearson ρ of two standardized columns; `complete` = neither has a NaN (then ρ = mean of the
 * products). Otherwise pairwise-complete, in one pass. 0 when undefined.
 */
function corr(a: Float64Array, b: Float64Array, complete: boolean, minPeriods: number): number {
  const m = a.length;
  if (complete) {
    if (m < minPeriods) return 0;
    let s = 0;
    for (let k = 0; k < m; k++) s += a[k] * b[k];
    return s / m;
  }
  let n = 0, sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
  for (let k = 0; k < m; k++) {
    const u = a[k], v = b[k];
    if (u === u && v === v) {
      n++;
      sa += u;
      sb += v;
      saa += u * u;
      sbb += v * v;
      sab += u * v;
    }
  }
  if (n < minPeriods || n < 2) return 0;
  const caa = saa - (sa * sa) / n, cbb = sbb - (sb * sb) / n, cab = sab - (sa * sb) / n;
  return caa > 0 && cbb > 0 ? cab / Math.sqrt(caa * cbb) : 0;
}
