/**
 * Seeded pseudo-random numbers for the tree models (internal to `lib/models/gbdt`, never
 * re-exported): xoshiro128** on 32-bit integer arithmetic, seeded through splitmix32. Every random
 * choice (row subsample, column subsample, bootstrap, synthetic fixtures) draws from one of these,
 * built from the config's seed and a stream number, so runs repeat bit for bit.
 *
 * @example
 * ```ts
 * import { Rng } from "./_rng.ts";
 * import assert from "node:assert/strict";
 * const a = new Rng(7, 1), b = new Rng(7, 1);
 * assert.equal(a.uint32(), b.uint32());
 * const u = a.float();
 * assert.ok(u >= 0 && u < 1);
 * ```
 * @module
 */

function mix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

const rotl = (x: number, k: number) => (x << k) | (x >>> (32 - k));

/** xoshiro128** generator; `(seed, stream)` pairs give independent, reproducible streams. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /**
   * @param seed any integer
   * @param stream sub-stream number (e.g. the boosting round)
   */
  constructor(seed: number, stream = 0) {
    if (!Number.isFinite(seed)) {
      throw new RangeError(`Invalid seed ${seed}: expected a finite number`);
    }
    let s = mix32((mix32(Math.trunc(seed) >>> 0) ^ Math.imul(stream + 1, 0x27d4eb2f)) >>> 0);
    this.a = s = mix32(s);
    this.b = s = mix32(s);
    this.c = s = mix32(s);
    this.d = mix32(s);
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  /** Next uniform 32-bit unsigned integer. */
  uint32(): number {
    const r = Math.imul(rotl(Math.imul(this.b, 5), 7), 9);
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return r >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.uint32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** Standard normal (Box–Muller, one value per call). */
  normal(): number {
    const u = 1 - this.float(), v = this.float();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** `k` distinct sorted indices out of `[0, n)` (partial Fisher–Yates). */
  sample(n: number, k: number): Int32Array {
    const idx = Int32Array.from({ length: n }, (_, i) => i);
    k = Math.max(0, Math.min(n, k));
    for (let i = 0; i < k; i++) {
      const j = i + this.int(n - i);
      const t = idx[i];
      idx[i] = idx[j];
      idx[j] = t;
    }
    return idx.slice(0, k).sort();
  }
}
