/**
 * Simple and exponential moving averages of the rate index and of BQX (SPEC §5, family "moving
 * averages"): SMA and EMA over {5, 10, 20, 50, 100, 200} rows — 12 columns per domain,
 * `{p}_sma_{w}` then `{p}_ema_{w}` (p = idx | bqx).
 *
 * Why: the smoothed level at several horizons (and, by difference, trend and crossovers) is the
 * oldest trend descriptor; on BQX it is a smoothed momentum.
 *
 * Choices SPEC leaves open:
 * - SMA w: trailing mean of rows t−w+1 … t (current row included), NaN until the window is full;
 * - EMA span w: α = 2 / (w + 1), seeded with the SMA of the first w defined values (TA-Lib's
 *   convention, `ema()` in `_kernels.ts`), so it is defined from the same row as the SMA and the
 *   seed's weight decays as (1 − α)^k. It is recursive over the whole series: `from` does not
 *   shorten it (the live path passes a tail long enough for the seed to vanish; only rows `from..`
 *   are written, and the six chains run side by side, `emaManyInto()`); a NaN input after the
 *   seed leaves it unchanged for that row, while an SMA window holding a NaN is NaN;
 * - BQX domain: the source is `w15_bqx_return`, NaN for t < 15, so warm-up is 15 rows longer.
 *
 * @example
 * ```ts
 * import { movingAverages } from "./movingAverages.ts";
 * import type { PairSeries } from "./_types.ts";
 * import assert from "node:assert/strict";
 * // 100, 101, … : SMA 5 at row 5 = mean(101 … 105) = 103; EMA 5 seed at row 4 = 102, then
 * // row 5 = 102 + (1/3)(105 − 102) = 103
 * const n = 6, close = Float64Array.from({ length: n }, (_, i) => 100 + i);
 * const s = { pair: "eurusd", n, close, bqx: new Float64Array(n).fill(NaN) } as PairSeries;
 * const cols = new Map<string, Float64Array>();
 * movingAverages.compute(s, { from: 0 }, (name) => {
 *   const a = new Float64Array(n).fill(NaN);
 *   cols.set(name, a);
 *   return a;
 * });
 * assert.equal(cols.get("idx_sma_5")![5], 103);
 * assert.ok(Math.abs(cols.get("idx_ema_5")![5] - 103) < 1e-12);
 * ```
 * @module
 */
import type { Domain, FeatureFamily, FeatureSpec, PairSeries } from "./_types.ts";
import { emaManyInto, rollingMeanInto } from "./_kernels.ts";

/** Windows (SMA) and spans (EMA), in rows. */
const WINDOWS = [5, 10, 20, 50, 100, 200] as const;
/** w15_bqx_return(t) is defined for t ≥ 15 (SPEC §3). */
const BQX_LEAD = 15;

/** One domain: variants only set the source array and the prefix. */
interface Variant {
  domain: Domain;
  /** Rows before the source itself is defined. */
  lead: number;
  source(s: PairSeries): Float64Array;
}

const VARIANTS: readonly Variant[] = [
  { domain: "idx", lead: 0, source: (s) => s.close },
  { domain: "bqx", lead: BQX_LEAD, source: (s) => s.bqx },
];

function columns(v: Variant): FeatureSpec[] {
  return (["sma", "ema"] as const).flatMap((kind) =>
    WINDOWS.map((w) => ({
      name: `${v.domain}_${kind}_${w}`,
      family: "movingAverages",
      domain: v.domain,
      scope: "primary" as const,
      params: { kind, window: w, source: v.domain === "idx" ? "rate_index" : "w15_bqx_return" },
      warmup: v.lead + w - 1,
      doc: `${kind.toUpperCase()} ${w} of the ${v.domain === "idx" ? "rate index" : "BQX series"}`,
    }))
  );
}

/** The family: 12 columns per domain. */
export const movingAverages: FeatureFamily = {
  name: "movingAverages",
  specs: () => VARIANTS.flatMap(columns),
  compute(series, ctx, out) {
    const { from } = ctx;
    for (const v of VARIANTS) {
      const x = v.source(series);
      for (const w of WINDOWS) rollingMeanInto(x, w, from, out(`${v.domain}_sma_${w}`));
      // the six EMA chains advance side by side (three per pass), rows `from..` written
      emaManyInto(x, WINDOWS, from, WINDOWS.map((w) => out(`${v.domain}_ema_${w}`)));
    }
  },
};
