/**
 * Permutation importance (Breiman 2001; SPEC §7 "explainability"): how much a fitted model's loss
 * on a held-out segment grows when one feature column is shuffled across that segment's rows,
 * breaking its link to the label while keeping its distribution. Importance of column j =
 * loss(x with column j permuted) − loss(x), averaged over `repeats` seeded permutations, with
 * the sample standard deviation (n − 1) of those repeats.
 *
 * Model-agnostic: it needs only a `predict(matrix)`. Use it on valid or test rows (never train:
 * an overfit model would look dependent on noise). Correlated features share credit: shuffling
 * one of two near-copies costs little because the other still carries the signal (prune them
 * first, `pruneCorrelated`). Shuffling is over all rows of the segment, so for a pooled dataset
 * values move across pairs and times; that is the usual "marginal" definition.
 *
 * The shuffle of (column j, repeat r) is a Fisher–Yates permutation from mulberry32 seeded by
 * (seed, j, r), so a column's numbers do not depend on which other columns are asked for. Rows
 * where the label or the baseline prediction is NaN are left out of every loss.
 *
 * @example
 * ```ts
 * import { permutationImportance } from "./permutationImportance.ts";
 * import type { Matrix } from "../models/base.ts";
 * import assert from "node:assert/strict";
 * // y = x0: shuffling x0 hurts, x1 is never read
 * const n = 200, data = new Float32Array(2 * n), y = new Float64Array(n);
 * for (let i = 0; i < n; i++) data[2 * i] = y[i] = Math.sin(i), data[2 * i + 1] = i % 7;
 * const x: Matrix = { rows: n, cols: 2, data, names: ["x0", "x1"] };
 * const predict = (m: Matrix) => Float64Array.from({ length: m.rows }, (_, i) => m.data[2 * i]);
 * const imp = permutationImportance(predict, x, y, { repeats: 3, verbose: false });
 * assert.ok(imp.columns[0].mean > 0.5 && imp.columns[1].mean === 0);
 * ```
 * @module
 */
import type { Matrix } from "../models/base.ts";
import { mulberry32 } from "../models/train.ts";
import { progress } from "../progress.ts";

/** Options of {@linkcode permutationImportance}. */
export interface PermutationOptions {
  /** Permutations per column. @default 5 */
  repeats?: number;
  /** Seed of the permutations. @default 0 */
  seed?: number;
  /** Columns to score (names). @default every column */
  columns?: readonly string[];
  /** Loss of (y, ŷ) over usable rows: "mse", "mae" or a function. @default "mse" */
  loss?: "mse" | "mae" | ((y: ArrayLike<number>, yhat: ArrayLike<number>) => number);
  /** Print progress. @default true (quiet under BQX_QUIET=1) */
  verbose?: boolean;
}

/** One column's importance. */
export interface ColumnImportance {
  name: string;
  /** Mean loss increase over the repeats. */
  mean: number;
  /** Sample standard deviation of the increase (0 with one repeat). */
  std: number;
  /** The increase of each repeat. */
  repeats: number[];
}

/** What {@linkcode permutationImportance} returns. */
export interface PermutationImportance {
  /** Loss of the unpermuted matrix. */
  baseline: number;
  /** Rows scored (finite label and baseline prediction). */
  rows: number;
  /** One entry per scored column, in the order asked (or matrix order). */
  columns: ColumnImportance[];
}

/** Derive the seed of (column, repeat) from the run seed (splitmix-like mixing). */
function streamSeed(seed: number, j: number, r: number): number {
  let z = (Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(j + 1, 0x85ebca6b) ^
    Math.imul(r + 1, 0xc2b2ae35)) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x7feb352d);
  z = Math.imul(z ^ (z >>> 15), 0x846ca68b);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * Permutation importance of each column on a held-out segment.
 * @param predict the fitted model's prediction function
 * @param x the held-out rows (e.g. `rowsOf(matrix, split.valid.rows)`); not modified
 * @param y their labels
 * @param options repeats, seed, columns, loss
 * @returns the baseline loss and, per column, mean ± std of the loss increase
 */
export function permutationImportance(
  predict: (x: Matrix) => ArrayLike<number>,
  x: Matrix,
  y: ArrayLike<number>,
  options: PermutationOptions = {},
): PermutationImportance {
  const { repeats = 5, seed = 0, loss = "mse", verbose = true } = options;
  if (!(Number.isInteger(repeats) && repeats >= 1)) {
    throw new RangeError(`Expected repeats to be an integer >= 1 but found ${repeats}`);
  }
  if (typeof loss !== "function" && loss !== "mse" && loss !== "mae") {
    throw new RangeError(`Invalid loss "${loss}": expected "mse", "mae" or a function`);
  }
  if (y.length !== x.rows) {
    throw new RangeError(`Expected ${x.rows} labels but found ${y.length}`);
  }
  const at = new Map(x.names.map((n, j) => [n, j]));
  const cols = (options.columns ?? x.names).map((n) => {
    const j = at.get(n);
    if (j === undefined) throw new RangeError(`Unknown column "${n}": not in the matrix`);
    return j;
  });
  const { rows, cols: C } = x;
  const base = predict(x);
  if (base.length !== rows) {
    throw new RangeError(`Expected ${rows} predictions but found ${base.length}`);
  }
  // rows scored: finite label and baseline prediction
  const keep: number[] = [];
  for (let i = 0; i < rows; i++) {
    if (Number.isFinite(y[i]) && Number.isFinite(base[i])) keep.push(i);
  }
  const yk = Float64Array.from(keep, (i) => y[i]);
  const lossFn = typeof loss === "function"
    ? loss
    : (a: ArrayLike<number>, b: ArrayLike<number>) => {
      let s = 0;
      for (let i = 0; i < a.length; i++) {
        const d = a[i] - b[i];
        s += loss === "mae" ? Math.abs(d) : d * d;
      }
      return a.length ? s / a.length : NaN;
    };
  const score = (p: ArrayLike<number>) => lossFn(yk, Float64Array.from(keep, (i) => p[i]));
  const baseline = score(base);

  const data = x.data.slice(); // working copy: one column permuted at a time, then restored
  const work: Matrix = { rows, cols: C, data, names: x.names };
  const col = new Float32Array(rows), perm = new Int32Array(rows);
  const bar = progress("permutation importance", cols.length, { silent: !verbose || undefined });
  const out: ColumnImportance[] = [];
  for (const j of cols) {
    for (let i = 0; i < rows; i++) col[i] = x.data[i * C + j];
    const inc: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const rand = mulberry32(streamSeed(seed, j, r));
      for (let i = 0; i < rows; i++) perm[i] = i;
      for (let i = rows - 1; i > 0; i--) {
        const k = Math.floor(rand() * (i + 1));
        const t = perm[i];
        perm[i] = perm[k];
        perm[k] = t;
      }
      for (let i = 0; i < rows; i++) data[i * C + j] = col[perm[i]];
      inc.push(score(predict(work)) - baseline);
    }
    for (let i = 0; i < rows; i++) data[i * C + j] = col[i];
    const mean = inc.reduce((s, v) => s + v, 0) / repeats;
    const std = repeats > 1
      ? Math.sqrt(inc.reduce((s, v) => s + (v - mean) ** 2, 0) / (repeats - 1))
      : 0;
    out.push({ name: x.names[j], mean, std, repeats: inc });
    bar.tick(1, x.names[j]);
  }
  bar.done();
  return { baseline, rows: keep.length, columns: out };
}
