/**
 * Rolling-origin walk-forward folds (SPEC §6: 60 days train, 30 days test, 7-day step, 2-hour
 * embargo), by wall-clock TIME, so every pair of a pooled dataset shares the fold boundaries.
 *
 * Fold k (k = 0, 1, …), with s = origin + k · step:
 *
 *     train = [s, s + train − embargo)      (anchored: [origin, s + train − embargo))
 *     embargo = [s + train − embargo, s + train)   rows here are dropped
 *     test  = [s + train, s + train + test)
 *
 * The embargo is purged from the END of the train window (de Prado's purge), so test windows sit
 * on a clean grid: fold k tests from origin + train + k · step, i.e. they tile forward by the step.
 * With the defaults, consecutive test windows overlap (30 days tested, 7-day step): a minute is
 * tested by up to five folds; score per fold, or keep one forecast per minute when pooling. A label
 * at the last train row reads at most h minutes ahead (SPEC §4), so a 2-hour embargo ≥ 75 + 1 bars
 * keeps every train label out of the test window; within a fold, test never overlaps train.
 *
 * Folds exist while the test window fits in the data (`end` of the data = last stamp + 1 bar).
 * With `partial: true` one more fold is kept whose test window is cut short by the end of the data
 * (flagged `partial`), so the tail is tested too; nothing after it. Folds with no train or no test
 * rows (a hole in the data) are skipped; `index` is still k, so `origin + index · step` holds.
 * @module
 */
import { MINUTE_MS } from "../data/schema.ts";
import { rowsInRange, timeOrder } from "./_rows.ts";
import type { Segment } from "./segment.ts";

/** Milliseconds per day. */
const DAY_MS = 86_400_000;

/** Options of {@linkcode walkForward}. */
export interface WalkForwardOptions {
  /** Train window in days (the embargo is purged from its end). @default 60 */
  trainDays?: number;
  /** Test window in days. @default 30 */
  testDays?: number;
  /** Step between fold origins in days. @default 7 */
  stepDays?: number;
  /** Embargo between train and test in minutes. @default 120 */
  embargoMinutes?: number;
  /** Expanding window: every fold trains from the origin. @default false (rolling) */
  anchored?: boolean;
  /** Keep one last fold whose test window is cut short by the end of the data. @default false */
  partial?: boolean;
  /** First train instant, epoch ms. @default the first stamp */
  origin?: number;
  /** Bar length in ms (the data ends one bar after its last stamp). @default 60000 */
  barMs?: number;
}

/** One walk-forward fold: train and test segments (half-open spans, rows ascending). */
export interface Fold {
  /** Position k on the fold grid (origin + k · step). */
  index: number;
  /** Rows to fit on. */
  train: Segment;
  /** Rows to score, after the embargo. */
  test: Segment;
  /** The purged span between them and the rows it dropped. */
  embargo: { start: number; end: number; dropped: number };
  /** True when the test window is cut short by the end of the data. */
  partial: boolean;
}

/**
 * Rolling-origin walk-forward folds over a dataset's stamps.
 * @param ts row stamps (epoch ms), any row order
 * @param options window lengths, embargo, anchoring, partial last fold
 * @returns the folds in time order
 * @example
 * ```ts
 * import { walkForward } from "./walkForward.ts";
 * import assert from "node:assert/strict";
 * const day = 86_400_000;
 * // 10 days of hourly stamps; 4-day train, 2-day test, 1-day step, 1-hour embargo
 * const ts = Float64Array.from({ length: 240 }, (_, i) => i * 3_600_000);
 * const folds = walkForward(ts, {
 *   trainDays: 4,
 *   testDays: 2,
 *   stepDays: 1,
 *   embargoMinutes: 60,
 *   barMs: 3_600_000,
 * });
 * assert.equal(folds.length, 5); // test windows [4,6) [5,7) [6,8) [7,9) [8,10) days
 * assert.equal(folds[1].test.start, 5 * day);
 * assert.equal(folds[0].train.rows.length, 4 * 24 - 1); // the last train hour is purged
 * assert.equal(folds[0].test.rows.length, 48);
 * ```
 */
export function walkForward(ts: Float64Array, options: WalkForwardOptions = {}): Fold[] {
  const {
    trainDays = 60,
    testDays = 30,
    stepDays = 7,
    embargoMinutes = 120,
    anchored = false,
    partial = false,
    barMs = MINUTE_MS,
  } = options;
  const train = Math.round(trainDays * DAY_MS);
  const test = Math.round(testDays * DAY_MS);
  const step = Math.round(stepDays * DAY_MS);
  const embargo = Math.round(embargoMinutes * MINUTE_MS);
  if (!(test > 0)) throw new RangeError(`Expected testDays > 0 but found ${testDays}`);
  if (!(step > 0)) throw new RangeError(`Expected stepDays > 0 but found ${stepDays}`);
  if (!(embargo >= 0)) {
    throw new RangeError(`Expected embargoMinutes >= 0 but found ${embargoMinutes}`);
  }
  if (!(train > embargo)) {
    throw new RangeError(
      `Expected trainDays longer than the embargo (${embargoMinutes} min) but found ${trainDays}`,
    );
  }
  if (ts.length === 0) throw new RangeError("Expected a non-empty dataset but found 0 rows");
  const order = timeOrder(ts);
  const first = order.sorted[0];
  const dataEnd = order.sorted[order.sorted.length - 1] + barMs;
  const origin = options.origin ?? first;
  if (!Number.isFinite(origin)) {
    throw new RangeError(`Expected a finite origin but found ${origin}`);
  }

  const folds: Fold[] = [];
  for (let k = 0;; k++) {
    const s = origin + k * step;
    const testStart = s + train, testEnd = testStart + test;
    if (testStart >= dataEnd) break;
    const cut = testEnd > dataEnd;
    if (cut && !partial) break;
    const trainStart = anchored ? origin : s, trainEnd = testStart - embargo;
    const trainRows = rowsInRange(order, trainStart, trainEnd);
    const testRows = rowsInRange(order, testStart, Math.min(testEnd, dataEnd));
    const embargoRows = rowsInRange(order, trainEnd, testStart);
    if (trainRows.length > 0 && testRows.length > 0) {
      folds.push({
        index: k,
        train: { name: `fold${k}/train`, start: trainStart, end: trainEnd, rows: trainRows },
        test: {
          name: `fold${k}/test`,
          start: testStart,
          end: cut ? dataEnd : testEnd,
          rows: testRows,
        },
        embargo: { start: trainEnd, end: testStart, dropped: embargoRows.length },
        partial: cut,
      });
    }
    if (cut) break;
  }
  if (folds.length === 0) {
    const days = (dataEnd - first) / DAY_MS;
    throw new RangeError(
      `Expected at least ${trainDays + testDays} days of data for one fold but found ${
        days.toFixed(2)
      } days`,
    );
  }
  return folds;
}
