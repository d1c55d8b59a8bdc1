/**
 * Seeded synthetic regression data with a planted nonlinear signal, for the tree models' tests and
 * benchmarks (not market data): features are uniform on [−2, 2), and
 *
 *   y = sin(π·x0) + x1·x2 + 1[x3 > 0.5] + 0.5·|x4| − 0.25·x5² + 0.2·x6 + σ·ε,  ε ~ N(0, 1)
 *
 * (only as many terms as there are features). A linear model explains little of it (the x6 term and
 * a part of sin); trees recover most of it. Optionally a fraction of feature values is NaN.
 *
 * @example
 * ```ts
 * import { syntheticRegression } from "./synthetic.ts";
 * import assert from "node:assert/strict";
 * const a = syntheticRegression(100, 8, { seed: 3 }), b = syntheticRegression(100, 8, { seed: 3 });
 * assert.equal(a.x.data.length, 800);
 * assert.deepEqual(a.y.y, b.y.y);
 * ```
 * @module
 */
import type { Matrix, Target } from "../base.ts";
import { Rng } from "./_rng.ts";

/** Options of {@linkcode syntheticRegression}. */
export interface SyntheticOptions {
  /** Seed of features and noise. @default {1} */
  seed?: number;
  /** Noise standard deviation σ. @default {0.5} */
  noise?: number;
  /** Fraction of feature values replaced by NaN. @default {0} */
  missing?: number;
}

/** The noiseless signal of one row (see module doc); `x` holds the row's features. */
export function syntheticSignal(x: ArrayLike<number>, cols: number, off = 0): number {
  const v = (j: number) => (j < cols ? x[off + j] : 0);
  const z = (j: number) => (v(j) === v(j) ? v(j) : 0); // a missing value contributes as 0
  return Math.sin(Math.PI * z(0)) + z(1) * z(2) + (z(3) > 0.5 ? 1 : 0) + 0.5 * Math.abs(z(4)) -
    0.25 * z(5) * z(5) + 0.2 * z(6);
}

/**
 * Generate `rows × cols` features and labels.
 * @param rows rows
 * @param cols features (≥ 1; the signal uses the first 7)
 * @param options seed, noise, missing fraction
 * @returns the matrix (names `f0…`) and labels
 */
export function syntheticRegression(
  rows: number,
  cols: number,
  options: SyntheticOptions = {},
): { x: Matrix; y: Target } {
  const { seed = 1, noise = 0.5, missing = 0 } = options;
  const rng = new Rng(seed, 0xda7a);
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = rng.float() * 4 - 2;
  const y = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    y[r] = syntheticSignal(data, cols, r * cols) + noise * rng.normal();
  }
  if (missing > 0) {
    for (let i = 0; i < data.length; i++) if (rng.float() < missing) data[i] = NaN;
  }
  const names = Array.from({ length: cols }, (_, j) => `f${j}`);
  return { x: { rows, cols, data, names }, y: { y } };
}

/**
 * Rows `[start, end)` of a matrix and its labels (copies), e.g. for a train/valid split.
 * @param x matrix
 * @param y labels
 * @param start first row
 * @param end one past the last row
 */
export function sliceRows(
  x: Matrix,
  y: Target,
  start: number,
  end: number,
): { x: Matrix; y: Target } {
  return {
    x: {
      rows: end - start,
      cols: x.cols,
      data: x.data.slice(start * x.cols, end * x.cols),
      names: x.names,
    },
    y: { y: y.y.slice(start, end), weight: y.weight?.slice(start, end) },
  };
}
