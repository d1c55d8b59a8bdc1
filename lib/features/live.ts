/**
 * The live path (issue 3 §5): given the history of all pairs up to the newest minute, the full
 * feature vector of that minute for one pair or for every pair — what a live predictor calls once a
 * minute. It equals the batch build's row for the same minute:
 *
 * - every family runs with `from = n − 1` on a trailing tail of each pair's history (default 4096
 *   rows, more than the longest window, 1440, plus the burn-in of the recursive EMA/Wilder columns),
 *   so windowed columns only evaluate their last window;
 * - recursive columns (EMA, Wilder smoothing) restart at the tail's first row (the technical
 *   family's fast chains, periods ≤ 26, at 1500 rows before the newest minute); their seed's
 *   weight there is below (1 − 2/201)^2800 ≈ 1e-12, so they match the batch value to float
 *   precision (tests assert 1e-6 relative on the Float32 output, most columns are bit-identical);
 * - the vector is one Float32Array per pair (`values`), no per-column arrays: all 28 pairs take
 *   ~30 ms on 2 cores (`deno task bench:features`).
 *
 * For a pair whose newest bar is older than the newest minute (a missing minute), its vector is the
 * one at its own latest bar.
 * @module
 */
import type { FeatureFamily, FeatureSpec, PairSeries } from "./_types.ts";
import { computePair } from "./compute.ts";
import { buildMarket } from "./market.ts";
import { sliceSeries } from "./series.ts";

/** Options of {@linkcode liveFeatures}. */
export interface LiveOptions {
  /** Families (the registry's by default, passed explicitly to avoid an import cycle). */
  families: readonly FeatureFamily[];
  /** Rows of history kept per pair. @default 4096 */
  tail?: number;
  /** Only these pairs' vectors (the market still uses every pair). @default all */
  pairs?: readonly string[];
}

/** One pair's newest feature vector. */
export interface LiveVector {
  pair: string;
  /** Bar time of the vector (epoch ms). */
  ts: number;
  specs: FeatureSpec[];
  values: Float32Array;
}

/** The newest feature vector of each requested pair from full or partial histories. */
export function liveFeatures(history: readonly PairSeries[], options: LiveOptions): LiveVector[] {
  const { families, tail = 4096, pairs } = options;
  const tails = history.map((s) => sliceSeries(s, Math.max(0, s.n - tail)));
  const market = buildMarket(tails);
  const out: LiveVector[] = [];
  for (const s of tails) {
    if (pairs && !pairs.includes(s.pair)) continue;
    const f = computePair(s, { families, market, from: s.n - 1, keep: "last" });
    out.push({ pair: s.pair, ts: s.ts[s.n - 1], specs: f.specs, values: f.row! });
  }
  return out;
}
