/**
 * Point-forecast metrics (SPEC §6 "metrics per horizon and pair"): R², MAE, RMSE, directional
 * accuracy and quantile coverage, one report per segment ({@linkcode metrics}) and per group
 * ({@linkcode metricsBy}: session, volatility tercile, trend state — labels from `groups.ts`).
 *
 * Conventions (choices SPEC leaves open):
 * - **Missing values.** A row whose y or ŷ is NaN is skipped and counted in `skipped`; `n` counts
 *   the rows used. ±Infinity is not missing: it propagates (an infinite forecast is a bug to see).
 * - **R²** = 1 − SSE/SST with SST = Σ(y − ȳ)² around the mean ȳ of the evaluated rows themselves
 *   (the segment being scored, as scikit-learn does). Pass `mean` (e.g. the train mean) to get
 *   the out-of-sample R² of Campbell & Thompson (2008) instead, whose benchmark is known ex ante.
 *   SST = 0 (a constant y) gives NaN. R² is negative when the forecast is worse than ȳ.
 * - **Directional accuracy** for the BQX targets is about the *change* (SPEC §4
 *   `direction_h` = sign(target_h − w{h}_bqx_return(t))): realized direction sign(y − c),
 *   forecast direction sign(ŷ − c), with c the current baseline — w{h}_bqx_return(t) for
 *   `target_h`, 0 for `target_h_scaled` (already a change). Rows where either change is 0 (or
 *   within `tolerance`) have no direction: they are excluded from the hit rate and counted
 *   (`zeros`, split into `realizedZeros` / `forecastZeros`, a row with both counts in both).
 * - **Coverage** of an interval [lo, hi] = share of rows with lo ≤ y ≤ hi (closed); rows where
 *   y, lo or hi is NaN are skipped; `crossed` counts rows with lo > hi (they never cover).
 *
 * @example
 * ```ts
 * import { metrics } from "./metrics.ts";
 * import assert from "node:assert/strict";
 * const y = new Float64Array([1, 2, 3, NaN]), yhat = new Float64Array([1, 3, 2, 5]);
 * const m = metrics(y, yhat);
 * // ȳ = 2, SST = 2, SSE = 0 + 1 + 1 = 2 → R² = 0; MAE = 2/3; RMSE = √(2/3)
 * assert.equal(m.r2, 0);
 * assert.equal(m.n, 3);
 * assert.equal(m.skipped, 1);
 * assert.ok(Math.abs(m.mae - 2 / 3) < 1e-15);
 * ```
 * @module
 */
import { type Numbers, sameLength } from "./_series.ts";

/** A metric value with the rows it used and the rows it skipped (NaN y or ŷ). */
export interface Score {
  /** The metric (NaN when no row is usable). */
  value: number;
  /** Rows used. */
  n: number;
  /** Rows skipped because an input was NaN. */
  skipped: number;
}

/** Options of {@linkcode r2}. */
export interface R2Options {
  /**
   * Benchmark mean for SST (e.g. the train mean: out-of-sample R²).
   * @default the mean of the evaluated y
   */
  mean?: number;
}

/** Σ over rows where y and ŷ are both non-NaN: [n, Σy, Σ(y−ŷ)², Σ|y−ŷ|]. */
function sums(y: Numbers, yhat: Numbers): [number, number, number, number] {
  sameLength("y", y, "yhat", yhat);
  let n = 0, sy = 0, sse = 0, sae = 0;
  for (let i = 0; i < y.length; i++) {
    const a = y[i], b = yhat[i];
    if (a !== a || b !== b) continue;
    const e = a - b;
    n++;
    sy += a;
    sse += e * e;
    sae += Math.abs(e);
  }
  return [n, sy, sse, sae];
}

/**
 * Coefficient of determination 1 − SSE/SST over the rows where y and ŷ are both present.
 * @param y realized values
 * @param yhat forecasts (same length)
 * @param options benchmark mean
 * @returns R² with its row counts; NaN when SST = 0 or no row is usable
 * @example
 * ```ts
 * import { r2 } from "./metrics.ts";
 * import assert from "node:assert/strict";
 * // ȳ = 2, SST = 2, SSE = 0.5 → 0.75; against a train mean of 0: SST = 14 → 1 − 0.5/14
 * const y = [1, 2, 3], yhat = [1.5, 2, 2.5];
 * assert.equal(r2(y, yhat).value, 0.75);
 * assert.equal(r2(y, yhat, { mean: 0 }).value, 1 - 0.5 / 14);
 * ```
 */
export function r2(y: Numbers, yhat: Numbers, options: R2Options = {}): Score {
  const [n, sy, sse] = sums(y, yhat);
  const { mean = sy / n } = options;
  let sst = 0;
  for (let i = 0; i < y.length; i++) {
    const a = y[i], b = yhat[i];
    if (a !== a || b !== b) continue;
    sst += (a - mean) * (a - mean);
  }
  const value = n > 0 && sst > 0 ? 1 - sse / sst : NaN;
  return { value, n, skipped: y.length - n };
}

/**
 * Mean absolute error over the rows where y and ŷ are both present.
 * @param y realized values
 * @param yhat forecasts (same length)
 * @returns MAE with its row counts
 * @example
 * ```ts
 * import { mae } from "./metrics.ts";
 * import assert from "node:assert/strict";
 * const s = mae([1, 2, NaN, 4], [2, 2, 0, 1]); // (1 + 0 + 3) / 3
 * assert.equal(s.value, 4 / 3);
 * assert.equal(s.skipped, 1);
 * ```
 */
export function mae(y: Numbers, yhat: Numbers): Score {
  const [n, , , sae] = sums(y, yhat);
  return { value: n > 0 ? sae / n : NaN, n, skipped: y.length - n };
}

/**
 * Root mean squared error over the rows where y and ŷ are both present.
 * @param y realized values
 * @param yhat forecasts (same length)
 * @returns RMSE with its row counts
 * @example
 * ```ts
 * import { rmse } from "./metrics.ts";
 * import assert from "node:assert/strict";
 * assert.equal(rmse([0, 0, 0, 0], [3, 4, -3, -4]).value, Math.sqrt(50 / 4));
 * ```
 */
export function rmse(y: Numbers, yhat: Numbers): Score {
  const [n, , sse] = sums(y, yhat);
  return { value: n > 0 ? Math.sqrt(sse / n) : NaN, n, skipped: y.length - n };
}

/** Options of {@linkcode directionalAccuracy}. */
export interface DirectionOptions {
  /** A change with |change| ≤ tolerance counts as 0 (no direction). @default 0 */
  tolerance?: number;
}

/** Directional accuracy: `value` = hits / n over rows where both changes have a direction. */
export interface DirectionScore extends Score {
  /** Rows where sign(ŷ − c) = sign(y − c). */
  hits: number;
  /** Rows with a zero realized or forecast change (excluded from n). */
  zeros: number;
  /** Rows whose realized change is 0. */
  realizedZeros: number;
  /** Rows whose forecast change is 0. */
  forecastZeros: number;
}

/**
 * Share of rows where the forecast change and the realized change, both measured from the
 * current baseline c, have the same sign (zeros excluded and counted; NaN y, ŷ or c skipped).
 * @param y realized target (e.g. `target_15`)
 * @param yhat forecast of the target
 * @param current the baseline c: w{h}_bqx_return(t) for `target_h` (an array), or 0 for targets
 *   that are already changes (`target_h_scaled`)
 * @param options zero tolerance
 * @returns the hit rate with hits, zeros and row counts
 * @example
 * ```ts
 * import { directionalAccuracy } from "./metrics.ts";
 * import assert from "node:assert/strict";
 * const now = [1, 1, 1, 1, 1];
 * // changes y − c: +1, −1, +1, 0, +2; ŷ − c: +0.5, +0.5, +2, +1, 0
 * const d = directionalAccuracy([2, 0, 2, 1, 3], [1.5, 1.5, 3, 2, 1], now);
 * assert.equal(d.hits, 2); // rows 0 and 2
 * assert.equal(d.n, 3);
 * assert.equal(d.value, 2 / 3);
 * assert.equal(d.zeros, 2); // row 3 (realized 0) and row 4 (forecast 0)
 * ```
 */
export function directionalAccuracy(
  y: Numbers,
  yhat: Numbers,
  current: Numbers | number,
  options: DirectionOptions = {},
): DirectionScore {
  const { tolerance = 0 } = options;
  sameLength("y", y, "yhat", yhat);
  if (typeof current !== "number") sameLength("y", y, "current", current);
  if (!(tolerance >= 0)) {
    throw new RangeError(`Expected tolerance to be >= 0 but found ${tolerance}`);
  }
  let n = 0, hits = 0, skipped = 0, realizedZeros = 0, forecastZeros = 0, zeros = 0;
  for (let i = 0; i < y.length; i++) {
    const c = typeof current === "number" ? current : current[i];
    const dy = y[i] - c, df = yhat[i] - c;
    if (dy !== dy || df !== df) {
      skipped++;
      continue;
    }
    const zy = Math.abs(dy) <= tolerance, zf = Math.abs(df) <= tolerance;
    if (zy || zf) {
      zeros++;
      if (zy) realizedZeros++;
      if (zf) forecastZeros++;
      continue;
    }
    n++;
    if ((dy > 0) === (df > 0)) hits++;
  }
  return {
    value: n > 0 ? hits / n : NaN,
    n,
    skipped,
    hits,
    zeros,
    realizedZeros,
    forecastZeros,
  };
}

/** Interval coverage: `value` = share of rows with lo ≤ y ≤ hi. */
export interface CoverageScore extends Score {
  /** Rows with y < lo. */
  below: number;
  /** Rows with y > hi. */
  above: number;
  /** Rows with lo > hi (quantile crossing; counted in n, never covering). */
  crossed: number;
  /** Mean of hi − lo over the rows used. */
  meanWidth: number;
}

/**
 * Empirical coverage of forecast intervals (e.g. q05–q95 should cover 90 %).
 * @param y realized values
 * @param lo lower quantile forecasts
 * @param hi upper quantile forecasts
 * @returns the covered share with below/above/crossed counts and the mean width
 * @example
 * ```ts
 * import { coverage } from "./metrics.ts";
 * import assert from "node:assert/strict";
 * // inside, on the edge (closed), below, above
 * const c = coverage([0, 1, -2, 5], [-1, 0, -1, -1], [1, 1, 1, 1]);
 * assert.equal(c.value, 0.5);
 * assert.equal(c.below, 1);
 * assert.equal(c.above, 1);
 * assert.equal(c.meanWidth, (2 + 1 + 2 + 2) / 4);
 * ```
 */
export function coverage(y: Numbers, lo: Numbers, hi: Numbers): CoverageScore {
  sameLength("y", y, "lo", lo);
  sameLength("y", y, "hi", hi);
  let n = 0, inside = 0, below = 0, above = 0, crossed = 0, width = 0;
  for (let i = 0; i < y.length; i++) {
    const v = y[i], a = lo[i], b = hi[i];
    if (v !== v || a !== a || b !== b) continue;
    n++;
    width += b - a;
    if (a > b) crossed++;
    if (v < a) below++;
    else if (v > b) above++;
    else if (a <= b) inside++;
  }
  return {
    value: n > 0 ? inside / n : NaN,
    n,
    skipped: y.length - n,
    below,
    above,
    crossed,
    meanWidth: n > 0 ? width / n : NaN,
  };
}

/** Options of {@linkcode metrics} and {@linkcode metricsBy}. */
export interface MetricsOptions {
  /**
   * Baseline c for directional accuracy (array, or 0 for change targets).
   * @default undefined (no hit rate)
   */
  current?: Numbers | number;
  /** Lower interval bound for coverage. @default undefined (no coverage) */
  lo?: Numbers;
  /** Upper interval bound for coverage. @default undefined (no coverage) */
  hi?: Numbers;
  /** Benchmark mean for R² (see {@linkcode r2}). @default the evaluated rows' mean */
  mean?: number;
  /** Zero tolerance of directional accuracy. @default 0 */
  tolerance?: number;
}

/** One row of a metrics table: flat numbers, NaN where a metric was not asked for. */
export interface MetricReport {
  /** Rows where y and ŷ are both present. */
  n: number;
  /** Rows skipped (NaN y or ŷ). */
  skipped: number;
  r2: number;
  mae: number;
  rmse: number;
  /** Directional accuracy (NaN without `current`). */
  hitRate: number;
  /** Rows in the hit rate. */
  hitN: number;
  /** Rows without a direction (zero change), excluded from the hit rate. */
  hitZeros: number;
  /** Interval coverage (NaN without `lo`/`hi`). */
  coverage: number;
  /** Rows in the coverage. */
  coverageN: number;
}

/**
 * All metrics of one segment as one flat table row.
 * @param y realized values
 * @param yhat forecasts (same length)
 * @param options baseline for the hit rate, interval bounds, R² benchmark mean
 * @returns a {@linkcode MetricReport}
 * @example
 * ```ts
 * import { metrics } from "./metrics.ts";
 * import assert from "node:assert/strict";
 * // changes from c = 1: realized +1, −1, +2; forecast +0.5, +0.5, −0.5 → only row 0 agrees
 * const m = metrics([2, 0, 3], [1.5, 1.5, 0.5], { current: 1, lo: [1, 1, 1], hi: [3, 3, 3] });
 * assert.equal(m.hitRate, 1 / 3);
 * assert.equal(m.coverage, 2 / 3); // 2 and 3 lie in [1, 3], 0 does not
 * ```
 */
export function metrics(y: Numbers, yhat: Numbers, options: MetricsOptions = {}): MetricReport {
  const { current, lo, hi, mean, tolerance = 0 } = options;
  const fit = r2(y, yhat, { mean });
  const d = current === undefined
    ? undefined
    : directionalAccuracy(y, yhat, current, { tolerance });
  let c: CoverageScore | undefined;
  if (lo !== undefined || hi !== undefined) {
    if (lo === undefined || hi === undefined) {
      throw new TypeError(
        `Expected both lo and hi for coverage but found only ${lo ? "lo" : "hi"}`,
      );
    }
    c = coverage(y, lo, hi);
  }
  return {
    n: fit.n,
    skipped: fit.skipped,
    r2: fit.value,
    mae: mae(y, yhat).value,
    rmse: rmse(y, yhat).value,
    hitRate: d?.value ?? NaN,
    hitN: d?.n ?? 0,
    hitZeros: d?.zeros ?? 0,
    coverage: c?.value ?? NaN,
    coverageN: c?.n ?? 0,
  };
}

/** Exclusive group codes: row i is in group `labels[codes[i]]`; a negative code is in none. */
export interface Grouping {
  codes: Int32Array;
  labels: readonly string[];
}

/** Possibly overlapping groups: a membership mask per label (non-zero = member). */
export type GroupMasks = Readonly<Record<string, Numbers>>;

/** One group's row of {@linkcode metricsBy}. */
export interface GroupReport extends MetricReport {
  group: string;
  /** Rows of the group (before skipping NaN). */
  rows: number;
}

/** Row indices of every group, in label order. */
function members(
  groups: Grouping | readonly string[] | GroupMasks,
  n: number,
): [string, Int32Array][] {
  if (Array.isArray(groups)) {
    const labels = groups as readonly string[];
    sameLength("y", { length: n }, "groups", labels);
    const by = new Map<string, number[]>();
    for (let i = 0; i < n; i++) {
      const l = labels[i];
      if (l === undefined || l === null) continue;
      let list = by.get(l);
      if (!list) by.set(l, list = []);
      list.push(i);
    }
    return [...by].map(([l, rows]) => [l, Int32Array.from(rows)]);
  }
  if ("codes" in groups && "labels" in groups && groups.codes instanceof Int32Array) {
    const { codes, labels } = groups as Grouping;
    sameLength("y", { length: n }, "groups.codes", codes);
    const lists: number[][] = labels.map(() => []);
    for (let i = 0; i < n; i++) {
      const c = codes[i];
      if (c < 0) continue;
      if (c >= labels.length) {
        throw new RangeError(
          `Expected group codes below ${labels.length} but found ${c} at row ${i}`,
        );
      }
      lists[c].push(i);
    }
    return labels.map((l, k) => [l, Int32Array.from(lists[k])]);
  }
  return Object.entries(groups as GroupMasks).map(([l, mask]) => {
    sameLength("y", { length: n }, `groups.${l}`, mask);
    const rows: number[] = [];
    for (let i = 0; i < n; i++) if (mask[i]) rows.push(i);
    return [l, Int32Array.from(rows)];
  });
}

function gather(a: Numbers, rows: Int32Array): Float64Array {
  const out = new Float64Array(rows.length);
  for (let k = 0; k < rows.length; k++) out[k] = a[rows[k]];
  return out;
}

/**
 * {@linkcode metrics} per group (SPEC §6 breakdown by session, volatility tercile, trend state).
 * Within a group R² is around the group's own mean unless `mean` is given.
 * @param y realized values
 * @param yhat forecasts (same length)
 * @param groups exclusive codes + labels ({@linkcode Grouping}, e.g. from `groups.ts`), one
 *   label per row (first-seen order; null/undefined rows in no group), or overlapping masks
 *   ({@linkcode GroupMasks}, e.g. sessions where London and New York overlap)
 * @param options as {@linkcode metrics}; `current`, `lo`, `hi` arrays are full-length
 * @returns one report per group, in label order (empty groups included, with n = 0)
 * @example
 * ```ts
 * import { metricsBy } from "./metrics.ts";
 * import assert from "node:assert/strict";
 * const y = [1, 2, 3, 4], yhat = [1, 1, 3, 6];
 * const by = metricsBy(y, yhat, ["a", "b", "a", "b"]);
 * assert.deepEqual(by.map((g) => [g.group, g.mae]), [["a", 0], ["b", 1.5]]);
 * ```
 */
export function metricsBy(
  y: Numbers,
  yhat: Numbers,
  groups: Grouping | readonly string[] | GroupMasks,
  options: MetricsOptions = {},
): GroupReport[] {
  sameLength("y", y, "yhat", yhat);
  const { current, lo, hi } = options;
  if (current !== undefined && typeof current !== "number") sameLength("y", y, "current", current);
  if (lo !== undefined) sameLength("y", y, "lo", lo);
  if (hi !== undefined) sameLength("y", y, "hi", hi);
  return members(groups, y.length).map(([group, rows]) => ({
    group,
    rows: rows.length,
    ...metrics(gather(y, rows), gather(yhat, rows), {
      ...options,
      current: current === undefined || typeof current === "number"
        ? current
        : gather(current, rows),
      lo: lo && gather(lo, rows),
      hi: hi && gather(hi, rows),
    }),
  }));
}
