/**
 * `deno task bench:models [--rows 1000000] [--features 200] [--rounds 500] [--depth 8]
 * [--threads 2] [--speedup-rounds 10] [--skip-xgboost]`: model training throughput (issue 4 §7).
 *
 * GBDT part: generates `rows × features` seeded synthetic data with a planted nonlinear signal
 * (`syntheticRegression`), splits it 80/20 into train/valid, fits our histogram GBDT (255 bins,
 * η 0.1, λ 1, the given depth and rounds, no early stopping) and then XGBoost 1.7
 * (`tree_method="hist"`, same parameters, `nthread` = threads) on the same data (written as raw
 * float32 files and read with numpy.fromfile), and prints the wall time of each, their ratio, both
 * validation MSEs, and our batch inference rows/s. A short extra fit on 1 thread and on `--threads`
 * shows what the Web Workers buy (`--speedup-rounds 0` skips it). Other model families may add
 * their own parts here.
 * @module
 */
import type { Matrix, Target } from "../models/base.ts";
import { GbdtModel } from "../models/gbdt/gbdt.ts";
import { syntheticRegression } from "../models/gbdt/synthetic.ts";
import { runXgboost, xgboostAvailable } from "../models/gbdt/xgboostReference.ts";
import { intFlag, main, parseFlags } from "./_args.ts";
import { peakRssMiB } from "./bench.ts";

/** Rows `[a, b)` as views (no copy: the benchmark data are large). */
function view(x: Matrix, y: Target, a: number, b: number): { x: Matrix; y: Target } {
  return {
    x: { rows: b - a, cols: x.cols, data: x.data.subarray(a * x.cols, b * x.cols), names: x.names },
    y: { y: y.y.subarray(a, b) },
  };
}

function mseOf(p: Float32Array, y: Float32Array): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (p[i] - y[i]) ** 2;
  return s / y.length;
}

const fmt = (n: number) => n.toLocaleString("en-US");

if (import.meta.main) {
  await main(async () => {
    const f = parseFlags({
      rows: "string",
      features: "string",
      rounds: "string",
      depth: "string",
      threads: "string",
      "speedup-rounds": "string",
      "skip-xgboost": "boolean",
    });
    const rows = intFlag("rows", f.rows, 1_000_000);
    const features = intFlag("features", f.features, 200);
    const rounds = intFlag("rounds", f.rounds, 500);
    const depth = intFlag("depth", f.depth, 8);
    const threads = intFlag("threads", f.threads, Math.min(2, navigator.hardwareConcurrency || 1));
    const speedupRounds = intFlag("speedup-rounds", f["speedup-rounds"], 10);
    if (rows < 10 || features < 1 || rounds < 1 || depth < 1 || threads < 1) {
      throw new RangeError("Expected --rows ≥ 10 and --features, --rounds, --depth, --threads ≥ 1");
    }
    console.log(
      `BQX ML model benchmark — GBDT: ${
        fmt(rows)
      } rows × ${features} features, ${rounds} rounds, depth ${depth}, ` +
        `255 bins, eta 0.1, lambda 1, ${threads} threads (${navigator.hardwareConcurrency} cores)`,
    );
    let t = performance.now();
    const { x, y } = syntheticRegression(rows, features, { seed: 42, noise: 0.5 });
    const nTrain = Math.floor(rows * 0.8);
    const train = view(x, y, 0, nTrain), valid = view(x, y, nTrain, rows);
    console.log(
      `data: ${fmt(nTrain)} train / ${fmt(rows - nTrain)} valid rows, generated in ${
        ((performance.now() - t) / 1e3).toFixed(1)
      } s`,
    );
    const params = {
      maxDepth: depth,
      learningRate: 0.1,
      lambda: 1,
      minChildWeight: 1,
      maxBins: 255,
    };

    // 1. one thread vs workers on a few rounds (same model either way)
    if (speedupRounds > 0 && threads > 1) {
      const secs: number[] = [];
      for (const n of [1, threads]) {
        const m = new GbdtModel({
          ...params,
          rounds: speedupRounds,
          earlyStoppingRounds: 0,
          nThreads: n,
          parallelMinCells: 0,
        });
        const rep = await m.fit(train.x, train.y);
        secs.push((rep.seconds - rep.binSeconds) / speedupRounds);
      }
      console.log(
        `threads: ${speedupRounds} rounds at ${secs[0].toFixed(3)} s/round on 1 thread, ${
          secs[1].toFixed(3)
        } s/round on ` +
          `${threads} workers → ${(secs[0] / secs[1]).toFixed(2)}× (binning excluded)`,
      );
    }

    // 2. our GBDT, full fit
    const model = new GbdtModel({
      ...params,
      rounds,
      earlyStoppingRounds: 0,
      nThreads: threads,
      logEvery: Math.max(1, Math.round(rounds / 5)),
    });
    const rep = await model.fit(train.x, train.y);
    t = performance.now();
    const p = model.predict(valid.x);
    const predSec = (performance.now() - t) / 1e3;
    const ourMse = mseOf(p, valid.y.y);
    console.log(
      `ours:    fit ${rep.seconds.toFixed(1)} s (binning ${
        rep.binSeconds.toFixed(1)
      } s, ${rep.threads} threads, ` +
        `${(rep.seconds / rounds).toFixed(3)} s/round), valid MSE ${ourMse.toFixed(5)}, ` +
        `predict ${fmt(Math.round(valid.x.rows / predSec))} rows/s (${rounds} trees, 1 thread); ` +
        `peak RSS ${(peakRssMiB() / 1024).toFixed(2)} GiB`,
    );

    // 3. XGBoost on the same data
    const why = f["skip-xgboost"] ? "--skip-xgboost" : await xgboostAvailable();
    if (why) {
      console.log(`xgboost: skipped (${why})`);
      return;
    }
    const ref = await runXgboost(train, valid, {
      max_depth: depth,
      eta: 0.1,
      lambda: 1,
      min_child_weight: 1,
      max_bin: 255,
      subsample: 1,
      colsample_bytree: 1,
      base_score: model.baseScore,
      nthread: threads,
    }, rounds);
    const xgbTotal = ref.dmatrixSeconds + ref.trainSeconds;
    console.log(
      `xgboost: fit ${xgbTotal.toFixed(1)} s (DMatrix ${ref.dmatrixSeconds.toFixed(1)} s + train ${
        ref.trainSeconds.toFixed(1)
      } s, ` +
        `${threads} threads, v${ref.version}), valid MSE ${ref.validMse.toFixed(5)}, predict ${
          fmt(Math.round(ref.predictRowsPerS))
        } rows/s`,
    );
    console.log(
      `ratio:   ours / xgboost wall time = ${
        (rep.seconds / xgbTotal).toFixed(2)
      }× ; valid MSE ours / xgboost = ` +
        `${(ourMse / ref.validMse).toFixed(4)}`,
    );
  });
}
