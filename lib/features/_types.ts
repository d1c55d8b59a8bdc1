/**
 * The contract every feature family follows (SPEC §5).
 *
 * A family is a small object: `specs()` lists the columns it makes (the catalog: name, family,
 * domain, scope, parameters, warm-up), and `compute()` fills one Float64Array per column from typed
 * arrays of one pair (and, for cross-sectional families, the aligned market). Values are NaN where
 * undefined (warm-up, missing inputs); the build turns NaN into null and stores Float32.
 *
 * Causality is part of the contract: the value at row t may read rows <= t only, of this pair and
 * of every other pair (the market is aligned "as of" t: the latest bar at or before t).
 *
 * `from`: compute() must fill rows `from..n-1` (rows before `from` may stay NaN). Batch builds use
 * `from = 0`; the live path passes a short tail of history with `from = n − 1` so only the newest
 * row is computed. Kernels in `_kernels.ts` take the same `from`.
 * @module
 */

/** Column-name prefix = domain (SPEC §5). */
export type Domain = "idx" | "bqx" | "ret" | "x" | "t";
/** Cross-sectional scope (the original plan's "centrics"). */
export type Scope =
  | "primary"
  | "variant"
  | "covariant"
  | "triangulation"
  | "secondary"
  | "tertiary";

/** One catalog row. */
export interface FeatureSpec {
  /** Column name: lower_snake, prefixed by domain (`idx_rsi_14`, `x_usd_factor_z_60`). */
  name: string;
  /** Family id, e.g. "technical". */
  family: string;
  domain: Domain;
  scope: Scope;
  /** Parameters (window, lag, source, other pair…). */
  params: Record<string, number | string | boolean>;
  /** Rows needed before the value is defined (longest look-back, in bars of this pair). */
  warmup: number;
  /** Other pairs this column needs; when one is absent from the data the column is all null. */
  needs?: string[];
  /** One line of description. */
  doc?: string;
}

/** One pair's inputs, oldest first, all of length n (the pair's own rows, after gap filling). */
export interface PairSeries {
  pair: string;
  n: number;
  /** Bar start, epoch ms UTC. */
  ts: Float64Array;
  /** Indexed OHLC (rate-index scale: 100 · price / base close). */
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  /** Tick volume (0 when the source has none). */
  volume: Float64Array;
  /** 1 where the bar was forward-filled. */
  filled: Uint8Array;
  /** BQX-domain source: w15_bqx_return (SPEC §3: "BQX" without a window). */
  bqx: Float64Array;
  /** w{W}_bqx_return for W in 15, 30, 45, 60, 75 (term structure). */
  bqxW: Record<number, Float64Array>;
}

/**
 * All pairs aligned on one minute grid (the union of every pair's bar times), "as of" each grid
 * minute: the latest bar at or before it (stale values are forward-carried; never a later bar).
 */
export interface Market {
  /** Grid minutes, epoch ms, strictly increasing. */
  ts: Float64Array;
  /** Pairs present in the data, SPEC order. */
  pairs: string[];
  /** Per present pair: aligned indexed close (NaN before its first bar). */
  close: Map<string, Float64Array>;
  /** Per present pair: aligned 1-bar log return of the indexed close (0 on stale minutes). */
  ret: Map<string, Float64Array>;
  /** Per present pair: aligned w15_bqx_return. */
  bqx: Map<string, Float64Array>;
  /** Per present pair: 1 where the pair has its own bar at this grid minute. */
  live: Map<string, Uint8Array>;
  /** Per present pair: grid index of each of the pair's own rows. */
  rows: Map<string, Int32Array>;
  /** Memo for cross-sectional series computed once per build (e.g. currency strength). */
  cache: Map<string, unknown>;
}

/** Context of one compute() call. */
export interface FamilyContext {
  /** First row to compute (0 in batch). */
  from: number;
  /** The aligned market (cross-sectional families), when the build has one. */
  market?: Market;
  /**
   * Scratchpad shared by the families of one compute call for one pair (fresh per call): a family
   * may publish intermediate series another family would otherwise recompute identically (the
   * regression family's fitted terms, reused by term covariance). Entries must be values the
   * publisher computed for exactly the rows the reader needs; readers fall back to computing.
   */
  shared?: Map<string, unknown>;
  /**
   * Batch only: allocate the column `name` directly in its Float32 storage (NaN-filled, length
   * n), for columns the family writes once and never reads back (lags, most of regression,
   * statistics, time, bollinger, dualDomain, fibonacci): no Float64 sink and no conversion pass,
   * the same values rounded once (tests/features/out32.test.ts). ±Infinity is still replaced and
   * counted. With `filled: false` the storage is not NaN-filled: the family then
   * writes every row itself (NaN where undefined), sparing a pass. Absent on the live path: fall
   * back to the {@linkcode Sink}.
   */
  out32?: (name: string, filled?: boolean) => Float32Array;
}

/** Allocates (NaN-filled, length n) and registers the output column `name`. */
export type Sink = (name: string) => Float64Array;

/** A feature family. */
export interface FeatureFamily {
  /** Family id (also the module name). */
  name: string;
  /**
   * The catalog of this family for a pair, given the pairs present in the data (cross-pair
   * columns whose inputs are missing still appear, with `needs`, and compute to null).
   */
  specs(pair: string, present: readonly string[]): FeatureSpec[];
  /** Fill every column of `specs(pair, …)` through `out`. */
  compute(series: PairSeries, ctx: FamilyContext, out: Sink): void;
}
