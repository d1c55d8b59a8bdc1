/**
 * TreeSHAP for the histogram tree models (SPEC §7 "explainability"): exact Shapley values of each
 * feature for each row, by Lundberg, Erion & Lee (2018), "Consistent individualized feature
 * attribution for tree ensembles", Algorithm 2 (path-dependent: the value of a feature subset S is
 * the tree's expectation when features outside S follow both children, weighted by the training
 * cover ΣH of each child, Algorithm 1). Per tree the cost is O(leaves · depth²) per row instead of
 * the 2^M subsets of the definition.
 *
 * What comes out: `bias + Σ_j contributions[row, j] = prediction(row)` (local accuracy), where
 * `bias` = base score + Σ_trees E[tree] (the cover-weighted mean leaf value) is the same for every
 * row. Missing values (NaN) follow each split's learned default direction, exactly as
 * {@linkcode Forest.predict} routes them, so a NaN feature gets credit for the branch it took.
 * The recursion follows the reference C++ of `shap` / XGBoost (`tree_shap_recursive`,
 * `extend_path`, `unwind_path`, `unwound_path_sum`), with the path kept in flat typed arrays.
 *
 * @example
 * ```ts
 * import { Forest, treeShap } from "./mod.ts";
 * import assert from "node:assert/strict";
 * // one stump on x0 (≤ 0.5 → −1 with cover 1, else +1 with cover 3): E[tree] = 0.5
 * const forest = Forest.fromArrays({
 *   feature: Int32Array.of(0, -1, -1), threshold: Float32Array.of(0.5, 0, 0), bin: Uint8Array.of(0, 0, 0),
 *   defaultLeft: Uint8Array.of(0, 0, 0), left: Int32Array.of(1, -1, -1), value: Float64Array.of(0, -1, 1),
 *   gain: Float64Array.of(4, 0, 0), cover: Float64Array.of(4, 1, 3), treeStart: Int32Array.of(0, 3),
 * }, 2);
 * const x = { rows: 1, cols: 2, data: Float32Array.of(0, 7), names: ["x0", "x1"] };
 * const s = treeShap({ forestArrays: forest.arrays(), baseScore: 10 }, x);
 * assert.equal(s.bias, 10.5);
 * assert.deepEqual([...s.contributions], [-1.5, 0]); // 10.5 − 1.5 = 9 = the prediction
 * ```
 * @module
 */
import type { Matrix } from "../base.ts";
import type { ForestArrays } from "./forest.ts";

/** What TreeSHAP needs of a tree model ({@linkcode GbdtModel} has both). */
export interface TreeEnsembleLike {
  /** The trees' flat arrays (cover = ΣH of each node's training rows). */
  readonly forestArrays: ForestArrays;
  /** The starting prediction the trees add to. */
  readonly baseScore: number;
}

/** Options of {@linkcode treeShap}. */
export interface TreeShapOptions {
  /** Explain the first `trees` trees only. @default all */
  trees?: number;
}

/** SHAP values of a matrix. */
export interface ShapValues {
  /** rows × cols contributions, row-major (same layout as the input matrix). */
  contributions: Float64Array;
  /** Expected model output: base score + Σ_trees cover-weighted mean leaf (same for every row). */
  bias: number;
  rows: number;
  cols: number;
  names: readonly string[];
}

/** The path of unique features met so far (one slab per recursion depth). */
interface Path {
  feature: Int32Array;
  zero: Float64Array;
  one: Float64Array;
  w: Float64Array;
}

/** Append (feature, p_zero, p_one) to the path of length `d` at `o` (EXTEND of Algorithm 2). */
function extendPath(p: Path, o: number, d: number, zero: number, one: number, feature: number) {
  const { w } = p;
  p.feature[o + d] = feature;
  p.zero[o + d] = zero;
  p.one[o + d] = one;
  w[o + d] = d === 0 ? 1 : 0;
  for (let i = d - 1; i >= 0; i--) {
    w[o + i + 1] += (one * w[o + i] * (i + 1)) / (d + 1);
    w[o + i] = (zero * w[o + i] * (d - i)) / (d + 1);
  }
}

/** Remove element `k` from the path of length `d + 1` at `o` (UNWIND of Algorithm 2). */
function unwindPath(p: Path, o: number, d: number, k: number) {
  const { w } = p;
  const one = p.one[o + k], zero = p.zero[o + k];
  let next = w[o + d];
  for (let i = d - 1; i >= 0; i--) {
    if (one !== 0) {
      const t = w[o + i];
      w[o + i] = (next * (d + 1)) / ((i + 1) * one);
      next = t - (w[o + i] * zero * (d - i)) / (d + 1);
    } else {
      w[o + i] = (w[o + i] * (d + 1)) / (zero * (d - i));
    }
  }
  for (let i = k; i < d; i++) {
    p.feature[o + i] = p.feature[o + i + 1];
    p.zero[o + i] = p.zero[o + i + 1];
    p.one[o + i] = p.one[o + i + 1];
  }
}

/** Σ of the weights the path would have without element `k` (sum of UNWIND's w, no copy). */
function unwoundSum(p: Path, o: number, d: number, k: number): number {
  const { w } = p;
  const one = p.one[o + k], zero = p.zero[o + k];
  let next = w[o + d], total = 0;
  for (let i = d - 1; i >= 0; i--) {
    if (one !== 0) {
      const t = (next * (d + 1)) / ((i + 1) * one);
      total += t;
      next = w[o + i] - (t * zero * (d - i)) / (d + 1);
    } else if (zero !== 0) {
      total += w[o + i] / zero / ((d - i) / (d + 1));
    }
  }
  return total;
}

/** Depth of every tree's deepest leaf (root = 0), max over trees. */
function maxDepth(a: ForestArrays, trees: number): number {
  let best = 0;
  const stack: number[] = [];
  for (let t = 0; t < trees; t++) {
    stack.push(a.treeStart[t], 0);
    while (stack.length) {
      const d = stack.pop()!, n = stack.pop()!;
      if (a.feature[n] < 0) best = Math.max(best, d);
      else stack.push(a.left[n], d + 1, a.left[n] + 1, d + 1);
    }
  }
  return best;
}

/**
 * Cover-weighted mean leaf value of the tree rooted at `root` (E[tree] over the training rows).
 */
function expectedValue(a: ForestArrays, root: number): number {
  const { feature, left, cover, value } = a;
  let sum = 0;
  const stack = [root, 1];
  while (stack.length) {
    const frac = stack.pop()!, n = stack.pop()!;
    if (feature[n] < 0) {
      sum += frac * value[n];
      continue;
    }
    const c = cover[n], l = left[n];
    const fl = c > 0 ? cover[l] / c : 0.5, fr = c > 0 ? cover[l + 1] / c : 0.5;
    stack.push(l, frac * fl, l + 1, frac * fr);
  }
  return sum;
}

/**
 * Path-dependent TreeSHAP values of every row of `x`.
 * @param model a fitted tree ensemble (e.g. {@linkcode GbdtModel})
 * @param x rows × the model's feature columns, NaN = missing
 * @param options how many trees to explain
 * @returns contributions (rows × cols) and the bias
 */
export function treeShap(
  model: TreeEnsembleLike,
  x: Matrix,
  options: TreeShapOptions = {},
): ShapValues {
  const a = model.forestArrays;
  const nTrees = a.treeStart.length - 1;
  const trees = options.trees ?? nTrees;
  if (!(Number.isInteger(trees) && trees >= 0 && trees <= nTrees)) {
    throw new RangeError(`Invalid trees = ${trees}: expected an integer in [0, ${nTrees}]`);
  }
  const { rows, cols, data } = x;
  for (let i = 0; i < a.treeStart[trees]; i++) {
    if (a.feature[i] >= cols) {
      throw new RangeError(
        `Expected a matrix with at least ${a.feature[i] + 1} columns but found ${cols}`,
      );
    }
  }
  let bias = model.baseScore;
  for (let t = 0; t < trees; t++) bias += expectedValue(a, a.treeStart[t]);

  // path storage: the recursion at unique depth d uses slab d, of length d + 1
  const D = maxDepth(a, trees) + 2;
  const size = (D * (D + 1)) / 2;
  const path: Path = {
    feature: new Int32Array(size),
    zero: new Float64Array(size),
    one: new Float64Array(size),
    w: new Float64Array(size),
  };
  const { feature: F, threshold, defaultLeft, left, cover, value } = a;
  const { feature: pf, zero: pz, one: p1, w: pw } = path;
  const phi = new Float64Array(rows * cols);
  let row = 0;

  /** Recurse into node n with the parent's path (slab at `po`, length `d`) and the new element. */
  const recurse = (
    n: number,
    po: number,
    d: number,
    zero: number,
    one: number,
    feat: number,
  ): void => {
    // copy the parent's path (d elements) into this level's slab, then extend it
    const o = po + d;
    for (let i = 0; i < d; i++) { // plain loops: copyWithin costs more on a few elements
      pf[o + i] = pf[po + i];
      pz[o + i] = pz[po + i];
      p1[o + i] = p1[po + i];
      pw[o + i] = pw[po + i];
    }
    extendPath(path, o, d, zero, one, feat);
    const f = F[n];
    if (f < 0) {
      const v = value[n], base = row * cols;
      for (let i = 1; i <= d; i++) {
        const w = unwoundSum(path, o, d, i);
        phi[base + path.feature[o + i]] += w * (path.one[o + i] - path.zero[o + i]) * v;
      }
      return;
    }
    const xv = data[row * cols + f], th = threshold[n], l = left[n];
    const hot = l + (xv <= th ? 0 : xv > th ? 1 : 1 - defaultLeft[n]);
    const cold = hot === l ? l + 1 : l;
    const c = cover[n];
    const hotZero = c > 0 ? cover[hot] / c : 0.5, coldZero = c > 0 ? cover[cold] / c : 0.5;
    let inZero = 1, inOne = 1;
    // a feature already on the path: undo its element and redo it here
    let k = 1;
    for (; k <= d; k++) if (path.feature[o + k] === f) break;
    let dd = d;
    if (k <= d) {
      inZero = path.zero[o + k];
      inOne = path.one[o + k];
      unwindPath(path, o, d, k);
      dd = d - 1;
    }
    recurse(hot, o, dd + 1, hotZero * inZero, inOne, f);
    recurse(cold, o, dd + 1, coldZero * inZero, 0, f);
  };

  for (row = 0; row < rows; row++) {
    for (let t = 0; t < trees; t++) {
      const root = a.treeStart[t];
      if (F[root] < 0) continue; // a stump-less tree adds only to the bias
      // the root call extends an empty path with the dummy element (feature −1)
      recurse(root, 0, 0, 1, 1, -1);
    }
  }
  return { contributions: phi, bias, rows, cols, names: x.names };
}

/**
 * Mean |SHAP| per feature (a global importance on the explained rows), most important first.
 * @param shap the output of {@linkcode treeShap}
 * @returns `{ name, value }` sorted by value, descending (ties: column order)
 * @example
 * ```ts
 * import { shapImportance } from "./treeShap.ts";
 * import assert from "node:assert/strict";
 * const s = { contributions: Float64Array.of(1, -3, -1, 1), bias: 0, rows: 2, cols: 2, names: ["a", "b"] };
 * assert.deepEqual(shapImportance(s), [{ name: "b", value: 2 }, { name: "a", value: 1 }]);
 * ```
 */
export function shapImportance(shap: ShapValues): { name: string; value: number }[] {
  const { rows, cols, contributions } = shap;
  const sum = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) sum[j] += Math.abs(contributions[r * cols + j]);
  }
  return Array.from(sum, (s, j) => ({ name: shap.names[j], value: rows ? s / rows : 0, j }))
    .sort((p, q) => q.value - p.value || p.j - q.j)
    .map(({ name, value }) => ({ name, value }));
}
