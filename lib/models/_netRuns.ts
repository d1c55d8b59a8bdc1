/**
 * How the sequence and multi-output networks fit inside a run (the `lstm`, `multitask` and
 * `ae_ridge` entries of `registry.ts`; folder-private, never re-exported):
 *
 * - `lstm`: windows of the last `steps` rows of the same pair (`group: ds.pairId`, `ts: ds.ts`)
 *   ending at each train / valid / test row; a window may reach back into rows before its segment
 *   (features of earlier minutes, never labels — see `lib/dataset/sequences.ts`).
 * - `multitask`: one network for all the run's horizons, fit on the first horizon and cached in
 *   `ctx.cache`; train rows = the train SEGMENT's rows with a label for at least one run horizon
 *   (masked per head), valid likewise; each horizon returns its head. The SPEC §7 weight of each
 *   run horizon is kept (not renormalized).
 * - `ae_ridge`: an autoencoder fit once per run on the train segment's rows of all pairs (valid
 *   for early stopping), every row encoded to `ae_00…ae_63`, then ridge (λ on valid) per horizon on
 *   the codes: a check that the embeddings work as features.
 *
 * Segment rows come from `ctx.segments` when the run provides them; otherwise from the time cut
 * of the labelled rows (every row stamped at or before the last labelled train stamp, and the
 * valid stamps' span), a subset of the segment that never crosses its boundary.
 * @module
 */
import { AUTOENCODER_DEFAULTS, AutoencoderModel } from "./autoencoder.ts";
import type { Matrix } from "./base.ts";
import { LstmModel } from "./lstm.ts";
import { MULTITASK_DEFAULTS, MultiTaskModel } from "./multiTask.ts";
import {
  fitRowModel,
  labelsOf,
  rowsOf,
  type RunModelContext,
  type RunModelResult,
} from "./registry.ts";
import { RidgeModel } from "./ridge.ts";
import { sequenceIndex } from "../dataset/sequences.ts";

/** Run settings of these networks (small: a run trains every horizon). */
export const NET_RUN_DEFAULTS = {
  lstm: { steps: 30, units: 64, epochs: 5, earlyStoppingPatience: 2 },
  multitask: { hidden: [128, 64] as number[], epochs: 10, earlyStoppingPatience: 3 },
  ae_ridge: { hidden: [256] as number[], bottleneck: 64, epochs: 10, earlyStoppingPatience: 3 },
};

/** Rows stamped in `[lo, hi]`. */
function rowsInSpan(ts: Float64Array, lo: number, hi: number): Int32Array {
  const out: number[] = [];
  for (let i = 0; i < ts.length; i++) if (ts[i] >= lo && ts[i] <= hi) out.push(i);
  return Int32Array.from(out);
}

/** Train and valid segment rows (all rows, labelled or not). */
function segmentRows(ctx: RunModelContext): { train: Int32Array; valid: Int32Array } {
  if (ctx.segments) return ctx.segments;
  const ts = ctx.ds.ts;
  const lo = (rows: Int32Array) => rows.reduce((m, r) => Math.min(m, ts[r]), Infinity);
  const hi = (rows: Int32Array) => rows.reduce((m, r) => Math.max(m, ts[r]), -Infinity);
  return {
    train: ctx.train.length ? rowsInSpan(ts, -Infinity, hi(ctx.train)) : new Int32Array(0),
    valid: ctx.valid.length ? rowsInSpan(ts, lo(ctx.valid), hi(ctx.valid)) : new Int32Array(0),
  };
}

/** Whether this is the run's last horizon (cached networks are freed after it). */
const lastHorizon = (ctx: RunModelContext) => ctx.horizon === ctx.horizons[ctx.horizons.length - 1];

/** `lstm`: windows per pair, early stopping on the valid windows. */
export async function fitLstmRun(ctx: RunModelContext): Promise<RunModelResult> {
  const cfg = {
    ...NET_RUN_DEFAULTS.lstm,
    ...ctx.overrides.lstm,
    seed: ctx.seed,
    verbose: ctx.verbose,
  };
  const model = new LstmModel(cfg);
  const plan = (rows: Int32Array) =>
    sequenceIndex(ctx.x, rows, { steps: model.config.steps, group: ctx.ds.pairId, ts: ctx.ds.ts });
  const valid = ctx.valid.length
    ? { x: ctx.x, index: plan(ctx.valid), y: { y: labelsOf(ctx.y, ctx.valid) } }
    : undefined;
  const rep = await model.fitSequences(
    ctx.x,
    plan(ctx.train),
    { y: labelsOf(ctx.y, ctx.train) },
    valid,
  );
  return {
    valid: valid
      ? Float64Array.from(model.predictSequences(ctx.x, valid.index))
      : new Float64Array(0),
    test: Float64Array.from(model.predictSequences(ctx.x, plan(ctx.test))),
    iterations: rep.iterations,
    save: (dir) => model.save(dir),
    dispose: () => model.dispose(),
  };
}

/** `multitask`: fit once on all run horizons, then this horizon's head. */
export async function fitMultiTaskRun(ctx: RunModelContext): Promise<RunModelResult> {
  let model = ctx.cache.get("multitask") as MultiTaskModel | undefined;
  if (!model) {
    const hs = [...ctx.horizons];
    const weights = hs.map((h) => {
      const k = MULTITASK_DEFAULTS.horizons.indexOf(h);
      if (k < 0) throw new RangeError(`No SPEC multitask weight for horizon ${h}`);
      return MULTITASK_DEFAULTS.weights[k];
    });
    const cfg = {
      ...NET_RUN_DEFAULTS.multitask,
      horizons: hs,
      weights,
      ...ctx.overrides.multitask,
      seed: ctx.seed,
      verbose: ctx.verbose,
    };
    const labels = hs.map((h) => ctx.ds.y[`target_${h}`]);
    labels.forEach((y, k) => {
      if (!y) throw new RangeError(`The dataset has no target_${hs[k]} column`);
    });
    const labelled = (rows: Int32Array) => rows.filter((r) => labels.some((y) => y[r] === y[r]));
    const seg = segmentRows(ctx);
    const tr = labelled(seg.train), va = labelled(seg.valid);
    model = new MultiTaskModel(cfg);
    await model.fitMulti(
      rowsOf(ctx.x, tr),
      labels.map((y) => labelsOf(y, tr)),
      va.length ? { x: rowsOf(ctx.x, va), ys: labels.map((y) => labelsOf(y, va)) } : undefined,
    );
    ctx.cache.set("multitask", model);
  }
  const m = model, head = m.forHorizon(ctx.horizon);
  return {
    valid: Float64Array.from(head.predict(rowsOf(ctx.x, ctx.valid))),
    test: Float64Array.from(head.predict(rowsOf(ctx.x, ctx.test))),
    iterations: m.lastFit?.bestEpoch ?? 0,
    save: (dir) => head.save(dir),
    dispose: () => lastHorizon(ctx) && m.dispose(),
    info: { horizons: m.config.horizons, weights: m.config.weights },
  };
}

/**
 * `ae_ridge`: autoencoder codes (fit once per run on train rows) → ridge per horizon; λ grid from
 * `overrides.ae_ridge.lambdas`, else the run's ridge grid, else `lambdas`.
 */
export async function fitAeRidgeRun(
  ctx: RunModelContext,
  lambdas: readonly number[],
): Promise<RunModelResult> {
  let enc = ctx.cache.get("ae_ridge") as { ae: AutoencoderModel; codes: Matrix } | undefined;
  if (!enc) {
    const o = { ...NET_RUN_DEFAULTS.ae_ridge, ...ctx.overrides.ae_ridge } as Record<
      string,
      unknown
    >;
    for (const k of Object.keys(o)) {
      if (k !== "lambdas" && !(k in AUTOENCODER_DEFAULTS)) {
        throw new RangeError(
          `Unknown ae_ridge option "${k}": expected lambdas or one of ${
            Object.keys(AUTOENCODER_DEFAULTS).join(", ")
          }`,
        );
      }
    }
    const aeCfg = Object.fromEntries(Object.entries(o).filter(([k]) => k !== "lambdas"));
    const ae = new AutoencoderModel({ ...aeCfg, seed: ctx.seed, verbose: ctx.verbose });
    const seg = segmentRows(ctx);
    await ae.fit(rowsOf(ctx.x, seg.train), seg.valid.length ? rowsOf(ctx.x, seg.valid) : undefined);
    enc = { ae, codes: ae.encode(ctx.x) };
    ctx.cache.set("ae_ridge", enc);
  }
  const { ae } = enc;
  const given = (ctx.overrides.ae_ridge?.lambdas ?? ctx.overrides.ridge?.lambdas) as
    | number[]
    | undefined;
  const ridge = new RidgeModel({ lambdas: [...(given ?? lambdas)], seed: ctx.seed });
  const res = await fitRowModel(ctx, ridge, enc.codes, (dir) => ae.save(`${dir}/autoencoder`));
  return {
    ...res,
    iterations: ae.lastFit?.bestEpoch ?? 0,
    dispose: () => lastHorizon(ctx) && ae.dispose(),
  };
}
