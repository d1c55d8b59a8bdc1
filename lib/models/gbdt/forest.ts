/**
 * An ensemble of binary trees in flat typed arrays (issue 4 §3): the prediction of a row is
 * `base + Σ_t value(leaf_t(row))`, summed in tree order in Float64 and returned as Float32.
 * Node n tests `x[feature[n]] ≤ threshold[n]` (threshold = the split bin's upper edge, so raw
 * values route exactly as their bins did in training); NaN follows `defaultLeft[n]`; children are
 * `left[n]` and `left[n] + 1`; leaves have `feature = −1`. Trees are serialized as these arrays
 * back to back, so a saved model predicts bit-identically after loading.
 *
 * @example
 * ```ts
 * import { Forest } from "./forest.ts";
 * import assert from "node:assert/strict";
 * const f = Forest.fromArrays({ // one stump: x0 ≤ 0.5 → −1, else +1, NaN → right
 *   feature: Int32Array.of(0, -1, -1), threshold: Float32Array.of(0.5, 0, 0), bin: Uint8Array.of(0, 0, 0),
 *   defaultLeft: Uint8Array.of(0, 0, 0), left: Int32Array.of(1, -1, -1), value: Float64Array.of(0, -1, 1),
 *   gain: Float64Array.of(4, 0, 0), cover: Float64Array.of(4, 2, 2), treeStart: Int32Array.of(0, 3),
 * }, 1);
 * const x = { rows: 3, cols: 1, data: Float32Array.of(0, 1, NaN), names: ["x0"] };
 * assert.deepEqual([...f.predict(x, 10)], [9, 11, 11]);
 * ```
 * @module
 */
import type { Matrix } from "../base.ts";
import type { GrownTree } from "./tree.ts";

/** The flat arrays of a forest (all nodes of all trees, tree t at `treeStart[t] … treeStart[t+1])`). */
export interface ForestArrays {
  feature: Int32Array;
  threshold: Float32Array;
  /** Split bin (for binned traversal during training). */
  bin: Uint8Array;
  defaultLeft: Uint8Array;
  /** Global index of the left child (right = left + 1), −1 for a leaf. */
  left: Int32Array;
  /** Leaf value (already scaled by the learning rate / averaging); 0 for internal nodes. */
  value: Float64Array;
  /** Split gain (0 for leaves). */
  gain: Float64Array;
  /** ΣH of the node's training rows. */
  cover: Float64Array;
  /** Node index where each tree starts (length trees + 1). */
  treeStart: Int32Array;
}

const KEYS = [
  "value",
  "gain",
  "cover",
  "feature",
  "left",
  "threshold",
  "treeStart",
  "bin",
  "defaultLeft",
] as const;
const CTORS = {
  value: Float64Array,
  gain: Float64Array,
  cover: Float64Array,
  feature: Int32Array,
  left: Int32Array,
  threshold: Float32Array,
  treeStart: Int32Array,
  bin: Uint8Array,
  defaultLeft: Uint8Array,
} as const;

/** Tree ensemble with training-time growth and fast batch prediction. */
export class Forest {
  private a: ForestArrays;
  private nodes = 0;
  private trees = 0;

  /** @param nFeatures columns the trees index */
  constructor(readonly nFeatures: number) {
    this.a = Forest.alloc(64, 8);
    this.a.treeStart[0] = 0;
  }

  private static alloc(nodes: number, trees: number): ForestArrays {
    const a = {} as Record<string, unknown>;
    for (const k of KEYS) a[k] = new CTORS[k](k === "treeStart" ? trees + 1 : nodes);
    return a as unknown as ForestArrays;
  }

  /** Rebuild from serialized arrays (copied). */
  static fromArrays(arrays: ForestArrays, nFeatures: number): Forest {
    const f = new Forest(nFeatures);
    const trees = arrays.treeStart.length - 1, nodes = arrays.treeStart[trees];
    for (const k of KEYS) {
      if (arrays[k].length !== (k === "treeStart" ? trees + 1 : nodes)) {
        throw new RangeError(
          `Forest array ${k} has length ${arrays[k].length}, expected ${
            k === "treeStart" ? trees + 1 : nodes
          }`,
        );
      }
    }
    f.a = Object.fromEntries(KEYS.map((k) => [k, arrays[k].slice()])) as unknown as ForestArrays;
    f.nodes = nodes, f.trees = trees;
    return f;
  }

  /** Number of trees. */
  get size(): number {
    return this.trees;
  }

  /** Trimmed views of the arrays (for saving and inspection). */
  arrays(): ForestArrays {
    const out = {} as Record<string, unknown>;
    for (const k of KEYS) {
      out[k] = this.a[k].subarray(0, k === "treeStart" ? this.trees + 1 : this.nodes);
    }
    return out as unknown as ForestArrays;
  }

  /**
   * Append a grown tree.
   * @param t the tree
   * @param edges upper bin edges, concatenated (binning's `edges`)
   * @param edgeOffsets start of each feature's edges
   * @param leafValue leaf value from the leaf's (ΣG, ΣH)
   * @returns the leaf values by node of `t` (0 for internal nodes)
   */
  addTree(
    t: GrownTree,
    edges: Float32Array,
    edgeOffsets: Int32Array,
    leafValue: (G: number, H: number) => number,
  ): Float64Array {
    if (this.nodes + t.nodes > this.a.feature.length || this.trees + 2 > this.a.treeStart.length) {
      const grown = Forest.alloc(
        Math.max(2 * this.a.feature.length, this.nodes + t.nodes),
        2 * this.a.treeStart.length,
      );
      for (const k of KEYS) (grown[k] as Float64Array).set(this.a[k] as Float64Array);
      this.a = grown;
    }
    const a = this.a, o = this.nodes;
    const values = new Float64Array(t.nodes);
    for (let n = 0; n < t.nodes; n++) {
      const f = t.feature[n], i = o + n;
      a.feature[i] = f;
      a.cover[i] = t.H[n];
      if (f >= 0) {
        a.threshold[i] = edges[edgeOffsets[f] + t.bin[n]];
        a.bin[i] = t.bin[n];
        a.defaultLeft[i] = t.defaultLeft[n];
        a.left[i] = o + t.left[n];
        a.gain[i] = t.gain[n];
        a.value[i] = 0;
      } else {
        a.threshold[i] = 0, a.bin[i] = 0, a.defaultLeft[i] = 0, a.left[i] = -1, a.gain[i] = 0;
        a.value[i] = values[n] = leafValue(t.G[n], t.H[n]);
      }
    }
    this.nodes += t.nodes;
    this.trees++;
    a.treeStart[this.trees] = this.nodes;
    return values;
  }

  /** Keep only the first `trees` trees (early stopping). */
  truncate(trees: number): void {
    if (trees < this.trees) {
      this.trees = Math.max(0, trees);
      this.nodes = this.a.treeStart[this.trees];
    }
  }

  /** Multiply every leaf value by `s` (e.g. 1 / trees for a forest average). */
  scale(s: number): void {
    const v = this.a.value;
    for (let i = 0; i < this.nodes; i++) v[i] *= s;
  }

  /**
   * Add tree `t`'s leaf values to `pred` for binned rows (column-major codes, training layout).
   * @param t tree index
   * @param bins column-major bin codes
   * @param nRows rows of `bins`
   * @param counts value-bin counts (missing code per feature)
   * @param pred per-row accumulator, updated
   */
  addBinned(
    t: number,
    bins: Uint8Array,
    nRows: number,
    counts: Uint16Array,
    pred: Float64Array,
  ): void {
    const { feature, bin, defaultLeft, left, value } = this.a;
    const root = this.a.treeStart[t];
    if (feature[root] < 0) {
      const v = value[root];
      for (let r = 0; r < nRows; r++) pred[r] += v;
      return;
    }
    for (let r = 0; r < nRows; r++) {
      let n = root, f = feature[n];
      while (f >= 0) {
        const b = bins[f * nRows + r];
        n = left[n] + (b === counts[f] ? 1 - defaultLeft[n] : b <= bin[n] ? 0 : 1);
        f = feature[n];
      }
      pred[r] += value[n];
    }
  }

  /**
   * Predict a row-major matrix: `base + Σ trees`, rows in blocks so each tree stays in cache.
   * @param x rows × nFeatures, NaN = missing
   * @param base starting value of every prediction
   * @param trees use the first `trees` trees only
   * @returns one Float32 prediction per row
   */
  predict(x: Matrix, base: number, trees = this.trees): Float32Array {
    if (x.cols !== this.nFeatures) {
      throw new RangeError(`Expected a matrix with ${this.nFeatures} columns but found ${x.cols}`);
    }
    const { feature, threshold, defaultLeft, left, value, treeStart } = this.a;
    const { rows, cols, data } = x;
    const out = new Float32Array(rows);
    const B = 256;
    const acc = new Float64Array(B);
    for (let r0 = 0; r0 < rows; r0 += B) {
      const m = Math.min(B, rows - r0);
      acc.fill(base);
      for (let t = 0; t < trees; t++) {
        const root = treeStart[t];
        for (let i = 0, off = r0 * cols; i < m; i++, off += cols) {
          let n = root, f = feature[n];
          while (f >= 0) {
            const v = data[off + f], th = threshold[n];
            n = left[n] + (v <= th ? 0 : v > th ? 1 : 1 - defaultLeft[n]);
            f = feature[n];
          }
          acc[i] += value[n];
        }
      }
      for (let i = 0; i < m; i++) out[r0 + i] = acc[i];
    }
    return out;
  }

  /**
   * Per-feature importance: total split gain, split count, or mean gain per split (XGBoost's
   * "total_gain", "weight", "gain").
   * @param kind which measure
   * @returns one value per feature
   */
  importance(kind: "gain" | "totalGain" | "split" = "gain"): Float64Array {
    const total = new Float64Array(this.nFeatures), count = new Float64Array(this.nFeatures);
    for (let i = 0; i < this.nodes; i++) {
      const f = this.a.feature[i];
      if (f >= 0) total[f] += this.a.gain[i], count[f]++;
    }
    if (kind === "totalGain") return total;
    if (kind === "split") return count;
    return total.map((g, f) => count[f] ? g / count[f] : 0);
  }

  /** Serialize the arrays back to back (8-byte ones first, so every view is aligned). */
  toBytes(): Uint8Array {
    const arrays = this.arrays();
    const size = KEYS.reduce((s, k) => s + arrays[k].byteLength, 0);
    const out = new Uint8Array(size);
    let o = 0;
    for (const k of KEYS) {
      out.set(new Uint8Array(arrays[k].buffer, arrays[k].byteOffset, arrays[k].byteLength), o);
      o += arrays[k].byteLength;
    }
    return out;
  }

  /**
   * Inverse of {@linkcode Forest.toBytes}.
   * @param bytes serialized arrays
   * @param trees tree count
   * @param nodes node count
   * @param nFeatures columns the trees index
   */
  static fromBytes(bytes: Uint8Array, trees: number, nodes: number, nFeatures: number): Forest {
    const buf = bytes.slice().buffer; // own, aligned copy
    const arrays = {} as Record<string, unknown>;
    let o = 0;
    for (const k of KEYS) {
      const len = k === "treeStart" ? trees + 1 : nodes;
      const C = CTORS[k];
      if (o + len * C.BYTES_PER_ELEMENT > buf.byteLength) {
        throw new RangeError(
          `Forest data is truncated: ${buf.byteLength} bytes for ${trees} trees, ${nodes} nodes`,
        );
      }
      arrays[k] = new C(buf, o, len);
      o += len * C.BYTES_PER_ELEMENT;
    }
    if (o !== buf.byteLength) {
      throw new RangeError(`Forest data has ${buf.byteLength - o} extra bytes`);
    }
    return Forest.fromArrays(arrays as unknown as ForestArrays, nFeatures);
  }
}
