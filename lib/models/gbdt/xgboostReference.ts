/**
 * Run the same fit in XGBoost (`tree_method="hist"`) as a reference for our GBDT (issue 4 §7): the
 * data go to a temp dir as raw float32 files, `_xgboost.py` trains with the given parameters and
 * prints its validation MSE and timings. Needs a Python with xgboost and numpy (the Debian one,
 * `/usr/bin/python3`, by default); {@linkcode xgboostAvailable} says whether it is there.
 * XGBoost runs with `OMP_WAIT_POLICY=PASSIVE` unless the caller's environment sets it: on a shared
 * machine OpenMP's default spin-waiting made 2 threads 2.5× slower than with passive waiting
 * (80k × 50, depth 8: 4.0 s vs 1.6 s for 20 rounds), which would flatter our timings.
 * @module
 */
import type { Matrix, Target } from "../base.ts";

/** What the reference run reports. */
export interface XgboostResult {
  validMse: number;
  /** Seconds in `xgb.train` (binning/sketch included). */
  trainSeconds: number;
  /** Seconds building the DMatrix objects. */
  dmatrixSeconds: number;
  predictRowsPerS: number;
  version: string;
}

/** Default interpreter: the Debian python that has xgboost 1.7. */
export const XGBOOST_PYTHON = "/usr/bin/python3";

/**
 * Why XGBoost cannot run, or null when it can.
 * @param python interpreter to try
 */
export async function xgboostAvailable(python = XGBOOST_PYTHON): Promise<string | null> {
  try {
    const out = await new Deno.Command(python, {
      args: ["-c", "import xgboost, numpy; print(xgboost.__version__)"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    return out.success
      ? null
      : `${python} cannot import xgboost: ${
        new TextDecoder().decode(out.stderr).trim().split("\n").at(-1)
      }`;
  } catch (e) {
    return `${python} cannot run: ${(e as Error).message}`;
  }
}

function writeF32(path: string, a: Float32Array): void {
  Deno.writeFileSync(path, new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
}

/**
 * Train XGBoost on (train, valid) with `params` (XGBoost names) for `rounds` rounds.
 * @param train training segment
 * @param valid validation segment
 * @param params e.g. `{ max_depth: 8, eta: 0.1, lambda: 1, max_bin: 255, nthread: 2, base_score: m }`
 * @param rounds boosting rounds
 * @param python interpreter
 * @returns validation MSE and timings
 */
export async function runXgboost(
  train: { x: Matrix; y: Target },
  valid: { x: Matrix; y: Target },
  params: Record<string, number | string>,
  rounds: number,
  python = XGBOOST_PYTHON,
): Promise<XgboostResult> {
  const dir = await Deno.makeTempDir({ prefix: "bqx-xgb-" });
  try {
    writeF32(`${dir}/x_train.f32`, train.x.data);
    writeF32(`${dir}/y_train.f32`, train.y.y);
    writeF32(`${dir}/x_valid.f32`, valid.x.data);
    writeF32(`${dir}/y_valid.f32`, valid.y.y);
    Deno.writeTextFileSync(
      `${dir}/meta.json`,
      JSON.stringify({
        rows: train.x.rows,
        valid_rows: valid.x.rows,
        cols: train.x.cols,
        params,
        rounds,
      }),
    );
    const script = new URL("./_xgboost.py", import.meta.url).pathname;
    const out = await new Deno.Command(python, {
      args: [script, dir],
      stdout: "piped",
      stderr: "piped",
      env: { OMP_WAIT_POLICY: Deno.env.get("OMP_WAIT_POLICY") ?? "PASSIVE" },
    }).output();
    const text = new TextDecoder().decode(out.stdout).trim();
    if (!out.success) {
      throw new Error(
        `XGBoost reference failed: ${
          new TextDecoder().decode(out.stderr).trim().split("\n").at(-1)
        }`,
      );
    }
    const r = JSON.parse(text.split("\n").at(-1)!);
    return {
      validMse: r.valid_mse,
      trainSeconds: r.train_seconds,
      dmatrixSeconds: r.dmatrix_seconds,
      predictRowsPerS: r.predict_rows_per_s,
      version: r.version,
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
