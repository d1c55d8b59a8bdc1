/**
 * The SPEC §6 calibration / leakage flag: published intraday work puts credible directional
 * accuracy at these horizons near 50.5–53 % and out-of-sample R² near 0–1 %, so a
 * **non-overlapping** target scored far above that is flagged for a leakage, label-balance and
 * cost audit before anyone believes it.
 *
 * Rules (defaults are choices, documented on {@linkcode CalibrationOptions}):
 * - hit rate > `maxHitRate` (55 %) → flag "hit_rate"; with `twoSided`, a hit rate below
 *   1 − maxHitRate is flagged too (a reliably wrong sign is as informative, hence as suspicious,
 *   as a reliably right one — or a sign convention bug);
 * - R² > `maxR2` (5 %, five times the credible ceiling) → flag "r2";
 * - a score computed on fewer than `minN` rows is reported as skipped, not flagged (noise);
 * - an **overlapping** target (fixed window W > h, SPEC §4) is skipped: it shares bars with what is
 *   known at t, so a high R² is expected there and the persistence baseline is the yardstick.
 *
 * @example
 * ```ts
 * import { leakageFlags } from "./calibration.ts";
 * import assert from "node:assert/strict";
 * const { flags } = leakageFlags([
 *   { horizon: 15, hitRate: 0.52, r2: 0.004 },
 *   { horizon: 30, hitRate: 0.61, r2: 0.02 },
 * ]);
 * assert.equal(flags.length, 1);
 * assert.equal(flags[0].horizon, 30);
 * assert.equal(flags[0].metric, "hit_rate");
 * ```
 * @module
 */

/** One horizon's out-of-sample scores. */
export interface HorizonScore {
  /** Horizon h in bars. */
  horizon: number;
  /** Directional accuracy in [0, 1] (NaN = not scored). */
  hitRate: number;
  /** Out-of-sample R² (NaN = not scored). */
  r2: number;
  /** Target window W; W > h marks an overlapping target. @default h (the SPEC §4 target) */
  window?: number;
  /** Rows behind the scores. @default Infinity (not checked) */
  n?: number;
}

/** Options of {@linkcode leakageFlags}. */
export interface CalibrationOptions {
  /** Flag hit rates above this. @default 0.55 */
  maxHitRate?: number;
  /** Also flag hit rates below 1 − maxHitRate. @default true */
  twoSided?: boolean;
  /** Flag R² above this. @default 0.05 */
  maxR2?: number;
  /** Scores on fewer rows are skipped. @default 1000 */
  minN?: number;
}

/** A raised flag. */
export interface LeakageFlag {
  horizon: number;
  metric: "hit_rate" | "r2";
  value: number;
  /** The threshold crossed. */
  threshold: number;
  /** Human-readable reason, ready for the report. */
  reason: string;
}

/** What {@linkcode leakageFlags} found. */
export interface CalibrationResult {
  flags: LeakageFlag[];
  /** Horizons checked (non-overlapping, enough rows). */
  audited: number[];
  /** Horizons not checked, with why. */
  skipped: { horizon: number; reason: string }[];
}

const AUDIT = "audit for leakage (features or scalers that see bars after t), label balance " +
  "(share of up/down/zero directions) and costs before trusting it";

/**
 * Flag horizons whose non-overlapping scores are implausibly good (SPEC §6 calibration).
 * @param scores one entry per horizon
 * @param options thresholds
 * @returns flags with reasons, and the horizons audited / skipped
 * @example
 * ```ts
 * import { leakageFlags } from "./calibration.ts";
 * import assert from "node:assert/strict";
 * const r = leakageFlags([{ horizon: 15, hitRate: 0.7, r2: 0.6, window: 60 }]);
 * assert.equal(r.flags.length, 0); // W = 60 > h = 15: overlapping, skipped
 * assert.equal(r.skipped[0].horizon, 15);
 * ```
 */
export function leakageFlags(
  scores: readonly HorizonScore[],
  options: CalibrationOptions = {},
): CalibrationResult {
  const { maxHitRate = 0.55, twoSided = true, maxR2 = 0.05, minN = 1000 } = options;
  if (!(maxHitRate >= 0.5 && maxHitRate <= 1)) {
    throw new RangeError(`Expected maxHitRate in [0.5, 1] but found ${maxHitRate}`);
  }
  if (!(maxR2 <= 1)) throw new RangeError(`Expected maxR2 <= 1 but found ${maxR2}`);
  const flags: LeakageFlag[] = [], audited: number[] = [];
  const skipped: { horizon: number; reason: string }[] = [];
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  for (const s of scores) {
    const { horizon: h, hitRate, r2, window = h, n = Infinity } = s;
    if (window > h) {
      skipped.push({
        horizon: h,
        reason: `overlapping target (W = ${window} > h = ${h}): part of it is known at t, ` +
          "so high scores are expected; compare with the persistence baseline",
      });
      continue;
    }
    if (n < minN) {
      skipped.push({ horizon: h, reason: `only ${n} rows (< ${minN}): too few to judge` });
      continue;
    }
    audited.push(h);
    const lo = 1 - maxHitRate;
    if (hitRate > maxHitRate) {
      flags.push({
        horizon: h,
        metric: "hit_rate",
        value: hitRate,
        threshold: maxHitRate,
        reason: `h = ${h}: directional accuracy ${pct(hitRate)} > ${pct(maxHitRate)} ` +
          `(credible: 50.5–53 %); ${AUDIT}`,
      });
    } else if (twoSided && hitRate < lo) {
      flags.push({
        horizon: h,
        metric: "hit_rate",
        value: hitRate,
        threshold: lo,
        reason: `h = ${h}: directional accuracy ${pct(hitRate)} < ${pct(lo)}, a reliably ` +
          `inverted sign (check the direction convention); ${AUDIT}`,
      });
    }
    if (r2 > maxR2) {
      flags.push({
        horizon: h,
        metric: "r2",
        value: r2,
        threshold: maxR2,
        reason: `h = ${h}: out-of-sample R² ${pct(r2)} > ${pct(maxR2)} (credible: 0–1 %); ${AUDIT}`,
      });
    }
  }
  return { flags, audited, skipped };
}
