/**
 * Model layer (SPEC §7): the common interface (fit / predict / save, seeded) and the models built so
 * far — closed-form ridge, histogram gradient-boosted trees and a random forest on the same tree core.
 * @module
 */
export * from "./base.ts";
export * from "./gbdt/mod.ts";
export * from "./ridge.ts";
