/**
 * Gaps in the nodejs-polars 0.25.2 bindings, filled in one place.
 *
 * `str.strptime` there always calls the native parser with `exact = false` (a stamp followed by junk
 * still parses) and `cache = false`; {@linkcode strptimeExact} calls the same native function with
 * `exact = true, cache = true`: junk fails to parse (null) and repeated stamps are parsed once. It is
 * ~5× faster than the `when(length/regex).then(strptime)` guard it replaces. The deep import
 * resolves to the very module instance `nodejs-polars` uses (same package, same file).
 * @module
 */
import type pl from "nodejs-polars";
import { _Expr } from "nodejs-polars/bin/lazy/expr/index.js";

/**
 * Parse strings to naive `Datetime("ms")` with an exact format match; anything else becomes null.
 * @example
 * ```ts
 * import pl from "nodejs-polars";
 * import { strptimeExact } from "./_polars.ts";
 * import assert from "node:assert/strict";
 * const df = pl.DataFrame({ s: ["2018-01-01T22:00:00Z", "2018-01-01T22:00:00Zx"] });
 * const out = df.select(strptimeExact(pl.col("s"), "%Y-%m-%dT%H:%M:%SZ").isNull().alias("bad"));
 * assert.deepEqual(out.getColumn("bad").toArray(), [false, true]);
 * ```
 */
export function strptimeExact(expr: pl.Expr, format: string): pl.Expr {
  // deno-lint-ignore no-explicit-any
  const native = (expr as any)._expr;
  return _Expr(native.strToDatetime(format, "ms", undefined, false, true, true)) as pl.Expr;
}
