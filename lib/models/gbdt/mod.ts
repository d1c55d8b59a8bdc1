/**
 * Histogram tree models (SPEC §7, issue 4 §3): gradient-boosted trees (`GbdtModel`, XGBoost
 * `hist`-style) and a random forest (`RandomForestModel`) on one core — quantile binning,
 * gradient histograms with subtraction, depth-wise or loss-guided growth, Web Workers over shared
 * memory for large data — plus the synthetic data and XGBoost reference run used to check them.
 *
 * @example
 * ```ts
 * import { GbdtModel, syntheticRegression } from "./mod.ts";
 * import assert from "node:assert/strict";
 * const { x, y } = syntheticRegression(500, 4, { seed: 1 });
 * const m = new GbdtModel({ rounds: 20, maxDepth: 3 });
 * const report = await m.fit(x, y);
 * assert.equal(report.iterations, 20);
 * assert.equal(m.predict(x).length, 500);
 * ```
 * @module
 */
export * from "./backend.ts";
export * from "./binning.ts";
export * from "./forest.ts";
export * from "./gbdt.ts";
export * from "./histogram.ts";
export * from "./randomForest.ts";
export * from "./split.ts";
export * from "./synthetic.ts";
export * from "./tree.ts";
export * from "./treeShap.ts";
export * from "./xgboostReference.ts";
