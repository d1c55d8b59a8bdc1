import { fixture } from "./tests/features/_fixture.ts";
import * as K from "./lib/features/_kernels.ts";
const s = fixture({ pairs: ["eurusd"], months: "2024-01..2024-06", rows: 300000 }).series.get("eurusd")!;
const n = s.n;
const r = K.logReturn(s.close, 1);
const v20 = K.rollingStd(r, 20);
function T(label: string, f: () => unknown) {
  let best = Infinity;
  for (let i = 0; i < 9; i++) { const t = performance.now(); f(); best = Math.min(best, performance.now() - t); }
  console.log(label.padEnd(20), (best * 1e6 / n).toFixed(2), "ns/row");
}
const pct = new Float64Array(n), ter = new Float64Array(n);
class Ranker {
  /** Ranks of the last run (valid for its first m entries). */
  readonly ranks: Int32Array;
  #hi: Uint32Array;
  #lo: Uint32Array;
  #idx: Uint32Array;
  #hi2: Uint32Array;
  #lo2: Uint32Array;
  #idx2: Uint32Array;
  #hist = new Int32Array(6 * 2048);

  constructor(cap: number) {
    this.ranks = new Int32Array(cap);
    this.#hi = new Uint32Array(cap);
    this.#lo = new Uint32Array(cap);
    this.#idx = new Uint32Array(cap);
    this.#hi2 = new Uint32Array(cap);
    this.#lo2 = new Uint32Array(cap);
    this.#idx2 = new Uint32Array(cap);
  }

  /** Rank x[lo..lo+m) into `ranks[0..m)`; returns u, the number of distinct values. */
  rank(x: Float64Array, lo: number, m: number): number {
    const words = new Uint32Array(x.buffer, x.byteOffset + lo * 8, m * 2);
    const ranks = this.ranks, hist = this.#hist;
    let hi = this.#hi, low = this.#lo, idx = this.#idx;
    let hi2 = this.#hi2, lo2 = this.#lo2, idx2 = this.#idx2;
    hist.fill(0);
    let k = 0;
    for (let i = 0; i < m; i++) {
      const v = x[lo + i];
      if (v !== v) {
        ranks[i] = 0;
        continue;
      }
      let h = words[2 * i + 1], l = words[2 * i];
      if (h & 0x80000000) {
        h = ~h >>> 0;
        l = ~l >>> 0;
      } else h = (h | 0x80000000) >>> 0;
      hi[k] = h;
      low[k] = l;
      idx[k] = i;
      k++;
      hist[l & 2047]++;
      hist[2048 + ((l >>> 11) & 2047)]++;
      hist[4096 + (l >>> 22)]++;
      hist[6144 + (h & 2047)]++;
      hist[8192 + ((h >>> 11) & 2047)]++;
      hist[10240 + (h >>> 22)]++;
    }
    for (let p = 0; p < 6; p++) {
      const base = p * 2048;
      let skip = false;
      for (let b = 0; b < 2048; b++) {
        const c = hist[base + b];
        if (c) {
          skip = c === k; // one digit for every value: nothing to sort
          break;
        }
      }
      if (skip) continue;
      let sum = 0;
      for (let b = 0; b < 2048; b++) {
        const c = hist[base + b];
        hist[base + b] = sum;
        sum += c;
      }
      const shift = (p % 3) * 11;
      if (p < 3) {
        for (let j = 0; j < k; j++) {
          const l = low[j], pos = hist[base + ((l >>> shift) & 2047)]++;
          hi2[pos] = hi[j];
          lo2[pos] = l;
          idx2[pos] = idx[j];
        }
      } else {
        for (let j = 0; j < k; j++) {
          const h = hi[j], pos = hist[base + ((h >>> shift) & 2047)]++;
          hi2[pos] = h;
          lo2[pos] = low[j];
          idx2[pos] = idx[j];
        }
      }
      [hi, hi2] = [hi2, hi];
      [low, lo2] = [lo2, low];
      [idx, idx2] = [idx2, idx];
    }
    let u = 0, prev = NaN;
    for (let j = 0; j < k; j++) {
      const i = idx[j], v = x[lo + i];
      if (v !== prev) {
        u++;
        prev = v;
      }
      ranks[i] = u;
    }
    return u;
  }
}
const R = new Ranker(8192 + 1440);
T("ranker only", () => { for (let a = 1439; a < n; a += 8192) { const b = Math.min(n, a + 8192); R.rank(v20, a - 1439, b - a + 1439); } });
T("ranker vol", () => { for (let a = 1439; a < n; a += 8192) { const b = Math.min(n, a + 8192); R.rank(s.volume, a - 1439, b - a + 1439); } });
