/**
 * The chronological train / valid / test split with an embargo (SPEC §6): segments as data, the
 * way Qlib's `DatasetH` takes `segments`, plus a record of the embargo that was applied.
 *
 * How the cut works (by TIME, so every pair of a pooled dataset shares the boundaries):
 * 1. The time line is the distinct `ts_utc` of the dataset (the union over pairs), ascending: U
 *    stamps. Fractions count stamps (traded minutes), not wall-clock time, so weekends do not
 *    shrink a segment.
 * 2. Between two consecutive non-empty segments, `embargo` stamps are dropped (default 120). That
 *    leaves K = U − embargo · (segments − 1) stamps, shared out by the fractions (train and valid
 *    get `round(f · K)`, test the rest), in time order.
 * 3. A row belongs to the segment holding its stamp; rows on embargoed stamps are dropped.
 *
 * Why the embargo suffices: a target at t reads idx(t … t+h) of its pair, and inside a session
 * every minute has a bar (gaps < 5 min are filled, targets across longer gaps are null, SPEC §2,
 * §4). So the label of the last train row ends by minute T + h, while the first valid row sits at
 * least `embargo + 1` stamps, hence `embargo + 1` minutes, after T. `embargo` must therefore be at
 * least the longest horizon + 1 bar (76); fewer throws. Features look back across the embargo,
 * which is fine: they are causal.
 *
 * Segments are half-open `[start, end)`: `start` = first stamp, `end` = last stamp + 1 bar (or
 * the next stamp of the time line, if closer), so {@linkcode segmentOf} on another dataset with the
 * same stamps gives the same rows.
 * @module
 */
import { HORIZONS, MINUTE_MS } from "../data/schema.ts";
import { distinctStamps, rowsInRange, timeOrder } from "./_rows.ts";
import type { Segment } from "./segment.ts";

/** Segment fractions of the time line. */
export interface SplitFractions {
  /** Share of the kept stamps for training (> 0). */
  train: number;
  /** Share for validation (early stopping, model choice). */
  valid: number;
  /** Share for the final test. */
  test: number;
}

/** Options of {@linkcode split}. */
export interface SplitOptions {
  /** Fractions of the kept stamps, summing to 1 (valid or test may be 0). @default 0.7/0.15/0.15 */
  fractions?: SplitFractions;
  /** Stamps dropped between consecutive segments. @default 120 */
  embargo?: number;
  /** Longest forecast horizon in bars; the embargo must be at least this + 1. @default 75 */
  horizon?: number;
  /** Bar length in ms (a segment's end = its last stamp + one bar). @default 60000 */
  barMs?: number;
}

/** The embargo that was applied. */
export interface EmbargoRecord {
  /** Stamps dropped between consecutive segments. */
  bars: number;
  /** Dataset rows dropped (all pairs). */
  dropped: number;
  /** The dropped spans, half-open, one per boundary. */
  spans: { start: number; end: number }[];
}

/** Named segments and the embargo (Qlib's segments, as data). */
export interface Segments {
  /** The earliest segment. */
  train: Segment;
  /** The middle segment (empty when its fraction is 0). */
  valid: Segment;
  /** The latest segment (empty when its fraction is 0). */
  test: Segment;
  /** What the embargo dropped. */
  embargo: EmbargoRecord;
  /** Distinct stamps of the time line. */
  stamps: number;
}

/** The SPEC §6 fractions. */
export const DEFAULT_FRACTIONS: Readonly<SplitFractions> = { train: 0.7, valid: 0.15, test: 0.15 };

/**
 * Split a dataset chronologically into train / valid / test with an embargo between segments.
 * @param ts the dataset's row stamps (epoch ms), any row order (a pooled dataset stacks pairs)
 * @param options fractions, embargo, horizon, bar length
 * @returns the segments (rows ascending) and the embargo record
 * @example
 * ```ts
 * import { split } from "./split.ts";
 * import assert from "node:assert/strict";
 * const ts = Float64Array.from({ length: 1240 }, (_, i) => i * 60_000);
 * const s = split(ts, { fractions: { train: 0.5, valid: 0.25, test: 0.25 }, embargo: 120 });
 * // 1240 stamps − 2 × 120 embargoed = 1000 kept: 500 / 250 / 250
 * assert.deepEqual([s.train.rows.length, s.valid.rows.length, s.test.rows.length], [500, 250, 250]);
 * assert.equal(s.valid.rows[0], 620); // 500 train + 120 embargo
 * assert.equal(s.embargo.dropped, 240);
 * ```
 */
export function split(ts: Float64Array, options: SplitOptions = {}): Segments {
  const {
    fractions = DEFAULT_FRACTIONS,
    embargo = 120,
    horizon = Math.max(...HORIZONS),
    barMs = MINUTE_MS,
  } = options;
  const names = ["train", "valid", "test"] as const;
  const f = names.map((k) => fractions[k]);
  if (f.some((v) => !(v >= 0 && Number.isFinite(v))) || Math.abs(f[0] + f[1] + f[2] - 1) > 1e-9) {
    throw new RangeError(
      `Expected fractions >= 0 summing to 1 but found ${JSON.stringify(fractions)}`,
    );
  }
  if (!(f[0] > 0)) throw new RangeError(`Expected a train fraction > 0 but found ${f[0]}`);
  if (!Number.isInteger(horizon) || horizon < 1) {
    throw new RangeError(`Expected horizon to be an integer >= 1 but found ${horizon}`);
  }
  if (!Number.isInteger(embargo) || embargo < horizon + 1) {
    throw new RangeError(
      `Expected embargo to be an integer >= ${
        horizon + 1
      } (longest horizon + 1 bar) but found ${embargo}`,
    );
  }
  if (!(barMs > 0)) throw new RangeError(`Expected barMs > 0 but found ${barMs}`);

  const order = timeOrder(ts);
  const stamps = distinctStamps(order);
  const U = stamps.length;
  const live = names.filter((_, i) => f[i] > 0);
  const K = U - embargo * (live.length - 1);
  const need = embargo * (live.length - 1) + live.length;
  if (K < live.length) {
    throw new RangeError(
      `Expected at least ${need} distinct timestamps for ${live.length} segments with an embargo of ${embargo} but found ${U}`,
    );
  }
  // sizes in stamps
  const size: Record<string, number> = { train: 0, valid: 0, test: 0 };
  let used = 0;
  live.forEach((k, i) => {
    size[k] = i === live.length - 1 ? K - used : Math.max(1, Math.round(fractions[k] * K));
    used += size[k];
  });
  if (live.some((k) => size[k] < 1)) {
    throw new RangeError(
      `Expected enough distinct timestamps for fractions ${
        JSON.stringify(fractions)
      } but found ${U}`,
    );
  }

  const end = (last: number) =>
    Math.min(stamps[last] + barMs, last + 1 < U ? stamps[last + 1] : Infinity);
  const segs: Partial<Record<(typeof names)[number], Segment>> = {};
  const spans: { start: number; end: number }[] = [];
  let k = 0; // next stamp
  let prevEnd: number | undefined;
  for (const name of names) {
    if (size[name] === 0) {
      // an empty segment sits where it would have been: at the end of the previous one
      segs[name] = { name, start: prevEnd!, end: prevEnd!, rows: new Int32Array(0) };
      continue;
    }
    if (prevEnd !== undefined) {
      k += embargo;
      spans.push({ start: prevEnd, end: stamps[k] });
    }
    const a = k, b = k + size[name] - 1;
    const seg = { name, start: stamps[a], end: end(b) };
    segs[name] = { ...seg, rows: rowsInRange(order, seg.start, seg.end) };
    prevEnd = seg.end;
    k = b + 1;
  }
  const kept = segs.train!.rows.length + segs.valid!.rows.length + segs.test!.rows.length;
  return {
    train: segs.train!,
    valid: segs.valid!,
    test: segs.test!,
    embargo: { bars: embargo, dropped: ts.length - kept, spans },
    stamps: U,
  };
}
