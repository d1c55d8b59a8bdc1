/**
 * Shared helpers of `lib/eval/` (never re-exported): the input array type, the half-open row
 * range that names a segment, and argument checks whose messages name the argument and the value.
 * @module
 */

/** Numbers in (any typed array or a plain array); NaN marks a missing value. */
export type Numbers = ArrayLike<number>;

/** A segment as a half-open row range [start, end) of the evaluated arrays. */
export interface RowRange {
  /** First row of the segment. */
  start: number;
  /** One past the last row. */
  end: number;
}

/**
 * The rows of a segment: a half-open row range, or explicit row indices — which is what a
 * `lib/dataset` `Segment` carries (its `start`/`end` are epoch ms, so `rows` is read first).
 */
export type RowSet = RowRange | { rows: ArrayLike<number> };

/** The row indices of a {@linkcode RowSet}, checked to lie in [0, n). */
export function rowIndices(name: string, r: RowSet, n: number): Int32Array {
  if (r && typeof r === "object" && "rows" in r && r.rows !== undefined) {
    const rows = Int32Array.from(r.rows);
    for (let k = 0; k < rows.length; k++) {
      if (!(rows[k] >= 0 && rows[k] < n) || rows[k] !== r.rows[k]) {
        throw new RangeError(
          `Expected ${name}.rows to hold row indices in [0, ${n}) but found ${r.rows[k]} at ${k}`,
        );
      }
    }
    return rows;
  }
  checkRange(name, r as RowRange, n);
  const { start, end } = r as RowRange;
  return Int32Array.from({ length: end - start }, (_, k) => start + k);
}

/** Throw unless `b` has the length of `a`. */
export function sameLength(
  nameA: string,
  a: { length: number },
  nameB: string,
  b: { length: number },
): void {
  if (a.length !== b.length) {
    throw new RangeError(
      `Expected ${nameB} to have the length of ${nameA} (${a.length}) but found ${b.length}`,
    );
  }
}

/** Throw unless `r` is an integer row range inside [0, n]. */
export function checkRange(name: string, r: RowRange, n: number): void {
  const { start, end } = r ?? {};
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > n || start > end) {
    throw new RangeError(
      `Expected ${name} to be a row range 0 <= start <= end <= ${n} but found ${JSON.stringify(r)}`,
    );
  }
}

/** Throw unless `v` is a positive integer. */
export function positiveInt(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) {
    throw new RangeError(`Expected ${name} to be an integer greater than 0 but found ${v}`);
  }
}

/** Throw unless `v` is a finite number >= 0. */
export function nonNegative(name: string, v: number): void {
  if (!(v >= 0) || !Number.isFinite(v)) {
    throw new RangeError(`Expected ${name} to be a finite number >= 0 but found ${v}`);
  }
}

/**
 * Quantile of sorted values with linear interpolation between order statistics (Hyndman–Fan
 * type 7, the default of R, NumPy and pandas): position p·(n − 1).
 */
export function quantileSorted(sorted: Float64Array, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = p * (n - 1), lo = Math.floor(pos), hi = Math.min(lo + 1, n - 1);
  return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
}
