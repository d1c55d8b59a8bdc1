/**
 * Seeded pseudo-random numbers for the synthetic market (internal to `lib/data`, never
 * re-exported): xoshiro128** (Blackman & Vigna) on 32-bit integer arithmetic, seeded through
 * splitmix32, with standard normals from Marsaglia's polar method.
 *
 * Why not `Math.random`: the generator must be reproducible bit for bit from a seed, and the state
 * must be savable between months ({@linkcode Rng.state} / {@linkcode Rng.fromState}). Everything
 * here is plain integer math plus `Math.log` / `Math.sqrt`, so the stream is identical across runs
 * of the same engine.
 *
 * @example
 * ```ts
 * import { Rng } from "./_rng.ts";
 * import assert from "node:assert/strict";
 * const a = new Rng(7), b = new Rng(7);
 * assert.equal(a.normal(), b.normal());
 * const u = a.float();
 * assert.ok(u >= 0 && u < 1);
 * ```
 * @module
 */

/** splitmix32 step: a well-mixed 32-bit value from any 32-bit input. */
export function mix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  let z = x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** Derive an independent sub-seed from a seed and a stream number (e.g. a pair index). */
export function subSeed(seed: number, stream: number): number {
  return mix32((mix32(seed >>> 0) ^ Math.imul(stream + 1, 0x27d4eb2f)) >>> 0);
}

const TWO_POW_32 = 4294967296;

/**
 * xoshiro128** generator with a cached polar-method normal.
 * @example
 * ```ts
 * import { Rng } from "./_rng.ts";
 * import assert from "node:assert/strict";
 * const r = new Rng(1);
 * const saved = r.state();
 * const x = r.normal();
 * assert.equal(Rng.fromState(saved).normal(), x);
 * ```
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare = 0;
  private hasSpare = false;

  /** @param seed any integer; equal seeds give equal streams */
  constructor(seed: number) {
    if (!Number.isFinite(seed)) {
      throw new RangeError(`Invalid seed ${seed}: expected a finite number`);
    }
    let s = Math.trunc(seed) >>> 0;
    s = mix32(s);
    this.a = s;
    s = mix32(s);
    this.b = s;
    s = mix32(s);
    this.c = s;
    s = mix32(s);
    this.d = s;
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

  /** Uniform in [0, 1) with 32 bits of resolution. */
  float(): number {
    return this.uint32() / TWO_POW_32;
  }

  /** Standard normal N(0, 1) (Marsaglia polar method, second value cached). */
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    let u = 0, v = 0, s = 0;
    do {
      u = (this.uint32() / TWO_POW_32) * 2 - 1;
      v = (this.uint32() / TWO_POW_32) * 2 - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const m = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * m;
    this.hasSpare = true;
    return u * m;
  }

  /** Poisson(λ) draw: inversion below λ = 30, rounded normal approximation above. */
  poisson(lambda: number): number {
    if (!(lambda > 0)) return 0;
    if (lambda >= 30) {
      const k = Math.round(lambda + Math.sqrt(lambda) * this.normal());
      return k > 0 ? k : 0;
    }
    const u = this.float();
    let p = Math.exp(-lambda), f = p, k = 0;
    while (u > f && k < 200) {
      k++;
      p *= lambda / k;
      f += p;
    }
    return k;
  }

  /** A copy of the full state (for carrying a stream across months). */
  state(): number[] {
    return [this.a, this.b, this.c, this.d, this.spare, this.hasSpare ? 1 : 0];
  }

  /** Rebuild a generator from {@linkcode Rng.state}. */
  static fromState(state: readonly number[]): Rng {
    const r = new Rng(0);
    [r.a, r.b, r.c, r.d, r.spare] = state;
    r.hasSpare = state[5] === 1;
    return r;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
