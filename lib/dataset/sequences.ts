/**
 * Look-back windows for sequence models (LSTM, attention; Qlib's `TSDatasetH` with `step_len`):
 * for each requested row r, the last N bars r−N+1 … r of the same series, as a Float32
 * `[rows, N, cols]` block, oldest first, the row itself last.
 *
 * Built in two steps so memory stays at one batch: {@linkcode sequenceIndex} records, per window
 * slot, which matrix row fills it (−1 = padding; rows × N Int32), and {@linkcode gatherSequences}
 * copies a batch of windows out of the matrix. {@linkcode sequences} does both at once.
 *
 * Padding and time (documented choices):
 * - The first N−1 rows of a segment take their history from the rows BEFORE the segment's start
 *   (Qlib pads each segment with `step_len` earlier rows), e.g. the first test window reads the
 *   embargo and valid rows. That is not leakage: those rows are features (causal, SPEC §5) of
 *   earlier minutes, never labels. Pass `notBefore` to forbid it (those slots are then padded).
 * - A window never holds a row later than its own: walking back from r, it stops at the matrix
 *   start, a change of `group` (the pair, in a pooled dataset), or a stamp that is not strictly
 *   earlier than the next one (`ts`). So nothing after the row's own time — in particular nothing
 *   after a segment's start for its first row — ever enters its window.
 * - With `breakAtGaps`, a window also stops at a step of ≥ `gapMinutes` (5: SPEC §2's gaps that
 *   stay gaps, e.g. the weekend), so a sequence never spans a market closure.
 * - Slots left over are padded with NaN (default), 0, or the oldest row inside the window
 *   ("edge", Qlib's ffill+bfill). `valid` tells how many slots of each window are real.
 * @module
 */
import type { Matrix } from "../models/base.ts";
import { MINUTE_MS } from "../data/schema.ts";

/** How unfilled window slots are filled. */
export type SequencePad = "nan" | "zero" | "edge";

/** Options of {@linkcode sequenceIndex}. */
export interface SequenceOptions {
  /** Window length N in bars. @default 60 */
  steps?: number;
  /** Row stamps (epoch ms): windows only go back through strictly earlier stamps. @default none */
  ts?: Float64Array;
  /** Row group (e.g. a pooled dataset's `pairId`): windows never cross a change. @default none */
  group?: ArrayLike<number>;
  /** Stop a window at a step of ≥ `gapMinutes` (needs `ts`). @default false */
  breakAtGaps?: boolean;
  /** The gap length that breaks a window, in minutes. @default 5 */
  gapMinutes?: number;
  /** Rows stamped before this instant (epoch ms) are never used. @default no limit */
  notBefore?: number;
  /** Filling of slots without a usable row. @default "nan" */
  pad?: SequencePad;
}

/** Which matrix row fills each window slot. */
export interface SequenceIndex {
  /** Number of windows. */
  rows: number;
  /** N. */
  steps: number;
  /** `source[w · steps + s]` = matrix row of slot s (oldest first) of window w; −1 = padding. */
  source: Int32Array;
  /** Real slots per window (1 … steps). */
  valid: Int32Array;
  /** Filling of the −1 slots. */
  pad: SequencePad;
}

/**
 * Plan the windows ending at `rows` (which matrix row fills each slot).
 * @param x the matrix (only its row count is read)
 * @param rows window end rows, e.g. a segment's rows
 * @example
 * ```ts
 * import { sequenceIndex } from "./sequences.ts";
 * import assert from "node:assert/strict";
 * const x = { rows: 5, cols: 1, names: ["a"], data: new Float32Array([0, 1, 2, 3, 4]) };
 * const group = [0, 0, 0, 1, 1]; // two pairs stacked
 * const ix = sequenceIndex(x, new Int32Array([1, 2, 4]), { steps: 3, group });
 * assert.deepEqual([...ix.source], [-1, 0, 1, 0, 1, 2, -1, 3, 4]);
 * assert.deepEqual([...ix.valid], [2, 3, 2]);
 * ```
 */
export function sequenceIndex(
  x: Matrix,
  rows: ArrayLike<number>,
  options: SequenceOptions = {},
): SequenceIndex {
  const {
    steps = 60,
    ts,
    group,
    breakAtGaps = false,
    gapMinutes = 5,
    notBefore = -Infinity,
    pad = "nan",
  } = options;
  if (!Number.isInteger(steps) || steps < 1) {
    throw new RangeError(`Expected steps to be an integer >= 1 but found ${steps}`);
  }
  if (pad !== "nan" && pad !== "zero" && pad !== "edge") {
    throw new RangeError(`Invalid pad "${pad}": expected "nan", "zero" or "edge"`);
  }
  if (ts && ts.length !== x.rows) {
    throw new RangeError(`Expected ts of length ${x.rows} but found ${ts.length}`);
  }
  if (group && group.length !== x.rows) {
    throw new RangeError(`Expected group of length ${x.rows} but found ${group.length}`);
  }
  if (breakAtGaps && !ts) throw new TypeError("Missing ts: breakAtGaps needs row stamps");
  if (notBefore !== -Infinity && !ts) throw new TypeError("Missing ts: notBefore needs row stamps");
  const gap = gapMinutes * MINUTE_MS;
  const n = rows.length;
  const source = new Int32Array(n * steps).fill(-1);
  const valid = new Int32Array(n);
  for (let w = 0; w < n; w++) {
    const r = rows[w];
    if (!(Number.isInteger(r) && r >= 0 && r < x.rows)) {
      throw new RangeError(`Expected rows in 0..${x.rows - 1} but found ${r} at ${w}`);
    }
    const base = w * steps + steps - 1;
    source[base] = r;
    let len = 1;
    for (let p = r - 1; len < steps && p >= 0; p--) {
      const q = p + 1; // the newer neighbour
      if (group && group[p] !== group[q]) break;
      if (ts) {
        if (!(ts[p] < ts[q])) break;
        if (breakAtGaps && ts[q] - ts[p] >= gap) break;
        if (ts[p] < notBefore) break;
      }
      source[base - len] = p;
      len++;
    }
    valid[w] = len;
  }
  return { rows: n, steps, source, valid, pad };
}

/**
 * Copy windows `from … to−1` of a plan out of the matrix: Float32 `[to − from, steps, cols]`,
 * row-major (window, slot, column), padded as the plan says.
 * @example
 * ```ts
 * import { gatherSequences, sequenceIndex } from "./sequences.ts";
 * import assert from "node:assert/strict";
 * const x = { rows: 3, cols: 2, names: ["a", "b"], data: new Float32Array([1, 2, 3, 4, 5, 6]) };
 * const ix = sequenceIndex(x, new Int32Array([0, 2]), { steps: 2, pad: "edge" });
 * assert.deepEqual([...gatherSequences(x, ix)], [1, 2, 1, 2, 3, 4, 5, 6]);
 * ```
 */
export function gatherSequences(
  x: Matrix,
  index: SequenceIndex,
  from = 0,
  to = index.rows,
): Float32Array {
  const { steps, source, valid, pad } = index;
  if (
    !(Number.isInteger(from) && Number.isInteger(to) && 0 <= from && from <= to && to <= index.rows)
  ) {
    throw new RangeError(`Expected 0 <= from <= to <= ${index.rows} but found ${from}, ${to}`);
  }
  const cols = x.cols, data = x.data;
  const out = new Float32Array((to - from) * steps * cols);
  if (pad === "nan") out.fill(NaN);
  for (let w = from; w < to; w++) {
    const first = steps - valid[w]; // oldest real slot
    for (let s = 0; s < steps; s++) {
      let r = source[w * steps + s];
      if (r < 0) {
        if (pad !== "edge") continue;
        r = source[w * steps + first];
      }
      const o = ((w - from) * steps + s) * cols;
      out.set(data.subarray(r * cols, r * cols + cols), o);
    }
  }
  return out;
}

/**
 * Windows of the last `steps` bars ending at `rows`, materialized: `{ data, shape }` with data
 * Float32 `[rows, steps, cols]`. For large segments, plan once with {@linkcode sequenceIndex} and
 * gather batches instead.
 * @example
 * ```ts
 * import { sequences } from "./sequences.ts";
 * import assert from "node:assert/strict";
 * const x = { rows: 4, cols: 1, names: ["a"], data: new Float32Array([10, 11, 12, 13]) };
 * const ts = new Float64Array([0, 60_000, 600_000, 660_000]); // 9-minute gap after row 1
 * const s = sequences(x, new Int32Array([3]), { steps: 3, ts, breakAtGaps: true });
 * assert.deepEqual(s.shape, [1, 3, 1]);
 * assert.deepEqual([...s.data], [NaN, 12, 13]);
 * ```
 */
export function sequences(
  x: Matrix,
  rows: ArrayLike<number>,
  options: SequenceOptions = {},
): { data: Float32Array; shape: [number, number, number]; index: SequenceIndex } {
  const index = sequenceIndex(x, rows, options);
  return {
    data: gatherSequences(x, index),
    shape: [index.rows, index.steps, x.cols],
    index,
  };
}
