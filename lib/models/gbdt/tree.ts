/**
 * Growing one histogram tree (issue 4 §3), shared by gradient boosting and the random forest.
 * Rows are a range of a row-index array; a split stably partitions its node's range (left rows
 * first), so every node, and in the end every leaf, is a contiguous range. Growth is depth-wise
 * (level by level, XGBoost's default: one backend round trip per level) or loss-guided (always
 * split the open leaf with the largest gain, LightGBM's leaf-wise growth: one round trip per split),
 * limited by `maxDepth`, `maxLeaves`, `minChildWeight` and `gamma` (a split must gain more than γ).
 * For each split, only the child with fewer rows has its histogram built from rows; the other is
 * `parent − child` (see `histogram.ts`), and children that cannot split further get none.
 *
 * The grower returns the tree's structure with each node's (ΣG, ΣH); the caller turns leaf sums
 * into values (boosting: −G/(H+λ)·η; forest: the mean label).
 *
 * @example
 * ```ts
 * import { growTree, prepareData } from "./tree.ts";
 * import { createBackend } from "./backend.ts";
 * import assert from "node:assert/strict";
 * // one feature with bins 0,0,1,1 and gradients −1,−1,+1,+1: one split at bin 0
 * const data = prepareData(new Uint8Array([0, 0, 1, 1]), 4, 1, Uint16Array.of(2), false);
 * data.g.set([-1, -1, 1, 1]);
 * const backend = await createBackend(data, 1);
 * const tree = await growTree(backend, data, { rootRows: 4, identity: true, unitHess: true, features: Int32Array.of(0) },
 *   { maxDepth: 3, lambda: 0 });
 * assert.deepEqual([tree.feature[0], tree.bin[0], tree.left[0]], [0, 0, 1]);
 * assert.deepEqual([tree.G[1], tree.G[2]], [-2, 2]);
 * ```
 * @module
 */
import type { HistTask, SharedData, SplitTask } from "./_engine.ts";
import type { Backend } from "./backend.ts";
import type { Rng } from "./_rng.ts";
import type { Split } from "./split.ts";

/** Tree-shape parameters (XGBoost names in brackets). */
export interface TreeParams {
  /** Maximum depth, 0 = unlimited (`max_depth`). @default {6} */
  maxDepth?: number;
  /** Maximum leaves, 0 = unlimited (`max_leaves`). @default {0} */
  maxLeaves?: number;
  /** "depthwise" or "lossguide" (`grow_policy`). @default {"depthwise"} */
  growPolicy?: "depthwise" | "lossguide";
  /** L2 penalty on leaf values (`lambda`). @default {1} */
  lambda?: number;
  /** Minimum ΣH per child (`min_child_weight`); with unit hessians a row count. @default {1} */
  minChildWeight?: number;
  /** Minimum gain to split (`gamma`). @default {0} */
  gamma?: number;
  /** Fraction of the tree's features tried at each node (`colsample_bynode`). @default {1} */
  colsampleBynode?: number;
}

/** The rows and features of one tree. */
export interface TreeInput {
  /** The root is `rowIdx[0 … rootRows)` (the caller fills `rowIdx`). */
  rootRows: number;
  /** `rowIdx[k] = k` on the root range (no subsampling): enables the sequential kernel. */
  identity: boolean;
  /** All hessians are 1 (the `h` array is not read). */
  unitHess: boolean;
  /** Features this tree may split on, ascending. */
  features: Int32Array;
  /** Random source for `colsampleBynode` < 1. */
  rng?: Rng;
}

/** A grown tree: node 0 is the root; an internal node's children are `left` and `left + 1`. */
export interface GrownTree {
  nodes: number;
  /** Split feature, −1 for a leaf. */
  feature: Int32Array;
  /** Last bin sent left. */
  bin: Int32Array;
  /** Missing values go left (1) or right (0). */
  defaultLeft: Uint8Array;
  /** Left child id (right = left + 1); −1 for a leaf. */
  left: Int32Array;
  /** Split gain (0 for a leaf). */
  gain: Float64Array;
  /** Node ΣG and ΣH. */
  G: Float64Array;
  H: Float64Array;
  /** Node row range in `rowIdx` (leaves' ranges partition the root's). */
  start: Int32Array;
  end: Int32Array;
  depth: Int32Array;
}

/**
 * Allocate the shared training buffers for binned data.
 * @param bins column-major bin codes
 * @param nRows rows
 * @param nCols features
 * @param counts value-bin count per feature
 * @param shared put gradients and row ids on SharedArrayBuffers (needed for worker threads)
 * @param binsRow optional row-major copy of the bins
 * @returns the buffers (gradients zero, `rowIdx` the identity)
 */
export function prepareData(
  bins: Uint8Array,
  nRows: number,
  nCols: number,
  counts: Uint16Array,
  shared: boolean,
  binsRow: Uint8Array | null = null,
): SharedData {
  const buf = (bytes: number) => shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
  const rowIdx = new Uint32Array(buf(nRows * 4));
  for (let i = 0; i < nRows; i++) rowIdx[i] = i;
  return {
    bins,
    binsRow,
    nRows,
    nCols,
    counts,
    g: new Float64Array(buf(nRows * 8)),
    h: new Float64Array(buf(nRows * 8)),
    rowIdx,
  };
}

const MIN_GAIN = 1e-6; // XGBoost's kRtEps: gains below are rounding noise

class Nodes {
  feature: number[] = [];
  bin: number[] = [];
  defaultLeft: number[] = [];
  left: number[] = [];
  gain: number[] = [];
  G: number[] = [];
  H: number[] = [];
  start: number[] = [];
  end: number[] = [];
  depth: number[] = [];
  add(start: number, end: number, G: number, H: number, depth: number): number {
    this.feature.push(-1), this.bin.push(0), this.defaultLeft.push(0), this.left.push(-1);
    this.gain.push(0), this.G.push(G), this.H.push(H);
    this.start.push(start), this.end.push(end), this.depth.push(depth);
    return this.feature.length - 1;
  }
  pack(): GrownTree {
    return {
      nodes: this.feature.length,
      feature: Int32Array.from(this.feature),
      bin: Int32Array.from(this.bin),
      defaultLeft: Uint8Array.from(this.defaultLeft),
      left: Int32Array.from(this.left),
      gain: Float64Array.from(this.gain),
      G: Float64Array.from(this.G),
      H: Float64Array.from(this.H),
      start: Int32Array.from(this.start),
      end: Int32Array.from(this.end),
      depth: Int32Array.from(this.depth),
    };
  }
}

/**
 * Stable in-place partition of `rowIdx[start … end)` by a split; returns the left child's size.
 * @param data shared buffers (bins, counts, rowIdx)
 * @param start range start
 * @param end range end
 * @param feature split feature
 * @param bin last bin sent left
 * @param defaultLeft where missing values go
 * @param tmp scratch of at least `end − start`
 */
export function partitionRows(
  data: SharedData,
  start: number,
  end: number,
  feature: number,
  bin: number,
  defaultLeft: boolean,
  tmp: Uint32Array,
): number {
  const { bins, rowIdx, nRows } = data;
  const col = feature * nRows, miss = data.counts[feature];
  let w = start, t = 0;
  for (let k = start; k < end; k++) {
    const r = rowIdx[k], b = bins[col + r];
    if (b === miss ? defaultLeft : b <= bin) rowIdx[w++] = r;
    else tmp[t++] = r;
  }
  rowIdx.set(tmp.subarray(0, t), w);
  return w - start;
}

/**
 * Grow one tree on the rows and features of `input`, with gradients already in `data.g` / `data.h`.
 * @param backend histogram/split engine(s)
 * @param data shared buffers; `rowIdx` is reordered
 * @param input root rows, features, flags
 * @param params tree shape (see {@linkcode TreeParams})
 * @returns the tree structure with node sums and leaf row ranges
 */
export async function growTree(
  backend: Backend,
  data: SharedData,
  input: TreeInput,
  params: TreeParams = {},
): Promise<GrownTree> {
  const {
    maxDepth = 6,
    maxLeaves = 0,
    growPolicy = "depthwise",
    lambda = 1,
    minChildWeight = 1,
    gamma = 0,
    colsampleBynode = 1,
  } = params;
  const { rootRows, identity, unitHess, features } = input;
  const { g, h, rowIdx } = data;
  let G = 0, H = 0;
  for (let k = 0; k < rootRows; k++) {
    const r = rowIdx[k];
    G += g[r];
    H += unitHess ? 1 : h[r];
  }
  const nodes = new Nodes();
  nodes.add(0, rootRows, G, H, 0);
  const splittable = (n: number) =>
    (maxDepth === 0 || nodes.depth[n] < maxDepth) && nodes.end[n] - nodes.start[n] >= 2 &&
    nodes.H[n] >= 2 * minChildWeight;
  if (!splittable(0) || features.length === 0) return nodes.pack();

  backend.beginTree(features, { lambda, minChildWeight }, unitHess);
  const tmp = new Uint32Array(rootRows);
  const nByNode = colsampleBynode < 1
    ? Math.max(1, Math.round(colsampleBynode * features.length))
    : 0;
  const mask = (): Uint8Array | null => {
    if (!nByNode) return null;
    if (!input.rng) throw new Error("colsampleBynode < 1 needs an rng");
    const m = new Uint8Array(data.nCols);
    for (const i of input.rng.sample(features.length, nByNode)) m[features[i]] = 1;
    return m;
  };
  const splitTask = (n: number): SplitTask => ({
    node: n,
    G: nodes.G[n],
    H: nodes.H[n],
    mask: mask(),
  });
  let leaves = 1;
  let release: number[] = [];
  let hist: HistTask[] = [{
    node: 0,
    start: 0,
    end: rootRows,
    parent: -1,
    sibling: -1,
    identity,
    keep: true,
  }];

  /** Split node n; returns the children that need histograms (and queues their hist tasks). */
  const split = (n: number, s: Split): number[] => {
    const start = nodes.start[n], end = nodes.end[n];
    const nl = partitionRows(data, start, end, s.feature, s.bin, s.defaultLeft, tmp);
    nodes.feature[n] = s.feature,
      nodes.bin[n] = s.bin,
      nodes.defaultLeft[n] = s.defaultLeft ? 1 : 0;
    nodes.gain[n] = s.gain;
    const d = nodes.depth[n] + 1;
    const a = nodes.add(start, start + nl, s.GL, s.HL, d);
    const b = nodes.add(start + nl, end, nodes.G[n] - s.GL, nodes.H[n] - s.HL, d);
    nodes.left[n] = a;
    leaves++;
    const needA = splittable(a), needB = splittable(b);
    if (!needA && !needB) {
      release.push(n);
      return [];
    }
    const [small, large, needSmall, needLarge] = nl <= end - start - nl
      ? [a, b, needA, needB]
      : [b, a, needB, needA];
    hist.push({
      node: small,
      start: nodes.start[small],
      end: nodes.end[small],
      parent: n,
      sibling: needLarge ? large : -1,
      identity: false,
      keep: needSmall,
    });
    return [a, b].filter((c) => c === a ? needA : needB);
  };
  const canSplit = (s: Split) =>
    s.gain > gamma && s.gain > MIN_GAIN && (maxLeaves === 0 || leaves < maxLeaves);

  if (growPolicy === "depthwise") {
    let frontier = [0];
    while (frontier.length) {
      const res = await backend.step({ release, hist, split: frontier.map(splitTask) });
      release = [], hist = [];
      const next: number[] = [];
      frontier.forEach((n, i) => {
        if (canSplit(res[i])) next.push(...split(n, res[i]));
        else release.push(n);
      });
      frontier = next;
    }
  } else if (growPolicy === "lossguide") {
    const open: { node: number; s: Split }[] = [];
    let ask = [0];
    while (true) {
      if (ask.length) {
        const res = await backend.step({ release, hist, split: ask.map(splitTask) });
        release = [], hist = [];
        ask.forEach((n, i) => open.push({ node: n, s: res[i] }));
      }
      // best open leaf: highest gain, then lowest node id
      let bi = -1;
      for (let i = 0; i < open.length; i++) {
        const o = open[i];
        if (
          bi < 0 || o.s.gain > open[bi].s.gain ||
          (o.s.gain === open[bi].s.gain && o.node < open[bi].node)
        ) bi = i;
      }
      if (bi < 0 || !canSplit(open[bi].s)) break;
      const { node, s } = open.splice(bi, 1)[0];
      ask = split(node, s);
    }
  } else {
    throw new RangeError(`Invalid growPolicy "${growPolicy}": expected "depthwise" or "lossguide"`);
  }
  return nodes.pack();
}
