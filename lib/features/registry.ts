/**
 * The feature registry (SPEC §5): every family in build order, and the catalog they describe.
 * `catalog(pair, present)` lists every column with family, domain, scope, parameters and warm-up;
 * `deno task features --list [--family …] [--json]` prints it.
 *
 * Naming scheme: lower_snake, prefixed by domain — `idx_` (rate index), `bqx_` (BQX series),
 * `ret_` (1-bar returns), `x_` (cross-pair, dual-domain, regime, multi-resolution), `t_` (time) —
 * then the family's short name, the statistic and its parameters (`idx_rsi_14`,
 * `bqx_reg_630_r2`, `x_strength_eur`). The set of columns is the same for every pair whatever
 * pairs the data holds; a cross-pair column whose inputs are absent lists them in `needs` and is null.
 * @module
 */
import { PAIRS } from "../data/pairs.ts";
import type { FeatureFamily, FeatureSpec } from "./_types.ts";
import { regression } from "./regression.ts";
import { termCovariance } from "./termCovariance.ts";
import { statistics } from "./statistics.ts";
import { bollinger } from "./bollinger.ts";
import { technical } from "./technical.ts";
import { fibonacci } from "./fibonacci.ts";
import { lags } from "./lags.ts";
import { movingAverages } from "./movingAverages.ts";
import { volume } from "./volume.ts";
import { correlation } from "./correlation.ts";
import { crossPair } from "./crossPair.ts";
import { dualDomain } from "./dualDomain.ts";
import { regime } from "./regime.ts";
import { multiResolution } from "./multiResolution.ts";
import { time } from "./time.ts";

/** All families, in SPEC §5 order. */
export const FAMILIES: readonly FeatureFamily[] = [
  regression,
  termCovariance,
  statistics,
  bollinger,
  technical,
  fibonacci,
  lags,
  movingAverages,
  volume,
  correlation,
  crossPair,
  dualDomain,
  regime,
  multiResolution,
  time,
];

/** Options of {@linkcode catalog}. */
export interface CatalogOptions {
  /** Pairs present in the data (cross-pair columns note what is missing). @default all 28 */
  present?: readonly string[];
  /** Only these families. @default all */
  families?: readonly string[];
}

/** The catalog of one pair's features. */
export function catalog(pair = "eurusd", options: CatalogOptions = {}): FeatureSpec[] {
  const { present = PAIRS, families } = options;
  const fams = families ? FAMILIES.filter((f) => families.includes(f.name)) : FAMILIES;
  if (families) {
    const unknown = families.filter((n) => !FAMILIES.some((f) => f.name === n));
    if (unknown.length) {
      throw new RangeError(
        `Unknown family "${unknown[0]}": expected one of ${FAMILIES.map((f) => f.name).join(", ")}`,
      );
    }
  }
  return fams.flatMap((f) => f.specs(pair, present));
}

/** Longest warm-up of the catalog (rows the live path must keep, before EMA burn-in). */
export function maxWarmup(pair = "eurusd"): number {
  return Math.max(...catalog(pair).map((s) => s.warmup));
}
