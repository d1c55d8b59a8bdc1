/**
 * Random forest regression on the same histogram-tree core as the boosted trees (SPEC §7,
 * issue 4 §3): each tree is grown on a bootstrap sample of the rows (drawn with replacement, a row
 * drawn c times weighs c, i.e. g = −c·y, h = c, λ = 0, so leaf values are bootstrap means and the
 * split gain is the reduction of squared error), trying a random √F of the features at each node;
 * no shrinkage, and the prediction is the average of the trees (each leaf stores mean / trees).
 * Trees are independent, but each one's histograms are still built on Web Workers for large data.
 *
 * @example
 * ```ts
 * import { RandomForestModel } from "./randomForest.ts";
 * import assert from "node:assert/strict";
 * const xs = Float32Array.from({ length: 40 }, (_, i) => i / 40);
 * const x = { rows: 40, cols: 1, data: xs, names: ["x"] };
 * const m = new RandomForestModel({ trees: 20, minChildWeight: 2 });
 * await m.fit(x, { y: xs.map((v) => (v > 0.5 ? 1 : 0)) });
 * const p = m.predict({ rows: 2, cols: 1, data: Float32Array.of(0.1, 0.9), names: ["x"] });
 * assert.ok(p[0] < 0.2 && p[1] > 0.8);
 * ```
 * @module
 */
import { type FitReport, type Matrix, type Model, resolveConfig, type Target } from "../base.ts";
import { Forest } from "./forest.ts";
import { Rng } from "./_rng.ts";
import { checkColumns, checkInputs, mse, setup, writeAtomic } from "./_train.ts";
import { binMatrix } from "./binning.ts";
import { growTree } from "./tree.ts";

/** Defaults, one per line (override any of them in the constructor; unknown keys throw). */
export const RANDOM_FOREST_DEFAULTS = {
  /** Number of trees averaged. */
  trees: 100,
  /** Maximum depth; 0 = unlimited (then `maxLeaves` must bound the tree). */
  maxDepth: 12,
  /** Maximum leaves per tree; 0 = unlimited. */
  maxLeaves: 0,
  /** Minimum bootstrap weight (rows, counting repeats) in a child. */
  minChildWeight: 5,
  /** Fraction of features tried per node; 0 = √F / F (the usual regression-forest choice is ⅓ or √). */
  featureFraction: 0,
  /** Draw rows with replacement (bootstrap); false = without replacement. */
  bootstrap: true,
  /** Rows drawn per tree as a fraction of the training rows. */
  sampleFraction: 1,
  /** Value bins per feature (1–255). */
  maxBins: 255,
  /** Rows sampled to place the bin quantiles. */
  binSampleRows: 200_000,
  /** Threads; 0 = all cores. */
  nThreads: 0,
  /** Below rows × features of this, train on one thread (see `GBDT_DEFAULTS`). */
  parallelMinCells: 8_000_000,
  /** From rows × features of this, keep a row-major bin copy for sparse (deep) nodes. */
  rowMajorMinCells: 16_000_000,
  /** Seed of every random choice. */
  seed: 1337,
};

/** Resolved random-forest config. */
export type RandomForestConfig = typeof RANDOM_FOREST_DEFAULTS;

/** Bootstrap-aggregated histogram regression trees (see module doc). */
export class RandomForestModel implements Model {
  readonly type = "randomForest";
  readonly config: Readonly<RandomForestConfig>;
  private forest: Forest | null = null;
  private names: string[] = [];

  /** @param overrides any of {@linkcode RANDOM_FOREST_DEFAULTS} */
  constructor(overrides: Partial<RandomForestConfig> = {}) {
    const c = resolveConfig("randomForest", RANDOM_FOREST_DEFAULTS, overrides);
    for (
      const k of ["trees", "maxDepth", "maxLeaves", "maxBins", "binSampleRows", "nThreads"] as const
    ) {
      if (!Number.isInteger(c[k]) || c[k] < (k === "trees" || k === "maxBins" ? 1 : 0)) {
        throw new RangeError(
          `Invalid randomForest option ${k} = ${c[k]}: expected a non-negative integer`,
        );
      }
    }
    if (!(c.featureFraction >= 0 && c.featureFraction <= 1)) {
      throw new RangeError(
        `Invalid randomForest option featureFraction = ${c.featureFraction}: expected [0, 1]`,
      );
    }
    if (!(c.sampleFraction > 0 && (c.bootstrap || c.sampleFraction <= 1))) {
      throw new RangeError(
        `Invalid randomForest option sampleFraction = ${c.sampleFraction}: expected (0, 1]`,
      );
    }
    if (c.maxDepth === 0 && c.maxLeaves === 0) {
      throw new RangeError("Invalid randomForest options: maxDepth = 0 needs maxLeaves > 0");
    }
    this.config = c;
  }

  /** Trees in the model. */
  get trees(): number {
    return this.forest?.size ?? 0;
  }

  /**
   * Grow the trees; with `valid`, the history holds the validation MSE of the running average.
   * @param x training matrix (NaN = missing)
   * @param y labels (and optional weights, multiplied into the bootstrap counts)
   * @param valid optional validation segment
   */
  async fit(x: Matrix, y: Target, valid?: { x: Matrix; y: Target }): Promise<FitReport> {
    const t0 = performance.now();
    const c = this.config;
    checkInputs("randomForest", x, y);
    if (valid) {
      checkInputs("randomForest", valid.x, valid.y, "valid"),
        checkColumns("randomForest", x.names, valid.x);
    }
    const N = x.rows, F = x.cols, w = y.weight;
    const s = await setup(x, c);
    const { data, edges } = s;
    const forest = new Forest(F);
    const T = c.trees;
    const frac = c.featureFraction > 0 ? c.featureFraction : Math.sqrt(F) / F;
    const allFeatures = Int32Array.from({ length: F }, (_, j) => j);
    const counts = new Float64Array(N);
    const vBins = valid ? binMatrix(valid.x, edges) : null;
    const vSum = valid ? new Float64Array(valid.x.rows) : null;
    const vAvg = valid ? new Float64Array(valid.x.rows) : null;
    const history: { train: number; valid?: number }[] = [];
    try {
      for (let t = 0; t < T; t++) {
        const rng = new Rng(c.seed, t);
        // 1. row multiplicities: bootstrap (with replacement) or a plain subsample
        counts.fill(0);
        const m = Math.max(1, Math.round(c.sampleFraction * N));
        if (c.bootstrap) { for (let i = 0; i < m; i++) counts[rng.int(N)]++; }
        else for (const i of rng.sample(N, m)) counts[i] = 1;
        let root = 0;
        for (let i = 0; i < N; i++) {
          const ci = w ? counts[i] * w[i] : counts[i];
          if (ci > 0) {
            data.rowIdx[root++] = i;
            data.g[i] = -ci * y.y[i];
            data.h[i] = ci;
          }
        }
        // 2. grow with per-node feature sampling; leaves hold the bootstrap mean / T
        const tree = await growTree(s.backend, data, {
          rootRows: root,
          identity: root === N,
          unitHess: false,
          features: allFeatures,
          rng,
        }, {
          maxDepth: c.maxDepth,
          maxLeaves: c.maxLeaves,
          growPolicy: c.maxDepth === 0 ? "lossguide" : "depthwise",
          lambda: 0,
          minChildWeight: c.minChildWeight,
          gamma: 0,
          colsampleBynode: frac,
        });
        forest.addTree(tree, edges.edges, edges.offsets, (G, H) => (H > 0 ? -G / H : 0) / T);
        if (valid) {
          forest.addBinned(t, vBins!, valid.x.rows, edges.counts, vSum!);
          for (let i = 0; i < vSum!.length; i++) vAvg![i] = (vSum![i] * T) / (t + 1);
          history.push({ train: NaN, valid: mse(vAvg!, valid.y.y, valid.y.weight) });
        }
      }
    } finally {
      s.backend.close();
    }
    this.forest = forest;
    this.names = [...x.names];
    return {
      iterations: T,
      validLoss: valid ? history.at(-1)!.valid : undefined,
      history: valid ? history : undefined,
      seconds: (performance.now() - t0) / 1e3,
    };
  }

  /**
   * Average of the trees' predictions.
   * @param x rows × features (NaN = missing)
   */
  predict(x: Matrix): Float32Array {
    if (!this.forest) throw new Error("RandomForestModel.predict() called before fit() or load()");
    checkColumns("randomForest", this.names, x);
    return this.forest.predict(x, 0);
  }

  /** Feature importance by column name (mean gain, total gain or split count). */
  featureImportance(kind: "gain" | "totalGain" | "split" = "gain"): Record<string, number> {
    if (!this.forest) throw new Error("RandomForestModel has no trees: call fit() or load() first");
    const imp = this.forest.importance(kind);
    return Object.fromEntries(this.names.map((n, j) => [n, imp[j]]));
  }

  /** Write `model.json` and `forest.bin` (as {@linkcode GbdtModel.save}). */
  save(dir: string): void {
    if (!this.forest) throw new Error("RandomForestModel.save() called before fit() or load()");
    Deno.mkdirSync(dir, { recursive: true });
    writeAtomic(`${dir}/forest.bin`, this.forest.toBytes());
    writeAtomic(
      `${dir}/model.json`,
      JSON.stringify(
        {
          type: this.type,
          version: 1,
          config: this.config,
          seed: this.config.seed,
          names: this.names,
          trees: this.forest.size,
          nodes: this.forest.arrays().feature.length,
          forest: "forest.bin",
        },
        null,
        2,
      ) + "\n",
    );
  }

  /** Load a model written by {@linkcode RandomForestModel.save}. */
  static load(dir: string): RandomForestModel {
    const meta = JSON.parse(Deno.readTextFileSync(`${dir}/model.json`));
    if (meta.type !== "randomForest") {
      throw new TypeError(`Expected a randomForest model in ${dir} but found type "${meta.type}"`);
    }
    const m = new RandomForestModel(meta.config);
    m.names = meta.names;
    m.forest = Forest.fromBytes(
      Deno.readFileSync(`${dir}/${meta.forest}`),
      meta.trees,
      meta.nodes,
      meta.names.length,
    );
    return m;
  }
}
