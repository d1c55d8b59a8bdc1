/**
 * Feature layer (SPEC §5): the ~800 strictly causal dual-domain features — families, registry and
 * catalog, the aligned market for cross-pair families, batch build into the `features` table, the
 * per-feature quality report and the live path for the newest minute.
 * @module
 */
export type * from "./_types.ts";
export * from "./registry.ts";
export * from "./compute.ts";
export * from "./build.ts";
export * from "./live.ts";
export * from "./market.ts";
export * from "./series.ts";
export * from "./quality.ts";
