/**
 * Data layer (SPEC §1–4, §8): the 28-pair universe, bar ingest and validation, gap filling, the
 * synthetic market, the Parquet lake and PostgreSQL stores, rate index, BQX and targets.
 * @module
 */
export * from "./pairs.ts";
export * from "./schema.ts";
export * from "./lake.ts";
export * from "./store.ts";
export * from "./rateIndex.ts";
export * from "./bqx.ts";
export * from "./targets.ts";
export * from "./build.ts";
export * from "./synth.ts";
export * from "./synthToStore.ts";
export * from "./readBars.ts";
export * from "./validate.ts";
export * from "./gapFill.ts";
export * from "./quality.ts";
export * from "./ingest.ts";
