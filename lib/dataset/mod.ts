/**
 * Dataset layer (SPEC §6, Qlib's `DatasetH` / `TSDatasetH`): features ⋈ targets as a Float32
 * matrix per pair or pooled over pairs, chronological segments with an embargo, walk-forward folds,
 * scalers and correlation pruning fit on a named segment, and look-back windows for sequence models.
 *
 * @example
 * ```ts
 * import { Scaler, split } from "./mod.ts";
 * import assert from "node:assert/strict";
 * const ts = Float64Array.from({ length: 1000 }, (_, i) => i * 60_000);
 * const x = { rows: 1000, cols: 1, names: ["f"], data: Float32Array.from(ts, (t) => t / 6e4) };
 * const s = split(ts); // 70/15/15 with a 120-bar embargo
 * const z = Scaler.fit(x, s.train).transform(x);
 * assert.ok(Math.abs(z.data[s.train.rows[0]] + Math.sqrt(3)) < 1e-2); // uniform: (min − mean)/sd ≈ −√3
 * ```
 * @module
 */
export * from "./segment.ts";
export * from "./dataset.ts";
export * from "./split.ts";
export * from "./walkForward.ts";
export * from "./scaler.ts";
export * from "./selection.ts";
export * from "./featureSelection.ts";
export * from "./sequences.ts";
