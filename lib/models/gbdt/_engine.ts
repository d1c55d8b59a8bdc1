/**
 * The per-thread half of tree growing (internal): an engine owns the histograms of one block of
 * features for the tree being grown and answers "steps" — build these nodes' histograms (smaller
 * child from rows, larger sibling by subtraction in the parent's buffer), then find each listed
 * node's best split on its features. One engine runs in-thread for small data; for large data one
 * runs in each Web Worker (`_worker.ts`) on shared memory, and the caller merges their answers with
 * `better()`, which gives the same tree as one thread.
 * @module
 */
import {
  buildHistogram,
  buildHistogramRowMajor,
  type HistLayout,
  histLayout,
  subtractHistogram,
} from "./histogram.ts";
import { findBestSplit, newSplit, type SplitParams } from "./split.ts";

/** Data shared by the grower and every engine (SharedArrayBuffer-backed when threads are used). */
export interface SharedData {
  /** Column-major bin codes. */
  bins: Uint8Array;
  /** Row-major copy for sparse nodes, or null. */
  binsRow: Uint8Array | null;
  nRows: number;
  nCols: number;
  /** Value-bin count per feature. */
  counts: Uint16Array;
  /** Gradients per row (rewritten each round). */
  g: Float64Array;
  /** Hessians per row (rewritten each round; read only when a tree is not unit-hessian). */
  h: Float64Array;
  /** Row ids; each node is a range of it. */
  rowIdx: Uint32Array;
}

/** Build a node's histogram from rows `rowIdx[start … end)`; when `sibling ≥ 0`, also derive the sibling as `parent − node`. */
export interface HistTask {
  node: number;
  start: number;
  end: number;
  /** Parent node whose histogram is consumed (−1: none). */
  parent: number;
  /** Sibling node that receives `parent − node` (−1: none). */
  sibling: number;
  /** Rows `start … end` are the identity (root without subsampling). */
  identity: boolean;
  /** Keep the node's histogram after the step (false: built only to derive the sibling). */
  keep: boolean;
}

/** Find the best split of a node (its histogram must exist). */
export interface SplitTask {
  node: number;
  G: number;
  H: number;
  /** Per-feature 0/1 candidates (column sampling by node), or null for all. */
  mask: Uint8Array | null;
}

/** One round trip: free histograms, build histograms, search splits. */
export interface StepRequest {
  release: number[];
  hist: HistTask[];
  split: SplitTask[];
}

/** Per-tree settings sent to every engine. */
export interface TreeSetup extends SplitParams {
  /** This engine's features, ascending. */
  features: Int32Array;
  /** Hessians are all one (read `h` otherwise). */
  unitHess: boolean;
}

/** Values per split answer in the Float64Array a step returns: gain, feature, bin, defaultLeft, GL, HL. */
export const SPLIT_STRIDE = 6;

/**
 * Nodes with fewer rows than `nRows / SPARSE` use the row-major kernel (when there is one): measured
 * on 400k × 100, column-major wins down to a density of 1/64 (134 vs 86 M cells/s), row-major from
 * 1/128 (89 vs 41).
 */
const SPARSE = 100;

/** Histogram owner for one feature block. */
export class HistEngine {
  private layout: HistLayout = histLayout(new Int32Array(0), new Uint16Array(0));
  private params: SplitParams = { lambda: 1, minChildWeight: 1 };
  private unitHess = true;
  private hists = new Map<number, Float64Array>();
  private pool: Float64Array[] = [];
  private scratch: { g: Float64Array; h: Float64Array; rows: Uint32Array };

  constructor(private readonly d: SharedData) {
    this.scratch = {
      g: new Float64Array(d.nRows),
      h: new Float64Array(0),
      rows: new Uint32Array(0),
    };
  }

  /** Start a tree: forget all histograms, take the new feature block and parameters. */
  beginTree(setup: TreeSetup): void {
    for (const h of this.hists.values()) this.pool.push(h);
    this.hists.clear();
    this.layout = histLayout(setup.features, this.d.counts);
    this.params = { lambda: setup.lambda, minChildWeight: setup.minChildWeight };
    this.unitHess = setup.unitHess;
    if (!setup.unitHess && this.scratch.h.length < this.d.nRows) {
      this.scratch.h = new Float64Array(this.d.nRows);
    }
  }

  private alloc(): Float64Array {
    const need = this.layout.size * 2;
    while (this.pool.length) {
      const b = this.pool.pop()!;
      if (b.length >= need) return b;
    }
    return new Float64Array(need);
  }

  private build(t: HistTask, out: Float64Array): void {
    const { bins, binsRow, nRows, nCols, g, h, rowIdx } = this.d;
    const hh = this.unitHess ? null : h;
    const n = t.end - t.start;
    if (binsRow && !t.identity && n * SPARSE < nRows) {
      buildHistogramRowMajor(out, this.layout, binsRow, nCols, rowIdx, t.start, t.end, g, hh);
    } else {
      if (t.identity && this.scratch.rows.length < n) this.scratch.rows = new Uint32Array(nRows);
      buildHistogram(
        out,
        this.layout,
        bins,
        nRows,
        t.identity ? null : rowIdx,
        t.start,
        t.end,
        g,
        hh,
        this.scratch,
      );
    }
  }

  /** Run one step; returns SPLIT_STRIDE values per split task. */
  step(req: StepRequest): Float64Array {
    for (const node of req.release) {
      const b = this.hists.get(node);
      if (b) this.pool.push(b), this.hists.delete(node);
    }
    for (const t of req.hist) {
      const out = this.alloc();
      this.build(t, out);
      this.hists.set(t.node, out);
      if (t.parent >= 0) {
        const p = this.hists.get(t.parent);
        if (!p) throw new Error(`No histogram for parent node ${t.parent}`);
        this.hists.delete(t.parent);
        if (t.sibling >= 0) {
          subtractHistogram(p, out, this.layout.size);
          this.hists.set(t.sibling, p);
        } else this.pool.push(p);
      }
      if (!t.keep) this.pool.push(out), this.hists.delete(t.node);
    }
    const res = new Float64Array(req.split.length * SPLIT_STRIDE);
    const best = newSplit();
    req.split.forEach((s, i) => {
      const hist = this.hists.get(s.node);
      if (!hist) throw new Error(`No histogram for node ${s.node}`);
      best.gain = -Infinity, best.feature = -1;
      findBestSplit(hist, this.layout, s.G, s.H, this.params, s.mask, best);
      const o = i * SPLIT_STRIDE;
      res[o] = best.gain, res[o + 1] = best.feature, res[o + 2] = best.bin;
      res[o + 3] = best.defaultLeft ? 1 : 0, res[o + 4] = best.GL, res[o + 5] = best.HL;
    });
    return res;
  }
}
