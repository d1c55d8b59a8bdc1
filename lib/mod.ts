/**
 * BQX ML public API: one import for notebooks and scripts.
 *
 * Layers (SPEC; Qlib-style, dependencies point one way): data (universe, bars, lake, rate index,
 * BQX, targets) → features → dataset → models → eval → report.
 *
 * @example
 * ```ts
 * import { PAIRS, WINDOWS } from "./mod.ts";
 * import assert from "node:assert/strict";
 * assert.equal(PAIRS.length, 28);
 * assert.deepEqual([...WINDOWS], [15, 30, 45, 60, 75]);
 * ```
 * @module
 */
export * from "./data/mod.ts";
export * from "./features/mod.ts";
export * from "./dataset/mod.ts";
export * from "./models/mod.ts";
export * from "./eval/mod.ts";
export * from "./report/mod.ts";
export * from "./progress.ts";
