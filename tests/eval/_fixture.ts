/**
 * Fixtures of the eval tests: a seeded PRNG (mulberry32, as tests/_helpers.ts, without loading
 * polars) with normal draws, and a tolerance check.
 * @module
 */
import assert from "node:assert/strict";

/** Uniform [0, 1) and standard normal draws from a seed. */
export function rng(seed: number): { u: () => number; normal: () => number } {
  let a = seed >>> 0;
  const u = () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  return { u, normal };
}

/** n normal draws. */
export function normals(n: number, seed: number): Float64Array {
  const { normal } = rng(seed);
  return Float64Array.from({ length: n }, normal);
}

/** assert |a − b| ≤ tol · max(1, |b|) (NaN equals NaN). */
export function close(a: number, b: number, tol = 1e-12, msg = ""): void {
  if (Number.isNaN(a) && Number.isNaN(b)) return;
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${msg} ${a} vs ${b}`);
}
