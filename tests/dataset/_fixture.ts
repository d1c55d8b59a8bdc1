/**
 * Dataset-test fixtures: a small lake (3 pairs × 2 months of the seeded synthetic market) built by
 * the real pipeline — synth → m1, build → bqx + targets, a few feature families → features — once
 * per test file, plus a random timeline helper for property tests.
 * @module
 */
import { build } from "../../lib/data/build.ts";
import { LakeStore } from "../../lib/data/store.ts";
import { synthToStore } from "../../lib/data/synthToStore.ts";
import { buildFeatures } from "../../lib/features/build.ts";
import { bollinger } from "../../lib/features/bollinger.ts";
import { statistics } from "../../lib/features/statistics.ts";
import { time } from "../../lib/features/time.ts";
import { rng } from "../_helpers.ts";

/** The fixture pairs (deliberately not in SPEC order). */
export const LAKE_PAIRS = ["usdjpy", "eurusd", "gbpusd"];

let lake: Promise<{ root: string; store: LakeStore }> | undefined;

/** The shared fixture lake (built on first use; removed by {@linkcode dropLake}). */
export function fixtureLake(): Promise<{ root: string; store: LakeStore }> {
  lake ??= (async () => {
    const root = await Deno.makeTempDir({ prefix: "bqx_dataset_" });
    const store = new LakeStore(root);
    await synthToStore(store, {
      months: "2024-01..2024-02",
      pairs: LAKE_PAIRS,
      seed: 11,
      silent: true,
    });
    await build(store, { silent: true, workers: 0 });
    await buildFeatures(store, { silent: true, families: [statistics, bollinger, time] });
    return { root, store };
  })();
  return lake;
}

/** Remove the fixture lake if it was built. */
export async function dropLake(): Promise<void> {
  if (!lake) return;
  const { root } = await lake;
  await Deno.remove(root, { recursive: true });
  lake = undefined;
}

/**
 * A random pooled timeline: `pairs` blocks of whole-minute stamps, each with random session gaps
 * (some ≥ 5 min, some weekend-long) and a random start, stacked like a pooled dataset.
 */
export function randomTimeline(seed: number, pairs: number, maxRows: number): Float64Array {
  const r = rng(seed);
  const out: number[] = [];
  const t0 = Date.UTC(2024, 0, 1);
  for (let p = 0; p < pairs; p++) {
    const n = 1 + Math.floor(r() * maxRows);
    let t = t0 + Math.floor(r() * 300) * 60_000;
    for (let i = 0; i < n; i++) {
      out.push(t);
      const u = r();
      t += 60_000 * (u < 0.97 ? 1 : u < 0.995 ? 2 + Math.floor(r() * 30) : 2880);
    }
  }
  return Float64Array.from(out);
}
