/**
 * Per-column feature scaling learned on one segment (Qlib's `ZscoreNorm` / `RobustZScoreNorm`
 * with `fit_start_time … fit_end_time`): `Scaler.fit(x, split.train)` then `transform(any)`.
 *
 * - `standard`: z = (x − mean) / std, population std (ddof 0, like scikit-learn), Welford in
 *   Float64 over the segment's rows.
 * - `robust`: z = (x − median) / IQR, IQR = q75 − q25 with linear interpolation between order
 *   statistics (numpy's default), like scikit-learn's `RobustScaler` (Qlib divides a MAD instead).
 *
 * NaN-aware: non-finite values (NaN, ±∞) are ignored when fitting and stay NaN / pass through when
 * transforming. A column with zero spread on the fit rows (std = 0, or IQR = 0 for `robust`), or
 * with no finite value there, gets scale 1 (center 0 when empty) and is listed in `constant`, so
 * it is never blown up by a tiny divisor; a selector usually drops it. `clip` (Qlib's
 * `clip_outlier`, ±3 there) bounds the scaled values; off by default.
 *
 * A scaler is for inference too (`forInfer: true`): it carries its fit span, saves to JSON (exact:
 * doubles round-trip through JSON) and loads back, so live rows are scaled by the train statistics.
 * @module
 */
import { atomicWrite } from "../data/lake.ts";
import type { Matrix } from "../models/base.ts";
import { type FitSpan, fitSpan, type Fitted, type Segment } from "./segment.ts";

/** "standard" (mean/std) or "robust" (median/IQR). */
export type ScalerMethod = "standard" | "robust";

/** Options of {@linkcode Scaler.fit}. */
export interface ScalerOptions {
  /** Mean/std or median/IQR. @default "standard" */
  method?: ScalerMethod;
  /** Bound scaled values to [−clip, clip]; null = no bound. @default null */
  clip?: number | null;
}

/** The saved form of a scaler (JSON). */
export interface ScalerState extends Fitted {
  /** Step type. */
  kind: "scaler";
  /** Format version. */
  version: 1;
  /** Mean/std or median/IQR. */
  method: ScalerMethod;
  /** Fitted columns, in order. */
  names: string[];
  /** Subtracted per column. */
  center: number[];
  /** Divided per column (never 0). */
  scale: number[];
  /** Columns with zero spread (or no finite value) on the fit rows: scale 1. */
  constant: string[];
  /** Bound on scaled values, or null. */
  clip: number | null;
}

/**
 * A fitted per-column scaler.
 * @example
 * ```ts
 * import { Scaler } from "./scaler.ts";
 * import assert from "node:assert/strict";
 * const x = { rows: 4, cols: 2, names: ["a", "k"], data: new Float32Array([1, 5, 3, 5, NaN, 5, 100, 5]) };
 * const train = { name: "train", start: 0, end: 180_000, rows: new Int32Array([0, 1, 2]) };
 * const s = Scaler.fit(x, train); // a: mean 2, std 1 (NaN ignored); k: constant
 * assert.deepEqual([...s.center], [2, 5]);
 * assert.deepEqual(s.constant, ["k"]);
 * const z = s.transform(x);
 * assert.deepEqual([...z.data], [-1, 0, 1, 0, NaN, 0, 98, 0]);
 * assert.deepEqual(Scaler.fromJSON(JSON.parse(JSON.stringify(s))).transform(x), z);
 * ```
 */
export class Scaler implements Fitted {
  readonly kind = "scaler" as const;
  /** Scalers apply at inference too. */
  readonly forInfer = true;
  /** Mean/std or median/IQR. */
  readonly method: ScalerMethod;
  /** Fitted columns, in order. */
  readonly names: readonly string[];
  /** Subtracted per column. */
  readonly center: Float64Array;
  /** Divided per column (never 0). */
  readonly scale: Float64Array;
  /** Columns with zero spread (or no finite value) on the fit rows: scale 1. */
  readonly constant: readonly string[];
  /** Bound on scaled values, or null. */
  readonly clip: number | null;
  /** The segment it was fit on. */
  readonly fitOn: FitSpan;

  private constructor(s: Omit<ScalerState, "kind" | "version" | "forInfer">) {
    this.method = s.method;
    this.names = [...s.names];
    this.center = Float64Array.from(s.center);
    this.scale = Float64Array.from(s.scale);
    this.constant = [...s.constant];
    this.clip = s.clip;
    this.fitOn = { ...s.fitOn };
  }

  /**
   * Learn center and scale of every column on the rows of `on` only.
   * @param x the whole matrix (rows outside `on` are never read)
   * @param on the segment to fit on, usually `split(…).train`
   */
  static fit(x: Matrix, on: Segment, options: ScalerOptions = {}): Scaler {
    const { method = "standard", clip = null } = options;
    if (method !== "standard" && method !== "robust") {
      throw new RangeError(`Invalid method "${method}": expected "standard" or "robust"`);
    }
    if (clip !== null && !(clip > 0)) {
      throw new RangeError(`Expected clip > 0 or null but found ${clip}`);
    }
    const { rows, cols, data } = x;
    const idx = on.rows;
    for (let k = 0; k < idx.length; k++) {
      if (!(idx[k] >= 0 && idx[k] < rows)) {
        throw new RangeError(`Expected ${on.name} rows in 0..${rows - 1} but found ${idx[k]}`);
      }
    }
    const center = new Float64Array(cols), scale = new Float64Array(cols);
    const count = new Float64Array(cols);
    if (method === "standard") {
      const mean = new Float64Array(cols), m2 = new Float64Array(cols);
      for (let k = 0; k < idx.length; k++) {
        const o = idx[k] * cols;
        for (let j = 0; j < cols; j++) {
          const v = data[o + j];
          if (!Number.isFinite(v)) continue;
          const n = ++count[j];
          const d = v - mean[j];
          mean[j] += d / n;
          m2[j] += d * (v - mean[j]);
        }
      }
      for (let j = 0; j < cols; j++) {
        center[j] = count[j] ? mean[j] : 0;
        scale[j] = count[j] ? Math.sqrt(m2[j] / count[j]) : 0;
      }
    } else {
      const buf = new Float64Array(idx.length);
      for (let j = 0; j < cols; j++) {
        let n = 0;
        for (let k = 0; k < idx.length; k++) {
          const v = data[idx[k] * cols + j];
          if (Number.isFinite(v)) buf[n++] = v;
        }
        count[j] = n;
        if (n === 0) continue;
        const s = buf.subarray(0, n).sort();
        center[j] = quantile(s, 0.5);
        scale[j] = quantile(s, 0.75) - quantile(s, 0.25);
      }
    }
    const constant: string[] = [];
    for (let j = 0; j < cols; j++) {
      if (!(scale[j] > 0) || !Number.isFinite(scale[j])) {
        scale[j] = 1;
        constant.push(x.names[j]);
      }
    }
    return new Scaler({
      method,
      names: [...x.names],
      center: [...center],
      scale: [...scale],
      constant,
      clip,
      fitOn: fitSpan(on),
    });
  }

  /**
   * Scale every row of `x` (a new Float32 matrix; NaN stays NaN). The columns must be the fitted
   * ones, in the same order.
   */
  transform(x: Matrix): Matrix {
    const { rows, cols, data, names } = x;
    if (cols !== this.names.length || names.some((n, j) => n !== this.names[j])) {
      const j = names.findIndex((n, j) => n !== this.names[j]);
      throw new RangeError(
        `Expected the ${this.names.length} fitted columns in order but found ${cols} columns${
          j >= 0 ? ` (column ${j} is "${names[j]}", fitted "${this.names[j]}")` : ""
        }`,
      );
    }
    const out = new Float32Array(rows * cols);
    const c = this.center, inv = this.scale.map((s) => 1 / s);
    const lim = this.clip ?? Infinity;
    for (let i = 0; i < rows; i++) {
      const o = i * cols;
      for (let j = 0; j < cols; j++) {
        const z = (data[o + j] - c[j]) * inv[j];
        out[o + j] = z > lim ? lim : z < -lim ? -lim : z;
      }
    }
    return { rows, cols, data: out, names: this.names };
  }

  /** The JSON form ({@linkcode ScalerState}). */
  toJSON(): ScalerState {
    return {
      kind: "scaler",
      version: 1,
      forInfer: true,
      method: this.method,
      names: [...this.names],
      center: [...this.center],
      scale: [...this.scale],
      constant: [...this.constant],
      clip: this.clip,
      fitOn: { ...this.fitOn },
    };
  }

  /** Rebuild a scaler from its JSON form; throws naming the first invalid field. */
  static fromJSON(json: unknown): Scaler {
    const s = json as ScalerState;
    if (s?.kind !== "scaler" || s.version !== 1) {
      throw new TypeError(`Invalid scaler JSON: expected kind "scaler", version 1`);
    }
    if (s.method !== "standard" && s.method !== "robust") {
      throw new TypeError(`Invalid scaler JSON method: ${JSON.stringify(s.method)}`);
    }
    const n = s.names?.length;
    for (const key of ["center", "scale"] as const) {
      const v = s[key];
      if (!Array.isArray(v) || v.length !== n || v.some((e) => typeof e !== "number")) {
        throw new TypeError(`Invalid scaler JSON ${key}: expected ${n} numbers`);
      }
    }
    if (!s.fitOn || typeof s.fitOn.name !== "string") {
      throw new TypeError("Invalid scaler JSON fitOn: expected {name, start, end, rows}");
    }
    return new Scaler({ ...s, constant: s.constant ?? [], clip: s.clip ?? null });
  }

  /** Write the JSON form to `path` atomically. */
  save(path: string): void {
    atomicWrite(path, JSON.stringify(this.toJSON(), null, 1) + "\n");
  }

  /** Read a scaler saved by {@linkcode Scaler.save}. */
  static load(path: string): Scaler {
    return Scaler.fromJSON(JSON.parse(Deno.readTextFileSync(path)));
  }
}

/** Quantile q of sorted values, linear interpolation between order statistics (numpy type 7). */
function quantile(sorted: Float64Array, q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h), hi = Math.ceil(h);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}
