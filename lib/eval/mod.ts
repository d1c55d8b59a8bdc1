/**
 * Evaluation layer (SPEC §6): point metrics and their breakdown by session / volatility tercile /
 * trend state, the baselines every model is shown beside (zero change, train mean, ridge AR),
 * the Diebold–Mariano test of skill, the next-open trading backtest and the leakage flag.
 *
 * @example
 * ```ts
 * import { dieboldMariano, metrics, zeroChange } from "./mod.ts";
 * import assert from "node:assert/strict";
 * const y = [1, 2, 3, 4], now = [0, 2, 2, 5];
 * assert.equal(metrics(y, zeroChange(now)).mae, 0.75); // |1| + 0 + |1| + |−1|
 * assert.equal(dieboldMariano([1, 2], [1, 2]).statistic, 0);
 * ```
 * @module
 */
export * from "./metrics.ts";
export * from "./groups.ts";
export * from "./baselines.ts";
export * from "./dieboldMariano.ts";
export * from "./backtest.ts";
export * from "./calibration.ts";
export * from "./permutationImportance.ts";
export type { Numbers, RowRange, RowSet } from "./_series.ts";
