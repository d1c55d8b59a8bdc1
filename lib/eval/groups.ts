/**
 * Group labels for the SPEC §6 metric breakdown ("by session, volatility tercile and trend
 * state"), as inputs to `metricsBy()` in `metrics.ts`:
 *
 * - **Session** from the bar's UTC hour, with the hours of SPEC §5 and `lib/features/time.ts`
 *   (fixed UTC, not shifted for DST): Tokyo [00, 09), London [07, 16), New York [12, 21), off
 *   [21, 24). The sessions overlap, so there are two views: {@linkcode sessionGroups} cuts the
 *   day into 6 exclusive blocks (`tokyo` 00–07, `tokyo_london` 07–09, `london` 09–12,
 *   `london_newyork` 12–16, `newyork` 16–21, `off` 21–24) and {@linkcode sessionMasks} gives
 *   the 4 overlapping memberships (a 13:00 bar counts for London and for New York).
 * - **Volatility tercile**: cut points are the 1/3 and 2/3 quantiles (linear interpolation, type
 *   7) of a volatility series **over the train segment only** ({@linkcode fitTerciles}, Qlib's
 *   fit-on-a-named-span habit), then applied to every row: low ≤ c₁ < mid ≤ c₂ < high. Fitting on
 *   the evaluated segment would let the test period's volatility define its own groups.
 * - **Trend state** from any trend measure known at t (a slope, a past return): up above
 *   `+flat`, down below `−flat`, flat in between ({@linkcode trendGroups}).
 *
 * NaN inputs get code −1 (in no group).
 *
 * @example
 * ```ts
 * import { sessionGroups } from "./groups.ts";
 * import assert from "node:assert/strict";
 * const g = sessionGroups([Date.UTC(2024, 0, 2, 8, 30), Date.UTC(2024, 0, 2, 22)]);
 * assert.deepEqual([...g.codes].map((c) => g.labels[c]), ["tokyo_london", "off"]);
 * ```
 * @module
 */
import type { Grouping } from "./metrics.ts";
import { type Numbers, quantileSorted, rowIndices, type RowSet } from "./_series.ts";

const HOUR_MS = 3_600_000, DAY_MS = 86_400_000;

/** Session hours [start, end) in UTC (SPEC §5). */
export const SESSION_HOURS = {
  tokyo: [0, 9],
  london: [7, 16],
  newyork: [12, 21],
} as const;

/** Labels of {@linkcode sessionGroups}, in clock order. */
export const SESSION_BLOCKS = [
  "tokyo",
  "tokyo_london",
  "london",
  "london_newyork",
  "newyork",
  "off",
] as const;

/** UTC hour 0..23 of an epoch-ms instant (NaN → −1). */
function hourOf(ms: number): number {
  if (ms !== ms) return -1;
  return Math.floor((((ms % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS);
}

/** Exclusive block of each UTC hour, indices into SESSION_BLOCKS. */
const BLOCK_OF_HOUR = Int32Array.from({ length: 24 }, (_, h) => {
  const t = h < 9, l = h >= 7 && h < 16, n = h >= 12 && h < 21;
  if (t && l) return 1;
  if (t) return 0;
  if (l && n) return 3;
  if (l) return 2;
  if (n) return 4;
  return 5;
});

/**
 * Exclusive session blocks of each bar (overlaps are their own blocks).
 * @param tsMs bar start times, epoch milliseconds UTC
 * @returns codes into {@linkcode SESSION_BLOCKS}
 * @example
 * ```ts
 * import { sessionGroups } from "./groups.ts";
 * import assert from "node:assert/strict";
 * const h = (x: number) => Date.UTC(2024, 0, 2, x);
 * const g = sessionGroups([h(0), h(7), h(9), h(12), h(16), h(21)]);
 * assert.deepEqual([...g.codes], [0, 1, 2, 3, 4, 5]);
 * ```
 */
export function sessionGroups(tsMs: Numbers): Grouping {
  const codes = new Int32Array(tsMs.length);
  for (let i = 0; i < tsMs.length; i++) {
    const h = hourOf(tsMs[i]);
    codes[i] = h < 0 ? -1 : BLOCK_OF_HOUR[h];
  }
  return { codes, labels: SESSION_BLOCKS };
}

/** Overlapping session memberships: 1 when the bar's hour is in the session. */
export interface SessionMasks {
  tokyo: Uint8Array;
  london: Uint8Array;
  newyork: Uint8Array;
  /** Outside all three sessions (21–24 UTC). */
  off: Uint8Array;
}

/**
 * Overlapping session masks, for `metricsBy()` "per session" where a London–New York bar
 * counts in both.
 * @param tsMs bar start times, epoch milliseconds UTC
 * @returns one 0/1 mask per session (NaN times: 0 everywhere)
 * @example
 * ```ts
 * import { sessionMasks } from "./groups.ts";
 * import assert from "node:assert/strict";
 * const m = sessionMasks([Date.UTC(2024, 0, 2, 13, 59)]);
 * assert.deepEqual([m.tokyo[0], m.london[0], m.newyork[0], m.off[0]], [0, 1, 1, 0]);
 * ```
 */
export function sessionMasks(tsMs: Numbers): SessionMasks {
  const n = tsMs.length;
  const out = {
    tokyo: new Uint8Array(n),
    london: new Uint8Array(n),
    newyork: new Uint8Array(n),
    off: new Uint8Array(n),
  };
  for (let i = 0; i < n; i++) {
    const h = hourOf(tsMs[i]);
    if (h < 0) continue;
    let any = 0;
    for (const s of ["tokyo", "london", "newyork"] as const) {
      const [a, b] = SESSION_HOURS[s];
      if (h >= a && h < b) out[s][i] = any = 1;
    }
    if (!any) out.off[i] = 1;
  }
  return out;
}

/**
 * Tercile cut points [c₁, c₂] of `x` over the train rows (NaN skipped).
 * @param x the series to cut (e.g. a trailing realized volatility, known at t)
 * @param train the train segment: rows [start, end), or explicit `rows` (a dataset `Segment`)
 * @returns the 1/3 and 2/3 quantiles (type 7)
 * @example
 * ```ts
 * import { fitTerciles } from "./groups.ts";
 * import assert from "node:assert/strict";
 * // train rows 0..3 = 1, 2, 3, 4 → positions 1 and 2 of the sorted values; row 4 is ignored
 * assert.deepEqual(fitTerciles([4, 1, 3, 2, 100], { start: 0, end: 4 }), [2, 3]);
 * ```
 */
export function fitTerciles(x: Numbers, train: RowSet): [number, number] {
  const rows = rowIndices("train", train, x.length);
  const vals: number[] = [];
  for (const i of rows) if (x[i] === x[i]) vals.push(x[i]);
  if (vals.length === 0) {
    throw new RangeError(`Expected non-NaN values in the ${rows.length} train rows but found none`);
  }
  const sorted = Float64Array.from(vals).sort();
  return [quantileSorted(sorted, 1 / 3), quantileSorted(sorted, 2 / 3)];
}

/** Options of {@linkcode volatilityTerciles}. */
export interface TercileOptions {
  /** Use these cut points instead of fitting them on `train`. @default fitTerciles(vol, train) */
  cuts?: readonly [number, number];
}

/** A tercile grouping with the cut points it used. */
export interface TercileGrouping extends Grouping {
  cuts: [number, number];
}

/**
 * Volatility tercile of every row, with cut points fit on the train segment only.
 * @param vol a volatility series known at t (e.g. trailing std of returns)
 * @param train the train segment: rows [start, end), or explicit `rows` (a dataset `Segment`)
 * @param options fixed cut points
 * @returns codes 0 `low`, 1 `mid`, 2 `high`, −1 for NaN; and the cuts
 * @example
 * ```ts
 * import { volatilityTerciles } from "./groups.ts";
 * import assert from "node:assert/strict";
 * // cuts from train rows 0..2 (1, 2, 3): [1 + 2/3, 2 + 1/3]
 * const g = volatilityTerciles([1, 2, 3, 0.5, 2, 9, NaN], { start: 0, end: 3 });
 * assert.deepEqual([...g.codes], [0, 1, 2, 0, 1, 2, -1]);
 * ```
 */
export function volatilityTerciles(
  vol: Numbers,
  train: RowSet,
  options: TercileOptions = {},
): TercileGrouping {
  const [c1, c2] = options.cuts ?? fitTerciles(vol, train);
  if (!(c1 <= c2)) throw new RangeError(`Expected cuts c1 <= c2 but found [${c1}, ${c2}]`);
  const codes = new Int32Array(vol.length);
  for (let i = 0; i < vol.length; i++) {
    const v = vol[i];
    codes[i] = v !== v ? -1 : v <= c1 ? 0 : v <= c2 ? 1 : 2;
  }
  return { codes, labels: ["low", "mid", "high"], cuts: [c1, c2] };
}

/** Options of {@linkcode trendGroups}. */
export interface TrendOptions {
  /** |trend| ≤ flat is `flat`. @default 0 */
  flat?: number;
}

/**
 * Trend state of every row from a trend measure known at t.
 * @param trend e.g. the slope of a trailing linear fit, or a trailing return
 * @param options the flat band
 * @returns codes 0 `down`, 1 `flat`, 2 `up`, −1 for NaN
 * @example
 * ```ts
 * import { trendGroups } from "./groups.ts";
 * import assert from "node:assert/strict";
 * const g = trendGroups([-2, -0.5, 0, 0.5, 2, NaN], { flat: 1 });
 * assert.deepEqual([...g.codes], [0, 1, 1, 1, 2, -1]);
 * ```
 */
export function trendGroups(trend: Numbers, options: TrendOptions = {}): Grouping {
  const { flat = 0 } = options;
  if (!(flat >= 0)) throw new RangeError(`Expected flat to be >= 0 but found ${flat}`);
  const codes = new Int32Array(trend.length);
  for (let i = 0; i < trend.length; i++) {
    const v = trend[i];
    codes[i] = v !== v ? -1 : v > flat ? 2 : v < -flat ? 0 : 1;
  }
  return { codes, labels: ["down", "flat", "up"] };
}
