/**
 * Training plumbing shared by the boosted trees and the random forest (internal): input checks,
 * binning onto (shared) memory, the thread decision, row sampling, loss.
 * @module
 */
import type { Matrix, Target } from "../base.ts";
import { type BinEdges, binMatrix, computeBinEdges } from "./binning.ts";
import { transposeBins } from "./histogram.ts";
import type { SharedData } from "./_engine.ts";
import type { Rng } from "./_rng.ts";
import { type Backend, createBackend } from "./backend.ts";
import { prepareData } from "./tree.ts";

/** Options that decide binning and threads. */
export interface SetupOptions {
  maxBins: number;
  binSampleRows: number;
  seed: number;
  nThreads: number;
  parallelMinCells: number;
  rowMajorMinCells: number;
}

/** Binned training data with its backend. */
export interface Setup {
  edges: BinEdges;
  data: SharedData;
  backend: Backend;
  threads: number;
  /** Seconds spent on binning (edges + codes + row-major copy). */
  binSeconds: number;
}

/** Throw unless `x` and `y` fit together and the labels are finite. */
export function checkInputs(type: string, x: Matrix, y: Target, what = "train"): void {
  if (x.data.length !== x.rows * x.cols) {
    throw new RangeError(
      `Expected ${what} matrix data of ${x.rows}×${x.cols} values but found ${x.data.length}`,
    );
  }
  if (y.y.length !== x.rows) {
    throw new RangeError(`Expected ${x.rows} ${what} labels for ${type} but found ${y.y.length}`);
  }
  if (y.weight && y.weight.length !== x.rows) {
    throw new RangeError(`Expected ${x.rows} ${what} weights but found ${y.weight.length}`);
  }
  for (let i = 0; i < y.y.length; i++) {
    if (!Number.isFinite(y.y[i])) {
      throw new RangeError(`Invalid ${what} label at row ${i}: ${y.y[i]}`);
    }
    if (y.weight && !(y.weight[i] >= 0)) {
      throw new RangeError(`Invalid ${what} weight at row ${i}: ${y.weight[i]}`);
    }
  }
  if (x.rows === 0 || x.cols === 0) {
    throw new RangeError(`Expected a non-empty ${what} matrix but found ${x.rows}×${x.cols}`);
  }
}

/** Threads to use: `nThreads` (0 = all cores), one thread below `parallelMinCells`. */
export function chooseThreads(
  rows: number,
  cols: number,
  o: Pick<SetupOptions, "nThreads" | "parallelMinCells">,
): number {
  const all = o.nThreads > 0 ? o.nThreads : (navigator.hardwareConcurrency || 1);
  return rows * cols < o.parallelMinCells ? 1 : Math.max(1, all);
}

/** Bin `x`, allocate the shared buffers and start the backend (the caller closes it). */
export async function setup(x: Matrix, o: SetupOptions): Promise<Setup> {
  const t0 = performance.now();
  const threads = chooseThreads(x.rows, x.cols, o);
  const shared = threads > 1;
  const edges = computeBinEdges(x, {
    maxBins: o.maxBins,
    sampleRows: o.binSampleRows,
    seed: o.seed,
  });
  const bins = binMatrix(x, edges, shared);
  const binsRow = x.rows * x.cols >= o.rowMajorMinCells
    ? transposeBins(bins, x.rows, x.cols, shared)
    : null;
  const data = prepareData(bins, x.rows, x.cols, edges.counts, shared, binsRow);
  const binSeconds = (performance.now() - t0) / 1e3;
  const backend = await createBackend(data, threads);
  return { edges, data, backend, threads: backend.threads, binSeconds };
}

/**
 * Fill `rowIdx` with this tree's root rows: all rows (identity) when `fraction ≥ 1`, else each
 * row kept with probability `fraction` (ascending). Returns the root size.
 */
export function sampleRows(rowIdx: Uint32Array, n: number, fraction: number, rng: Rng): number {
  let k = 0;
  if (fraction >= 1) {
    for (let i = 0; i < n; i++) rowIdx[i] = i;
    return n;
  }
  for (let i = 0; i < n; i++) if (rng.float() < fraction) rowIdx[k++] = i;
  if (k === 0) rowIdx[k++] = rng.int(n);
  return k;
}

/** (Weighted) mean squared error of `pred` against `y`. */
export function mse(pred: Float64Array, y: Float32Array, w?: Float32Array): number {
  let s = 0, sw = 0;
  for (let i = 0; i < y.length; i++) {
    const e = pred[i] - y[i], wi = w ? w[i] : 1;
    s += wi * e * e;
    sw += wi;
  }
  return sw > 0 ? s / sw : NaN;
}

/** (Weighted) mean of `y`. */
export function mean(y: Float32Array, w?: Float32Array): number {
  let s = 0, sw = 0;
  for (let i = 0; i < y.length; i++) {
    const wi = w ? w[i] : 1;
    s += wi * y[i];
    sw += wi;
  }
  return sw > 0 ? s / sw : 0;
}

/** Throw when a matrix's columns do not match the training columns. */
export function checkColumns(type: string, names: readonly string[], x: Matrix): void {
  if (x.cols !== names.length) {
    throw new RangeError(
      `Expected a matrix with ${names.length} columns for ${type} but found ${x.cols}`,
    );
  }
  if (x.names.length === names.length) {
    for (let j = 0; j < names.length; j++) {
      if (x.names[j] !== names[j]) {
        throw new RangeError(
          `Column ${j} is "${x.names[j]}" but the ${type} model was trained on "${names[j]}"`,
        );
      }
    }
  }
}

/** Write `bytes` to `path` atomically (temp file + rename). */
export function writeAtomic(path: string, bytes: Uint8Array | string): void {
  const tmp = `${path}.tmp-${Deno.pid}`;
  if (typeof bytes === "string") Deno.writeTextFileSync(tmp, bytes);
  else Deno.writeFileSync(tmp, bytes);
  Deno.renameSync(tmp, path);
}
