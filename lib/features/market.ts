/**
 * The aligned market for cross-sectional features (SPEC §5 scopes variant … tertiary): every pair
 * present in the data on one minute grid (the union of all pairs' bar times), each value "as of"
 * the grid minute — the pair's latest bar at or before it. A pair missing a minute therefore shows
 * its previous value (stale, return 0), never a later one: cross-pair features stay causal and a
 * pair's gaps never pull future bars in (SPEC §2).
 *
 * @example
 * ```ts
 * import { buildMarket } from "./market.ts";
 * import assert from "node:assert/strict";
 * const s = (pair: string, ts: number[], close: number[]) => ({
 *   pair, n: ts.length, ts: new Float64Array(ts), close: new Float64Array(close),
 *   bqx: new Float64Array(ts.length),
 * });
 * const m = buildMarket([s("eurusd", [0, 60e3, 120e3], [100, 101, 102]), s("usdjpy", [0, 120e3], [100, 99])]);
 * assert.deepEqual([...m.close.get("usdjpy")!], [100, 100, 99]); // stale at 60e3, not the later 99
 * assert.deepEqual([...m.rows.get("usdjpy")!], [0, 2]);
 * ```
 * @module
 */
import { PAIRS } from "../data/pairs.ts";
import type { Market, PairSeries } from "./_types.ts";

/** The part of a PairSeries the market needs. */
export type MarketSeries = Pick<PairSeries, "pair" | "n" | "ts" | "close" | "bqx">;

/** Align the given pairs on the union of their minutes. */
export function buildMarket(series: readonly MarketSeries[]): Market {
  const present = PAIRS.filter((p) => series.some((s) => s.pair === p));
  const ts = unionMinutes(series.map((s) => s.ts));
  const m = ts.length;

  const close = new Map<string, Float64Array>();
  const ret = new Map<string, Float64Array>();
  const bqx = new Map<string, Float64Array>();
  const live = new Map<string, Uint8Array>();
  const rows = new Map<string, Int32Array>();
  for (const s of series) {
    const c = new Float64Array(m).fill(NaN), r = new Float64Array(m).fill(NaN);
    const b = new Float64Array(m).fill(NaN), l = new Uint8Array(m), idx = new Int32Array(s.n);
    let j = -1; // the pair's latest row at or before grid minute g
    for (let g = 0; g < m; g++) {
      while (j + 1 < s.n && s.ts[j + 1] <= ts[g]) j++;
      if (j < 0) continue;
      if (s.ts[j] === ts[g]) {
        l[g] = 1;
        idx[j] = g;
      }
      c[g] = s.close[j];
      b[g] = s.bqx[j];
      r[g] = g > 0 && c[g - 1] === c[g - 1] ? Math.log(c[g] / c[g - 1]) : NaN;
    }
    close.set(s.pair, c);
    ret.set(s.pair, r);
    bqx.set(s.pair, b);
    live.set(s.pair, l);
    rows.set(s.pair, idx);
  }
  return { ts, pairs: present, close, ret, bqx, live, rows, cache: new Map() };
}

/**
 * Sorted union of several sorted timestamp arrays. Whole-minute stamps (the bar contract) are
 * marked in a minute bitmap over the covered span — O(rows + span), no sort; anything else falls
 * back to concatenate, sort and deduplicate.
 */
export function unionMinutes(stamps: readonly Float64Array[]): Float64Array {
  let lo = Infinity, hi = -Infinity, total = 0;
  for (const t of stamps) {
    if (t.length === 0) continue;
    total += t.length;
    if (t[0] < lo) lo = t[0];
    if (t[t.length - 1] > hi) hi = t[t.length - 1];
  }
  if (total === 0) return new Float64Array(0);
  const span = (hi - lo) / 60_000 + 1;
  if (lo % 60_000 === 0 && span <= 64 * 1024 * 1024) {
    // with `lo` on a whole minute, a stamp is one too exactly when its offset k is an integer
    const mark = new Uint8Array(span);
    let m = 0, whole = true;
    for (const t of stamps) {
      for (let i = 0; i < t.length; i++) {
        const k = (t[i] - lo) / 60_000;
        if (k !== Math.floor(k) || !(k >= 0 && k < span)) {
          whole = false;
          break;
        }
        if (mark[k] === 0) {
          mark[k] = 1;
          m++;
        }
      }
      if (!whole) break;
    }
    if (whole) {
      const out = new Float64Array(m);
      for (let k = 0, j = 0; k < span; k++) if (mark[k]) out[j++] = lo + k * 60_000;
      return out;
    }
  }
  const all = new Float64Array(total);
  let o = 0;
  for (const t of stamps) {
    all.set(t, o);
    o += t.length;
  }
  all.sort();
  let m = 0;
  for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[i - 1]) all[m++] = all[i];
  return all.slice(0, m);
}

/** Pick a grid series at one pair's own rows (the grid → pair mapping of `market.rows`). */
export function atPairRows(market: Market, pair: string, grid: Float64Array): Float64Array {
  const idx = market.rows.get(pair);
  if (!idx) {
    throw new Error(`Pair ${pair} is not in the market (present: ${market.pairs.join(", ")})`);
  }
  const out = new Float64Array(idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = grid[idx[i]];
  return out;
}

/**
 * Compute a grid series once per market and reuse it (cross-sectional quantities such as currency
 * strength are shared by all 28 pairs' feature builds).
 */
export function memo<T>(market: Market, key: string, make: () => T): T {
  if (!market.cache.has(key)) market.cache.set(key, make());
  return market.cache.get(key) as T;
}
