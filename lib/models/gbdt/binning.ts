/**
 * Quantile binning for the histogram trees (issue 4 §3; XGBoost `hist` / LightGBM style): each
 * feature gets at most `maxBins` value bins whose upper edges are sample quantiles, plus one bin for
 * missing values. Trees then split on bin indices, and a split "bin ≤ s" is the raw test
 * "x ≤ edge[s]", so predict needs no binning and gives exactly the training-time routing.
 *
 * Bin of a value x of feature f: the smallest b with x ≤ edge_f[b] (the last edge is +∞, so every
 * number has a bin); NaN gets the code `counts[f]` (one past the last value bin). Edges of a
 * feature with at most `maxBins` distinct values are those values themselves; otherwise edge b
 * (b = 1 … maxBins − 1) is the sorted sample's element at rank ⌈b·n / maxBins⌉ − 1, ties merged.
 * Bins are stored column-major (feature f's bins at `[f·rows, (f+1)·rows)`) as one Uint8Array.
 *
 * @example
 * ```ts
 * import { binMatrix, computeBinEdges } from "./binning.ts";
 * import assert from "node:assert/strict";
 * const x = { rows: 4, cols: 1, data: new Float32Array([3, 1, NaN, 2]), names: ["a"] };
 * const edges = computeBinEdges(x);
 * assert.deepEqual([...edges.counts], [3]); // three value bins: ≤1, ≤2, ≤+∞
 * assert.deepEqual([...binMatrix(x, edges)], [2, 0, 3, 1]); // NaN → code 3
 * ```
 * @module
 */
import type { Matrix } from "../base.ts";
import { Rng } from "./_rng.ts";

/** Bin edges of every feature, kept with the model's training data. */
export interface BinEdges {
  /** Value-bin count k_f ∈ [1, maxBins] per feature; the missing bin's code is k_f. */
  counts: Uint16Array;
  /** All features' upper edges, concatenated; feature f's are `edges[offsets[f] … offsets[f+1])`, the last one +∞. */
  edges: Float32Array;
  /** Start of each feature's edges in `edges` (length cols + 1). */
  offsets: Int32Array;
}

/** Options of {@linkcode computeBinEdges}. */
export interface BinOptions {
  /** Value bins per feature, 1 … 255 (the missing bin comes on top). @default {255} */
  maxBins?: number;
  /** Rows sampled (without replacement, seeded) to place the quantiles; all rows when fewer. @default {200000} */
  sampleRows?: number;
  /** Seed of the row sample. @default {0} */
  seed?: number;
}

/**
 * Upper bin edges of one feature from its sorted non-missing values (see the module doc).
 * @param sorted ascending values, no NaN
 * @param maxBins at most this many bins
 * @returns ascending edges, the last one +∞
 * @example
 * ```ts
 * import { quantileEdges } from "./binning.ts";
 * import assert from "node:assert/strict";
 * const v = Float32Array.from({ length: 8 }, (_, i) => i);
 * assert.deepEqual([...quantileEdges(v, 4)], [1, 3, 5, Infinity]);
 * assert.deepEqual([...quantileEdges(new Float32Array([2, 2, 5]), 4)], [2, Infinity]);
 * ```
 */
export function quantileEdges(sorted: Float32Array, maxBins: number): Float32Array {
  const n = sorted.length;
  let distinct = n > 0 ? 1 : 0;
  for (let i = 1; i < n && distinct <= maxBins; i++) if (sorted[i] !== sorted[i - 1]) distinct++;
  const out: number[] = [];
  if (distinct <= maxBins) {
    for (let i = 0; i < n; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) out.push(sorted[i]);
    out.pop();
  } else {
    for (let b = 1; b < maxBins; b++) {
      const e = sorted[Math.ceil((b * n) / maxBins) - 1];
      if (out.length === 0 || e > out[out.length - 1]) out.push(e);
    }
    if (out[out.length - 1] === sorted[n - 1]) out.pop(); // the +∞ bin would be empty
  }
  out.push(Infinity);
  return Float32Array.from(out);
}

/**
 * Bin edges of every column of `x`, from a seeded row sample.
 * @param x training matrix (NaN = missing)
 * @param options see {@linkcode BinOptions}
 * @returns the edges
 * @example
 * ```ts
 * import { computeBinEdges } from "./binning.ts";
 * import assert from "node:assert/strict";
 * const x = { rows: 3, cols: 2, data: new Float32Array([1, 5, 2, 5, 3, NaN]), names: ["a", "b"] };
 * const e = computeBinEdges(x, { maxBins: 2 });
 * assert.deepEqual([...e.counts], [2, 1]);
 * ```
 */
export function computeBinEdges(x: Matrix, options: BinOptions = {}): BinEdges {
  const { maxBins = 255, sampleRows = 200_000, seed = 0 } = options;
  if (!Number.isInteger(maxBins) || maxBins < 1 || maxBins > 255) {
    throw new RangeError(`Expected maxBins to be an integer in [1, 255] but found ${maxBins}`);
  }
  const { rows, cols } = x;
  const bits = new Uint32Array(x.data.buffer, x.data.byteOffset, x.data.length);
  const rowSample = rows > sampleRows ? new Rng(seed, 0x5eed).sample(rows, sampleRows) : null;
  const s = rowSample ? rowSample.length : rows;
  // gather the sample's order keys column-major, in one pass over its rows (sequential reads)
  const keys = new Uint32Array(s * cols);
  for (let i = 0; i < s; i++) {
    const base = (rowSample ? rowSample[i] : i) * cols;
    for (let j = 0; j < cols; j++) keys[j * s + i] = orderKey(bits[base + j]);
  }
  const counts = new Uint16Array(cols);
  const offsets = new Int32Array(cols + 1);
  const parts: Float32Array[] = [];
  const buf = new Uint32Array(s), tmp = new Uint32Array(s);
  const sorted = new Float32Array(s), sortedBits = new Uint32Array(sorted.buffer);
  for (let j = 0; j < cols; j++) {
    let n = 0;
    for (let i = j * s, e = i + s; i < e; i++) if (keys[i] !== NAN_KEY) buf[n++] = keys[i];
    radixSort(buf, tmp, n);
    for (let i = 0; i < n; i++) sortedBits[i] = keyBits(buf[i]);
    const edges = quantileEdges(sorted.subarray(0, n), maxBins);
    parts.push(edges);
    counts[j] = edges.length;
    offsets[j + 1] = offsets[j] + edges.length;
  }
  const edges = new Float32Array(offsets[cols]);
  for (let j = 0; j < cols; j++) edges.set(parts[j], offsets[j]);
  return { counts, edges, offsets };
}

/** All NaNs map to this order key (above +∞'s). */
const NAN_KEY = 0xffffffff;

/**
 * Unsigned key of a float32 bit pattern with the order of the numbers: flip all bits of negatives,
 * the sign bit of positives; −0 maps to +0's key, every NaN to `NAN_KEY`.
 */
export function orderKey(bits: number): number {
  if ((bits & 0x7fffffff) > 0x7f800000) return NAN_KEY;
  if (bits === 0x80000000) return 0x80000000; // −0 → +0
  return (bits ^ ((bits >> 31) | 0x80000000)) >>> 0;
}

/** Inverse of {@linkcode orderKey} (for non-NaN keys). */
function keyBits(key: number): number {
  return (key & 0x80000000 ? key ^ 0x80000000 : ~key) >>> 0;
}

/** LSD radix sort of `a[0 … n)` (three passes of 11 bits), `tmp` as scratch. */
function radixSort(a: Uint32Array, tmp: Uint32Array, n: number): void {
  const count = new Int32Array(2048);
  let src = a, dst = tmp;
  for (let shift = 0; shift < 32; shift += 11) {
    count.fill(0);
    for (let i = 0; i < n; i++) count[(src[i] >>> shift) & 2047]++;
    let sum = 0;
    for (let b = 0; b < 2048; b++) {
      const c = count[b];
      count[b] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) dst[count[(src[i] >>> shift) & 2047]++] = src[i];
    const t = src;
    src = dst, dst = t;
  }
  if (src !== a) a.set(src.subarray(0, n));
}

/**
 * Bin a row-major matrix into column-major Uint8 codes (feature f's rows at `[f·rows, (f+1)·rows)`).
 * @param x matrix with the training columns
 * @param edges from {@linkcode computeBinEdges}
 * @param shared allocate on a SharedArrayBuffer (for worker threads)
 * @returns `rows × cols` bin codes
 * @example
 * ```ts
 * import { binMatrix, computeBinEdges } from "./binning.ts";
 * import assert from "node:assert/strict";
 * const x = { rows: 2, cols: 2, data: new Float32Array([0, 9, 1, NaN]), names: ["a", "b"] };
 * assert.deepEqual([...binMatrix(x, computeBinEdges(x))], [0, 1, 0, 1]);
 * ```
 */
export function binMatrix(x: Matrix, edges: BinEdges, shared = false): Uint8Array {
  const { rows, cols } = x;
  if (cols !== edges.counts.length) {
    throw new RangeError(`Expected ${edges.counts.length} columns but found ${cols}`);
  }
  const bins = new Uint8Array(
    shared ? new SharedArrayBuffer(rows * cols) : new ArrayBuffer(rows * cols),
  );
  const bits = new Uint32Array(x.data.buffer, x.data.byteOffset, x.data.length);
  // Per feature: the order keys of its edges, and a table from a key's top 16 bits to the first
  // bin that prefix can fall in; a value then needs one lookup and a step or two of linear search
  // (3–4× faster than a binary search over 255 edges). Tiny inputs skip the table build.
  const useTable = rows >= 4096;
  const ek: Uint32Array[] = [], lo: Uint8Array[] = [];
  for (let j = 0; j < cols; j++) {
    const k = edges.counts[j], e = edges.edges.subarray(edges.offsets[j], edges.offsets[j] + k);
    const f = new Float32Array(k + 1);
    f.set(e);
    f[k] = NaN; // sentinel: NAN_KEY stops every linear search
    const key = new Uint32Array(f.buffer).map(orderKey);
    ek.push(key);
    if (useTable) {
      const t = new Uint8Array(65536);
      for (let p = 0, b = 0; p < 65536; p++) {
        const K = p * 65536;
        while (b < k - 1 && key[b] < K) b++;
        t[p] = b;
      }
      lo.push(t);
    }
  }
  const BLOCK = 256; // rows per block: the block's row-major values stay in cache across columns
  for (let r0 = 0; r0 < rows; r0 += BLOCK) {
    const r1 = Math.min(rows, r0 + BLOCK);
    for (let j = 0; j < cols; j++) {
      const k = edges.counts[j], col = j * rows, key = ek[j];
      if (useTable) {
        const t = lo[j];
        for (let r = r0; r < r1; r++) {
          const K = orderKey(bits[r * cols + j]);
          if (K === NAN_KEY) {
            bins[col + r] = k;
            continue;
          }
          let b = t[K >>> 16];
          while (key[b] < K) b++;
          bins[col + r] = b;
        }
      } else {
        for (let r = r0; r < r1; r++) {
          const K = orderKey(bits[r * cols + j]);
          if (K === NAN_KEY) {
            bins[col + r] = k;
            continue;
          }
          let base = 0, n = k;
          while (n > 1) {
            const half = n >>> 1;
            if (key[base + half - 1] < K) base += half;
            n -= half;
          }
          bins[col + r] = base;
        }
      }
    }
  }
  return bins;
}
