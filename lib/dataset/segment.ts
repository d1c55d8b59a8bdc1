/**
 * Segments are data (Qlib's `DatasetH(handler, segments)`): a named, half-open time span
 * `[start, end)` in epoch ms and the dataset rows whose `ts_utc` falls in it. A bar stamped `ts`
 * covers `[ts, ts + 1 min)`, so a segment ending after its last bar has `end = last ts + 1 min`.
 * `split()` and `walkForward()` produce segments; models and learned steps take them, never dates.
 *
 * Learned steps (scaler, selection) record the segment they were fit on ({@linkcode FitSpan}) and
 * whether inference may apply them (`forInfer`, Qlib's `Processor.is_for_infer()`): a scaler or a
 * column selection learned on train is applied at inference too; a step that reads labels (e.g.
 * dropping rows with a null target) is learn-only and must never run on live rows.
 * @module
 */
import { rowsInRange, timeOrder } from "./_rows.ts";

/** A named half-open time span and the rows in it. */
export interface Segment {
  /** "train", "valid", "test", "fold3/train"… */
  name: string;
  /** First instant (epoch ms, inclusive). */
  start: number;
  /** End instant (epoch ms, exclusive). */
  end: number;
  /** Row indices of the dataset in the span, ascending. */
  rows: Int32Array;
}

/** Where a learned step was fit: the segment's name, span and row count (saved with the step). */
export interface FitSpan {
  /** Segment name. */
  name: string;
  /** Span start, epoch ms (inclusive). */
  start: number;
  /** Span end, epoch ms (exclusive). */
  end: number;
  /** Number of rows fit on. */
  rows: number;
}

/** What every learned step records beside its parameters. */
export interface Fitted {
  /** Step type id, e.g. "scaler", "selection". */
  kind: string;
  /** True when the step is applied at inference too (Qlib `is_for_infer`); false = learn-only. */
  forInfer: boolean;
  /** The span it was fit on. */
  fitOn: FitSpan;
}

/**
 * The segment `[start, end)` of a dataset with stamps `ts`: rows whose stamp falls in it. Use it to
 * apply boundaries found on one dataset (a split, a fold) to another one.
 * @param ts row stamps, epoch ms
 * @param span name and half-open span
 * @returns the segment with its rows, ascending
 * @example
 * ```ts
 * import { segmentOf } from "./segment.ts";
 * import assert from "node:assert/strict";
 * const ts = new Float64Array([0, 60_000, 120_000, 0, 60_000]); // two pairs, stacked
 * const s = segmentOf(ts, { name: "valid", start: 60_000, end: 120_000 });
 * assert.deepEqual([...s.rows], [1, 4]);
 * ```
 */
export function segmentOf(
  ts: Float64Array,
  span: { name: string; start: number; end: number },
): Segment {
  const { name, start, end } = span;
  if (!(end >= start)) {
    throw new RangeError(`Expected segment ${name} to end at or after ${start} but found ${end}`);
  }
  return { name, start, end, rows: rowsInRange(timeOrder(ts), start, end) };
}

/**
 * The {@linkcode FitSpan} record of a segment (what a learned step saves about its fit).
 * @example
 * ```ts
 * import { fitSpan } from "./segment.ts";
 * import assert from "node:assert/strict";
 * const f = fitSpan({ name: "train", start: 0, end: 60_000, rows: new Int32Array([0, 1]) });
 * assert.deepEqual(f, { name: "train", start: 0, end: 60_000, rows: 2 });
 * ```
 */
export function fitSpan(segment: Segment): FitSpan {
  return {
    name: segment.name,
    start: segment.start,
    end: segment.end,
    rows: segment.rows.length,
  };
}
