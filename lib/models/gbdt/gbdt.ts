/**
 * Gradient-boosted regression trees on binned features (SPEC §7, issue 4 §3; XGBoost `hist`):
 * squared-error objective, so each round fits a tree to gradients g = w·(ŷ − y), h = w, and each
 * leaf adds −ΣG/(ΣH + λ)·η. Rows (`subsample`) and columns (`colsampleBytree`,
 * `colsampleBynode`) are sampled per tree from a PRNG seeded by the config, early stopping watches
 * the validation MSE (patience `earlyStoppingRounds`, the best round's trees are kept), and the
 * histogram work runs on Web Workers for large data (`backend.ts`). Predict walks raw Float32
 * values through the trees (NaN → each split's learned default direction); save/load keep the
 * config and the trees' typed arrays, so predictions after loading are bit-identical.
 *
 * @example
 * ```ts
 * import { GbdtModel } from "./gbdt.ts";
 * import assert from "node:assert/strict";
 * // y = 1 when x > 0.5, else 0: a depth-1 tree finds the step
 * const xs = Float32Array.from({ length: 20 }, (_, i) => i / 20);
 * const x = { rows: 20, cols: 1, data: xs, names: ["x"] };
 * const y = { y: xs.map((v) => (v > 0.5 ? 1 : 0)) };
 * const m = new GbdtModel({ rounds: 50, maxDepth: 1, learningRate: 0.5, lambda: 0, baseScore: 0 });
 * await m.fit(x, y);
 * const p = m.predict({ rows: 2, cols: 1, data: Float32Array.of(0.2, 0.9), names: ["x"] });
 * assert.ok(Math.abs(p[0]) < 1e-3 && Math.abs(p[1] - 1) < 1e-3);
 * ```
 * @module
 */
import { type FitReport, type Matrix, type Model, resolveConfig, type Target } from "../base.ts";
import { Forest } from "./forest.ts";
import { Rng } from "./_rng.ts";
import { checkColumns, checkInputs, mean, mse, sampleRows, setup, writeAtomic } from "./_train.ts";
import { binMatrix } from "./binning.ts";
import { growTree } from "./tree.ts";

/** Defaults, one per line (override any of them in the constructor; unknown keys throw). */
export const GBDT_DEFAULTS = {
  /** Boosting rounds (trees), before early stopping. */
  rounds: 500,
  /** Shrinkage η applied to every leaf value (XGBoost `eta`). */
  learningRate: 0.1,
  /** Maximum tree depth; 0 = unlimited (then `maxLeaves` must bound the tree). */
  maxDepth: 6,
  /** Maximum leaves per tree; 0 = unlimited. */
  maxLeaves: 0,
  /** "depthwise" (level by level) or "lossguide" (best leaf first). */
  growPolicy: "depthwise" as "depthwise" | "lossguide",
  /** Minimum ΣH in a child (rows, with unit weights). */
  minChildWeight: 1,
  /** L2 penalty λ on leaf values. */
  lambda: 1,
  /** Minimum gain γ for a split. */
  gamma: 0,
  /** Fraction of rows drawn (Bernoulli) for each tree. */
  subsample: 1,
  /** Fraction of features drawn for each tree. */
  colsampleBytree: 1,
  /** Fraction of the tree's features tried at each node. */
  colsampleBynode: 1,
  /** Value bins per feature (1–255; missing values get one more). */
  maxBins: 255,
  /** Rows sampled to place the bin quantiles. */
  binSampleRows: 200_000,
  /** Starting prediction; null = the (weighted) train mean. */
  baseScore: null as number | null,
  /** Stop after this many rounds without a better validation MSE; 0 = never. */
  earlyStoppingRounds: 50,
  /** Threads; 0 = all cores (navigator.hardwareConcurrency). */
  nThreads: 0,
  /**
   * Below rows × features of this, train on one thread: workers cost a start (~0.1 s) and a message
   * round trip per tree level. Measured on a shared 2-core box under load (depth 6): 2 workers were
   * slower at 2.5M cells (0.70 vs 0.52 s) and at 10M (1.86 vs 1.70 s), 1.38× faster at 160M.
   */
  parallelMinCells: 8_000_000,
  /** From rows × features of this, keep a row-major bin copy for sparse (deep) nodes. */
  rowMajorMinCells: 16_000_000,
  /** Seed of every random choice (bin sample, rows, columns). */
  seed: 1337,
  /** Print a progress line every this many rounds; 0 = silent. */
  logEvery: 0,
};

/** Resolved GBDT config. */
export type GbdtConfig = typeof GBDT_DEFAULTS;

/** What {@linkcode GbdtModel.fit} reports, beyond {@linkcode FitReport}. */
export interface GbdtFitReport extends FitReport {
  // validLoss: the best round's validation MSE with early stopping, else the last round's
  /** Round (0-based) with the best validation loss; the model keeps rounds 0 … bestIteration. */
  bestIteration: number;
  /** Threads the histograms were built on. */
  threads: number;
  /** Seconds spent binning. */
  binSeconds: number;
}

/** Throw on config values outside their domain. */
export function checkGbdtConfig(c: GbdtConfig): void {
  const int = (k: keyof GbdtConfig, min: number, max = Infinity) => {
    const v = c[k] as number;
    if (!Number.isInteger(v) || v < min || v > max) {
      throw new RangeError(
        `Invalid gbdt option ${k} = ${v}: expected an integer in [${min}, ${max}]`,
      );
    }
  };
  const frac = (k: keyof GbdtConfig) => {
    const v = c[k] as number;
    if (!(v > 0 && v <= 1)) {
      throw new RangeError(`Invalid gbdt option ${k} = ${v}: expected a number in (0, 1]`);
    }
  };
  int("rounds", 1),
    int("maxDepth", 0),
    int("maxLeaves", 0),
    int("maxBins", 1, 255),
    int("binSampleRows", 1);
  int("earlyStoppingRounds", 0), int("nThreads", 0), int("logEvery", 0);
  frac("subsample"), frac("colsampleBytree"), frac("colsampleBynode");
  if (!(c.learningRate > 0)) {
    throw new RangeError(`Invalid gbdt option learningRate = ${c.learningRate}: expected > 0`);
  }
  for (const k of ["lambda", "gamma", "minChildWeight"] as const) {
    if (!(c[k] >= 0)) throw new RangeError(`Invalid gbdt option ${k} = ${c[k]}: expected ≥ 0`);
  }
  if (c.growPolicy !== "depthwise" && c.growPolicy !== "lossguide") {
    throw new RangeError(
      `Invalid gbdt option growPolicy = "${c.growPolicy}": expected "depthwise" or "lossguide"`,
    );
  }
  if (c.maxDepth === 0 && (c.maxLeaves === 0 || c.growPolicy === "depthwise")) {
    throw new RangeError(
      `Invalid gbdt options maxDepth = 0 with ${c.growPolicy}: unbounded trees need lossguide and maxLeaves`,
    );
  }
  if (c.baseScore !== null && !Number.isFinite(c.baseScore)) {
    throw new RangeError(
      `Invalid gbdt option baseScore = ${c.baseScore}: expected a finite number or null`,
    );
  }
}

/** Histogram gradient-boosted trees (see module doc). */
export class GbdtModel implements Model {
  readonly type = "gbdt";
  readonly config: Readonly<GbdtConfig>;
  private forest: Forest | null = null;
  private base = 0;
  private names: string[] = [];

  /** @param overrides any of {@linkcode GBDT_DEFAULTS} */
  constructor(overrides: Partial<GbdtConfig> = {}) {
    const c = resolveConfig("gbdt", GBDT_DEFAULTS, overrides);
    checkGbdtConfig(c);
    this.config = c;
  }

  /** Trees in the model. */
  get trees(): number {
    return this.forest?.size ?? 0;
  }

  /** The starting prediction the trees add to. */
  get baseScore(): number {
    return this.base;
  }

  /** The tree arrays (for inspection and tests). */
  get forestArrays() {
    if (!this.forest) throw new Error("GbdtModel has no trees: call fit() or load() first");
    return this.forest.arrays();
  }

  /**
   * Boost `rounds` trees on (x, y), watching `valid` for early stopping.
   * @param x training matrix (NaN = missing)
   * @param y labels (and optional weights)
   * @param valid optional validation segment
   * @returns the fit report (best round, losses per round, seconds)
   */
  async fit(x: Matrix, y: Target, valid?: { x: Matrix; y: Target }): Promise<GbdtFitReport> {
    const t0 = performance.now();
    const c = this.config;
    checkInputs("gbdt", x, y);
    if (valid) {
      checkInputs("gbdt", valid.x, valid.y, "valid"), checkColumns("gbdt", x.names, valid.x);
    }
    const N = x.rows, F = x.cols, w = y.weight;
    const s = await setup(x, c);
    const { data, edges } = s;
    const forest = new Forest(F);
    const base = c.baseScore ?? mean(y.y, w);
    const pred = new Float64Array(N).fill(base);
    const vBins = valid ? binMatrix(valid.x, edges) : null;
    const vPred = valid ? new Float64Array(valid.x.rows).fill(base) : null;
    const history: { train: number; valid?: number }[] = [];
    let best = Infinity, bestRound = -1;
    const lambda = c.lambda, lr = c.learningRate;
    const leafValue = (G: number, H: number) => (-G / (H + lambda)) * lr;
    const allFeatures = Int32Array.from({ length: F }, (_, j) => j);
    try {
      for (let round = 0; round < c.rounds; round++) {
        const rng = new Rng(c.seed, round);
        // 1. gradients of ½·w·(ŷ − y)²
        const { g, h } = data;
        for (let i = 0; i < N; i++) {
          const wi = w ? w[i] : 1;
          g[i] = wi * (pred[i] - y.y[i]);
          if (w) h[i] = wi;
        }
        // 2. rows and columns of this tree
        const rootRows = sampleRows(data.rowIdx, N, c.subsample, rng);
        const features = c.colsampleBytree < 1
          ? rng.sample(F, Math.max(1, Math.round(c.colsampleBytree * F)))
          : allFeatures;
        // 3. grow, store, and add the leaves to the running predictions
        const tree = await growTree(s.backend, data, {
          rootRows,
          identity: rootRows === N,
          unitHess: !w,
          features,
          rng,
        }, c);
        const values = forest.addTree(tree, edges.edges, edges.offsets, leafValue);
        if (rootRows === N) {
          for (let n = 0; n < tree.nodes; n++) {
            if (tree.feature[n] >= 0) continue;
            const v = values[n];
            for (let k = tree.start[n]; k < tree.end[n]; k++) pred[data.rowIdx[k]] += v;
          }
        } else forest.addBinned(round, data.bins, N, edges.counts, pred);
        // 4. losses, early stopping
        const entry: { train: number; valid?: number } = { train: mse(pred, y.y, w) };
        if (valid) {
          forest.addBinned(round, vBins!, valid.x.rows, edges.counts, vPred!);
          entry.valid = mse(vPred!, valid.y.y, valid.y.weight);
          if (entry.valid < best) best = entry.valid, bestRound = round;
        }
        history.push(entry);
        if (c.logEvery && (round % c.logEvery === 0 || round === c.rounds - 1)) {
          console.log(
            `gbdt round ${round}: train mse ${entry.train.toPrecision(5)}` +
              (valid
                ? `, valid mse ${entry.valid!.toPrecision(5)} (best ${
                  best.toPrecision(5)
                } @ ${bestRound})`
                : ""),
          );
        }
        if (valid && c.earlyStoppingRounds > 0 && round - bestRound >= c.earlyStoppingRounds) break;
      }
    } finally {
      s.backend.close();
    }
    if (valid && c.earlyStoppingRounds > 0) forest.truncate(bestRound + 1);
    else bestRound = forest.size - 1;
    this.forest = forest;
    this.base = base;
    this.names = [...x.names];
    return {
      iterations: forest.size,
      validLoss: valid ? history[bestRound].valid : undefined,
      history,
      seconds: (performance.now() - t0) / 1e3,
      bestIteration: bestRound,
      threads: s.threads,
      binSeconds: s.binSeconds,
    };
  }

  /**
   * Predict a row-major matrix with the training columns.
   * @param x rows × features (NaN = missing)
   * @returns one Float32 prediction per row
   */
  predict(x: Matrix): Float32Array {
    if (!this.forest) throw new Error("GbdtModel.predict() called before fit() or load()");
    checkColumns("gbdt", this.names, x);
    return this.forest.predict(x, this.base);
  }

  /**
   * Feature importance by column name: mean gain per split ("gain"), total gain ("totalGain") or
   * number of splits ("split").
   */
  featureImportance(kind: "gain" | "totalGain" | "split" = "gain"): Record<string, number> {
    if (!this.forest) throw new Error("GbdtModel has no trees: call fit() or load() first");
    const imp = this.forest.importance(kind);
    return Object.fromEntries(this.names.map((n, j) => [n, imp[j]]));
  }

  /** Write `model.json` (type, config, seed, columns, base score, layout) and `forest.bin` (the trees' typed arrays). */
  save(dir: string): void {
    if (!this.forest) throw new Error("GbdtModel.save() called before fit() or load()");
    Deno.mkdirSync(dir, { recursive: true });
    const a = this.forest.arrays();
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
          baseScore: this.base,
          trees: this.forest.size,
          nodes: a.feature.length,
          forest: "forest.bin",
        },
        null,
        2,
      ) + "\n",
    );
  }

  /**
   * Load a model written by {@linkcode GbdtModel.save}.
   * @param dir the model directory
   * @returns the model, predicting exactly as when saved
   */
  static load(dir: string): GbdtModel {
    const meta = JSON.parse(Deno.readTextFileSync(`${dir}/model.json`));
    if (meta.type !== "gbdt") {
      throw new TypeError(`Expected a gbdt model in ${dir} but found type "${meta.type}"`);
    }
    const m = new GbdtModel(meta.config);
    m.names = meta.names;
    m.base = meta.baseScore;
    m.forest = Forest.fromBytes(
      Deno.readFileSync(`${dir}/${meta.forest}`),
      meta.trees,
      meta.nodes,
      meta.names.length,
    );
    return m;
  }
}
