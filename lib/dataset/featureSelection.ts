/**
 * Feature selection 730 → ~200 (SPEC §7 "feature selection (importance + |ρ| > 0.95 pruning)"),
 * learned on the TRAIN segment only:
 *
 * 1. **Rank** every column by the total split gain of a small, fast GBDT fit on the train rows
 *    (an even subsample of `maxRows` rows with a finite label; 40 rounds of depth-4 trees by
 *    default). Total gain rather than XGBoost's mean gain per split: a column split on once with a
 *    big gain should not outrank one used everywhere. Columns never split on have importance 0
 *    and rank after the others, in matrix order.
 * 2. **Keep the top `topK`** (300); the rest are dropped with reason "rank".
 * 3. **Prune correlated columns** among them with {@linkcode pruneCorrelated} on the same train
 *    rows, most important first, so of two near-duplicates (|ρ| > 0.95) the more important stays
 *    ("correlated", naming the kept column and ρ; "constant" / "empty" for dead columns).
 * 4. **Cut to `target`** (200) by importance if more survive ("count").
 *
 * Columns in `always` (e.g. `pair_id`) are kept whatever their rank. The result is a
 * {@linkcode Fitted} step (`forInfer`: the same columns are selected at inference): the kept names
 * in matrix order with their importances, and every dropped column with its reason. Project a
 * matrix with {@linkcode select}.
 *
 * Layering note: this dataset step imports the GBDT model (dataset ← models is the usual
 * direction); the ranking is a learned step like a scaler, so it lives with the selectors.
 * @module
 */
import type { Matrix } from "../models/base.ts";
import { type GbdtConfig, GbdtModel } from "../models/gbdt/gbdt.ts";
import { pruneCorrelated } from "./selection.ts";
import { fitSpan, type Fitted, type Segment } from "./segment.ts";

/** Options of {@linkcode selectFeatures}. */
export interface FeatureSelectionOptions {
  /** Columns kept in the end (at most). @default 200 */
  target?: number;
  /** Columns kept after ranking, before pruning. @default 300 */
  topK?: number;
  /** |ρ| above which the less important column goes. @default 0.95 */
  threshold?: number;
  /** Train rows used (an even subsample) for the ranking GBDT and for ρ. @default 50000 */
  maxRows?: number;
  /** Columns always kept (if present). @default [] */
  always?: readonly string[];
  /** Overrides of the ranking GBDT. @default { rounds: 40, maxDepth: 4, learningRate: 0.2, maxBins: 64, colsampleBytree: 0.8, earlyStoppingRounds: 0 } */
  gbdt?: Partial<GbdtConfig>;
  /** Seed of the ranking GBDT. @default 0 */
  seed?: number;
}

/** Why a column was not selected. */
export interface DroppedFeature {
  name: string;
  /** Outside the top K, a near-duplicate of a kept column, dead, or beyond the target count. */
  reason: "rank" | "correlated" | "constant" | "empty" | "count";
  /** Its importance (total gain of the ranking GBDT). */
  importance: number;
  /** 0-based importance rank. */
  rank: number;
  /** The kept column it duplicates ("correlated"). */
  by?: string;
  /** ρ with `by`. */
  rho?: number;
}

/** A fitted feature selection (JSON-safe). */
export interface FeatureSelection extends Fitted {
  kind: "featureSelection";
  /** Kept columns, in matrix order. */
  names: string[];
  /** Importance (total gain) of each kept column. */
  importance: Record<string, number>;
  /** Every other column, with the reason. */
  dropped: DroppedFeature[];
  /** The settings used. */
  target: number;
  topK: number;
  threshold: number;
  /** Train rows the ranking and ρ were computed on (after subsampling). */
  sampleRows: number;
}

/** Default ranking GBDT (small and fast: a ranking, not a forecaster). */
export const SELECTION_GBDT: Partial<GbdtConfig> = {
  rounds: 40,
  maxDepth: 4,
  learningRate: 0.2,
  maxBins: 64,
  colsampleBytree: 0.8,
  earlyStoppingRounds: 0,
};

/**
 * Select about `target` columns: GBDT gain ranking, top K, correlation pruning (module doc).
 * @param x the whole matrix (only rows of `on` are read)
 * @param y labels of every row of `x` (NaN = none); only `on` rows are read
 * @param on the segment to learn on (the train segment)
 * @param options target, topK, threshold, sample size, always-kept columns, GBDT overrides
 * @returns the kept names with importances and the dropped columns with reasons
 * @example
 * ```ts
 * import { selectFeatures } from "./featureSelection.ts";
 * import assert from "node:assert/strict";
 * // y = a; b = 2a (a duplicate), c noise: keep 1 column → a or b, and the other is "correlated"
 * const n = 400, data = new Float32Array(n * 3), y = new Float32Array(n);
 * for (let i = 0; i < n; i++) data.set([Math.sin(i), 2 * Math.sin(i), Math.cos(7 * i)], 3 * i), y[i] = Math.sin(i);
 * const x = { rows: n, cols: 3, data, names: ["a", "b", "c"] };
 * const on = { name: "train", start: 0, end: n, rows: Int32Array.from({ length: n }, (_, i) => i) };
 * const s = await selectFeatures(x, y, on, { target: 1, topK: 3 });
 * assert.equal(s.names.length, 1);
 * assert.ok(["a", "b"].includes(s.names[0]));
 * ```
 */
export async function selectFeatures(
  x: Matrix,
  y: ArrayLike<number>,
  on: Segment,
  options: FeatureSelectionOptions = {},
): Promise<FeatureSelection> {
  const {
    target = 200,
    topK = 300,
    threshold = 0.95,
    maxRows = 50_000,
    always = [],
    seed = 0,
  } = options;
  if (!(Number.isInteger(target) && target >= 1)) {
    throw new RangeError(`Expected target to be an integer >= 1 but found ${target}`);
  }
  if (!(Number.isInteger(topK) && topK >= target)) {
    throw new RangeError(`Expected topK to be an integer >= target (${target}) but found ${topK}`);
  }
  if (y.length !== x.rows) throw new RangeError(`Expected ${x.rows} labels but found ${y.length}`);
  const { cols, names } = x;
  // 1. an even subsample of the train rows with a finite label
  const usable = on.rows.filter((r) => Number.isFinite(y[r]));
  if (usable.length < 10) {
    throw new RangeError(
      `Expected at least 10 ${on.name} rows with a label but found ${usable.length}`,
    );
  }
  const m = Math.min(usable.length, maxRows);
  const rows = Int32Array.from(
    { length: m },
    (_, k) => usable[Math.floor((k * usable.length) / m)],
  );
  const data = new Float32Array(m * cols);
  for (let k = 0; k < m; k++) {
    data.set(x.data.subarray(rows[k] * cols, rows[k] * cols + cols), k * cols);
  }
  const sample: Matrix = { rows: m, cols, data, names };
  const ys = Float32Array.from(rows, (r) => y[r]);

  // 2. rank by total gain
  const gbdt = new GbdtModel({ ...SELECTION_GBDT, ...options.gbdt, seed });
  await gbdt.fit(sample, { y: ys });
  const gain = gbdt.featureImportance("totalGain");
  const order = names.map((_, j) => j).sort((a, b) => gain[names[b]] - gain[names[a]] || a - b);
  const rank = new Map(order.map((j, r) => [names[j], r]));
  const imp = (n: string) => gain[n] ?? 0;
  const alwaysSet = new Set(always.filter((n) => rank.has(n)));
  const dropped: DroppedFeature[] = [];
  const top = order.slice(0, topK).map((j) => names[j]);
  for (const j of order.slice(topK)) {
    if (!alwaysSet.has(names[j])) {
      dropped.push({
        name: names[j],
        reason: "rank",
        importance: imp(names[j]),
        rank: rank.get(names[j])!,
      });
    }
  }
  for (const n of alwaysSet) if (!top.includes(n)) top.push(n);

  // 3. prune correlated columns on the same rows, most important first (always-kept ones first)
  const at = new Map(names.map((n, j) => [n, j]));
  const sub = new Float32Array(m * top.length);
  const src = top.map((n) => at.get(n)!);
  for (let k = 0; k < m; k++) {
    for (let c = 0; c < src.length; c++) sub[k * top.length + c] = data[k * cols + src[c]];
  }
  const priority = [...alwaysSet, ...top.filter((n) => !alwaysSet.has(n))];
  const pruned = pruneCorrelated(
    { rows: m, cols: top.length, data: sub, names: top },
    {
      name: on.name,
      start: on.start,
      end: on.end,
      rows: Int32Array.from({ length: m }, (_, k) => k),
    },
    { threshold, importance: priority, maxRows: m, dropConstant: true },
  );
  const keptSet = new Set(pruned.names);
  for (const n of alwaysSet) {
    if (!keptSet.has(n)) keptSet.add(n); // always-kept columns survive even when dead
  }
  for (const d of pruned.dropped) {
    if (alwaysSet.has(d.name)) continue;
    dropped.push({
      name: d.name,
      reason: d.reason,
      importance: imp(d.name),
      rank: rank.get(d.name)!,
      ...(d.by !== undefined ? { by: d.by, rho: d.rho } : {}),
    });
  }

  // 4. cut to the target count by importance (always-kept columns count but are never cut)
  const survivors = [...keptSet].sort((a, b) =>
    (alwaysSet.has(b) ? 1 : 0) - (alwaysSet.has(a) ? 1 : 0) || rank.get(a)! - rank.get(b)!
  );
  const kept = survivors.slice(0, Math.max(target, alwaysSet.size));
  for (const n of survivors.slice(kept.length)) {
    dropped.push({ name: n, reason: "count", importance: imp(n), rank: rank.get(n)! });
  }
  const keptNames = names.filter((n) => kept.includes(n));
  return {
    kind: "featureSelection",
    forInfer: true,
    fitOn: fitSpan(on),
    names: keptNames,
    importance: Object.fromEntries(keptNames.map((n) => [n, imp(n)])),
    dropped: dropped.sort((a, b) => a.rank - b.rank),
    target,
    topK,
    threshold,
    sampleRows: m,
  };
}
