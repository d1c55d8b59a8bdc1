/**
 * The model interface (SPEC §7, Qlib's `Model.fit/predict`): every model fits on a train matrix
 * (optionally watching a validation matrix for early stopping), predicts a Float32Array, and saves
 * to / loads from a directory (a `model.json` with its type, config and seed, plus binary blobs),
 * so that save → load → predict is bit-identical. Randomness comes only from the config's seed.
 *
 * Matrices are row-major Float32 with NaN for missing values (models that cannot take NaN say so
 * and impute on the train segment).
 * @module
 */

/** A dense row-major Float32 matrix with column names. */
export interface Matrix {
  rows: number;
  cols: number;
  /** rows × cols values, row-major; NaN = missing. */
  data: Float32Array;
  names: readonly string[];
}

/** Labels and optional per-row weights of a segment. */
export interface Target {
  y: Float32Array;
  weight?: Float32Array;
}

/** What fit() reports. */
export interface FitReport {
  /** Rounds / epochs actually used (after early stopping). */
  iterations: number;
  /** Best validation loss (mean squared error unless the model says otherwise), if validated. */
  validLoss?: number;
  /** Loss curve: one entry per round/epoch. */
  history?: { train: number; valid?: number }[];
  seconds: number;
}

/** The common interface. */
export interface Model {
  /** Model type id, e.g. "ridge", "gbdt". */
  readonly type: string;
  /** The resolved config (defaults merged with overrides), saved with the model. */
  readonly config: Readonly<Record<string, unknown>>;
  fit(x: Matrix, y: Target, valid?: { x: Matrix; y: Target }): Promise<FitReport>;
  predict(x: Matrix): Float32Array;
  /** Write the model to `dir` (created); atomic per file. */
  save(dir: string): void;
}

/** Build a Matrix from column arrays (copying into row-major order). */
export function matrixFromColumns(
  names: readonly string[],
  columns: readonly ArrayLike<number>[],
): Matrix {
  const cols = columns.length;
  const rows = cols ? columns[0].length : 0;
  const data = new Float32Array(rows * cols);
  for (let j = 0; j < cols; j++) {
    const c = columns[j];
    if (c.length !== rows) {
      throw new RangeError(`Column ${names[j]} has ${c.length} rows, expected ${rows}`);
    }
    for (let i = 0; i < rows; i++) data[i * cols + j] = c[i];
  }
  return { rows, cols, data, names };
}

/** Merge user overrides into defaults; unknown keys and type changes throw (nanoGPT's configurator). */
export function resolveConfig<T extends Record<string, unknown>>(
  type: string,
  defaults: T,
  overrides: Partial<Record<string, unknown>> = {},
): T {
  for (const [k, v] of Object.entries(overrides)) {
    if (!(k in defaults)) {
      throw new RangeError(
        `Unknown ${type} option "${k}": expected one of ${Object.keys(defaults).join(", ")}`,
      );
    }
    const d = (defaults as Record<string, unknown>)[k];
    if (v !== undefined && d !== undefined && d !== null && typeof v !== typeof d) {
      throw new TypeError(
        `Invalid ${type} option ${k} = ${JSON.stringify(v)}: expected a ${typeof d}`,
      );
    }
  }
  return {
    ...defaults,
    ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)),
  } as T;
}
