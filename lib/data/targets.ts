/**
 * Forecast targets (SPEC §4), for horizon h ∈ {15, 30, 45, 60, 75}:
 *
 * - `target_{h}`        = w{h}_bqx_return(t+h): the future BQX whose window equals the horizon;
 *                         it depends only on idx(t … t+h).
 * - `target_{h}_scaled` = (w{h}_bqx_return(t+h) − w{h}_bqx_return(t)) / σ(t), with σ the EWMA
 *                         standard deviation (span 60) of the 1-bar change of w{h}_bqx_return.
 * - `direction_{h}`     = sign(w{h}_bqx_return(t+h) − w{h}_bqx_return(t)) ∈ {−1, 0, 1} (Int8).
 *
 * Null when t+h runs past the data, or when any step between bars t and t+h is longer than one
 * minute (after gap filling, such a step is a gap of ≥ 5 missing minutes, SPEC §2). The scaled
 * target and the direction are also null while w{h}_bqx_return(t) or σ(t) is (warm-up), and the
 * scaled target is null when σ(t) = 0 (a flat market has no scale).
 *
 * σ(t) — SPEC only says "EWMA standard deviation (span 60)", so we fix the textbook recursive
 * form (pandas `ewm(span=60, adjust=False).std(bias=True)`): α = 2/(span+1), on the change series
 * d, starting at its first defined value with m = d, v = 0, then
 *     v(t) = (1−α)·( v(t−1) + α·(d(t) − m(t−1))² ),   m(t) = m(t−1) + α·(d(t) − m(t−1)),
 * and σ = √v reported once `minPeriods` (= span) changes have been seen. It uses d up to t only.
 *
 * Fixed-window variant: `fixedWindow: W` forecasts w{W}_bqx_return(t+h) at every horizon h
 * (SPEC §4). When W > h the target overlaps what is known at t: reports must say so.
 *
 * @example
 * ```ts
 * import { ewmStd } from "./targets.ts";
 * import assert from "node:assert/strict";
 * // span 1 → α = 1: v = (1−1)·… = 0 after the first change
 * const s = ewmStd(new Float64Array([NaN, 1, 2, 3]), { span: 3, minPeriods: 2 });
 * assert.ok(Number.isNaN(s[1]));
 * // α = 0.5: d = 1, 2 → m = 1 → v = 0.5·(0 + 0.5·1) = 0.25
 * assert.equal(s[2], 0.5);
 * ```
 * @module
 */
import pl from "nodejs-polars";
import { bqxArrays } from "./bqx.ts";
import { HORIZONS, MINUTE_MS } from "./schema.ts";

/** Options of {@linkcode ewmStd}. */
export interface EwmStdOptions {
  /** EWMA span; α = 2/(span+1). @default 60 */
  span?: number;
  /** Defined values needed before σ is reported. @default span */
  minPeriods?: number;
}

/**
 * Recursive EWMA standard deviation (adjust=false, bias=true) of a series that may start with NaN.
 * NaN inside the series (after the start) is skipped: σ carries over unchanged.
 */
export function ewmStd(x: Float64Array, options: EwmStdOptions = {}): Float64Array {
  const { span = 60 } = options;
  const { minPeriods = span } = options;
  if (!(span >= 1)) throw new RangeError(`Expected span to be >= 1 but found ${span}`);
  const a = 2 / (span + 1);
  const out = new Float64Array(x.length).fill(NaN);
  let m = 0, v = 0, seen = 0;
  for (let t = 0; t < x.length; t++) {
    const d = x[t];
    if (d !== d) { // NaN
      if (seen >= minPeriods) out[t] = Math.sqrt(v);
      continue;
    }
    if (seen === 0) {
      m = d;
      v = 0;
    } else {
      const e = d - m;
      v = (1 - a) * (v + a * e * e);
      m += a * e;
    }
    seen++;
    if (seen >= minPeriods) out[t] = Math.sqrt(v);
  }
  return out;
}

/**
 * Running count of gaps: `out[i]` = number of steps longer than one minute among rows 1..i, so
 * rows a < b are gap-free between them exactly when `out[a] === out[b]`.
 */
export function gapCounts(tsMs: Float64Array): Int32Array {
  const n = tsMs.length;
  const gaps = new Int32Array(n);
  for (let i = 1; i < n; i++) gaps[i] = gaps[i - 1] + (tsMs[i] - tsMs[i - 1] > MINUTE_MS ? 1 : 0);
  return gaps;
}

/** Options of {@linkcode targets}. */
export interface TargetOptions {
  /** Horizons h in bars. @default [15, 30, 45, 60, 75] */
  horizons?: readonly number[];
  /** Forecast w{fixedWindow}_bqx_return at every horizon instead of w{h}. @default undefined (W = h) */
  fixedWindow?: number;
  /** Span of the EWMA σ of the scaled target. @default 60 */
  span?: number;
  /** Source column. @default "rate_index" */
  column?: string;
}

/** Target arrays for one horizon: NaN for null (direction: NaN too, cast to Int8 later). */
export interface TargetArrays {
  target: Float64Array;
  scaled: Float64Array;
  direction: Float64Array;
}

/**
 * Targets of one horizon from a BQX return series and the bar timestamps.
 * @param bqxReturn w{W}_bqx_return(t) (NaN in warm-up)
 * @param tsMs bar start times, epoch ms (Float64Array or BigInt64Array)
 * @param h horizon in bars
 */
export function targetArrays(
  bqxReturn: Float64Array,
  tsMs: Float64Array,
  h: number,
  options: { span?: number; gaps?: Int32Array } = {},
): TargetArrays {
  const { span = 60, gaps = gapCounts(tsMs) } = options;
  const n = bqxReturn.length;
  const target = new Float64Array(n), scaled = new Float64Array(n), direction = new Float64Array(n);
  // One forward pass: σ(t) is the ewmStd() recursion on d(t) = r(t) − r(t−1), updated in place
  // before row t's targets are written (so it only ever holds changes up to t).
  const a = 2 / (span + 1);
  let m = 0, v = 0, seen = 0;
  for (let t = 0; t < n; t++) {
    const now = bqxReturn[t];
    if (t > 0) {
      const d = now - bqxReturn[t - 1];
      if (d === d) {
        if (seen === 0) m = d;
        else {
          const e = d - m;
          v = (1 - a) * (v + a * e * e);
          m += a * e;
        }
        seen++;
      }
    }
    if (t + h >= n || gaps[t + h] !== gaps[t]) {
      target[t] = scaled[t] = direction[t] = NaN;
      continue;
    }
    const fut = bqxReturn[t + h];
    target[t] = fut;
    const ch = fut - now;
    if (ch === ch) { // not NaN
      direction[t] = ch > 0 ? 1 : ch < 0 ? -1 : 0;
      scaled[t] = seen >= span && v > 0 ? ch / Math.sqrt(v) : NaN;
    } else {
      scaled[t] = direction[t] = NaN;
    }
  }
  return { target, scaled, direction };
}

/**
 * Targets table for one pair: `ts_utc` + `target_{h}`, `target_{h}_scaled`, `direction_{h}`.
 * @param frame one pair's bars sorted by `ts_utc`, with `rate_index`
 * @param bqxReturns optional precomputed w{W}_bqx_return arrays keyed by W (saves recomputation)
 */
export function targets(
  frame: pl.DataFrame,
  options: TargetOptions = {},
  bqxReturns: Map<number, Float64Array> = new Map(),
): pl.DataFrame {
  const { horizons = HORIZONS, fixedWindow, span = 60, column = "rate_index" } = options;
  const ts = frame.getColumn("ts_utc").cast(pl.Float64).toTypedArray() as Float64Array;
  const gaps = gapCounts(ts);
  let idx: Float64Array | undefined;
  const cols: pl.Series[] = [frame.getColumn("ts_utc")];
  for (const h of horizons) {
    const W = fixedWindow ?? h;
    let r = bqxReturns.get(W);
    if (!r) {
      idx ??= frame.getColumn(column).cast(pl.Float64).toTypedArray() as Float64Array;
      r = bqxArrays(idx, W).return;
      bqxReturns.set(W, r);
    }
    const a = targetArrays(r, ts, h, { span, gaps });
    cols.push(
      pl.Series(`target_${h}`, a.target),
      pl.Series(`target_${h}_scaled`, a.scaled),
      pl.Series(`direction_${h}`, a.direction),
    );
  }
  const df = pl.DataFrame(cols);
  return df.withColumns(
    ...df.columns.filter((c) => c !== "ts_utc").map((c) =>
      c.startsWith("direction_") ? pl.col(c).fillNan(null).cast(pl.Int8) : pl.col(c).fillNan(null)
    ),
  );
}
